/*
 * tests/diff32/gen.c - random 32-bit and 16-bit-operand instruction
 * sequences for the differential test of softcpu against QEMU.
 *
 *   gen SEED COUNT > seqs.S
 *
 * Writes GNU assembler source (AT&T syntax, .code32) with COUNT sequences,
 * each a function seq_N that the harness (harness.c) calls once:
 *
 *   seq_N:      save the harness's registers, popfl random status flags
 *               and DF, switch to the sequence's stack, load EAX..EDI
 *               (not ESP) with random values;
 *   seq_N_body: 5 to 30 random instructions, each with the set-up it needs
 *               (a base register loaded with an address into the buffer, a
 *               shift count in CL, a dividend that cannot overflow);
 *   seq_N_end:  store the eight registers and EFLAGS to diff32_state,
 *               back to the harness's stack and registers, return.
 *
 * and the table diff32_seqs[] that names, for each sequence, the function,
 * the status flags the SDM leaves undefined at its end (the harness does
 * not print them), the seed of the buffer's contents, and the ESP the
 * generator expects at the end (a check of the generator itself).
 *
 * Memory: every access lands in the buffer DATA (4 KiB) or the sequence's
 * stack STK (4 KiB, ESP starts at STK_TOP), both below 64 KiB so that
 * 16-bit addressing (0x67) reaches them with flat segments.  ESP is known
 * at every point (the generator follows every push, pop, call, enter,
 * leave and ESP arithmetic); no other register is: a template that needs a
 * value loads it.
 *
 * Flags: the generator keeps the mask of the status flags that are
 * undefined at each point (SDM vol. 2, each instruction's "Flags Affected").
 * Before an instruction that reads a flag that is undefined, a cmp defines
 * all six.  What is still undefined at the end is masked by the harness.
 *
 * Everything is drawn from a PRNG seeded by (SEED, N): a sequence does not
 * depend on the ones before it.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/diff32/layout.h"
#include "tests/diff/rng.h"

/* The status flags, as in EFLAGS. */
#define CF 0x001u
#define PF 0x004u
#define AF 0x010u
#define ZF 0x040u
#define SF 0x080u
#define OF 0x800u
#define ALL6 (CF | PF | AF | ZF | SF | OF)
#define DF 0x400u

/* Registers by their encoding number. */
enum { EAX, ECX, EDX, EBX, ESP, EBP, ESI, EDI, NREGS };
#define BIT(r) (1u << (r))

static const char *const r32[] = { "eax", "ecx", "edx", "ebx",
				   "esp", "ebp", "esi", "edi" };
static const char *const r16[] = { "ax", "cx", "dx", "bx", "sp", "bp", "si", "di" };
/* 8-bit registers 0..7 = AL CL DL BL AH CH DH BH: number & 3 is the GPR. */
static const char *const r8[] = { "al", "cl", "dl", "bl", "ah", "ch", "dh", "bh" };

#define MARGIN 64       /* bytes kept free at each end of DATA and STK */
#define STACK_LOW (STK + 0x200) /* ESP stays in [STACK_LOW, STACK_HIGH] */
#define STACK_HIGH (STK + STK_SIZE - 0x200)

struct gen {
	uint64_t rng;
	uint32_t undef; /* status flags undefined now */
	uint32_t esp;   /* ESP now */
	bool df;        /* EFLAGS.DF now */
	unsigned seq;   /* the sequence's number */
	unsigned label; /* numbered local labels */
	bool simple;    /* only one instruction, no set-up, no stack, ESP kept */
	unsigned keep;  /* GPRs no instruction may write now */
};

/* ------------------------------------------------------------- random */

/* The generator's own stream (tests/diff/rng.h). */
static uint64_t rnd64(struct gen *g) { return rng_next(&g->rng); }
static unsigned rnd(struct gen *g, unsigned n) { return rng_below(&g->rng, n); }
static bool chance(struct gen *g, unsigned p) { return rng_chance(&g->rng, p); }

/* A 32-bit value rich in the edge cases of arithmetic at every width. */
static uint32_t rnd_value(struct gen *g)
{
	static const uint32_t edge[] = {
		0, 1, 2, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xffff,
		0x10000, 0x7fffffff, 0x80000000, 0xffffffff, 0xfffffffe,
		0xffffff80, 0xffff8000, 0x99, 0x0f0f0f0f, 0x09090909,
	};

	switch (rnd(g, 5)) {
	case 0:
	case 1:
		return edge[rnd(g, sizeof(edge) / sizeof(edge[0]))];
	case 2:
		return (uint32_t)rnd64(g) & 0xff;
	default:
		return (uint32_t)rnd64(g);
	}
}

/* Operand size in bytes: 1, 2 or 4 (2 or 4 when bytes_ok is false). */
static unsigned rnd_size(struct gen *g, bool bytes_ok)
{
	static const unsigned sizes[] = { 4, 4, 2, 2, 1, 1 };

	return sizes[rnd(g, bytes_ok ? 6 : 4)];
}

static char sfx(unsigned size)
{
	return size == 1 ? 'b' : size == 2 ? 'w' : 'l';
}

static uint32_t size_mask(unsigned size)
{
	return size == 4 ? 0xffffffffu : (1u << (8 * size)) - 1;
}

/* ------------------------------------------------------------- output */

/*
 * One line of assembly.  An operand that starts with A16 is a 16-bit
 * [disp16]: the assembler needs the addr16 prefix on the instruction, so
 * the mark is taken out and the prefix put in front.
 */
#define A16 "@"

static void emit(const char *fmt, ...)
{
	char line[256], *at;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	at = strstr(line, A16);
	if (at) {
		memmove(at, at + 1, strlen(at));
		printf("\taddr16 %s\n", line);
	} else {
		printf("\t%s\n", line);
	}
}

/* ------------------------------------------------------------- registers */

/* The name of register r at size bytes; for 1, r is AL..BH (0..7). */
static const char *reg(unsigned size, unsigned r)
{
	return size == 1 ? r8[r] : size == 2 ? r16[r] : r32[r];
}

/* The GPRs a register operand of size bytes touches. */
static unsigned reg_bits(unsigned size, unsigned r)
{
	return BIT(size == 1 ? (r & 3) : r);
}

/*
 * A register the instruction may write, of size bytes, that is not among
 * the GPRs in avoid: never ESP (the sequence's stack).
 */
static unsigned pick_dst(struct gen *g, unsigned size, unsigned avoid)
{
	avoid |= BIT(ESP) | g->keep;
	for (;;) {
		unsigned r = rnd(g, 8);

		if (!(reg_bits(size, r) & avoid))
			return r;
	}
}

/* A register the instruction only reads: ESP too. */
static unsigned pick_src(struct gen *g, unsigned size, unsigned avoid)
{
	for (;;) {
		unsigned r = rnd(g, 8);

		if (!(reg_bits(size, r) & avoid))
			return r;
	}
}

/* ------------------------------------------------------------- flags */

/*
 * Before an instruction that reads the flags in mask: if one of them is
 * undefined, a cmp of two registers defines all six.
 */
static void need_flags(struct gen *g, uint32_t mask)
{
	if (!(g->undef & mask))
		return;
	emit("cmpl %%%s, %%%s", r32[rnd(g, 8)], r32[rnd(g, 8)]);
	g->undef = 0;
}

/* ------------------------------------------------------------- memory */

