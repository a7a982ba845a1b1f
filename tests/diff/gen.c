/*
 * tests/diff/gen.c - random instruction sequences for the differential test.
 *
 * A sequence is 5 to 30 instructions drawn from templates (one function per
 * instruction family, t_*), each with random sizes, registers, addressing
 * forms and immediates, plus the few set-up instructions a template needs
 * to stay inside what the architecture defines:
 *
 *   - memory operands always land in the data buffer (or the stack page):
 *     through RBX or R13, which hold buffer addresses for the whole
 *     sequence, through RSP, RIP-relative, [disp32], or through a register
 *     loaded with an address right before the instruction;
 *   - a flag that the SDM leaves undefined is remembered in g->undef; an
 *     instruction that reads flags is preceded by a cmp when one it reads
 *     is undefined, and the comparison ignores those still undefined at
 *     the end;
 *   - dividends and divisors are prepared so div and idiv never fault;
 *     bsf and bsr never see a zero source; shift counts are known.
 *
 * Everything is drawn from a PRNG seeded by (seed, index), so one failing
 * sequence can be regenerated alone.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "isa/x86.h"
#include "core/vcpu.h"
#include "tests/diff/diff.h"
#include "tests/diff/encode.h"
#include "tests/diff/rng.h"

struct gen {
	struct diff_seq *s;
	uint64_t rng;
	uint64_t undef;   /* status flags currently undefined */
	int64_t stack;    /* bytes pushed (net) since the start */
	uint64_t rsp0;    /* RSP at the start */
	bool df;          /* RFLAGS.DF at this point of the sequence */
	bool fixed_len;   /* the template patches code: no padding now */
	bool in_smc;      /* inside t_smc: no second one */
	uint64_t base_rbx, base_r13; /* what the reserved bases hold */
};

#define STACK_ROOM 0x600  /* |g->stack| stays below this */
#define MEM_MARGIN 64     /* bytes kept free at each end of the buffer */

/* ------------------------------------------------------------- random */

/* The generator's own stream (tests/diff/rng.h). */
static uint64_t rnd64(struct gen *g) { return rng_next(&g->rng); }
static unsigned rnd(struct gen *g, unsigned n) { return rng_below(&g->rng, n); }
static bool chance(struct gen *g, unsigned p) { return rng_chance(&g->rng, p); }

/* A value rich in the edge cases of arithmetic: 0, +-1, sign bits, ... */
static uint64_t rnd_value(struct gen *g)
{
	static const uint64_t edge[] = {
		0, 1, 2, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff,
		0x7fffffff, 0x80000000, 0xffffffff, 0x7fffffffffffffffULL,
		0x8000000000000000ULL, ~0ULL, ~1ULL,
	};

	switch (rnd(g, 4)) {
	case 0:
		return edge[rnd(g, sizeof(edge) / sizeof(edge[0]))];
	case 1:
		return rnd64(g) & 0xff;
	default:
		return rnd64(g);
	}
}

/* Operand size in bytes: 1, 2, 4 or 8 (all if bytes_ok, else 2, 4, 8). */
static unsigned rnd_size(struct gen *g, bool bytes_ok)
{
	static const unsigned sizes[] = { 4, 8, 8, 2, 1, 1 };

	return sizes[rnd(g, bytes_ok ? 6 : 4)];
}

/* ------------------------------------------------------------- emitting */

static void gen_fail(const char *why)
{
	fprintf(stderr, "gen: %s\n", why);
	abort();
}

/*
 * Append one instruction, remembering where it starts and what it is.
 * Now and then it is padded with ignored prefixes to exactly 15 bytes, the
 * architectural limit, to try the decoder's edge.
 */
static void emit(struct gen *g, const struct enc *e, const char *name)
{
	struct diff_seq *s = g->s;
	uint8_t *at = s->code + s->len;
	size_t n;

	if (s->len + 2 * ENC_MAX + 1 > DIFF_CODE_SIZE ||
	    s->ninsns >= SEQ_MAX_INSNS)
		gen_fail("sequence too long");
	s->insn_off[s->ninsns] = (uint16_t)s->len;
	s->insn_name[s->ninsns++] = name;
	n = encode_insn(e, DIFF_CODE + s->len, at);
	if (!g->fixed_len && n < ENC_MAX && chance(g, 3)) {
		struct enc padded = *e;

		padded.pad = (uint8_t)(ENC_MAX - n);
		n = encode_insn(&padded, DIFF_CODE + s->len, at);
	}
	s->len += n;
}

/* A 32-bit little-endian displacement, patched in once it is known. */
static void put_rel32(uint8_t *at, uint64_t v)
{
	for (int i = 0; i < 4; i++)
		at[i] = (uint8_t)(v >> (8 * i));
}

/* An empty description: no prefixes, no ModRM, reg field unused. */
static struct enc enc_op(uint8_t op0)
{
	struct enc e = { .op = { op0 }, .nop = 1, .digit = -1 };

	return e;
}

static struct enc enc_op2(uint8_t op1)
{
	struct enc e = { .op = { 0x0f, op1 }, .nop = 2, .digit = -1 };

	return e;
}

/* Operand size: 66 for 16 bits, REX.W for 64; byte forms flagged. */
static void enc_size(struct enc *e, unsigned size)
{
	e->p66 = size == 2;
	e->w = size == 8;
	e->reg_byte = e->rm_byte = size == 1;
}

static void enc_imm(struct enc *e, unsigned bytes, uint64_t v)
{
	e->imm_size = (uint8_t)bytes;
	e->imm = bytes == 8 ? v : v & ((1ULL << (8 * bytes)) - 1);
}

static struct reg R(unsigned num)
{
	return (struct reg){ (uint8_t)num, false };
}

static struct rm RM_REG(struct reg r)
{
	return (struct rm){ .r = r };
}

/* ------------------------------------------------------------- registers */

#define BIT(r) (1u << (r))
/* Never written: RSP (the stack), RBX and R13 (bases into the buffer). */
#define RESERVED (BIT(GPR_RSP) | BIT(GPR_RBX) | BIT(GPR_R13))

static bool writable(struct reg r)
{
	return !(BIT(r.num) & RESERVED);
}

/*
 * A register of size bytes that the instruction may write.  legacy: a
 * byte register encodable without REX (AL..DL, AH..DH), because another
 * operand is AH..DH.
 */
static struct reg pick_dst(struct gen *g, unsigned size, bool legacy)
{
	struct reg r;

	if (size == 1 && legacy) {
		r.num = (uint8_t)rnd(g, 3); /* BL and BH would write RBX */
		r.high = chance(g, 50);
		return r;
	}
	do
		r = R(rnd(g, VCPU_NREGS));
	while (!writable(r));
	return r;
}

/* A register of size bytes that the instruction only reads. */
static struct reg pick_src(struct gen *g, unsigned size, bool legacy)
{
	struct reg r;

	if (size == 1 && legacy) {
		r.num = (uint8_t)rnd(g, 4);
		r.high = chance(g, 50);
		return r;
	}
	return R(rnd(g, VCPU_NREGS));
}

/* A writable register outside the mask avoid. */
static struct reg pick_free(struct gen *g, unsigned avoid, bool low8)
{
	struct reg r;

	do
		r = R(rnd(g, low8 ? 8 : VCPU_NREGS));
	while (!writable(r) || (BIT(r.num) & avoid));
	return r;
}

/* mov r32, imm32 (zero-extends) or mov r64, simm32: a set-up move. */
static void emit_mov_imm(struct gen *g, struct reg r, int64_t v)
{
	struct enc e;

	if (v >= 0 && v <= 0xffffffffLL) {
		e = enc_op(0xb8);
		e.plus_r = true;
		e.rm = RM_REG(r);
		enc_imm(&e, 4, (uint64_t)v);
	} else {
		e = enc_op(0xc7);
		e.w = true;
		e.modrm = true;
		e.digit = 0;
		e.rm = RM_REG(r);
		enc_imm(&e, 4, (uint64_t)v);
	}
	emit(g, &e, "mov");
}

/* ------------------------------------------------------------- flags */

/* The flags each condition code (the low nibble of Jcc/SETcc/CMOVcc) reads. */
static const uint64_t cc_reads[16] = {
	FL_OF, FL_OF, FL_CF, FL_CF, FL_ZF, FL_ZF, FL_CF | FL_ZF, FL_CF | FL_ZF,
	FL_SF, FL_SF, FL_PF, FL_PF, FL_SF | FL_OF, FL_SF | FL_OF,
	FL_ZF | FL_SF | FL_OF, FL_ZF | FL_SF | FL_OF,
};

