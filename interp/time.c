/*
 * interp/time.c - the time-stamp counter and other counters: rdtsc,
 * rdtscp, rdpid, rdpmc.
 *
 * The guest's TSC is a counter plus an offset that wrmsr to IA32_TSC
 * sets (vcpu.tsc_offset).  The counter is the host's TSC, so the guest's
 * runs at the host's rate: rdtsc does not trap at ring 3 on this host
 * (TSC faulting does nothing here), and on the native engine the guest
 * reads the raw host TSC - it is sensitive-unprivileged (and so does
 * softcpu's under --isa=x86: engines/softcpu/host.c).  Under --icount
 * (softcpu; rdtsc traps under --isa=strict) virtual time is the count of
 * instructions retired, and a TSC at the host's pace would show the guest
 * the host's time between two of its instructions, so that no run
 * repeats another; there the counter is virtual time itself, one tick a
 * nanosecond (ICOUNT_TSC_HZ), the clock the PIT, the RTC and the local
 * APIC's timer count (core/clock.h), as one crystal drives them all on a
 * PC with an invariant TSC.
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

/* The counter under the guest's TSC (above). */
static uint64_t tsc_counter(const struct vm *vm)
{
	return vm->clock.icount_ns ? clock_now(vm) : interp_host_tsc();
}

uint64_t interp_guest_tsc(const struct vm *vm)
{
	return tsc_counter(vm) + vm->vcpu.tsc_offset;
}

void interp_set_guest_tsc(struct vm *vm, uint64_t tsc)
{
	vm->vcpu.tsc_offset = tsc - tsc_counter(vm);
}

/*
 * The guest's TSC rate.  The host TSC's is measured once against the
 * host's monotonic clock over TSC_CALIBRATE_NS.
 */
#define TSC_CALIBRATE_NS 10000000ULL
#define ICOUNT_TSC_HZ 1000000000ULL

uint64_t interp_tsc_hz(const struct vm *vm)
{
	static uint64_t hz;

	if (vm->clock.icount_ns)
		return ICOUNT_TSC_HZ;
	if (!hz) {
		struct timespec pause = { 0, (long)TSC_CALIBRATE_NS };
		uint64_t t0 = interp_host_tsc(), ns0 = clock_host_ns();

		nanosleep(&pause, NULL);
		uint64_t dt = interp_host_tsc() - t0, dns = clock_host_ns() - ns0;
		hz = dns ? (uint64_t)((unsigned __int128)dt * 1000000000ULL /
				      dns) : 1000000000ULL;
		if (!hz)
			hz = 1;
	}
	return hz;
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
	tsc = interp_guest_tsc(vm);
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
