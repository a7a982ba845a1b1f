/*
 * devices/virtio_pci.c - the virtio 1.x PCI transport and split
 * virtqueues (devices/virtio_pci.h).
 *
 * The model is the synchronous one by default: a notification (a write
 * to the notify region) runs every request the driver made available,
 * in the vCPU's thread, before the write returns; the interrupt is
 * raised on the card's INTx# pin with bit 0 of the ISR, and reading the
 * ISR lowers it (4.1.4.5).  With a placement (vp->place,
 * devices/virtio_backend.h) the same virtio_pci_process() runs on a
 * copy of the card in an I/O thread or a back-end process, while the
 * guest keeps running: the rings are then shared memory between two
 * CPUs, and the barriers below are the ones 2.7.13 and 2.7.10 ask of a
 * device (on x86, whose stores are seen in order, the acquire and
 * release fences only stop the compiler; the full one is an mfence).
 *
 * A hostile driver meets a device that checks before it trusts
 * (2.7.5.3, 2.7.5.3.2): a descriptor index past the queue, a chain
 * longer than the queue (which is how a loop shows), an indirect table
 * inside an indirect table or with NEXT set beside INDIRECT, a readable
 * buffer after a writable one, a buffer or ring outside guest RAM, an
 * available index more than the queue size ahead, a queue size that is
 * not a power of two or is larger than offered: each sets DEVICE_NEEDS_RESET (2.1.2), raises a
 * configuration change interrupt if the driver was running, and the
 * device touches nothing more until the driver resets it.
 *
 * Left out: MSI-X (config_msix_vector reads VIRTIO_MSI_NO_VECTOR, which
 * tells the driver to use INTx#), packed virtqueues (VIRTIO_F_RING_PACKED
 * is not offered), per-queue reset, notification data, the legacy
 * (0.9.5) interface in BAR 0.
 */
#include <stdatomic.h>
#include <string.h>

#include "core/lab.h"
#include "devices/virtio_pci.h"

