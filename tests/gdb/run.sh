# tests/gdb/run.sh - gdb against the stub (--gdb, monitor/gdbstub.c), in
# batch mode, on every engine.  Sourced by tests/run.sh, which calls
# suite_gdb_here, and by tests/kvm/inside.sh, which calls
# suite_gdb_sessions kvm (pass, fail, $TV, $OUT, $HERE, $BUILD come from
# there).
#
# Each session starts trapvisor with --gdb=localhost:0 (the kernel picks a
# free port, which the stub prints, so that parallel runs never collide),
# runs a gdb script against it, and checks three things: the lines the
# script printed with "CHECK" (values worked out here from the guest's ELF
# with nm and objdump, not copied from a run), the guest's whole serial
# output, and trapvisor's exit status.  gdb missing is a failure: the
# project's own scripts/deps.sh test installs it.

GIMG=$BUILD/guests/hello.elf
GENGINE=softcpu
HELLO='Hello from a de-privileged guest kernel!'

# Start trapvisor waiting for gdb; sets tvpid and port.
# $TVGDB, when set, is the command instead (trapvisor-qemu's options).
gdb_start() { # TRAPVISOR-ARGS...
	rm -f "$OUT/tv.err" # never the port line of the session before
	# shellcheck disable=SC2086
	timeout 120 ${TVGDB:-$TV --engine=$GENGINE --gdb=localhost:0} "$@" \
		</dev/null >"$OUT/tv.out" 2>"$OUT/tv.err" &
	tvpid=$!
	port=""
	for _ in $(seq 100); do
		port=$(sed -n 's/^trapvisor: gdb: [a-z ]* on localhost:\([0-9][0-9]*\)$/\1/p' "$OUT/tv.err" 2>/dev/null)
		[ -n "$port" ] && return 0
		sleep 0.1
	done
	return 1
}

# A whole session: gdb runs SCRIPT; then its CHECK lines, the guest's
# output and trapvisor's status are compared with what is expected.
gdb_session() { # NAME SCRIPT CHECKS STDOUT STATUS TRAPVISOR-ARGS...
	n=$1 script=$2 checks=$3 stdout=$4 status=$5; shift 5
	if ! gdb_start "$@"; then
		echo "no port line from trapvisor:" >"$OUT/why"
		cat "$OUT/tv.err" >>"$OUT/why"
		fail "gdb/$n" "$OUT/why"
		return
	fi
	timeout 60 gdb -batch -nx -ex "set pagination off" \
		-ex "set confirm off" -ex "file ${GIMG}" \
		-ex "target remote localhost:$port" -x "$script" \
		>"$OUT/gdb.out" 2>&1 </dev/null
	wait "$tvpid"; rc=$?
	grep '^CHECK' "$OUT/gdb.out" >"$OUT/checks"
	printf '%s' "$checks" >"$OUT/checks.want"
	printf '%s' "$stdout" >"$OUT/stdout.want"
	if [ "$rc" = "$status" ] && cmp -s "$OUT/checks" "$OUT/checks.want" &&
	   cmp -s "$OUT/tv.out" "$OUT/stdout.want"; then
		pass "gdb/$n"
	else
		{
			echo "status $rc (want $status); checks:"
			diff -u "$OUT/checks.want" "$OUT/checks"
			echo "guest output:"; diff -u "$OUT/stdout.want" "$OUT/tv.out"
			echo "gdb:"; cat "$OUT/gdb.out"
			echo "trapvisor:"; cat "$OUT/tv.err"
		} >"$OUT/why" 2>&1
		fail "gdb/$n" "$OUT/why"
	fi
}

