# tests/escape/run.sh - guests that try to reach the host through the
# native engine.  Sourced by tests/run.sh (pass, fail, $TV, $OUT, $HERE
# come from there).
#
# Every guest must end as a guest fault (status 125 and one line on
# stderr) or a clean stop with the status it chose, with nothing printed
# on stdout, and nothing of what it tried may have happened on the host:
# no file created, no program run, the monitor alive to report.

# Build tests/escape/NAME.S into a tiny ELF64 image linked at 0x200000.
escimage() { # NAME
	gcc -nostdlib -static -no-pie -Wl,--build-id=none -Wl,-Ttext=0x200000 \
		-o "$OUT/$1.elf" "$HERE/escape/$1.S"
}

# One case: status STATUS; stderr one line matching PATTERN, or empty
# when PATTERN is "-"; stdout empty.  PREFIX (e.g. "setarch -R") runs
# trapvisor under another command.
escape() { # NAME STATUS PATTERN [PREFIX...]
	n=$1; st=$2; pat=$3; shift 3
	escimage "$n" || { fail "escape/$n"; return; }
	"$@" "$TV" --engine=native "$OUT/$n.elf" </dev/null >"$OUT/out" 2>"$OUT/err"
	rc=$?
	lines=$(wc -l <"$OUT/err")
	if [ "$pat" = - ]; then want=0; else want=1; fi
	if [ "$rc" = "$st" ] && [ "$lines" = "$want" ] && [ ! -s "$OUT/out" ] &&
	   { [ "$pat" = - ] || grep -q -- "$pat" "$OUT/err"; }; then
		pass "escape/$n"
	else
		echo "status $rc (want $st), $lines stderr lines (want $want${pat:+ matching '$pat'}):" >"$OUT/why"
		cat "$OUT/err" "$OUT/out" >>"$OUT/why"
		fail "escape/$n" "$OUT/why"
	fi
}

# A guest the two engines must run alike: the whole serial output
# (tests/escape/NAME.out) and the status, on softcpu and on native.
alike() { # NAME STATUS
	escimage "$1" || { fail "escape/$1"; return; }
	for e in softcpu native; do
		"$TV" --engine=$e "$OUT/$1.elf" </dev/null >"$OUT/out" 2>"$OUT/err"
		rc=$?
		if [ "$rc" = "$2" ] && cmp -s "$HERE/escape/$1.out" "$OUT/out"; then
			pass "escape/$1-$e"
		else
			{ echo "status $rc (want $2), output:"
			  diff -u "$HERE/escape/$1.out" "$OUT/out"
			  cat "$OUT/err"; } >"$OUT/why"
			fail "escape/$1-$e" "$OUT/why"
		fi
	done
}

# What softcpu gives a guest, the whole output (NAME.out) and status, for
# the cases native can only refuse (escape NAME ... checks that side).
softcpu_gives() { # NAME STATUS
	"$TV" --engine=softcpu "$OUT/$1.elf" </dev/null >"$OUT/out" 2>"$OUT/err"
	rc=$?
	if [ "$rc" = "$2" ] && cmp -s "$HERE/escape/$1.out" "$OUT/out"; then
		pass "escape/$1-softcpu"
	else
		{ echo "status $rc (want $2), output:"
		  diff -u "$HERE/escape/$1.out" "$OUT/out"; cat "$OUT/err"; } >"$OUT/why"
		fail "escape/$1-softcpu" "$OUT/why"
	fi
}

# A file the host must never see.
absent() { # NAME FILE
	if [ -e "$2" ]; then
		echo "$2 exists: the guest reached the host" >"$OUT/why"
		rm -f "$2"
		fail "escape/$1-absent" "$OUT/why"
	else
		pass "escape/$1-absent"
	fi
}

if ! "$TV" --engine=native /dev/null 2>&1 | grep -q "not a regular"; then
	echo "SKIP escape: the native engine cannot run here"
	return 0 2>/dev/null || exit 0
fi

