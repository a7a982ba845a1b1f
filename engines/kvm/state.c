/*
 * engines/kvm/state.c - the vCPU's registers, between struct vcpu and KVM.
 *
 * struct vcpu (core/vcpu.h) stays the single source of truth: after
 * every exit the engine reads KVM's registers into it, so that the
 * dispatcher, the device model, the trace and the run loop's interrupt
 * decisions see the guest as it is, in whatever mode it runs; before the
 * next KVM_RUN it writes back the groups the monitor changed (at init, the
 * whole boot state: 64-bit mode for trapvisor's own images, 32-bit
 * protected mode with paging off for a multiboot kernel).
 *
 * A copy of what was last exchanged (kv->synced) tells which groups
 * changed, so that an exit the monitor only looked at costs no writes.
 */
#include "core/panic.h"
#include "engines/kvm/kvm.h"

#ifdef KVM_ENGINE_BUILT
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <x86intrin.h>

#include "isa/x86.h"

/* Where each general register lives in struct kvm_regs. */
static const size_t kvm_reg_offset[VCPU_NREGS] = {
	[GPR_RAX] = offsetof(struct kvm_regs, rax),
	[GPR_RCX] = offsetof(struct kvm_regs, rcx),
	[GPR_RDX] = offsetof(struct kvm_regs, rdx),
	[GPR_RBX] = offsetof(struct kvm_regs, rbx),
	[GPR_RSP] = offsetof(struct kvm_regs, rsp),
	[GPR_RBP] = offsetof(struct kvm_regs, rbp),
	[GPR_RSI] = offsetof(struct kvm_regs, rsi),
	[GPR_RDI] = offsetof(struct kvm_regs, rdi),
	[GPR_R8] = offsetof(struct kvm_regs, r8),
	[GPR_R9] = offsetof(struct kvm_regs, r9),
	[GPR_R10] = offsetof(struct kvm_regs, r10),
	[GPR_R11] = offsetof(struct kvm_regs, r11),
	[GPR_R12] = offsetof(struct kvm_regs, r12),
	[GPR_R13] = offsetof(struct kvm_regs, r13),
	[GPR_R14] = offsetof(struct kvm_regs, r14),
	[GPR_R15] = offsetof(struct kvm_regs, r15),
};

/*
 * The MSRs that struct vcpu mirrors and KVM lets user space set.  EFER and
 * APIC_BASE travel with the special registers; IA32_TSC travels after
 * these (KVM_TSC_SLOT), as the offset struct vcpu keeps; TSC_AUX stays
 * KVM's (the guest's rdtscp and wrmsr never reach the monitor on this
 * engine, and KVM refuses it unless the guest's CPUID has rdtscp).
 */
static const struct {
	uint32_t index;
	size_t offset;  /* of the uint64_t in struct vcpu */
} kvm_msr_map[] = {
	{ MSR_STAR, offsetof(struct vcpu, star) },
	{ MSR_LSTAR, offsetof(struct vcpu, lstar) },
	{ MSR_CSTAR, offsetof(struct vcpu, cstar) },
	{ MSR_SFMASK, offsetof(struct vcpu, sfmask) },
	{ MSR_KERNEL_GS_BASE, offsetof(struct vcpu, kernel_gs_base) },
	{ MSR_IA32_SYSENTER_CS, offsetof(struct vcpu, sysenter_cs) },
	{ MSR_IA32_SYSENTER_ESP, offsetof(struct vcpu, sysenter_esp) },
	{ MSR_IA32_SYSENTER_EIP, offsetof(struct vcpu, sysenter_eip) },
	{ MSR_IA32_PAT, offsetof(struct vcpu, pat) },
};
#define KVM_NMAP (sizeof(kvm_msr_map) / sizeof(kvm_msr_map[0]))
/* IA32_TSC's entry, after the map's; and how many MSRs travel in all. */
#define KVM_TSC_SLOT KVM_NMAP
#define KVM_NMSRS (KVM_NMAP + 1)

/* struct kvm_msrs with room for every MSR of kvm_msr_map, and the TSC. */
union kv_msr_buf {
	struct kvm_msrs head;
	unsigned char bytes[sizeof(struct kvm_msrs) +
			    KVM_NMSRS * sizeof(struct kvm_msr_entry)];
};

/* The host's time-stamp counter, against which tsc_offset counts. */
static uint64_t host_tsc(void)
{
	return __rdtsc();
}

/* The uint64_t at offset in struct vcpu (an MSR of kvm_msr_map). */
static uint64_t *vcpu_u64(struct vcpu *v, size_t offset)
{
	return (uint64_t *)((char *)v + offset);
}

