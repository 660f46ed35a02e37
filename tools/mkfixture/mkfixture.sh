#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Make one page_owner fixture: build (or reuse) a kernel, boot it under QEMU with a
# NUMA topology, run the workload, capture the live page_owner outputs quietly, dump.
#   mkfixture.sh [options] SETDIR NAME
#     writes SETDIR/NAME/ (dumps, captures, manifest) and SETDIR/vmlinux.xz + SETDIR/config,
#     which all fixtures of one kernel build share (tests/vmcores/7.3 numa2, say)
#     --arch A           x86_64 (default) | arm64 (cross-built, booted in qemu-system-aarch64's
#                        virt machine; Debian 12's arm64 busybox, kexec and makedumpfile)
#     --page-size P      4k (default) | 64k (arm64 only: CONFIG_ARM64_64K_PAGES)
#     --kernel VER       7.3 | 7.2 | 6.12 | 6.1                  (default 7.3)
#     --patches DIR      patch series applied to the kernel source (kernel/patches/VER)
#     --config C         reduced (tinyconfig + kconfig/, default) | debian (the suite's own amd64
#                        config, built-ins only; see build-kernel.sh)
#     --la57             a CPU with 5-level paging (QEMU -cpu max); default la57=off
#     --crashkernel SIZE memory reserved for the crash kernel (default 128M)
#     --topology T       numa2 (two nodes with memory) | numa3-memless (+ a node without)
#     --mem SIZE         guest memory, split evenly over the nodes with memory (default 512M)
#     --dumps LIST       which filtered dumps to keep: d31 (makedumpfile -c -d 31), d23 (-c -d 23:
#                        keeps the compound tail pages 7.x's d31 drops), elf (-E -d 31, stored
#                        xz-compressed)                                       (default d31,d23)
#     --dump METHOD      kdump (crashkernel + makedumpfile in the crash kernel, default)
#                        | qemu (QMP dump-guest-memory, filtered with makedumpfile on the host)
#     --work DIR         build folder, reused between runs (default ~/.cache/powner/fixtures)
#     --kcore BUILD      instead of a dump: powner (BUILD/cli/powner) run inside the guest on
#                        /proc/kcore between two reads of page_owner; writes SETDIR/NAME/ with
#                        the captures (tests/kcore/check_kcore.py checks them) and no dump
# Run by hand; never by the test suite. See tests/vmcores/README.md.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
kcore="" arch=x86_64 pagesize=4k ver=7.3 patches="" config=reduced la57="" crashkernel=128M topology=numa2 mem=512M dump=kdump dumps=d31,d23 work=${XDG_CACHE_HOME:-$HOME/.cache}/powner/fixtures
while [ $# -gt 2 ]; do
	case $1 in
		--arch) arch=$2 ;; --page-size) pagesize=$2 ;; --kernel) ver=$2 ;; --patches) patches=$(realpath "$2") ;; --topology) topology=$2 ;;
		--mem) mem=$2 ;; --dump) dump=$2 ;; --dumps) dumps=$2 ;; --work) work=$2 ;;
		--kcore) kcore=$(realpath "$2") dump=none ;;
		--config) config=$2 ;; --crashkernel) crashkernel=$2 ;;
		--la57) la57=1; shift; continue ;;
		*) echo "unknown option $1" >&2; exit 2 ;;
	esac
	shift 2
