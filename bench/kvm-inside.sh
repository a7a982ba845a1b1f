#!/bin/sh
# bench/kvm-inside.sh - the benchmarks under --engine=kvm, run inside the
# nested machine of tests/kvm/nested.sh (AMD SVM as QEMU's TCG models it),
# for the kvm column of bench/run.sh on a host without usable /dev/kvm.
#
#   KVM_NESTED_SCRIPT=bench/kvm-inside.sh sh tests/kvm/nested.sh BUILD
#
# nested.sh calls it as "kvm-inside.sh BUILD RESULTS-DIR".  It reads the
# benchmark list, iterations and repetitions from BUILD/bench/nested.conf
# (written by bench/run.sh) and writes RESULTS-DIR/bench.txt, one line per
# run: "kvm-nested NAME ITERS CYCLES", and RESULTS-DIR/NAME.stats, the
# --stats of the last run (its exit counts are the truthful part).  The
# device workloads (DEVICES: apictimer, and ide, whose disk run.sh makes as
# BUILD/bench/disk.img) add each run's exits and monitor time:
# RESULTS-DIR/devices.txt, one line per run:
# "kvm-nested NAME ITERS CYCLES EXITS MONITOR_US".  The answers' loops
# (ANSWERS, ANSWER_ITERS iterations each, on the images of ANSWER_RUNS,
# "ANSWER:IMAGE" each) go to
# RESULTS-DIR/answers.txt as bench/answer.awk prints them, with their
# --stats in RESULTS-DIR/answers/.
set -u
BUILD=$1; RES=$2
rm -rf "$RES"; mkdir -p "$RES"; : >"$RES/bench.txt"; : >"$RES/devices.txt"
: >"$RES/answers.txt"
DEVICES=""; ANSWERS=""; ANSWER_RUNS=""; ANSWER_ITERS=0
# shellcheck disable=SC1091
. "$BUILD/bench/nested.conf" # BENCHES, DEVICES, REPS, and ITERS_<name>
# The exits of booting and printing alone: "call 1" makes no other.
"$BUILD/trapvisor" --engine=kvm --stats "$BUILD/guests/bench.elf" -- call 1 \
	</dev/null >/dev/null 2>"$RES/baseline.stats"
for b in $BENCHES; do
	eval "n=\${ITERS_$b}"
	r=0
	while [ $r -lt "$REPS" ]; do
		r=$((r + 1))
		timeout 300 "$BUILD/trapvisor" --engine=kvm --stats \
			"$BUILD/guests/bench.elf" -- "$b" "$n" </dev/null \
			>"$RES/out" 2>"$RES/$b.stats"
		awk -v e=kvm-nested '$1 == "bench" {
			split($2, a, "="); split($3, i, "="); split($4, c, "=")
			print e, a[2], i[2], c[2] }' "$RES/out" >>"$RES/bench.txt"
	done
done
for b in $DEVICES; do
	eval "n=\${ITERS_$b}"
	d=""; [ "$b" = ide ] && d=--disk=$BUILD/bench/disk.img
	r=0
	while [ $r -lt "$REPS" ]; do
		r=$((r + 1))
		# shellcheck disable=SC2086
		timeout 300 "$BUILD/trapvisor" --engine=kvm --stats $d \
			"$BUILD/guests/bench.elf" -- "$b" "$n" </dev/null \
			>"$RES/out" 2>"$RES/$b.stats"
		t=$(awk '/^total/ { print $2, $3; exit }' "$RES/$b.stats")
		awk -v e=kvm-nested -v t="$t" '$1 == "bench" {
			split($2, a, "="); split($3, i, "="); split($4, c, "=")
			print e, a[2], i[2], c[2], t }' "$RES/out" >>"$RES/devices.txt"
	done
done
# The answers' loops: each image's baseline, then every loop REPS times.
mkdir -p "$RES/answers"
for run in $ANSWER_RUNS; do
	[ -n "$ANSWERS" ] || break
	answer=${run%%:*}; img=${run#*:}
	st=$RES/answers/$answer
	mkdir -p "$st"
	"$BUILD/trapvisor" --engine=kvm --stats "$BUILD/guests/$img" -- call 1 \
		</dev/null >/dev/null 2>"$st/baseline.stats"
	base=$(awk '/^total/ { print $2; exit }' "$st/baseline.stats")
	for b in $ANSWERS; do
		n=$ANSWER_ITERS; r=0
		while [ $r -lt "$REPS" ]; do
			r=$((r + 1))
			timeout 300 "$BUILD/trapvisor" --engine=kvm --stats \
				"$BUILD/guests/$img" -- "$b" "$n" </dev/null \
				>"$RES/out" 2>"$st/$b.stats"
			awk -v answer="$answer" -v engine=kvm-nested \
				-v base="$base" -v stats="$st/$b.stats" \
				-f "$(dirname "$0")/answer.awk" "$RES/out" \
				>>"$RES/answers.txt"
		done
	done
done
rm -f "$RES/out"
echo done >"$RES/finished"
exit 0
