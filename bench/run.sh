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
# Two more parts, on the same engines:
#
#   boot        bench/boot.sh: the wall time of booting each multiboot
#               kernel (mb32) to its end, softcpu against QEMU's TCG
#   apictimer   the bench guest's device workloads under --stats: the
#   ide         exits the LAPIC timer (1 kHz) and the IDE disk (one-sector
#               PIO reads) cost, per second of guest time, and the monitor's
#               time per exit, on softcpu, native and kvm
#
# Two more on softcpu and native (issue 16), with the --stats memory line:
#
#   memory      toyos to its end: the monitor's resident memory less the
#               guest RAM it maps (target: under 16 MiB)
#   spaces      the bench guest's "spaces ITERS N" for N = 1 to 64 live
#               address spaces: cycles per CR3 load, the shadow faults and
#               monitor time that refill the shadows, the shadow tables
#
# And the cost of each answer to x86's sensitive-unprivileged instructions
# (issue 14; bench/answers.sh says which checks each one passes):
#
#   answers     the kernel loops cli (a cli/sti pair), pushf, cpuid, sidt
#               and movcs (mov from %cs) under each answer, in the table
#               ANSWER_CONFIGS below: nothing done (--isa=x86), hardware's
#               partial fixes (umip, cpuid-fault), scan-and-patch (--patch),
#               the paravirtual build (bench-pv.elf), --isa=strict, and
#               hardware assist (kvm); cycles and exits per iteration, and
#               for --patch the pages scanned and the scan's time per page
#
# Environment: BENCH_REPS (5), BENCH_SCALE (1: multiplies every iteration
# count), BENCH_ITERS (every iteration count, for a quick check: the tests
# use it), BENCH_NESTED (1: 0 skips the nested-KVM run), BENCH_ONLY (a list
# of benchmark names, boot, apictimer, ide and answers among them),
# BENCH_COLUMNS (a list among host softcpu native qemu kvm; all by
# default; the answers rows run on softcpu, native and kvm).  Needs only sh
# and awk; timings are never asserted.
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
DEV=$BUILD/bench/devices.txt    # "ENGINE NAME ITERS CYCLES EXITS MONITOR_US"
BOOT=$BUILD/bench/boot.txt      # bench/boot.sh's lines
DISK=$BUILD/bench/disk.img      # the ide workload's disk (tests/guests/disk.sh)
LOG=$BUILD/bench/log.txt
ANS=$BUILD/bench/answers.txt    # bench/answer.awk's lines, one per run
MEM=$BUILD/bench/memory.txt     # "ENGINE RSS PEAK GUEST_RAM OWN" (KiB)
SPC=$BUILD/bench/spaces.txt     # "ENGINE N ITERS CYCLES FAULTS FAULT_US TABLES"
PAIRS=$BUILD/bench/pairs.txt    # "PAIR ENGINE CYCLES CPU_MS WALL_MS" (compute)
ALL="syscall in cr8 call pagefault divzero ptemod forkwait cpuid cli compute boot apictimer ide answers memory spaces"
BENCHES=""; DEVICES=""; DO_BOOT=0; DO_ANSWERS=0; DO_MEMORY=0; DO_SPACES=0
for b in ${BENCH_ONLY:-$ALL}; do
	case $b in
	boot) DO_BOOT=1 ;;
	answers) DO_ANSWERS=1 ;;
	memory) DO_MEMORY=1 ;;
	spaces) DO_SPACES=1 ;;
	apictimer|ide) DEVICES="$DEVICES $b" ;;
	*) BENCHES="$BENCHES $b" ;;
	esac
done
mkdir -p "$BUILD/bench" "$OUT"
: >"$RAW"; : >"$IPS"; : >"$DEV"; : >"$BOOT"; : >"$LOG"; : >"$ANS"
: >"$MEM"; : >"$SPC"; : >"$PAIRS"
rm -rf "$BUILD/bench/stats"

