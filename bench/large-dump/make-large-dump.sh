#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Make a large real dump for the benchmarks (not committed): a 7.3 page_owner guest with
# MEM of memory on two NUMA nodes, mostly allocated (order-0 anonymous memory, THP, tmpfs
# page cache from many processes), crashed into kdump, saved by makedumpfile -c -d 31 in
# the crash kernel as a distribution would.
#   make-large-dump.sh OUTDIR [MEM]        (MEM default 8G; the kernel tree from mkfixture)
#   env: WORK (default ~/.cache/powner/fixtures), FILL "anon,thp,tmpfs" MiB (default 50/10/10 %
#        of MEM: the crash kernel's reservation and the kernel need the rest)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
out=$(realpath -m "$1") mem=${2:-8G}
work=${WORK:-${XDG_CACHE_HOME:-$HOME/.cache}/powner/fixtures}
src=$work/7.3/linux-source-7.3
[ -f "$src/arch/x86/boot/bzImage" ] || "$top/tools/mkfixture/build-kernel.sh" 7.3 "$work/7.3"
mib=$(( $(numfmt --from=iec "$mem") / 1048576 ))
fill=${FILL:-$((mib * 50 / 100)),$((mib * 10 / 100)),$((mib * 10 / 100))}
mkdir -p "$out"; g=$out/guest; rm -rf "$g"; mkdir -p "$g"
gcc -O2 -static -Wall -o "$g/filler" "$here/filler.c"
mkdir -p "$g/gsrc" && cp "$here/init" "$top/tools/mkfixture/guest/init-kdump" "$g/gsrc/"
GUEST_BINS=filler GUEST_MODULE="" "$top/tools/mkfixture/mkinitramfs.sh" "$g" "$src/arch/x86/boot/bzImage" "$g/gsrc"
half=$(( mib / 2 ))M
t0=$(date +%s)
timeout "${TIMEOUT:-3600}" qemu-system-x86_64 -M q35 -accel tcg -cpu max,la57=off -m "$mem" -smp 2,sockets=2 \
	-object memory-backend-ram,id=m0,size=$half -object memory-backend-ram,id=m1,size=$half \
	-numa node,nodeid=0,memdev=m0,cpus=0 -numa node,nodeid=1,memdev=m1,cpus=1 \
	-kernel "$src/arch/x86/boot/bzImage" -initrd "$g/initramfs.cpio.gz" \
	-append "console=ttyS0 page_owner=on panic=-1 crashkernel=384M fill=$fill" \
	-device virtio-serial-pci,id=vs0 \
	-chardev "file,id=d31,path=$out/vmcore.d31.flat" -device virtserialport,bus=vs0.0,chardev=d31,name=vmcore.d31.flat \
	-device vmcoreinfo -display none -nodefaults -no-reboot -serial "file:$out/console.log"
makedumpfile -R "$out/vmcore.d31" < "$out/vmcore.d31.flat" >/dev/null && rm "$out/vmcore.d31.flat"
cp "$src/vmlinux" "$out/vmlinux"  # the kernel just booted (a rebuilt tree is not the fixtures')
grep -a "LARGE:" "$out/console.log" || true
echo "make-large-dump: $(( $(date +%s) - t0 )) s; $(ls -l "$out/vmcore.d31")"
