/*
 * guests/toyos/user_primes.c - primes: a process that only computes.
 *
 * It counts the primes below a bound by trial division and exits with the
 * count, which init prints: the exit status travels from exit through the
 * kernel to wait.  It is polite: every YIELD_EVERY numbers it offers the
 * CPU to whoever else is runnable.
 */
#include "user.h"

#define PRIMES_BOUND 1000
#define YIELD_EVERY 100

static int is_prime(unsigned n)
{
	if (n < 2)
		return 0;
	for (unsigned d = 2; d * d <= n; d++)
		if (n % d == 0)
			return 0;
	return 1;
}

int prog_primes(void)
{
	unsigned count = 0, last = 0;

	for (unsigned n = 2; n < PRIMES_BOUND; n++) {
		if (n % YIELD_EVERY == 0)
			yield();
		if (is_prime(n)) {
			count++;
			last = n;
		}
	}
	printf("primes: process %d found %u primes below %d, the last %u\n",
	       getpid(), count, PRIMES_BOUND, last);
	return (int)count;
}
