/*
 * core/debug.h - what a debugger asks of the engines: breakpoints,
 * watchpoints, single steps.
 *
 * The gdb stub (monitor/gdbstub.c) fills vm->debug and calls the engine's
 * set_debug hook (core/engine.h); the engine stops where it is told, with
 * EXIT_INTERRUPT and the reason in vm->debug.stop, and the run loop
 * (monitor/run.c) hands the stop to the stub before the dispatcher sees
 * the exit.  None of it is visible to the guest: a breakpoint is an
 * address the engine compares RIP with before it executes an instruction
 * (no int3 is ever written into guest memory), a watchpoint an address
 * range its MMU compares accesses with (and so does the monitor's own
 * guest-linear access, for what it reads and writes on the guest's
 * behalf: debug_watch_note), a single step a run of one instruction
 * (vm->single_step).
 */
#ifndef CORE_DEBUG_H
#define CORE_DEBUG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DEBUG_MAX_BREAKS 64
#define DEBUG_MAX_WATCHES 4 /* as many as x86 has debug registers */

/* What a watchpoint watches (gdb's Z2, Z3, Z4). */
enum debug_watch_kind {
	WATCH_WRITE = 1,
	WATCH_READ = 2,
	WATCH_ACCESS = 3, /* read or write */
};

struct debug_watch {
	uint64_t addr;      /* linear address of the first byte */
	uint64_t len;       /* 1 to 8 bytes */
	enum debug_watch_kind kind;
};

/* Why the engine stopped for the debugger. */
enum debug_stop {
	DEBUG_STOP_NONE,
	DEBUG_STOP_BREAK,   /* RIP reached a breakpoint; not executed */
	DEBUG_STOP_WATCH,   /* an instruction touched a watched range; it
			       completed (a trap, as on x86) */
};

struct vm_debug {
	/* Set by the debugger, read by the engines. */
	unsigned nbreaks;
	uint64_t breaks[DEBUG_MAX_BREAKS];  /* linear addresses */
	unsigned nwatches;
	struct debug_watch watches[DEBUG_MAX_WATCHES];
	/*
	 * The guest resumes from a breakpoint's address: that breakpoint
	 * does not stop the instruction it sits on, once (as RFLAGS.RF
	 * does for x86's own instruction breakpoints), until
	 * vcpu.instructions moves past resume_count.
	 */
	bool resume_over;
	uint64_t resume_rip, resume_count;

	/* Set by the engine when it stops for the debugger. */
	enum debug_stop stop;
	uint64_t stop_addr;  /* the breakpoint, or the watched address hit */
	enum debug_watch_kind stop_kind; /* DEBUG_STOP_WATCH: the access */
};

/* Is there a breakpoint at linear address lin that may stop now? */
static inline bool debug_break_at(const struct vm_debug *d, uint64_t lin,
				  uint64_t rip, uint64_t count)
{
	for (unsigned i = 0; i < d->nbreaks; i++)
		if (d->breaks[i] == lin)
			return !(d->resume_over && rip == d->resume_rip &&
				 count == d->resume_count);
	return false;
}

/* The first watchpoint of kind (WATCH_READ or WATCH_WRITE) that
 * [lin, lin + len) touches, or NULL. */
static inline const struct debug_watch *
debug_watch_hit(const struct vm_debug *d, uint64_t lin, uint64_t len,
		enum debug_watch_kind kind)
{
	for (unsigned i = 0; i < d->nwatches; i++) {
		const struct debug_watch *w = &d->watches[i];

		if ((w->kind & kind) && lin < w->addr + w->len &&
		    w->addr < lin + len)
			return w;
	}
	return NULL;
}

/*
 * Note the first watchpoint a data access the monitor made for the guest
 * hits (an emulated instruction's operand, an exception frame pushed:
 * shadowpt's gva_read and gva_write), as an engine notes its own: the run
 * loop hands the stop to the debugger once that instruction, or that
 * delivery, is complete, as x86's data breakpoints trap after it.
 */
static inline void debug_watch_note(struct vm_debug *d, uint64_t lin,
				    uint64_t len, enum debug_watch_kind kind)
{
	const struct debug_watch *w;

	if (!d->nwatches || d->stop != DEBUG_STOP_NONE)
		return;
	w = debug_watch_hit(d, lin, len, kind);
	if (!w)
		return;
	d->stop = DEBUG_STOP_WATCH;
	d->stop_addr = w->addr;
	d->stop_kind = w->kind; /* gdb names the watchpoint */
}

#endif /* CORE_DEBUG_H */
