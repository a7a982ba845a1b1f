/*
 * engines/softcpu/decode.c - softcpu's own table-driven x86 decoder.
 *
 * The monitor decodes trapping instructions with Capstone, but Capstone
 * is far too slow for the instruction stream of a CPU.  This decoder turns
 * the bytes of one instruction into a struct sc_insn, once; the record is
 * then cached (cache.c) and executed many times.
 *
 * The same bytes mean different things in 64-bit, 32-bit and 16-bit code
 * (the code size, from CS.L and CS.D):
 *
 *                     64-bit           32-bit            16-bit
 *   operand size      32 (REX.W 64)    32                16
 *     with 66         16               16                32
 *   address size      64               32                16
 *     with 67         32               16                32
 *   40-4F             REX              inc/dec r         inc/dec r
 *   ModRM rm=5 mod=0  [RIP + disp32]   [disp32]          (16-bit table)
 *   segments          FS, GS bases     all six, checked  all six, checked
 *
 * and a few opcodes exist only outside 64-bit mode (the legacy[] table:
 * push/pop of ES, CS, SS, DS, the BCD adjustments, pusha, bound, arpl,
 * les/lds, into, far call/jmp with an immediate pointer, salc).
 *
 * An instruction is (SDM vol. 2, chapter 2):
 *
 *   [legacy prefixes] [REX] opcode [ModRM] [SIB] [displacement] [immediate]
 *     66 67 F0 F2 F3   4x   1-2B     mod|reg|rm  scale|index|base
 *     2E 36 3E 26 64 65
 *
 * Two tables, one per opcode map (one-byte, and after 0F), give for each
 * opcode its handler and its shape: does a ModRM follow, what immediate,
 * is it a byte operation, does its operand size default to 64 bits.
 * Group opcodes (80, F7, FF, ...) pick a row of a group table with the
 * ModRM.reg field.  An empty slot means #UD.
 */
#include "engines/softcpu/softcpu.h"

/* Shape flags of an opcode (struct opdef.f). */
#define F_M 0x0001     /* a ModRM byte follows */
#define F_B 0x0002     /* byte operation: operand size 1 */
#define F_EB 0x0004    /* the E operand is a byte (movzx, movsx) */
#define F_I8 0x0008    /* imm8, sign-extended */
#define F_I16 0x0010   /* imm16, zero-extended (ret, enter) */
#define F_IZ 0x0020    /* imm16 or imm32 by operand size, sign-extended */
#define F_IV 0x0040    /* imm16/32/64 by operand size (mov r, imm) */
#define F_MOFFS 0x0080 /* an address of the address size (mov al, moffs) */
#define F_D64 0x0100   /* operand size defaults to 64 (push, pop) */
#define F_F64 0x0200   /* operand size is always 64 (near branches) */
#define F_RO 0x0400    /* register in opcode bits 2:0 (push r, bswap) */
#define F_GRP 0x0800   /* op is a group index: row by ModRM.reg */
#define F_OPREG 0x1000 /* op is ModRM.reg (80-83, shifts) */
#define F_ONE 0x2000   /* implicit count of 1 (D0, D1) */
#define F_ENTER 0x4000 /* imm16 then imm8 */
#define F_LOCK 0x8000  /* a lock prefix is allowed (with a memory E) */
#define F_FAR 0x10000  /* a far pointer: offset of the operand size, then a
			  16-bit selector (9A, EA) */

struct opdef {
	sc_fn *fn;
	uint32_t f;
	uint8_t op;
};

/* Group indexes (SDM vol. 2, table A-6). */
enum { G3B = 1, G3V, G4, G5, G1A, G11B, G11V, G8, G9, G15, NGROUPS };

/* The eight ALU operations 00-3F: add or adc sbb and sub xor cmp. */
#define ALU(b, n)                                                        \
	[(b) + 0] = { op_alu_eg, F_M | F_B | F_LOCK, n },                \
	[(b) + 1] = { op_alu_eg, F_M | F_LOCK, n },                      \
	[(b) + 2] = { op_alu_ge, F_M | F_B, n },                         \
	[(b) + 3] = { op_alu_ge, F_M, n },                               \
	[(b) + 4] = { op_alu_ai, F_B | F_I8, n },                        \
	[(b) + 5] = { op_alu_ai, F_IZ, n }

