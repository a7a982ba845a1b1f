/*
 * engines/softcpu/flags.c - lazy arithmetic flags.
 *
 * Most instructions that write CF, PF, AF, ZF, SF and OF are followed by
 * another that overwrites them before anyone looks, so the ALU handlers
 * only record what they did (the operation, its size, and its operands,
 * or for a logic operation its result, all masked to the operand size:
 * sc_lazy_set, sc_lz_res) and the flags are derived here when read.
 * Where a block's builder proves the overwrite (cache.c's
 * block_dead_flags), the register form records nothing at all.  The
 * derivations are the textbook ones:
 *
 *   add:  CF = carry out of the top bit      = res < a (unsigned)
 *         OF = both operands have the sign the result lacks
 *   sub:  CF = borrow                        = a < b   (unsigned)
 *         OF = operands of different signs and the result's sign is b's
 *   all:  AF = carry out of bit 3 = bit 4 of (a ^ b ^ res)
 *         ZF = res == 0, SF = top bit, PF = even parity of the low byte
 *
 * adc and sbb add the carry in; inc and dec keep the CF that was there
 * before them (saved in lz_cin).  CF, ZF and SF, which every jcc reads,
 * are derived by inline functions in softcpu.h; the rest live here.  Instructions whose flags are not of
 * this shape (shifts, multiplies, bit tests) compute them eagerly into
 * vcpu.rflags with sc_set_flags(), which leaves LZ_NONE behind.
 */
#include "engines/softcpu/softcpu.h"

static bool parity_even(uint64_t res)
{
	return !__builtin_parity((unsigned)(res & 0xff));
}

bool sc_of(const struct sc_cpu *c)
{
	uint64_t a = c->lz_a, b = c->lz_b, r;

	switch (c->lz_op) {
	case LZ_ADD:
	case LZ_ADC:
	case LZ_INC:
		r = sc_lz_res(c);
		return (a ^ r) & (b ^ r) & sc_sign(c->lz_sz);
	case LZ_SUB:
	case LZ_SBB:
	case LZ_DEC:
		r = sc_lz_res(c);
		return (a ^ b) & (a ^ r) & sc_sign(c->lz_sz);
	case LZ_LOGIC:
		return false;
	default:
		return c->v->rflags & FL_OF;
	}
}

bool sc_pf(const struct sc_cpu *c)
{
	if (c->lz_op == LZ_NONE)
		return c->v->rflags & FL_PF;
	return parity_even(sc_lz_res(c));
}

/* AF: carry or borrow out of bit 3.  Logic operations clear it. */
static bool sc_af(const struct sc_cpu *c)
{
	if (c->lz_op == LZ_NONE)
		return c->v->rflags & FL_AF;
	if (c->lz_op == LZ_LOGIC)
		return false;
	return (c->lz_a ^ c->lz_b ^ sc_lz_res(c)) & 0x10;
}

uint64_t sc_flags(struct sc_cpu *c)
{
	uint64_t f;

	if (c->lz_op == LZ_NONE)
		return c->v->rflags;
	f = c->v->rflags & ~FL_STATUS;
	f |= sc_cf(c) ? FL_CF : 0;
	f |= sc_pf(c) ? FL_PF : 0;
	f |= sc_af(c) ? FL_AF : 0;
	f |= sc_zf(c) ? FL_ZF : 0;
	f |= sc_sf(c) ? FL_SF : 0;
	f |= sc_of(c) ? FL_OF : 0;
	c->v->rflags = f;
	c->lz_op = LZ_NONE;
	return f;
}

void sc_set_flags(struct sc_cpu *c, uint64_t mask, uint64_t bits)
{
	uint64_t f = sc_flags(c);

	c->v->rflags = (f & ~mask) | (bits & mask);
}

uint64_t sc_szp(uint64_t res, unsigned sz)
{
	uint64_t f = 0;

	res &= sc_mask(sz);
	f |= res == 0 ? FL_ZF : 0;
	f |= (res & sc_sign(sz)) ? FL_SF : 0;
	f |= parity_even(res) ? FL_PF : 0;
	return f;
}

/*
 * The conditions after a cmp or sub, straight from its operands, as a
 * compiler's branch reads them (the commonest case by far: cmp; jcc):
 * "below" is a < b unsigned, "less" is a < b signed, "equal" is a == b.
 * The others (O, S, P) go the long way.  False when cc is one of those.
 */
static bool cond_after_sub(const struct sc_cpu *c, unsigned cc, bool *r)
{
	uint64_t a = c->lz_a, b = c->lz_b;

	switch (cc >> 1) {
	case 1: *r = a < b; break;                          /* B */
	case 2: *r = a == b; break;                         /* E */
	case 3: *r = a <= b; break;                         /* BE */
	case 6: *r = sc_sext(a, c->lz_sz) < sc_sext(b, c->lz_sz); break; /* L */
	case 7: *r = sc_sext(a, c->lz_sz) <= sc_sext(b, c->lz_sz); break; /* LE */
	default: return false;
	}
	*r ^= cc & 1;
	return true;
}

/*
 * The sixteen conditions of jcc, setcc and cmovcc (SDM vol. 1, B.1):
 * the low bit of cc negates the condition named by the upper three.
 */
bool sc_cond(const struct sc_cpu *c, unsigned cc)
{
	bool r;

	if (c->lz_op == LZ_SUB && cond_after_sub(c, cc, &r))
		return r;
	switch (cc >> 1) {
	case 0: r = sc_of(c); break;                        /* O */
	case 1: r = sc_cf(c); break;                        /* B, C */
	case 2: r = sc_zf(c); break;                        /* E, Z */
	case 3: r = sc_cf(c) || sc_zf(c); break;            /* BE */
	case 4: r = sc_sf(c); break;                        /* S */
	case 5: r = sc_pf(c); break;                        /* P */
	case 6: r = sc_sf(c) != sc_of(c); break;            /* L */
	default: r = sc_zf(c) || sc_sf(c) != sc_of(c); break; /* LE */
	}
	return r ^ (cc & 1);
}