/*
 * A memory operand that addresses target, in one of the addressing forms
 * of 32-bit code or (0x67) of 16-bit addressing, now and then with a
 * segment prefix (all segments are flat); written to out.  The registers
 * it uses are loaded first and are not among avoid; a template calls this
 * after setting up its own registers and right before the instruction.
 * With g->simple (no set-up allowed) the form is [disp32].
 */
static void mem_at(struct gen *g, char *out, uint32_t target, unsigned avoid)
{
	static const char *const sreg[] = { "%ds:", "%es:", "%ss:", "%fs:", "%gs:" };
	const char *seg = chance(g, 12) ? sreg[rnd(g, 5)] : "";
	int32_t disp;
	unsigned b, i, scale;
	int form = g->simple ? 0 : (int)rnd(g, 10);

	avoid |= BIT(ESP);
	switch (form) {
	case 0: /* [disp32] */
		sprintf(out, "%s0x%" PRIx32, seg, target);
		return;
	case 1:
	case 2: /* [base + disp] */
		b = pick_dst(g, 4, avoid);
		disp = chance(g, 30) ? 0 : chance(g, 60) ? (int32_t)rnd(g, 256) - 128
					      : (int32_t)rnd64(g);
		emit("movl $0x%" PRIx32 ", %%%s", target - (uint32_t)disp, r32[b]);
		sprintf(out, "%s%" PRId32 "(%%%s)", seg, disp, r32[b]);
		return;
	case 3:
	case 4:
	case 5: { /* [base + index*scale + disp] */
		uint32_t iv = chance(g, 50) ? rnd(g, 64) : (uint32_t)rnd64(g);

		b = pick_dst(g, 4, avoid);
		i = pick_dst(g, 4, avoid | BIT(b));
		scale = 1u << rnd(g, 4);
		disp = chance(g, 40) ? 0 : (int32_t)rnd(g, 256) - 128;
		emit("movl $0x%" PRIx32 ", %%%s", iv, r32[i]);
		emit("movl $0x%" PRIx32 ", %%%s", target - (uint32_t)disp - iv * scale, r32[b]);
		sprintf(out, "%s%" PRId32 "(%%%s,%%%s,%u)", seg, disp, r32[b], r32[i], scale);
		return;
	}
	case 6: { /* [index*scale + disp32] */
		uint32_t iv = rnd(g, 128);

		i = pick_dst(g, 4, avoid);
		scale = 1u << rnd(g, 4);
		emit("movl $0x%" PRIx32 ", %%%s", iv, r32[i]);
		sprintf(out, "%s0x%" PRIx32 "(,%%%s,%u)", seg, target - iv * scale, r32[i], scale);
		return;
	}
	case 7:
		if (chance(g, 25)) { /* 16-bit addressing: [disp16] */
			sprintf(out, A16 "%s0x%" PRIx32, seg, target & 0xffff);
			return;
		}
		/* fall through */
	default: { /* 16-bit addressing: [bx|bp + si|di + disp] */
		static const int base16[] = { EBX, EBP, -1 };
		static const int index16[] = { ESI, EDI, -1 };
		int bb, ii;
		uint32_t bv, iv;
		char a[32] = "";

		do {
			bb = base16[rnd(g, 3)];
			ii = index16[rnd(g, 3)];
		} while ((bb >= 0 && (BIT(bb) & avoid)) ||
			 (ii >= 0 && (BIT(ii) & avoid)) || (bb < 0 && ii < 0));
		disp = chance(g, 30) ? 0 : chance(g, 60) ? (int32_t)rnd(g, 256) - 128
					      : (int32_t)(int16_t)rnd(g, 65536);
		/* The sum wraps at 64 KiB, and the upper halves are junk:
		 * 16-bit addressing ignores both. */
		if (bb >= 0 && ii >= 0) {
			iv = (uint32_t)rnd64(g);
			bv = target - (uint32_t)disp - iv;
		} else {
			bv = iv = target - (uint32_t)disp;
		}
		if (bb >= 0) {
			emit("movl $0x%" PRIx32 ", %%%s",
			     (bv & 0xffff) | ((uint32_t)rnd64(g) & 0xffff0000u), r32[bb]);
			strcat(a, bb == EBX ? "%bx" : "%bp");
		}
		if (ii >= 0) {
			emit("movl $0x%" PRIx32 ", %%%s",
			     (iv & 0xffff) | ((uint32_t)rnd64(g) & 0xffff0000u), r32[ii]);
			strcat(a, bb >= 0 ? "," : "");
			strcat(a, ii == ESI ? "%si" : "%di");
		}
		sprintf(out, "%s%" PRId32 "(%s)", seg, disp, a);
		return;
	}
	}
}

/*
 * [ESP + disp] or [ESP + index*scale + disp] into the stack page near
 * ESP (above it: what pops will read; below: what pushes will cover), as
 * compiled 32-bit code addresses its locals and arguments.  g->esp must be
 * ESP as the instruction computes the address (after the pop for pop).
 */
static void mem_esp(struct gen *g, char *out, unsigned size, unsigned avoid)
{
	uint32_t lo = g->esp - 0x100, hi = g->esp + 0x100;
	uint32_t target;
	int32_t disp;

	if (lo < STK + MARGIN)
		lo = STK + MARGIN;
	if (hi > STK + STK_SIZE - MARGIN)
		hi = STK + STK_SIZE - MARGIN;
	target = lo + rnd(g, hi - lo - size + 1);
	disp = (int32_t)(target - g->esp);
	if (chance(g, 70)) {
		sprintf(out, "%" PRId32 "(%%esp)", disp);
	} else {
		unsigned i = pick_dst(g, 4, avoid), scale = 1u << rnd(g, 4);
		uint32_t iv = rnd(g, 16);

		emit("movl $0x%" PRIx32 ", %%%s", iv, r32[i]);
		sprintf(out, "%" PRId32 "(%%esp,%%%s,%u)", disp - (int32_t)(iv * scale),
			r32[i], scale);
	}
}

/*
 * A memory operand of size bytes in [lo, hi) of the buffer, or (when the
 * range is the whole buffer) sometimes ESP-relative into the stack page.
 */
static void mem_in(struct gen *g, char *out, unsigned size, unsigned avoid,
		   uint32_t lo, uint32_t hi)
{
	if (!g->simple && lo == DATA + MARGIN && chance(g, 15))
		mem_esp(g, out, size, avoid);
	else if (lo == DATA + MARGIN && size > 1 && chance(g, 4))
		/* across the 4 KiB boundary between the buffer and the stack */
		mem_at(g, out, STK - 1 - rnd(g, size - 1), avoid);
	else
		mem_at(g, out, lo + rnd(g, hi - lo - size + 1), avoid);
}

static void mem(struct gen *g, char *out, unsigned size, unsigned avoid)
{
	mem_in(g, out, size, avoid, DATA + MARGIN, DATA + DATA_SIZE - MARGIN);
}

/*
 * An operand of size bytes that the instruction writes: a register
 * (written to out as %name, its number in *r) or memory (*r = -1).
 */
static void dst_rm(struct gen *g, char *out, unsigned size, unsigned avoid, int *r)
{
	if (chance(g, 65)) {
		*r = (int)pick_dst(g, size, avoid);
		sprintf(out, "%%%s", reg(size, (unsigned)*r));
	} else {
		*r = -1;
		mem(g, out, size, avoid);
	}
}