# Addresses from the image: a symbol, and what objdump shows.
sym() { printf '%#x' "0x$(nm "$GIMG" | awk -v s="$1" '$3 == s { print $1 }')"; }
sym32() { printf '%#x' "0x$(nm "$BUILD/guests/mb32.elf" | awk -v s="$1" '$3 == s { print $1 }')"; }
# The first instruction of function FN whose text matches PATTERN.
insn_in() { # FN PATTERN
	objdump -d --no-show-raw-insn "$GIMG" | awk -v fn="<$1>:" -v pat="$2" '
		$2 == fn { inside = 1; next }
		/^$/ { inside = 0 }
		inside && $0 ~ pat { sub(":", "", $1); print "0x" $1; exit }'
}
# The instruction after the first one whose text matches PATTERN.
insn_after() { # PATTERN
	objdump -d --no-show-raw-insn "$GIMG" | awk -v pat="$1" '
		found { sub(":", "", $1); print "0x" $1; exit }
		$0 ~ pat { found = 1 }'
}

# The sessions every engine with the debug hook passes: NAME/... checks.
suite_gdb_sessions() { # ENGINE
	GENGINE=$1
	main=$(sym main)
	in_lsr=$(insn_in rt_puts 'in +\\(%dx\\),%al')
	after_store=$(insn_after 'mov +%rdi,.*<rt_boot_info>')

	# Break at a function by name, read a register, write one: main's
	# argument pointer moved one byte on, so the guest prints "i".
	cat >"$OUT/s.gdb" <<-'EOF'
	break main
	continue
	printf "CHECK pc=%#lx\n", $pc
	printf "CHECK args=%s\n", (char *)$rdi
	set $rdi = $rdi + 1
	delete
	detach
	EOF
	gdb_session $1/break-and-register "$OUT/s.gdb" \
		"CHECK pc=$main
CHECK args=hi
" "$HELLO
args: i
" 0 "$GIMG" -- hi

	# Write guest memory: the first byte of the string rt_printf prints.
	cat >"$OUT/s.gdb" <<-'EOF'
	break rt_printf
	continue
	printf "CHECK first=%c\n", *(char *)$rdi
	set {char}$rdi = 'J'
	printf "CHECK first=%c\n", *(char *)$rdi
	delete
	detach
	EOF
	gdb_session $1/memory-write "$OUT/s.gdb" \
		"CHECK first=H
CHECK first=J
" "Jello from a de-privileged guest kernel!
" 0 "$GIMG"

	# A single step across a trapping instruction (in al, dx from the
	# UART's line status register, emulated by the monitor) ends after
	# it, with its effect: AL = THRE | TEMT (0x60).
	cat >"$OUT/s.gdb" <<-EOF
	break *$in_lsr
	continue
	printf "CHECK pc=%#lx\n", \$pc
	set \$rax = 0
	stepi
	printf "CHECK pc=%#lx al=%#x\n", \$pc, \$rax & 0xff
	delete
	detach
	EOF
	gdb_session $1/step-across-in "$OUT/s.gdb" \
		"CHECK pc=$in_lsr
CHECK pc=$(printf '%#x' $((in_lsr + 1))) al=0x60
" "$HELLO
" 0 "$GIMG"

	# A hardware watchpoint (Z2): the stop comes after the storing
	# instruction, with the new value in memory.
	cat >"$OUT/s.gdb" <<-'EOF'
	watch rt_boot_info
	continue
	printf "CHECK pc=%#lx stored=%d\n", $pc, rt_boot_info == $rdi && $rdi != 0
	delete
	detach
	EOF
	gdb_session $1/watchpoint "$OUT/s.gdb" \
		"CHECK pc=$after_store stored=1
" "$HELLO
" 0 "$GIMG"
	if ! grep -q '^Hardware watchpoint 1: rt_boot_info' "$OUT/gdb.out"; then
		echo "gdb did not set a hardware watchpoint:" >"$OUT/why"
		cat "$OUT/gdb.out" >>"$OUT/why"
		fail gdb/$1/watchpoint-is-hardware "$OUT/why"
	else
		pass gdb/$1/watchpoint-is-hardware
	fi

	# monitor info tlb: main's page, which the runtime maps 1:1 with a
	# 2 MiB supervisor page and the shadow holds once the code ran
	# there; an address nothing maps; then reading that address is an
	# error in gdb, not a fault in the monitor.  gdb quits at the error
	# and detaches, and the guest runs to its end.
	cat >"$OUT/s.gdb" <<-EOF
	break main
	continue
	monitor info tlb $main
	monitor info tlb 0x7fff00000000
	x/x 0x7fff00000000
	EOF
	gdb_session $1/monitor-info-tlb "$OUT/s.gdb" "" "$HELLO
" 0 "$GIMG"
	page=$(printf '%012x' $((main & ~0xfff)))
	# (kvm: the CPU walks the guest's tables itself; there is no shadow)
	shadow_main="$page 4K rwx" shadow_none="not filled"
	[ "$1" = kvm ] && shadow_main="none (nested paging)" &&
		shadow_none=$shadow_main
	{
		printf '0000%s  guest: %s 2M rwx sup A D  shadow: %s\n' \
			"$page" "$page" "$shadow_main"
		echo "00007fff00000000  guest: not mapped (#PF error 0)  shadow: $shadow_none"
		echo 'Cannot access memory at address 0x7fff00000000'
	} >"$OUT/want"
	grep -e '^0000' -e '^Cannot access' "$OUT/gdb.out" >"$OUT/got"
	if cmp -s "$OUT/want" "$OUT/got"; then
		pass gdb/$1/monitor-info-tlb-lines
	else
		diff -u "$OUT/want" "$OUT/gdb.out" >"$OUT/why"
		fail gdb/$1/monitor-info-tlb-lines "$OUT/why"
	fi

	# A debugger is invisible: gdb's reads and writes walk the guest's
	# tables without setting A or D (as QEMU's cpu_memory_rw_debug), so
	# a 2 MiB page of the boot identity map that the guest never touches
	# (16 MiB, inside its 64 MiB) shows neither after x and set.
	cat >"$OUT/s.gdb" <<-'EOF'
	break main
	continue
	x/2x 0x1000000
	set {int}0x1000000 = 5
	printf "CHECK poked=%d\n", *(int *)0x1000000
	monitor info tlb 0x1000000
	delete
	detach
	EOF
	gdb_session $1/memory-access-sets-no-a-d "$OUT/s.gdb" "CHECK poked=5
" "$HELLO
" 0 "$GIMG"
	echo "0000000001000000  guest: 000001000000 2M rwx sup  shadow: $shadow_none" >"$OUT/want"
	grep '^0000000001000000 ' "$OUT/gdb.out" >"$OUT/got"
	if cmp -s "$OUT/want" "$OUT/got"; then
		pass gdb/$1/memory-access-sets-no-a-d-lines
	else
		diff -u "$OUT/want" "$OUT/gdb.out" >"$OUT/why"
		fail gdb/$1/memory-access-sets-no-a-d-lines "$OUT/why"
	fi

	# monitor info paging: the picture of --dump-paging, for the CR3 of
	# the moment (at main: 4-level, the pages run so far filled; kvm has
	# no shadow to draw), which Graphviz reads.
	cat >"$OUT/s.gdb" <<-'EOF'
	break main
	continue
	monitor info paging
	delete
	detach
	EOF
	gdb_session $1/monitor-info-paging "$OUT/s.gdb" "" "$HELLO
" 0 "$GIMG"
	sed -n '/^digraph paging {$/,/^}$/p' "$OUT/gdb.out" >"$OUT/p.dot"
	shadow_drawn="S: [0-9]* of 512 filled"
	[ "$1" = kvm ] && shadow_drawn="none: the kvm engine's CPU walks"
	if ! command -v dot >/dev/null; then
		echo "SKIP gdb/$1/monitor-info-paging-draws: no graphviz"
	elif dot -Tsvg "$OUT/p.dot" -o "$OUT/p.svg" >"$OUT/why" 2>&1 &&
	   grep -q "the guest's page tables: 4-level paging" "$OUT/p.dot" &&
	   grep -q "$shadow_drawn" "$OUT/p.dot"; then
		pass gdb/$1/monitor-info-paging-draws
	else
		cat "$OUT/gdb.out" >>"$OUT/why"
		fail gdb/$1/monitor-info-paging-draws "$OUT/why"
	fi
}

