/*
 * engines/kvm/kvm.c - the kvm engine: hardware assist through /dev/kvm.
 *
 * The same guest image, the same boot state, the same devices as on the
 * trap-and-emulate engines, but the guest kernel runs at its own ring 0 in
 * the CPU's guest mode.  Its cli, mov to CR3, lgdt, iretq and page-table
 * walks (nested paging) never leave the CPU; only what KVM cannot finish
 * alone comes back as an exit of KVM_RUN:
 *
 *   KVM_EXIT_IO                 port I/O -> EXIT_IO, one access at a time
 *   KVM_EXIT_HLT                hlt -> EXIT_HLT (the run loop sleeps)
 *   KVM_EXIT_SHUTDOWN           a triple fault -> EXIT_SHUTDOWN
 *   KVM_EXIT_MMIO               memory that is not RAM (the LAPIC, the
 *                               IOAPIC, nothing), or a write to the
 *                               BIOS area's read-only slot -> EXIT_MMIO
 *   KVM_EXIT_DEBUG              a breakpoint, watchpoint or single step
 *                               of the debugger's (debug.c) -> a stop
 *   KVM_EXIT_IRQ_WINDOW_OPEN,   the guest can take an interrupt now, or
 *   -EINTR (the timer, Ctrl-C)  the host wants control -> EXIT_INTERRUPT
 *   FAIL_ENTRY, INTERNAL_ERROR  EXIT_INTERNAL, with KVM's reason
 *
 * The interrupt controllers are the monitor's (devices/): the VM has no
 * in-kernel irqchip, so KVM emulates no PIC, LAPIC or IOAPIC of its own,
 * and a guest's access to the LAPIC page at 0xfee00000 comes out as an
 * MMIO exit like any other address outside RAM; the LAPIC's MSRs come out
 * too (lapic_msrs_route).  The run loop asks the
 * devices for a vector when the guest can take one, and this engine has
 * the CPU deliver it (KVM_INTERRUPT), through the guest's IDT in whatever
 * mode the guest runs.  Nothing here depends on the guest's mode: the CPU
 * and KVM carry out 32-bit protected mode, PAE and 64-bit mode alike, and
 * state.c moves every mode's registers.
 */
#include "engines/kvm/kvm.h"

#ifdef KVM_ENGINE_BUILT
#include <cpuid.h>
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "isa/x86.h"
#include "core/engine.h"
#include "core/exit.h"
#include "core/vm.h"
#include "devices/devices.h"
#include "interp/interp.h"
#include "shadowpt/walk.h"

/* ------------------------------------------------------------- set-up */

/*
 * Hardware assist needs VT-x (CPUID.1:ECX.VMX) or AMD-V
 * (CPUID.80000001:ECX.SVM).  A /dev/kvm without either is a software
 * back end such as PVM, which runs only guests written for it.
 */
static bool host_has_vmx_or_svm(void)
{
	unsigned a, b, c, d;

	if (__get_cpuid(1, &a, &b, &c, &d) && (c & CPUID_1_ECX_VMX))
		return true;
	return __get_cpuid(0x80000001U, &a, &b, &c, &d) && (c & CPUID_80000001_ECX_SVM);
}

static int kv_probe(char *why, size_t len)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	int api;

	if (fd < 0) {
		snprintf(why, len, "cannot open /dev/kvm: %s", strerror(errno));
		return -1;
	}
	if (!host_has_vmx_or_svm()) {
		snprintf(why, len, "/dev/kvm is here but the CPU shows neither "
			 "VT-x nor AMD-V, so it is not hardware assist");
		close(fd);
		return -1;
	}
	api = ioctl(fd, KVM_GET_API_VERSION, 0);
	if (api != KVM_API_VERSION) {
		snprintf(why, len, "/dev/kvm speaks KVM API %d, not %d", api,
			 KVM_API_VERSION);
	} else if (ioctl(fd, KVM_CHECK_EXTENSION, KVM_CAP_IMMEDIATE_EXIT) <= 0) {
		snprintf(why, len, "this KVM lacks KVM_CAP_IMMEDIATE_EXIT");
	} else if (ioctl(fd, KVM_CHECK_EXTENSION, KVM_CAP_SREGS2) <= 0) {
		snprintf(why, len, "this KVM lacks KVM_CAP_SREGS2 (Linux 5.14), "
			 "which PAE guests need (engines/kvm/state.c)");
	} else {
		close(fd);
		return 0;
	}
	close(fd);
	return -1;
}

