/*
 * tests/unit/test_ptblk.c - the passed-through disk (devices/ptblk.h),
 * driven as a guest driver drives it: configuration space through ports
 * 0xcf8/0xcfc, the queue page and buffers in guest RAM, a temporary raw
 * image.  The ring is processed by ptblk_service() in the test's thread
 * (what the device thread calls in its loop), so every step is exact;
 * the last test runs the real thread and stops it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "core/vm.h"
#include "devices/devices.h"
#include "devices/ptblk.h"
#include "tests/unit/support/devvm.h"

#define SLOT 4
#define NSECTORS 64
#define PAGE 0x100000ull   /* the queue page (dev_vm has 2 MiB) */
#define DATA 0x110000ull   /* buffers */

static struct ptblk pt;
static char image[] = "/tmp/trapvisor-ptblk-XXXXXX";
static uint32_t tail, cq_head;
static uint16_t phase;

static void put32(uint64_t gpa, uint32_t v) { dev_put(gpa, &v, 4); }

/* An image of NSECTORS sectors, sector s filled with byte s. */
static int make_image(void)
{
	strcpy(image, "/tmp/trapvisor-ptblk-XXXXXX");
	return dev_image(image, NSECTORS, 0);
}

static int open_dev(void **state, bool ro)
{
	char why[200];

	if (dev_vm_setup(state) || make_image() < 0 ||
	    ptblk_open(&pt, SLOT, image, ro, &dev_vm.mem, why,
		       sizeof(why)) < 0 ||
	    pci_device_register(&dev_vm.dev->pci, &pt.pci) < 0)
		return -1;
	tail = cq_head = 0;
	phase = 1;
	return 0;
}

static int setup(void **state) { return open_dev(state, false); }
static int setup_ro(void **state) { return open_dev(state, true); }

static int teardown(void **state)
{
	ptblk_close(&pt);
	unlink(image);
	return dev_vm_teardown(state);
}

/* Bus mastering, the page, CC.EN; the device follows at its next look. */
static void enable(uint64_t qaddr)
{
	uint8_t zero[PTBLK_PAGE] = { 0 };

	if (qaddr == PAGE)
		dev_put(PAGE, zero, sizeof(zero));
	dev_cfg_write(SLOT, PCI_COMMAND, 2, PCI_COMMAND_MASTER);
	dev_cfg_write(SLOT, PTBLK_CFG_QADDR, 4, (uint32_t)qaddr);
	dev_cfg_write(SLOT, PTBLK_CFG_QADDR + 4, 4, (uint32_t)(qaddr >> 32));
	dev_cfg_write(SLOT, PTBLK_CFG_CC, 4, PTBLK_CC_EN);
	ptblk_service(&pt);
	tail = cq_head = 0;
	phase = 1;
}

/* Write a submission entry and ring the doorbell (both in RAM). */
static void submit(uint8_t op, uint16_t cid, uint32_t nsect, uint64_t lba,
		   uint64_t addr)
{
	struct ptblk_sqe e = { .opcode = op, .cid = cid, .nsect = nsect,
			       .lba = lba, .addr = addr };

	dev_put(PAGE + PTBLK_SQ + tail * PTBLK_SQE_SIZE, &e, sizeof(e));
	tail = (tail + 1) % PTBLK_QSIZE;
	put32(PAGE + PTBLK_SQ_TAIL, tail);
}

/* The next completion, which must be there; its status code. */
static uint16_t complete(uint16_t cid, uint32_t result)
{
	struct ptblk_cqe c;

	dev_get(PAGE + PTBLK_CQ + cq_head * PTBLK_CQE_SIZE, &c, sizeof(c));
	assert_int_equal(c.status & 1, phase);
	assert_int_equal(c.cid, cid);
	assert_int_equal(c.result, result);
	if (++cq_head == PTBLK_QSIZE) {
		cq_head = 0;
		phase ^= 1;
	}
	put32(PAGE + PTBLK_CQ_HEAD, cq_head);
	return c.status >> 1;
}

/* One request, processed now; its status code. */
static uint16_t one(uint8_t op, uint32_t nsect, uint64_t lba, uint64_t addr,
		    uint32_t result)
{
	submit(op, 7, nsect, lba, addr);
	assert_int_equal(ptblk_service(&pt), 1);
	return complete(7, result);
}

