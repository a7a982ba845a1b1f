/*
 * isa/pgclass.c - the Popek-Goldberg table of x86-64, and of the 16- and
 * 32-bit code that softcpu runs in protected and compatibility mode.
 *
 * One row per instruction, or per form of an instruction where the form
 * decides (mov to a control register is privileged, mov to a general
 * register innocuous).  The table follows the sensitive-instruction
 * contract (isa/CONTRACT.md) that softcpu, interp/ and the pgcheck guest
 * also follow, and isa/README.md shows it as a page to read; a unit test
 * keeps the two in step.
 *
 * The class says what the real CPU does at CPL 3, where trapvisor runs the
 * guest kernel: privileged instructions fault there, so the monitor sees
 * them; sensitive-unprivileged ones run without a fault and reveal or
 * ignore the real machine's state, which is why x86 is not classically
 * virtualizable.  Anything not in the table is innocuous.
 *
 * Capstone gives the operand sizes of some instructions ids of their own
 * (pushf, pushfd, pushfq; iret, iretd, iretq): each needs its row, or
 * 32-bit code's pushfd would fall through to "everything else" and be
 * called innocuous.  Rows of instructions that exist only outside 64-bit
 * mode (lds, pushad, aaa, into ...) say so.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "isa/decode.h"
#include "isa/pgclass.h"
#include "isa/x86.h"
#include "core/lab.h"

#define PRIV PG_PRIVILEGED
#define SENS PG_SENSITIVE_UNPRIVILEGED
#define INNO PG_INNOCUOUS
#define CTL PG_CONTROL
#define BEH PG_BEHAVIOUR

/*
 * The forms: rows whose Capstone id is shared with innocuous uses of the
 * same mnemonic.  pg_classify() picks them by operand; they come first in
 * the table so that their index is their name.
 */
enum pg_form {
	PGF_MOV_TO_CR,
	PGF_MOV_FROM_CR,
	PGF_MOV_TO_DR,
	PGF_MOV_FROM_DR,
	PGF_MOV_TO_SREG,
	PGF_MOV_FROM_SREG,
	PGF_POP_SREG,
	PGF_POP_SS,
	PGF_PUSH_SREG,
	PGF_NFORMS
};

/*T:330 Popek and Goldberg's theorem in a table.  Each row names an
 * instruction (or a form of one), whether it faults at CPL 3, why it is
 * sensitive, and the SDM rule behind it.  The rows marked SENS are the
 * reason x86 cannot be virtualized by trap-and-emulate alone: sensitive,
 * yet they run at ring 3 without a fault.
 */
