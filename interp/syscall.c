/*
 * interp/syscall.c - the fast system-call pair syscall / sysretq (and the
 * sysenter / sysexit pair, absent in this CPU's long mode).
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
 */
void interp_syscall(struct vm *vm, const struct insn *in)
{
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
	/* LAB 3 END; hole: lab_todo(vm, 3, "interp_syscall"); (void)in; */
}

/*
 * sysretq: back to 64-bit user code at RCX with RFLAGS from R11.  A
 * non-canonical RCX is #GP(0) *at CPL 0*, on the kernel's stack (the
 * Intel behaviour behind CVE-2012-0217), so it is checked before anything
 * changes.  The 32-bit form returns to compatibility mode, which this
 * monitor cannot run.
 */
void interp_sysret(struct vm *vm, const struct insn *in)
{
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
		vm_kill(vm, VM_EXIT_TRIPLE_FAULT, "sysret to compatibility "
			"mode is not supported");
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
	/* LAB 3 END; hole: lab_todo(vm, 3, "interp_sysret"); (void)in;
	 * (void)load_flat; */
}

/*
 * sysenter and sysexit: the virtual CPU follows AMD here, where both are
 * #UD in long mode (Intel allows them; a 64-bit kernel uses syscall).
 */
void interp_sysenter(struct vm *vm, const struct insn *in)
{
	(void)in;
	interp_ud(vm);
}

void interp_sysexit(struct vm *vm, const struct insn *in)
{
	(void)in;
	interp_ud(vm);
}
