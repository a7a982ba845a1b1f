/*
 * engines/softcpu/branch.c - control transfers: jcc, jmp, call, ret
 * (near, relative and indirect), loop/loope/loopne, jrcxz, and the far
 * forms (ljmp, lcall, lret) whose segment checks live in system.c.
 *
 * Near branches in 64-bit mode always have a 64-bit operand size (Intel
 * ignores a 66 prefix on them).  A target outside canonical space faults
 * with #GP(0) on the branch itself, before anything (RSP, RCX) changes.
 * In 32- and 16-bit code the operand size (4 or 2) is the width of the
 * target and of what call pushes and ret pops: a 16-bit branch cuts EIP
 * to IP; the target must lie within CS.limit (sc_branch).
 */
#include "engines/softcpu/softcpu.h"

int op_jcc(struct sc_cpu *c, const struct sc_insn *d)
{
	if (!sc_cond(c, d->op))
		return SC_OK;
	return sc_branch(c, c->next + d->imm, d->osz);
}

/*
 * jcc with one handler per condition (decode.c's fast_handler, through
 * sc_jcc_form): the condition is a constant in each (sc_cond_quick).
 * Taken, it goes on into the block it reaches (sc_chain), or retires the
 * chain and leaves the block to the run loop.  The common case, a
 * condition the lazy flags decide quickly and a 64-bit canonical target
 * elsewhere, is inline; the rest is out of line (noinline), so that the
 * common path saves no registers.
 *
 * Each has a self form too (jcc_self_N, and the fused cmp_jcc's below),
 * which the builder puts in place of it at the end of a self-loop, a
 * block whose jcc jumps back to the block's own first byte and which
 * is linked to itself (cache.c's sc_block_build, sc_self_form): taken,
 * it goes round its block again (sc_chain_self), knowing without a look
 * at the block's taken pointer that it leads back to c->blk.
 */
static int jcc_branch(struct sc_cpu *c, const struct sc_insn *d)
	__attribute__((noinline));
static int jcc_cond(struct sc_cpu *c, const struct sc_insn *d)
	__attribute__((noinline));
static int jcc_cond_self(struct sc_cpu *c, const struct sc_insn *d)
	__attribute__((noinline));

static inline int jcc_taken(struct sc_cpu *c, const struct sc_insn *d)
{
	struct sc_block *s = c->blk->taken;
	uint64_t fall, t;

	if (s) /* its target's block, known: on into it */
		return sc_chain(c, d, s);
	fall = sc_fall(c, d);
	t = fall + d->imm;
	/* A target in the code page is canonical. */
	if (d->osz == 8 && t >> PAGE_4K_SHIFT == c->code_vpn && t != fall)
		return sc_retire_at(c, d, t);
	if (d->osz != 8 || !x86_canonical(t) || t == fall)
		return jcc_branch(c, d);
	return sc_retire_at(c, d, t);
}

/* Taken: a self form (self, a constant of each handler) goes round its
 * own block, any other as jcc_taken says.  Always inline: each handler
 * keeps one of the two. */
static inline int jcc_go(struct sc_cpu *c, const struct sc_insn *d,
			 bool self) __attribute__((always_inline));
static inline int jcc_go(struct sc_cpu *c, const struct sc_insn *d,
			 bool self)
{
	return self ? sc_chain_self(c, d, c->blk) : jcc_taken(c, d);
}

/* Any other target: sc_branch cuts it to the operand size or faults
 * (#GP) with the jcc's own RIP and count (sc_sync). */
static int jcc_branch(struct sc_cpu *c, const struct sc_insn *d)
{
	uint64_t fall = sc_fall(c, d);

	sc_sync(c, d);
	if (sc_branch(c, fall + d->imm, d->osz))
		return SC_STOP;
	if (c->next != fall)
		return sc_retire_at(c, d, c->next);
	return sc_next(c, d); /* a jump to the next instruction */
}

/* A condition the lazy state does not make quick: sc_cond(). */
static int jcc_cond(struct sc_cpu *c, const struct sc_insn *d)
{
	return sc_cond(c, d->op) ? jcc_go(c, d, false) : sc_next(c, d);
}

static int jcc_cond_self(struct sc_cpu *c, const struct sc_insn *d)
{
	return sc_cond(c, d->op) ? jcc_go(c, d, true) : sc_next(c, d);
}

#define JCC_FORM(name, cc, self)					\
	static int name(struct sc_cpu *c, const struct sc_insn *d)	\
	{								\
		int taken = sc_cond_quick(c, cc);			\
		if (taken < 0)						\
			return self ? jcc_cond_self(c, d) : jcc_cond(c, d); \
		return taken ? jcc_go(c, d, self) : sc_next(c, d);	\
	}
