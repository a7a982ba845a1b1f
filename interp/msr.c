/*
 * interp/msr.c - model-specific registers: rdmsr and wrmsr.
 *
 * ECX names the MSR; EDX:EAX holds its value.  Both instructions are
 * privileged.  The virtual CPU implements the MSRs a 64-bit kernel needs
 * (EFER, the syscall MSRs, the segment bases, the TSC, APIC base, PAT,
 * SYSENTER_*), and the local APIC's: its x2APIC registers (0x800-0x8ff,
 * in x2APIC mode only) and IA32_TSC_DEADLINE, which devices/lapic.c
 * answers; any other MSR, or a value with a reserved bit set, is #GP(0),
 * as the hardware answers.
 */
#include <time.h>

#include "interp/internal.h"
#include "core/clock.h"
#include "core/lab.h"
#include "devices/devices.h"
#include "shadowpt/shadowpt.h"

/* EFER bits the virtual CPU implements; LMA is the CPU's to set. */
#define EFER_WRITABLE (EFER_SCE | EFER_LME | EFER_NXE)
/* APIC base: BSP (read-only), EN, EXTD, and the base below MAXPHYADDR. */
#define APIC_BASE_ADDR_MASK (((1ULL << X86_MAXPHYADDR) - 1) & PAGE_4K_MASK)
#define APIC_BASE_WRITABLE (APIC_BASE_ENABLE | APIC_BASE_EXTD |            \
			    APIC_BASE_ADDR_MASK)

/*
 * A write to EFER: reserved bits, or LME changed while paging is on, is
 * #GP(0).  LMA is read-only (writes of it are ignored); NXE changes what
 * the guest's page tables mean, so the shadows go.
 */
static bool write_efer(struct vm *vm, uint64_t val)
{
	struct vcpu *v = &vm->vcpu;
	uint64_t old = v->efer;

	if (val & ~(EFER_WRITABLE | EFER_LMA))
		return false;
	if (((val ^ old) & EFER_LME) && (v->cr0 & CR0_PG))
		return false;
	v->efer = (val & EFER_WRITABLE) | (old & EFER_LMA);
	if ((old ^ v->efer) & EFER_NXE)
		shadowpt_flush_all(vm);
	return true;
}

/* Each of the eight PAT entries must be a defined memory type. */
static bool pat_valid(uint64_t pat)
{
	for (unsigned i = 0; i < 8; i++) {
		unsigned type = (unsigned)(pat >> (8 * i)) & 0xff;

		if (type != PAT_UC && type != PAT_WC && type != PAT_WT &&
		    type != PAT_WP && type != PAT_WB && type != PAT_UC_MINUS)
			return false;
	}
	return true;
}

/* IA32_APIC_BASE: reserved bits, or a mode change the SDM forbids
 * (x2APIC straight back to xAPIC, ...), are #GP(0). */
static bool write_apic_base(struct vm *vm, uint64_t val)
{
	struct vcpu *v = &vm->vcpu;
	uint64_t old = v->apic_base;

	if (val & ~(APIC_BASE_WRITABLE | APIC_BASE_BSP))
		return false;
	if (!devices_apic_base_allowed(vm, val))
		return false;
	v->apic_base = (val & APIC_BASE_WRITABLE) | (old & APIC_BASE_BSP);
	devices_apic_base_written(vm, old);
	return true;
}

/*
 * IA32_TSC_DEADLINE: the LAPIC timer fires when the guest's TSC reaches
 * val.  The TSC ticks are turned into virtual time at the TSC's rate from
 * now on (under --icount one tick is one ns of virtual time: interp/time.c).
 */
static void write_tsc_deadline(struct vm *vm, uint64_t val)
{
	uint64_t tsc = interp_guest_tsc(vm);
	uint64_t ahead = val > tsc ? val - tsc : 0;
	unsigned __int128 ns = (unsigned __int128)ahead * 1000000000ULL /
			       interp_tsc_hz(vm);
	uint64_t now = clock_now(vm);

	devices_set_tsc_deadline(vm, val, ns >= CLOCK_NEVER - now ?
				 CLOCK_NEVER - 1 : now + (uint64_t)ns);
}

/* Store a canonical address in *slot; false (#GP) otherwise. */
static bool write_address(uint64_t *slot, uint64_t val)
{
	if (!x86_canonical(val))
		return false;
	*slot = val;
	return true;
}

/* Store a value whose bits 63:32 are reserved. */
static bool write_low32(uint64_t *slot, uint64_t val)
{
	if (val >> 32)
		return false;
	*slot = val;
	return true;
}

