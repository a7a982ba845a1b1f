/*
 * tests/unit/test_rtc.c - the MC146818 RTC and CMOS RAM: time from virtual
 * time in every format, UIP, SET, the update-ended flag and IRQ 8, the
 * NVRAM, and the bytes QEMU's `pc` machine fills in.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "core/vm.h"
#include "devices/devices.h"
#include "monitor/machine.h"

#define S 1000000000ULL /* one second of virtual time */

static struct mc146818 rtc;

/* 2024-02-29 23:59:58.5 UTC, a Thursday, at virtual time 7.25 s. */
static int setup(void **state)
{
	struct tm tm = { .tm_year = 124, .tm_mon = 1, .tm_mday = 29,
			 .tm_hour = 23, .tm_min = 59, .tm_sec = 58 };

	(void)state;
	mc146818_init(&rtc, timegm(&tm), 500000000, 7 * S + S / 4);
	return 0;
}

static uint8_t rd(unsigned reg, uint64_t now)
{
	mc146818_write(&rtc, RTC_INDEX_PORT, (uint8_t)reg, now);
	return mc146818_read(&rtc, RTC_DATA_PORT, now);
}

static void wr(unsigned reg, uint8_t v, uint64_t now)
{
	mc146818_write(&rtc, RTC_INDEX_PORT, (uint8_t)reg, now);
	mc146818_write(&rtc, RTC_DATA_PORT, v, now);
}

static const uint64_t T0 = 7 * S + S / 4; /* virtual time of the reset */

static void test_power_on_registers(void **state)
{
	(void)state;
	assert_int_equal(rd(RTC_REG_A, T0), RTC_REG_A_INIT);
	assert_int_equal(rd(RTC_REG_B, T0), RTC_REG_B_24H);
	assert_int_equal(rd(RTC_REG_C, T0), 0);
	assert_int_equal(rd(RTC_REG_D, T0), RTC_REG_D_VRT);
}

static void test_time_in_bcd_24h(void **state)
{
	(void)state;
	assert_int_equal(rd(RTC_SECONDS, T0), 0x58);
	assert_int_equal(rd(RTC_MINUTES, T0), 0x59);
	assert_int_equal(rd(RTC_HOURS, T0), 0x23);
	assert_int_equal(rd(RTC_DAY_OF_WEEK, T0), 5); /* Thursday */
	assert_int_equal(rd(RTC_DAY_OF_MONTH, T0), 0x29);
	assert_int_equal(rd(RTC_MONTH, T0), 0x02);
	assert_int_equal(rd(RTC_YEAR, T0), 0x24);
	assert_int_equal(rd(RTC_CENTURY, T0), 0x20);
	assert_int_equal(rd(RTC_IBM_PS2_CENTURY_BYTE, T0), 0x20);
	/* The second changes half a second later; 2 s on, it is March. */
	assert_int_equal(rd(RTC_SECONDS, T0 + S / 2 - 1), 0x58);
	assert_int_equal(rd(RTC_SECONDS, T0 + S / 2), 0x59);
	uint64_t t = T0 + 2 * S;
	assert_int_equal(rd(RTC_SECONDS, t), 0x00);
	assert_int_equal(rd(RTC_HOURS, t), 0x00);
	assert_int_equal(rd(RTC_DAY_OF_MONTH, t), 0x01);
	assert_int_equal(rd(RTC_MONTH, t), 0x03);
	assert_int_equal(rd(RTC_DAY_OF_WEEK, t), 6);
}

static void test_binary_and_12_hour(void **state)
{
	(void)state;
	wr(RTC_REG_B, RTC_REG_B_DM, T0); /* binary, 12-hour */
	assert_int_equal(rd(RTC_SECONDS, T0), 58);
	assert_int_equal(rd(RTC_HOURS, T0), 11 | RTC_HOURS_PM);
	assert_int_equal(rd(RTC_YEAR, T0), 24);
	assert_int_equal(rd(RTC_CENTURY, T0), 0x20); /* BCD always (QEMU) */
	/* Midnight is 12 AM. */
	assert_int_equal(rd(RTC_HOURS, T0 + 2 * S), 12);
	wr(RTC_REG_B, 0, T0); /* BCD, 12-hour */
	assert_int_equal(rd(RTC_HOURS, T0), 0x11 | RTC_HOURS_PM);
	assert_int_equal(rd(RTC_HOURS, T0 + 2 * S), 0x12);
	/* The clock did not move when the format changed. */
	assert_int_equal(rd(RTC_SECONDS, T0), 0x58);
}

static void test_uip_before_each_update(void **state)
{
	(void)state;
	/* The update is at T0 + 0.5 s. */
	assert_false(rd(RTC_REG_A, T0) & RTC_REG_A_UIP);
	assert_false(rd(RTC_REG_A, T0 + S / 2 - RTC_UIP_HOLD_NS - 1) &
		     RTC_REG_A_UIP);
	assert_true(rd(RTC_REG_A, T0 + S / 2 - RTC_UIP_HOLD_NS) &
		    RTC_REG_A_UIP);
	assert_true(rd(RTC_REG_A, T0 + S / 2 - 1) & RTC_REG_A_UIP);
	assert_false(rd(RTC_REG_A, T0 + S / 2) & RTC_REG_A_UIP);
	/* UIP cannot be written. */
	wr(RTC_REG_A, 0xa6, T0);
	assert_int_equal(rd(RTC_REG_A, T0), 0x26);
}

