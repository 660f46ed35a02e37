#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The main job on a bundled dump: from a fresh Debian 12 machine, install what is needed,
# build powner, read page_owner out of the real Linux 7.3 kdumps in tests/vmcores/7.3/numa2,
# and compare with what that kernel printed live.
#   scripts/demo.sh [BUILD_DIR]
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top/build}
"$top/scripts/install-deps.sh"
cmake -S "$top" -B "$build" -G Ninja >/dev/null
cmake --build "$build" --target powner
"$top/tests/vmcores/unpack.sh" "$top/tests/vmcores" "$build/vmcores"
fx=$build/vmcores/7.3/numa2
live=$fx/captures/page_owner.txt
out=$build/demo
mkdir -p "$out"
powner=$build/cli/powner
records() { grep -c '^Page allocated' "$1"; }
step() { printf '\n$ %s\n' "$*"; "$@"; }

# The dump a distribution's kdump saves: makedumpfile -c -d 31.
step "$powner" -c "$fx/vmcore.d31" -s "$fx/vmlinux" -o "$out/page_owner.d31.txt"
# -d 23 keeps the pages 7.3's -d 31 wrongly drops: the whole file comes back.
step "$powner" -c "$fx/vmcore.d23" -s "$fx/vmlinux" -o "$out/page_owner.d23.txt"
printf '\n$ %s | head -12\n' "$powner -c $fx/vmcore.d31 -s $fx/vmlinux -m handle -n 1"
"$powner" -c "$fx/vmcore.d31" -s "$fx/vmlinux" -m handle -n 1 | head -12 || true
step "$powner" -c "$fx/vmcore.d31" -s "$fx/vmlinux" --stacks stacks --threshold 2000

echo
echo "live /sys/kernel/debug/page_owner: $(records "$live") records"
echo "from vmcore.d31: $(records "$out/page_owner.d31.txt") records (the rest reported as skipped above)"
if cmp -s "$out/page_owner.d23.txt" "$live"; then
	echo "from vmcore.d23: $(records "$out/page_owner.d23.txt") records, byte-identical to the live kernel's output"
else
	echo "demo: $out/page_owner.d23.txt differs from the live capture $live" >&2
	exit 1
fi
