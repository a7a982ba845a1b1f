/*
 * tests/unit/test_clock.c - virtual time (core/clock.h): --icount, the
 * deadlines timers register, the held clock of the native engine, and the
 * PIT registering its next tick through the port map.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "core/clock.h"
#include "core/vm.h"
#include "devices/devices.h"

/* A VM with nothing but a vCPU and a clock: all the clock reads. */
static void bare_vm(struct vm *vm, uint64_t icount_ns)
{
	memset(vm, 0, sizeof(*vm));
	clock_init(vm, icount_ns);
}

static void test_icount_counts_instructions(void **state)
{
	struct vm vm;

	(void)state;
	bare_vm(&vm, 10);
	assert_int_equal(clock_now(&vm), 0);
	vm.vcpu.instructions = 123;
	assert_int_equal(clock_now(&vm), 1230);
}

/* A halted vCPU under --icount: time jumps to the event, rounded up to a
 * whole instruction, and nobody sleeps. */
static void test_icount_advance_skips_instructions(void **state)
{
	struct vm vm;

	(void)state;
	bare_vm(&vm, 10);
	vm.vcpu.instructions = 5;
	clock_advance_to(&vm, 1005);
	assert_int_equal(vm.clock.icount_bias, 96);
	assert_int_equal(clock_now(&vm), 1010);
	clock_advance_to(&vm, 500); /* the past: nothing happens */
	assert_int_equal(clock_now(&vm), 1010);
}

static void test_deadlines_earliest_wins(void **state)
{
	struct vm vm;

	(void)state;
	bare_vm(&vm, 10);
	assert_true(clock_next_deadline(&vm) == CLOCK_NEVER);
	assert_true(clock_next_host_deadline(&vm) == CLOCK_NEVER);
	clock_set_deadline(&vm, CLOCK_PIT, 7000);
	assert_int_equal(clock_next_deadline(&vm), 7000);
	clock_set_deadline(&vm, CLOCK_PIT, CLOCK_NEVER);
	assert_true(clock_next_deadline(&vm) == CLOCK_NEVER);
}

/*
 * The earliest deadline is kept as the timers set theirs: every way one
 * can move (earlier, later while the earliest, later while not, to
 * never, the same again) against the earliest of the four found by hand.
 */
static uint64_t earliest_by_hand(const struct vm *vm)
{
	uint64_t t = CLOCK_NEVER;

	for (int i = 0; i < CLOCK_NTIMERS; i++)
		if (vm->clock.deadline[i] < t)
			t = vm->clock.deadline[i];
	return t;
}

static void test_earliest_deadline_kept(void **state)
{
	struct vm vm;
	static const struct { enum clock_timer t; uint64_t when; } steps[] = {
		{ CLOCK_PIT, 5000 },   { CLOCK_RTC, 9000 },
		{ CLOCK_LAPIC, 3000 }, { CLOCK_LAPIC, 3000 },
		{ CLOCK_LAPIC, 7000 }, /* the earliest moves later: PIT's */
		{ CLOCK_RTC, 8000 },   /* later than the earliest: no change */
		{ CLOCK_PIT, CLOCK_NEVER }, /* the earliest goes: LAPIC's */
		{ CLOCK_BACKEND, 100 }, { CLOCK_BACKEND, 20000 },
		{ CLOCK_LAPIC, CLOCK_NEVER }, { CLOCK_RTC, CLOCK_NEVER },
		{ CLOCK_BACKEND, CLOCK_NEVER }, { CLOCK_PIT, 1 },
	};

	(void)state;
	bare_vm(&vm, 10);
	for (unsigned i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		clock_set_deadline(&vm, steps[i].t, steps[i].when);
		assert_true(clock_next_deadline(&vm) == earliest_by_hand(&vm));
	}
	assert_int_equal(clock_next_deadline(&vm), 1);
}

/* On the host clock a deadline falls due at origin + t, the same answer
 * every time it is asked (a host timer is re-armed only when it moves). */
static void test_host_deadline_is_stable(void **state)
{
	struct vm vm;

	(void)state;
	bare_vm(&vm, 0);
	clock_set_deadline(&vm, CLOCK_PIT, 5000000);
	uint64_t a = clock_next_host_deadline(&vm);
	uint64_t b = clock_next_host_deadline(&vm);
	assert_int_equal(a, b);
	assert_int_equal(a, vm.clock.origin_ns + 5000000);
}

/* Held, the clock stands still; released, it goes on from where it was
 * held, and time hidden by the engine never passes on it. */
static void test_hold_release_hide(void **state)
{
	struct vm vm;
	uint64_t host = clock_host_ns();

	(void)state;
	bare_vm(&vm, 0);
	vm.clock.origin_ns = host - 1000000;  /* 1 ms since reset */
	clock_hold(&vm, host);
	assert_int_equal(clock_now(&vm), 1000000);
	assert_int_equal(clock_now(&vm), 1000000);
	clock_release(&vm, host + 50000000);  /* 50 ms later */
	assert_int_equal(vm.clock.held_ns, 0);
	assert_int_equal(vm.clock.origin_ns, host + 49000000);
	clock_hide(&vm, 2000);
	assert_int_equal(vm.clock.origin_ns, host + 49002000);
}

/* The PIT registers its next IRQ 0 edge as the guest programs it. */
static void test_pit_registers_its_tick(void **state)
{
	struct vm vm;
	struct devices dev;
	uint32_t v;

	(void)state;
	bare_vm(&vm, 10);
	vm.dev = &dev;
	devices_init(&vm, -1);
	assert_true(clock_next_deadline(&vm) == CLOCK_NEVER);
	/* channel 0, lobyte/hibyte, mode 2 (rate generator), count 1193:
	 * one tick a millisecond */
	v = (0 << 6) | (PIT_RW_LOHI << 4) | (PIT_MODE_RATE << 1);
	devices_io(&vm, PIT_CMD, 1, false, &v);
	v = 1193 & 0xff;
	devices_io(&vm, PIT_CH0, 1, false, &v);
	v = 1193 >> 8;
	devices_io(&vm, PIT_CH0, 1, false, &v);
	uint64_t t = clock_next_deadline(&vm);
	assert_true(t != CLOCK_NEVER);
	assert_true(t > 900000 && t < 1100000); /* about 1 ms */
	/* Once time passes the tick, the next one is registered. */
	vm.vcpu.instructions = t / 10 + 1;
	devices_update(&vm);
	assert_true(clock_next_deadline(&vm) > t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_icount_counts_instructions),
		cmocka_unit_test(test_icount_advance_skips_instructions),
		cmocka_unit_test(test_deadlines_earliest_wins),
		cmocka_unit_test(test_earliest_deadline_kept),
		cmocka_unit_test(test_host_deadline_is_stable),
		cmocka_unit_test(test_hold_release_hide),
		cmocka_unit_test(test_pit_registers_its_tick),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