/* The host CPU's physical-address width (CPUID 0x80000008 EAX[7:0]):
 * guest RAM in a memory slot must lie below 2^this; 36 if not said. */
static unsigned host_phys_bits(void)
{
	unsigned a, b, c, d;

	if (__get_cpuid(0x80000008U, &a, &b, &c, &d) && (a & 0xff))
		return a & 0xff;
	return 36;
}

/* What hardware assist cannot offer: refuse it with one line. */
static int kv_check_options(const struct vm *vm, char *why, size_t len)
{
	unsigned bits = host_phys_bits();

	if (gm_phys_end(vm->mem.size) > 1ULL << bits) {
		snprintf(why, len, "--mem=%llu: guest RAM would end at %#llx, "
			 "beyond this CPU's %u physical-address bits; give a "
			 "smaller --mem", (unsigned long long)(vm->mem.size >> 20),
			 (unsigned long long)gm_phys_end(vm->mem.size), bits);
		return -1;
	}
	if (vm->opt.icount_ns) {
		snprintf(why, len, "--icount counts guest instructions, and a "
			 "CPU in guest mode does not count them for the "
			 "monitor; run without --icount");
		return -1;
	}
	if (vm->opt.isa == ISA_STRICT) {
		snprintf(why, len, "--isa=strict: with hardware assist the CPU, "
			 "not the monitor, decides what traps; use --isa=x86");
		return -1;
	}
	return 0;
}

/* Give KVM guest-physical RAM [gpa, gpa + size) as slot, with flags. */
static int kv_slot(struct kv *k, const struct vm *vm, uint32_t slot,
		   uint64_t gpa, uint64_t size, uint32_t flags)
{
	struct kvm_userspace_memory_region r = {
		.slot = slot,
		.flags = flags,
		.guest_phys_addr = gpa,
		.memory_size = size,
		.userspace_addr = (uint64_t)(uintptr_t)
				  gm_ptr(&vm->mem, gpa, size),
	};

	if (!r.userspace_addr) {
		errno = EINVAL;
		return -1;
	}
	return ioctl(k->vm_fd, KVM_SET_USER_MEMORY_REGION, &r);
}

/*
 * The VM, with guest RAM (vm->mem) laid out as core/guest_mem.h says, in
 * memory slots: the RAM below 4 GiB in three (the BIOS area in the middle
 * is KVM_MEM_READONLY: the guest reads it, and each write becomes an MMIO
 * exit that devices_mmio drops, as QEMU's ROM does; a host without
 * KVM_CAP_READONLY_MEM leaves it writable), and the RAM from 4 GiB up in
 * a fourth.
 */
static int kv_create_vm(struct kv *k, const struct vm *vm)
{
	const struct guest_mem *m = &vm->mem;
	uint32_t ro = KVM_MEM_READONLY;

	if ((k->sys_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC)) < 0 ||
	    (k->vm_fd = ioctl(k->sys_fd, KVM_CREATE_VM, 0)) < 0)
		return -1;
	if (ioctl(k->vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_READONLY_MEM) <= 0)
		ro = 0;
	if (kv_slot(k, vm, 0, 0, GM_ROM_BASE, 0) < 0 ||
	    kv_slot(k, vm, 1, GM_ROM_BASE, GM_ROM_END - GM_ROM_BASE, ro) < 0 ||
	    kv_slot(k, vm, 2, GM_ROM_END, m->low - GM_ROM_END, 0) < 0)
		return -1;
	if (m->size > m->low &&
	    kv_slot(k, vm, 3, GM_HIGH_BASE, m->size - m->low, 0) < 0)
		return -1;
	return 0;
}

/* vCPU 0 and its kvm_run area, shared with KVM. */
static int kv_create_vcpu(struct kv *k)
{
	int size;

	if ((k->vcpu_fd = ioctl(k->vm_fd, KVM_CREATE_VCPU, 0)) < 0 ||
	    (size = ioctl(k->sys_fd, KVM_GET_VCPU_MMAP_SIZE, 0)) < 0)
		return -1;
	k->run = mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE, MAP_SHARED,
		      k->vcpu_fd, 0);
	if (k->run == MAP_FAILED) {
		k->run = NULL;
		return -1;
	}
	k->run_size = (size_t)size;
	return 0;
}

