/*
 * engines/softcpu/segment.c - segment selectors at the real CPL 3.
 *
 * In 64-bit mode segmentation is almost gone, but selectors remain and
 * are checked when loaded; in 32- and 16-bit code every segment register
 * counts, its base, limit and type cached from the descriptor at load
 * time (the MMU checks accesses against that cache).  Loads are mov to a
 * segment register, pop Sreg, lds/les/lss/lfs/lgs, far jmp/call/ret.
 * softcpu checks them against the guest's own GDT and LDT with the
 * privilege of the real CPU, CPL 3, so that the guest kernel's ring-0
 * selectors fault (#GP(selector)) and the monitor takes over.  The
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
	return sc_read(c, (base + (sel & ~7u)) & c->lin_mask, 8, desc,
		       ACC_READ);
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

/*
 * Check a far transfer to sel at CPL 3 and return the CS it loads in
 * *cs: a present code segment, DPL 3 unless conforming, RPL 3 (a ring-0
 * target is the monitor's job).  The offset must be canonical for 64-bit
 * code (EFER.LMA and L), else within the new CS.limit.
 */
static int far_target(struct sc_cpu *c, uint16_t sel, uint64_t rip,
		      struct vcpu_segment *cs)
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
	*cs = desc_segment(sel, desc);
	if ((c->v->efer & EFER_LMA) && (desc & DESC_L)) {
		cs->base = 0;
		return x86_canonical(rip) ? SC_OK : sc_gp(c, 0);
	}
	return rip <= cs->limit ? SC_OK : sc_gp(c, 0);
}

/* Load CS and go to rip: the mode may change with CS.L and CS.D. */
static void enter_code(struct sc_cpu *c, const struct vcpu_segment *cs,
		       uint64_t rip)
{
	c->v->seg[SEG_CS] = *cs;
	sc_mode_update(c);
	c->next = rip;
}

int sc_far_transfer(struct sc_cpu *c, uint16_t sel, uint64_t rip)
{
	struct vcpu_segment cs;

	if (far_target(c, sel, rip, &cs))
		return SC_STOP;
	enter_code(c, &cs, rip);
	return SC_NEWCS;
}

/*
 * lcall: the stack slots are translated first, then the target checked,
 * and only then are CS and the return RIP written, so that any fault
 * leaves everything as it was.
 */
int sc_far_call(struct sc_cpu *c, uint16_t sel, uint64_t rip, unsigned osz)
{
	struct vcpu_segment cs;
	struct sc_mem m;
	uint64_t sp = (sc_sp(c) - 2 * osz) & sc_mask(c->ssz);
	uint64_t frame[2] = { c->next, c->v->seg[SEG_CS].selector };
	uint8_t buf[16];

	if (sc_stack_map(c, sp, 2 * osz, ACC_WRITE, &m))
		return SC_STOP;
	if (far_target(c, sel, rip, &cs))
		return SC_STOP;
	memcpy(buf, &frame[0], osz);
	memcpy(buf + osz, &frame[1], osz);
	sc_mem_write_bytes(&m, buf, 2 * osz);
	sc_sp_set(c, sp);
	enter_code(c, &cs, rip);
	return SC_NEWCS;
}

int sc_read_far_ptr(struct sc_cpu *c, const struct sc_insn *d, uint64_t *off,
		    uint16_t *sel)
{
	uint8_t buf[10];
	struct sc_mem m;

	if (sc_map(c, sc_ea(c, d), d->osz + 2u, sc_acc(d, ACC_READ), &m))
		return SC_STOP;
	sc_mem_read_bytes(&m, buf, d->osz + 2u);
	*off = 0;
	memcpy(off, buf, d->osz);
	memcpy(sel, buf + d->osz, 2);
	return SC_OK;
}