/* A lock prefix, now and then, for an instruction that writes memory
 * (as kernels write their atomics). */
static const char *lock(struct gen *g, bool memory)
{
	return memory && chance(g, 25) ? "lock " : "";
}

static void src_rm(struct gen *g, char *out, unsigned size, unsigned avoid)
{
	if (chance(g, 65))
		sprintf(out, "%%%s", reg(size, pick_src(g, size, avoid)));
	else
		mem(g, out, size, avoid);
}

/* ------------------------------------------------------------- templates */

/* One simple instruction (no set-up, no stack), as a branch may jump over
 * or a called routine may hold; defined with the mix, below. */
static void t_simple(struct gen *g);

/* add or adc sbb and sub xor cmp, mov: every form. */
static void t_alu(struct gen *g)
{
	static const char *const ops[] = { "add", "or", "adc", "sbb", "and",
					   "sub", "xor", "cmp", "mov" };
	unsigned op = rnd(g, 9), size = rnd_size(g, true);
	char a[64], b[64];
	unsigned form = rnd(g, 4);
	char s = sfx(size);

	if (op == 2 || op == 3)
		need_flags(g, CF);
	switch (form) {
	case 0: { /* r/m, imm */
		int r;
		const char *l;

		dst_rm(g, a, size, 0, &r);
		l = lock(g, r < 0 && op != 7 && op != 8);
		if (chance(g, 40))
			emit("%s%s%c $%d, %s", l, ops[op], s, (int)rnd(g, 256) - 128, a);
		else
			emit("%s%s%c $0x%" PRIx32 ", %s", l, ops[op], s,
			     rnd_value(g) & size_mask(size), a);
		break;
	}
	case 1: /* r, r */
		emit("%s%c %%%s, %%%s", ops[op], s, reg(size, pick_src(g, size, 0)),
		     reg(size, pick_dst(g, size, 0)));
		break;
	case 2: /* m, r */
		mem(g, a, size, 0);
		emit("%s%s%c %%%s, %s", lock(g, op != 7 && op != 8), ops[op], s,
		     reg(size, pick_src(g, size, 0)), a);
		break;
	default: /* r, m */
		src_rm(g, b, size, 0);
		emit("%s%c %s, %%%s", ops[op], s, b, reg(size, pick_dst(g, size, 0)));
		break;
	}
	if (op == 8)
		return;
	g->undef = (op == 1 || op == 4 || op == 6) ? AF : 0;
}

static void t_test(struct gen *g)
{
	unsigned size = rnd_size(g, true);
	char a[64];

	src_rm(g, a, size, 0);
	if (chance(g, 50))
		emit("test%c $0x%" PRIx32 ", %s", sfx(size), rnd_value(g) & size_mask(size), a);
	else
		emit("test%c %%%s, %s", sfx(size), reg(size, pick_src(g, size, 0)), a);
	g->undef = AF;
}

/* inc dec neg not */
static void t_unary(struct gen *g)
{
	static const char *const ops[] = { "inc", "dec", "neg", "not" };
	unsigned op = rnd(g, 4), size = rnd_size(g, true);
	char a[64];
	int r;

	dst_rm(g, a, size, 0, &r);
	emit("%s%s%c %s", lock(g, r < 0), ops[op], sfx(size), a);
	if (op < 2)
		g->undef &= CF; /* CF is kept */
	else if (op == 2)
		g->undef = 0;
}

/* A shift or rotate count: often an edge, masked to 5 bits by the CPU. */
static unsigned rnd_count(struct gen *g)
{
	static const unsigned edge[] = { 0, 1, 2, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 255 };

	return chance(g, 60) ? edge[rnd(g, 14)] : rnd(g, 256);
}

/* shl shr sar rol ror rcl rcr, by 1, by imm8, by CL. */
static void t_shift(struct gen *g)
{
	static const char *const ops[] = { "shl", "shr", "sar", "rol", "ror", "rcl", "rcr" };
	unsigned op = rnd(g, 7), size = rnd_size(g, true), by = rnd(g, 3);
	unsigned count = by == 0 ? 1 : rnd_count(g), c = count & 31, w = 8 * size;
	char a[64];
	int r;

	if (op >= 5)
		need_flags(g, CF);
	if (by == 2)
		emit("movl $0x%" PRIx32 ", %%ecx",
		     ((uint32_t)rnd64(g) & 0xffffff00u) | count);
	dst_rm(g, a, size, by == 2 ? BIT(ECX) : 0, &r);
	if (by == 0)
		emit("%s%c %s", ops[op], sfx(size), a);
	else if (by == 1)
		emit("%s%c $%u, %s", ops[op], sfx(size), count, a);
	else
		emit("%s%c %%cl, %s", ops[op], sfx(size), a);
	if (c == 0)
		return; /* no flag changes */
	if (op <= 2)
		/* SDM SAL/SAR/SHL/SHR: AF undefined; OF for counts other
		 * than 1; CF when the count reaches the operand's width. */
		g->undef = AF | (c != 1 ? OF : 0) | (c >= w ? CF : 0);
	else
		/* SDM RCL/RCR/ROL/ROR: only CF and OF; OF only for 1. */
		g->undef = (g->undef & ~(CF | OF)) | (c != 1 ? OF : 0);
}

/* shld shrd, by imm8 or CL; 16-bit counts stay below 16 (SDM: above the
 * operand size the result is undefined). */
static void t_shxd(struct gen *g)
{
	unsigned size = chance(g, 50) ? 2 : 4, by_cl = chance(g, 50);
	unsigned count = size == 2 ? (rnd_count(g) & 0xe0) | rnd(g, 16) : rnd_count(g);
	unsigned c = count & 31;
	const char *op = chance(g, 50) ? "shld" : "shrd";
	char a[64];
	int r;

	if (by_cl)
		emit("movl $0x%" PRIx32 ", %%ecx",
		     ((uint32_t)rnd64(g) & 0xffffff00u) | count);
	dst_rm(g, a, size, by_cl ? BIT(ECX) : 0, &r);
	if (by_cl)
		emit("%s%c %%cl, %%%s, %s", op, sfx(size),
		     reg(size, pick_src(g, size, 0)), a);
	else
		emit("%s%c $%u, %%%s, %s", op, sfx(size), count,
		     reg(size, pick_src(g, size, 0)), a);
	if (c)
		g->undef = AF | (c != 1 ? OF : 0);
}

/* mul, imul with one, two and three operands. */
static void t_mul(struct gen *g)
{
	unsigned size = rnd_size(g, true), form = rnd(g, 4);
	char a[64];

	if (size == 1 && form >= 2)
		form = 0;
	switch (form) {
	case 0:
	case 1:
		src_rm(g, a, size, 0);
		emit("%s%c %s", form ? "imul" : "mul", sfx(size), a);
		break;
	case 2:
		src_rm(g, a, size, 0);
		emit("imul%c %s, %%%s", sfx(size), a, reg(size, pick_dst(g, size, 0)));
		break;
	default:
		src_rm(g, a, size, 0);
		if (chance(g, 50))
			emit("imul%c $%d, %s, %%%s", sfx(size), (int)rnd(g, 256) - 128, a,
			     reg(size, pick_dst(g, size, 0)));
		else
			emit("imul%c $0x%" PRIx32 ", %s, %%%s", sfx(size),
			     rnd_value(g) & size_mask(size), a,
			     reg(size, pick_dst(g, size, 0)));
		break;
	}
	g->undef = SF | ZF | AF | PF;
}