# Iterations of each benchmark: enough for a steady figure on the slowest
# engine that runs it (native and nested KVM take 10-500 us per trap).
iters() {
	case $1 in
	call) n=10000000 ;;
	# compute: 1000, so that QEMU TCG's timed loop lasts some 0.1-0.3 s
	# (at 200 it was 17-34 ms: one state of a machine whose speed
	# changes every few tens of milliseconds; explain.md)
	compute) n=1000 ;;
	forkwait) n=500 ;;
	apictimer) n=1000 ;; # 1 s of guest time at 1 kHz
	ide) n=2000 ;;
	# the answers' loops: 20000, so that the two rdtsc of the PV
	# build (hypercalls: one exit inside the timed window) weigh little
	answers) n=20000 ;;
	spaces) n=100 ;; # rounds of N CR3 loads
	*) n=5000 ;;
	esac
	echo $((${BENCH_ITERS:-$n} * SCALE))
}

# ---------------------------------------------------------------- answers
# The answers to x86's sensitive-unprivileged instructions, one
# configuration a line: ANSWER|COLUMN|IMAGE|OPTIONS.  Each runs the loops
# of ANSWER_LOOPS; ANSWER names the row in RESULTS.md (report.sh).
ANSWER_LOOPS="cli pushf cpuid sidt movcs"
ANSWER_CONFIGS='none|softcpu|bench.elf|--isa=x86
umip|softcpu|bench.elf|--isa=x86,umip
cpuid-fault|softcpu|bench.elf|--isa=x86,cpuid-fault
patch|softcpu|bench.elf|--patch
pv|softcpu|bench-pv.elf|
strict|softcpu|bench.elf|--isa=strict
none|native|bench.elf|--isa=x86
cpuid-fault|native|bench.elf|--isa=x86,cpuid-fault
patch|native|bench.elf|--patch
pv|native|bench-pv.elf|
assist|kvm|bench.elf|
pv|kvm|bench-pv.elf|'

# The exits of one --stats file: its first "total" line (exits by reason).
total_exits() { awk '/^total/ { print $2; exit }' "$1"; }

# Every answer of column COL (its engine works here: the caller checked),
# each loop REPS times, to $ANS, the rows named by COL; a kvm that needs
# the nested machine runs them in bench/kvm-inside.sh instead.
run_answers() { # COL
	[ "$DO_ANSWERS" = 1 ] || return 0
	want=$1
	echo "$ANSWER_CONFIGS" | while IFS='|' read -r answer col img opts; do
		[ "$col" = "$want" ] || continue
		st=$BUILD/bench/stats/answers/$answer-$col
		mkdir -p "$st"
		# shellcheck disable=SC2086 # opts: one option or none
		set -- --engine="$col" $opts --stats "$BUILD/guests/$img"
		say "answers $answer $col: $TV $* -- LOOP ITERS"
		"$TV" "$@" -- call 1 </dev/null >/dev/null 2>"$st/baseline.stats" ||
			{ say "answers $answer $col failed: $(grep -m1 '^trapvisor:' "$st/baseline.stats")"
			  continue; }
		base=$(total_exits "$st/baseline.stats")
		n=$(iters answers)
		for b in $ANSWER_LOOPS; do
			r=0
			while [ $r -lt "$REPS" ]; do
				r=$((r + 1))
				timeout 600 "$TV" "$@" -- "$b" "$n" </dev/null \
					>"$BUILD/bench/out" 2>"$st/$b.stats" ||
					{ say "answers $answer $col $b failed: $(tail -1 "$st/$b.stats")"; break; }
				awk -v answer="$answer" -v engine="$col" \
					-v base="$base" -v stats="$st/$b.stats" \
					-f "$HERE/answer.awk" "$BUILD/bench/out" >>"$ANS"
			done
		done
	done
}

# "bench name=N iters=I cycles_per_iter=C" lines -> "ENGINE N I C".
collect() { # ENGINE
	awk -v e="$1" '$1 == "bench" {
		split($2, a, "="); split($3, i, "="); split($4, c, "=")
		print e, a[2], i[2], c[2] }' >>"$RAW"
}

