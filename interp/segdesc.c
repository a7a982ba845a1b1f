/*
 * interp/segdesc.c - segment descriptors in the guest's GDT and LDT.
 *
 * A selector names a descriptor: TI picks the table (GDT or the current
 * LDT), the index its 8-byte slot.  In long mode code and data descriptors
 * stay 8 bytes but system descriptors (LDT, TSS, call gates) grow to 16,
 * their base extended to 64 bits (picture in isa/x86.h); in protected
 * mode all are 8 bytes.
 *
 * The tables live in guest memory at linear addresses; the CPU reads them
 * with supervisor rights whatever the CPL (an "implicit" access), hence
 * ACC_IMPLICIT.  Routines that load segments (ltr, lldt, mov to Sreg,
 * iretq, far transfers, exception delivery) and those that inspect them
 * (lar, lsl, verr, verw) are built on this file.
 */
#include "interp/internal.h"
#include "shadowpt/walk.h"

/* Find the table that sel points into: GDT, or LDT when TI is set. */
static bool desc_table(const struct vcpu *v, uint16_t sel, uint64_t *base,
		       uint32_t *limit)
{
	if (!(sel & SEL_TI)) {
		*base = v->gdtr.base;
		*limit = v->gdtr.limit;
		return true;
	}
	if ((v->ldtr.selector & ~SEL_RPL_MASK) == 0)
		return false; /* no LDT loaded */
	*base = v->ldtr.base;
	*limit = v->ldtr.limit;
	return true;
}

enum desc_result interp_desc_read(struct vm *vm, uint16_t sel, bool system,
				  struct seg_desc *d)
{
	uint64_t base, offset = (uint64_t)SEL_INDEX(sel) * 8;
	uint32_t limit;
	/* System descriptors are 16 bytes only in IA-32e mode. */
	unsigned len = system && (vm->vcpu.efer & EFER_LMA) ? 16 : 8;

	d->lo = d->hi = 0;
	if (!desc_table(&vm->vcpu, sel, &base, &limit) ||
	    offset + len - 1 > limit)
		return DESC_OUTSIDE;
	if (interp_gva_read(vm, base + offset, d, len, ACC_IMPLICIT) < 0)
		return DESC_FAULT;
	return DESC_OK;
}

int interp_desc_write_lo(struct vm *vm, uint16_t sel, uint64_t lo)
{
	uint64_t base;
	uint32_t limit;

	if (!desc_table(&vm->vcpu, sel, &base, &limit))
		panic("interp_desc_write_lo: no table for selector");
	return interp_gva_write(vm, base + (uint64_t)SEL_INDEX(sel) * 8, &lo,
			 sizeof(lo), ACC_IMPLICIT);
}

unsigned desc_type(const struct seg_desc *d)
{
	return (unsigned)((d->lo & DESC_TYPE_MASK) >> DESC_TYPE_SHIFT);
}

unsigned desc_dpl(const struct seg_desc *d)
{
	return (unsigned)((d->lo & DESC_DPL_MASK) >> DESC_DPL_SHIFT);
}

bool desc_present(const struct seg_desc *d)
{
	return d->lo & DESC_P;
}

bool desc_is_system(const struct seg_desc *d)
{
	return !(d->lo & DESC_S);
}

bool desc_is_code(const struct seg_desc *d)
{
	return !desc_is_system(d) && (desc_type(d) & DESC_TYPE_CODE);
}

bool desc_is_conforming(const struct seg_desc *d)
{
	return desc_is_code(d) && (desc_type(d) & DESC_TYPE_EC);
}

/*
 *  base 31:24 = bits 63:56, base 23:0 = bits 39:16; a system
 *  descriptor's bits 95:64 add base 63:32.
 */
uint64_t desc_base(const struct seg_desc *d)
{
	uint64_t base = x86_desc_base(d->lo);

	if (desc_is_system(d))
		base |= (d->hi & 0xffffffff) << 32;
	return base;
}

/* limit 15:0 = bits 15:0, limit 19:16 = bits 51:48; G counts pages. */
uint32_t desc_limit(const struct seg_desc *d)
{
	return x86_desc_limit(d->lo);
}

uint16_t desc_attr(const struct seg_desc *d)
{
	return x86_desc_attr(d->lo);
}

void desc_load(struct vcpu_segment *s, uint16_t sel, const struct seg_desc *d)
{
	s->selector = sel;
	s->base = desc_base(d);
	s->limit = desc_limit(d);
	s->attr = desc_attr(d);
}

/* ------------------------------------------------- data segment loads */

/* The accessed bit of the type field, in place in the descriptor. */
#define DESC_ACCESSED_BIT ((uint64_t)DESC_TYPE_ACCESSED << DESC_TYPE_SHIFT)