static int64_t sext(uint64_t v, unsigned bits)
{
	uint64_t m = 1ULL << (bits - 1);

	v &= bits == 64 ? ~0ULL : (1ULL << bits) - 1;
	return (int64_t)((v ^ m) - m);
}

/*
 * div, idiv: the dividend (AX, DX:AX or EDX:EAX) and the divisor are
 * loaded with values whose quotient fits, so no #DE.
 */
static void t_div(struct gen *g)
{
	unsigned size = rnd_size(g, true), w = 8 * size;
	bool sign = chance(g, 50);
	uint64_t hi, lo, d;
	char a[64];

	for (;;) {
		d = rnd_value(g) & size_mask(size);
		lo = rnd_value(g) & size_mask(size);
		hi = chance(g, 30) ? 0 : rnd_value(g) & size_mask(size);
		if (sign && chance(g, 50))
			hi = sext(lo, w) < 0 ? size_mask(size) : 0; /* cdq */
		if (!d)
			continue;
		if (!sign) {
			if (hi < d)
				break;
			continue;
		}
		{
			int64_t n = sext((hi << w) | lo, 2 * w), dv = sext(d, w), q;

			if (n == INT64_MIN)
				continue;
			q = n / dv;
			if (q >= -(1LL << (w - 1)) && q < (1LL << (w - 1)))
				break;
		}
	}
	if (size == 1) {
		emit("movl $0x%" PRIx32 ", %%eax",
		     ((uint32_t)rnd64(g) & 0xffff0000u) | (uint32_t)(hi << 8 | lo));
	} else {
		emit("movl $0x%" PRIx32 ", %%eax",
		     ((uint32_t)rnd64(g) & ~size_mask(size)) | (uint32_t)lo);
		emit("movl $0x%" PRIx32 ", %%edx",
		     ((uint32_t)rnd64(g) & ~size_mask(size)) | (uint32_t)hi);
	}
	if (chance(g, 60)) {
		unsigned r = pick_dst(g, size, size == 1 ? BIT(EAX) : BIT(EAX) | BIT(EDX));

		emit("mov%c $0x%" PRIx32 ", %%%s", sfx(size), (uint32_t)d, reg(size, r));
		emit("%s%c %%%s", sign ? "idiv" : "div", sfx(size), reg(size, r));
	} else {
		mem(g, a, size, BIT(EAX) | BIT(EDX));
		emit("mov%c $0x%" PRIx32 ", %s", sfx(size), (uint32_t)d, a);
		emit("%s%c %s", sign ? "idiv" : "div", sfx(size), a);
	}
	g->undef = ALL6;
}

/* bt bts btr btc, offset in a register or an imm8; bit strings in memory
 * with register offsets reach the neighbouring words. */
static void t_bt(struct gen *g)
{
	static const char *const ops[] = { "bt", "bts", "btr", "btc" };
	unsigned op = rnd(g, 4), size = chance(g, 50) ? 2 : 4;
	char a[64];
	int r;

	if (chance(g, 40)) {
		unsigned off = rnd(g, 256);

		dst_rm(g, a, size, 0, &r);
		emit("%s%s%c $%u, %s", lock(g, r < 0 && op), ops[op], sfx(size), off, a);
	} else if (chance(g, 50)) {
		unsigned o = pick_src(g, size, 0);

		emit("%s%c %%%s, %%%s", ops[op], sfx(size), reg(size, o),
		     reg(size, pick_dst(g, size, 0)));
	} else {
		unsigned o = pick_dst(g, 4, 0);
		int32_t off = (int32_t)rnd(g, 1024) - 512;

		emit("movl $0x%" PRIx32 ", %%%s", (uint32_t)off |
		     (size == 2 ? (uint32_t)rnd64(g) & 0xffff0000u : 0), r32[o]);
		mem_in(g, a, size, BIT(o), DATA + 0x200, DATA + DATA_SIZE - 0x200);
		emit("%s%s%c %%%s, %s", lock(g, op), ops[op], sfx(size), reg(size, o), a);
	}
	/* SDM BT: CF is the bit; ZF unaffected; OF SF AF PF undefined. */
	g->undef = (g->undef & ZF) | OF | SF | AF | PF;
}

/* bsf bsr of a source made non-zero first (the result of 0 differs
 * between vendors). */
static void t_bsf(struct gen *g)
{
	unsigned size = chance(g, 50) ? 2 : 4, bit = rnd(g, 8 * size);
	const char *op = chance(g, 50) ? "bsf" : "bsr";
	char a[64];

	if (chance(g, 60)) {
		unsigned s = pick_dst(g, size, 0);

		emit("or%c $0x%" PRIx32 ", %%%s", sfx(size), 1u << bit, reg(size, s));
		emit("%s%c %%%s, %%%s", op, sfx(size), reg(size, s),
		     reg(size, pick_dst(g, size, 0)));
	} else {
		mem(g, a, size, 0);
		emit("or%c $0x%" PRIx32 ", %s", sfx(size), 1u << bit, a);
		emit("%s%c %s, %%%s", op, sfx(size), a, reg(size, pick_dst(g, size, 0)));
	}
	g->undef = CF | OF | SF | AF | PF;
}

/* movzx movsx: b->w, b->l, w->l. */
static void t_movx(struct gen *g)
{
	static const char *const forms[] = { "bw", "bl", "wl" };
	unsigned f = rnd(g, 3);
	unsigned from = forms[f][0] == 'b' ? 1 : 2, to = forms[f][1] == 'w' ? 2 : 4;
	char a[64];

	src_rm(g, a, from, 0);
	emit("mov%c%s %s, %%%s", chance(g, 50) ? 's' : 'z', forms[f], a,
	     reg(to, pick_dst(g, to, 0)));
}

static const char *const cc[] = { "o", "no", "b", "ae", "e", "ne", "be", "a",
				  "s", "ns", "p", "np", "l", "ge", "le", "g" };

static void t_setcc(struct gen *g)
{
	char a[64];
	int r;

	need_flags(g, ALL6);
	dst_rm(g, a, 1, 0, &r);
	emit("set%s %s", cc[rnd(g, 16)], a);
}

static void t_cmov(struct gen *g)
{
	unsigned size = chance(g, 50) ? 2 : 4;
	char a[64];

	need_flags(g, ALL6);
	src_rm(g, a, size, 0);
	emit("cmov%s%c %s, %%%s", cc[rnd(g, 16)], sfx(size), a,
	     reg(size, pick_dst(g, size, 0)));
}

/* lea: any 32-bit base/index/scale/displacement, and 16-bit addressing;
 * 16- and 32-bit destinations.  Nothing is accessed. */
