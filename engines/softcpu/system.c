/*
 * engines/softcpu/system.c - what a CPL-3 program may not do, and the
 * sensitive instructions it may (isa/CONTRACT.md).
 *
 * Privileged instructions raise #GP(0), as they do at the real ring 3:
 * the dispatcher decodes them and Popek and Goldberg's interpreter
 * routines emulate them against the virtual CPU.
 *
 * Sensitive but unprivileged instructions do not fault on x86.  With
 * --isa=x86 softcpu executes them as the real ring-3 CPU would, showing
 * the real machine's state (host.c): that is the point, the guest can tell
 * it is not at ring 0.  With --isa=strict they raise #GP(0), as UMIP makes
 * sgdt and friends do, and the monitor emulates them faithfully; with
 * --isa=x86,umip or x86,cpuid-fault only the ones that hardware feature
 * covers do.  The selector instructions among them live in segment.c.
 */
#include "engines/softcpu/softcpu.h"
#include "core/vm.h"

/* Sensitive: in the strict ISA, #GP(0) so that the monitor emulates. */
static bool strict(const struct sc_cpu *c)
{
	return c->vm->opt.isa == ISA_STRICT;
}

/*
 * The real CPU's UMIP (--isa=x86,umip), which the monitor has turned on
 * for the guest: "CR4.UMIP = 1 and CPL > 0" makes sgdt, sidt, sldt, smsw
 * and str raise #GP(0) (SDM vol. 3A, 2.5 Control Registers, CR4.UMIP;
 * vol. 2, SGDT, "Protected Mode Exceptions").  The guest always runs at
 * the real CPL 3, so they always trap; the monitor answers them from the
 * virtual CPU (interp/desc.c, interp/cr.c), as under strict.
 */
static bool umip_traps(const struct sc_cpu *c)
{
	return strict(c) || (c->vm->opt.isa_hw & ISA_HW_UMIP);
}

/*
 * The real CPU's CPUID faulting (--isa=x86,cpuid-fault): with bit 0 of
 * MSR_MISC_FEATURES_ENABLES (0x140) set, cpuid at CPL > 0 raises #GP(0);
 * bit 31 of MSR_PLATFORM_INFO (0xce) says the CPU has it (Intel,
 * Virtualization Technology FlexMigration application note, 2.3.2; SDM
 * vol. 4, the model-specific MSRs of Ivy Bridge and later).  The monitor
 * answers from the virtual CPU's CPUID (interp/cpuid.c).
 */
static bool cpuid_traps(const struct sc_cpu *c)
{
	return strict(c) || (c->vm->opt.isa_hw & ISA_HW_CPUID_FAULT);
}

/*T:115 Where a trap is born.  The guest kernel's cli, hlt, in, out, lgdt, mov
 * to CR3 and every other privileged instruction reach this handler
 * (decode.c's opcode table points them here).  At CPL 3 a real CPU refuses
 * them with #GP(0), and so does softcpu: sc_gp() fills the struct vm_exit
 * with EXIT_EXCEPTION, vector 13, error code 0 and the instruction's RIP,
 * and the engine returns.  The instruction has not run and RIP still
 * points at it: the dispatcher will decode it there (stop 310).
 */
int op_priv(struct sc_cpu *c, const struct sc_insn *d)
{
	(void)d;
	return sc_gp(c, 0);
}

/* int3: #BP is a trap, RIP after the instruction. */
int op_int3(struct sc_cpu *c, const struct sc_insn *d)
{
	(void)d;
	return sc_trap(c, T_BP);
}

int op_int1(struct sc_cpu *c, const struct sc_insn *d)
{
	(void)d;
	return sc_trap(c, T_DB);
}

/*
 * int n: the real IDT's gates have DPL 0 except vector 3's, so from CPL 3
 * "int n" faults with #GP(n * 8 + 2) (the IDT bit of the error code), and
 * "int 3" gives #BP like int3.
 */
int op_int(struct sc_cpu *c, const struct sc_insn *d)
{
	uint8_t n = (uint8_t)d->imm;

	if (n == T_BP)
		return sc_trap(c, T_BP);
	return sc_gp(c, (uint32_t)n * 8 + ERRC_IDT);
}

