/*
 * interp/desc.c - the descriptor-table instructions: lgdt, lidt, lldt, ltr,
 * their store twins sgdt, sidt, sldt, str, and the segment inspectors lar,
 * lsl, verr, verw.
 *
 * The loads are privileged and trap.  The stores and inspectors are the
 * classic sensitive-unprivileged instructions of x86 (Robin and Irvine,
 * 2000): at ring 3 they run and show the *host's* tables (or judge a
 * descriptor with CPL 3), so a guest can tell it is virtualized.  Under
 * --isa=strict they trap like UMIP makes them and are answered here from
 * the virtual state.
 */
#include <string.h>

#include "interp/internal.h"
#include "shadowpt/walk.h"

/*
 * The pseudo-descriptor lgdt/lidt read and sgdt/sidt write: a 16-bit
 * limit, then the base - 8 bytes of it in 64-bit mode, 4 elsewhere:
 *
 *   79                       16 15       0
 *  +---------------------------+----------+
 *  | base (64 bits)            | limit    |   64-bit mode
 *  +---------------------------+----------+
 *               47           16 15       0
 *              +---------------+----------+
 *              | base (32)     | limit    |   protected, compatibility
 *              +---------------+----------+
 *
 * With a 16-bit operand size lgdt keeps only 24 bits of the base (a relic
 * of the 80286); sgdt stores all 32 whatever the size (SDM, LGDT, SGDT).
 */
#define PSEUDO_DESC_MAX 10

static unsigned pseudo_desc_size(const struct vm *vm)
{
	return cpu_mode(&vm->vcpu) == CPU_LONG ? 10 : 6;
}

/* lgdt m / lidt m: the new base must be canonical. */
static void load_dtable(struct vm *vm, const struct insn *in,
			struct vcpu_dtable *t, const char *name)
{
	unsigned len = pseudo_desc_size(vm);
	uint8_t pd[PSEUDO_DESC_MAX];
	uint16_t limit;
	uint64_t base = 0, la;

	if (!interp_require_cpl0(vm) ||
	    interp_mem_linear(vm, in, &in->x86.operands[0], len, ACC_READ,
			      &la) < 0 ||
	    interp_gva_read(vm, la, pd, len, ACC_READ) < 0)
		return;
	memcpy(&limit, pd, sizeof(limit));
	memcpy(&base, pd + 2, len - 2);
	if (len == 6 && interp_opsize(vm, in) == 2)
		base &= 0xffffff;
	if (!x86_canonical(base)) {
		interp_gp(vm, 0);
		return;
	}
	t->base = base;
	t->limit = limit;
	interp_report(vm, &(struct interp_effect){ .kind = EFFECT_DTABLE,
		      .name = name, .write = true, .value = base,
		      .limit = limit });
	interp_advance(vm, in);
}

/* CR4.UMIP makes the store instructions privileged. */
static bool umip_allows(struct vm *vm)
{
	if (!(vm->vcpu.cr4 & CR4_UMIP) || vm->vcpu.cpl == CPL_KERNEL)
		return true;
	interp_gp(vm, 0);
	return false;
}

/* sgdt m / sidt m */
static void store_dtable(struct vm *vm, const struct insn *in,
			 const struct vcpu_dtable *t, const char *name)
{
	unsigned len = pseudo_desc_size(vm);
	uint8_t pd[PSEUDO_DESC_MAX];
	uint64_t la;

	memcpy(pd, &t->limit, sizeof(t->limit));
	memcpy(pd + 2, &t->base, len - 2);
	if (!umip_allows(vm) ||
	    interp_mem_linear(vm, in, &in->x86.operands[0], len, ACC_WRITE,
			      &la) < 0 ||
	    interp_gva_write(vm, la, pd, len, ACC_WRITE) < 0)
		return;
	interp_report(vm, &(struct interp_effect){ .kind = EFFECT_DTABLE,
		      .name = name, .value = t->base, .limit = t->limit });
	interp_advance(vm, in);
}

void interp_lgdt(struct vm *vm, const struct insn *in)
{
	load_dtable(vm, in, &vm->vcpu.gdtr, "gdtr");
}

void interp_lidt(struct vm *vm, const struct insn *in)
{
	load_dtable(vm, in, &vm->vcpu.idtr, "idtr");
}

void interp_sgdt(struct vm *vm, const struct insn *in)
{
	store_dtable(vm, in, &vm->vcpu.gdtr, "gdtr");
}

void interp_sidt(struct vm *vm, const struct insn *in)
{
	store_dtable(vm, in, &vm->vcpu.idtr, "idtr");
}

/* --------------------------------------------------------- lldt, ltr */

