/*
 * tests/unit/test_vga.c - the VGA's CRT controller through the port map:
 * the cursor registers read back what was written, as a console driver
 * (xv6's cgaputc) needs, and an index past the register file reads 0xff.
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

static uint8_t crtc_read(uint8_t reg)
{
	dev_out(VGA_CRTC_INDEX, 1, reg);
	return (uint8_t)dev_in(VGA_CRTC_DATA, 1);
}

static void crtc_write(uint8_t reg, uint8_t val)
{
	dev_out(VGA_CRTC_INDEX, 1, reg);
	dev_out(VGA_CRTC_DATA, 1, val);
}

static void test_cursor_starts_at_top_left(void **state)
{
	(void)state;
	assert_int_equal(crtc_read(VGA_CRTC_CURSOR_HI), 0);
	assert_int_equal(crtc_read(VGA_CRTC_CURSOR_LO), 0);
}

/* xv6's cgaputc: write the location as two bytes, read it back. */
static void test_cursor_location_reads_back(void **state)
{
	unsigned pos = 24 * 80 + 79;

	(void)state;
	crtc_write(VGA_CRTC_CURSOR_HI, (uint8_t)(pos >> 8));
	crtc_write(VGA_CRTC_CURSOR_LO, (uint8_t)pos);
	assert_int_equal((crtc_read(VGA_CRTC_CURSOR_HI) << 8) |
			 crtc_read(VGA_CRTC_CURSOR_LO), pos);
	/* The index port reads back the index last selected. */
	assert_int_equal(dev_in(VGA_CRTC_INDEX, 1), VGA_CRTC_CURSOR_LO);
}

static void test_index_past_registers(void **state)
{
	(void)state;
	crtc_write(VGA_CRTC_NREGS, 0x12); /* dropped */
	assert_int_equal(crtc_read(VGA_CRTC_NREGS), 0xff);
	assert_int_equal(crtc_read(0xff), 0xff);
	assert_int_equal(crtc_read(VGA_CRTC_CURSOR_LO), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_cursor_starts_at_top_left, dev_vm_setup, dev_vm_teardown),
		cmocka_unit_test_setup_teardown(test_cursor_location_reads_back, dev_vm_setup, dev_vm_teardown),
		cmocka_unit_test_setup_teardown(test_index_past_registers, dev_vm_setup, dev_vm_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