/* MSRs of the local APIC, which KVM would answer without one. */
#define KV_MSR_TSC_DEADLINE 0x6e0U /* IA32_TSC_DEADLINE */
#define KV_MSR_X2APIC_FIRST 0x800U /* x2APIC registers, SDM vol. 3, 11.12 */
#define KV_MSR_X2APIC_LAST 0x8ffU

static bool lapic_msr(uint32_t msr)
{
	return msr == MSR_IA32_APIC_BASE || msr == KV_MSR_TSC_DEADLINE ||
	       (msr >= KV_MSR_X2APIC_FIRST && msr <= KV_MSR_X2APIC_LAST);
}

/*
 * The local APIC is the device model's, and so are its MSRs.  Without an
 * in-kernel irqchip KVM would still answer two of them itself (it keeps
 * IA32_APIC_BASE, and drops writes of IA32_TSC_DEADLINE) and refuse the
 * x2APIC registers with #GP.  So rdmsr and wrmsr of IA32_APIC_BASE and
 * IA32_TSC_DEADLINE are filtered out (KVM_X86_SET_MSR_FILTER: every other
 * MSR stays KVM's), and an MSR access that the filter or KVM refuses comes
 * to user space (KVM_CAP_X86_USER_SPACE_MSR) as KVM_EXIT_X86_RDMSR or
 * WRMSR, which msr_exit() answers.
 */
static int lapic_msrs_route(struct kv *k)
{
	uint8_t deny = 0; /* one MSR per range, its bit clear: refused */
	struct kvm_enable_cap cap = {
		.cap = KVM_CAP_X86_USER_SPACE_MSR,
		.args = { KVM_MSR_EXIT_REASON_INVAL | KVM_MSR_EXIT_REASON_UNKNOWN |
			  KVM_MSR_EXIT_REASON_FILTER },
	};
	struct kvm_msr_filter filter = {
		.flags = KVM_MSR_FILTER_DEFAULT_ALLOW,
		.ranges = {
			{ KVM_MSR_FILTER_READ | KVM_MSR_FILTER_WRITE, 1,
			  MSR_IA32_APIC_BASE, &deny },
			{ KVM_MSR_FILTER_READ | KVM_MSR_FILTER_WRITE, 1,
			  KV_MSR_TSC_DEADLINE, &deny },
		},
	};

	if (ioctl(k->vm_fd, KVM_ENABLE_CAP, &cap) < 0)
		return -1;
	return ioctl(k->vm_fd, KVM_X86_SET_MSR_FILTER, &filter);
}

static void kv_fini(struct vm *vm)
{
	struct kv *k = vm->engine_data;

	if (!k)
		return;
	kv_kick_fini(k);
	if (k->run)
		munmap(k->run, k->run_size);
	if (k->vcpu_fd >= 0)
		close(k->vcpu_fd);
	if (k->vm_fd >= 0)
		close(k->vm_fd);
	if (k->sys_fd >= 0)
		close(k->sys_fd);
	free(k);
	vm->engine_data = NULL;
}

/*
 * The boot state the loader left in vm->vcpu (64-bit mode for trapvisor's
 * own images, 32-bit protected mode with paging off for a multiboot
 * kernel) goes into the vCPU as it is: the guest starts at its entry
 * exactly as on the other engines.  No KVM_CREATE_IRQCHIP: the interrupt
 * controllers are the device model's.
 */
static int kv_init(struct vm *vm, char *why, size_t len)
{
	struct kv *k;
	const char *step;

	if (kv_check_options(vm, why, len) < 0)
		return -1;
	if (!(k = calloc(1, sizeof(*k)))) {
		snprintf(why, len, "out of memory");
		return -1;
	}
	k->sys_fd = k->vm_fd = k->vcpu_fd = -1;
	vm->engine_data = k;
	if (kv_create_vm(k, vm) < 0)
		step = "creating the VM and its RAM slot";
	else if (lapic_msrs_route(k) < 0)
		step = "routing the local APIC's MSRs to user space";
	else if (kv_create_vcpu(k) < 0)
		step = "creating the vCPU";
	else if (kv_cpuid_set(k, vm) < 0)
		step = "setting CPUID (KVM_SET_CPUID2)";
	else if (kv_state_put_all(k, &vm->vcpu) < 0)
		step = "loading the boot state into the vCPU";
	else if (kv_kick_init(k) < 0)
		step = "creating the timer";
	else
		return 0;
	snprintf(why, len, "%s: %s", step, strerror(errno));
	kv_fini(vm);
	return -1;
}

