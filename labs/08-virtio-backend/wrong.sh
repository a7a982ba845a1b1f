#!/bin/sh
# labs/08-virtio-backend/wrong.sh - the grader against planted wrong
# solutions of lab 8 (for the instructor; the students' tree leaves it out,
# labs/08-virtio-backend/remove).
#
#   sh labs/08-virtio-backend/wrong.sh --list        the planted bugs
#   sh labs/08-virtio-backend/wrong.sh BUILD NAME    check one of them
#
# Each is a mistake the handout warns about, planted in a copy of
# devices/virtio_pci.c by a sed script.  The check compiles
# tests/unit/test_virtio_ring.c against that copy (everything else from
# BUILD's libtrapvisor.a, whose own virtio_pci.o the linker then never
# needs) and passes when the tests the bug must break do not pass (they
# fail, or the binary died before them): the grader's unit checks that
# name them lose their points (scripts/grade.sh, lab8), so the wrong
# solution scores below 100.  Exit status 0 when the bug is caught, 1 when
# it is not, 2 on bad use.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)

# NAME|what the bug is|the sed script|the tests that must fail
# (a sed script spells | as \x7c: | separates the fields)
BUGS='wrap|the ring is taken while last_avail < avail->idx, which stops at the wrap from 65535 to 0 (and then for ever: the device never catches up)|s/while (vq->last_avail != avail_idx) {/while (vq->last_avail < avail_idx) {/|test_avail_ring_wraps_at_65535
mask|the slot of the available ring is last_avail & size, not last_avail % size (or & (size - 1))|s/2 \* (uint64_t)(vq->last_avail % vq->size)/2 * (uint64_t)(vq->last_avail \& vq->size)/|test_avail_ring_in_order test_avail_ring_wraps_at_65535
full|off by one: a full ring (avail->idx a whole queue ahead) is refused|s/(uint16_t)(\*idx - vq->last_avail) > vq->size) {/(uint16_t)(*idx - vq->last_avail) >= vq->size) {/|test_avail_ring_wraps_at_65535
slot|the used element goes to slot used_idx, not used_idx modulo the queue size|s/(uint64_t)(vq->used_idx % vq->size) \*/(uint64_t)vq->used_idx */|test_avail_ring_wraps_at_65535
len0|the used element says 0 bytes written, not the bytes the device wrote|s/push_used(vp, vq, head, (uint32_t)written)/push_used(vp, vq, head, 0)/|test_used_after_data_with_length test_avail_ring_wraps_at_65535
idxfirst|used->idx is written before the element it publishes|s/^\([[:space:]]*\)put_le(idx, 2, (uint16_t)(vq->used_idx + 1));/&\n\1if (!ring_write(vp, vq->used + 2, idx, sizeof(idx)))\n\1\treturn false;/|test_used_after_data_with_length
irqalways|with event index, an interrupt after every batch: used_event ignored|s/return (uint16_t)(vq->used_idx - event - 1) </return (void)event, true; (uint16_t)(vq->used_idx - event - 1) </|test_used_event
eventoff|vring_need_event off by one: used_event reached is taken for passed|s/(uint16_t)(vq->used_idx - event - 1) </(uint16_t)(vq->used_idx - event) </|test_used_event
eventle|vring_need_event with <= for <: an interrupt for the entry before used_event|s/(uint16_t)(vq->used_idx - event - 1) <$/(uint16_t)(vq->used_idx - event - 1) <=/|test_used_event
noint|VIRTQ_AVAIL_F_NO_INTERRUPT ignored|s/!(get_le(b, 2) & VIRTQ_AVAIL_F_NO_INTERRUPT);/true;/|test_no_interrupt_flag
irqempty|an interrupt after a notification that used nothing|s/return vq->used_idx != old &&/return/|test_no_interrupt_flag
noavailevent|avail_event never written: the driver is told nothing of where the device is|s/put_le(b, 2, vq->last_avail);/return;/|test_avail_event_written
noloop|a chain is bounded by the segment array, not by the queue size: a loop goes round until the array is full, a chain longer than the queue passes|s/++steps > vq->size/false/; s/n >= limit \x7c\x7c //|test_chain_loop
noram|a buffer is not checked to lie in guest RAM|s/ *gm_offset(vp->mem, addr, len) == GM_NO_RAM \x7c\x7c$//|test_desc_outside_ram
indirect|an indirect descriptor is taken though VIRTIO_RING_F_INDIRECT_DESC was not negotiated|s/!virtio_has_feature(vp, VIRTIO_RING_F_INDIRECT_DESC))/false)/|test_chain_indirect'

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
mkdir -p "$T/devices"
cp "$ROOT/devices/virtio_pci.h" "$T/devices/"
sed "$script" "$ROOT/devices/virtio_pci.c" >"$T/devices/virtio_pci.c"
if cmp -s "$ROOT/devices/virtio_pci.c" "$T/devices/virtio_pci.c"; then
	echo "$NAME: the sed script no longer changes devices/virtio_pci.c: update it"
	exit 1
fi
# The library's flags: a sanitizer build needs its run-time at link time.
san=""
nm "$BUILD/libtrapvisor.a" 2>/dev/null | grep -q __asan_ &&
	san="-fsanitize=address,undefined"
# shellcheck disable=SC2046,SC2086
if ! ${CC:-cc} -std=c11 -w -D_GNU_SOURCE $san -I"$T" -I"$ROOT" \
	$(pkg-config --cflags capstone 2>/dev/null) -o "$T/test_virtio_ring" \
	"$ROOT/tests/unit/test_virtio_ring.c" "$ROOT/tests/unit/support/devvm.c" \
	"$T/devices/virtio_pci.c" "$BUILD/libtrapvisor.a" \
	$(pkg-config --libs capstone 2>/dev/null || echo -lcapstone) -lm \
	$(pkg-config --libs cmocka 2>/dev/null || echo -lcmocka) \
	>"$T/log" 2>&1; then
	echo "$NAME: the planted bug does not build:"; head -5 "$T/log"
	exit 1
fi
# A wrong solution may loop: it fails the tests it never finished.
timeout 20 "$T/test_virtio_ring" >"$T/out" 2>&1
rc=$?
missed=""
for t in $must; do
	grep -q "^\[       OK \] $t\$" "$T/out" && missed="$missed $t"
done
if [ $rc = 0 ] || [ -n "$missed" ]; then
	echo "$NAME ($what): not caught; test_virtio_ring status $rc, still passing:$missed"
	exit 1
fi
# ...and the grader scores them: a failed test in one of lab 8's unit
# checks takes that check's points.
for t in $must; do
	awk '/^lab8\(\) \{/, /^}/' "$ROOT/scripts/grade.sh" |
		grep -q "^[[:space:]]*unit [0-9]* test_virtio_ring .*\<$t\>" || {
		echo "$NAME ($what): caught by $t, which no check of scripts/grade.sh's lab8 scores"
		exit 1
	}
done
failed=$(grep '^\[  FAILED  \] test_' "$T/out" | sed 's/.*\] / /' | sort -u | tr -d '\n')
[ $rc = 124 ] && failed="$failed (test_virtio_ring hung in $(grep '^\[ RUN' "$T/out" | tail -1 | sed 's/.*\] //'): killed after 20 s)"
echo "$NAME ($what): caught by$failed"