/* An instruction wrote flags: some now defined, some now undefined. */
static void flags_write(struct gen *g, uint64_t defined, uint64_t undefined)
{
	g->undef = (g->undef & ~defined) | undefined;
}

/* cmp r64, r64: makes all six status flags defined. */
static void emit_define_flags(struct gen *g)
{
	struct enc e = enc_op(0x39);

	e.w = true;
	e.modrm = true;
	e.reg = pick_src(g, 8, false);
	e.rm = RM_REG(pick_src(g, 8, false));
	emit(g, &e, "cmp");
	flags_write(g, FL_STATUS, 0);
}

/* The next instruction reads flags mask: make sure they are defined. */
static void flags_need(struct gen *g, uint64_t mask)
{
	if (g->undef & mask)
		emit_define_flags(g);
}

/* ------------------------------------------------------------- memory */

/*
 * An address in the buffer with span bytes free after it; now and then
 * one whose span bytes straddle the boundary of the buffer and the stack
 * page, so that an access needs two translations (and may fault between).
 */
static uint64_t pick_addr(struct gen *g, uint64_t span)
{
	uint64_t room = DIFF_BUF_SIZE - 2 * MEM_MARGIN - span;

	if (span > 1 && chance(g, 8))
		return DIFF_DATA + DIFF_BUF_SIZE - 1 - rnd(g, (unsigned)span - 1);
	return DIFF_DATA + MEM_MARGIN + rnd(g, (unsigned)room);
}

/* Through RBX or R13, whose values the whole sequence keeps. */
static struct mem mem_reserved(struct gen *g, uint64_t a, bool legacy)
{
	struct mem m = { .index = MEM_NONE, .scale = 1 };
	bool rbx = legacy || chance(g, 50);

	m.base = rbx ? GPR_RBX : GPR_R13;
	m.disp = (int32_t)(a - (rbx ? g->base_rbx : g->base_r13));
	return m;
}

/* Through RSP, into the stack page. */
static struct mem mem_stack(struct gen *g, uint64_t span)
{
	struct mem m = { .base = GPR_RSP, .index = MEM_NONE, .scale = 1 };
	uint64_t lo = DIFF_DATA + DIFF_BUF_SIZE + MEM_MARGIN;
	uint64_t a = lo + rnd(g, (unsigned)(DIFF_BUF_SIZE - 2 * MEM_MARGIN -
					    span));

	m.disp = (int32_t)(a - (g->rsp0 - (uint64_t)g->stack));
	return m;
}

/*
 * Through a register loaded just before (and maybe an index register too):
 * avoid holds registers whose values the instruction needs.
 */
static struct mem mem_fresh(struct gen *g, uint64_t a, unsigned avoid,
			    bool legacy)
{
	struct mem m = { .index = MEM_NONE, .scale = 1 };
	struct reg base = pick_free(g, avoid, legacy);
	uint64_t b = pick_addr(g, 0);

	m.base = base.num;
	emit_mov_imm(g, base, (int64_t)b);
	m.disp = (int32_t)(a - b);
	if (chance(g, 60)) {
		struct reg idx = pick_free(g, avoid | BIT(base.num), legacy);
		int64_t k = (int64_t)rnd(g, 64) - 16;

		m.index = idx.num;
		m.scale = (uint8_t)(1u << rnd(g, 4));
		emit_mov_imm(g, idx, k);
		m.disp = (int32_t)((int64_t)a - (int64_t)b - k * m.scale);
	}
	return m;
}

/*
 * A memory operand of span bytes in the data buffer, in one of the
 * addressing forms of 64-bit mode; may emit set-up moves.  legacy: no
 * register that needs REX.
 */
static struct mem mem_pick(struct gen *g, uint64_t span, unsigned avoid,
			   bool legacy)
{
	static const uint8_t segs[] = { 0x26, 0x2e, 0x36, 0x3e };
	uint64_t a = pick_addr(g, span);
	struct mem m;
	unsigned form = rnd(g, 100);

	if (form < 35) {
		m = mem_reserved(g, a, legacy);
	} else if (form < 65) {
		m = mem_fresh(g, a, avoid, legacy);
	} else if (form < 75 && !legacy) {
		m = mem_stack(g, span);
	} else if (form < 88) {
		m = (struct mem){ .base = MEM_RIP, .index = MEM_NONE,
				  .scale = 1, .target = a };
	} else if (form < 94) {
		m = (struct mem){ .base = MEM_NONE, .index = MEM_NONE,
				  .scale = 1, .disp = (int32_t)a };
	} else {
		m = mem_reserved(g, a, legacy);
		m.addr32 = true; /* every address here is below 4 GiB */
	}
	m.disp32 = chance(g, 10);
	if (chance(g, 5)) /* ignored in 64-bit mode, but must be decoded */
		m.seg = segs[rnd(g, 4)];
	return m;
}

/*
 * The r/m operand of an instruction: a register (dst: writable) or, with
 * probability mem_pct, memory.
 */
static struct rm rm_pick(struct gen *g, unsigned size, bool dst, bool legacy,
			 unsigned avoid, unsigned mem_pct)
{
	struct rm rm = { 0 };

	if (chance(g, mem_pct)) {
		rm.is_mem = true;
		rm.m = mem_pick(g, size, avoid, legacy);
	} else {
		rm.r = dst ? pick_dst(g, size, legacy) : pick_src(g, size,
								   legacy);
	}
	return rm;
}

/* ------------------------------------------------------------- templates */

static const char *const alu_names[8] = {
	"add", "or", "adc", "sbb", "and", "sub", "xor", "cmp",
};

#define ALU_ADC 2
#define ALU_SBB 3
#define ALU_CMP 7

/* The flags an ALU operation writes: logic ops leave AF undefined. */
static void alu_flags(struct gen *g, unsigned op)
{
	bool logic = op == 1 || op == 4 || op == 6;

	flags_write(g, logic ? FL_STATUS & ~FL_AF : FL_STATUS,
		    logic ? FL_AF : 0);
}

/* An immediate: edge values or random bits (encoders keep the low bytes). */
static uint64_t imm_value(struct gen *g)
{
	return chance(g, 30) ? rnd64(g) : rnd_value(g);
}

/* add/or/adc/sbb/and/sub/xor/cmp in all four forms and all sizes. */
static void t_alu(struct gen *g)
{
	unsigned op = rnd(g, 8), size = rnd_size(g, true);
	bool legacy = size == 1 && chance(g, 30), dst = op != ALU_CMP;
	unsigned form = rnd(g, 4), isz = size == 8 ? 4 : size;
	struct enc e;

	if (op == ALU_ADC || op == ALU_SBB)
		flags_need(g, FL_CF);
	if (form == 3) { /* AL/AX/EAX/RAX, imm */
		e = enc_op((uint8_t)(op * 8 + 4 + (size > 1)));
		enc_size(&e, size);
		enc_imm(&e, isz, imm_value(g));
	} else if (form == 2) { /* r/m, imm: 80, 81, or 83 with imm8 */
		bool imm8 = size > 1 && chance(g, 50);

		e = enc_op(size == 1 ? 0x80 : imm8 ? 0x83 : 0x81);
		enc_size(&e, size);
		e.modrm = true;
		e.digit = (int)op;
		e.rm = rm_pick(g, size, dst, legacy, 0, 40);
		enc_imm(&e, imm8 ? 1 : isz, imm_value(g));
	} else { /* r/m, reg (form 0) or reg, r/m (form 1) */
		e = enc_op((uint8_t)(op * 8 + form * 2 + (size > 1)));
		enc_size(&e, size);
		e.modrm = true;
		e.rm = rm_pick(g, size, dst && form == 0, legacy, 0, 40);
		e.reg = dst && form == 1 ? pick_dst(g, size, legacy) :
					   pick_src(g, size, legacy);
	}
	emit(g, &e, alu_names[op]);
	alu_flags(g, op);
}

/* test r/m, reg; test r/m, imm; test acc, imm. */
static void t_test(struct gen *g)
{
	unsigned size = rnd_size(g, true), isz = size == 8 ? 4 : size;
	bool legacy = size == 1 && chance(g, 30);
	struct enc e;

	switch (rnd(g, 3)) {
	case 0:
		e = enc_op(size == 1 ? 0x84 : 0x85);
		e.modrm = true;
		e.rm = rm_pick(g, size, false, legacy, 0, 40);
		e.reg = pick_src(g, size, legacy);
		break;
	case 1:
		e = enc_op(size == 1 ? 0xf6 : 0xf7);
		e.modrm = true;
		e.digit = 0;
		e.rm = rm_pick(g, size, false, legacy, 0, 40);
		enc_imm(&e, isz, imm_value(g));
		break;
	default:
		e = enc_op(size == 1 ? 0xa8 : 0xa9);
		enc_imm(&e, isz, imm_value(g));
		break;
	}
	enc_size(&e, size);
	emit(g, &e, "test");
	alu_flags(g, 4);
}