/* ------------------------------------------------------ one KVM_RUN */

static void kv_internal(struct kv *k, struct vm_exit *x, const char *fmt,
			...) __attribute__((format(printf, 3, 4)));

/* EXIT_INTERNAL with a reason that lives until the next exit. */
static void kv_internal(struct kv *k, struct vm_exit *x, const char *fmt,
			...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(k->why, sizeof(k->why), fmt, ap);
	va_end(ap);
	x->reason = EXIT_INTERNAL;
	x->why = k->why;
}

/*
 * An I/O instruction is not finished when KVM reports it: KVM writes an
 * in's value into RAX (or, for ins, into memory) and moves a string
 * instruction's registers on only in the next KVM_RUN.  An interrupt
 * delivered in between would cut the instruction in two, so until then
 * the vCPU says that an instruction is in progress (insn_in_progress),
 * which holds interrupts off just as the CPU holds them off inside one
 * instruction.
 */
static void io_begin(struct vm *vm, struct kv *k)
{
	const struct kvm_run *r = k->run;

	k->io = (struct kv_io){
		.active = true,
		.in = r->io.direction == KVM_EXIT_IO_IN,
		.size = r->io.size,
		.port = r->io.port,
		.count = r->io.count,
	};
	vm->vcpu.insn_in_progress = true;
}

/*
 * Hand the next access of the current KVM_EXIT_IO to the dispatcher,
 * after storing the value of the previous in where KVM will take it.
 * Returns false once every access has been handed out.
 */
static bool io_next(struct vm *vm, struct kv *k, struct vm_exit *x)
{
	struct kv_io *io = &k->io;
	uint8_t *data = (uint8_t *)k->run + k->run->io.data_offset;
	uint32_t value = 0;

	if (io->in && io->next > 0)
		memcpy(data + (io->next - 1) * io->size, &io->exit->io.data,
		       io->size);
	if (io->next == io->count) {
		io->active = false;
		vm->vcpu.insn_in_progress = false;
		return false;
	}
	if (!io->in)
		memcpy(&value, data + io->next * io->size, io->size);
	x->reason = EXIT_IO;
	x->rip = vm->vcpu.rip;
	x->io.port = io->port;
	x->io.size = io->size;
	x->io.in = io->in;
	x->io.data = value;
	io->exit = x;
	k->io_accesses++;
	io->next++;
	return true;
}

/*
 * Guest-physical memory that is not a memory slot (everything beyond RAM:
 * the LAPIC, the IOAPIC, unassigned space) has no meaning for the CPU, so
 * KVM decodes the instruction and reports the access: address, length,
 * direction, and for a write the bytes.  A read's bytes go into
 * kvm_run.mmio.data, where KVM takes them when it completes the
 * instruction in the next KVM_RUN; until then the instruction is in
 * progress, as for port I/O.
 */
static bool mmio_begin(struct vm *vm, struct kv *k, struct vm_exit *x)
{
	const struct kvm_run *r = k->run;

	if (r->mmio.len == 0 || r->mmio.len > sizeof(r->mmio.data)) {
		kv_internal(k, x, "KVM_EXIT_MMIO of %u bytes at %#llx",
			    r->mmio.len, (unsigned long long)r->mmio.phys_addr);
		return false;
	}
	k->mmio = (struct kv_mmio){
		.active = true,
		.write = r->mmio.is_write,
		.gpa = r->mmio.phys_addr,
		.len = r->mmio.len,
	};
	vm->vcpu.insn_in_progress = true;
	return true;
}

/*
 * The size of the next piece of an MMIO access.  An access of 1, 2, 4 or
 * 8 bytes goes out whole, aligned or not, as the instruction made it.  KVM
 * cuts an access that crosses a page boundary in two (a 4-byte read at
 * 0x...fff is 1 byte, then 3); a length that is no power of two goes out
 * as the largest naturally aligned power-of-two pieces, as QEMU's memory
 * core cuts it (memory_access_size) before any device sees it.
 */
