#!/bin/sh
# scripts/grade.sh - grade one lab in this tree (a skeleton or the full one).
#
#   sh scripts/grade.sh N [BUILD]          (make grade LAB=N [BUILD=...])
#   TEST=name sh scripts/grade.sh N        (make grade LAB=N TEST=name)
#
# Builds the tree, then runs the lab's checks: cmocka unit tests of the
# routines the lab is about (a check passes when all its tests do; a test
# binary that dies fails the tests it did not finish), guest runs compared
# byte for byte with tests/guests/*.out (partial credit: the share of the
# expected PASS lines the run printed), and for the written labs the
# deliverable's contents.  One line per check with its points, the reason
# for a failure beneath it (the cmocka message naming the instruction or
# case, the guest's own FAIL lines, the stack of a crash), and
# "score: X/100" last.  Exit status 0 only at 100.
#
# TEST=name runs only the checks with a test or guest of that name (the
# score is then out of their points).  The results also go to
# RESULTS (default BUILD/results.json) in the form of Gradescope's
# autograder: {"score", "tests": [{"name", "score", "max_score",
# "output"}]}.  A BUILD whose name ends in -san (make grade
# BUILD=build-san) is built with ASan and UBSan: a crash in the student's
# code then prints its stack, and the grader shows it.
set -u
LAB=${1:?usage: grade.sh N [BUILD]}
BUILD=${2:-build}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 2
TV=$BUILD/trapvisor
TEST=${TEST:-}
RESULTS=${RESULTS:-$BUILD/results.json}
LOG=$(mktemp -d); trap 'rm -rf "$LOG"' EXIT
score=0; total=0
: >"$LOG/json"
# A guest that has not finished by then never will (the timer guest takes
# well under a second here).  A guest that reaches a hole is stopped at
# once: it cannot pass.
GUEST_TIMEOUT=${GUEST_TIMEOUT:-30}
guest_failed=0
built=0
case $BUILD in *-san) SAN="SANITIZE=1" ;; *) SAN="" ;; esac

# Is this check one TEST= asks for?  (Always, without TEST.)
wanted() { # name...
	[ -z "$TEST" ] && return 0
	for w in "$@"; do [ "$w" = "$TEST" ] && return 0; done
	return 1
}

# JSON string: the text of a file (or empty), escaped.
json_str() { # file
	if [ -s "${1:-/dev/null}" ]; then
		awk 'BEGIN { ORS = "" }
		     { gsub(/\\/, "\\\\"); gsub(/"/, "\\\""); gsub(/\t/, "\\t")
		       gsub(/[\001-\037]/, "?")
		       if (NR > 1) print "\\n"; print }' "$1"
	fi
}

# One check's line: points got, out of points, the check's name.
report() { # got max name [reason-file]
	score=$((score + $1)); total=$((total + $2))
	if [ "$1" -eq "$2" ]; then v=PASS; else v=FAIL; fi
	printf '%s %3d/%-3d %s\n' "$v" "$1" "$2" "$3"
	if [ "$1" -ne "$2" ] && [ -n "${4:-}" ] && [ -s "$4" ]; then
		head -12 "$4" | cut -c1-150 | sed 's/^/        /'
	fi
	out=""
	[ "$1" -ne "$2" ] && out=${4:-}
	printf '%s{"name": "%s", "score": %d, "max_score": %d, "output": "%s"}' \
		"$([ -s "$LOG/json" ] && echo ,)" \
		"$(printf '%s' "$3" | sed 's/\\/\\\\/g; s/"/\\"/g')" "$1" "$2" \
		"$(json_str "$out")" >>"$LOG/json"
	return 0
}

# A check this tree cannot run: it needs the code of a later lab, which
# the skeleton (scripts/lab-skeleton.sh) left as a hole.  Its points are
# not counted, and the score is scaled to 100 over the others.
skipped=0
skip() { # max name reason
	skipped=$((skipped + $1))
	printf 'SKIP  --/%-3d %s\n        %s: not counted\n' "$1" "$2" "$3"
	printf '%s{"name": "%s", "score": 0, "max_score": 0, "output": "not counted: %s"}' \
		"$([ -s "$LOG/json" ] && echo ,)" \
		"$(printf '%s' "$2" | sed 's/\\/\\\\/g; s/"/\\"/g')" "$3" >>"$LOG/json"
}

