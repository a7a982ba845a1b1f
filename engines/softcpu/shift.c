/*
 * engines/softcpu/shift.c - shifts and rotates: rol ror rcl rcr shl shr
 * sar (group 2, C0 C1 D0-D3) and the double shifts shld and shrd.
 *
 * The count is masked to 5 bits (6 with a 64-bit operand); a masked count
 * of 0 changes no flag.  Rotates write only CF and OF; shifts write all six
 * status flags except that AF is undefined.  For the flags the SDM leaves
 * undefined (OF for counts above 1, CF and OF when an 8- or 16-bit shift
 * count exceeds the width, AF) we write what this project's reference host
 * (an AMD EPYC, where tests/diff compares) was measured to produce: the
 * count-1 formulas extended to every count, written on the result (for
 * shr, shrd and rcr: OF = the top two bits of the result differ; for shl,
 * shld and rcl: OF = top bit ^ CF), and AF set by every shift.
 */
#include "engines/softcpu/softcpu.h"

typedef unsigned __int128 u128;

enum { SH_ROL, SH_ROR, SH_RCL, SH_RCR, SH_SHL, SH_SHR, SH_SAL, SH_SAR };

/* The result's top bit. */
static uint64_t msb(uint64_t x, unsigned sz)
{
	return (x >> (8 * sz - 1)) & 1;
}

/* Rotate a through CF (rcl/rcr): a (bits + 1)-bit rotation. */
static uint64_t rotate_carry(struct sc_cpu *c, unsigned op, unsigned sz,
			     uint64_t a, unsigned n)
{
	unsigned bits = 8 * sz, w = bits + 1;
	uint64_t cf = sc_cf(c), of;
	u128 t = ((u128)cf << bits) | a, wm = ((u128)1 << w) - 1;

	if (sz <= 2)
		n %= w;
	if (op == SH_RCL) {
		t = ((t << n) | (t >> (w - n))) & wm;
		of = msb((uint64_t)t, sz) ^ (uint64_t)(t >> bits);
	} else {
		t = ((t >> n) | (t << (w - n))) & wm;
		/* = MSB(dest) ^ CF before a 1-bit rotate (the SDM's rule) */
		of = msb((uint64_t)t, sz) ^ (((uint64_t)t >> (bits - 2)) & 1);
	}
	sc_set_flags(c, FL_CF | FL_OF, ((t >> bits) & 1 ? FL_CF : 0) |
		     (of ? FL_OF : 0));
	return (uint64_t)t & sc_mask(sz);
}

static uint64_t rotate(struct sc_cpu *c, unsigned op, unsigned sz,
		       uint64_t a, unsigned cnt)
{
	unsigned bits = 8 * sz, n = cnt % bits;
	uint64_t m = sc_mask(sz), r, cf, of;

	if (op == SH_RCL || op == SH_RCR)
		return rotate_carry(c, op, sz, a, cnt);
	if (op == SH_ROL) {
		r = n ? ((a << n) | (a >> (bits - n))) & m : a;
		cf = r & 1;
		of = msb(r, sz) ^ cf;
	} else {
		r = n ? ((a >> n) | (a << (bits - n))) & m : a;
		cf = msb(r, sz);
		of = cf ^ ((r >> (bits - 2)) & 1);
	}
	sc_set_flags(c, FL_CF | FL_OF, (cf ? FL_CF : 0) | (of ? FL_OF : 0));
	return r;
}

/* shl, shr, sar: CF is the last bit shifted out. */
static uint64_t shift(struct sc_cpu *c, unsigned op, unsigned sz, uint64_t a,
		      unsigned cnt)
{
	unsigned bits = 8 * sz;
	uint64_t m = sc_mask(sz), r, cf, of;
	int64_t sa = sc_sext(a, sz);

	if (op == SH_SHL || op == SH_SAL) {
		r = cnt >= bits ? 0 : (a << cnt) & m;
		cf = cnt <= bits ? (a >> (bits - cnt)) & 1 : 0;
		of = msb(r, sz) ^ cf;
	} else if (op == SH_SHR) {
		r = cnt >= bits ? 0 : a >> cnt;
		cf = cnt <= bits ? (a >> (cnt - 1)) & 1 : 0;
		of = msb(r, sz) ^ ((r >> (bits - 2)) & 1); /* = MSB(a) for 1 */
	} else {
		r = (uint64_t)(sa >> (cnt > 63 ? 63 : cnt)) & m;
		cf = (uint64_t)(sa >> (cnt - 1 > 63 ? 63 : cnt - 1)) & 1;
		of = 0;
	}
	sc_set_flags(c, FL_STATUS, sc_szp(r, sz) | FL_AF | (cf ? FL_CF : 0) |
		     (of ? FL_OF : 0));
	return r;
}

