/*
 * devices/virtio_console.h - a virtio console (virtio 1.2, 5.3) on the
 * virtio PCI transport (devices/virtio_pci.h): port 0 only.
 *
 * Two queues: receiveq (0), buffers the driver lends the device for
 * input, and transmitq (1), buffers of output.  A transmit buffer's
 * bytes go to the host as one batch, whatever its length: one
 * notification (one exit) hands over every buffer made available since
 * the last, where the 16550 costs an exit per byte written to THR and
 * one more per LSR poll.  That is issue 15's contrast, counted by
 * --stats (devices/README.md has the figures).
 *
 * What QEMU's virtio-serial-pci with one virtconsole (hw/char/
 * virtio-serial-bus.c) does and this device does too: without
 * VIRTIO_CONSOLE_F_MULTIPORT negotiated, queues 0 and 1 are port 0's and
 * the port counts as open once the driver sets DRIVER_OK.  What differs:
 * QEMU offers MULTIPORT (31 ports, 64 queues, control queues 2 and 3)
 * and EMERG_WRITE; this device offers neither (two queues, max_nr_ports
 * 1), so a driver that takes only VIRTIO_F_VERSION_1 sees the same
 * console on both.  The configuration (5.3.4) is
 *
 *   le16 cols   le16 rows   le32 max_nr_ports   le32 emerg_wr
 *
 * cols and rows are 0 (no VIRTIO_CONSOLE_F_SIZE, as QEMU).  One more
 * difference: a transmit chain of more than VIRTIO_CONSOLE_MAX_CHAIN
 * bytes (1 MiB; Linux sends a page at a time) makes the device need a
 * reset, where QEMU would print it all, so that a notification costs the
 * monitor a bounded time (a chain may name the same RAM 256 times).
 *
 * Input (5.3.6.1): the driver lends receive buffers on receiveq; the
 * host's bytes (standard input, monitor/console.c) go into them as they
 * come, as many buffers as the bytes need, each used with the count
 * written, as QEMU's virtconsole fills them (write_to_port).  A
 * notification of receiveq takes nothing off the ring (the transport
 * leaves the queue to the device: virtio_device_ops.idle_queues); it
 * only says that buffers are there for input waiting.  Input the driver
 * has no buffer for is held here, up to VIRTIO_CONSOLE_RX_HOLD bytes,
 * until one comes; beyond that the monitor reads no more (the rest
 * waits in the host's pipe or terminal), so nothing is lost however
 * slowly the guest reads, as QEMU reads only what its buffers take
 * (virtio_serial_guest_ready).  The console has no back end elsewhere:
 * under every --backend it runs in the vCPU's thread, at the exit.
 */
#ifndef DEVICES_VIRTIO_CONSOLE_H
#define DEVICES_VIRTIO_CONSOLE_H

#include <stddef.h>
#include <stdint.h>

#include "devices/virtio_pci.h"

#define VIRTIO_ID_CONSOLE 3
#define VIRTIO_CONSOLE_F_SIZE 0        /* cols and rows are valid */
#define VIRTIO_CONSOLE_F_MULTIPORT 1   /* control queues, many ports */
#define VIRTIO_CONSOLE_F_EMERG_WRITE 2 /* emerg_wr writes one byte */
#define VIRTIO_CONSOLE_RECEIVEQ 0
#define VIRTIO_CONSOLE_TRANSMITQ 1
#define VIRTIO_CONSOLE_CONFIG_LEN 12
#define VIRTIO_CONSOLE_CHUNK 4096      /* bytes moved per out() call */
#define VIRTIO_CONSOLE_MAX_CHAIN 0x100000 /* bytes a transmit chain may hold */
#define VIRTIO_CONSOLE_RX_HOLD 256     /* input held for receive buffers */

struct virtio_console {
	struct virtio_pci vp;          /* the card */
	struct virtio_device_ops ops;  /* device type 3 */
	/* Where output goes: n bytes, in the guest's order. */
	void (*out)(void *arg, const uint8_t *buf, size_t n);
	void *out_arg;
	uint64_t tx_bytes;             /* bytes the guest transmitted */
	uint8_t buf[VIRTIO_CONSOLE_CHUNK];
	/* Input not yet in a receive buffer: a ring of rx_len bytes from
	 * rx_head. */
	uint8_t rx[VIRTIO_CONSOLE_RX_HOLD];
	unsigned rx_head, rx_len;
	/* --stats: bytes received, the buffers they filled, receiveq's
	 * notifications (the driver lending buffers, one exit each). */
	uint64_t rx_bytes, rx_buffers, rx_notifications;
};

/*
 * Make the card at 00:dev.0, rings in mem, output to out(arg, ...); put
 * it on the bus with pci_device_register(h, &c->vp.pci).
 */
void virtio_console_init(struct virtio_console *c, uint8_t dev,
			 struct guest_mem *mem,
			 void (*out)(void *arg, const uint8_t *buf, size_t n),
			 void *arg);

/* How many more bytes of input the console can take now. */
unsigned virtio_console_rx_room(const struct virtio_console *c);

/*
 * n bytes of input (at most the room): held, then moved into the
 * receive buffers the driver made available, as far as they go, with
 * the interrupt the driver asked for.  n 0 only looks again for
 * buffers for what is held (the driver may lend them before DRIVER_OK,
 * when its notification counts for nothing).
 */
void virtio_console_receive(struct virtio_console *c, const uint8_t *buf,
			    size_t n);

/* Can input reach the driver: DRIVER_OK, receiveq enabled, no reset
 * needed? */
bool virtio_console_rx_live(const struct virtio_console *c);

#endif /* DEVICES_VIRTIO_CONSOLE_H */
