/*
 * guests/runtime/vblk.c - the virtio-blk driver (vblk.h).
 */
#include "cpu.h"
#include "rt.h"
#include "vblk.h"

int rt_vblk_queue(struct rt_vblk *vb, struct rt_vblk_req *r, uint32_t type,
		  uint64_t sector, void *data, uint32_t len, bool indirect)
{
	bool in = type == VIRTIO_BLK_T_IN || type == VIRTIO_BLK_T_GET_ID;
	struct rt_virtq_buf b[3];
	unsigned n = 0;
	int head;

	r->hdr.type = type;
	r->hdr.reserved = 0;
	r->hdr.sector = sector;
	r->status = 0xff; /* no VIRTIO_BLK_S_*: the device did not write */
	r->done = false;
	b[n++] = (struct rt_virtq_buf){ &r->hdr, sizeof(r->hdr), false };
	if (len)
		b[n++] = (struct rt_virtq_buf){ data, len, in };
	b[n++] = (struct rt_virtq_buf){ &r->status, 1, true };
	head = rt_virtq_add(&vb->q, b, n, indirect ? r->table : NULL);
	if (head < 0)
		return RT_BLK_EBUSY;
	vb->inflight[head] = r;
	r->head = (uint16_t)head;
	return RT_BLK_OK;
}

void rt_vblk_kick(struct rt_vblk *vb)
{
	rt_virtq_kick(&vb->q);
}

/* The next used entry's request, or NULL. */
static struct rt_vblk_req *take_used(struct rt_vblk *vb)
{
	struct rt_vblk_req *r;
	uint16_t head;
	uint32_t len;

	if (!rt_virtq_used(&vb->q, &head, &len) || head >= RT_VIRTQ_SIZE ||
	    !(r = vb->inflight[head]))
		return NULL;
	vb->inflight[head] = NULL;
	r->used_len = len;
	r->done = true;
	return r;
}

/* Has the device given up (2.1.2)?  Then nothing more completes. */
static bool broken(struct rt_vblk *vb)
{
	return rt_virtio_status(&vb->v) & VIRTIO_STATUS_NEEDS_RESET;
}

struct rt_vblk_req *rt_vblk_complete(struct rt_vblk *vb)
{
	struct rt_vblk_req *r;

	for (unsigned spins = 1; !(r = take_used(vb)); spins++) {
		if (vb->use_irq) {
			safe_halt(); /* sti; hlt: the interrupt wakes it */
			cli();
		}
		/* now and then (each look is an exit): a broken device */
		if ((vb->use_irq || spins % 65536 == 0) && broken(vb))
			return NULL;
	}
	return r;
}

int rt_vblk_do(struct rt_vblk *vb, uint32_t type, uint64_t sector,
	       void *data, uint32_t len)
{
	int st = rt_vblk_queue(vb, &vb->req, type, sector, data, len, false);

	if (st != RT_BLK_OK)
		return st;
	rt_vblk_kick(vb);
	for (;;) {
		struct rt_vblk_req *r = rt_vblk_complete(vb);

		if (!r)
			return RT_BLK_EIO; /* the device needs a reset */
		if (r == &vb->req)
			return r->status;
		/* someone else's: theirs is done, ours still runs */
	}
}

void rt_vblk_use_irq(struct rt_vblk *vb, bool on)
{
	vb->use_irq = on;
	rt_virtq_interrupts(&vb->q, on);
}

void rt_vblk_interrupt(struct rt_vblk *vb)
{
	vb->last_isr = rt_virtio_isr(&vb->v);
	vb->irqs++;
}

/* ------------------------------------------------------------ rt_blk */

/* VIRTIO_BLK_S_* to a blk.h status (the same numbers, but for junk). */
static int blk_status(int st)
{
	return st == VIRTIO_BLK_S_OK || st == VIRTIO_BLK_S_IOERR ||
	       st == VIRTIO_BLK_S_UNSUPP || st == RT_BLK_EBUSY ? st :
								  RT_BLK_EIO;
}

static int vblk_read(struct rt_blk *b, uint64_t sector, void *buf,
		     unsigned count)
{
	return blk_status(rt_vblk_do(b->priv, VIRTIO_BLK_T_IN, sector, buf,
				     count * RT_BLK_SECTOR));
}

static int vblk_write(struct rt_blk *b, uint64_t sector, const void *buf,
		      unsigned count)
{
	/* the device only reads it: the chain's buffer is not const */
	return blk_status(rt_vblk_do(b->priv, VIRTIO_BLK_T_OUT, sector,
				     (void *)(uintptr_t)buf,
				     count * RT_BLK_SECTOR));
}

static int vblk_flush(struct rt_blk *b)
{
	return blk_status(rt_vblk_do(b->priv, VIRTIO_BLK_T_FLUSH, 0, NULL,
				     0));
}

int rt_vblk_open(struct rt_vblk *vb, const struct rt_pci_dev *pci,
		 uint64_t want)
{
	uint8_t st;

	memset(vb, 0, sizeof(*vb));
	if (rt_virtio_init(&vb->v, pci) < 0)
		return -1;
	st = rt_virtio_negotiate(&vb->v, want | 1ull << VIRTIO_F_VERSION_1);
	if (!(st & VIRTIO_STATUS_FEATURES_OK) ||
	    rt_virtq_setup(&vb->v, 0, &vb->q, &vb->rings) < 0) {
		rt_virtio_set_status(&vb->v, st | VIRTIO_STATUS_FAILED);
		return -1;
	}
	rt_virtq_interrupts(&vb->q, false);
	rt_virtio_set_status(&vb->v, st | VIRTIO_STATUS_DRIVER_OK);
	vb->blk = (struct rt_blk){
		.name = "virtio-blk",
		.sectors = rt_virtio_config64(&vb->v, 0), /* capacity */
		.read_only = vb->v.features >> VIRTIO_BLK_F_RO & 1,
		.priv = vb,
		.read = vblk_read, .write = vblk_write, .flush = vblk_flush,
	};
	return 0;
}