# What only softcpu does: QEMU's front end (which picks it), 32-bit code.
suite_gdb_softcpu() {
	GENGINE=softcpu

	# trapvisor-qemu -S -gdb tcp::0: QEMU's spelling, the same stub;
	# the guest's exit(0) is status 1 there, as QEMU's isa-debug-exit.
	cat >"$OUT/s.gdb" <<-'EOF'
	break main
	continue
	printf "CHECK pc=%#lx\n", $pc
	delete
	detach
	EOF
	TVGDB="$BUILD/trapvisor-qemu -S -gdb tcp::0" gdb_session qemu-S-gdb \
		"$OUT/s.gdb" "CHECK pc=$main
" "$HELLO
" 1 -kernel "$GIMG"
	unset TVGDB # (whether a prefix assignment outlives a function call
		    # is the shell's choice)

	# A 32-bit guest (the multiboot kernel mb32, entered in protected
	# mode): the i386 layout, EIP and CR0 (PE, no PG yet at entry).
	cat >"$OUT/s.gdb" <<-'EOF'
	printf "CHECK eip=%#x cr0=%#x\n", $eip, $cr0
	break check
	continue
	printf "CHECK eip=%#x\n", $eip
	delete
	detach
	EOF
	GIMG=$BUILD/guests/mb32.elf gdb_session i386-layout "$OUT/s.gdb" \
		"CHECK eip=$(sym32 _start) cr0=0x11
CHECK eip=$(sym32 check)
" "$(cat "$HERE/guests/mb32-bare.out")
" 0 "$BUILD/guests/mb32.elf"
	GIMG=$BUILD/guests/hello.elf

	# continue to the guest's own end: gdb is told its exit status (W),
	# here pgcheck's 1 under --isa=x86 (its sensitive-unprivileged
	# checks fail, as they must).
	printf 'continue\n' >"$OUT/s.gdb"
	GIMG=$BUILD/guests/pgcheck.elf gdb_session exit-status "$OUT/s.gdb" \
		"" "$(cat "$HERE/guests/pgcheck.x86.out")
" 1 --isa=x86 "$BUILD/guests/pgcheck.elf"
	GIMG=$BUILD/guests/hello.elf
	if grep -q '^\[Inferior 1 (Remote target) exited with code 01\]$' "$OUT/gdb.out"; then
		pass gdb/exit-status-told
	else
		fail gdb/exit-status-told "$OUT/gdb.out"
	fi

	# Watchpoints see the monitor's own stores too (tests/gdb/store.S):
	# sidt emulated under --isa=strict stops watchpoint 2 after the
	# instruction; the #UD frame the monitor pushes stops watchpoint 3
	# at the handler, with the faulting RIP in the slot; watchpoint 1,
	# on memory nothing writes, never stops.
	gcc -nostdlib -static -no-pie -Wl,--build-id=none \
		-Wl,-Ttext=0x200000 -o "$OUT/store.elf" "$HERE/gdb/store.S"
	GIMG=$OUT/store.elf
	cat >"$OUT/s.gdb" <<-'EOF'
	watch *(long *)&untouched
	watch *(long *)&idt_copy
	watch *(long *)((char *)&stack_top - 40)
	continue
	printf "CHECK pc=%#lx hit=%d\n", $pc, $_hit_bpnum
	continue
	printf "CHECK pc=%#lx hit=%d pushed=%#lx\n", $pc, $_hit_bpnum, *(long *)((char *)&stack_top - 40)
	delete
	continue
	EOF
	gdb_session watch-monitor-stores "$OUT/s.gdb" "CHECK pc=$(sym stored) hit=2
CHECK pc=$(sym handler) hit=3 pushed=$(sym fault)
" "" 0 --isa=strict "$GIMG"
	GIMG=$BUILD/guests/hello.elf

	# kill: the VM stops at once, status 130, one line.
	printf 'kill\n' >"$OUT/s.gdb"
	gdb_session kill "$OUT/s.gdb" "" "" 130 "$GIMG"
	if grep -q '^trapvisor: killed by gdb at rip ' "$OUT/tv.err"; then
		pass gdb/kill-says-so
	else
		fail gdb/kill-says-so "$OUT/tv.err"
	fi
}

