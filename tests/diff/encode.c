/*
 * tests/diff/encode.c - turn a struct enc into x86-64 instruction bytes.
 *
 * Only what the generator needs: legacy prefixes, REX, one- to three-byte
 * opcodes, ModRM with every addressing form of 64-bit mode (register,
 * [base], [base + disp8/32], SIB with or without base, [disp32], RIP-relative)
 * and immediates.  See encode.h for the byte layout.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/diff/encode.h"

#define REX_BASE 0x40
#define REX_W 0x08
#define REX_R 0x04
#define REX_X 0x02
#define REX_B 0x01

#define MOD_MEM 0     /* [base], or the special forms below */
#define MOD_DISP8 1
#define MOD_DISP32 2
#define MOD_REG 3
#define RM_SIB 4      /* ModRM.rm = 100: a SIB byte follows */
#define RM_DISP32 5   /* mod 00, rm 101: RIP-relative disp32 */
#define SIB_NO_INDEX 4
#define SIB_NO_BASE 5 /* mod 00, base 101: no base, disp32 */

static void encode_fail(const char *why)
{
	fprintf(stderr, "encode_insn: %s\n", why);
	abort();
}

/* An encoding needs REX when a register needs bit 3, or SPL..DIL is meant. */
static bool reg_needs_rex(struct reg r, bool byte)
{
	return r.num >= 8 || (byte && !r.high && r.num >= 4);
}

/* The 3 low bits that name r in ModRM, SIB or a +r opcode. */
static uint8_t reg_low3(struct reg r)
{
	return r.high ? (uint8_t)(4 + r.num) : (r.num & 7);
}

/* The REX prefix e needs, or 0 for none. */
static uint8_t encode_rex(const struct enc *e)
{
	uint8_t rex = 0;
	bool force = false;

	if (e->w)
		rex |= REX_W;
	if (e->modrm && e->digit < 0) {
		if (e->reg.num >= 8)
			rex |= REX_R;
		force |= reg_needs_rex(e->reg, e->reg_byte);
	}
	if (e->rm.is_mem) {
		if (e->rm.m.base >= 8)
			rex |= REX_B;
		if (e->rm.m.index >= 8)
			rex |= REX_X;
	} else if (e->modrm || e->plus_r) {
		if (e->rm.r.num >= 8)
			rex |= REX_B;
		force |= reg_needs_rex(e->rm.r, e->rm_byte);
	}
	if (rex || force)
		rex |= REX_BASE;
	return rex;
}

static bool uses_high_byte(const struct enc *e)
{
	return (e->modrm && e->digit < 0 && e->reg.high) ||
	       (!e->rm.is_mem && e->rm.r.high);
}

static size_t put_le(uint8_t *out, uint64_t v, unsigned bytes)
{
	for (unsigned i = 0; i < bytes; i++)
		out[i] = (uint8_t)(v >> (8 * i));
	return bytes;
}

static uint8_t modrm_byte(unsigned mod, unsigned reg, unsigned rm)
{
	return (uint8_t)(mod << 6 | (reg & 7) << 3 | (rm & 7));
}

static uint8_t scale_bits(uint8_t scale)
{
	switch (scale) {
	case 1: return 0;
	case 2: return 1;
	case 4: return 2;
	case 8: return 3;
	}
	encode_fail("scale not 1, 2, 4 or 8");
	return 0;
}

/*
 * ModRM, SIB and displacement of a memory operand; *rip_disp is set to the
 * offset of a RIP-relative disp32 (to patch once the length is known).
 */