/* Condition-code rows: 16 opcodes whose low nibble is the condition. */
#define CC16(b, fn, f)                                                   \
	[(b) + 0] = { fn, f, 0 }, [(b) + 1] = { fn, f, 1 },              \
	[(b) + 2] = { fn, f, 2 }, [(b) + 3] = { fn, f, 3 },              \
	[(b) + 4] = { fn, f, 4 }, [(b) + 5] = { fn, f, 5 },              \
	[(b) + 6] = { fn, f, 6 }, [(b) + 7] = { fn, f, 7 },              \
	[(b) + 8] = { fn, f, 8 }, [(b) + 9] = { fn, f, 9 },              \
	[(b) + 10] = { fn, f, 10 }, [(b) + 11] = { fn, f, 11 },          \
	[(b) + 12] = { fn, f, 12 }, [(b) + 13] = { fn, f, 13 },          \
	[(b) + 14] = { fn, f, 14 }, [(b) + 15] = { fn, f, 15 }

static const struct opdef one_byte[256] = {
	ALU(0x00, 0), ALU(0x08, 1), ALU(0x10, 2), ALU(0x18, 3),
	ALU(0x20, 4), ALU(0x28, 5), ALU(0x30, 6), ALU(0x38, 7),
	[0x50 ... 0x57] = { op_push_r, F_RO | F_D64, 0 },
	[0x58 ... 0x5f] = { op_pop_r, F_RO | F_D64, 0 },
	[0x63] = { op_movsxd, F_M, 0 },
	[0x68] = { op_push_i, F_IZ | F_D64, 0 },
	[0x69] = { op_imul_gei, F_M | F_IZ, 0 },
	[0x6a] = { op_push_i, F_I8 | F_D64, 0 },
	[0x6b] = { op_imul_gei, F_M | F_I8, 0 },
	[0x6c ... 0x6f] = { op_priv, 0, 0 },             /* ins, outs */
	CC16(0x70, op_jcc, F_I8 | F_F64),
	[0x80] = { op_alu_ei, F_M | F_B | F_I8 | F_OPREG | F_LOCK, 0 },
	[0x81] = { op_alu_ei, F_M | F_IZ | F_OPREG | F_LOCK, 0 },
	[0x83] = { op_alu_ei, F_M | F_I8 | F_OPREG | F_LOCK, 0 },
	[0x84] = { op_test_eg, F_M | F_B, 0 },
	[0x85] = { op_test_eg, F_M, 0 },
	[0x86] = { op_xchg, F_M | F_B | F_LOCK, 0 },
	[0x87] = { op_xchg, F_M | F_LOCK, 0 },
	[0x88] = { op_mov_eg, F_M | F_B, 0 },
	[0x89] = { op_mov_eg, F_M, 0 },
	[0x8a] = { op_mov_ge, F_M | F_B, 0 },
	[0x8b] = { op_mov_ge, F_M, 0 },
	[0x8c] = { op_mov_e_sreg, F_M, 0 },
	[0x8d] = { op_lea, F_M, 0 },
	[0x8e] = { op_mov_sreg_e, F_M, 0 },
	[0x8f] = { NULL, F_M | F_D64 | F_GRP, G1A },
	[0x90 ... 0x97] = { op_xchg_ra, F_RO, 0 },
	[0x98] = { op_cbw, 0, 0 },
	[0x99] = { op_cwd, 0, 0 },
	[0x9b] = { op_nop, 0, 0 },                       /* fwait */
	[0x9c] = { op_pushf, F_D64, 0 },
	[0x9d] = { op_popf, F_D64, 0 },
	[0x9e] = { op_sahf, 0, 0 },
	[0x9f] = { op_lahf, 0, 0 },
	[0xa0] = { op_mov_moffs, F_B | F_MOFFS, 0 },
	[0xa1] = { op_mov_moffs, F_MOFFS, 0 },
	[0xa2] = { op_mov_moffs, F_B | F_MOFFS, 1 },
	[0xa3] = { op_mov_moffs, F_MOFFS, 1 },
	[0xa4] = { op_movs, F_B, 0 },
	[0xa5] = { op_movs, 0, 0 },
	[0xa6] = { op_cmps, F_B, 0 },
	[0xa7] = { op_cmps, 0, 0 },
	[0xa8] = { op_test_ai, F_B | F_I8, 0 },
	[0xa9] = { op_test_ai, F_IZ, 0 },
	[0xaa] = { op_stos, F_B, 0 },
	[0xab] = { op_stos, 0, 0 },
	[0xac] = { op_lods, F_B, 0 },
	[0xad] = { op_lods, 0, 0 },
	[0xae] = { op_scas, F_B, 0 },
	[0xaf] = { op_scas, 0, 0 },
	[0xb0 ... 0xb7] = { op_mov_ri, F_RO | F_B | F_I8, 0 },
	[0xb8 ... 0xbf] = { op_mov_ri, F_RO | F_IV, 0 },
	[0xc0] = { op_shift_e, F_M | F_B | F_I8 | F_OPREG, 0 },
	[0xc1] = { op_shift_e, F_M | F_I8 | F_OPREG, 0 },
	[0xc2] = { op_ret, F_I16 | F_F64, 0 },
	[0xc3] = { op_ret, F_F64, 0 },
	[0xc6] = { NULL, F_M | F_B | F_GRP, G11B },
	[0xc7] = { NULL, F_M | F_GRP, G11V },
	[0xc8] = { op_enter, F_ENTER | F_D64, 0 },
	[0xc9] = { op_leave, F_D64, 0 },
	[0xca] = { op_lret, F_I16, 0 },
	[0xcb] = { op_lret, 0, 0 },
	[0xcc] = { op_int3, 0, 0 },
	[0xcd] = { op_int, F_I8, 0 },
	[0xcf] = { op_priv, 0, 0 },                      /* iretq */
	[0xd0] = { op_shift_e, F_M | F_B | F_ONE | F_OPREG, 0 },
	[0xd1] = { op_shift_e, F_M | F_ONE | F_OPREG, 0 },
	[0xd2] = { op_shift_cl, F_M | F_B | F_OPREG, 0 },
	[0xd3] = { op_shift_cl, F_M | F_OPREG, 0 },
	[0xd7] = { op_xlat, 0, 0 },
	[0xe0] = { op_loop, F_I8 | F_F64, 0 },          /* loopne */
	[0xe1] = { op_loop, F_I8 | F_F64, 1 },          /* loope */
	[0xe2] = { op_loop, F_I8 | F_F64, 2 },          /* loop */
	[0xe3] = { op_jrcxz, F_I8 | F_F64, 0 },
	[0xe4 ... 0xe7] = { op_priv, F_I8, 0 },         /* in, out imm8 */
	[0xe8] = { op_call_rel, F_IZ | F_F64, 0 },
	[0xe9] = { op_jmp_rel, F_IZ | F_F64, 0 },
	[0xeb] = { op_jmp_rel, F_I8 | F_F64, 0 },
	[0xec ... 0xef] = { op_priv, 0, 0 },            /* in, out dx */
	[0xf1] = { op_int1, 0, 0 },
	[0xf4] = { op_priv, 0, 0 },                      /* hlt */
	[0xf5] = { op_flag, 0, 0 },                      /* cmc */
	[0xf6] = { NULL, F_M | F_B | F_GRP, G3B },
	[0xf7] = { NULL, F_M | F_GRP, G3V },
	[0xf8] = { op_flag, 0, 1 },                      /* clc */
	[0xf9] = { op_flag, 0, 2 },                      /* stc */
	[0xfa] = { op_priv, 0, 0 },                      /* cli */
	[0xfb] = { op_priv, 0, 0 },                      /* sti */
	[0xfc] = { op_flag, 0, 3 },                      /* cld */
	[0xfd] = { op_flag, 0, 4 },                      /* std */
	[0xfe] = { NULL, F_M | F_B | F_GRP, G4 },
	[0xff] = { NULL, F_M | F_GRP, G5 },
};