static unsigned mmio_piece(const struct kv_mmio *m)
{
	uint64_t gpa = m->gpa + m->done;
	unsigned left = m->len - m->done, size = 8;

	if ((m->len & (m->len - 1)) == 0)
		return left;
	while (size > left || (gpa & (size - 1)))
		size >>= 1;
	return size;
}

/*
 * Hand the next piece of the current KVM_EXIT_MMIO to the dispatcher,
 * after storing the value of the previous read where KVM will take it.
 * Returns false once every piece has been handed out.
 */
static bool mmio_next(struct vm *vm, struct kv *k, struct vm_exit *x)
{
	struct kv_mmio *m = &k->mmio;
	uint8_t *data = k->run->mmio.data;
	unsigned size;

	if (!m->write && m->piece)
		memcpy(data + m->done - m->piece, &m->exit->mmio.data, m->piece);
	if (m->done == m->len) {
		m->active = false;
		vm->vcpu.insn_in_progress = false;
		return false;
	}
	size = mmio_piece(m);
	x->reason = EXIT_MMIO;
	x->rip = vm->vcpu.rip;
	x->mmio.gpa = m->gpa + m->done;
	x->mmio.size = (uint8_t)size;
	x->mmio.write = m->write;
	x->mmio.data = 0;
	if (m->write)
		memcpy(&x->mmio.data, data + m->done, size);
	m->exit = x;
	m->piece = size;
	k->mmio_pieces++;
	m->done += size;
	return true;
}

/*
 * rdmsr or wrmsr that KVM handed up (lapic_msrs_route): the LAPIC's MSRs
 * go to the virtual CPU's MSRs (interp/msr.c), which give them to the
 * device model; any other MSR KVM refused stays refused, #GP(0) as KVM
 * would have raised it.  KVM completes the instruction in the next
 * KVM_RUN: EDX:EAX from msr.data, or #GP when msr.error is set.
 */
static void msr_exit(struct vm *vm, struct kv *k)
{
	struct kvm_run *r = k->run;
	uint64_t val = r->msr.data;
	bool ok = false;

	if (lapic_msr(r->msr.index)) {
		if (r->exit_reason == KVM_EXIT_X86_RDMSR)
			ok = interp_msr_read(vm, r->msr.index, &val);
		else
			ok = interp_msr_write(vm, r->msr.index, val);
	}
	r->msr.data = val;
	r->msr.error = !ok;
}

/*
 * Exits that need no dispatcher: an MSR of the LAPIC, and a write to CR8,
 * which comes out as KVM_EXIT_SET_TPR for a user-space local APIC (the new
 * CR8 is already in vm->vcpu).  The engine answers and re-enters.
 */
static bool answered_here(struct vm *vm, struct kv *k)
{
	switch (k->run->exit_reason) {
	case KVM_EXIT_X86_RDMSR:
	case KVM_EXIT_X86_WRMSR:
		msr_exit(vm, k);
		return true;
	case KVM_EXIT_SET_TPR:
		return true;
	default:
		return false;
	}
}

/* KVM's words for KVM_EXIT_INTERNAL_ERROR's suberror. */
static const char *internal_error_name(uint32_t suberror)
{
	static const char *const names[] = {
		[KVM_INTERNAL_ERROR_EMULATION] = "KVM could not emulate an "
						 "instruction",
		[KVM_INTERNAL_ERROR_SIMUL_EX] = "an exception while delivering "
						"an exception",
		[KVM_INTERNAL_ERROR_DELIVERY_EV] = "an event could not be "
						   "delivered",
		[KVM_INTERNAL_ERROR_UNEXPECTED_EXIT_REASON] = "an exit KVM "
							      "did not expect",
	};

	if (suberror < sizeof(names) / sizeof(names[0]) && names[suberror])
		return names[suberror];
	return "an internal error";
}

/*
 * An interrupt window that opens right after an sti.  The SVM that QEMU
 * models before 9.1 drops the interrupt shadow at every VMRUN (enter's
 * comment), also where KVM re-enters the guest after an exit it handles
 * in the kernel, which user space never sees: a host interrupt between an
 * sti and the next instruction while the window is asked for, and the
 * window opens before that instruction.  So a window whose RIP follows an
 * sti byte is taken as still inside the shadow, and enter steps the
 * instruction first.  On a CPU without that fault the byte may be the
 * last of another instruction (jmp -5 is eb fb): the interrupt then comes
 * one instruction later, as an asynchronous interrupt always may.  The
 * look sets no accessed flag and raises nothing (insn_peek).
 */
