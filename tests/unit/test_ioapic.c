/*
 * tests/unit/test_ioapic.c - the I/O APIC on its own, with a local APIC
 * and an 8259A pair to deliver to: the register window, edge and level
 * routing with remote IRR and EOI, destinations and delivery modes,
 * checked against the 82093AA datasheet and QEMU's hw/intc/ioapic.c.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "devices/ioapic.h"

static struct lapic lapic;
static struct i8259_pair pic;
static struct ioapic io;

static int setup(void **state)
{
	(void)state;
	lapic_init(&lapic);
	assert_true(lapic_write(&lapic, LAPIC_SVR, LAPIC_SVR_ENABLE | 0xff,
				false, 0));
	i8259_init(&pic);
	ioapic_init(&io, &lapic, &pic);
	return 0;
}

static uint32_t reg_read(uint8_t reg)
{
	ioapic_write(&io, IOAPIC_IOREGSEL, 4, reg);
	return ioapic_read(&io, IOAPIC_IOWIN, 4);
}

static void reg_write(uint8_t reg, uint32_t v)
{
	ioapic_write(&io, IOAPIC_IOREGSEL, 4, reg);
	ioapic_write(&io, IOAPIC_IOWIN, 4, v);
}

static void entry(unsigned pin, uint64_t e)
{
	reg_write((uint8_t)(IOAPIC_REG_REDTBL + 2 * pin + 1),
		  (uint32_t)(e >> 32));
	reg_write((uint8_t)(IOAPIC_REG_REDTBL + 2 * pin), (uint32_t)e);
}

static uint64_t entry_of(unsigned pin)
{
	return reg_read((uint8_t)(IOAPIC_REG_REDTBL + 2 * pin)) |
	       (uint64_t)reg_read((uint8_t)(IOAPIC_REG_REDTBL + 2 * pin + 1))
	       << 32;
}

/* The CPU takes the interrupt and ends it. */
static int take(void)
{
	int v = lapic_pending(&lapic);

	if (v >= 0) {
		assert_int_equal(lapic_acknowledge(&lapic), v);
		assert_true(lapic_write(&lapic, LAPIC_EOI, 0, false, 0));
		if (lapic.eoi_level_vector >= 0) {
			ioapic_eoi(&io, (uint8_t)lapic.eoi_level_vector);
			lapic.eoi_level_vector = -1;
		}
	}
	return v;
}

static void test_registers(void **state)
{
	(void)state;
	assert_int_equal(reg_read(IOAPIC_REG_ID), IOAPIC_ID << 24);
	assert_int_equal(reg_read(IOAPIC_REG_VER), 0x170020);
	for (unsigned pin = 0; pin < IOAPIC_PINS; pin++)
		assert_int_equal(entry_of(pin), IOAPIC_RTE_MASKED);
	assert_int_equal(reg_read(0x10 + 2 * IOAPIC_PINS), 0); /* absent */
	assert_int_equal(ioapic_read(&io, IOAPIC_IOREGSEL, 4), 0x40);
	reg_write(IOAPIC_REG_ID, 0x0f000000);
	assert_int_equal(reg_read(IOAPIC_REG_ID), 0x0f000000);
	assert_int_equal(reg_read(IOAPIC_REG_ARB), 0x0f000000);
	reg_write(IOAPIC_REG_VER, 0); /* read only */
	assert_int_equal(reg_read(IOAPIC_REG_VER), 0x170020);
	/* An entry reads back; remote IRR and delivery status are the
	 * chip's, reserved bits are 0. */
	entry(5, 0xab00000000000000ULL | 0xffffffffULL);
	assert_int_equal(entry_of(5), 0xab00000000000000ULL | 0x1afff);
	/* The window answers dwords only; the block repeats every 256
	 * bytes of the page. */
	ioapic_write(&io, IOAPIC_IOREGSEL, 4, IOAPIC_REG_VER);
	assert_int_equal(ioapic_read(&io, IOAPIC_IOWIN, 2), 0);
	assert_int_equal(ioapic_read(&io, 0x110, 4), 0x170020);
}

static void test_isa_pins(void **state)
{
	(void)state;
	assert_int_equal(ioapic_isa_pin(0), 2);
	assert_int_equal(ioapic_isa_pin(1), 1);
	assert_int_equal(ioapic_isa_pin(4), 4);
	assert_int_equal(ioapic_isa_pin(14), 14);
}

static void test_edge(void **state)
{
	(void)state;
	entry(2, 0x30);
	ioapic_set_pin(&io, 2, true);
	assert_int_equal(take(), 0x30);
	ioapic_set_pin(&io, 2, true); /* still high: no new edge */
	assert_int_equal(take(), -1);
	ioapic_set_pin(&io, 2, false);
	ioapic_set_pin(&io, 2, true);
	assert_int_equal(take(), 0x30);
	/* A masked edge is lost, not held (82093AA). */
	entry(2, 0x30 | IOAPIC_RTE_MASKED);
	ioapic_set_pin(&io, 2, false);
	ioapic_set_pin(&io, 2, true);
	entry(2, 0x30);
	assert_int_equal(take(), -1);
	/* No remote IRR for an edge entry. */
	assert_false(entry_of(2) & IOAPIC_RTE_REMOTE_IRR);
}

