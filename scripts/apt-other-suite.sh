#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Run apt-get against a newer Debian suite without touching the system's apt
# configuration: a private state folder, its own sources file, download/source only.
#   scripts/apt-other-suite.sh SUITE download PKG...   (SUITE: trixie, sid, experimental,
#   scripts/apt-other-suite.sh SUITE source PKG...       bookworm, bullseye)
# env POWNER_APT_ARCH=arm64: another architecture's binary packages (download only; its own
# state folder, no dpkg status: the system's installed packages play no part).
# Files land in the current directory. Nothing is ever installed.
set -euo pipefail
suite=$1; shift
case "$1" in download|source) ;; *) echo "only 'download' and 'source' are allowed" >&2; exit 2;; esac
arch=${POWNER_APT_ARCH:-}
root=${POWNER_APT_ROOT:-${XDG_CACHE_HOME:-$HOME/.cache}/powner/apt-$suite${arch:+-$arch}}
mkdir -p "$root/lists/partial" "$root/cache/archives/partial"
mirror=$(sed -n 's/^URIs: *//p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -1)
mirror=${mirror:-http://deb.debian.org/debian}
if [ -z "$arch" ]; then
	cat > "$root/sources.list" <<SRC
deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror $suite main
deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror $suite main
SRC
else
	[ "$1" = download ] || { echo "POWNER_APT_ARCH: only 'download'" >&2; exit 2; }
	echo "deb [arch=$arch signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror $suite main" > "$root/sources.list"
fi
status=/var/lib/dpkg/status; [ -z "$arch" ] || status=/dev/null
opts=(-o Dir::Etc::SourceList="$root/sources.list" -o Dir::Etc::SourceParts=/dev/null
      -o Dir::State::Lists="$root/lists" -o Dir::Cache="$root/cache"
      -o Dir::State::Status="$status" -o APT::Get::AllowUnauthenticated=false)
[ -z "$arch" ] || opts+=(-o APT::Architecture="$arch" -o APT::Architectures::="$arch")
if [ ! -e "$root/lists/.updated" ] || [ -n "$(find "$root/lists/.updated" -mmin +1440)" ]; then
	apt-get "${opts[@]}" update -qq
	touch "$root/lists/.updated"
fi
apt-get "${opts[@]}" "$@"