/* mov in all its forms: 88/89/8A/8B, C6/C7, B0+r, B8+r (movabs). */
static void t_mov(struct gen *g)
{
	unsigned size = rnd_size(g, true), form = rnd(g, 4);
	bool legacy = size == 1 && chance(g, 30);
	struct enc e;
	const char *name = "mov";

	if (form < 2) {
		e = enc_op((uint8_t)(0x88 + form * 2 + (size > 1)));
		e.modrm = true;
		e.rm = rm_pick(g, size, form == 0, legacy, 0, 50);
		e.reg = form == 1 ? pick_dst(g, size, legacy) :
				    pick_src(g, size, legacy);
	} else if (form == 2) {
		e = enc_op(size == 1 ? 0xc6 : 0xc7);
		e.modrm = true;
		e.digit = 0;
		e.rm = rm_pick(g, size, true, legacy, 0, 50);
		enc_imm(&e, size == 8 ? 4 : size, imm_value(g));
	} else {
		e = enc_op(size == 1 ? 0xb0 : 0xb8);
		e.plus_r = true;
		e.rm = RM_REG(pick_dst(g, size, legacy));
		enc_imm(&e, size, imm_value(g));
		if (size == 8)
			name = "movabs";
	}
	enc_size(&e, size);
	emit(g, &e, name);
}

/* not, neg (F6/F7 /2 /3), inc, dec (FE/FF /0 /1). */
static void t_unary(struct gen *g)
{
	static const char *const names[] = { "not", "neg", "inc", "dec" };
	unsigned kind = rnd(g, 4), size = rnd_size(g, true);
	bool legacy = size == 1 && chance(g, 30);
	struct enc e = enc_op(kind < 2 ? (size == 1 ? 0xf6 : 0xf7) :
					 (size == 1 ? 0xfe : 0xff));

	enc_size(&e, size);
	e.modrm = true;
	e.digit = kind < 2 ? (int)kind + 2 : (int)kind - 2;
	e.rm = rm_pick(g, size, true, legacy, 0, 35);
	emit(g, &e, names[kind]);
	if (kind == 1)
		flags_write(g, FL_STATUS, 0);
	else if (kind > 1) /* inc and dec leave CF alone */
		flags_write(g, FL_STATUS & ~FL_CF, 0);
}

/* A shift count that hits the edges: 0, 1, the width, beyond it. */
static unsigned shift_count(struct gen *g, unsigned bits)
{
	static const unsigned edge[] = { 0, 1, 2, 7, 8, 9, 15, 16, 17, 31,
					 32, 33, 63, 64, 65, 255 };

	if (chance(g, 50))
		return edge[rnd(g, sizeof(edge) / sizeof(edge[0]))];
	return rnd(g, chance(g, 70) ? bits : 256);
}

/*
 * Flags after rol/ror/rcl/rcr/shl/shr/sar (SDM vol. 2, "RCL/RCR/ROL/ROR"
 * and "SAL/SAR/SHL/SHR"): nothing when the masked count is 0; OF only
 * when it is 1; rotates touch only CF and OF; shifts leave AF undefined,
 * and CF too once the count reaches the width (8- and 16-bit operands).
 */
static void shift_flags(struct gen *g, unsigned kind, unsigned masked,
			unsigned bits)
{
	uint64_t of_def = masked == 1 ? FL_OF : 0, of_undef = FL_OF & ~of_def;

	if (masked == 0)
		return;
	if (kind < 4) {
		flags_write(g, FL_CF | of_def, of_undef);
		return;
	}
	if (masked >= bits)
		flags_write(g, FL_SF | FL_ZF | FL_PF | of_def,
			    FL_AF | FL_CF | of_undef);
	else
		flags_write(g, FL_SF | FL_ZF | FL_PF | FL_CF | of_def,
			    FL_AF | of_undef);
}

/* rol ror rcl rcr shl shr sar, by 1, by imm8 and by CL. */
static void t_shift(struct gen *g)
{
	static const char *const names[8] = {
		"rol", "ror", "rcl", "rcr", "shl", "shr", NULL, "sar",
	};
	static const unsigned kinds[] = { 0, 1, 2, 3, 4, 5, 7 };
	unsigned kind = kinds[rnd(g, 7)], size = rnd_size(g, true);
	unsigned bits = size * 8, form = rnd(g, 3), count;
	bool legacy = size == 1 && chance(g, 30);
	struct enc e;

	if (kind == 2 || kind == 3)
		flags_need(g, FL_CF);
	count = form == 0 ? 1 : shift_count(g, bits);
	if (form == 2) /* the count in CL, with junk in the rest of RCX */
		emit_mov_imm(g, R(GPR_RCX), (int64_t)((rnd64(g) & 0xffffff00) |
						      count));
	e = enc_op((uint8_t)((form == 0 ? 0xd0 : form == 1 ? 0xc0 : 0xd2) +
			     (size > 1)));
	enc_size(&e, size);
	e.modrm = true;
	e.digit = (int)kind;
	e.rm = rm_pick(g, size, true, legacy, BIT(GPR_RCX), 35);
	if (form == 1)
		enc_imm(&e, 1, count);
	emit(g, &e, names[kind]);
	shift_flags(g, kind, count & (size == 8 ? 63 : 31), bits);
}

/* shld/shrd r/m, reg, imm8 or CL (16-bit counts kept below 16). */
static void t_shxd(struct gen *g)
{
	unsigned size = rnd_size(g, false), masked;
	bool right = chance(g, 50), by_cl = chance(g, 50);
	unsigned count = shift_count(g, size * 8);
	struct enc e = enc_op2((uint8_t)((right ? 0xac : 0xa4) + by_cl));

	if (size == 2) /* beyond 16 the result is undefined */
		count &= 0xef;
	masked = count & (size == 8 ? 63 : 31);
	if (by_cl)
		emit_mov_imm(g, R(GPR_RCX), count);
	enc_size(&e, size);
	e.modrm = true;
	e.rm = rm_pick(g, size, true, false, BIT(GPR_RCX), 35);
	e.reg = pick_src(g, size, false);
	if (!by_cl)
		enc_imm(&e, 1, count);
	emit(g, &e, right ? "shrd" : "shld");
	if (masked)
		flags_write(g, FL_SF | FL_ZF | FL_PF | FL_CF |
				       (masked == 1 ? FL_OF : 0),
			    FL_AF | (masked == 1 ? 0 : FL_OF));
}

/* mul and one-operand imul: CF and OF defined, the rest undefined. */
static void t_mul1(struct gen *g)
{
	unsigned size = rnd_size(g, true);
	bool imul = chance(g, 50), legacy = size == 1 && chance(g, 30);
	struct enc e = enc_op(size == 1 ? 0xf6 : 0xf7);

	enc_size(&e, size);
	e.modrm = true;
	e.digit = imul ? 5 : 4;
	e.rm = rm_pick(g, size, false, legacy, 0, 35);
	emit(g, &e, imul ? "imul" : "mul");
	flags_write(g, FL_CF | FL_OF, FL_SF | FL_ZF | FL_AF | FL_PF);
}

/* imul reg, r/m (0F AF) and imul reg, r/m, imm (69, 6B). */
static void t_imul(struct gen *g)
{
	unsigned size = rnd_size(g, false), form = rnd(g, 3);
	struct enc e = form == 0 ? enc_op2(0xaf) :
				   enc_op(form == 1 ? 0x69 : 0x6b);

	enc_size(&e, size);
	e.modrm = true;
	e.rm = rm_pick(g, size, false, false, 0, 35);
	e.reg = pick_dst(g, size, false);
	if (form == 1)
		enc_imm(&e, size == 2 ? 2 : 4, imm_value(g));
	else if (form == 2)
		enc_imm(&e, 1, imm_value(g));
	emit(g, &e, "imul");
	flags_write(g, FL_CF | FL_OF, FL_SF | FL_ZF | FL_AF | FL_PF);
}

/* 80/83 /digit ib on the divisor: the fix-ups of t_div. */
static void emit_grp1_imm8(struct gen *g, unsigned size, struct rm rm,
			   int digit, uint8_t imm)
{
	struct enc e = enc_op(size == 1 ? 0x80 : 0x83);

	enc_size(&e, size);
	e.modrm = true;
	e.digit = digit;
	e.rm = rm;
	enc_imm(&e, 1, imm);
	emit(g, &e, alu_names[digit]);
	alu_flags(g, (unsigned)digit);
}

