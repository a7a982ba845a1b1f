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
	assert_int_equal(cfg_read(0, 1, 2, 0, 4), 0xffffffff);
	assert_int_equal(cfg_read(0, 4, 0, 0, 4), 0xffffffff);
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
	struct pci_function f = { .bus = 0, .dev = 5, .fn = 1, .opaque = &ids,
				  .cfg_read = fake_read, .cfg_write = fake_write };

	(void)state;
	assert_int_equal(pci_add_function(&dev_vm.dev->pci, &f), 0);
	assert_int_equal(pci_add_function(&dev_vm.dev->pci, &f), -1); /* taken */
	assert_int_equal(cfg_read(0, 5, 1, 0, 4), 0x70108086);
	dev_out(PCI_CONFIG_DATA, 4, 0x12345678);
	assert_int_equal(ids, 0x12345678);
	assert_int_equal(cfg_read(0, 5, 2, 0, 4), 0xffffffff);
}

/* ------------------------------------------------------------------
 * Cards with BARs, as a guest's PCI code finds and places them.
 */
struct card {
	struct pci_device pci;
	uint8_t mem[2][0x4000]; /* what BAR 0 and BAR 2 hold */
	unsigned last_bar;
	uint64_t last_off;
};

static uint64_t card_read(void *opaque, unsigned bar, uint64_t off,
			  unsigned size)
{
	struct card *c = opaque;
	uint64_t v = 0;

	c->last_bar = bar;
	c->last_off = off;
	for (unsigned i = 0; i < size && off + i < sizeof(c->mem[0]); i++)
		v |= (uint64_t)c->mem[bar / 2][off + i] << (8 * i);
	return v;
}

static void card_write(void *opaque, unsigned bar, uint64_t off,
		       unsigned size, uint64_t val)
{
	struct card *c = opaque;

	c->last_bar = bar;
	c->last_off = off;
	for (unsigned i = 0; i < size && off + i < sizeof(c->mem[0]); i++)
		c->mem[bar / 2][off + i] = (uint8_t)(val >> (8 * i));
}

static struct card card;

/* A card at 00:dev.0: BAR 0 32-bit 4 KiB, BAR 2-3 64-bit prefetchable
 * 16 KiB, INTA#, a vendor capability of 8 bytes and one of 16. */
static void card_setup(uint8_t dev)
{
	pci_device_init(&card.pci, dev, 0x1af4, 0x1042, 1, 0x010000, 1);
	pci_device_add_bar(&card.pci, 0, 0x1000, false, false);
	pci_device_add_bar(&card.pci, 2, 0x4000, true, true);
	assert_int_equal(pci_device_add_cap(&card.pci, PCI_CAP_ID_VNDR, 8),
			 0x40);
	assert_int_equal(pci_device_add_cap(&card.pci, PCI_CAP_ID_VNDR, 16),
			 0x48);
	card.pci.opaque = &card;
	card.pci.bar_read = card_read;
	card.pci.bar_write = card_write;
	assert_int_equal(pci_device_register(&dev_vm.dev->pci, &card.pci), 0);
}

static void cfg_write(unsigned dev, unsigned reg, unsigned size, uint32_t v)
{
	dev_out(PCI_CONFIG_ADDRESS, 4, PCI_ADDR(0, dev, 0, reg));
	dev_out((uint16_t)(PCI_CONFIG_DATA + (reg & 3)), size, v);
}

static uint64_t mmio(uint64_t gpa, unsigned size, bool write, uint64_t v)
{
	devices_mmio(&dev_vm, gpa, size, write, &v);
	return v;
}

static void test_card_ids_and_bar_sizing(void **state)
{
	(void)state;
	card_setup(4);
	assert_int_equal(cfg_read(0, 4, 0, PCI_VENDOR_ID, 4), 0x10421af4);
	assert_int_equal(cfg_read(0, 4, 0, PCI_REVISION_ID, 4), 0x01000001);
	/* Sizing BAR 0: write all ones, read the mask back, restore. */
	assert_int_equal(cfg_read(0, 4, 0, PCI_BASE_ADDRESS_0, 4), 0);
	cfg_write(4, PCI_BASE_ADDRESS_0, 4, 0xffffffff);
	assert_int_equal(cfg_read(0, 4, 0, PCI_BASE_ADDRESS_0, 4), 0xfffff000);
	/* BAR 1 is not implemented: it stays 0. */
	cfg_write(4, PCI_BASE_ADDRESS_0 + 4, 4, 0xffffffff);
	assert_int_equal(cfg_read(0, 4, 0, PCI_BASE_ADDRESS_0 + 4, 4), 0);
	/* BAR 2: 64-bit prefetchable, 16 KiB; its upper half all address. */
	assert_int_equal(cfg_read(0, 4, 0, PCI_BASE_ADDRESS_0 + 8, 4), 0xc);
	cfg_write(4, PCI_BASE_ADDRESS_0 + 8, 4, 0xffffffff);
	cfg_write(4, PCI_BASE_ADDRESS_0 + 12, 4, 0xffffffff);
	assert_int_equal(cfg_read(0, 4, 0, PCI_BASE_ADDRESS_0 + 8, 4),
			 0xffffc00c);
	assert_int_equal(cfg_read(0, 4, 0, PCI_BASE_ADDRESS_0 + 12, 4),
			 0xffffffff);
	/* The header's read-only registers stay. */
	cfg_write(4, PCI_VENDOR_ID, 4, 0);
	assert_int_equal(cfg_read(0, 4, 0, PCI_VENDOR_ID, 4), 0x10421af4);
	/* Taken: a second card at 00:04.0. */
	assert_int_equal(pci_device_register(&dev_vm.dev->pci, &card.pci), -1);
}

