#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Build the guest's initramfs images in DIR (which holds po_work, po_capture, po_mod/po_mod.ko):
#   DIR/kdump.cpio.gz      busybox + makedumpfile, run by the crash kernel
#   DIR/initramfs.cpio.gz  busybox + kexec + workload + capture + the crash kernel payload
#   mkinitramfs.sh DIR BZIMAGE GUESTSRC
# BZIMAGE (or an arm64 Image) goes to /kdump/ under its own name.
# GUESTSRC has init and init-kdump. env: GUEST_BINS (programs in DIR for /bin, default
# "po_work po_capture"), GUEST_MODULE (module in DIR for /, default po_mod/po_mod.ko; empty: none),
# GUEST_POWNER (a powner binary for /bin/powner, with its shared libraries; default none),
# GUEST_SYSROOT (another architecture's packages unpacked: busybox, kexec, makedumpfile and
# their libraries are taken from there instead of this system)
set -euo pipefail
dir=$1 bzimage=$2 gsrc=$3 sysroot=${GUEST_SYSROOT:-}
# a dynamic binary with its shared libraries at the same paths
copy_bin() {
	local root=$1 bin=$2 dst=$3
	mkdir -p "$root$(dirname "$dst")"; cp "$bin" "$root$dst"
	if [ -n "$sysroot" ]; then copy_libs "$root" "$bin"; return; fi
	for l in $(ldd "$bin" | grep -o '/[^ ]*'); do mkdir -p "$root$(dirname "$l")"; cp -L "$l" "$root$l"; done
}
# the sysroot's libraries a binary needs (readelf -d NEEDED, recursively) and its interpreter
copy_libs() {
	local root=$1 bin=$2 interp lib d found
	interp=$(readelf -l "$bin" | sed -n 's/.*Requesting program interpreter: \(.*\)]/\1/p')
	if [ -n "$interp" ] && [ ! -e "$root$interp" ]; then
		mkdir -p "$root$(dirname "$interp")"; cp -L "$sysroot$interp" "$root$interp"
	fi
	for lib in $(readelf -d "$bin" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
		found=""
		for d in /lib/aarch64-linux-gnu /usr/lib/aarch64-linux-gnu /lib /usr/lib; do
			[ -e "$sysroot$d/$lib" ] && { found=$d/$lib; break; }
		done
		[ -n "$found" ] || { echo "mkinitramfs: $lib (needed by ${bin#"$sysroot"}) is not in $sysroot" >&2; exit 1; }
		[ -e "$root$found" ] && continue
		mkdir -p "$root${found%/*}"; cp -L "$sysroot$found" "$root$found"
		copy_libs "$root" "$sysroot$found"
	done
}
skeleton() {
	rm -rf "$1"; mkdir -p "$1"/{bin,sbin,proc,sys,dev,tmp}
	cp "$sysroot/bin/busybox" "$1/bin/busybox"; ln -s busybox "$1/bin/sh"
	mknod -m 600 "$1/dev/console" c 5 1; mknod -m 666 "$1/dev/null" c 1 3
}
pack() { (cd "$1" && find . | sort | cpio -o -H newc --quiet | gzip -9) > "$2"; }

k=$dir/kdump-root
skeleton "$k"
copy_bin "$k" "$sysroot/usr/bin/makedumpfile" /bin/makedumpfile
cp "$gsrc/init-kdump" "$k/init"
pack "$k" "$dir/kdump.cpio.gz"

r=$dir/root
skeleton "$r"
mkdir -p "$r/kdump"
cp "$gsrc/init" "$r/init"
for b in ${GUEST_BINS-po_work po_capture}; do cp "$dir/$b" "$r/bin/"; done
module=${GUEST_MODULE-po_mod/po_mod.ko}
[ -z "$module" ] || cp "$dir/$module" "$r/$(basename "$module")"
kexec=/usr/sbin/kexec; [ -z "$sysroot" ] || kexec=$sysroot/sbin/kexec
copy_bin "$r" "$kexec" /bin/kexec
if [ -n "${GUEST_POWNER:-}" ]; then
	copy_bin "$r" "$GUEST_POWNER" /bin/powner; strip --strip-debug "$r/bin/powner"
fi
cp "$bzimage" "$r/kdump/${bzimage##*/}"; cp "$dir/kdump.cpio.gz" "$r/kdump/capture.cpio.gz"
pack "$r" "$dir/initramfs.cpio.gz"