static uint64_t get_le(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

static void put_le(uint8_t *p, unsigned n, uint64_t v)
{
	for (unsigned i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

bool virtio_has_feature(const struct virtio_pci *vp, unsigned bit)
{
	return vp->driver_features >> bit & 1;
}

/* ------------------------------------------------------------------
 * Interrupts and the broken state.
 */
static void intx_update(struct virtio_pci *vp)
{
	if (vp->remote)
		return; /* a back end's copy: the ISR goes back in its answer */
	pci_set_intx(&vp->pci, vp->isr != 0);
}

/*
 * The driver broke a rule (2.1.2): tell it with a configuration change
 * if it is running, and stop.  The ISR gets the queue bit as well as the
 * configuration bit, as QEMU's virtio_notify_config() sets them (its
 * INTx# follows bit 0), so that a guest reads the same ISR on both.
 */
static void needs_reset(struct virtio_pci *vp)
{
	if (vp->status & VIRTIO_STATUS_NEEDS_RESET)
		return;
	vp->status |= VIRTIO_STATUS_NEEDS_RESET;
	if (vp->status & VIRTIO_STATUS_DRIVER_OK) {
		vp->isr |= VIRTIO_ISR_CONFIG | VIRTIO_ISR_QUEUE;
		intx_update(vp);
	}
}

static void device_reset(struct virtio_pci *vp)
{
	if (vp->place)
		vp->place->quiesce(vp->place->opaque); /* nothing in flight */
	vp->driver_features = 0;
	vp->dfselect = vp->gfselect = 0;
	vp->status = 0;
	vp->isr = 0;
	vp->queue_select = 0;
	for (unsigned q = 0; q < VIRTIO_MAX_QUEUES; q++)
		vp->vq[q] = (struct virtq){
			.size = q < vp->ops->nqueues ? VIRTQ_MAX_SIZE : 0,
			.gen = ++vp->gens };
	intx_update(vp);
}

/*
 * What a hole of lab 8 (labs/08-virtio-backend/) calls: on the card of
 * the vCPU's thread the guest stops with one line (core/lab.h); on a
 * back end's copy or a card with no VM (a unit test), where no guest may
 * be stopped, the line is said once.  The hole then fails safe: it gives
 * the device up (DEVICE_NEEDS_RESET) rather than let a hostile ring
 * through, or raises an interrupt the driver did not need.  The full
 * tree never calls it.
 */
void virtio_pci_lab_todo(struct virtio_pci *vp, const char *what)
{
	static bool said;

	if (vp->vm && !vp->remote)
		lab_todo(vp->vm, 8, what);
	else
		lab_note(&said, 8, what);
}

/* ------------------------------------------------------------------
 * Split virtqueues (2.7).
 */
static bool ring_read(struct virtio_pci *vp, uint64_t gpa, void *buf,
		      size_t len)
{
	if (gm_read(vp->mem, gpa, buf, len) == 0)
		return true;
	needs_reset(vp);
	return false;
}

static bool ring_write(struct virtio_pci *vp, uint64_t gpa, const void *buf,
		       size_t len)
{
	if (gm_write(vp->mem, gpa, buf, len) == 0)
		return true;
	needs_reset(vp);
	return false;
}

/* One descriptor of a table of n at table, or false. */
static bool read_desc(struct virtio_pci *vp, uint64_t table, unsigned n,
		      unsigned i, uint64_t *addr, uint32_t *len,
		      uint16_t *flags, uint16_t *next)
{
	uint8_t d[VIRTQ_DESC_SIZE];

	if (i >= n || !ring_read(vp, table + (uint64_t)i * VIRTQ_DESC_SIZE, d,
				 sizeof(d)))
		return false;
	*addr = get_le(d, 8);
	*len = (uint32_t)get_le(d + 8, 4);
	*flags = (uint16_t)get_le(d + 12, 2);
	*next = (uint16_t)get_le(d + 14, 2);
	return true;
}

/* Add one buffer to the chain: readable ones first, all in RAM. */
static bool add_seg(struct virtio_pci *vp, struct virtq_chain *c,
		    unsigned limit, uint64_t addr, uint32_t len, bool write)
{
	/* LAB 8 BEGIN: add_seg: one buffer of a chain, checked (task 2) */
	unsigned n = c->nread + c->nwrite;

	if (n >= limit || n >= VIRTQ_MAX_SIZE || gm_offset(vp->mem, addr, len) == GM_NO_RAM ||
	    (!write && c->nwrite))
		return false;
	c->seg[n] = (struct virtq_seg){ addr, len };
	if (write) {
		c->nwrite++;
		c->write_len += len;
	} else {
		c->nread++;
		c->read_len += len;
	}
	return true;
	/* LAB 8 END; hole: virtio_pci_lab_todo(vp, "add_seg");
	 * needs_reset(vp); (void)c; (void)limit; (void)addr; (void)len;
	 * (void)write; return false; */
}

/*
 * Walk the chain from head into c (2.7.5, 2.7.5.3 for indirect
 * descriptors).  A chain may have at most the queue size buffers in all
 * (2.7.5.3.1), which ends every loop.
 */
static bool walk_chain(struct virtio_pci *vp, struct virtq *vq, uint16_t head,
		       struct virtq_chain *c)
{
	/* LAB 8 BEGIN: walk_chain: a descriptor chain, direct and indirect (task 2) */
	uint64_t table = vq->desc, addr;
	unsigned n = vq->size, i = head, steps = 0;
	bool indirect = false;
	uint32_t len;
	uint16_t flags, next;

	c->nread = c->nwrite = 0;
	c->read_len = c->write_len = 0;
	for (;;) {
		if (++steps > vq->size ||
		    !read_desc(vp, table, n, i, &addr, &len, &flags, &next))
			return false;
		if (flags & VIRTQ_DESC_F_INDIRECT) {
			/* Only one level, never with NEXT (2.7.5.3.1). */
			if (indirect || (flags & VIRTQ_DESC_F_NEXT) ||
			    len == 0 || len % VIRTQ_DESC_SIZE ||
			    gm_offset(vp->mem, addr, len) == GM_NO_RAM ||
			    !virtio_has_feature(vp, VIRTIO_RING_F_INDIRECT_DESC))
				return false;
			indirect = true;
			table = addr;
			n = len / VIRTQ_DESC_SIZE;
			i = 0;
			steps = 0;
			continue;
		}
		if (!add_seg(vp, c, vq->size, addr, len,
			     flags & VIRTQ_DESC_F_WRITE))
			return false;
		if (!(flags & VIRTQ_DESC_F_NEXT))
			return true;
		i = next;
	}
	/* LAB 8 END; hole: virtio_pci_lab_todo(vp, "walk_chain");
	 * needs_reset(vp); (void)vq; (void)head; (void)c; (void)read_desc;
	 * (void)add_seg; return false; */
}

/* Put head on the used ring with len bytes written. */
static bool push_used(struct virtio_pci *vp, struct virtq *vq, uint16_t head,
		      uint32_t len)
{
	/* LAB 8 BEGIN: push_used: the used ring's element, then its index (task 3) */
	uint8_t e[VIRTQ_USED_ELEM_SIZE], idx[2];

	put_le(e, 4, head);
	put_le(e + 4, 4, len);
	put_le(idx, 2, (uint16_t)(vq->used_idx + 1));
	if (!ring_write(vp, vq->used + 4 + (uint64_t)(vq->used_idx % vq->size) *
				     VIRTQ_USED_ELEM_SIZE, e, sizeof(e)))
		return false;
	/* 2.7.8.2: the element (and the data) before the index that
	 * publishes it, for a driver on another CPU. */
	atomic_thread_fence(memory_order_release);
	if (!ring_write(vp, vq->used + 2, idx, sizeof(idx)))
		return false;
	vq->used_idx++;
	return true;
	/* LAB 8 END; hole: virtio_pci_lab_todo(vp, "push_used");
	 * needs_reset(vp); (void)vq; (void)head; (void)len; (void)ring_write;
	 * return false; */
}

/*
 * Does the driver want an interrupt for the used entries from old to
 * vq->used_idx?  With VIRTIO_RING_F_EVENT_IDX, when used_event lies in
 * that range (2.7.10, vring_need_event); without, unless it set
 * VIRTQ_AVAIL_F_NO_INTERRUPT (2.7.7).
 */
static bool want_interrupt(struct virtio_pci *vp, struct virtq *vq,
			   uint16_t old)
{
	/* LAB 8 BEGIN: want_interrupt: used_event or NO_INTERRUPT (task 4) */
	uint8_t b[2];

	if (virtio_has_feature(vp, VIRTIO_RING_F_EVENT_IDX)) {
		uint16_t event;

		if (!ring_read(vp, vq->avail + 4 + 2 * (uint64_t)vq->size, b, 2))
			return false;
		event = (uint16_t)get_le(b, 2);
		return (uint16_t)(vq->used_idx - event - 1) <
		       (uint16_t)(vq->used_idx - old);
	}
	if (!ring_read(vp, vq->avail, b, 2))
		return false;
	return vq->used_idx != old &&
	       !(get_le(b, 2) & VIRTQ_AVAIL_F_NO_INTERRUPT);
	/* LAB 8 END; hole: virtio_pci_lab_todo(vp, "want_interrupt");
	 * (void)vq; (void)old; return true; */
}

/* Tell the driver with avail_event where we are (2.7.10). */
static void set_avail_event(struct virtio_pci *vp, struct virtq *vq)
{
	uint8_t b[2];

	if (!virtio_has_feature(vp, VIRTIO_RING_F_EVENT_IDX))
		return;
	/* LAB 8 BEGIN: set_avail_event: where the device is (task 4) */
	put_le(b, 2, vq->last_avail);
	ring_write(vp, vq->used + 4 + (uint64_t)vq->size * VIRTQ_USED_ELEM_SIZE,
		   b, 2);
	/* LAB 8 END; hole: virtio_pci_lab_todo(vp, "set_avail_event");
	 * needs_reset(vp); (void)vq; (void)b; */
}

/*
 * The driver's avail->idx, checked to be at most a queue ahead, and read
 * before any entry it publishes (2.7.13: the driver wrote the entries,
 * then a barrier, then the index; the acquire fence is the device's half).
 */
static bool avail_index(struct virtio_pci *vp, struct virtq *vq,
			uint16_t *idx)
{
	/* LAB 8 BEGIN: avail_index: the driver's avail->idx, checked (task 1) */
	uint8_t b[2];

	if (!ring_read(vp, vq->avail + 2, b, 2))
		return false;
	atomic_thread_fence(memory_order_acquire);
	*idx = (uint16_t)get_le(b, 2);
	if ((uint16_t)(*idx - vq->last_avail) > vq->size) {
		needs_reset(vp);
		return false;
	}
	return true;
	/* LAB 8 END; hole: virtio_pci_lab_todo(vp, "avail_index");
	 * needs_reset(vp); (void)vq; (void)idx; return false; */
}

/* Run the requests up to avail_idx; false when the device broke. */
static bool take_available(struct virtio_pci *vp, unsigned q,
			   uint16_t avail_idx)
{
	/* LAB 8 BEGIN: take_available: the available ring, in order (task 1) */
	struct virtq_chain *chain = &vp->chain;
	struct virtq *vq = &vp->vq[q];
	uint16_t head;
	uint8_t b[2];

	while (vq->last_avail != avail_idx) {
		int64_t written;

		if (!ring_read(vp, vq->avail + 4 +
				   2 * (uint64_t)(vq->last_avail % vq->size),
			       b, 2))
			return false;
		head = (uint16_t)get_le(b, 2);
		if (!walk_chain(vp, vq, head, chain)) {
			needs_reset(vp);
			return false;
		}
		vp->requests++;
		written = vp->ops->request(vp->opaque, vp, q, chain);
		if (written < 0 || written > UINT32_MAX ||
		    (vp->status & VIRTIO_STATUS_NEEDS_RESET)) {
			needs_reset(vp);
			return false;
		}
		vq->last_avail++;
		if (!push_used(vp, vq, head, (uint32_t)written))
			return false;
	}
	return true;
	/* LAB 8 END; hole: virtio_pci_lab_todo(vp, "take_available");
	 * needs_reset(vp); (void)q; (void)avail_idx; (void)walk_chain;
	 * (void)push_used; return false; */
}

/*
 * Every request the driver made available on queue q (2.7.13).  After
 * telling the driver with avail_event how far it got, the device looks
 * at avail->idx once more: a driver on another CPU may have added a
 * buffer after the device's last look but judged by the old avail_event
 * that no notification was needed (2.7.10's race, the reason for the
 * full barrier between the store and the load).  In the vCPU's thread
 * the second look finds nothing new.
 */
void virtio_pci_process(struct virtio_pci *vp, unsigned q)
{
	struct virtq *vq = &vp->vq[q];
	uint16_t old = vq->used_idx, avail_idx;

	if (!avail_index(vp, vq, &avail_idx))
		return;
	for (;;) {
		if (!take_available(vp, q, avail_idx))
			return;
		set_avail_event(vp, vq);
		atomic_thread_fence(memory_order_seq_cst);
		if (!avail_index(vp, vq, &avail_idx))
			return;
		if (avail_idx == vq->last_avail)
			break;
	}
	/* used->idx before the driver's used_event or flags (2.7.10) */
	atomic_thread_fence(memory_order_seq_cst);
	if (want_interrupt(vp, vq, old)) {
		vp->interrupts++;
		vp->isr |= VIRTIO_ISR_QUEUE;
		intx_update(vp);
	}
}

/* A write to the notify region: queue q has new buffers (4.1.4.4). */
static void notify(struct virtio_pci *vp, unsigned q)
{
	if (q >= vp->ops->nqueues || !vp->vq[q].enabled ||
	    (vp->status & (VIRTIO_STATUS_NEEDS_RESET | VIRTIO_STATUS_DRIVER_OK)) !=
		    VIRTIO_STATUS_DRIVER_OK)
		return;
	if (vp->ops->idle_queues >> q & 1) { /* filled when data comes */
		if (vp->ops->refill)
			vp->ops->refill(vp->opaque, vp, q);
		return;
	}
	vp->notifications++;
	if (vp->place)
		vp->place->kick(vp->place->opaque, vp, q); /* elsewhere, later */
	else
		virtio_pci_process(vp, q);
}

void virtio_pci_needs_reset(struct virtio_pci *vp)
{
	needs_reset(vp);
}

void virtio_pci_raise(struct virtio_pci *vp, uint8_t isr)
{
	vp->isr |= isr;
	intx_update(vp);
}

/*
 * Copy len bytes between buf and one of the chain's two streams, from
 * byte off of it: the readable buffers seg[0, nread) into buf (to_chain
 * false), or buf into the writable ones seg[nread, nread + nwrite).  A
 * stream is its buffers end to end, so off first skips whole buffers.
 */
static int chain_copy(struct virtio_pci *vp, const struct virtq_chain *c,
		      uint64_t off, uint8_t *buf, uint64_t len, bool to_chain)
{
	unsigned first = to_chain ? c->nread : 0;
	unsigned end = first + (to_chain ? c->nwrite : c->nread);

	for (unsigned i = first; i < end && len; i++) {
		const struct virtq_seg *s = &c->seg[i];
		uint64_t n;
		int r;

		if (off >= s->len) {
			off -= s->len;
			continue;
		}
		n = s->len - off < len ? s->len - off : len;
		r = to_chain ? gm_write(vp->mem, s->addr + off, buf, n) :
			       gm_read(vp->mem, s->addr + off, buf, n);
		if (r < 0)
			return -1;
		buf += n;
		len -= n;
		off = 0;
	}
	return len ? -1 : 0;
}

int virtq_chain_read(struct virtio_pci *vp, const struct virtq_chain *c,
		     uint64_t off, void *buf, uint64_t len)
{
	return chain_copy(vp, c, off, buf, len, false);
}

int virtq_chain_write(struct virtio_pci *vp, const struct virtq_chain *c,
		      uint64_t off, const void *buf, uint64_t len)
{
	/* chain_copy only reads buf in this direction */
	return chain_copy(vp, c, off, (uint8_t *)(uintptr_t)buf, len, true);
}

/* ------------------------------------------------------------------
 * The common configuration structure (4.1.4.3).
 */

/* The structure as the driver reads it now. */
static void common_image(const struct virtio_pci *vp, uint8_t *c)
{
	unsigned sel = vp->queue_select;
	const struct virtq *vq = sel < VIRTIO_MAX_QUEUES ? &vp->vq[sel] : NULL;

	memset(c, 0, VIRTIO_PCI_COMMON_SIZE);
	put_le(c + VIRTIO_PCI_COMMON_DFSELECT, 4, vp->dfselect);
	if (vp->dfselect < 2)
		put_le(c + VIRTIO_PCI_COMMON_DF, 4,
		       vp->device_features >> (32 * vp->dfselect));
	put_le(c + VIRTIO_PCI_COMMON_GFSELECT, 4, vp->gfselect);
	if (vp->gfselect < 2)
		put_le(c + VIRTIO_PCI_COMMON_GF, 4,
		       vp->driver_features >> (32 * vp->gfselect));
	put_le(c + VIRTIO_PCI_COMMON_MSIX, 2, VIRTIO_MSI_NO_VECTOR);
	put_le(c + VIRTIO_PCI_COMMON_NUMQ, 2, vp->ops->nqueues);
	c[VIRTIO_PCI_COMMON_STATUS] = vp->status;
	put_le(c + VIRTIO_PCI_COMMON_Q_SELECT, 2, sel);
	put_le(c + VIRTIO_PCI_COMMON_Q_MSIX, 2, VIRTIO_MSI_NO_VECTOR);
	if (!vq || sel >= vp->ops->nqueues)
		return; /* no such queue: size 0 */
	put_le(c + VIRTIO_PCI_COMMON_Q_SIZE, 2, vq->size);
	put_le(c + VIRTIO_PCI_COMMON_Q_ENABLE, 2, vq->enabled);
	put_le(c + VIRTIO_PCI_COMMON_Q_NOFF, 2, sel);
	put_le(c + VIRTIO_PCI_COMMON_Q_DESC, 8, vq->desc);
	put_le(c + VIRTIO_PCI_COMMON_Q_AVAIL, 8, vq->avail);
	put_le(c + VIRTIO_PCI_COMMON_Q_USED, 8, vq->used);
}

/*
 * FEATURES_OK: the device accepts only a subset of what it offered that
 * holds VIRTIO_F_VERSION_1 (6.1); else the bit stays clear (3.1.1).
 */
static void write_status(struct virtio_pci *vp, uint8_t val)
{
	bool was_ok = vp->status & VIRTIO_STATUS_FEATURES_OK;

	if (val == 0) {
		device_reset(vp);
		return;
	}
	if ((val & VIRTIO_STATUS_FEATURES_OK) && !was_ok &&
	    ((vp->driver_features & ~vp->device_features) ||
	     !virtio_has_feature(vp, VIRTIO_F_VERSION_1)))
		val &= (uint8_t)~VIRTIO_STATUS_FEATURES_OK;
	vp->status = (uint8_t)(val | (vp->status & VIRTIO_STATUS_NEEDS_RESET));
}

/* queue_enable: a split ring needs a power-of-two size (2.7), no larger
 * than the device offered (4.1.4.3.2). */
static void enable_queue(struct virtio_pci *vp, struct virtq *vq)
{
	if (vq->size == 0 || (vq->size & (vq->size - 1)) ||
	    vq->size > VIRTQ_MAX_SIZE) {
		needs_reset(vp);
		return;
	}
	vq->enabled = true;
	vq->last_avail = vq->used_idx = 0;
	vq->gen = ++vp->gens;
}

/* Does the access [off, off + size) touch the field at f of n bytes? */
static bool touches(unsigned off, unsigned size, unsigned f, unsigned n)
{
	return off < f + n && f < off + size;
}

static void common_write(struct virtio_pci *vp, unsigned off, unsigned size,
			 uint64_t val)
{
	uint8_t c[VIRTIO_PCI_COMMON_SIZE];
	unsigned sel = vp->queue_select;
	struct virtq *vq = sel < vp->ops->nqueues ? &vp->vq[sel] : NULL;
	bool q_writable = vq && !vq->enabled;

	if (off >= VIRTIO_PCI_COMMON_SIZE)
		return;
	if (off + size > VIRTIO_PCI_COMMON_SIZE)
		size = VIRTIO_PCI_COMMON_SIZE - off;
	common_image(vp, c);
	put_le(c + off, size, val);
	if (touches(off, size, VIRTIO_PCI_COMMON_DFSELECT, 4))
		vp->dfselect = (uint32_t)get_le(c + VIRTIO_PCI_COMMON_DFSELECT, 4);
	if (touches(off, size, VIRTIO_PCI_COMMON_GFSELECT, 4))
		vp->gfselect = (uint32_t)get_le(c + VIRTIO_PCI_COMMON_GFSELECT, 4);
	if (touches(off, size, VIRTIO_PCI_COMMON_GF, 4) && vp->gfselect < 2 &&
	    !(vp->status & VIRTIO_STATUS_FEATURES_OK)) {
		unsigned sh = 32 * vp->gfselect;

		vp->driver_features = (vp->driver_features & ~(0xffffffffull << sh)) |
			get_le(c + VIRTIO_PCI_COMMON_GF, 4) << sh;
	}
	if (touches(off, size, VIRTIO_PCI_COMMON_Q_SELECT, 2))
		vp->queue_select = (uint16_t)get_le(c + VIRTIO_PCI_COMMON_Q_SELECT, 2);
	if (q_writable && touches(off, size, VIRTIO_PCI_COMMON_Q_SIZE, 2))
		vq->size = (uint16_t)get_le(c + VIRTIO_PCI_COMMON_Q_SIZE, 2);
	if (q_writable && touches(off, size, VIRTIO_PCI_COMMON_Q_DESC, 8))
		vq->desc = get_le(c + VIRTIO_PCI_COMMON_Q_DESC, 8);
	if (q_writable && touches(off, size, VIRTIO_PCI_COMMON_Q_AVAIL, 8))
		vq->avail = get_le(c + VIRTIO_PCI_COMMON_Q_AVAIL, 8);
	if (q_writable && touches(off, size, VIRTIO_PCI_COMMON_Q_USED, 8))
		vq->used = get_le(c + VIRTIO_PCI_COMMON_Q_USED, 8);
	if (q_writable && touches(off, size, VIRTIO_PCI_COMMON_Q_ENABLE, 2) &&
	    get_le(c + VIRTIO_PCI_COMMON_Q_ENABLE, 2) == 1)
		enable_queue(vp, vq);
	if (touches(off, size, VIRTIO_PCI_COMMON_STATUS, 1))
		write_status(vp, c[VIRTIO_PCI_COMMON_STATUS]);
}

/* ------------------------------------------------------------------
 * BAR 4 and the configuration-space window.
 */
static uint64_t bar_read(void *opaque, unsigned bar, uint64_t off,
			 unsigned size)
{
	struct virtio_pci *vp = opaque;
	uint8_t b[VIRTIO_PCI_COMMON_SIZE + 8] = { 0 };
	uint64_t v = 0;

	(void)bar;
	vp->bar_accesses++;
	if (vp->place) /* the back end's answers, before the ISR or status */
		vp->place->poll(vp->place->opaque);
	if (off < VIRTIO_PCI_ISR_OFF) {
		if (off < VIRTIO_PCI_COMMON_SIZE) {
			common_image(vp, b);
			v = get_le(b + off, size);
		}
	} else if (off < VIRTIO_PCI_DEVICE_OFF) {
		if (off == VIRTIO_PCI_ISR_OFF) { /* read to clear */
			v = vp->isr;
			vp->isr = 0;
			intx_update(vp);
		}
	} else if (off < VIRTIO_PCI_NOTIFY_OFF) {
		for (unsigned i = 0; i < size; i++) {
			uint64_t at = off - VIRTIO_PCI_DEVICE_OFF + i;

			if (at < vp->ops->config_len)
				v |= (uint64_t)vp->ops->config_read(
					     vp->opaque, (unsigned)at) << (8 * i);
		}
	}
	return v;
}

static void bar_write(void *opaque, unsigned bar, uint64_t off,
		      unsigned size, uint64_t val)
{
	struct virtio_pci *vp = opaque;

	(void)bar;
	vp->bar_accesses++;
	if (off < VIRTIO_PCI_ISR_OFF)
		common_write(vp, (unsigned)off, size, val);
	else if (off >= VIRTIO_PCI_NOTIFY_OFF &&
		 (off - VIRTIO_PCI_NOTIFY_OFF) % VIRTIO_PCI_NOTIFY_MULT == 0)
		notify(vp, (unsigned)((off - VIRTIO_PCI_NOTIFY_OFF) /
				      VIRTIO_PCI_NOTIFY_MULT));
	/* the ISR and the device configuration are read-only here */
}

/*
 * VIRTIO_PCI_CAP_PCI_CFG (4.1.4, "PCI configuration access capability"):
 * the driver writes bar, offset and length (1, 2 or 4) into the
 * capability; reading or writing its pci_cfg_data then reaches the BAR
 * there, for a driver that cannot map the BAR yet.
 */
static bool window(struct virtio_pci *vp, uint32_t *off, unsigned *len)
{
	const uint8_t *cap = &vp->pci.config.cfg[vp->cfg_cap];

	*off = (uint32_t)get_le(cap + 8, 4);
	*len = (unsigned)get_le(cap + 12, 4);
	return cap[4] == VIRTIO_PCI_BAR && (*len == 1 || *len == 2 ||
					    *len == 4) &&
	       *off % *len == 0 && *off + *len <= VIRTIO_PCI_BAR_SIZE;
}

static void cfg_reading(void *opaque, unsigned offset, unsigned size)
{
	struct virtio_pci *vp = opaque;
	unsigned data = vp->cfg_cap + VIRTIO_PCI_CAP_LEN, len;
	uint32_t off;

	if (touches(offset, size, data, 4) && window(vp, &off, &len))
		put_le(&vp->pci.config.cfg[data], len,
		       bar_read(vp, VIRTIO_PCI_BAR, off, len));
}

static void cfg_written(void *opaque, unsigned offset, unsigned size)
{
	struct virtio_pci *vp = opaque;
	unsigned data = vp->cfg_cap + VIRTIO_PCI_CAP_LEN, len;
	uint32_t off;

	if (touches(offset, size, data, 4) && window(vp, &off, &len))
		bar_write(vp, VIRTIO_PCI_BAR, off, len,
			  get_le(&vp->pci.config.cfg[data], len));
}

/* One struct virtio_pci_cap for a structure at off in BAR 4. */
static unsigned add_cap(struct virtio_pci *vp, uint8_t type, unsigned len,
			uint32_t off, uint32_t length)
{
	unsigned at = pci_device_add_cap(&vp->pci, PCI_CAP_ID_VNDR, len);
	uint8_t *c = &vp->pci.config.cfg[at];

	c[2] = (uint8_t)len;
	c[3] = type;
	c[4] = VIRTIO_PCI_BAR;
	put_le(c + 8, 4, off);
	put_le(c + 12, 4, length);
	return at;
}

void virtio_pci_init(struct virtio_pci *vp, uint8_t dev,
		     const struct virtio_device_ops *ops, void *opaque,
		     struct guest_mem *mem)
{
	unsigned at;

	memset(vp, 0, sizeof(*vp));
	vp->ops = ops;
	vp->opaque = opaque;
	vp->mem = mem;
	vp->device_features = ops->features | 1ull << VIRTIO_F_VERSION_1 |
			      1ull << VIRTIO_RING_F_INDIRECT_DESC |
			      1ull << VIRTIO_RING_F_EVENT_IDX;
	pci_device_init(&vp->pci, dev, VIRTIO_PCI_VENDOR_ID,
			(uint16_t)(VIRTIO_PCI_DEVICE_ID_BASE + ops->device_id),
			VIRTIO_PCI_REVISION, ops->class_code, 1);
	put_le(&vp->pci.config.cfg[PCI_SUBSYSTEM_VENDOR_ID], 2,
	       PCI_SUBVENDOR_ID_REDHAT_QUMRANET);
	put_le(&vp->pci.config.cfg[PCI_SUBSYSTEM_ID], 2, PCI_SUBDEVICE_ID_QEMU);
	pci_device_add_bar(&vp->pci, VIRTIO_PCI_BAR, VIRTIO_PCI_BAR_SIZE, true,
			   true);
	add_cap(vp, VIRTIO_PCI_CAP_COMMON_CFG, VIRTIO_PCI_CAP_LEN,
		VIRTIO_PCI_COMMON_OFF, VIRTIO_PCI_COMMON_SIZE);
	add_cap(vp, VIRTIO_PCI_CAP_ISR_CFG, VIRTIO_PCI_CAP_LEN,
		VIRTIO_PCI_ISR_OFF, 1);
	add_cap(vp, VIRTIO_PCI_CAP_DEVICE_CFG, VIRTIO_PCI_CAP_LEN,
		VIRTIO_PCI_DEVICE_OFF, ops->config_len);
	at = add_cap(vp, VIRTIO_PCI_CAP_NOTIFY_CFG, VIRTIO_PCI_NOTIFY_CAP_LEN,
		     VIRTIO_PCI_NOTIFY_OFF,
		     VIRTIO_PCI_NOTIFY_MULT * ops->nqueues);
	put_le(&vp->pci.config.cfg[at + VIRTIO_PCI_CAP_LEN], 4,
	       VIRTIO_PCI_NOTIFY_MULT);
	/* The window: bar, offset, length and data are the driver's. */
	at = add_cap(vp, VIRTIO_PCI_CAP_PCI_CFG, VIRTIO_PCI_CFG_CAP_LEN, 0, 0);
	vp->pci.config.cfg[at + 4] = 0;
	vp->pci.config.wmask[at + 4] = 0xff;
	memset(&vp->pci.config.wmask[at + 8], 0xff, 12);
	vp->cfg_cap = at;
	vp->pci.opaque = vp;
	vp->pci.bar_read = bar_read;
	vp->pci.bar_write = bar_write;
	vp->pci.cfg_reading = cfg_reading;
	vp->pci.cfg_written = cfg_written;
	device_reset(vp);
}

/* ------------------------------------------------------------------
 * Idle queues: the device fills the driver's buffers when it has data
 * (a console's input), chain by chain, with the checks of
 * take_available() and the interrupt of virtio_pci_process().
 */
static bool running(const struct virtio_pci *vp, unsigned q)
{
	return q < vp->ops->nqueues && vp->vq[q].enabled &&
	       (vp->status & (VIRTIO_STATUS_NEEDS_RESET |
			      VIRTIO_STATUS_DRIVER_OK)) ==
		       VIRTIO_STATUS_DRIVER_OK;
}

int virtio_pci_pop(struct virtio_pci *vp, unsigned q, uint16_t *head)
{
	struct virtq *vq;
	uint16_t avail_idx;
	uint8_t b[2];

	if (!running(vp, q))
		return 0;
	vq = &vp->vq[q];
	if (!avail_index(vp, vq, &avail_idx))
		return -1;
	if (avail_idx == vq->last_avail)
		return 0;
	if (!ring_read(vp, vq->avail + 4 +
			   2 * (uint64_t)(vq->last_avail % vq->size), b, 2))
		return -1;
	*head = (uint16_t)get_le(b, 2);
	if (!walk_chain(vp, vq, *head, &vp->chain)) {
		needs_reset(vp);
		return -1;
	}
	vq->last_avail++;
	return 1;
}

bool virtio_pci_push(struct virtio_pci *vp, unsigned q, uint16_t head,
		     uint32_t len)
{
	return running(vp, q) && push_used(vp, &vp->vq[q], head, len);
}

void virtio_pci_filled(struct virtio_pci *vp, unsigned q, uint16_t old)
{
	struct virtq *vq;

	if (!running(vp, q))
		return;
	vq = &vp->vq[q];
	set_avail_event(vp, vq);
	/* used->idx before the driver's used_event or flags (2.7.10) */
	atomic_thread_fence(memory_order_seq_cst);
	if (want_interrupt(vp, vq, old)) {
		vp->interrupts++;
		vp->isr |= VIRTIO_ISR_QUEUE;
		intx_update(vp);
	}
}
