/*
 * interp/xcr.c - extended control registers: xgetbv and xsetbv.
 *
 * XCR0 says which state components XSAVE manages.  The virtual CPU does
 * not advertise XSAVE, but the sensitive-instruction contract lets a guest
 * set CR4.OSXSAVE and use these two (the real machine under the softcpu
 * has OSXSAVE set, so xgetbv runs there at ring 3 and reveals the host's
 * XCR0).  Only XCR0 exists (ECX = 0), and only its x87 and SSE bits.
 */
#include "interp/internal.h"

#define XCR0_SUPPORTED (XCR0_X87 | XCR0_SSE)

/* XCR0 as the guest sees it: x87 is architecturally always on. */
static uint64_t xcr0(const struct vcpu *v)
{
	return v->xcr0 | XCR0_X87;
}

/* Both need CR4.OSXSAVE, and only XCR0 exists.  #UD first, then #GP. */
static bool xcr_check(struct vm *vm)
{
	if (!(vm->vcpu.cr4 & CR4_OSXSAVE)) {
		interp_ud(vm);
		return false;
	}
	if ((uint32_t)vm->vcpu.regs[GPR_RCX] != 0) {
		interp_gp(vm, 0);
		return false;
	}
	return true;
}

/* xgetbv: EDX:EAX = XCR[ECX], at any CPL. */
void interp_xgetbv(struct vm *vm, const struct insn *in)
{
	struct vcpu *v = &vm->vcpu;

	if (!xcr_check(vm))
		return;
	v->regs[GPR_RAX] = (uint32_t)xcr0(v);
	v->regs[GPR_RDX] = xcr0(v) >> 32;
	interp_report_reg(vm, "xcr0", false, xcr0(v));
	interp_advance(vm, in);
}

/* xsetbv: XCR[ECX] = EDX:EAX at CPL 0; x87 must stay on. */
void interp_xsetbv(struct vm *vm, const struct insn *in)
{
	struct vcpu *v = &vm->vcpu;
	uint64_t val = (v->regs[GPR_RDX] << 32) | (uint32_t)v->regs[GPR_RAX];

	if (!xcr_check(vm) || !interp_require_cpl0(vm))
		return;
	if (!(val & XCR0_X87) || (val & ~XCR0_SUPPORTED)) {
		interp_gp(vm, 0);
		return;
	}
	v->xcr0 = val;
	interp_report_reg(vm, "xcr0", true, xcr0(v));
	interp_advance(vm, in);
}
