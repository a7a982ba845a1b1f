/*
 * tests/unit/test_virtio_ring.c - the split virtqueue of the virtio
 * back end, one test per task of lab 8 (labs/08-virtio-backend/): the
 * available ring in (task 1), descriptor chains (task 2), the used ring
 * out (task 3), interrupt suppression (task 4).
 *
 * A virtio-blk card on a 2 MiB machine, driven through its BAR 4
 * registers (the card's bar_read and bar_write: the transport is not
 * what is tested here, test_virtio.c does that) with the rings in guest
 * RAM, processed in the notifying write (no --backend placement).  Each
 * test states what the driver did and what the specification (virtio
 * 1.2, section 2.7) says the device must have done; each failure says
 * which rule was broken.
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
#include "devices/virtio_blk.h"
#include "tests/unit/support/devvm.h"

#define SLOT 3
#define NSECTORS 16
#define RAM_END 0x200000ull /* dev_vm's 2 MiB */

/* Guest RAM the driver uses. */
#define DESC 0x100000
#define AVAIL 0x101000
#define USED 0x102000
#define INDIRECT 0x103000
#define HDR 0x110000     /* request k's header at HDR + 16k */
#define DATA 0x120000    /* request k's sector at DATA + 512k */
#define STATUS 0x130000  /* request k's status byte at STATUS + k */
#define SHORT 0x140000   /* short request k's buffer at SHORT + 1024k */

static struct virtio_blk blk;
static char image[] = "/tmp/trapvisor-vring-XXXXXX";
static uint16_t qsize, avail_idx;

/* ------------------------------------------------------------------
 * The driver's side.
 */
static uint64_t reg_read(uint64_t off, unsigned size)
{
	return blk.vp.pci.bar_read(&blk.vp, VIRTIO_PCI_BAR, off, size);
}

static void reg_write(uint64_t off, unsigned size, uint64_t v)
{
	blk.vp.pci.bar_write(&blk.vp, VIRTIO_PCI_BAR, off, size, v);
}

static bool broken(void)
{
	return reg_read(VIRTIO_PCI_COMMON_STATUS, 1) & VIRTIO_STATUS_NEEDS_RESET;
}

/* Read (and so clear) the ISR: did the device interrupt? */
static bool interrupted(void)
{
	return reg_read(VIRTIO_PCI_ISR_OFF, 1) & VIRTIO_ISR_QUEUE;
}

/* Bring the card up with features (VERSION_1 added) and queue 0 of n
 * entries at used; the rings zeroed. */
static void bring_up_at(uint64_t features, uint16_t n, uint64_t used)
{
	static const uint8_t zero[0x1000];
	uint8_t ok = VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
		     VIRTIO_STATUS_FEATURES_OK;

	features |= 1ull << VIRTIO_F_VERSION_1;
	dev_put(AVAIL, zero, sizeof(zero));
	dev_put(USED, zero, sizeof(zero));
	reg_write(VIRTIO_PCI_COMMON_STATUS, 1, 0);
	reg_write(VIRTIO_PCI_COMMON_GFSELECT, 4, 0);
	reg_write(VIRTIO_PCI_COMMON_GF, 4, (uint32_t)features);
	reg_write(VIRTIO_PCI_COMMON_GFSELECT, 4, 1);
	reg_write(VIRTIO_PCI_COMMON_GF, 4, (uint32_t)(features >> 32));
	reg_write(VIRTIO_PCI_COMMON_STATUS, 1, ok);
	assert_int_equal(reg_read(VIRTIO_PCI_COMMON_STATUS, 1), ok);
	reg_write(VIRTIO_PCI_COMMON_Q_SELECT, 2, 0);
	reg_write(VIRTIO_PCI_COMMON_Q_SIZE, 2, n);
	reg_write(VIRTIO_PCI_COMMON_Q_DESC, 8, DESC);
	reg_write(VIRTIO_PCI_COMMON_Q_AVAIL, 8, AVAIL);
	reg_write(VIRTIO_PCI_COMMON_Q_USED, 8, used);
	reg_write(VIRTIO_PCI_COMMON_Q_ENABLE, 2, 1);
	reg_write(VIRTIO_PCI_COMMON_STATUS, 1, ok | VIRTIO_STATUS_DRIVER_OK);
	assert_false(broken());
	qsize = n;
	avail_idx = 0;
}

