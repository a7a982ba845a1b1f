#!/bin/sh
# tests/diff32/run.sh - the differential test of 32- and 16-bit code:
# the same random sequences on QEMU (the reference) and on trapvisor.
#
#   sh tests/diff32/run.sh [BUILD] [--seed=N] [--count=N] [--engine=E]
#                          [--isa=x86|strict] [--oracle-only] [--self-test]
#
# Builds $BUILD/diff32/SEED-COUNT/diff32.elf (make diff32-image), boots it
# with -kernel on qemu-system-x86_64 (TCG) and on $BUILD/trapvisor
# --engine=E (softcpu by default) --isa=I (x86 by default), and compares the two transcripts line
# by line: one line per sequence with the eight GPRs, the defined status
# flags and a checksum of the memory the sequences write (harness.c).
# For each differing sequence (the first five in full) it prints the
# sequence disassembled, with the registers it starts from, and both
# lines with the differing fields marked.
#
# --oracle-only runs QEMU twice instead (a check of the harness: its
# transcript must not vary); --self-test changes one field of a copy of
# QEMU's transcript and checks that the comparison names that sequence.
# The last line is "diff32: ..." and the status 0 only if all agree.
set -u
BUILD=build
SEED=1
COUNT=600
ENGINE=softcpu
ISA=x86
MODE=compare
for a in "$@"; do
	case $a in
	--seed=*) SEED=${a#--seed=} ;;
	--count=*) COUNT=${a#--count=} ;;
	--engine=*) ENGINE=${a#--engine=} ;;
	--isa=*) ISA=${a#--isa=} ;;
	--oracle-only) MODE=oracle ;;
	--self-test) MODE=selftest ;;
	-*) echo "usage: sh tests/diff32/run.sh [BUILD] [--seed=N] [--count=N] [--engine=E] [--isa=I] [--oracle-only] [--self-test]" >&2
	    exit 2 ;;
	*) BUILD=$a ;;
	esac
done
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
IMG=$BUILD/diff32/$SEED-$COUNT/diff32.elf
OUT=$(mktemp -d); trap 'rm -rf "$OUT"' EXIT

if ! make -C "$ROOT" -s --no-print-directory BUILD="$BUILD" \
	DIFF32_SEED="$SEED" DIFF32_COUNT="$COUNT" diff32-image >"$OUT/make" 2>&1; then
	cat "$OUT/make"; echo "diff32: the image does not build"; exit 1
