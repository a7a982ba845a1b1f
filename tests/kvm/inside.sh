#!/bin/sh
# tests/kvm/inside.sh - the kvm engine's checks, run inside the nested
# machine that tests/kvm/nested.sh boots (where /dev/kvm is AMD SVM with
# nested paging, as QEMU models it).
#
#   sh tests/kvm/inside.sh BUILD RESULTS-DIR
#
# Writes one line per check, "PASS name" or "FAIL name", to
# RESULTS-DIR/list, and for each check RESULTS-DIR/name.log with what a
# failure needs explaining (a diff, the status, stderr).  The --stats of
# each guest stay in RESULTS-DIR/NAME.stats for the README's comparison.
set -u
BUILD=$1; RES=$2
HERE=$(cd "$(dirname "$0")/.." && pwd) # tests/
TV=$BUILD/trapvisor
IMG=$BUILD/kvm-nested/images           # badinput images built by nested.sh
rm -rf "$RES"; mkdir -p "$RES"; : >"$RES/list"
T=${TMPDIR:-/tmp}/kvm-inside; mkdir -p $T

. "$HERE/kvm/list.sh"       # verdict

# The arguments of a case as tests/run.sh's guests suite reads them:
# x.elf is BUILD/guests/x.elf, --disk=X.img a fresh image from
# tests/guests/X.sh, a path under tests/ is the checkout's, <X the file
# tests/guests/X as standard input (else /dev/null).
case_args() { # ARGS... -> $a, $disk the image's name or empty, $fed
	a=""; disk=""; fed=/dev/null; for x in "$@"; do
		case $x in
		'<'*) fed=$HERE/guests/${x#<}; continue ;;
		*.elf) x=$BUILD/guests/$x ;;
		--disk=*.img) disk=${x#--disk=}
			sh "$HERE/guests/${disk%.img}.sh" make "$T/$disk"
			x=--disk=$T/$disk ;;
		--disk=*.img,*) disk=${x#--disk=}; disk=${disk%%,*}
			sh "$HERE/guests/${disk%.img}.sh" make "$T/$disk"
			x=--disk=$T/$disk${x#--disk="$disk"} ;;
		--initrd=tests/*) x=--initrd=$HERE/${x#--initrd=tests/} ;;
		esac; a="$a $x"; done
}

# Whole standard output and status, as tests/run.sh's guests suite.
run_case() { # NAME EXPECTED STATUS ARGS...
	name=$1; exp=$HERE/guests/$2; st=$3; shift 3
	case_args "$@"
	# shellcheck disable=SC2086
	timeout 120 "$TV" --engine=kvm --stats $a <"$fed" >$T/out 2>$T/err
	rc=$?
	cp $T/err "$RES/$name.stats"
	{ [ "$rc" = "$st" ] || echo "exit status $rc, expected $st"
	  diff -u "$exp" $T/out; sed -n '/^trapvisor:/p' $T/err; } >"$RES/$name.log"
	ok=1
	[ "$rc" = "$st" ] && cmp -s "$exp" $T/out && ok=0
	# the disk as the guest left it (tests/guests/X.sh check)
	if [ -n "$disk" ] && ! sh "$HERE/guests/${disk%.img}.sh" check \
		"$T/$disk" >>"$RES/$name.log" 2>&1; then ok=1; fi
	verdict "kvm/$name" $ok
}

# One line on stderr matching PATTERN, the status STATUS, stdout empty.
run_bad() { # NAME STATUS PATTERN COMMAND...
	name=$1; st=$2; pat=$3; shift 3
	"$@" </dev/null >$T/out 2>$T/err; rc=$?
	lines=$(wc -l <$T/err)
	{ echo "status $rc (want $st), $lines stderr lines (want 1 matching '$pat'):"
	  cat $T/err $T/out; } >"$RES/$name.log"
	[ "$rc" = "$st" ] && [ "$lines" = 1 ] && grep -q -- "$pat" $T/err &&
		[ ! -s $T/out ]
	verdict "kvm/$name" $?
}

# /dev/kvm is there and the engine opens it.
[ -c /dev/kvm ]; verdict kvm/dev-kvm $?

# The unit tests of the engine, now with a vCPU to run in: every mode's
# state through KVM and back, MMIO, an interrupt through a 32-bit IDT.
# None may be skipped here.
"$BUILD/tests/test_kvm" >$T/unit 2>&1; rc=$?
cp $T/unit "$RES/unit.log"
[ "$rc" = 0 ] && ! grep -q SKIPPED $T/unit && grep -q 'PASSED' $T/unit
verdict kvm/unit $?

grep -v '^#' "$HERE/kvm/kvm.cases" >$T/cases
while read -r name exp st args; do
	[ -n "$name" ] && [ -f "$HERE/guests/$exp" ] || continue
	# shellcheck disable=SC2086
	run_case "$name" "$exp" "$st" $args
done <$T/cases

# --stats: exits by reason, port I/O among them, on the kvm engine.
grep -q 'engine kvm' "$RES/hello.stats" && grep -q '^io  *[0-9]' "$RES/hello.stats"
verdict kvm/stats $?
# The engine's own count of KVM_RUN's returns: a rep insw is one io exit
# that carries a sector's 256 words, so the disk guest's io exits carried
# at least 255 port accesses more than there were exits.
awk '/^kvm: KVM_RUN returned/ { for (i = 1; i < NF; i++) if ($i == "io") e = $(i + 1) }
     /^kvm: the io exits carried/ { a = $6 }
     END { exit !(e > 0 && a >= e + 255) }' "$RES/disk.stats"
cp "$RES/disk.stats" "$RES/stats-rep.log"
verdict kvm/stats-rep $?
# --trace: a line per exit, port I/O named with its port.
"$TV" --engine=kvm --trace "$BUILD/guests/hello.elf" >/dev/null 2>$T/trace
cp $T/trace "$RES/trace.log"
grep -q 'io .*out port 0x3f8' $T/trace && ! grep -q '#GP' $T/trace
verdict kvm/trace $?

# What the hardware does when a guest misbehaves, and what kvm refuses.
run_bad triple-fault 125 "triple fault" "$TV" --engine=kvm "$IMG/triple.elf"
# Memory beyond RAM is no memory slot: the read exits as MMIO and reads
# all ones, as on QEMU's pc (devices_mmio), the write vanishes, and the
# guest, having seen exactly that, exits with 42 (badinput/wild.S).
"$TV" --engine=kvm --mem=64 --trace "$IMG/wild.elf" </dev/null >$T/out 2>$T/err
rc=$?
{ echo "status $rc (want 42)"; cat $T/err; } >"$RES/wild-memory.log"
[ "$rc" = 42 ] && grep -q \
	'mmio .*read 0x40000000 (8 bytes) -> 0xffffffffffffffff' $T/err &&
	grep -q 'mmio .*write 0x40000000 (8 bytes) <- 0' $T/err
verdict kvm/wild-memory $?
# Ctrl-C in an endless loop, once set-up is over: the monitor enters its
# seccomp sandbox (Seccomp: 2 in /proc) just after it catches SIGINT, and
# set-up can take seconds in the nested machine when the host is busy (a
# fixed delay there let SIGINT end a monitor still setting up, silently).
sigint_when_running() { # COMMAND...
	"$@" & pid=$!
	n=0; until grep -q '^Seccomp:[[:space:]]*2' /proc/$pid/status \
		2>/dev/null || [ $n -ge 600 ]; do sleep 0.1; n=$((n + 1)); done
	sleep 1; kill -INT $pid; wait $pid
}
run_bad endless-loop 130 "interrupted at rip" \
	sigint_when_running "$TV" --engine=kvm "$IMG/loop.elf"
# A host without /dev/kvm: hidden here under an empty /dev.
run_bad no-dev-kvm 1 "cannot open /dev/kvm: No such file or directory" \
	unshare -m sh -c "mount -t tmpfs none /dev && exec $TV --engine=kvm \
	$BUILD/guests/hello.elf"
run_bad no-strict 1 "engine kvm: --isa=strict" \
	"$TV" --engine=kvm --isa=strict "$BUILD/guests/hello.elf"
run_bad no-icount 1 "engine kvm: --icount" \
	"$TV" --engine=kvm --icount "$BUILD/guests/hello.elf"
exit 0
