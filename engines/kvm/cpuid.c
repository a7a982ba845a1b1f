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
 *
 * One value cannot be the virtual CPU's everywhere: MAXPHYADDR (leaf
 * 0x80000008 EAX[7:0], 39 on the other engines).  In guest mode the CPU
 * itself walks the guest's page tables, and it treats a frame bit as
 * reserved only above *its own* MAXPHYADDR; with nested paging (AMD NPT,
 * and Intel EPT unless kvm_intel.allow_smaller_maxphyaddr) KVM cannot make
 * it enforce a smaller one.  A guest told 39 on a 40-bit CPU sets bit 39
 * in an entry to get #PF(RSVD); the CPU takes the bit as an address instead,
 * and the access lands outside guest RAM (guest-physical 0x80_0000_0000 and
 * up: a KVM_EXIT_MMIO that reads all ones, not the #PF the guest wants).  So where KVM says it cannot
 * honour a smaller MAXPHYADDR (KVM_CAP_SMALLER_MAXPHYADDR is 0), the guest
 * is told the CPU's, as KVM reports it in KVM_GET_SUPPORTED_CPUID: then
 * every bit the guest believes reserved is reserved for the CPU too.
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
#define KV_SUPPORTED_MAX 256 /* entries KVM_GET_SUPPORTED_CPUID may list */
#define CPUID_80000008 0x80000008U
#define CPUID_80000008_EAX_PHYS 0xffU /* EAX[7:0]: MAXPHYADDR */

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

/*
 * The MAXPHYADDR of the CPU that walks the guest's page tables, as KVM
 * reports it (leaf 0x80000008 EAX[7:0] of KVM_GET_SUPPORTED_CPUID); 0 when
 * KVM can make the guest see a smaller one (KVM_CAP_SMALLER_MAXPHYADDR), or
 * does not say.
 */
static unsigned walker_maxphyaddr(const struct kv *k)
{
	struct kvm_cpuid2 *c;
	unsigned bits = 0;

	if (ioctl(k->sys_fd, KVM_CHECK_EXTENSION, KVM_CAP_SMALLER_MAXPHYADDR) > 0)
		return 0;
	c = calloc(1, sizeof(*c) + KV_SUPPORTED_MAX *
		   sizeof(struct kvm_cpuid_entry2));
	if (!c)
		return 0;
	c->nent = KV_SUPPORTED_MAX;
	if (ioctl(k->sys_fd, KVM_GET_SUPPORTED_CPUID, c) == 0)
		for (uint32_t i = 0; i < c->nent; i++)
			if (c->entries[i].function == CPUID_80000008)
				bits = c->entries[i].eax &
				       CPUID_80000008_EAX_PHYS;
	free(c);
	return bits;
}

/* Leaf 0x80000008 of c says MAXPHYADDR = bits (when bits is not 0). */
static void set_maxphyaddr(struct kvm_cpuid2 *c, unsigned bits)
{
	for (uint32_t i = 0; bits && i < c->nent; i++)
		if (c->entries[i].function == CPUID_80000008)
			c->entries[i].eax = (c->entries[i].eax &
					     ~CPUID_80000008_EAX_PHYS) | bits;
}

int kv_cpuid_set(struct kv *k, const struct vm *vm)
{
	struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + KV_CPUID_MAX *
				      sizeof(struct kvm_cpuid_entry2));
	int r = -1;

	if (!c)
		return -1;
	if (add_range(c, vm, 0) == 0 && add_range(c, vm, CPUID_HV_BASE) == 0 &&
	    add_range(c, vm, CPUID_EXT_BASE) == 0) {
		set_maxphyaddr(c, walker_maxphyaddr(k));
		r = ioctl(k->vcpu_fd, KVM_SET_CPUID2, c);
	} else
		errno = ENOSPC;
	free(c);
	return r < 0 ? -1 : 0;
}
#endif /* KVM_ENGINE_BUILT */