#define JCC(cc) JCC_FORM(jcc_##cc, cc, false) JCC_FORM(jcc_self_##cc, cc, true)
JCC(0) JCC(1) JCC(2) JCC(3) JCC(4) JCC(5) JCC(6) JCC(7)
JCC(8) JCC(9) JCC(10) JCC(11) JCC(12) JCC(13) JCC(14) JCC(15)

static sc_fn *const jcc_forms[2][16] = {
	{ jcc_0, jcc_1, jcc_2, jcc_3, jcc_4, jcc_5, jcc_6, jcc_7,
	  jcc_8, jcc_9, jcc_10, jcc_11, jcc_12, jcc_13, jcc_14, jcc_15 },
	{ jcc_self_0, jcc_self_1, jcc_self_2, jcc_self_3, jcc_self_4,
	  jcc_self_5, jcc_self_6, jcc_self_7, jcc_self_8, jcc_self_9,
	  jcc_self_10, jcc_self_11, jcc_self_12, jcc_self_13, jcc_self_14,
	  jcc_self_15 },
};

sc_fn *sc_jcc_form(unsigned cc)
{
	return jcc_forms[0][cc & 15];
}

/*
 * cmp and the jcc after it, fused, for the two commonest conditions of
 * compiled loops, jne and jbe (decided on the operands, as
 * sc_cond_quick would), with the register forms of cmp at 2, 4 and 8
 * bytes (alu.c's sc_alu_reg_form).  The cmp's record d gets the fused
 * handler when a block ends in the pair (cache.c's sc_block_build): it
 * records the lazy flags as cmp does, then runs the jcc's record d + 1
 * as jcc_N would, without the hop between them and without reading the
 * lazy state back.  A block runs only when all of it fits in the budget,
 * and is entered only at its first record, so that nothing can stop or
 * look between the two; the one-instruction path uses the cache's
 * records, which are never fused.  Each has a self form (self, _js),
 * as jcc_N has.
 */
static inline int cmp_jcc(struct sc_cpu *c, const struct sc_insn *d,
			  unsigned sz, unsigned cc, bool self, uint64_t a,
			  uint64_t b)
{
	uint64_t m = sc_mask(sz);
	bool r;

	a &= m;
	b &= m;
	sc_lazy_set(c, LZ_SUB, sz, a, b, 0);
	r = cc == 5 ? a != b : a <= b; /* jne: ZF = 0; jbe: CF = 1 or ZF = 1 */
	return r ? jcc_go(c, d + 1, self) : sc_next(c, d + 1);
}

#define CMP_JCC_FORM(form, cc, sz, a, b)				\
static int cmp_##form##sz##_j##cc(struct sc_cpu *c,			\
				  const struct sc_insn *d)		\
{									\
	return cmp_jcc(c, d, sz, cc, false, a, b);			\
}									\
static int cmp_##form##sz##_js##cc(struct sc_cpu *c,			\
				   const struct sc_insn *d)		\
{									\
	return cmp_jcc(c, d, sz, cc, true, a, b);			\
}
#define CMP_JCC(cc, sz)							\
	CMP_JCC_FORM(eg, cc, sz, sc_rlow(c, d->rm, sz),			\
		     sc_rlow(c, d->reg, sz))					\
	CMP_JCC_FORM(ge, cc, sz, sc_rlow(c, d->reg, sz),			\
		     sc_rlow(c, d->rm, sz))					\
	CMP_JCC_FORM(ei, cc, sz, sc_rlow(c, d->rm, sz), d->imm)		\
	CMP_JCC_FORM(ai, cc, sz, sc_rlow(c, GPR_RAX, sz), d->imm)
CMP_JCC(5, 2) CMP_JCC(5, 4) CMP_JCC(5, 8)
CMP_JCC(6, 2) CMP_JCC(6, 4) CMP_JCC(6, 8)

