/*
 * bench/compute.c - the sieve of bench/compute.h, one object for the
 * bench guest and the host's program (Makefile: BENCH_COMPUTE_OBJ).
 */
#include "bench/compute.h"

unsigned compute_sieve(volatile uint8_t *flags)
{
	unsigned count = 0;

	for (unsigned i = 0; i < COMPUTE_SIEVE_SIZE; i++)
		flags[i] = i >= 2;
	for (unsigned i = 2; i * i < COMPUTE_SIEVE_SIZE; i++) {
		if (!flags[i])
			continue;
		for (unsigned j = i * i; j < COMPUTE_SIEVE_SIZE; j += i)
			flags[j] = 0;
	}
	for (unsigned i = 0; i < COMPUTE_SIEVE_SIZE; i++)
		count += flags[i];
	return count;
}
