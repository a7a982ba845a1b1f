/*
 * guests/runtime/ptblk.c - the passed-through disk's driver (ptblk.h).
 *
 * The rings are shared with a device on another CPU: the submission
 * entry must be in memory before the doorbell that hands it over, and
 * a completion's fields are read only after its phase tag.  x86 keeps
 * stores in order and loads in order (SDM 3A, 9.2.2), so a compiler
 * barrier between them is all the ordering this needs.
 */
#include "cpu.h"
#include "ptblk.h"
#include "rt.h"

#define SPINS_BEFORE_CSTS (1u << 28) /* then look whether it stopped */
#define CSTS_GAP 20000               /* pauses between two CSTS reads */

static inline void barrier(void)
{
	__asm__ volatile("" ::: "memory");
}

static inline void pause(void)
{
	__asm__ volatile("pause");
}

void rt_ptblk_pause(unsigned n)
{
	while (n--)
		pause();
}

static void put32(volatile uint8_t *p, uint32_t v)
{
	*(volatile uint32_t *)p = v;
}

uint32_t rt_ptblk_csts(const struct rt_ptblk *p)
{
	return rt_pci_read(&p->pci, PTBLK_CFG_CSTS, 4);
}

/*
 * Wait (bounded) until the device followed CC: enabled, RDY or CFS (it
 * failed); disabled, both clear (a disable clears CFS too).  The driver
 * must see it follow before writing CC again, as NVMe's must.
 */
static uint32_t wait_rdy(const struct rt_ptblk *p, bool rdy)
{
	uint32_t s = 0;

	for (unsigned i = 0; i < 100000; i++) {
		s = rt_ptblk_csts(p);
		if (rdy ? s & (PTBLK_CSTS_RDY | PTBLK_CSTS_CFS) :
			  !(s & (PTBLK_CSTS_RDY | PTBLK_CSTS_CFS)))
			break;
		rt_ptblk_pause(CSTS_GAP);
	}
	return s;
}

void rt_ptblk_disable(struct rt_ptblk *p)
{
	rt_pci_write(&p->pci, PTBLK_CFG_CC, 4, 0);
	wait_rdy(p, false);
}

int rt_ptblk_status(uint16_t sc)
{
	switch (sc) {
	case PTBLK_SC_SUCCESS: return RT_BLK_OK;
	case PTBLK_SC_INVALID_OPCODE: return RT_BLK_EUNSUPP;
	}
	return RT_BLK_EIO;
}

int rt_ptblk_submit(struct rt_ptblk *p, uint8_t opcode, uint64_t lba,
		    uint64_t addr, uint32_t nsect)
{
	uint32_t next = (p->sq_tail + 1) % PTBLK_QSIZE;
	volatile struct ptblk_sqe *e;
	uint16_t cid;

	if (p->outstanding == PTBLK_QSIZE - 1)
		return -1; /* full: one more would make tail equal head */
	cid = p->next_cid++;
	e = (volatile struct ptblk_sqe *)(p->page + PTBLK_SQ +
					  p->sq_tail * PTBLK_SQE_SIZE);
	e->opcode = opcode;
	e->flags = 0;
	e->cid = cid;
	e->nsect = nsect;
	e->lba = lba;
	e->addr = addr;
	e->reserved = 0;
	barrier(); /* the entry, then the doorbell that hands it over */
	p->sq_tail = next;
	p->outstanding++;
	put32(p->page + PTBLK_SQ_TAIL, next);
	return cid;
}

int rt_ptblk_complete(struct rt_ptblk *p, struct rt_ptblk_done *out)
{
	volatile struct ptblk_cqe *c =
		(volatile struct ptblk_cqe *)(p->page + PTBLK_CQ +
					      p->cq_head * PTBLK_CQE_SIZE);
	unsigned spins = 0;

	while ((c->status & 1) != p->phase) {
		if (++spins == SPINS_BEFORE_CSTS) {
			uint32_t s = rt_ptblk_csts(p);

			if ((s & PTBLK_CSTS_CFS) || !(s & PTBLK_CSTS_RDY))
				return -1;
			spins = 0;
		}
		pause();
	}
	barrier(); /* the phase tag, then the rest of the entry */
	out->cid = c->cid;
	out->sc = c->status >> 1;
	out->sq_head = c->sq_head;
	out->result = c->result;
	p->outstanding--;
	if (++p->cq_head == PTBLK_QSIZE) {
		p->cq_head = 0;
		p->phase ^= 1;
	}
	put32(p->page + PTBLK_CQ_HEAD, p->cq_head);
	return 0;
}

/* One request, waited for; an rt_blk status. */
static int do_one(struct rt_ptblk *p, uint8_t op, uint64_t lba, void *buf,
		  uint32_t nsect)
{
	struct rt_ptblk_done d;
	int cid = rt_ptblk_submit(p, op, lba, (uintptr_t)buf, nsect);

	if (cid < 0)
		return RT_BLK_EBUSY;
	do
		if (rt_ptblk_complete(p, &d) < 0)
			return RT_BLK_EIO;
	while (d.cid != (uint16_t)cid);
	return rt_ptblk_status(d.sc);
}

static int blk_read(struct rt_blk *b, uint64_t sector, void *buf,
		    unsigned count)
{
	return do_one(b->priv, PTBLK_OP_READ, sector, buf, count);
}

static int blk_write(struct rt_blk *b, uint64_t sector, const void *buf,
		     unsigned count)
{
	return do_one(b->priv, PTBLK_OP_WRITE, sector, (void *)buf, count);
}

static int blk_flush(struct rt_blk *b)
{
	return do_one(b->priv, PTBLK_OP_FLUSH, 0, NULL, 0);
}

int rt_ptblk_open(struct rt_ptblk *p, const struct rt_pci_dev *pci,
		  void *page)
{
	uint64_t qaddr = (uintptr_t)page;
	uint32_t s;

	p->pci = *pci;
	p->page = page;
	if (rt_pci_read(pci, PTBLK_CFG_QSIZE, 2) != PTBLK_QSIZE)
		return -1;
	if (rt_ptblk_csts(p) & (PTBLK_CSTS_RDY | PTBLK_CSTS_CFS))
		rt_ptblk_disable(p);
	memset(page, 0, PTBLK_PAGE);
	p->sq_tail = p->cq_head = 0;
	p->phase = 1;
	p->next_cid = 0;
	p->outstanding = 0;
	rt_pci_write(pci, PCI_COMMAND, 2,
		     rt_pci_read(pci, PCI_COMMAND, 2) | PCI_COMMAND_MASTER);
	rt_pci_write(pci, PTBLK_CFG_QADDR, 4, (uint32_t)qaddr);
	rt_pci_write(pci, PTBLK_CFG_QADDR + 4, 4, (uint32_t)(qaddr >> 32));
	rt_pci_write(pci, PTBLK_CFG_CC, 4, PTBLK_CC_EN);
	s = wait_rdy(p, true);
	if (!(s & PTBLK_CSTS_RDY) || (s & PTBLK_CSTS_CFS))
		return -1;
	p->blk = (struct rt_blk){
		.name = "ptblk",
		.sectors = rt_pci_read(pci, PTBLK_CFG_CAPACITY, 4) |
			   (uint64_t)rt_pci_read(pci, PTBLK_CFG_CAPACITY + 4, 4)
				   << 32,
		.read_only = s & PTBLK_CSTS_RO,
		.priv = p,
		.read = blk_read,
		.write = blk_write,
		.flush = blk_flush,
	};
	return 0;
}
