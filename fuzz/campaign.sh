#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A long fuzzing campaign, run by hand (ctest runs each fuzzer for seconds only): builds the
# fuzzers (clang, ASan + UBSan) and runs each for MINUTES, one after the other, then prints a
# table of what each did. Crash reproducers stay in BUILD/fuzz-work/TARGET/artifacts/; add each
# one fixed to fuzz/corpus/TARGET/ as regress-*.
#   fuzz/campaign.sh BUILD MINUTES [TARGET...]     (default: every target; BUILD: a scratch folder)
set -uo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
build=$1 minutes=$2
shift 2
targets=("$@")
[ ${#targets[@]} -gt 0 ] || read -ra targets <<<"stack_depot kallsyms nodelist page_owner kdump_file"
cc=$(command -v clang-14 || command -v clang) cxx=$(command -v clang++-14 || command -v clang++)
"$src/fuzz/run_fuzz.sh" build "$src" "$build" "$cc" "$cxx" >/dev/null || exit 1
printf '| target | minutes | inputs run | exec/s | coverage (edges) | corpus | result |\n'
printf '|---|---|---|---|---|---|---|\n'
failed=0
for t in "${targets[@]}"; do
	out=$("$src/fuzz/run_fuzz.sh" run "$src" "$build" "$t" $((minutes * 60)) 2>&1)
	status=$?
	stat() { sed -n "s/^stat::$1: *//p" <<<"$out" | tail -1; }
	done_line=$(grep -E '^#[0-9]+[[:space:]]+DONE' <<<"$out" | tail -1)
	cov=$(sed -nE 's/.* cov: ([0-9]+).*/\1/p' <<<"$done_line")
	corpus=$(sed -nE 's/.* corp: ([0-9]+\/[0-9a-zA-Z]+).*/\1/p' <<<"$done_line")
	result=ok
	if [ $status -ne 0 ]; then
		result="FAILED: $(find "$build/fuzz-work/$t/artifacts" -type f -printf '%f ' 2>/dev/null)"
		failed=1
		cp "$build/fuzz-work/$t/log" "$build/fuzz-work/$t.failed.log" 2>/dev/null
	fi
	printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$t" "$minutes" "$(stat number_of_executed_units)" \
		"$(stat average_exec_per_sec)" "${cov:-?}" "${corpus:-?}" "$result"
done
exit $failed
