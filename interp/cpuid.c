/*
 * interp/cpuid.c - the virtual machine's CPUID.
 *
 * CPUID is how software learns what the processor is and has.  It does not
 * trap at ring 3 unless CPUID faulting is on (--isa=x86,cpuid-fault, or
 * --isa=strict), so under plain --isa=x86 both softcpu and native show the
 * host's own answer - one more sensitive-unprivileged instruction - and
 * where it traps, this file answers for the virtual CPU.  The
 * values describe a modest 64-bit CPU with nothing the monitor does not
 * emulate: the "TrapvisorVMM" vendor, no RDTSCP, no XSAVE, no PCID, no
 * FSGSBASE.  A 32-bit kernel finds what it looks for in leaf 1: PSE and
 * PAE (2-level paging with 4 MiB pages, and PAE paging), PGE, the APIC,
 * and SEP (sysenter and sysexit, emulated in protected mode).  The values
 * are the same on every engine (see isa/CONTRACT.md).
 */
#include <string.h>

#include "interp/internal.h"

#define CPUID_MAX_BASIC 0xd
#define CPUID_MAX_EXTENDED 0x80000008U
#define CPUID_HV_BASE 0x40000000U     /* the hypervisor leaves */

/* Family 6, model 0x2a (extended model 2, model 0xa), stepping 7. */
#define CPUID_1_SIGNATURE 0x000206a7U
/* EBX: one logical processor (bits 23:16), clflush 8 quadwords (15:8). */
#define CPUID_1_EBX ((1U << 16) | (8U << 8))

#define CPUID_1_EDX_FEATURES (CPUID_1_EDX_FPU | CPUID_1_EDX_PSE |          \
			      CPUID_1_EDX_TSC | CPUID_1_EDX_MSR |          \
			      CPUID_1_EDX_PAE | CPUID_1_EDX_CX8 |          \
			      CPUID_1_EDX_APIC | CPUID_1_EDX_SEP |         \
			      CPUID_1_EDX_PGE | CPUID_1_EDX_CMOV |         \
			      CPUID_1_EDX_PAT | CPUID_1_EDX_FXSR |         \
			      CPUID_1_EDX_SSE | CPUID_1_EDX_SSE2)
/*
 * The leaf-1 ECX bits of the local APIC's optional modes: the APIC model
 * (devices/lapic.c) has x2APIC mode (bit 21) and the TSC-deadline timer
 * (bit 24).  (EDX.APIC, the xAPIC itself, is in CPUID_1_EDX_FEATURES.)
 */
#define CPUID_1_ECX_X2APIC (1U << 21)
#define CPUID_1_ECX_TSC_DEADLINE (1U << 24)
#define CPUID_1_ECX_APIC_MODES (CPUID_1_ECX_X2APIC | CPUID_1_ECX_TSC_DEADLINE)
#define CPUID_1_ECX_FEATURES (CPUID_1_ECX_CX16 | CPUID_1_ECX_POPCNT |      \
			      CPUID_1_ECX_HYPERVISOR | CPUID_1_ECX_APIC_MODES)
#define CPUID_80000001_EDX_FEATURES (CPUID_80000001_EDX_SYSCALL |          \
				     CPUID_80000001_EDX_NX |               \
				     CPUID_80000001_EDX_PDPE1GB |          \
				     CPUID_80000001_EDX_LM)
/* 39 physical address bits, 48 linear (bits 15:8). */
#define CPUID_80000008_EAX (X86_MAXPHYADDR | (X86_LINEAR_BITS << 8))

static const char signature[12] = { 'T', 'r', 'a', 'p', 'v', 'i', 's', 'o',
				    'r', 'V', 'M', 'M' };

/*
 * "TrapvisorVMM" in three registers.  Leaf 0 spells the vendor in EBX,
 * EDX, ECX (as "GenuineIntel" is); the hypervisor leaf 0x40000000 in EBX,
 * ECX, EDX (as KVM's "KVMKVMKVM" is).
 */
static void spell(uint32_t *first, uint32_t *second, uint32_t *third)
{
	memcpy(first, signature, 4);
	memcpy(second, signature + 4, 4);
	memcpy(third, signature + 8, 4);
}

