/*
 * interp/syscall.c - the fast system-call pairs: syscall / sysretq in
 * 64-bit mode, sysenter / sysexit in protected mode.
 *
 * syscall enters the kernel without the IDT: CS and SS come from STAR,
 * RIP from LSTAR, and RFLAGS is masked by SFMASK; the return address and
 * flags are left in RCX and R11.  sysretq undoes it.  Neither checks
 * descriptors: the segments get fixed flat values, which is what makes
 * them fast - and why the kernel must lay out its GDT to match STAR.
 *
 *   STAR  63        48 47        32 31                 0
 *        +------------+------------+--------------------+
 *        | sysret CS  | syscall CS |  (32-bit target)   |
 *        +------------+------------+--------------------+
 *   syscall: CS = STAR[47:32],        SS = STAR[47:32] + 8
 *   sysretq: CS = STAR[63:48] + 16|3, SS = STAR[63:48] + 8|3
 *
 * Both change the CPL, so the shadow page tables switch views.
 */
#include "interp/internal.h"
#include "core/lab.h"

/* RFLAGS bits sysret restores from R11 (the rest are fixed or cleared). */
#define SYSRET_FLAGS 0x3c7fd7UL

#define TYPE(t) ((uint64_t)(t) << DESC_TYPE_SHIFT)
#define DPL(d) ((uint64_t)(d) << DESC_DPL_SHIFT)
/* The flat segments syscall and sysret load, as descriptor bits. */
#define FLAT_CODE64 (TYPE(DESC_TYPE_CODE | DESC_TYPE_RW | DESC_TYPE_ACCESSED) \
		     | DESC_S | DESC_P | DESC_L | DESC_G)
#define FLAT_DATA (TYPE(DESC_TYPE_RW | DESC_TYPE_ACCESSED) | DESC_S | \
		   DESC_P | DESC_DB | DESC_G)

/* Load a flat segment (base 0, limit 4 GiB) with descriptor bits desc. */
static void load_flat(struct vcpu_segment *s, uint16_t sel, uint64_t desc)
{
	s->selector = sel;
	s->base = 0;
	s->limit = 0xffffffff;
	s->attr = (uint16_t)(desc >> 40);
}

/*T:440 syscall: needs EFER.SCE; works at any CPL and always enters CPL 0.
 * A CPL change is a change of shadow view: supervisor pages appear.
 * Outside 64-bit mode it is #UD, as on Intel (32-bit kernels use
 * sysenter or int n).
 */
void interp_syscall(struct vm *vm, const struct insn *in)
{
	if (cpu_mode(&vm->vcpu) != CPU_LONG) {
		interp_ud(vm);
		return;
	}
	/* LAB 3 BEGIN: interp_syscall: enter the kernel at LSTAR (task 3) */
	struct vcpu *v = &vm->vcpu;
	uint16_t cs = (uint16_t)(v->star >> 32) & ~SEL_RPL_MASK;

	if (!(v->efer & EFER_SCE)) {
		interp_ud(vm);
		return;
	}
	v->regs[GPR_RCX] = in->rip + in->size;
	v->regs[GPR_R11] = v->rflags;
	v->rflags = ((v->rflags & ~v->sfmask) & ~FL_RF) | FL_FIXED1;
	load_flat(&v->seg[SEG_CS], cs, FLAT_CODE64 | DPL(0));
	load_flat(&v->seg[SEG_SS], (uint16_t)(cs + 8), FLAT_DATA | DPL(0));
	v->rip = v->lstar;
	interp_set_cpl(vm, CPL_KERNEL);
	interp_report_jump(vm, "IA32_LSTAR");
	/* LAB 3 END; hole: lab_todo(vm, 3, "interp_syscall"); (void)in; */
}

/*
 * sysretq: back to 64-bit user code at RCX with RFLAGS from R11.  A
 * non-canonical RCX is #GP(0) *at CPL 0*, on the kernel's stack (the
 * Intel behaviour behind CVE-2012-0217), so it is checked before anything
 * changes.  The 32-bit form returns to compatibility mode, which this
 * monitor does not emulate.  Outside 64-bit mode sysret is #UD, as
 * syscall is.
 */
