/*
 * interp/table.c - from a decoded instruction to its interpreter routine.
 *
 * Popek and Goldberg's dispatcher hands each trapping instruction to "its"
 * routine; here that is a table indexed by Capstone's instruction id.  One
 * id can cover forms that have nothing in common (mov: a plain move, a
 * move to CR3, a load of DS), so a few ids are refined by their operands.
 * An instruction with no routine (NULL) is not sensitive: the dispatcher
 * reflects its fault to the guest.
 */
#include "interp/internal.h"

static interp_fn *const by_id[X86_INS_ENDING] = {
	/* flags.c: the interrupt flag */
	[X86_INS_CLI] = interp_cli,
	[X86_INS_STI] = interp_sti,
	[X86_INS_PUSHF] = interp_pushf,
	[X86_INS_PUSHFD] = interp_pushf,
	[X86_INS_PUSHFQ] = interp_pushf,
	[X86_INS_POPF] = interp_popf,
	[X86_INS_POPFD] = interp_popf,
	[X86_INS_POPFQ] = interp_popf,
	/* io.c: port I/O */
	[X86_INS_IN] = interp_in,
	[X86_INS_OUT] = interp_out,
	[X86_INS_INSB] = interp_ins,
	[X86_INS_INSW] = interp_ins,
	[X86_INS_INSD] = interp_ins,
	[X86_INS_OUTSB] = interp_outs,
	[X86_INS_OUTSW] = interp_outs,
	[X86_INS_OUTSD] = interp_outs,
	/* cr.c: control registers */
	[X86_INS_CLTS] = interp_clts,
	[X86_INS_SMSW] = interp_smsw,
	[X86_INS_LMSW] = interp_lmsw,
	/* desc.c: descriptor tables */
	[X86_INS_LGDT] = interp_lgdt,
	[X86_INS_LIDT] = interp_lidt,
	[X86_INS_SGDT] = interp_sgdt,
	[X86_INS_SIDT] = interp_sidt,
	[X86_INS_LLDT] = interp_lldt,
	[X86_INS_LTR] = interp_ltr,
	[X86_INS_SLDT] = interp_sldt,
	[X86_INS_STR] = interp_str,
	[X86_INS_LAR] = interp_lar,
	[X86_INS_LSL] = interp_lsl,
	[X86_INS_VERR] = interp_verr,
	[X86_INS_VERW] = interp_verw,
	/* msr.c */
	[X86_INS_RDMSR] = interp_rdmsr,
	[X86_INS_WRMSR] = interp_wrmsr,
	/* tlb.c: translation and caches */
	[X86_INS_INVLPG] = interp_invlpg,
	[X86_INS_WBINVD] = interp_wbinvd,
	[X86_INS_INVD] = interp_wbinvd,
	[X86_INS_INVPCID] = interp_invpcid,
	/* cpuid.c, time.c */
	[X86_INS_CPUID] = interp_cpuid,
	[X86_INS_RDTSC] = interp_rdtsc,
	[X86_INS_RDTSCP] = interp_absent,
	[X86_INS_RDSEED] = interp_absent,
	[X86_INS_RDPMC] = interp_rdpmc,
	/* seg.c: segment registers */
	[X86_INS_SWAPGS] = interp_swapgs,
	[X86_INS_RDFSBASE] = interp_rdfsbase,
	[X86_INS_RDGSBASE] = interp_rdfsbase,
	[X86_INS_WRFSBASE] = interp_wrfsbase,
	[X86_INS_WRGSBASE] = interp_wrfsbase,
	[X86_INS_LDS] = interp_load_far,
	[X86_INS_LES] = interp_load_far,
	[X86_INS_LSS] = interp_load_far,
	[X86_INS_LFS] = interp_load_far,
	[X86_INS_LGS] = interp_load_far,
	/* hlt.c, xcr.c */
	[X86_INS_HLT] = interp_hlt,
	[X86_INS_XGETBV] = interp_xgetbv,
	[X86_INS_XSETBV] = interp_xsetbv,
	/* iret.c: far transfers */
	[X86_INS_IRET] = interp_iret,
	[X86_INS_IRETD] = interp_iret,
	[X86_INS_IRETQ] = interp_iret,
	[X86_INS_RETF] = interp_retf,
	[X86_INS_RETFQ] = interp_retf,
	[X86_INS_LJMP] = interp_ljmp,
	[X86_INS_LCALL] = interp_lcall,
	/* syscall.c */
	[X86_INS_SYSCALL] = interp_syscall,
	[X86_INS_SYSRET] = interp_sysret,
	[X86_INS_SYSENTER] = interp_sysenter,
	[X86_INS_SYSEXIT] = interp_sysexit,
	/* int.c */
	[X86_INS_INT] = interp_int,
	[X86_INS_INT3] = interp_int3,
	[X86_INS_INT1] = interp_int1,
};

static bool is_cr(x86_reg r)
{
	return r >= X86_REG_CR0 && r <= X86_REG_CR15;
}

static bool is_dr(x86_reg r)
{
	return r >= X86_REG_DR0 && r <= X86_REG_DR15;
}

static bool is_sreg(x86_reg r)
{
	return r == X86_REG_ES || r == X86_REG_CS || r == X86_REG_SS ||
	       r == X86_REG_DS || r == X86_REG_FS || r == X86_REG_GS;
}

/* Does operand i of in name a register that pred accepts? */
static bool op_is(const struct insn *in, unsigned i, bool (*pred)(x86_reg))
{
	return i < in->x86.op_count && in->x86.operands[i].type == X86_OP_REG &&
	       pred(in->x86.operands[i].reg);
}

/* mov: only the forms with a control, debug or segment register. */
static interp_fn *lookup_mov(const struct insn *in)
{
	if (op_is(in, 0, is_cr) || op_is(in, 1, is_cr))
		return interp_mov_cr;
	if (op_is(in, 0, is_dr) || op_is(in, 1, is_dr))
		return interp_mov_dr;
	if (op_is(in, 0, is_sreg) || op_is(in, 1, is_sreg))
		return interp_mov_sreg;
	return NULL;
}


/*T:400 The interpreter, Popek and Goldberg's third module: one routine per
 * sensitive instruction, found by Capstone's instruction id.  Each routine
 * does to the virtual CPU what the instruction would do to a real one -
 * privilege checks included - and either moves RIP on or raises the fault
 * the CPU would raise.
 */
interp_fn *interp_lookup(const struct insn *in)
{
	switch (in->id) {
	case X86_INS_MOV:
		return lookup_mov(in);
	case X86_INS_PUSH: /* of a segment register: FS and GS in 64-bit */
		return op_is(in, 0, is_sreg) ? interp_push_sreg : NULL;
	case X86_INS_POP:  /* mode, also SS, DS, ES (and push cs) elsewhere */
		return op_is(in, 0, is_sreg) ? interp_pop_sreg : NULL;
	case ISA_INS_RDPID: /* isa/decode.c's own id: Capstone 4 lacks one */
		return interp_absent;
	default:
		return in->id < X86_INS_ENDING ? by_id[in->id] : NULL;
	}
}
