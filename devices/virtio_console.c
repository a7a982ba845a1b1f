/*
 * devices/virtio_console.c - the virtio console (devices/virtio_console.h):
 * transmit buffers out to the host, input into receive buffers, the
 * configuration.
 *
 * A transmit chain's readable bytes are the output (5.3.6.2: the driver
 * puts output in device-readable buffers); the device writes nothing
 * back, so the used length is 0.  Device-writable buffers in a transmit
 * chain are left untouched, as QEMU's handle_output leaves them (it
 * copies the chain's out_sg only).  A broken chain (a loop, a buffer
 * outside RAM) is the transport's to refuse (devices/virtio_pci.c), a
 * chain of more than VIRTIO_CONSOLE_MAX_CHAIN bytes this file's.
 *
 * A receive chain's device-writable buffers take the input (5.3.6.1),
 * its readable ones are ignored (QEMU copies into in_sg only), and it is
 * used with the bytes written; a chain with no writable byte is used
 * with 0, as QEMU's write_to_port uses it, so that it cannot stop the
 * queue.
 */
#include <string.h>

#include "devices/virtio_console.h"

/* One transmit chain: its bytes to the host, a chunk at a time. */
static int64_t console_request(void *opaque, struct virtio_pci *vp,
			       unsigned q, const struct virtq_chain *ch)
{
	struct virtio_console *c = opaque;

	/* receiveq is idle (never notified here); a chain too long to
	 * print is refused (virtio_console.h) */
	if (q != VIRTIO_CONSOLE_TRANSMITQ ||
	    ch->read_len > VIRTIO_CONSOLE_MAX_CHAIN)
		return -1;
	for (uint64_t done = 0; done < ch->read_len;) {
		uint64_t left = ch->read_len - done;
		size_t k = left < sizeof(c->buf) ? (size_t)left : sizeof(c->buf);

		if (virtq_chain_read(vp, ch, done, c->buf, k) < 0)
			return -1;
		c->out(c->out_arg, c->buf, k);
		c->tx_bytes += k;
		done += k;
	}
	return 0;
}

/* struct virtio_console_config (5.3.4): cols 0, rows 0, one port. */
static uint8_t console_config_read(void *opaque, unsigned off)
{
	(void)opaque;
	return off == 4 ? 1 : 0; /* le32 max_nr_ports at 4 */
}

/* ------------------------------------------------------------------
 * Input.
 */
unsigned virtio_console_rx_room(const struct virtio_console *c)
{
	return VIRTIO_CONSOLE_RX_HOLD - c->rx_len;
}

bool virtio_console_rx_live(const struct virtio_console *c)
{
	const struct virtio_pci *vp = &c->vp;

	return vp->vq[VIRTIO_CONSOLE_RECEIVEQ].enabled &&
	       (vp->status & (VIRTIO_STATUS_NEEDS_RESET |
			      VIRTIO_STATUS_DRIVER_OK)) ==
		       VIRTIO_STATUS_DRIVER_OK;
}

/* Up to n held bytes into the chain's writable stream; how many went. */
static int64_t fill_chain(struct virtio_console *c, uint64_t n)
{
	struct virtio_pci *vp = &c->vp;
	uint64_t done = 0;

	while (done < n) { /* the held ring in at most two pieces */
		unsigned at = (c->rx_head + (unsigned)done) %
			      VIRTIO_CONSOLE_RX_HOLD;
		uint64_t k = VIRTIO_CONSOLE_RX_HOLD - at;

		if (k > n - done)
			k = n - done;
		if (virtq_chain_write(vp, &vp->chain, done, &c->rx[at], k) < 0)
			return -1;
		done += k;
	}
	return (int64_t)done;
}

/* What is held into the buffers available, one chain after another. */
static void fill_receiveq(struct virtio_console *c)
{
	struct virtio_pci *vp = &c->vp;
	uint16_t old = vp->vq[VIRTIO_CONSOLE_RECEIVEQ].used_idx, head;

	while (c->rx_len &&
	       virtio_pci_pop(vp, VIRTIO_CONSOLE_RECEIVEQ, &head) > 0) {
		uint64_t room = vp->chain.write_len;
		int64_t n = fill_chain(c, room < c->rx_len ? room : c->rx_len);

		if (n < 0) {
			virtio_pci_needs_reset(vp);
			return;
		}
		c->rx_head = (c->rx_head + (unsigned)n) % VIRTIO_CONSOLE_RX_HOLD;
		c->rx_len -= (unsigned)n;
		c->rx_bytes += (uint64_t)n;
		c->rx_buffers++;
		if (!virtio_pci_push(vp, VIRTIO_CONSOLE_RECEIVEQ, head,
				     (uint32_t)n))
			return;
	}
	virtio_pci_filled(vp, VIRTIO_CONSOLE_RECEIVEQ, old);
}

void virtio_console_receive(struct virtio_console *c, const uint8_t *buf,
			    size_t n)
{
	for (size_t i = 0; i < n && c->rx_len < VIRTIO_CONSOLE_RX_HOLD; i++)
		c->rx[(c->rx_head + c->rx_len++) % VIRTIO_CONSOLE_RX_HOLD] =
			buf[i];
	if (c->rx_len)
		fill_receiveq(c);
}

/* receiveq notified: buffers lent, perhaps for input held. */
static void console_refill(void *opaque, struct virtio_pci *vp, unsigned q)
{
	struct virtio_console *c = opaque;

	(void)vp;
	(void)q;
	c->rx_notifications++;
	fill_receiveq(c);
}

void virtio_console_init(struct virtio_console *c, uint8_t dev,
			 struct guest_mem *mem,
			 void (*out)(void *arg, const uint8_t *buf, size_t n),
			 void *arg)
{
	memset(c, 0, sizeof(*c));
	c->out = out;
	c->out_arg = arg;
	c->ops = (struct virtio_device_ops){
		.device_id = VIRTIO_ID_CONSOLE,
		.class_code = 0x078000, /* simple communication, other: QEMU's */
		.nqueues = 2,
		.idle_queues = 1u << VIRTIO_CONSOLE_RECEIVEQ,
		.features = 0,
		.config_len = VIRTIO_CONSOLE_CONFIG_LEN,
		.config_read = console_config_read,
		.request = console_request,
		.refill = console_refill,
	};
	virtio_pci_init(&c->vp, dev, &c->ops, c, mem);
}
