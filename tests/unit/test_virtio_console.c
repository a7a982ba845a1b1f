/*
 * tests/unit/test_virtio_console.c - the virtio console on the virtio
 * PCI transport, as --console=virtio puts it on the bus
 * (devices_add_virtio_console, 00:02.0): what it offers and its
 * configuration, transmit chains out to COM1's host line in the
 * guest's order, the receive queue idle without input and filled with
 * it (held until the driver lends buffers), a hostile driver's loop.
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
#include "devices/virtio_console.h"
#include "tests/unit/support/devvm.h"

#define SLOT 2
#define BAR_ADDR 0xfe000000ull
#define COMMON (BAR_ADDR + VIRTIO_PCI_COMMON_OFF)
#define DEVCFG (BAR_ADDR + VIRTIO_PCI_DEVICE_OFF)
#define NOTIFY (BAR_ADDR + VIRTIO_PCI_NOTIFY_OFF)
#define QSIZE 8

/* Guest RAM (dev_vm has 2 MiB): queue q's rings at RING(q). */
#define RING(q) (0x100000ull + 0x10000ull * (q))
#define DESC 0
#define AVAIL 0x1000
#define USED 0x2000
#define DATA 0x140000

static uint16_t avail_idx[2];

static uint8_t status(void)
{
	return (uint8_t)dev_read(COMMON + VIRTIO_PCI_COMMON_STATUS, 1);
}

