/*
 * engines/softcpu/debug.c - breakpoints, watchpoints and single steps for
 * the debugger (core/debug.h), none of them visible to the guest.
 *
 * A breakpoint is a comparison: before the run loop executes the
 * instruction at linear address lin, it asks whether lin is in
 * vm->debug.breaks (only while c->dbg says some are set, so a run without
 * a debugger pays one predictable branch).  Guest memory never holds an
 * int3, so the guest reading its own code sees its own bytes, and the
 * decoded-instruction cache stays valid.
 *
 * A watchpoint lives in the MMU.  A page that holds a watched byte is
 * never entered in the TLB (sc_tlb_fill gives it c->watch_page, as it
 * gives a device page c->mmio_page), so every access to it takes
 * sc_map_slow, which compares the access with the watched ranges and
 * notes a hit.  Like x86's data breakpoints the hit is a trap: the
 * instruction completes, then the run stops with RIP after it.
 *
 * A single step is vm->single_step: run() executes one instruction.
 */
#include "engines/softcpu/softcpu.h"
#include "core/engine.h"
#include "core/vm.h"

bool sc_watch_page(const struct sc_cpu *c, uint64_t va)
{
	const struct vm_debug *d = &c->vm->debug;
	uint64_t page = va & ~(uint64_t)(PAGE_4K - 1);

	for (unsigned i = 0; i < d->nwatches; i++) {
		const struct debug_watch *w = &d->watches[i];
		if (w->addr < page + PAGE_4K && page < w->addr + w->len)
			return true;
	}
	return false;
}

void sc_watch_check(struct sc_cpu *c, uint64_t va, unsigned len,
		    unsigned acc)
{
	const struct debug_watch *w;

	if (c->watch_hit)
		return; /* the instruction's first hit is the one reported */
	w = debug_watch_hit(&c->vm->debug, va, len,
			    (acc & ACC_WRITE) ? WATCH_WRITE : WATCH_READ);
	if (w)
		c->watch_hit = w;
}

/* Stop the run for the debugger; RIP stays where the stop says. */
static int debug_stop(struct sc_cpu *c, enum debug_stop why, uint64_t addr)
{
	c->vm->debug.stop = why;
	c->vm->debug.stop_addr = addr;
	c->exit->reason = EXIT_INTERRUPT;
	c->exit->rip = c->v->rip;
	return SC_STOP;
}

int sc_debug_break(struct sc_cpu *c, uint64_t lin)
{
	return debug_stop(c, DEBUG_STOP_BREAK, lin);
}

int sc_debug_watch(struct sc_cpu *c)
{
	const struct debug_watch *w = c->watch_hit;

	c->watch_hit = NULL;
	c->vm->debug.stop_kind = w->kind; /* gdb names the watchpoint */
	return debug_stop(c, DEBUG_STOP_WATCH, w->addr);
}

/* The watched pages must leave the TLB: flush it all, it is small. */
int sc_set_debug(struct vm *vm, char *why, size_t len)
{
	struct sc_cpu *c = vm->engine_data;

	(void)why;
	(void)len;
	if (!c)
		return 0;
	c->dbg = vm->debug.nbreaks || vm->debug.nwatches;
	c->watch_hit = NULL;
	sc_tlb_flush(c, SHADOW_FLUSH_ALL);
	c->code_vpn = SC_TLB_EMPTY;
	return 0;
}