suite_gdb_errors() {
	# A port already in use: one line, status 1, nothing run.
	if gdb_start "$GIMG"; then
		"$TV" --engine=softcpu --gdb=localhost:"$port" "$GIMG" \
			</dev/null >"$OUT/out2" 2>"$OUT/err2"; rc=$?
		kill "$tvpid"; wait "$tvpid" 2>/dev/null
		if [ "$rc" = 1 ] && [ "$(wc -l <"$OUT/err2")" = 1 ] &&
		   grep -q "^trapvisor: --gdb=localhost:$port: Address already in use$" "$OUT/err2" &&
		   [ ! -s "$OUT/out2" ]; then
			pass gdb/port-in-use
		else
			echo "status $rc:" | cat - "$OUT/err2" "$OUT/out2" >"$OUT/why"
			fail gdb/port-in-use "$OUT/why"
		fi
	else
		fail gdb/port-in-use "$OUT/tv.err"
	fi

	# --gdb-nowait: the guest runs at once, no gdb needed.
	timeout 60 "$TV" --engine=softcpu --gdb=localhost:0 --gdb-nowait \
		"$GIMG" </dev/null >"$OUT/out" 2>"$OUT/err"; rc=$?
	printf '%s\n' "$HELLO" >"$OUT/want"
	if [ "$rc" = 0 ] && cmp -s "$OUT/want" "$OUT/out" &&
	   grep -q '^trapvisor: gdb: listening on localhost:[0-9]*$' "$OUT/err"; then
		pass gdb/nowait
	else
		cat "$OUT/err" "$OUT/out" >"$OUT/why"
		fail gdb/nowait "$OUT/why"
	fi

	# Bad command lines.
	"$TV" --gdb=localhost:99999 "$GIMG" </dev/null >"$OUT/out" 2>"$OUT/err"; rc=$?
	if [ "$rc" = 2 ] && [ "$(wc -l <"$OUT/err")" = 1 ] &&
	   grep -q '^trapvisor: --gdb=localhost:99999: give \[HOST:\]PORT' "$OUT/err"; then
		pass gdb/bad-port
	else
		fail gdb/bad-port "$OUT/err"
	fi

	# gdb's Ctrl-C stops a guest that runs for ever (tests/gdb/interrupt.sh).
	gcc -nostdlib -static -no-pie -Wl,--build-id=none -Wl,-Ttext=0x200000 \
		-o "$OUT/loop.elf" "$HERE/badinput/loop.S"
	if gdb_start "$OUT/loop.elf"; then
		bash "$HERE/gdb/interrupt.sh" "$port" >"$OUT/raw" 2>&1
		wait "$tvpid"; rc=$?
		if [ "$rc" = 130 ] && [ ! -s "$OUT/tv.out" ] &&
		   diff -u "$HERE/gdb/interrupt.expected" "$OUT/raw" >"$OUT/why" &&
		   grep -q '^trapvisor: killed by gdb at rip 0x200000$' "$OUT/tv.err"; then
			pass gdb/ctrl-c-stops-a-running-guest
		else
			{ echo "status $rc"; cat "$OUT/tv.err" "$OUT/tv.out"; } >>"$OUT/why"
			fail gdb/ctrl-c-stops-a-running-guest "$OUT/why"
		fi
	else
		fail gdb/ctrl-c-stops-a-running-guest "$OUT/tv.err"
	fi

	# --gdb-nowait: a gdb that connects later stops the running guest
	# (tests/gdb/attach.sh).
	rm -f "$OUT/tv.err"
	timeout 60 "$TV" --engine=softcpu --gdb=localhost:0 --gdb-nowait \
		"$OUT/loop.elf" </dev/null >"$OUT/tv.out" 2>"$OUT/tv.err" &
	tvpid=$!
	port=""
	for _ in $(seq 100); do
		port=$(sed -n 's/^trapvisor: gdb: listening on localhost:\([0-9][0-9]*\)$/\1/p' "$OUT/tv.err" 2>/dev/null)
		[ -n "$port" ] && break
		sleep 0.1
	done
	sleep 0.2 # running by now
	bash "$HERE/gdb/attach.sh" "$port" >"$OUT/raw" 2>&1
	wait "$tvpid"; rc=$?
	if [ "$rc" = 130 ] &&
	   diff -u "$HERE/gdb/attach.expected" "$OUT/raw" >"$OUT/why" &&
	   grep -q '^trapvisor: killed by gdb at rip 0x200000$' "$OUT/tv.err"; then
		pass gdb/attach-to-a-running-guest
	else
		{ echo "status $rc"; cat "$OUT/tv.err"; } >>"$OUT/why"
		fail gdb/attach-to-a-running-guest "$OUT/why"
	fi

	# The raw protocol (tests/gdb/raw.sh, in bash for /dev/tcp):
	# malformed packets get their errors, an unmapped address E14, and a
	# client that disconnects mid-session leaves the guest to finish.
	if gdb_start "$GIMG"; then
		bash "$HERE/gdb/raw.sh" "$port" >"$OUT/raw" 2>&1
		wait "$tvpid"; rc=$?
		printf '%s\n' "$HELLO" >"$OUT/want"
		if [ "$rc" = 0 ] && cmp -s "$OUT/want" "$OUT/tv.out" &&
		   diff -u "$HERE/gdb/raw.expected" "$OUT/raw" >"$OUT/why" &&
		   grep -q '^trapvisor: gdb: connection closed; the guest runs on$' "$OUT/tv.err"; then
			pass gdb/raw-protocol-and-disconnect
		else
			{ echo "status $rc"; cat "$OUT/tv.err" "$OUT/tv.out"; } >>"$OUT/why"
			fail gdb/raw-protocol-and-disconnect "$OUT/why"
		fi
	else
		fail gdb/raw-protocol-and-disconnect "$OUT/tv.err"
	fi
}

