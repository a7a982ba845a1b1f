/*
 * tests/unit/test_stats.c - --stats' rows (monitor/stats.c).
 *
 * A row is found by its key through a hint, the row the key's low bits
 * led to last time.  Keys that share those bits take turns in one hint;
 * each must still land in its own row, the rows in the order they came
 * (--trace-json reads them by place), and past the last row every new
 * key in "(others)".
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "core/clock.h"
#include "monitor/stats.h"

static struct vm_stats *fresh(void)
{
	struct vm_stats *s = calloc(1, sizeof(*s));

	assert_non_null(s);
	return s;
}

/* Three keys with the same hint, in turn: three rows, each its own. */
static void test_keys_sharing_a_hint(void **state)
{
	struct vm_stats *s = fresh();
	const unsigned keys[] = { 5, 5 + STATS_HINTS, 5 + 2 * STATS_HINTS };
	const char *names[] = { "a", "b", "c" };

	(void)state;
	for (unsigned round = 0; round < 10; round++)
		for (unsigned k = 0; k < 3; k++)
			stats_add_insn(s, keys[k], names[k], 10 * (k + 1));
	stats_add_insn(s, keys[1], "b", 20);
	assert_int_equal(s->ninsns, 3);
	for (unsigned k = 0; k < 3; k++) {
		assert_int_equal(s->insn[k].key, keys[k]);
		assert_string_equal(s->insn[k].name, names[k]);
		assert_int_equal(s->insn[k].count, k == 1 ? 11 : 10);
		assert_int_equal(s->insn[k].ticks,
				 10 * (k + 1) * s->insn[k].count);
	}
	free(s);
}

/* Reasons and instructions keep rows and hints apart. */
static void test_tables_apart(void **state)
{
	struct vm_stats *s = fresh();

	(void)state;
	stats_add_reason(s, 13, "#GP", 1);
	stats_add_insn(s, 13, "cli", 2);
	stats_add_reason(s, 13, "#GP", 1);
	assert_int_equal(s->nreasons, 1);
	assert_int_equal(s->ninsns, 1);
	assert_int_equal(s->reason[0].count, 2);
	assert_string_equal(s->reason[0].name, "#GP");
	assert_int_equal(s->insn[0].count, 1);
	assert_string_equal(s->insn[0].name, "cli");
	free(s);
}

/* More keys than rows: the last row takes every key past the others,
 * and a key that has a row keeps finding it. */
static void test_overflow(void **state)
{
	struct vm_stats *s = fresh();
	char name[16];

	(void)state;
	for (unsigned k = 0; k < STATS_MAX_REASONS + 5; k++) {
		snprintf(name, sizeof(name), "r%u", k);
		stats_add_reason(s, 1000 + k, name, 1);
	}
	assert_int_equal(s->nreasons, STATS_MAX_REASONS);
	assert_string_equal(s->reason[STATS_MAX_REASONS - 1].name,
			    "(others)");
	assert_int_equal(s->reason[STATS_MAX_REASONS - 1].count, 6);
	stats_add_reason(s, 1000, "r0", 1);
	stats_add_reason(s, 1000 + STATS_MAX_REASONS + 9, "new", 1);
	assert_int_equal(s->reason[0].count, 2);
	assert_int_equal(s->reason[STATS_MAX_REASONS - 1].count, 7);
	for (unsigned k = 1; k < STATS_MAX_REASONS - 1; k++)
		assert_int_equal(s->reason[k].count, 1);
	free(s);
}

/*
 * The rows count ticks (clock_host_ticks); stats_ns turns them into ns
 * at the run's rate: 3 ticks a ns here, and a sum too large for 64 bits
 * once multiplied still converts.  With no span (a run of no ticks) a
 * tick stands for a ns.
 */
static void test_ticks_as_ns(void **state)
{
	struct vm_stats *s = fresh();

	(void)state;
	s->start_ticks = 1000;
	s->end_ticks = 1000 + 3000000000ULL;
	s->start_ns = 5;
	s->end_ns = 5 + 1000000000ULL;
	assert_int_equal(stats_ns(s, 3000), 1000);
	assert_int_equal(stats_ns(s, 3ULL << 60), 1ULL << 60);
	s->end_ticks = s->start_ticks;
	assert_int_equal(stats_ns(s, 77), 77);
	free(s);
}

/*
 * The host's ticks measure time: a 2 ms sleep timed in ticks, inside a
 * span timed by both clocks, converts to at least 2 ms and no more than
 * the span.
 */
static void test_ticks_measure_time(void **state)
{
	struct vm_stats *s = fresh();
	struct timespec pause = { 0, 2000000 };
	uint64_t t0, t1;

	(void)state;
	s->start_ns = clock_host_ns();
	s->start_ticks = clock_host_ticks();
	t0 = clock_host_ticks();
	uint64_t n0 = clock_host_ns();
	while (clock_host_ns() - n0 < 2000000)
		nanosleep(&pause, NULL);
	t1 = clock_host_ticks();
	s->end_ticks = clock_host_ticks();
	s->end_ns = clock_host_ns();
	assert_true(t1 > t0);
	/* the rate is the span's: 1% for the reads at its two ends */
	assert_true(stats_ns(s, t1 - t0) >= 1980000);
	assert_true(stats_ns(s, t1 - t0) <= s->end_ns - s->start_ns);
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keys_sharing_a_hint),
		cmocka_unit_test(test_tables_apart),
		cmocka_unit_test(test_overflow),
		cmocka_unit_test(test_ticks_as_ns),
		cmocka_unit_test(test_ticks_measure_time),
	};
	return cmocka_run_group_tests_name("stats", tests, NULL, NULL);
}