static void bring_up(uint64_t features, uint16_t n)
{
	bring_up_at(features, n, USED);
}

/*
 * Both sides have already gone round the rings: the device has taken
 * and used idx entries (its own state, and used->idx in RAM, as if the
 * driver had made and the device had handled idx requests).  Used to
 * reach the wrap at 65535 without 65535 requests.
 */
static void been_round(uint16_t idx)
{
	blk.vp.vq[0].last_avail = idx;
	blk.vp.vq[0].used_idx = idx;
	dev_put16(USED + 2, idx);
	dev_put16(AVAIL + 2, idx);
	avail_idx = idx;
}

/* Request k: read sector `sector` into DATA + 512k, as descriptors
 * 3k, 3k+1, 3k+2 (header, data, status) of table; its head. */
static uint16_t read_request(uint64_t table, unsigned k, uint64_t sector)
{
	uint8_t st = 0xee;
	uint16_t d0 = (uint16_t)(3 * k);

	dev_blk_header(HDR + 16ull * k, VIRTIO_BLK_T_IN, sector);
	dev_put(STATUS + k, &st, 1);
	vq_desc(table, d0, HDR + 16ull * k, 16,
		VIRTQ_DESC_F_NEXT, (uint16_t)(d0 + 1));
	vq_desc(table, d0 + 1u, DATA + 512ull * k, 512,
		VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, (uint16_t)(d0 + 2));
	vq_desc(table, d0 + 2u, STATUS + k, 1, VIRTQ_DESC_F_WRITE, 0);
	return d0;
}

/*
 * Request k in two descriptors, 2k and 2k+1 of the table: its header,
 * and one writable buffer of 513 bytes at SHORT + 1024k that takes the
 * sector and, in its last byte, the status; so that a queue of n holds
 * n / 2 requests.  Its head.
 */
static uint16_t short_request(unsigned k, uint64_t sector)
{
	uint8_t st = 0xee;
	uint16_t d0 = (uint16_t)(2 * k);

	dev_blk_header(HDR + 16ull * k, VIRTIO_BLK_T_IN, sector);
	dev_put(SHORT + 1024ull * k + 512, &st, 1);
	vq_desc(DESC, d0, HDR + 16ull * k, 16,
		VIRTQ_DESC_F_NEXT, (uint16_t)(d0 + 1));
	vq_desc(DESC, d0 + 1u, SHORT + 1024ull * k, 513, VIRTQ_DESC_F_WRITE, 0);
	return d0;
}

/* Short request k's status byte and first byte of data. */
static uint8_t short_status(unsigned k)
{
	uint8_t st;

	dev_get(SHORT + 1024ull * k + 512, &st, 1);
	return st;
}

static uint8_t short_data(unsigned k)
{
	uint8_t b;

	dev_get(SHORT + 1024ull * k, &b, 1);
	return b;
}

/* Put head on the available ring (not yet published). */
static void offer(uint16_t head)
{
	dev_put16(AVAIL + 4 + 2ull * (avail_idx % qsize), head);
	avail_idx++;
}

/* Publish avail->idx and notify queue 0. */
static void kick(void)
{
	dev_put16(AVAIL + 2, avail_idx);
	reg_write(VIRTIO_PCI_NOTIFY_OFF, 2, 0);
}

/* The used ring's element for used index k. */
static void used_elem(uint64_t used, uint16_t k, uint32_t *id, uint32_t *len)
{
	dev_get(used + 4 + 8ull * (k % qsize), id, 4);
	dev_get(used + 8 + 8ull * (k % qsize), len, 4);
}

/* Request k's status byte, and the first byte of its data. */
static uint8_t status_of(unsigned k)
{
	uint8_t st;

	dev_get(STATUS + k, &st, 1);
	return st;
}

static uint8_t data_of(unsigned k)
{
	uint8_t b;

	dev_get(DATA + 512ull * k, &b, 1);
	return b;
}

