/*
 * guests/runtime/vcons.c - the virtio console driver (vcons.h).
 */
#include "rt.h"
#include "vcons.h"

int rt_vcons_open(struct rt_vcons *vc, const struct rt_pci_dev *pci)
{
	uint8_t st;

	memset(vc, 0, sizeof(*vc));
	if (rt_virtio_init(&vc->v, pci) < 0)
		return -1;
	st = rt_virtio_negotiate(&vc->v, 1ull << VIRTIO_F_VERSION_1);
	if (!(st & VIRTIO_STATUS_FEATURES_OK) ||
	    rt_virtq_setup(&vc->v, VIRTIO_CONSOLE_RECEIVEQ, &vc->rx,
			   &vc->rx_rings) < 0 ||
	    rt_virtq_setup(&vc->v, VIRTIO_CONSOLE_TRANSMITQ, &vc->tx,
			   &vc->tx_rings) < 0) {
		rt_virtio_set_status(&vc->v, st | VIRTIO_STATUS_FAILED);
		return -1;
	}
	rt_virtq_interrupts(&vc->rx, false);
	rt_virtq_interrupts(&vc->tx, false);
	rt_virtio_set_status(&vc->v, st | VIRTIO_STATUS_DRIVER_OK);
	return 0;
}

int rt_vcons_queue(struct rt_vcons *vc, const void *buf, uint32_t len,
		   void *wbuf, uint32_t wlen)
{
	/* the device only reads buf: the chain's buffer is not const */
	struct rt_virtq_buf b[2] = {
		{ (void *)(uintptr_t)buf, len, false },
		{ wbuf, wlen, true },
	};

	if (rt_virtq_add(&vc->tx, b, wlen ? 2 : 1, NULL) < 0)
		return -1;
	vc->queued++;
	return 0;
}

void rt_vcons_kick(struct rt_vcons *vc)
{
	rt_virtq_kick(&vc->tx);
}

int rt_vcons_sync(struct rt_vcons *vc)
{
	for (unsigned spins = 1; vc->queued; spins++) {
		uint16_t head;
		uint32_t len;

		if (rt_virtq_used(&vc->tx, &head, &len)) {
			vc->queued--;
			continue;
		}
		/* now and then (each look is an exit): a broken device */
		if (spins % 4096 == 0 &&
		    (rt_virtio_status(&vc->v) & VIRTIO_STATUS_NEEDS_RESET))
			return -1;
	}
	return 0;
}

int rt_vcons_write(struct rt_vcons *vc, const void *buf, uint32_t len)
{
	if (rt_vcons_queue(vc, buf, len, NULL, 0) < 0)
		return -1;
	rt_vcons_kick(vc);
	return rt_vcons_sync(vc);
}
