/*
 * tests/unit/test_i8042.c - the 8042 keyboard controller and its keyboard,
 * through the port map, against QEMU's replies (hw/input/pckbd.c, ps2.c).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <unistd.h>
#include <cmocka.h>

#include "core/vm.h"
#include "devices/devices.h"
#include "monitor/machine.h"

static struct vm vm;
static int pipefd[2];

static int setup(void **state)
{
	struct vm_options opt = { .mem_mib = 2, .engine = "softcpu" };
	char why[200];

	(void)state;
	if (pipe(pipefd) < 0)
		return -1;
	return vm_create(&vm, &opt, pipefd[1], why, sizeof(why));
}

static int teardown(void **state)
{
	(void)state;
	vm_destroy(&vm);
	close(pipefd[0]);
	close(pipefd[1]);
	return 0;
}

static uint8_t in(uint16_t port)
{
	uint32_t v = 0;
	devices_io(&vm, port, 1, true, &v);
	return (uint8_t)v;
}

static void out(uint16_t port, uint8_t b)
{
	uint32_t v = b;
	devices_io(&vm, port, 1, false, &v);
}

/* The next byte from the output buffer; fails if there is none. */
static uint8_t next_byte(void)
{
	assert_true(in(I8042_STATUS) & I8042_STR_OBF);
	return in(I8042_DATA);
}

static void assert_empty(void)
{
	assert_false(in(I8042_STATUS) & I8042_STR_OBF);
}

static void test_power_on_state(void **state)
{
	(void)state;
	assert_int_equal(in(I8042_STATUS), I8042_STR_CMD | I8042_STR_UNLOCKED);
	out(I8042_COMMAND, I8042_CMD_CTL_RCTR);
	assert_int_equal(next_byte(), I8042_CTR_KBDINT | I8042_CTR_AUXINT);
	assert_empty();
	out(I8042_COMMAND, I8042_CMD_READ_OUTPORT);
	assert_int_equal(next_byte(), 0xcf);
}

static void test_self_tests(void **state)
{
	(void)state;
	out(I8042_COMMAND, I8042_CMD_CTL_TEST);
	assert_int_equal(in(I8042_STATUS) & I8042_STR_SYS, I8042_STR_SYS);
	assert_int_equal(next_byte(), 0x55);
	out(I8042_COMMAND, I8042_CMD_KBD_TEST);
	assert_int_equal(next_byte(), 0x00);
	out(I8042_COMMAND, I8042_CMD_AUX_TEST);
	assert_int_equal(next_byte(), 0x00);
	out(I8042_COMMAND, 0xe0); /* read test inputs: QEMU ignores it */
	assert_empty();
	/* CMD stays set after a data write, as QEMU leaves it. */
	out(I8042_COMMAND, I8042_CMD_CTL_WCTR);
	out(I8042_DATA, I8042_CTR_KBDINT);
	assert_int_equal(in(I8042_STATUS), I8042_STR_UNLOCKED | I8042_STR_CMD |
			 I8042_STR_SYS);
	/* An empty buffer reads its last byte again. */
	assert_int_equal(in(I8042_DATA), 0x00);
}

static void test_command_byte_and_irq1(void **state)
{
	(void)state;
	out(I8042_COMMAND, I8042_CMD_CTL_WCTR);
	out(I8042_DATA, I8042_CTR_XLATE | I8042_CTR_SYS);
	out(I8042_COMMAND, I8042_CMD_CTL_RCTR);
	assert_false(i8042_irq1(&vm.dev->kbc)); /* KBDINT clear */
	assert_int_equal(next_byte(), 0x44);
	/* With KBDINT, a keyboard byte raises IRQ 1 until it is read. */
	out(I8042_COMMAND, I8042_CMD_CTL_WCTR);
	out(I8042_DATA, I8042_CTR_KBDINT);
	i8042_kbd_push(&vm.dev->kbc, 0x1c);
	assert_true(i8042_irq1(&vm.dev->kbc));
	devices_update(&vm);
	assert_true(vm.dev->pic.master.irr & (1 << IRQ_KEYBOARD));
	assert_int_equal(next_byte(), 0x1c);
	assert_false(i8042_irq1(&vm.dev->kbc));
}

static void test_keyboard_reset_and_identify(void **state)
{
	(void)state;
	out(I8042_DATA, KBD_CMD_RESET);
	assert_int_equal(next_byte(), KBD_REPLY_ACK);
	assert_int_equal(next_byte(), KBD_REPLY_POR);
	assert_empty();
	out(I8042_DATA, KBD_CMD_GET_ID); /* untranslated: 0xab 0x83 */
	assert_int_equal(next_byte(), KBD_REPLY_ACK);
	assert_int_equal(next_byte(), KBD_REPLY_ID);
	assert_int_equal(next_byte(), 0x83);
	out(I8042_COMMAND, I8042_CMD_CTL_WCTR);
	out(I8042_DATA, I8042_CTR_XLATE);
	out(I8042_DATA, KBD_CMD_GET_ID); /* translated: 0xab 0x41 */
	assert_int_equal(next_byte(), KBD_REPLY_ACK);
	assert_int_equal(next_byte(), KBD_REPLY_ID);
	assert_int_equal(next_byte(), 0x41);
	assert_empty();
}

