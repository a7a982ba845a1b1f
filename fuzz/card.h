/*
 * fuzz/card.h - what the device fuzzers share: a small machine made
 * once, a scratch disk image, the devices at power-on before each
 * input, PCI configuration space, and a virtio driver's moves.
 *
 * fuzz/virtio.c and fuzz/vcons.c drive a virtio card with the same
 * 12-byte records (card_virtio_record, below); fuzz/bmdma.c and
 * fuzz/ptblk.c have records of their own but the same machine, image
 * and configuration space.
 */
#ifndef FUZZ_CARD_H
#define FUZZ_CARD_H

#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/vm.h"
#include "devices/devices.h"
#include "devices/virtio_pci.h"
#include "firmware/pciinit.h"
#include "monitor/machine.h"

#define CARD_RAM_MIB 2
#define CARD_IMAGE_SIZE 32768

/*
 * The machine (2 MiB, its serial output into /dev/null at *out_fd), made
 * once for every input.  With image (char[64]) a 32 KiB scratch image
 * too, unlinked as soon as it is made (libFuzzer ends with _exit, so
 * nothing would remove it later) and named by its descriptor: each input
 * opens it again through /proc/self/fd, as --disk would open a file by
 * name.  name says which fuzzer failed; it exits on failure.
 */
static inline void card_machine(struct vm *vm, int *out_fd, const char *name,
				char *image)
{
	struct vm_options opt = { .mem_mib = CARD_RAM_MIB, .icount_ns = 10 };
	char tmp[64], why[200];
	int fd = 0;

	*out_fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (image) {
		snprintf(tmp, sizeof(tmp), "/tmp/trapvisor-fuzz-%s-XXXXXX",
			 name);
		fd = mkstemp(tmp);
		if (fd >= 0)
			unlink(tmp);
	}
	if (*out_fd < 0 || fd < 0 ||
	    (image && ftruncate(fd, CARD_IMAGE_SIZE) < 0) ||
	    vm_create(vm, &opt, *out_fd, why, sizeof(why)) < 0) {
		fprintf(stderr, "fuzz_%s: cannot create the machine\n", name);
		exit(1);
	}
	if (image)
		snprintf(image, 64, "/proc/self/fd/%d", fd);
}

/* Before each input: the clock at 0 and the devices at power-on. */
static inline void card_power_on(struct vm *vm, int out_fd)
{
	vm->vcpu.instructions = 0;
	clock_init(vm, vm->opt.icount_ns);
	vm->stopped = false;
	devices_init(vm, out_fd);
}

/* After each input: the image was not made larger or smaller (no
 * request reached past the disk). */
static inline void card_image_intact(int fd)
{
	struct stat st;

	if (fstat(fd, &st) < 0 || st.st_size != CARD_IMAGE_SIZE)
		abort();
}

/* A configuration space access of 00:dev.fn, through ports 0xcf8/0xcfc
 * as a driver makes it; a read returns what it read. */
static inline uint32_t card_cfg(struct vm *vm, unsigned dev, unsigned fn,
				unsigned reg, unsigned size, bool write,
				uint32_t v)
{
	uint32_t a = PCI_ADDR(0, dev, fn, reg);

	devices_io(vm, PCI_CONFIG_ADDRESS, 4, false, &a);
	devices_io(vm, (uint16_t)(PCI_CONFIG_DATA + (reg & 3)), size, !write,
		   &v);
	return v;
}

/* ------------------------------------------------------------------
 * A virtio card at 00:02.0 (the disk's slot; the console takes it when
 * there is no disk), driven by 12-byte records:
 *
 *   byte 0     bits 0-2: what (below); bits 3-4: size 1, 2, 4, 8
 *   bytes 1-2  an offset (little-endian)
 *   byte 3     bit 7: with VIRTIO_F_VERSION_1 (bring-up); bit 6: input
 *              (record 7, where the card takes input)
 *   bytes 4-11 a value (little-endian)
 *
 *   0  write the value into BAR 4 at offset & 0x3fff
 *   1  read BAR 4 at offset & 0x3fff (the ISR too: reading clears it)
 *   2  write the value (8 bytes) into guest RAM at 0x100000 + offset:
 *      descriptor tables, rings, buffers
 *   3  write configuration space register byte 1 of 00:02.0
 *   4  read configuration space register byte 1
 *   5  a driver's bring-up after the firmware's PCI set-up
 *      (firmware_pci_init over the configuration space as the input left
 *      it: BAR sized and placed, memory on), reset, ACKNOWLEDGE,
 *      DRIVER, the value's low 32 bits as features (+ VERSION_1 when
 *      byte 3 says), FEATURES_OK, the card's queues of size offset (any
 *      number), DRIVER_OK
 *   6  notify queue byte 1 & 3
 *   7  bring the interrupt lines up to date, acknowledge a pending one;
 *      or, with byte 3's bit 6 on a card that takes input, that input
 *
 * What it checks itself: a read returns no more bits than its size; a
 * device that needs a reset stays so until the driver writes status 0.
 */
#define CARD_VIRTIO_DEV VIRTIO_BLK_PCI_DEV
#define CARD_BAR_ADDR 0xfebfc000ull /* where firmware_pci_init puts BAR 4 */
#define CARD_RING_BASE 0x100000ull

/* What differs from card to card. */
struct card_driver {
	/* record 5: queue size qsize for each of the card's queues */
	void (*queues)(struct vm *vm, uint16_t qsize);
	/* record 7 with byte 3's bit 6: size bytes of input at value, or
	 * NULL (a card that takes none: the interrupt step instead) */
	void (*input)(struct vm *vm, const uint8_t *value, unsigned size);
};