# Gradescope's results.json, beside the text.
write_results() {
	mkdir -p "$(dirname "$RESULTS")" 2>/dev/null
	{
		printf '{"score": %d, "max_score": %d, "output": "lab %s: %d/%d", "tests": [' \
			"$final" "$max" "$LAB" "$final" "$max"
		cat "$LOG/json"
		printf ']}\n'
	} >"$RESULTS" 2>/dev/null || echo "grade.sh: cannot write $RESULTS" >&2
}

# Build: without a monitor nothing else can be checked.
build() {
	# shellcheck disable=SC2086
	if make --no-print-directory BUILD="$BUILD" $SAN all unit-bins \
		>"$LOG/build" 2>&1; then
		built=1
		report 10 10 "the tree builds (make BUILD=$BUILD all unit-bins)"
	else
		grep -m4 -E ': (fatal )?error:|\*\*\*' "$LOG/build" >"$LOG/why"
		report 0 10 "the tree builds (make BUILD=$BUILD all unit-bins)" "$LOG/why"
	fi
}

# Run a cmocka binary once; its output is kept for unit().
run_bin() { # test_x
	[ -f "$LOG/$1.out" ] && return 0
	if [ $built = 0 ]; then
		echo "not run: the tree does not build" >"$LOG/$1.out"
	elif [ -x "$BUILD/tests/$1" ]; then
		timeout 120 "$BUILD/tests/$1" >"$LOG/$1.out" 2>&1
		echo $? >"$LOG/$1.rc"
	else
		echo "$BUILD/tests/$1 was not built" >"$LOG/$1.out"
	fi
}

# Why a program died: the signal, and the sanitizer's stack of the crash
# (its first frames in this tree's code) when the build has one.
crash_why() { # status output-file
	if grep -q '^==[0-9]*==ERROR: \|runtime error:' "$2"; then
		grep -m1 '^==[0-9]*==ERROR: \|runtime error:' "$2" |
			sed 's/^==[0-9]*==//; s/^/  /'
		grep '^ *#[0-9]* 0x[0-9a-f]* in ' "$2" |
			grep -v ' in __\|libc\.so\|libcmocka\|/tests/unit/' |
			head -4 | sed 's/^ *#[0-9]* 0x[0-9a-f]* in /  at /; s|'"$ROOT"'/||'
	elif [ "$1" -gt 128 ] && [ "$1" != 124 ]; then
		echo "  crashed (signal $(($1 - 128))): make grade LAB=$LAB BUILD=build-san shows where"
	fi
}