say() { echo "bench: $*"; echo "$*" >>"$LOG"; }

# The exits and the monitor's time (us) of one --stats file: its first
# "total" line, that of the exits by reason.
exit_totals() { awk '/^total/ { print $2, $3; exit }' "$1"; }

# The device workloads on one engine of trapvisor, REPS times each, under
# --stats: the bench line, and the run's exits and monitor time, to $DEV.
run_devices() { # COLUMN ENGINE-ARGS...
	col=$1; shift
	[ -n "$DEVICES" ] || return 0
	sh "$REPO/tests/guests/disk.sh" make "$DISK"
	for b in $DEVICES; do
		n=$(iters "$b"); r=0
		d=""; [ "$b" = ide ] && d=--disk=$DISK
		say "$col: $TV $* --stats $d $IMG -- $b $n"
		while [ $r -lt "$REPS" ]; do
			r=$((r + 1))
			# shellcheck disable=SC2086
			timeout 600 "$TV" "$@" --stats $d "$IMG" -- "$b" "$n" \
				</dev/null >"$BUILD/bench/out" 2>"$BUILD/bench/err" ||
				{ say "$col $b failed: $(tail -1 "$BUILD/bench/err")"; break; }
			cp "$BUILD/bench/err" "$BUILD/bench/stats/$col/$b.stats"
			awk -v e="$col" -v t="$(exit_totals "$BUILD/bench/err")" '
			$1 == "bench" {
				split($2, a, "="); split($3, i, "="); split($4, c, "=")
				print e, a[2], i[2], c[2], t }' "$BUILD/bench/out" >>"$DEV"
		done
	done
}

# The --stats memory line of toyos, run to its end, REPS times, to $MEM.
run_memory() { # COLUMN ENGINE-ARGS...
	col=$1; shift
	[ "$DO_MEMORY" = 1 ] || return 0
	say "$col memory: $TV $* --stats $BUILD/guests/toyos.elf"
	r=0
	while [ $r -lt "$REPS" ]; do
		r=$((r + 1))
		timeout 600 "$TV" "$@" --stats "$BUILD/guests/toyos.elf" \
			</dev/null >/dev/null 2>"$BUILD/bench/err" ||
			{ say "$col memory failed: $(tail -1 "$BUILD/bench/err")"; break; }
		# "monitor: memory: resident R KiB (peak P KiB), of which
		# guest RAM G KiB (of T KiB): the monitor's own O KiB"
		awk -v e="$col" '$1 == "monitor:" && $2 == "memory:" {
			print e, $4, $7, $13, $21 }' "$BUILD/bench/err" >>"$MEM"
	done
}