static void test_keyboard_commands_with_parameters(void **state)
{
	(void)state;
	out(I8042_DATA, KBD_CMD_SET_LEDS);
	assert_int_equal(next_byte(), KBD_REPLY_ACK);
	out(I8042_DATA, 0x07);
	assert_int_equal(next_byte(), KBD_REPLY_ACK);
	assert_int_equal(vm.dev->kbc.kbd_leds, 7);
	out(I8042_DATA, KBD_CMD_SCANCODE);
	assert_int_equal(next_byte(), KBD_REPLY_ACK);
	out(I8042_DATA, 0); /* get: set 2 */
	assert_int_equal(next_byte(), KBD_REPLY_ACK);
	assert_int_equal(next_byte(), 2);
	out(I8042_DATA, KBD_CMD_RESET_DISABLE);
	assert_int_equal(next_byte(), KBD_REPLY_ACK);
	i8042_kbd_push(&vm.dev->kbc, 0x1c); /* not scanning: dropped */
	assert_empty();
	out(I8042_DATA, KBD_CMD_ENABLE);
	assert_int_equal(next_byte(), KBD_REPLY_ACK);
	out(I8042_DATA, KBD_CMD_ECHO);
	assert_int_equal(next_byte(), KBD_CMD_ECHO);
	out(I8042_DATA, 0x42); /* unknown */
	assert_int_equal(next_byte(), KBD_REPLY_RESEND);
	assert_empty();
}

static void test_disabled_keyboard_holds_bytes(void **state)
{
	(void)state;
	out(I8042_COMMAND, I8042_CMD_KBD_DISABLE);
	i8042_kbd_push(&vm.dev->kbc, 0x1e);
	assert_empty();
	/* A controller reply still gets through. */
	out(I8042_COMMAND, I8042_CMD_CTL_RCTR);
	assert_int_equal(next_byte(), I8042_CTR_KBDINT | I8042_CTR_AUXINT |
			 I8042_CTR_KBDDIS);
	assert_empty();
	out(I8042_COMMAND, I8042_CMD_KBD_ENABLE);
	assert_int_equal(next_byte(), 0x1e);
}

static void test_aux_loopback_and_write_obuf(void **state)
{
	(void)state;
	out(I8042_COMMAND, I8042_CMD_WRITE_AUX_OBUF);
	out(I8042_DATA, 0x5a);
	assert_int_equal(in(I8042_STATUS) & (I8042_STR_OBF | I8042_STR_AUXDATA),
			 I8042_STR_OBF | I8042_STR_AUXDATA);
	assert_true(i8042_irq12(&vm.dev->kbc));
	assert_false(i8042_irq1(&vm.dev->kbc));
	assert_int_equal(in(I8042_DATA), 0x5a);
	out(I8042_COMMAND, I8042_CMD_WRITE_OBUF);
	out(I8042_DATA, 0x9c);
	assert_false(in(I8042_STATUS) & I8042_STR_AUXDATA);
	assert_int_equal(next_byte(), 0x9c);
}

static void test_reset_pulse_ends_vm(void **state)
{
	(void)state;
	out(I8042_COMMAND, 0xff); /* pulse nothing: a no-op */
	assert_false(vm.stopped);
	vm.exit_status = 7;
	out(I8042_COMMAND, 0xfe);
	assert_true(vm.stopped);
	assert_int_equal(vm.exit_status, 0);
}

static void test_outport_reset_bit_ends_vm(void **state)
{
	(void)state;
	out(I8042_COMMAND, I8042_CMD_WRITE_OUTPORT);
	out(I8042_DATA, 0x03);
	assert_false(vm.stopped);
	out(I8042_COMMAND, I8042_CMD_WRITE_OUTPORT);
	out(I8042_DATA, 0x02);
	assert_true(vm.stopped);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_power_on_state, setup, teardown),
		cmocka_unit_test_setup_teardown(test_self_tests, setup, teardown),
		cmocka_unit_test_setup_teardown(test_command_byte_and_irq1, setup, teardown),
		cmocka_unit_test_setup_teardown(test_keyboard_reset_and_identify, setup, teardown),
		cmocka_unit_test_setup_teardown(test_keyboard_commands_with_parameters, setup, teardown),
		cmocka_unit_test_setup_teardown(test_disabled_keyboard_holds_bytes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_aux_loopback_and_write_obuf, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reset_pulse_ends_vm, setup, teardown),
		cmocka_unit_test_setup_teardown(test_outport_reset_bit_ends_vm, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
