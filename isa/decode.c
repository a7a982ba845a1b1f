/*
 * isa/decode.c - turn the bytes at a guest RIP into a struct insn.
 *
 * The first step of every trap that the dispatcher handles: the engine says
 * "a #GP at RIP", and the monitor must learn which instruction that was.
 * insn_fetch() (shadowpt/walk.c) fetches the bytes through the guest's
 * page tables, as the CPU's instruction fetch would; here Capstone decodes
 * them once into a record that the classification (pgclass.c) and the
 * interpreter routines (interp/) read.  isa/ knows bytes only, never the
 * guest's memory.
 *
 * One Capstone handle and one cs_insn are opened at start-up and reused for
 * every decode (cs_disasm_iter), which avoids an allocation per trap.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/panic.h"
#include "isa/decode.h"
#include "isa/x86.h"

/*
 * One Capstone handle per code size (16-, 32- and 64-bit code decode
 * differently: 0x40 is a REX prefix in one and inc eax in another).
 * isa_handle is the one the current decode uses.
 */
enum { ISA_16, ISA_32, ISA_64, ISA_NMODES };
static const cs_mode isa_cs_mode[ISA_NMODES] = {
	CS_MODE_16, CS_MODE_32, CS_MODE_64,
};
static csh isa_handles[ISA_NMODES];
static cs_insn *isa_scratches[ISA_NMODES];
static csh isa_handle;
static cs_insn *isa_scratch; /* the one cs_insn every decode reuses */

void isa_fini(void)
{
	for (int m = 0; m < ISA_NMODES; m++) {
		if (isa_scratches[m])
			cs_free(isa_scratches[m], 1);
		isa_scratches[m] = NULL;
		if (isa_handles[m])
			cs_close(&isa_handles[m]);
		isa_handles[m] = 0;
	}
	isa_scratch = NULL;
}

int isa_init(void)
{
	if (isa_scratch)
		return 0;
	for (int m = 0; m < ISA_NMODES; m++) {
		if (cs_open(CS_ARCH_X86, isa_cs_mode[m], &isa_handles[m]) !=
		    CS_ERR_OK) {
			isa_handles[m] = 0;
			isa_fini();
			return -1;
		}
		if (cs_option(isa_handles[m], CS_OPT_DETAIL, CS_OPT_ON) !=
			    CS_ERR_OK ||
		    !(isa_scratches[m] = cs_malloc(isa_handles[m]))) {
			isa_fini();
			return -1;
		}
	}
	isa_handle = isa_handles[ISA_64];
	isa_scratch = isa_scratches[ISA_64];
	return 0;
}

/* ------------------------------------------------------------------
 * rdpid: the one instruction of the contract that Capstone 4 lacks.
 *
 *   [legacy prefixes, last of F2/F3 is F3] [REX] 0F C7 ModRM(mod=11 reg=111)
 *
 * Without F3 the same bytes are rdseed, which Capstone 4 does decode, so
 * it prints rdpid as rdseed.  rdpid's operand is always 64 bits wide in
 * 64-bit mode (SDM vol. 2, RDPID), whatever REX.W says.
 */
static const struct { x86_reg r32, r64; } isa_reg64[] = {
	{ X86_REG_EAX, X86_REG_RAX }, { X86_REG_ECX, X86_REG_RCX },
	{ X86_REG_EDX, X86_REG_RDX }, { X86_REG_EBX, X86_REG_RBX },
	{ X86_REG_ESP, X86_REG_RSP }, { X86_REG_EBP, X86_REG_RBP },
	{ X86_REG_ESI, X86_REG_RSI }, { X86_REG_EDI, X86_REG_RDI },
	{ X86_REG_R8D, X86_REG_R8 }, { X86_REG_R9D, X86_REG_R9 },
	{ X86_REG_R10D, X86_REG_R10 }, { X86_REG_R11D, X86_REG_R11 },
	{ X86_REG_R12D, X86_REG_R12 }, { X86_REG_R13D, X86_REG_R13 },
	{ X86_REG_R14D, X86_REG_R14 }, { X86_REG_R15D, X86_REG_R15 },
};

static x86_reg isa_widen(x86_reg r)
{
	for (size_t i = 0; i < sizeof(isa_reg64) / sizeof(isa_reg64[0]); i++)
		if (isa_reg64[i].r32 == r)
			return isa_reg64[i].r64;
	return r;
}

