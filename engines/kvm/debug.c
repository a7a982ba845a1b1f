/*
 * engines/kvm/debug.c - the debugger's breakpoints, watchpoints and
 * single steps (core/debug.h) on the CPU in guest mode.
 *
 * Under hardware assist the guest's code runs on the real CPU, as under
 * native, so the same x86 debug registers do the comparing
 * (isa/debugreg.c plans them); only the way in differs.  KVM owns the
 * guest's debug registers, so a user-space debugger asks KVM
 * (KVM_SET_GUEST_DEBUG) to load its own values into DR0-DR3 and DR7 while
 * the guest runs (KVM_GUESTDBG_USE_HW_BP) and to intercept #DB: when one
 * fires, KVM_RUN returns KVM_EXIT_DEBUG with the CPU's DR6, and the guest
 * never sees the exception.  A single step is the CPU's own too
 * (KVM_GUESTDBG_SINGLESTEP): KVM sets RFLAGS.TF for the guest, hides it
 * from the guest and from KVM_GET_REGS, and reports the #DB (DR6.BS)
 * after one instruction.  Meanwhile the guest's own DR7 is not in effect
 * (KVM_GET_DEBUGREGS still shows the guest its values), as under QEMU's
 * gdbstub with KVM.  Nothing is written into guest memory: gdb's software
 * breakpoints (Z0) are the CPU's instruction breakpoints as well, so at
 * most four in all, as on native.
 *
 * The engine borrows the single step for itself once in a while: to carry
 * the guest over the one instruction of an interrupt shadow while an
 * interrupt waits (kvm.c, enter), and then puts the debugger's plan back.
 *
 * Resuming at an instruction breakpoint (gdb's continue from the stop),
 * the engine sets RFLAGS.RF, the flag x86 itself has for it: the
 * instruction there runs once without the breakpoint firing again
 * (SDM vol. 3, 18.3.1.1).
 */
#include "engines/kvm/kvm.h"

#ifdef KVM_ENGINE_BUILT
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

#include "core/exit.h"
#include "core/vm.h"
#include "isa/x86.h"

/* Does the guest resume from one of the debugger's breakpoints? */
static bool resumes_at_break(const struct vm *vm)
{
	const struct vm_debug *d = &vm->debug;
	uint64_t lin = vm->vcpu.seg[SEG_CS].base + vm->vcpu.rip;

	if (!d->resume_over)
		return false;
	for (unsigned i = 0; i < d->nbreaks; i++)
		if (d->breaks[i] == lin)
			return true;
	return false;
}

/*
 * Load the debugger's plan into KVM, with a single step on top when step
 * says so (the debugger's own, or the engine's step over an interrupt
 * shadow: kvm.c's enter).
 */
int kv_debug_load(const struct vm *vm, struct kv *k, bool step)
{
	const struct vm_debug *d = &vm->debug;
	struct kvm_guest_debug g;

	memset(&g, 0, sizeof(g));
	if (d->nbreaks + d->nwatches > 0)
		g.control |= KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_USE_HW_BP;
	if (step)
		g.control |= KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_SINGLESTEP;
	for (int i = 0; i < 4; i++)
		g.arch.debugreg[i] = k->dr.addr[i];
	g.arch.debugreg[7] = k->dr.dr7;
	return ioctl(k->vcpu_fd, KVM_SET_GUEST_DEBUG, &g);
}

int kv_set_debug(struct vm *vm, char *why, size_t len)
{
	struct kv *k = vm->engine_data;

	if (!k)
		return 0;
	if (dr_plan(&vm->debug, &k->dr, "kvm", why, len) < 0)
		return -1;
	if (kv_debug_load(vm, k, vm->single_step) < 0) {
		snprintf(why, len, "kvm: KVM_SET_GUEST_DEBUG: %s",
			 strerror(errno));
		return -1;
	}
	if (resumes_at_break(vm))
		vm->vcpu.rflags |= FL_RF;
	return 0;
}

/*
 * KVM_EXIT_DEBUG: a #DB the engine asked for.  A breakpoint or watchpoint
 * (DR6.B0-B3) becomes the debugger's stop; a single step (DR6.BS) retired
 * one instruction, which is what the gdb stub waits for.  Either way the
 * run loop gets control back.
 */
void kv_debug_exit(struct vm *vm, struct kv *k, struct vm_exit *x)
{
	const struct kvm_debug_exit_arch *a = &k->run->debug.arch;

	x->reason = EXIT_INTERRUPT;
	if (dr_stop(&vm->debug, &k->dr, a->dr6, vm->vcpu.rip))
		return;
	if (a->dr6 & DR6_BS)
		vm->vcpu.instructions++;
}
#endif /* KVM_ENGINE_BUILT */