done
[ $# -eq 2 ] || { sed -n '3,/^# Run by hand/p' "$0"; exit 2; }
set_dir=$(realpath -m "$1") name=$2
out=$set_dir/$name
log() { echo "mkfixture: $*" >&2; }
"$top/scripts/install-deps.sh" fixtures

# 1. kernel
build=$work/$ver${patches:+-patched}; [ "$config" = reduced ] || build=$build-$config
# the guest's compiler and its kernel-make arguments; Debian 12's arm64 programs for its initramfs
cc=gcc objcopy=objcopy kmake=() image=arch/x86/boot/bzImage archopt=""  # archopt: the manifest's command (x86_64's says none)
case $arch in
	x86_64) [ "$pagesize" = 4k ] || { echo "--page-size $pagesize: arm64 only" >&2; exit 2; } ;;
	arm64)
		build=$build-arm64 cc=aarch64-linux-gnu-gcc objcopy=aarch64-linux-gnu-objcopy kmake=(ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu-) archopt="--arch arm64 "
		[ "$pagesize" = 4k ] || { build=$build-$pagesize archopt="$archopt--page-size $pagesize "; }
		image=arch/arm64/boot/Image
		[ -z "$kcore" ] || { echo "--kcore: x86_64 only" >&2; exit 2; }
		[ "$dump" = kdump ] || { echo "--dump $dump: the host's makedumpfile cannot filter an arm64 dump; kdump only" >&2; exit 2; }
		# makedumpfile and kexec are dynamic: their libraries (readelf -d NEEDED, recursively;
		# Debian's arm64 kexec links libxenctrl); mkinitramfs.sh takes what it needs
		sysroot=$work/sysroot-arm64-bookworm
		if [ ! -f "$sysroot/.complete" ]; then
			rm -rf "$sysroot"; mkdir -p "$sysroot/debs"
			(cd "$sysroot/debs" && POWNER_APT_ARCH=arm64 "$top/scripts/apt-other-suite.sh" bookworm download \
				busybox-static kexec-tools makedumpfile libc6 zlib1g libelf1 libdw1 liblzo2-2 libbz2-1.0 \
				liblzma5 libxenmisc4.17 libxencall1 libxendevicemodel1 libxenevtchn1 \
				libxenforeignmemory1 libxengnttab1 libxentoolcore1 libxentoollog1)
			for d in "$sysroot"/debs/*.deb; do dpkg-deb -x "$d" "$sysroot"; done
			touch "$sysroot/.complete"
		fi
		export GUEST_SYSROOT=$sysroot ;;
	*) echo "unknown architecture $arch" >&2; exit 2 ;;
esac
src=$build/linux-source-$ver
if [ ! -f "$src/Module.symvers" ] || [ ! -f "$src/$image" ]; then
	"$here/build-kernel.sh" "$ver" "$build" "$patches" "$config" "$arch" "$pagesize"
fi
kernel_release=$(cat "$src/include/config/kernel.release")

# 2. guest programs and initramfs images
g=$build/guest; rm -rf "$g"; mkdir -p "$g"
cp -r "$here/guest/po_mod" "$g/"
make -s -C "$src" "${kmake[@]}" M="$g/po_mod" modules >/dev/null
$cc -O2 -static -Wall -o "$g/po_work" "$here/guest/po_work.c"
$cc -O2 -static -Wall -pthread -o "$g/po_capture" "$here/guest/po_capture.c"
GUEST_POWNER=${kcore:+$kcore/cli/powner} "$here/mkinitramfs.sh" "$g" "$src/$image" "$here/guest"

# 3-4. boot, capture, dump; split the captures, rebuild the dumps, check them. A page whose
# state changed between the last read and the crash spoils the fixture: try again.
want() { case ",$dumps," in *",$1,"*) return 0;; esac; return 1; }
# shellcheck source=tools/mkfixture/kcore-capture.sh
[ -z "$kcore" ] || { . "$here/kcore-capture.sh"; exit; }
attempt() {
	rm -rf "$out"; mkdir -p "$out"
	local t0; t0=$(date +%s)
	LA57=$la57 CRASHKERNEL=$crashkernel GUEST_ARCH=$arch "$here/run-guest.sh" --topology "$topology" --mem "$mem" --dump "$dump" --dumps "$dumps" \
		"$src/$image" "$g/initramfs.cpio.gz" "$out/raw" || return 1
	log "guest run: $(( $(date +%s) - t0 )) s"
	/usr/bin/python3 "$here/split-captures.py" "$out/raw/capture.shm" "$out/captures" || return 1
	case $dump in
		kdump)
			for d in d31 d23; do want $d && makedumpfile -R "$out/vmcore.$d" < "$out/raw/vmcore.$d.flat" >/dev/null; done
			want elf && makedumpfile -R "$out/raw/vmcore.d31.elf" < "$out/raw/vmcore.d31.elf.flat" >/dev/null ;;
		qemu)
			python3 "$here/fix_qemu_elf.py" "$out/raw/vmcore.qemu.elf"
			for d in 31 23; do want d$d && makedumpfile -c -d $d "$out/raw/vmcore.qemu.elf" "$out/vmcore.d$d" >/dev/null; done
			want elf && makedumpfile -E -d 31 "$out/raw/vmcore.qemu.elf" "$out/raw/vmcore.d31.elf" >/dev/null ;;
	esac
	# the booted kernel must be the vmlinux we ship (a rebuilt vmlinux with a stale bzImage is not)
	local dump_bid vmlinux_bid
	dump_bid=$(/usr/bin/python3 -c 'import kdumpfile, sys
k = kdumpfile.kdumpfile(sys.argv[1]); k.attr["addrxlat.ostype"] = "linux"
print(k.attr["linux.vmcoreinfo.lines"]["BUILD-ID"])' "$out/vmcore.d31")
	vmlinux_bid=$(readelf -n "$src/vmlinux" | sed -n 's/.*Build ID: //p')
	[ "$dump_bid" = "$vmlinux_bid" ] || { log "the dump's BUILD-ID $dump_bid is not vmlinux's $vmlinux_bid: rebuild ${image##*/}"; exit 1; }
	/usr/bin/python3 "$here/verify-dump.py" "$out/vmcore.d31" "$src/vmlinux" \
		"$out/captures/page_owner.txt" "$out/raw/changed-after-capture.json" || return 1
	# prefer a capture where nothing moved at all; take the tolerated kind on the last tries
	[ "$(cat "$out/raw/changed-after-capture.json")" = "[]" ] || [ "$try" -ge 3 ]
}
for try in 1 2 3 4 5; do
	attempt && break
	[ $try = 5 ] && { log "no quiet capture in 5 attempts"; exit 1; }
	log "attempt $try was not usable; again"