/* syscall: the monitor performs it (interp); RIP stays on it. */
int op_syscall(struct sc_cpu *c, const struct sc_insn *d)
{
	(void)d;
	c->exit->reason = EXIT_SYSCALL;
	c->exit->rip = c->v->rip;
	return SC_STOP;
}

/*
 * sysenter is #UD in IA-32e mode (64-bit and compatibility) on the
 * AMD-like model.  In protected mode the real CPU would enter the host's
 * kernel through its own SYSENTER MSRs; the monitor's machine keeps
 * IA32_SYSENTER_CS 0 there, which makes it #GP(0) (SDM vol. 2, SYSENTER):
 * the monitor then performs it against the guest's MSRs.
 */
int op_sysenter(struct sc_cpu *c, const struct sc_insn *d)
{
	(void)d;
	if (c->v->efer & EFER_LMA)
		return sc_ud(c);
	return sc_gp(c, 0);
}

/* 0F 00: sldt, str, lldt, ltr, verr, verw. */
int op_grp6(struct sc_cpu *c, const struct sc_insn *d)
{
	unsigned op = d->reg & 7;

	if (op == 2 || op == 3)
		return sc_gp(c, 0);          /* lldt, ltr */
	if (op > 5)
		return sc_ud(c);
	if (strict(c) || (op < 2 && umip_traps(c)))
		return sc_gp(c, 0);
	if (op >= 4)
		return sc_verify(c, d, op == 5);
	uint16_t x = op == 0 ? c->host.ldtr : c->host.tr;
	if (d->mod == 3) {
		sc_rset(c, d->rm, d->osz, x);
		return SC_OK;
	}
	return sc_write(c, sc_ea(c, d), 2, x, sc_acc(d, ACC_WRITE));
}

/* --------------------------------------------------- 0F 01: group 7 */

/*
 * sgdt/sidt m: the host's pseudo-descriptor, 10 bytes in 64-bit mode,
 * else 6: the limit and the base's low 32 bits (24 with a 16-bit operand
 * size, the top byte stored as 0).
 */
static int store_dtr(struct sc_cpu *c, const struct sc_insn *d,
		     const uint8_t *dtr)
{
	unsigned len = c->mode64 ? 10 : 6;
	uint8_t buf[10];
	struct sc_mem m;

	if (umip_traps(c))
		return sc_gp(c, 0);
	memcpy(buf, dtr, len);
	if (d->osz == 2 && !c->mode64)
		buf[5] = 0;
	if (sc_map(c, sc_ea(c, d), len, sc_acc(d, ACC_WRITE), &m))
		return SC_STOP;
	sc_mem_write_bytes(&m, buf, len);
	return SC_OK;
}

/* smsw: the host's CR0; 16 bits to memory. */
static int smsw(struct sc_cpu *c, const struct sc_insn *d)
{
	if (umip_traps(c))
		return sc_gp(c, 0);
	if (d->mod == 3) {
		sc_rset(c, d->rm, d->osz, c->host.msw);
		return SC_OK;
	}
	return sc_write(c, sc_ea(c, d), 2, c->host.msw,
			sc_acc(d, ACC_WRITE));
}

static int xgetbv(struct sc_cpu *c);
static int rdtscp(struct sc_cpu *c);

/* 0F 01 with a register operand: the instruction is in reg and rm. */
static int grp7_reg(struct sc_cpu *c, const struct sc_insn *d)
{
	unsigned op = d->reg & 7, rm = d->rm & 7;

	switch (op) {
	case 2:
		if (rm == 0)
			return xgetbv(c);
		return rm == 1 ? sc_gp(c, 0) : sc_ud(c);   /* xsetbv */
	case 4:
		return smsw(c, d);
	case 6:
		return sc_gp(c, 0);                        /* lmsw */
	case 7:
		if (rm == 0) /* swapgs, which only 64-bit mode has */
			return c->mode64 ? sc_gp(c, 0) : sc_ud(c);
		return rm == 1 ? rdtscp(c) : sc_ud(c);
	default:
		/* vmcall & co., monitor/mwait, clac/stac, SVM: #UD at CPL 3 */
		return sc_ud(c);
	}
}