static void t_lea(struct gen *g)
{
	unsigned size = chance(g, 70) ? 4 : 2, d = pick_dst(g, size, 0);
	int32_t disp = chance(g, 30) ? 0 : chance(g, 50) ? (int32_t)rnd(g, 256) - 128
					    : (int32_t)rnd64(g);
	char a[64];

	switch (rnd(g, 5)) {
	case 0:
		sprintf(a, "%" PRId32 "(%%%s)", disp, r32[rnd(g, 8)]);
		break;
	case 1:
	case 2: {
		unsigned i;

		do
			i = rnd(g, 8);
		while (i == ESP);
		sprintf(a, "%" PRId32 "(%%%s,%%%s,%u)", disp, r32[rnd(g, 8)], r32[i],
			1u << rnd(g, 4));
		break;
	}
	case 3: {
		unsigned i;

		do
			i = rnd(g, 8);
		while (i == ESP);
		sprintf(a, "%" PRId32 "(,%%%s,%u)", disp, r32[i], 1u << rnd(g, 4));
		break;
	}
	default: {
		static const char *const f16[] = { "%bx,%si", "%bx,%di", "%bp,%si",
						   "%bp,%di", "%si", "%di", "%bx", "%bp" };

		sprintf(a, "%d(%s)", (int)(int16_t)disp, f16[rnd(g, 8)]);
		break;
	}
	}
	emit("lea%c %s, %%%s", sfx(size), a, reg(size, d));
}

/* xchg (with the 90+r forms), cmpxchg, xadd. */
static void t_xchg(struct gen *g)
{
	unsigned size = rnd_size(g, true), kind = rnd(g, 3);
	static const char *const ops[] = { "xchg", "cmpxchg", "xadd" };
	char a[64];
	int r;

	if (kind == 0 && size > 1 && chance(g, 30)) {
		emit("xchg%c %%%s, %%%s", sfx(size), reg(size, EAX),
		     reg(size, pick_dst(g, size, 0)));
		return;
	}
	dst_rm(g, a, size, 0, &r);
	emit("%s%s%c %%%s, %s", lock(g, r < 0), ops[kind], sfx(size),
	     reg(size, pick_dst(g, size, 0)), a);
	if (kind)
		g->undef = 0;
}

static void t_bswap(struct gen *g)
{
	emit("bswap %%%s", r32[pick_dst(g, 4, 0)]);
}

/* cbw cwde cwd cdq */
static void t_convert(struct gen *g)
{
	static const char *const ops[] = { "cbtw", "cwtl", "cwtd", "cltd" };

	emit("%s", ops[rnd(g, 4)]);
}

/* lahf sahf clc stc cmc cld std */
static void t_flagops(struct gen *g)
{
	switch (rnd(g, 7)) {
	case 0:
		need_flags(g, SF | ZF | AF | PF | CF);
		emit("lahf");
		break;
	case 1:
		emit("sahf");
		g->undef &= OF;
		break;
	case 2:
		emit("clc");
		g->undef &= ~CF;
		break;
	case 3:
		emit("stc");
		g->undef &= ~CF;
		break;
	case 4:
		need_flags(g, CF);
		emit("cmc");
		break;
	case 5:
		emit("cld");
		g->df = false;
		break;
	default:
		emit("std");
		g->df = true;
		break;
	}
}

/* daa das aaa aas aam aad (valid in 32-bit code only). */
static void t_bcd(struct gen *g)
{
	switch (rnd(g, 6)) {
	case 0:
	case 1:
		need_flags(g, AF | CF);
		emit(rnd(g, 2) ? "daa" : "das");
		g->undef = OF; /* SDM DAA/DAS: OF undefined */
		break;
	case 2:
	case 3:
		need_flags(g, AF);
		emit(rnd(g, 2) ? "aaa" : "aas");
		g->undef = OF | SF | ZF | PF; /* SDM AAA/AAS */
		break;
	default: {
		unsigned base = chance(g, 50) ? 10 : 1 + rnd(g, 255);

		if (rnd(g, 2))
			emit("aam $%u", base);
		else
			emit("aad $%u", chance(g, 50) ? 10 : rnd(g, 256));
		g->undef = OF | AF | CF; /* SDM AAM/AAD */
		break;
	}
	}
}

/* Is there room on the stack to move ESP by delta (negative: down)? */
static bool stack_room(struct gen *g, int32_t delta)
{
	uint32_t to = g->esp + (uint32_t)delta;

	return to >= STACK_LOW && to <= STACK_HIGH;
}

/* push and pop: registers, immediates, memory, 32 and 16 bits; pusha popa. */
static void t_stack(struct gen *g)
{
	unsigned size = chance(g, 70) ? 4 : 2;
	unsigned kind = rnd(g, 8);
	char a[64];

	if (kind <= 2 && stack_room(g, -(int32_t)size)) { /* push */
		if (kind == 0)
			emit("push%c %%%s", sfx(size), reg(size, rnd(g, 8)));
		else if (kind == 1)
			emit("push%c $%d", sfx(size), chance(g, 50) ? (int)rnd(g, 256) - 128
				: (int)rnd_value(g) & (int)size_mask(size));
		else {
			/* the address uses ESP before the push (SDM PUSH) */
			mem(g, a, size, 0);
			emit("push%c %s", sfx(size), a);
		}
		g->esp -= size;
	} else if (kind <= 5 && stack_room(g, (int32_t)size)) { /* pop */
		g->esp += size;
		if (kind <= 4) {
			emit("pop%c %%%s", sfx(size), reg(size, pick_dst(g, size, 0)));
		} else {
			/* the address uses ESP after the pop (SDM POP) */
			mem(g, a, size, 0);
			emit("pop%c %s", sfx(size), a);
		}
	} else if (kind == 6 && stack_room(g, -8 * (int32_t)size)) {
		g->esp -= 8 * size;
		emit(size == 4 ? "pushal" : "pushaw");
	} else if (kind == 7 && stack_room(g, 8 * (int32_t)size)) {
		g->esp += 8 * size;
		emit(size == 4 ? "popal" : "popaw");
	}
}

/*
 * pushf with the undefined flags masked off, popped into the buffer: the
 * checksum then covers the flags in the middle of the sequence too (at the
 * end the last instructions' undefined flags often hide most of them).
 */
static void t_pushf(struct gen *g)
{
	char a[64];

	if (!stack_room(g, -4))
		return;
	mem(g, a, 4, 0);
	emit("pushfl");
	emit("andl $0x%x, (%%esp)", (ALL6 | DF) & ~g->undef);
	emit("popl %s", a);
	g->undef = AF; /* the and */
}

/* popf of a value with random status flags and DF (IF, TF, NT, IOPL, AC
 * and ID stay 0), 32 or 16 bits. */
static void t_popf(struct gen *g)
{
	uint32_t v = ((uint32_t)rnd64(g) & (ALL6 | DF)) | 0x2;
	bool w = chance(g, 30);

	if (!stack_room(g, -4))
		return;
	emit(w ? "pushw $0x%x" : "pushl $0x%x", v);
	emit(w ? "popfw" : "popfl");
	g->undef = 0;
	g->df = v & DF;
}

/*
 * ESP moved as compiled code moves it: sub/add for a frame, lea, and for
 * alignment, 16-bit arithmetic on SP, and pop into ESP (SDM POP: ESP
 * becomes the value read).
 */