# spaces ITERS N for N live address spaces, REPS times each, to $SPC:
# the cycles, and from --stats the shadow faults and their monitor time
# less those of booting ("call 1"), and the shadow tables at the end.
SPACES_COUNTS="1 2 4 8 16 32 64"
run_spaces() { # COLUMN ENGINE-ARGS...
	col=$1; shift
	[ "$DO_SPACES" = 1 ] || return 0
	n=$(iters spaces)
	say "$col spaces: $TV $* --stats $IMG -- spaces $n N (N: $SPACES_COUNTS)"
	# the first line "#PF COUNT SHARE US AVG" is that of the exits
	pf() { awk '$1 == "#PF" && !d { d = 1; print $2, $4 }
		    END { if (!d) print "0 0" }' "$1"; }
	"$TV" "$@" --stats "$IMG" -- call 1 </dev/null >/dev/null 2>"$BUILD/bench/err"
	base=$(pf "$BUILD/bench/err")
	for k in $SPACES_COUNTS; do
		r=0
		while [ $r -lt "$REPS" ]; do
			r=$((r + 1))
			timeout 600 "$TV" "$@" --stats "$IMG" -- spaces "$n" "$k" \
				</dev/null >"$BUILD/bench/out" 2>"$BUILD/bench/err" ||
				{ say "$col spaces $k failed: $(tail -1 "$BUILD/bench/err")"; break; }
			awk -v e="$col" -v k="$k" -v pf="$(pf "$BUILD/bench/err")" \
			    -v base="$base" -v t="$(awk '$1 == "monitor:" && $2 == "shadow" { print $5; exit }' "$BUILD/bench/err")" '
			$1 == "bench" {
				split($3, i, "="); split($4, c, "=")
				split(pf, p, " "); split(base, b, " ")
				print e, k, i[2], c[2], p[1] - b[1], p[2] - b[2], t }' \
				"$BUILD/bench/out" >>"$SPC"
		done
	done
}

# One engine of trapvisor, every benchmark, REPS times.
run_trapvisor() { # COLUMN ENGINE-ARGS...
	col=$1; shift
	[ -n "$BENCHES$DEVICES" ] || return 0
	say "$col: $TV $* $IMG -- NAME ITERS"
	# The exits of booting and printing alone: "call 1" makes no other.
	mkdir -p "$BUILD/bench/stats/$col"
	"$TV" "$@" --stats "$IMG" -- call 1 </dev/null >/dev/null \
		2>"$BUILD/bench/stats/$col/baseline.stats"
	for b in $BENCHES; do
		n=$(iters "$b"); r=0
		# softcpu's compute runs in pairs with QEMU's (run_compute_pairs)
		[ "$b$col$PAIRED" = computesoftcpu1 ] && continue
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
	run_devices "$col" "$@"
}

qemu_tcg() { # NAME ITERS: the bench guest under QEMU's TCG, its output
	timeout 600 qemu-system-x86_64 -accel tcg -cpu qemu64 -m 64 \
		-display none -serial stdio -monitor none -no-reboot \
		-device isa-debug-exit,iobase=0xf4,iosize=0x4 \
		-kernel "$IMG" -append "$1 $2" </dev/null
}

run_qemu() {
	say "qemu-tcg: qemu-system-x86_64 -accel tcg -cpu qemu64 -m 64 -display none -serial stdio -monitor none -no-reboot -device isa-debug-exit,iobase=0xf4,iosize=0x4 -kernel $IMG -append 'NAME ITERS'"
	for b in $BENCHES; do
		n=$(iters "$b"); r=0
		[ "$b$PAIRED" = compute1 ] && continue # run_compute_pairs
		while [ $r -lt "$REPS" ]; do
			r=$((r + 1))
			qemu_tcg "$b" "$n" | collect qemu-tcg
		done
	done
}

# ------------------------------------------------------------ compute pairs
# softcpu's compute against QEMU TCG's (issue 16) is a ratio of two runs,
# and on this machine the same work takes up to twice the TSC cycles from
# one run to the next (explain.md, "The compute row"): the guest's rdtsc
# counts wall time (under TCG the guest's TSC is the host's), so other
# work on the cores counts in it, and the virtual CPU's own speed moves
# from one few tens of milliseconds to the next.  Timed apart, best of REPS each, the two
# engines' best runs could come from different states of the machine and
# the ratio moved 2x.  So the two run in pairs, back to back, the first
# of a pair alternating, and the verdict is the median of the pairs'
# ratios; each run records its CPU time (the shell's "times": children's
# user + system) and wall time, so that report.sh keeps the pairs whose
# runs had a CPU to themselves.

# The CPU time (ms) of this shell's finished children, from "times" run
# by this shell (in a $(...) subshell it would count the subshell's own):
# cpu_mark FILE, then cpu_ms FILE.
cpu_mark() { times >"$1"; }
cpu_ms() {
	awk 'NR == 2 { t = 0
		for (i = 1; i <= 2; i++) { split($i, m, "m"); t += m[1] * 60 + m[2] }
		printf "%.0f", t * 1000 }' "$1"
}
wall_ms() { echo $(($(date +%s%N) / 1000000)); }

