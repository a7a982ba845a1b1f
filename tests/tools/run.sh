# tests/tools/run.sh - the pictures and the packaging: --trace-json,
# --dump-paging, make FILE.svg, make install, the man page.  Sourced by
# tests/run.sh (pass, fail, check_run, $TV, $BUILD, $OUT, $HERE come from
# there).

root=$(cd "$HERE/.." && pwd)
build_abs=$(cd "$BUILD" && pwd)

# A run with --trace-json and --stats: the guest's output is what it is
# without them, and the trace is valid with one slice per exit and one
# instant per interrupt that --stats counted.
trace_case() { # name engine guest expected-output status
	timeout 120 "$TV" --engine="$2" --stats --trace-json="$OUT/t.json" \
		"$BUILD/guests/$3.elf" </dev/null >"$OUT/out" 2>"$OUT/err"
	check_run "tools/trace-json-$1-output" "$HERE/guests/$4" "$5" $?
	exits=$(awk '$1 == "total" { print $2; exit }' "$OUT/err")
	intr=$(sed -n 's/^interrupts injected into the guest: //p' "$OUT/err")
	if python3 "$HERE/tools/check_trace.py" "$OUT/t.json" \
		--exits "${exits:-0}" --interrupts "${intr:-0}" --stopped "$5" \
		>"$OUT/log" 2>&1 && [ "${exits:-0}" -gt 0 ]; then
		pass "tools/trace-json-$1"
	else
		fail "tools/trace-json-$1" "$OUT/log"
	fi
}

if ! command -v python3 >/dev/null; then
	echo "SKIP tools/trace-json: python3 is not installed (sh scripts/deps.sh test)"
else
	trace_case toyos-softcpu softcpu toyos toyos.out 0
	trace_case toyos-native native toyos toyos.out 0
	trace_case timer-softcpu softcpu timer timer.out 0
	# the checker itself refuses what a viewer would: a cut file, a slice
	# without dur, time going back on a track, slices that overlap
	h='{"displayTimeUnit":"ns","traceEvents":['
	x='{"ph":"X","pid":1,"tid":1,"name":"a","args":{}'
	bad=0
	for t in "$h$x,\"ts\":1,\"dur\":2}" \
		 "$h$x,\"ts\":1}]}" \
		 "$h$x,\"ts\":5,\"dur\":1},$x,\"ts\":4,\"dur\":0}]}" \
		 "$h$x,\"ts\":1,\"dur\":4},$x,\"ts\":2,\"dur\":4}]}"; do
		printf '%s' "$t" >"$OUT/bad.json"
		python3 "$HERE/tools/check_trace.py" "$OUT/bad.json" \
			>>"$OUT/log" 2>&1 && { bad=1; echo "accepted: $t" >>"$OUT/log"; }
	done
	printf '%s' "$h$x,\"ts\":1,\"dur\":4},$x,\"ts\":2,\"dur\":1}]}" \
		>"$OUT/good.json"
	if [ $bad = 0 ] && python3 "$HERE/tools/check_trace.py" \
		"$OUT/good.json" >>"$OUT/log" 2>&1; then
		pass tools/trace-json-checker-refuses-bad-traces
	else
		fail tools/trace-json-checker-refuses-bad-traces "$OUT/log"
	fi
	# a guest stopped for misbehaving: echo halts with no input to come
	timeout 60 "$TV" --engine=softcpu --trace-json="$OUT/t.json" \
		"$BUILD/guests/echo.elf" </dev/null >/dev/null 2>"$OUT/err"; rc=$?
	if [ $rc = 125 ] && python3 "$HERE/tools/check_trace.py" \
		"$OUT/t.json" --stopped 125 >"$OUT/log" 2>&1; then
		pass tools/trace-json-guest-stopped
	else
		echo "status $rc, expected 125" >>"$OUT/log"
		fail tools/trace-json-guest-stopped "$OUT/log"
	fi
	# SIGTERM while the guest waits for input: the run ends as at
	# Ctrl-C, the file is finished with the "stopped" event, whose
	# status is the shell's for the signal the monitor then dies of
	rm -f "$OUT/in"; mkfifo "$OUT/in"
	"$TV" --engine=softcpu --trace-json="$OUT/t.json" \
		"$BUILD/guests/echo.elf" <"$OUT/in" >"$OUT/out" 2>"$OUT/err" &
	pid=$!
	exec 9>"$OUT/in"
	printf 'sync\n' >&9
	n=0
	while ! grep -q "echo: ready" "$OUT/out" && [ $n -lt 200 ]; do
		sleep 0.1; n=$((n + 1))
	done
	kill -TERM "$pid"; wait "$pid" 2>/dev/null; rc=$?
	exec 9>&-
	if [ $rc = 143 ] && python3 "$HERE/tools/check_trace.py" \
		"$OUT/t.json" --stopped 143 >"$OUT/log" 2>&1; then
		pass tools/trace-json-sigterm
	else
		echo "status $rc, expected 143" >>"$OUT/log"
		fail tools/trace-json-sigterm "$OUT/log"
	fi
