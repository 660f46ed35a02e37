#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The Debian packages as a support engineer gets them: built from a clean copy of the tree
# (what git tracks, without the fixture dumps), lintian-clean, installed, used (the command, its
# manual page, the drgn plugin, crash loading the extension by its bare name and printing a
# fixture's page_owner files as the live kernel did), and removed.
#   check_packages.sh SRC FIXTURE_DIR DUMP CRASH...
# Needs root (dpkg -i); the packages' build dependencies come from scripts/install-deps.sh.
set -euo pipefail
src=$1 fixture=$2 dump=$3
shift 3
packages=(powner powner-crash python3-powner)
work=$(mktemp -d /tmp/powner-packages.XXXXXX)
cleanup() {
	dpkg -r "${packages[@]}" >/dev/null 2>&1 || true
	rm -rf "$work"
}
trap cleanup EXIT

mkdir "$work/powner"
git -C "$src" ls-files -co --exclude-standard -z ':!tests/vmcores' |
	tar -C "$src" --null -T - -cf - | tar -C "$work/powner" -xf -
if ! (cd "$work/powner" && dpkg-buildpackage -b -us -uc -jauto) >"$work/build.log" 2>&1; then
	tail -30 "$work/build.log"
	echo "FAIL: dpkg-buildpackage"
	exit 1
fi
echo "ok   built: $(cd "$work" && echo ./*.deb)"

# Tags at error and warning level fail; info and pedantic ones are shown.
if ! lintian --fail-on error,warning --info "$work"/*.changes; then
	echo "FAIL: lintian"
	exit 1
fi
echo "ok   lintian"

debs=()
for p in "${packages[@]}"; do debs+=("$work/${p}_"*.deb); done
dpkg -i "${debs[@]}" >/dev/null
echo "ok   installed: ${packages[*]}"

cd "$work" # nothing of the tree on the way: the installed copies only
/usr/bin/powner --version
man -w powner
env -u PYTHONPATH /usr/bin/python3 -c 'import powner.drgn, powner._engine; print("ok   import powner.drgn:", powner.drgn.__file__)'

# crash: "extend powner.so" by its bare name, found in crash's own extension folder (nothing
# else on its search path: this folder, $CRASH_EXTENSIONS, /usr/lib64/crash/extensions).
unset CRASH_EXTENSIONS
if [ -e /usr/lib64/crash/extensions/powner.so ]; then
	echo "FAIL: /usr/lib64/crash/extensions/powner.so would be loaded before the package's"
	exit 1
fi
python3 "$src/tests/crash/check_crash_parity.py" "$fixture" "$dump" powner.so -- "$@"