# One run of compute on ENGINE (softcpu or qemu-tcg) as pair K: RAW's
# row, and PAIRS' "K ENGINE CYCLES CPU_MS WALL_MS".
pair_run() { # K ENGINE ITERS
	cpu_mark "$BUILD/bench/times0"; w0=$(wall_ms)
	if [ "$2" = softcpu ]; then
		timeout 600 "$TV" --engine=softcpu --stats "$IMG" -- compute "$3" \
			</dev/null >"$BUILD/bench/out" 2>"$BUILD/bench/err" ||
			{ say "softcpu compute failed: $(tail -1 "$BUILD/bench/err")"; return 1; }
		cp "$BUILD/bench/err" "$BUILD/bench/stats/softcpu/compute.stats"
		awk '/million guest instructions per second/ { print "softcpu", $2 }' \
			"$BUILD/bench/err" >>"$IPS"
	else
		qemu_tcg compute "$3" >"$BUILD/bench/out"
	fi
	cpu_mark "$BUILD/bench/times1"; w1=$(wall_ms)
	c0=$(cpu_ms "$BUILD/bench/times0"); c1=$(cpu_ms "$BUILD/bench/times1")
	collect "$2" <"$BUILD/bench/out"
	awk -v k="$1" -v e="$2" -v c="$((c1 - c0))" -v w="$((w1 - w0))" '
	$1 == "bench" { split($4, y, "="); print k, e, y[2], c, w }' \
		"$BUILD/bench/out" >>"$PAIRS"
}

run_compute_pairs() {
	[ "$PAIRED" = 1 ] || return 0
	n=$(iters compute); k=0
	mkdir -p "$BUILD/bench/stats/softcpu"
	say "compute pairs: softcpu and qemu-tcg, $REPS pairs back to back, compute $n (CPU and wall time of each run)"
	while [ $k -lt "$REPS" ]; do
		k=$((k + 1))
		first=qemu-tcg second=softcpu
		[ $((k % 2)) = 1 ] || { first=softcpu second=qemu-tcg; }
		pair_run $k $first "$n" || break
		pair_run $k $second "$n" || break
	done
}