rm -f /tmp/trapvisor-escape-open /tmp/trapvisor-escape-exec
# System calls reach the guest's own LSTAR (42) or IDT gate (43).
escape syscall_write 42 -
escape syscall_open 42 -
absent syscall_open /tmp/trapvisor-escape-open
escape syscall_execve 42 -
absent syscall_execve /tmp/trapvisor-escape-exec
escape syscall_kill 42 -
alike syscall_below_stub 42
# A page unmapped in one address space while another runs is gone when
# the first comes back: the native engine's parked child of that space
# (engines/native/space.c) must not keep it.
alike stale_cr3 42
# A page kept across a CR3 load (fetched ahead into the shadow) must be
# the frame the tables give now, and no accessed or dirty flag may be set
# that the guest's own accesses would not set (shadowpt_prefetch).
alike cr3_prefetch 42
# The guest's SSE and AVX registers follow it from child to child
# (XSAVE state moved at each switch); softcpu has no SSE to compare.
escape fpu_switch 42 -
escape int80 43 -
# sysenter: #UD in 64-bit mode on AMD and on the virtual CPU.  On an Intel
# CPU it enters the host kernel's 32-bit system call path, which loses the
# guest's RIP: the engine stops the guest and says so (README.md in
# engines/native, "Limits").  With [rbp] unreadable the kernel returns to
# 32-bit mode at once; with it readable it gets as far as an i386 call,
# which must not happen (no file, nothing on stdout).
rm -f /tmp/trapvisor-escape-sysenter
if grep -q "^vendor_id.*GenuineIntel" /proc/cpuinfo; then
	escape sysenter 125 "left 64-bit mode.*sysenter on an Intel host"
	escape sysenter_creat 125 "executed sysenter.*Intel host"
	escape sysenter_write 125 "executed sysenter.*Intel host"
else
	escape sysenter 125 "triple fault"
	escape sysenter_creat 43 -
	escape sysenter_write 43 -
fi
absent sysenter_creat /tmp/trapvisor-escape-sysenter
# Memory: outside RAM, where the host keeps its libraries, where the
# monitor's code is, the engine's own stub page, the vsyscall page.
escape outside_ram 1 -
escape high_linear 125 "highest address a host process can mirror"
if setarch -R true 2>/dev/null; then
	escape monitor_text 42 - setarch -R
else
	escape monitor_text 42 -
fi
# A kernel-half GS base (badinput/kbase.S sets and swaps them) used for a
# load: the host process cannot reach it, and must not load from anywhere
# else.
escape kbase_use 125 "accesses 0xffff888000000008 through its GS base 0xffff888000000000"
escape stub_jump 125 "triple fault"
escape stub_write 125 "triple fault"
# The guest's view around the stub is what its tables grant: #PF there,
# #BP for an int3 just below; a guest page at the stub's own address is
# refused in one line.
alike stub_view 42
escape stub_map 125 "highest address a host process can mirror"
escape vsyscall 125 "triple fault"
# The host's ring-3 selectors (0x23 32-bit code, 0x2b data) load without
# a fault on native; the guest's GDT says otherwise.  softcpu gives the
# guest's #GP/#NP; native stops in one line rather than run on.
escape far_lret 125 "host's code selector 0x23"
softcpu_gives far_lret 42
escape far_ljmp 125 "host's code selector 0x23"
softcpu_gives far_ljmp 42
escape far_ds 125 "selector 0x2b into DS"
softcpu_gives far_ds 42
# A guest that never traps still gets its timer, and Ctrl-C stops it.
escape timer_loop 42 - timeout 20
gcc -nostdlib -static -no-pie -Wl,--build-id=none -Wl,-Ttext=0x200000 \
	-o "$OUT/loop.elf" "$HERE/badinput/loop.S"
"$TV" --engine=native --stats "$OUT/loop.elf" </dev/null >"$OUT/out" 2>"$OUT/err" &
pid=$!
sleep 1
# Meanwhile: the child holds guest RAM, the stub page, the vsyscall page
# (the kernel's, in every process), and nothing else of the monitor.
child=$(pgrep -P $pid | head -1)
cat "/proc/$child/maps" >"$OUT/maps" 2>/dev/null
kill -INT $pid; wait $pid; rc=$?
if [ "$rc" = 130 ] && grep -q "interrupted at rip" "$OUT/err" &&
   grep -q "engine native" "$OUT/err"; then
	pass "escape/ctrl-c"
else
	echo "status $rc (want 130), stderr:" >"$OUT/why"; cat "$OUT/err" >>"$OUT/why"
	fail "escape/ctrl-c" "$OUT/why"
