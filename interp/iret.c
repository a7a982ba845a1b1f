/*
 * interp/iret.c - far control transfers: iret, far ret (lret), far jmp
 * (ljmp) and far call (lcall).
 *
 * Each loads CS, and so may change the CPL and the mode: a far jmp to a
 * 64-bit code segment enters 64-bit mode, one to a 32-bit segment enters
 * compatibility mode (in IA-32e mode) or 32-bit code.  At ring 3 the guest
 * kernel's iret and its far transfers to ring-0 selectors fault, and the
 * monitor performs them against the virtual CPL: returns to the kernel
 * itself (RPL 0) and to user mode (RPL 3).  Returning to an outer level
 * also loads SS:ESP from the stack and switches the shadow page tables
 * to the user view.
 *
 * Three things the kernels this monitor runs never use end the guest with
 * a reason: call gates, task switches (a far transfer to a TSS or task
 * gate, iret with NT set in protected mode) and virtual-8086 mode.
 */
#include <string.h>

#include "interp/internal.h"
#include "core/lab.h"
#include "shadowpt/walk.h"

/* Is d a 64-bit code segment: L = 1, in IA-32e mode (ignored elsewhere)? */
static bool is_code64(const struct vm *vm, const struct seg_desc *d)
{
	return (vm->vcpu.efer & EFER_LMA) && (d->lo & DESC_L);
}

/* In IA-32e mode a code segment with L = D = 1 is reserved: #GP(sel). */
static int check_code_kind(struct vm *vm, uint16_t sel,
			   const struct seg_desc *d)
{
	if (is_code64(vm, d) && (d->lo & DESC_DB)) {
		interp_gp(vm, sel_error(sel));
		return -1;
	}
	return 0;
}

/*
 * The new instruction pointer: canonical for 64-bit code, within the
 * code segment's limit for 32- and 16-bit code; else #GP(0).
 */
static int check_target_ip(struct vm *vm, const struct seg_desc *cs,
			   uint64_t ip)
{
	if (is_code64(vm, cs) ? x86_canonical(ip) : ip <= desc_limit(cs))
		return 0;
	interp_gp(vm, 0);
	return -1;
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
	return check_code_kind(vm, sel, d);
}

/*
 * The stack segment a return loads: RPL and DPL equal to the new CPL, a
 * present writable data segment.  A return to 64-bit mode accepts a null
 * SS below CPL 3 (the kernel's own SS after an interrupt is null).
 */
