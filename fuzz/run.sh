#!/bin/sh
# fuzz/run.sh - run libFuzzer targets for a bounded time each.
#
#   sh fuzz/run.sh BUILD SECONDS [TARGET...]
#
# TARGET is a name of fuzz/TARGET.c (all of them by default); its binary
# is BUILD/fuzz/fuzz_TARGET (make fuzz-bins).  Each target runs alone for
# SECONDS, starting from its seed corpus fuzz/corpus/TARGET and the inputs
# that once failed, fuzz/regress/TARGET; new interesting inputs go to
# BUILD/fuzz/work/TARGET, never into the tree.  A crash, a sanitizer
# report, a leak or an input that runs longer than 10 seconds is a finding:
# libFuzzer writes it to BUILD/fuzz/found/TARGET/ and this script fails.
# One line per target tells the executions made.
set -u
BUILD=${1:?usage: fuzz/run.sh BUILD SECONDS [TARGET...]}
SECS=${2:?usage: fuzz/run.sh BUILD SECONDS [TARGET...]}
shift 2
HERE=$(dirname "$0")
TARGETS=${*:-$(for f in "$HERE"/*.c; do basename "$f" .c; done)}
failed=""

for t in $TARGETS; do
	bin=$BUILD/fuzz/fuzz_$t
	if [ ! -x "$bin" ]; then
		echo "fuzz/$t: no $bin (make fuzz-bins)"
		failed="$failed $t"
		continue
	fi
	work=$BUILD/fuzz/work/$t found=$BUILD/fuzz/found/$t
	mkdir -p "$work" "$found"
	log=$BUILD/fuzz/$t.log
	seeds="$HERE/corpus/$t"
	[ -d "$HERE/regress/$t" ] && seeds="$seeds $HERE/regress/$t"
	# -close_fd_mask=3: the monitor's one line per stopped guest would
	# flood the log; sanitizer reports still come through.
	# shellcheck disable=SC2086
	"$bin" -max_total_time="$SECS" -timeout=10 -rss_limit_mb=2048 \
		-close_fd_mask=3 -print_final_stats=1 \
		-artifact_prefix="$found/" "$work" $seeds >"$log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1)
	if [ $rc = 0 ]; then
		echo "fuzz/$t: ${execs:-?} executions in ${SECS}s, $cov, no finding"
	else
		echo "fuzz/$t: FOUND a failure after ${execs:-?} executions (exit $rc):"
		grep -E "ERROR|runtime error|SUMMARY|Test unit written" "$log" |
			head -5 | sed 's/^/    /'
		echo "    replay: $bin FILE; once fixed, copy FILE to fuzz/regress/$t/"
		failed="$failed $t"
	fi
done
[ -z "$failed" ] || { echo "fuzz: findings in:$failed"; exit 1; }
