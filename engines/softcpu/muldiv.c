/*
 * engines/softcpu/muldiv.c - mul, imul (one-, two- and three-operand),
 * div and idiv.
 *
 * The one-operand forms work on the accumulator pair, by size:
 *
 *   size  multiplicand  product       dividend   quotient  remainder
 *    8    AL            AX            AX         AL        AH
 *   16    AX            DX:AX         DX:AX      AX        DX
 *   32    EAX           EDX:EAX       EDX:EAX    EAX       EDX
 *   64    RAX           RDX:RAX       RDX:RAX    RAX       RDX
 *
 * Multiplication sets CF = OF = "the upper half is significant".  Division
 * raises #DE (a fault: nothing changes) for a zero divisor or a quotient
 * that does not fit.  For the flags the SDM leaves undefined we do what
 * the project's reference host does (mul_flags, div_flags).
 */
#include "engines/softcpu/softcpu.h"

typedef unsigned __int128 u128;
typedef __int128 s128;

/* mul/imul: SF, ZF, AF, PF are undefined; the reference host keeps them. */
static void mul_flags(struct sc_cpu *c, unsigned sz, uint64_t lo, bool ovf)
{
	(void)sz;
	(void)lo;
	sc_set_flags(c, FL_CF | FL_OF, ovf ? FL_CF | FL_OF : 0);
}

/*
 * div/idiv leave all six flags undefined.  The reference host (AMD EPYC)
 * keeps CF and OF, clears SF, ZF, PF and sets AF; so do we.
 */
static void div_flags(struct sc_cpu *c)
{
	sc_set_flags(c, FL_SF | FL_ZF | FL_PF | FL_AF, FL_AF);
}

/* Store a double-width result into the accumulator pair of size sz. */
static void put_pair(struct sc_cpu *c, unsigned sz, uint64_t lo, uint64_t hi)
{
	if (sz == 1) {
		sc_rset(c, GPR_RAX, 2, (lo & 0xff) | (hi & 0xff) << 8);
		return;
	}
	sc_rset(c, GPR_RAX, sz, lo);
	sc_rset(c, GPR_RDX, sz, hi);
}

/* The double-width dividend of size sz: AX, DX:AX, EDX:EAX, RDX:RAX. */
static u128 get_pair(const struct sc_cpu *c, unsigned sz)
{
	if (sz == 1)
		return sc_rget(c, GPR_RAX, 2);
	return ((u128)sc_rget(c, GPR_RDX, sz) << (8 * sz)) |
	       sc_rget(c, GPR_RAX, sz);
}

int op_mul1(struct sc_cpu *c, const struct sc_insn *d)
{
	unsigned sz = d->osz;
	uint64_t b;

	if (sc_get_e(c, d, sz, &b))
		return SC_STOP;
	u128 p = (u128)sc_rget(c, GPR_RAX, sz) * b;
	uint64_t lo = (uint64_t)p & sc_mask(sz);
	uint64_t hi = (uint64_t)(p >> (8 * sz)) & sc_mask(sz);
	put_pair(c, sz, lo, hi);
	mul_flags(c, sz, lo, hi != 0);
	return SC_OK;
}

int op_imul1(struct sc_cpu *c, const struct sc_insn *d)
{
	unsigned sz = d->osz;
	uint64_t b;

	if (sc_get_e(c, d, sz, &b))
		return SC_STOP;
	s128 p = (s128)sc_sext(c->regs[GPR_RAX], sz) * sc_sext(b, sz);
	uint64_t lo = (uint64_t)p & sc_mask(sz);
	uint64_t hi = (uint64_t)(p >> (8 * sz)) & sc_mask(sz);
	put_pair(c, sz, lo, hi);
	mul_flags(c, sz, lo, p != (s128)sc_sext(lo, sz));
	return SC_OK;
}

/* Truncating signed multiply into G: imul Gv, Ev[, imm]. */
static void imul_g(struct sc_cpu *c, const struct sc_insn *d, uint64_t a,
		   uint64_t b)
{
	unsigned sz = d->osz;
	s128 p = (s128)sc_sext(a, sz) * sc_sext(b, sz);
	uint64_t lo = (uint64_t)p & sc_mask(sz);

	sc_rset(c, d->reg, sz, lo);
	mul_flags(c, sz, lo, p != (s128)sc_sext(lo, sz));
}

int op_imul_gei(struct sc_cpu *c, const struct sc_insn *d)
{
	uint64_t a;

	if (sc_get_e(c, d, d->osz, &a))
		return SC_STOP;
	imul_g(c, d, a, d->imm);
	return SC_OK;
}

int op_imul_ge(struct sc_cpu *c, const struct sc_insn *d)
{
	uint64_t a;

	if (sc_get_e(c, d, d->osz, &a))
		return SC_STOP;
	imul_g(c, d, a, sc_rget(c, d->reg, d->osz));
	return SC_OK;
}

/* #DE, a fault: RIP stays on the div. */
static int divide_error(struct sc_cpu *c)
{
	return sc_fault(c, T_DE, false, 0);
}

int op_div(struct sc_cpu *c, const struct sc_insn *d)
{
	unsigned sz = d->osz;
	uint64_t b;

	if (sc_get_e(c, d, sz, &b))
		return SC_STOP;
	if (b == 0)
		return divide_error(c);
	u128 n = get_pair(c, sz), q = n / b;
	if (q > sc_mask(sz))
		return divide_error(c);
	put_pair(c, sz, (uint64_t)q, (uint64_t)(n % b));
	div_flags(c);
	return SC_OK;
}

int op_idiv(struct sc_cpu *c, const struct sc_insn *d)
{
	unsigned sz = d->osz, bits = 8 * sz;
	uint64_t b;

	if (sc_get_e(c, d, sz, &b))
		return SC_STOP;
	s128 sb = sc_sext(b, sz);
	if (sb == 0)
		return divide_error(c);
	/* Sign-extend the 2*bits-wide dividend to 128 bits. */
	u128 un = get_pair(c, sz);
	s128 n = (s128)(un << (128 - 2 * bits)) >> (128 - 2 * bits);
	if (bits == 64 && sb == -1 && un == (u128)1 << 127)
		return divide_error(c); /* the one quotient C cannot form */
	s128 q = n / sb, r = n % sb;
	s128 qmax = ((s128)1 << (bits - 1)) - 1;
	if (q > qmax || q < -qmax - 1)
		return divide_error(c);
	put_pair(c, sz, (uint64_t)q & sc_mask(sz), (uint64_t)r & sc_mask(sz));
	div_flags(c);
	return SC_OK;
}
