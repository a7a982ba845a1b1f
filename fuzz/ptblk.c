/*
 * fuzz/ptblk.c - the passed-through disk (devices/ptblk.c) under random
 * configuration writes, random queue pages and random submissions.
 *
 * The device sits where --disk=FILE,if=passthru puts it (00:05.0) on a
 * 2 MiB machine, backed by a 32 KiB image (64 sectors).  Its rings are
 * processed by ptblk_service() in this thread, what the device thread
 * calls in its loop, so that a run repeats.  The input is a sequence of
 * 12-byte records:
 *
 *   byte 0     bits 0-2: what (below); bits 3-4: size 1, 2, 4, 4
 *   bytes 1-2  an offset (little-endian)
 *   byte 3     an opcode (3)
 *   bytes 4-11 a value (little-endian)
 *
 *   0  write the value to configuration register byte 1 of 00:05.0
 *   1  read configuration register byte 1
 *   2  write the value (8 bytes) into guest RAM at 0x100000 + offset:
 *      the queue page (doorbells, submissions, completions) and buffers
 *   3  a submission at the driver's tail: opcode byte 3, the value's
 *      bytes 0-1 as the sector count, 2-3 as the sector, 4-7 as the
 *      buffer (byte 4's low bits pick RAM, past RAM's end, the BIOS
 *      ROM, the LAPIC, or the value itself), then the tail doorbell
 *   4  a driver's bring-up: the page at 0x100000 zeroed (or, when
 *      byte 1 is odd, the value as QADDR), bus mastering as byte 2's
 *      bit 0 says, CC.EN
 *   5  the device looks at its queues (ptblk_service)
 *   6  the CQ head doorbell <- byte 1 (any number: 32 and up are out of
 *      range)
 *   7  CC.EN 0
 *
 * What must hold: no crash, no sanitizer report, no hang; one look
 * completes at most a queue's worth of requests; a read of configuration
 * space returns no more bits than its size; the image never changes size
 * (no request reaches past the disk); a device with CSTS.CFS completes
 * nothing until it is disabled.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "devices/ptblk.h"
#include "fuzz/card.h"

#define PAGE 0x100000ull

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct vm vm;
static struct ptblk pt;
static int out_fd = -1;
static char image[64];
static uint32_t tail; /* the driver's SQ tail */

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	card_machine(&vm, &out_fd, "ptblk", image);
	return 0;
}

static uint32_t cfg(unsigned reg, unsigned size, bool write, uint32_t v)
{
	return card_cfg(&vm, PTBLK_PCI_DEV, 0, reg, size, write, v);
}

/* A buffer address: RAM, its last sector and past, the ROM, the LAPIC,
 * or whatever the input says. */
static uint64_t buffer(uint32_t v)
{
	static const uint64_t at[] = { 0x110000, 0x1ffe00, 0xdff00,
				       0xfee00000 };

	return (v & 7) < 4 ? at[v & 3] + (v >> 8 & 0xff0) : v;
}

static void submit(const uint8_t *r, uint64_t v)
{
	uint8_t e[PTBLK_SQE_SIZE] = { 0 };
	uint64_t addr = buffer((uint32_t)(v >> 32));

	e[0] = r[3];
	e[2] = (uint8_t)tail;
	memcpy(&e[4], &v, 2);               /* nsect, 0-65535 */
	memcpy(&e[8], (uint8_t *)&v + 2, 2); /* lba, 0-65535 */
	memcpy(&e[16], &addr, 8);
	memcpy(vm.mem.base + PAGE + PTBLK_SQ + tail * PTBLK_SQE_SIZE, e,
	       sizeof(e));
	tail = (tail + 1) % PTBLK_QSIZE;
	memcpy(vm.mem.base + PAGE + PTBLK_SQ_TAIL, &tail, 4);
}

static void bring_up(const uint8_t *r, uint64_t v)
{
	uint64_t qaddr = r[1] & 1 ? v : PAGE;

	memset(vm.mem.base + PAGE, 0, PTBLK_PAGE);
	tail = 0;
	cfg(PCI_COMMAND, 2, true, r[2] & 1 ? PCI_COMMAND_MASTER : 0);
	cfg(PTBLK_CFG_QADDR, 4, true, (uint32_t)qaddr);
	cfg(PTBLK_CFG_QADDR + 4, 4, true, (uint32_t)(qaddr >> 32));
	cfg(PTBLK_CFG_CC, 4, true, PTBLK_CC_EN);
}

/* One look; a device in CFS must do nothing. */
static void service(void)
{
	bool cfs = atomic_load(&pt.csts) & PTBLK_CSTS_CFS;
	uint64_t before = atomic_load(&pt.requests);
	unsigned n = ptblk_service(&pt);

	if (n > PTBLK_QSIZE || atomic_load(&pt.requests) - before != n)
		abort();
	if (cfs && pt.enabled && n)
		abort(); /* completed requests while fatal */
}

static void record(const uint8_t *r)
{
	static const unsigned sizes[] = { 1, 2, 4, 4 };
	unsigned size = sizes[(r[0] >> 3) & 3];
	unsigned off = (unsigned)(r[1] | r[2] << 8);
	uint64_t v;

	memcpy(&v, &r[4], 8);
	switch (r[0] & 7) {
	case 0:
		cfg(r[1] & ~(size - 1u), size, true, (uint32_t)v);
		break;
	case 1:
		if (size < 4 && cfg(r[1] & ~(size - 1u), size, false, 0) >>
					(size * 8))
			abort(); /* more bits than the read's size */
		break;
	case 2:
		memcpy(vm.mem.base + PAGE + (off & 0xfff8), &v, 8);
		break;
	case 3:
		submit(r, v);
		break;
	case 4:
		bring_up(r, v);
		break;
	case 5:
		service();
		break;
	case 6:
		memcpy(vm.mem.base + PAGE + PTBLK_CQ_HEAD, &(uint32_t){ r[1] },
		       4);
		break;
	default:
		cfg(PTBLK_CFG_CC, 4, true, 0);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char why[200];

	card_power_on(&vm, out_fd);
	memset(vm.mem.base + PAGE, 0, 0x20000);
	if (ptblk_open(&pt, PTBLK_PCI_DEV, image, false, &vm.mem, why,
		       sizeof(why)) < 0 ||
	    pci_device_register(&vm.dev->pci, &pt.pci) < 0)
		abort();
	tail = 0;
	for (size_t i = 0; i + 12 <= size; i += 12)
		record(data + i);
	service();
	card_image_intact(pt.fd); /* no transfer past the disk */
	ptblk_close(&pt);
	devices_fini(&vm);
	return 0;
}