# unit POINTS BINARY TEST...: every named test of BINARY passed.
unit() {
	pts=$1; bin=$2; shift 2
	wanted "$@" || return 0
	run_bin "$bin"
	: >"$LOG/why"
	ok=1
	for t in "$@"; do
		if ! grep -q "^\[       OK \] $t\$" "$LOG/$bin.out"; then
			ok=0
			{
				echo "$t:"
				# cmocka's messages for the test, and any lab hole it hit
				sed -n "/^\[ RUN      \] $t\$/,/^\[ *\(OK\|FAILED\) *\] $t\$/p" \
					"$LOG/$bin.out" |
					awk '/^\[  ERROR   \] --- / { sub(/^[^-]*--- /, ""); print "  " $0; next }
					     /^\[   LINE   \] --- / { sub(/^[^-]*--- /, ""); sub(/: error: Failure!/, ""); print "  at " $0; next }
					     /^ *#[0-9]+ 0x/ { next }
					     !/^\[/ { print "  " $0 }' |
					head -3
				if grep -q "^\[ RUN      \] $t\$" "$LOG/$bin.out" &&
				   grep -q "^\[ *\(OK\|FAILED\) *\] $t\$" "$LOG/$bin.out"; then
					:
				elif [ -f "$LOG/$bin.rc" ]; then
					grep -q "^\[ RUN      \] $t\$" "$LOG/$bin.out" &&
						echo "  $bin died in this test (status $(cat "$LOG/$bin.rc"))" ||
						echo "  did not run: $bin stopped first (status $(cat "$LOG/$bin.rc"))"
					crash_why "$(cat "$LOG/$bin.rc")" "$LOG/$bin.out"
				else
					head -1 "$LOG/$bin.out" | sed 's/^/  /'
				fi
			} >>"$LOG/why"
		fi
	done
	if [ $ok = 1 ]; then got=$pts; else got=0; fi
	report "$got" "$pts" "unit: $bin: $*" "$LOG/why"
}

# Like guest, unless a guest run before failed: then 0 without running it
# (the same hole would only make it fail again, slowly).
guest_if_ok() {
	if [ $guest_failed = 1 ] && [ -z "$TEST" ]; then
		echo "not run: the guest run above failed" >"$LOG/why"
		report 0 "$1" "guest: $2" "$LOG/why"
	else
		guest "$@"
	fi
}

# Run the monitor with a time limit, and stop it as soon as it reaches a
# hole (core/lab.h's line on stderr): such a run cannot pass.
run_tv() { # args...
	# Emptied first: the loop below may read it before the run's own
	# redirection does, and must not see the last run's hole.
	: >"$LOG/err"
	# shellcheck disable=SC2086
	timeout "$GUEST_TIMEOUT" "$TV" "$@" </dev/null >"$LOG/out" 2>"$LOG/err" &
	pid=$!
	while kill -0 "$pid" 2>/dev/null; do
		if grep -q '^trapvisor: lab [0-9]*: .* is not written yet' "$LOG/err" 2>/dev/null; then
			kill "$pid" 2>/dev/null
			wait "$pid" 2>/dev/null
			return 125
		fi
		sleep 0.1
	done
	wait "$pid"
}

# The PASS lines of EXPECTED that earn partial credit: all of them, or,
# while pass_section is set to a heading's text ("4. paging"), those
# under that heading only (a lab's part of a guest that checks more).
pass_lines() { # EXPECTED
	if [ -n "${pass_section:-}" ]; then
		awk -v h="== $pass_section ==" '/^== / { on = ($0 == h) } on && /^PASS /' "$1"
	else
		grep '^PASS ' "$1"
	fi
}

# guest POINTS NAME EXPECTED STATUS ARGS...: a guest run's output and
# status.  Partial credit when EXPECTED has PASS lines: the share of them
# the run printed (at most one point less than all).
guest() {
	pts=$1; name=$2; exp=$3; st=$4; shift 4
	last_got=0
	wanted "$name" || return 0
	: >"$LOG/why"
	if [ $built = 0 ] || [ ! -x "$TV" ]; then
		echo "not run: the tree does not build" >"$LOG/why"
		report 0 "$pts" "guest: $name" "$LOG/why"
		return
	fi
	args=""; for a in "$@"; do
		case $a in
		*.elf) a=${GRADE_GUESTS:-$BUILD/guests}/$a ;;
		# a fresh disk image, as tests/run.sh's guests suite makes it
		--disk=*.img) d=${a#--disk=}
			sh "tests/guests/${d%.img}.sh" make "$LOG/$d"
			a=--disk=$LOG/$d ;;
		esac; args="$args $a"; done
	# shellcheck disable=SC2086
	run_tv $args; rc=$?
	if [ "$rc" != "$st" ]; then
		echo "exit status $rc, expected $st$([ "$rc" = 124 ] && echo " (timed out after $GUEST_TIMEOUT s)")" >"$LOG/why"
		grep -m2 . "$LOG/err" >>"$LOG/why"
		# a hole in the guest's own code says so on its console, and a
		# kernel's panic says why it stopped
		grep -m1 '^lab [0-9]*: .* is not written yet' "$LOG/out" >>"$LOG/why"
		grep -m1 ': panic: ' "$LOG/out" | grep -vxFf "tests/guests/$exp" | sed 's/^/guest: /' >>"$LOG/why"
		crash_why "$rc" "$LOG/err" >>"$LOG/why"
	elif ! cmp -s "tests/guests/$exp" "$LOG/out"; then
		echo "the output differs from tests/guests/$exp:" >"$LOG/why"
		diff "tests/guests/$exp" "$LOG/out" | grep '^[<>]' | head -4 >>"$LOG/why"
	fi
	got=$pts
	later=$(sed -n 's/^\(trapvisor: \)\{0,1\}lab \([0-9]*\): .* is not written yet.*/\2/p' "$LOG/err" "$LOG/out" |
		sort -un | awk -v lab="$LAB" '$1 > lab' | head -1)
	if [ -s "$LOG/why" ] && [ -n "$later" ] &&
	   ! sed -n 's/^\(trapvisor: \)\{0,1\}lab \([0-9]*\): .* is not written yet.*/\2/p' "$LOG/err" "$LOG/out" |
		awk -v lab="$LAB" '$1 <= lab { f = 1 } END { exit !f }'; then
		# a later lab's hole: this tree cannot run the check yet
		skip "$pts" "guest: $name (trapvisor $*)" "needs lab $later's code, still a hole in this tree"
		last_got=0
		return
	fi
	if [ -s "$LOG/why" ]; then
		# the guest's own account of what went wrong
		grep '^FAIL' "$LOG/out" | grep -vxFf "tests/guests/$exp" |
			head -6 | sed 's/^/guest: /' >>"$LOG/why"
		n=$(pass_lines "tests/guests/$exp" | grep -c .)
		if [ "$n" -gt 0 ]; then
			m=$(pass_lines "tests/guests/$exp" | grep -cxFf "$LOG/out" 2>/dev/null)
			got=$((pts * m / n))
			[ "$got" -ge "$pts" ] && got=$((pts - 1))
			echo "$m of the $n checks of tests/guests/$exp passed" >>"$LOG/why"
		else
			got=0
		fi
		guest_failed=1
	fi
	last_got=$got
	report "$got" "$pts" "guest: $name (trapvisor $*)" "$LOG/why"
}

