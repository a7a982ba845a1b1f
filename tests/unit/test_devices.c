/*
 * tests/unit/test_devices.c - the 16550A UART, isa-debug-exit and the port
 * map, checked against the PC16550D datasheet and QEMU's behaviour.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "devices/devices.h"
#include "core/vm.h"
#include "monitor/machine.h"
#include "tests/unit/support/devvm.h"

static void test_uart_transmits_bytes(void **state)
{
	char buf[8] = { 0 };

	(void)state;
	dev_out(COM1_BASE + UART_THR, 1, 'h');
	dev_out(COM1_BASE + UART_THR, 1, 'i');
	ns16550a_flush(&dev_vm.dev->com1); /* a pipe is block-buffered */
	assert_int_equal(read(dev_pipe[0], buf, sizeof(buf)), 2);
	assert_string_equal(buf, "hi");
	assert_int_equal(dev_vm.dev->com1.tx_bytes, 2);
}

static void test_uart_lsr_always_ready(void **state)
{
	(void)state;
	uint32_t lsr = dev_in(COM1_BASE + UART_LSR, 1);
	assert_int_equal(lsr, UART_LSR_THRE | UART_LSR_TEMT);
}

static void test_uart_divisor_latch(void **state)
{
	(void)state;
	dev_out(COM1_BASE + UART_IER, 1, 0x05);
	dev_out(COM1_BASE + UART_LCR, 1, UART_LCR_DLAB | 0x03);
	dev_out(COM1_BASE + UART_DLL, 1, 0x0c); /* 9600 baud */
	dev_out(COM1_BASE + UART_DLM, 1, 0x00);
	assert_int_equal(dev_in(COM1_BASE + UART_DLL, 1), 0x0c);
	assert_int_equal(dev_in(COM1_BASE + UART_DLM, 1), 0x00);
	dev_out(COM1_BASE + UART_LCR, 1, 0x03);
	/* With DLAB clear, offset 1 is IER again, untouched by DLM. */
	assert_int_equal(dev_in(COM1_BASE + UART_IER, 1), 0x05);
	assert_int_equal(dev_in(COM1_BASE + UART_LCR, 1), 0x03);
}

static void test_uart_scratch_and_wide_access(void **state)
{
	(void)state;
	dev_out(COM1_BASE + UART_SCR, 1, 0xa5);
	assert_int_equal(dev_in(COM1_BASE + UART_SCR, 1), 0xa5);
	/* A 16-bit read at LSR is LSR then MSR, as the ISA bus splits it. */
	uint32_t v = dev_in(COM1_BASE + UART_LSR, 2);
	assert_int_equal(v & 0xff, UART_LSR_THRE | UART_LSR_TEMT);
	assert_int_equal(v >> 8, UART_MSR_DCD | UART_MSR_DSR | UART_MSR_CTS);
}

static void test_uart_loopback(void **state)
{
	(void)state;
	dev_out(COM1_BASE + UART_MCR, 1, UART_MCR_LOOP | 0x03); /* DTR, RTS */
	dev_out(COM1_BASE + UART_THR, 1, 'x');
	assert_true(dev_in(COM1_BASE + UART_LSR, 1) & UART_LSR_DR);
	assert_int_equal(dev_in(COM1_BASE + UART_RBR, 1), 'x');
	assert_false(dev_in(COM1_BASE + UART_LSR, 1) & UART_LSR_DR);
	/* DTR feeds DSR, RTS feeds CTS. */
	assert_int_equal(dev_in(COM1_BASE + UART_MSR, 1),
			 UART_MSR_DSR | UART_MSR_CTS);
	dev_out(COM1_BASE + UART_MCR, 1, 0);
	assert_int_equal(dev_vm.dev->com1.tx_bytes, 0); /* nothing left the UART */
}

