/*
 * engines/native/debug.c - the debugger's breakpoints and watchpoints
 * (core/debug.h) on the host CPU's debug registers, in the child.
 *
 * The guest's code runs on the real CPU, so an address cannot be compared
 * in software as softcpu does; x86 compares it in hardware instead: DR0 to
 * DR3 hold up to four linear addresses, DR7 says for each whether it is
 * an instruction breakpoint (a fault: the instruction has not run) or a
 * data breakpoint on writes or on any access (a trap: the access has
 * happened), and of 1, 2, 4 or 8 bytes (SDM vol. 3, 18.2).  Linux lets a
 * tracer set a child's (PTRACE_POKEUSER of u_debugreg), stops the child
 * with SIGTRAP, TRAP_HWBKPT when one fires, and says which in DR6.  The
 * guest's linear addresses are the child's own (native.h), so the values
 * go in as they are.  Nothing is written into guest memory.
 *
 * What x86 has not, this engine refuses with a reason: more than four in
 * all, a read-only watchpoint (gdb's rwatch: x86 watches writes, or reads
 * and writes), a watched range that is not 1, 2, 4 or 8 bytes aligned on
 * its size.  The single step is the engine's own (PTRACE_SYSEMU_SINGLESTEP
 * under vm->single_step, native.c).  After an instruction breakpoint the
 * host kernel sets RFLAGS.RF in the child, and the engine keeps it
 * (NAT_FLAGS leaves RF to the child): resumed there, the instruction runs
 * once without stopping again, as RF means.
 */
#if defined(__linux__) && defined(__x86_64__)

#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/user.h>

#include "engines/native/native.h"
#include "core/engine.h"
#include "core/exit.h"
#include "core/vm.h"

#define DR_OFFSET(i) offsetof(struct user, u_debugreg[i])
#define DR7_RW_WRITE 1ULL
#define DR7_RW_ACCESS 3ULL

/* DR7's LEN field for a watch of len bytes (SDM vol. 3, 18.2.4). */
static int dr7_len(uint64_t len)
{
	switch (len) {
	case 1: return 0;
	case 2: return 1;
	case 4: return 3;
	case 8: return 2;
	default: return -1;
	}
}

static int poke_dr(struct nat *n, int i, uint64_t val)
{
	return (int)ptrace(PTRACE_POKEUSER, n->pid, DR_OFFSET(i), val);
}

/* The debug registers for vm->debug: what each slot holds, then DR7. */
static int plan(struct nat *n, uint64_t addr[4], uint64_t *dr7, char *why,
		size_t len)
{
	const struct vm_debug *d = &n->vm->debug;
	unsigned k = 0;

	*dr7 = 0;
	if (d->nbreaks + d->nwatches > 4) {
		snprintf(why, len, "native: x86 has 4 debug registers, and %u "
			 "breakpoints and watchpoints were asked for",
			 d->nbreaks + d->nwatches);
		return -1;
	}
	for (unsigned i = 0; i < d->nbreaks; i++, k++) {
		n->dr_is_watch[k] = false;
		addr[k] = d->breaks[i];
		*dr7 |= 1ULL << (2 * k); /* L: enabled; RW, LEN 0: execute */
	}
	for (unsigned i = 0; i < d->nwatches; i++, k++) {
		const struct debug_watch *w = &d->watches[i];
		int l = dr7_len(w->len);

		if (w->kind == WATCH_READ || l < 0 || w->addr % w->len) {
			snprintf(why, len, "native: x86 cannot watch %s of %"
				 PRIu64 " bytes at %#" PRIx64, w->kind ==
				 WATCH_READ ? "reads alone" : "a range",
				 w->len, w->addr);
			return -1;
		}
		n->dr_is_watch[k] = true;
		n->dr_watch[k] = i;
		addr[k] = w->addr;
		*dr7 |= 1ULL << (2 * k) |
			((w->kind == WATCH_WRITE ? DR7_RW_WRITE : DR7_RW_ACCESS)
			 << (16 + 4 * k)) | ((uint64_t)l << (18 + 4 * k));
	}
	return 0;
}

int nat_set_debug(struct vm *vm, char *why, size_t len)
{
	struct nat *n = vm->engine_data;
	uint64_t addr[4] = { 0 }, dr7;

	if (!n)
		return 0;
	if (plan(n, addr, &dr7, why, len) < 0)
		return -1;
	/* DR7 off first: Linux checks each address against what DR7
	 * enables at the time it is written */
	if (poke_dr(n, 7, 0) < 0)
		goto fail;
	for (int i = 0; i < 4; i++)
		if (addr[i] && poke_dr(n, i, addr[i]) < 0)
			goto fail;
	if (poke_dr(n, 7, dr7) < 0)
		goto fail;
	return 0;
fail:
	snprintf(why, len, "native: the child's debug registers: %s",
		 strerror(errno));
	return -1;
}

bool nat_debug_stop(struct nat *n, struct vm_exit *x)
{
	struct vm_debug *d = &n->vm->debug;
	errno = 0;
	long dr6 = ptrace(PTRACE_PEEKUSER, n->pid, DR_OFFSET(6), 0);

	if (dr6 == -1 && errno)
		return false;
	for (int i = 0; i < 4; i++) {
		if (!(dr6 & (1L << i)))
			continue;
		poke_dr(n, 6, 0);
		if (n->dr_is_watch[i]) {
			const struct debug_watch *w =
				&d->watches[n->dr_watch[i]];
			d->stop = DEBUG_STOP_WATCH;
			d->stop_addr = w->addr;
			d->stop_kind = w->kind;
		} else {
			d->stop = DEBUG_STOP_BREAK;
			d->stop_addr = n->vm->vcpu.rip;
		}
		x->reason = EXIT_INTERRUPT;
		x->rip = n->vm->vcpu.rip;
		return true;
	}
	return false;
}

#endif