static size_t encode_mem(const struct mem *m, unsigned reg, uint8_t *out,
			 size_t *rip_disp)
{
	size_t n = 0;
	bool small = m->disp >= -128 && m->disp <= 127 && !m->disp32;
	unsigned mod;

	if (m->index == 4)
		encode_fail("RSP cannot be an index");
	if (m->base == MEM_RIP) {
		out[n++] = modrm_byte(MOD_MEM, reg, RM_DISP32);
		*rip_disp = n;
		return n + put_le(out + n, 0, 4);
	}
	if (m->base == MEM_NONE) { /* SIB with base 101 and mod 00 */
		out[n++] = modrm_byte(MOD_MEM, reg, RM_SIB);
		out[n++] = (uint8_t)(scale_bits(m->scale) << 6 |
			(m->index == MEM_NONE ? SIB_NO_INDEX : m->index & 7) << 3 |
			SIB_NO_BASE);
		return n + put_le(out + n, (uint32_t)m->disp, 4);
	}
	/* RBP and R13 as base have no mod-00 form: that means disp32/RIP. */
	if (m->disp == 0 && !m->disp32 && (m->base & 7) != 5)
		mod = MOD_MEM;
	else
		mod = small ? MOD_DISP8 : MOD_DISP32;
	if (m->index == MEM_NONE && (m->base & 7) != RM_SIB) {
		out[n++] = modrm_byte(mod, reg, m->base);
	} else {
		out[n++] = modrm_byte(mod, reg, RM_SIB);
		out[n++] = (uint8_t)(scale_bits(m->scale) << 6 |
			(m->index == MEM_NONE ? SIB_NO_INDEX : m->index & 7) << 3 |
			(m->base & 7));
	}
	if (mod == MOD_DISP8)
		n += put_le(out + n, (uint8_t)m->disp, 1);
	else if (mod == MOD_DISP32)
		n += put_le(out + n, (uint32_t)m->disp, 4);
	return n;
}

static size_t encode_prefixes(const struct enc *e, uint8_t *out)
{
	static const uint8_t segs[4] = { 0x2e, 0x3e, 0x26, 0x36 };
	size_t n = 0;

	while (n < e->pad) /* ES, CS, SS, DS: ignored in 64-bit mode */
		out[n] = segs[n % 4], n++;
	if (e->rm.is_mem && e->rm.m.seg)
		out[n++] = e->rm.m.seg;
	if (e->addr32 || (e->rm.is_mem && e->rm.m.addr32))
		out[n++] = 0x67;
	if (e->p66)
		out[n++] = 0x66;
	if (e->rep)
		out[n++] = e->rep;
	return n;
}

size_t encode_insn(const struct enc *e, uint64_t rip, uint8_t *out)
{
	uint8_t buf[32];
	size_t n = encode_prefixes(e, buf), rip_disp = 0;
	uint8_t rex = encode_rex(e);

	if (rex && uses_high_byte(e))
		encode_fail("AH..BH cannot be encoded with REX");
	if (rex)
		buf[n++] = rex;
	if (e->nop < 1 || e->nop > 3)
		encode_fail("bad opcode length");
	memcpy(buf + n, e->op, e->nop);
	n += e->nop;
	if (e->plus_r)
		buf[n - 1] = (uint8_t)(buf[n - 1] + reg_low3(e->rm.r));
	if (e->modrm) {
		unsigned reg = e->digit >= 0 ? (unsigned)e->digit :
					       reg_low3(e->reg);
		size_t at = n;

		if (e->rm.is_mem) {
			n += encode_mem(&e->rm.m, reg, buf + n, &rip_disp);
			if (rip_disp)
				rip_disp += at;
		} else {
			buf[n++] = modrm_byte(MOD_REG, reg, reg_low3(e->rm.r));
		}
	}
	n += put_le(buf + n, e->imm, e->imm_size);
	if (n > ENC_MAX)
		encode_fail("longer than 15 bytes");
	if (rip_disp) {
		int64_t d = (int64_t)(e->rm.m.target - (rip + n));

		if (d != (int32_t)d)
			encode_fail("RIP-relative target out of reach");
		put_le(buf + rip_disp, (uint32_t)d, 4);
	}
	memcpy(out, buf, n);
	return n;
}