static const struct opdef two_byte[256] = {
	[0x00] = { op_grp6, F_M, 0 },
	[0x01] = { op_grp7, F_M, 0 },
	[0x02] = { op_lar, F_M, 0 },
	[0x03] = { op_lsl, F_M, 0 },
	[0x05] = { op_syscall, 0, 0 },
	[0x06] = { op_priv, 0, 0 },                      /* clts */
	[0x07] = { op_priv, 0, 0 },                      /* sysret */
	[0x08] = { op_priv, 0, 0 },                      /* invd */
	[0x09] = { op_priv, 0, 0 },                      /* wbinvd */
	[0x0d] = { op_nop, F_M, 0 },                     /* prefetchw */
	[0x18 ... 0x1f] = { op_nop, F_M, 0 },            /* hint nops */
	[0x20 ... 0x23] = { op_priv, F_M, 0 },           /* mov cr, dr */
	[0x30] = { op_priv, 0, 0 },                      /* wrmsr */
	[0x31] = { op_rdtsc, 0, 0 },
	[0x32] = { op_priv, 0, 0 },                      /* rdmsr */
	[0x33] = { op_priv, 0, 0 },                      /* rdpmc */
	[0x34] = { op_sysenter, 0, 0 },
	[0x35] = { op_priv, 0, 0 },                      /* sysexit */
	CC16(0x40, op_cmovcc, F_M),
	CC16(0x80, op_jcc, F_IZ | F_F64),
	CC16(0x90, op_setcc, F_M | F_B),
	[0xa0] = { op_push_sreg, F_D64, SEG_FS },
	[0xa1] = { op_pop_sreg, F_D64, SEG_FS },
	[0xa2] = { op_cpuid, 0, 0 },
	[0xa3] = { op_bt_eg, F_M, 0 },
	[0xa4] = { op_shld, F_M | F_I8, 0 },
	[0xa5] = { op_shld, F_M, 1 },
	[0xa8] = { op_push_sreg, F_D64, SEG_GS },
	[0xa9] = { op_pop_sreg, F_D64, SEG_GS },
	[0xab] = { op_bt_eg, F_M | F_LOCK, 1 },
	[0xac] = { op_shrd, F_M | F_I8, 0 },
	[0xad] = { op_shrd, F_M, 1 },
	[0xae] = { NULL, F_M | F_GRP, G15 },
	[0xaf] = { op_imul_ge, F_M, 0 },
	[0xb0] = { op_cmpxchg, F_M | F_B | F_LOCK, 0 },
	[0xb1] = { op_cmpxchg, F_M | F_LOCK, 0 },
	[0xb2] = { op_load_far, F_M, SEG_SS },           /* lss */
	[0xb3] = { op_bt_eg, F_M | F_LOCK, 2 },
	[0xb4] = { op_load_far, F_M, SEG_FS },           /* lfs */
	[0xb5] = { op_load_far, F_M, SEG_GS },           /* lgs */
	[0xb6] = { op_movzx, F_M | F_EB, 1 },
	[0xb7] = { op_movzx, F_M, 2 },
	[0xb8] = { op_popcnt, F_M, 0 },
	[0xba] = { NULL, F_M | F_GRP, G8 },
	[0xbb] = { op_bt_eg, F_M | F_LOCK, 3 },
	[0xbc] = { op_bsf, F_M, 0 },
	[0xbd] = { op_bsr, F_M, 0 },
	[0xbe] = { op_movsx, F_M | F_EB, 1 },
	[0xbf] = { op_movsx, F_M, 2 },
	[0xc0] = { op_xadd, F_M | F_B | F_LOCK, 0 },
	[0xc1] = { op_xadd, F_M | F_LOCK, 0 },
	[0xc7] = { NULL, F_M | F_GRP, G9 },
	[0xc8 ... 0xcf] = { op_bswap, F_RO, 0 },
};

