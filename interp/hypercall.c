/*
 * interp/hypercall.c - the paravirtual interface: the hypercall routine
 * and the shared page (core/hypercall.h has the numbers, the calling
 * convention and why the instruction is an out to HC_PORT).
 *
 * A hypercall reaches this file from the dispatcher in two ways, one per
 * kind of engine, and both end in interp_hypercall():
 *
 *   softcpu, native:  #GP -> dispatch_gp -> interp_out -> interp_hypercall
 *   kvm:              KVM_EXIT_IO -> dispatch_io -> interp_hypercall
 *
 * The CPU's I/O privilege check has already passed either way (at CPL 0
 * it always does).  What is left is the monitor's own rule, Xen's: a call
 * from guest user mode is #UD.
 *
 * The shared page holds the guest's virtual IF as a byte.  struct vcpu
 * stays the truth; the byte is its copy, and the two are kept in step in
 * exactly two places, both called by the run loop (monitor/run.c):
 *
 *   interp_pv_fold()     after each exit: if the guest wrote the byte
 *                        since the monitor did, its value becomes
 *                        vcpu.rflags.IF (a cli or sti without a trap);
 *   interp_pv_publish()  before each entry: rflags.IF becomes the byte,
 *                        marked HC_MASK_MONITOR, with irq_pending and
 *                        the time.
 *
 * Interrupts are injected only between the two (inject_interrupt reads
 * rflags.IF), so the monitor never acts on a stale IF.  The guest may read
 * a stale byte under kvm only, where the CPU itself changes IF (interrupt
 * gates, iret, syscall, sysret) without an exit.
 */
#include <string.h>

#include "core/clock.h"
#include "core/engine.h"
#include "core/hypercall.h"
#include "devices/devices.h"
#include "interp/internal.h"

/*
 * Argument n (0-2) in the mode's registers: RDI, RSI, RDX in 64-bit mode
 * (the order of the C ABI and of Xen's x86-64 hypercalls), EBX, ECX, EDX
 * otherwise (Xen's i386 order).
 */
static uint64_t hc_arg(const struct vcpu *v, unsigned n)
{
	static const enum vcpu_reg long_regs[] = { GPR_RDI, GPR_RSI, GPR_RDX };
	static const enum vcpu_reg regs32[] = { GPR_RBX, GPR_RCX, GPR_RDX };

	if (cpu_mode(v) == CPU_LONG)
		return v->regs[long_regs[n]];
	return (uint32_t)v->regs[regs32[n]];
}

/* The result in RAX; outside 64-bit mode in EAX, zero-extended as any
 * 32-bit register write. */
static void hc_return(struct vcpu *v, uint64_t val)
{
	if (cpu_mode(v) != CPU_LONG)
		val = (uint32_t)val;
	v->regs[GPR_RAX] = val;
}

/* The registered page in guest RAM, or NULL. */
static struct hc_shared *shared(struct vm *vm)
{
	if (!vm->vcpu.pv_shared)
		return NULL;
	return gm_ptr(&vm->mem, vm->vcpu.pv_shared, sizeof(struct hc_shared));
}

/*
 * HC_SHARED_PAGE: the page must be page-aligned RAM the guest may write
 * (not the BIOS area, which is ROM to it).  0 turns the interface off.
 */
static int64_t hc_shared_page(struct vm *vm, uint64_t gpa)
{
	if (gpa == 0) {
		vm->vcpu.pv_shared = 0;
		return 0;
	}
	if ((gpa & (PAGE_4K - 1)) || gm_is_rom(gpa) ||
	    !gm_ptr(&vm->mem, gpa, sizeof(struct hc_shared)))
		return -HC_EINVAL;
	vm->vcpu.pv_shared = gpa;
	interp_pv_publish(vm);
	return 0;
}

/* HC_READ_DTR: store GDTR or IDTR at a guest-virtual address, as sgdt
 * and sidt store them in the current mode.  -1: a fault was raised. */
static int hc_read_dtr(struct vm *vm, uint64_t which, uint64_t va,
		       int64_t *ret)
{
	const struct vcpu_dtable *t;
	unsigned len = cpu_mode(&vm->vcpu) == CPU_LONG ? 10 : 6;
	uint8_t pd[10];

	if (which == HC_DTR_GDTR)
		t = &vm->vcpu.gdtr;
	else if (which == HC_DTR_IDTR)
		t = &vm->vcpu.idtr;
	else {
		*ret = -HC_EINVAL;
		return 0;
	}
	memcpy(pd, &t->limit, 2);
	memcpy(pd + 2, &t->base, len - 2);
	if (interp_gva_write(vm, va, pd, len, ACC_WRITE) < 0)
		return -1;
	*ret = 0;
	return 0;
}

/* HC_READ_SELECTOR: a segment register's, LDTR's or TR's selector. */
static int64_t hc_read_selector(const struct vcpu *v, uint64_t which)
{
	if (which < VCPU_NSEGS)
		return v->seg[which].selector;
	if (which == HC_SEL_LDTR)
		return v->ldtr.selector;
	if (which == HC_SEL_TR)
		return v->tr.selector;
	return -HC_EINVAL;
}

/* HC_CPUID: the virtual CPU's leaf, stored at a guest-virtual address. */
static int hc_cpuid(struct vm *vm, uint32_t leaf, uint32_t subleaf,
		    uint64_t va)
{
	uint32_t out[4];

	interp_cpuid_values(vm, leaf, subleaf, out);
	return interp_gva_write(vm, va, out, sizeof(out), ACC_WRITE);
}

