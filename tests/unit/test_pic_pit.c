/*
 * tests/unit/test_pic_pit.c - the 8259A PIC pair and the 8254 PIT, driven
 * through their ports as a guest kernel drives them.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "devices/i8254.h"
#include "devices/i8259.h"

/* The initialization a PC kernel does: vectors 0x20 and 0x28, cascade. */
static void pic_setup(struct i8259_pair *p, uint8_t master_mask,
		      uint8_t slave_mask)
{
	i8259_init(p);
	i8259_write(p, PIC_MASTER_CMD, ICW1_INIT | ICW1_IC4);
	i8259_write(p, PIC_SLAVE_CMD, ICW1_INIT | ICW1_IC4);
	i8259_write(p, PIC_MASTER_DATA, 0x20); /* ICW2: vector base */
	i8259_write(p, PIC_SLAVE_DATA, 0x28);
	i8259_write(p, PIC_MASTER_DATA, 0x04); /* ICW3: slave on IRQ 2 */
	i8259_write(p, PIC_SLAVE_DATA, 0x02);
	i8259_write(p, PIC_MASTER_DATA, 0x01); /* ICW4: 8086 mode */
	i8259_write(p, PIC_SLAVE_DATA, 0x01);
	i8259_write(p, PIC_MASTER_DATA, master_mask); /* OCW1 */
	i8259_write(p, PIC_SLAVE_DATA, slave_mask);
}

static void test_pic_masked_at_power_on(void **state)
{
	struct i8259_pair p;

	(void)state;
	i8259_init(&p);
	i8259_set_irq(&p, 0, true);
	assert_false(i8259_pending(&p));
	assert_int_equal(i8259_read(&p, PIC_MASTER_DATA), 0xff);
}

static void test_pic_delivers_vector_and_needs_eoi(void **state)
{
	struct i8259_pair p;

	(void)state;
	pic_setup(&p, 0xfe, 0xff); /* only IRQ 0 */
	assert_false(i8259_pending(&p));
	i8259_set_irq(&p, 0, true);
	assert_true(i8259_pending(&p));
	assert_int_equal(i8259_acknowledge(&p), 0x20);
	assert_false(i8259_pending(&p));
	/* Another edge while IRQ 0 is in service waits for the EOI. */
	i8259_set_irq(&p, 0, false);
	i8259_set_irq(&p, 0, true);
	assert_false(i8259_pending(&p));
	i8259_write(&p, PIC_MASTER_CMD, OCW3_SEL | OCW3_RR | OCW3_RIS);
	assert_int_equal(i8259_read(&p, PIC_MASTER_CMD), 0x01); /* ISR */
	i8259_write(&p, PIC_MASTER_CMD, OCW2_EOI);
	assert_true(i8259_pending(&p));
	i8259_write(&p, PIC_MASTER_CMD, OCW3_SEL | OCW3_RR);
	assert_int_equal(i8259_read(&p, PIC_MASTER_CMD), 0x01); /* IRR */
}

static void test_pic_level_held_is_one_edge(void **state)
{
	struct i8259_pair p;

	(void)state;
	pic_setup(&p, 0x00, 0xff);
	i8259_set_irq(&p, 1, true);
	assert_int_equal(i8259_acknowledge(&p), 0x21);
	i8259_write(&p, PIC_MASTER_CMD, OCW2_EOI);
	i8259_set_irq(&p, 1, true); /* still high: no new edge */
	assert_false(i8259_pending(&p));
}

static void test_pic_priority_and_specific_eoi(void **state)
{
	struct i8259_pair p;

	(void)state;
	pic_setup(&p, 0x00, 0xff);
	i8259_set_irq(&p, 4, true);
	i8259_set_irq(&p, 1, true);
	assert_int_equal(i8259_acknowledge(&p), 0x21); /* IRQ 1 first */
	/* IRQ 4 is less urgent than IRQ 1 in service: it waits. */
	assert_false(i8259_pending(&p));
	i8259_write(&p, PIC_MASTER_CMD, OCW2_EOI | OCW2_SL | 1);
	assert_int_equal(i8259_acknowledge(&p), 0x24);
}

