/*
 * fuzz/bmdma.c - the IDE channel and its bus master (devices/ide.c,
 * devices/piix.c) under random register accesses and random PRD tables.
 *
 * The machine has 2 MiB of RAM and a 32 KiB image as the primary master;
 * BAR4 of the PIIX3 IDE function is at 0xc000 with I/O space and bus
 * mastering on, as a driver leaves it.  The input is a sequence of
 * 8-byte records:
 *
 *   byte 0     bits 0-2: what (below); bits 3-4: size 1, 2, 4 (3: 1);
 *              bit 5: in (else out)
 *   bytes 1-2  an offset (little-endian)
 *   byte 3     unused
 *   bytes 4-7  a value (little-endian)
 *
 *   0  the command block, 0x1f0 + (byte 1 & 7)
 *   1  the control block, 0x3f6
 *   2  the bus-master registers, 0xc000 + (byte 1 & 15)
 *   3  write the value into guest RAM at 0x10000 + (offset & 0xfffc):
 *      PRD tables and the buffers they point to (a PRD can point
 *      anywhere, RAM or not)
 *   4  configuration space of 00:01.1, register byte 1 (BAR4 moved,
 *      Command's I/O and Bus Master bits turned off)
 *   5  bring the interrupt lines up to date, acknowledge a pending one
 *   6, 7  as 0 (the command block gets most of the traffic)
 *
 * What must hold: no crash, no sanitizer report, no hang (a command
 * moves at most 65536 sectors; the bus master reads at most 4 KiB of
 * table per command); an in returns no more bits than its size; the
 * image never changes size (no DMA reaches past the disk).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz/card.h"

#define BM_PORT 0xc000
#define TABLE_RAM 0x10000u

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct vm vm;
static int out_fd = -1;
static char image[64]; /* the image, by its descriptor */

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	card_machine(&vm, &out_fd, "bmdma", image);
	return 0;
}

/* A write to the configuration space of the IDE function, 00:01.1. */
static void cfg_write(unsigned reg, unsigned size, uint32_t v)
{
	card_cfg(&vm, PIIX3_PCI_DEV, 1, reg, size, true, v);
}

static void port(uint16_t p, unsigned size, bool in, uint32_t v)
{
	devices_io(&vm, p, size, in, &v);
	if (in && size < 4 && v >> (size * 8))
		abort(); /* an in returned more bits than it reads */
}

static void record(const uint8_t *r)
{
	static const unsigned sizes[] = { 1, 2, 4, 1 };
	unsigned size = sizes[(r[0] >> 3) & 3];
	bool in = r[0] & 0x20;
	uint32_t v = (uint32_t)r[4] | (uint32_t)r[5] << 8 |
		     (uint32_t)r[6] << 16 | (uint32_t)r[7] << 24;

	switch (r[0] & 7) {
	case 1:
		port(IDE0_CTRL, size, in, v);
		break;
	case 2:
		port((uint16_t)(BM_PORT + (r[1] & 15)), size, in, v);
		break;
	case 3:
		memcpy(vm.mem.base + TABLE_RAM + ((r[1] | r[2] << 8) & 0xfffc),
		       &r[4], 4);
		break;
	case 4:
		cfg_write(r[1] & ~(size - 1u), size, v);
		break;
	case 5:
		devices_update(&vm);
		if (devices_intr_pending(&vm))
			(void)devices_intr_ack(&vm);
		break;
	default:
		port((uint16_t)(IDE0_BASE + (r[1] & 7)), size, in, v);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char why[200];

	card_power_on(&vm, out_fd);
	memset(vm.mem.base + TABLE_RAM, 0, 0x10000);
	if (ide_attach(&vm.dev->ide0, 0, image, false, why, sizeof(why)) < 0)
		abort();
	cfg_write(PCI_BASE_ADDRESS_0 + 16, 4, BM_PORT);
	cfg_write(PCI_COMMAND, 2, PCI_COMMAND_IO | PCI_COMMAND_MASTER);
	for (size_t i = 0; i + 8 <= size; i += 8)
		record(data + i);
	card_image_intact(vm.dev->ide0.drive[0].fd); /* no DMA past the disk */
	devices_fini(&vm);
	return 0;
}
