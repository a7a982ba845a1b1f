/*
 * engines/softcpu/segment.c - segment selectors at the real CPL 3.
 *
 * In 64-bit mode segmentation is almost gone, but selectors remain and
 * are checked when loaded: mov to a segment register, pop fs/gs, far
 * jmp/call/ret.  softcpu checks them against the guest's own GDT and LDT
 * with the privilege of the real CPU, CPL 3, so that the guest kernel's
 * ring-0 selectors fault (#GP(selector)) and the monitor takes over.  The
 * same descriptors answer lar, lsl, verr and verw, which do not fault but
 * find DPL-0 descriptors invisible: x86's ring compression, visible.
 *
 *   selector:  15          3  2   1 0
 *             +-------------+----+---+
 *             | index       | TI |RPL|     TI: 0 GDT, 1 LDT
 *             +-------------+----+---+
 */
#include "engines/softcpu/softcpu.h"
#include "core/vm.h"

/* Sensitive: in the strict ISA, #GP(0) so that the monitor emulates. */
static bool strict(const struct sc_cpu *c)
{
	return c->vm->opt.isa == ISA_STRICT;
}

/*
 * Read the descriptor of selector sel from the guest's GDT or LDT.
 * SC_OK, or SC_STOP after #GP(sel) for a selector beyond the table's
 * limit (when gp is true) or a #PF; *found tells which when gp is false.
 */
static int read_desc(struct sc_cpu *c, uint16_t sel, uint64_t *desc,
		     bool *found)
{
	uint64_t base = c->v->gdtr.base, limit = c->v->gdtr.limit;

	if (sel & SEL_TI) {
		base = c->v->ldtr.base;
		limit = c->v->ldtr.selector ? c->v->ldtr.limit : 0;
		if (!c->v->ldtr.selector) {
			*found = false;
			return SC_OK;
		}
	}
	*found = (uint64_t)(sel | 7) <= limit;
	if (!*found)
		return SC_OK;
	return sc_read(c, base + (sel & ~7u), 8, desc, ACC_READ);
}

static unsigned desc_dpl(uint64_t desc)
{
	return (desc & DESC_DPL_MASK) >> DESC_DPL_SHIFT;
}

static unsigned desc_type(uint64_t desc)
{
	return (desc & DESC_TYPE_MASK) >> DESC_TYPE_SHIFT;
}

/* The hidden part of a segment register loaded from desc. */
static struct vcpu_segment desc_segment(uint16_t sel, uint64_t desc)
{
	return (struct vcpu_segment){
		.selector = sel,
		.base = x86_desc_base(desc),
		.limit = x86_desc_limit(desc),
		.attr = x86_desc_attr(desc),
	};
}

int sc_far_transfer(struct sc_cpu *c, uint16_t sel, uint64_t rip)
{
	uint64_t desc = 0;
	bool found;
	uint32_t err = sel & 0xfffc;

	if (!err)
		return sc_gp(c, 0);
	if ((sel & SEL_RPL_MASK) < CPL_USER)
		return sc_gp(c, err); /* a ring-0 target: the monitor's job */
	if (read_desc(c, sel, &desc, &found))
		return SC_STOP;
	if (!found || !(desc & DESC_S) || !(desc_type(desc) & DESC_TYPE_CODE))
		return sc_gp(c, err);
	bool conforming = desc_type(desc) & DESC_TYPE_EC;
	if (!conforming && desc_dpl(desc) != CPL_USER)
		return sc_gp(c, err);
	if (!(desc & DESC_P))
		return sc_fault(c, T_NP, true, err);
	if (!(desc & DESC_L))
		return sc_unsupported(c, "softcpu runs 64-bit code only: far "
				      "transfer to a 32-bit code segment");
	if (!x86_canonical(rip))
		return sc_gp(c, 0);
	c->v->seg[SEG_CS] = desc_segment(sel, desc);
	c->v->seg[SEG_CS].base = 0;
	c->next = rip;
	return SC_OK;
}

/*
 * mov Sreg / pop Sreg at CPL 3 (contract): null is allowed except for SS;
 * a selector with RPL < 3 or a descriptor with DPL < 3 is #GP(sel); DS,
 * ES, FS, GS take data or readable code, SS writable data; not present is
 * #NP (#SS for SS).  FS and GS bases come from the descriptor (Intel also
 * zeroes them for a null selector).
 */
static int load_sreg(struct sc_cpu *c, unsigned sreg, uint16_t sel)
{
	uint64_t desc = 0;
	bool found;
	uint32_t err = sel & 0xfffc;

	if (!err) {
		if (sreg == SEG_SS)
			return sc_gp(c, 0);
		c->v->seg[sreg] = (struct vcpu_segment){ .selector = sel };
		return SC_OK;
	}
	if ((sel & SEL_RPL_MASK) < CPL_USER)
		return sc_gp(c, err);
	if (read_desc(c, sel, &desc, &found))
		return SC_STOP;
	if (!found || !(desc & DESC_S) || desc_dpl(desc) < CPL_USER)
		return sc_gp(c, err);
	unsigned type = desc_type(desc);
	bool code = type & DESC_TYPE_CODE, rw = type & DESC_TYPE_RW;
	if (sreg == SEG_SS ? (code || !rw) : (code && !rw))
		return sc_gp(c, err);
	if (!(desc & DESC_P))
		return sc_fault(c, sreg == SEG_SS ? T_SS : T_NP, true, err);
	c->v->seg[sreg] = desc_segment(sel, desc);
	return SC_OK;
}

