#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Install what powner needs to build and test, from Debian 12 (bookworm) only.
# Idempotent: packages already present are not fetched again.
#   scripts/install-deps.sh            build + test dependencies
#   scripts/install-deps.sh fixtures   also what the fixture generator needs (QEMU, kernel build)
set -euo pipefail
build_deps=(
	build-essential cmake ninja-build pkg-config git xz-utils zstd
	libkdumpfile-dev libdw-dev libelf-dev libbpf-dev
	libfmt-dev libcli11-dev libgtest-dev nlohmann-json3-dev
	python3 python3-drgn python3-libkdumpfile pybind11-dev python3-dev
	clang-format clang-tidy crash
	clang libclang-rt-14-dev
	debhelper dh-python dpkg-dev fakeroot lintian man-db
	chromium
)
fixture_deps=(
	qemu-system-x86 qemu-utils makedumpfile kexec-tools busybox-static cpio
	flex bison bc libssl-dev dwarves rsync kmod python3
	qemu-system-arm gcc-aarch64-linux-gnu
)
want=("${build_deps[@]}")
[ "${1:-}" = fixtures ] && want+=("${fixture_deps[@]}")
missing=()
for p in "${want[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
sudo_=""; [ "$(id -u)" -ne 0 ] && sudo_=sudo
echo "installing: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$sudo_ apt-get update -qq
$sudo_ apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