static inline void card_bar_write(struct vm *vm, uint64_t off, unsigned size,
				  uint64_t v)
{
	devices_mmio(vm, CARD_BAR_ADDR + off, size, true, &v);
}

static inline uint8_t card_status(struct vm *vm)
{
	uint64_t v = 0;

	devices_mmio(vm, CARD_BAR_ADDR + VIRTIO_PCI_COMMON_STATUS, 1, false,
		     &v);
	return (uint8_t)v;
}

/* Queue q: size qsize, its rings at desc, avail and used, enabled. */
static inline void card_queue(struct vm *vm, unsigned q, uint16_t qsize,
			      uint64_t desc, uint64_t avail, uint64_t used)
{
	card_bar_write(vm, VIRTIO_PCI_COMMON_Q_SELECT, 2, q);
	card_bar_write(vm, VIRTIO_PCI_COMMON_Q_SIZE, 2, qsize);
	card_bar_write(vm, VIRTIO_PCI_COMMON_Q_DESC, 8, desc);
	card_bar_write(vm, VIRTIO_PCI_COMMON_Q_AVAIL, 8, avail);
	card_bar_write(vm, VIRTIO_PCI_COMMON_Q_USED, 8, used);
	card_bar_write(vm, VIRTIO_PCI_COMMON_Q_ENABLE, 2, 1);
}

/* What a driver does before it uses the queues (3.1.1). */
static inline void card_bring_up(struct vm *vm, struct virtio_pci *vp,
				 const struct card_driver *drv, uint16_t qsize,
				 uint32_t features, bool version_1)
{
	firmware_pci_init(&vm->dev->pci);
	if (pci_bar_address(&vp->pci, VIRTIO_PCI_BAR) != CARD_BAR_ADDR)
		abort(); /* the firmware did not place it as SeaBIOS */
	card_cfg(vm, CARD_VIRTIO_DEV, 0, PCI_COMMAND, 2, true,
		 PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	card_bar_write(vm, VIRTIO_PCI_COMMON_STATUS, 1, 0);
	card_bar_write(vm, VIRTIO_PCI_COMMON_STATUS, 1,
		       VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	card_bar_write(vm, VIRTIO_PCI_COMMON_GFSELECT, 4, 0);
	card_bar_write(vm, VIRTIO_PCI_COMMON_GF, 4, features);
	card_bar_write(vm, VIRTIO_PCI_COMMON_GFSELECT, 4, 1);
	card_bar_write(vm, VIRTIO_PCI_COMMON_GF, 4, version_1);
	card_bar_write(vm, VIRTIO_PCI_COMMON_STATUS, 1, 0x0b);
	drv->queues(vm, qsize);
	card_bar_write(vm, VIRTIO_PCI_COMMON_STATUS, 1, 0x0f);
}

/* One record (above) on the card vp. */
static inline void card_virtio_record(struct vm *vm, struct virtio_pci *vp,
				      const struct card_driver *drv,
				      const uint8_t *r)
{
	static const unsigned sizes[] = { 1, 2, 4, 8 };
	unsigned size = sizes[(r[0] >> 3) & 3];
	unsigned off = (unsigned)(r[1] | r[2] << 8);
	uint64_t v = 0, d;
	bool was_broken = card_status(vm) & VIRTIO_STATUS_NEEDS_RESET;
	bool resets = false;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | r[4 + i];
	switch (r[0] & 7) {
	case 0:
		off &= VIRTIO_PCI_BAR_SIZE - 1;
		resets = off <= VIRTIO_PCI_COMMON_STATUS &&
			 off + size > VIRTIO_PCI_COMMON_STATUS;
		card_bar_write(vm, off, size, v);
		break;
	case 1:
		d = 0;
		devices_mmio(vm, CARD_BAR_ADDR + (off & (VIRTIO_PCI_BAR_SIZE - 1)),
			     size, false, &d);
		if (size < 8 && d >> (8 * size))
			abort(); /* more bits than the read has */
		break;
	case 2:
		(void)gm_write(&vm->mem, CARD_RING_BASE + off, &v, 8);
		break;
	case 3:
		/* through the window a status write may reset too */
		resets = true;
		card_cfg(vm, CARD_VIRTIO_DEV, 0, r[1], size > 4 ? 4 : size,
			 true, (uint32_t)v);
		break;
	case 4:
		d = card_cfg(vm, CARD_VIRTIO_DEV, 0, r[1], size > 4 ? 4 : size,
			     false, 0);
		if (size < 4 && d >> (8 * size))
			abort();
		break;
	case 5:
		resets = true;
		card_bring_up(vm, vp, drv, (uint16_t)off, (uint32_t)v,
			      r[3] & 0x80);
		break;
	case 6:
		card_bar_write(vm, VIRTIO_PCI_NOTIFY_OFF +
				       VIRTIO_PCI_NOTIFY_MULT * (r[1] & 3u),
			       2, 0);
		break;
	case 7:
		if ((r[3] & 0x40) && drv->input) {
			drv->input(vm, &r[4], size);
			break;
		}
		devices_update(vm);
		if (devices_intr_pending(vm))
			(void)devices_intr_ack(vm);
		break;
	}
	if (was_broken && !resets &&
	    !(card_status(vm) & VIRTIO_STATUS_NEEDS_RESET))
		abort(); /* only a reset may end the broken state */
}

#endif /* FUZZ_CARD_H */
