/*
 * interp/seg.c - segment registers: mov to/from Sreg, push/pop Sreg,
 * lds/les/lss/lfs/lgs, swapgs, and rdfsbase, rdgsbase, wrfsbase, wrgsbase.
 *
 * In 64-bit mode segmentation is almost gone: CS gives the CPL and the
 * mode, SS the stack's privilege, FS and GS a base for thread- and
 * CPU-local data.  In 32- and 16-bit code every segment has its base and
 * limit, and a kernel loads them all (mov, pop, lds and its kin).  Loading
 * a selector checks its descriptor, and reading one back at ring 3 shows
 * RPL 3 where the guest kernel expects 0 ("ring compression"): mov from
 * Sreg and push Sreg are sensitive-unprivileged, mov to Sreg with a
 * ring-0 selector traps.
 */
#include <string.h>

#include "interp/internal.h"

/* The segment register that operand op names (the table made sure). */
static enum vcpu_sreg sreg_of(const cs_x86_op *op)
{
	int s = op->type == X86_OP_REG ? interp_sreg_index(op->reg) : -1;

	if (s < 0)
		panic("sreg_of: operand is not a segment register");
	return (enum vcpu_sreg)s;
}

/*
 * mov Sreg, r/m16 loads a selector (CS cannot be loaded: #UD); mov r/m,
 * Sreg stores one - 16 bits to memory, zero-extended into a register.
 */
/* The segment registers' names (enum vcpu_sreg), for --trace. */
static const char *const sreg_names[VCPU_NSEGS] = {
	[SEG_ES] = "es", [SEG_CS] = "cs", [SEG_SS] = "ss",
	[SEG_DS] = "ds", [SEG_FS] = "fs", [SEG_GS] = "gs",
};

void interp_mov_sreg(struct vm *vm, const struct insn *in)
{
	const cs_x86_op *dst = &in->x86.operands[0];
	const cs_x86_op *src = &in->x86.operands[1];
	uint64_t sel;

	if (dst->type == X86_OP_REG && interp_sreg_index(dst->reg) >= 0) {
		enum vcpu_sreg s = sreg_of(dst);

		if (s == SEG_CS) {
			interp_ud(vm);
			return;
		}
		if (interp_op_read(vm, in, src, 2, &sel) < 0 ||
		    interp_load_sreg(vm, s, (uint16_t)sel) < 0)
			return;
		/* A load of SS blocks interrupts for one instruction. */
		if (s == SEG_SS)
			vm->vcpu.interrupt_shadow = true;
		interp_report_reg(vm, sreg_names[s], true, sel);
	} else {
		sel = vm->vcpu.seg[sreg_of(src)].selector;
		if (interp_op_write(vm, in, dst, dst->type == X86_OP_REG ?
				    dst->size : 2, sel) < 0)
			return;
		interp_report_reg(vm, sreg_names[sreg_of(src)], false, sel);
	}
	interp_advance(vm, in);
}

/*
 * push Sreg: the selector, zero-extended to the operand size (as QEMU
 * writes it; the SDM lets a CPU write only its 16 bits).  Outside 64-bit
 * mode CS, SS, DS and ES can be pushed too.
 */
void interp_push_sreg(struct vm *vm, const struct insn *in)
{
	enum vcpu_sreg s = sreg_of(&in->x86.operands[0]);

	if (interp_push(vm, vm->vcpu.seg[s].selector,
			interp_stack_opsize(vm, in)) < 0)
		return;
	interp_report_reg(vm, sreg_names[s], false, vm->vcpu.seg[s].selector);
	interp_advance(vm, in);
}

/*
 * pop Sreg (FS, GS; outside 64-bit mode also SS, DS, ES): RSP moves only
 * once the load has succeeded.  pop ss blocks interrupts for one
 * instruction, as mov to SS does, so that the next can load ESP.
 */
void interp_pop_sreg(struct vm *vm, const struct insn *in)
{
	enum vcpu_sreg s = sreg_of(&in->x86.operands[0]);
	unsigned size = interp_stack_opsize(vm, in);
	uint64_t sel, rsp = interp_rsp_after(&vm->vcpu, size);

	/* The old SS's B gives the width of the pop, even of pop ss. */
	if (interp_stack_peek(vm, 0, size, &sel) < 0 ||
	    interp_load_sreg(vm, s, (uint16_t)sel) < 0)
		return;
	vm->vcpu.regs[GPR_RSP] = rsp;
	if (s == SEG_SS)
		vm->vcpu.interrupt_shadow = true;
	interp_report_reg(vm, sreg_names[s], true, sel);
	interp_advance(vm, in);
}