fi
# Ctrl-C from a terminal, or timeout -s INT, signals the whole process
# group.  The child must not take it (it once did, and a SIGINT landing
# during an injected mmap/munmap ended the run as "engine failed", about
# one try in two with this guest): every try ends 130 with the statistics.
# The signal goes to the group once the guest runs (a child of the monitor
# maps the stub), 50 to 200 ms into the run: a SIGINT before the monitor
# has set itself up ends it as it ends any program, which is not what is
# tested here (under load, start-up alone once took longer than a fixed
# delay).
escimage inject_loop
ok=0
for i in $(seq 30); do
	setsid "$TV" --engine=native --stats "$OUT/inject_loop.elf" \
		</dev/null >"$OUT/out" 2>"$OUT/err" &
	pid=$!
	for t in $(seq 500); do
		for c in $(pgrep -P $pid); do
			grep -q "memfd:trapvisor-stub" "/proc/$c/maps" 2>/dev/null && break 2
		done
		sleep 0.02
	done
	case $((i % 4)) in 0) d=0.05 ;; 1) d=0.1 ;; 2) d=0.15 ;; *) d=0.2 ;; esac
	sleep $d
	kill -s INT -- -$pid
	# should the signal miss, the endless guest still ends
	(sleep 30; kill -9 $pid) 2>/dev/null &
	dog=$!
	wait $pid
	rc=$?
	kill $dog 2>/dev/null
	if [ "$rc" = 130 ] && [ ! -s "$OUT/out" ] && grep -q "interrupted at rip" "$OUT/err" &&
	   grep -q "engine native" "$OUT/err"; then
		ok=$((ok + 1))
	else
		{ echo "try $i: status $rc (want 130), stderr:"; head -3 "$OUT/err"; } >>"$OUT/intwhy"
	fi
done
if [ "$ok" = 30 ]; then
	pass "escape/ctrl-c-group (30 tries)"
else
	fail "escape/ctrl-c-group ($ok of 30)" "$OUT/intwhy"
fi
grep -v -e "/memfd:trapvisor-ram" -e "^700000000000-700000001000 r-xs .*/memfd:trapvisor-stub" \
	-e "\[vsyscall\]" "$OUT/maps" >"$OUT/extra"
if [ -s "$OUT/maps" ] && grep -q "^700000000000-" "$OUT/maps" && [ ! -s "$OUT/extra" ]; then
	pass "escape/child-maps"
else
	{ echo "the child maps more than guest RAM and its stub:"; cat "$OUT/maps"; } >"$OUT/why"
	fail "escape/child-maps" "$OUT/why"
fi
# One try at killing a native child from outside (kill -9): run IMAGE,
# after DELAY seconds find the child, kill it, and count the try into
# tries and, when the monitor ends with the one line that says so and
# status 125, into killed; else what it said goes to WHYFILE.  WHICH is
# "running" (the monitor's first child) or "parked" (its newest, once
# it has two: then one of them waits, parked).
kill_child() { # IMAGE DELAY WHICH WHYFILE
	tries=$((tries + 1))
	# timeout: should the kill miss, the endless guests still end
	timeout -s INT 10 "$TV" --engine=native "$1" </dev/null \
		>/dev/null 2>"$OUT/err" &
	pid=$!
	sleep $2
	# the monitor (timeout's child) and its child, once that
	# holds nothing but the stub (set up: the guest runs)
	child=
	for t in $(seq 200); do
		tv=$(pgrep -P $pid | head -1)
		if [ "$3" = parked ]; then
			child=${tv:+$(pgrep -P $tv | tail -1)}
			[ "$(pgrep -P "${tv:-0}" | wc -l)" -gt 1 ] || child=
		else
			child=${tv:+$(pgrep -P $tv | head -1)}
		fi
		[ -n "$child" ] && grep -q "^700000000000-" /proc/$child/maps 2>/dev/null &&
			! grep -q "libc" /proc/$child/maps 2>/dev/null && break
		child=
		sleep 0.01
	done
	[ -n "$child" ] && kill -9 $child
	wait $pid; rc=$?
	if [ "$rc" = 125 ] && [ "$(wc -l <"$OUT/err")" = 1 ] &&
	   grep -q "native child was killed by signal 9 (Killed) from outside the monitor" "$OUT/err"; then
		killed=$((killed + 1))
	else
		{ echo "$1 after ${2}s: status $rc (want 125), stderr:"; cat "$OUT/err"; } >>"$4"
	fi
}
# The child killed from outside (kill -9), while it computes, while it
# traps, while the monitor maps pages into it: one line that says so.
escimage trap_loop
killed=0; tries=0
for img in "$OUT/loop.elf" "$OUT/trap_loop.elf" "$BUILD/guests/toyos.elf"; do
	for delay in 0.05 0.1 0.2 0.3; do
		kill_child "$img" $delay running "$OUT/killwhy"
	done