# make gdb GUEST=NAME (the Makefile's target and the tree's .gdbinit): gdb
# starts with the image's symbols, connects, and stops at main by name.
suite_gdb_make() {
	n=gdb/make-gdb-guest
	# a port of its own: the target takes a fixed one (GDBPORT)
	gport=$((20000 + $$ % 20000))
	(cd "$HERE/.." && timeout 120 make -s gdb GUEST=hello BUILD="$BUILD" \
		GDBPORT=$gport GDBFLAGS="-batch -ex 'break main' -ex continue \
		-ex 'info registers rip' -ex kill") >"$OUT/make.out" 2>&1
	if grep -q '^Breakpoint 1, main (' "$OUT/make.out" &&
	   grep -q '^rip .* <main>$' "$OUT/make.out" &&
	   grep -q 'killed by gdb at rip' "$OUT/make.out"; then
		pass $n
	else
		fail $n "$OUT/make.out"
	fi
	(cd "$HERE/.." && make -s gdb BUILD="$BUILD" 2>"$OUT/make.err")
	if [ $? = 2 ] && grep -q 'GUEST=NAME' "$OUT/make.err"; then
		pass gdb/make-gdb-without-guest
	else
		fail gdb/make-gdb-without-guest "$OUT/make.err"
	fi
}

# The suite on this machine (kvm's sessions run in the nested machine:
# tests/kvm/inside.sh calls suite_gdb_sessions kvm).
suite_gdb_here() {
	if ! command -v gdb >/dev/null 2>&1; then
		echo "gdb is not installed (sh scripts/deps.sh test installs it)" >"$OUT/why"
		fail gdb/gdb-installed "$OUT/why"
		return
	fi
	suite_gdb_sessions softcpu
	suite_gdb_sessions native
	suite_gdb_softcpu
	suite_gdb_errors
	suite_gdb_make
}
