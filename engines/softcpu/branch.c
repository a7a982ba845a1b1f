/*
 * engines/softcpu/branch.c - control transfers: jcc, jmp, call, ret
 * (near, relative and indirect), loop/loope/loopne, jrcxz, and the far
 * forms (ljmp, lcall, lret) whose segment checks live in system.c.
 *
 * Near branches in 64-bit mode always have a 64-bit operand size (Intel
 * ignores a 66 prefix on them).  A target outside canonical space faults
 * with #GP(0) on the branch itself, before anything (RSP, RCX) changes.
 */
#include "engines/softcpu/softcpu.h"

int op_jcc(struct sc_cpu *c, const struct sc_insn *d)
{
	if (!sc_cond(c, d->op))
		return SC_OK;
	return sc_branch(c, c->next + d->imm);
}

int op_jmp_rel(struct sc_cpu *c, const struct sc_insn *d)
{
	return sc_branch(c, c->next + d->imm);
}

/* call: push the return address, then go; a bad target changes nothing. */
static int call(struct sc_cpu *c, uint64_t target)
{
	if (!x86_canonical(target))
		return sc_gp(c, 0);
	if (sc_push(c, 8, c->next))
		return SC_STOP;
	c->next = target;
	return SC_OK;
}

int op_call_rel(struct sc_cpu *c, const struct sc_insn *d)
{
	return call(c, c->next + d->imm);
}

/* ret [imm16]: pop RIP, then release imm16 more bytes of stack. */
int op_ret(struct sc_cpu *c, const struct sc_insn *d)
{
	uint64_t t;

	if (sc_read(c, c->v->regs[GPR_RSP], 8, &t, ACC_STACK))
		return SC_STOP;
	if (sc_branch(c, t))
		return SC_STOP;
	c->v->regs[GPR_RSP] += 8 + (d->imm & 0xffff);
	return SC_OK;
}

int op_jmp_e(struct sc_cpu *c, const struct sc_insn *d)
{
	uint64_t t;

	if (sc_get_e(c, d, 8, &t))
		return SC_STOP;
	return sc_branch(c, t);
}

int op_call_e(struct sc_cpu *c, const struct sc_insn *d)
{
	uint64_t t;

	if (sc_get_e(c, d, 8, &t))
		return SC_STOP;
	return call(c, t);
}

/* loopne (op 0), loope (1), loop (2): count RCX (ECX with 67) down. */
int op_loop(struct sc_cpu *c, const struct sc_insn *d)
{
	uint64_t m = d->asz == 4 ? 0xffffffffULL : ~0ULL;
	uint64_t n = (c->v->regs[GPR_RCX] - 1) & m;
	bool taken = n != 0;

	if (d->op == 0)
		taken = taken && !sc_zf(c);
	else if (d->op == 1)
		taken = taken && sc_zf(c);
	if (taken && !x86_canonical(c->next + d->imm))
		return sc_gp(c, 0);
	sc_rset(c, GPR_RCX, d->asz, n);
	if (taken)
		c->next += d->imm;
	return SC_OK;
}

int op_jrcxz(struct sc_cpu *c, const struct sc_insn *d)
{
	if (sc_rget(c, GPR_RCX, d->asz) != 0)
		return SC_OK;
	return sc_branch(c, c->next + d->imm);
}

/*
 * ljmp (op 0) and lcall (op 1) through a memory far pointer: offset of
 * the operand size, then a 16-bit selector.  A register operand is #UD.
 */
int op_far_e(struct sc_cpu *c, const struct sc_insn *d)
{
	uint64_t off, sel, va;

	if (d->mod == 3)
		return sc_ud(c);
	va = sc_ea(c, d);
	if (sc_read(c, va, d->osz, &off, sc_acc(d, ACC_READ)) ||
	    sc_read(c, va + d->osz, 2, &sel, sc_acc(d, ACC_READ)))
		return SC_STOP;
	if (d->op == 0)
		return sc_far_transfer(c, (uint16_t)sel, off);
	/* lcall pushes CS then the return RIP, at the operand size. */
	uint64_t sp = c->v->regs[GPR_RSP];
	const unsigned acc = ACC_WRITE | ACC_STACK;
	if (sc_write(c, sp - d->osz, d->osz, c->v->seg[SEG_CS].selector, acc) ||
	    sc_write(c, sp - 2 * d->osz, d->osz, c->next, acc))
		return SC_STOP;
	if (sc_far_transfer(c, (uint16_t)sel, off))
		return SC_STOP;
	c->v->regs[GPR_RSP] = sp - 2 * d->osz;
	return SC_OK;
}

/* lret [imm16]: pop RIP and CS (operand size: 32 by default, 64 with W). */
int op_lret(struct sc_cpu *c, const struct sc_insn *d)
{
	uint64_t sp = c->v->regs[GPR_RSP], off, sel;

	if (sc_read(c, sp, d->osz, &off, ACC_STACK) ||
	    sc_read(c, sp + d->osz, d->osz, &sel, ACC_STACK))
		return SC_STOP;
	if (sc_far_transfer(c, (uint16_t)sel, off))
		return SC_STOP;
	c->v->regs[GPR_RSP] = sp + 2 * d->osz + (d->imm & 0xffff);
	return SC_OK;
}