/* The system types of protected mode only (SDM vol. 3, table 3-2). */
#define SYS_TSS16_AVAIL 0x1
#define SYS_TSS16_BUSY 0x3
#define SYS_CALL_GATE16 0x4
#define SYS_TASK_GATE 0x5

/*
 * Read the system descriptor that lldt or ltr names: it must be in the
 * GDT, of type want, present.  0, or -1 with #GP(sel), #NP(sel) or #PF.
 */
static int system_desc(struct vm *vm, uint16_t sel, unsigned want,
		       struct seg_desc *d)
{
	if (sel & SEL_TI) {
		interp_gp(vm, sel_error(sel));
		return -1;
	}
	if (interp_desc_fetch(vm, sel, true, d) < 0)
		return -1;
	if (want == DESC_SYS_TSS_AVAIL && !(vm->vcpu.efer & EFER_LMA) &&
	    desc_is_system(d) && desc_type(d) == SYS_TSS16_AVAIL) {
		/* Valid in protected mode, but used by no kernel run here. */
		vm_kill_at(vm, VM_EXIT_TRIPLE_FAULT, vm->vcpu.rip, "ltr of "
			   "the 16-bit TSS %#x: not supported", sel);
		return -1;
	}
	if (!desc_is_system(d) || desc_type(d) != want ||
	    !x86_canonical(desc_base(d))) {
		interp_gp(vm, sel_error(sel));
		return -1;
	}
	return interp_desc_present(vm, sel, d, T_NP);
}

/* lldt r/m16: a null selector leaves no LDT; else an LDT descriptor. */
void interp_lldt(struct vm *vm, const struct insn *in)
{
	struct seg_desc d;
	uint64_t sel;

	if (!interp_require_cpl0(vm) ||
	    interp_op_read(vm, in, &in->x86.operands[0], 2, &sel) < 0)
		return;
	if ((sel & ~SEL_RPL_MASK) == 0) {
		vm->vcpu.ldtr = (struct vcpu_segment){ .selector =
						       (uint16_t)sel };
	} else {
		if (system_desc(vm, (uint16_t)sel, DESC_SYS_LDT, &d) < 0)
			return;
		desc_load(&vm->vcpu.ldtr, (uint16_t)sel, &d);
	}
	interp_report_reg(vm, "ldtr", true, sel);
	interp_advance(vm, in);
}

/* The busy bit of a TSS descriptor's type (9 available, 11 busy). */
#define DESC_TSS_BUSY_BIT ((uint64_t)(DESC_SYS_TSS_BUSY ^ DESC_SYS_TSS_AVAIL) \
			   << DESC_TYPE_SHIFT)

/* ltr r/m16: an available TSS, which ltr then marks busy in the GDT. */
void interp_ltr(struct vm *vm, const struct insn *in)
{
	struct seg_desc d;
	uint64_t sel;

	if (!interp_require_cpl0(vm) ||
	    interp_op_read(vm, in, &in->x86.operands[0], 2, &sel) < 0)
		return;
	if ((sel & ~SEL_RPL_MASK) == 0) {
		interp_gp(vm, 0);
		return;
	}
	if (system_desc(vm, (uint16_t)sel, DESC_SYS_TSS_AVAIL, &d) < 0)
		return;
	d.lo |= DESC_TSS_BUSY_BIT;
	if (interp_desc_write_lo(vm, (uint16_t)sel, d.lo) < 0)
		return;
	desc_load(&vm->vcpu.tr, (uint16_t)sel, &d);
	interp_report_reg(vm, "tr", true, sel);
	interp_advance(vm, in);
}

/*
 * sldt/str r/m: the selector; into a 32- or 64-bit register zero-extended,
 * into memory 16 bits.
 */
static void store_selector(struct vm *vm, const struct insn *in, uint16_t sel)
{
	const cs_x86_op *dst = &in->x86.operands[0];

	if (!umip_allows(vm) ||
	    interp_op_write(vm, in, dst, dst->type == X86_OP_REG ?
			    dst->size : 2, sel) < 0)
		return;
	interp_advance(vm, in);
}

void interp_sldt(struct vm *vm, const struct insn *in)
{
	store_selector(vm, in, vm->vcpu.ldtr.selector);
}

void interp_str(struct vm *vm, const struct insn *in)
{
	store_selector(vm, in, vm->vcpu.tr.selector);
}

/* ------------------------------------------------ lar, lsl, verr, verw */

/*
 * Read the descriptor a lar-family instruction asks about.  Returns 1 when
 * there is one and the virtual CPL and the selector's RPL may see it
 * (conforming code is visible to all), 0 when ZF must be cleared, -1 on a
 * fault.  lar and lsl accept some system types too: 16-byte reads in
 * IA-32e mode.
 */