static void test_config_space(void **state)
{
	(void)state;
	assert_int_equal(dev_cfg_read(SLOT, PCI_VENDOR_ID, 2), PTBLK_VENDOR_ID);
	assert_int_equal(dev_cfg_read(SLOT, PCI_DEVICE_ID, 2), PTBLK_DEVICE_ID);
	assert_int_equal(dev_cfg_read(SLOT, PCI_REVISION_ID, 4) >> 8,
			 PTBLK_CLASS);
	assert_int_equal(dev_cfg_read(SLOT, PCI_INTERRUPT_PIN, 1), 0);
	assert_int_equal(dev_cfg_read(SLOT, PTBLK_CFG_CAPACITY, 4), NSECTORS);
	assert_int_equal(dev_cfg_read(SLOT, PTBLK_CFG_CAPACITY + 4, 4), 0);
	assert_int_equal(dev_cfg_read(SLOT, PTBLK_CFG_QSIZE, 2), PTBLK_QSIZE);
	assert_int_equal(dev_cfg_read(SLOT, PTBLK_CFG_CSTS, 4), 0);
	/* QADDR keeps its page bits only; CAPACITY and CSTS are read-only */
	dev_cfg_write(SLOT, PTBLK_CFG_QADDR, 4, 0x123456);
	assert_int_equal(dev_cfg_read(SLOT, PTBLK_CFG_QADDR, 4), 0x123000);
	dev_cfg_write(SLOT, PTBLK_CFG_CAPACITY, 4, 5);
	dev_cfg_write(SLOT, PTBLK_CFG_CSTS, 4, 7);
	assert_int_equal(dev_cfg_read(SLOT, PTBLK_CFG_CAPACITY, 4), NSECTORS);
	assert_int_equal(dev_cfg_read(SLOT, PTBLK_CFG_CSTS, 4), 0);
	/* nothing happens before EN, whatever is in RAM */
	put32(PAGE + PTBLK_SQ_TAIL, 3);
	assert_int_equal(ptblk_service(&pt), 0);
}

static void test_enable_disable(void **state)
{
	(void)state;
	enable(PAGE);
	assert_int_equal(dev_cfg_read(SLOT, PTBLK_CFG_CSTS, 4), PTBLK_CSTS_RDY);
	dev_cfg_write(SLOT, PTBLK_CFG_CC, 4, 0);
	ptblk_service(&pt);
	assert_int_equal(dev_cfg_read(SLOT, PTBLK_CFG_CSTS, 4), 0);
}

/* A queue page that is no RAM, or EN without Bus Master Enable: CFS. */
static void test_enable_fails(void **state)
{
	(void)state;
	enable(0xfee00000); /* the LAPIC */
	assert_int_equal(dev_cfg_read(SLOT, PTBLK_CFG_CSTS, 4), PTBLK_CSTS_CFS);
	dev_cfg_write(SLOT, PTBLK_CFG_CC, 4, 0);
	ptblk_service(&pt);
	assert_int_equal(dev_cfg_read(SLOT, PTBLK_CFG_CSTS, 4), 0);
	enable(0xf0000); /* the BIOS ROM: no DMA there either */
	assert_int_equal(dev_cfg_read(SLOT, PTBLK_CFG_CSTS, 4), PTBLK_CSTS_CFS);
	dev_cfg_write(SLOT, PTBLK_CFG_CC, 4, 0);
	ptblk_service(&pt);
	dev_cfg_write(SLOT, PCI_COMMAND, 2, 0);
	dev_cfg_write(SLOT, PTBLK_CFG_QADDR, 4, PAGE);
	dev_cfg_write(SLOT, PTBLK_CFG_CC, 4, PTBLK_CC_EN);
	ptblk_service(&pt);
	assert_int_equal(dev_cfg_read(SLOT, PTBLK_CFG_CSTS, 4), PTBLK_CSTS_CFS);
	assert_int_equal(pt.fatal, 3);
}