fi
case $IMG in /*) ;; *) IMG=$ROOT/$IMG ;; esac
case $BUILD in /*) TV=$BUILD/trapvisor ;; *) TV=$ROOT/$BUILD/trapvisor ;; esac

# The reference: QEMU exits with (code << 1) | 1 for the 0 the guest
# writes to isa-debug-exit.
run_qemu() { # output-file
	timeout 60 qemu-system-x86_64 -accel tcg -m 64 -display none \
		-serial stdio -monitor none -no-reboot \
		-device isa-debug-exit,iobase=0xf4,iosize=0x4 \
		-kernel "$IMG" </dev/null >"$1" 2>"$1.err"
	rc=$?
	if [ $rc != 1 ] || [ "$(tail -n 1 "$1")" != "diff32: done" ] ||
	   [ "$(wc -l <"$1")" != $((COUNT + 2)) ]; then
		echo "QEMU: exit status $rc, expected 1, and $((COUNT + 2)) lines ending in 'diff32: done':"
		tail -n 5 "$1" "$1.err"
		echo "diff32: QEMU did not run the image to its end"; exit 1
	fi
	if grep -q generator-expected-esp "$1"; then
		grep generator-expected-esp "$1" | head -n 5
		echo "diff32: the generator lost track of ESP (a bug in tests/diff32/gen.c)"; exit 1
	fi
}

run_trapvisor() { # output-file
	timeout 60 "$TV" --engine="$ENGINE" --isa="$ISA" "$IMG" </dev/null >"$1" 2>"$1.err"
	echo $? >"$1.rc"
}

# A sequence's code, from seq_N (where it loads its registers) to
# seq_N_end, disassembled with its bytes.
disassemble() { # N
	start=$(nm "$IMG" | awk -v s="seq_$1" '$3 == s { print "0x" $1 }')
	stop=$(nm "$IMG" | awk -v s="seq_$1_end" '$3 == s { print "0x" $1 }')
	objdump -d -M suffix --start-address="$start" --stop-address="$stop" "$IMG" |
		awk '/^ *[0-9a-f]+:/ || /^[0-9a-f]+ </' | sed 's/^/    /'
}

# Both lines of sequence N, then the fields that differ.
show_lines() { # N reference-file other-file other-name
	r=$(grep "^$1 " "$2"); o=$(grep "^$1 " "$3")
	echo "  QEMU:    ${r:-(no line)}"
	echo "  $4: ${o:-(no line)}"
	[ -n "$r" ] && [ -n "$o" ] && printf '%s\n%s\n' "$r" "$o" | awk '
		NR == 1 { n = split($0, a, " ") }
		NR == 2 { split($0, b, " "); d = ""
			for (i = 2; i <= n; i++) if (a[i] != b[i]) d = d " " a[i] " vs " b[i]
			print "  differ:" d }'
}

# Compare transcripts: prints the differing sequences, returns 1 if any.
compare() { # reference-file other-file other-name
	awk -v n="$COUNT" '
		FNR == NR { if ($1 ~ /^[0-9]+$/) ref[$1] = $0; next }
		$1 ~ /^[0-9]+$/ { got[$1] = $0 }
		END { for (i = 0; i < n; i++) if (ref[i] != got[i]) print i }' \
		"$1" "$2" >"$OUT/differ"
	[ -s "$OUT/differ" ] || return 0
	shown=0
	while read -r s; do
		# past the first sequence without a line, the run had stopped
		if ! grep -q "^$s " "$2" && [ $shown -ge 0 ]; then
			echo "$3 has no line for sequence $s and the ones after it; it stopped in:"
			disassemble "$s"
			shown=-1000
		elif [ $shown -ge 0 ] && [ $shown -lt 5 ]; then
			echo "sequence $s (seed $SEED): regenerate it with sh tests/diff32/run.sh $BUILD --seed=$SEED --count=$COUNT --isa=$ISA"
			disassemble "$s"
			show_lines "$s" "$1" "$2" "$3"
		fi
		shown=$((shown + 1))
	done <"$OUT/differ"
	echo "differing sequences: $(tr '\n' ' ' <"$OUT/differ")"
	return 1
}

run_qemu "$OUT/qemu"
case $MODE in
oracle)
	run_qemu "$OUT/qemu2"
	if compare "$OUT/qemu" "$OUT/qemu2" "QEMU 2nd"; then
		echo "diff32: seed $SEED, $COUNT sequences: QEMU gave the same transcript twice"; exit 0
	fi
	echo "diff32: seed $SEED: QEMU's transcript varies"; exit 1 ;;
selftest)
	# A copy with EFLAGS's field of one sequence changed must be caught,
	# and only that sequence named.
	victim=$((COUNT / 2))
	awk -v v="$victim" '$1 == v { sub(/ fl=/, " fl=x") } { print }' \
		"$OUT/qemu" >"$OUT/changed"
	if ! compare "$OUT/qemu" "$OUT/qemu" self >"$OUT/log"; then
		cat "$OUT/log"; echo "diff32: self-test: equal transcripts differ"; exit 1
	fi
	if compare "$OUT/qemu" "$OUT/changed" changed >"$OUT/log"; then
		echo "diff32: self-test: a changed line was not caught"; exit 1
	fi
	if [ "$(cat "$OUT/differ")" != "$victim" ] || ! grep -q "differ: fl=" "$OUT/log"; then
		cat "$OUT/log"; echo "diff32: self-test: the report does not name sequence $victim"; exit 1
	fi
	echo "diff32: self-test: a changed field of sequence $victim was caught"; exit 0 ;;
esac

run_trapvisor "$OUT/tv"
rc=$(cat "$OUT/tv.rc")
ok=yes
if ! compare "$OUT/qemu" "$OUT/tv" "trapvisor"; then ok=no; fi
if [ "$rc" != 0 ] || [ "$(tail -n 1 "$OUT/tv")" != "diff32: done" ]; then
	echo "trapvisor --engine=$ENGINE --isa=$ISA: exit status $rc, expected 0 after 'diff32: done'; its last lines:"
	tail -n 3 "$OUT/tv" "$OUT/tv.err" | cut -c 1-300
	ok=no
fi
if [ $ok = yes ]; then
	echo "diff32: seed $SEED, $COUNT sequences: trapvisor --engine=$ENGINE --isa=$ISA agrees with QEMU"; exit 0
fi
echo "diff32: seed $SEED, $COUNT sequences: trapvisor --engine=$ENGINE --isa=$ISA differs from QEMU ($(wc -l <"$OUT/differ") sequences)"
exit 1
