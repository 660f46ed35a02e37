#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The house rules (CONTRIBUTING.md), one check at a time, on the files git tracks:
#   check_style.sh SRC clang-format          C and C++ as .clang-format says (guest programs,
#                                            which are built for the fixture guests, and the
#                                            kernel's page_owner_sort.c, vendored, excepted)
#   check_style.sh SRC clang-tidy BUILD      .clang-tidy's checks on the engine, readers and
#                                            hosts in BUILD's compile database
#   check_style.sh SRC shellcheck            scripts/, tools/, fuzz/ and tests/ shell scripts
#   check_style.sh SRC ruff                  the Python, as ruff.toml says (scripts/ruff)
#   check_style.sh SRC layout                the layering and size rules of CONTRIBUTING.md
# Prints each finding and fails on any.
set -euo pipefail
src=$1 check=$2
cd "$src"
src=$(pwd)
guest='^(tools/mkfixture/guest|bench/large-dump|kernel)/|^tests/sort/page_owner_sort\.c$'
case $check in
clang-format)
	git ls-files '*.cc' '*.h' '*.c' | grep -vE "$guest" | xargs clang-format --dry-run -Werror
	;;
clang-tidy)
	build=$3
	# The product's sources that the database compiles: the engine, readers and hosts (the
	# tests, fuzz targets and benchmarks are left out: their macros cost minutes, not bugs).
	mapfile -t files < <(python3 -c '
import json, sys
for e in json.load(open(sys.argv[1] + "/compile_commands.json")):
    print(e["file"])' "$build" | sort -u | grep -E "^$src/(core|cli|extensions|plugin)/" |
		grep -v "^$src/core/tests/")
	# clang's static analyzer (half the time) runs on the code that parses the dump: the engine
	# and its readers. The triage tables, hosts and CLI get every other check.
	tidy() { xargs -P "$(nproc)" -n 4 clang-tidy -p "$build" --quiet --warnings-as-errors='bugprone-*' "$@"; }
	engine="^$src/core/([^/]+|readers/[^/]+)\.cc$"
	findings=$({
		printf '%s\n' "${files[@]}" | grep -E "$engine" | tidy
		printf '%s\n' "${files[@]}" | grep -vE "$engine" | tidy --checks='-clang-analyzer-*'
	} 2>/dev/null | grep -E 'warning:|error:' -A3 || true)
	if [ -n "$findings" ]; then
		echo "$findings"
		echo "clang-tidy: findings above"
		exit 1
	fi
	echo "clang-tidy: ${#files[@]} files, no finding"
	;;
shellcheck)
	mapfile -t scripts < <(git ls-files 'scripts/*' 'tools/*.sh' 'fuzz/*.sh' 'tests/*.sh' |
		xargs grep -lE '^#!/bin/(ba)?sh' 2>/dev/null | grep -vE "$guest" || true)
	shellcheck -x "${scripts[@]}"
	echo "shellcheck: ${#scripts[@]} scripts, no finding"
	;;
ruff)
	git ls-files '*.py' | xargs "$src/scripts/ruff" check --no-cache --output-format concise
	;;
layout)
	bad=0
	# The engine knows nothing of readers and hosts.
	if git grep -nE '#include "powner/(readers|host)/' -- 'core/*.cc' 'core/include/powner/*.h' \
		':!core/readers' ':!core/host' ':!core/tests' ':!core/include/powner/readers' \
		':!core/include/powner/host'; then
		echo "layout: core/ includes a reader or host header (above)"
		bad=1
	fi
	# Hosts, tools and tests see the engine through its public headers only.
	private=$(git ls-files 'core/*.h' ':!core/include' ':!core/tests' | xargs -n1 basename)
	for h in $private; do
		if git grep -nF "#include \"$h\"" -- ':!core'; then
			echo "layout: $h is private to core/ (above)"
			bad=1
		fi
	done
	while read -r lines file; do
		if [ "$file" != total ] && [ "$lines" -gt 700 ]; then
			echo "layout: $file has $lines lines (at most 700)"
			bad=1
		fi
	done < <(git ls-files 'core/*.cc' 'core/*.h' ':!core/tests' | xargs wc -l)
	[ $bad = 0 ] && echo "layout: no finding"
	exit $bad
	;;
*)
	echo "usage: $0 SRC clang-format|clang-tidy BUILD|shellcheck|ruff|layout" >&2
	exit 2
	;;
esac
