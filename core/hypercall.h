/*
 * core/hypercall.h - the paravirtual interface between a guest kernel and
 * trapvisor: the hypercall instruction, its calling convention, its
 * numbers, and the page the monitor shares with the guest.
 *
 * Freestanding (only <stdint.h>): the monitor includes it, and so does the
 * guest runtime's PV build (guests/runtime/cpu.h with -DPV).
 *
 * Why paravirtualize at all.  x86 has sensitive instructions that do not
 * trap at ring 3 (pushf, popf, sgdt, sidt, str, mov from a segment
 * register, cpuid, rdtsc ...: isa/README.md), so a kernel de-privileged to
 * ring 3 sees the real machine through them.  Xen (2003) and lguest (2007)
 * changed the guest instead of the CPU: the kernel asks the monitor
 * explicitly (a *hypercall*, as a program makes a system call), and for
 * the hottest operation, turning interrupts off and on, it does not even
 * ask: it writes a byte in a page it shares with the monitor (Xen's
 * shared_info with evtchn_upcall_mask, lguest's struct lguest_data with
 * irq_enabled), which the monitor reads before it injects an interrupt.
 *
 * The hypercall instruction: out to port HC_PORT.
 *
 *     mov  $HC_..., %eax          number
 *     mov  arg0, %rdi             (i386: %ebx)
 *     mov  arg1, %rsi             (i386: %ecx)
 *     mov  arg2, %rdx             (i386: %edx)
 *     outl %eax, $HC_PORT
 *     result in %rax (%eax); every other register is kept
 *
 * It must reach the monitor on all three engines, from the guest kernel,
 * with the registers:
 *   - softcpu and native run the kernel at ring 3 with IOPL 0, so any
 *     port access is a #GP that the dispatcher decodes (interp_out);
 *   - kvm runs it at ring 0 in guest mode, where the obvious choice,
 *     vmcall/vmmcall (Xen's HVM hypercall, KVM's own), never leaves the
 *     kernel: KVM answers an unknown number itself with -KVM_ENOSYS.
 *     What KVM sends to user space is port I/O, MMIO and, with
 *     KVM_CAP_X86_USER_SPACE_MSR, some MSRs.  An out is a KVM_EXIT_IO with
 *     the port already decoded, and the engine has just read every
 *     register back into struct vcpu, so the arguments are there.
 * Port I/O is also what VMware chose for its "backdoor" (in from port
 * 0x5658 with 'VMXh' in EAX, the command in ECX): an instruction every
 * x86 monitor already traps.  An MSR would do on kvm too, but wrmsr
 * passes only EDX:EAX; an MMIO doorbell needs the guest to map a page.
 * The imm8 form of out keeps RDX free for an argument.
 *
 * Privilege.  The CPU checks port I/O first: at CPL > IOPL, without the
 * port in the TSS's I/O bit map, it is #GP(0) on every engine, before
 * the monitor hears of it.  A call that gets through from guest user mode
 * (virtual CPL 3, e.g. with IOPL 3) is refused by the monitor with #UD, as
 * Xen does for a vmcall from CPL > 0: user code cannot hypercall.
 *
 * The shared page.  The guest gives the monitor the guest-physical
 * address of one page-aligned struct hc_shared (HC_SHARED_PAGE).  From
 * then on:
 *   - irq_mask is the guest's virtual IF as a byte it can write with no
 *     trap: 1 = interrupts masked (cli), 0 = enabled (sti).  struct
 *     vcpu's rflags.IF stays the single source of truth: at each exit the
 *     run loop folds a byte the guest wrote into vcpu.rflags.IF, and
 *     before each entry it writes IF back as the byte, with HC_MASK_MONITOR
 *     set to tell its own writes from the guest's (interp/hypercall.c,
 *     interp_pv_fold() and interp_pv_publish(): the one place).  So every
 *     other change of IF (an interrupt gate, iret, syscall's SFMASK,
 *     sysret) shows in the byte at the next entry; under kvm, where the
 *     CPU does those without an exit, the byte the guest reads may be
 *     stale until the next exit (guests/runtime/README.md).
 *   - irq_pending: an interrupt is waiting for the mask to clear.  A
 *     guest that unmasks and finds it set makes one hypercall,
 *     HC_IRQ_UNMASKED, which exits so that the monitor can inject it
 *     (Xen's evtchn_upcall_pending).
 *   - time_ns: the virtual time (core/clock.h, nanoseconds since reset)
 *     when the monitor last entered the guest: a clock read without an
 *     exit, as lguest_data.time, coarse between exits.
 */