/* Receive: RBR, LSR.DR, IIR and the interrupt line, without FIFOs. */
static void test_uart_receives_a_byte(void **state)
{
	struct ns16550a *u = &dev_vm.dev->com1;

	(void)state;
	assert_int_equal(ns16550a_rx_room(u), 1); /* the RBR alone */
	ns16550a_receive(u, 'a');
	assert_int_equal(ns16550a_rx_room(u), 0);
	assert_false(ns16550a_irq(u)); /* IER.ERBFI is clear */
	assert_int_equal(dev_in(COM1_BASE + UART_IIR, 1), UART_IIR_NONE);
	dev_out(COM1_BASE + UART_IER, 1, UART_IER_RDA);
	assert_true(ns16550a_irq(u));
	assert_int_equal(dev_in(COM1_BASE + UART_IIR, 1), UART_IIR_RDA);
	assert_int_equal(dev_in(COM1_BASE + UART_LSR, 1),
			 UART_LSR_DR | UART_LSR_THRE | UART_LSR_TEMT);
	assert_int_equal(dev_in(COM1_BASE + UART_RBR, 1), 'a');
	assert_false(ns16550a_irq(u)); /* reading RBR ended it */
	assert_int_equal(dev_in(COM1_BASE + UART_LSR, 1),
			 UART_LSR_THRE | UART_LSR_TEMT);
	assert_int_equal(dev_in(COM1_BASE + UART_RBR, 1), 'a'); /* stale, as is */
}

/* Overrun without FIFOs: the new byte replaces the unread one, LSR.OE is
 * set until LSR is read, and it is the top-priority interrupt. */
static void test_uart_overrun_rbr(void **state)
{
	struct ns16550a *u = &dev_vm.dev->com1;

	(void)state;
	dev_out(COM1_BASE + UART_IER, 1,
	    UART_IER_RDA | UART_IER_THRE | UART_IER_RLS);
	ns16550a_receive(u, '1');
	ns16550a_receive(u, '2');
	assert_int_equal(dev_in(COM1_BASE + UART_IIR, 1), UART_IIR_RLS);
	assert_int_equal(dev_in(COM1_BASE + UART_LSR, 1), UART_LSR_DR |
			 UART_LSR_OE | UART_LSR_THRE | UART_LSR_TEMT);
	assert_false(dev_in(COM1_BASE + UART_LSR, 1) & UART_LSR_OE);
	/* Line status gone: received data outranks THRE. */
	assert_int_equal(dev_in(COM1_BASE + UART_IIR, 1), UART_IIR_RDA);
	assert_int_equal(dev_in(COM1_BASE + UART_RBR, 1), '2');
	assert_int_equal(dev_in(COM1_BASE + UART_IIR, 1), UART_IIR_THRE);
	assert_int_equal(dev_in(COM1_BASE + UART_IIR, 1), UART_IIR_NONE);
	/* Without IER.ELSI an overrun raises nothing, but LSR shows it. */
	dev_out(COM1_BASE + UART_IER, 1, 0);
	ns16550a_receive(u, '3');
	ns16550a_receive(u, '4');
	assert_false(ns16550a_irq(u));
	assert_true(dev_in(COM1_BASE + UART_LSR, 1) & UART_LSR_OE);
}

/* With FIFOs: 16 bytes in order, the trigger level decides between RDA
 * and character timeout, an overrun keeps the FIFO, FCR clears it. */
static void test_uart_rx_fifo(void **state)
{
	struct ns16550a *u = &dev_vm.dev->com1;

	(void)state;
	dev_out(COM1_BASE + UART_FCR, 1, UART_FCR_ENABLE | 0x40); /* level 4 */
	dev_out(COM1_BASE + UART_IER, 1, UART_IER_RDA);
	assert_int_equal(ns16550a_rx_room(u), UART_RX_FIFO);
	for (int i = 0; i < 3; i++)
		ns16550a_receive(u, (uint8_t)('a' + i));
	assert_int_equal(dev_in(COM1_BASE + UART_IIR, 1),
			 UART_IIR_FIFO | UART_IIR_CTI);
	for (int i = 3; i < UART_RX_FIFO + 1; i++) /* one too many */
		ns16550a_receive(u, (uint8_t)('a' + i));
	assert_int_equal(dev_in(COM1_BASE + UART_IIR, 1),
			 UART_IIR_FIFO | UART_IIR_RDA);
	assert_true(dev_in(COM1_BASE + UART_LSR, 1) & UART_LSR_OE);
	for (int i = 0; i < UART_RX_FIFO; i++)
		assert_int_equal(dev_in(COM1_BASE + UART_RBR, 1), 'a' + i);
	assert_false(dev_in(COM1_BASE + UART_LSR, 1) & UART_LSR_DR);
	ns16550a_receive(u, 'z');
	dev_out(COM1_BASE + UART_FCR, 1, UART_FCR_ENABLE | UART_FCR_RX_RESET);
	assert_false(dev_in(COM1_BASE + UART_LSR, 1) & UART_LSR_DR);
	assert_false(ns16550a_irq(u));
	/* Turning the FIFOs off empties them as well. */
	ns16550a_receive(u, 'y');
	dev_out(COM1_BASE + UART_FCR, 1, 0);
	assert_false(dev_in(COM1_BASE + UART_LSR, 1) & UART_LSR_DR);
	assert_int_equal(ns16550a_rx_room(u), 1);
}

