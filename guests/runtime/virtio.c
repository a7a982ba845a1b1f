/*
 * guests/runtime/virtio.c - the virtio 1.x PCI transport and split
 * virtqueues, the driver's side (virtio.h).
 *
 * Registers in the BAR are reached with volatile loads and stores of
 * their own width (4.1.3.1: the driver must use accesses of the field's
 * size; a 64-bit field as two 32-bit halves, low first).  Every access
 * here is an exit to the monitor; the rings are in the guest's own RAM
 * and cost none.  x86 keeps stores in order, so a compiler barrier is
 * the only fence the ring updates need (2.7.13: descriptors, then the
 * ring entry, then idx, then the notification).
 */
#include "cpu.h"
#include "rt.h"
#include "virtio.h"

#define barrier() __asm__ volatile("" : : : "memory")

/* ------------------------------------------------------------ registers */
static uint8_t rd8(volatile uint8_t *base, unsigned off)
{
	return base[off];
}

static uint16_t rd16(volatile uint8_t *base, unsigned off)
{
	return *(volatile uint16_t *)(base + off);
}

static uint32_t rd32(volatile uint8_t *base, unsigned off)
{
	return *(volatile uint32_t *)(base + off);
}

static void wr8(volatile uint8_t *base, unsigned off, uint8_t v)
{
	base[off] = v;
}

static void wr16(volatile uint8_t *base, unsigned off, uint16_t v)
{
	*(volatile uint16_t *)(base + off) = v;
}

static void wr32(volatile uint8_t *base, unsigned off, uint32_t v)
{
	*(volatile uint32_t *)(base + off) = v;
}

static void wr64(volatile uint8_t *base, unsigned off, uint64_t v)
{
	wr32(base, off, (uint32_t)v);
	wr32(base, off + 4, (uint32_t)(v >> 32));
}

/* ------------------------------------------------------------ discovery */

/* The address a capability points at, or NULL. */
static volatile uint8_t *cap_map(struct rt_virtio *v,
				 const struct rt_virtio_cap *c)
{
	uint64_t size, base;
	bool is64, prefetch;

	if (c->bar >= PCI_NUM_BARS)
		return NULL;
	base = rt_pci_bar(&v->pci, c->bar, &size, &is64, &prefetch);
	if (!base || (uint64_t)c->offset + c->length > size ||
	    base + size > 0x100000000ull) /* beyond the identity map */
		return NULL;
	return (volatile uint8_t *)(uintptr_t)(base + c->offset);
}

/* Record the vendor capability at p; map the structures we use. */
static void take_cap(struct rt_virtio *v, unsigned p)
{
	struct rt_virtio_cap c = {
		.at = (uint8_t)p,
		.type = (uint8_t)rt_pci_read(&v->pci, p + 3, 1),
		.bar = (uint8_t)rt_pci_read(&v->pci, p + 4, 1),
		.offset = rt_pci_read(&v->pci, p + 8, 4),
		.length = rt_pci_read(&v->pci, p + 12, 4),
	};

	if (v->ncap < RT_VIRTIO_MAX_CAPS)
		v->cap[v->ncap++] = c;
	/* 4.1.4.1: the first capability of each type is the one to use */
	switch (c.type) {
	case VIRTIO_PCI_CAP_COMMON_CFG:
		if (!v->common)
			v->common = cap_map(v, &c);
		break;
	case VIRTIO_PCI_CAP_ISR_CFG:
		if (!v->isr)
			v->isr = cap_map(v, &c);
		break;
	case VIRTIO_PCI_CAP_DEVICE_CFG:
		if (!v->device)
			v->device = cap_map(v, &c);
		break;
	case VIRTIO_PCI_CAP_NOTIFY_CFG:
		if (!v->notify) {
			v->notify = cap_map(v, &c);
			v->notify_mult = rt_pci_read(&v->pci,
						     p + VIRTIO_PCI_CAP_LEN, 4);
		}
		break;
	}
}