/* got == want, or a failure that names what was read. */
#define expect(got, want)                                                   \
	do {                                                                \
		unsigned long long got_ = (got), want_ = (want);            \
		if (got_ != want_)                                          \
			fail_msg("%s is %llu (%#llx), expected %llu", #got, \
				 got_, got_, want_);                        \
	} while (0)

#define expect_working()                                                    \
	do {                                                                \
		if (broken())                                               \
			fail_msg("the device gave up (DEVICE_NEEDS_RESET) "  \
				 "on a valid request");                     \
	} while (0)

/* The device's used->idx, as the driver reads it. */
static uint16_t used_idx(void)
{
	return dev_get16(USED + 2);
}

#define expect_broken(why)                                                  \
	do {                                                                \
		if (!broken())                                              \
			fail_msg("the device took it: %s", why);            \
	} while (0)

/* An image of NSECTORS sectors, sector s filled with byte 0x40 + s. */
static int setup(void **state)
{
	char why[200];

	if (dev_vm_setup(state))
		return -1;
	strcpy(image, "/tmp/trapvisor-vring-XXXXXX");
	if (dev_image(image, NSECTORS, 0x40) < 0)
		return -1;
	return virtio_blk_open(&blk, SLOT, image, false, NULL, &dev_vm.mem,
			       why, sizeof(why));
}

static int teardown(void **state)
{
	virtio_blk_close(&blk);
	unlink(image);
	return dev_vm_teardown(state);
}

/* ------------------------------------------------------------------
 * Task 1: the available ring.
 */

/*
 * The indexes are free-running 16-bit counters (2.7.6): entry i of the
 * ring is slot i % size, and 65535 + 1 is 0.  One request at a time
 * across the wrap, then a batch of exactly a queue's worth (a full ring
 * is allowed: at most size entries ahead, 2.7.13.3) across it again.
 */
static void test_avail_ring_wraps_at_65535(void **state)
{
	uint32_t id, len;

	(void)state;
	bring_up(0, 8);
	been_round(65533);
	for (unsigned k = 0; k < 4; k++) { /* 65533, 65534, 65535, 0 */
		uint16_t at = (uint16_t)(65533 + k);

		offer(short_request(k, k));
		kick();
		if (used_idx() != (uint16_t)(at + 1))
			fail_msg("used->idx %u after available entry %u (the "
				 "index wraps from 65535 to 0)",
				 used_idx(), at);
		expect(short_status(k), VIRTIO_BLK_S_OK);
		expect(short_data(k), 0x40 + k);
		used_elem(USED, at, &id, &len);
		expect(id, 2 * k);
		expect(len, 513);
	}
	expect_working();
	/*
	 * A full ring at once, 8 entries from 65534 to 6 (slots 6, 7, 0 to
	 * 5).  The four requests go in twice: this device handles each
	 * entry before it takes the next, and the test reads the rings.
	 */
	bring_up(0, 8);
	been_round(65534);
	for (unsigned k = 0; k < 8; k++)
		offer(short_request(k % 4, 8 + k % 4));
	kick();
	if (broken())
		fail_msg("a full ring (size entries ahead) is not too far");
	expect(used_idx(), 6);
	for (unsigned k = 0; k < 8; k++) {
		expect(short_status(k % 4), VIRTIO_BLK_S_OK);
		expect(short_data(k % 4), 0x48 + k % 4);
		used_elem(USED, (uint16_t)(65534 + k), &id, &len);
		expect(id, 2 * (k % 4));
	}
	/* One more than a queue's worth ahead: the driver broke a rule. */
	avail_idx = (uint16_t)(avail_idx + 9);
	kick();
	expect_broken("avail->idx 9 entries ahead of a queue of 8");
	expect(used_idx(), 6);
}

/* A notification with nothing new takes nothing; entries are taken in
 * the order they were made available, not by head. */
