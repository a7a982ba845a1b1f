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
#include "tests/unit/support/devvm.h"

/* The 8042 is byte-wide: every access here is one byte. */
static uint8_t in(uint16_t port)
{
	return (uint8_t)dev_in(port, 1);
}

static void out(uint16_t port, uint8_t b)
{
	dev_out(port, 1, b);
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
	/* After the BIOS's POST: its self test set the system flag. */
	assert_int_equal(in(I8042_STATUS),
			 I8042_STR_CMD | I8042_STR_UNLOCKED | I8042_STR_SYS);
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
	assert_false(i8042_irq1(&dev_vm.dev->kbc)); /* KBDINT clear */
	assert_int_equal(next_byte(), 0x44);
	/* With KBDINT, a keyboard byte raises IRQ 1 until it is read. */
	out(I8042_COMMAND, I8042_CMD_CTL_WCTR);
	out(I8042_DATA, I8042_CTR_KBDINT);
	i8042_kbd_push(&dev_vm.dev->kbc, 0x1c);
	assert_true(i8042_irq1(&dev_vm.dev->kbc));
	devices_update(&dev_vm);
	assert_true(dev_vm.dev->pic.master.irr & (1 << IRQ_KEYBOARD));
	assert_int_equal(next_byte(), 0x1c);
	assert_false(i8042_irq1(&dev_vm.dev->kbc));
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
	assert_int_equal(dev_vm.dev->kbc.kbd_leds, 7);
	out(I8042_DATA, KBD_CMD_SCANCODE);
	assert_int_equal(next_byte(), KBD_REPLY_ACK);
	out(I8042_DATA, 0); /* get: set 2 */
	assert_int_equal(next_byte(), KBD_REPLY_ACK);
	assert_int_equal(next_byte(), 2);
	out(I8042_DATA, KBD_CMD_RESET_DISABLE);
	assert_int_equal(next_byte(), KBD_REPLY_ACK);
	i8042_kbd_push(&dev_vm.dev->kbc, 0x1c); /* not scanning: dropped */
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
	i8042_kbd_push(&dev_vm.dev->kbc, 0x1e);
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
	assert_true(i8042_irq12(&dev_vm.dev->kbc));
	assert_false(i8042_irq1(&dev_vm.dev->kbc));
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
	assert_false(dev_vm.stopped);
	dev_vm.exit_status = 7;
	out(I8042_COMMAND, 0xfe);
	assert_true(dev_vm.stopped);
	assert_int_equal(dev_vm.exit_status, 0);
}

static void test_outport_reset_bit_ends_vm(void **state)
{
	(void)state;
	out(I8042_COMMAND, I8042_CMD_WRITE_OUTPORT);
	out(I8042_DATA, 0x03);
	assert_false(dev_vm.stopped);
	out(I8042_COMMAND, I8042_CMD_WRITE_OUTPORT);
	out(I8042_DATA, 0x02);
	assert_true(dev_vm.stopped);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_power_on_state, dev_vm_setup, dev_vm_teardown),
		cmocka_unit_test_setup_teardown(test_self_tests, dev_vm_setup, dev_vm_teardown),
		cmocka_unit_test_setup_teardown(test_command_byte_and_irq1, dev_vm_setup, dev_vm_teardown),
		cmocka_unit_test_setup_teardown(test_keyboard_reset_and_identify, dev_vm_setup, dev_vm_teardown),
		cmocka_unit_test_setup_teardown(test_keyboard_commands_with_parameters, dev_vm_setup, dev_vm_teardown),
		cmocka_unit_test_setup_teardown(test_disabled_keyboard_holds_bytes, dev_vm_setup, dev_vm_teardown),
		cmocka_unit_test_setup_teardown(test_aux_loopback_and_write_obuf, dev_vm_setup, dev_vm_teardown),
		cmocka_unit_test_setup_teardown(test_reset_pulse_ends_vm, dev_vm_setup, dev_vm_teardown),
		cmocka_unit_test_setup_teardown(test_outport_reset_bit_ends_vm, dev_vm_setup, dev_vm_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
