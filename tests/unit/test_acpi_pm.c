/*
 * tests/unit/test_acpi_pm.c - the PIIX4's ACPI PM block: the PM timer's
 * rate and width, TMR_STS and the SCI, and S5/S4 through PM1 control, on a
 * machine whose virtual time is the instruction count (--icount), so
 * that every reading is exact.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/clock.h"
#include "core/vm.h"
#include "devices/devices.h"
#include "monitor/machine.h"
#include "tests/unit/support/devvm.h"

#define ICOUNT_NS 10

static int setup(void **state)
{
	const struct vm_options opt = { .mem_mib = 2, .engine = "softcpu",
					.icount_ns = ICOUNT_NS };

	(void)state;
	return dev_vm_make(&opt);
}

/* Virtual time ns (a multiple of ICOUNT_NS) since reset. */
static void at(uint64_t ns)
{
	dev_vm.vcpu.instructions = ns / ICOUNT_NS;
	assert_int_equal(clock_now(&dev_vm), ns);
}

static void test_timer_rate(void **state)
{
	(void)state;
	assert_int_equal(acpi_pm_timer(0), 0);
	assert_int_equal(acpi_pm_timer(1000000000ULL), 3579545);
	/* 24 bits wide: 5 s is 17897725 ticks, shown modulo 2^24. */
	assert_int_equal(acpi_pm_timer(5000000000ULL), 17897725 - (1 << 24));
	/* A year of virtual time: no overflow on the way. */
	uint64_t year = 365ULL * 86400 * 1000000000ULL;
	assert_int_equal(acpi_pm_timer(year),
			 (365ULL * 86400 * 3579545) & 0xffffff);
	/* 1 ms is 3579.545 ticks. */
	assert_int_equal(acpi_pm_timer(1000000), 3579);
}

static void test_timer_port(void **state)
{
	(void)state;
	at(1000000000ULL);
	assert_int_equal(dev_in(ACPI_PM_TMR_BLK, 4), 3579545);
	assert_int_equal(dev_in(ACPI_PM_TMR_BLK, 2), 3579545 & 0xffff);
	assert_int_equal(dev_in(ACPI_PM_TMR_BLK + 2, 1), 3579545 >> 16);
	assert_int_equal(dev_in(ACPI_PM_TMR_BLK + 3, 1), 0);
	at(2000000000ULL);
	assert_int_equal(dev_in(ACPI_PM_TMR_BLK, 4), 7159090);
	dev_out(ACPI_PM_TMR_BLK, 4, 0); /* read only */
	assert_int_equal(dev_in(ACPI_PM_TMR_BLK, 4), 7159090);
	assert_int_equal(dev_in(ACPI_PM_BASE + 6, 2), 0xffff); /* a gap */
}

static void test_tmr_sts_and_sci(void **state)
{
	uint64_t half = 2343484440ULL; /* just past 2^23 ticks */

	(void)state;
	assert_int_equal(dev_in(ACPI_PM1_CNT_BLK, 2), ACPI_PM1_SCI_EN);
	assert_int_equal(dev_in(ACPI_PM1_EVT_BLK, 2), 0);
	at(half - 1000);
	assert_int_equal(dev_in(ACPI_PM1_EVT_BLK, 2), 0);
	at(half);
	assert_int_equal(dev_in(ACPI_PM1_EVT_BLK, 2), ACPI_PM1_TMR_STS);
	assert_false(acpi_pm_sci(&dev_vm.dev->pm, clock_now(&dev_vm)));
	dev_out(ACPI_PM1_EVT_BLK + 2, 2, ACPI_PM1_TMR_STS); /* TMR_EN */
	assert_int_equal(dev_in(ACPI_PM1_EVT_BLK + 2, 2), ACPI_PM1_TMR_STS);
	assert_true(acpi_pm_sci(&dev_vm.dev->pm, clock_now(&dev_vm)));
	/* The SCI is ISA IRQ 9: on the PIC and on IOAPIC pin 9. */
	devices_update(&dev_vm);
	assert_true(dev_vm.dev->pic.slave.lines & 1u << (IRQ_SCI - 8));
	assert_true(dev_vm.dev->ioapic.lines & 1u << IRQ_SCI);
	/* Write 1 to clear. */
	dev_out(ACPI_PM1_EVT_BLK, 2, ACPI_PM1_TMR_STS);
	assert_int_equal(dev_in(ACPI_PM1_EVT_BLK, 2), 0);
	assert_false(acpi_pm_sci(&dev_vm.dev->pm, clock_now(&dev_vm)));
	at(2 * half);
	assert_int_equal(dev_in(ACPI_PM1_EVT_BLK, 2), ACPI_PM1_TMR_STS);
	/* SCI_EN off: no SCI. */
	dev_out(ACPI_PM1_CNT_BLK, 2, 0);
	assert_false(acpi_pm_sci(&dev_vm.dev->pm, clock_now(&dev_vm)));
}

static void test_s5_powers_off(void **state)
{
	(void)state;
	/* SLP_TYP 1 (S3, which QEMU suspends to): nothing here. */
	dev_out(ACPI_PM1_CNT_BLK, 2, ACPI_PM1_SLP_EN |
			1u << ACPI_PM1_SLP_TYP_SHIFT | ACPI_PM1_SCI_EN);
	assert_false(dev_vm.stopped);
	assert_int_equal(dev_in(ACPI_PM1_CNT_BLK, 2),
			 1u << ACPI_PM1_SLP_TYP_SHIFT | ACPI_PM1_SCI_EN);
	/* SLP_TYP 5: nothing either. */
	dev_out(ACPI_PM1_CNT_BLK, 2, ACPI_PM1_SLP_EN |
			5u << ACPI_PM1_SLP_TYP_SHIFT);
	assert_false(dev_vm.stopped);
	/* SLP_TYP without SLP_EN: nothing. */
	dev_out(ACPI_PM1_CNT_BLK, 2, ACPI_PM1_SCI_EN);
	assert_false(dev_vm.stopped);
	/* outw(0x604, 0x2000): S5, the machine is off, status 0. */
	dev_vm.exit_status = 7;
	dev_out(ACPI_PM1_CNT_BLK, 2, ACPI_PM1_SLP_EN |
			ACPI_S5_SLP_TYP << ACPI_PM1_SLP_TYP_SHIFT);
	assert_true(dev_vm.stopped);
	assert_int_equal(dev_vm.exit_status, 0);
}

static void test_s4_powers_off(void **state)
{
	(void)state;
	dev_out(ACPI_PM1_CNT_BLK, 2, ACPI_PM1_SLP_EN |
			ACPI_S4_SLP_TYP << ACPI_PM1_SLP_TYP_SHIFT);
	assert_true(dev_vm.stopped);
	assert_int_equal(dev_vm.exit_status, 0);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, dev_vm_teardown)
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_timer_rate),
		T(test_timer_port),
		T(test_tmr_sts_and_sci),
		T(test_s5_powers_off),
		T(test_s4_powers_off),
	};
	return cmocka_run_group_tests_name("acpi_pm", tests, NULL, NULL);
}