static void test_read_write_flush(void **state)
{
	uint8_t buf[3 * PTBLK_SECTOR], back[PTBLK_SECTOR];

	(void)state;
	enable(PAGE);
	assert_int_equal(one(PTBLK_OP_READ, 3, 10, DATA, sizeof(buf)),
			 PTBLK_SC_SUCCESS);
	dev_get(DATA, buf, sizeof(buf));
	for (unsigned i = 0; i < sizeof(buf); i++)
		assert_int_equal(buf[i], 10 + i / PTBLK_SECTOR);
	memset(buf, 0xab, PTBLK_SECTOR);
	dev_put(DATA, buf, PTBLK_SECTOR);
	assert_int_equal(one(PTBLK_OP_WRITE, 1, 63, DATA, PTBLK_SECTOR),
			 PTBLK_SC_SUCCESS);
	assert_int_equal(one(PTBLK_OP_FLUSH, 0, 0, 0, 0), PTBLK_SC_SUCCESS);
	dev_image_read(image, 63 * PTBLK_SECTOR, back, sizeof(back));
	assert_memory_equal(back, buf, sizeof(back));
	assert_int_equal(pt.requests, 3);
	assert_int_equal(pt.bytes, 4 * PTBLK_SECTOR);
	assert_int_equal(pt.errors, 0);
}

/* Malformed requests complete with an error; the device goes on. */
static void test_bad_requests(void **state)
{
	(void)state;
	enable(PAGE);
	assert_int_equal(one(PTBLK_OP_READ, 1, NSECTORS, DATA, 0),
			 PTBLK_SC_LBA_RANGE);
	assert_int_equal(one(PTBLK_OP_WRITE, 2, NSECTORS - 1, DATA, 0),
			 PTBLK_SC_LBA_RANGE);
	assert_int_equal(one(PTBLK_OP_READ, 1, UINT64_MAX, DATA, 0),
			 PTBLK_SC_LBA_RANGE);
	assert_int_equal(one(PTBLK_OP_READ, 0, 0, DATA, 0),
			 PTBLK_SC_INVALID_FIELD);
	assert_int_equal(one(PTBLK_OP_READ, PTBLK_MAX_SECTORS + 1, 0, DATA, 0),
			 PTBLK_SC_INVALID_FIELD);
	assert_int_equal(one(PTBLK_OP_READ, 1, 0, 0xfee00000, 0),
			 PTBLK_SC_DATA_XFER);
	assert_int_equal(one(PTBLK_OP_READ, 1, 0, 0x1ffff0, 0),
			 PTBLK_SC_DATA_XFER); /* runs past the end of RAM */
	assert_int_equal(one(PTBLK_OP_READ, 1, 0, 0xdff00, 0),
			 PTBLK_SC_DATA_XFER); /* into the BIOS ROM */
	assert_int_equal(one(0x42, 1, 0, DATA, 0), PTBLK_SC_INVALID_OPCODE);
	assert_int_equal(pt.errors, 9);
	assert_int_equal(one(PTBLK_OP_READ, 1, 5, DATA, PTBLK_SECTOR),
			 PTBLK_SC_SUCCESS);
}

static void test_read_only(void **state)
{
	(void)state;
	enable(PAGE);
	assert_int_equal(dev_cfg_read(SLOT, PTBLK_CFG_CSTS, 4),
			 PTBLK_CSTS_RDY | PTBLK_CSTS_RO);
	assert_int_equal(one(PTBLK_OP_WRITE, 1, 0, DATA, 0),
			 PTBLK_SC_READ_ONLY);
	assert_int_equal(one(PTBLK_OP_READ, 1, 0, DATA, PTBLK_SECTOR),
			 PTBLK_SC_SUCCESS);
}

/*
 * Three passes over the rings: the phase tag flips at each wrap.  The
 * device takes no submission whose completion has no room: with the
 * driver's CQ head left behind, it stops at QSIZE - 1 completions.
 */
static void test_wrap_and_full(void **state)
{
	(void)state;
	enable(PAGE);
	for (unsigned i = 0; i < 3 * PTBLK_QSIZE; i++)
		assert_int_equal(one(PTBLK_OP_READ, 1, i % NSECTORS, DATA,
				     PTBLK_SECTOR), PTBLK_SC_SUCCESS);
	assert_int_equal(phase, 0); /* three wraps: 1, 0, 1, 0 */
	for (unsigned i = 0; i < PTBLK_QSIZE - 1; i++)
		submit(PTBLK_OP_READ, (uint16_t)i, 1, 0, DATA);
	put32(PAGE + PTBLK_CQ_HEAD, cq_head); /* nothing taken yet */
	assert_int_equal(ptblk_service(&pt), PTBLK_QSIZE - 1);
	submit(PTBLK_OP_READ, 99, 1, 0, DATA); /* one more */
	assert_int_equal(ptblk_service(&pt), 0); /* no room in the CQ */
	for (unsigned i = 0; i < PTBLK_QSIZE - 1; i++)
		assert_int_equal(complete((uint16_t)i, PTBLK_SECTOR), 0);
	assert_int_equal(ptblk_service(&pt), 1);
	assert_int_equal(complete(99, PTBLK_SECTOR), 0);
}