/*
 * The one-byte opcodes whose meaning outside 64-bit mode differs from
 * one_byte[]'s (SDM vol. 2, table A-2: the "i64" and "o64" entries):
 * here they are what these slots hold in 32- and 16-bit code.
 */
static const struct opdef legacy[256] = {
	[0x06] = { op_push_sreg, 0, SEG_ES },
	[0x07] = { op_pop_sreg, 0, SEG_ES },
	[0x0e] = { op_push_sreg, 0, SEG_CS },
	[0x16] = { op_push_sreg, 0, SEG_SS },
	[0x17] = { op_pop_sreg, 0, SEG_SS },
	[0x1e] = { op_push_sreg, 0, SEG_DS },
	[0x1f] = { op_pop_sreg, 0, SEG_DS },
	[0x27] = { op_daa_das, 0, 0 },
	[0x2f] = { op_daa_das, 0, 1 },
	[0x37] = { op_aaa_aas, 0, 0 },
	[0x3f] = { op_aaa_aas, 0, 1 },
	[0x40 ... 0x47] = { op_inc_e, F_RO, 0 },
	[0x48 ... 0x4f] = { op_dec_e, F_RO, 0 },
	[0x60] = { op_pusha, 0, 0 },
	[0x61] = { op_popa, 0, 0 },
	[0x62] = { op_bound, F_M, 0 },
	[0x63] = { op_arpl, F_M, 0 },
	[0x82] = { op_alu_ei, F_M | F_B | F_I8 | F_OPREG | F_LOCK, 0 },
	[0x9a] = { op_far_ptr, F_FAR, 1 },                /* call far */
	[0xc4] = { op_load_far, F_M, SEG_ES },            /* les */
	[0xc5] = { op_load_far, F_M, SEG_DS },            /* lds */
	[0xce] = { op_into, 0, 0 },
	[0xd4] = { op_aam, F_I8, 0 },
	[0xd5] = { op_aad, F_I8, 0 },
	[0xd6] = { op_salc, 0, 0 },
	[0xea] = { op_far_ptr, F_FAR, 0 },                /* jmp far */
};