static bool window_after_sti(struct vm *vm)
{
	struct insn in;

	return vm->vcpu.rip > 0 && insn_peek(vm, vm->vcpu.rip - 1, &in) &&
	       in.id == X86_INS_STI;
}

/*T:160 Hardware assist.  With KVM the CPU runs the guest kernel at its
 * own ring 0 in guest mode and handles every privileged instruction and
 * every page-table walk itself; the monitor is called only for what has no
 * meaning inside the CPU: a port or a memory-mapped register that a device
 * of ours answers, a halt, a triple fault.  Compare the --stats of one
 * guest on softcpu and on kvm: thousands of #GP and #PF exits become a few
 * dozen I/O exits.
 */
static void translate(struct vm *vm, struct kv *k, struct vm_exit *x)
{
	const struct kvm_run *r = k->run;

	switch (r->exit_reason) {
	case KVM_EXIT_IO:
		io_begin(vm, k);
		io_next(vm, k, x);
		break;
	case KVM_EXIT_HLT:
		x->reason = EXIT_HLT;
		break;
	case KVM_EXIT_SHUTDOWN:
		x->reason = EXIT_SHUTDOWN;
		break;
	case KVM_EXIT_IRQ_WINDOW_OPEN:
		if (!vm->vcpu.interrupt_shadow && window_after_sti(vm)) {
			vm->vcpu.interrupt_shadow = true; /* enter steps */
			k->sti_windows++;
		}
		x->reason = EXIT_INTERRUPT;
		break;
	case KVM_EXIT_INTR:
		x->reason = EXIT_INTERRUPT;
		break;
	case KVM_EXIT_DEBUG: /* the debugger's #DB: debug.c */
		kv_debug_exit(vm, k, x);
		break;
	case KVM_EXIT_MMIO:
		if (mmio_begin(vm, k, x))
			mmio_next(vm, k, x);
		break;
	case KVM_EXIT_FAIL_ENTRY:
		kv_internal(k, x, "the CPU refused to enter the guest at rip %#"
			    PRIx64 " (hardware entry failure reason %#llx)",
			    vm->vcpu.rip, (unsigned long long)
			    r->fail_entry.hardware_entry_failure_reason);
		break;
	case KVM_EXIT_INTERNAL_ERROR:
		/* What the guest did, KVM could not carry out (an instruction
		 * to emulate on memory that is not RAM, an exception while
		 * delivering one): the guest is stopped (tier 2 of
		 * core/panic.h), as the hardware would have given up on it. */
		vm_kill_at(vm, VM_EXIT_TRIPLE_FAULT, vm->vcpu.rip,
			   "KVM cannot go on with the guest: %s (internal "
			   "error %u)", internal_error_name(r->internal.suberror),
			   r->internal.suberror);
		x->reason = EXIT_INTERRUPT; /* nothing left to do but stop */
		break;
	default:
		kv_internal(k, x, "KVM exit reason %u, which this engine "
			    "does not handle", r->exit_reason);
		break;
	}
}

/*
 * The run loop took a vector from the interrupt controller for a guest
 * that can take it now: IF set, no interrupt shadow, no instruction or
 * event delivery under way, the very conditions of KVM's
 * ready_for_interrupt_injection.  It goes to the CPU at the next entry
 * (inject), which delivers it through the guest's IDT as the processor's
 * INTR pin would, in protected mode (a 32-bit gate, the stack switch
 * through the TSS) as in 64-bit mode.  Until then the vCPU is taking it:
 * no other interrupt is acknowledged meanwhile.
 */
static void kv_inject_interrupt(struct vm *vm, uint8_t vector)
{
	struct kv *k = vm->engine_data;

	k->irq_vector = vector;
	k->irq_queued = true;
	vm->vcpu.halted = false;
	vm->vcpu.insn_in_progress = true;
}

/*
 * Without an in-kernel irqchip, KVM_INTERRUPT injects at the next entry
 * whatever the guest's IF says, so it is made only where KVM itself says
 * the guest can take it (ready_for_interrupt_injection, from the last
 * exit); otherwise the vector waits, and the interrupt window brings KVM
 * back for it.
 */
