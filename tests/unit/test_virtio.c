/*
 * tests/unit/test_virtio.c - virtio-blk on the virtio PCI transport,
 * driven as a guest driver drives it: find the card in configuration
 * space, size and place its BAR, walk its capabilities, negotiate,
 * set up a split virtqueue in guest RAM, read and write sectors of a
 * temporary image; then a hostile driver's rings.  Every test runs
 * three times: with the queue processed at the notifying write, by an
 * I/O thread and by a back-end process (--backend, waited for after
 * each write to the card as a halted vCPU waits).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "core/vm.h"
#include "devices/devices.h"
#include "devices/virtio_blk.h"
#include "tests/unit/support/devvm.h"

#define SLOT 3            /* 00:03.0: INTA# is PIRQC, IRQ 11 */
#define BLK_IRQ 11
#define BAR_ADDR 0xfe000000ull
#define NSECTORS 64
#define QSIZE 8

/* Guest RAM the driver uses (dev_vm has 2 MiB). */
#define DESC 0x100000
#define AVAIL 0x101000
#define USED 0x102000
#define INDIRECT 0x103000
#define HDR 0x110000
#define DATA 0x120000
#define STATUS 0x130000

static struct virtio_blk blk;
static struct virtio_backend be;
static enum virtio_backend_kind kind; /* the group's placement */
static char image[] = "/tmp/trapvisor-virtio-XXXXXX";

/* What the driver learnt from the capabilities. */
static uint64_t common, isr, devcfg, notify_base;
static uint32_t notify_mult;
static unsigned cfg_cap;
static uint16_t avail_idx;

static void wr(uint64_t gpa, unsigned size, uint64_t v)
{
	dev_write(gpa, size, v);
	virtio_backend_drain(&be); /* a notification's answer, if any */
}

static bool irq_line(void)
{
	return dev_vm.dev->pic.slave.lines >> (BLK_IRQ - 8) & 1;
}

static uint8_t status(void)
{
	return (uint8_t)dev_read(common + VIRTIO_PCI_COMMON_STATUS, 1);
}

/* An image of NSECTORS sectors, sector s filled with byte s. */
static int setup(void **state)
{
	char why[200];

	if (dev_vm_setup(state))
		return -1;
	strcpy(image, "/tmp/trapvisor-virtio-XXXXXX");
	if (dev_image(image, NSECTORS, 0) < 0)
		return -1;
	if (virtio_blk_open(&blk, SLOT, image, false, "trapvisor-vd3", &dev_vm.mem, why,
			    sizeof(why)) < 0 ||
	    pci_device_register(&dev_vm.dev->pci, &blk.vp.pci) < 0 ||
	    virtio_backend_start(&be, kind, &dev_vm, &blk.vp, &blk.fd,
				 "virtio-blk", why, sizeof(why)) < 0)
		return -1;
	avail_idx = 0;
	return 0;
}

static int setup_thread(void **state)
{
	kind = VIRTIO_BACKEND_THREAD;
	return setup(state);
}

static int setup_process(void **state)
{
	kind = VIRTIO_BACKEND_PROCESS;
	return setup(state);
}

static int teardown(void **state)
{
	assert_false(dev_vm.stopped); /* the back end never went away */
	virtio_backend_stop(&be);
	kind = VIRTIO_BACKEND_VCPU;
	virtio_blk_close(&blk);
	unlink(image);
	return dev_vm_teardown(state);
}

/* ------------------------------------------------------------------
 * The driver's side.
 */

