/*
 * tests/unit/test_pci.c - PCI configuration mechanism #1 and the i440FX
 * host bridge, through the port map (devices_io), as QEMU's `pc` answers.
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

/* Configuration read of size bytes at reg of bus:dev.fn. */
static uint32_t cfg_read(unsigned bus, unsigned dev, unsigned fn,
			 unsigned reg, unsigned size)
{
	dev_out(PCI_CONFIG_ADDRESS, 4, PCI_ADDR(bus, dev, fn, reg));
	return dev_in((uint16_t)(PCI_CONFIG_DATA + (reg & 3)), size);
}

static void test_host_bridge_ids(void **state)
{
	(void)state;
	assert_int_equal(cfg_read(0, 0, 0, PCI_VENDOR_ID, 4), 0x12378086);
	assert_int_equal(cfg_read(0, 0, 0, PCI_DEVICE_ID, 2), 0x1237);
	assert_int_equal(cfg_read(0, 0, 0, PCI_VENDOR_ID, 1), 0x86);
	assert_int_equal(cfg_read(0, 0, 0, PCI_VENDOR_ID + 1, 1), 0x80);
	/* Class code 06/00/00, revision 2: dword 0x08. */
	assert_int_equal(cfg_read(0, 0, 0, PCI_REVISION_ID, 4), 0x06000002);
	assert_int_equal(cfg_read(0, 0, 0, PCI_HEADER_TYPE, 1), 0);
	assert_int_equal(cfg_read(0, 0, 0, PCI_SUBSYSTEM_VENDOR_ID, 4),
			 0x11001af4);
}

static void test_absent_functions_read_ones(void **state)
{
	(void)state;
	assert_int_equal(cfg_read(0, 0, 1, 0, 4), 0xffffffff);
	assert_int_equal(cfg_read(0, 1, 0, 0, 4), 0xffffffff);
	assert_int_equal(cfg_read(0, 31, 7, 0, 2), 0xffff);
	assert_int_equal(cfg_read(1, 0, 0, 0, 4), 0xffffffff);
	/* A write to nobody vanishes; the bridge is untouched. */
	dev_out(PCI_CONFIG_ADDRESS, 4, PCI_ADDR(0, 3, 0, PCI_COMMAND));
	dev_out(PCI_CONFIG_DATA, 2, 0x0007);
	assert_int_equal(cfg_read(0, 0, 0, PCI_COMMAND, 2), 0);
}

static void test_enable_bit_and_address_register(void **state)
{
	(void)state;
	/* E clear: CONFIG_DATA reaches nobody. */
	dev_out(PCI_CONFIG_ADDRESS, 4, PCI_ADDR(0, 0, 0, 0) & ~PCI_CONFIG_ENABLE);
	assert_int_equal(dev_in(PCI_CONFIG_DATA, 4), 0xffffffff);
	/* CONFIG_ADDRESS reads back as written; only a dword write sets it. */
	dev_out(PCI_CONFIG_ADDRESS, 4, 0x80001234);
	assert_int_equal(dev_in(PCI_CONFIG_ADDRESS, 4), 0x80001234);
	dev_out(PCI_CONFIG_ADDRESS, 1, 0x00);
	dev_out(PCI_CONFIG_ADDRESS, 2, 0x0000);
	assert_int_equal(dev_in(PCI_CONFIG_ADDRESS, 4), 0x80001234);
	assert_int_equal(dev_in(PCI_CONFIG_ADDRESS, 2), 0x1234);
}

static void test_write_mask(void **state)
{
	(void)state;
	/* Read-only: vendor ID. */
	dev_out(PCI_CONFIG_ADDRESS, 4, PCI_ADDR(0, 0, 0, PCI_VENDOR_ID));
	dev_out(PCI_CONFIG_DATA, 4, 0);
	assert_int_equal(cfg_read(0, 0, 0, PCI_VENDOR_ID, 4), 0x12378086);
	/* Command: only the defined bits stick. */
	dev_out(PCI_CONFIG_ADDRESS, 4, PCI_ADDR(0, 0, 0, PCI_COMMAND));
	dev_out(PCI_CONFIG_DATA, 2, 0xffff);
	assert_int_equal(cfg_read(0, 0, 0, PCI_COMMAND, 2), 0x0507);
	/* Byte write through port 0xcfd reaches byte 1 of the dword at 0x3c
	 * (interrupt pin, read-only), port 0xcfc the interrupt line. */
	dev_out(PCI_CONFIG_ADDRESS, 4, PCI_ADDR(0, 0, 0, PCI_INTERRUPT_LINE));
	dev_out(PCI_CONFIG_DATA + 1, 1, 0x55);
	dev_out(PCI_CONFIG_DATA, 1, 0x0b);
	assert_int_equal(dev_in(PCI_CONFIG_DATA, 4), 0x0000000b);
	/* Device-specific space (0x40 up) is writable, e.g. PAM0 at 0x59. */
	dev_out(PCI_CONFIG_ADDRESS, 4, PCI_ADDR(0, 0, 0, 0x58));
	dev_out(PCI_CONFIG_DATA + 1, 1, 0x30);
	assert_int_equal(cfg_read(0, 0, 0, 0x59, 1), 0x30);
	dev_out(PCI_CONFIG_DATA + 2, 2, 0xbeef);
	assert_int_equal(cfg_read(0, 0, 0, 0x58, 4), 0xbeef3000);
}

