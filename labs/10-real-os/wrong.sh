#!/bin/sh
# labs/10-real-os/wrong.sh - the grader against planted wrong solutions of
# lab 10 (for the instructor; the students' tree leaves every wrong.sh out).
#
#   sh labs/10-real-os/wrong.sh --list        the planted bugs
#   sh labs/10-real-os/wrong.sh BUILD NAME    check one of them
#
# Lab 10's regions are guest code (guests/toyos/arch_i386.c), which no
# unit test reaches, so scripts/lab-wrong.sh's unit-test checks do not
# apply: each bug is planted in a copy of the file by a sed script, the
# image it belongs to (toyos32-nohabits.elf or toyos32-pv.elf) is built
# from the copy with the Makefile's own commands (make -n) and BUILD's
# other objects, and the grader's checks that must catch it run against
# that image (GRADE_GUESTS, scripts/grade.sh).  It passes when each of
# those checks loses points, and prints the reason the student would read.
# The command line is read as lab-wrong.sh reads it (scripts/lab-bugs.sh).
# Exit status 0 when the bug is caught, 1 when it is not, 2 on bad use.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
ME=$(basename "$(dirname "$0")")/wrong.sh
SRC=guests/toyos/arch_i386.c

# NAME|what the mistake is|image|the sed script|the checks that must fail
BUGS='pushf|the guest-alone intr_enabled() asks the CPU: pushfl shows the real IF|toyos32-nohabits|s/^\([ \t]*\)return cpu\.intr;/\1return read_flags() \& FL_IF;/|toyos32-nohabits-x86 toyos32-nohabits-image
alwayson|intr_enabled() says interrupts are on whatever the kernel did|toyos32-nohabits|s/^\([ \t]*\)return cpu\.intr;/\1return true;/|toyos32-nohabits-x86 toyos32-nohabits-strict
movcs|the guest-alone kernel_cs() reads mov %cs: right on softcpu, the host'"'"'s selector on native|toyos32-nohabits|s/^\([ \t]*\)return RT_SEL_KCODE;.*/\1return read_cs();/|toyos32-nohabits-image
pvinverted|the PV intr_enabled() reads the mask byte the wrong way round|toyos32-pv|s/return !(rt_pv_shared\.irq_mask \& HC_MASK_MASKED);/return rt_pv_shared.irq_mask \& HC_MASK_MASKED;/|toyos32-pv-x86 toyos32-pv-strict
pvpushf|the PV intr_enabled() reads the real IF with pushfl, not the shared page|toyos32-pv|s/return !(rt_pv_shared\.irq_mask \& HC_MASK_MASKED);/uint32_t fl; __asm__ volatile("pushfl; popl %0" : "=r"(fl)); return fl \& FL_IF;/|toyos32-pv-x86 toyos32-pv-image
pvmovcs|the PV kernel_cs() reads mov %cs, not the virtual CS by hypercall|toyos32-pv|s/return (uint16_t)hypercall(HC_READ_SELECTOR, HC_SEL_CS, 0, 0, NULL);/uint16_t cs; __asm__ volatile("movw %%cs, %0" : "=r"(cs)); return cs;/|toyos32-pv-image'

. "$ROOT/scripts/lab-bugs.sh"
image=$(bug_field 3)
script=$(bug_field 4)
must=$(bug_field 5)
cd "$ROOT" || exit 2
[ -f "$BUILD/guests/$image.elf" ] || {
	echo "$ME: $BUILD/guests/$image.elf is not built (make BUILD=$BUILD all)" >&2; exit 2; }

T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
sed "$script" "$SRC" >"$T/arch_i386.c"
if cmp -s "$SRC" "$T/arch_i386.c"; then
	echo "$NAME: the sed script no longer changes $SRC: update it"
	exit 1
fi
# The image's commands as the Makefile gives them, for the copy: the
# object of arch_i386.c and the link, into T.
make -n --no-print-directory -W "$SRC" BUILD="$BUILD" "$BUILD/guests/$image.elf" \
	>"$T/cmds" 2>"$T/log" || { echo "$NAME: make -n failed:"; head -3 "$T/log"; exit 1; }
obj=$(sed -n "s|.* -c $SRC -o \([^ ]*\).*|\1|p" "$T/cmds" | head -1)
[ -n "$obj" ] || { echo "$NAME: make -n gives no command for $SRC"; exit 1; }
mkdir -p "$T/guests"
B=$(cd "$BUILD" && pwd)
for f in "$B"/guests/*.elf; do ln -s "$f" "$T/guests/"; done
rm -f "$T/guests/$image.elf"
grep -v '^mkdir' "$T/cmds" |
	sed "s|-c $SRC|-iquote guests/toyos -c $SRC|; s|$SRC|$T/arch_i386.c|g; s|$obj|$T/arch_i386.o|g; s|-o $BUILD/guests/$image.elf|-o $T/guests/$image.elf|" \
	>"$T/build.sh"
if ! sh -e "$T/build.sh" >"$T/log" 2>&1; then
	echo "$NAME: the planted bug does not build:"; grep -m3 'error' "$T/log"
	exit 1
fi
# Each check that must catch it, as the grader runs it on that image.
missed=""; said=""
for c in $must; do
	if GRADE_GUESTS=$T/guests TEST=$c RESULTS=$T/results.json \
		sh scripts/grade.sh 10 "$BUILD" >"$T/grade" 2>&1; then
		missed="$missed $c"
	elif [ -z "$said" ]; then
		said=$(sed -n '/^FAIL/,/^score/p' "$T/grade" | sed -n '2,4p' |
			grep '^ ' | sed 's/^ *//' | tr '\n' ' ' | cut -c1-160)
	fi
done
if [ -n "$missed" ]; then
	echo "$NAME ($what): not caught; these checks still pass:$missed"
	exit 1
fi
echo "$NAME ($what): caught by $must; it says: $said"