void interp_sysret(struct vm *vm, const struct insn *in)
{
	if (cpu_mode(&vm->vcpu) != CPU_LONG) {
		interp_ud(vm);
		return;
	}
	/* LAB 3 BEGIN: interp_sysret: back to user mode (task 3) */
	struct vcpu *v = &vm->vcpu;
	uint16_t base = (uint16_t)(v->star >> 48);

	if (!(v->efer & EFER_SCE)) {
		interp_ud(vm);
		return;
	}
	if (!interp_require_cpl0(vm))
		return;
	if (!(in->x86.rex & INSN_REX_W)) {
		vm_kill_at(vm, VM_EXIT_TRIPLE_FAULT, vm->vcpu.rip, "sysret "
			   "to compatibility mode is not supported");
		return;
	}
	if (!x86_canonical(v->regs[GPR_RCX])) {
		interp_gp(vm, 0);
		return;
	}
	v->rip = v->regs[GPR_RCX];
	v->rflags = (v->regs[GPR_R11] & SYSRET_FLAGS) | FL_FIXED1;
	load_flat(&v->seg[SEG_CS], (uint16_t)((base + 16) | CPL_USER),
		  FLAT_CODE64 | DPL(CPL_USER));
	load_flat(&v->seg[SEG_SS], (uint16_t)((base + 8) | CPL_USER),
		  FLAT_DATA | DPL(CPL_USER));
	interp_set_cpl(vm, CPL_USER);
	interp_report_jump(vm, "rcx");
	/* LAB 3 END; hole: lab_todo(vm, 3, "interp_sysret"); (void)in;
	 * (void)load_flat; */
}

/* ------------------------------------------------- sysenter, sysexit */

/*
 * sysenter and sysexit, the 32-bit fast pair: IA32_SYSENTER_CS names four
 * consecutive GDT slots the segments are derived from, without reading
 * them (SDM vol. 2, SYSENTER and SYSEXIT):
 *
 *   sysenter: CS = SYSENTER_CS,            SS = SYSENTER_CS + 8,
 *             EIP = SYSENTER_EIP,          ESP = SYSENTER_ESP, CPL 0
 *   sysexit:  CS = (SYSENTER_CS + 16) | 3, SS = (SYSENTER_CS + 24) | 3,
 *             EIP = EDX,                   ESP = ECX, CPL 3
 *
 * In IA-32e mode the virtual CPU follows AMD, where both are #UD (Intel
 * allows them; a 64-bit kernel uses syscall).
 */
#define FLAT_CODE32 (TYPE(DESC_TYPE_CODE | DESC_TYPE_RW | DESC_TYPE_ACCESSED) \
		     | DESC_S | DESC_P | DESC_DB | DESC_G)

/* #UD in IA-32e mode, #GP(0) without a SYSENTER_CS (and in real mode). */
static bool sysenter_usable(struct vm *vm)
{
	const struct vcpu *v = &vm->vcpu;

	if (v->efer & EFER_LMA) {
		interp_ud(vm);
		return false;
	}
	if (cpu_mode(v) == CPU_REAL || (v->sysenter_cs & 0xfffc) == 0) {
		interp_gp(vm, 0);
		return false;
	}
	return true;
}

void interp_sysenter(struct vm *vm, const struct insn *in)
{
	struct vcpu *v = &vm->vcpu;
	uint16_t cs = (uint16_t)v->sysenter_cs & ~SEL_RPL_MASK;

	(void)in;
	if (!sysenter_usable(vm))
		return;
	v->rflags &= ~(FL_VM | FL_IF | FL_RF);
	load_flat(&v->seg[SEG_CS], cs, FLAT_CODE32 | DPL(0));
	load_flat(&v->seg[SEG_SS], (uint16_t)(cs + 8), FLAT_DATA | DPL(0));
	v->rip = (uint32_t)v->sysenter_eip;
	v->regs[GPR_RSP] = (uint32_t)v->sysenter_esp;
	interp_set_cpl(vm, CPL_KERNEL);
	interp_report_jump(vm, "IA32_SYSENTER_EIP");
}

/* sysexit: back to 32-bit user code; privileged (#GP(0) above CPL 0). */
void interp_sysexit(struct vm *vm, const struct insn *in)
{
	struct vcpu *v = &vm->vcpu;
	uint16_t base = (uint16_t)v->sysenter_cs;

	(void)in;
	if (!sysenter_usable(vm) || !interp_require_cpl0(vm))
		return;
	load_flat(&v->seg[SEG_CS], (uint16_t)((base + 16) | CPL_USER),
		  FLAT_CODE32 | DPL(CPL_USER));
	load_flat(&v->seg[SEG_SS], (uint16_t)((base + 24) | CPL_USER),
		  FLAT_DATA | DPL(CPL_USER));
	v->rip = (uint32_t)v->regs[GPR_RDX];
	v->regs[GPR_RSP] = (uint32_t)v->regs[GPR_RCX];
	interp_set_cpl(vm, CPL_USER);
	interp_report_jump(vm, "rdx");
}
