/*
 * core/clock.c - virtual time (core/clock.h).
 */
#include <time.h>

#include "core/clock.h"
#include "core/vm.h"

#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
#endif

uint64_t clock_host_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

uint64_t clock_host_ticks(void)
{
#if defined(__x86_64__) || defined(__i386__)
	return __rdtsc();
#else
	return clock_host_ns();
#endif
}

uint64_t clock_ticks_to_ns(uint64_t ticks, uint64_t span_ticks,
			   uint64_t span_ns)
{
	if (!span_ticks)
		return ticks;
	return (uint64_t)((unsigned __int128)ticks * span_ns / span_ticks);
}

void clock_init(struct vm *vm, uint64_t icount_ns)
{
	struct vm_clock *c = &vm->clock;

	*c = (struct vm_clock){ .icount_ns = icount_ns,
				.origin_ns = clock_host_ns() };
	for (int t = 0; t < CLOCK_NTIMERS; t++)
		c->deadline[t] = CLOCK_NEVER;
	c->next = CLOCK_NEVER;
}

/*T:630 Virtual time, and the one function that says what time it is for the
 * guest.  With --icount it is the guest's instructions retired times a
 * fixed number of nanoseconds, plus the instructions a busy CPU would have
 * run while the vCPU was halted: a run then repeats exactly, tick for
 * tick.  Otherwise it is the host's monotonic clock since reset, less what
 * an engine hid (the native engine's ptrace round trips), or standing
 * still while the monitor handles a native exit.  Timers only register
 * deadlines; no device and no engine reads the host clock for the guest.
 */
uint64_t clock_now(const struct vm *vm)
{
	const struct vm_clock *c = &vm->clock;

	if (c->icount_ns)
		return (vm->vcpu.instructions + c->icount_bias) * c->icount_ns;
	if (c->held_ns)
		return c->held_ns;
	return clock_host_ns() - c->origin_ns;
}

/*
 * The earliest deadline is asked for after every exit (the run loop's
 * set_deadline) and changes only here, so it is kept (c->next) rather
 * than found each time.  A deadline that comes earlier is the new
 * earliest; one that moves later than the earliest, when it was the
 * earliest, makes the others be looked at again.
 */
void clock_set_deadline(struct vm *vm, enum clock_timer t, uint64_t when)
{
	struct vm_clock *c = &vm->clock;
	uint64_t old = c->deadline[t];

	c->deadline[t] = when;
	if (when <= c->next) {
		c->next = when;
	} else if (old == c->next) {
		c->next = CLOCK_NEVER;
		for (int i = 0; i < CLOCK_NTIMERS; i++)
			if (c->deadline[i] < c->next)
				c->next = c->deadline[i];
	}
}

uint64_t clock_next_deadline(const struct vm *vm)
{
	return vm->clock.next;
}

uint64_t clock_next_host_deadline(const struct vm *vm)
{
	const struct vm_clock *c = &vm->clock;
	uint64_t t = clock_next_deadline(vm), now;

	if (t == CLOCK_NEVER)
		return CLOCK_NEVER;
	if (!c->icount_ns && !c->held_ns)
		return c->origin_ns + t; /* the same answer until it changes,
					    so a host timer is re-armed only
					    when the deadline moves */
	now = clock_now(vm);
	return clock_host_ns() + (t > now ? t - now : 0);
}

void clock_advance_to(struct vm *vm, uint64_t t)
{
	struct vm_clock *c = &vm->clock;
	uint64_t now = clock_now(vm);

	if (t <= now)
		return;
	if (c->icount_ns) {
		c->icount_bias += (t - now + c->icount_ns - 1) / c->icount_ns;
		return;
	}
	struct timespec ts = { (time_t)((t - now) / 1000000000ULL),
			       (long)((t - now) % 1000000000ULL) };
	nanosleep(&ts, NULL); /* Ctrl-C cuts it short: fine */
}

void clock_hide(struct vm *vm, uint64_t ns)
{
	vm->clock.origin_ns += ns;
}

void clock_hold(struct vm *vm, uint64_t host_ns)
{
	struct vm_clock *c = &vm->clock;

	c->held_ns = host_ns - c->origin_ns;
	if (!c->held_ns)
		c->held_ns = 1; /* 0 means "not held" */
}

void clock_release(struct vm *vm, uint64_t host_ns)
{
	struct vm_clock *c = &vm->clock;

	if (c->held_ns) {
		c->origin_ns = host_ns - c->held_ns;
		c->held_ns = 0;
	}
}
