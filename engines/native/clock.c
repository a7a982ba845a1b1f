/*
 * engines/native/clock.c - virtual time on the native engine.
 *
 * Without --icount virtual time is the host's clock (core/clock.h), and on
 * softcpu a trap costs a few microseconds.  On native a trap is a
 * ptrace round trip of 10-20 microseconds (more on a busy machine), so a
 * guest that prints a line takes milliseconds of host time and sees timer
 * ticks (1 ms apart at 1000 Hz) where softcpu and QEMU show none.  So on
 * native, virtual time is the time the guest's own code ran, roughly what
 * --icount gives softcpu:
 *
 *   child running          the clock advances by the child's CPU time,
 *                          less the kernel's cost of one stop (measured
 *                          at start-up, then followed: track_stop_cost)
 *   child being stopped,   stands still (the host time is taken off:
 *   resumed; engine work   clock_hide, core/clock.h)
 *   dispatcher             held (clock_hold), except in a hlt, whose
 *                          sleep until the next tick passes on the clock
 *
 * Only intervals in which nobody read the clock are taken off, so time
 * never runs backwards (a PIT read would see a reload that never was).
 */
#if defined(__linux__) && defined(__x86_64__)

#include <stdlib.h>
#include <time.h>

#include "core/clock.h"
#include "core/vm.h"
#include "engines/native/native.h"

/* Round trips that measure the kernel's cost of one stop, and how far
 * the estimate may grow on a busy machine. */
#define NAT_CALIBRATION_TRIPS 32
#define NAT_STOP_COST_MAX 16

uint64_t nat_host_ns(void)
{
	return clock_host_ns();
}

static uint64_t child_cpu_ns(const struct nat *n)
{
	struct timespec ts;

	if (clock_gettime(n->cpu_clock, &ts) < 0)
		return 0;
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* Hold the virtual clock back by hidden ns; the next interval starts at
 * now (taken before any other work, so that none of it leaks). */
static void hide_time(struct nat *n, uint64_t now, uint64_t hidden)
{
	clock_hide(n->vm, hidden);
	n->mark_host = now;
}

/*
 * The child's CPU clock is a real system call (the vDSO serves only the
 * host's clocks), so it is read once per stop: a stopped child's CPU time
 * stands still, and the reading at its last stop is the mark for its next
 * run -- unless it ran an injected call meanwhile (cpu_mark_stale).  A
 * parked child keeps its own mark and flag (space.c, swap_running), so a
 * change of child reads no clock here either.
 */
void nat_clock_resume(struct nat *n)
{
	uint64_t now = nat_host_ns();

	hide_time(n, now, now - n->mark_host);
	if (n->cpu_mark_stale) {
		n->mark_cpu = child_cpu_ns(n);
		n->cpu_mark_stale = false;
	}
}

/*
 * The kernel's cost of a stop is not constant: it grows when the machine
 * is busy (caches, and a virtual machine's CPU time holds the time its
 * host took the CPU away).  So the estimate follows the stops: it moves
 * towards the 75th percentile of the child's CPU time per stop (the
 * stochastic quantile rule: up 3 steps when above, down 1 when below),
 * kept between 1x and NAT_STOP_COST_MAX times the cost measured at
 * start-up: a guest that computes for a millisecond between two timer
 * stops loses at most that much of it (some 60 us).
 */
static void track_stop_cost(struct nat *n, uint64_t cpu)
{
	uint64_t step = n->stop_base / 16;

	if (cpu > n->stop_cost)
		n->stop_cost += 3 * step;
	else if (n->stop_cost > step)
		n->stop_cost -= step;
	if (n->stop_cost < n->stop_base)
		n->stop_cost = n->stop_base;
	if (n->stop_cost > NAT_STOP_COST_MAX * n->stop_base)
		n->stop_cost = NAT_STOP_COST_MAX * n->stop_base;
}

void nat_clock_stop(struct nat *n)
{
	uint64_t now = nat_host_ns();
	uint64_t host = now - n->mark_host;
	uint64_t cpu_now = child_cpu_ns(n);
	uint64_t cpu = cpu_now - n->mark_cpu;
	uint64_t guest = cpu > n->stop_cost ? cpu - n->stop_cost : 0;

	n->mark_cpu = cpu_now;
	track_stop_cost(n, cpu);
	hide_time(n, now, host > guest ? host - guest : 0);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/*
 * The child's CPU time for one stop and resume with nothing to run: a
 * guest trap's bare cost.  Measured a few times on the stub's cli (a #GP,
 * a SIGSEGV, a ptrace stop, exactly as a guest's privileged instruction;
 * an int3 is a microsecond cheaper, since the host kernel tries its UMIP
 * emulation on every #GP from user mode), keeping the 90th percentile, so
 * that a trap with no guest work in it counts as nothing.
 */
static void calibrate_stop_cost(struct nat *n)
{
	uint64_t t[NAT_CALIBRATION_TRIPS];
	int i;

	for (i = 0; i < NAT_CALIBRATION_TRIPS; i++) {
		uint64_t t0 = child_cpu_ns(n);
		if (nat_bare_stop(n) < 0)
			break;
		t[i] = child_cpu_ns(n) - t0;
	}
	qsort(t, (size_t)i, sizeof(t[0]), cmp_u64);
	n->stop_base = n->stop_cost = i ? t[i * 9 / 10] : 0;
}

uint64_t nat_event_deadline(struct vm *vm)
{
	return clock_next_host_deadline(vm);
}

int nat_clock_init(struct nat *n)
{
	if (clock_getcpuclockid(n->pid, &n->cpu_clock) != 0)
		return -1;
	n->mark_host = nat_host_ns();
	calibrate_stop_cost(n);
	n->cpu_mark_stale = true;
	return 0;
}

/*
 * While the monitor handles an exit the virtual clock is held where the
 * child stopped (clock_hold), and it goes on from there at the next run.
 * The exception is hlt: the run loop sleeps until the next timer event,
 * and that sleep must pass on the clock.
 */
void nat_clock_hold(struct nat *n, bool halting)
{
	struct vm *vm = n->vm;
	uint64_t now = nat_host_ns();

	hide_time(n, now, now - n->mark_host); /* classify()'s own time */
	if (halting)
		return;
	clock_hold(vm, now);
}

void nat_clock_release(struct nat *n)
{
	struct vm *vm = n->vm;
	uint64_t now = nat_host_ns();

	clock_release(vm, now);
	n->mark_host = now;
}

#endif /* __linux__ && __x86_64__ */
