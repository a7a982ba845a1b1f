/*
 * devices/virtio_console.c - the virtio console (devices/virtio_console.h):
 * transmit buffers out to the host, the configuration.
 *
 * A transmit chain's readable bytes are the output (5.3.6.2: the driver
 * puts output in device-readable buffers); the device writes nothing
 * back, so the used length is 0.  Device-writable buffers in a transmit
 * chain are left untouched, as QEMU's handle_output leaves them (it
 * copies the chain's out_sg only).  A broken chain (a loop, a buffer
 * outside RAM) is the transport's to refuse (devices/virtio_pci.c), a
 * chain of more than VIRTIO_CONSOLE_MAX_CHAIN bytes this file's.
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
	};
	virtio_pci_init(&c->vp, dev, &c->ops, c, mem);
}