static int setup(void **state)
{
	char why[200];

	if (dev_vm_setup(state) ||
	    devices_add_virtio_console(&dev_vm, why, sizeof(why)) < 0)
		return -1;
	dev_cfg_write(SLOT, PCI_BASE_ADDRESS_0 + 16, 4, (uint32_t)BAR_ADDR);
	dev_cfg_write(SLOT, PCI_BASE_ADDRESS_0 + 20, 4, 0);
	dev_cfg_write(SLOT, PCI_COMMAND, 2,
		      PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	return 0;
}

/* The bring-up of 3.1.1 with VERSION_1 only, both queues, DRIVER_OK. */
static void bring_up(void)
{
	uint8_t zero[0x3000] = { 0 };

	dev_write(COMMON + VIRTIO_PCI_COMMON_STATUS, 1, 0);
	dev_write(COMMON + VIRTIO_PCI_COMMON_STATUS, 1,
		  VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	dev_write(COMMON + VIRTIO_PCI_COMMON_GFSELECT, 4, 1);
	dev_write(COMMON + VIRTIO_PCI_COMMON_GF, 4, 1); /* VERSION_1 */
	dev_write(COMMON + VIRTIO_PCI_COMMON_STATUS, 1, 0x0b);
	assert_int_equal(status(), 0x0b);
	for (unsigned q = 0; q < 2; q++) {
		dev_put(RING(q), zero, sizeof(zero));
		dev_write(COMMON + VIRTIO_PCI_COMMON_Q_SELECT, 2, q);
		dev_write(COMMON + VIRTIO_PCI_COMMON_Q_SIZE, 2, QSIZE);
		dev_write(COMMON + VIRTIO_PCI_COMMON_Q_DESC, 8, RING(q) + DESC);
		dev_write(COMMON + VIRTIO_PCI_COMMON_Q_AVAIL, 8,
			  RING(q) + AVAIL);
		dev_write(COMMON + VIRTIO_PCI_COMMON_Q_USED, 8, RING(q) + USED);
		dev_write(COMMON + VIRTIO_PCI_COMMON_Q_ENABLE, 2, 1);
		avail_idx[q] = 0;
	}
	dev_write(COMMON + VIRTIO_PCI_COMMON_STATUS, 1, 0x0f);
}

static void desc(unsigned q, unsigned i, uint64_t addr, uint32_t len,
		 uint16_t flags, uint16_t next)
{
	vq_desc(RING(q) + DESC, i, addr, len, flags, next);
}

/* Make head available on queue q, without notifying. */
static void avail(unsigned q, uint16_t head)
{
	dev_put(RING(q) + AVAIL + 4 + 2 * (avail_idx[q] % QSIZE), &head, 2);
	avail_idx[q]++;
	dev_put(RING(q) + AVAIL + 2, &avail_idx[q], 2);
}

static void kick(unsigned q)
{
	dev_write(NOTIFY + VIRTIO_PCI_NOTIFY_MULT * q, 2, 0);
}

/* What reached COM1's host line (flushed), as a string. */
static const char *host_line(void)
{
	static char buf[512];
	ssize_t n;

	ns16550a_flush(&dev_vm.dev->com1);
	n = read(dev_pipe[0], buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

/* ------------------------------------------------------------------ */

/* The card QEMU's virtio-serial-pci is, less MULTIPORT and EMERG_WRITE. */
static void test_identity_and_config(void **state)
{
	(void)state;
	assert_int_equal(dev_cfg_read(SLOT, PCI_VENDOR_ID, 4), 0x10431af4);
	assert_int_equal(dev_cfg_read(SLOT, PCI_REVISION_ID, 4) >> 8, 0x078000);
	assert_int_equal(dev_read(COMMON + VIRTIO_PCI_COMMON_NUMQ, 2), 2);
	assert_int_equal(dev_virtio_features(COMMON),
			 1ull << VIRTIO_F_VERSION_1 |
				 1ull << VIRTIO_RING_F_INDIRECT_DESC |
				 1ull << VIRTIO_RING_F_EVENT_IDX);
	assert_int_equal(dev_read(DEVCFG + 0, 2), 0); /* cols */
	assert_int_equal(dev_read(DEVCFG + 2, 2), 0); /* rows */
	assert_int_equal(dev_read(DEVCFG + 4, 4), 1); /* max_nr_ports */
	assert_int_equal(dev_read(DEVCFG + 8, 4), 0); /* emerg_wr */
	assert_int_equal(dev_read(DEVCFG + 12, 4), 0); /* past the structure */
}

/* Three chains, one of two buffers, behind one notification: the bytes
 * in ring order, used lengths 0, one notification counted. */
static void test_transmit_batch(void **state)
{
	const struct virtio_pci *vp = &dev_vm.dev->vcons->vp;

	(void)state;
	bring_up();
	dev_put(DATA, "one\ntwo", 7);
	dev_put(DATA + 0x100, " and\nthree\n", 11);
	desc(1, 0, DATA, 4, 0, 0);
	desc(1, 1, DATA + 4, 3, VIRTQ_DESC_F_NEXT, 2);
	desc(1, 2, DATA + 0x100, 5, 0, 0);
	desc(1, 3, DATA + 0x105, 6, 0, 0);
	avail(1, 0);
	avail(1, 1);
	avail(1, 3);
	kick(1);
	assert_string_equal(host_line(), "one\ntwo and\nthree\n");
	assert_int_equal(dev_get16(RING(1) + USED + 2), 3);
	assert_int_equal(dev_get16(RING(1) + USED + 4), 0);        /* id */
	assert_int_equal(dev_get16(RING(1) + USED + 8), 0);        /* len */
	assert_int_equal(dev_get16(RING(1) + USED + 12), 1);
	assert_int_equal(dev_get16(RING(1) + USED + 20), 3);
	assert_int_equal(vp->requests, 3);
	assert_int_equal(vp->notifications, 1);
	assert_int_equal(dev_vm.dev->vcons->tx_bytes, 18);
}

/* COM1's bytes and the console's reach the host in the guest's order. */
static void test_interleave_with_com1(void **state)
{
	(void)state;
	bring_up();
	dev_out(COM1_BASE + UART_THR, 1, 'A');
	dev_put(DATA, "BC", 2);
	desc(1, 0, DATA, 2, 0, 0);
	avail(1, 0);
	kick(1);
	dev_out(COM1_BASE + UART_THR, 1, 'D');
	assert_string_equal(host_line(), "ABCD");
	assert_int_equal(dev_vm.dev->com1.tx_bytes, 2);
}

/* A writable buffer in a transmit chain is left alone (QEMU's way). */
static void test_writable_left_alone(void **state)
{
	uint8_t w[4] = { 0x5a, 0x5a, 0x5a, 0x5a }, back[4];

	(void)state;
	bring_up();
	dev_put(DATA, "hi\n", 3);
	dev_put(DATA + 0x100, w, 4);
	desc(1, 0, DATA, 3, VIRTQ_DESC_F_NEXT, 1);
	desc(1, 1, DATA + 0x100, 4, VIRTQ_DESC_F_WRITE, 0);
	avail(1, 0);
	kick(1);
	assert_string_equal(host_line(), "hi\n");
	assert_int_equal(gm_read(&dev_vm.mem, DATA + 0x100, back, 4), 0);
	assert_memory_equal(back, w, 4);
	assert_int_equal(dev_get16(RING(1) + USED + 2), 1);
	assert_int_equal(status() & VIRTIO_STATUS_NEEDS_RESET, 0);
}

/* No input: a receive buffer stays available, its notification is no
 * request. */
static void test_receiveq_idle(void **state)
{
	const struct virtio_pci *vp = &dev_vm.dev->vcons->vp;

	(void)state;
	bring_up();
	desc(0, 0, DATA, 64, VIRTQ_DESC_F_WRITE, 0);
	avail(0, 0);
	kick(0);
	assert_int_equal(dev_get16(RING(0) + USED + 2), 0);
	assert_int_equal(vp->requests, 0);
	assert_int_equal(vp->notifications, 0);
	assert_int_equal(status(), 0x0f);
}

/* A transmit chain that loops: nothing out, NEEDS_RESET until a reset,
 * then the console works again. */
static void test_hostile_loop(void **state)
{
	(void)state;
	bring_up();
	dev_put(DATA, "loop\n", 5);
	desc(1, 0, DATA, 5, VIRTQ_DESC_F_NEXT, 1);
	desc(1, 1, DATA, 5, VIRTQ_DESC_F_NEXT, 0);
	avail(1, 0);
	kick(1);
	assert_true(status() & VIRTIO_STATUS_NEEDS_RESET);
	assert_int_equal(dev_read(BAR_ADDR + VIRTIO_PCI_ISR_OFF, 1),
			 VIRTIO_ISR_CONFIG | VIRTIO_ISR_QUEUE);
	assert_int_equal(dev_get16(RING(1) + USED + 2), 0);
	desc(1, 1, DATA, 5, 0, 0);
	avail(1, 0);
	kick(1); /* broken: ignored */
	assert_int_equal(dev_vm.dev->vcons->tx_bytes, 0);
	assert_int_equal(dev_vm.dev->com1.out_len, 0);
	bring_up();
	desc(1, 0, DATA, 5, 0, 0);
	avail(1, 0);
	kick(1);
	assert_string_equal(host_line(), "loop\n");
}

/* A chain of more than VIRTIO_CONSOLE_MAX_CHAIN bytes (the same RAM
 * twice): refused before a byte goes out. */
static void test_chain_too_long(void **state)
{
	(void)state;
	bring_up();
	desc(1, 0, DATA, VIRTIO_CONSOLE_MAX_CHAIN / 2 + 1, VIRTQ_DESC_F_NEXT, 1);
	desc(1, 1, DATA, VIRTIO_CONSOLE_MAX_CHAIN / 2 + 1, 0, 0);
	avail(1, 0);
	kick(1);
	assert_true(status() & VIRTIO_STATUS_NEEDS_RESET);
	assert_int_equal(dev_vm.dev->vcons->tx_bytes, 0);
	assert_int_equal(dev_vm.dev->com1.out_len, 0);
	bring_up();
	dev_vm.dev->com1.out_fd = -1; /* a MiB for nobody, not the pipe */
	desc(1, 0, DATA, VIRTIO_CONSOLE_MAX_CHAIN / 2 + 1, VIRTQ_DESC_F_NEXT, 1);
	desc(1, 1, DATA, VIRTIO_CONSOLE_MAX_CHAIN / 2 - 1, 0, 0);
	avail(1, 0);
	kick(1); /* exactly the limit: printed */
	assert_int_equal(status(), 0x0f);
	assert_int_equal(dev_vm.dev->vcons->tx_bytes, VIRTIO_CONSOLE_MAX_CHAIN);
}

static uint32_t get32(uint64_t gpa)
{
	uint32_t v;

	assert_int_equal(gm_read(&dev_vm.mem, gpa, &v, 4), 0);
	return v;
}

static void input(const char *s)
{
	virtio_console_receive(dev_vm.dev->vcons, (const uint8_t *)s,
			       strlen(s));
}

/* Input before any buffer is held; a buffer lent and notified takes it,
 * used with the count written, and the interrupt rises (INTx#, ISR). */
static void test_input_held_until_lent(void **state)
{
	struct virtio_console *c = dev_vm.dev->vcons;
	char got[8] = { 0 };

	(void)state;
	bring_up();
	input("abcdef");
	assert_int_equal(virtio_console_rx_room(c),
			 VIRTIO_CONSOLE_RX_HOLD - 6);
	assert_int_equal(dev_get16(RING(0) + USED + 2), 0);
	desc(0, 0, DATA, 4, VIRTQ_DESC_F_WRITE, 0);
	desc(0, 1, DATA + 0x100, 4, VIRTQ_DESC_F_WRITE, 0);
	avail(0, 0);
	avail(0, 1);
	kick(0);
	assert_int_equal(dev_get16(RING(0) + USED + 2), 2);
	assert_int_equal(get32(RING(0) + USED + 4), 0);      /* id */
	assert_int_equal(get32(RING(0) + USED + 8), 4);      /* len */
	assert_int_equal(get32(RING(0) + USED + 12), 1);
	assert_int_equal(get32(RING(0) + USED + 16), 2);
	assert_int_equal(gm_read(&dev_vm.mem, DATA, got, 4), 0);
	assert_int_equal(gm_read(&dev_vm.mem, DATA + 0x100, got + 4, 2), 0);
	assert_string_equal(got, "abcdef");
	assert_int_equal(virtio_console_rx_room(c), VIRTIO_CONSOLE_RX_HOLD);
	assert_int_equal(c->rx_bytes, 6);
	assert_int_equal(c->rx_buffers, 2);
	assert_int_equal(c->rx_notifications, 1);
	assert_int_equal(dev_vm.dev->vcons->vp.requests, 0); /* transmit's */
	assert_int_equal(dev_read(BAR_ADDR + VIRTIO_PCI_ISR_OFF, 1),
			 VIRTIO_ISR_QUEUE);
}

/* A buffer already lent takes input at once; no more buffers than the
 * bytes need are used; VIRTQ_AVAIL_F_NO_INTERRUPT keeps the line low. */
static void test_input_into_lent(void **state)
{
	uint16_t no_irq = VIRTQ_AVAIL_F_NO_INTERRUPT;
	char got[4] = { 0 };

	(void)state;
	bring_up();
	dev_put(RING(0) + AVAIL, &no_irq, 2);
	desc(0, 0, DATA, 16, VIRTQ_DESC_F_WRITE, 0);
	desc(0, 1, DATA + 0x100, 16, VIRTQ_DESC_F_WRITE, 0);
	avail(0, 0);
	avail(0, 1);
	kick(0);
	assert_int_equal(dev_get16(RING(0) + USED + 2), 0); /* nothing typed */
	input("xyz");
	assert_int_equal(dev_get16(RING(0) + USED + 2), 1);
	assert_int_equal(get32(RING(0) + USED + 8), 3);
	assert_int_equal(gm_read(&dev_vm.mem, DATA, got, 3), 0);
	assert_string_equal(got, "xyz");
	assert_int_equal(dev_read(BAR_ADDR + VIRTIO_PCI_ISR_OFF, 1), 0);
	input("!");
	assert_int_equal(dev_get16(RING(0) + USED + 2), 2);
	assert_int_equal(get32(RING(0) + USED + 12), 1); /* the second */
}

/* The hold is bounded: what does not fit is not taken (the monitor
 * leaves it in the host's pipe); a chain with no writable byte is used
 * with 0 and stops nothing; readable buffers are skipped. */
static void test_input_bounds(void **state)
{
	struct virtio_console *c = dev_vm.dev->vcons;
	char big[VIRTIO_CONSOLE_RX_HOLD + 11], got[2] = { 0 };

	(void)state;
	bring_up();
	memset(big, 'q', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	input(big);
	assert_int_equal(c->rx_len, VIRTIO_CONSOLE_RX_HOLD);
	assert_int_equal(virtio_console_rx_room(c), 0);
	desc(0, 0, DATA, 8, 0, 0);                         /* readable only */
	desc(0, 1, DATA + 0x200, 8, VIRTQ_DESC_F_NEXT, 2);  /* readable, */
	desc(0, 2, DATA + 0x100, 1, VIRTQ_DESC_F_WRITE, 0); /* then 1 byte */
	avail(0, 0);
	avail(0, 1);
	kick(0);
	assert_int_equal(dev_get16(RING(0) + USED + 2), 2);
	assert_int_equal(get32(RING(0) + USED + 8), 0);
	assert_int_equal(get32(RING(0) + USED + 16), 1);
	assert_int_equal(gm_read(&dev_vm.mem, DATA + 0x100, got, 1), 0);
	assert_string_equal(got, "q");
	assert_int_equal(c->rx_len, VIRTIO_CONSOLE_RX_HOLD - 1);
	assert_int_equal(status(), 0x0f);
}

/* Input survives a reset (it is the host's, not the device's), and a
 * receive chain that loops breaks the device without losing it. */
static void test_input_across_reset(void **state)
{
	struct virtio_console *c = dev_vm.dev->vcons;
	char got[3] = { 0 };

	(void)state;
	bring_up();
	input("ok");
	desc(0, 0, DATA, 4, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 0);
	avail(0, 0);
	kick(0);
	assert_true(status() & VIRTIO_STATUS_NEEDS_RESET);
	assert_int_equal(c->rx_len, 2);
	assert_false(virtio_console_rx_live(c));
	bring_up();
	assert_true(virtio_console_rx_live(c));
	desc(0, 0, DATA, 4, VIRTQ_DESC_F_WRITE, 0);
	avail(0, 0);
	virtio_console_receive(c, NULL, 0); /* lent without a notification */
	assert_int_equal(dev_get16(RING(0) + USED + 2), 1);
	assert_int_equal(gm_read(&dev_vm.mem, DATA, got, 2), 0);
	assert_string_equal(got, "ok");
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, dev_vm_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_identity_and_config),
		T(test_transmit_batch),
		T(test_interleave_with_com1),
		T(test_writable_left_alone),
		T(test_receiveq_idle),
		T(test_input_held_until_lent),
		T(test_input_into_lent),
		T(test_input_bounds),
		T(test_input_across_reset),
		T(test_hostile_loop),
		T(test_chain_too_long),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
