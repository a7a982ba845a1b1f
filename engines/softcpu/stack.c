/*
 * engines/softcpu/stack.c - the stack: push and pop (registers, immediates,
 * memory), enter and leave, pushf and popf.
 *
 * In 64-bit mode the stack pointer is always the 64-bit RSP and pushes
 * are 8 bytes (2 with a 66 prefix; there are no 32-bit pushes).  Every
 * stack reference that leaves canonical space raises #SS(0), not #GP(0).
 * Outside 64-bit mode two sizes meet: the stack size (SS.B: ESP, or SP,
 * which wraps at 64 KiB and leaves ESP's upper half alone) says which
 * pointer moves, the operand size (4 or 2) how many bytes are pushed; the
 * accesses go through SS, and what SS refuses is #SS(0) too.
 * A push writes memory first and moves RSP only once the write succeeded,
 * so a faulting push changes nothing.
 *
 * pushf and popf are sensitive but unprivileged (isa/CONTRACT.md): at the
 * real CPL 3 with IOPL 0, pushf shows IF = 1 and IOPL = 0 whatever the
 * guest believes, and popf silently ignores changes to IF and IOPL.  In
 * the strict ISA they raise #GP(0) so that the monitor emulates them.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "engines/softcpu/softcpu.h"
#include "core/vm.h"

int sc_stack_map(struct sc_cpu *c, uint64_t sp, unsigned len,
		     unsigned acc, struct sc_mem *m)
{
	return sc_map(c, sc_lin(c, sc_implicit(c, SEG_SS), sp), len,
		      sc_acc_seg(SEG_SS, acc), m);
}

int sc_stack_read(struct sc_cpu *c, uint64_t sp, unsigned sz, uint64_t *x)
{
	struct sc_mem m;

	if (sc_stack_map(c, sp, sz, ACC_READ, &m))
		return SC_STOP;
	*x = sc_mem_get(&m, sz);
	return SC_OK;
}

int sc_stack_write(struct sc_cpu *c, uint64_t sp, unsigned sz, uint64_t x)
{
	struct sc_mem m;

	if (sc_stack_map(c, sp, sz, ACC_WRITE, &m))
		return SC_STOP;
	sc_mem_put(&m, sz, x);
	return SC_OK;
}

/* Push x of sz bytes. */
static int push(struct sc_cpu *c, unsigned sz, uint64_t x)
{
	uint64_t sp = (sc_sp(c) - sz) & sc_mask(c->ssz);

	if (sc_stack_write(c, sp, sz, x))
		return SC_STOP;
	sc_sp_set(c, sp);
	return SC_OK;
}

/* Read the top of the stack without popping it. */
static int top(struct sc_cpu *c, unsigned sz, uint64_t *x)
{
	return sc_stack_read(c, sc_sp(c), sz, x);
}

int sc_push(struct sc_cpu *c, unsigned sz, uint64_t x)
{
	return push(c, sz, x);
}

int sc_pop(struct sc_cpu *c, unsigned sz, uint64_t *x)
{
	if (top(c, sz, x))
		return SC_STOP;
	sc_sp_set(c, sc_sp(c) + sz);
	return SC_OK;
}