#ifndef CORE_HYPERCALL_H
#define CORE_HYPERCALL_H

#ifndef __ASSEMBLER__
#include <stdint.h>
#endif

/* The hypercall port (outl %eax, $HC_PORT): unassigned on a PC. */
#define HC_PORT 0xe8

/* The numbers (in RAX). */
/* arg0: guest-physical address of a page-aligned struct hc_shared (0:
 * none).  0, or -HC_EINVAL for memory that is not the guest's RAM. */
#define HC_SHARED_PAGE 1
/* No arguments: the guest unmasked with irq_pending set; the monitor
 * injects the interrupt at this exit.  Returns 0. */
#define HC_IRQ_UNMASKED 2
/* arg0: HC_DTR_GDTR or HC_DTR_IDTR; arg1: a guest-virtual pointer where
 * the register is stored as sgdt/sidt store it (the limit, then the base:
 * 8 bytes in 64-bit mode, 4 otherwise).  0, or -HC_EINVAL.  A pointer the
 * guest's page tables refuse is the #PF they call for, as if the out had
 * made the access (the guest can retry it, as any faulting instruction). */
#define HC_READ_DTR 3
/* arg0: a segment register, HC_SEL_ES..HC_SEL_GS in encoding order,
 * HC_SEL_LDTR or HC_SEL_TR.  Returns its selector (mov from Sreg, sldt,
 * str), or -HC_EINVAL. */
#define HC_READ_SELECTOR 4
/* arg0: leaf (EAX), arg1: subleaf (ECX), arg2: a guest-virtual pointer
 * to 4 uint32_t: EAX, EBX, ECX, EDX of the virtual CPU's CPUID.  0 (a bad
 * pointer: #PF, as for HC_READ_DTR). */
#define HC_CPUID 5
/* No arguments: the virtual CPU's time-stamp counter, as rdtsc reads it;
 * outside 64-bit mode EDX:EAX, as rdtsc. */
#define HC_RDTSC 6
#define HC_NR 7

#define HC_DTR_GDTR 0
#define HC_DTR_IDTR 1
#define HC_SEL_ES 0
#define HC_SEL_CS 1
#define HC_SEL_SS 2
#define HC_SEL_DS 3
#define HC_SEL_FS 4
#define HC_SEL_GS 5
#define HC_SEL_LDTR 6
#define HC_SEL_TR 7

/* Errors, returned negated in RAX (Xen's and Linux's numbers). */
#define HC_EINVAL 22
#define HC_ENOSYS 38

#ifndef __ASSEMBLER__
/* The shared page: the same layout for i386 and x86-64 guests. */
struct hc_shared {
	uint8_t irq_mask;    /* bit 0: masked; the guest writes 0 or 1 */
	uint8_t irq_pending; /* the monitor: an interrupt waits for unmask */
	uint8_t pad[6];
	uint64_t time_ns;    /* virtual time at the monitor's last entry */
};
#endif

/* Set in irq_mask by the monitor's own writes: a byte without it is one
 * the guest wrote since (interp_pv_fold). */
#define HC_MASK_MONITOR 0x80
#define HC_MASK_MASKED 0x01

#endif /* CORE_HYPERCALL_H */
