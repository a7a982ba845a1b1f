/*
 * tests/unit/test_fw_cfg.c - QEMU's fw_cfg I/O interface through the port
 * map: the items a small kernel reads, and the access sizes QEMU takes.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "core/vm.h"
#include "devices/devices.h"
#include "monitor/machine.h"
#include "tests/unit/support/devvm.h"


static int make_vm(const char *cmdline)
{
	struct vm_options opt = { .mem_mib = 4, .engine = "softcpu",
				  .cmdline = cmdline };

	return dev_vm_make(&opt);
}

static int setup(void **state)
{
	(void)state;
	return make_vm("console=ttyS0 quiet");
}

static int setup_no_cmdline(void **state)
{
	(void)state;
	return make_vm(NULL);
}

/* Select key and read n bytes of it into buf. */
static void item(uint16_t key, uint8_t *buf, unsigned n)
{
	dev_out(FW_CFG_PORT_SEL, 2, key);
	for (unsigned i = 0; i < n; i++)
		buf[i] = (uint8_t)dev_in(FW_CFG_PORT_DATA, 1);
}

static uint64_t item_le(uint16_t key, unsigned n)
{
	uint8_t b[8] = { 0 };
	uint64_t v = 0;

	item(key, b, n);
	for (unsigned i = 0; i < n; i++)
		v |= (uint64_t)b[i] << (8 * i);
	return v;
}

static void test_signature_and_id(void **state)
{
	uint8_t sig[6];

	(void)state;
	item(FW_CFG_SIGNATURE, sig, 6);
	assert_memory_equal(sig, "QEMU\0\0", 6); /* then 0 past the end */
	/* Traditional interface only: no DMA bit. */
	assert_int_equal(item_le(FW_CFG_ID, 4), FW_CFG_VERSION);
}

static void test_machine_items(void **state)
{
	(void)state;
	assert_int_equal(item_le(FW_CFG_RAM_SIZE, 8), 4ULL << 20);
	assert_int_equal(item_le(FW_CFG_NB_CPUS, 2), 1);
	assert_int_equal(item_le(FW_CFG_MAX_CPUS, 2), 1);
	/* An empty directory: a big-endian count of 0. */
	assert_int_equal(item_le(FW_CFG_FILE_DIR, 4), 0);
	/* An unknown key, or an arch-local one, reads 0. */
	assert_int_equal(item_le(0x0042, 4), 0);
	assert_int_equal(item_le(FW_CFG_ARCH_LOCAL | 3, 4), 0);
}

static void test_cmdline(void **state)
{
	const char *cl = "console=ttyS0 quiet";
	uint8_t buf[32];

	(void)state;
	assert_int_equal(item_le(FW_CFG_CMDLINE_SIZE, 4), strlen(cl) + 1);
	item(FW_CFG_CMDLINE_DATA, buf, (unsigned)strlen(cl) + 2);
	assert_memory_equal(buf, cl, strlen(cl) + 1);
	assert_int_equal(buf[strlen(cl) + 1], 0);
}

static void test_no_cmdline_is_empty_string(void **state)
{
	(void)state;
	assert_int_equal(item_le(FW_CFG_CMDLINE_SIZE, 4), 1);
	assert_int_equal(item_le(FW_CFG_CMDLINE_DATA, 1), 0);
}

static void test_reselect_rewinds_and_sizes(void **state)
{
	(void)state;
	dev_out(FW_CFG_PORT_SEL, 2, FW_CFG_SIGNATURE);
	assert_int_equal(dev_in(FW_CFG_PORT_DATA, 1), 'Q');
	assert_int_equal(dev_in(FW_CFG_PORT_SEL, 1), 'E'); /* QEMU: data at 0x510 too */
	/* A byte write at the selector does not select (QEMU needs 16 bits). */
	dev_out(FW_CFG_PORT_SEL, 1, FW_CFG_ID);
	assert_int_equal(dev_in(FW_CFG_PORT_DATA, 1), 'M');
	/* Wider reads are not valid: 0, and no byte is consumed. */
	assert_int_equal(dev_in(FW_CFG_PORT_DATA, 2), 0);
	assert_int_equal(dev_in(FW_CFG_PORT_DATA, 4), 0);
	assert_int_equal(dev_in(FW_CFG_PORT_DATA, 1), 'U');
	dev_out(FW_CFG_PORT_SEL, 2, FW_CFG_SIGNATURE);
	assert_int_equal(dev_in(FW_CFG_PORT_DATA, 1), 'Q');
	/* Data writes are ignored. */
	dev_out(FW_CFG_PORT_DATA, 1, 'X');
	assert_int_equal(dev_in(FW_CFG_PORT_DATA, 1), 'E');
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_signature_and_id, setup, dev_vm_teardown),
		cmocka_unit_test_setup_teardown(test_machine_items, setup, dev_vm_teardown),
		cmocka_unit_test_setup_teardown(test_cmdline, setup, dev_vm_teardown),
		cmocka_unit_test_setup_teardown(test_no_cmdline_is_empty_string, setup_no_cmdline, dev_vm_teardown),
		cmocka_unit_test_setup_teardown(test_reselect_rewinds_and_sizes, setup, dev_vm_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