static uint64_t vcpu_u64_get(const struct vcpu *v, size_t offset)
{
	return *(const uint64_t *)((const char *)v + offset);
}

/*
 * vcpu_segment.attr is descriptor bits 40..55 shifted down by 40:
 *
 *   15 14  13 12  11..8   7  6 5  4  3..0
 *   G  D/B L  AVL (zero)  P  DPL  S  type
 *
 * KVM keeps the same bits as separate fields, plus "unusable" (VMX's
 * name for a segment register loaded with a null selector).  Both of
 * KVM's back ends report unusable as not present and take not present
 * as unusable, so P alone carries it, and the conversion loses nothing:
 * kv_seg_from_kvm(kv_seg_to_kvm(s)) == s for every s.
 *
 * What the CPU itself keeps may be less.  AMD's VMCB has no G bit that the
 * CPU observes, so KVM on SVM reports G as "limit above 0xfffff"; it sets
 * the accessed bit of a usable DS, ES, FS or GS and the busy bit of TR, as
 * the descriptor cache of both vendors does (KVM's svm_get_segment).  The
 * vcpu then shows what the CPU holds.
 */
#define ATTR(desc_bit) ((uint16_t)((desc_bit) >> DESC_TYPE_SHIFT))
#define ATTR_TYPE 0xf
#define ATTR_S ATTR(DESC_S)
#define ATTR_DPL_SHIFT (DESC_DPL_SHIFT - DESC_TYPE_SHIFT)
#define ATTR_P ATTR(DESC_P)
#define ATTR_AVL ATTR(DESC_AVL)
#define ATTR_L ATTR(DESC_L)
#define ATTR_DB ATTR(DESC_DB)
#define ATTR_G ATTR(DESC_G)

void kv_seg_to_kvm(const struct vcpu_segment *s, struct kvm_segment *k)
{
	*k = (struct kvm_segment){
		.base = s->base,
		.limit = s->limit,
		.selector = s->selector,
		.type = s->attr & ATTR_TYPE,
		.s = !!(s->attr & ATTR_S),
		.dpl = (s->attr >> ATTR_DPL_SHIFT) & 3,
		.present = !!(s->attr & ATTR_P),
		.avl = !!(s->attr & ATTR_AVL),
		.l = !!(s->attr & ATTR_L),
		.db = !!(s->attr & ATTR_DB),
		.g = !!(s->attr & ATTR_G),
		.unusable = !(s->attr & ATTR_P),
	};
}

void kv_seg_from_kvm(struct vcpu_segment *s, const struct kvm_segment *k)
{
	s->base = k->base;
	s->limit = k->limit;
	s->selector = k->selector;
	s->attr = (uint16_t)((k->type & ATTR_TYPE) | (k->s ? ATTR_S : 0) |
			     (k->dpl & 3) << ATTR_DPL_SHIFT |
			     (k->present && !k->unusable ? ATTR_P : 0) |
			     (k->avl ? ATTR_AVL : 0) | (k->l ? ATTR_L : 0) |
			     (k->db ? ATTR_DB : 0) | (k->g ? ATTR_G : 0));
}

static bool seg_differ(const struct vcpu_segment *a,
		       const struct vcpu_segment *b)
{
	return a->selector != b->selector || a->base != b->base ||
	       a->limit != b->limit || a->attr != b->attr;
}

/* ---------------------------------------------------------------- regs */

static int regs_get(struct kv *k, struct vcpu *v)
{
	struct kvm_regs r;

	if (ioctl(k->vcpu_fd, KVM_GET_REGS, &r) < 0)
		return -1;
	kv_regs_to_vcpu(&r, v);
	return 0;
}

static int regs_put(struct kv *k, const struct vcpu *v)
{
	struct kvm_regs r;

	kv_regs_from_vcpu(v, &r);
	return ioctl(k->vcpu_fd, KVM_SET_REGS, &r);
}

/* The 64-bit registers go as they are: in 32-bit code the CPU reads and
 * writes their low halves (and zeroes nothing above, SDM vol. 1, 3.4.1.1). */
void kv_regs_from_vcpu(const struct vcpu *v, struct kvm_regs *r)
{
	*r = (struct kvm_regs){ .rip = v->rip, .rflags = v->rflags | FL_FIXED1 };
	for (int i = 0; i < VCPU_NREGS; i++)
		*(uint64_t *)((char *)r + kvm_reg_offset[i]) = v->regs[i];
}