/* Group rows, by ModRM.reg; extra flags are added to the opcode's. */
static const struct opdef groups[NGROUPS][8] = {
	[G3B] = {
		{ op_test_ei, F_I8, 0 }, { op_test_ei, F_I8, 0 },
		{ op_not_e, F_LOCK, 0 }, { op_neg_e, F_LOCK, 0 },
		{ op_mul1, 0, 0 }, { op_imul1, 0, 0 },
		{ op_div, 0, 0 }, { op_idiv, 0, 0 },
	},
	[G3V] = {
		{ op_test_ei, F_IZ, 0 }, { op_test_ei, F_IZ, 0 },
		{ op_not_e, F_LOCK, 0 }, { op_neg_e, F_LOCK, 0 },
		{ op_mul1, 0, 0 }, { op_imul1, 0, 0 },
		{ op_div, 0, 0 }, { op_idiv, 0, 0 },
	},
	[G4] = { { op_inc_e, F_LOCK, 0 }, { op_dec_e, F_LOCK, 0 } },
	[G5] = {
		{ op_inc_e, F_LOCK, 0 }, { op_dec_e, F_LOCK, 0 },
		{ op_call_e, F_F64, 0 }, { op_far_e, 0, 1 },
		{ op_jmp_e, F_F64, 0 }, { op_far_e, 0, 0 },
		{ op_push_e, F_D64, 0 },
	},
	[G1A] = { { op_pop_e, 0, 0 } },
	[G11B] = { { op_mov_ei, F_I8, 0 } },
	[G11V] = { { op_mov_ei, F_IZ, 0 } },
	[G8] = {
		[4] = { op_bt_ei, F_I8, 0 }, [5] = { op_bt_ei, F_I8 | F_LOCK, 1 },
		[6] = { op_bt_ei, F_I8 | F_LOCK, 2 },
		[7] = { op_bt_ei, F_I8 | F_LOCK, 3 },
	},
	[G9] = { [1] = { op_cmpxchg8b, F_LOCK, 0 }, [7] = { op_rdpid, 0, 0 } },
	[G15] = {
		{ op_fsgsbase, 0, 0 }, { op_fsgsbase, 0, 1 },
		{ op_fsgsbase, 0, 2 }, { op_fsgsbase, 0, 3 },
		{ op_ud, 0, 0 }, { op_fence, 0, 0 },
		{ op_fence, 0, 0 }, { op_clflush, 0, 0 },
	},
};

/* Decoding state: the bytes and how far we got. */
struct dstate {
	const uint8_t *buf;
	unsigned avail, i;
	unsigned csz;     /* code size: 8, 4 or 2 */
	uint8_t rex;
	bool o66, a67;    /* operand- and address-size prefixes seen */
	bool seg_override;
};

/* Out of bytes: more may come from the next page, or it is too long. */
#define NEED(s, n)                                                        \
	do {                                                              \
		if ((s)->i + (n) > (s)->avail)                            \
			return (s)->avail < 15 ? SC_DEC_MORE : SC_DEC_LONG; \
	} while (0)

/* Read an n-byte little-endian value (n <= 8) and advance. */
static uint64_t take(struct dstate *s, unsigned n)
{
	uint64_t x = 0;

	memcpy(&x, s->buf + s->i, n);
	s->i += n;
	return x;
}

/* A segment override prefix: in 64-bit mode only FS and GS have a base,
 * the others cancel an earlier override. */
static void seg_prefix(struct dstate *s, struct sc_insn *d, uint8_t sreg)
{
	if (s->csz == 8 && sreg != SEG_FS && sreg != SEG_GS) {
		d->seg = SC_NOSEG;
		return;
	}
	d->seg = sreg;
	s->seg_override = true;
}

/*
 * Legacy prefixes and REX.  A REX prefix exists only in 64-bit mode and
 * counts only when it comes last, right before the opcode; among
 * repeated prefixes the last one wins.
 */