/*
 * The dividend's high half for div: AH = 0 or RDX = 0, so that the
 * quotient fits; for idiv: the sign-extension of the low half (cbw, cwd,
 * cdq, cqo), so that it fits unless the divisor is -1.
 */
static void emit_dividend(struct gen *g, unsigned size, bool sign)
{
	static const char *const conv[9] = {
		[1] = "cbw", [2] = "cwd", [4] = "cdq", [8] = "cqo",
	};
	struct enc e;

	if (sign) {
		e = enc_op(size == 1 ? 0x98 : 0x99);
		enc_size(&e, size == 1 ? 2 : size);
		e.reg_byte = e.rm_byte = false;
		emit(g, &e, conv[size]);
	} else if (size == 1) {
		e = enc_op(0xb0); /* mov ah, 0 */
		e.plus_r = true;
		e.rm_byte = true;
		e.rm.r = (struct reg){ 0, true };
		enc_imm(&e, 1, 0);
		emit(g, &e, "mov");
	} else {
		emit_mov_imm(g, R(GPR_RDX), 0);
	}
}

/*
 * div and idiv with a divisor made non-zero (or 1) and, for idiv, not -1
 * (and -3 clears bit 1), so that neither raises #DE.
 */
static void t_div(struct gen *g)
{
	unsigned size = rnd_size(g, true);
	bool sign = chance(g, 50), legacy = size == 1 && chance(g, 30);
	unsigned avoid = BIT(GPR_RAX) | BIT(GPR_RDX);
	struct enc e = enc_op(size == 1 ? 0xf6 : 0xf7);
	struct rm rm = { 0 };

	emit_dividend(g, size, sign);
	if (chance(g, 35)) {
		rm.is_mem = true;
		rm.m = mem_pick(g, size, avoid, legacy);
	} else {
		do /* never AL/AH (byte) nor RAX/RDX (wider) */
			rm.r = pick_dst(g, size, legacy);
		while (rm.r.num == GPR_RAX ||
		       (size > 1 && rm.r.num == GPR_RDX));
	}
	if (sign)
		emit_grp1_imm8(g, size, rm, 4, 0xfd);
	emit_grp1_imm8(g, size, rm, 1, 0x01);
	enc_size(&e, size);
	e.modrm = true;
	e.digit = sign ? 7 : 6;
	e.rm = rm;
	emit(g, &e, sign ? "idiv" : "div");
	flags_write(g, 0, FL_STATUS);
}

/* bt bts btr btc, with a register bit offset or an imm8. */
static void t_bt(struct gen *g)
{
	static const char *const names[4] = { "bt", "bts", "btr", "btc" };
	unsigned kind = rnd(g, 4), size = rnd_size(g, false);
	bool by_imm = chance(g, 40), write = kind != 0;
	struct enc e;
	struct reg off = { 0 };

	if (by_imm) {
		e = enc_op2(0xba);
		e.digit = (int)kind + 4;
		enc_imm(&e, 1, rnd(g, 256));
	} else {
		e = enc_op2((uint8_t)(0xa3 + kind * 8));
		off = pick_src(g, size, false);
	}
	e.modrm = true;
	if (!by_imm && chance(g, 40)) {
		/* a bit string in memory: the offset reaches other words */
		off = pick_free(g, 0, false);
		emit_mov_imm(g, off, (int64_t)rnd(g, 256) - 64);
		e.rm.is_mem = true;
		e.rm.m = mem_pick(g, 32, BIT(off.num), false);
	} else {
		e.rm = rm_pick(g, size, write, false, 0, by_imm ? 35 : 0);
	}
	e.reg = off;
	enc_size(&e, size);
	emit(g, &e, names[kind]);
	flags_write(g, FL_CF, FL_OF | FL_SF | FL_AF | FL_PF); /* ZF kept */
}

/* bsf/bsr of a source made non-zero first (bts of a random bit). */
static void t_bsf(struct gen *g)
{
	unsigned size = rnd_size(g, false);
	bool rev = chance(g, 50);
	struct enc fix = enc_op2(0xba), e = enc_op2(rev ? 0xbd : 0xbc);

	fix.modrm = true;
	fix.digit = 5;
	fix.rm = rm_pick(g, size, true, false, 0, 35);
	enc_size(&fix, size);
	enc_imm(&fix, 1, rnd(g, size * 8));
	emit(g, &fix, "bts");
	e.modrm = true;
	e.rm = fix.rm;
	e.reg = pick_dst(g, size, false);
	enc_size(&e, size);
	emit(g, &e, rev ? "bsr" : "bsf");
	flags_write(g, FL_ZF, FL_CF | FL_OF | FL_SF | FL_AF | FL_PF);
}

/* setcc r/m8 and cmovcc reg, r/m. */
static void t_cond(struct gen *g)
{
	unsigned cc = rnd(g, 16);
	struct enc e;

	flags_need(g, cc_reads[cc]);
	if (chance(g, 50)) {
		bool legacy = chance(g, 30);

		e = enc_op2((uint8_t)(0x90 + cc));
		e.modrm = true;
		e.digit = 0;
		e.rm = rm_pick(g, 1, true, legacy, 0, 30);
		enc_size(&e, 1);
		emit(g, &e, "set");
	} else {
		unsigned size = rnd_size(g, false);

		e = enc_op2((uint8_t)(0x40 + cc));
		e.modrm = true;
		e.rm = rm_pick(g, size, false, false, 0, 30);
		e.reg = pick_dst(g, size, false);
		enc_size(&e, size);
		emit(g, &e, "cmov");
	}
}

/* movzx, movsx (from 8 and 16 bits), movsxd (from 32 bits). */
static void t_movx(struct gen *g)
{
	unsigned form = rnd(g, 5), size, src;
	bool sign = form == 1 || form == 3;
	struct enc e;

	if (form == 4) {
		e = enc_op(0x63);
		size = 8;
		src = 4;
	} else {
		src = form < 2 ? 1 : 2;
		e = enc_op2((uint8_t)((sign ? 0xbe : 0xb6) + (src == 2)));
		do
			size = rnd_size(g, false);
		while (size <= src);
	}
	enc_size(&e, size);
	e.modrm = true;
	e.reg_byte = false;
	e.rm_byte = src == 1;
	e.reg = pick_dst(g, size, false);
	if (src == 1 && size < 8 && e.reg.num < 8 && chance(g, 30)) {
		e.rm = rm_pick(g, 1, false, true, 0, 30); /* AH..BH */
	} else {
		e.rm = rm_pick(g, src, false, false, 0, 30);
	}
	emit(g, &e, form == 4 ? "movsxd" : sign ? "movsx" : "movzx");
}

/* bswap r32/r64 (16-bit bswap is undefined). */
static void t_bswap(struct gen *g)
{
	unsigned size = chance(g, 50) ? 4 : 8;
	struct enc e = enc_op2(0xc8);

	e.plus_r = true;
	e.rm = RM_REG(pick_dst(g, size, false));
	enc_size(&e, size);
	emit(g, &e, "bswap");
}

/* xchg r/m, reg (86/87) and xchg rAX, reg (90+r). */
static void t_xchg(struct gen *g)
{
	unsigned size = rnd_size(g, true);
	bool legacy = size == 1 && chance(g, 30);
	struct enc e;

	if (size > 1 && chance(g, 30)) {
		e = enc_op(0x90);
		e.plus_r = true;
		do /* 90 alone is nop, not xchg eax, eax */
			e.rm.r = pick_dst(g, size, false);
		while (e.rm.r.num == GPR_RAX);
	} else {
		e = enc_op(size == 1 ? 0x86 : 0x87);
		e.modrm = true;
		e.rm = rm_pick(g, size, true, legacy, 0, 40);
		e.reg = pick_dst(g, size, legacy);
	}
	enc_size(&e, size);
	emit(g, &e, "xchg");
}

/* xadd and cmpxchg: both write r/m, reg or RAX, and flags as add/cmp do. */
static void t_xadd(struct gen *g)
{
	unsigned size = rnd_size(g, true);
	bool cmpx = chance(g, 50), legacy = size == 1 && chance(g, 30);
	struct enc e = enc_op2((uint8_t)((cmpx ? 0xb0 : 0xc0) + (size > 1)));

	enc_size(&e, size);
	e.modrm = true;
	e.rm = rm_pick(g, size, true, legacy, 0, 45);
	e.reg = cmpx ? pick_src(g, size, legacy) : pick_dst(g, size, legacy);
	emit(g, &e, cmpx ? "cmpxchg" : "xadd");
	flags_write(g, FL_STATUS, 0);
}