static void test_avail_ring_in_order(void **state)
{
	uint32_t id, len;

	(void)state;
	bring_up(0, 8);
	offer(short_request(2, 2));
	offer(short_request(0, 0));
	offer(short_request(1, 1));
	kick();
	expect(used_idx(), 3);
	for (unsigned k = 0; k < 3; k++) {
		used_elem(USED, (uint16_t)k, &id, &len);
		expect(id, 2 * ((k + 2) % 3));
		expect(short_data(k), 0x40 + k);
	}
	kick(); /* nothing new */
	expect(used_idx(), 3);
	expect_working();
}

/* ------------------------------------------------------------------
 * Task 2: descriptor chains.
 */

/*
 * An indirect descriptor (2.7.5.3): the whole request in a table of its
 * own, whose entries chain by their index in it; refused when the
 * driver did not negotiate VIRTIO_RING_F_INDIRECT_DESC, and refused
 * with NEXT beside INDIRECT or with an indirect entry inside.
 */
static void test_chain_indirect(void **state)
{
	uint32_t id, len;

	(void)state;
	bring_up(1ull << VIRTIO_RING_F_INDIRECT_DESC, 8);
	read_request(INDIRECT, 0, 5);
	vq_desc(DESC, 6, INDIRECT, 3 * VIRTQ_DESC_SIZE,
		VIRTQ_DESC_F_INDIRECT, 0);
	offer(6);
	kick();
	expect_working();
	expect(used_idx(), 1);
	expect(status_of(0), VIRTIO_BLK_S_OK);
	expect(data_of(0), 0x45);
	used_elem(USED, 0, &id, &len);
	expect(id, 6);
	expect(len, 513);
	/* A second table, chained out of order: 0, 2, 1. */
	read_request(INDIRECT + 0x100, 0, 6);
	vq_desc(INDIRECT + 0x100, 0, HDR, 16, VIRTQ_DESC_F_NEXT, 2);
	vq_desc(INDIRECT + 0x100, 2, DATA, 512,
		VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 1);
	vq_desc(INDIRECT + 0x100, 1, STATUS, 1, VIRTQ_DESC_F_WRITE, 0);
	vq_desc(DESC, 7, INDIRECT + 0x100, 3 * VIRTQ_DESC_SIZE,
		VIRTQ_DESC_F_INDIRECT, 0);
	offer(7);
	kick();
	expect_working();
	expect(data_of(0), 0x46);
	/* INDIRECT and NEXT together. */
	vq_desc(DESC, 6, INDIRECT, 3 * VIRTQ_DESC_SIZE,
		VIRTQ_DESC_F_INDIRECT | VIRTQ_DESC_F_NEXT, 7);
	offer(6);
	kick();
	expect_broken("an indirect descriptor with NEXT set");
	/* An indirect entry inside an indirect table. */
	bring_up(1ull << VIRTIO_RING_F_INDIRECT_DESC, 8);
	vq_desc(INDIRECT, 0, INDIRECT, 3 * VIRTQ_DESC_SIZE,
		VIRTQ_DESC_F_INDIRECT, 0);
	vq_desc(DESC, 6, INDIRECT, 3 * VIRTQ_DESC_SIZE,
		VIRTQ_DESC_F_INDIRECT, 0);
	offer(6);
	kick();
	expect_broken("an indirect table inside an indirect table");
	/* Without the feature. */
	bring_up(0, 8);
	read_request(INDIRECT, 0, 5);
	vq_desc(DESC, 6, INDIRECT, 3 * VIRTQ_DESC_SIZE,
		VIRTQ_DESC_F_INDIRECT, 0);
	offer(6);
	kick();
	expect_broken("an indirect descriptor, VIRTIO_RING_F_INDIRECT_DESC "
		      "not negotiated");
	expect(used_idx(), 0);
}

/*
 * A chain has at most the queue size buffers (2.7.5.3.1): that bound
 * ends every loop.  The longest chain allowed works; a loop, in the
 * table or in an indirect one, and an indirect chain longer than the
 * queue, break the device (and the walk comes back).
 */
