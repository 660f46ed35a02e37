#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Unpack the committed fixture sets for the tests: SRC/<kernel>/vmlinux.xz -> DST/<kernel>/vmlinux,
# SRC/<kernel>/<fixture>/captures.tar.xz -> DST/<kernel>/<fixture>/captures/, *.xz dumps
# decompressed, the other dumps linked. Skips what is already up to date.
#   unpack.sh SRC DST
set -euo pipefail
src=$(realpath "$1") dst=$(realpath -m "$2")
for set_dir in "$src"/*/; do
	[ -f "$set_dir/vmlinux.xz" ] || continue
	k=$(basename "$set_dir")
	mkdir -p "$dst/$k"
	stamp=$(cat "$set_dir/build-id")
	if [ "$(cat "$dst/$k/.vmlinux-build-id" 2>/dev/null)" != "$stamp" ]; then
		xz -dc "$set_dir/vmlinux.xz" > "$dst/$k/vmlinux.tmp" && mv "$dst/$k/vmlinux.tmp" "$dst/$k/vmlinux"
		echo "$stamp" > "$dst/$k/.vmlinux-build-id"
	fi
	for f in "$set_dir"*/manifest.json; do
		fdir=$(dirname "$f") name=$(basename "$(dirname "$f")")
		out=$dst/$k/$name
		mkdir -p "$out"
		ln -sfn "$dst/$k/vmlinux" "$out/vmlinux"
		ln -sfn "$fdir/console.log" "$out/console.log"
		ln -sfn "$fdir/manifest.json" "$out/manifest.json"
		for d in "$fdir"/vmcore.*; do
			case $d in
				*.xz) t=$out/$(basename "${d%.xz}")
				      [ "$t" -nt "$d" ] || { xz -dc "$d" > "$t.tmp" && mv "$t.tmp" "$t"; } ;;
				*) ln -sfn "$d" "$out/$(basename "$d")" ;;
			esac
		done
		stamp=$(sha256sum < "$fdir/captures.tar.xz")
		if [ "$(cat "$out/captures/.unpacked" 2>/dev/null)" != "$stamp" ]; then
			rm -rf "$out/captures"; mkdir -p "$out/captures"
			tar -xJf "$fdir/captures.tar.xz" -C "$out/captures"
			echo "$stamp" > "$out/captures/.unpacked"
		fi
	done
done