/* cbw cwde cdqe cwd cdq cqo. */
static void t_conv(struct gen *g)
{
	static const char *const names[2][3] = {
		{ "cbw", "cwde", "cdqe" }, { "cwd", "cdq", "cqo" },
	};
	unsigned hi = rnd(g, 2), sz = rnd(g, 3);
	struct enc e = enc_op((uint8_t)(0x98 + hi));

	enc_size(&e, 2u << sz);
	emit(g, &e, names[hi][sz]);
}

/* lea: any base, index, scale and disp, 64- or 32-bit address arithmetic. */
static void t_lea(struct gen *g)
{
	unsigned size = rnd_size(g, false);
	struct enc e = enc_op(0x8d);
	struct mem m = { .scale = (uint8_t)(1u << rnd(g, 4)) };

	switch (rnd(g, 6)) {
	case 0:
		m.base = MEM_RIP;
		m.index = MEM_NONE;
		m.target = DIFF_CODE + (rnd64(g) & 0xffffff);
		break;
	case 1:
		m.base = MEM_NONE;
		m.index = chance(g, 50) ? MEM_NONE : (int)rnd(g, 16);
		break;
	default:
		m.base = (int)rnd(g, 16);
		m.index = chance(g, 40) ? MEM_NONE : (int)rnd(g, 16);
		break;
	}
	if (m.index == GPR_RSP)
		m.index = MEM_NONE;
	m.disp = (int32_t)(chance(g, 50) ? (int8_t)rnd64(g) : (int32_t)rnd64(g));
	m.addr32 = chance(g, 25);
	enc_size(&e, size);
	e.modrm = true;
	e.rm.is_mem = true;
	e.rm.m = m;
	e.reg = pick_dst(g, size, false);
	emit(g, &e, "lea");
}

/* push reg/imm/mem (64 or 16 bits); pop reg/mem: stack kept in its page. */
static void t_push(struct gen *g)
{
	unsigned size = chance(g, 80) ? 8 : 2, form = rnd(g, 3);
	struct enc e;

	if (g->stack + 8 > STACK_ROOM)
		return;
	if (form == 0) {
		e = enc_op(0x50);
		e.plus_r = true;
		e.rm.r = pick_src(g, 8, false);
	} else if (form == 1) {
		bool imm8 = chance(g, 50);

		e = enc_op(imm8 ? 0x6a : 0x68);
		enc_imm(&e, imm8 ? 1 : size == 2 ? 2 : 4, imm_value(g));
	} else {
		e = enc_op(0xff);
		e.modrm = true;
		e.digit = 6;
		e.rm.is_mem = true;
		e.rm.m = mem_pick(g, size, 0, false);
	}
	e.p66 = size == 2;
	emit(g, &e, "push");
	g->stack += size;
}

static void t_pop(struct gen *g)
{
	unsigned size = chance(g, 80) ? 8 : 2;
	struct enc e;

	if (g->stack - 8 < -STACK_ROOM)
		return;
	g->stack -= size; /* pop [rsp+d] addresses with RSP already popped */
	if (chance(g, 70)) {
		e = enc_op(0x58);
		e.plus_r = true;
		e.rm.r = pick_dst(g, 8, false);
	} else {
		e = enc_op(0x8f);
		e.modrm = true;
		e.digit = 0;
		e.rm.is_mem = true;
		e.rm.m = mem_pick(g, size, 0, false);
	}
	e.p66 = size == 2;
	emit(g, &e, "pop");
}

/*
 * Where a string operation of up to n elements of size bytes may start,
 * in the current direction (it may straddle the two data pages).
 */
static uint64_t string_addr(struct gen *g, unsigned n, unsigned size)
{
	uint64_t span = (uint64_t)(n ? n : 1) * size;

	return pick_addr(g, span) + (g->df ? span - size : 0);
}

/* movs stos lods scas cmps, with rep/repe/repne, both directions. */
static void t_string(struct gen *g)
{
	static const char *const names[5] = {
		"movs", "stos", "lods", "scas", "cmps",
	};
	static const uint8_t ops[5] = { 0xa4, 0xaa, 0xac, 0xae, 0xa6 };
	unsigned kind = rnd(g, 5), size = rnd_size(g, true);
	unsigned n = chance(g, 80) ? rnd(g, 9) : rnd(g, 65);
	bool rep = chance(g, 60), cmp = kind >= 3;
	bool reads_rsi = kind == 0 || kind == 2 || kind == 4;
	bool uses_rdi = kind != 2;
	struct enc e = enc_op((uint8_t)(ops[kind] + (size > 1)));

	if (reads_rsi)
		emit_mov_imm(g, R(GPR_RSI), (int64_t)string_addr(g, n, size));
	if (uses_rdi)
		emit_mov_imm(g, R(GPR_RDI), (int64_t)string_addr(g, n, size));
	if (rep) {
		emit_mov_imm(g, R(GPR_RCX), n);
		e.rep = cmp && chance(g, 50) ? 0xf2 : 0xf3;
	}
	enc_size(&e, size);
	e.addr32 = chance(g, 15); /* ESI, EDI and ECX */
	emit(g, &e, names[kind]);
	if (cmp && (!rep || n))
		flags_write(g, FL_STATUS, 0);
}

/* clc stc cmc cld std lahf sahf. */
static void t_flags(struct gen *g)
{
	static const uint8_t ops[7] = { 0xf8, 0xf9, 0xf5, 0xfc, 0xfd,
					0x9f, 0x9e };
	static const char *const names[7] = { "clc", "stc", "cmc", "cld",
					      "std", "lahf", "sahf" };
	unsigned k = rnd(g, 7);
	struct enc e = enc_op(ops[k]);

	if (k == 2)
		flags_need(g, FL_CF);
	if (k == 5)
		flags_need(g, FL_STATUS & ~FL_OF);
	emit(g, &e, names[k]);
	if (k < 3)
		flags_write(g, FL_CF, 0);
	else if (k == 6)
		flags_write(g, FL_STATUS & ~FL_OF, 0);
	else if (k == 3 || k == 4)
		g->df = k == 4;
}

/*
 * One ALU instruction that reads no flags, needs no set-up and writes no
 * register in avoid (the body of t_jcc, t_loop, t_call, t_enter).
 */
static void emit_simple(struct gen *g, unsigned avoid)
{
	unsigned op = rnd(g, 8), size = rnd_size(g, false);
	struct enc e;

	if (op == ALU_ADC || op == ALU_SBB)
		op = 0;
	e = enc_op((uint8_t)(op * 8 + 1));
	enc_size(&e, size);
	e.modrm = true;
	e.rm = RM_REG(pick_free(g, avoid, false));
	e.reg = pick_src(g, size, false);
	emit(g, &e, alu_names[op]);
	alu_flags(g, op);
}

/* A one-byte-displacement branch at offset at now lands here. */
static void patch_rel8(struct gen *g, size_t at, size_t len)
{
	int64_t d = (int64_t)g->s->len - (int64_t)(at + len);

	if (d != (int8_t)d)
		gen_fail("rel8 out of reach");
	g->s->code[at + len - 1] = (uint8_t)d;
}

/*
 * jcc (rel8 or rel32), jrcxz or jmp (rel8 or rel32) forward over one
 * instruction.  After a conditional branch a flag is defined only if both
 * paths define it; after jmp the skipped instruction never ran.
 */
static void t_jcc(struct gen *g)
{
	unsigned cc = rnd(g, 16), form = rnd(g, 6);
	struct enc e;
	uint64_t undef_before;
	size_t at, len;

	if (form < 3) {
		flags_need(g, cc_reads[cc]);
		e = form < 2 ? enc_op((uint8_t)(0x70 + cc)) :
			       enc_op2((uint8_t)(0x80 + cc));
	} else if (form == 3) {
		emit_mov_imm(g, R(GPR_RCX), chance(g, 50) ? 0 : rnd(g, 3));
		e = enc_op(0xe3);
		e.addr32 = chance(g, 30); /* jecxz */
	} else {
		e = enc_op(form == 4 ? 0xeb : 0xe9);
	}
	enc_imm(&e, e.nop == 2 || form == 5 ? 4 : 1, 0);
	g->fixed_len = true;
	at = g->s->len;
	emit(g, &e, NULL);
	len = g->s->len - at;
	undef_before = g->undef;
	emit_simple(g, 0);
	if (e.imm_size == 1)
		patch_rel8(g, at, len);
	else
		put_rel32(g->s->code + at + len - 4, g->s->len - at - len);
	g->fixed_len = false;
	if (form >= 4)
		g->undef = undef_before;
	else
		g->undef |= undef_before;
}