static void test_pic_cascade(void **state)
{
	struct i8259_pair p;

	(void)state;
	pic_setup(&p, 0xfb, 0xef); /* master: IRQ 2 only; slave: IRQ 12 */
	i8259_set_irq(&p, 12, true);
	assert_true(i8259_pending(&p));
	assert_int_equal(i8259_acknowledge(&p), 0x2c);
	i8259_write(&p, PIC_SLAVE_CMD, OCW2_EOI);
	i8259_write(&p, PIC_MASTER_CMD, OCW2_EOI);
	assert_false(i8259_pending(&p));
	assert_int_equal(p.master.isr | p.slave.isr, 0);
}

static void test_pic_auto_eoi(void **state)
{
	struct i8259_pair p;

	(void)state;
	i8259_init(&p);
	i8259_write(&p, PIC_MASTER_CMD, ICW1_INIT | ICW1_IC4 | ICW1_SNGL);
	i8259_write(&p, PIC_MASTER_DATA, 0x40);
	i8259_write(&p, PIC_MASTER_DATA, 0x03); /* ICW4: AEOI */
	i8259_write(&p, PIC_MASTER_DATA, 0x00);
	i8259_set_irq(&p, 0, true);
	assert_int_equal(i8259_acknowledge(&p), 0x40);
	assert_int_equal(p.master.isr, 0);
}

/* Program channel 0: control word, then the count low and high bytes. */
static void pit_program(struct i8254 *pit, uint8_t mode, uint16_t count,
			uint64_t now)
{
	i8254_write(pit, PIT_CMD, (uint8_t)(PIT_RW_LOHI << 4 | mode << 1), now);
	i8254_write(pit, PIT_CH0, (uint8_t)count, now);
	i8254_write(pit, PIT_CH0, (uint8_t)(count >> 8), now);
}

static void test_pit_rate_generator_edges(void **state)
{
	struct i8254 pit;

	(void)state;
	i8254_init(&pit);
	assert_int_equal(i8254_irq0_edges(&pit, 1000000000), 0);
	pit_program(&pit, PIT_MODE_RATE, 11932, 0); /* about 100 Hz */
	assert_int_equal(i8254_irq0_edges(&pit, 9000000), 0);
	/* 11932 ticks take 10.0002 ms. */
	assert_int_equal(i8254_irq0_edges(&pit, 10000000), 0);
	assert_int_equal(i8254_irq0_edges(&pit, 10001000), 1);
	assert_int_equal(i8254_irq0_edges(&pit, 1000000000), 98);
	uint64_t next = i8254_next_irq0(&pit);
	assert_true(next > 1000000000 && next <= 1010000000);
	assert_int_equal(i8254_irq0_edges(&pit, next - 1), 0);
	assert_int_equal(i8254_irq0_edges(&pit, next), 1);
}

static void test_pit_square_wave_same_period(void **state)
{
	struct i8254 pit;

	(void)state;
	i8254_init(&pit);
	pit_program(&pit, PIT_MODE_SQUARE, 0, 0); /* 0 means 65536 */
	/* 65536 ticks at 1.193182 MHz is 54.925 ms: 18.2 Hz. */
	assert_int_equal(i8254_irq0_edges(&pit, 1000000000), 18);
}

static void test_pit_latch_and_read(void **state)
{
	struct i8254 pit;

	(void)state;
	i8254_init(&pit);
	pit_program(&pit, PIT_MODE_RATE, 1000, 0);
	/* 1 ms is 1193 ticks: the counter went 1000 -> 1 and reloaded. */
	i8254_write(&pit, PIT_CMD, 0x00, 1000000); /* latch channel 0 */
	uint8_t lo = i8254_read(&pit, PIT_CH0, 5000000);
	uint8_t hi = i8254_read(&pit, PIT_CH0, 5000000);
	assert_int_equal(lo | hi << 8, 1000 - 193);
}

static void test_pit_one_shot(void **state)
{
	struct i8254 pit;

	(void)state;
	i8254_init(&pit);
	pit_program(&pit, PIT_MODE_TERMINAL, 1193, 0);
	assert_int_equal(i8254_irq0_edges(&pit, 500000), 0);
	assert_int_equal(i8254_irq0_edges(&pit, 2000000), 1);
	assert_int_equal(i8254_irq0_edges(&pit, 9000000000ULL), 0);
	assert_int_equal(i8254_next_irq0(&pit), UINT64_MAX);
}

