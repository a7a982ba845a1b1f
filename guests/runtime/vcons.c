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

/* Lend receive buffer i (a device-writable chain of one). */
static int lend(struct rt_vcons *vc, unsigned i)
{
	struct rt_virtq_buf b = { vc->rx_buf[i], vc->rx_size, true };
	int head = rt_virtq_add(&vc->rx, &b, 1, NULL);

	if (head < 0)
		return -1;
	vc->rx_of[head] = (int8_t)i;
	return 0;
}

int rt_vcons_listen(struct rt_vcons *vc, uint32_t size)
{
	if (size == 0 || size > RT_VCONS_RX_LEN)
		return -1;
	vc->rx_size = size;
	vc->rx_cur = -1;
	memset(vc->rx_of, -1, sizeof(vc->rx_of));
	for (unsigned i = 0; i < RT_VCONS_RX_BUFS; i++)
		if (lend(vc, i) < 0)
			return -1;
	rt_virtq_kick(&vc->rx);
	return 0;
}

/* The next used receive buffer becomes the one being read; false when
 * the device has used none.  A head that is not one of ours is skipped. */
static bool next_used(struct rt_vcons *vc)
{
	uint16_t head;
	uint32_t len;

	while (rt_virtq_used(&vc->rx, &head, &len)) {
		if (head >= RT_VIRTQ_SIZE || vc->rx_of[head] < 0)
			continue;
		vc->rx_cur = vc->rx_of[head];
		vc->rx_of[head] = -1;
		vc->rx_len = len < vc->rx_size ? len : vc->rx_size;
		vc->rx_off = 0;
		return true;
	}
	return false;
}

uint32_t rt_vcons_read(struct rt_vcons *vc, void *buf, uint32_t len)
{
	uint8_t *out = buf;
	uint32_t got = 0;
	bool lent = false;

	while (got < len) {
		if (vc->rx_cur < 0 && !next_used(vc))
			break;
		while (got < len && vc->rx_off < vc->rx_len)
			out[got++] = vc->rx_buf[vc->rx_cur][vc->rx_off++];
		if (vc->rx_off == vc->rx_len) { /* read to the end: lend it */
			lent |= lend(vc, (unsigned)vc->rx_cur) == 0;
			vc->rx_cur = -1;
		}
	}
	if (lent)
		rt_virtq_kick(&vc->rx);
	return got;
}