static void test_level_remote_irr(void **state)
{
	(void)state;
	entry(9, 0x39 | IOAPIC_RTE_LEVEL);
	ioapic_set_pin(&io, 9, true);
	assert_true(entry_of(9) & IOAPIC_RTE_REMOTE_IRR);
	assert_int_equal(lapic_acknowledge(&lapic), 0x39);
	/* Not sent again before the EOI, however the line moves. */
	ioapic_set_pin(&io, 9, false);
	ioapic_set_pin(&io, 9, true);
	assert_int_equal(lapic_pending(&lapic), -1);
	/* EOI with the line still high: sent again. */
	assert_true(lapic_write(&lapic, LAPIC_EOI, 0, false, 0));
	assert_int_equal(lapic.eoi_level_vector, 0x39);
	lapic.eoi_level_vector = -1;
	ioapic_eoi(&io, 0x39);
	assert_true(entry_of(9) & IOAPIC_RTE_REMOTE_IRR);
	assert_int_equal(lapic_pending(&lapic), 0x39);
	/* The device lowers the line, the handler ends: quiet. */
	assert_int_equal(lapic_acknowledge(&lapic), 0x39);
	ioapic_set_pin(&io, 9, false);
	assert_true(lapic_write(&lapic, LAPIC_EOI, 0, false, 0));
	ioapic_eoi(&io, (uint8_t)lapic.eoi_level_vector);
	assert_false(entry_of(9) & IOAPIC_RTE_REMOTE_IRR);
	assert_int_equal(lapic_pending(&lapic), -1);
	/* An EOI of another vector leaves remote IRR alone. */
	ioapic_set_pin(&io, 9, true);
	ioapic_eoi(&io, 0x38);
	assert_true(entry_of(9) & IOAPIC_RTE_REMOTE_IRR);
	/* Version 0x20's EOI register does what the broadcast does. */
	ioapic_set_pin(&io, 9, false);
	ioapic_write(&io, IOAPIC_EOI, 4, 0x39);
	assert_false(entry_of(9) & IOAPIC_RTE_REMOTE_IRR);
}

static void test_level_masked_waits(void **state)
{
	(void)state;
	entry(10, 0x3a | IOAPIC_RTE_LEVEL | IOAPIC_RTE_MASKED);
	ioapic_set_pin(&io, 10, true);
	assert_int_equal(take(), -1);
	entry(10, 0x3a | IOAPIC_RTE_LEVEL); /* unmasked: goes out now */
	assert_int_equal(lapic_pending(&lapic), 0x3a);
	/* Switched to edge: remote IRR cleared (Linux relies on it). */
	assert_true(entry_of(10) & IOAPIC_RTE_REMOTE_IRR);
	entry(10, 0x3a | IOAPIC_RTE_MASKED);
	assert_false(entry_of(10) & IOAPIC_RTE_REMOTE_IRR);
}

static void test_destinations(void **state)
{
	(void)state;
	entry(3, 1ULL << IOAPIC_RTE_DEST_SHIFT | 0x43); /* APIC 1: nobody */
	ioapic_set_pin(&io, 3, true);
	assert_int_equal(take(), -1);
	ioapic_set_pin(&io, 3, false);
	entry(3, 0xffULL << IOAPIC_RTE_DEST_SHIFT | 0x43); /* broadcast */
	ioapic_set_pin(&io, 3, true);
	assert_int_equal(take(), 0x43);
	ioapic_set_pin(&io, 3, false);
	/* Logical, flat: LDR bit 0 set. */
	assert_true(lapic_write(&lapic, LAPIC_LDR, 0x01000000, false, 0));
	entry(3, 0x01ULL << IOAPIC_RTE_DEST_SHIFT | IOAPIC_RTE_LOGICAL |
		 1u << IOAPIC_RTE_DM_SHIFT | 0x44); /* lowest priority */
	ioapic_set_pin(&io, 3, true);
	assert_int_equal(take(), 0x44);
	ioapic_set_pin(&io, 3, false);
	entry(3, 0x02ULL << IOAPIC_RTE_DEST_SHIFT | IOAPIC_RTE_LOGICAL | 0x44);
	ioapic_set_pin(&io, 3, true);
	assert_int_equal(take(), -1);
}

static void test_nmi_and_extint(void **state)
{
	(void)state;
	entry(7, 4u << IOAPIC_RTE_DM_SHIFT);
	ioapic_set_pin(&io, 7, true);
	assert_int_equal(lapic.nmis, 1);
	assert_int_equal(take(), -1);
	/* ExtINT: the 8259A's vector, acknowledged there. */
	i8259_write(&pic, PIC_MASTER_CMD, ICW1_INIT | ICW1_SNGL | ICW1_IC4);
	i8259_write(&pic, PIC_MASTER_DATA, 0x20);
	i8259_write(&pic, PIC_MASTER_DATA, 0x01);
	i8259_write(&pic, PIC_MASTER_DATA, 0xfe);
	i8259_set_irq(&pic, 0, true);
	entry(0, 7u << IOAPIC_RTE_DM_SHIFT);
	ioapic_set_pin(&io, 0, true);
	assert_int_equal(take(), 0x20);
	assert_false(i8259_pending(&pic));
	assert_int_equal(pic.master.isr, 1);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup(f, setup)
	const struct CMUnitTest tests[] = {
		T(test_registers),
		T(test_isa_pins),
		T(test_edge),
		T(test_level_remote_irr),
		T(test_level_masked_waits),
		T(test_destinations),
		T(test_nmi_and_extint),
	};
	return cmocka_run_group_tests_name("ioapic", tests, NULL, NULL);
}