/*
 * UMIP is the guest's promise to its own user code that sgdt, sidt, sldt,
 * smsw and str fault there (SDM vol. 3A, 2.5, CR4.UMIP).  The guest's user
 * code runs at the real CPL 3 like its kernel, so the monitor can keep that
 * promise only if those instructions trap at the real CPL 3: the real
 * CPU's UMIP (--isa=x86,umip) or the strict ISA.  Then interp/desc.c and
 * interp_smsw() see the trap, the virtual CPL 3 and CR4.UMIP, and give the
 * guest its #GP(0).  Without that, the virtual CPU does not offer UMIP
 * (KVM likewise offers it only where the host has UMIP or can exit on
 * descriptor-table instructions).
 */
bool interp_vcpu_has_umip(const struct vm *vm)
{
	return vm->opt.isa == ISA_STRICT || (vm->opt.isa_hw & ISA_HW_UMIP);
}

/* Leaves 0..0xd. */
static void basic_leaf(const struct vm *vm, uint32_t leaf, uint32_t subleaf,
		       uint32_t out[4])
{
	const struct vcpu *v = &vm->vcpu;

	switch (leaf) {
	case 0:
		out[0] = CPUID_MAX_BASIC;
		spell(&out[1], &out[3], &out[2]); /* EBX, EDX, ECX */
		break;
	case 1:
		out[0] = CPUID_1_SIGNATURE;
		out[1] = CPUID_1_EBX;
		out[2] = CPUID_1_ECX_FEATURES |
			 ((v->cr4 & CR4_OSXSAVE) ? CPUID_1_ECX_OSXSAVE : 0);
		out[3] = CPUID_1_EDX_FEATURES;
		break;
	case 7:
		/* Subleaf 0 only; EAX = 0 says there are no more. */
		if (subleaf == 0 && (v->cr4 & CR4_PKE))
			out[2] = CPUID_7_ECX_OSPKE;
		if (subleaf == 0 && interp_vcpu_has_umip(vm))
			out[2] |= CPUID_7_ECX_UMIP;
		break;
	default:
		break; /* leaves the CPU does not describe: zeros */
	}
}

/* Leaves 0x80000000..0x80000008. */
static void extended_leaf(uint32_t leaf, uint32_t out[4])
{
	switch (leaf) {
	case 0x80000000U:
		out[0] = CPUID_MAX_EXTENDED;
		break;
	case 0x80000001U:
		out[2] = CPUID_80000001_ECX_LAHF;
		out[3] = CPUID_80000001_EDX_FEATURES;
		break;
	case 0x80000008U:
		out[0] = CPUID_80000008_EAX;
		break;
	default:
		break;
	}
}

void interp_cpuid_values(const struct vm *vm, uint32_t leaf, uint32_t subleaf,
			 uint32_t out[4])
{
	out[0] = out[1] = out[2] = out[3] = 0;
	if (leaf <= CPUID_MAX_BASIC) {
		basic_leaf(vm, leaf, subleaf, out);
	} else if (leaf == CPUID_HV_BASE) {
		out[0] = CPUID_HV_BASE; /* the highest hypervisor leaf */
		spell(&out[1], &out[2], &out[3]); /* EBX, ECX, EDX */
	} else if (leaf >= 0x80000000U && leaf <= CPUID_MAX_EXTENDED) {
		extended_leaf(leaf, out);
	}
}

/* cpuid: EAX (leaf) and ECX (subleaf) in; EAX, EBX, ECX, EDX out. */
void interp_cpuid(struct vm *vm, const struct insn *in)
{
	struct vcpu *v = &vm->vcpu;
	struct interp_effect e = { .kind = EFFECT_CPUID,
		.reg = (uint32_t)v->regs[GPR_RAX],
		.limit = (uint32_t)v->regs[GPR_RCX] };
	uint32_t *out = e.out;

	interp_cpuid_values(vm, e.reg, e.limit, out);
	interp_report(vm, &e);
	v->regs[GPR_RAX] = out[0];
	v->regs[GPR_RBX] = out[1];
	v->regs[GPR_RCX] = out[2];
	v->regs[GPR_RDX] = out[3];
	interp_advance(vm, in);
}
