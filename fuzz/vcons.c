/*
 * fuzz/vcons.c - the virtio console on the virtio PCI transport under
 * random register writes and random ring contents.
 *
 * The card is the one --console=virtio makes (devices_add_virtio_console,
 * 00:02.0 with no virtio disk) on a 2 MiB machine.  The input is
 * fuzz/virtio.c's sequence of 12-byte records:
 *
 *   byte 0     bits 0-2: what (below); bits 3-4: size 1, 2, 4, 8
 *   bytes 1-2  an offset (little-endian)
 *   byte 3     bit 7: with VIRTIO_F_VERSION_1 (bring-up)
 *   bytes 4-11 a value (little-endian)
 *
 *   0  write the value into BAR 4 at offset & 0x3fff
 *   1  read BAR 4 at offset & 0x3fff (the ISR too: reading clears it)
 *   2  write the value (8 bytes) into guest RAM at 0x100000 + offset:
 *      the descriptor tables, the rings, the output
 *   3  write configuration space register byte 1 of 00:02.0
 *   4  read configuration space register byte 1
 *   5  a driver's bring-up after the firmware's PCI set-up, the value's
 *      low 32 bits as features (+ VERSION_1 when byte 3 says), receiveq
 *      and transmitq of size offset (any number), queue q's rings at
 *      0x100000 + 0x8000q, + 0x2000, + 0x4000, DRIVER_OK
 *   6  notify queue byte 1 & 3
 *   7  bring the interrupt lines up to date, acknowledge a pending one;
 *      with bit 6 of byte 3, input instead: the value's first size
 *      bytes (as many as the console has room for) typed on the host
 *
 * What must hold: no crash, no sanitizer report, no hang; a read
 * returns no more bits than its size; the console never sends more
 * bytes than its transmit chains held (at most a queue's worth of
 * chains per notification, each at most VIRTIO_CONSOLE_MAX_CHAIN); every
 * byte typed is either held or was written into a receive buffer, once,
 * and no more are held than VIRTIO_CONSOLE_RX_HOLD; a device that needs
 * a reset stays so until the driver writes status 0.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/vm.h"
#include "devices/devices.h"
#include "devices/virtio_console.h"
#include "firmware/pciinit.h"
#include "monitor/machine.h"

#define RAM_MIB 2
#define SLOT VIRTIO_BLK_PCI_DEV
#define BAR_ADDR 0xfebfc000ull /* where firmware_pci_init puts BAR 4 */
#define RING_BASE 0x100000ull

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct vm vm;
static int out_fd = -1;
static uint64_t typed; /* input bytes the console took, this run */

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct vm_options opt = { .mem_mib = RAM_MIB, .icount_ns = 10 };
	char why[200];

	(void)argc;
	(void)argv;
	out_fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (out_fd < 0 || vm_create(&vm, &opt, out_fd, why, sizeof(why)) < 0) {
		fprintf(stderr, "fuzz_vcons: cannot create the machine\n");
		exit(1);
	}
	return 0;
}

static uint32_t cfg(unsigned reg, unsigned size, bool write, uint32_t v)
{
	uint32_t a = PCI_ADDR(0, SLOT, 0, reg);

	devices_io(&vm, PCI_CONFIG_ADDRESS, 4, false, &a);
	devices_io(&vm, (uint16_t)(PCI_CONFIG_DATA + (reg & 3)), size, !write,
		   &v);
	return v;
}

static void bar_write(uint64_t off, unsigned size, uint64_t v)
{
	devices_mmio(&vm, BAR_ADDR + off, size, true, &v);
}

static uint8_t status(void)
{
	uint64_t v = 0;

	devices_mmio(&vm, BAR_ADDR + VIRTIO_PCI_COMMON_STATUS, 1, false, &v);
	return (uint8_t)v;
}

