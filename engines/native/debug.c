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
 * What goes in which register, and what x86 cannot do (refused with a
 * reason), is isa/debugreg.c's dr_plan(), shared with the kvm engine.  The single step is the engine's own (PTRACE_SYSEMU_SINGLESTEP
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

static int poke_dr(struct nat *n, int i, uint64_t val)
{
	return (int)ptrace(PTRACE_POKEUSER, n->pid, DR_OFFSET(i), val);
}

int nat_debug_apply(struct nat *n)
{
	const struct dr_plan *p = &n->dr;

	/* DR7 off first: Linux checks each address against what DR7
	 * enables at the time it is written */
	if (poke_dr(n, 7, 0) < 0)
		return -1;
	for (int i = 0; i < 4; i++)
		if (p->addr[i] && poke_dr(n, i, p->addr[i]) < 0)
			return -1;
	if (poke_dr(n, 7, p->dr7) < 0)
		return -1;
	n->dr_stale = false;
	return 0;
}

int nat_set_debug(struct vm *vm, char *why, size_t len)
{
	struct nat *n = vm->engine_data;

	if (!n)
		return 0;
	if (dr_plan(&vm->debug, &n->dr, "native", why, len) < 0)
		return -1;
	/* the parked children get them when they run next (space.c) */
	for (int i = 0; i < NAT_CHILDREN - 1; i++)
		n->parked[i].dr_stale = true;
	if (nat_debug_apply(n) < 0) {
		snprintf(why, len, "native: the child's debug registers: %s",
			 strerror(errno));
		return -1;
	}
	return 0;
}

bool nat_debug_stop(struct nat *n, struct vm_exit *x)
{
	errno = 0;
	long dr6 = ptrace(PTRACE_PEEKUSER, n->pid, DR_OFFSET(6), 0);

	if (dr6 == -1 && errno)
		return false;
	if (!dr_stop(&n->vm->debug, &n->dr, (uint64_t)dr6, n->vm->vcpu.rip))
		return false;
	poke_dr(n, 6, 0);
	x->reason = EXIT_INTERRUPT;
	x->rip = n->vm->vcpu.rip;
	return true;
}

#endif
