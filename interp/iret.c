/*
 * interp/iret.c - far control transfers: iretq, far ret (lret), far jmp
 * (ljmp) and far call (lcall).
 *
 * Each loads CS, and so may change the CPL.  At ring 3 the guest kernel's
 * iretq and its far transfers to ring-0 selectors fault, and the monitor
 * performs them against the virtual CPL: returns to the kernel itself
 * (RPL 0) and to user mode (RPL 3).  Returning to an outer level also
 * loads SS:RSP from the stack and switches the shadow page tables to the
 * user view.
 *
 * Two things a 64-bit kernel never uses are left out and end the guest
 * with a reason: transfers to 32-bit (compatibility-mode) code, which this
 * monitor cannot run, and call gates.
 */
#include "interp/internal.h"
#include "core/lab.h"
#include "shadowpt/walk.h"

/* A 64-bit code segment has L = 1 and D = 0; L = D = 1 is reserved. */
static int check_long_code(struct vm *vm, uint16_t sel,
			   const struct seg_desc *d)
{
	if ((d->lo & DESC_L) && (d->lo & DESC_DB)) {
		interp_gp(vm, sel_error(sel));
		return -1;
	}
	if (!(d->lo & DESC_L)) {
		vm_kill(vm, VM_EXIT_TRIPLE_FAULT, "far transfer to selector "
			"%#x: compatibility mode is not supported", sel);
		return -1;
	}
	return 0;
}

/* Read a code descriptor for a far transfer: #GP(0) for null, #GP(sel)
 * beyond the table or for a non-code segment. */
static int read_code_desc(struct vm *vm, uint16_t sel, struct seg_desc *d)
{
	if (sel_error(sel) == 0) {
		interp_gp(vm, 0);
		return -1;
	}
	return interp_desc_fetch(vm, sel, false, d);
}

/*
 * The code segment a return (iretq, lret) goes to: RPL >= CPL;
 * conforming code with DPL <= RPL, other code with DPL = RPL; present.
 */
static int return_cs(struct vm *vm, uint16_t sel, struct seg_desc *d)
{
	unsigned rpl = sel & SEL_RPL_MASK;

	if (read_code_desc(vm, sel, d) < 0)
		return -1;
	if (!desc_is_code(d) || rpl < vm->vcpu.cpl ||
	    (desc_is_conforming(d) ? desc_dpl(d) > rpl : desc_dpl(d) != rpl)) {
		interp_gp(vm, sel_error(sel));
		return -1;
	}
	if (interp_desc_present(vm, sel, d, T_NP) < 0)
		return -1;
	return check_long_code(vm, sel, d);
}

/*
 * The stack segment a return loads: RPL and DPL equal to the new CPL, a
 * present writable data segment.  64-bit mode accepts a null SS below
 * CPL 3 (the kernel's own SS after an interrupt is null).
 */
static int return_ss(struct vm *vm, uint16_t sel, unsigned new_cpl,
		     struct vcpu_segment *ss)
{
	struct seg_desc d;
	uint32_t err = sel_error(sel);

	if (err == 0 && (new_cpl == CPL_USER ||
			 (sel & SEL_RPL_MASK) != new_cpl)) {
		interp_gp(vm, 0);
		return -1;
	}
	if (err == 0) {
		*ss = (struct vcpu_segment){ .selector = sel };
		return 0;
	}
	if (interp_desc_fetch(vm, sel, false, &d) < 0)
		return -1;
	if ((sel & SEL_RPL_MASK) != new_cpl || desc_is_system(&d) ||
	    desc_is_code(&d) || !(desc_type(&d) & DESC_TYPE_RW) ||
	    desc_dpl(&d) != new_cpl) {
		interp_gp(vm, err);
		return -1;
	}
	if (!desc_present(&d)) {
		vcpu_raise_error(&vm->vcpu, T_SS, err);
		return -1;
	}
	desc_load(ss, sel, &d);
	return 0;
}

/* Enter new CS:RIP at the CPL of CS's RPL; null outer data segments. */
static void load_cs_rip(struct vm *vm, uint16_t sel, const struct seg_desc *d,
			uint64_t rip)
{
	unsigned old_cpl = vm->vcpu.cpl;
	unsigned new_cpl = sel & SEL_RPL_MASK;

	desc_load(&vm->vcpu.seg[SEG_CS], sel, d);
	vm->vcpu.rip = rip;
	interp_set_cpl(vm, new_cpl);
	if (new_cpl > old_cpl)
		interp_null_outer_segments(vm);
}