static void t_esp(struct gen *g)
{
	int32_t n = (int32_t)rnd(g, 0x60) - 0x30;
	uint32_t to;

	switch (rnd(g, 6)) {
	case 0:
		if (!stack_room(g, n))
			return;
		emit(n < 0 ? "subl $%d, %%esp" : "addl $%d, %%esp", n < 0 ? -n : n);
		g->esp += (uint32_t)n;
		g->undef = 0;
		break;
	case 1:
		if (!stack_room(g, n))
			return;
		emit("leal %d(%%esp), %%esp", n);
		g->esp += (uint32_t)n;
		break;
	case 2: {
		int32_t align = chance(g, 50) ? 16 : 8;

		to = g->esp & ~(uint32_t)(align - 1);
		if (!stack_room(g, (int32_t)(to - g->esp)))
			return;
		emit("andl $%d, %%esp", -align);
		g->esp = to;
		g->undef = AF;
		break;
	}
	case 3:
		if (!stack_room(g, n))
			return;
		emit(n < 0 ? "subw $%d, %%sp" : "addw $%d, %%sp", n < 0 ? -n : n);
		g->esp += (uint32_t)n;
		g->undef = 0;
		break;
	default:
		to = STACK_LOW + 2 * rnd(g, (STACK_HIGH - STACK_LOW) / 2);
		if (!stack_room(g, -4))
			return;
		if (chance(g, 70)) {
			emit("pushl $0x%" PRIx32, to);
			emit("popl %%esp");
		} else {
			emit("pushw $0x%" PRIx32, to & 0xffff);
			emit("popw %%sp"); /* ESP's upper half is 0 */
		}
		g->esp = to;
		break;
	}
}

/*
 * Segment registers as an i386 kernel's interrupt entry saves them: push
 * and pop (32 and 16 bits), or mov to a register and back.  The loader
 * chose the selectors (QEMU's and trapvisor's may differ), so what shows
 * them is cleared: the stack slot and the register.
 */
static void t_sreg(struct gen *g)
{
	static const char *const sregs[] = { "ds", "es", "fs", "gs", "ss" };
	const char *sr = sregs[rnd(g, 5)];

	if (!stack_room(g, -8))
		return;
	if (chance(g, 60)) {
		unsigned size = chance(g, 70) ? 4 : 2;

		emit("push%c %%%s", sfx(size), sr);
		emit("pop%c %%%s", sfx(size), sr);
		emit("mov%c $0, -%u(%%esp)", sfx(size), size);
	} else {
		unsigned r = pick_dst(g, 4, 0);

		emit("movw %%%s, %%%s", sr, r16[r]);
		emit("movw %%%s, %%%s", r16[r], sr);
		emit("movl $0x%" PRIx32 ", %%%s", rnd_value(g), r32[r]);
	}
}

/* salc (undocumented: AL = CF ? 0xff : 0), bound in range, arpl. */
static void t_legacy(struct gen *g)
{
	char a[64];

	switch (rnd(g, 3)) {
	case 0:
		need_flags(g, CF);
		emit(".byte 0xd6 /* salc */");
		break;
	case 1: { /* bound: lo <= index <= hi (signed), else #BR */
		unsigned size = chance(g, 60) ? 4 : 2, r = pick_dst(g, size, 0);
		uint32_t m = size_mask(size);
		int32_t lo = (int32_t)sext(rnd_value(g), 8 * size);
		int32_t hi = (int32_t)sext(rnd_value(g), 8 * size), t;
		uint32_t target = DATA + MARGIN + rnd(g, DATA_SIZE - 2 * MARGIN - 8);

		if (lo > hi) {
			t = lo;
			lo = hi;
			hi = t;
		}
		t = lo + (int32_t)(((uint64_t)((int64_t)hi - lo) + 1) * rnd(g, 1000) / 1000);
		if (t > hi)
			t = hi;
		emit("mov%c $0x%" PRIx32 ", 0x%" PRIx32, sfx(size), (uint32_t)lo & m, target);
		emit("mov%c $0x%" PRIx32 ", 0x%" PRIx32, sfx(size), (uint32_t)hi & m,
		     target + size);
		emit("mov%c $0x%" PRIx32 ", %%%s", sfx(size), (uint32_t)t & m, reg(size, r));
		mem_at(g, a, target, reg_bits(size, r));
		emit("bound%c %%%s, %s", sfx(size), reg(size, r), a);
		break;
	}
	default: { /* arpl: ZF says whether the RPL was raised */
		int r;

		dst_rm(g, a, 2, 0, &r);
		emit("arpl %%%s, %s", r16[pick_src(g, 2, 0)], a);
		g->undef &= ~ZF;
		break;
	}
	}
}

/*
 * A register-to-register instruction behind a run of prefixes that do
 * nothing to it: segment overrides (no memory operand), 0x67 (no
 * address), a second 0x66 on a 16-bit one; up to the 15-byte limit.
 */
static void t_prefixed(struct gen *g)
{
	static const char *const ops[] = { "add", "or", "and", "sub", "xor", "cmp",
					   "mov", "test", "xchg" };
	static const unsigned pfx[] = { 0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65, 0x67 };
	unsigned size = rnd_size(g, true), op = rnd(g, 9), n = 1 + rnd(g, 9);
	char bytes[64] = "";

	for (unsigned i = 0; i < n; i++)
		sprintf(bytes + strlen(bytes), "%s0x%x", i ? "," : "",
			size == 2 && chance(g, 20) ? 0x66 : pfx[rnd(g, 7)]);
	emit(".byte %s", bytes);
	emit("%s%c %%%s, %%%s", ops[op], sfx(size),
	     reg(size, op == 8 ? pick_dst(g, size, 0) : pick_src(g, size, 0)),
	     reg(size, pick_dst(g, size, 0))); /* xchg writes both */
	if (op < 6)
		g->undef = (op == 1 || op == 2 || op == 4) ? AF : 0;
	else if (op == 7)
		g->undef = AF;
}

/* The padding gcc and gas put between functions and loops: nop, xchg
 * ax,ax, the 0F 1F forms, cs-prefixed and data16-stacked ones, and the
 * lea and mov that change nothing. */
static void t_nop(struct gen *g)
{
	static const char *const nops[] = {
		"0x90", "0x66,0x90", "0x0f,0x1f,0x00", "0x0f,0x1f,0x40,0x00",
		"0x0f,0x1f,0x44,0x00,0x00", "0x66,0x0f,0x1f,0x44,0x00,0x00",
		"0x0f,0x1f,0x80,0x00,0x00,0x00,0x00",
		"0x66,0x2e,0x0f,0x1f,0x84,0x00,0x00,0x00,0x00,0x00",
		"0x66,0x66,0x2e,0x0f,0x1f,0x84,0x00,0x00,0x00,0x00,0x00",
		"0x8d,0x74,0x26,0x00", "0x8d,0xb4,0x26,0x00,0x00,0x00,0x00",
		"0x8d,0x76,0x00", "0x8d,0xbf,0x00,0x00,0x00,0x00", "0x89,0xf6",
	};

	emit(".byte %s", nops[rnd(g, sizeof(nops) / sizeof(nops[0]))]);
}

/* cmpxchg8b, with EDX:EAX loaded from the operand half of the time so
 * that the exchange happens. */
static void t_cmpxchg8b(struct gen *g)
{
	uint32_t target = DATA + MARGIN + rnd(g, DATA_SIZE - 2 * MARGIN - 8);
	char a[64];

	if (chance(g, 50)) {
		emit("movl 0x%" PRIx32 ", %%eax", target);
		emit("movl 0x%" PRIx32 ", %%edx", target + 4);
	}
	mem_at(g, a, target, BIT(EAX) | BIT(EBX) | BIT(ECX) | BIT(EDX));
	emit("%scmpxchg8b %s", lock(g, true), a);
	/*
	 * SDM CMPXCHG8B: only ZF is written, the other five are unaffected.
	 * QEMU 7.2's TCG (the reference here) computes them from a stale
	 * state: after "add $1" of 0x7f it shows CF=1 AF=0 where AF=1 stays,
	 * and pushf may even show DF=1 (README).  So ZF goes into a register
	 * and a cmp sets all six, in QEMU's translator too.
	 */
	emit("setz %%%s", r8[pick_dst(g, 1, 0)]);
	emit("cmpl %%%s, %%%s", r32[rnd(g, 8)], r32[rnd(g, 8)]);
	g->undef = 0;
}