/*
 * mov Sreg / pop Sreg at CPL 3 (contract): null is allowed except for SS;
 * a selector with RPL < 3 or a descriptor with DPL < 3 is #GP(sel); DS,
 * ES, FS, GS take data or readable code, SS writable data; not present is
 * #NP (#SS for SS).  FS and GS bases come from the descriptor (Intel also
 * zeroes them for a null selector).  A null selector leaves the register
 * unusable (attr 0: not present), so that using it is #GP(0).  Loading
 * SS holds off interrupts until the next instruction has run, so that
 * "mov ss; mov esp" is never split (SDM vol. 3, 6.8.3).
 */
int sc_load_sreg(struct sc_cpu *c, unsigned sreg, uint16_t sel)
{
	uint64_t desc = 0;
	bool found;
	uint32_t err = sel & 0xfffc;

	if (!err) {
		if (sreg == SEG_SS)
			return sc_gp(c, 0);
		c->v->seg[sreg] = (struct vcpu_segment){ .selector = sel };
		sc_mode_update(c);
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
	if (sreg == SEG_SS) {
		c->v->interrupt_shadow = true;
		c->ss_shadow = true; /* over after the next instruction */
		c->ss_shadow_end = c->v->instructions + 2;
	}
	sc_mode_update(c);
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
	return sc_load_sreg(c, sreg, (uint16_t)sel);
}

/* pop Sreg: op names the register (pop cs does not exist: 0F is the
 * two-byte escape). */
int op_pop_sreg(struct sc_cpu *c, const struct sc_insn *d)
{
	uint64_t sel, sp = sc_sp(c);
	unsigned ssz = c->ssz; /* pop ss: the old stack size moves ESP */

	/* pop ss is sensitive as mov to ss is (a ring-3 stack selector
	 * loads here where ring 0 would fault): the strict ISA traps it. */
	if (d->op == SEG_SS && strict(c))
		return sc_gp(c, 0);
	if (sc_stack_read(c, sp, d->osz, &sel))
		return SC_STOP;
	if (sc_load_sreg(c, d->op, (uint16_t)sel))
		return SC_STOP;
	sc_rset(c, GPR_RSP, ssz, sp + d->osz);
	return SC_OK;
}

/*
 * lds, les, lss, lfs, lgs (op names the register): a far pointer from
 * memory, its selector loaded as pop Sreg would, then its offset into the
 * general register; a register operand is #UD.
 */
int op_load_far(struct sc_cpu *c, const struct sc_insn *d)
{
	uint64_t off;
	uint16_t sel;

	if (d->mod == 3)
		return sc_ud(c);
	if (d->op == SEG_SS && strict(c)) /* lss: as pop ss, above */
		return sc_gp(c, 0);
	if (sc_read_far_ptr(c, d, &off, &sel) || sc_load_sreg(c, d->op, sel))
		return SC_STOP;
	sc_rset(c, d->reg, d->osz, off);
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
 * The system descriptor types lar (lsl when limit) accepts (SDM vol. 2,
 * LAR and LSL): in IA-32e mode LDT and TSS for both, call gates for lar
 * only; in protected mode also the 16-bit TSSes (1, 3), and for lar the
 * 16-bit call gate (4) and the task gate (5).
 */
static bool sys_type_ok(unsigned type, bool limit, bool ia32e)
{
	switch (type) {
	case DESC_SYS_LDT:
	case DESC_SYS_TSS_AVAIL:
	case DESC_SYS_TSS_BUSY:
		return true;
	case DESC_SYS_CALL_GATE:
		return !limit;
	case 1: case 3:
		return !ia32e;
	case 4: case 5:
		return !ia32e && !limit;
	default:
		return false;
	}
}

/*
 * Is the descriptor of sel visible at CPL 3 for lar (lsl when limit)?
 * Privilege: DPL >= max(CPL, RPL) = 3, except for conforming code.
 */
static bool desc_visible(const struct sc_cpu *c, uint64_t desc, bool limit)
{
	unsigned type = desc_type(desc);

	if (!(desc & DESC_S)) {
		bool ok = sys_type_ok(type, limit, c->v->efer & EFER_LMA);
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
	if (!found || !desc_visible(c, desc, limit)) {
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