static int inject(struct kv *k, struct vm_exit *x)
{
	struct kvm_interrupt irq = { .irq = k->irq_vector };

	if (!k->run->ready_for_interrupt_injection)
		return 0;
	if (ioctl(k->vcpu_fd, KVM_INTERRUPT, &irq) < 0) {
		kv_internal(k, x, "KVM_INTERRUPT of vector %#x: %s",
			    k->irq_vector, strerror(errno));
		return -1;
	}
	k->irq_queued = false;
	return 0;
}

/*
 * Enter the guest until KVM comes back: the registers the monitor changed
 * go in first, and every register comes back out after, so that struct
 * vcpu is the guest's state whenever the dispatcher looks.
 */
static int enter(struct vm *vm, struct kv *k, struct vm_exit *x)
{
	uint64_t t = clock_next_host_deadline(vm);
	bool waiting, step;
	int r, err;

	if (kv_state_put(k, &vm->vcpu) < 0) {
		kv_internal(k, x, "cannot load the vCPU's registers into "
			    "KVM: %s", strerror(errno));
		return -1;
	}
	if (k->irq_queued && inject(k, x) < 0)
		return -1;
	/*
	 * An interrupt is waiting that the guest could not take: ask KVM to
	 * come back as soon as it can.  Until then the timer need not kick:
	 * the PIC's line is edge-triggered, so the ticks that pass meanwhile
	 * would only be lost, as on a PC.
	 *
	 * With IF clear, that is KVM's interrupt window.  Inside an interrupt
	 * shadow (the instruction after an sti, or a mov to SS, not yet run:
	 * the last exit came between the two), the engine single-steps that
	 * one instruction instead and takes the interrupt after it.  The
	 * window would be the same on a CPU that keeps the shadow across
	 * VMRUN, but the SVM that QEMU models before its 9.1 drops it there
	 * (VMRUN does not load the VMCB's int_state): the window then opens
	 * at once, before the instruction, and in "sti; hlt" the interrupt
	 * lands before the hlt, which then sleeps for good.  A step retires
	 * the instruction on any CPU (tests/unit/test_kvm.c,
	 * test_kvm_shadow_step_32bit).
	 */
	waiting = k->irq_queued || devices_intr_pending(vm);
	step = waiting && vm->vcpu.interrupt_shadow && !vm->single_step;
	k->run->request_interrupt_window = waiting && !step;
	if (waiting)
		t = UINT64_MAX;
	if (step && kv_debug_load(vm, k, true) < 0) {
		kv_internal(k, x, "KVM_SET_GUEST_DEBUG (a step over an "
			    "interrupt shadow): %s", strerror(errno));
		return -1;
	}
	k->shadow_steps += step;
	kv_kick_at(k, t);
	r = ioctl(k->vcpu_fd, KVM_RUN, 0);
	err = errno;
	k->run->immediate_exit = 0;
	if (step && kv_debug_load(vm, k, vm->single_step) < 0) {
		kv_internal(k, x, "KVM_SET_GUEST_DEBUG (the debugger's plan "
			    "back): %s", strerror(errno));
		return -1;
	}
	if (kv_state_get(k, &vm->vcpu) < 0) {
		kv_internal(k, x, "cannot read the vCPU's registers from "
			    "KVM: %s", strerror(errno));
		return -1;
	}
	if (k->irq_queued)
		vm->vcpu.insn_in_progress = true; /* still to be taken */
	x->rip = vm->vcpu.rip;
	if (r < 0 && err == EINTR)
		k->kick_ns = 0; /* perhaps it fired: arm it again next time */
	if (r < 0 && err != EINTR) {
		kv_internal(k, x, "KVM_RUN: %s", strerror(err));
		return -1;
	}
	return r < 0 ? 1 : 0; /* 1: a signal (the timer, Ctrl-C) */
}

/* One more return of KVM_RUN for --stats, by its exit reason. */
static void count_exit(struct kv *k, int r)
{
	const size_t n = sizeof(k->exits) / sizeof(k->exits[0]);
	uint32_t why = k->run->exit_reason;

	if (r == 1)
		k->signals++;
	else if (r == 0)
		k->exits[why < n - 1 ? why : n - 1]++;
}

