/*
 * core/vcpu.h - the virtual CPU: the guest's architectural state.
 *
 * This structure is the single source of truth for what the guest believes
 * its processor holds.  Engines copy registers in and out of it (native and
 * kvm at each exit; softcpu keeps the general registers in its own struct
 * while a run lasts and copies them back when it ends) or work on it
 * directly (softcpu, for the rest); interpreter routines change it; nothing
 * else in trapvisor keeps its own idea of system state.
 *
 * "Virtual" is the key word: rflags holds the IF and IOPL the *guest* set,
 * cpl is the privilege level the guest believes it runs at (0 for its kernel)
 * although its code really runs at ring 3.
 */
#ifndef CORE_VCPU_H
#define CORE_VCPU_H

#include <stdbool.h>
#include <stdint.h>

/*
 * General registers, in the order of their encoding in ModRM/REX.  (GPR_,
 * not REG_: glibc's <sys/ucontext.h> already owns REG_RAX and friends.)
 */
enum vcpu_reg {
	GPR_RAX, GPR_RCX, GPR_RDX, GPR_RBX, GPR_RSP, GPR_RBP, GPR_RSI, GPR_RDI,
	GPR_R8, GPR_R9, GPR_R10, GPR_R11, GPR_R12, GPR_R13, GPR_R14, GPR_R15,
	VCPU_NREGS
};

/* Segment registers, in the order of their encoding (sreg field). */
enum vcpu_sreg {
	SEG_ES, SEG_CS, SEG_SS, SEG_DS, SEG_FS, SEG_GS, VCPU_NSEGS
};

/*
 * A segment register with its hidden part (the descriptor cache).  In
 * 64-bit mode only FS and GS bases matter for addressing; the rest is kept
 * so that reads of selectors, lar and friends, and iretq see what hardware
 * would.  attr holds descriptor bits 40..55 shifted down by 40
 * (type, S, DPL, P, AVL, L, D/B, G), as in the descriptor picture of
 * isa/x86.h, with bits 8..11 (limit 19:16) kept zero: attr 0xa09b is a
 * present ring-0 64-bit code segment.
 */
struct vcpu_segment {
	uint16_t selector;
	uint64_t base;
	uint32_t limit;
	uint16_t attr;
};

/* GDTR and IDTR: a linear base and a limit in bytes minus one. */
struct vcpu_dtable {
	uint64_t base;
	uint16_t limit;
};

/* An exception waiting to be delivered into the guest through its IDT. */
struct vcpu_event {
	bool pending;
	uint8_t vector;
	bool has_error;
	uint32_t error;
};

/*
 * One event of a delivery that went wrong: the exception, interrupt or
 * int n being delivered, or a fault that came while delivering it.
 */
struct vcpu_chain_event {
	uint8_t vector;
	bool has_error;
	uint32_t error;
	bool external;          /* a device's interrupt */
	bool software;          /* int n, int3 */
};

/*
 * A triple fault puts the CPU in the shutdown state (SDM vol. 3, 6.15,
 * "Interrupt 8").  The events that led there, in order: the one being
 * delivered, each fault during its delivery, the double fault, and the
 * fault while delivering that.  The run loop stops the VM and names them.
 */
#define VCPU_CHAIN_MAX 8
struct vcpu_shutdown {
	bool pending;
	uint64_t rip;           /* where the first event was raised */
	unsigned n;
	struct vcpu_chain_event ev[VCPU_CHAIN_MAX];
};

/*T:210 The virtual CPU: everything the guest believes about its processor, and
 * the single source of truth for it.  rflags holds the *virtual* IF and
 * IOPL, cpl the *virtual* CPL (0 while the guest kernel runs, although its
 * code really runs at ring 3), and the control registers, descriptor-table
 * registers and MSRs hold what the guest loaded, never the host's values.
 * Engines copy the registers in and out around each run; interpreter
 * routines read and change it; an exception that a routine raises waits in
 * .exception until the dispatcher delivers it through the guest's IDT.
 */
struct vcpu {
	uint64_t regs[VCPU_NREGS]; /* RAX..R15 */
	uint64_t rip;
	uint64_t rflags;           /* as the guest believes: virtual IF, IOPL */
	uint8_t cpl;               /* virtual CPL: 0 kernel, 3 user */

	uint64_t cr0, cr2, cr3, cr4, cr8;
	uint64_t efer;
	/*
	 * PAE paging's four page-directory-pointer-table entries: registers
	 * the CPU loads from the table at CR3 when CR3 is written or PAE
	 * paging is turned on (SDM vol. 3, 4.4.1), and walks from instead of
	 * the table in memory (shadowpt_load_pdptes()).
	 */
	uint64_t pdpte[4];

	struct vcpu_segment seg[VCPU_NSEGS];
	struct vcpu_segment ldtr, tr;
	struct vcpu_dtable gdtr, idtr;

	/* Model-specific registers the virtual machine implements. */
	uint64_t star, lstar, cstar, sfmask;
	uint64_t kernel_gs_base;   /* swapped with seg[SEG_GS].base by swapgs */
	uint64_t sysenter_cs, sysenter_esp, sysenter_eip;
	uint64_t tsc_offset;       /* guest TSC = host TSC (under --icount:
				      virtual ns) + tsc_offset (kvm copies
				      the guest's IA32_TSC here) */
	uint64_t tsc_aux;
	uint64_t apic_base;
	uint64_t pat;
	uint64_t xcr0;              /* XCR0, written by xsetbv (bit 0 reads 1) */
	uint64_t dr[8];             /* DR0-DR3, DR6, DR7 (4 and 5 alias 6, 7) */

	struct vcpu_event exception; /* raised by an interpreter routine */
	struct vcpu_shutdown shutdown; /* after a triple fault */
	bool halted;                 /* after hlt, until an interrupt */
	bool interrupt_shadow;       /* sti blocks interrupts for one insn */
	uint64_t shadow_mark;        /* instructions when the shadow began */
	/*
	 * An instruction has begun and not yet completed (kvm: port I/O whose
	 * in value or string registers the next KVM_RUN stores): as inside
	 * any instruction, no interrupt may be delivered until it completes.
	 */
	bool insn_in_progress;
	uint64_t instructions;       /* guest instructions retired (softcpu) */
	/*
	 * The paravirtual interface (core/hypercall.h): the guest-physical
	 * address of the struct hc_shared the guest registered with
	 * HC_SHARED_PAGE, 0 for none.  Its irq_mask byte is a copy of
	 * rflags.IF, which stays the truth: interp_pv_fold() and
	 * interp_pv_publish() keep the two in step around each run.
	 */
	uint64_t pv_shared;
};

/* Raise exception vector into the guest (delivered before it resumes). */
static inline void vcpu_raise(struct vcpu *v, uint8_t vector)
{
	v->exception = (struct vcpu_event){ true, vector, false, 0 };
}

/* Raise an exception that pushes an error code (#GP, #PF, #TS, ...). */
static inline void vcpu_raise_error(struct vcpu *v, uint8_t vector,
				    uint32_t error)
{
	v->exception = (struct vcpu_event){ true, vector, true, error };
}

#endif /* CORE_VCPU_H */