static int visible_desc(struct vm *vm, uint16_t sel, struct seg_desc *d)
{
	enum desc_result r;
	unsigned rpl = sel & SEL_RPL_MASK;

	if ((sel & ~SEL_RPL_MASK) == 0)
		return 0;
	r = interp_desc_read(vm, sel, false, d);
	if (r == DESC_OK && desc_is_system(d))
		r = interp_desc_read(vm, sel, true, d);
	if (r == DESC_FAULT)
		return -1;
	if (r == DESC_OUTSIDE)
		return 0;
	if (desc_is_conforming(d))
		return 1;
	return desc_dpl(d) >= vm->vcpu.cpl && desc_dpl(d) >= rpl;
}

/*
 * What lar returns: the descriptor's second dword with the base and limit
 * bits masked out, i.e. type, S, DPL, P (15:8) and AVL, L, D/B, G (23:20).
 */
#define LAR_RIGHTS_MASK 0x00f0ff00ULL

/*
 * System types that lar and lsl report (SDM, LAR and LSL): in IA-32e mode
 * the LDT, the 64-bit TSSs and (lar only) the call gate; in protected
 * mode also the 16-bit TSSs and (lar only) the 16-bit call gate and the
 * task gate.
 */

static bool sys_type_ok(const struct vm *vm, const struct seg_desc *d,
			bool gates)
{
	bool legacy = !(vm->vcpu.efer & EFER_LMA);

	switch (desc_type(d)) {
	case DESC_SYS_LDT:
	case DESC_SYS_TSS_AVAIL:
	case DESC_SYS_TSS_BUSY:
		return true;
	case DESC_SYS_CALL_GATE:
		return gates;
	case SYS_TSS16_AVAIL:
	case SYS_TSS16_BUSY:
		return legacy;
	case SYS_CALL_GATE16:
	case SYS_TASK_GATE:
		return legacy && gates;
	default:
		return false;
	}
}

static void set_zf(struct vm *vm, bool on)
{
	if (on)
		vm->vcpu.rflags |= FL_ZF;
	else
		vm->vcpu.rflags &= ~FL_ZF;
}

/*
 * lar/lsl r, r/m16: ZF=1 and the destination written when the descriptor
 * is visible and of an accepted type; otherwise ZF=0, destination kept.
 */
static void lar_lsl(struct vm *vm, const struct insn *in, bool lar)
{
	const cs_x86_op *dst = &in->x86.operands[0];
	struct seg_desc d;
	uint64_t sel, val;
	int ok;

	if (interp_op_read(vm, in, &in->x86.operands[1], 2, &sel) < 0)
		return;
	ok = visible_desc(vm, (uint16_t)sel, &d);
	if (ok < 0)
		return;
	if (ok && desc_is_system(&d) && !sys_type_ok(vm, &d, lar))
		ok = 0;
	if (ok) {
		val = lar ? (d.lo >> 32) & LAR_RIGHTS_MASK : desc_limit(&d);
		if (dst->size == 2)
			val &= 0xffff;
		interp_reg_set(&vm->vcpu, dst->reg, val);
	}
	set_zf(vm, ok);
	interp_advance(vm, in);
}

void interp_lar(struct vm *vm, const struct insn *in)
{
	lar_lsl(vm, in, true);
}

void interp_lsl(struct vm *vm, const struct insn *in)
{
	lar_lsl(vm, in, false);
}

/*
 * verr/verw r/m16: ZF=1 when the segment is visible and readable (verr:
 * data, or readable code) or writable (verw: writable data only).
 */
static void verify(struct vm *vm, const struct insn *in, bool write)
{
	struct seg_desc d;
	uint64_t sel;
	int ok;

	if (interp_op_read(vm, in, &in->x86.operands[0], 2, &sel) < 0)
		return;
	ok = visible_desc(vm, (uint16_t)sel, &d);
	if (ok < 0)
		return;
	if (ok && desc_is_system(&d))
		ok = 0;
	if (ok && write)
		ok = !desc_is_code(&d) && (desc_type(&d) & DESC_TYPE_RW);
	else if (ok && desc_is_code(&d))
		ok = (desc_type(&d) & DESC_TYPE_RW) != 0;
	set_zf(vm, ok);
	interp_advance(vm, in);
}

void interp_verr(struct vm *vm, const struct insn *in)
{
	verify(vm, in, false);
}

void interp_verw(struct vm *vm, const struct insn *in)
{
	verify(vm, in, true);
}
