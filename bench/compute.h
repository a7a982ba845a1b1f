/*
 * bench/compute.h - the compute kernel of the benchmarks: a sieve of
 * Eratosthenes that never traps.
 *
 * One routine for the guest and the host, so that "native runs it within
 * 5% of the host" compares the same instructions: compute_sieve() is
 * defined in bench/compute.c, compiled once, by the guests' compiler with
 * the guests' flags (general registers only, no SSE), into
 * BUILD/gobj/bench/compute.o, and that one object is linked into both the
 * bench guest (guests/bench) and the host's program
 * (bench/host/hostbench.c).  Its own translation unit also keeps the
 * compiler from specialising it for each caller's array (a static
 * function in this header became two different functions: GCC's
 * constant propagation wrote the guest's absolute address and the host's
 * RIP-relative one into the code).  bench/samecode.sh shows that the two
 * binaries hold the same bytes.
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
unsigned compute_sieve(volatile uint8_t *flags);

#endif /* BENCH_COMPUTE_H */