/* xlat: AL = [EBX + AL] (BX + AL with 0x67), EBX at a 256-byte table. */
static void t_xlat(struct gen *g)
{
	uint32_t t = DATA + MARGIN + rnd(g, DATA_SIZE - 2 * MARGIN - 256);
	bool a16 = chance(g, 30);

	emit("movl $0x%" PRIx32 ", %%ebx",
	     a16 ? (t & 0xffff) | ((uint32_t)rnd64(g) & 0xffff0000u) : t);
	emit("%sxlat %s(%%%s)", a16 ? "addr16 " : "",
	     chance(g, 20) ? "%es:" : "", a16 ? "bx" : "ebx");
}

/*
 * call to a routine of one or two simple instructions that returns with
 * ret, ret imm16 or repz ret (gcc's AMD idiom); the call direct, through a
 * register or through memory.  Also jmp through a register or memory over
 * one instruction, as a switch's jump table does.
 */
static void t_call(struct gen *g)
{
	unsigned l = g->label++, n = chance(g, 30) ? 2 * rnd(g, 9) : 0;
	char a[64];

	if (!stack_room(g, -16) || !stack_room(g, (int32_t)n))
		return;
	switch (rnd(g, 4)) {
	case 0:
	case 1:
		emit("call .Lf%u_%u", g->seq, l);
		break;
	case 2: {
		unsigned r = pick_dst(g, 4, 0);

		emit("movl $.Lf%u_%u, %%%s", g->seq, l, r32[r]);
		emit("call *%%%s", r32[r]);
		break;
	}
	default:
		mem(g, a, 4, 0);
		emit("movl $.Lf%u_%u, %s", g->seq, l, a);
		emit("call *%s", a);
		break;
	}
	emit("jmp .La%u_%u", g->seq, l);
	printf(".Lf%u_%u:\n", g->seq, l);
	g->esp -= 4;
	for (unsigned k = rnd(g, 3); k; k--) {
		g->simple = true;
		t_simple(g);
		g->simple = false;
	}
	if (n)
		emit("ret $%u", n);
	else
		emit(chance(g, 30) ? "repz ret" : "ret");
	printf(".La%u_%u:\n", g->seq, l);
	g->esp += 4 + n;
}

static void t_jmp_indirect(struct gen *g)
{
	unsigned l = g->label++;
	char a[64];

	if (chance(g, 50)) {
		unsigned r = pick_dst(g, 4, 0);

		emit("movl $.Lj%u_%u, %%%s", g->seq, l, r32[r]);
		emit("jmp *%%%s", r32[r]);
	} else {
		mem(g, a, 4, 0);
		emit("movl $.Lj%u_%u, %s", g->seq, l, a);
		emit("jmp *%s", a);
	}
	{
		uint32_t undef = g->undef;

		g->simple = true;
		t_simple(g); /* never runs */
		g->simple = false;
		g->undef = undef;
	}
	printf(".Lj%u_%u:\n", g->seq, l);
}


/*
 * enter N, L then leave (16- and 32-bit), with a simple instruction or
 * two in between; or leave alone from an EBP loaded with a stack address.
 */
static void t_enter(struct gen *g)
{
	unsigned size = chance(g, 75) ? 4 : 2, level = chance(g, 90) ? rnd(g, 4) : rnd(g, 10);
	unsigned n = chance(g, 50) ? 4 * rnd(g, 8) : rnd(g, 40);
	int32_t used = (int32_t)(size * (level ? level + 1 : 1) + n);

	if (chance(g, 20)) { /* leave alone */
		uint32_t bp = g->esp - 0x40 + 2 * rnd(g, 0x40);

		emit("movl $0x%" PRIx32 ", %%ebp", bp);
		/* leave: ESP = EBP, then pop (E)BP (the stack is 32-bit) */
		emit(size == 4 ? "leavel" : "leavew");
		g->esp = bp + size;
		return;
	}
	if (!stack_room(g, -used - 16))
		return;
	/* level > 1: the frame pointers copied come from [EBP - size*i];
	 * 16 bits: enterw may write BP alone, and leavew loads ESP from all
	 * of EBP (the stack is 32-bit): its upper half must be 0. */
	if (level > 1 || size == 2)
		emit("movl $0x%" PRIx32 ", %%ebp", g->esp - 4 * rnd(g, 16) - 2 * size * level);
	emit("enter%c $%u, $%u", sfx(size), n, level);
	{
		uint32_t esp_before = g->esp;
		unsigned k = rnd(g, 3);

		g->esp -= (uint32_t)used;
		g->keep = BIT(EBP);
		while (k--) {
			g->simple = true;
			t_simple(g);
			g->simple = false;
		}
		g->keep = 0;
		emit(size == 4 ? "leavel" : "leavew");
		g->esp = esp_before;
	}
}

/* movs stos lods cmps scas, rep/repe/repne, small counts, both
 * directions, with 32- or (0x67) 16-bit addresses. */
static void t_string(struct gen *g)
{
	static const char *const ops[] = { "movs", "stos", "lods", "cmps", "scas" };
	unsigned op = rnd(g, 5), size = rnd_size(g, true), count = rnd(g, 9);
	bool a16 = chance(g, 30);
	unsigned rep = rnd(g, 3); /* none, rep/repe, repne */
	uint32_t span = (count + 1) * size;
	const char *prefix = "";

	if (op < 3 && rep == 2)
		rep = 1;
	if (rep)
		prefix = op < 3 ? "rep " : rep == 1 ? "repe " : "repne ";
	/* ESI and EDI: DF decides whether they walk up or down; with 16-bit
	 * addresses, now and then across the wrap from 0xFFFF to 0 */
	for (unsigned r = ESI; r <= EDI; r++) {
		uint32_t lo = DATA + MARGIN + (g->df ? span : 0);
		uint32_t at = lo + rnd(g, DATA_SIZE - 2 * MARGIN - span);
		uint32_t v;

		if (a16 && chance(g, 30))
			at = g->df ? rnd(g, span) : 0x10000 - 1 - rnd(g, span);
		v = a16 ? (at & 0xffff) | ((uint32_t)rnd64(g) & 0xffff0000u) : at;
		emit("movl $0x%" PRIx32 ", %%%s", v, r32[r]);
	}
	emit("movl $0x%" PRIx32 ", %%ecx",
	     count | (a16 ? (uint32_t)rnd64(g) & 0xffff0000u : 0));
	if ((op == 0 || op == 2 || op == 3) && chance(g, 20)) /* DS:(E)SI can be overridden */
		emit(".byte 0x%x", chance(g, 50) ? 0x26 : 0x36);
	emit("%s%s%s%c", a16 ? "addr16 " : "", prefix, ops[op], sfx(size));
	if (op >= 3 && !(rep && count == 0))
		g->undef = 0;
}

/* jcc, jmp, loop, loope, loopne, jecxz, jcxz over one simple instruction:
 * a flag is defined after only if both paths define it. */