/* loop, loope, loopne (maybe with 67: ECX) around one instruction. */
static void t_loop(struct gen *g)
{
	static const char *const names[3] = { "loopne", "loope", "loop" };
	unsigned kind = rnd(g, 3);
	struct enc e = enc_op((uint8_t)(0xe0 + kind));
	size_t top, len;

	emit_mov_imm(g, R(GPR_RCX), 1 + rnd(g, 4));
	top = g->s->len;
	emit_simple(g, BIT(GPR_RCX)); /* defines ZF for loope/loopne */
	e.addr32 = chance(g, 30);
	len = e.addr32 ? 3 : 2;
	enc_imm(&e, 1, (uint64_t)((int64_t)top - (int64_t)(g->s->len + len)));
	g->fixed_len = true;
	emit(g, &e, names[kind]);
	g->fixed_len = false;
}

/*
 * call L1; jmp L2; L1: one instruction; ret [imm16]; L2:
 * The call is direct (E8) or through a register (FF /2) loaded by a
 * RIP-relative lea; ret imm16 releases imm16 more bytes.
 */
static void t_call(struct gen *g)
{
	bool indirect = chance(g, 40), pop_more = chance(g, 30);
	unsigned extra = pop_more ? 2 * rnd(g, 8) : 0;
	struct enc lea = enc_op(0x8d), call, jmp = enc_op(0xeb), ret;
	size_t lea_at = 0, at, len;

	if (g->stack + 16 > STACK_ROOM || g->stack - (int64_t)extra < -STACK_ROOM)
		return;
	g->fixed_len = true;
	if (indirect) {
		lea.w = true;
		lea.modrm = true;
		lea.reg = pick_free(g, 0, false);
		lea.rm.is_mem = true;
		lea.rm.m = (struct mem){ .base = MEM_RIP, .index = MEM_NONE,
					 .scale = 1, .target = DIFF_CODE };
		lea_at = g->s->len;
		emit(g, &lea, "lea");
		call = enc_op(0xff);
		call.modrm = true;
		call.digit = 2;
		call.rm = RM_REG(lea.reg);
	} else {
		call = enc_op(0xe8);
		enc_imm(&call, 4, 0);
	}
	emit(g, &call, "call");
	at = g->s->len;
	enc_imm(&jmp, 1, 0);
	emit(g, &jmp, "jmp");
	len = g->s->len - at;
	if (indirect) { /* now L1 is known: aim the lea at it */
		lea.rm.m.target = DIFF_CODE + g->s->len;
		encode_insn(&lea, DIFF_CODE + lea_at, g->s->code + lea_at);
	} else {
		put_rel32(g->s->code + at - 4, g->s->len - at);
	}
	g->stack += 8;
	emit_simple(g, 0);
	ret = enc_op(pop_more ? 0xc2 : 0xc3);
	if (pop_more)
		enc_imm(&ret, 2, extra);
	emit(g, &ret, "ret");
	g->stack -= 8 + extra;
	patch_rel8(g, at, len);
	g->fixed_len = false;
}

/* enter N, L; one instruction; leave.  RBP first points into the stack. */
static void t_enter(struct gen *g)
{
	unsigned level = rnd(g, 4), size = 8 * rnd(g, 9);
	struct enc e = enc_op(0xc8);

	if (g->stack + 128 > STACK_ROOM)
		return;
	if (level >= 2) /* enter copies level - 1 frame pointers from [rbp] */
		emit_mov_imm(g, R(GPR_RBP), (int64_t)(g->rsp0 -
					(uint64_t)g->stack - 64 + 8 * rnd(g, 16)));
	e.imm_size = 3;
	e.imm = size | (uint64_t)level << 16;
	emit(g, &e, "enter");
	emit_simple(g, BIT(GPR_RBP));
	e = enc_op(0xc9);
	emit(g, &e, "leave");
}

/* pushf/popf (64 and 16 bits); popf of a value with IF and IOPL bits. */
static void t_pushf(struct gen *g)
{
	bool w16 = chance(g, 20);
	unsigned size = w16 ? 2 : 8;
	struct enc e;

	if (g->stack + 16 > STACK_ROOM || g->stack - 16 < -STACK_ROOM)
		return;
	if (chance(g, 50)) {
		flags_need(g, FL_STATUS); /* they are all in the image */
		e = enc_op(0x9c);
		e.p66 = w16;
		emit(g, &e, "pushf");
		g->stack += size;
		return;
	}
	/* at ring 3 popf ignores IF and IOPL: both sides must agree */
	e = enc_op(0x68);
	enc_imm(&e, w16 ? 2 : 4, FL_FIXED1 | (rnd64(g) & (FL_STATUS | FL_DF |
						FL_IF | FL_IOPL_MASK)));
	e.p66 = w16;
	emit(g, &e, "push");
	g->df = e.imm & FL_DF;
	e = enc_op(0x9d);
	e.p66 = w16;
	emit(g, &e, "popf");
	flags_write(g, FL_STATUS, 0);
}

/* nop in its forms: 90, 66 90, pause, and 0F 1F /0 with any address. */
static void t_nop(struct gen *g)
{
	struct enc e;

	switch (rnd(g, 4)) {
	case 0:
		e = enc_op(0x90);
		break;
	case 1:
		e = enc_op(0x90);
		e.p66 = true;
		break;
	case 2:
		e = enc_op(0x90);
		e.rep = 0xf3;
		emit(g, &e, "pause");
		return;
	default:
		e = enc_op2(0x1f);
		enc_size(&e, rnd_size(g, false));
		e.modrm = true;
		e.digit = 0;
		e.rm.is_mem = true;
		e.rm.m = (struct mem){ .base = (int)rnd(g, 16), .index = MEM_NONE,
				       .scale = 1, .disp = (int32_t)rnd64(g) };
		break;
	}
	emit(g, &e, "nop");
}

/* mov between AL/AX/EAX/RAX and a 64-bit (or, with 67, 32-bit) moffs. */
static void t_moffs(struct gen *g)
{
	unsigned size = rnd_size(g, true);
	bool store = chance(g, 50), a32 = chance(g, 25);
	struct enc e = enc_op((uint8_t)(0xa0 + 2 * store + (size > 1)));

	enc_size(&e, size);
	e.addr32 = a32;
	enc_imm(&e, a32 ? 4 : 8, pick_addr(g, size));
	emit(g, &e, "mov");
}

/* popcnt, tzcnt, lzcnt (F3 0F B8/BC/BD). */
static void t_bitcount(struct gen *g)
{
	static const uint8_t ops[3] = { 0xb8, 0xbc, 0xbd };
	static const char *const names[3] = { "popcnt", "tzcnt", "lzcnt" };
	unsigned k = rnd(g, 3), size = rnd_size(g, false);
	struct enc e = enc_op2(ops[k]);

	e.rep = 0xf3;
	enc_size(&e, size);
	e.modrm = true;
	e.rm = rm_pick(g, size, false, false, 0, 30);
	e.reg = pick_dst(g, size, false);
	emit(g, &e, names[k]);
	if (k == 0)
		flags_write(g, FL_STATUS, 0);
	else
		flags_write(g, FL_CF | FL_ZF, FL_OF | FL_SF | FL_AF | FL_PF);
}

/* xlat: AL = [RBX + AL] (RBX holds a buffer address all along). */
static void t_xlat(struct gen *g)
{
	struct enc e = enc_op(0xd7);

	e.w = chance(g, 20);
	e.addr32 = chance(g, 20);
	emit(g, &e, "xlat");
}

/*
 * cmpxchg8b m64 / cmpxchg16b m128 (16-byte aligned); half the time
 * EDX:EAX (RDX:RAX) is first loaded from the operand so that they match.
 */
static void t_cmpxchg8b(struct gen *g)
{
	bool wide = chance(g, 40);
	unsigned half = wide ? 8 : 4;
	uint64_t a = pick_addr(g, 16) & (wide ? ~15ULL : ~0ULL); /* #GP else */
	struct mem m = chance(g, 50) ? mem_reserved(g, a, false) :
		mem_fresh(g, a, BIT(GPR_RAX) | BIT(GPR_RDX), false);
	struct enc e;

	if (chance(g, 50)) {
		for (unsigned i = 0; i < 2; i++) {
			e = enc_op(0x8b);
			e.w = wide;
			e.modrm = true;
			e.reg = R(i ? GPR_RDX : GPR_RAX);
			e.rm.is_mem = true;
			e.rm.m = m;
			e.rm.m.disp += (int32_t)(i * half);
			emit(g, &e, "mov");
		}
	}
	e = enc_op2(0xc7);
	e.w = wide;
	e.modrm = true;
	e.digit = 1;
	e.rm.is_mem = true;
	e.rm.m = m;
	emit(g, &e, wide ? "cmpxchg16b" : "cmpxchg8b");
	flags_write(g, FL_ZF, 0);
}

