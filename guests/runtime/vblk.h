/*
 * guests/runtime/vblk.h - a virtio-blk driver (VIRTIO 1.2, 5.2) on the
 * PCI transport of virtio.h, behind the block interface of blk.h.
 *
 * A request is a chain of three buffers: the 16-byte header (type,
 * reserved, sector) the device reads, the data (read by the device for
 * a write, written by it for a read or GET_ID), and the status byte it
 * writes.  Requests may be queued several at a time and the device
 * notified once for all of them (rt_vblk_queue, rt_vblk_kick): the one
 * exit per batch of the paravirtual design.  Completion is taken by
 * polling the used ring, or, after rt_vblk_use_irq, by halting until the
 * card's interrupt (the guest's handler calls rt_vblk_interrupt and
 * ends the interrupt at its controller).
 */
#ifndef GUESTS_RUNTIME_VBLK_H
#define GUESTS_RUNTIME_VBLK_H

#include "blk.h"
#include "devices/virtio_blk.h"
#include "virtio.h"

/* The PCI IDs a virtio-blk card may have (4.1.2): modern, transitional. */
#define RT_VBLK_DEVICE_MODERN (VIRTIO_PCI_DEVICE_ID_BASE + VIRTIO_ID_BLOCK)
#define RT_VBLK_DEVICE_TRANSITIONAL 0x1001

/* One request and what became of it; the caller's until it completes. */
struct rt_vblk_req {
	struct {
		uint32_t type, reserved;
		uint64_t sector;
	} hdr;
	uint8_t status;             /* VIRTIO_BLK_S_*, written by the device */
	bool done;
	uint16_t head;              /* its chain's first descriptor */
	uint32_t used_len;          /* the used entry's len */
	struct rt_virtq_desc table[3]; /* for an indirect chain */
};

struct rt_vblk {
	struct rt_virtio v;
	struct rt_virtq q;
	struct rt_virtq_rings rings;
	struct rt_vblk_req *inflight[RT_VIRTQ_SIZE]; /* by head */
	struct rt_vblk_req req;     /* rt_blk's own requests */
	struct rt_blk blk;
	bool use_irq;
	volatile unsigned irqs;     /* interrupts rt_vblk_interrupt took */
	volatile uint8_t last_isr;  /* the ISR the last one read */
};

/*
 * Bring the card at pci up (3.1.1): negotiate want (VIRTIO_F_VERSION_1
 * must be among what the device offers and takes, or it fails), set up
 * request queue 0, DRIVER_OK; fill vb->blk.  0, or -1 (the status is
 * then left as the device had it).
 */
int rt_vblk_open(struct rt_vblk *vb, const struct rt_pci_dev *pci,
		 uint64_t want);

/*
 * Queue one request (without notifying): type VIRTIO_BLK_T_*, the
 * sector, len bytes of data at data (none for a flush).  indirect: one
 * descriptor pointing to r->table.  0, or RT_BLK_EBUSY.
 */
int rt_vblk_queue(struct rt_vblk *vb, struct rt_vblk_req *r, uint32_t type,
		  uint64_t sector, void *data, uint32_t len, bool indirect);

/* Notify the device: one write for whatever was queued since the last. */
void rt_vblk_kick(struct rt_vblk *vb);

/* Wait for the next completion (polling, or halting until the
 * interrupt); returns its request, done set, or NULL when the device
 * set DEVICE_NEEDS_RESET (nothing will complete until a reset). */
struct rt_vblk_req *rt_vblk_complete(struct rt_vblk *vb);

/* Queue, kick and wait for one request; returns its status. */
int rt_vblk_do(struct rt_vblk *vb, uint32_t type, uint64_t sector,
	       void *data, uint32_t len);

/* Completion by interrupt (true) or by polling (false). */
void rt_vblk_use_irq(struct rt_vblk *vb, bool on);

/* The card's interrupt: read (acknowledge) the ISR, count it. */
void rt_vblk_interrupt(struct rt_vblk *vb);

#endif /* GUESTS_RUNTIME_VBLK_H */