/* Enumerate bus 0 for our card; size BAR 4-5 and place it. */
static unsigned find_and_place(void)
{
	unsigned dev;

	for (dev = 0; dev < 32; dev++)
		if (dev_cfg_read(dev, PCI_VENDOR_ID, 4) ==
		    ((0x1040u + VIRTIO_ID_BLOCK) << 16 | 0x1af4))
			break;
	assert_int_equal(dev, SLOT);
	assert_int_equal(dev_cfg_read(dev, PCI_REVISION_ID, 1), 1);
	dev_cfg_write(dev, PCI_BASE_ADDRESS_0 + 16, 4, 0xffffffff);
	dev_cfg_write(dev, PCI_BASE_ADDRESS_0 + 20, 4, 0xffffffff);
	uint64_t mask = dev_cfg_read(dev, PCI_BASE_ADDRESS_0 + 16, 4) |
			(uint64_t)dev_cfg_read(dev, PCI_BASE_ADDRESS_0 + 20, 4) << 32;
	assert_int_equal(mask & 0xf, PCI_BAR_MEM_TYPE_64 | PCI_BAR_MEM_PREFETCH);
	assert_int_equal(~(mask & ~0xfull) + 1, VIRTIO_PCI_BAR_SIZE);
	dev_cfg_write(dev, PCI_BASE_ADDRESS_0 + 16, 4, (uint32_t)BAR_ADDR);
	dev_cfg_write(dev, PCI_BASE_ADDRESS_0 + 20, 4, 0);
	dev_cfg_write(dev, PCI_COMMAND, 2,
		      PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	return dev;
}

/* Walk the capability list; remember where each structure is. */
static void walk_caps(unsigned dev)
{
	unsigned seen = 0;

	assert_true(dev_cfg_read(dev, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST);
	for (unsigned p = dev_cfg_read(dev, PCI_CAPABILITY_LIST, 1); p;
	     p = dev_cfg_read(dev, p + 1, 1)) {
		if (dev_cfg_read(dev, p, 1) != PCI_CAP_ID_VNDR)
			continue;
		unsigned type = dev_cfg_read(dev, p + 3, 1);
		unsigned bar = dev_cfg_read(dev, p + 4, 1);
		uint64_t at = BAR_ADDR + dev_cfg_read(dev, p + 8, 4);

		seen |= 1u << type;
		if (type != VIRTIO_PCI_CAP_PCI_CFG)
			assert_int_equal(bar, 4);
		switch (type) {
		case VIRTIO_PCI_CAP_COMMON_CFG: common = at; break;
		case VIRTIO_PCI_CAP_ISR_CFG: isr = at; break;
		case VIRTIO_PCI_CAP_DEVICE_CFG: devcfg = at; break;
		case VIRTIO_PCI_CAP_NOTIFY_CFG:
			notify_base = at;
			notify_mult = dev_cfg_read(dev, p + 16, 4);
			break;
		case VIRTIO_PCI_CAP_PCI_CFG: cfg_cap = p; break;
		}
	}
	assert_int_equal(seen, 0x3e); /* types 1 to 5 */
}

/* The handshake of 3.1.1 with the features in want; the status read
 * back after FEATURES_OK. */
static uint8_t negotiate(uint64_t want)
{
	wr(common + VIRTIO_PCI_COMMON_STATUS, 1, 0);
	assert_int_equal(status(), 0);
	wr(common + VIRTIO_PCI_COMMON_STATUS, 1, VIRTIO_STATUS_ACKNOWLEDGE);
	wr(common + VIRTIO_PCI_COMMON_STATUS, 1,
	   VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	assert_int_equal(dev_virtio_features(common),
			 1ull << VIRTIO_F_VERSION_1 |
				 1ull << VIRTIO_RING_F_INDIRECT_DESC |
				 1ull << VIRTIO_RING_F_EVENT_IDX |
				 1ull << VIRTIO_BLK_F_FLUSH |
				 (uint64_t)blk.read_only << VIRTIO_BLK_F_RO);
	wr(common + VIRTIO_PCI_COMMON_GFSELECT, 4, 0);
	wr(common + VIRTIO_PCI_COMMON_GF, 4, (uint32_t)want);
	wr(common + VIRTIO_PCI_COMMON_GFSELECT, 4, 1);
	wr(common + VIRTIO_PCI_COMMON_GF, 4, (uint32_t)(want >> 32));
	wr(common + VIRTIO_PCI_COMMON_STATUS, 1,
	   VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
		   VIRTIO_STATUS_FEATURES_OK);
	return status();
}

/* Queue 0 with size qsize at DESC/AVAIL/USED; then DRIVER_OK. */
static void setup_queue(uint16_t qsize)
{
	uint8_t zero[0x1000] = { 0 };

	dev_put(AVAIL, zero, sizeof(zero));
	dev_put(USED, zero, sizeof(zero));
	wr(common + VIRTIO_PCI_COMMON_Q_SELECT, 2, 0);
	assert_int_equal(dev_read(common + VIRTIO_PCI_COMMON_Q_SIZE, 2),
			 VIRTQ_MAX_SIZE);
	assert_int_equal(dev_read(common + VIRTIO_PCI_COMMON_Q_MSIX, 2),
			 VIRTIO_MSI_NO_VECTOR);
	wr(common + VIRTIO_PCI_COMMON_Q_SIZE, 2, qsize);
	wr(common + VIRTIO_PCI_COMMON_Q_DESC, 4, DESC); /* as two dwords */
	wr(common + VIRTIO_PCI_COMMON_Q_DESC + 4, 4, 0);
	wr(common + VIRTIO_PCI_COMMON_Q_AVAIL, 8, AVAIL);
	wr(common + VIRTIO_PCI_COMMON_Q_USED, 8, USED);
	wr(common + VIRTIO_PCI_COMMON_Q_ENABLE, 2, 1);
	wr(common + VIRTIO_PCI_COMMON_STATUS, 1,
	   VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
		   VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK);
	avail_idx = 0;
}

static const uint64_t std_features =
	1ull << VIRTIO_F_VERSION_1 | 1ull << VIRTIO_BLK_F_FLUSH |
	1ull << VIRTIO_RING_F_INDIRECT_DESC;

/* The whole driver bring-up. */
static void bring_up(uint64_t features)
{
	walk_caps(find_and_place());
	assert_int_equal(negotiate(features),
			 VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
				 VIRTIO_STATUS_FEATURES_OK);
	setup_queue(QSIZE);
}

static void header(uint32_t type, uint64_t sector)
{
	dev_blk_header(HDR, type, sector);
}

/* Make head available and notify queue 0. */
static void submit(uint16_t head)
{
	dev_put16(AVAIL + 4 + 2 * (avail_idx % QSIZE), head);
	avail_idx++;
	dev_put16(AVAIL + 2, avail_idx);
	wr(notify_base +
	   notify_mult * dev_read(common + VIRTIO_PCI_COMMON_Q_NOFF, 2), 2, 0);
}

/* A three-descriptor request: header, data of n bytes, status; the
 * status byte the device wrote (0xee when it wrote none). */
static uint8_t request(uint32_t type, uint64_t sector, uint32_t n,
		       bool data_writable)
{
	uint8_t st = 0xee;

	header(type, sector);
	dev_put(STATUS, &st, 1);
	vq_desc(DESC, 0, HDR, 16, VIRTQ_DESC_F_NEXT, 1);
	vq_desc(DESC, 1, DATA, n,
		VIRTQ_DESC_F_NEXT | (data_writable ? VIRTQ_DESC_F_WRITE : 0), 2);
	vq_desc(DESC, 2, STATUS, 1, VIRTQ_DESC_F_WRITE, 0);
	submit(0);
	dev_get(STATUS, &st, 1);
	return st;
}

/* The used ring's entry for request k (0-based). */
static void used_entry(unsigned k, uint32_t *id, uint32_t *len)
{
	dev_get(USED + 4 + 8 * (k % QSIZE), id, 4);
	dev_get(USED + 8 + 8 * (k % QSIZE), len, 4);
}

/* ------------------------------------------------------------------
 * A well-behaved driver.
 */
static void test_discover_negotiate(void **state)
{
	(void)state;
	walk_caps(find_and_place());
	assert_int_equal(notify_mult, VIRTIO_PCI_NOTIFY_MULT);
	assert_int_equal(dev_cfg_read(SLOT, PCI_INTERRUPT_PIN, 1), 1);
	/* Without VERSION_1 the device refuses FEATURES_OK. */
	assert_int_equal(negotiate(1ull << VIRTIO_BLK_F_FLUSH),
			 VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	/* Nor a feature it did not offer (bit 33, RING_PACKED is 34). */
	assert_int_equal(negotiate(std_features | 1ull << 34),
			 VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	assert_int_equal(negotiate(std_features),
			 VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
				 VIRTIO_STATUS_FEATURES_OK);
	/* The capacity, in 512-byte sectors, byte by byte as well. */
	assert_int_equal(dev_read(devcfg, 8), NSECTORS);
	assert_int_equal(dev_read(devcfg, 1), NSECTORS);
	assert_int_equal(dev_read(common + VIRTIO_PCI_COMMON_NUMQ, 2), 1);
	/* Queue 1 does not exist: size 0. */
	wr(common + VIRTIO_PCI_COMMON_Q_SELECT, 2, 1);
	assert_int_equal(dev_read(common + VIRTIO_PCI_COMMON_Q_SIZE, 2), 0);
	/* The configuration-space window reads the same registers. */
	dev_cfg_write(SLOT, cfg_cap + 4, 1, 4);
	dev_cfg_write(SLOT, cfg_cap + 8, 4, VIRTIO_PCI_DEVICE_OFF);
	dev_cfg_write(SLOT, cfg_cap + 12, 4, 4);
	assert_int_equal(dev_cfg_read(SLOT, cfg_cap + 16, 4), NSECTORS);
	dev_cfg_write(SLOT, cfg_cap + 8, 4, VIRTIO_PCI_COMMON_STATUS & ~3u);
	dev_cfg_write(SLOT, cfg_cap + 12, 4, 1);
	dev_cfg_write(SLOT, cfg_cap + 8, 4, VIRTIO_PCI_COMMON_STATUS);
	dev_cfg_write(SLOT, cfg_cap + 16, 1, 0); /* reset through the window */
	assert_int_equal(status(), 0);
}

static void test_write_read_flush(void **state)
{
	uint8_t buf[4 * VIRTIO_BLK_SECTOR], file[2 * VIRTIO_BLK_SECTOR];
	uint32_t id, len;

	(void)state;
	bring_up(std_features);
	/* Write sectors 5 and 6. */
	for (unsigned i = 0; i < 2 * VIRTIO_BLK_SECTOR; i++)
		buf[i] = (uint8_t)(i * 7 + 1);
	dev_put(DATA, buf, 2 * VIRTIO_BLK_SECTOR);
	assert_false(irq_line());
	assert_int_equal(request(VIRTIO_BLK_T_OUT, 5, 2 * VIRTIO_BLK_SECTOR,
				 false), VIRTIO_BLK_S_OK);
	assert_int_equal(dev_get16(USED + 2), 1);
	used_entry(0, &id, &len);
	assert_int_equal(id, 0);
	assert_int_equal(len, 1);
	/* The interrupt: INTx# on IRQ 11, ISR bit 0; reading clears both. */
	assert_true(irq_line());
	assert_int_equal(dev_read(isr, 1), VIRTIO_ISR_QUEUE);
	assert_false(irq_line());
	assert_int_equal(dev_read(isr, 1), 0);
	dev_image_read(image, 5 * VIRTIO_BLK_SECTOR, file, sizeof(file));
	assert_memory_equal(file, buf, sizeof(file));
	/* Read sectors 4 to 7 back. */
	memset(buf, 0xcc, sizeof(buf));
	dev_put(DATA, buf, sizeof(buf));
	assert_int_equal(request(VIRTIO_BLK_T_IN, 4, 4 * VIRTIO_BLK_SECTOR,
				 true), VIRTIO_BLK_S_OK);
	used_entry(1, &id, &len);
	assert_int_equal(len, 4 * VIRTIO_BLK_SECTOR + 1);
	dev_get(DATA, buf, sizeof(buf));
	for (unsigned i = 0; i < VIRTIO_BLK_SECTOR; i++) {
		assert_int_equal(buf[i], 4);
		assert_int_equal(buf[3 * VIRTIO_BLK_SECTOR + i], 7);
	}
	assert_memory_equal(buf + VIRTIO_BLK_SECTOR, file, sizeof(file));
	/* Flush, GET_ID, an unknown type. */
	assert_int_equal(request(VIRTIO_BLK_T_FLUSH, 0, 0, false),
			 VIRTIO_BLK_S_OK);
	assert_int_equal(request(VIRTIO_BLK_T_GET_ID, 0, 20, true),
			 VIRTIO_BLK_S_OK);
	dev_get(DATA, buf, 20);
	assert_memory_equal(buf, "trapvisor-vd3\0\0\0\0\0\0\0", 20);
	used_entry(3, &id, &len);
	assert_int_equal(len, 21);
	assert_int_equal(request(99, 0, 0, false), VIRTIO_BLK_S_UNSUPP);
	/* Past the end, and not a whole sector: I/O errors. */
	assert_int_equal(request(VIRTIO_BLK_T_IN, NSECTORS - 1,
				 2 * VIRTIO_BLK_SECTOR, true),
			 VIRTIO_BLK_S_IOERR);
	assert_int_equal(request(VIRTIO_BLK_T_OUT, ~0ull, VIRTIO_BLK_SECTOR,
				 false), VIRTIO_BLK_S_IOERR);
	assert_int_equal(request(VIRTIO_BLK_T_IN, 0, 100, true),
			 VIRTIO_BLK_S_IOERR);
	/* Eight requests went round a queue of eight: the ring wrapped. */
	assert_int_equal(request(VIRTIO_BLK_T_IN, 63, VIRTIO_BLK_SECTOR, true),
			 VIRTIO_BLK_S_OK);
	assert_int_equal(request(VIRTIO_BLK_T_IN, 62, VIRTIO_BLK_SECTOR, true),
			 VIRTIO_BLK_S_OK);
	assert_int_equal(dev_get16(USED + 2), 10);
	dev_get(DATA, buf, 1);
	assert_int_equal(buf[0], 62);
	assert_int_equal(status() & VIRTIO_STATUS_NEEDS_RESET, 0);
}

/* An indirect table holding the whole request; the interrupt
 * suppressed by used_event (event index) until it is reached. */
static void test_indirect_and_event_idx(void **state)
{
	uint8_t st, b;

	(void)state;
	bring_up(std_features | 1ull << VIRTIO_RING_F_EVENT_IDX);
	header(VIRTIO_BLK_T_IN, 9);
	vq_desc(INDIRECT, 0, HDR, 16, VIRTQ_DESC_F_NEXT, 1);
	vq_desc(INDIRECT, 1, DATA, VIRTIO_BLK_SECTOR,
		VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 2);
	vq_desc(INDIRECT, 2, STATUS, 1, VIRTQ_DESC_F_WRITE, 0);
	vq_desc(DESC, 5, INDIRECT, 48, VIRTQ_DESC_F_INDIRECT, 0);
	dev_put16(AVAIL + 4 + 2 * QSIZE, 1); /* used_event: after the 2nd */
	submit(5);
	dev_get(STATUS, &st, 1);
	assert_int_equal(st, VIRTIO_BLK_S_OK);
	dev_get(DATA, &b, 1);
	assert_int_equal(b, 9);
	assert_int_equal(dev_get16(USED + 2), 1);
	assert_false(irq_line()); /* used_event 1 not passed yet */
	/* avail_event tells the driver where the device is. */
	assert_int_equal(dev_get16(USED + 4 + 8 * QSIZE), 1);
	submit(5);
	assert_int_equal(dev_get16(USED + 2), 2);
	assert_true(irq_line());
	assert_int_equal(dev_read(isr, 1), VIRTIO_ISR_QUEUE);
}

/* Without event index, VIRTQ_AVAIL_F_NO_INTERRUPT suppresses it. */
static void test_no_interrupt_flag(void **state)
{
	(void)state;
	bring_up(std_features);
	dev_put16(AVAIL, VIRTQ_AVAIL_F_NO_INTERRUPT);
	assert_int_equal(request(VIRTIO_BLK_T_FLUSH, 0, 0, false),
			 VIRTIO_BLK_S_OK);
	assert_false(irq_line());
	dev_put16(AVAIL, 0);
	assert_int_equal(request(VIRTIO_BLK_T_FLUSH, 0, 0, false),
			 VIRTIO_BLK_S_OK);
	assert_true(irq_line());
	/* Interrupt Disable in the command register masks the pin. */
	dev_cfg_write(SLOT, PCI_COMMAND, 2,
		      PCI_COMMAND_MEMORY | PCI_COMMAND_INTX_DISABLE);
	assert_false(irq_line());
	assert_int_equal(dev_read(isr, 1), VIRTIO_ISR_QUEUE);
}

/* ------------------------------------------------------------------
 * A hostile driver: each case leaves the device needing a reset, with
 * a configuration interrupt, and a reset brings it back.
 */
static void expect_broken_at(int line)
{
	if (!(status() & VIRTIO_STATUS_NEEDS_RESET))
		fail_msg("not broken, case at line %d", line);
	assert_true(irq_line());
	/* both bits, as QEMU's configuration change notification */
	assert_int_equal(dev_read(isr, 1), VIRTIO_ISR_CONFIG | VIRTIO_ISR_QUEUE);
	/* Further notifications do nothing. */
	uint16_t used = dev_get16(USED + 2);
	submit(0);
	assert_int_equal(dev_get16(USED + 2), used);
	/* A reset and a new bring-up make it work again. */
	bring_up(std_features);
	assert_int_equal(request(VIRTIO_BLK_T_IN, 1, VIRTIO_BLK_SECTOR, true),
			 VIRTIO_BLK_S_OK);
	assert_int_equal(status() & VIRTIO_STATUS_NEEDS_RESET, 0);
	assert_int_equal(dev_read(isr, 1), VIRTIO_ISR_QUEUE); /* handled */
}

#define expect_broken() expect_broken_at(__LINE__)

static void test_hostile_index_out_of_range(void **state)
{
	(void)state;
	bring_up(std_features);
	submit(QSIZE); /* head past the table */
	expect_broken();
	vq_desc(DESC, 0, HDR, 16, VIRTQ_DESC_F_NEXT, 200); /* next past it */
	   submit(0);
	expect_broken();
}

static void test_hostile_loop(void **state)
{
	(void)state;
	bring_up(std_features);
	header(VIRTIO_BLK_T_IN, 0);
	vq_desc(DESC, 0, HDR, 16, VIRTQ_DESC_F_NEXT, 1);
	vq_desc(DESC, 1, DATA, 512, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 0);
	submit(0);
	expect_broken();
	/* A loop inside an indirect table. */
	vq_desc(INDIRECT, 0, HDR, 16, VIRTQ_DESC_F_NEXT, 0);
	vq_desc(DESC, 0, INDIRECT, 16 * 4, VIRTQ_DESC_F_INDIRECT, 0);
	submit(0);
	expect_broken();
	/* An indirect descriptor inside an indirect table. */
	vq_desc(INDIRECT, 0, INDIRECT, 16, VIRTQ_DESC_F_INDIRECT, 0);
	vq_desc(DESC, 0, INDIRECT, 16 * 4, VIRTQ_DESC_F_INDIRECT, 0);
	submit(0);
	expect_broken();
	/* INDIRECT with NEXT, and an indirect table of no entries. */
	vq_desc(INDIRECT, 0, HDR, 16, 0, 0);
	vq_desc(DESC, 0, INDIRECT, 16,
		VIRTQ_DESC_F_INDIRECT | VIRTQ_DESC_F_NEXT, 1);
	submit(0);
	expect_broken();
	vq_desc(DESC, 0, INDIRECT, 0, VIRTQ_DESC_F_INDIRECT, 0);
	submit(0);
	expect_broken();
}

static void test_hostile_addresses(void **state)
{
	(void)state;
	bring_up(std_features);
	/* A buffer past the end of RAM (2 MiB), one in the MMIO hole. */
	header(VIRTIO_BLK_T_IN, 0);
	vq_desc(DESC, 0, HDR, 16, VIRTQ_DESC_F_NEXT, 1);
	vq_desc(DESC, 1, 0x1ff000, 0x2000,
		VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 2);
	vq_desc(DESC, 2, STATUS, 1, VIRTQ_DESC_F_WRITE, 0);
	submit(0);
	expect_broken();
	vq_desc(DESC, 1, BAR_ADDR, 512,
		VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 2);
	submit(0);
	expect_broken();
	vq_desc(DESC, 1, ~0ull - 100, 0xffffffff,
		VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 2);
	submit(0);
	expect_broken();
	/* A readable buffer after a writable one. */
	vq_desc(DESC, 0, STATUS, 1, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 1);
	vq_desc(DESC, 1, HDR, 16, 0, 0);
	submit(0);
	expect_broken();
	/* No writable byte for the status. */
	vq_desc(DESC, 0, HDR, 16, 0, 0);
	submit(0);
	expect_broken();
}

static void test_hostile_rings(void **state)
{
	(void)state;
	/* A queue size that is not a power of two. */
	walk_caps(find_and_place());
	negotiate(std_features);
	wr(common + VIRTIO_PCI_COMMON_Q_SELECT, 2, 0);
	wr(common + VIRTIO_PCI_COMMON_Q_SIZE, 2, 6);
	wr(common + VIRTIO_PCI_COMMON_Q_ENABLE, 2, 1);
	assert_true(status() & VIRTIO_STATUS_NEEDS_RESET);
	assert_int_equal(dev_read(common + VIRTIO_PCI_COMMON_Q_ENABLE, 2), 0);
	/* Larger than the device offered, though a power of two. */
	negotiate(std_features);
	wr(common + VIRTIO_PCI_COMMON_Q_SIZE, 2, 2 * VIRTQ_MAX_SIZE);
	wr(common + VIRTIO_PCI_COMMON_Q_ENABLE, 2, 1);
	assert_true(status() & VIRTIO_STATUS_NEEDS_RESET);
	assert_int_equal(dev_read(common + VIRTIO_PCI_COMMON_Q_ENABLE, 2), 0);
	/* Rings outside RAM. */
	bring_up(std_features);
	wr(common + VIRTIO_PCI_COMMON_STATUS, 1, 0);
	negotiate(std_features);
	wr(common + VIRTIO_PCI_COMMON_Q_SIZE, 2, QSIZE);
	wr(common + VIRTIO_PCI_COMMON_Q_DESC, 8, DESC);
	wr(common + VIRTIO_PCI_COMMON_Q_AVAIL, 8, 0x7fffffffffull);
	wr(common + VIRTIO_PCI_COMMON_Q_USED, 8, USED);
	wr(common + VIRTIO_PCI_COMMON_Q_ENABLE, 2, 1);
	wr(common + VIRTIO_PCI_COMMON_STATUS, 1, 0xf);
	wr(notify_base, 2, 0);
	expect_broken();
	/* An available index too far ahead. */
	dev_put16(AVAIL + 2, (uint16_t)(avail_idx + QSIZE + 1));
	wr(notify_base, 2, 0);
	expect_broken();
	/* Queue registers are frozen once enabled. */
	wr(common + VIRTIO_PCI_COMMON_Q_DESC, 8, 0x1234000);
	assert_int_equal(dev_read(common + VIRTIO_PCI_COMMON_Q_DESC, 8), DESC);
}

/* A read-only image: VIRTIO_BLK_F_RO offered, writes fail, reads work;
 * notifications of queues that do not exist do nothing. */
static void test_read_only(void **state)
{
	char why[200];
	uint8_t b = 0;

	(void)state;
	/* Take the card off the bus's table and put a read-only one there. */
	virtio_blk_close(&blk);
	assert_int_equal(virtio_blk_open(&blk, SLOT, image, true, NULL, &dev_vm.mem,
					 why, sizeof(why)), 0);
	walk_caps(find_and_place());
	wr(common + VIRTIO_PCI_COMMON_DFSELECT, 4, 0);
	assert_true(dev_read(common + VIRTIO_PCI_COMMON_DF, 4) >>
		    VIRTIO_BLK_F_RO & 1);
	assert_int_equal(negotiate(std_features | 1ull << VIRTIO_BLK_F_RO),
			 VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
				 VIRTIO_STATUS_FEATURES_OK);
	setup_queue(QSIZE);
	dev_put(DATA, &b, 1);
	assert_int_equal(request(VIRTIO_BLK_T_OUT, 2, VIRTIO_BLK_SECTOR, false),
			 VIRTIO_BLK_S_IOERR);
	assert_int_equal(request(VIRTIO_BLK_T_IN, 2, VIRTIO_BLK_SECTOR, true),
			 VIRTIO_BLK_S_OK);
	dev_get(DATA, &b, 1);
	assert_int_equal(b, 2); /* the sector as the image had it */
	for (unsigned q = 1; q < 0x1000 / VIRTIO_PCI_NOTIFY_MULT; q += 97)
		wr(notify_base + VIRTIO_PCI_NOTIFY_MULT * q, 2, (uint16_t)q);
	assert_int_equal(dev_get16(USED + 2), 2);
	assert_int_equal(status() & VIRTIO_STATUS_NEEDS_RESET, 0);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
#define TT(f) cmocka_unit_test_setup_teardown(f, setup_thread, teardown)
#define TP(f) cmocka_unit_test_setup_teardown(f, setup_process, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_discover_negotiate),
		T(test_write_read_flush),
		T(test_indirect_and_event_idx),
		T(test_no_interrupt_flag),
		T(test_hostile_index_out_of_range),
		T(test_hostile_loop),
		T(test_hostile_addresses),
		T(test_hostile_rings),
		T(test_read_only),
		TT(test_discover_negotiate),
		TT(test_write_read_flush),
		TT(test_indirect_and_event_idx),
		TT(test_no_interrupt_flag),
		TT(test_hostile_index_out_of_range),
		TT(test_hostile_loop),
		TT(test_hostile_addresses),
		TT(test_hostile_rings),
		TT(test_read_only),
		TP(test_discover_negotiate),
		TP(test_write_read_flush),
		TP(test_indirect_and_event_idx),
		TP(test_no_interrupt_flag),
		TP(test_hostile_index_out_of_range),
		TP(test_hostile_loop),
		TP(test_hostile_addresses),
		TP(test_hostile_rings),
		TP(test_read_only),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
