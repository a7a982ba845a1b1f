/*
 * core/clock.h - virtual time, and the one module that owns it.
 *
 * The guest's timers count virtual time: nanoseconds since the machine was
 * reset.  Where it comes from is decided here and nowhere else:
 *
 *   host clock   (default) the host's monotonic clock, less whatever an
 *                engine asks to hide (clock_hide): the native engine takes
 *                its ptrace round trips off, so that a trap costs the guest
 *                no more virtual time than on softcpu;
 *   held         (clock_hold .. clock_release) the clock stands still
 *                while the monitor handles a native exit;
 *   --icount     guest instructions retired times icount_ns, plus the
 *                instructions a busy CPU would have run while the vCPU was
 *                halted (clock_advance_to), so that a run repeats exactly.
 *
 * Timers (the PIT, the RTC and the LAPIC timer) register the
 * virtual time of their next event with clock_set_deadline(); the run loop
 * and the engines ask clock_next_deadline() when they must come back.
 * Engines and devices never write these fields themselves.
 */
#ifndef CORE_CLOCK_H
#define CORE_CLOCK_H

#include <stdint.h>

struct vm;

/* The timers that register deadlines: one slot each. */
enum clock_timer {
	CLOCK_PIT,      /* 8254 channel 0, IRQ 0 */
	CLOCK_RTC,      /* MC146818 update-ended interrupt, IRQ 8 */
	CLOCK_LAPIC,    /* the local APIC's timer */
	CLOCK_BACKEND,  /* a virtio back end elsewhere has work in flight */
	CLOCK_NTIMERS
};

#define CLOCK_NEVER UINT64_MAX /* a timer with no event to come */

struct vm_clock {
	uint64_t icount_ns;   /* --icount: ns per instruction; 0: host clock */
	uint64_t origin_ns;   /* host time at virtual time 0, plus hidden time */
	uint64_t held_ns;     /* nonzero: the clock stands still here */
	uint64_t icount_bias; /* instructions skipped while halted (icount) */
	uint64_t deadline[CLOCK_NTIMERS]; /* each timer's next event */
	uint64_t next;        /* the earliest of them (clock_set_deadline) */
};

/* Nanoseconds from the host's monotonic clock. */
uint64_t clock_host_ns(void);
/*
 * The host's cheapest counter of passing time, in ticks of no stated
 * length: its time-stamp counter on x86 (one instruction, where
 * clock_host_ns is a call into the vDSO that reads the same counter and
 * scales it), clock_host_ns elsewhere.  For measuring the monitor, never
 * for the guest's time: a reader converts a sum of ticks to ns by the
 * rate it saw over a span both clocks timed (clock_ticks_to_ns).
 */
uint64_t clock_host_ticks(void);
/* ticks as ns at the rate span_ticks took span_ns (ticks when no span). */
uint64_t clock_ticks_to_ns(uint64_t ticks, uint64_t span_ticks,
			   uint64_t span_ns);

/* Start virtual time at 0 now; icount_ns as --icount gave it (0: off). */
void clock_init(struct vm *vm, uint64_t icount_ns);

/* Virtual time in ns since reset. */
uint64_t clock_now(const struct vm *vm);

/* Timer t's next event is at virtual time when (CLOCK_NEVER: none). */
void clock_set_deadline(struct vm *vm, enum clock_timer t, uint64_t when);
/* The earliest registered event, or CLOCK_NEVER. */
uint64_t clock_next_deadline(const struct vm *vm);
/* The host time (clock_host_ns) at which the earliest event falls due
 * (perhaps already past), or CLOCK_NEVER; for engines that arm a host
 * timer (native, kvm). */
uint64_t clock_next_host_deadline(const struct vm *vm);

/*
 * A halted vCPU waits for virtual time t: sleep on the host clock, or
 * under --icount count the instructions a busy CPU would have run.
 */
void clock_advance_to(struct vm *vm, uint64_t t);

/* The native engine's trap cost: take ns of host time off the clock. */
void clock_hide(struct vm *vm, uint64_t ns);
/* Stop the clock at host time host_ns (for the monitor's own work), and
 * let it go on from there at host time host_ns. */
void clock_hold(struct vm *vm, uint64_t host_ns);
void clock_release(struct vm *vm, uint64_t host_ns);

#endif /* CORE_CLOCK_H */
