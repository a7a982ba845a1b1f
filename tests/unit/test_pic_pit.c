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
		cmocka_unit_test(test_pit_one_shot),
	};
	return cmocka_run_group_tests_name("pic and pit", tests, NULL, NULL);
}
