/*
 * guests/toyos/user_hog.c - hog and sleeper: preemption.
 *
 * The hog never makes a system call: only the timer takes the CPU from
 * it.  The sleeper, meanwhile, sleeps a few ticks at a time and prints
 * each time it wakes - which it can only do because the timer preempts
 * the hog.  The kernel ends the hog when it has used its CPU budget
 * (CPU_BUDGET_TICKS), long after the sleeper is done.
 */
#include "user.h"

#define SLEEPS 3
#define SLEEP_TICKS 5

int prog_hog(void)
{
	volatile unsigned long spins = 0;

	printf("hog: spinning, never calling the kernel\n");
	for (;;)
		spins++;
}

int prog_sleeper(void)
{
	for (int i = 1; i <= SLEEPS; i++) {
		sleep(SLEEP_TICKS);
		printf("sleeper: awake (%d of %d) while the hog spins\n", i,
		       SLEEPS);
	}
	return 0;
}