int op_mov_sreg_e(struct sc_cpu *c, const struct sc_insn *d)
{
	unsigned sreg = d->reg & 7;
	uint64_t sel;

	if (sreg == SEG_CS || sreg >= VCPU_NSEGS)
		return sc_ud(c);
	/* Sensitive: a ring-3 selector loads here where ring 0 would
	 * fault (isa/README.md), so the strict ISA traps every form. */
	if (strict(c))
		return sc_gp(c, 0);
	if (sc_get_e(c, d, 2, &sel))
		return SC_STOP;
	return load_sreg(c, sreg, (uint16_t)sel);
}

int op_pop_sreg(struct sc_cpu *c, const struct sc_insn *d)
{
	uint64_t sel;

	if (sc_read(c, c->v->regs[GPR_RSP], d->osz, &sel, ACC_STACK))
		return SC_STOP;
	if (load_sreg(c, d->op, (uint16_t)sel))
		return SC_STOP;
	c->v->regs[GPR_RSP] += d->osz;
	return SC_OK;
}

/*
 * What a selector read shows at the real CPL 3: ring compression leaves
 * RPL 3 in every non-null selector, whatever the guest loaded.
 */
static uint16_t real_selector(const struct sc_cpu *c, unsigned sreg)
{
	uint16_t sel = c->v->seg[sreg].selector;

	return (sel & 0xfffc) ? sel | CPL_USER : sel;
}

/* mov E, Sreg: a register gets it zero-extended, memory 16 bits. */
int op_mov_e_sreg(struct sc_cpu *c, const struct sc_insn *d)
{
	unsigned sreg = d->reg & 7;

	if (sreg >= VCPU_NSEGS)
		return sc_ud(c);
	if (strict(c))
		return sc_gp(c, 0);
	if (d->mod == 3) {
		sc_rset(c, d->rm, d->osz, real_selector(c, sreg));
		return SC_OK;
	}
	return sc_write(c, sc_ea(c, d), 2, real_selector(c, sreg),
			sc_acc(d, ACC_WRITE));
}

int op_push_sreg(struct sc_cpu *c, const struct sc_insn *d)
{
	if (strict(c))
		return sc_gp(c, 0);
	return sc_push(c, d->osz, real_selector(c, d->op));
}

/* --------------------------------------------- lar, lsl, verr, verw */

/*
 * Is the descriptor of sel visible at CPL 3 for lar (lsl when limit)?
 * System types valid in 64-bit mode: LDT and TSS for both, call gates
 * for lar only.  Privilege: DPL >= max(CPL, RPL) = 3, except for
 * conforming code.
 */
static bool desc_visible(uint64_t desc, bool limit)
{
	unsigned type = desc_type(desc);

	if (!(desc & DESC_S)) {
		bool ok = type == DESC_SYS_LDT || type == DESC_SYS_TSS_AVAIL ||
			  type == DESC_SYS_TSS_BUSY ||
			  (!limit && type == DESC_SYS_CALL_GATE);
		return ok && desc_dpl(desc) == CPL_USER;
	}
	if ((type & DESC_TYPE_CODE) && (type & DESC_TYPE_EC))
		return true;
	return desc_dpl(desc) == CPL_USER;
}

/* lar (limit false) or lsl (limit true) G, Ew. */
static int lar_lsl(struct sc_cpu *c, const struct sc_insn *d, bool limit)
{
	uint64_t sel, desc = 0;
	bool found;

	if (strict(c))
		return sc_gp(c, 0);
	if (sc_get_e(c, d, 2, &sel))
		return SC_STOP;
	found = false;
	if ((sel & 0xfffc) && read_desc(c, (uint16_t)sel, &desc, &found))
		return SC_STOP;
	if (!found || !desc_visible(desc, limit)) {
		sc_set_flags(c, FL_ZF, 0);
		return SC_OK;
	}
	uint64_t x = limit ? desc_segment(0, desc).limit
			   : (desc >> 32) & 0x00ffff00;
	sc_rset(c, d->reg, d->osz, x);
	sc_set_flags(c, FL_ZF, FL_ZF);
	return SC_OK;
}

int op_lar(struct sc_cpu *c, const struct sc_insn *d)
{
	return lar_lsl(c, d, false);
}

int op_lsl(struct sc_cpu *c, const struct sc_insn *d)
{
	return lar_lsl(c, d, true);
}

int sc_verify(struct sc_cpu *c, const struct sc_insn *d, bool write)
{
	uint64_t sel, desc = 0;
	bool found = false, ok;

	if (sc_get_e(c, d, 2, &sel))
		return SC_STOP;
	if ((sel & 0xfffc) && read_desc(c, (uint16_t)sel, &desc, &found))
		return SC_STOP;
	unsigned type = desc_type(desc);
	bool code = type & DESC_TYPE_CODE, rw = type & DESC_TYPE_RW;
	ok = found && (desc & DESC_S);
	if (write)
		ok = ok && !code && rw && desc_dpl(desc) == CPL_USER;
	else
		ok = ok && (!code || rw) &&
		     ((code && (type & DESC_TYPE_EC)) ||
		      desc_dpl(desc) == CPL_USER);
	sc_set_flags(c, FL_ZF, ok ? FL_ZF : 0);
	return SC_OK;
}