#define CMP_JCC_ROW(j, cc, sz)						\
	{ cmp_eg##sz##_##j##cc, cmp_ge##sz##_##j##cc,			\
	  cmp_ei##sz##_##j##cc, cmp_ai##sz##_##j##cc }
#define CMP_JCC_FORMS(j)						\
	{ { CMP_JCC_ROW(j, 5, 2), CMP_JCC_ROW(j, 5, 4), CMP_JCC_ROW(j, 5, 8) }, \
	  { CMP_JCC_ROW(j, 6, 2), CMP_JCC_ROW(j, 6, 4), CMP_JCC_ROW(j, 6, 8) } }
/* [self][jne, jbe][2, 4, 8 bytes][eg, ge, ei, ai] */
static sc_fn *const cmp_jcc_forms[2][2][3][4] = {
	CMP_JCC_FORMS(j), CMP_JCC_FORMS(js),
};

sc_fn *sc_cmp_jcc_form(const struct sc_insn *cmp, const struct sc_insn *jcc)
{
	static sc_fn *const general[4] = {
		op_alu_eg, op_alu_ge, op_alu_ei, op_alu_ai,
	};
	unsigned size = cmp->osz == 2 ? 0 : cmp->osz == 4 ? 1 : 2;
	int k = jcc->fn == jcc_5 ? 0 : jcc->fn == jcc_6 ? 1 : -1;

	if (k < 0 || cmp->op != 7 || cmp->osz == 1) /* cmp: ALU op 7 */
		return NULL;
	for (unsigned f = 0; f < 4; f++)
		if (cmp->fn != general[f] &&
		    cmp->fn == sc_alu_reg_form(general[f], 7, cmp->osz))
			return cmp_jcc_forms[0][k][size][f];
	return NULL;
}

sc_fn *sc_self_form(sc_fn *fn)
{
	sc_fn *const *jcc = jcc_forms[0];
	sc_fn *const *fused = &cmp_jcc_forms[0][0][0][0];
	size_t nfused = sizeof(cmp_jcc_forms[0]) / sizeof(*fused);

	for (size_t i = 0; i < 16; i++)
		if (jcc[i] == fn)
			return jcc_forms[1][i];
	for (size_t i = 0; i < nfused; i++)
		if (fused[i] == fn)
			return (&cmp_jcc_forms[1][0][0][0])[i];
	return NULL;
}

int op_jmp_rel(struct sc_cpu *c, const struct sc_insn *d)
{
	return sc_branch(c, c->next + d->imm, d->osz);
}

/* call: check the target, push the return address, go; a bad target or
 * a faulting push changes nothing. */
static int call(struct sc_cpu *c, uint64_t target, unsigned osz)
{
	uint64_t ret = c->next;

	if (sc_branch(c, target, osz))
		return SC_STOP;
	if (sc_push(c, osz, ret)) {
		c->next = ret;
		return SC_STOP;
	}
	return SC_OK;
}

int op_call_rel(struct sc_cpu *c, const struct sc_insn *d)
{
	return call(c, c->next + d->imm, d->osz);
}

/* ret [imm16]: pop RIP, then release imm16 more bytes of stack. */
int op_ret(struct sc_cpu *c, const struct sc_insn *d)
{
	uint64_t t, sp = sc_sp(c);

	if (sc_stack_read(c, sp, d->osz, &t))
		return SC_STOP;
	if (sc_branch(c, t, d->osz))
		return SC_STOP;
	sc_sp_set(c, sp + d->osz + (d->imm & 0xffff));
	return SC_OK;
}

/*
 * call rel32 and ret (C3, C2 imm16) in 64-bit code, at the operand size
 * 8 (decode.c's fast_handler, through sc_callret_form): every kernel's
 * function calls.  The return address goes to or comes from the stack
 * through the TLB's fast path, as a flat mov's operand does (sc_tlb_fast:
 * the page of the slot's last byte held with the tag of the access, so
 * the 8 bytes lie in one page the access may reach directly; a page that
 * holds decoded code has no store tag; the TLB holds canonical pages
 * only, and SS is flat in 64-bit mode).  Then on, as a taken jcc goes:
 * call into its target's block (sc_chain, its block's taken pointer);
 * ret into the block its own block went on to last time, when that is
 * still the block at the popped address (sc_succ_holds, chain_next's
 * test; and fast forms only, as sc_block_link asks of a taken pointer's
 * block).  Any other case (a
 * miss, a slot across two pages, a store to a page with code, a target
 * that is not canonical) is the general handler's (branch_general),
 * which faults or writes as the one-instruction path does: the fast path
 * changes nothing before it knows it completes.
 */

/* The general handler fn of a call or ret, as sc_general runs one, but
 * the instruction went to c->next, its target, and ends its block: the
 * chain retires there.  Never inlined, as sc_general. */
static int branch_general(struct sc_cpu *c, const struct sc_insn *d,
			  sc_fn *fn) __attribute__((noinline));
static int branch_general(struct sc_cpu *c, const struct sc_insn *d,
			  sc_fn *fn)
{
	int rc;

	sc_sync(c, d);
	if ((rc = fn(c, d)) != SC_OK)
		return rc;
	return sc_retire_at(c, d, c->next);
}

static int call64(struct sc_cpu *c, const struct sc_insn *d)
{
	uint64_t fall = sc_fall(c, d), t = fall + d->imm;
	uint64_t *rsp = sc_reg(c, GPR_RSP), sp = *rsp - 8;
	struct sc_block *s = c->blk->taken;
	uint8_t *p;

	if (!sc_tlb_fast(c, sp, 8, true, &p) || !x86_canonical(t))
		return branch_general(c, d, op_call_rel);
	memcpy(p, &fall, 8);
	*rsp = sp;
	if (s) /* its target's block, known: on into it */
		return sc_chain(c, d, s);
	return sc_retire_at(c, d, t);
}

static int ret64(struct sc_cpu *c, const struct sc_insn *d)
{
	uint64_t *rsp = sc_reg(c, GPR_RSP), sp = *rsp, t;
	const struct sc_block *b = c->blk;
	struct sc_block *s = b->succ[0];
	uint8_t *p;

	if (!sc_tlb_fast(c, sp, 8, false, &p))
		return branch_general(c, d, op_ret);
	memcpy(&t, p, 8);
	if (!x86_canonical(t))
		return branch_general(c, d, op_ret);
	*rsp = sp + 8 + (d->imm & 0xffff);
	if (sc_succ_holds(c, b, s, t) && s->threaded)
		return sc_chain_to(c, d, s, t);
	return sc_retire_at(c, d, t);
}

sc_fn *sc_callret_form(sc_fn *fn, const struct sc_insn *d)
{
	if (d->osz != 8)
		return NULL;
	return fn == op_call_rel ? call64 : fn == op_ret ? ret64 : NULL;
}

int op_jmp_e(struct sc_cpu *c, const struct sc_insn *d)
{
	uint64_t t;

	if (sc_get_e(c, d, d->osz, &t))
		return SC_STOP;
	return sc_branch(c, t, d->osz);
}

int op_call_e(struct sc_cpu *c, const struct sc_insn *d)
{
	uint64_t t;

	if (sc_get_e(c, d, d->osz, &t))
		return SC_STOP;
	return call(c, t, d->osz);
}

/* loopne (op 0), loope (1), loop (2): count rCX down at the address
 * size (RCX, ECX or CX). */
int op_loop(struct sc_cpu *c, const struct sc_insn *d)
{
	uint64_t n = (c->regs[GPR_RCX] - 1) & sc_mask(d->asz);
	bool taken = n != 0;

	if (d->op == 0)
		taken = taken && !sc_zf(c);
	else if (d->op == 1)
		taken = taken && sc_zf(c);
	if (taken && sc_branch(c, c->next + d->imm, d->osz))
		return SC_STOP;
	sc_rset(c, GPR_RCX, d->asz, n);
	return SC_OK;
}

/* jrcxz / jecxz / jcxz: the count register at the address size. */
int op_jrcxz(struct sc_cpu *c, const struct sc_insn *d)
{
	if (sc_rget(c, GPR_RCX, d->asz) != 0)
		return SC_OK;
	return sc_branch(c, c->next + d->imm, d->osz);
}

/*
 * ljmp (op 0) and lcall (op 1) through a memory far pointer: offset of
 * the operand size, then a 16-bit selector.  A register operand is #UD.
 */
int op_far_e(struct sc_cpu *c, const struct sc_insn *d)
{
	uint64_t off;
	uint16_t sel;

	if (d->mod == 3)
		return sc_ud(c);
	if (sc_read_far_ptr(c, d, &off, &sel))
		return SC_STOP;
	if (d->op == 0)
		return sc_far_transfer(c, sel, off);
	return sc_far_call(c, sel, off, d->osz);
}

/* ljmp (op 0) and lcall (op 1) ptr16:32 / ptr16:16 (9A, EA): the pointer
 * is the immediate, offset | selector << 32. */
int op_far_ptr(struct sc_cpu *c, const struct sc_insn *d)
{
	uint16_t sel = (uint16_t)(d->imm >> 32);
	uint64_t off = d->imm & 0xffffffff;

	if (d->op == 0)
		return sc_far_transfer(c, sel, off);
	return sc_far_call(c, sel, off, d->osz);
}

/* lret [imm16]: pop RIP and CS (operand size: 32 by default, 64 with W,
 * 16 in 16-bit code or with 66). */
int op_lret(struct sc_cpu *c, const struct sc_insn *d)
{
	uint64_t sp = sc_sp(c), off, sel;
	uint64_t mask = sc_mask(c->ssz);

	if (sc_stack_read(c, sp, d->osz, &off) ||
	    sc_stack_read(c, (sp + d->osz) & mask, d->osz, &sel))
		return SC_STOP;
	if (sc_far_transfer(c, (uint16_t)sel, off) == SC_STOP)
		return SC_STOP;
	sc_sp_set(c, sp + 2 * d->osz + (d->imm & 0xffff));
	return SC_NEWCS;
}