static void test_set_stops_and_sets_the_clock(void **state)
{
	(void)state;
	wr(RTC_REG_B, RTC_REG_B_SET | RTC_REG_B_24H | RTC_REG_B_UIE, T0);
	assert_int_equal(rd(RTC_REG_B, T0), RTC_REG_B_SET | RTC_REG_B_24H);
	assert_false(rd(RTC_REG_A, T0 + S / 2 - 1) & RTC_REG_A_UIP);
	assert_int_equal(rd(RTC_SECONDS, T0 + 10 * S), 0x58); /* stopped */
	wr(RTC_HOURS, 0x12, T0 + 10 * S);
	wr(RTC_MINUTES, 0x34, T0 + 10 * S);
	wr(RTC_SECONDS, 0x56, T0 + 10 * S);
	wr(RTC_YEAR, 0x99, T0 + 10 * S);
	wr(RTC_CENTURY, 0x19, T0 + 10 * S);
	wr(RTC_MONTH, 0x12, T0 + 10 * S);
	wr(RTC_DAY_OF_MONTH, 0x31, T0 + 10 * S);
	wr(RTC_REG_B, RTC_REG_B_24H, T0 + 10 * S); /* runs from here */
	uint64_t t = T0 + 13 * S; /* updates at +10.5, 11.5, 12.5 s */
	assert_int_equal(rd(RTC_SECONDS, t), 0x59);
	assert_int_equal(rd(RTC_MINUTES, t), 0x34);
	assert_int_equal(rd(RTC_YEAR, t), 0x99);
	assert_int_equal(rd(RTC_CENTURY, t), 0x19);
	assert_int_equal(rd(RTC_DAY_OF_WEEK, t), 6); /* 1999-12-31: Friday */
}

static void test_write_one_field_of_running_clock(void **state)
{
	(void)state;
	wr(RTC_MINUTES, 0x10, T0);
	assert_int_equal(rd(RTC_MINUTES, T0), 0x10);
	assert_int_equal(rd(RTC_SECONDS, T0), 0x58);
	assert_int_equal(rd(RTC_HOURS, T0), 0x23);
	/* The updates stay on the same boundaries. */
	assert_int_equal(rd(RTC_SECONDS, T0 + S / 2), 0x59);
}

static void test_divider_reset_stops_the_clock(void **state)
{
	(void)state;
	wr(RTC_REG_A, 0x70 | 0x06, T0);
	assert_int_equal(rd(RTC_SECONDS, T0 + 5 * S), 0x58);
	assert_false(rd(RTC_REG_A, T0 + S / 2 - 1) & RTC_REG_A_UIP);
	wr(RTC_REG_A, RTC_REG_A_INIT, T0 + 5 * S);
	assert_int_equal(rd(RTC_SECONDS, T0 + 5 * S + S / 2), 0x59);
}

static void test_update_ended_flag_and_irq8(void **state)
{
	(void)state;
	/* UF without UIE: a flag, no interrupt. */
	assert_int_equal(rd(RTC_REG_C, T0 + S / 2), RTC_REG_C_UF);
	assert_int_equal(rd(RTC_REG_C, T0 + S / 2 + 1), 0); /* read cleared */
	assert_int_equal(mc146818_next_event(&rtc, T0), UINT64_MAX);
	wr(RTC_REG_B, RTC_REG_B_24H | RTC_REG_B_UIE, T0 + S / 2 + 1);
	uint64_t next = T0 + S / 2 + S;
	assert_int_equal(mc146818_next_event(&rtc, T0 + S / 2 + 1), next);
	assert_false(mc146818_irq8(&rtc, next - 1));
	assert_true(mc146818_irq8(&rtc, next));
	assert_true(mc146818_irq8(&rtc, next + 3 * S)); /* held */
	assert_int_equal(mc146818_next_event(&rtc, next), UINT64_MAX);
	assert_int_equal(rd(RTC_REG_C, next + 3 * S),
			 RTC_REG_C_IRQF | RTC_REG_C_UF);
	assert_false(mc146818_irq8(&rtc, next + 3 * S));
	assert_int_equal(mc146818_next_event(&rtc, next + 3 * S), next + 4 * S);
}

