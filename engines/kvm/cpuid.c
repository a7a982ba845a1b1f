/*
 * engines/kvm/cpuid.c - the virtual CPU's CPUID, given to KVM.
 *
 * In guest mode cpuid always exits to KVM, which answers from a table that
 * user space provides (KVM_SET_CPUID2).  The table is filled from
 * interp_cpuid_values(), the one definition of the virtual CPU that the
 * trap-and-emulate engines use too, so a guest sees the same processor on
 * every engine (isa/CONTRACT.md).
 *
 * Two bits change with the guest's CR4 (leaf 1 ECX.OSXSAVE, leaf 7
 * ECX.OSPKE); KVM keeps those up to date itself.  A leaf above the maxima:
 * KVM answers as an Intel CPU does (the highest basic leaf, 0xd, whose
 * values are zeros here) for any vendor but AMD, so the guest reads zeros,
 * as the contract says.
 */
#include "engines/kvm/kvm.h"

#ifdef KVM_ENGINE_BUILT
#include <errno.h>
#include <stdlib.h>
#include <sys/ioctl.h>

#include "interp/interp.h"

#define CPUID_HV_BASE 0x40000000U
#define CPUID_EXT_BASE 0x80000000U
#define KV_CPUID_MAX 64 /* entries: leaves and subleaves */

/* Leaves whose ECX input selects a subleaf, and how many of them. */
static unsigned subleaves(uint32_t leaf)
{
	switch (leaf) {
	case 4:   /* deterministic cache parameters */
	case 0xb: /* extended topology */
		return 4;
	case 7:   /* structured extended features */
		return 1;
	case 0xd: /* XSAVE components */
		return 4;
	default:
		return 0;
	}
}

/* Append leaf (and its subleaves) to c; -1 when the table is full. */
static int add_leaf(struct kvm_cpuid2 *c, const struct vm *vm, uint32_t leaf)
{
	unsigned n = subleaves(leaf);

	for (unsigned sub = 0; sub < (n ? n : 1); sub++) {
		struct kvm_cpuid_entry2 *e = &c->entries[c->nent];
		uint32_t out[4];

		if (c->nent == KV_CPUID_MAX)
			return -1;
		interp_cpuid_values(vm, leaf, sub, out);
		*e = (struct kvm_cpuid_entry2){
			.function = leaf, .index = sub,
			.flags = n ? KVM_CPUID_FLAG_SIGNIFCANT_INDEX : 0,
			.eax = out[0], .ebx = out[1], .ecx = out[2],
			.edx = out[3],
		};
		c->nent++;
	}
	return 0;
}

/* Every leaf from base up to the maximum that leaf base announces. */
static int add_range(struct kvm_cpuid2 *c, const struct vm *vm,
		     uint32_t base)
{
	uint32_t out[4];

	interp_cpuid_values(vm, base, 0, out);
	for (uint32_t leaf = base; leaf <= out[0] && leaf - base < 32; leaf++)
		if (add_leaf(c, vm, leaf) < 0)
			return -1;
	return 0;
}

int kv_cpuid_set(struct kv *k, const struct vm *vm)
{
	struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + KV_CPUID_MAX *
				      sizeof(struct kvm_cpuid_entry2));
	int r = -1;

	if (!c)
		return -1;
	if (add_range(c, vm, 0) == 0 && add_range(c, vm, CPUID_HV_BASE) == 0 &&
	    add_range(c, vm, CPUID_EXT_BASE) == 0)
		r = ioctl(k->vcpu_fd, KVM_SET_CPUID2, c);
	else
		errno = ENOSPC;
	free(c);
	return r < 0 ? -1 : 0;
}
#endif /* KVM_ENGINE_BUILT */
