/*
 * interp/int.c - software interrupts: int n, int3, int1.
 *
 * int n is how 32-bit kernels took system calls and how a guest asks its
 * own kernel for a service.  It goes through the IDT like an exception,
 * with one difference: the gate's DPL must be at least the CPL, so user
 * code reaches only the gates the kernel opened to it; otherwise
 * #GP(n * 8 + 2).  The real IDT under a trap-and-emulate guest is the
 * host's, whose gates are DPL 0, so the guest kernel's int n traps and the
 * monitor performs it through the guest's IDT.
 *
 * All three are traps: the frame's RIP is the next instruction.
 */
#include "interp/internal.h"

/* The handler the vector entered, unless its delivery failed. */
static void report_int(struct vm *vm, uint8_t vector)
{
	const struct vcpu *v = &vm->vcpu;

	if (v->exception.pending || v->shutdown.pending || vm->stopped)
		return;
	interp_report(vm, &(struct interp_effect){ .kind = EFFECT_INT,
		      .reg = vector, .value = v->rip, .size = v->cpl,
		      .limit = v->seg[SEG_CS].selector });
}

/*T:470 int imm8: delivered through the IDT like an exception, but with
 * the gate's DPL checked against the virtual CPL.
 */
void interp_int(struct vm *vm, const struct insn *in)
{
	uint8_t vector = (uint8_t)in->x86.operands[0].imm;

	interp_deliver_event(vm, vector, false, 0, EVENT_SOFTWARE,
			     in->rip + in->size);
	report_int(vm, vector);
}

/* int3: #BP, with the DPL check of a software interrupt. */
void interp_int3(struct vm *vm, const struct insn *in)
{
	interp_deliver_event(vm, T_BP, false, 0, EVENT_SOFTWARE,
			     in->rip + in->size);
	report_int(vm, T_BP);
}

/* int1 (icebp): #DB as the hardware's own trap, without the DPL check. */
void interp_int1(struct vm *vm, const struct insn *in)
{
	interp_deliver_event(vm, T_DB, false, 0, EVENT_EXCEPTION,
			     in->rip + in->size);
	report_int(vm, T_DB);
}