int rt_virtio_init(struct rt_virtio *v, const struct rt_pci_dev *pci)
{
	unsigned p, hops = 0;

	*v = (struct rt_virtio){ .pci = *pci };
	if (!(rt_pci_read(pci, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST))
		return -1;
	/* 48 hops at most: a list that loops ends too */
	for (p = rt_pci_read(pci, PCI_CAPABILITY_LIST, 1) & 0xfc;
	     p && hops < 48; p = rt_pci_read(pci, p + 1, 1) & 0xfc, hops++)
		if (rt_pci_read(pci, p, 1) == PCI_CAP_ID_VNDR)
			take_cap(v, p);
	if (!v->common || !v->isr || !v->device || !v->notify)
		return -1;
	rt_pci_write(pci, PCI_COMMAND, 2, rt_pci_read(pci, PCI_COMMAND, 2) |
		     PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	return 0;
}

/* ------------------------------------------------------------ status, features */

uint8_t rt_virtio_status(struct rt_virtio *v)
{
	return rd8(v->common, VIRTIO_PCI_COMMON_STATUS);
}

void rt_virtio_set_status(struct rt_virtio *v, uint8_t status)
{
	wr8(v->common, VIRTIO_PCI_COMMON_STATUS, status);
}

static uint64_t device_features(struct rt_virtio *v)
{
	uint64_t f;

	wr32(v->common, VIRTIO_PCI_COMMON_DFSELECT, 0);
	f = rd32(v->common, VIRTIO_PCI_COMMON_DF);
	wr32(v->common, VIRTIO_PCI_COMMON_DFSELECT, 1);
	return f | (uint64_t)rd32(v->common, VIRTIO_PCI_COMMON_DF) << 32;
}

uint8_t rt_virtio_negotiate(struct rt_virtio *v, uint64_t want)
{
	uint8_t s = VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER;

	rt_virtio_set_status(v, 0);
	/* 4.1.4.3.2: after a reset, wait for status to read back 0 (a
	 * device that never does fails FEATURES_OK below) */
	for (unsigned i = 0; i < 1000000 && rt_virtio_status(v) != 0; i++)
		;
	rt_virtio_set_status(v, VIRTIO_STATUS_ACKNOWLEDGE);
	rt_virtio_set_status(v, s);
	v->features = device_features(v);
	want &= v->features;
	wr32(v->common, VIRTIO_PCI_COMMON_GFSELECT, 0);
	wr32(v->common, VIRTIO_PCI_COMMON_GF, (uint32_t)want);
	wr32(v->common, VIRTIO_PCI_COMMON_GFSELECT, 1);
	wr32(v->common, VIRTIO_PCI_COMMON_GF, (uint32_t)(want >> 32));
	rt_virtio_set_status(v, s | VIRTIO_STATUS_FEATURES_OK);
	return rt_virtio_status(v);
}

uint8_t rt_virtio_config8(struct rt_virtio *v, unsigned off)
{
	return rd8(v->device, off);
}

/* 4.1.3.1: read the generation before and after; again if it moved. */
uint64_t rt_virtio_config64(struct rt_virtio *v, unsigned off)
{
	uint8_t gen;
	uint64_t val;

	do {
		gen = rd8(v->common, VIRTIO_PCI_COMMON_CFGGEN);
		val = rd32(v->device, off) |
		      (uint64_t)rd32(v->device, off + 4) << 32;
	} while (gen != rd8(v->common, VIRTIO_PCI_COMMON_CFGGEN));
	return val;
}

uint8_t rt_virtio_isr(struct rt_virtio *v)
{
	return rd8(v->isr, 0);
}

/* ------------------------------------------------------------ virtqueues */

int rt_virtq_setup(struct rt_virtio *v, unsigned index, struct rt_virtq *q,
		   struct rt_virtq_rings *r)
{
	volatile uint8_t *c = v->common;
	uint16_t size;

	wr16(c, VIRTIO_PCI_COMMON_Q_SELECT, (uint16_t)index);
	size = rd16(c, VIRTIO_PCI_COMMON_Q_SIZE);
	if (size == 0)
		return -1;
	if (size > RT_VIRTQ_SIZE)
		size = RT_VIRTQ_SIZE;
	memset(r, 0, sizeof(*r));
	*q = (struct rt_virtq){ .v = v, .index = index, .size = size, .r = r,
				.nfree = size };
	for (uint16_t i = 0; i + 1 < size; i++)
		r->desc[i].next = (uint16_t)(i + 1);
	wr16(c, VIRTIO_PCI_COMMON_Q_SIZE, size);
	wr64(c, VIRTIO_PCI_COMMON_Q_DESC, (uintptr_t)r->desc);
	wr64(c, VIRTIO_PCI_COMMON_Q_AVAIL, (uintptr_t)&r->avail);
	wr64(c, VIRTIO_PCI_COMMON_Q_USED, (uintptr_t)&r->used);
	q->notify = (volatile uint16_t *)(v->notify +
		rd16(c, VIRTIO_PCI_COMMON_Q_NOFF) * v->notify_mult);
	wr16(c, VIRTIO_PCI_COMMON_Q_ENABLE, 1);
	return 0;
}

/* Take a free descriptor off the list. */
static uint16_t desc_alloc(struct rt_virtq *q)
{
	uint16_t i = q->free_head;

	q->free_head = q->r->desc[i].next;
	q->nfree--;
	return i;
}

static void fill(struct rt_virtq_desc *d, const struct rt_virtq_buf *b,
		 bool more, uint16_t next)
{
	d->addr = (uintptr_t)b->addr;
	d->len = b->len;
	d->flags = (uint16_t)((b->device_writes ? VIRTQ_DESC_F_WRITE : 0) |
			      (more ? VIRTQ_DESC_F_NEXT : 0));
	d->next = more ? next : 0;
}

int rt_virtq_add(struct rt_virtq *q, const struct rt_virtq_buf *b,
		 unsigned n, struct rt_virtq_desc *table)
{
	struct rt_virtq_rings *r = q->r;
	uint16_t head;

	if (n == 0 || q->nfree < (table ? 1 : n))
		return -1;
	head = desc_alloc(q);
	if (table) {
		for (unsigned i = 0; i < n; i++)
			fill(&table[i], &b[i], i + 1 < n, (uint16_t)(i + 1));
		r->desc[head] = (struct rt_virtq_desc){
			.addr = (uintptr_t)table,
			.len = (uint32_t)(n * sizeof(*table)),
			.flags = VIRTQ_DESC_F_INDIRECT };
	} else {
		uint16_t d = head;

		for (unsigned i = 0; i < n; i++) {
			uint16_t next = i + 1 < n ? desc_alloc(q) : 0;

			fill(&r->desc[d], &b[i], i + 1 < n, next);
			d = next;
		}
	}
	r->avail.ring[r->avail.idx % q->size] = head;
	barrier();
	r->avail.idx++;
	barrier();
	return head;
}

void rt_virtq_kick(struct rt_virtq *q)
{
	barrier();
	*q->notify = (uint16_t)q->index;
}

void rt_virtq_interrupts(struct rt_virtq *q, bool on)
{
	q->r->avail.flags = on ? 0 : VIRTQ_AVAIL_F_NO_INTERRUPT;
	barrier();
}

/* Put the chain from head back on the free list. */
static void desc_free(struct rt_virtq *q, uint16_t head)
{
	struct rt_virtq_desc *d = q->r->desc;
	uint16_t i = head;

	for (;;) {
		q->nfree++;
		if (!(d[i].flags & VIRTQ_DESC_F_NEXT))
			break;
		i = d[i].next;
	}
	d[i].next = q->free_head;
	q->free_head = head;
}

bool rt_virtq_used(struct rt_virtq *q, uint16_t *head, uint32_t *len)
{
	volatile struct rt_virtq_rings *r = q->r;
	unsigned slot;

	if (r->used.idx == q->last_used)
		return false;
	barrier();
	slot = q->last_used % q->size;
	*head = (uint16_t)r->used.ring[slot].id;
	*len = r->used.ring[slot].len;
	q->last_used++;
	if (*head < q->size) /* a device that names no chain frees none */
		desc_free(q, *head);
	return true;
}