static void test_unaligned_data_access_is_invalid(void **state)
{
	(void)state;
	/* As on QEMU's bus: a word at 0xcfd or a dword at 0xcfe reads 0, and
	 * its write is dropped. */
	dev_out(PCI_CONFIG_ADDRESS, 4, PCI_ADDR(0, 0, 0, 0x40));
	dev_out(PCI_CONFIG_DATA + 1, 2, 0x1122);
	dev_out(PCI_CONFIG_DATA + 2, 4, 0x33445566);
	assert_int_equal(dev_in(PCI_CONFIG_DATA, 4), 0);
	dev_out(PCI_CONFIG_ADDRESS, 4, PCI_ADDR(0, 0, 0, PCI_VENDOR_ID));
	assert_int_equal(dev_in(PCI_CONFIG_DATA + 1, 2), 0);
	assert_int_equal(dev_in(PCI_CONFIG_DATA + 3, 4), 0);
	/* Aligned ones at the top of the space reach byte 0xff. */
	dev_out(PCI_CONFIG_ADDRESS, 4, PCI_ADDR(0, 0, 0, 0xfc));
	dev_out(PCI_CONFIG_DATA + 3, 1, 0x44);
	dev_out(PCI_CONFIG_DATA + 2, 1, 0x33);
	assert_int_equal(dev_in(PCI_CONFIG_DATA + 2, 2), 0x4433);
}

static void test_latency_timer_read_only_smram_default(void **state)
{
	(void)state;
	/* Type 0 in QEMU: cache line size writable, latency timer not. */
	dev_out(PCI_CONFIG_ADDRESS, 4, PCI_ADDR(0, 0, 0, PCI_CACHE_LINE_SIZE));
	dev_out(PCI_CONFIG_DATA, 4, 0xffffffff);
	assert_int_equal(dev_in(PCI_CONFIG_DATA, 4), 0xff);
	assert_int_equal(cfg_read(0, 0, 0, I440FX_SMRAM, 1), I440FX_SMRAM_INIT);
}

/* A function added to the table answers at its address. */
static uint32_t fake_read(void *opaque, unsigned offset, unsigned size)
{
	(void)size;
	return offset == 0 ? *(uint32_t *)opaque : 0;
}

static void fake_write(void *opaque, unsigned offset, unsigned size,
		       uint32_t val)
{
	(void)offset;
	(void)size;
	*(uint32_t *)opaque = val;
}

static void test_added_function(void **state)
{
	static uint32_t ids = 0x70108086; /* PIIX3 IDE's IDs */
	struct pci_function f = { .bus = 0, .dev = 1, .fn = 1, .opaque = &ids,
				  .cfg_read = fake_read, .cfg_write = fake_write };

	(void)state;
	assert_int_equal(pci_add_function(&dev_vm.dev->pci, &f), 0);
	assert_int_equal(pci_add_function(&dev_vm.dev->pci, &f), -1); /* taken */
	assert_int_equal(cfg_read(0, 1, 1, 0, 4), 0x70108086);
	dev_out(PCI_CONFIG_DATA, 4, 0x12345678);
	assert_int_equal(ids, 0x12345678);
	assert_int_equal(cfg_read(0, 1, 0, 0, 4), 0xffffffff);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_host_bridge_ids, dev_vm_setup, dev_vm_teardown),
		cmocka_unit_test_setup_teardown(test_absent_functions_read_ones, dev_vm_setup, dev_vm_teardown),
		cmocka_unit_test_setup_teardown(test_enable_bit_and_address_register, dev_vm_setup, dev_vm_teardown),
		cmocka_unit_test_setup_teardown(test_write_mask, dev_vm_setup, dev_vm_teardown),
		cmocka_unit_test_setup_teardown(test_unaligned_data_access_is_invalid, dev_vm_setup, dev_vm_teardown),
		cmocka_unit_test_setup_teardown(test_latency_timer_read_only_smram_default, dev_vm_setup, dev_vm_teardown),
		cmocka_unit_test_setup_teardown(test_added_function, dev_vm_setup, dev_vm_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