# The host's equivalents, the bare signal and ptrace round trips, and
# the native engine's other fixed costs: a system call stop's round
# trip, the stub page's opening and closing, an XSAVE read at a change
# of child (the floor of each native row in report.sh's targets).
run_host() {
	say "host: $HOSTB NAME ITERS"
	for b in $BENCHES signal ptrace sysemu stub xsave; do
		case $b in
		call|syscall|divzero|forkwait|cpuid|compute) n=$(iters "$b") ;;
		pagefault) n=$((20000 * SCALE)) ;;
		signal|ptrace|sysemu|stub|xsave) n=$((5000 * SCALE)) ;;
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
		run_answers kvm
		return
	fi
	say "kvm: $(head -1 "$BUILD/bench/err")"
	if [ "${BENCH_NESTED:-1}" = 0 ] || ! command -v qemu-system-x86_64 >/dev/null; then
		say "kvm-nested: skipped"
		return
	fi
	[ -n "$BENCHES$DEVICES" ] || [ "$DO_ANSWERS" = 1 ] || return 0
	[ -z "$DEVICES" ] || sh "$REPO/tests/guests/disk.sh" make "$DISK"
	answers=""
	[ "$DO_ANSWERS" = 1 ] && answers=$ANSWER_LOOPS
	{
		echo "BENCHES='$BENCHES'"
		echo "DEVICES='$DEVICES'"
		echo "REPS=$REPS"
		# the answers' loops, on the images of ANSWER_CONFIGS' kvm lines
		echo "ANSWERS='$answers'"
		echo "ANSWER_ITERS=$(($(iters answers) / 5))"
		echo "ANSWER_RUNS='$(echo "$ANSWER_CONFIGS" | awk -F'|' '$2 == "kvm" { printf "%s%s:%s", n++ ? " " : "", $1, $3 }')'"
		for b in $BENCHES $DEVICES; do
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
	   { [ -s "$BUILD/kvm-nested/results/bench.txt" ] ||
	     [ -s "$BUILD/kvm-nested/results/answers.txt" ]; }; then
		cat "$BUILD/kvm-nested/results/bench.txt" >>"$RAW"
		cat "$BUILD/kvm-nested/results/devices.txt" >>"$DEV" 2>/dev/null
		cat "$BUILD/kvm-nested/results/answers.txt" >>"$ANS" 2>/dev/null
		if [ -n "$BENCHES$DEVICES" ]; then
			mkdir -p "$BUILD/bench/stats/kvm-nested"
			cp "$BUILD"/kvm-nested/results/*.stats "$BUILD/bench/stats/kvm-nested/"
		fi
	else
		say "kvm-nested: no figures came back (see $LOG and $BUILD/kvm-nested/console.log)"
	fi
}

[ -x "$TV" ] && [ -f "$IMG" ] && [ -x "$HOSTB" ] ||
	{ echo "bench: build first: make BUILD=$BUILD bench" >&2; exit 1; }
run_native() {
	if "$TV" --engine=native "$IMG" -- call 10 >/dev/null 2>"$BUILD/bench/err"; then
		run_trapvisor native --engine=native
		run_answers native
		run_memory native --engine=native
		run_spaces native --engine=native
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

# compute on softcpu and QEMU in pairs when both columns run it
PAIRED=0
cols=" ${BENCH_COLUMNS:-host softcpu native qemu kvm} "
has() { case " $1 " in *" $2 "*) return 0 ;; esac; return 1; }
has "$BENCHES" compute && has "$cols" softcpu && has "$cols" qemu &&
	command -v qemu-system-x86_64 >/dev/null && PAIRED=1

TSC_HZ=$("$HOSTB" tsc | sed 's/tsc_hz=//')
say "TSC: $TSC_HZ Hz; $REPS repetitions; scale $SCALE"
# The load decides how far to trust the times: other work on the cores
# shows in every row (nice -n 19 for it helps only where the kernel's
# autogroup scheduling is off: /proc/sys/kernel/sched_autogroup_enabled)
say "load average at the start: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null)"
# The host's compute and the guest's are one routine (bench/compute.h).
say "$(sh "$HERE/samecode.sh" "$BUILD" 2>&1)"
for col in ${BENCH_COLUMNS:-host softcpu native qemu kvm}; do
	case $col in
	host) run_host ;;
	softcpu) run_trapvisor softcpu --engine=softcpu; run_answers softcpu
		 run_memory softcpu --engine=softcpu
		 run_spaces softcpu --engine=softcpu ;;
	native) run_native ;;
	qemu) run_peer_qemu ;;
	kvm) run_kvm ;;
	*) say "no column $col" ;;
	esac
done
run_compute_pairs

# Boot times, softcpu against QEMU's TCG (bench/boot.sh), on the columns
# chosen among those two.
run_boot() {
	engines=""
	for col in ${BENCH_COLUMNS:-softcpu qemu}; do
		case $col in
		softcpu) engines="$engines softcpu" ;;
		qemu) engines="$engines qemu-tcg" ;;
		esac
	done
	[ -n "$engines" ] || return 0
	BOOT_ENGINES=$engines sh "$HERE/boot.sh" "$BUILD" "$REPS" \
		>"$BUILD/bench/boot.out" 2>>"$LOG" ||
		say "boot: a boot failed (see $LOG)"
	sed -n 's/^# //p' "$BUILD/bench/boot.out" | while read -r l; do say "boot $l"; done
	grep '^boot ' "$BUILD/bench/boot.out" >"$BOOT"
}
[ "$DO_BOOT" = 1 ] && run_boot

TSC_HZ=$TSC_HZ REPS=$REPS BUILD=$BUILD PAIRS=$PAIRS sh "$HERE/report.sh" "$RAW" "$IPS" "$OUT"