/*
 * lds, les, lss, lfs, lgs r, m16:16/m16:32/m16:64: load a far pointer -
 * the offset (operand size) into r, the selector after it into the
 * segment register, which is checked as mov to Sreg checks it.  The
 * register changes only once the segment load has succeeded.
 */
static enum vcpu_sreg far_load_sreg(unsigned id)
{
	switch (id) {
	case X86_INS_LDS: return SEG_DS;
	case X86_INS_LES: return SEG_ES;
	case X86_INS_LSS: return SEG_SS;
	case X86_INS_LFS: return SEG_FS;
	default: return SEG_GS;
	}
}

void interp_load_far(struct vm *vm, const struct insn *in)
{
	const cs_x86_op *dst = &in->x86.operands[0];
	const cs_x86_op *mem = &in->x86.operands[1];
	enum vcpu_sreg s = far_load_sreg(in->id);
	unsigned size = interp_opsize(vm, in);
	uint8_t ptr[10];
	uint64_t offset = 0, la;
	uint16_t sel;

	if (mem->type != X86_OP_MEM) { /* a register operand: #UD */
		interp_ud(vm);
		return;
	}
	if (interp_mem_linear(vm, in, mem, size + 2, ACC_READ, &la) < 0 ||
	    interp_gva_read(vm, la, ptr, size + 2, ACC_READ) < 0)
		return;
	memcpy(&offset, ptr, size);
	memcpy(&sel, ptr + size, sizeof(sel));
	if (interp_load_sreg(vm, s, sel) < 0)
		return;
	/* lss loads SS:ESP at once: no interrupt shadow, unlike mov ss. */
	interp_reg_set(&vm->vcpu, dst->reg, offset);
	interp_report_reg(vm, sreg_names[s], true, sel);
	interp_advance(vm, in);
}

/*
 * swapgs: exchange GS.base with IA32_KERNEL_GS_BASE, so that a kernel
 * entered from user mode finds its per-CPU data.  Only in 64-bit mode:
 * elsewhere #UD, before the privilege check (SDM, SWAPGS).
 */
void interp_swapgs(struct vm *vm, const struct insn *in)
{
	struct vcpu *v = &vm->vcpu;
	uint64_t gs;

	if (cpu_mode(v) != CPU_LONG) {
		interp_ud(vm);
		return;
	}
	if (!interp_require_cpl0(vm))
		return;
	gs = v->seg[SEG_GS].base;
	v->seg[SEG_GS].base = v->kernel_gs_base;
	v->kernel_gs_base = gs;
	interp_report_reg(vm, "gs.base", true, v->seg[SEG_GS].base);
	interp_advance(vm, in);
}

/* --------------------------------------------- rdfsbase and friends */

/*
 * The FS or GS base that rd/wr{fs,gs}base names, after the check that
 * CR4.FSGSBASE enables them (#UD otherwise, at every CPL).  The virtual
 * CPU does not enumerate FSGSBASE, so its guests meet the #UD.
 */
static uint64_t *fsgs_base(struct vm *vm, const struct insn *in)
{
	bool fs = in->id == X86_INS_RDFSBASE || in->id == X86_INS_WRFSBASE;

	if (!(vm->vcpu.cr4 & CR4_FSGSBASE)) {
		interp_ud(vm);
		return NULL;
	}
	return &vm->vcpu.seg[fs ? SEG_FS : SEG_GS].base;
}

/* rdfsbase/rdgsbase r32/r64: the 32-bit form takes the low half. */
void interp_rdfsbase(struct vm *vm, const struct insn *in)
{
	uint64_t *base = fsgs_base(vm, in);

	if (!base)
		return;
	interp_reg_set(&vm->vcpu, in->x86.operands[0].reg, *base);
	interp_report_reg(vm, base == &vm->vcpu.seg[SEG_FS].base ? "fs.base" :
			  "gs.base", false, *base);
	interp_advance(vm, in);
}

/* wrfsbase/wrgsbase r32/r64: a non-canonical base is #GP(0). */
void interp_wrfsbase(struct vm *vm, const struct insn *in)
{
	uint64_t *base = fsgs_base(vm, in);
	uint64_t val;

	if (!base)
		return;
	val = interp_reg_get(&vm->vcpu, in->x86.operands[0].reg);
	if (!x86_canonical(val)) {
		interp_gp(vm, 0);
		return;
	}
	*base = val;
	interp_report_reg(vm, base == &vm->vcpu.seg[SEG_FS].base ? "fs.base" :
			  "gs.base", true, val);
	interp_advance(vm, in);
}