static void test_chain_loop(void **state)
{
	(void)state;
	/* The longest: header, the sector in 6 buffers (192 bytes, then
	 * 5 of 64), status: 8 descriptors, 0 to 7 in order. */
	bring_up(1ull << VIRTIO_RING_F_INDIRECT_DESC, 8);
	read_request(DESC, 0, 3);
	vq_desc(DESC, 1, DATA, 192, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 2);
	for (uint16_t i = 2; i < 7; i++)
		vq_desc(DESC, i, DATA + 192 + 64ull * (i - 2), 64,
			VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE,
			(uint16_t)(i + 1));
	vq_desc(DESC, 7, STATUS, 1, VIRTQ_DESC_F_WRITE, 0);
	offer(0);
	kick();
	if (broken())
		fail_msg("a chain of exactly the queue size (8) is allowed");
	expect(status_of(0), VIRTIO_BLK_S_OK);
	expect(data_of(0), 0x43);
	/* 0 -> 1 -> 0 -> ... */
	vq_desc(DESC, 1, DATA, 512, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 0);
	offer(0);
	kick();
	expect_broken("a chain that loops (0, 1, 0, 1, ...)");
	expect(used_idx(), 1);
	/* One that loops on itself, inside an indirect table. */
	bring_up(1ull << VIRTIO_RING_F_INDIRECT_DESC, 8);
	vq_desc(INDIRECT, 0, HDR, 16, VIRTQ_DESC_F_NEXT, 0);
	vq_desc(DESC, 0, INDIRECT, 4 * VIRTQ_DESC_SIZE,
		VIRTQ_DESC_F_INDIRECT, 0);
	offer(0);
	kick();
	expect_broken("a loop inside an indirect table");
	/* No loop, but 16 buffers in a queue of 8. */
	bring_up(1ull << VIRTIO_RING_F_INDIRECT_DESC, 8);
	vq_desc(INDIRECT, 0, HDR, 16, VIRTQ_DESC_F_NEXT, 1);
	for (uint16_t i = 1; i < 16; i++)
		vq_desc(INDIRECT, i, DATA + 32ull * i, 32,
			VIRTQ_DESC_F_WRITE | (i < 15 ? VIRTQ_DESC_F_NEXT : 0),
			(uint16_t)(i + 1));
	vq_desc(DESC, 0, INDIRECT, 16 * VIRTQ_DESC_SIZE,
		VIRTQ_DESC_F_INDIRECT, 0);
	offer(0);
	kick();
	expect_broken("an indirect chain of 16 buffers in a queue of 8");
	expect(used_idx(), 0);
}

/*
 * Every buffer must lie in guest RAM, all of it (2.7.5.3.2 and the
 * device's own safety): past the end, across the end, in the MMIO hole,
 * wrapping round 2^64; a head or next past the table; an indirect table
 * outside RAM; a readable buffer after a writable one (2.7.4.2).
 */
static void test_desc_outside_ram(void **state)
{
	static const struct { uint64_t addr; uint32_t len; const char *what; }
	bad[] = {
		{ RAM_END, 512, "a buffer just past the end of RAM" },
		{ RAM_END - 256, 512, "a buffer across the end of RAM" },
		{ 0xfe000000ull, 512, "a buffer in the MMIO hole" },
		{ ~0ull - 255, 512, "a buffer whose end wraps round 2^64" },
	};

	(void)state;
	for (unsigned b = 0; b < sizeof(bad) / sizeof(bad[0]); b++) {
		bring_up(1ull << VIRTIO_RING_F_INDIRECT_DESC, 8);
		read_request(DESC, 0, 1);
		vq_desc(DESC, 1, bad[b].addr, bad[b].len,
			VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 2);
		offer(0);
		kick();
		expect_broken(bad[b].what);
		expect(used_idx(), 0);
	}
	/* The last bytes of RAM are RAM. */
	bring_up(0, 8);
	read_request(DESC, 0, 1);
	vq_desc(DESC, 1, RAM_END - 512, 512,
		VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 2);
	offer(0);
	kick();
	expect_working();
	expect(status_of(0), VIRTIO_BLK_S_OK);
	/* A head past the table, a next past it. */
	offer(8);
	kick();
	expect_broken("a head of 8 in a table of 8");
	bring_up(0, 8);
	read_request(DESC, 0, 1);
	vq_desc(DESC, 1, DATA, 512,
		VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 200);
	offer(0);
	kick();
	expect_broken("a next of 200 in a table of 8");
	/* An indirect table outside RAM. */
	bring_up(1ull << VIRTIO_RING_F_INDIRECT_DESC, 8);
	vq_desc(DESC, 0, RAM_END - 16, 3 * VIRTQ_DESC_SIZE,
		VIRTQ_DESC_F_INDIRECT, 0);
	offer(0);
	kick();
	expect_broken("an indirect table across the end of RAM");
	/* A readable buffer after a writable one. */
	bring_up(0, 8);
	read_request(DESC, 0, 1);
	vq_desc(DESC, 2, STATUS, 1, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 3);
	vq_desc(DESC, 3, HDR, 16, 0, 0);
	offer(0);
	kick();
	expect_broken("a device-readable buffer after a writable one");
}