/* HC_RDTSC: the guest's TSC; outside 64-bit mode EDX:EAX, as rdtsc. */
static uint64_t hc_rdtsc(struct vm *vm)
{
	uint64_t tsc = interp_guest_tsc(vm);

	if (cpu_mode(&vm->vcpu) != CPU_LONG)
		vm->vcpu.regs[GPR_RDX] = tsc >> 32;
	return tsc;
}

/* Each number's name, and how --trace words its result ("rax
 * (hypercall rdtsc) <- 0x..."). */
#define HC_LIST(X)                                                           \
	X(HC_SHARED_PAGE, "shared_page") X(HC_IRQ_UNMASKED, "irq_unmasked")  \
	X(HC_READ_DTR, "read_dtr") X(HC_READ_SELECTOR, "read_selector")      \
	X(HC_CPUID, "cpuid") X(HC_RDTSC, "rdtsc")
#define HC_NAME(nr, name) [nr] = name,
#define HC_EFFECT(nr, name) [nr] = "rax (hypercall " name ")",
static const char *const hc_names[HC_NR] = { HC_LIST(HC_NAME) };
static const char *const hc_effects[HC_NR] = { HC_LIST(HC_EFFECT) };

const char *interp_hypercall_name(uint64_t nr)
{
	return nr < HC_NR && hc_names[nr] ? hc_names[nr] : "unknown";
}

static const char *hc_effect(uint64_t nr)
{
	return nr < HC_NR && hc_effects[nr] ? hc_effects[nr] :
	       "rax (hypercall unknown)";
}

/*T:435 A hypercall: the guest kernel asks the monitor, as a program
 * asks its kernel with a system call.  The number is in RAX, the
 * arguments in RDI, RSI, RDX (core/hypercall.h); the answer goes back
 * in RAX and the caller moves RIP on.  User mode may not ask: #UD.
 */
bool interp_hypercall(struct vm *vm)
{
	struct vcpu *v = &vm->vcpu;
	uint64_t nr = cpu_mode(v) == CPU_LONG ? v->regs[GPR_RAX] :
		      (uint32_t)v->regs[GPR_RAX];
	int64_t ret = 0;

	if (v->cpl != CPL_KERNEL) {
		interp_ud(vm);
		return false;
	}
	switch (nr) {
	case HC_SHARED_PAGE:
		ret = hc_shared_page(vm, hc_arg(v, 0));
		break;
	case HC_IRQ_UNMASKED:
		break; /* the exit itself: the run loop injects next */
	case HC_READ_DTR:
		if (hc_read_dtr(vm, hc_arg(v, 0), hc_arg(v, 1), &ret) < 0)
			return false;
		break;
	case HC_READ_SELECTOR:
		ret = hc_read_selector(v, hc_arg(v, 0));
		break;
	case HC_CPUID:
		if (hc_cpuid(vm, (uint32_t)hc_arg(v, 0), (uint32_t)hc_arg(v, 1),
			     hc_arg(v, 2)) < 0)
			return false;
		break;
	case HC_RDTSC:
		ret = (int64_t)hc_rdtsc(vm);
		break;
	default:
		ret = -HC_ENOSYS;
		break;
	}
	hc_return(v, (uint64_t)ret);
	interp_report(vm, &(struct interp_effect){ .kind = EFFECT_REG,
		      .name = hc_effect(nr), .write = true,
		      .value = v->regs[GPR_RAX] });
	return true;
}

/* ------------------------------------------------------------ the shared page */

/*
 * Write len bytes of the shared page, and tell the engine if they changed
 * (softcpu forgets what it decoded there, should the guest have put its
 * shared page over code).
 */
static void shared_write(struct vm *vm, void *dst, const void *src,
			 size_t len)
{
	uint8_t *base = (uint8_t *)shared(vm);

	if (memcmp(dst, src, len) == 0)
		return;
	memcpy(dst, src, len);
	if (vm->engine && vm->engine->ram_written)
		vm->engine->ram_written(vm, vm->vcpu.pv_shared +
					(uint64_t)((uint8_t *)dst - base), len);
}

/*T:436 The guest's cli and sti without a trap.  After each exit the run
 * loop asks whether the guest wrote its mask byte since the monitor last
 * did (the monitor's bytes carry HC_MASK_MONITOR); if so the byte is the
 * guest's newest word on IF, and it goes into vcpu.rflags, the truth.
 * Only at virtual CPL 0: user mode cannot write the byte, so a byte found
 * at CPL 3 was written before the kernel's return to user mode, whose
 * iret or sysret has set IF since (under kvm without an exit between).
 */
void interp_pv_fold(struct vm *vm)
{
	struct hc_shared *s = shared(vm);
	uint8_t mask;

	if (!s || vm->vcpu.cpl != CPL_KERNEL)
		return;
	mask = s->irq_mask;
	if (mask & HC_MASK_MONITOR)
		return;
	if (mask & HC_MASK_MASKED)
		vm->vcpu.rflags &= ~(uint64_t)FL_IF;
	else
		vm->vcpu.rflags |= FL_IF;
}

/* Before each entry: IF as the byte, whether an interrupt waits for it,
 * and the virtual time. */
void interp_pv_publish(struct vm *vm)
{
	struct hc_shared *s = shared(vm);
	bool on;
	uint8_t mask, pending;
	uint64_t now;

	if (!s)
		return;
	on = (vm->vcpu.rflags & FL_IF) != 0;
	mask = (uint8_t)(HC_MASK_MONITOR | (on ? 0 : HC_MASK_MASKED));
	pending = !on && devices_intr_pending(vm);
	now = clock_now(vm);
	shared_write(vm, &s->irq_mask, &mask, 1);
	shared_write(vm, &s->irq_pending, &pending, 1);
	shared_write(vm, &s->time_ns, &now, sizeof(now));
}