/* Shift or rotate the E operand by count (group 2, operation in d->op). */
static int group2(struct sc_cpu *c, const struct sc_insn *d, uint64_t count)
{
	struct sc_loc l;
	unsigned cnt = count & (d->osz == 8 ? 0x3f : 0x1f);
	uint64_t a, r;

	if (sc_loc_e(c, d, d->osz, ACC_WRITE, &l))
		return SC_STOP;
	a = sc_loc_get(c, &l, d->osz);
	if (cnt == 0)
		r = a; /* no flags; a 32-bit register is still zero-extended */
	else if (d->op < SH_SHL)
		r = rotate(c, d->op, d->osz, a, cnt);
	else
		r = shift(c, d->op, d->osz, a, cnt);
	sc_loc_put(c, &l, d->osz, r);
	return SC_OK;
}

int op_shift_e(struct sc_cpu *c, const struct sc_insn *d)
{
	return group2(c, d, d->imm);
}

int op_shift_cl(struct sc_cpu *c, const struct sc_insn *d)
{
	return group2(c, d, c->regs[GPR_RCX]);
}

/*
 * shld/shrd shift E and fill the vacated bits from G.  A 16-bit operand
 * with a count above 16 is undefined; we shift the 48-bit string E:G:E
 * (shld) or its mirror (shrd), which continues the pattern of smaller
 * counts.
 */
static int double_shift(struct sc_cpu *c, const struct sc_insn *d, bool left)
{
	struct sc_loc l;
	unsigned sz = d->osz, bits = 8 * sz;
	unsigned cnt = (d->op ? c->regs[GPR_RCX] : d->imm) &
		       (sz == 8 ? 0x3f : 0x1f);
	uint64_t a, b, r, cf, m = sc_mask(sz);
	u128 t;

	if (sc_loc_e(c, d, sz, ACC_WRITE, &l))
		return SC_STOP;
	a = sc_loc_get(c, &l, sz);
	b = sc_rget(c, d->reg, sz);
	if (cnt == 0) {
		sc_loc_put(c, &l, sz, a);
		return SC_OK;
	}
	if (sz == 8) {
		/* 1 <= cnt <= 63: plain 64-bit arithmetic. */
		r = left ? (a << cnt) | (b >> (64 - cnt))
			 : (a >> cnt) | (b << (64 - cnt));
		cf = left ? (a >> (64 - cnt)) & 1 : (a >> (cnt - 1)) & 1;
	} else if (left) {
		t = ((u128)a << (2 * bits)) | ((u128)b << bits) | a;
		r = (uint64_t)((t << cnt) >> (2 * bits)) & m;
		cf = (uint64_t)(t >> (3 * bits - cnt)) & 1;
	} else {
		t = a | ((u128)b << bits) | ((u128)a << (2 * bits));
		r = (uint64_t)(t >> cnt) & m;
		cf = (uint64_t)(t >> (cnt - 1)) & 1;
	}
	sc_loc_put(c, &l, sz, r);
	/* OF: the sign changed, for 1; the host's rule extends it so. */
	uint64_t of = left ? msb(r, sz) ^ cf
			   : msb(r, sz) ^ ((r >> (bits - 2)) & 1);
	sc_set_flags(c, FL_STATUS, sc_szp(r, sz) | FL_AF | (cf ? FL_CF : 0) |
		     (of ? FL_OF : 0));
	return SC_OK;
}

int op_shld(struct sc_cpu *c, const struct sc_insn *d)
{
	return double_shift(c, d, true);
}

int op_shrd(struct sc_cpu *c, const struct sc_insn *d)
{
	return double_shift(c, d, false);
}