/* What a driver does before it uses the queue (3.1.1). */
static void bring_up(uint16_t qsize, uint32_t features, bool version_1)
{
	firmware_pci_init(&vm.dev->pci);
	if (pci_bar_address(&vm.dev->vcons->vp.pci, VIRTIO_PCI_BAR) != BAR_ADDR)
		abort(); /* the firmware did not place it as SeaBIOS */
	cfg(PCI_COMMAND, 2, true, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	bar_write(VIRTIO_PCI_COMMON_STATUS, 1, 0);
	bar_write(VIRTIO_PCI_COMMON_STATUS, 1,
		  VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	bar_write(VIRTIO_PCI_COMMON_GFSELECT, 4, 0);
	bar_write(VIRTIO_PCI_COMMON_GF, 4, features);
	bar_write(VIRTIO_PCI_COMMON_GFSELECT, 4, 1);
	bar_write(VIRTIO_PCI_COMMON_GF, 4, version_1);
	bar_write(VIRTIO_PCI_COMMON_STATUS, 1, 0x0b);
	for (unsigned q = 0; q < 2; q++) {
		uint64_t at = RING_BASE + 0x8000ull * q;

		bar_write(VIRTIO_PCI_COMMON_Q_SELECT, 2, q);
		bar_write(VIRTIO_PCI_COMMON_Q_SIZE, 2, qsize);
		bar_write(VIRTIO_PCI_COMMON_Q_DESC, 8, at);
		bar_write(VIRTIO_PCI_COMMON_Q_AVAIL, 8, at + 0x2000);
		bar_write(VIRTIO_PCI_COMMON_Q_USED, 8, at + 0x4000);
		bar_write(VIRTIO_PCI_COMMON_Q_ENABLE, 2, 1);
	}
	bar_write(VIRTIO_PCI_COMMON_STATUS, 1, 0x0f);
}

static void record(const uint8_t *r)
{
	static const unsigned sizes[] = { 1, 2, 4, 8 };
	unsigned size = sizes[(r[0] >> 3) & 3];
	unsigned off = (unsigned)(r[1] | r[2] << 8);
	uint64_t v = 0, d;
	bool was_broken = status() & VIRTIO_STATUS_NEEDS_RESET;
	bool resets = false;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | r[4 + i];
	switch (r[0] & 7) {
	case 0:
		off &= VIRTIO_PCI_BAR_SIZE - 1;
		resets = off <= VIRTIO_PCI_COMMON_STATUS &&
			 off + size > VIRTIO_PCI_COMMON_STATUS;
		bar_write(off, size, v);
		break;
	case 1:
		d = 0;
		devices_mmio(&vm, BAR_ADDR + (off & (VIRTIO_PCI_BAR_SIZE - 1)),
			     size, false, &d);
		if (size < 8 && d >> (8 * size))
			abort(); /* more bits than the read has */
		break;
	case 2:
		(void)gm_write(&vm.mem, RING_BASE + off, &v, 8);
		break;
	case 3:
		/* through the window a status write may reset too */
		resets = true;
		cfg(r[1], size > 4 ? 4 : size, true, (uint32_t)v);
		break;
	case 4:
		d = cfg(r[1], size > 4 ? 4 : size, false, 0);
		if (size < 4 && d >> (8 * size))
			abort();
		break;
	case 5:
		resets = true;
		bring_up((uint16_t)off, (uint32_t)v, r[3] & 0x80);
		break;
	case 6: {
		const struct virtio_console *c = vm.dev->vcons;
		uint64_t before = c->tx_bytes, reqs = c->vp.requests;

		bar_write(VIRTIO_PCI_NOTIFY_OFF +
				  VIRTIO_PCI_NOTIFY_MULT * (r[1] & 3u), 2, 0);
		if (c->vp.requests - reqs > VIRTQ_MAX_SIZE ||
		    c->tx_bytes - before >
			    (c->vp.requests - reqs) * VIRTIO_CONSOLE_MAX_CHAIN)
			abort(); /* more than the chains held */
		break;
	}
	case 7:
		if (r[3] & 0x40) {
			struct virtio_console *c = vm.dev->vcons;
			unsigned room = virtio_console_rx_room(c);
			unsigned n = size < room ? size : room;

			virtio_console_receive(c, &r[4], n);
			typed += n;
			break;
		}
		devices_update(&vm);
		if (devices_intr_pending(&vm))
			(void)devices_intr_ack(&vm);
		break;
	}
	if (was_broken && !resets && !(status() & VIRTIO_STATUS_NEEDS_RESET))
		abort(); /* only a reset may end the broken state */
	if (vm.dev->vcons->rx_bytes + vm.dev->vcons->rx_len != typed ||
	    vm.dev->vcons->rx_len > VIRTIO_CONSOLE_RX_HOLD)
		abort(); /* input lost, made up or held past the bound */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char why[200];

	vm.vcpu.instructions = 0;
	clock_init(&vm, vm.opt.icount_ns);
	vm.stopped = false;
	devices_init(&vm, out_fd);
	memset(vm.mem.base + RING_BASE, 0, 0x10000);
	if (devices_add_virtio_console(&vm, why, sizeof(why)) < 0)
		abort();
	typed = 0;
	for (size_t i = 0; i + 12 <= size; i += 12)
		record(data + i);
	devices_fini(&vm);
	return 0;
}