static void emit_any(struct gen *g);

/*
 * Self-modifying code: mov dword [rip + d], imm32 rewrites the immediate
 * of a mov r32, imm32 a few instructions on.  The CPU must run the new
 * bytes, so softcpu must drop whatever it decoded from the old ones.
 */
static void t_smc(struct gen *g)
{
	struct enc store = enc_op(0xc7), mov = enc_op(0xb8);
	unsigned between = rnd(g, 4);
	size_t store_at;

	if (g->in_smc)
		return;
	store.modrm = true;
	store.digit = 0;
	store.rm.is_mem = true;
	store.rm.m = (struct mem){ .base = MEM_RIP, .index = MEM_NONE,
				   .scale = 1, .target = DIFF_CODE };
	enc_imm(&store, 4, rnd64(g));
	g->fixed_len = true; /* re-encoded below, at the same length */
	store_at = g->s->len;
	emit(g, &store, "mov");
	g->fixed_len = false;
	g->in_smc = true;
	while (between--)
		emit_any(g);
	g->in_smc = false;
	mov.plus_r = true;
	mov.rm = RM_REG(pick_dst(g, 4, false));
	enc_imm(&mov, 4, rnd64(g));
	emit(g, &mov, "mov");
	store.rm.m.target = DIFF_CODE + g->s->len - 4; /* mov's imm32 */
	encode_insn(&store, DIFF_CODE + store_at, g->s->code + store_at);
}

/* ------------------------------------------------------------- sequences */

struct template {
	void (*emit)(struct gen *g);
	unsigned weight;
};

static const struct template templates[] = {
	{ t_alu, 14 }, { t_test, 3 }, { t_mov, 6 }, { t_unary, 5 },
	{ t_shift, 10 }, { t_shxd, 3 }, { t_mul1, 4 }, { t_imul, 4 },
	{ t_div, 5 }, { t_bt, 5 }, { t_bsf, 3 }, { t_cond, 6 },
	{ t_movx, 4 }, { t_bswap, 2 }, { t_xchg, 3 }, { t_xadd, 4 },
	{ t_conv, 2 }, { t_lea, 4 }, { t_push, 4 }, { t_pop, 4 },
	{ t_string, 6 }, { t_flags, 5 }, { t_jcc, 4 }, { t_loop, 2 },
	{ t_call, 2 }, { t_enter, 1 }, { t_pushf, 2 }, { t_nop, 1 },
	{ t_moffs, 2 }, { t_bitcount, 3 }, { t_xlat, 1 }, { t_cmpxchg8b, 2 },
	{ t_smc, 2 },
};

#define NTEMPLATES (sizeof(templates) / sizeof(templates[0]))

static void emit_any(struct gen *g)
{
	unsigned total = 0, pick;
	size_t i;

	for (i = 0; i < NTEMPLATES; i++)
		total += templates[i].weight;
	pick = rnd(g, total);
	for (i = 0; pick >= templates[i].weight; i++)
		pick -= templates[i].weight;
	templates[i].emit(g);
}

/*
 * Registers, flags and memory the sequence starts from.  RSP starts in the
 * middle of the stack page or, now and then, just above the buffer (and
 * maybe misaligned), so that pushes straddle the page boundary.
 */
static void gen_init_state(struct gen *g)
{
	struct diff_seq *s = g->s;

	for (unsigned r = 0; r < VCPU_NREGS; r++)
		s->init.regs[r] = rnd_value(g);
	g->base_rbx = pick_addr(g, 0);
	g->base_r13 = pick_addr(g, 0);
	g->rsp0 = DIFF_STACK_TOP;
	if (chance(g, 15))
		g->rsp0 = DIFF_DATA + DIFF_BUF_SIZE + rnd(g, 16) * 2;
	s->init.regs[GPR_RSP] = g->rsp0;
	s->init.regs[GPR_RBX] = g->base_rbx;
	s->init.regs[GPR_R13] = g->base_r13;
	s->init.rflags = FL_FIXED1 | FL_IF | (rnd64(g) & FL_STATUS);
	g->df = chance(g, 20);
	if (g->df)
		s->init.rflags |= FL_DF;
	for (size_t i = 0; i < DIFF_DATA_SIZE; i += 8) {
		uint64_t v = rnd64(g);

		memcpy(s->data + i, &v, 8);
	}
}

/*
 * Where the code starts: at the region's start, or now and then a little
 * before the end of its first page, so that the sequence (and maybe one
 * instruction) straddles two code pages.
 */
static void gen_code_start(struct gen *g)
{
	struct diff_seq *s = g->s;

	memset(s->code, 0xf4, sizeof(s->code)); /* hlt: never reached */
	s->start = chance(g, 25) ? PAGE_4K - 1 - rnd(g, 96) : 0;
	s->len = s->start;
	s->init.rip = DIFF_CODE + s->start;
}

/* ------------------------------------------------------------- endings */

/* The instruction that ends the run: its address, vector and error code. */
static void gen_expect(struct gen *g, size_t at, uint8_t vector,
		       uint32_t error)
{
	g->s->end_rip = DIFF_CODE + at;
	g->s->end_vector = vector;
	g->s->end_error = error;
}

/* Privileged at ring 3: #GP(0) on both sides (hlt ends every sequence). */
static void end_privileged(struct gen *g)
{
	static const struct { uint8_t op[3], nop; const char *name; } p[] = {
		{ { 0xfa }, 1, "cli" }, { { 0xfb }, 1, "sti" },
		{ { 0xec }, 1, "in" }, { { 0xee }, 1, "out" },
		{ { 0x0f, 0x32 }, 2, "rdmsr" }, { { 0x0f, 0x09 }, 2, "wbinvd" },
		{ { 0x0f, 0x20, 0xc0 }, 3, "mov" }, { { 0x0f, 0x01, 0xf8 }, 3,
						      "swapgs" },
	};
	unsigned k = rnd(g, sizeof(p) / sizeof(p[0]));
	struct enc e = { .nop = p[k].nop, .digit = -1 };

	memcpy(e.op, p[k].op, sizeof(e.op));
	gen_expect(g, g->s->len, T_GP, 0);
	emit(g, &e, p[k].name);
}

/* int n through a ring-0 gate: #GP(n * 8 + 2), as on the host's IDT. */
static void end_int(struct gen *g)
{
	struct enc e = enc_op(0xcd);
	unsigned n;

	do /* 3 and 4 have DPL-3 gates on Linux, 0x80 is its 32-bit syscall */
		n = rnd(g, 256);
	while (n == T_BP || n == T_OF || n == 0x80);
	enc_imm(&e, 1, n);
	gen_expect(g, g->s->len, T_GP, n * 8 + ERRC_IDT);
	emit(g, &e, "int");
}

/* #DE: a zero divisor, or idiv of the most negative number by -1. */
static void end_divide(struct gen *g)
{
	struct reg d = pick_free(g, BIT(GPR_RAX) | BIT(GPR_RDX), false);
	bool overflow = chance(g, 50);
	struct enc e;

	if (overflow) {
		e = enc_op(0xb8); /* movabs rax, 1 << 63 */
		e.w = true;
		e.plus_r = true;
		enc_imm(&e, 8, 1ULL << 63);
		emit(g, &e, "movabs");
		e = enc_op(0x99);
		e.w = true;
		emit(g, &e, "cqo");
	}
	emit_mov_imm(g, d, overflow ? -1 : 0);
	e = enc_op(0xf7);
	e.w = true;
	e.modrm = true;
	e.digit = overflow ? 7 : 6;
	e.rm = RM_REG(d);
	gen_expect(g, g->s->len, T_DE, 0);
	emit(g, &e, overflow ? "idiv" : "div");
}