# Does the native engine run here (Linux x86-64, ptrace allowed)?  It
# boots hello byte for byte, or it does not.
native_works() {
	if [ -z "${native_ok:-}" ]; then
		native_ok=no
		[ $built = 1 ] && timeout "$GUEST_TIMEOUT" "$TV" --engine=native \
			"$BUILD/guests/hello.elf" </dev/null >"$LOG/nout" 2>"$LOG/nerr" &&
			cmp -s tests/guests/hello.out "$LOG/nout" && native_ok=yes
	fi
	[ "$native_ok" = yes ]
}

# native POINTS SOFTCPU-GOT NAME EXPECTED STATUS ARGS...: a guest run on
# the native engine where it works here; elsewhere the check gets the
# share of its points the same guest got on softcpu (SOFTCPU-GOT of
# SOFTCPU-MAX there), and says so.
native() {
	pts=$1; soft=$2; shift 2
	wanted "$1" || return 0
	if native_works; then
		guest "$pts" "$@"
	else
		{ echo "the native engine does not run here:"; grep -m1 . "$LOG/nerr" 2>/dev/null; } >"$LOG/why"
		if [ "$soft" -gt 0 ]; then got=$pts; else got=0; fi
		report "$got" "$pts" "guest: $1 (not run: counts as the softcpu run above)" "$LOG/why"
	fi
}

# ------------------------------------------------------------ lab 1
# The instructions of the handout's task 2, and the class isa/README.md
# (kept equal to isa/pgclass.c by a unit test) gives each.  A wrong answer
# is named with the student's class, never with the right one.
LAB1_LIST="cli|sti|hlt|in|out|lgdt|sgdt|lidt|sidt|lmsw|smsw|pushf|popf|\
mov to crN|mov from Sreg|mov to Sreg|push Sreg|cpuid|rdtsc|rdmsr|invlpg|\
lar|str|iretq|syscall|swapgs|xgetbv|rdfsbase|int3|ud2"

