#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Boot a fixture guest under QEMU (TCG) and collect what it sends over virtio-serial.
#   run-guest.sh --topology numa2|numa3-memless --mem SIZE --dump kdump|qemu|none
#                [--dumps d31,d23,elf] BZIMAGE INITRD OUTDIR
# env: LA57=1 boots a CPU with 5-level paging; CRASHKERNEL (default 128M) is the crash kernel's share;
# GUEST_ARCH=arm64: BZIMAGE is an arm64 Image, booted in qemu-system-aarch64's virt machine
# (GICv3, PL011 console, PCIe; NUMA from the device tree QEMU writes).
# --dump none: the capture is powner on /proc/kcore (the guest's fixture_kcore=1), no dump.
# OUTDIR gets console.log, capture.shm (the guest's captures, through ivshmem: nothing
# crosses the guest kernel between the reads and the dump), the dump streams
# (vmcore.*.flat) or vmcore.qemu.elf, and timings.txt.
set -euo pipefail
topology=numa2 mem=512M dump=kdump dumps=d31,d23 timeout=${TIMEOUT:-1800}
while [ $# -gt 3 ]; do
	case $1 in --topology) topology=$2 ;; --mem) mem=$2 ;; --dump) dump=$2 ;; --dumps) dumps=$2 ;; *) echo "bad option $1" >&2; exit 2 ;; esac
	shift 2
done
kernel=$1 initrd=$2 out=$3
mkdir -p "$out"
half=$(( $(numfmt --from=iec "$mem") / 2 / 1048576 ))M
# shellcheck disable=SC2054 # QEMU's own option syntax separates with commas
numa=(-object "memory-backend-ram,id=m0,size=$half" -object "memory-backend-ram,id=m1,size=$half"
      -numa node,nodeid=0,memdev=m0,cpus=0 -numa node,nodeid=1,memdev=m1,cpus=1)
case $topology in
	numa2) smp=2 ;;
	numa3-memless) smp=3; numa+=(-numa "node,nodeid=2,cpus=2") ;;  # a CPU, no memory
	*) echo "unknown topology $topology" >&2; exit 2 ;;
esac
ports=()
for p in vmcore.d31.flat vmcore.d23.flat vmcore.d31.elf.flat dmesg.txt; do
	ports+=(-chardev "file,id=c${#ports[@]},path=$out/$p" -device "virtserialport,bus=vs0.0,chardev=c${#ports[@]},name=$p")
done
console=ttyS0; [ "${GUEST_ARCH:-x86_64}" = arm64 ] && console=ttyAMA0
cmdline="console=$console page_owner=on panic=-1 numa_balancing=disable"
[ "$dump" = kdump ] && cmdline="$cmdline crashkernel=${CRASHKERNEL:-128M} fixture_kdump=1 fixture_dumps=$dumps"
[ "$dump" = none ] && cmdline="$cmdline fixture_kcore=1"
cpu=max,la57=off; [ -n "${LA57:-}" ] && cpu=max,la57=on
qemu=(qemu-system-x86_64 -M q35 -accel tcg -cpu "$cpu")
case ${GUEST_ARCH:-x86_64} in
	x86_64) ;;
	arm64) qemu=(qemu-system-aarch64 -M "virt,gic-version=3" -accel tcg -cpu max) ;;
	*) echo "unknown GUEST_ARCH $GUEST_ARCH" >&2; exit 2 ;;
esac
t0=$(date +%s.%N)
"${qemu[@]}" -m "$mem" \
	-smp $smp,sockets=$smp,cores=1,threads=1 "${numa[@]}" \
	-kernel "$kernel" -initrd "$initrd" -append "$cmdline" \
	-device vmcoreinfo -device virtio-serial-pci,id=vs0 "${ports[@]}" \
	-object memory-backend-file,id=shm,size=512M,mem-path="$out/capture.shm",share=on \
	-device ivshmem-plain,memdev=shm \
	-display none -nodefaults -no-reboot -serial "file:$out/console.log" \
	-qmp "unix:$out/qmp.sock,server=on,wait=off" > "$out/qemu.log" 2>&1 &
qpid=$!
elapsed() { echo "$(date +%s.%N) - $t0" | bc; }
rm -f "$out/capture.shm"
while [ "$(head -c 10 "$out/capture.shm" 2>/dev/null | tr -d '\0')" != POWNER-SHM ]; do
	kill -0 $qpid 2>/dev/null || { tail -30 "$out/console.log" >&2; echo "QEMU exited before the capture ended" >&2; exit 1; }
	(( $(echo "$(elapsed) > $timeout" | bc) )) && { kill $qpid; echo "timeout" >&2; exit 1; }
	sleep 0.5
done
printf 'boot to end of capture: %.1f s\n' "$(elapsed)" | tee "$out/timings.txt"
if [ "$dump" = none ]; then
	kill $qpid; wait $qpid || true
elif [ "$dump" = kdump ]; then
	wait $qpid || true
	grep -q FIXTURE-KDUMP-DONE "$out/console.log" || { echo "the crash kernel did not finish" >&2; exit 1; }
	printf 'boot to end of kdump: %.1f s\n' "$(elapsed)" | tee -a "$out/timings.txt"
else
	python3 - "$out/qmp.sock" "$out/vmcore.qemu.elf" <<'PY'
import json, socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); f = s.makefile("rwb", buffering=0)
def call(cmd, **args):
    f.write(json.dumps({"execute": cmd, "arguments": args} if args else {"execute": cmd}).encode() + b"\n")
    while True:
        m = json.loads(f.readline())
        if "return" in m or "error" in m:
            if "error" in m: sys.exit(f"QMP {cmd}: {m['error']}")
            return m
json.loads(f.readline()); call("qmp_capabilities"); call("stop")
call("dump-guest-memory", paging=False, protocol="file:" + sys.argv[2])
call("quit")
PY
	wait $qpid || true
	printf 'boot to end of QEMU dump: %.1f s\n' "$(elapsed)" | tee -a "$out/timings.txt"
fi