void kv_regs_to_vcpu(const struct kvm_regs *r, struct vcpu *v)
{
	for (int i = 0; i < VCPU_NREGS; i++)
		v->regs[i] = *(const uint64_t *)((const char *)r +
						 kvm_reg_offset[i]);
	v->rip = r->rip;
	v->rflags = r->rflags;
}

static bool regs_differ(const struct vcpu *a, const struct vcpu *b)
{
	return memcmp(a->regs, b->regs, sizeof(a->regs)) != 0 ||
	       a->rip != b->rip || a->rflags != b->rflags;
}

/* ------------------------------------------- segments, CRs, EFER, GDTR */

/* The segment registers of struct kvm_sregs2, in struct vcpu's order. */
#define KV_SREGS_SEGS(s) {                                           \
	[SEG_ES] = &(s)->es, [SEG_CS] = &(s)->cs, [SEG_SS] = &(s)->ss, \
	[SEG_DS] = &(s)->ds, [SEG_FS] = &(s)->fs, [SEG_GS] = &(s)->gs, \
}

/*
 * Every mode goes through the same fields: protected mode with paging off
 * (CR0 = PE|ET, EFER = 0, as a multiboot kernel is entered), with 2-level
 * or PAE paging, compatibility and 64-bit mode (EFER.LMA, CS.L).  Two
 * things KVM checks (kvm_is_valid_sregs) that the vcpu may not hold:
 *
 *  - CS.L outside IA-32e mode.  The CPU ignores the bit there (SDM vol. 3,
 *    3.4.5: reserved outside IA-32e mode), KVM refuses the state, so KVM
 *    is given 0.
 *  - A task register that is not usable.  The VMX entry checks want a
 *    present busy TSS in TR even when its selector is null (SDM vol. 3,
 *    "Checks on Guest Segment Registers"), as the CPU holds from reset on
 *    (QEMU's reset loads a busy 32-bit TSS): a TR never loaded is given
 *    those attributes.
 *
 * The PDPTEs of PAE paging are not here: sregs_put() decides about them.
 */
void kv_sregs_from_vcpu(const struct vcpu *v, struct kvm_sregs2 *s)
{
	struct kvm_segment *seg[VCPU_NSEGS] = KV_SREGS_SEGS(s);

	*s = (struct kvm_sregs2){
		.gdt = { .base = v->gdtr.base, .limit = v->gdtr.limit },
		.idt = { .base = v->idtr.base, .limit = v->idtr.limit },
		.cr0 = v->cr0, .cr2 = v->cr2, .cr3 = v->cr3, .cr4 = v->cr4,
		.cr8 = v->cr8, .efer = v->efer, .apic_base = v->apic_base,
	};
	for (int i = 0; i < VCPU_NSEGS; i++)
		kv_seg_to_kvm(&v->seg[i], seg[i]);
	kv_seg_to_kvm(&v->ldtr, &s->ldt);
	kv_seg_to_kvm(&v->tr, &s->tr);
	if (!(v->efer & EFER_LMA))
		s->cs.l = 0;
	if (!s->tr.present) {
		s->tr.present = 1;
		s->tr.type = DESC_SYS_TSS_BUSY;
	}
	s->tr.unusable = 0;
}

/*
 * The CPL is SS.DPL: VMX and SVM both keep it there, and it is right even
 * in a conforming code segment, where CS.DPL may be lower than the CPL.
 */
void kv_sregs_to_vcpu(const struct kvm_sregs2 *s, struct vcpu *v)
{
	const struct kvm_segment *seg[VCPU_NSEGS] = KV_SREGS_SEGS(s);

	for (int i = 0; i < VCPU_NSEGS; i++)
		kv_seg_from_kvm(&v->seg[i], seg[i]);
	kv_seg_from_kvm(&v->ldtr, &s->ldt);
	kv_seg_from_kvm(&v->tr, &s->tr);
	v->gdtr = (struct vcpu_dtable){ s->gdt.base, s->gdt.limit };
	v->idtr = (struct vcpu_dtable){ s->idt.base, s->idt.limit };
	v->cr0 = s->cr0;
	v->cr2 = s->cr2;
	v->cr3 = s->cr3;
	v->cr4 = s->cr4;
	v->cr8 = s->cr8;
	v->efer = s->efer;
	v->apic_base = s->apic_base;
	v->cpl = s->ss.dpl;
}