lab1_answers() {
	wanted answers || return 0
	f=labs/01-classify/answers.txt
	: >"$LOG/why"; right=0; n=0
	IFS='|'
	for ins in $LAB1_LIST; do
		n=$((n + 1))
		want=$(grep "^| \`$ins\` |" isa/README.md | awk -F'|' '{gsub(/ /, "", $3); print $3}')
		got=$(grep -v '^#' "$f" 2>/dev/null | awk -F: -v i="$ins" '
			{ k = $1; gsub(/^[ \t]+|[ \t]+$/, "", k)
			  v = $2; gsub(/^[ \t]+|[ \t]+$/, "", v)
			  if (k == i) { print v; exit } }')
		if [ "$got" = "$want" ]; then
			right=$((right + 1))
		else
			echo "$ins: ${got:-no answer}" >>"$LOG/why"
		fi
	done
	unset IFS
	report $((60 * right / n)) 60 "answers: labs/01-classify/answers.txt classifies $right of $n instructions right" "$LOG/why"
}

# (No guest run: lab 1's tree has labs 2 to 5 as holes, and its task 1
# runs pgcheck on the reference monitor in ref/.)
lab1() {
	build
	unit 10 test_isa test_decode_mov_cr3
	unit 10 test_isa test_table_privileged test_table_innocuous
	unit 10 test_isa test_table_sensitive_unprivileged test_table_rows_32
	lab1_answers
}

# ------------------------------------------------------------ lab 2
lab2() {
	build
	guest 5 hello hello.out 0 --engine=softcpu hello.elf
	unit 10 test_interp test_cli_sti
	unit 10 test_interp test_hlt_invlpg_wbinvd
	unit 10 test_interp test_mov_cr
	unit 5 test_interp test_mov_cr_ud_before_cpl
	unit 10 test_interp test_msr
	unit 5 test_interp test_rdmsr_zero_extends
	unit 5 test_interp test_rep_outs_ins
	unit 5 test_interp test_rep_outs_stops_at_exit
	guest 25 pgcheck-strict pgcheck.strict.out 0 --engine=softcpu --isa=strict pgcheck.elf
}

# ------------------------------------------------------------ lab 3
lab3() {
	build
	unit 10 test_interp test_deliver_same_level
	unit 10 test_interp test_deliver_from_user_and_ist
	unit 5 test_interp test_double_fault test_triple_fault
	unit 10 test_interp test_iretq test_deliver_then_iretq
	unit 10 test_interp test_syscall_sysret
	unit 5 test_interp test_int_n test_int3_int1_and_interrupt
	guest 20 timer timer.out 0 --engine=softcpu --icount timer.elf
	guest 20 toyos toyos.out 0 --engine=softcpu --icount toyos.elf
}

# ------------------------------------------------------------ lab 4
lab4() {
	build
	unit 10 test_shadowpt test_shadow_true_fault test_shadow_user_view_refuses_supervisor
	unit 10 test_shadowpt test_shadow_invlpg test_shadow_invlpg_large
	unit 15 test_shadowpt test_cr3_keeps_only_global_entries test_cr3_without_pge_drops_all test_cr3_switch_and_back
	guest 35 paging paging.out 0 --engine=softcpu paging.elf
	guest 20 toyos toyos.out 0 --engine=softcpu --icount toyos.elf
}

# ------------------------------------------------------------ lab 5
lab5() {
	build
	unit 10 test_pic_pit test_pit_rate_generator_edges
	unit 5 test_pic_pit test_pit_square_wave_same_period
	unit 5 test_pic_pit test_pit_square_wave_counts_by_two
	unit 5 test_pic_pit test_pit_latch_and_read
	unit 5 test_pic_pit test_pit_lohi_waits_for_high_byte
	unit 5 test_pic_pit test_pit_one_shot
	unit 5 test_pic_pit test_pit_long_run
	unit 5 test_devices test_pic_and_pit_are_wired
	guest 25 timer timer.out 0 --engine=softcpu --icount timer.elf
	guest_if_ok 10 timer-strict timer.out 0 --engine=softcpu --isa=strict --icount=3 timer.elf
	guest_if_ok 10 timer-host-clock timer.out 0 --engine=softcpu timer.elf
}

# ------------------------------------------------------------ lab 6
# The write-up is graded on what can be checked: its Results table holds
# the numbers of the student's own run, the results.csv handed in beside
# it (labs/06-hardware-assist/results.csv, a copy of what make bench
# wrote).  What the prose says is for the instructor.
LAB6_CSV_HEADER="benchmark,engine,cycles_per_iter_median,min,max,runs,iters,ratio_to_host"

lab6_results() {
	for f in bench/results.csv "$BUILD/bench/results.csv"; do
		[ -s "$f" ] && { echo "$f"; return; }
	done
}

# The share (in points of MAX) of the CSV's measurements that the
# report's first table under "## Results" gives right: a row per
# benchmark, a column per engine named as in the CSV, the median in
# cycles (rounded as you like: right to the digits shown, or within
# 0.5%), and a ratio "(Nx)", where given, right the same way.
lab6_table() { # report csv max
	awk -F, -v max="$3" -v why="$LOG/why" '
	function num(s) { gsub(/,/, "", s); return s + 0 }
	function decimals(s) { return s ~ /\./ ? length(s) - index(s, ".") : 0 }
	function close_to(shown, v,    r, d) {
		r = num(shown); d = decimals(shown)
		if (r - v <= 0.5 * 10 ^ -d + 1e-9 && v - r <= 0.5 * 10 ^ -d + 1e-9)
			return 1
		return (r - v) ^ 2 <= (0.005 * v) ^ 2
	}
	FNR == NR { # the report
		if (/^## /) { on = ($0 ~ /^## Results/); next }
		if (!on || done || $0 !~ /^\|/) { if (rows) done = 1; next }
		n = split($0, c, "|")
		for (i = 2; i < n; i++) { gsub(/^[ \t]+|[ \t]+$/, "", c[i]) }
		if (!head) { head = 1; for (i = 3; i < n; i++) col[i] = c[i]; ncol = n; next }
		if (c[2] ~ /^-+$/ || c[2] ~ /^:?-+:?$/) next
		rows++
		for (i = 3; i < ncol; i++) cell[c[2] SUBSEP col[i]] = c[i]
		next
	}
	FNR == 1 { next } # the CSV header
	$1 == "signal" || $1 == "ptrace" { next } # mechanisms, not benchmarks
	{
		total++
		k = $1 SUBSEP $2
		if (!(k in cell) || cell[k] !~ /^[0-9]/) {
			if (rows && bad++ < 4) print "no number for " $1 " on " $2 >>why
			next
		}
		shown = cell[k]; sub(/[ \t(].*/, "", shown)
		if (!close_to(shown, $3 + 0)) {
			if (rows && bad++ < 4) print $1 " on " $2 ": the table says " shown ", the run " $3 >>why
			next
		}
		if (cell[k] ~ /\(/) {
			r = cell[k]; sub(/^[^(]*\(/, "", r); sub(/x?\).*/, "", r)
			if ($8 == "" || !close_to(r, $8 + 0)) {
				if (rows && bad++ < 4) print $1 " on " $2 ": the ratio says " r ", the run " ($8 == "" ? "none" : $8) >>why
				next
			}
		}
		right++
	}
	END {
		if (!rows) print "no table under \"## Results\"" >>why
		printf "%d %d %d\n", total ? int(max * right / total) : 0, right, total
	}' "$1" "$2"
}

lab6() {
	build
	f=labs/06-hardware-assist/report.md
	csv=labs/06-hardware-assist/results.csv
	if wanted bench; then
		: >"$LOG/why"
		res=$(lab6_results)
		if [ -z "$res" ]; then
			echo "no bench/results.csv: run make bench first" >"$LOG/why"
			report 0 30 "make bench ran (bench/results.csv)" "$LOG/why"
		else
			report 30 30 "make bench ran ($res)"
		fi
	fi
	wanted results || return 0
	: >"$LOG/why"
	if [ ! -s "$csv" ]; then
		echo "$csv is missing: copy the bench/results.csv of the run your report gives" >"$LOG/why"
		report 0 60 "write-up: the Results table has your run's numbers ($csv)" "$LOG/why"
		return
	fi
	if [ "$(head -1 "$csv")" != "$LAB6_CSV_HEADER" ]; then
		echo "$csv is not what make bench writes (its first line: $LAB6_CSV_HEADER)" >"$LOG/why"
		report 0 60 "write-up: the Results table has your run's numbers ($csv)" "$LOG/why"
		return
	fi
	# shellcheck disable=SC2046 # three numbers
	set -- $(lab6_table "$f" "$csv" 60)
	report "$1" 60 "write-up: the Results table of $f has $2 of the $3 numbers of $csv" "$LOG/why"
}

# ------------------------------------------------------------ lab 7
lab7() {
	build
	unit 10 test_patch test_only_sensitive_unprivileged test_both_edges_and_calls test_32bit
	unit 10 test_patch test_overlay test_site_inside_another_in_ram test_in_ram
	unit 10 test_patch test_follows_flow_not_sweep test_where_paths_go test_other_pages_not_followed test_16bit
	unit 5 test_patch test_crossing test_written test_bad_input
	unit 10 test_patch test_trap_side test_original_in_ram
	guest 15 pgcheck-patch pgcheck.patch.out 1 --engine=softcpu --patch pgcheck.elf
	pg=$last_got
	guest 15 selfpatch-patch selfpatch.out 0 --engine=softcpu --patch selfpatch.elf
	sp=$last_got
	guest 5 mb32-x86-patch mb32.out 0 --engine=softcpu --isa=x86 --patch --disk=mb32.img --initrd=tests/guests/mb32.initrd mb32.elf -- one two three
	native 5 "$pg" pgcheck-patch-native pgcheck.patch.out 1 --engine=native --patch pgcheck.elf
	native 5 "$sp" selfpatch-patch-native selfpatch.native-patch.out 0 --engine=native --patch selfpatch.elf
}

# ------------------------------------------------------------ lab 8
# blkio on the virtio disk, placed as --backend says, on a fresh image
# (the guest writes two sectors of it).
lab8_blkio() { # POINTS NAME BACKEND
	sh tests/guests/blkio.sh make "$LOG/blkio.img"
	guest_if_ok "$1" "$2" blkio.out 0 --engine=softcpu --backend="$3" \
		--disk="$LOG/blkio.img,if=virtio,serial=blkio" blkio.elf
}

# A short run of fuzz/virtio (random registers and rings against the
# card): it must find nothing.  Only for a ring that passes its unit
# tests: a device that refuses every chain has nothing to find.  Where
# libFuzzer (clang) is missing it counts as those tests.
lab8_fuzz() { # POINTS UNIT-GOT
	: >"$LOG/why"
	if [ "$2" = 0 ]; then
		echo "not run: the ring's unit tests above fail" >"$LOG/why"
		report 0 "$1" "fuzz: fuzz/virtio finds nothing" "$LOG/why"
	elif ! make --no-print-directory BUILD="$BUILD" "$BUILD/fuzz/fuzz_virtio" \
		>"$LOG/fbuild" 2>&1; then
		{ echo "libFuzzer is not here (make $BUILD/fuzz/fuzz_virtio failed):"
		  grep -m1 -E 'error|not found' "$LOG/fbuild"; } >"$LOG/why"
		report "$1" "$1" "fuzz: fuzz/virtio (not run: counts as the unit tests)"
	elif sh fuzz/run.sh "$BUILD" "${FUZZ_TIME:-20}" virtio >"$LOG/fuzz" 2>&1; then
		report "$1" "$1" "fuzz: fuzz/virtio finds nothing ($(grep -o '[0-9?]* executions' "$LOG/fuzz"))"
	else
		grep -v '^fuzz: findings' "$LOG/fuzz" >"$LOG/why"
		report 0 "$1" "fuzz: fuzz/virtio finds nothing" "$LOG/why"
	fi
}

lab8() {
	build
	unit 10 test_virtio_ring test_avail_ring_wraps_at_65535 test_avail_ring_in_order
	t1=$got
	unit 15 test_virtio_ring test_chain_indirect test_chain_loop test_desc_outside_ram
	t2=$got
	unit 10 test_virtio_ring test_used_after_data_with_length
	t3=$got
	unit 10 test_virtio_ring test_no_interrupt_flag
	t4=$got
	unit 10 test_virtio_ring test_used_event test_avail_event_written
	t5=$got
	lab8_blkio 15 blkio vcpu
	lab8_blkio 5 blkio-thread thread
	lab8_blkio 5 blkio-process process
	guest_if_ok 5 vcons vcons.out 0 --engine=softcpu --console=virtio vcons.elf
	if [ "$t1" -gt 0 ] && [ "$t2" -gt 0 ] && [ "$t3" -gt 0 ] &&
	   [ "$t4" -gt 0 ] && [ "$t5" -gt 0 ]; then
		lab8_fuzz 5 1
	else
		lab8_fuzz 5 0
	fi
}

# ------------------------------------------------------------ lab 9
# Two kernels written for a real PC: toyos32 runs its processes under
# 2-level paging; mb32 goes through 2-level paging with 4 MiB and global
# pages, then PAE with NX, before it switches to long mode.
lab9() {
	build
	unit 10 test_walk test_walk32_entries test_walk32_cr3
	unit 10 test_walk test_walk32_4m_pse test_walk32_4m_reserved
	unit 10 test_walk test_pae_pdpte_load
	unit 10 test_walk test_pae_walk_registers
	unit 10 test_walk test_pae_indices_and_2m test_pae_reserved
	unit 10 test_walk test_pae_xd test_walk32_no_xd
	unit 5 test_walk test_shadow_fill_both_formats
	guest 10 toyos32 toyos32.out 0 --engine=softcpu --isa=strict toyos32.elf
	# partial credit for the checks of the walks only: sections 1 to 3
	# pass before paging is turned on, and long mode's 4-level walk is
	# not this lab's
	pass_section="4. paging"
	guest 15 mb32 mb32.out 0 --engine=softcpu --isa=strict --disk=mb32.img --initrd=tests/guests/mb32.initrd mb32.elf -- one two three
	pass_section=
}

# ------------------------------------------------------------ lab 10
# The image of a fix must not ask the CPU what it would lie about at
# ring 3 - IF by pushf, the code selector by mov or push from CS - and
# must not stop at a hole: objdump's view of its code, as lab 7's scanner
# reads it.  (softcpu's mov %cs shows the kernel's own selector with RPL 3,
# which a gate ignores: the run cannot see a gate built from it.)
lab10_image() { # POINTS NAME IMAGE
	wanted "$2" || return 0
	img=${GRADE_GUESTS:-$BUILD/guests}/$3
	: >"$LOG/why"
	if [ $built = 0 ] || [ ! -f "$img" ]; then
		echo "not run: $img was not built" >"$LOG/why"
	elif ! objdump -d --no-show-raw-insn "$img" >"$LOG/dis" 2>"$LOG/why"; then
		:
	else
		awk '/^[0-9a-f]+ <.*>:$/ { fn = $2; gsub(/[<>:]/, "", fn) }
		     /\tpushf/ || /\tmov +%cs,/ || /\tpush +%cs$/ {
			sub(/^[ \t]*[0-9a-f]+:[ \t]*/, ""); print "  " fn ": " $0 " (asks the CPU)" }
		     /call .*<rt_lab_todo>/ { print "  " fn ": still a hole (rt_lab_todo)" }' \
			"$LOG/dis" | head -6 >"$LOG/why"
		[ -s "$LOG/why" ] && sed -i "1i $3:" "$LOG/why"
	fi
	if [ -s "$LOG/why" ]; then got=0; else got=$1; fi
	report "$got" "$1" "image: $3 asks the CPU for neither IF (pushf) nor CS, and has no hole ($2)" "$LOG/why"
}

lab10() {
	build
	guest 5 toyos32-x86 toyos32.x86.out 1 --engine=softcpu --isa=x86 toyos32.elf
	guest 25 toyos32-nohabits-x86 toyos32.out 0 --engine=softcpu --isa=x86 toyos32-nohabits.elf
	lab10_image 10 toyos32-nohabits-image toyos32-nohabits.elf
	guest 5 toyos32-nohabits-strict toyos32.out 0 --engine=softcpu --isa=strict toyos32-nohabits.elf
	guest 25 toyos32-pv-x86 toyos32.out 0 --engine=softcpu --isa=x86 toyos32-pv.elf
	lab10_image 5 toyos32-pv-image toyos32-pv.elf
	guest 5 toyos32-pv-strict toyos32.out 0 --engine=softcpu --isa=strict toyos32-pv.elf
	guest 10 toyos32-x86-patch toyos32.out 0 --engine=softcpu --isa=x86 --patch toyos32.elf
}

# A lab is a number with its function labN above (lab1 is not lab10).
case $LAB in
[1-9]|[1-9][0-9]) [ "$(command -v "lab$LAB")" = "lab$LAB" ] || LAB_BAD=1 ;;
*) LAB_BAD=1 ;;
esac
if [ -n "${LAB_BAD:-}" ]; then
	echo "grade.sh: there is no lab $LAB (labs/README.md lists them)" >&2; exit 2
fi
echo "=== grading lab $LAB in $ROOT (build $BUILD)"; "lab$LAB"
if [ -n "$TEST" ]; then
	# the build's 10 points, and the checks of that one test
	[ $((total + skipped)) -gt 10 ] || { echo "grade.sh: lab $LAB has no test or guest named $TEST" >&2; exit 2; }
	final=$score; max=$total
	write_results
	echo "score: $score/$total (TEST=$TEST only)"
	[ "$score" -eq "$total" ]
	exit
fi
[ $((total + skipped)) -eq 100 ] || { echo "grade.sh: lab $LAB checks add up to $((total + skipped)), not 100" >&2; exit 2; }
max=100; final=$score
if [ "$skipped" -gt 0 ]; then
	final=$((score * 100 / total))
	echo "($skipped points of checks not counted: they need later labs' code; $score/$total scaled)"
fi
write_results
echo "score: $final/100"
[ "$score" -eq "$total" ]