/* ------------------------------------------------------------------
 * Task 3: the used ring.
 */

/*
 * The used element says which chain (its head) and how many bytes the
 * device wrote into it (2.7.8: the data and the status byte; 0 for
 * none would make a driver think a read returned nothing); used->idx
 * moves by one per element, and only after the element is written
 * (2.7.8.2): a driver never sees an index that publishes an element
 * that is not there.  Here the ring ends past RAM: the element cannot be
 * written, so the index must not move.
 */
static void test_used_after_data_with_length(void **state)
{
	uint8_t st;
	uint32_t id, len;
	uint64_t used = RAM_END - 6; /* flags and idx in RAM, ring[0] not */

	(void)state;
	bring_up(0, 8);
	offer(read_request(DESC, 1, 2)); /* head 3 */
	kick();
	expect(used_idx(), 1);
	used_elem(USED, 0, &id, &len);
	expect(id, 3);
	if (len != 513)
		fail_msg("used len %u for a read of 512 bytes and a status "
			 "byte: the bytes written, 513", len);
	/* A write: the device writes only the status. */
	dev_blk_header(HDR, VIRTIO_BLK_T_OUT, 0);
	vq_desc(DESC, 0, HDR, 16, VIRTQ_DESC_F_NEXT, 1);
	vq_desc(DESC, 1, DATA, 512, VIRTQ_DESC_F_NEXT, 2);
	vq_desc(DESC, 2, STATUS, 1, VIRTQ_DESC_F_WRITE, 0);
	offer(0);
	kick();
	dev_get(STATUS, &st, 1);
	expect(st, VIRTIO_BLK_S_OK);
	used_elem(USED, 1, &id, &len);
	expect(id, 0);
	if (len != 1)
		fail_msg("used len %u for a write: the status byte, 1", len);
	expect(used_idx(), 2);
	/* The element cannot be written: the index must not say it is. */
	bring_up_at(0, 8, used);
	dev_put16(used, 0);
	dev_put16(used + 2, 0);
	offer(read_request(DESC, 0, 1));
	kick();
	expect_broken("a used ring that ends past RAM");
	if (dev_get16(used + 2) != 0)
		fail_msg("used->idx moved to %u though its element was never "
			 "written (the element first, then the index)",
			 dev_get16(used + 2));
}

/* ------------------------------------------------------------------
 * Task 4: interrupts, and telling the driver where the device is.
 */

/*
 * Without VIRTIO_RING_F_EVENT_IDX the driver asks for no interrupt with
 * VIRTQ_AVAIL_F_NO_INTERRUPT (2.7.7); a notification that used nothing
 * interrupts nobody.
 */
static void test_no_interrupt_flag(void **state)
{
	(void)state;
	bring_up(0, 8);
	dev_put16(AVAIL, VIRTQ_AVAIL_F_NO_INTERRUPT);
	offer(read_request(DESC, 0, 1));
	kick();
	expect(used_idx(), 1);
	if (interrupted())
		fail_msg("an interrupt though the driver set NO_INTERRUPT");
	dev_put16(AVAIL, 0);
	offer(read_request(DESC, 0, 1));
	kick();
	if (!interrupted())
		fail_msg("no interrupt for a used buffer, NO_INTERRUPT clear");
	kick(); /* nothing new */
	if (interrupted())
		fail_msg("an interrupt for a notification that used nothing");
}