const struct pg_entry pg_table[] = {
	/* --- forms, chosen by operand ------------------------------- */
	[PGF_MOV_TO_CR] = { X86_INS_MOV, "mov to crN", PRIV, CTL,
		"CPL > 0 -> #GP(0) (SDM vol. 2, MOV - Move to/from Control "
		"Registers)" },
	[PGF_MOV_FROM_CR] = { X86_INS_MOV, "mov from crN", PRIV, BEH,
		"CPL > 0 -> #GP(0) (SDM vol. 2, MOV - Move to/from Control "
		"Registers)" },
	[PGF_MOV_TO_DR] = { X86_INS_MOV, "mov to drN", PRIV, CTL,
		"CPL > 0 -> #GP(0) (SDM vol. 2, MOV - Move to/from Debug "
		"Registers)" },
	[PGF_MOV_FROM_DR] = { X86_INS_MOV, "mov from drN", PRIV, BEH,
		"CPL > 0 -> #GP(0) (SDM vol. 2, MOV - Move to/from Debug "
		"Registers)" },
	[PGF_MOV_TO_SREG] = { X86_INS_MOV, "mov to Sreg", SENS, CTL,
		"ring-0 selectors fault at CPL 3, but a ring-3 one loads: at "
		"CPL 0 SS needs RPL = DPL = 0, so mov of 0x1b to ss faults "
		"at ring 0 and not at ring 3 (SDM vol. 2, MOV - Move, Sreg)" },
	[PGF_MOV_FROM_SREG] = { X86_INS_MOV, "mov from Sreg", SENS, BEH,
		"stores the selector at any CPL, its RPL showing the real CPL "
		"(SDM vol. 2, MOV - Move, Sreg)" },
	[PGF_POP_SREG] = { X86_INS_POP, "pop Sreg", PRIV, CTL,
		"pop es, ds, fs or gs: a non-null selector with RPL or "
		"descriptor DPL below CPL -> #GP(selector) (SDM vol. 2, POP)" },
	[PGF_POP_SS] = { X86_INS_POP, "pop ss", SENS, CTL,
		"as mov to ss: at CPL 0 SS needs RPL = DPL = 0, so a ring-3 "
		"selector faults at ring 0 and loads at ring 3 (SDM vol. 2, "
		"POP; 16- and 32-bit code only)" },
	[PGF_PUSH_SREG] = { X86_INS_PUSH, "push Sreg", SENS, BEH,
		"pushes the selector at any CPL, its RPL showing the real CPL; "
		"push cs shows the CPL itself (SDM vol. 2, PUSH)" },

	/* --- privileged: they fault at CPL 3 ------------------------ */
	{ X86_INS_CLI, "cli", PRIV, CTL,
		"CPL > IOPL -> #GP(0) (SDM vol. 2, CLI)" },
	{ X86_INS_STI, "sti", PRIV, CTL,
		"CPL > IOPL -> #GP(0) (SDM vol. 2, STI)" },
	{ X86_INS_HLT, "hlt", PRIV, CTL,
		"CPL > 0 -> #GP(0) (SDM vol. 2, HLT)" },
	{ X86_INS_IN, "in", PRIV, CTL,
		"CPL > IOPL and the TSS I/O bitmap denies the port -> #GP(0) "
		"(SDM vol. 1, 19.5.2; vol. 2, IN)" },
	{ X86_INS_OUT, "out", PRIV, CTL,
		"CPL > IOPL and the TSS I/O bitmap denies the port -> #GP(0) "
		"(SDM vol. 1, 19.5.2; vol. 2, OUT)" },
	{ X86_INS_INSB, "insb", PRIV, CTL,
		"CPL > IOPL and the I/O bitmap denies the port -> #GP(0) "
		"(SDM vol. 2, INS)" },
	{ X86_INS_INSW, "insw", PRIV, CTL,
		"CPL > IOPL and the I/O bitmap denies the port -> #GP(0) "
		"(SDM vol. 2, INS)" },
	{ X86_INS_INSD, "insd", PRIV, CTL,
		"CPL > IOPL and the I/O bitmap denies the port -> #GP(0) "
		"(SDM vol. 2, INS)" },
	{ X86_INS_OUTSB, "outsb", PRIV, CTL,
		"CPL > IOPL and the I/O bitmap denies the port -> #GP(0) "
		"(SDM vol. 2, OUTS)" },
	{ X86_INS_OUTSW, "outsw", PRIV, CTL,
		"CPL > IOPL and the I/O bitmap denies the port -> #GP(0) "
		"(SDM vol. 2, OUTS)" },
	{ X86_INS_OUTSD, "outsd", PRIV, CTL,
		"CPL > IOPL and the I/O bitmap denies the port -> #GP(0) "
		"(SDM vol. 2, OUTS)" },
	{ X86_INS_LGDT, "lgdt", PRIV, CTL,
		"CPL > 0 -> #GP(0) (SDM vol. 2, LGDT/LIDT)" },
	{ X86_INS_LIDT, "lidt", PRIV, CTL,
		"CPL > 0 -> #GP(0) (SDM vol. 2, LGDT/LIDT)" },
	{ X86_INS_LLDT, "lldt", PRIV, CTL,
		"CPL > 0 -> #GP(0) (SDM vol. 2, LLDT)" },
	{ X86_INS_LTR, "ltr", PRIV, CTL,
		"CPL > 0 -> #GP(0) (SDM vol. 2, LTR)" },
	{ X86_INS_LMSW, "lmsw", PRIV, CTL,
		"CPL > 0 -> #GP(0) (SDM vol. 2, LMSW)" },
	{ X86_INS_CLTS, "clts", PRIV, CTL,
		"CPL > 0 -> #GP(0) (SDM vol. 2, CLTS)" },
	{ X86_INS_RDMSR, "rdmsr", PRIV, BEH,
		"CPL > 0 -> #GP(0) (SDM vol. 2, RDMSR)" },
	{ X86_INS_WRMSR, "wrmsr", PRIV, CTL,
		"CPL > 0 -> #GP(0) (SDM vol. 2, WRMSR)" },
	{ X86_INS_RDPMC, "rdpmc", PRIV, BEH,
		"CPL > 0 and CR4.PCE = 0 -> #GP(0) (SDM vol. 2, RDPMC)" },
	{ X86_INS_INVLPG, "invlpg", PRIV, CTL,
		"CPL > 0 -> #GP(0) (SDM vol. 2, INVLPG)" },
	{ X86_INS_INVPCID, "invpcid", PRIV, CTL,
		"CPL > 0 -> #GP(0) (SDM vol. 2, INVPCID)" },
	{ X86_INS_WBINVD, "wbinvd", PRIV, CTL,
		"CPL > 0 -> #GP(0) (SDM vol. 2, WBINVD)" },
	{ X86_INS_INVD, "invd", PRIV, CTL,
		"CPL > 0 -> #GP(0) (SDM vol. 2, INVD)" },
	{ X86_INS_SWAPGS, "swapgs", PRIV, CTL,
		"CPL > 0 -> #GP(0) (SDM vol. 2, SWAPGS)" },
	{ X86_INS_XSETBV, "xsetbv", PRIV, CTL,
		"CPL > 0 -> #GP(0) (SDM vol. 2, XSETBV)" },
	{ X86_INS_SYSRET, "sysretq", PRIV, CTL,
		"CPL > 0 -> #GP(0) (SDM vol. 2, SYSRET)" },
	{ X86_INS_SYSEXIT, "sysexit", PRIV, CTL,
		"CPL > 0 -> #GP(0) (SDM vol. 2, SYSEXIT)" },
	{ X86_INS_IRETQ, "iretq", PRIV, CTL | BEH,
		"a return to RPL < CPL -> #GP(selector), so a guest kernel's "
		"iretq (to RPL 0) faults at CPL 3; a return to the same level "
		"works at CPL 3 (SDM vol. 2, IRET)" },
	{ X86_INS_IRETD, "iretd", PRIV, CTL | BEH,
		"as iretq, with a 32-bit frame: the iret of 32-bit code (SDM "
		"vol. 2, IRET)" },
	{ X86_INS_IRET, "iret", PRIV, CTL | BEH,
		"as iretq, with a 16-bit frame (SDM vol. 2, IRET)" },
	{ X86_INS_RETF, "lret", PRIV, CTL | BEH,
		"a return to RPL < CPL -> #GP(selector); in 32-bit code it "
		"pops a ptr16:32 (SDM vol. 2, RET, far return)" },
	{ X86_INS_RETFQ, "lretq", PRIV, CTL | BEH,
		"a return to RPL < CPL -> #GP(selector) (SDM vol. 2, RET, "
		"far return)" },
	{ X86_INS_LJMP, "ljmp", PRIV, CTL | BEH,
		"a non-conforming code segment with DPL != CPL -> "
		"#GP(selector), the pointer in memory or, in 16- and 32-bit "
		"code, an immediate ptr16:32 (SDM vol. 2, JMP, far jump)" },
	{ X86_INS_LCALL, "lcall", PRIV, CTL | BEH,
		"a non-conforming code segment with DPL != CPL -> "
		"#GP(selector), the pointer in memory or, in 16- and 32-bit "
		"code, an immediate ptr16:32 (SDM vol. 2, CALL, far call)" },
	{ X86_INS_INT, "int n", PRIV, CTL,
		"a gate with DPL < CPL -> #GP(vector * 8 + 2) (SDM vol. 2, "
		"INT n)" },
	{ X86_INS_LDS, "lds", PRIV, CTL,
		"loads DS as pop Sreg does: RPL or DPL below CPL -> "
		"#GP(selector); 16- and 32-bit code only (SDM vol. 2, "
		"LDS/LES/LFS/LGS/LSS)" },
	{ X86_INS_LES, "les", PRIV, CTL,
		"loads ES as pop Sreg does: RPL or DPL below CPL -> "
		"#GP(selector); 16- and 32-bit code only (SDM vol. 2, "
		"LDS/LES/LFS/LGS/LSS)" },
	{ X86_INS_LFS, "lfs", PRIV, CTL,
		"loads FS as pop Sreg does: RPL or DPL below CPL -> "
		"#GP(selector) (SDM vol. 2, LDS/LES/LFS/LGS/LSS)" },
	{ X86_INS_LGS, "lgs", PRIV, CTL,
		"loads GS as pop Sreg does: RPL or DPL below CPL -> "
		"#GP(selector) (SDM vol. 2, LDS/LES/LFS/LGS/LSS)" },

	/* --- sensitive but unprivileged: they run at CPL 3 ----------- */
	{ X86_INS_PUSHFQ, "pushfq", SENS, BEH,
		"pushes RFLAGS with the real IF and IOPL at any CPL (SDM "
		"vol. 2, PUSHF)" },
	{ X86_INS_PUSHF, "pushf", SENS, BEH,
		"pushes FLAGS with the real IF and IOPL at any CPL (SDM "
		"vol. 2, PUSHF)" },
	{ X86_INS_POPFQ, "popfq", SENS, CTL | BEH,
		"at CPL > 0 leaves IOPL, and IF when CPL > IOPL, unchanged "
		"without a fault (SDM vol. 2, POPF)" },
	{ X86_INS_POPF, "popf", SENS, CTL | BEH,
		"at CPL > 0 leaves IOPL, and IF when CPL > IOPL, unchanged "
		"without a fault (SDM vol. 2, POPF)" },
	{ X86_INS_PUSHFD, "pushfd", SENS, BEH,
		"pushes EFLAGS with the real IF and IOPL at any CPL: the "
		"pushf of 32-bit code (SDM vol. 2, PUSHF)" },
	{ X86_INS_POPFD, "popfd", SENS, CTL | BEH,
		"at CPL > 0 leaves IOPL, and IF when CPL > IOPL, unchanged "
		"without a fault: the popf of 32-bit code (SDM vol. 2, POPF)" },
	{ X86_INS_LSS, "lss", SENS, CTL,
		"loads SS as mov to ss does: a ring-3 selector faults at "
		"ring 0 and loads at ring 3 (SDM vol. 2, LDS/LES/LFS/LGS/LSS)" },
	{ X86_INS_SGDT, "sgdt", SENS, BEH,
		"stores GDTR at any CPL unless CR4.UMIP (SDM vol. 2, SGDT)" },
	{ X86_INS_SIDT, "sidt", SENS, BEH,
		"stores IDTR at any CPL unless CR4.UMIP (SDM vol. 2, SIDT)" },
	{ X86_INS_SLDT, "sldt", SENS, BEH,
		"stores LDTR at any CPL unless CR4.UMIP (SDM vol. 2, SLDT)" },
	{ X86_INS_STR, "str", SENS, BEH,
		"stores TR at any CPL unless CR4.UMIP (SDM vol. 2, STR)" },
	{ X86_INS_SMSW, "smsw", SENS, BEH,
		"stores CR0[15:0] at any CPL unless CR4.UMIP (SDM vol. 2, "
		"SMSW)" },
	{ X86_INS_LAR, "lar", SENS, BEH,
		"a descriptor with DPL < CPL reads as invisible (ZF = 0), "
		"without a fault (SDM vol. 2, LAR)" },
	{ X86_INS_LSL, "lsl", SENS, BEH,
		"a descriptor with DPL < CPL reads as invisible (ZF = 0), "
		"without a fault (SDM vol. 2, LSL)" },
	{ X86_INS_VERR, "verr", SENS, BEH,
		"a segment with DPL < CPL reads as not readable (ZF = 0), "
		"without a fault (SDM vol. 2, VERR/VERW)" },
	{ X86_INS_VERW, "verw", SENS, BEH,
		"a segment with DPL < CPL reads as not writable (ZF = 0), "
		"without a fault (SDM vol. 2, VERR/VERW)" },
	{ X86_INS_CPUID, "cpuid", SENS, BEH,
		"returns the real processor's identity at any CPL unless "
		"CPUID faulting is on (SDM vol. 2, CPUID)" },
	{ X86_INS_RDTSC, "rdtsc", SENS, BEH,
		"reads the real TSC at any CPL unless CR4.TSD (SDM vol. 2, "
		"RDTSC)" },
	{ X86_INS_RDTSCP, "rdtscp", SENS, BEH,
		"reads the real TSC and TSC_AUX at any CPL unless CR4.TSD "
		"(SDM vol. 2, RDTSCP)" },
	{ ISA_INS_RDPID, "rdpid", SENS, BEH,
		"reads IA32_TSC_AUX at any CPL (SDM vol. 2, RDPID)" },
	{ X86_INS_XGETBV, "xgetbv", SENS, BEH,
		"reads XCR0 at any CPL once CR4.OSXSAVE = 1 (SDM vol. 2, "
		"XGETBV)" },
	{ X86_INS_RDFSBASE, "rdfsbase", SENS, BEH,
		"reads the FS base at any CPL once CR4.FSGSBASE = 1 (SDM "
		"vol. 2, RDFSBASE/RDGSBASE)" },
	{ X86_INS_RDGSBASE, "rdgsbase", SENS, BEH,
		"reads the GS base at any CPL once CR4.FSGSBASE = 1 (SDM "
		"vol. 2, RDFSBASE/RDGSBASE)" },
	{ X86_INS_WRFSBASE, "wrfsbase", SENS, CTL,
		"writes the FS base at any CPL once CR4.FSGSBASE = 1 (SDM "
		"vol. 2, WRFSBASE/WRGSBASE)" },
	{ X86_INS_WRGSBASE, "wrgsbase", SENS, CTL,
		"writes the GS base at any CPL once CR4.FSGSBASE = 1 (SDM "
		"vol. 2, WRFSBASE/WRGSBASE)" },

	/* --- innocuous, but worth a word ---------------------------- */
	{ X86_INS_SYSCALL, "syscall", INNO, 0,
		"enters CPL 0 at IA32_LSTAR by design, at any CPL; the "
		"monitor performs it for the guest (SDM vol. 2, SYSCALL)" },
	{ X86_INS_SYSENTER, "sysenter", INNO, 0,
		"enters CPL 0 at IA32_SYSENTER_EIP by design, the same at "
		"any CPL; #GP(0) while IA32_SYSENTER_CS is 0 (SDM vol. 2, "
		"SYSENTER); #UD in 64-bit mode on the AMD-like virtual CPU "
		"(AMD APM vol. 3, SYSENTER)" },
	{ X86_INS_INT3, "int3", INNO, 0,
		"#BP as a trap at CPL 3 through vector 3's gate, which "
		"kernels give DPL 3 (SDM vol. 2, INT n/INTO/INT3/INT1)" },
	{ X86_INS_INT1, "int1", INNO, 0,
		"#DB as a trap at any CPL, with no gate DPL check (SDM "
		"vol. 2, INT n/INTO/INT3/INT1)" },
	{ X86_INS_UD2, "ud2", INNO, 0,
		"#UD at any CPL (SDM vol. 2, UD)" },
	{ X86_INS_INTO, "into", INNO, 0,
		"#OF as a trap when OF = 1, through vector 4's gate, which "
		"kernels give DPL 3 as they do vector 3's; #UD in 64-bit "
		"mode (SDM vol. 2, INT n/INTO/INT3/INT1)" },
	{ X86_INS_BOUND, "bound", INNO, 0,
		"#BR (an exception: no gate DPL check) when the index is out "
		"of bounds, at any CPL; #UD in 64-bit mode (SDM vol. 2, "
		"BOUND)" },

	/* --- innocuous legacy instructions of 16- and 32-bit code: they
	 * touch only registers and the stack, and are #UD in 64-bit mode */
	{ X86_INS_PUSHAL, "pushad", INNO, 0,
		"pushes the eight general registers (SDM vol. 2, "
		"PUSHA/PUSHAD)" },
	{ X86_INS_PUSHAW, "pusha", INNO, 0,
		"pushes the eight 16-bit general registers (SDM vol. 2, "
		"PUSHA/PUSHAD)" },
	{ X86_INS_POPAL, "popad", INNO, 0,
		"pops the general registers, ESP skipped (SDM vol. 2, "
		"POPA/POPAD)" },
	{ X86_INS_POPAW, "popa", INNO, 0,
		"pops the 16-bit general registers, SP skipped (SDM vol. 2, "
		"POPA/POPAD)" },
	{ X86_INS_ARPL, "arpl", INNO, 0,
		"raises a selector's RPL to another's: arithmetic on two "
		"operands, whatever the CPL; 63 is movsxd in 64-bit mode "
		"(SDM vol. 2, ARPL)" },
	{ X86_INS_AAA, "aaa", INNO, 0,
		"ASCII adjust of AL and AH after addition (SDM vol. 2, AAA)" },
	{ X86_INS_AAS, "aas", INNO, 0,
		"ASCII adjust of AL and AH after subtraction (SDM vol. 2, "
		"AAS)" },
	{ X86_INS_DAA, "daa", INNO, 0,
		"decimal adjust of AL after addition (SDM vol. 2, DAA)" },
	{ X86_INS_DAS, "das", INNO, 0,
		"decimal adjust of AL after subtraction (SDM vol. 2, DAS)" },
	{ X86_INS_AAM, "aam", INNO, 0,
		"AH, AL = AL / imm8, AL % imm8; #DE for imm8 = 0, at any CPL "
		"(SDM vol. 2, AAM)" },
	{ X86_INS_AAD, "aad", INNO, 0,
		"AL = AH * imm8 + AL, AH = 0 (SDM vol. 2, AAD)" },

	/* --- the rest ------------------------------------------------ */
	{ 0, "everything else", INNO, 0,
		"runs the same at every CPL and touches only registers and "
		"memory the guest owns" },
};

