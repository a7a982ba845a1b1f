/*
 * tests/diff/encode.h - a small x86-64 instruction encoder for the generator.
 *
 * The generator (gen.c) describes each instruction as a struct enc: prefixes,
 * opcode bytes, the ModRM reg field and the r/m operand (a register or a
 * memory reference), an immediate.  encode_insn() turns it into bytes in the
 * layout of SDM vol. 2, 2.1:
 *
 *   [seg] [67] [66] [F2/F3] [REX] opcode ModRM [SIB] [disp] [imm]
 *
 *   REX:  0100 W R X B         ModRM: mod(2) reg(3) rm(3)
 *                               SIB:   scale(2) index(3) base(3)
 *
 * R, X and B extend ModRM.reg, SIB.index and ModRM.rm / SIB.base (or the
 * register in the low bits of a "+r" opcode) to 16 registers.
 */
#ifndef TESTS_DIFF_ENCODE_H
#define TESTS_DIFF_ENCODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MEM_NONE (-1)  /* struct mem: no base or no index */
#define MEM_RIP (-2)   /* struct mem: base is RIP (disp = target address) */

/*
 * A register operand.  num is 0..15 (RAX..R15).  A byte register with
 * high set is AH, CH, DH or BH (num 0..3 = the register whose bits 15:8 it
 * names); it can only be encoded without a REX prefix.
 */
struct reg {
	uint8_t num;
	bool high;
};

/*
 * A memory operand.  The effective address is base + index * scale + disp;
 * for base MEM_RIP, target is the absolute address it must reach and the
 * encoder computes the RIP-relative displacement.
 */
struct mem {
	int base;          /* 0..15, MEM_NONE or MEM_RIP */
	int index;         /* 0..15 except 4 (RSP), or MEM_NONE */
	uint8_t scale;     /* 1, 2, 4 or 8 */
	int32_t disp;
	uint64_t target;   /* MEM_RIP only */
	bool addr32;       /* 0x67: 32-bit address arithmetic */
	bool disp32;       /* encode disp as 32 bits even when it fits 8 */
	uint8_t seg;       /* segment prefix (0x26, 0x2e, 0x36, 0x3e) or 0 */
};

/* The r/m operand: a register or memory. */
struct rm {
	bool is_mem;
	struct reg r;
	struct mem m;
};

struct enc {
	bool p66;            /* operand-size prefix */
	bool addr32;         /* 0x67 without a memory operand (string ops) */
	uint8_t pad;         /* redundant segment prefixes put in front */
	bool w;              /* REX.W: 64-bit operand */
	uint8_t rep;         /* 0, 0xf2 or 0xf3 */
	uint8_t op[3];       /* opcode bytes */
	uint8_t nop;         /* how many */
	bool plus_r;         /* opcode's low 3 bits name register rm.r */
	bool modrm;          /* a ModRM byte follows the opcode */
	struct reg reg;      /* ModRM.reg as a register ... */
	int digit;           /* ... or, when >= 0, an opcode extension /digit */
	bool reg_byte;       /* reg is a byte register */
	struct rm rm;
	bool rm_byte;        /* rm.r (or the +r register) is a byte register */
	uint8_t imm_size;    /* 0, 1, 2, 4 or 8 bytes */
	uint64_t imm;
};

#define ENC_MAX 15 /* the architectural limit on an instruction's length */

/*
 * Encode e for an instruction that will sit at address rip into out (at
 * least ENC_MAX bytes).  Returns its length; aborts on a description no
 * encoding exists for (a bug in the generator).
 */
size_t encode_insn(const struct enc *e, uint64_t rip, uint8_t *out);

#endif /* TESTS_DIFF_ENCODE_H */
