/*
 * isa/debugreg.h - a debugger's breakpoints and watchpoints as x86's own
 * debug registers would hold them.
 *
 * Two engines run the guest's code on a real CPU and so cannot compare
 * addresses in software as softcpu does: native (the host CPU, through
 * the ptraced child's debug registers) and kvm (the CPU in guest mode,
 * through KVM_SET_GUEST_DEBUG).  Both hand the CPU the same thing: up to
 * four linear addresses in DR0-DR3 and, in DR7, for each slot whether it
 * is enabled, what it watches (instruction fetch, writes, or reads and
 * writes) and how many bytes (SDM vol. 3, 18.2.4).  dr_plan() works it out
 * once for both, and refuses in one line what x86 has not: more than four
 * in all, a watch on reads alone (gdb's rwatch), a range that is not 1, 2,
 * 4 or 8 bytes aligned on its size.
 */
#ifndef ISA_DEBUGREG_H
#define ISA_DEBUGREG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/debug.h"

#define DR6_B_MASK 0xfULL        /* B0-B3: which slot's condition was met */
#define DR6_BS (1ULL << 14)      /* the #DB is a single step (RFLAGS.TF) */

struct dr_plan {
	uint64_t addr[4];        /* DR0-DR3 */
	uint64_t dr7;
	bool is_watch[4];        /* slot i is a watchpoint, else a break */
	unsigned watch[4];       /* ... and which of vm_debug.watches */
};

/* Fill p for d; 0, or -1 with the reason in why (engine names itself). */
int dr_plan(const struct vm_debug *d, struct dr_plan *p, const char *engine,
	    char *why, size_t len);

/*
 * The CPU reported the conditions met in DR6 (its B0-B3): record the stop
 * in d as the engines do (DEBUG_STOP_BREAK at rip, or DEBUG_STOP_WATCH
 * with the watched address and kind).  false when no planned slot fired.
 */
bool dr_stop(struct vm_debug *d, const struct dr_plan *p, uint64_t dr6,
	     uint64_t rip);

#endif /* ISA_DEBUGREG_H */
