/*
 * interp/hlt.c - hlt: stop the virtual CPU until an interrupt.
 *
 * The real CPU cannot be stopped for a guest, so the monitor marks the
 * vCPU halted; the dispatcher then waits for an interrupt source (or ends
 * a guest that can never wake).  RIP moves past hlt first: the interrupt
 * handler returns to the next instruction.
 */
#include "interp/internal.h"
#include "core/lab.h"

void interp_hlt(struct vm *vm, const struct insn *in)
{
	/* LAB 2 BEGIN: interp_hlt: halt the virtual CPU (task 2) */
	if (!interp_require_cpl0(vm))
		return;
	vm->vcpu.halted = true;
	interp_report(vm, &(struct interp_effect){ .kind = EFFECT_HALT });
	interp_advance(vm, in);
	/* LAB 2 END; hole: lab_todo(vm, 2, "interp_hlt"); (void)in; */
}
