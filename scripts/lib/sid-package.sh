# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# A Debian sid package run on this Debian 12 machine without installing anything: the package
# and the closure of the libraries it depends on are unpacked into a private prefix, and its
# programs run through sid's own dynamic loader (sid's glibc is newer than bookworm's).
# Sourced by scripts/crash and scripts/ruff; needs $top (the source tree) and a say() function.
#   sid_install PACKAGE PREFIX      unpack PACKAGE and its libraries into PREFIX, once
#   sid_command PREFIX PROGRAM      set the array sid_cmd to the command line that runs it
sid_suite=sid

# Library packages a .deb depends on (tools such as binutils come from the system).
sid_lib_depends() {
	dpkg-deb -f "$1" Depends Pre-Depends | tr ',' '\n' |
		sed 's/|.*//; s/(.*)//; s/:any//; s/[[:space:]]//g' | grep -E '^(lib|gcc-[0-9]+-base$)' || true
}

sid_download() { # DIR PACKAGE...
	local dir=$1
	shift
	# shellcheck disable=SC2154 # $top is the caller's
	(cd "$dir" && "$top/scripts/apt-other-suite.sh" $sid_suite download "$@" \
		>/dev/null 2>"$dir/apt.log") || {
		cat "$dir/apt.log" >&2
		say "cannot download $* from Debian $sid_suite"
		return 1
	}
}

sid_install() { # PACKAGE PREFIX
	local package=$1 prefix=$2 work pkg deb seen want next
	[ -e "$prefix/.installed" ] && return 0
	mkdir -p "$(dirname "$prefix")"
	exec 9>"$prefix.lock"
	flock 9
	[ -e "$prefix/.installed" ] && return 0
	say "installing Debian $sid_suite's $package into $prefix (first use)"
	work=$(mktemp -d)
	# shellcheck disable=SC2064 # the folder is known now
	trap "rm -rf '$work'" RETURN
	sid_download "$work" "$package"
	seen=" $package "
	want=$(sid_lib_depends "$work/${package}"_*.deb)
	while :; do
		next=""
		for pkg in $want; do
			case "$seen" in *" $pkg "*) continue ;; esac
			seen+="$pkg "
			next+="$pkg "
		done
		[ -z "$next" ] && break
		# shellcheck disable=SC2086
		sid_download "$work" $next
		want=""
		for pkg in $next; do
			for deb in "$work/${pkg}"_*.deb; do want+=" $(sid_lib_depends "$deb")"; done
		done
	done
	rm -rf "$prefix.new"
	mkdir -p "$prefix.new"
	for deb in "$work"/*.deb; do dpkg-deb -x "$deb" "$prefix.new"; done
	dpkg-deb -f "$work/${package}"_*.deb Version >"$prefix.new/.installed"
	rm -rf "$prefix"
	mv "$prefix.new" "$prefix"
	exec 9>&-
}

sid_command() { # PREFIX PROGRAM
	local prefix=$1 program=$2 multiarch libdir loader="" f
	multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || gcc -print-multiarch)
	libdir=$prefix/usr/lib/$multiarch
	for f in "$libdir"/ld-linux*.so.*; do [ -e "$f" ] && loader=$f && break; done
	[ -n "$loader" ] || {
		say "no dynamic loader in $libdir"
		return 1
	}
	# Only the program itself runs on sid's libraries: what it starts uses the system's.
	# shellcheck disable=SC2034 # read by the caller
	sid_cmd=("$loader" --library-path "$libdir" "$prefix/usr/bin/$program")
}