static void test_nvram_and_index_port(void **state)
{
	(void)state;
	for (unsigned r = 0x0e; r < RTC_NREGS; r++)
		if (r != RTC_CENTURY && r != RTC_IBM_PS2_CENTURY_BYTE)
			wr(r, (uint8_t)(r * 7 + 1), T0);
	for (unsigned r = 0x0e; r < RTC_NREGS; r++)
		if (r != RTC_CENTURY && r != RTC_IBM_PS2_CENTURY_BYTE)
			assert_int_equal(rd(r, T0), (uint8_t)(r * 7 + 1));
	/* Alarms are plain bytes. */
	wr(RTC_HOURS_ALARM, 0xc0, T0);
	assert_int_equal(rd(RTC_HOURS_ALARM, T0), 0xc0);
	/* Bit 7 of the index masks NMI and selects nothing. */
	mc146818_write(&rtc, RTC_INDEX_PORT, RTC_NMI_DISABLE | 0x20, T0);
	assert_true(rtc.nmi_masked);
	assert_int_equal(mc146818_read(&rtc, RTC_DATA_PORT, T0),
			 (uint8_t)(0x20 * 7 + 1));
	assert_int_equal(mc146818_read(&rtc, RTC_INDEX_PORT, T0), 0xff);
	/* C and D cannot be written. */
	wr(RTC_REG_D, 0, T0);
	assert_int_equal(rd(RTC_REG_D, T0), RTC_REG_D_VRT);
}

/* Through the port map: QEMU's BIOS bytes for -m 64, the --icount epoch. */
static void test_pc_bytes_and_icount_epoch(void **state)
{
	struct vm_options opt = { .mem_mib = 64, .engine = "softcpu",
				  .icount_ns = 10 };
	struct vm vm;
	char why[200];
	int fd[2];

	(void)state;
	assert_int_equal(pipe(fd), 0);
	assert_int_equal(vm_create(&vm, &opt, fd[1], why, sizeof(why)), 0);
	static const uint8_t expect[][2] = {
		{ 0x15, 0x80 }, { 0x16, 0x02 },    /* 640 KiB */
		{ 0x17, 0x00 }, { 0x18, 0xfc },    /* 64512 KiB */
		{ 0x30, 0x00 }, { 0x31, 0xfc },
		{ 0x34, 0x00 }, { 0x35, 0x03 },    /* 768 x 64 KiB */
		{ 0x5b, 0 }, { 0x5c, 0 }, { 0x5d, 0 }, { 0x5f, 0 },
		{ RTC_YEAR, 0x00 }, { RTC_CENTURY, 0x20 }, { RTC_MONTH, 0x01 },
		{ RTC_DAY_OF_MONTH, 0x01 }, { RTC_HOURS, 0x00 },
		{ RTC_SECONDS, 0x00 }, { RTC_DAY_OF_WEEK, 7 }, /* Saturday */
	};
	for (size_t i = 0; i < sizeof(expect) / sizeof(expect[0]); i++) {
		uint32_t v = expect[i][0];
		devices_io(&vm, RTC_INDEX_PORT, 1, false, &v);
		devices_io(&vm, RTC_DATA_PORT, 1, true, &v);
		assert_int_equal(v, expect[i][1]);
	}
	vm_destroy(&vm);
	close(fd[0]);
	close(fd[1]);
}

/*
 * Large memory, as QEMU -m gives it (pcdev's output under QEMU): below
 * 3.5 GiB all of it is below 4 GiB; from 3.5 GiB up, 3 GiB are, and the
 * rest is counted above 4 GiB.
 */
static void test_pc_bytes_large_memory(void **state)
{
	static const struct {
		uint64_t ram;
		unsigned mid, above; /* 0x34/0x35, 0x5b-0x5d: 64 KiB blocks */
	} t[] = {
		{ 128ULL << 20, 1792, 0 },
		{ 3ULL << 30, 48896, 0 },
		{ 3583ULL << 20, 57072, 0 },
		{ 3584ULL << 20, 48896, 8192 },
		{ 5ULL << 30, 48896, 32768 },
		{ 6ULL << 30, 48896, 49152 },
		{ 1ULL << 39, 48896, 0x7f4000 }, /* 509 GiB above */
	};
	struct mc146818 r;

	(void)state;
	for (unsigned i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		mc146818_init(&r, 0, 0, 0);
		mc146818_pc_bios_bytes(&r, t[i].ram, 4, 0); /* 4 CPUs */
		assert_int_equal(r.cmos[0x17] | r.cmos[0x18] << 8,
				 t[i].ram > (65 << 20) ? 65535 :
				 (t[i].ram >> 10) - 1024);
		assert_int_equal(r.cmos[0x34] | r.cmos[0x35] << 8, t[i].mid);
		assert_int_equal(r.cmos[0x5b] | r.cmos[0x5c] << 8 |
				 r.cmos[0x5d] << 16, t[i].above);
		assert_int_equal(r.cmos[0x5f], 3);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_power_on_registers, setup),
		cmocka_unit_test_setup(test_time_in_bcd_24h, setup),
		cmocka_unit_test_setup(test_binary_and_12_hour, setup),
		cmocka_unit_test_setup(test_uip_before_each_update, setup),
		cmocka_unit_test_setup(test_set_stops_and_sets_the_clock, setup),
		cmocka_unit_test_setup(test_write_one_field_of_running_clock, setup),
		cmocka_unit_test_setup(test_divider_reset_stops_the_clock, setup),
		cmocka_unit_test_setup(test_update_ended_flag_and_irq8, setup),
		cmocka_unit_test_setup(test_nvram_and_index_port, setup),
		cmocka_unit_test(test_pc_bytes_and_icount_epoch),
		cmocka_unit_test(test_pc_bytes_large_memory),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