/* Write MSR msr; false when it does not exist or val is not allowed. */
static bool msr_write(struct vm *vm, uint32_t msr, uint64_t val)
{
	struct vcpu *v = &vm->vcpu;

	switch (msr) {
	case MSR_EFER:           return write_efer(vm, val);
	case MSR_STAR:           v->star = val; return true;
	case MSR_LSTAR:          return write_address(&v->lstar, val);
	case MSR_CSTAR:          return write_address(&v->cstar, val);
	case MSR_SFMASK:         return write_low32(&v->sfmask, val);
	case MSR_FS_BASE:        return write_address(&v->seg[SEG_FS].base,
						      val);
	case MSR_GS_BASE:        return write_address(&v->seg[SEG_GS].base,
						      val);
	case MSR_KERNEL_GS_BASE: return write_address(&v->kernel_gs_base, val);
	case MSR_TSC_AUX:        return write_low32(&v->tsc_aux, val);
	case MSR_IA32_TSC:       interp_set_guest_tsc(vm, val); return true;
	case MSR_IA32_APIC_BASE: return write_apic_base(vm, val);
	case MSR_IA32_TSC_DEADLINE: write_tsc_deadline(vm, val); return true;
	case MSR_IA32_PAT:
		if (!pat_valid(val))
			return false;
		v->pat = val;
		return true;
	case MSR_IA32_SYSENTER_CS:  v->sysenter_cs = val; return true;
	case MSR_IA32_SYSENTER_ESP: return write_address(&v->sysenter_esp, val);
	case MSR_IA32_SYSENTER_EIP: return write_address(&v->sysenter_eip, val);
	case MSR_X2APIC_FIRST ... MSR_X2APIC_LAST:
		return devices_x2apic_msr(vm, msr, true, &val);
	default:
		return false;
	}
}

/* Read MSR msr into *val; false when it does not exist. */
static bool msr_read(struct vm *vm, uint32_t msr, uint64_t *val)
{
	const struct vcpu *v = &vm->vcpu;

	switch (msr) {
	case MSR_EFER:              *val = v->efer; break;
	case MSR_STAR:              *val = v->star; break;
	case MSR_LSTAR:             *val = v->lstar; break;
	case MSR_CSTAR:             *val = v->cstar; break;
	case MSR_SFMASK:            *val = v->sfmask; break;
	case MSR_FS_BASE:           *val = v->seg[SEG_FS].base; break;
	case MSR_GS_BASE:           *val = v->seg[SEG_GS].base; break;
	case MSR_KERNEL_GS_BASE:    *val = v->kernel_gs_base; break;
	case MSR_TSC_AUX:           *val = v->tsc_aux; break;
	case MSR_IA32_TSC:          *val = interp_guest_tsc(vm); break;
	case MSR_IA32_APIC_BASE:    *val = v->apic_base; break;
	case MSR_IA32_PAT:          *val = v->pat; break;
	case MSR_IA32_SYSENTER_CS:  *val = v->sysenter_cs; break;
	case MSR_IA32_SYSENTER_ESP: *val = v->sysenter_esp; break;
	case MSR_IA32_SYSENTER_EIP: *val = v->sysenter_eip; break;
	case MSR_IA32_TSC_DEADLINE: *val = devices_tsc_deadline(vm); break;
	case MSR_X2APIC_FIRST ... MSR_X2APIC_LAST:
		return devices_x2apic_msr(vm, msr, false, val);
	default:
		return false;
	}
	return true;
}

/* rdmsr: EDX:EAX = MSR[ECX], both zero-extended to 64 bits. */
void interp_rdmsr(struct vm *vm, const struct insn *in)
{
	/* LAB 2 BEGIN: interp_rdmsr: EDX:EAX = MSR[ECX] (task 4) */
	struct vcpu *v = &vm->vcpu;
	uint64_t val;

	if (!interp_require_cpl0(vm))
		return;
	if (!msr_read(vm, (uint32_t)v->regs[GPR_RCX], &val)) {
		interp_gp(vm, 0);
		return;
	}
	v->regs[GPR_RAX] = (uint32_t)val;
	v->regs[GPR_RDX] = val >> 32;
	interp_report(vm, &(struct interp_effect){ .kind = EFFECT_MSR,
		      .reg = (uint32_t)v->regs[GPR_RCX], .value = val });
	interp_advance(vm, in);
	/* LAB 2 END; hole: lab_todo(vm, 2, "interp_rdmsr"); (void)in;
	 * (void)msr_read; */
}

/* wrmsr: MSR[ECX] = EDX:EAX (the upper halves of RAX and RDX ignored). */
void interp_wrmsr(struct vm *vm, const struct insn *in)
{
	/* LAB 2 BEGIN: interp_wrmsr: MSR[ECX] = EDX:EAX (task 4) */
	struct vcpu *v = &vm->vcpu;
	uint64_t val = (v->regs[GPR_RDX] << 32) | (uint32_t)v->regs[GPR_RAX];

	if (!interp_require_cpl0(vm))
		return;
	if (!msr_write(vm, (uint32_t)v->regs[GPR_RCX], val)) {
		interp_gp(vm, 0);
		return;
	}
	interp_report(vm, &(struct interp_effect){ .kind = EFFECT_MSR,
		      .write = true, .reg = (uint32_t)v->regs[GPR_RCX],
		      .value = val });
	interp_advance(vm, in);
	/* LAB 2 END; hole: lab_todo(vm, 2, "interp_wrmsr"); (void)in;
	 * (void)msr_write; */
}

/*
 * The same MSRs for an engine whose CPU decoded rdmsr or wrmsr itself and
 * hands the monitor only the MSR's number and value (kvm, for the LAPIC's
 * MSRs): false is #GP(0), which that engine raises.
 */
bool interp_msr_read(struct vm *vm, uint32_t msr, uint64_t *val)
{
	return msr_read(vm, msr, val);
}

bool interp_msr_write(struct vm *vm, uint32_t msr, uint64_t val)
{
	return msr_write(vm, msr, val);
}
