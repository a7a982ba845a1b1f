#!/bin/sh
# bench/run.sh - every benchmark on every engine, side by side (make bench).
#
#   sh bench/run.sh BUILD [OUTDIR]
#
# Runs the bench guest (guests/bench) on each trapvisor engine that works
# on this machine, on QEMU's software emulation (TCG) as a peer, on KVM
# (directly where /dev/kvm gives hardware assist, else inside the nested
# machine of tests/kvm/nested.sh, marked as such), and the host's own
# equivalents (bench/host/hostbench.c).  Each run is repeated REPS times
# and the median kept.  Writes, in OUTDIR (default bench/):
#
#   results.csv   one row per benchmark and engine
#   results.md    the table, in the shape of Adams and Agesen's
#   chart.svg     grouped bars on a log scale
#   RESULTS.md    the machine, the commands, the table, the target
#                 figures met or not, and what the numbers mean
#
# Environment: BENCH_REPS (5), BENCH_SCALE (1: multiplies every iteration
# count), BENCH_NESTED (1: 0 skips the nested-KVM run), BENCH_ONLY (a list
# of benchmark names), BENCH_COLUMNS (a list among host softcpu native
# qemu kvm; all by default).  Needs only sh and awk; timings are never asserted.
set -u
BUILD=${1:-build}
OUT=${2:-bench}
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/.." && pwd)
REPS=${BENCH_REPS:-5}
SCALE=${BENCH_SCALE:-1}
TV=$BUILD/trapvisor
IMG=$BUILD/guests/bench.elf
HOSTB=$BUILD/bench/hostbench
RAW=$BUILD/bench/raw.txt        # "ENGINE NAME ITERS CYCLES" per run
IPS=$BUILD/bench/ips.txt        # softcpu's --stats on compute, per run
LOG=$BUILD/bench/log.txt
BENCHES=${BENCH_ONLY:-"syscall in cr8 call pagefault divzero ptemod forkwait cpuid cli compute"}
mkdir -p "$BUILD/bench" "$OUT"
: >"$RAW"; : >"$IPS"; : >"$LOG"; rm -rf "$BUILD/bench/stats"

# Iterations of each benchmark: enough for a steady figure on the slowest
# engine that runs it (native and nested KVM take 10-500 us per trap).
iters() {
	case $1 in
	call) n=10000000 ;;
	compute) n=200 ;;
	forkwait) n=500 ;;
	*) n=5000 ;;
	esac
	echo $((n * SCALE))
}

# "bench name=N iters=I cycles_per_iter=C" lines -> "ENGINE N I C".
collect() { # ENGINE
	awk -v e="$1" '$1 == "bench" {
		split($2, a, "="); split($3, i, "="); split($4, c, "=")
		print e, a[2], i[2], c[2] }' >>"$RAW"
}

say() { echo "bench: $*"; echo "$*" >>"$LOG"; }

# One engine of trapvisor, every benchmark, REPS times.
run_trapvisor() { # COLUMN ENGINE-ARGS...
	col=$1; shift
	say "$col: $TV $* $IMG -- NAME ITERS"
	# The exits of booting and printing alone: "call 1" makes no other.
	mkdir -p "$BUILD/bench/stats/$col"
	"$TV" "$@" --stats "$IMG" -- call 1 </dev/null >/dev/null \
		2>"$BUILD/bench/stats/$col/baseline.stats"
	for b in $BENCHES; do
		n=$(iters "$b"); r=0
		while [ $r -lt "$REPS" ]; do
			r=$((r + 1))
			timeout 600 "$TV" "$@" --stats "$IMG" -- "$b" "$n" \
				</dev/null >"$BUILD/bench/out" 2>"$BUILD/bench/err" ||
				{ say "$col $b failed: $(tail -1 "$BUILD/bench/err")"; break; }
			collect "$col" <"$BUILD/bench/out"
			cp "$BUILD/bench/err" "$BUILD/bench/stats/$col/$b.stats"
			[ "$b" = compute ] && awk -v e="$col" '/million guest instructions per second/ {
				print e, $2 }' "$BUILD/bench/err" >>"$IPS"
		done
	done
}

