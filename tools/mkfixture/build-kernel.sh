#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Fetch a Debian kernel source package, optionally apply a patch series, and build a
# page_owner kernel for the fixture guests.
#   build-kernel.sh VERSION WORKDIR [PATCHDIR [CONFIG [ARCH [PAGESIZE]]]]
#     VERSION  7.3 (experimental), 7.2 (sid), 6.12 (trixie), 6.1 (bookworm) or 5.10 (bullseye)
#     WORKDIR  gets linux-source-VERSION/ (the built tree)
#     PATCHDIR git format-patch series applied in order (kernel/patches/VERSION)
#     CONFIG   reduced (default): tinyconfig + kconfig/base.config + kconfig/VERSION.config
#              debian: the suite's own amd64 linux-image config, every built-in kept and every
#              module dropped (localmodconfig with an empty module list), + kconfig/debian.config
#     ARCH     x86_64 (default: vmlinux + arch/x86/boot/bzImage) or arm64 (cross-built with
#              aarch64-linux-gnu-: vmlinux + arch/arm64/boot/Image); the reduced config adds
#              kconfig/ARCH.config
#     PAGESIZE 4k (default) or, on arm64, 64k (+ kconfig/arm64-64k.config)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
ver=$1 work=$2 patches=${3:-} config=${4:-reduced} arch=${5:-x86_64} pagesize=${6:-4k}
case $arch in
	x86_64) kmake=(make -s ARCH=x86_64) image=bzImage ;;
	arm64) kmake=(make -s ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu-) image=Image ;;
	*) echo "unknown architecture $arch" >&2; exit 2 ;;
esac
[ "$config" = reduced ] || [ "$arch" = x86_64 ] || { echo "--config $config is amd64's: x86_64 only" >&2; exit 2; }
arch_fragments=("$here/kconfig/$arch.config")
case $arch-$pagesize in
	*-4k) ;;
	arm64-64k) arch_fragments+=("$here/kconfig/arm64-64k.config") ;;
	*) echo "no $pagesize pages on $arch" >&2; exit 2 ;;
esac
case $ver in
	7.3) suite=experimental ;;
	7.2) suite=sid ;;
	6.12) suite=trixie ;;
	6.1) suite=bookworm ;;
	5.10) suite=bullseye ;;
	*) echo "unknown kernel version $ver" >&2; exit 2 ;;
esac
mkdir -p "$work"; cd "$work"
src=$work/linux-source-$ver
if [ ! -d "$src" ]; then
	if [ $suite = bookworm ]; then apt-get download "linux-source-$ver"
	else "$top/scripts/apt-other-suite.sh" $suite download "linux-source-$ver"; fi
	# shellcheck disable=SC2012 # Debian package names hold no odd characters
	deb=$(ls -t linux-source-"${ver}"_*.deb | head -1)
	dpkg-deb --fsys-tarfile "$deb" | tar -xO --wildcards './usr/src/linux-source-*.tar.xz' | tar xJ
	echo "$deb" > "$src/.debian-package"
	if [ -n "$patches" ]; then
		for p in "$patches"/*.patch; do echo "applying ${p##*/}"; patch -d "$src" -p1 --quiet < "$p"; done
	fi
fi
# the distribution's config, as its linux-image package ships it in /boot
distro_config() {
	local deb
	if [ ! -f "$work/config-debian" ]; then
		(cd "$work" && "$top/scripts/apt-other-suite.sh" $suite download "linux-image-$ver.*-amd64-unsigned")
		# the newest plain flavour (not -rt, not -cloud)
		# shellcheck disable=SC2010,SC2012 # Debian package names hold no odd characters
		deb=$(cd "$work" && ls -t linux-image-"$ver".*-amd64-unsigned_*.deb | grep -v -e -rt- -e -cloud- | head -1)
		dpkg-deb --fsys-tarfile "$work/$deb" | tar -xO --wildcards './boot/config-*' > "$work/config-debian"
		echo "$deb" > "$work/config-debian.package"
	fi
	cp "$work/config-debian" .config
	"${kmake[@]}" olddefconfig
	: > "$work/no-modules"
	"${kmake[@]}" LSMOD="$work/no-modules" localmodconfig 2>/dev/null
}
cd "$src"
fragments=()
if [ "$config" = debian ]; then
	distro_config
	fragment_list=("$here/kconfig/debian.config")
else
	"${kmake[@]}" tinyconfig
	[ -f "$here/kconfig/$ver.config" ] && fragments=("$here/kconfig/$ver.config")
	fragment_list=("$here/kconfig/base.config" "${arch_fragments[@]}" "${fragments[@]}")
fi
scripts/kconfig/merge_config.sh -m .config "${fragment_list[@]}" >/dev/null
"${kmake[@]}" olddefconfig
# every option the fragment asks for must have survived olddefconfig
bad=0
while IFS= read -r line; do
	case $line in CONFIG_*=*) ;; *) continue ;; esac
	opt=${line%%=*} val=${line#*=}
	if [ "$val" = n ]; then grep -q "^$opt=" .config && { echo "kconfig: $opt should be off" >&2; bad=1; }
	else grep -qx "$line" .config || echo "kconfig: note: $line not taken ($(grep "^$opt=" .config || echo unset))" >&2; fi
done < <(cat "${fragment_list[@]}")
# 5.10 has no DEBUG_INFO_DWARF5 (5.12 added it): without DEBUG_INFO_DWARF4 its plain -g is
# gcc 12's default, DWARF 5; so is Debian's DEBUG_INFO_DWARF_TOOLCHAIN_DEFAULT
dwarf5=CONFIG_DEBUG_INFO_DWARF5=y; [ "$ver" = 5.10 ] || [ "$config" = debian ] && dwarf5=CONFIG_DEBUG_INFO=y
for must in CONFIG_PAGE_OWNER=y CONFIG_NUMA=y CONFIG_SPARSEMEM_VMEMMAP=y $dwarf5 \
	CONFIG_DEBUG_INFO_BTF=y CONFIG_KALLSYMS_ALL=y CONFIG_MEMCG=y CONFIG_MODULES=y CONFIG_CRASH_DUMP=y \
	CONFIG_FW_CFG_SYSFS=y CONFIG_RANDOMIZE_BASE=y; do
	grep -qx "$must" .config || { echo "kconfig: $must is required" >&2; bad=1; }
done
[ $bad = 0 ] || exit 1
t0=$(date +%s)
"${kmake[@]}" -j"$(nproc)" vmlinux $image modules  # modules: Module.symvers for po_mod
echo "build: $(( $(date +%s) - t0 )) s" | tee "$work/build-time-$ver.txt"