fi
# a file that cannot be created: one line, status 1, no run
for opt in trace-json dump-paging; do
	"$TV" --$opt="$OUT/no/such/dir.out" "$BUILD/guests/hello.elf" \
		</dev/null >"$OUT/out" 2>"$OUT/err"; rc=$?
	if [ $rc = 1 ] && [ "$(wc -l <"$OUT/err")" = 1 ] &&
	   [ ! -s "$OUT/out" ] &&
	   grep -q "^trapvisor: --$opt=.*: No such file" "$OUT/err"; then
		pass tools/$opt-unwritable
	else
		echo "status $rc, expected 1 with one line" >>"$OUT/err"
		fail tools/$opt-unwritable "$OUT/err"
	fi
done

# --dump-paging: Graphviz reads the graph; the guest's format is the one
# it ends in (toyos: 4-level; mb32, a multiboot kernel that goes from
# 32-bit and PAE paging on to long mode, 4-level too, unless stopped
# before); the marks of the shadow's states are there; the picture stays
# small.
dot_case() { # name status paging-format text-it-must-hold trapvisor-args...
	n=$1 st=$2 fmt=$3 text=$4; shift 4
	timeout 120 "$TV" --dump-paging="$OUT/p.dot" "$@" </dev/null \
		>/dev/null 2>"$OUT/err"; rc=$?
	size=$(wc -c <"$OUT/p.dot")
	if [ $rc = "$st" ] && dot -Tsvg "$OUT/p.dot" -o "$OUT/p.svg" \
		>"$OUT/log" 2>&1 && [ -s "$OUT/p.svg" ] &&
	   grep -q "the guest's page tables: $fmt" "$OUT/p.dot" &&
	   grep -q "$text" "$OUT/p.dot" && [ "$size" -lt 200000 ]; then
		pass "tools/dump-paging-$n"
	else
		echo "status $rc (want $st), $size bytes; want $fmt" \
			"and '$text'" >>"$OUT/log"
		cat "$OUT/err" >>"$OUT/log"
		fail "tools/dump-paging-$n" "$OUT/log"
	fi
}
if ! command -v dot >/dev/null; then
	echo "SKIP tools/dump-paging: graphviz is not installed (sh scripts/deps.sh test)"
