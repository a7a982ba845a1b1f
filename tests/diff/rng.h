/*
 * tests/diff/rng.h - the random numbers of the differential tests'
 * generators (tests/diff/gen.c for 64-bit code, tests/diff32/gen.c for
 * 32- and 16-bit code).
 *
 * splitmix64: small, good enough, and the same on every host, so that a
 * seed names one sequence of instructions forever.
 */
#ifndef TESTS_DIFF_RNG_H
#define TESTS_DIFF_RNG_H

#include <stdbool.h>
#include <stdint.h>

static inline uint64_t rng_next(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* A number in [0, n). */
static inline unsigned rng_below(uint64_t *state, unsigned n)
{
	return (unsigned)(rng_next(state) % n);
}

/* true percent times in a hundred. */
static inline bool rng_chance(uint64_t *state, unsigned percent)
{
	return rng_below(state, 100) < percent;
}

#endif /* TESTS_DIFF_RNG_H */
