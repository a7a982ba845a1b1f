/*
 * interp/flags.c - the interrupt flag and RFLAGS: cli, sti, pushf, popf.
 *
 * The guest kernel believes it runs at CPL 0 with the power to mask
 * interrupts; really it runs at ring 3 where the host's IF stays set.  The
 * virtual IF lives in vcpu.rflags and only the monitor acts on it when it
 * delivers interrupts.
 *
 * cli and sti trap at ring 3 (IOPL 0), so the monitor emulates them.
 * pushf and popf do not: on real x86 pushf shows the host's IF and IOPL,
 * popf silently ignores changes to them - the heart of why x86 is not
 * classically virtualizable.  Under --isa=strict they trap and come here.
 */
#include "interp/internal.h"
#include "core/lab.h"

/* RFLAGS bits that popf may ever change (the rest are fixed or read-only). */
#define FL_POPF_WRITABLE (FL_STATUS | FL_TF | FL_IF | FL_DF | FL_IOPL_MASK | \
			  FL_NT | FL_AC | FL_ID)

/* cli and sti need CPL <= IOPL (SDM, CLI: protected mode, PVI absent). */
static bool may_change_if(struct vm *vm)
{
	if (vm->vcpu.cpl <= interp_iopl(&vm->vcpu))
		return true;
	interp_gp(vm, 0);
	return false;
}

/*T:405 The cli that trapped in stop 115 ends here.  The routine checks what the
 * CPU would check - the *virtual* CPL against the *virtual* IOPL - clears
 * the *virtual* IF in struct vcpu and moves RIP past the instruction.  The
 * host's IF is never touched: the guest's code keeps running with
 * interrupts on, and it is the monitor that holds back interrupts while
 * the virtual IF is clear (stop 620).
 */
void interp_cli(struct vm *vm, const struct insn *in)
{
	/* LAB 2 BEGIN: interp_cli: clear the virtual IF (task 1) */
	if (!may_change_if(vm))
		return;
	vm->vcpu.rflags &= ~FL_IF;
	interp_report_reg(vm, "rflags", true, vm->vcpu.rflags);
	interp_advance(vm, in);
	/* LAB 2 END; hole: lab_todo(vm, 2, "interp_cli"); (void)in;
	 * (void)may_change_if; */
}

/*
 * sti enables interrupts only after the next instruction: an interrupt
 * pending now is taken after it (the "sti; hlt" idiom depends on it).
 */
void interp_sti(struct vm *vm, const struct insn *in)
{
	/* LAB 2 BEGIN: interp_sti: set the virtual IF, one insn late (task 1) */
	if (!may_change_if(vm))
		return;
	if (!(vm->vcpu.rflags & FL_IF))
		vm->vcpu.interrupt_shadow = true;
	vm->vcpu.rflags |= FL_IF;
	interp_report_reg(vm, "rflags", true, vm->vcpu.rflags);
	interp_advance(vm, in);
	/* LAB 2 END; hole: lab_todo(vm, 2, "interp_sti"); (void)in; */
}

/*
 * pushfq (pushfd in 32-bit code) pushes RFLAGS with VM and RF cleared;
 * pushfw its low 16 bits.
 */
void interp_pushf(struct vm *vm, const struct insn *in)
{
	unsigned size = interp_stack_opsize(vm, in);
	uint64_t image = vm->vcpu.rflags & ~(FL_VM | FL_RF);

	if (interp_push(vm, image, size) < 0)
		return;
	interp_report_reg(vm, "rflags", false, image);
	interp_advance(vm, in);
}

/*T:410 popf shows why x86 fails Popek and Goldberg's test.  Which flags
 * it may change depends on privilege (SDM, POPF):
 *   CPL 0            everything writable, IOPL included
 *   0 < CPL <= IOPL  all but IOPL
 *   CPL > IOPL       all but IOPL and IF - silently, without a fault
 */
static uint64_t popf_mask(const struct vcpu *v, unsigned size)
{
	uint64_t mask = FL_POPF_WRITABLE;

	if (v->cpl > 0)
		mask &= ~FL_IOPL_MASK;
	if (v->cpl > interp_iopl(v))
		mask &= ~FL_IF;
	if (size == 2)
		mask &= 0xffff;
	return mask;
}

void interp_popf(struct vm *vm, const struct insn *in)
{
	struct vcpu *v = &vm->vcpu;
	unsigned size = interp_stack_opsize(vm, in);
	uint64_t val, mask = popf_mask(v, size);

	if (interp_pop(vm, &val, size) < 0)
		return;
	/* RF is cleared by every popf whatever its operand size. */
	v->rflags = ((v->rflags & ~mask) | (val & mask) | FL_FIXED1) & ~FL_RF;
	interp_report_reg(vm, "rflags", true, v->rflags);
	interp_advance(vm, in);
}