done
want elf && xz -T0 -6 -c "$out/raw/vmcore.d31.elf" > "$out/vmcore.d31.elf.xz"
(cd "$out/captures" && tar --sort=name --mtime=@0 --owner=0 --group=0 -cf - -- *.txt) | xz -T0 -9 > "$out/captures.tar.xz"
cp "$out/raw/console.log" "$out/console.log"
[ -f "$out/raw/dmesg.txt" ] && cp "$out/raw/dmesg.txt" "$out/"
# the debug-only image (as distributions ship it): DWARF, symbols, BTF, no code; shared by
# every fixture of this build. Without the relocation sections --emit-relocs leaves in
# vmlinux up to 6.x (5.10: 88 MB of .rela.debug_info alone): nothing reads them in an ET_EXEC
$objcopy --only-keep-debug --remove-section='.rela*' "$src/vmlinux" "$out/raw/vmlinux"
bid=$(readelf -n "$out/raw/vmlinux" | sed -n 's/.*Build ID: //p')
if [ "$(cat "$set_dir/build-id" 2>/dev/null)" != "$bid" ]; then
	[ -f "$set_dir/build-id" ] && log "replacing the set's vmlinux (build id $(cat "$set_dir/build-id") -> $bid): regenerate its other fixtures"
	xz -T1 -9 -c "$out/raw/vmlinux" > "$set_dir/vmlinux.xz"
	cp "$src/.config" "$set_dir/config"
	echo "$bid" > "$set_dir/build-id"
fi
python3 "$here/write-manifest.py" --out "$out" --arch "$arch" --kernel "$ver" --release "$kernel_release" \
	--vmlinux "$src/vmlinux" --source "$(cat "$src/.debian-package")" --patches "${patches:-}" \
	--topology "$topology" --mem "$mem" --dump "$dump" --workload "$here/guest/po_work.c" \
	--set "$set_dir" --changed-after-capture "$out/raw/changed-after-capture.json" --command "$0 $archopt--kernel $ver ${patches:+--patches $patches }--config $config ${la57:+--la57 }--crashkernel $crashkernel --topology $topology --mem $mem --dump $dump --dumps $dumps SETDIR $name"
rm -rf "$out/raw" "$out/captures"
log "done: $out"