static enum sc_decode prefixes(struct dstate *s, struct sc_insn *d)
{
	for (;;) {
		NEED(s, 1);
		uint8_t b = s->buf[s->i];
		if (s->csz == 8 && (b & 0xf0) == 0x40) {
			s->rex = b;
			s->i++;
			continue;
		}
		switch (b) {
		case 0x66: s->o66 = true; break;
		case 0x67: s->a67 = true; break;
		case 0xf0: d->flags |= SCI_LOCK; break;
		case 0xf2: d->rep = SC_REP_NE; break;
		case 0xf3: d->rep = SC_REP_E; break;
		case 0x26: seg_prefix(s, d, SEG_ES); break;
		case 0x2e: seg_prefix(s, d, SEG_CS); break;
		case 0x36: seg_prefix(s, d, SEG_SS); break;
		case 0x3e: seg_prefix(s, d, SEG_DS); break;
		case 0x64: seg_prefix(s, d, SEG_FS); break;
		case 0x65: seg_prefix(s, d, SEG_GS); break;
		default:
			return SC_DEC_OK;
		}
		s->rex = 0; /* a legacy prefix after REX cancels it */
		s->i++;
	}
}

/* A byte register number: without REX, 4..7 mean AH, CH, DH, BH. */
static uint8_t byte_reg(const struct dstate *s, uint8_t r)
{
	if (!s->rex && r >= 4 && r < 8)
		return (uint8_t)(r - 4 + SC_HIBYTE);
	return r;
}

/*
 * The memory operand after a ModRM with mod != 3.
 *
 *   ModRM  7 6 5   3 2   0      SIB  7  6 5     3 2    0
 *         +---+-----+-----+          +-----+-------+------+
 *         |mod| reg | rm  |          |scale| index | base |
 *         +---+-----+-----+          +-----+-------+------+
 *
 * rm = 4 means a SIB follows; mod = 0 with rm = 5 is RIP-relative in
 * 64-bit mode and a plain disp32 outside it; a SIB base of 5 with mod = 0
 * means no base and a disp32; index 4 is none.
 */
static enum sc_decode modrm_mem32(struct dstate *s, struct sc_insn *d,
				  uint8_t rm)
{
	uint8_t base = rm;

	if (rm == 4) {
		NEED(s, 1);
		uint8_t sib = s->buf[s->i++];
		uint8_t index = ((sib >> 3) & 7) | ((s->rex & 2) << 2);
		base = sib & 7;
		d->scale = sib >> 6;
		d->index = index == 4 ? SC_NOREG : index;
		if (base == 5 && d->mod == 0)
			d->base = SC_NOREG;
		else
			d->base = base | ((s->rex & 1) << 3);
	} else if (rm == 5 && d->mod == 0) {
		if (s->csz == 8)
			d->flags |= SCI_RIPREL;
	} else {
		d->base = rm | ((s->rex & 1) << 3);
	}
	if (d->base == GPR_RSP || d->base == GPR_RBP)
		d->flags |= SCI_STACK;
	if (d->mod == 1) {
		NEED(s, 1);
		d->disp = (int8_t)take(s, 1);
	} else if (d->mod == 2 || d->base == SC_NOREG ||
		   (d->flags & SCI_RIPREL)) {
		NEED(s, 4);
		d->disp = (int32_t)take(s, 4);
	}
	return SC_DEC_OK;
}

/*
 * The memory operand of 16-bit addressing (SDM vol. 2, table 2-1): rm
 * names a base and an index, mod a disp8 or disp16; mod = 0 with rm = 6
 * is a bare disp16.  BP-based forms are stack references (SS).
 *
 *   rm   0      1      2      3      4   5   6   7
 *        BX+SI  BX+DI  BP+SI  BP+DI  SI  DI  BP  BX
 */
static enum sc_decode modrm_mem16(struct dstate *s, struct sc_insn *d,
				  uint8_t rm)
{
	static const uint8_t base[8] = { GPR_RBX, GPR_RBX, GPR_RBP, GPR_RBP,
					 GPR_RSI, GPR_RDI, GPR_RBP, GPR_RBX };
	static const uint8_t index[8] = { GPR_RSI, GPR_RDI, GPR_RSI, GPR_RDI,
					  SC_NOREG, SC_NOREG, SC_NOREG,
					  SC_NOREG };

	d->base = base[rm];
	d->index = index[rm];
	if (d->mod == 0 && rm == 6)
		d->base = SC_NOREG;
	if (d->base == GPR_RBP)
		d->flags |= SCI_STACK;
	if (d->mod == 1) {
		NEED(s, 1);
		d->disp = (int8_t)take(s, 1);
	} else if (d->mod == 2 || d->base == SC_NOREG) {
		NEED(s, 2);
		d->disp = (int16_t)take(s, 2);
	}
	return SC_DEC_OK;
}