/*
 * In LOHI mode the low byte alone loads nothing: the counter waits for
 * the high byte (after a new control word it does not count at all).
 */
static void test_pit_lohi_waits_for_high_byte(void **state)
{
	struct i8254 pit;

	(void)state;
	i8254_init(&pit);
	i8254_write(&pit, PIT_CMD, PIT_RW_LOHI << 4 | PIT_MODE_RATE << 1, 0);
	i8254_write(&pit, PIT_CH0, 0x10, 0); /* the low byte only */
	if (i8254_next_irq0(&pit) != UINT64_MAX)
		print_error("LOHI: after the low byte alone the counter runs "
			    "(next tick at %llu ns); it must wait for the high "
			    "byte\n", (unsigned long long)i8254_next_irq0(&pit));
	assert_int_equal(i8254_next_irq0(&pit), UINT64_MAX);
	assert_int_equal(i8254_irq0_edges(&pit, 1000000000), 0);
	i8254_write(&pit, PIT_CH0, 0x2e, 1000000000); /* 0x2e10 = 11792 */
	assert_int_equal(i8254_irq0_edges(&pit, 1000000000 + 9882000), 0);
	assert_int_equal(i8254_irq0_edges(&pit, 1000000000 + 9883000), 1);
}

/*
 * Mode 3 counts down by two (twice a period, once per half of OUT0):
 * 100 clocks after a load of 1000 it reads 800, not 900.
 */
static void test_pit_square_wave_counts_by_two(void **state)
{
	struct i8254 pit;

	(void)state;
	i8254_init(&pit);
	pit_program(&pit, PIT_MODE_SQUARE, 1000, 0);
	i8254_write(&pit, PIT_CMD, 0x00, 83810); /* latch after 100 clocks */
	uint8_t lo = i8254_read(&pit, PIT_CH0, 83810);
	uint8_t hi = i8254_read(&pit, PIT_CH0, 83810);
	if ((lo | hi << 8) != 800)
		print_error("mode 3, count 1000, 100 clocks later: read %u, "
			    "expected 800 (the square wave counts by two)\n",
			    lo | hi << 8);
	assert_int_equal(lo | hi << 8, 800);
}

/*
 * Ten hours of virtual time at 100 Hz: the next tick is still due within
 * one period of now, and not a nanosecond early (rounded up).
 */
static void test_pit_long_run(void **state)
{
	struct i8254 pit;
	const uint64_t hours10 = 36000ULL * 1000000000ULL;

	(void)state;
	i8254_init(&pit);
	pit_program(&pit, PIT_MODE_RATE, 11932, 0); /* 10.0002 ms */
	assert_true(i8254_irq0_edges(&pit, hours10) > 3599000);
	uint64_t next = i8254_next_irq0(&pit);
	if (next <= hours10 || next > hours10 + 10000200)
		print_error("after 10 hours the next tick is due at %llu ns, "
			    "not within a period after %llu (an overflow?)\n",
			    (unsigned long long)next,
			    (unsigned long long)hours10);
	assert_true(next > hours10 && next <= hours10 + 10000200);
	assert_int_equal(i8254_irq0_edges(&pit, next - 1), 0);
	assert_int_equal(i8254_irq0_edges(&pit, next), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pic_masked_at_power_on),
		cmocka_unit_test(test_pic_delivers_vector_and_needs_eoi),
		cmocka_unit_test(test_pic_level_held_is_one_edge),
		cmocka_unit_test(test_pic_priority_and_specific_eoi),
		cmocka_unit_test(test_pic_cascade),
		cmocka_unit_test(test_pic_auto_eoi),
		cmocka_unit_test(test_pit_rate_generator_edges),
		cmocka_unit_test(test_pit_square_wave_same_period),
		cmocka_unit_test(test_pit_latch_and_read),
		cmocka_unit_test(test_pit_lohi_waits_for_high_byte),
		cmocka_unit_test(test_pit_square_wave_counts_by_two),
		cmocka_unit_test(test_pit_long_run),
		cmocka_unit_test(test_pit_one_shot),
	};
	return cmocka_run_group_tests_name("pic and pit", tests, NULL, NULL);
}
