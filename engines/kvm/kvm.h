/*
 * engines/kvm/kvm.h - the kvm engine's private interface.
 *
 * The kvm engine is hardware assist: the guest kernel runs in the CPU's
 * guest mode (AMD-V or VT-x) at its own ring 0, its privileged
 * instructions and its page tables handled by the CPU and by KVM, not by
 * trapvisor.  The monitor sees only what KVM passes up to user space: port
 * I/O, HLT, a shutdown, memory outside RAM (the PC's memory-mapped chips),
 * the local APIC's MSRs, and its own failures.
 *
 *   kvm.c     set-up (/dev/kvm, the VM, its RAM slot, the vCPU) and run()
 *   state.c   struct vcpu <-> KVM's registers, both ways
 *   cpuid.c   the virtual CPU's CPUID table, from interp_cpuid_values()
 *   kick.c    a host timer that brings KVM_RUN back for the next tick
 *
 * Built only on x86-64 hosts where <linux/kvm.h> exists (every file is
 * guarded by KVM_ENGINE_BUILT).
 */
#ifndef ENGINES_KVM_KVM_H
#define ENGINES_KVM_KVM_H

#if defined(__x86_64__) && __has_include(<linux/kvm.h>)
#define KVM_ENGINE_BUILT 1

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <linux/kvm.h>

#include "core/exit.h"
#include "core/vcpu.h"
#include "isa/debugreg.h"

struct vm;

/*
 * One KVM_EXIT_IO is handed to the dispatcher one access at a time (a rep
 * ins/outs gives several), so that every access is counted and reaches the
 * device model exactly once.
 */
struct kv_io {
	bool active;        /* items remain, or an in waits for its value */
	bool in;
	uint8_t size;       /* 1, 2 or 4 */
	uint16_t port;
	uint32_t count;     /* accesses in this exit */
	uint32_t next;      /* the next one to hand out */
	struct vm_exit *exit; /* the last one handed out: an in's value
				 comes back in its io.data (dispatch_io) */
};

/*
 * One KVM_EXIT_MMIO, handed to the dispatcher as one EXIT_MMIO, or as
 * several when KVM cut the access at a page boundary into a length that
 * is not 1, 2, 4 or 8 bytes (kvm.c, mmio_next).
 */
struct kv_mmio {
	bool active;        /* pieces remain, or a read waits for its value */
	bool write;
	uint64_t gpa;       /* the first byte of the access */
	uint32_t len;       /* its bytes, 1 to 8 */
	uint32_t done;      /* bytes handed out so far */
	uint32_t piece;     /* the size of the last piece handed out */
	struct vm_exit *exit; /* the last one handed out: a read's value
				 comes back in its mmio.data (dispatch) */
};

struct kv {
	int sys_fd;             /* /dev/kvm */
	int vm_fd;              /* KVM_CREATE_VM */
	int vcpu_fd;            /* KVM_CREATE_VCPU */
	struct kvm_run *run;    /* the vCPU's shared page(s) */
	size_t run_size;
	struct vcpu synced;     /* vm->vcpu as last exchanged with KVM */
	struct kv_io io;
	struct kv_mmio mmio;
	bool irq_queued;        /* an interrupt for the next KVM_INTERRUPT */
	uint8_t irq_vector;
	uint64_t pdptrs[4];     /* PAE paging's PDPTEs as KVM last gave them */
	bool pdptrs_valid;      /* ... and the guest was in PAE paging */
	timer_t timer;          /* kick.c */
	uint64_t kick_ns;       /* when it is armed for; UINT64_MAX: not */
	bool have_timer;
	char why[160];          /* text of the last EXIT_INTERNAL */
	struct dr_plan dr;      /* the debugger's DR0-DR3, DR7 (debug.c) */
	/* --stats: KVM_RUN's returns by exit_reason (the last slot: any
	 * reason beyond it), and the accesses they carried */
	uint64_t exits[KVM_EXIT_X86_WRMSR + 2];
	uint64_t io_accesses, mmio_pieces, signals;
	uint64_t shadow_steps;  /* enter's steps over an interrupt shadow */
	uint64_t sti_windows;   /* windows right after an sti (translate) */
};

/* debug.c: engine->set_debug, through KVM_SET_GUEST_DEBUG. */
int kv_set_debug(struct vm *vm, char *why, size_t len);
/* debug.c: load the debugger's plan into KVM, plus a single step when step
 * says so.  Returns 0, or -1 with errno. */
int kv_debug_load(const struct vm *vm, struct kv *k, bool step);
/* debug.c: KVM_EXIT_DEBUG, the stop it means, as an EXIT_INTERRUPT. */
void kv_debug_exit(struct vm *vm, struct kv *k, struct vm_exit *x);

/* state.c: read every register the vcpu mirrors out of KVM into v. */
int kv_state_get(struct kv *k, struct vcpu *v);
/* state.c: write into KVM the register groups where v differs from
 * k->synced; then k->synced = *v.  Returns 0, or -1 with errno. */
int kv_state_put(struct kv *k, const struct vcpu *v);
/* state.c: write every group, whatever k->synced says (at init). */
int kv_state_put_all(struct kv *k, const struct vcpu *v);

/*
 * state.c: the conversions themselves, both ways, for the tests
 * (tests/unit/test_kvm.c).  A segment goes through unchanged:
 * kv_seg_from_kvm(kv_seg_to_kvm(s)) == s.  kv_sregs_from_vcpu() leaves
 * the PDPTEs out (flags 0); kv_pdptrs_kept() says whether sregs_put hands
 * KVM the ones it last read instead of letting it load them from memory.
 */
void kv_seg_to_kvm(const struct vcpu_segment *s, struct kvm_segment *k);
void kv_seg_from_kvm(struct vcpu_segment *s, const struct kvm_segment *k);
void kv_regs_from_vcpu(const struct vcpu *v, struct kvm_regs *r);
void kv_regs_to_vcpu(const struct kvm_regs *r, struct vcpu *v);
void kv_sregs_from_vcpu(const struct vcpu *v, struct kvm_sregs2 *s);
void kv_sregs_to_vcpu(const struct kvm_sregs2 *s, struct vcpu *v);
bool kv_pdptrs_kept(const struct kv *k, const struct vcpu *v);

/* cpuid.c: give the vCPU the virtual CPU's CPUID (isa/CONTRACT.md), but
 * with the MAXPHYADDR that the CPU enforces where KVM cannot lower it. */
int kv_cpuid_set(struct kv *k, const struct vm *vm);

/* kick.c: install the timer and its signal handler; 0 or -1 with errno. */
int kv_kick_init(struct kv *k);
/* kick.c: make KVM_RUN return by host time t_ns (CLOCK_MONOTONIC), or
 * never when t_ns is UINT64_MAX. */
void kv_kick_at(struct kv *k, uint64_t t_ns);
/* kick.c: remove the timer. */
void kv_kick_fini(struct kv *k);

#endif /* x86-64 with <linux/kvm.h> */
#endif /* ENGINES_KVM_KVM_H */