/*
 * The memory operand after a ModRM with mod != 3.  Outside 64-bit mode
 * it always has a segment: the override, else SS for a stack reference
 * (ESP or EBP base, BP in 16-bit addressing), else DS; and it is a stack
 * reference (#SS rather than #GP) exactly when that segment is SS.
 */
static enum sc_decode modrm_mem(struct dstate *s, struct sc_insn *d, uint8_t rm)
{
	enum sc_decode r = d->asz == 2 ? modrm_mem16(s, d, rm)
				       : modrm_mem32(s, d, rm);

	if (r == SC_DEC_OK && s->csz != 8 && !s->seg_override)
		d->seg = (d->flags & SCI_STACK) ? SEG_SS : SEG_DS;
	return r;
}

/*
 * Operand size: bytes 1; in 64-bit mode REX.W 64, else 66 gives 16, stack
 * ops 64, near branches always 64; outside it 66 toggles the code size's
 * 32 or 16.
 */
static uint8_t operand_size(const struct dstate *s, uint32_t f)
{
	if (f & F_B)
		return 1;
	if (s->csz != 8)
		return (s->csz == 2) != s->o66 ? 2 : 4;
	if (f & F_F64)
		return 8;
	if (s->rex & 8)
		return 8;
	if (s->o66)
		return 2;
	return (f & F_D64) ? 8 : 4;
}

/* Address size: the code size's, 67 toggles 64 -> 32 or 32 <-> 16. */
static uint8_t address_size(const struct dstate *s)
{
	if (s->csz == 8)
		return s->a67 ? 4 : 8;
	return (s->csz == 2) != s->a67 ? 2 : 4;
}

static enum sc_decode immediates(struct dstate *s, struct sc_insn *d,
				 uint32_t f)
{
	unsigned n = 0;

	if (f & F_FAR) {
		NEED(s, d->osz + 2u);
		d->imm = take(s, d->osz);
		d->imm |= take(s, 2) << 32;
		return SC_DEC_OK;
	}
	if (f & F_I8)
		n = 1;
	else if (f & (F_I16 | F_ENTER))
		n = 2;
	else if (f & F_IZ)
		n = d->osz == 2 ? 2 : 4;
	else if (f & F_IV)
		n = d->osz;
	else if (f & F_MOFFS)
		n = d->asz;
	if (!n)
		return SC_DEC_OK;
	NEED(s, n);
	d->imm = take(s, n);
	if (f & (F_I8 | F_IZ))
		d->imm = (uint64_t)sc_sext(d->imm, n);
	if (f & F_ENTER) {
		NEED(s, 1);
		d->imm2 = (uint8_t)take(s, 1);
	}
	return SC_DEC_OK;
}

/* ModRM and, for groups, the row it selects; updates *def and *f. */
static enum sc_decode modrm(struct dstate *s, struct sc_insn *d,
			    const struct opdef **def, uint32_t *f)
{
	NEED(s, 1);
	uint8_t m = s->buf[s->i++];
	uint8_t reg = (m >> 3) & 7;

	d->mod = m >> 6;
	d->reg = reg | ((s->rex & 4) << 1);
	if (*f & F_GRP) {
		*def = &groups[(*def)->op][reg];
		*f = (*f & ~F_GRP) | (*def)->f;
		d->op = (*def)->op;
	}
	if (*f & F_OPREG)
		d->op = reg;
	if (d->mod == 3) {
		d->rm = (m & 7) | ((s->rex & 1) << 3);
		if (*f & (F_B | F_EB))
			d->rm = byte_reg(s, d->rm);
		if (*f & F_B)
			d->reg = byte_reg(s, d->reg);
		return SC_DEC_OK;
	}
	if (*f & F_B)
		d->reg = byte_reg(s, d->reg);
	return modrm_mem(s, d, m & 7);
}

/*
 * lock is allowed only on read-modify-write instructions with a memory
 * destination (SDM vol. 2, LOCK); cmp (ALU operation 7) reads only.
 */
static bool lockable(const struct sc_insn *d, uint32_t f)
{
	if (!(f & F_LOCK) || d->mod == 3)
		return false;
	bool alu = (d->map == 1 && d->opc < 0x40) || (f & F_OPREG);
	return !(alu && d->op == 7);
}