/* Hardware sets a descriptor's accessed bit the first time it is loaded. */
static int desc_mark_accessed(struct vm *vm, uint16_t sel, struct seg_desc *d)
{
	if (d->lo & DESC_ACCESSED_BIT)
		return 0;
	d->lo |= DESC_ACCESSED_BIT;
	return interp_desc_write_lo(vm, sel, d->lo);
}

/*
 * SS must be a present, writable data segment whose DPL and RPL both equal
 * the CPL (SDM, MOV: "IF SS is loaded").  (A null selector is load_null's.)
 */
static int check_ss(struct vm *vm, uint16_t sel, const struct seg_desc *d)
{
	unsigned cpl = vm->vcpu.cpl;
	unsigned rpl = sel & SEL_RPL_MASK;

	if (desc_is_system(d) || desc_is_code(d) ||
	    !(desc_type(d) & DESC_TYPE_RW) || rpl != cpl ||
	    desc_dpl(d) != cpl) {
		interp_gp(vm, sel_error(sel));
		return -1;
	}
	return interp_desc_present(vm, sel, d, T_SS);
}

/*
 * DS, ES, FS, GS take a data segment or a readable code segment; unless it
 * is conforming code, both CPL and RPL must be at most its DPL.
 */
static int check_data(struct vm *vm, uint16_t sel, const struct seg_desc *d)
{
	unsigned rpl = sel & SEL_RPL_MASK;
	bool readable = !desc_is_code(d) || (desc_type(d) & DESC_TYPE_RW);

	if (desc_is_system(d) || !readable ||
	    (!desc_is_conforming(d) &&
	     (rpl > desc_dpl(d) || vm->vcpu.cpl > desc_dpl(d)))) {
		interp_gp(vm, sel_error(sel));
		return -1;
	}
	return interp_desc_present(vm, sel, d, T_NP);
}

/*
 * A null selector: allowed in DS..GS, which become unusable; in SS only in
 * 64-bit mode, below CPL 3, with RPL = CPL.
 */
static int load_null(struct vm *vm, enum vcpu_sreg sreg, uint16_t sel)
{
	struct vcpu_segment *s = &vm->vcpu.seg[sreg];

	if (sreg == SEG_SS && (cpu_mode(&vm->vcpu) != CPU_LONG ||
			       vm->vcpu.cpl == CPL_USER ||
			       (sel & SEL_RPL_MASK) != vm->vcpu.cpl)) {
		interp_gp(vm, 0);
		return -1;
	}
	s->selector = sel;
	s->attr = 0; /* unusable; FS and GS keep their 64-bit base */
	if (sreg != SEG_FS && sreg != SEG_GS)
		s->base = 0;
	return 0;
}

int interp_desc_present(struct vm *vm, uint16_t sel,
			const struct seg_desc *d, uint8_t vector)
{
	if (desc_present(d))
		return 0;
	vcpu_raise_error(&vm->vcpu, vector, sel_error(sel));
	return -1;
}

int interp_desc_fetch(struct vm *vm, uint16_t sel, bool system,
		      struct seg_desc *d)
{
	switch (interp_desc_read(vm, sel, system, d)) {
	case DESC_FAULT:
		return -1;
	case DESC_OUTSIDE:
		interp_gp(vm, sel_error(sel));
		return -1;
	case DESC_OK:
		break;
	}
	return 0;
}

int interp_load_sreg(struct vm *vm, enum vcpu_sreg sreg, uint16_t sel)
{
	struct seg_desc d;

	if ((sel & ~SEL_RPL_MASK) == 0)
		return load_null(vm, sreg, sel);
	if (interp_desc_fetch(vm, sel, false, &d) < 0)
		return -1;
	if ((sreg == SEG_SS ? check_ss(vm, sel, &d) : check_data(vm, sel, &d)) <
	    0 || desc_mark_accessed(vm, sel, &d) < 0)
		return -1;
	desc_load(&vm->vcpu.seg[sreg], sel, &d);
	return 0;
}

/*
 * A data segment (or non-conforming code) more privileged than the new
 * CPL must not stay usable after a return to an outer level: the CPU
 * loads a null selector (SDM, IRET and RET pseudocode).
 */
void interp_null_outer_segments(struct vm *vm)
{
	static const enum vcpu_sreg data_regs[] = { SEG_ES, SEG_DS, SEG_FS,
						    SEG_GS };

	for (unsigned i = 0; i < sizeof(data_regs) / sizeof(data_regs[0]);
	     i++) {
		struct vcpu_segment *s = &vm->vcpu.seg[data_regs[i]];
		struct seg_desc d = { (uint64_t)s->attr << 40, 0 };

		if ((s->selector & ~SEL_RPL_MASK) == 0 || s->attr == 0)
			continue;
		if (desc_dpl(&d) < vm->vcpu.cpl && !desc_is_conforming(&d)) {
			s->selector = 0;
			s->attr = 0;
		}
	}
}