/*
 * PAE paging (CR0.PG, CR4.PAE, not EFER.LMA) walks from four PDPTEs that
 * the CPU loads from the PDPT at CR3 when the guest writes CR3 (or
 * changes CR0.PG/CD/NW, CR4.PAE/PGE/PSE/SMEP), and keeps in registers
 * until the next such write (SDM vol. 3, 4.4.1): a guest may change its
 * PDPT in memory and go on with the old entries.  KVM_SET_SREGS, whenever
 * it sees PAE paging, reloads them from memory, as if the guest had
 * written CR3 again; KVM_SET_SREGS2 takes them from user space when flags
 * has KVM_SREGS2_FLAGS_PDPTRS_VALID.  So the engine keeps the four that
 * KVM_GET_SREGS2 last gave, and hands them back while the guest's paging
 * registers are those they were loaded under; once CR0, CR3, CR4 or EFER
 * changed, KVM loads new ones from memory, as the CPU would on that write.
 * (AMD with nested paging keeps no PDPTE registers: the CPU reads the
 * PDPT at every walk, and KVM on SVM reads memory too; the rule changes
 * nothing there.)
 */
bool kv_pdptrs_kept(const struct kv *k, const struct vcpu *v)
{
	const struct vcpu *was = &k->synced;

	return k->pdptrs_valid && v->cr0 == was->cr0 && v->cr3 == was->cr3 &&
	       v->cr4 == was->cr4 && v->efer == was->efer;
}

static int sregs_get(struct kv *k, struct vcpu *v)
{
	struct kvm_sregs2 s;

	if (ioctl(k->vcpu_fd, KVM_GET_SREGS2, &s) < 0)
		return -1;
	kv_sregs_to_vcpu(&s, v);
	k->pdptrs_valid = (s.flags & KVM_SREGS2_FLAGS_PDPTRS_VALID) != 0;
	memcpy(k->pdptrs, s.pdptrs, sizeof(k->pdptrs));
	return 0;
}

static int sregs_put(struct kv *k, const struct vcpu *v)
{
	struct kvm_sregs2 s;

	kv_sregs_from_vcpu(v, &s);
	if (kv_pdptrs_kept(k, v)) {
		s.flags = KVM_SREGS2_FLAGS_PDPTRS_VALID;
		memcpy(s.pdptrs, k->pdptrs, sizeof(s.pdptrs));
	}
	/* Without an in-kernel local APIC, KVM_RUN reloads CR8 (the task
	 * priority) from kvm_run.cr8 on every entry. */
	k->run->cr8 = v->cr8;
	return ioctl(k->vcpu_fd, KVM_SET_SREGS2, &s);
}

static bool sregs_differ(const struct vcpu *a, const struct vcpu *b)
{
	for (int i = 0; i < VCPU_NSEGS; i++)
		if (seg_differ(&a->seg[i], &b->seg[i]))
			return true;
	return seg_differ(&a->ldtr, &b->ldtr) || seg_differ(&a->tr, &b->tr) ||
	       a->gdtr.base != b->gdtr.base || a->gdtr.limit != b->gdtr.limit ||
	       a->idtr.base != b->idtr.base || a->idtr.limit != b->idtr.limit ||
	       a->cr0 != b->cr0 || a->cr2 != b->cr2 || a->cr3 != b->cr3 ||
	       a->cr4 != b->cr4 || a->cr8 != b->cr8 || a->efer != b->efer ||
	       a->apic_base != b->apic_base;
}

/* ---------------------------------------------------------------- MSRs */

static void msrs_prepare(union kv_msr_buf *l)
{
	memset(l, 0, sizeof(*l));
	l->head.nmsrs = KVM_NMSRS;
	for (size_t i = 0; i < KVM_NMAP; i++)
		l->head.entries[i].index = kvm_msr_map[i].index;
	l->head.entries[KVM_TSC_SLOT].index = MSR_IA32_TSC;
}

/* KVM_GET_MSRS and KVM_SET_MSRS return how many MSRs they handled. */
static int msrs_get(struct kv *k, struct vcpu *v)
{
	union kv_msr_buf l;

	msrs_prepare(&l);
	if (ioctl(k->vcpu_fd, KVM_GET_MSRS, &l) != (int)KVM_NMSRS)
		return -1;
	for (size_t i = 0; i < KVM_NMAP; i++)
		*vcpu_u64(v, kvm_msr_map[i].offset) = l.head.entries[i].data;
	v->tsc_offset = l.head.entries[KVM_TSC_SLOT].data - host_tsc();
	return 0;
}

static int msrs_put(struct kv *k, const struct vcpu *v)
{
	union kv_msr_buf l;

	msrs_prepare(&l);
	for (size_t i = 0; i < KVM_NMAP; i++)
		l.head.entries[i].data = vcpu_u64_get(v, kvm_msr_map[i].offset);
	l.head.entries[KVM_TSC_SLOT].data = host_tsc() + v->tsc_offset;
	return ioctl(k->vcpu_fd, KVM_SET_MSRS, &l) == (int)KVM_NMSRS ? 0 : -1;
}