/*
 * A handler of its own for the commonest forms of the commonest
 * instructions (alu.c, misc.c, branch.c): the general handler would test
 * ModRM.mod, the operand size, the condition or the addressing on every
 * run of a record whose answer never changes.  The register forms of
 * the ALU operations and test at 2, 4 and 8 bytes, of mov (from a
 * register or an immediate), setcc, lea, inc and dec; mov and movzx
 * with a flat memory operand (sc_flat); jcc, one per condition; call
 * rel32, ret, push and pop of a register in 64-bit code.
 * Byte ALU operands keep the general handler (AH..BH are its business).
 */
static sc_fn *fast_handler(const struct sc_insn *d, sc_fn *fn)
{
	sc_fn *form = sc_flat_form(fn, d);

	if (form || (form = sc_reg_form(fn, d)))
		return form;
	if (fn == op_jcc)
		return sc_jcc_form(d->op);
	if ((form = sc_callret_form(fn, d)) ||
	    (form = sc_incdec_reg_form(fn, d)) ||
	    (form = sc_test_reg_form(fn, d)) ||
	    (form = sc_push_pop_form(fn, d)))
		return form;
	if (d->osz == 1)
		return fn;
	if (fn == op_alu_ai)
		return sc_alu_reg_form(fn, d->op, d->osz);
	if (d->mod != 3)
		return fn;
	if (fn == op_alu_eg || fn == op_alu_ge || fn == op_alu_ei)
		return sc_alu_reg_form(fn, d->op, d->osz);
	return fn;
}

enum sc_decode sc_decode(const uint8_t *buf, unsigned avail, unsigned csz,
			 struct sc_insn *d)
{
	struct dstate s = { .buf = buf, .avail = avail, .csz = csz };
	const struct opdef *def;
	enum sc_decode r;

	memset(d, 0, sizeof(*d));
	d->csz = (uint8_t)csz;
	d->base = d->index = SC_NOREG;
	d->seg = SC_NOSEG;
	if ((r = prefixes(&s, d)) != SC_DEC_OK)
		return r;
	if (csz != 8 && !s.seg_override)
		d->seg = SEG_DS; /* moffs, string sources, xlat */
	NEED(&s, 1);
	d->opc = s.buf[s.i++];
	d->map = 1;
	def = &one_byte[d->opc];
	if (csz != 8 && legacy[d->opc].fn)
		def = &legacy[d->opc];
	if (d->opc == 0x0f) {
		NEED(&s, 1);
		d->opc = s.buf[s.i++];
		d->map = 2;
		def = &two_byte[d->opc];
	}
	uint32_t f = def->f;
	d->op = def->op;
	d->flags |= s.rex ? SCI_REX : 0;
	d->flags |= (s.rex & 8) ? SCI_REXW : 0;
	d->asz = address_size(&s);
	if (f & F_M) {
		if ((r = modrm(&s, d, &def, &f)) != SC_DEC_OK)
			return r;
	} else if (f & F_RO) {
		/* Also as a register E operand, for inc/dec r (40-4F). */
		d->reg = (d->opc & 7) | ((s.rex & 1) << 3);
		if (f & F_B)
			d->reg = byte_reg(&s, d->reg);
		d->mod = 3;
		d->rm = d->reg;
	}
	d->osz = operand_size(&s, f);
	if ((r = immediates(&s, d, f)) != SC_DEC_OK)
		return r;
	if (f & F_ONE)
		d->imm = 1;
	if (csz != 8) {
		d->flags &= (uint8_t)~SCI_STACK;
		d->flags |= d->seg == SEG_SS ? SCI_STACK : 0;
	}
	d->acc = (d->flags & SCI_STACK) ? ACC_STACK : 0;
	if (d->seg != SC_NOSEG)
		d->acc |= (uint16_t)SC_ACC_SEG(d->seg);
	if (s.i > 15)
		return SC_DEC_LONG;
	d->len = (uint8_t)s.i;
	d->fn = def->fn ? fast_handler(d, def->fn) : op_ud;
	d->threaded = d->fn != def->fn && def->fn; /* a fast form: sc_next */
	d->hop = sc_chain_end; /* a block's builder may chain it on */
	if ((d->flags & SCI_LOCK) && !lockable(d, f)) {
		d->fn = op_ud;
		d->threaded = false;
	}
	return SC_DEC_OK;
}
