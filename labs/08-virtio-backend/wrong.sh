#!/bin/sh
# labs/08-virtio-backend/wrong.sh - lab 8's planted wrong solutions of
# devices/virtio_pci.c, each a mistake its handout warns of
# (scripts/lab-wrong.sh says how they are checked; `--list` names them).
# shellcheck disable=SC2034 # read by scripts/lab-wrong.sh
LAB=8
# A wrong ring may loop for ever (wrap): the binary, which takes well
# under a second, is stopped after TIMEOUT seconds and the tests it did
# not finish count as failed.
# shellcheck disable=SC2034
TIMEOUT=20
# shellcheck disable=SC2034
BUGS='wrap|the ring is taken while last_avail < avail->idx, which stops at the wrap from 65535 to 0 (and then for ever: the device never catches up)|devices/virtio_pci.c|s/while (vq->last_avail != avail_idx) {/while (vq->last_avail < avail_idx) {/|test_virtio_ring|test_avail_ring_wraps_at_65535
mask|the slot of the available ring is last_avail & size, not last_avail % size (or & (size - 1))|devices/virtio_pci.c|s/2 \* (uint64_t)(vq->last_avail % vq->size)/2 * (uint64_t)(vq->last_avail \& vq->size)/|test_virtio_ring|test_avail_ring_in_order test_avail_ring_wraps_at_65535
full|off by one: a full ring (avail->idx a whole queue ahead) is refused|devices/virtio_pci.c|s/(uint16_t)(\*idx - vq->last_avail) > vq->size) {/(uint16_t)(*idx - vq->last_avail) >= vq->size) {/|test_virtio_ring|test_avail_ring_wraps_at_65535
slot|the used element goes to slot used_idx, not used_idx modulo the queue size|devices/virtio_pci.c|s/(uint64_t)(vq->used_idx % vq->size) \*/(uint64_t)vq->used_idx */|test_virtio_ring|test_avail_ring_wraps_at_65535
len0|the used element says 0 bytes written, not the bytes the device wrote|devices/virtio_pci.c|s/push_used(vp, vq, head, (uint32_t)written)/push_used(vp, vq, head, 0)/|test_virtio_ring|test_used_after_data_with_length test_avail_ring_wraps_at_65535
idxfirst|used->idx is written before the element it publishes|devices/virtio_pci.c|s/^\([[:space:]]*\)put_le(idx, 2, (uint16_t)(vq->used_idx + 1));/&\n\1if (!ring_write(vp, vq->used + 2, idx, sizeof(idx)))\n\1\treturn false;/|test_virtio_ring|test_used_after_data_with_length
irqalways|with event index, an interrupt after every batch: used_event ignored|devices/virtio_pci.c|s/return (uint16_t)(vq->used_idx - event - 1) </return (void)event, true; (uint16_t)(vq->used_idx - event - 1) </|test_virtio_ring|test_used_event
eventoff|vring_need_event off by one: used_event reached is taken for passed|devices/virtio_pci.c|s/(uint16_t)(vq->used_idx - event - 1) </(uint16_t)(vq->used_idx - event) </|test_virtio_ring|test_used_event
eventle|vring_need_event with <= for <: an interrupt for the entry before used_event|devices/virtio_pci.c|s/(uint16_t)(vq->used_idx - event - 1) <$/(uint16_t)(vq->used_idx - event - 1) <=/|test_virtio_ring|test_used_event
noint|VIRTQ_AVAIL_F_NO_INTERRUPT ignored|devices/virtio_pci.c|s/!(get_le(b, 2) & VIRTQ_AVAIL_F_NO_INTERRUPT);/true;/|test_virtio_ring|test_no_interrupt_flag
irqempty|an interrupt after a notification that used nothing|devices/virtio_pci.c|s/return vq->used_idx != old &&/return/|test_virtio_ring|test_no_interrupt_flag
noavailevent|avail_event never written: the driver is told nothing of where the device is|devices/virtio_pci.c|s/put_le(b, 2, vq->last_avail);/return;/|test_virtio_ring|test_avail_event_written
noloop|a chain is bounded by the segment array, not by the queue size: a loop goes round until the array is full, a chain longer than the queue passes|devices/virtio_pci.c|s/++steps > vq->size/false/; s/n >= limit \x7c\x7c //|test_virtio_ring|test_chain_loop
noram|a buffer is not checked to lie in guest RAM|devices/virtio_pci.c|s/ *gm_offset(vp->mem, addr, len) == GM_NO_RAM \x7c\x7c$//|test_virtio_ring|test_desc_outside_ram
indirect|an indirect descriptor is taken though VIRTIO_RING_F_INDIRECT_DESC was not negotiated|devices/virtio_pci.c|s/!virtio_has_feature(vp, VIRTIO_RING_F_INDIRECT_DESC))/false)/|test_virtio_ring|test_chain_indirect'
. "$(dirname "$0")/../../scripts/lab-wrong.sh"