/* #GP(0) (#SS(0)): a non-canonical address; an unaligned cmpxchg16b. */
static void end_address(struct gen *g)
{
	struct reg b = pick_free(g, 0, false);
	struct enc e;

	if (chance(g, 50)) {
		e = enc_op(0xb8);
		e.w = true;
		e.plus_r = true;
		e.rm = RM_REG(b);
		enc_imm(&e, 8, 0x0000800000000000ULL + rnd(g, 1u << 20));
		emit(g, &e, "movabs");
		e = enc_op(0x8b);
		e.w = true;
		e.modrm = true;
		e.reg = pick_dst(g, 8, false);
		e.rm.is_mem = true;
		e.rm.m = (struct mem){ .base = b.num, .index = MEM_NONE,
				       .scale = 1 };
		/* through RBP the access is to SS: #SS(0) */
		gen_expect(g, g->s->len, b.num == GPR_RBP ? T_SS : T_GP, 0);
		emit(g, &e, "mov");
		return;
	}
	e = enc_op2(0xc7);
	e.w = true;
	e.modrm = true;
	e.digit = 1;
	e.rm.is_mem = true;
	e.rm.m = mem_reserved(g, (pick_addr(g, 32) & ~15ULL) + 8, false);
	gen_expect(g, g->s->len, T_GP, 0);
	emit(g, &e, "cmpxchg16b");
}

/*
 * #UD and #BP from the instructions made for them.  (Not int1: on this
 * host, itself a virtual machine, its #DB arrives with RIP at int1 rather
 * than after it, which no SDM allows.)
 */
static void end_exception(struct gen *g)
{
	static const struct {
		uint8_t op[3], nop, vector;
		bool trap;
		const char *name;
	} x[] = {
		{ { 0x0f, 0x0b }, 2, T_UD, false, "ud2" },
		{ { 0xce }, 1, T_UD, false, NULL },   /* into: not in 64-bit */
		{ { 0x0f, 0x34 }, 2, T_UD, false, "sysenter" }, /* AMD */
		{ { 0xf0, 0x01, 0xc8 }, 3, T_UD, false, NULL }, /* lock add */
		{ { 0xcc }, 1, T_BP, true, "int3" },
	};
	unsigned k = rnd(g, sizeof(x) / sizeof(x[0]));
	struct enc e = { .nop = x[k].nop, .digit = -1 };
	size_t at = g->s->len;

	memcpy(e.op, x[k].op, sizeof(e.op));
	if (!x[k].name) /* invalid: Capstone need not know it */
		g->s->ndecodable = g->s->ninsns;
	emit(g, &e, x[k].name);
	/* a trap reports the address after the instruction */
	gen_expect(g, x[k].trap ? g->s->len : at, x[k].vector, 0);
}

/*
 * popf setting TF: the instruction after popf completes, then the
 * single-step #DB, a trap, reports RIP after it.
 */
static void end_single_step(struct gen *g)
{
	struct enc e = enc_op(0x68);

	if (g->stack + 8 > STACK_ROOM) { /* no room: end at the hlt */
		gen_expect(g, g->s->len, T_GP, 0);
		return;
	}
	enc_imm(&e, 4, FL_FIXED1 | FL_TF | (rnd64(g) & FL_STATUS));
	emit(g, &e, "push");
	e = enc_op(0x9d);
	emit(g, &e, "popf");
	flags_write(g, FL_STATUS, 0);
	emit_simple(g, 0);
	gen_expect(g, g->s->len, T_DB, 0);
}

/* An instruction of 16 bytes (15 is the limit): #GP(0). */
static void end_too_long(struct gen *g)
{
	struct enc e = enc_op(0x05); /* add eax, imm32: 5 bytes */

	enc_imm(&e, 4, rnd64(g));
	e.pad = 10; /* 15 bytes, and one more prefix in front */
	gen_expect(g, g->s->len, T_GP, 0);
	g->s->ndecodable = g->s->ninsns; /* invalid: Capstone need not know it */
	g->s->insn_off[g->s->ninsns] = (uint16_t)g->s->len;
	g->s->insn_name[g->s->ninsns++] = NULL;
	/* encode_insn refuses more than 15 bytes: write the 16th by hand */
	g->s->code[g->s->len] = 0x3e;
	g->s->len += 1 + encode_insn(&e, DIFF_CODE + g->s->len + 1,
				     g->s->code + g->s->len + 1);
}

/*
 * Most sequences end with cld; hlt.  A quarter end instead with an
 * instruction that faults or traps on purpose, so that both sides must
 * agree on the vector, the error code, RIP and that nothing else changed.
 */
static void gen_end(struct gen *g)
{
	static void (*const ends[])(struct gen *g) = {
		end_privileged, end_int, end_divide, end_address,
		end_exception, end_too_long, end_single_step,
	};
	struct enc e = enc_op(0xfc);

	g->fixed_len = true;
	emit(g, &e, "cld");
	if (chance(g, 25))
		ends[rnd(g, sizeof(ends) / sizeof(ends[0]))](g);
	else
		gen_expect(g, g->s->len, T_GP, 0);
	e = enc_op(0xf4);
	emit(g, &e, "hlt");
	if (!g->s->ndecodable)
		g->s->ndecodable = g->s->ninsns;
}

void gen_sequence(struct diff_seq *s, uint64_t seed, uint64_t index)
{
	struct gen g = { .s = s };
	unsigned n;

	memset(s, 0, sizeof(*s));
	g.rng = seed * 0x2545f4914f6cdd1dULL;
	g.rng = rnd64(&g) ^ index;
	rnd64(&g);
	gen_init_state(&g);
	gen_code_start(&g);
	n = 5 + rnd(&g, 26);
	for (unsigned i = 0; i < n; i++)
		emit_any(&g);
	gen_end(&g);
	s->undef_flags = g.undef;
}

/* ------------------------------------------------------------- directed */

/*
 * Hand-written cases: each discrepancy found (FINDINGS.md), minimised,
 * stays here as a regression.  Instructions in hex, one string each;
 * registers not named are 0.
 */
struct directed {
	const char *name;
	const char *insns[8];
	uint64_t rsp, rbp;
	bool ends_ud;   /* the last instruction is meant to raise #UD */
};

static const struct directed directed[] = {
	{ "FINDINGS 1: enter 0, 3 over a hidden fault on its last write",
	  { "488b0425f80f1010", /* mov rax, [0x10100ff8]: page shadowed RO */
	    "c8000003" },       /* enter 0, 3 */
	  DIFF_DATA + DIFF_BUF_SIZE + 0x1c, DIFF_DATA + DIFF_BUF_SIZE + 0x0c,
	  false },
	/* #UD on AMD and softcpu; on an Intel host Linux reads EBP from
	 * [(u32)RBP], readable here, and would run the i386 call, which
	 * writes the time into the data region (a difference): the seccomp
	 * filter of native.c must refuse it.  difftest.c accepts the lost
	 * sysenter only on Intel. */
	{ "sysenter with [rbp] readable, as an i386 time(data)",
	  { "b80d000000",       /* mov eax, 13: __NR_time on i386 */
	    "bb00001010",       /* mov ebx, DIFF_DATA */
	    "0f34" },           /* sysenter */
	  DIFF_DATA + DIFF_BUF_SIZE + 0x800, DIFF_DATA + 0x100, true },
};

size_t gen_ndirected(void)
{
	return sizeof(directed) / sizeof(directed[0]);
}

/* Append one instruction given in hex. */
static void emit_hex(struct gen *g, const char *hex)
{
	struct diff_seq *s = g->s;

	s->insn_off[s->ninsns] = (uint16_t)s->len;
	s->insn_name[s->ninsns++] = NULL;
	for (; hex[0] && hex[1]; hex += 2) {
		unsigned b;

		if (sscanf(hex, "%2x", &b) != 1)
			gen_fail("bad hex in a directed case");
		s->code[s->len++] = (uint8_t)b;
	}
}

void gen_directed(struct diff_seq *s, uint64_t seed, size_t index)
{
	const struct directed *d = &directed[index];
	struct gen g = { .s = s, .rng = seed };

	memset(s, 0, sizeof(*s));
	gen_init_state(&g);
	memset(s->init.regs, 0, sizeof(s->init.regs));
	s->init.regs[GPR_RSP] = d->rsp;
	s->init.regs[GPR_RBP] = d->rbp;
	s->init.rflags = FL_FIXED1 | FL_IF;
	g.df = false;
	gen_code_start(&g);
	s->start = s->len = 0;
	s->init.rip = DIFF_CODE;
	for (size_t i = 0; i < 8 && d->insns[i]; i++)
		emit_hex(&g, d->insns[i]);
	s->name = d->name;
	g.undef = FL_STATUS; /* flags are not the point here */
	if (d->ends_ud) {
		gen_expect(&g, s->insn_off[s->ninsns - 1], T_UD, 0);
		emit_hex(&g, "f4"); /* hlt, never reached */
		s->ndecodable = 0; /* hex: no mnemonics to check */
	} else {
		gen_end(&g);
	}
	s->undef_flags = g.undef;
}