/* A doorbell out of range: CFS, nothing more until a disable. */
static void test_bad_doorbell(void **state)
{
	(void)state;
	enable(PAGE);
	put32(PAGE + PTBLK_SQ_TAIL, PTBLK_QSIZE);
	assert_int_equal(ptblk_service(&pt), 0);
	assert_int_equal(dev_cfg_read(SLOT, PTBLK_CFG_CSTS, 4),
			 PTBLK_CSTS_RDY | PTBLK_CSTS_CFS);
	put32(PAGE + PTBLK_SQ_TAIL, 1);
	assert_int_equal(ptblk_service(&pt), 0);
	dev_cfg_write(SLOT, PTBLK_CFG_CC, 4, 0);
	ptblk_service(&pt);
	enable(PAGE);
	put32(PAGE + PTBLK_CQ_HEAD, 1000);
	submit(PTBLK_OP_READ, 1, 1, 0, DATA);
	assert_int_equal(ptblk_service(&pt), 0);
	assert_int_equal(dev_cfg_read(SLOT, PTBLK_CFG_CSTS, 4) &
			 PTBLK_CSTS_CFS, PTBLK_CSTS_CFS);
	dev_cfg_write(SLOT, PTBLK_CFG_CC, 4, 0);
	ptblk_service(&pt);
	enable(PAGE);
	assert_int_equal(one(PTBLK_OP_READ, 1, 1, DATA, PTBLK_SECTOR), 0);
}

/* Wait (at most 5 s) for read() & mask to equal want. */
static bool wait_for(uint32_t (*read)(void), uint32_t mask, uint32_t want)
{
	for (unsigned i = 0; i < 5000; i++) {
		struct timespec ms = { 0, 1000000 };

		if ((read() & mask) == want)
			return true;
		nanosleep(&ms, NULL);
	}
	return false;
}

static uint32_t csts(void) { return dev_cfg_read(SLOT, PTBLK_CFG_CSTS, 4); }

static uint32_t cqe_status(void)
{
	uint16_t st;

	dev_get(PAGE + PTBLK_CQ + cq_head * PTBLK_CQE_SIZE + 14, &st, 2);
	return st;
}

/*
 * The real thing: the device thread follows CC and serves the ring
 * while this thread only writes RAM and polls; then it is stopped.
 */
static void test_thread(void **state)
{
	uint8_t zero[PTBLK_PAGE] = { 0 }, buf[PTBLK_SECTOR];
	char why[200];

	(void)state;
	assert_int_equal(ptblk_start(&pt, why, sizeof(why)), 0);
	dev_put(PAGE, zero, sizeof(zero));
	dev_cfg_write(SLOT, PCI_COMMAND, 2, PCI_COMMAND_MASTER);
	dev_cfg_write(SLOT, PTBLK_CFG_QADDR, 4, PAGE);
	dev_cfg_write(SLOT, PTBLK_CFG_CC, 4, PTBLK_CC_EN);
	assert_true(wait_for(csts, PTBLK_CSTS_RDY, PTBLK_CSTS_RDY));
	for (unsigned i = 0; i < 2 * PTBLK_QSIZE; i++) {
		submit(PTBLK_OP_READ, (uint16_t)i, 1, i % NSECTORS, DATA);
		assert_true(wait_for(cqe_status, 1, phase));
		assert_int_equal(complete((uint16_t)i, PTBLK_SECTOR), 0);
		dev_get(DATA, buf, sizeof(buf));
		assert_int_equal(buf[0], i % NSECTORS);
		assert_int_equal(buf[PTBLK_SECTOR - 1], i % NSECTORS);
	}
	dev_cfg_write(SLOT, PTBLK_CFG_CC, 4, 0);
	assert_true(wait_for(csts, PTBLK_CSTS_RDY, 0));
	assert_int_equal(pt.requests, 2 * PTBLK_QSIZE);
	ptblk_close(&pt);
	assert_null(pt.thread);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_config_space),
		T(test_enable_disable),
		T(test_enable_fails),
		T(test_read_write_flush),
		T(test_bad_requests),
		cmocka_unit_test_setup_teardown(test_read_only, setup_ro,
						teardown),
		T(test_wrap_and_full),
		T(test_bad_doorbell),
		T(test_thread),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