static void kv_run(struct vm *vm, struct vm_exit *x)
{
	struct kv *k = vm->engine_data;
	int r;

	if (k->io.active && io_next(vm, k, x))
		return;
	if (k->mmio.active && mmio_next(vm, k, x))
		return;
	x->rip = vm->vcpu.rip;
	if (vm->kick) {
		x->reason = EXIT_INTERRUPT;
		return;
	}
	do
		count_exit(k, r = enter(vm, k, x));
	while (r == 0 && answered_here(vm, k));
	if (r == 1)
		x->reason = EXIT_INTERRUPT;
	else if (r == 0)
		translate(vm, k, x);
}

/*
 * --stats: how often the CPU really left guest mode for this process.
 * The dispatcher's table counts what it handled, one row per port access
 * or MMIO piece; one KVM_EXIT_IO of a rep insw carries 256 of them, and
 * the exits KVM answers with no dispatcher (the LAPIC's MSRs, a write to
 * CR8) are not in that table at all.  Here is each return of KVM_RUN by
 * KVM's own exit reason, the signals that cut it short (the timer,
 * Ctrl-C), and what the I/O exits carried.  (Exits KVM handles in the
 * kernel, a cpuid or a nested page fault, never come back to user space
 * and are counted nowhere here.)
 */
static void kv_print_stats(const struct vm *vm, double secs, FILE *f)
{
	static const char *const names[] = {
		[KVM_EXIT_IO] = "io", [KVM_EXIT_HLT] = "hlt",
		[KVM_EXIT_MMIO] = "mmio", [KVM_EXIT_SHUTDOWN] = "shutdown",
		[KVM_EXIT_IRQ_WINDOW_OPEN] = "irq_window_open",
		[KVM_EXIT_DEBUG] = "debug", [KVM_EXIT_SET_TPR] = "set_tpr",
		[KVM_EXIT_FAIL_ENTRY] = "fail_entry",
		[KVM_EXIT_INTR] = "intr",
		[KVM_EXIT_INTERNAL_ERROR] = "internal_error",
		[KVM_EXIT_X86_RDMSR] = "x86_rdmsr",
		[KVM_EXIT_X86_WRMSR] = "x86_wrmsr",
	};
	const struct kv *k = vm->engine_data;
	const size_t n = sizeof(k->exits) / sizeof(k->exits[0]);
	uint64_t total = k ? k->signals : 0;

	(void)secs;
	if (!k)
		return;
	for (size_t i = 0; i < n; i++)
		total += k->exits[i];
	fprintf(f, "kvm: KVM_RUN returned %" PRIu64 " times:", total);
	for (size_t i = 0; i < n; i++) {
		if (!k->exits[i])
			continue;
		if (i < n - 1 && i < sizeof(names) / sizeof(names[0]) &&
		    names[i])
			fprintf(f, " %s %" PRIu64, names[i], k->exits[i]);
		else
			fprintf(f, " other %" PRIu64, k->exits[i]);
	}
	if (k->signals)
		fprintf(f, " signal %" PRIu64, k->signals);
	if (k->shadow_steps)
		fprintf(f, "\nkvm: %" PRIu64 " single steps over an interrupt "
			"shadow, an interrupt waiting (%" PRIu64 " of the shadows "
			"kept at a window that opened right after an sti)",
			k->shadow_steps, k->sti_windows);
	fprintf(f, "\nkvm: the io exits carried %" PRIu64 " port accesses, the "
		"mmio exits %" PRIu64 " device accesses\n", k->io_accesses,
		k->mmio_pieces);
}

/*
 * The monitor's sandbox (monitor/sandbox.c) allows these besides its own:
 * ioctl (KVM_RUN and the register and state ioctls on the VM and vCPU
 * descriptors), timer_settime and timer_delete (the kick timer, kick.c).
 */
static const int kv_sandbox_syscalls[] = {
	SYS_ioctl, SYS_timer_settime, SYS_timer_delete, -1
};

const struct engine engine_kvm = {
	.name = "kvm",
	.sandbox_syscalls = kv_sandbox_syscalls,
	.nested_paging = true,
	.probe = kv_probe,
	.init = kv_init,
	.run = kv_run,
	.inject_interrupt = kv_inject_interrupt,
	.flush = NULL,        /* no shadow page tables: nested paging */
	.ram_written = NULL,  /* KVM reads guest RAM where the monitor wrote */
	.fini = kv_fini,
	.set_debug = kv_set_debug,
	.debug_watchpoints = true,
	.print_stats = kv_print_stats,
};
#endif /* KVM_ENGINE_BUILT */