int op_grp7(struct sc_cpu *c, const struct sc_insn *d)
{
	if (d->mod == 3)
		return grp7_reg(c, d);
	switch (d->reg & 7) {
	case 0:
		return store_dtr(c, d, c->host.gdtr);
	case 1:
		return store_dtr(c, d, c->host.idtr);
	case 4:
		return smsw(c, d);
	case 5:
		return sc_ud(c);
	default:
		return sc_gp(c, 0); /* lgdt, lidt, lmsw, invlpg */
	}
}

/* ------------------------------------------------ the host's answers */

static void set_edx_eax(struct sc_cpu *c, uint64_t x)
{
	c->regs[GPR_RAX] = (uint32_t)x;
	c->regs[GPR_RDX] = x >> 32;
}

int op_cpuid(struct sc_cpu *c, const struct sc_insn *d)
{
	uint32_t r[4];

	(void)d;
	if (cpuid_traps(c))
		return sc_gp(c, 0);
	sc_host_cpuid((uint32_t)c->regs[GPR_RAX], (uint32_t)c->regs[GPR_RCX],
		   r);
	c->regs[GPR_RAX] = r[0];
	c->regs[GPR_RBX] = r[1];
	c->regs[GPR_RCX] = r[2];
	c->regs[GPR_RDX] = r[3];
	return SC_OK;
}

int op_rdtsc(struct sc_cpu *c, const struct sc_insn *d)
{
	(void)d;
	if (strict(c))
		return sc_gp(c, 0);
	set_edx_eax(c, sc_host_rdtsc());
	return SC_OK;
}

static int rdtscp(struct sc_cpu *c)
{
	uint32_t aux = 0;
	uint64_t tsc;

	if (strict(c))
		return sc_gp(c, 0);
	if (!c->host.has_rdtscp)
		return sc_ud(c);
#if defined(__x86_64__)
	uint32_t lo, hi;
	__asm__ volatile("rdtscp" : "=a"(lo), "=d"(hi), "=c"(aux));
	tsc = (uint64_t)hi << 32 | lo;
#else
	tsc = sc_host_rdtsc();
#endif
	set_edx_eax(c, tsc);
	c->regs[GPR_RCX] = aux;
	return SC_OK;
}

/* F3 0F C7 /7 with a register: rdpid (without F3: rdseed, not offered). */
int op_rdpid(struct sc_cpu *c, const struct sc_insn *d)
{
	uint64_t aux = 0;

	if (d->mod != 3 || d->rep != SC_REP_E)
		return sc_ud(c);
	if (strict(c))
		return sc_gp(c, 0);
	if (!c->host.has_rdpid)
		return sc_ud(c);
#if defined(__x86_64__)
	__asm__ volatile("rdpid %0" : "=r"(aux));
#endif
	c->regs[d->rm] = aux;
	return SC_OK;
}

static int xgetbv(struct sc_cpu *c)
{
	uint32_t lo = 0, hi = 0, ecx = (uint32_t)c->regs[GPR_RCX];

	if (strict(c))
		return sc_gp(c, 0);
	if (!c->host.has_xgetbv)
		return sc_ud(c);
	if (ecx != 0)
		return sc_gp(c, 0);
#if defined(__x86_64__)
	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(ecx));
#endif
	set_edx_eax(c, (uint64_t)hi << 32 | lo);
	return SC_OK;
}

/*
 * F3 0F AE /0../3 with a register: rdfsbase, rdgsbase, wrfsbase,
 * wrgsbase, on the guest's FS/GS base (the real CR4.FSGSBASE is 1).
 * Without F3 these are fxsave & co.: softcpu has no x87/SSE state, #UD.
 * Outside 64-bit mode they are #UD too.
 */
int op_fsgsbase(struct sc_cpu *c, const struct sc_insn *d)
{
	unsigned sreg = (d->op & 1) ? SEG_GS : SEG_FS;
	unsigned sz = d->osz == 8 ? 8 : 4;

	if (d->mod != 3 || d->rep != SC_REP_E || !c->mode64)
		return sc_ud(c);
	if (strict(c))
		return sc_gp(c, 0);
	if (d->op < 2) {
		sc_rset(c, d->rm, sz, c->v->seg[sreg].base);
		return SC_OK;
	}
	uint64_t x = sc_rget(c, d->rm, sz);
	if (!x86_canonical(x))
		return sc_gp(c, 0);
	c->v->seg[sreg].base = x;
	return SC_OK;
}