/* ---------------------------------------------------------------- iret */

/*
 * The flags iret restores depend on the CPL it runs at (SDM, IRET):
 *
 *   always            CF PF AF ZF SF TF DF OF NT, and RF AC ID unless
 *                     the operand size is 16
 *   CPL <= IOPL       IF
 *   CPL = 0           IOPL, and VIF VIP unless the operand size is 16
 */
static uint64_t iret_flags(const struct vcpu *v, uint64_t val, unsigned size)
{
	uint64_t mask = FL_STATUS | FL_TF | FL_DF | FL_NT;

	if (size != 2)
		mask |= FL_RF | FL_AC | FL_ID;
	if (v->cpl <= interp_iopl(v))
		mask |= FL_IF;
	if (v->cpl == CPL_KERNEL)
		mask |= FL_IOPL_MASK | (size != 2 ? FL_VIF | FL_VIP : 0);
	if (size == 2)
		mask &= 0xffff;
	return (v->rflags & ~mask) | (val & mask) | FL_FIXED1;
}

/* The operand size of iret, iretd, iretq. */
static unsigned iret_size(const struct insn *in)
{
	if (in->id == X86_INS_IRETQ)
		return 8;
	return in->id == X86_INS_IRETD ? 4 : 2;
}

/*T:460 iretq pops the frame that exception delivery pushed (deliver.c):
 * RIP, CS, RFLAGS, RSP, SS.  In 64-bit mode it always pops SS:RSP, even
 * when it returns to the same level.
 */
void interp_iret(struct vm *vm, const struct insn *in)
{
	/* LAB 3 BEGIN: interp_iret: pop the frame (task 2) */
	struct vcpu *v = &vm->vcpu;
	unsigned size = iret_size(in);
	uint64_t f[5]; /* RIP, CS, RFLAGS, RSP, SS */
	struct seg_desc cs;
	struct vcpu_segment ss;

	if (v->rflags & FL_NT) { /* no task switches in IA-32e mode */
		interp_gp(vm, 0);
		return;
	}
	for (unsigned i = 0; i < 5; i++)
		if (interp_stack_peek(vm, i * size, size, &f[i]) < 0)
			return;
	if (return_cs(vm, (uint16_t)f[1], &cs) < 0 ||
	    return_ss(vm, (uint16_t)f[4], f[1] & SEL_RPL_MASK, &ss) < 0)
		return;
	if (!x86_canonical(f[0])) {
		interp_gp(vm, 0);
		return;
	}
	v->rflags = iret_flags(v, f[2], size);
	v->seg[SEG_SS] = ss;
	v->regs[GPR_RSP] = f[3];
	load_cs_rip(vm, (uint16_t)f[1], &cs, f[0]);
	/* LAB 3 END; hole: lab_todo(vm, 3, "interp_iret"); (void)in;
	 * (void)iret_size; (void)iret_flags; */
}

/* ------------------------------------------------------------- far ret */

/*
 * lret [imm16]: pop RIP and CS (each of the operand size, 4 by default);
 * to an outer level also RSP and SS.  imm16 bytes of parameters are
 * released on both stacks.
 *
 *   same level              outer level
 *   +--------+ RSP          +--------+ RSP
 *   | RIP    |              | RIP    |
 *   | CS     |              | CS     |
 *   | params |  imm16       | params |  imm16
 *   +--------+              | RSP    |
 *                           | SS     |
 *                           +--------+
 */
