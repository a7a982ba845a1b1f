/*
 * engines/softcpu/bit.c - bit instructions: bt bts btr btc (register and
 * immediate offsets), bsf bsr, tzcnt lzcnt popcnt, bswap.
 *
 * With a register offset and a memory operand, bt* address a bit string:
 * the offset is signed and may reach far beyond the operand, so the byte
 * address moves by (offset >> log2(width)) operands and the bit number is
 * the offset modulo the width (SDM vol. 2, BT, "bit base / bit offset"):
 *
 *      ea + osz * (offset >> log2 bits)      offset & (bits - 1)
 *     +----------------------------------+  +-------------------+
 *     | the operand that holds the bit   |  | the bit inside it |
 *     +----------------------------------+  +-------------------+
 *
 * Undefined flags follow the project's reference host (AMD EPYC): bt*
 * leave OF, SF, AF, PF unchanged; bsf/bsr clear CF, OF, SF, AF and set PF
 * from the index found (0 for a zero source, whose destination stays as
 * it was); tzcnt/lzcnt keep OF and clear SF, AF, PF.
 */
#include "engines/softcpu/softcpu.h"

enum { BT, BTS, BTR, BTC };

/* Apply bt operation op to bit n of x; returns the new value. */
static uint64_t bit_op(unsigned op, uint64_t x, unsigned n)
{
	switch (op) {
	case BTS: return x | (1ULL << n);
	case BTR: return x & ~(1ULL << n);
	case BTC: return x ^ (1ULL << n);
	default: return x;
	}
}

/* The common part: E at location l, bit n. */
static int bt_common(struct sc_cpu *c, const struct sc_insn *d,
		     const struct sc_loc *l, unsigned n)
{
	uint64_t x = sc_loc_get(c, l, d->osz);

	if (d->op != BT)
		sc_loc_put(c, l, d->osz, bit_op(d->op, x, n));
	sc_set_flags(c, FL_CF, ((x >> n) & 1) ? FL_CF : 0);
	return SC_OK;
}

int op_bt_eg(struct sc_cpu *c, const struct sc_insn *d)
{
	unsigned bits = 8 * d->osz, acc = d->op == BT ? ACC_READ
						       : ACC_WRITE;
	int64_t off = sc_sext(sc_rget(c, d->reg, d->osz), d->osz);
	struct sc_loc l;

	if (d->mod == 3) {
		l.reg = d->rm;
	} else {
		/* Arithmetic shift: a negative offset reaches below ea;
		 * the sum wraps at the address size. */
		uint64_t ea = sc_ea_off(c, d) +
			      (uint64_t)((off >> __builtin_ctz(bits)) * d->osz);
		uint64_t va = sc_lin(c, d->seg, ea & sc_mask(d->asz));
		l.reg = -1;
		if (sc_map(c, va, d->osz, sc_acc(d, acc), &l.m))
			return SC_STOP;
	}
	return bt_common(c, d, &l, (unsigned)off & (bits - 1));
}

int op_bt_ei(struct sc_cpu *c, const struct sc_insn *d)
{
	unsigned acc = d->op == BT ? ACC_READ : ACC_WRITE;
	struct sc_loc l;

	if (sc_loc_e(c, d, d->osz, acc, &l))
		return SC_STOP;
	return bt_common(c, d, &l, (unsigned)d->imm & (8 * d->osz - 1));
}

/* bsf/bsr found bit n of src (ZF = 1 and no write when src is 0). */
static int scan_result(struct sc_cpu *c, const struct sc_insn *d, uint64_t n,
		       uint64_t src)
{
	if (src)
		sc_rset(c, d->reg, d->osz, n);
	sc_set_flags(c, FL_STATUS, (sc_szp(n, d->osz) & FL_PF) |
		     (src ? 0 : FL_ZF));
	return SC_OK;
}

/* bsf, or tzcnt with an F3 prefix. */
int op_bsf(struct sc_cpu *c, const struct sc_insn *d)
{
	uint64_t x;

	if (d->rep == SC_REP_E)
		return op_tzcnt(c, d);
	if (sc_get_e(c, d, d->osz, &x))
		return SC_STOP;
	return scan_result(c, d, x ? (uint64_t)__builtin_ctzll(x) : 0, x);
}

/* bsr, or lzcnt with an F3 prefix. */
int op_bsr(struct sc_cpu *c, const struct sc_insn *d)
{
	uint64_t x;

	if (d->rep == SC_REP_E)
		return op_lzcnt(c, d);
	if (sc_get_e(c, d, d->osz, &x))
		return SC_STOP;
	return scan_result(c, d, x ? 63 - (uint64_t)__builtin_clzll(x) : 0, x);
}

/* tzcnt/lzcnt: CF says the source was zero, ZF that the result is. */
static void count_result(struct sc_cpu *c, const struct sc_insn *d,
			 uint64_t n, bool zero_src)
{
	sc_rset(c, d->reg, d->osz, n);
	sc_set_flags(c, FL_CF | FL_ZF | FL_SF | FL_AF | FL_PF,
		     (zero_src ? FL_CF : 0) | (n == 0 ? FL_ZF : 0));
}

int op_tzcnt(struct sc_cpu *c, const struct sc_insn *d)
{
	uint64_t x;

	if (sc_get_e(c, d, d->osz, &x))
		return SC_STOP;
	count_result(c, d, x ? (uint64_t)__builtin_ctzll(x) : 8u * d->osz,
		     x == 0);
	return SC_OK;
}

int op_lzcnt(struct sc_cpu *c, const struct sc_insn *d)
{
	uint64_t x;
	unsigned bits = 8 * d->osz;

	if (sc_get_e(c, d, d->osz, &x))
		return SC_STOP;
	count_result(c, d, x ? (uint64_t)__builtin_clzll(x) - (64 - bits) : bits,
		     x == 0);
	return SC_OK;
}

/* popcnt (F3 0F B8; without F3 the opcode is not an x86-64 instruction). */
int op_popcnt(struct sc_cpu *c, const struct sc_insn *d)
{
	uint64_t x;

	if (d->rep != SC_REP_E)
		return sc_ud(c);
	if (sc_get_e(c, d, d->osz, &x))
		return SC_STOP;
	sc_rset(c, d->reg, d->osz, (uint64_t)__builtin_popcountll(x));
	sc_set_flags(c, FL_STATUS, x == 0 ? FL_ZF : 0);
	return SC_OK;
}

/* bswap r32/r64; with a 16-bit operand (undefined) the low word is 0. */
int op_bswap(struct sc_cpu *c, const struct sc_insn *d)
{
	uint64_t x = c->regs[d->reg];

	if (d->osz == 8)
		x = __builtin_bswap64(x);
	else if (d->osz == 4)
		x = __builtin_bswap32((uint32_t)x);
	else
		x = 0;
	sc_rset(c, d->reg, d->osz, x);
	return SC_OK;
}