static void test_uart_thre_interrupt(void **state)
{
	(void)state;
	assert_int_equal(dev_in(COM1_BASE + UART_IIR, 1), UART_IIR_NONE);
	dev_out(COM1_BASE + UART_IER, 1, UART_IER_THRE);
	assert_true(ns16550a_irq(&dev_vm.dev->com1));
	assert_int_equal(dev_in(COM1_BASE + UART_IIR, 1), UART_IIR_THRE);
	/* Reading IIR acknowledged it. */
	assert_int_equal(dev_in(COM1_BASE + UART_IIR, 1), UART_IIR_NONE);
	assert_false(ns16550a_irq(&dev_vm.dev->com1));
	dev_out(COM1_BASE + UART_FCR, 1, UART_FCR_ENABLE);
	assert_int_equal(dev_in(COM1_BASE + UART_IIR, 1),
			 UART_IIR_FIFO | UART_IIR_NONE);
}

static void test_unassigned_ports_float_high(void **state)
{
	(void)state;
	assert_int_equal(dev_in(0x2f0, 1), 0xff);
	assert_int_equal(dev_in(0x2f0, 2), 0xffff);
	assert_int_equal(dev_in(0x2f0, 4), 0xffffffff);
	dev_out(0x2f0, 4, 0x12345678); /* vanishes */
	assert_false(dev_vm.stopped);
}

static void test_debug_exit_stops_with_value(void **state)
{
	(void)state;
	assert_int_equal(dev_in(PORT_ISA_DEBUG_EXIT, 1), 0);
	assert_false(dev_vm.stopped);
	dev_out(PORT_ISA_DEBUG_EXIT, 1, 42);
	assert_true(dev_vm.stopped);
	assert_int_equal(dev_vm.exit_status, 42);
}

static void test_pic_and_pit_are_wired(void **state)
{
	(void)state;
	assert_int_equal(dev_in(PIC_MASTER_DATA, 1), 0xff); /* masked at reset */
	dev_out(PIC_MASTER_CMD, 1, ICW1_INIT | ICW1_IC4);
	dev_out(PIC_MASTER_DATA, 1, 0x20);
	dev_out(PIC_MASTER_DATA, 1, 0x04);
	dev_out(PIC_MASTER_DATA, 1, 0x01);
	dev_out(PIC_MASTER_DATA, 1, 0xfe);
	assert_int_equal(dev_in(PIC_MASTER_DATA, 1), 0xfe);
	assert_int_equal(dev_vm.dev->pic.master.vector_base, 0x20);
	dev_out(PIC_SLAVE_DATA, 1, 0x7f);
	assert_int_equal(dev_vm.dev->pic.slave.imr, 0x7f);
	dev_out(PIT_CMD, 1, PIT_RW_LOHI << 4 | PIT_MODE_RATE << 1);
	dev_out(PIT_CH0, 1, 0x9c);
	dev_out(PIT_CH0, 1, 0x2e);
	assert_int_equal(dev_vm.dev->pit.ch[0].reload, 0x2e9c);
	assert_true(dev_vm.dev->pit.ch[0].counting);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, dev_vm_setup, dev_vm_teardown)
		T(test_uart_transmits_bytes),
		T(test_uart_lsr_always_ready),
		T(test_uart_divisor_latch),
		T(test_uart_scratch_and_wide_access),
		T(test_uart_loopback),
		T(test_uart_receives_a_byte),
		T(test_uart_overrun_rbr),
		T(test_uart_rx_fifo),
		T(test_uart_thre_interrupt),
		T(test_unassigned_ports_float_high),
		T(test_debug_exit_stops_with_value),
		T(test_pic_and_pit_are_wired),
	};
	return cmocka_run_group_tests_name("devices", tests, NULL, NULL);
}
