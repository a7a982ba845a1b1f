/*
 * engines/softcpu/string.c - string instructions: movs, stos, lods, cmps,
 * scas, with rep / repe / repne.
 *
 * Each element moves between [seg:RSI] (DS by default; overrides apply:
 * only fs/gs in 64-bit mode) and [ES:RDI] (no override; no base in 64-bit
 * mode), then RSI and RDI step by the element size, down when RFLAGS.DF is
 * set.  The registers are used at the address size: ESI, EDI and ECX wrap
 * at 32 bits, SI, DI and CX at 16 (their upper bits untouched).
 *
 * A repeated instruction is interruptible, as on hardware: a fault in
 * iteration k leaves RCX, RSI and RDI as the k - 1 completed iterations
 * left them, with RIP on the instruction, so that restarting it finishes
 * the job.  Long repeats also yield every SC_STRING_CHUNK elements
 * (SC_YIELD): RIP stays on the instruction and the engine returns to the
 * monitor, which may deliver an interrupt, as the CPU would between two
 * elements, before the instruction goes on.
 */
#include "engines/softcpu/softcpu.h"

#define SC_STRING_CHUNK 4096 /* elements between two looks by the monitor */

enum str_kind { STR_MOVS, STR_STOS, STR_LODS, STR_CMPS, STR_SCAS };

/* Step register r by delta at address size asz. */
static void step(struct sc_cpu *c, unsigned r, unsigned asz, int64_t delta)
{
	sc_rset(c, r, asz, c->regs[r] + (uint64_t)delta);
}

static uint64_t areg(const struct sc_cpu *c, unsigned r, unsigned asz)
{
	return c->regs[r] & sc_mask(asz);
}

/* One element of kind k; SC_STOP on a fault (nothing of it done). */
static int element(struct sc_cpu *c, const struct sc_insn *d, enum str_kind k)
{
	unsigned sz = d->osz, asz = d->asz, es = sc_implicit(c, SEG_ES);
	uint64_t src = sc_lin(c, d->seg, areg(c, GPR_RSI, asz));
	uint64_t dst = sc_lin(c, es, areg(c, GPR_RDI, asz));
	unsigned racc = sc_acc(d, ACC_READ);
	unsigned dacc = es == SC_NOSEG ? 0 : sc_acc_seg(SEG_ES, 0);
	uint64_t a, b;

	switch (k) {
	case STR_MOVS:
		if (sc_read(c, src, sz, &a, racc) ||
		    sc_write(c, dst, sz, a, dacc | ACC_WRITE))
			return SC_STOP;
		break;
	case STR_STOS:
		return sc_write(c, dst, sz, c->regs[GPR_RAX],
				dacc | ACC_WRITE);
	case STR_LODS:
		if (sc_read(c, src, sz, &a, racc))
			return SC_STOP;
		sc_rset(c, GPR_RAX, sz, a);
		break;
	case STR_CMPS:
		if (sc_read(c, src, sz, &a, racc) ||
		    sc_read(c, dst, sz, &b, dacc))
			return SC_STOP;
		sc_lazy_set(c, LZ_SUB, sz, a, b, (a - b) & sc_mask(sz));
		break;
	case STR_SCAS:
		if (sc_read(c, dst, sz, &b, dacc))
			return SC_STOP;
		a = c->regs[GPR_RAX] & sc_mask(sz);
		sc_lazy_set(c, LZ_SUB, sz, a, b, (a - b) & sc_mask(sz));
		break;
	}
	return SC_OK;
}

/* Advance RSI and/or RDI past one element. */
static void advance(struct sc_cpu *c, const struct sc_insn *d, enum str_kind k)
{
	int64_t delta = (c->v->rflags & FL_DF) ? -(int64_t)d->osz : d->osz;

	if (k != STR_STOS && k != STR_SCAS)
		step(c, GPR_RSI, d->asz, delta);
	if (k != STR_LODS)
		step(c, GPR_RDI, d->asz, delta);
}

/* repe/repne stop when ZF says so (cmps and scas only). */
static bool rep_done(const struct sc_cpu *c, const struct sc_insn *d,
		     enum str_kind k)
{
	if (k != STR_CMPS && k != STR_SCAS)
		return false;
	return d->rep == SC_REP_E ? !sc_zf(c) : sc_zf(c);
}

static int string_op(struct sc_cpu *c, const struct sc_insn *d,
		     enum str_kind k)
{
	if (d->rep == SC_REP_NONE) {
		if (element(c, d, k))
			return SC_STOP;
		advance(c, d, k);
		return SC_OK;
	}
	for (unsigned n = 0; n < SC_STRING_CHUNK; n++) {
		if (areg(c, GPR_RCX, d->asz) == 0)
			return SC_OK;
		if (element(c, d, k))
			return SC_STOP;
		advance(c, d, k);
		step(c, GPR_RCX, d->asz, -1);
		if (rep_done(c, d, k))
			return SC_OK;
	}
	/* A chunk done and more to do: RIP stays, not yet retired. */
	return areg(c, GPR_RCX, d->asz) != 0 ? SC_YIELD : SC_OK;
}

int op_movs(struct sc_cpu *c, const struct sc_insn *d)
{
	return string_op(c, d, STR_MOVS);
}

int op_stos(struct sc_cpu *c, const struct sc_insn *d)
{
	return string_op(c, d, STR_STOS);
}

int op_lods(struct sc_cpu *c, const struct sc_insn *d)
{
	return string_op(c, d, STR_LODS);
}

int op_cmps(struct sc_cpu *c, const struct sc_insn *d)
{
	return string_op(c, d, STR_CMPS);
}

int op_scas(struct sc_cpu *c, const struct sc_insn *d)
{
	return string_op(c, d, STR_SCAS);
}
