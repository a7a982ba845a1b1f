/*
 * guests/runtime/ptblk.h - a driver for trapvisor's passed-through disk
 * (devices/ptblk.h), behind the block interface of blk.h.
 *
 * Set-up goes through the function's configuration space: the driver
 * gives the device a zeroed page of its own RAM for the doorbells and
 * the two queues (QADDR), turns bus mastering on, writes CC.EN and
 * waits for CSTS.RDY.  From then on a request costs no register access:
 * the driver writes a submission entry and the SQ tail doorbell, both in
 * RAM, and polls the completion queue for an entry whose phase tag is
 * the one it expects, then writes the CQ head doorbell, also in RAM.
 * The device is a host thread that polls the doorbell, so nothing traps.
 * Several requests may be queued before any completion is taken
 * (rt_ptblk_submit, rt_ptblk_complete).
 */
#ifndef GUESTS_RUNTIME_PTBLK_H
#define GUESTS_RUNTIME_PTBLK_H

#define PTBLK_GUEST /* the ABI of devices/ptblk.h, not the monitor's side */
#include "blk.h"
#include "devices/ptblk.h"
#include "pci.h"

struct rt_ptblk {
	struct rt_pci_dev pci;
	volatile uint8_t *page;   /* the queue page: doorbells, SQ, CQ */
	uint32_t sq_tail, cq_head;
	uint16_t phase;           /* the phase tag a new completion has */
	uint16_t next_cid;
	unsigned outstanding;     /* submitted, not yet completed */
	struct rt_blk blk;
};

/* A completion as the driver takes it. */
struct rt_ptblk_done {
	uint16_t cid, sc, sq_head; /* sc: PTBLK_SC_* */
	uint32_t result;           /* bytes moved */
};

/*
 * Bring the device at pci up with page (PTBLK_PAGE bytes of RAM, aligned
 * to PTBLK_PAGE, identity-mapped) as its queue page; fill p->blk.  0, or
 * -1 when the device did not come up (CSTS then says why).
 */
int rt_ptblk_open(struct rt_ptblk *p, const struct rt_pci_dev *pci,
		  void *page);

/* CC.EN 0, and wait for CSTS.RDY to clear. */
void rt_ptblk_disable(struct rt_ptblk *p);

/* CSTS, one configuration-space read. */
uint32_t rt_ptblk_csts(const struct rt_ptblk *p);

/*
 * Queue one request (no register access): opcode PTBLK_OP_*, nsect
 * sectors from lba at the guest-physical address addr.  Its tag, or -1
 * when the submission queue is full.
 */
int rt_ptblk_submit(struct rt_ptblk *p, uint8_t opcode, uint64_t lba,
		    uint64_t addr, uint32_t nsect);

/*
 * Wait for the next completion by polling its phase tag.  0, or -1
 * when none came for a long while and CSTS says the device stopped
 * (CFS, or not ready).
 */
int rt_ptblk_complete(struct rt_ptblk *p, struct rt_ptblk_done *out);

/* n pause instructions: the gap between two CSTS reads of a wait, so
 * that a wait costs few exits. */
void rt_ptblk_pause(unsigned n);

/* An rt_blk status for a completion's status code. */
int rt_ptblk_status(uint16_t sc);

#endif /* GUESTS_RUNTIME_PTBLK_H */
