#!/bin/bash
# The main job on a bundled dump: from a fresh Debian 12 machine, install what is needed,
# build powner, and read page_owner out of the 7.3 fixture's kdump (makedumpfile -d 31),
# then compare it with what the live kernel printed.
#   scripts/demo.sh [BUILD_DIR]
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top/build}
"$top/scripts/install-deps.sh"
cmake -S "$top" -B "$build" -G Ninja >/dev/null
cmake --build "$build" --target powner
"$top/tests/vmcores/unpack.sh" "$top/tests/vmcores" "$build/vmcores"
fx=$build/vmcores/7.3/numa2
out=$build/demo
mkdir -p "$out"
set -x
time "$build/cli/powner" -c "$fx/vmcore.d31" -s "$fx/vmlinux" -o "$out/page_owner.txt"
"$build/cli/powner" -c "$fx/vmcore.d31" -s "$fx/vmlinux" -m handle -n 1 | head -12
"$build/cli/powner" -c "$fx/vmcore.d31" -s "$fx/vmlinux" --stacks stacks --threshold 1000
{ set +x; } 2>/dev/null
if cmp -s "$out/page_owner.txt" "$fx/captures/page_owner.txt"; then
	echo "demo: $out/page_owner.txt ($(grep -c '^Page allocated' "$out/page_owner.txt") records) is byte-identical to the live kernel's /sys/kernel/debug/page_owner"
else
	echo "demo: $out/page_owner.txt differs from the live capture $fx/captures/page_owner.txt" >&2
	exit 1
fi