static int return_ss(struct vm *vm, uint16_t sel, unsigned new_cpl,
		     bool to64, struct vcpu_segment *ss)
{
	struct seg_desc d;
	uint32_t err = sel_error(sel);

	if (err == 0 && (!to64 || new_cpl == CPL_USER ||
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
	interp_report_jump(vm, NULL);
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

/* A task switch or virtual-8086 mode: not emulated, the guest stops. */
static void not_supported(struct vm *vm, const char *what)
{
	vm_kill_at(vm, VM_EXIT_TRIPLE_FAULT, vm->vcpu.rip, "%s: not supported",
		   what);
}

/*
 * The stack pointer a return to an outer level loads: the popped one
 * (plus lret's imm16) - all of it with a 32- or 64-bit operand size, SP
 * alone with a 16-bit one (SDM, IRET and RET).
 */
static uint64_t outer_sp(const struct vcpu *v, uint64_t popped, unsigned size)
{
	if (size == 2)
		return (v->regs[GPR_RSP] & ~0xffffULL) | (popped & 0xffff);
	return size == 4 ? (uint32_t)popped : popped;
}

/*
 * iret (iretd, iretw) outside 64-bit mode (SDM, IRET: "PROTECTED-MODE",
 * and its IA-32e branch for compatibility mode).  It pops EIP, CS and
 * EFLAGS, each of the operand size; and ESP and SS only when it returns
 * to an outer level:
 *
 *   same level              outer level
 *   +--------+ ESP          +--------+ ESP
 *   | EIP    |              | EIP    |
 *   | CS     |              | CS     |
 *   | EFLAGS |              | EFLAGS |
 *   +--------+              | ESP    |
 *                           | SS     |
 *                           +--------+
 */
static void iret_legacy(struct vm *vm, const struct insn *in)
{
	struct vcpu *v = &vm->vcpu;
	unsigned size = iret_size(in);
	uint64_t f[5]; /* EIP, CS, EFLAGS, ESP, SS */
	struct seg_desc cs;
	struct vcpu_segment ss = v->seg[SEG_SS];
	uint64_t rsp;
	unsigned new_cpl;

	if (v->rflags & FL_NT) {
		if (v->efer & EFER_LMA) /* no task switches in IA-32e mode */
			interp_gp(vm, 0);
		else
			not_supported(vm, "iret with NT set (a task return)");
		return;
	}
	for (unsigned i = 0; i < 3; i++)
		if (interp_stack_peek(vm, i * size, size, &f[i]) < 0)
			return;
	if ((f[2] & FL_VM) && size == 4 && v->cpl == CPL_KERNEL &&
	    !(v->efer & EFER_LMA)) {
		not_supported(vm, "iret to virtual-8086 mode");
		return;
	}
	if (return_cs(vm, (uint16_t)f[1], &cs) < 0)
		return;
	new_cpl = f[1] & SEL_RPL_MASK;
	rsp = interp_rsp_after(v, 3 * size);
	if (new_cpl > v->cpl) {
		if (interp_stack_peek(vm, 3 * size, size, &f[3]) < 0 ||
		    interp_stack_peek(vm, 4 * size, size, &f[4]) < 0 ||
		    return_ss(vm, (uint16_t)f[4], new_cpl, is_code64(vm, &cs),
			      &ss) < 0)
			return;
		rsp = outer_sp(v, f[3], size);
	}
	if (check_target_ip(vm, &cs, f[0]) < 0)
		return;
	v->rflags = iret_flags(v, f[2], size);
	v->seg[SEG_SS] = ss;
	v->regs[GPR_RSP] = rsp;
	load_cs_rip(vm, (uint16_t)f[1], &cs, f[0]);
}

/*T:460 iretq pops the frame that exception delivery pushed (deliver.c):
 * RIP, CS, RFLAGS, RSP, SS.  In 64-bit mode it always pops SS:RSP, even
 * when it returns to the same level.  (In 32- and 16-bit code, iret_legacy
 * above.)
 */
void interp_iret(struct vm *vm, const struct insn *in)
{
	switch (cpu_mode(&vm->vcpu)) {
	case CPU_REAL: /* no real-mode guests are run yet */
		not_supported(vm, "iret in real mode");
		return;
	case CPU_PROT:
	case CPU_COMPAT:
		iret_legacy(vm, in);
		return;
	case CPU_LONG:
		break;
	}
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
	    return_ss(vm, (uint16_t)f[4], f[1] & SEL_RPL_MASK,
		      is_code64(vm, &cs), &ss) < 0 ||
	    check_target_ip(vm, &cs, f[0]) < 0)
		return;
	v->rflags = iret_flags(v, f[2], size);
	v->seg[SEG_SS] = ss;
	v->regs[GPR_RSP] = f[3];
	load_cs_rip(vm, (uint16_t)f[1], &cs, f[0]);
	/* LAB 3 END; hole: lab_todo(vm, 3, "interp_iret"); (void)in;
	 * (void)iret_size; (void)iret_flags; */
}

/* ------------------------------------------------------------- far ret */

/*
 * lret [imm16]: pop EIP/RIP and CS (each of the operand size); to an
 * outer level also ESP/RSP and SS.  imm16 bytes of parameters are
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
	unsigned size = in->id == X86_INS_RETFQ ? 8 : interp_opsize(vm, in);
	uint64_t imm = in->x86.op_count ? (uint16_t)in->x86.operands[0].imm : 0;
	uint64_t rip, sel, rsp, ss_sel;
	struct seg_desc cs;
	struct vcpu_segment ss = v->seg[SEG_SS];

	if (interp_stack_peek(vm, 0, size, &rip) < 0 ||
	    interp_stack_peek(vm, size, size, &sel) < 0 ||
	    return_cs(vm, (uint16_t)sel, &cs) < 0)
		return;
	rsp = interp_rsp_after(v, 2 * size + imm);
	if ((sel & SEL_RPL_MASK) > v->cpl) {
		if (interp_stack_peek(vm, 2 * size + imm, size, &rsp) < 0 ||
		    interp_stack_peek(vm, 3 * size + imm, size, &ss_sel) < 0 ||
		    return_ss(vm, (uint16_t)ss_sel, sel & SEL_RPL_MASK,
			      is_code64(vm, &cs), &ss) < 0)
			return;
		rsp = outer_sp(v, rsp + imm, size);
	}
	if (check_target_ip(vm, &cs, rip) < 0)
		return;
	v->seg[SEG_SS] = ss;
	v->regs[GPR_RSP] = rsp;
	load_cs_rip(vm, (uint16_t)sel, &cs, rip);
}

/* ------------------------------------------------------ far jmp, call */

/* System descriptor types a far jmp or call may name (SDM, JMP, CALL). */
#define SYS_TSS16_AVAIL 0x1
#define SYS_CALL_GATE16 0x4
#define SYS_TASK_GATE 0x5

/*
 * The target of ljmp/lcall: a direct code segment at the current
 * privilege - conforming with DPL <= CPL, or RPL <= CPL and DPL = CPL.
 * Call gates and task switches are not emulated.
 */
static int jump_cs(struct vm *vm, uint16_t sel, struct seg_desc *d)
{
	unsigned cpl = vm->vcpu.cpl;

	if (read_code_desc(vm, sel, d) < 0)
		return -1;
	if (desc_is_system(d)) {
		switch (desc_type(d)) {
		case DESC_SYS_CALL_GATE:
		case SYS_CALL_GATE16:
			not_supported(vm, "far transfer through a call gate");
			return -1;
		case SYS_TASK_GATE:
		case SYS_TSS16_AVAIL:
		case DESC_SYS_TSS_AVAIL:
			if (!(vm->vcpu.efer & EFER_LMA)) {
				not_supported(vm, "far transfer to a task");
				return -1;
			}
			break;
		default:
			break;
		}
	}
	if (!desc_is_code(d) ||
	    (desc_is_conforming(d) ? desc_dpl(d) > cpl :
	     ((sel & SEL_RPL_MASK) > cpl || desc_dpl(d) != cpl))) {
		interp_gp(vm, sel_error(sel));
		return -1;
	}
	if (interp_desc_present(vm, sel, d, T_NP) < 0)
		return -1;
	return check_code_kind(vm, sel, d);
}

/*
 * The far pointer: an immediate ptr16:16 or ptr16:32 (EA, 9A: outside
 * 64-bit mode), or m16:16, m16:32, m16:64 in memory - the offset of the
 * operand size, then the selector.
 */
static int far_pointer(struct vm *vm, const struct insn *in, unsigned size,
		       uint64_t *offset, uint16_t *sel)
{
	const cs_x86_op *op = &in->x86.operands[0];
	uint8_t ptr[10];
	uint64_t la;

	*offset = 0;
	if (op->type == X86_OP_IMM) {
		*sel = (uint16_t)op->imm;
		*offset = (uint64_t)in->x86.operands[1].imm &
			  (size == 2 ? 0xffff : 0xffffffff);
		return 0;
	}
	if (interp_mem_linear(vm, in, op, size + 2, ACC_READ, &la) < 0 ||
	    interp_gva_read(vm, la, ptr, size + 2, ACC_READ) < 0)
		return -1;
	memcpy(offset, ptr, size);
	memcpy(sel, ptr + size, sizeof(*sel));
	return 0;
}

/* ljmp: CS:RIP = the far pointer; the CPL does not change. */
void interp_ljmp(struct vm *vm, const struct insn *in)
{
	uint64_t offset;
	uint16_t sel;
	struct seg_desc cs;

	if (far_pointer(vm, in, interp_opsize(vm, in), &offset, &sel) < 0 ||
	    jump_cs(vm, sel, &cs) < 0 || check_target_ip(vm, &cs, offset) < 0)
		return;
	sel = (uint16_t)((sel & ~SEL_RPL_MASK) | vm->vcpu.cpl);
	load_cs_rip(vm, sel, &cs, offset);
}

/* lcall: push CS and the return RIP, then jump as ljmp. */
void interp_lcall(struct vm *vm, const struct insn *in)
{
	struct vcpu *v = &vm->vcpu;
	unsigned size = interp_opsize(vm, in);
	uint64_t offset, rsp = v->regs[GPR_RSP];
	uint16_t sel;
	struct seg_desc cs;

	if (far_pointer(vm, in, size, &offset, &sel) < 0 ||
	    jump_cs(vm, sel, &cs) < 0 || check_target_ip(vm, &cs, offset) < 0)
		return;
	if (interp_push(vm, v->seg[SEG_CS].selector, size) < 0 ||
	    interp_push(vm, in->rip + in->size, size) < 0) {
		v->regs[GPR_RSP] = rsp; /* a fault leaves the stack as it was */
		return;
	}
	sel = (uint16_t)((sel & ~SEL_RPL_MASK) | v->cpl);
	load_cs_rip(vm, sel, &cs, offset);
}
