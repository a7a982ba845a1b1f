#!/bin/sh
# labs/07-scan-and-patch/wrong.sh - the grader against planted wrong
# solutions of lab 7 (for the instructor; the students' tree leaves it out,
# labs/07-scan-and-patch/remove).
#
#   sh labs/07-scan-and-patch/wrong.sh --list        the planted bugs
#   sh labs/07-scan-and-patch/wrong.sh BUILD NAME    check one of them
#
# Each is a bug the handout warns about, planted in a copy of
# patch/patch.c by a sed script.  The check compiles tests/unit/test_patch.c
# against that copy (everything else from BUILD's libtrapvisor.a, whose own
# patch.o the linker then never needs) and passes when the tests the bug
# must break fail: the grader's unit checks that name them lose their
# points (scripts/grade.sh, lab7), so the wrong solution scores below 100.
# Exit status 0 when the bug is caught, 1 when it is not, 2 on bad use.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)

# NAME|what the bug is|the sed script|the tests that must fail
BUGS='sweep|a jmp falls through: a linear sweep, which decodes the data after it|s/return imm_target(in, target) ? FLOW_JUMP : FLOW_END;/return FLOW_NEXT;/|test_follows_flow_not_sweep test_where_paths_go
noreturn|a call is taken as a jmp: the code after it is left unscanned|s/return imm_target(in, target) ? FLOW_BRANCH : FLOW_NEXT;/return imm_target(in, target) ? FLOW_JUMP : FLOW_NEXT;/|test_where_paths_go
privileged|every instruction that is not innocuous is a site, privileged ones too|s/bool sens = pg_classify(&in)->cls ==/bool sens = pg_classify(\&in)->cls !=/; s/^\([ \t]*\)PG_SENSITIVE_UNPRIVILEGED;$/\1PG_INNOCUOUS;/|test_both_edges_and_calls test_only_sensitive_unprivileged
whole|every byte of a site is replaced, not only the first|s/^\([ \t]*\)patch_at(p, pp, at, buf\[at\]);/\1for (unsigned b = 0; b < in.size \&\& at + b < PATCH_PAGE; b++) patch_at(p, pp, at + b, buf[at + b]);/|test_overlay test_only_sensitive_unprivileged test_in_ram
ramless|with the patches in RAM (native) the trap byte is not written there|s/p->ram\[pp->frame + off\] = PATCH_TRAP;/(void)0;/|test_site_inside_another_in_ram
lostbyte|the trap byte is kept in place of the original one|s/pp->orig\[off\] = first;/pp->orig[off] = PATCH_TRAP; (void)first;/|test_follows_flow_not_sweep test_only_sensitive_unprivileged
csbase|the site is looked up at rip, not at CS.base + rip, in 32-bit code|/^bool patch_is_site/,/^}/s/: (uint32_t)(rip + v->seg\[SEG_CS\].base);/: (uint32_t)rip;/|test_trap_side
trapbyte|the instruction emulated is what RAM holds at a site: the trap byte|/^enum decode_result patch_original/,/^}/s/^\([ \t]*\)unpatch(vm->patch, frame, off, buf, n1);/\1(void)0;/|test_original_in_ram
onepage|the original instruction is decoded without the next page it crosses into|s/^\([ \t]*\)uint64_t next = (lin + n1) \& mask;/\1return res; uint64_t next = (lin + n1) \& mask;/|test_original_in_ram
crossing|the crossing instruction'"'"'s second frame is not remembered|s/p->crossed\[next_frame \/ PATCH_PAGE\]++;/(void)0;/; s/pp->next_frame = next_frame;/(void)0;/|test_crossing'

if [ "${1:-}" = --list ]; then
	printf "%s\n" "$BUGS" | cut -d'|' -f1
	exit 0
fi
BUILD=${1:?usage: wrong.sh BUILD NAME | --list}
NAME=${2:?usage: wrong.sh BUILD NAME | --list}
line=$(printf "%s\n" "$BUGS" | grep "^$NAME|") || {
	echo "wrong.sh: no planted bug $NAME (--list names them)" >&2; exit 2; }
what=$(printf "%s\n" "$line" | cut -d'|' -f2)
script=$(printf "%s\n" "$line" | cut -d'|' -f3)
must=$(printf "%s\n" "$line" | cut -d'|' -f4)
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
[ -f "$BUILD/libtrapvisor.a" ] || {
	echo "wrong.sh: $BUILD/libtrapvisor.a is not built (make BUILD=... all)" >&2; exit 2; }

T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
mkdir -p "$T/patch"
cp "$ROOT/patch/patch.h" "$T/patch/"
sed "$script" "$ROOT/patch/patch.c" >"$T/patch/patch.c"
if cmp -s "$ROOT/patch/patch.c" "$T/patch/patch.c"; then
	echo "$NAME: the sed script no longer changes patch/patch.c: update it"
	exit 1
fi
# The library's flags: a sanitizer build needs its run-time at link time.
san=""
nm "$BUILD/libtrapvisor.a" 2>/dev/null | grep -q __asan_ &&
	san="-fsanitize=address,undefined"
# shellcheck disable=SC2046,SC2086
if ! ${CC:-cc} -std=c11 -w -D_GNU_SOURCE $san -I"$T" -I"$ROOT" \
	$(pkg-config --cflags capstone 2>/dev/null) -o "$T/test_patch" \
	"$ROOT/tests/unit/test_patch.c" "$ROOT/tests/unit/support/devvm.c" \
	"$T/patch/patch.c" "$BUILD/libtrapvisor.a" \
	$(pkg-config --libs capstone 2>/dev/null || echo -lcapstone) -lm \
	$(pkg-config --libs cmocka 2>/dev/null || echo -lcmocka) \
	>"$T/log" 2>&1; then
	echo "$NAME: the planted bug does not build:"; head -5 "$T/log"
	exit 1
fi
"$T/test_patch" >"$T/out" 2>&1
rc=$?
missed=""
for t in $must; do
	grep -q "^\[  FAILED  \] $t\$" "$T/out" || missed="$missed $t"
done
if [ $rc = 0 ] || [ -n "$missed" ]; then
	echo "$NAME ($what): not caught; test_patch status $rc, still passing:$missed"
	exit 1
fi
# ...and the grader scores them: a failed test in one of lab 7's unit
# checks takes that check's points.
scored=""
for t in $must; do
	awk '/^lab7\(\) \{/, /^}/' "$ROOT/scripts/grade.sh" |
		grep -q "^[[:space:]]*unit [0-9]* test_patch .*\<$t\>" &&
		scored="$scored $t"
done
if [ -z "$scored" ]; then
	echo "$NAME ($what): caught by tests no check of scripts/grade.sh scores: $must"
	exit 1
fi
echo "$NAME ($what): caught by$(grep '^\[  FAILED  \] test_' "$T/out" | sed 's/.*\] / /' | sort -u | tr -d '\n')"