done
if [ "$killed" = "$tries" ]; then
	pass "escape/child-killed ($tries tries)"
else
	fail "escape/child-killed ($killed of $tries)" "$OUT/killwhy"
fi
# The engine keeps one child per address space and view
# (engines/native/space.c): a parked one killed from outside ends the VM
# the same way, whether the guest would have run it again (toyos) or
# never (loop.elf, which keeps to one view).
killed=0; tries=0
for img in "$OUT/loop.elf" "$BUILD/guests/toyos.elf"; do
	for delay in 0.1 0.3; do
		kill_child "$img" $delay parked "$OUT/parkwhy"
	done
done
if [ "$killed" = "$tries" ]; then
	pass "escape/parked-child-killed ($tries tries)"
else
	fail "escape/parked-child-killed ($killed of $tries)" "$OUT/parkwhy"
fi
# The monitor killed (kill -9, no clean-up of its own): every child goes
# with it (PR_SET_PDEATHSIG), none is left behind.
"$TV" --engine=native "$OUT/loop.elf" </dev/null >/dev/null 2>&1 &
pid=$!
kids=
for t in $(seq 200); do
	kids=$(pgrep -P $pid)
	[ "$(echo "$kids" | wc -w)" -gt 1 ] && break
	sleep 0.01
done
kill -9 $pid; wait $pid 2>/dev/null
left=
for t in $(seq 100); do
	left=
	for k in $kids; do
		[ -d /proc/$k ] && ! grep -q "^State:.*Z" /proc/$k/status 2>/dev/null && left="$left $k"
	done
	[ -z "$left" ] && break
	sleep 0.02
done
if [ "$(echo "$kids" | wc -w)" -gt 1 ] && [ -z "$left" ]; then
	pass "escape/no-orphans ($(echo "$kids" | wc -w) children)"
else
	echo "children: $kids; still there: $left" >"$OUT/orphwhy"
	fail "escape/no-orphans" "$OUT/orphwhy"
fi
# The seccomp filter with PTRACE_SYSEMU taken away (seccomp.c): only the
# engine's injected munmap and mmap of guest RAM, from the stub's syscall.
seccomp=$(dirname "$TV")/tests/escape-seccomp
if [ -x "$seccomp" ]; then
	"$seccomp" >"$OUT/seccomp" 2>&1
	echo "exit status $?" >>"$OUT/seccomp"
	while read -r v name why; do
		case $v in
		ok) pass "escape/seccomp-$name" ;;
		FAIL) echo "$why" >"$OUT/why"; fail "escape/seccomp-${name%:}" "$OUT/why" ;;
		esac
	done <"$OUT/seccomp"
	grep -q "^exit status 0$" "$OUT/seccomp" || fail "escape/seccomp" "$OUT/seccomp"
else
	echo "$seccomp is missing (make unit-bins)" >"$OUT/why"
	fail "escape/seccomp" "$OUT/why"
fi
# What native cannot honour it refuses in one line, before the guest runs.
for opt in --isa=strict --isa=x86,umip --icount; do
	"$TV" --engine=native "$opt" "$OUT/syscall_write.elf" </dev/null >"$OUT/out" 2>"$OUT/err"
	rc=$?
	if [ "$rc" = 1 ] && [ "$(wc -l <"$OUT/err")" = 1 ] && [ ! -s "$OUT/out" ] &&
	   grep -q "engine native: $opt" "$OUT/err"; then
		pass "escape/refuses$opt"
	else
		echo "status $rc (want 1), stderr:" >"$OUT/why"; cat "$OUT/err" >>"$OUT/why"
		fail "escape/refuses$opt" "$OUT/why"
	fi
done