static void t_branch(struct gen *g)
{
	unsigned l = g->label++, kind = rnd(g, 6);
	uint32_t before;

	switch (kind) {
	case 0:
	case 1:
		need_flags(g, ALL6);
		/* 2E/3E: the branch hints of old gcc; ignored since */
		if (chance(g, 10))
			emit(".byte 0x%x", chance(g, 50) ? 0x2e : 0x3e);
		emit("%sj%s .L%u_%u", chance(g, 20) ? "{disp32} " : "", cc[rnd(g, 16)], g->seq, l);
		break;
	case 2:
		emit("jmp .L%u_%u", g->seq, l);
		break;
	case 3: {
		const char *ops[] = { "loop", "loope", "loopne" };
		unsigned o = rnd(g, 3);

		if (o)
			need_flags(g, ZF);
		emit("%s%s .L%u_%u", chance(g, 30) ? "addr16 " : "", ops[o], g->seq, l);
		break;
	}
	default:
		if (chance(g, 50))
			emit("movl $0x%" PRIx32 ", %%ecx",
			     chance(g, 50) ? 0 : (uint32_t)rnd64(g) & (chance(g, 50) ? 0xffff0000u : ~0u));
		emit("%s .L%u_%u", chance(g, 40) ? "jcxz" : "jecxz", g->seq, l);
		break;
	}
	before = g->undef;
	g->simple = true;
	t_simple(g);
	g->simple = false;
	g->undef |= before;
	printf(".L%u_%u:\n", g->seq, l);
}

/* ------------------------------------------------------------- the mix */

struct tmpl {
	void (*fn)(struct gen *g);
	unsigned weight;
	bool simple; /* may stand alone in a branch's shadow */
};

static const struct tmpl templates[] = {
	{ t_alu, 14, true },     { t_test, 3, true },    { t_unary, 5, true },
	{ t_shift, 10, false },  { t_shxd, 4, false },   { t_mul, 5, true },
	{ t_div, 4, false },     { t_bt, 5, true },      { t_bsf, 3, false },
	{ t_movx, 4, true },     { t_setcc, 3, true },   { t_cmov, 3, true },
	{ t_lea, 5, true },      { t_xchg, 5, true },    { t_bswap, 2, true },
	{ t_convert, 3, true },  { t_flagops, 5, true }, { t_bcd, 4, true },
	{ t_stack, 6, false },   { t_enter, 3, false },  { t_string, 6, false },
	{ t_branch, 5, false },  { t_pushf, 4, false },  { t_popf, 2, false },
	{ t_nop, 2, false },     { t_cmpxchg8b, 2, false }, { t_xlat, 2, false },
	{ t_call, 4, false },    { t_jmp_indirect, 2, false },
	{ t_sreg, 2, false },    { t_legacy, 2, false },     { t_esp, 3, false },
	{ t_prefixed, 2, false },
};
#define NTEMPLATES (sizeof(templates) / sizeof(templates[0]))

static const struct tmpl *pick_template(struct gen *g, bool simple)
{
	unsigned total = 0, x;

	for (unsigned i = 0; i < NTEMPLATES; i++)
		if (!simple || templates[i].simple)
			total += templates[i].weight;
	x = rnd(g, total);
	for (unsigned i = 0; i < NTEMPLATES; i++) {
		if (simple && !templates[i].simple)
			continue;
		if (x < templates[i].weight)
			return &templates[i];
		x -= templates[i].weight;
	}
	return &templates[0];
}

/*
 * One instruction with no set-up, for a branch's shadow or a called
 * routine: with g->simple, memory operands are [disp32]; templates that
 * would need a set-up (bt's offset register, the cmp before a flag reader
 * whose flags are undefined) are not drawn, nor those that may change DF,
 * which would then differ between the two paths of a branch.
 */
static void t_simple(struct gen *g)
{
	for (;;) {
		const struct tmpl *t = pick_template(g, true);

		if (g->undef && (t->fn == t_setcc || t->fn == t_cmov))
			continue; /* would read an undefined flag */
		if ((g->undef & CF) && t->fn == t_alu)
			continue; /* adc, sbb */
		if (t->fn == t_bt || t->fn == t_bcd || t->fn == t_flagops)
			continue; /* set-up; flag readers; DF that would
				   * differ between the two paths */
		t->fn(g);
		return;
	}
}

/* ------------------------------------------------------------- sequences */

static void sequence(uint64_t seed, unsigned n)
{
	struct gen g = {
		.seq = n,
		.rng = seed * 0x100000001b3ULL ^ (n + 1) * 0x9e3779b97f4a7c15ULL,
	};
	uint32_t fl = ((uint32_t)rnd64(&g) & (ALL6 | DF)) | 0x2;
	unsigned len = 5 + rnd(&g, 26);

	printf("\n\t.globl seq_%u\nseq_%u:\n", n, n);
	emit("pushal"); /* the harness's registers (the C ABI's callee-saved) */
	emit("pushl $0x%" PRIx32, fl);
	emit("popfl");
	emit("movl %%esp, diff32_harness_esp");
	emit("movl $0x%x, %%esp", STK_TOP);
	for (unsigned r = 0; r < NREGS; r++)
		if (r != ESP)
			emit("movl $0x%" PRIx32 ", %%%s", rnd_value(&g), r32[r]);
	printf("seq_%u_body:\n", n);
	g.esp = STK_TOP;
	g.df = fl & DF;
	while (len--)
		pick_template(&g, false)->fn(&g);
	printf("seq_%u_end:\n", n);
	for (unsigned r = 0; r < NREGS; r++)
		emit("movl %%%s, diff32_state+%u", r32[r], 4 * r);
	emit("movl diff32_harness_esp, %%esp");
	emit("pushfl");
	emit("popl diff32_state+32");
	emit("popal");
	emit("cld");
	emit("ret");
	printf("\t.section .rodata\n\t.align 4\n");
	printf("seq_undef_%u:\t.long 0x%" PRIx32 "\n", n, g.undef);
	printf("seq_fill_%u:\t.long 0x%" PRIx32 "\n", n, (uint32_t)rnd64(&g) | 1);
	printf("seq_esp_%u:\t.long 0x%" PRIx32 "\n\t.text\n", n, g.esp);
}

int main(int argc, char **argv)
{
	uint64_t seed;
	unsigned count;

	if (argc != 3) {
		fprintf(stderr, "usage: gen SEED COUNT > seqs.S\n");
		return 2;
	}
	seed = strtoull(argv[1], NULL, 0);
	count = (unsigned)strtoul(argv[2], NULL, 0);
	printf("/* generated by tests/diff32/gen.c: seed %" PRIu64 ", %u sequences */\n",
	       seed, count);
	printf("\t.code32\n\t.text\n");
	for (unsigned n = 0; n < count; n++)
		sequence(seed, n);
	printf("\n\t.section .rodata\n\t.align 4\n");
	printf("\t.globl diff32_seed\ndiff32_seed:\t.long 0x%" PRIx32 "\n", (uint32_t)seed);
	printf("\t.globl diff32_count\ndiff32_count:\t.long %u\n", count);
	printf("\t.globl diff32_seqs\ndiff32_seqs:\n");
	for (unsigned n = 0; n < count; n++)
		printf("\t.long seq_%u, seq_undef_%u, seq_fill_%u, seq_esp_%u\n",
		       n, n, n, n);
	return 0;
}
