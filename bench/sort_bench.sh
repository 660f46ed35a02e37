#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# powner sort against the kernel's page_owner_sort (tests/sort), on one page_owner file:
#   bench/sort_bench.sh BUILD FILE [RUNS]
# For each option set, both tools RUNS times (default 5) writing to a file beside FILE's copy
# in /tmp; prints the best wall and user seconds of each and checks the outputs are identical.
set -euo pipefail
build=$1 file=$2 runs=${3:-5}
powner=$build/cli/powner
reference=$build/tests/sort/page_owner_sort
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# best wall and user seconds of RUNS runs of a command, as "wall user"
best() {
	local i wall user best_wall=999999 best_user=999999
	for ((i = 0; i < runs; i++)); do
		/usr/bin/time -o "$work/time" -f "%e %U" "$@" >/dev/null 2>&1
		read -r wall user <"$work/time"
		best_wall=$(awk -v a="$best_wall" -v b="$wall" 'BEGIN { print (b < a) ? b : a }')
		best_user=$(awk -v a="$best_user" -v b="$user" 'BEGIN { print (b < a) ? b : a }')
	done
	echo "$best_wall $best_user"
}

printf '%s: %s bytes, %s blocks\n' "$file" "$(stat -c %s "$file")" \
	"$(grep -c '^Page allocated' "$file")"
printf '%-28s %22s %22s %12s\n' options "page_owner_sort wall/user" "powner sort wall/user" \
	"ratio (wall)"
for opts in "" "--sort -pid,at" "--cull pid,name" "--cull stacktrace" "-m --cull st,ator" "-a"; do
	# shellcheck disable=SC2086 # the option set is split into its words on purpose
	read -r rw ru <<<"$(best "$reference" $opts "$file" "$work/reference.out")"
	# shellcheck disable=SC2086
	read -r pw pu <<<"$(best "$powner" sort $opts "$file" "$work/powner.out")"
	cmp -s "$work/reference.out" "$work/powner.out" || { echo "outputs differ: $opts"; exit 1; }
	printf '%-28s %22s %22s %12s\n' "${opts:-(none)}" "$rw / $ru" "$pw / $pu" \
		"$(awk -v a="$rw" -v b="$pw" 'BEGIN { printf "%.1fx", a / b }')"
done