int op_push_r(struct sc_cpu *c, const struct sc_insn *d)
{
	return push(c, d->osz, *sc_reg_ro(c, d->reg));
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

/*
 * push and pop of a register in 64-bit code at the operand size 8 (50+r,
 * 58+r): every function's prologue and epilogue.  The slot goes through
 * the TLB's one compare (sc_tlb_fast), as a call's return address does
 * (branch.c's call64: canonical pages only, SS flat, no store tag on a
 * page with decoded code); anything else is the general handler's (sc_general),
 * from the instruction's own state.  push reads the register before RSP
 * moves (push rsp pushes the old value); pop moves RSP first (pop rsp
 * ends with the value popped), as op_pop_r.
 */
static int push_r64(struct sc_cpu *c, const struct sc_insn *d)
{
	uint64_t *rsp = sc_reg(c, GPR_RSP), x = *sc_reg_ro(c, d->reg);
	uint64_t sp = *rsp - 8;
	uint8_t *p;

	if (!sc_tlb_fast(c, sp, 8, true, &p))
		return sc_general(c, d, op_push_r);
	memcpy(p, &x, 8);
	*rsp = sp;
	return sc_next(c, d);
}

static int pop_r64(struct sc_cpu *c, const struct sc_insn *d)
{
	uint64_t *rsp = sc_reg(c, GPR_RSP), sp = *rsp, x;
	uint8_t *p;

	if (!sc_tlb_fast(c, sp, 8, false, &p))
		return sc_general(c, d, op_pop_r);
	memcpy(&x, p, 8);
	*rsp = sp + 8;
	*sc_reg(c, d->reg) = x;
	return sc_next(c, d);
}

sc_fn *sc_push_pop_form(sc_fn *fn, const struct sc_insn *d)
{
	if (d->osz != 8)
		return NULL;
	return fn == op_push_r ? push_r64 : fn == op_pop_r ? pop_r64 : NULL;
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
	uint64_t x, old = c->regs[GPR_RSP];

	if (sc_pop(c, d->osz, &x))
		return SC_STOP;
	if (sc_loc_e(c, d, d->osz, ACC_WRITE, &l)) {
		c->regs[GPR_RSP] = old;
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
		return (struct sc_mem){ m->p1 + off, NULL, sz, NULL };
	if (off >= m->n1)
		return (struct sc_mem){ m->p2 + (off - m->n1), NULL, sz, NULL };
	return (struct sc_mem){ m->p1 + off, m->p2, m->n1 - off, NULL };
}

/*
 * enter size, level: push RBP, copy level - 1 frame pointers of the
 * enclosing frames, push the new frame pointer, then reserve size bytes.
 * rBP and rSP are used and set at the stack size, the elements are of the
 * operand size (SDM vol. 2, ENTER).
 * Every access is translated before the first write, so that a fault (a
 * hidden one too: the monitor restarts the instruction) leaves memory and
 * registers as they were; then the copies run in the SDM's order, since
 * one may read what an earlier push of the same enter wrote.
 */
int op_enter(struct sc_cpu *c, const struct sc_insn *d)
{
	unsigned sz = d->osz, level = d->imm2 & 31;
	unsigned n = level ? level + 1 : 1; /* elements pushed */
	uint64_t mask = sc_mask(c->ssz);
	uint64_t sp = sc_sp(c), bp = c->regs[GPR_RBP] & mask;
	uint64_t frame = (sp - sz) & mask;
	struct sc_mem to, from[31];

	if (sc_stack_map(c, (sp - n * sz) & mask, n * sz, ACC_WRITE, &to))
		return SC_STOP;
	for (unsigned i = 1; i < level; i++)
		if (sc_stack_map(c, (bp - i * sz) & mask, sz, ACC_READ,
				 &from[i - 1]))
			return SC_STOP;
	/* Device memory serves one operand at a time (mmu.c). */
	bool mmio = to.io;
	for (unsigned i = 1; i < level; i++)
		mmio = mmio || from[i - 1].io;
	if (mmio)
		return sc_unsupported(c, "softcpu: enter with its frames in "
				      "MMIO");
	/* Element k goes to sp - (k + 1) * sz, i.e. offset (n - 1 - k) * sz. */
	for (unsigned k = 0; k < n; k++) {
		uint64_t x = k == 0 ? bp
			   : k == level ? frame : sc_mem_get(&from[k - 1], sz);
		struct sc_mem slot = mem_slice(&to, (n - 1 - k) * sz, sz);
		sc_mem_put(&slot, sz, x);
	}
	sc_rset(c, GPR_RBP, c->ssz, frame);
	sc_sp_set(c, sp - n * sz - (d->imm & 0xffff));
	return SC_OK;
}

/* leave: rSP = rBP (at the stack size), then pop rBP (operand size). */
int op_leave(struct sc_cpu *c, const struct sc_insn *d)
{
	uint64_t bp = c->regs[GPR_RBP] & sc_mask(c->ssz), x;

	if (sc_stack_read(c, bp, d->osz, &x))
		return SC_STOP;
	sc_sp_set(c, bp + d->osz);
	sc_rset(c, GPR_RBP, d->osz, x);
	return SC_OK;
}

int op_pushf(struct sc_cpu *c, const struct sc_insn *d)
{
	if (c->vm->opt.isa == ISA_STRICT)
		return sc_gp(c, 0);
	uint64_t f = sc_flags(c);
	/*
	 * The guest kernel believes interrupts are off and is about to read
	 * that they are on: the moment x86's non-virtualizability shows.
	 * Say so once, on stderr, for the student watching the guest fail
	 * (xv6's popcli panics on it, and its panic message goes nowhere
	 * before its UART is set up).
	 */
	if (c->v->cpl == 0 && !(f & FL_IF) && !c->noted_pushf) {
		c->noted_pushf = true;
		fprintf(stderr, "trapvisor: note: pushf at rip %#" PRIx64 " "
			"shows the guest kernel IF=1 while its virtual IF is 0: "
			"on x86 pushf runs at ring 3 without trapping "
			"(sensitive but unprivileged); --isa=strict makes it "
			"trap\n", c->v->rip);
	}
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
