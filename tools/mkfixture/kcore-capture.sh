# SPDX-License-Identifier: GPL-2.0-or-later
# Sourced by mkfixture.sh --kcore once the kernel and the initramfs (with powner) are built:
# boot the guest, let po_capture run powner on /proc/kcore between two page_owner reads, check
# that they agree (tests/kcore/check_kcore.py), and keep the captures. A guest that was not
# quiet enough is run again.
kcore_attempt() {
	rm -rf "$out"; mkdir -p "$out"
	local t0; t0=$(date +%s)
	"$here/run-guest.sh" --topology "$topology" --mem "$mem" --dump none \
		"$src/arch/x86/boot/bzImage" "$g/initramfs.cpio.gz" "$out/raw" || return 1
	log "guest run: $(( $(date +%s) - t0 )) s"
	/usr/bin/python3 "$here/split-captures.py" --kcore "$out/raw/capture.shm" "$out/captures" || return 1
	/usr/bin/python3 "$top/tests/kcore/check_kcore.py" "$out/captures"
}
# The commit powner was built from; "-dirty" for changes outside the captures being remade.
powner_commit() {
	local c; c=$(git -C "$top" rev-parse --short HEAD)
	git -C "$top" diff --quiet HEAD -- . ':!tests/kcore' || c="$c-dirty"
	echo "$c"
}
for try in 1 2 3 4 5; do
	kcore_attempt && break
	[ $try = 5 ] && { log "no agreeing capture in 5 attempts"; exit 1; }
	log "attempt $try was not usable; again"
done
(cd "$out/captures" && tar --sort=name --mtime=@0 --owner=0 --group=0 -cf - *.txt) | xz -T0 -9 > "$out/captures.tar.xz"
cp "$out/raw/console.log" "$out/console.log"
python3 "$here/write-manifest.py" --kcore --out "$out" --kernel "$ver" --release "$kernel_release" \
	--vmlinux "$src/vmlinux" --source "$(cat "$src/.debian-package")" --patches "${patches:-}" \
	--config "$src/.config" --set "$top/tests/vmcores/$ver" \
	--topology "$topology" --mem "$mem" --dump none --workload "$here/guest/po_work.c" \
	--powner "$(powner_commit) ($("$kcore/cli/powner" --version))" \
	--command "$0 --kernel $ver ${patches:+--patches $patches }--topology $topology --mem $mem --kcore BUILD SETDIR $name"
rm -rf "$out/raw" "$out/captures"
log "done: $out"
