#!/bin/sh
# scripts/lab-wrong.sh - a lab's grader against its planted wrong solutions
# (for the instructor: students' trees leave every labs/*/wrong.sh out).
#
#   sh labs/NN-name/wrong.sh --list          the lab's planted bugs
#   sh labs/NN-name/wrong.sh BUILD NAME      check one of them
#
# Each labs/NN-name/wrong.sh sets LAB and BUGS, one bug a line,
#
#   NAME|what the mistake is|source file|sed script|test binary|tests
#
# (a sed script spells | as \x7c), optionally TIMEOUT, the seconds the
# test binary gets (default 120, as the grader gives it), and sources
# this file, which reads the command line with scripts/lab-bugs.sh.  The check plants the bug in a copy of the source file (the
# sed script), links tests/unit/BINARY.c with that copy (everything else
# from BUILD's libtrapvisor.a, whose own object for the file the linker
# then never needs), runs it, and passes when none of the named
# tests passes (each fails, or the binary died or hung before it
# finished: a wrong solution may loop for ever, and the grader counts a
# test without its OK line as failed) and every one of them is scored by
# one of the grader's unit checks of lab LAB (scripts/grade.sh): the
# wrong solution scores below 100, and the grader's message names the
# mistake's test.  Exit status 0 when the bug is caught, 1 when it is
# not, 2 on bad use.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
ME=$(basename "$(dirname "$0")")/wrong.sh
TIMEOUT=${TIMEOUT:-120}

. "$ROOT/scripts/lab-bugs.sh"
file=$(bug_field 3)
script=$(bug_field 4)
bin=$(bug_field 5)
must=$(bug_field 6)
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
[ -f "$BUILD/libtrapvisor.a" ] || {
	echo "$ME: $BUILD/libtrapvisor.a is not built (make BUILD=... all)" >&2; exit 2; }

T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
mkdir -p "$T/$(dirname "$file")"
sed "$script" "$ROOT/$file" >"$T/$file"
if cmp -s "$ROOT/$file" "$T/$file"; then
	echo "$NAME: the sed script no longer changes $file: update it"
	exit 1
fi
# The library's flags: a sanitizer build needs its run-time at link time.
san=""
nm "$BUILD/libtrapvisor.a" 2>/dev/null | grep -q __asan_ &&
	san="-fsanitize=address,undefined"
# The test's own files: BUILD's objects of them (make unit-bins compiles
# them once, from the same sources), else the sources, compiled here.
tests=""
for c in "tests/unit/$bin.c" $(cd "$ROOT" && echo tests/unit/support/*.c); do
	o=$BUILD/obj/${c%.c}.o
	if [ -n "$(find "$o" -newer "$ROOT/$c" 2>/dev/null)" ]; then
		tests="$tests $o"
	else
		tests="$tests $ROOT/$c"
	fi
done
# The copy's own folder first, for its #include "x.h" of its neighbours.
# shellcheck disable=SC2046,SC2086
if ! ${CC:-cc} -std=c11 -w -D_GNU_SOURCE $san \
	-iquote "$ROOT/$(dirname "$file")" -I"$ROOT" \
	$(pkg-config --cflags capstone 2>/dev/null) -o "$T/$bin" \
	$tests "$T/$file" "$BUILD/libtrapvisor.a" \
	$(pkg-config --libs capstone 2>/dev/null || echo -lcapstone) -lm \
	$(pkg-config --libs cmocka 2>/dev/null || echo -lcmocka) \
	>"$T/log" 2>&1; then
	echo "$NAME: the planted bug does not build:"; head -5 "$T/log"
	exit 1
fi
(cd "$T" && timeout "$TIMEOUT" "./$bin") >"$T/out" 2>&1
rc=$?
missed=""
for t in $must; do
	grep -q "^\[       OK \] $t\$" "$T/out" && missed="$missed $t"
done
if [ $rc = 0 ] || [ -n "$missed" ]; then
	echo "$NAME ($what): not caught; $bin status $rc, still passing:${missed:- none, but the binary says it passed}"
	exit 1
fi
# ...and the grader scores them: each is in one of lab LAB's unit checks,
# whose points a failed test takes.
unscored=""
for t in $must; do
	awk "/^lab$LAB\\(\\) \\{/, /^}/" "$ROOT/scripts/grade.sh" |
		grep -q "^[[:space:]]*unit [0-9]* $bin .*\\<$t\\>" ||
		unscored="$unscored $t"
done
if [ -n "$unscored" ]; then
	echo "$NAME ($what): caught by tests no check of lab $LAB in scripts/grade.sh scores:$unscored"
	exit 1
fi
# What the grader shows: the tests that failed, the first cmocka error
# of the first named test, or where the binary died or hung.
failed=$(grep '^\[  FAILED  \] test_' "$T/out" | sed 's/.*\] / /' | sort -u | tr -d '\n')
first=${must%% *}
msg=""
grep -q "^\[  FAILED  \] $first\$" "$T/out" &&
	msg=$(sed -n "/^\[ RUN      \] $first\$/,/^\[  FAILED  \]/p" "$T/out" |
		grep -v '^\[' | head -1 | cut -c1-120)
last=$(grep '^\[ RUN' "$T/out" | tail -1 | sed 's/.*\] //')
if [ $rc = 124 ]; then
	failed="$failed ($bin hung in $last: killed after $TIMEOUT s)"
elif [ -n "$last" ] && ! grep -q "^\[ *\(OK\|FAILED\) *\] $last\$" "$T/out"; then
	failed="$failed ($bin died in $last, status $rc)"
fi
echo "$NAME ($what): caught by$failed${msg:+; it says: $msg}"