/* Is the last repeat prefix before the opcode F3? */
static bool isa_has_f3(const struct insn *in, size_t *opcode)
{
	bool f3 = false;
	size_t i = 0;

	for (; i < in->size; i++) {
		uint8_t b = in->bytes[i];

		if (b == 0xf3 || b == 0xf2)
			f3 = b == 0xf3;
		else if (b != 0xf0 && b != 0x66 && b != 0x67 && b != 0x2e &&
			 b != 0x36 && b != 0x3e && b != 0x26 && b != 0x64 &&
			 b != 0x65)
			break;
	}
	if (i < in->size && (in->bytes[i] & 0xf0) == 0x40)
		i++; /* REX */
	*opcode = i;
	return f3;
}

/* Rename Capstone's "rdseed" to rdpid when the bytes say so. */
static void isa_fix_rdpid(struct insn *in)
{
	size_t op;

	if (in->id != X86_INS_RDSEED || !isa_has_f3(in, &op))
		return;
	if (op + 2 >= in->size || in->bytes[op] != 0x0f ||
	    in->bytes[op + 1] != 0xc7)
		return;
	in->id = ISA_INS_RDPID;
	snprintf(in->mnemonic, sizeof(in->mnemonic), "rdpid");
	if (in->x86.op_count == 1 && in->x86.operands[0].type == X86_OP_REG) {
		cs_x86_op *o = &in->x86.operands[0];

		o->reg = isa_widen(o->reg);
		o->size = 8;
		snprintf(in->op_str, sizeof(in->op_str), "%s",
			 cs_reg_name(isa_handle, o->reg));
	}
}

/* ------------------------------------------------------------------
 * Decoding.
 */

/* Decode exactly the bytes given; false when Capstone finds nothing. */
static bool isa_capstone(const uint8_t *buf, size_t len, uint64_t rip,
			 struct insn *in)
{
	const uint8_t *code = buf;
	size_t size = len;
	uint64_t addr = rip;

	if (!isa_scratch)
		panic("isa_capstone: isa_init was not called");
	if (!cs_disasm_iter(isa_handle, &code, &size, &addr, isa_scratch))
		return false;
	in->rip = rip;
	in->id = isa_scratch->id;
	in->size = isa_scratch->size;
	memcpy(in->bytes, isa_scratch->bytes, in->size);
	memcpy(in->mnemonic, isa_scratch->mnemonic, sizeof(in->mnemonic));
	memcpy(in->op_str, isa_scratch->op_str, sizeof(in->op_str));
	in->x86 = isa_scratch->detail->x86;
	isa_fix_rdpid(in);
	return true;
}

/*
 * Capstone failed on len < 15 bytes: was the instruction cut short, or is
 * it invalid?  Decode again with the rest filled in (zero bytes decode as
 * add [rax], al, valid anywhere): if that yields an instruction longer
 * than what we have, the bytes ran out.
 */
static bool isa_truncated(const uint8_t *buf, size_t len, uint64_t rip)
{
	uint8_t padded[INSN_MAX] = { 0 };
	struct insn probe;

	memcpy(padded, buf, len);
	return isa_capstone(padded, INSN_MAX, rip, &probe) && probe.size > len;
}

/*T:325 isa/ knows bytes only: no guest, no page tables, no struct vm.  Capstone
 * turns up to 15 bytes into a struct insn (its instruction id, operands
 * and length), which is everything the rest of the monitor needs to name
 * the instruction (pg_classify, stop 330), find its interpreter routine
 * (stop 400) and move RIP past it.  Bytes that end before the instruction
 * does are told apart from bytes that are no instruction at all: the first
 * means the fetch must go on into the next page, the second sends the
 * guest's fault back to the guest.
 */
/*
 * From a buffer there is nothing to fault on: DECODE_FAULT here means the
 * bytes ran out before the instruction did.
 */
enum decode_result isa_decode_bytes(const uint8_t *buf, size_t len,
				    uint64_t rip, struct insn *in)
{
	return isa_decode_bytes_mode(buf, len, rip, 64, in);
}

enum decode_result isa_decode_bytes_mode(const uint8_t *buf, size_t len,
					 uint64_t rip, unsigned bits,
					 struct insn *in)
{
	int m = bits == 16 ? ISA_16 : bits == 32 ? ISA_32 : ISA_64;

	if (!isa_scratch)
		panic("isa_decode_bytes: isa_init was not called");
	isa_handle = isa_handles[m];
	isa_scratch = isa_scratches[m];
	if (len > INSN_MAX)
		len = INSN_MAX;
	if (isa_capstone(buf, len, rip, in))
		return DECODE_OK;
	if (len < INSN_MAX && isa_truncated(buf, len, rip))
		return DECODE_FAULT;
	return DECODE_INVALID;
}
