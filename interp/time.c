/*
 * interp/time.c - the time-stamp counter and other counters: rdtsc,
 * rdtscp, rdpid, rdpmc.
 *
 * The guest's TSC is the host's plus an offset that wrmsr to IA32_TSC
 * sets, so it runs at the host's rate.  rdtsc does not trap at ring 3 on
 * this host (TSC faulting does nothing here): on the native engine the
 * guest reads the raw host TSC - it is sensitive-unprivileged.
 */
#include <time.h>

#include "interp/internal.h"

#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
#endif

uint64_t interp_host_tsc(void)
{
#if defined(__x86_64__) || defined(__i386__)
	return __rdtsc();
#else
	/* No TSC on this host: a monotonic count at 1 GHz stands in. */
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
#endif
}

/* rdtsc: EDX:EAX = TSC; CR4.TSD restricts it to CPL 0. */
void interp_rdtsc(struct vm *vm, const struct insn *in)
{
	struct vcpu *v = &vm->vcpu;
	uint64_t tsc;

	if ((v->cr4 & CR4_TSD) && v->cpl > 0) {
		interp_gp(vm, 0);
		return;
	}
	tsc = interp_host_tsc() + v->tsc_offset;
	v->regs[GPR_RAX] = (uint32_t)tsc;
	v->regs[GPR_RDX] = tsc >> 32;
	interp_report_reg(vm, "tsc", false, tsc);
	interp_advance(vm, in);
}

/*
 * Instructions the virtual CPU does not have: rdtscp, rdpid and rdseed
 * (CPUID 0x80000001 EDX.RDTSCP and leaf 7's RDPID and RDSEED bits are 0).
 * #UD, as on QEMU's qemu64.
 */
void interp_absent(struct vm *vm, const struct insn *in)
{
	(void)in;
	interp_ud(vm);
}

/*
 * rdpmc: allowed at CPL 0, or anywhere with CR4.PCE; otherwise #GP(0).
 * The virtual CPU has no performance counters at all (CPUID leaf 0xa is
 * zero), so a permitted rdpmc is #UD, as on QEMU's CPU models.
 */
void interp_rdpmc(struct vm *vm, const struct insn *in)
{
	(void)in;
	if (vm->vcpu.cpl > 0 && !(vm->vcpu.cr4 & CR4_PCE))
		interp_gp(vm, 0);
	else
		interp_ud(vm);
}