static void test_card_capability_list(void **state)
{
	(void)state;
	card_setup(5);
	assert_true(cfg_read(0, 5, 0, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST);
	/* Newest first, as QEMU links them: 0x48, then 0x40. */
	assert_int_equal(cfg_read(0, 5, 0, PCI_CAPABILITY_LIST, 1), 0x48);
	assert_int_equal(cfg_read(0, 5, 0, 0x48, 2), 0x4009);
	assert_int_equal(cfg_read(0, 5, 0, 0x40, 2), 0x0009);
	/* The list and the capabilities are read-only to the guest. */
	cfg_write(5, PCI_CAPABILITY_LIST, 1, 0x80);
	cfg_write(5, 0x48, 4, 0);
	assert_int_equal(cfg_read(0, 5, 0, PCI_CAPABILITY_LIST, 1), 0x48);
	assert_int_equal(cfg_read(0, 5, 0, 0x48, 2), 0x4009);
	/* Past the capabilities the space is plain writable bytes. */
	cfg_write(5, 0x80, 4, 0xdeadbeef);
	assert_int_equal(cfg_read(0, 5, 0, 0x80, 4), 0xdeadbeef);
	/* A card without capabilities has status bit 4 clear. */
	struct pci_device plain;
	pci_device_init(&plain, 6, 0x1234, 0x5678, 0, 0xff0000, 0);
	assert_int_equal(pci_device_register(&dev_vm.dev->pci, &plain), 0);
	assert_int_equal(cfg_read(0, 6, 0, PCI_STATUS, 2), 0);
	assert_int_equal(cfg_read(0, 6, 0, PCI_CAPABILITY_LIST, 1), 0);
}

/* A capability that does not fit in the 256 bytes is refused. */
static void test_card_capability_space_full(void **state)
{
	struct pci_device d;

	(void)state;
	pci_device_init(&d, 7, 0x1234, 0x5678, 0, 0, 0);
	assert_int_equal(pci_device_add_cap(&d, PCI_CAP_ID_VNDR, 0xb0), 0x40);
	/* 0xf0 + 0x20 passes the end of the space. */
	assert_int_equal(pci_device_add_cap(&d, PCI_CAP_ID_VNDR, 0x20), 0);
	assert_int_equal(pci_device_add_cap(&d, PCI_CAP_ID_VNDR, 0x10), 0xf0);
	assert_int_equal(pci_device_add_cap(&d, PCI_CAP_ID_VNDR, 4), 0);
	assert_int_equal(pci_device_add_cap(&d, PCI_CAP_ID_VNDR, 1), 0);
}

static void test_card_bar_decodes_when_enabled(void **state)
{
	(void)state;
	card_setup(3);
	card.mem[0][0x10] = 0x5a;
	cfg_write(3, PCI_BASE_ADDRESS_0, 4, 0xfebf0000);
	/* Memory Space off: nothing answers. */
	assert_int_equal(mmio(0xfebf0010, 1, false, 0), 0xff);
	cfg_write(3, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	assert_int_equal(mmio(0xfebf0010, 1, false, 0), 0x5a);
	mmio(0xfebf0ffc, 4, true, 0x11223344);
	assert_int_equal(card.last_bar, 0);
	assert_int_equal(card.last_off, 0xffc);
	assert_int_equal(mmio(0xfebf0ffc, 4, false, 0), 0x11223344);
	/* One past the BAR's end is not the card's. */
	assert_int_equal(mmio(0xfebf1000, 4, false, 0), 0xffffffff);
	/* Moving the BAR moves the decode. */
	cfg_write(3, PCI_BASE_ADDRESS_0, 4, 0xfeb00000);
	assert_int_equal(mmio(0xfebf0010, 1, false, 0), 0xff);
	assert_int_equal(mmio(0xfeb00ffc, 4, false, 0), 0x11223344);
	/* The 64-bit BAR above 4 GiB. */
	card.mem[1][0x3ff8] = 0x77;
	cfg_write(3, PCI_BASE_ADDRESS_0 + 8, 4, 0x00004000);
	cfg_write(3, PCI_BASE_ADDRESS_0 + 12, 4, 0x1);
	assert_int_equal(mmio(0x100007ff8ULL, 8, false, 0), 0x77);
	assert_int_equal(card.last_bar, 2);
	assert_int_equal(card.last_off, 0x3ff8);
	/* The sizing pattern maps nothing (its end is past 4 GiB). */
	cfg_write(3, PCI_BASE_ADDRESS_0, 4, 0xffffffff);
	assert_int_equal(pci_bar_address(&card.pci, 0), 0);
	assert_int_equal(mmio(0xfffff000, 4, false, 0), 0xffffffff);
	/* Address 0 maps nothing either. */
	cfg_write(3, PCI_BASE_ADDRESS_0, 4, 0);
	assert_int_equal(pci_bar_address(&card.pci, 0), 0);
	/* The chips win over a BAR placed on them. */
	cfg_write(3, PCI_BASE_ADDRESS_0, 4, IOAPIC_BASE);
	mmio(IOAPIC_BASE, 4, true, 1); /* IOREGSEL = 1: the version */
	assert_int_equal(mmio(IOAPIC_BASE + 0x10, 4, false, 0) & 0xff, 0x20);
	assert_int_equal(card.mem[0][0], 0);
}

/* INTA# of the card in slot dev reaches PIRQ (dev - 1) mod 4, routed to
 * 10, 10, 11, 11: the level shows on the slave PIC's line and the
 * IOAPIC's pin. */
static bool irq_line(unsigned irq)
{
	return (dev_vm.dev->pic.slave.lines >> (irq - 8) & 1) &&
	       (dev_vm.dev->ioapic.lines >> irq & 1);
}

static void test_card_intx_routing(void **state)
{
	static const struct { uint8_t dev; unsigned pirq, irq; } slots[] = {
		{ 1, 0, 10 }, { 2, 1, 10 }, { 3, 2, 11 }, { 4, 3, 11 },
		{ 5, 0, 10 }, { 31, 2, 11 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(slots) / sizeof(slots[0]); i++) {
		card.pci.dev = slots[i].dev;
		card.pci.config.cfg[PCI_INTERRUPT_PIN] = 1;
		assert_int_equal(pci_device_pirq(&card.pci), slots[i].pirq);
	}
	card_setup(3);
	assert_false(irq_line(11));
	pci_set_intx(&card.pci, true);
	assert_true(irq_line(11));
	assert_false(irq_line(10));
	assert_true(cfg_read(0, 3, 0, PCI_STATUS, 2) & PCI_STATUS_INTERRUPT);
	/* Interrupt Disable: the pin no longer reaches the line, the status
	 * bit still shows it. */
	cfg_write(3, PCI_COMMAND, 2, PCI_COMMAND_INTX_DISABLE);
	assert_false(irq_line(11));
	assert_true(cfg_read(0, 3, 0, PCI_STATUS, 2) & PCI_STATUS_INTERRUPT);
	cfg_write(3, PCI_COMMAND, 2, 0);
	assert_true(irq_line(11));
	pci_set_intx(&card.pci, false);
	assert_false(irq_line(11));
	assert_false(cfg_read(0, 3, 0, PCI_STATUS, 2) & PCI_STATUS_INTERRUPT);
}

/* Two cards share IRQ 11 (slots 3 and 4): it is high while either is. */
static void test_card_intx_shared(void **state)
{
	struct pci_device other;

	(void)state;
	card_setup(3);
	pci_device_init(&other, 4, 0x1234, 0x5678, 0, 0, 1);
	assert_int_equal(pci_device_register(&dev_vm.dev->pci, &other), 0);
	pci_set_intx(&card.pci, true);
	pci_set_intx(&other, true);
	pci_set_intx(&card.pci, false);
	assert_true(irq_line(11));
	pci_set_intx(&other, false);
	assert_false(irq_line(11));
	/* The PIC saw one rising edge: IRQ 11 requested. */
	assert_true(dev_vm.dev->pic.slave.irr & (1 << 3));
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
		cmocka_unit_test_setup_teardown(test_card_ids_and_bar_sizing, dev_vm_setup, dev_vm_teardown),
		cmocka_unit_test_setup_teardown(test_card_capability_list, dev_vm_setup, dev_vm_teardown),
		cmocka_unit_test(test_card_capability_space_full),
		cmocka_unit_test_setup_teardown(test_card_bar_decodes_when_enabled, dev_vm_setup, dev_vm_teardown),
		cmocka_unit_test_setup_teardown(test_card_intx_routing, dev_vm_setup, dev_vm_teardown),
		cmocka_unit_test_setup_teardown(test_card_intx_shared, dev_vm_setup, dev_vm_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