const unsigned pg_table_len = sizeof(pg_table) / sizeof(pg_table[0]);

#define PG_REST (&pg_table[pg_table_len - 1])

/* ------------------------------------------------------------------
 * Choosing the row.
 */

static bool pg_is_cr(x86_reg r)
{
	return r >= X86_REG_CR0 && r <= X86_REG_CR15;
}

static bool pg_is_dr(x86_reg r)
{
	return r >= X86_REG_DR0 && r <= X86_REG_DR15;
}

static bool pg_is_sreg(x86_reg r)
{
	return r == X86_REG_CS || r == X86_REG_DS || r == X86_REG_ES ||
	       r == X86_REG_FS || r == X86_REG_GS || r == X86_REG_SS;
}

/* The register of operand i, or X86_REG_INVALID if it is not one. */
static x86_reg pg_reg(const struct insn *in, int i)
{
	if (i >= in->x86.op_count || in->x86.operands[i].type != X86_OP_REG)
		return X86_REG_INVALID;
	return in->x86.operands[i].reg;
}

static bool pg_is_int_3(const struct insn *in)
{
	const cs_x86_op *op = &in->x86.operands[0];

	return in->x86.op_count == 1 && op->type == X86_OP_IMM &&
	       op->imm == T_BP;
}

/* mov: operand 0 is the destination, operand 1 the source. */
static const struct pg_entry *pg_classify_mov(const struct insn *in)
{
	/* LAB 1 BEGIN: pg_classify_mov: the form of mov, by operand (task 3) */
	x86_reg dst = pg_reg(in, 0), src = pg_reg(in, 1);

	if (pg_is_cr(dst))
		return &pg_table[PGF_MOV_TO_CR];
	if (pg_is_cr(src))
		return &pg_table[PGF_MOV_FROM_CR];
	if (pg_is_dr(dst))
		return &pg_table[PGF_MOV_TO_DR];
	if (pg_is_dr(src))
		return &pg_table[PGF_MOV_FROM_DR];
	if (pg_is_sreg(dst))
		return &pg_table[PGF_MOV_TO_SREG];
	if (pg_is_sreg(src))
		return &pg_table[PGF_MOV_FROM_SREG];
	return PG_REST;
	/* LAB 1 END; hole: static bool said; lab_note(&said, 1,
	 * "pg_classify_mov"); (void)in; (void)pg_is_cr; (void)pg_is_dr;
	 * return PG_REST; */
}

