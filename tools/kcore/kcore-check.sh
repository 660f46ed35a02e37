#!/bin/bash
# Run powner on a live kernel's /proc/kcore inside a QEMU guest and read page_owner right after,
# then say how the two outputs differ and whose pages differ (run by hand; a first step towards
# the in-guest fixture capture, see README.md here).
#   kcore-check.sh BUILD_DIR BZIMAGE [OUTDIR]     (BZIMAGE: a page_owner kernel, e.g. mkfixture's)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(realpath "$1") bzimage=$(realpath "$2") out=$(realpath -m "${3:-/tmp/powner-kcore}")
rm -rf "$out"; mkdir -p "$out/root"/{bin,proc,sys,dev,tmp}
r=$out/root
cp /bin/busybox "$r/bin/"; ln -s busybox "$r/bin/sh"
cp "$build/cli/powner" "$r/bin/powner"
for l in $(ldd "$build/cli/powner" | grep -o '/[^ ]*'); do
	mkdir -p "$r$(dirname "$l")"; cp -L "$l" "$r$l"
done
cat > "$r/init" <<'INIT'
#!/bin/sh
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc; mount -t sysfs sysfs /sys; mount -t devtmpfs devtmpfs /dev
mount -t debugfs debugfs /sys/kernel/debug; mount -t tmpfs tmpfs /tmp
# Twice first, so that powner's own file pages are already active when it runs for real.
/bin/powner -o /dev/null 2>/dev/null; /bin/powner -o /dev/null 2>/dev/null
/bin/powner -o /tmp/kcore.txt 2>/tmp/kcore.err; echo $? > /tmp/kcore.rc
cat /sys/kernel/debug/page_owner > /tmp/live.txt
cd /tmp && tar cf - kcore.txt kcore.err kcore.rc live.txt > /dev/vport0p1
poweroff -f
INIT
chmod +x "$r/init"
(cd "$r" && find . | cpio -o -H newc --quiet | gzip -1) > "$out/initrd.gz"
timeout 600 qemu-system-x86_64 -M q35 -accel tcg -cpu max,la57=off -m 1G -smp 2 \
	-kernel "$bzimage" -initrd "$out/initrd.gz" \
	-append "console=ttyS0 page_owner=on panic=-1 quiet" -display none -nodefaults -no-reboot \
	-serial "file:$out/console.log" -device virtio-serial-pci,id=vs0 \
	-chardev "file,id=out,path=$out/out.tar" -device virtserialport,bus=vs0.0,chardev=out,name=out
tar xf "$out/out.tar" -C "$out"
echo "powner on /proc/kcore: exit $(cat "$out/kcore.rc") $(tr '\r' '\n' < "$out/kcore.err" | tail -1)"
/usr/bin/python3 "$here/compare.py" "$out/kcore.txt" "$out/live.txt"
