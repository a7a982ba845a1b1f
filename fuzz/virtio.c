/*
 * fuzz/virtio.c - virtio-blk on the virtio PCI transport under random
 * register writes and random ring contents.
 *
 * The card is the one --disk=FILE,if=virtio makes (devices_add_virtio_disk,
 * 00:02.0) on a 2 MiB machine, backed by a 32 KiB image.  The input is a
 * sequence of fuzz/card.h's 12-byte records; a bring-up (record 5) sets
 * up queue 0 with its rings at 0x100000, 0x104000, 0x108000, and guest
 * RAM's writes (record 2) reach its descriptor table, rings and request
 * headers.
 *
 * What must hold: no crash, no sanitizer report, no hang (a notification
 * handles at most a queue's worth of requests, each chain at most a
 * queue's worth of buffers); a read returns no more bits than its size;
 * the image never changes size (no request reaches past the disk); a
 * device that needs a reset stays so until the driver writes status 0.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "devices/virtio_blk.h"
#include "fuzz/card.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct vm vm;
static int out_fd = -1;
static char image[64]; /* the image, by its descriptor */

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	card_machine(&vm, &out_fd, "virtio", image);
	return 0;
}

/* The disk's one queue. */
static void queues(struct vm *v, uint16_t qsize)
{
	card_queue(v, 0, qsize, CARD_RING_BASE, CARD_RING_BASE + 0x4000,
		   CARD_RING_BASE + 0x8000);
}

static const struct card_driver driver = { .queues = queues };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vm_disk disk = { .path = image };
	char why[200];

	card_power_on(&vm, out_fd);
	memset(vm.mem.base + CARD_RING_BASE, 0, 0x10000);
	if (devices_add_virtio_disk(&vm, &disk, why, sizeof(why)) < 0)
		abort();
	for (size_t i = 0; i + 12 <= size; i += 12)
		card_virtio_record(&vm, &vm.dev->vblk->vp, &driver, data + i);
	card_image_intact(vm.dev->vblk->fd);
	devices_fini(&vm);
	return 0;
}