else
	dot_case toyos-softcpu 0 "4-level paging" "U: none: supervisor page" \
		--engine=softcpu "$BUILD/guests/toyos.elf"
	dot_case toyos-native 0 "4-level paging" "S: filled" \
		--engine=native "$BUILD/guests/toyos.elf"
	dot_case mb32 0 "4-level paging" \
		"read-only: a write faults first, for D" "$BUILD/guests/mb32.elf"
	# stopped for misbehaving (its own test of --isa=x86), with paging
	# off: still drawn, the shadow's identity pages against no tables
	dot_case mb32-x86-stopped 125 "paging off (CR0.PG = 0)" \
		"agrees with the guest" --engine=softcpu --isa=x86 \
		"$BUILD/guests/mb32.elf"
	# a run that a signal ends (Ctrl-C; SIGTERM, timeout's) is drawn
	# too, as it stood: the guest runs for ever (badinput/loop.S); the
	# signal comes once its first trap is traced (the code's page
	# filled); the monitor dies of SIGTERM once the picture is written
	gcc -nostdlib -static -no-pie -Wl,--build-id=none \
		-Wl,-Ttext=0x200000 -o "$OUT/loop.elf" "$HERE/badinput/loop.S"
	for sig in INT TERM; do
		rm -f "$OUT/p.dot" "$OUT/err"
		timeout 60 "$TV" --engine=softcpu --trace=pf \
			--dump-paging="$OUT/p.dot" "$OUT/loop.elf" </dev/null \
			>/dev/null 2>"$OUT/err" &
		pid=$!
		n=0
		while ! grep -q '^\[trap\] pf' "$OUT/err" 2>/dev/null &&
		      [ $n -lt 300 ]; do
			sleep 0.1; n=$((n + 1))
		done
		kill -s $sig $pid; wait $pid 2>/dev/null; rc=$?
		want=143 # killed by SIGTERM, to the shell
		[ $sig = INT ] && want=130 # the monitor's own status for it
		if [ $rc = $want ] && dot -Tsvg "$OUT/p.dot" -o "$OUT/p.svg" \
			>"$OUT/log" 2>&1 && [ -s "$OUT/p.svg" ] &&
		   grep -q "the guest's page tables: 4-level paging" "$OUT/p.dot" &&
		   grep -q "S: 1 of 512 filled" "$OUT/p.dot"; then
			pass "tools/dump-paging-signal-$sig"
		else
			echo "status $rc (want $want)" >>"$OUT/log"
			cat "$OUT/err" >>"$OUT/log"
			fail "tools/dump-paging-signal-$sig" "$OUT/log"
		fi
	done
	# make FILE.svg draws FILE.dot
	rm -f "$OUT/p.svg"
	if make --no-print-directory -s -C "$root" "$OUT/p.svg" \
		>"$OUT/log" 2>&1 && grep -q "<svg" "$OUT/p.svg"; then
		pass tools/make-svg
	else
		fail tools/make-svg "$OUT/log"
	fi
fi

# make install DESTDIR=...: the binary, the QEMU front end (a link that
# starts it under QEMU's command line) and the man page
inst=$OUT/inst
if make --no-print-directory -s -C "$root" -o "$build_abs/trapvisor" \
	BUILD="$build_abs" DESTDIR="$inst" PREFIX=/usr install \
	>"$OUT/log" 2>&1 &&
   cmp -s "$inst/usr/bin/trapvisor" "$BUILD/trapvisor" &&
   [ "$(readlink "$inst/usr/bin/trapvisor-qemu")" = trapvisor ] &&
   "$inst/usr/bin/trapvisor-qemu" -version 2>&1 | grep -q "not QEMU" &&
   cmp -s "$inst/usr/share/man/man1/trapvisor.1" "$root/docs/trapvisor.1" &&
   [ "$(find "$inst" -type f -o -type l | wc -l)" = 3 ]; then
	pass tools/make-install
else
	find "$inst" >>"$OUT/log" 2>&1
	fail tools/make-install "$OUT/log"
fi

# the man page names every option of both --help texts, and no other; the
# check itself catches a page that lost an option
if sh "$HERE/tools/manpage.sh" "$TV" "$root/docs/trapvisor.1" \
	>"$OUT/log" 2>&1; then
	pass tools/man-page-matches-help
else
	fail tools/man-page-matches-help "$OUT/log"
fi
grep -v '^\.BI \\-\\-trace\\-json=' "$root/docs/trapvisor.1" >"$OUT/t.1"
if ! sh "$HERE/tools/manpage.sh" "$TV" "$OUT/t.1" >"$OUT/log" 2>&1 &&
   grep -q -- "--trace-json: in trapvisor --help but not" "$OUT/log"; then
	pass tools/man-page-check-catches-a-missing-option
else
	fail tools/man-page-check-catches-a-missing-option "$OUT/log"
fi
# the page is well-formed roff: groff reads it without a warning
if command -v groff >/dev/null; then
	if groff -man -ww -z "$root/docs/trapvisor.1" >"$OUT/log" 2>&1 &&
	   [ ! -s "$OUT/log" ]; then
		pass tools/man-page-renders
	else
		fail tools/man-page-renders "$OUT/log"
	fi
else
	echo "SKIP tools/man-page-renders: groff is not installed"
fi