void interp_retf(struct vm *vm, const struct insn *in)
{
	struct vcpu *v = &vm->vcpu;
	unsigned size = in->id == X86_INS_RETFQ ? 8 : interp_opsize(in);
	uint64_t imm = in->x86.op_count ? (uint16_t)in->x86.operands[0].imm : 0;
	uint64_t rip, sel, rsp, ss_sel;
	struct seg_desc cs;
	struct vcpu_segment ss = v->seg[SEG_SS];

	if (interp_stack_peek(vm, 0, size, &rip) < 0 ||
	    interp_stack_peek(vm, size, size, &sel) < 0 ||
	    return_cs(vm, (uint16_t)sel, &cs) < 0)
		return;
	rsp = v->regs[GPR_RSP] + 2 * size + imm;
	if ((sel & SEL_RPL_MASK) > v->cpl) {
		if (interp_stack_peek(vm, 2 * size + imm, size, &rsp) < 0 ||
		    interp_stack_peek(vm, 3 * size + imm, size, &ss_sel) < 0 ||
		    return_ss(vm, (uint16_t)ss_sel, sel & SEL_RPL_MASK,
			      &ss) < 0)
			return;
		rsp += imm;
	}
	if (!x86_canonical(rip)) {
		interp_gp(vm, 0);
		return;
	}
	v->seg[SEG_SS] = ss;
	v->regs[GPR_RSP] = rsp;
	load_cs_rip(vm, (uint16_t)sel, &cs, rip);
}

/* ------------------------------------------------------ far jmp, call */

/*
 * The target of ljmp/lcall m16:32 (or m16:64): a direct code segment at
 * the current privilege - conforming with DPL <= CPL, or RPL <= CPL and
 * DPL = CPL.  Call gates are not emulated.
 */
static int jump_cs(struct vm *vm, uint16_t sel, struct seg_desc *d)
{
	unsigned cpl = vm->vcpu.cpl;

	if (read_code_desc(vm, sel, d) < 0)
		return -1;
	if (desc_is_system(d) && desc_type(d) == DESC_SYS_CALL_GATE) {
		vm_kill(vm, VM_EXIT_TRIPLE_FAULT, "far transfer through the "
			"call gate %#x: call gates are not emulated", sel);
		return -1;
	}
	if (!desc_is_code(d) ||
	    (desc_is_conforming(d) ? desc_dpl(d) > cpl :
	     ((sel & SEL_RPL_MASK) > cpl || desc_dpl(d) != cpl))) {
		interp_gp(vm, sel_error(sel));
		return -1;
	}
	if (interp_desc_present(vm, sel, d, T_NP) < 0)
		return -1;
	return check_long_code(vm, sel, d);
}

/* Read the far pointer: offset (operand size), then the selector. */
static int far_pointer(struct vm *vm, const struct insn *in, unsigned size,
		       uint64_t *offset, uint16_t *sel)
{
	uint64_t ea = interp_ea(vm, in, &in->x86.operands[0]);

	*offset = 0;
	if (interp_gva_read(vm, ea, offset, size, ACC_READ) < 0 ||
	    interp_gva_read(vm, ea + size, sel, sizeof(*sel), ACC_READ) < 0)
		return -1;
	return 0;
}

/* ljmp m16:32: CS:RIP = the far pointer; the CPL does not change. */
void interp_ljmp(struct vm *vm, const struct insn *in)
{
	uint64_t offset;
	uint16_t sel;
	struct seg_desc cs;

	if (far_pointer(vm, in, interp_opsize(in), &offset, &sel) < 0 ||
	    jump_cs(vm, sel, &cs) < 0)
		return;
	if (!x86_canonical(offset)) {
		interp_gp(vm, 0);
		return;
	}
	sel = (uint16_t)((sel & ~SEL_RPL_MASK) | vm->vcpu.cpl);
	load_cs_rip(vm, sel, &cs, offset);
}

/* lcall m16:32: push CS and the return RIP, then jump as ljmp. */
void interp_lcall(struct vm *vm, const struct insn *in)
{
	struct vcpu *v = &vm->vcpu;
	unsigned size = interp_opsize(in);
	uint64_t offset, rsp = v->regs[GPR_RSP];
	uint16_t sel;
	struct seg_desc cs;

	if (far_pointer(vm, in, size, &offset, &sel) < 0 ||
	    jump_cs(vm, sel, &cs) < 0)
		return;
	if (!x86_canonical(offset)) {
		interp_gp(vm, 0);
		return;
	}
	if (interp_push(vm, v->seg[SEG_CS].selector, size) < 0 ||
	    interp_push(vm, in->rip + in->size, size) < 0) {
		v->regs[GPR_RSP] = rsp; /* a fault leaves the stack as it was */
		return;
	}
	sel = (uint16_t)((sel & ~SEL_RPL_MASK) | v->cpl);
	load_cs_rip(vm, sel, &cs, offset);
}