/*
 * The row of a single-form instruction, by Capstone id: the first row
 * past the forms with that id.  A search of the table cost a syscall's
 * or a sysret's trap nearly 300 host instructions on every trap (their
 * rows are near the end), so the rows are indexed by id once, at the
 * first look: pg_row_of[id] is the row's index, 0 for none (the forms
 * come first, so no single-form row has index 0).
 */
#define PG_IDS (ISA_INS_RDPID + 1)
_Static_assert(sizeof(pg_table) / sizeof(pg_table[0]) <= UINT8_MAX,
	       "pg_row_of holds a row's index in a byte");
static uint8_t pg_row_of[PG_IDS];
static bool pg_rows_indexed;

static void pg_index_rows(void)
{
	/* From the end, so that the first row of an id is the one kept. */
	for (unsigned i = pg_table_len - 1; i-- > PGF_NFORMS;)
		if (pg_table[i].id < PG_IDS)
			pg_row_of[pg_table[i].id] = (uint8_t)i;
	pg_rows_indexed = true;
}

static const struct pg_entry *pg_lookup(unsigned id)
{
	if (!pg_rows_indexed)
		pg_index_rows();
	if (id >= PG_IDS || pg_row_of[id] == 0)
		return PG_REST;
	return &pg_table[pg_row_of[id]];
}

const struct pg_entry *pg_classify(const struct insn *in)
{
	switch (in->id) {
	case X86_INS_MOV:
		return pg_classify_mov(in);
	case X86_INS_POP:
		if (pg_reg(in, 0) == X86_REG_SS)
			return &pg_table[PGF_POP_SS];
		return pg_is_sreg(pg_reg(in, 0)) ? &pg_table[PGF_POP_SREG]
						 : PG_REST;
	case X86_INS_PUSH:
		return pg_is_sreg(pg_reg(in, 0)) ? &pg_table[PGF_PUSH_SREG]
						 : PG_REST;
	case X86_INS_INT:
		/* int 3 (CD 03) goes through vector 3's gate, as int3 does. */
		return pg_is_int_3(in) ? pg_lookup(X86_INS_INT3)
				       : pg_lookup(X86_INS_INT);
	default:
		return pg_lookup(in->id);
	}
}

const char *pg_class_name(enum pg_class c)
{
	switch (c) {
	case PG_INNOCUOUS:
		return "innocuous";
	case PG_PRIVILEGED:
		return "privileged";
	case PG_SENSITIVE_UNPRIVILEGED:
		return "sensitive-unprivileged";
	}
	return "?";
}
