/*
 * interp/tlb.c - TLB and cache maintenance: invlpg, wbinvd, invd, invpcid.
 *
 * The shadow page tables are the virtual machine's TLB: like a TLB they
 * cache translations of the guest's tables, and like a TLB they are not
 * kept coherent with them by the hardware.  A guest that changes a mapping
 * says so with invlpg (or by writing CR3), and only then does the monitor
 * drop the shadow entry.  The monitor has no caches of guest memory, so
 * wbinvd and invd only need their privilege check.
 */
#include "interp/internal.h"
#include "shadowpt/shadowpt.h"

/*
 * invlpg m: drop the translation of the linear address of m (nothing is
 * read there).  A non-canonical address is a no-op (SDM, INVLPG).
 */
void interp_invlpg(struct vm *vm, const struct insn *in)
{
	uint64_t va;

	if (!interp_require_cpl0(vm))
		return;
	va = interp_ea(vm, in, &in->x86.operands[0]);
	if (x86_canonical(va))
		shadowpt_invlpg(vm, va);
	interp_report(vm, &(struct interp_effect){ .kind = EFFECT_TLB,
		      .name = "invlpg", .value = va });
	interp_advance(vm, in);
}

/* wbinvd and invd: write back / drop caches the monitor does not have. */
void interp_wbinvd(struct vm *vm, const struct insn *in)
{
	if (!interp_require_cpl0(vm))
		return;
	interp_report(vm, &(struct interp_effect){ .kind = EFFECT_TLB,
		      .name = "wbinvd" });
	interp_advance(vm, in);
}

/*
 * invpcid: the virtual CPU's CPUID does not enumerate INVPCID (leaf 7,
 * EBX bit 10), and without it the instruction is #UD at every CPL.
 */
void interp_invpcid(struct vm *vm, const struct insn *in)
{
	(void)in;
	interp_ud(vm);
}
