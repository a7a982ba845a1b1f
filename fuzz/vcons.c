/*
 * fuzz/vcons.c - the virtio console on the virtio PCI transport under
 * random register writes and random ring contents.
 *
 * The card is the one --console=virtio makes (devices_add_virtio_console,
 * 00:02.0 with no virtio disk) on a 2 MiB machine.  The input is a
 * sequence of fuzz/card.h's 12-byte records, as fuzz/virtio.c's: a
 * bring-up (record 5) sets up receiveq and transmitq, queue q's rings
 * at 0x100000 + 0x8000q, + 0x2000, + 0x4000; guest RAM's writes (record
 * 2) reach the descriptor tables, the rings and the output; and record
 * 7 with byte 3's bit 6 is input: the value's first size bytes (as many
 * as the console has room for) typed on the host.
 *
 * What must hold: no crash, no sanitizer report, no hang; a read
 * returns no more bits than its size; the console never sends more
 * bytes than its transmit chains held (at most a queue's worth of
 * chains per notification, each at most VIRTIO_CONSOLE_MAX_CHAIN); every
 * byte typed is either held or was written into a receive buffer, once,
 * and no more are held than VIRTIO_CONSOLE_RX_HOLD; a device that needs
 * a reset stays so until the driver writes status 0.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "devices/virtio_console.h"
#include "fuzz/card.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct vm vm;
static int out_fd = -1;
static uint64_t typed; /* input bytes the console took, this run */

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	card_machine(&vm, &out_fd, "vcons", NULL);
	return 0;
}

/* receiveq and transmitq. */
static void queues(struct vm *v, uint16_t qsize)
{
	for (unsigned q = 0; q < 2; q++) {
		uint64_t at = CARD_RING_BASE + 0x8000ull * q;

		card_queue(v, q, qsize, at, at + 0x2000, at + 0x4000);
	}
}

/* Typed on the host: as many bytes as the console has room for. */
static void input(struct vm *v, const uint8_t *value, unsigned size)
{
	struct virtio_console *c = v->dev->vcons;
	unsigned room = virtio_console_rx_room(c);
	unsigned n = size < room ? size : room;

	virtio_console_receive(c, value, n);
	typed += n;
}

static const struct card_driver driver = { .queues = queues,
					   .input = input };

static void record(const uint8_t *r)
{
	const struct virtio_console *c = vm.dev->vcons;
	uint64_t before = c->tx_bytes, reqs = c->vp.requests;

	card_virtio_record(&vm, &vm.dev->vcons->vp, &driver, r);
	if ((r[0] & 7) == 6 &&
	    (c->vp.requests - reqs > VIRTQ_MAX_SIZE ||
	     c->tx_bytes - before >
		     (c->vp.requests - reqs) * VIRTIO_CONSOLE_MAX_CHAIN))
		abort(); /* a notification sent more than the chains held */
	if (c->rx_bytes + c->rx_len != typed ||
	    c->rx_len > VIRTIO_CONSOLE_RX_HOLD)
		abort(); /* input lost, made up or held past the bound */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char why[200];

	card_power_on(&vm, out_fd);
	memset(vm.mem.base + CARD_RING_BASE, 0, 0x10000);
	if (devices_add_virtio_console(&vm, why, sizeof(why)) < 0)
		abort();
	typed = 0;
	for (size_t i = 0; i + 12 <= size; i += 12)
		record(data + i);
	devices_fini(&vm);
	return 0;
}