/*
 * With VIRTIO_RING_F_EVENT_IDX the driver says in used_event (after the
 * available ring) the used index it wants an interrupt past: the device
 * interrupts when used_event lies in [old, new) of this batch, modulo
 * 2^16 (2.7.10, vring_need_event), and ignores NO_INTERRUPT.
 */
static void test_used_event(void **state)
{
	static const struct { uint16_t from, n, event; bool irq; } cases[] = {
		{ 0, 1, 0, true },          /* the first one */
		{ 0, 1, 1, false },         /* not yet */
		{ 0, 3, 1, true },          /* passed inside a batch */
		{ 0, 3, 2, true },          /* the batch's last */
		{ 0, 3, 3, false },         /* the next one */
		{ 10, 2, 9, false },        /* already past before */
		{ 65534, 2, 65535, true },  /* across the wrap */
		{ 65535, 2, 0, true },      /* the wrap's first */
		{ 65535, 1, 0, false },
		{ 65533, 3, 1, false },     /* after the wrap, not reached */
	};
	(void)state;
	for (unsigned c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		bring_up(1ull << VIRTIO_RING_F_EVENT_IDX, 8);
		been_round(cases[c].from);
		/* ignored with EVENT_IDX */
		dev_put16(AVAIL, cases[c].irq ? VIRTQ_AVAIL_F_NO_INTERRUPT : 0);
		dev_put16(AVAIL + 4 + 2ull * qsize, cases[c].event);
		for (unsigned k = 0; k < cases[c].n; k++)
			offer(short_request(k, k));
		kick();
		expect(used_idx(),
				 (uint16_t)(cases[c].from + cases[c].n));
		if (interrupted() != cases[c].irq)
			fail_msg("used %u to %u, used_event %u: %s", cases[c].from,
				 (uint16_t)(cases[c].from + cases[c].n),
				 cases[c].event,
				 cases[c].irq ? "no interrupt" :
						"an interrupt not asked for");
	}
}

/*
 * With VIRTIO_RING_F_EVENT_IDX the device says in avail_event (after
 * the used ring) the available index it wants a notification past: its
 * own last_avail, written after every batch (2.7.10), across the wrap
 * too; without the feature that word is the driver's padding, untouched.
 */
static void test_avail_event_written(void **state)
{
	uint64_t avail_event;

	(void)state;
	bring_up(1ull << VIRTIO_RING_F_EVENT_IDX, 8);
	avail_event = USED + 4 + 8ull * qsize;
	for (unsigned k = 0; k < 3; k++)
		offer(short_request(k, k));
	kick();
	if (dev_get16(avail_event) != 3)
		fail_msg("avail_event %u after 3 entries taken: 3",
			 dev_get16(avail_event));
	offer(read_request(DESC, 0, 0));
	kick();
	expect(dev_get16(avail_event), 4);
	bring_up(1ull << VIRTIO_RING_F_EVENT_IDX, 8);
	avail_event = USED + 4 + 8ull * qsize;
	been_round(65534);
	for (unsigned k = 0; k < 3; k++)
		offer(short_request(k, k));
	kick();
	expect(dev_get16(avail_event), 1);
	/* Without the feature: not written. */
	bring_up(0, 8);
	avail_event = USED + 4 + 8ull * qsize;
	dev_put16(avail_event, 0x5a5a);
	offer(read_request(DESC, 0, 0));
	kick();
	expect(used_idx(), 1);
	if (dev_get16(avail_event) != 0x5a5a)
		fail_msg("avail_event written though EVENT_IDX was not "
			 "negotiated");
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_avail_ring_wraps_at_65535),
		T(test_avail_ring_in_order),
		T(test_chain_indirect),
		T(test_chain_loop),
		T(test_desc_outside_ram),
		T(test_used_after_data_with_length),
		T(test_no_interrupt_flag),
		T(test_used_event),
		T(test_avail_event_written),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
