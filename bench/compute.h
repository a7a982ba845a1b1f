/*
 * bench/compute.h - the compute kernel of the benchmarks: a sieve of
 * Eratosthenes that never traps.
 *
 * The same source is compiled into the bench guest (guests/bench) and into
 * the host's program (bench/host/hostbench.c), so that "native runs it
 * within 5% of the host" compares the same instructions.  The function is
 * restricted to the general registers on both sides: the guest is built
 * with -mgeneral-regs-only, and the host must not vectorise it with SSE.
 */
#ifndef BENCH_COMPUTE_H
#define BENCH_COMPUTE_H

#include <stdint.h>

#define COMPUTE_SIEVE_SIZE 8192 /* numbers sieved per iteration */
#define COMPUTE_PRIMES 1028     /* how many of them are prime */

/*
 * Sieve [0, COMPUTE_SIEVE_SIZE) in flags (one byte per number) and return
 * how many primes it holds (1028 for 8192).
 */
static __attribute__((noinline, target("general-regs-only"))) unsigned
compute_sieve(volatile uint8_t *flags)
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

#endif /* BENCH_COMPUTE_H */