static bool msrs_differ(const struct vcpu *a, const struct vcpu *b)
{
	for (size_t i = 0; i < KVM_NMAP; i++)
		if (vcpu_u64_get(a, kvm_msr_map[i].offset) !=
		    vcpu_u64_get(b, kvm_msr_map[i].offset))
			return true;
	return a->tsc_offset != b->tsc_offset;
}

/* ------------------------------------------------ debug registers */

static int dregs_get(struct kv *k, struct vcpu *v)
{
	struct kvm_debugregs d;

	if (ioctl(k->vcpu_fd, KVM_GET_DEBUGREGS, &d) < 0)
		return -1;
	memcpy(v->dr, d.db, sizeof(d.db));
	v->dr[4] = v->dr[6] = d.dr6; /* DR4 and DR5 alias DR6 and DR7 */
	v->dr[5] = v->dr[7] = d.dr7;
	return 0;
}

static int dregs_put(struct kv *k, const struct vcpu *v)
{
	struct kvm_debugregs d = { .dr6 = v->dr[6], .dr7 = v->dr[7] };

	memcpy(d.db, v->dr, sizeof(d.db));
	return ioctl(k->vcpu_fd, KVM_SET_DEBUGREGS, &d);
}

static bool dregs_differ(const struct vcpu *a, const struct vcpu *b)
{
	return memcmp(a->dr, b->dr, sizeof(a->dr)) != 0;
}

/* ------------------------------------------- events: the sti shadow */

/*
 * An exit can come while the CPU delivers an event (an interrupt or an
 * exception whose frame it was pushing when a host interrupt or a nested
 * page fault came in): KVM then delivers it again at the next entry.
 * Until it has, the guest is inside that delivery, where no other
 * interrupt can land: the vcpu says so with insn_in_progress, as for an
 * unfinished instruction.
 */
static int events_get(struct kv *k, struct vcpu *v)
{
	struct kvm_vcpu_events e;

	if (ioctl(k->vcpu_fd, KVM_GET_VCPU_EVENTS, &e) < 0)
		return -1;
	v->interrupt_shadow = e.interrupt.shadow != 0;
	v->insn_in_progress = e.exception.injected || e.exception.pending ||
			      e.interrupt.injected || e.nmi.injected;
	return 0;
}

static int events_put(struct kv *k, const struct vcpu *v)
{
	struct kvm_vcpu_events e;

	if (ioctl(k->vcpu_fd, KVM_GET_VCPU_EVENTS, &e) < 0)
		return -1;
	e.interrupt.shadow = v->interrupt_shadow ? KVM_X86_SHADOW_INT_STI : 0;
	e.flags = KVM_VCPUEVENT_VALID_SHADOW;
	return ioctl(k->vcpu_fd, KVM_SET_VCPU_EVENTS, &e);
}

/* ------------------------------------------------------------ public */

int kv_state_get(struct kv *k, struct vcpu *v)
{
	if (regs_get(k, v) < 0 || sregs_get(k, v) < 0 || msrs_get(k, v) < 0 ||
	    dregs_get(k, v) < 0 || events_get(k, v) < 0)
		return -1;
	k->synced = *v;
	return 0;
}

/*
 * The dispatcher delivers every exception it raises (interp_deliver)
 * before it runs the engine again; one still pending here would be lost.
 */
int kv_state_put(struct kv *k, const struct vcpu *v)
{
	if (v->exception.pending) {
		panic("kv_state_put: exception %u still pending",
		      v->exception.vector);
	}
	if ((regs_differ(v, &k->synced) && regs_put(k, v) < 0) ||
	    (sregs_differ(v, &k->synced) && sregs_put(k, v) < 0) ||
	    (msrs_differ(v, &k->synced) && msrs_put(k, v) < 0) ||
	    (dregs_differ(v, &k->synced) && dregs_put(k, v) < 0) ||
	    (v->interrupt_shadow != k->synced.interrupt_shadow &&
	     events_put(k, v) < 0))
		return -1;
	k->synced = *v;
	return 0;
}

int kv_state_put_all(struct kv *k, const struct vcpu *v)
{
	if (sregs_put(k, v) < 0 || regs_put(k, v) < 0 || msrs_put(k, v) < 0 ||
	    dregs_put(k, v) < 0 || events_put(k, v) < 0)
		return -1;
	k->synced = *v;
	return 0;
}
#endif /* KVM_ENGINE_BUILT */
