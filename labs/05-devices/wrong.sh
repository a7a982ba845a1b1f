#!/bin/sh
# labs/05-devices/wrong.sh - lab 5's planted wrong solutions, each a
# mistake its handout warns of (scripts/lab-wrong.sh says how they are
# checked; `--list` names them).
# shellcheck disable=SC2034 # read by scripts/lab-wrong.sh
LAB=5
# shellcheck disable=SC2034
BUGS='rounddown|the next tick'"'"'s time rounds down: the guest is woken a nanosecond early and finds no tick|devices/i8254.c|s/ \* 1000000000ULL + PIT_HZ - 1) \/ PIT_HZ;/ * 1000000000ULL) \/ PIT_HZ;/|test_pic_pit|test_pit_rate_generator_edges
overflow|the next tick'"'"'s time overflows after hours of virtual time|devices/i8254.c|/^uint64_t i8254_next_irq0/,/^}/s/return c->start_ns + (ticks \/ PIT_HZ) \* 1000000000ULL +/return c->start_ns + (ticks * 1000000000ULL + PIT_HZ - 1) \/ PIT_HZ + 0 */|test_pic_pit|test_pit_long_run
lohiswap|in LOHI mode the first byte written is taken for the high one|devices/i8254.c|s/pit_load(c, (uint16_t)(c->partial . val << 8), now);/pit_load(c, (uint16_t)(c->partial << 8 ^ val), now);/|test_pic_pit|test_pit_rate_generator_edges
lohinowait|in LOHI mode the low byte loads the counter at once|devices/i8254.c|s/^\([ \t]*\)c->partial = val;/\1c->partial = val; pit_load(c, val, now);/|test_pic_pit|test_pit_lohi_waits_for_high_byte
squarebyone|the square wave counts down by one, not by two|devices/i8254.c|s/return (uint16_t)((n - (2 \* t) % n) \& ~1ULL);/return (uint16_t)(n - t % n);/|test_pic_pit|test_pit_square_wave_counts_by_two
oneshotrepeats|mode 0 raises OUT0 once a period, like a rate generator|devices/i8254.c|s/return t >= n ? 1 : 0;/return t \/ n;/|test_pic_pit|test_pit_one_shot'
. "$(dirname "$0")/../../scripts/lab-wrong.sh"