run_qemu() {
	say "qemu-tcg: qemu-system-x86_64 -accel tcg -cpu qemu64 -m 64 -display none -serial stdio -monitor none -no-reboot -device isa-debug-exit,iobase=0xf4,iosize=0x4 -kernel $IMG -append 'NAME ITERS'"
	for b in $BENCHES; do
		n=$(iters "$b"); r=0
		while [ $r -lt "$REPS" ]; do
			r=$((r + 1))
			timeout 600 qemu-system-x86_64 -accel tcg -cpu qemu64 -m 64 \
				-display none -serial stdio -monitor none -no-reboot \
				-device isa-debug-exit,iobase=0xf4,iosize=0x4 \
				-kernel "$IMG" -append "$b $n" </dev/null |
				collect qemu-tcg
		done
	done
}

# The host's equivalents, and the bare signal and ptrace round trips.
run_host() {
	say "host: $HOSTB NAME ITERS"
	for b in $BENCHES signal ptrace; do
		case $b in
		call|syscall|divzero|forkwait|cpuid|compute) n=$(iters "$b") ;;
		pagefault) n=$((20000 * SCALE)) ;;
		signal|ptrace) n=$((5000 * SCALE)) ;;
		*) continue ;;
		esac
		r=0
		while [ $r -lt "$REPS" ]; do
			r=$((r + 1))
			"$HOSTB" "$b" "$n" | collect host
		done
	done
}

# KVM: hardware assist here, or the nested machine (marked kvm-nested).
run_kvm() {
	if "$TV" --engine=kvm "$IMG" -- call 10 >/dev/null 2>"$BUILD/bench/err"; then
		run_trapvisor kvm --engine=kvm
		return
	fi
	say "kvm: $(head -1 "$BUILD/bench/err")"
	if [ "${BENCH_NESTED:-1}" = 0 ] || ! command -v qemu-system-x86_64 >/dev/null; then
		say "kvm-nested: skipped"
		return
	fi
	{
		echo "BENCHES='$BENCHES'"
		echo "REPS=$REPS"
		for b in $BENCHES; do
			# Every exit costs 40-140 us there: fewer iterations.
			n=$(iters "$b")
			case $b in call|compute) ;; *) n=$((n / 5)) ;; esac
			echo "ITERS_$b=$n"
		done
	} >"$BUILD/bench/nested.conf"
	say "kvm-nested: KVM_NESTED_SCRIPT=bench/kvm-inside.sh sh tests/kvm/nested.sh $BUILD"
	if KVM_NESTED_SCRIPT=$HERE/kvm-inside.sh sh "$REPO/tests/kvm/nested.sh" \
		"$BUILD" >>"$LOG" 2>&1 &&
	   [ -f "$BUILD/kvm-nested/results/finished" ] &&
	   [ -s "$BUILD/kvm-nested/results/bench.txt" ]; then
		cat "$BUILD/kvm-nested/results/bench.txt" >>"$RAW"
		mkdir -p "$BUILD/bench/stats/kvm-nested"
		cp "$BUILD"/kvm-nested/results/*.stats "$BUILD/bench/stats/kvm-nested/"
	else
		say "kvm-nested: no figures came back (see $LOG and $BUILD/kvm-nested/console.log)"
	fi
}

[ -x "$TV" ] && [ -f "$IMG" ] && [ -x "$HOSTB" ] ||
	{ echo "bench: build first: make BUILD=$BUILD bench" >&2; exit 1; }
run_native() {
	if "$TV" --engine=native "$IMG" -- call 10 >/dev/null 2>"$BUILD/bench/err"; then
		run_trapvisor native --engine=native
	else
		say "native: $(head -1 "$BUILD/bench/err")"
	fi
}

run_peer_qemu() {
	if command -v qemu-system-x86_64 >/dev/null; then
		run_qemu
	else
		say "qemu-tcg: no qemu-system-x86_64"
	fi
}

TSC_HZ=$("$HOSTB" tsc | sed 's/tsc_hz=//')
say "TSC: $TSC_HZ Hz; $REPS repetitions; scale $SCALE"
for col in ${BENCH_COLUMNS:-host softcpu native qemu kvm}; do
	case $col in
	host) run_host ;;
	softcpu) run_trapvisor softcpu --engine=softcpu ;;
	native) run_native ;;
	qemu) run_peer_qemu ;;
	kvm) run_kvm ;;
	*) say "no column $col" ;;
	esac
done

TSC_HZ=$TSC_HZ REPS=$REPS BUILD=$BUILD sh "$HERE/report.sh" "$RAW" "$IPS" "$OUT"
