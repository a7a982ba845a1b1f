/*
 * engines/softcpu/stack.c - the stack: push and pop (registers, immediates,
 * memory), enter and leave, pushf and popf.
 *
 * In 64-bit mode the stack pointer is always the 64-bit RSP and pushes
 * are 8 bytes (2 with a 66 prefix; there are no 32-bit pushes).  Every
 * stack reference that leaves canonical space raises #SS(0), not #GP(0).
 * A push writes memory first and moves RSP only once the write succeeded,
 * so a faulting push changes nothing.
 *
 * pushf and popf are sensitive but unprivileged (isa/CONTRACT.md): at the
 * real CPL 3 with IOPL 0, pushf shows IF = 1 and IOPL = 0 whatever the
 * guest believes, and popf silently ignores changes to IF and IOPL.  In
 * the strict ISA they raise #GP(0) so that the monitor emulates them.
 */
#include "engines/softcpu/softcpu.h"
#include "core/vm.h"

/* Push x of sz bytes (8 or 2). */
static int push(struct sc_cpu *c, unsigned sz, uint64_t x)
{
	uint64_t sp = c->v->regs[GPR_RSP] - sz;

	if (sc_write(c, sp, sz, x, ACC_WRITE | ACC_STACK))
		return SC_STOP;
	c->v->regs[GPR_RSP] = sp;
	return SC_OK;
}

/* Read the top of the stack without popping it. */
static int top(struct sc_cpu *c, unsigned sz, uint64_t *x)
{
	return sc_read(c, c->v->regs[GPR_RSP], sz, x, ACC_STACK);
}

int sc_push(struct sc_cpu *c, unsigned sz, uint64_t x)
{
	return push(c, sz, x);
}

int sc_pop(struct sc_cpu *c, unsigned sz, uint64_t *x)
{
	if (top(c, sz, x))
		return SC_STOP;
	c->v->regs[GPR_RSP] += sz;
	return SC_OK;
}

int op_push_r(struct sc_cpu *c, const struct sc_insn *d)
{
	return push(c, d->osz, c->v->regs[d->reg]);
}

/* pop r: RSP moves first, so "pop rsp" ends with the value popped. */
int op_pop_r(struct sc_cpu *c, const struct sc_insn *d)
{
	uint64_t x;

	if (sc_pop(c, d->osz, &x))
		return SC_STOP;
	sc_rset(c, d->reg, d->osz, x);
	return SC_OK;
}

int op_push_i(struct sc_cpu *c, const struct sc_insn *d)
{
	return push(c, d->osz, d->imm);
}

int op_push_e(struct sc_cpu *c, const struct sc_insn *d)
{
	uint64_t x;

	if (sc_get_e(c, d, d->osz, &x))
		return SC_STOP;
	return push(c, d->osz, x);
}

/*
 * pop E: the destination's address is computed with the incremented RSP
 * (SDM vol. 2, POP); if storing faults, RSP goes back.
 */
int op_pop_e(struct sc_cpu *c, const struct sc_insn *d)
{
	struct sc_loc l;
	uint64_t x, old = c->v->regs[GPR_RSP];

	if (sc_pop(c, d->osz, &x))
		return SC_STOP;
	if (sc_loc_e(c, d, d->osz, ACC_WRITE, &l)) {
		c->v->regs[GPR_RSP] = old;
		return SC_STOP;
	}
	sc_loc_put(c, &l, d->osz, x);
	return SC_OK;
}

/* The sz bytes at offset off inside the translated range m. */
static struct sc_mem mem_slice(const struct sc_mem *m, unsigned off,
			       unsigned sz)
{
	if (!m->p2 || off + sz <= m->n1)
		return (struct sc_mem){ m->p1 + off, NULL, sz };
	if (off >= m->n1)
		return (struct sc_mem){ m->p2 + (off - m->n1), NULL, sz };
	return (struct sc_mem){ m->p1 + off, m->p2, m->n1 - off };
}

/*
 * enter size, level: push RBP, copy level - 1 frame pointers of the
 * enclosing frames, push the new frame pointer, then reserve size bytes.
 * Every access is translated before the first write, so that a fault (a
 * hidden one too: the monitor restarts the instruction) leaves memory and
 * registers as they were; then the copies run in the SDM's order, since
 * one may read what an earlier push of the same enter wrote.
 */
int op_enter(struct sc_cpu *c, const struct sc_insn *d)
{
	unsigned sz = d->osz, level = d->imm2 & 31;
	unsigned n = level ? level + 1 : 1; /* elements pushed */
	uint64_t sp = c->v->regs[GPR_RSP], bp = c->v->regs[GPR_RBP];
	uint64_t frame = sp - sz;
	struct sc_mem to, from[31];

	if (sc_map(c, sp - n * sz, n * sz, ACC_WRITE | ACC_STACK, &to))
		return SC_STOP;
	for (unsigned i = 1; i < level; i++)
		if (sc_map(c, bp - i * sz, sz, ACC_STACK, &from[i - 1]))
			return SC_STOP;
	/* Element k goes to sp - (k + 1) * sz, i.e. offset (n - 1 - k) * sz. */
	for (unsigned k = 0; k < n; k++) {
		uint64_t x = k == 0 ? bp
			   : k == level ? frame : sc_mem_get(&from[k - 1], sz);
		struct sc_mem slot = mem_slice(&to, (n - 1 - k) * sz, sz);
		sc_mem_put(&slot, sz, x);
	}
	sc_rset(c, GPR_RBP, sz, frame);
	c->v->regs[GPR_RSP] = sp - n * sz - (d->imm & 0xffff);
	return SC_OK;
}

/* leave: RSP = RBP, then pop RBP. */
int op_leave(struct sc_cpu *c, const struct sc_insn *d)
{
	uint64_t bp = c->v->regs[GPR_RBP], x;

	if (sc_read(c, bp, d->osz, &x, ACC_STACK))
		return SC_STOP;
	c->v->regs[GPR_RSP] = bp + d->osz;
	sc_rset(c, GPR_RBP, d->osz, x);
	return SC_OK;
}

int op_pushf(struct sc_cpu *c, const struct sc_insn *d)
{
	if (c->vm->opt.isa == ISA_STRICT)
		return sc_gp(c, 0);
	uint64_t f = sc_flags(c);
	/* The real flags: IF = 1, IOPL = 0; RF and VM are never pushed. */
	f = (f & ~(FL_IOPL_MASK | FL_RF | FL_VM)) | FL_IF;
	return push(c, d->osz, f);
}

/*
 * popf at CPL 3 with IOPL 0 may change CF PF AF ZF SF TF DF OF NT AC ID;
 * IF, IOPL, VIF, VIP stay as they were; a 16-bit popf only the low word.
 */
int op_popf(struct sc_cpu *c, const struct sc_insn *d)
{
	const uint64_t user = FL_STATUS | FL_TF | FL_DF | FL_NT | FL_AC | FL_ID;
	uint64_t x, mask = d->osz == 2 ? user & 0xffff : user;

	if (c->vm->opt.isa == ISA_STRICT)
		return sc_gp(c, 0);
	if (sc_pop(c, d->osz, &x))
		return SC_STOP;
	uint64_t f = sc_flags(c);
	c->v->rflags = ((f & ~mask) | (x & mask) | FL_FIXED1) & ~FL_RF;
	return SC_OK;
}
