#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The fuzzers, for ctest (fuzz/CMakeLists.txt):
#   run_fuzz.sh build SRC BUILD CC CXX     configure SRC with clang into BUILD, build the fuzzers
#   run_fuzz.sh run SRC BUILD TARGET SECONDS
#                                          run fuzz_TARGET for SECONDS on a scratch copy of
#                                          SRC/fuzz/corpus/TARGET; new inputs and crash
#                                          reproducers go to BUILD/fuzz-work/TARGET, never
#                                          into SRC. Fails on any crash, leak, UB or timeout.
set -euo pipefail
what=$1 src=$2 build=$3
case $what in
build)
	cc=$4 cxx=$5
	CC=$cc CXX=$cxx cmake -S "$src" -B "$build" -G Ninja -DPOWNER_FUZZ=ON \
		-DCMAKE_BUILD_TYPE=RelWithDebInfo >"$build.configure.log" 2>&1 ||
		{ cat "$build.configure.log"; exit 1; }
	cmake --build "$build" --target powner_fuzzers -j2
	;;
run)
	target=$4 seconds=$5
	work=$build/fuzz-work/$target
	rm -rf "$work" && mkdir -p "$work/corpus" "$work/artifacts"
	# UB aborts (-fno-sanitize-recover); leaks are reported at exit of each input.
	export ASAN_OPTIONS=abort_on_error=1:detect_leaks=1:symbolize=1
	export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
	export LSAN_OPTIONS=suppressions=$src/fuzz/lsan.supp:print_suppressions=0
	status=0
	"$build/fuzz/fuzz_$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
		-print_final_stats=1 -artifact_prefix="$work/artifacts/" \
		"$work/corpus" "$src/fuzz/corpus/$target" >"$work/log" 2>&1 || status=$?
	grep -E '^(stat::|#[0-9]+[[:space:]]+DONE)' "$work/log" || true
	if [ $status -ne 0 ] || grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error:' "$work/log"; then
		tail -n 60 "$work/log"
		echo "fuzz_$target failed (exit $status); reproducers in $work/artifacts/"
		exit 1
	fi
	echo "fuzz_$target: no crash, leak or UB in ${seconds}s"
	;;
*)
	echo "usage: $0 build SRC BUILD CC CXX | run SRC BUILD TARGET SECONDS" >&2
	exit 2
	;;
esac
