/*
 * core/engine.h - the interface every execution engine provides.
 *
 * An engine runs guest instructions until something needs the monitor, then
 * returns a struct vm_exit.  The three engines differ in who executes the
 * instructions (a software CPU, the host CPU at ring 3, the host CPU in guest
 * mode) but share the vCPU, guest RAM, the dispatcher and the device model.
 */
#ifndef CORE_ENGINE_H
#define CORE_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct vm;
struct vm_exit;

/*T:100 An engine runs guest instructions until something needs the monitor, and
 * says why in a struct vm_exit (stop 200).  Three engines fill in this one
 * interface: softcpu, a software CPU that can only do what ring 3 may
 * (stops 110-120); native, the host CPU at its real ring 3 inside a
 * ptrace'd child process (stops 130-150); kvm, the host CPU in VT-x or
 * AMD-V guest mode (stop 160).  They differ in *who* executes the guest's
 * instructions; they share the vCPU, guest RAM, the dispatcher, the
 * interpreter routines, the shadow page tables and the devices.  The two
 * flags tell the rest of the monitor what it may rely on: an engine that
 * counts instructions makes --icount possible, and one with nested paging
 * leaves the shadow page tables unused.
 */
struct engine {
	const char *name;
	/* Guest instructions retired are counted in vcpu.instructions. */
	bool counts_instructions;
	/* The CPU walks the guest's page tables itself (nested paging): the
	 * shadow page tables are not used. */
	bool nested_paging;
	/* The engine's MMU sends accesses to device memory (a shadow leaf
	 * whose frame is not RAM) to devices_mmio() itself (softcpu); else
	 * they fault and the dispatcher emulates the instruction
	 * (interp_mmio). */
	bool handles_mmio;
	/*
	 * Can this engine run here?  Returns 0, or -1 with a one-line reason
	 * written to why (for example "no /dev/kvm: ...").
	 */
	int (*probe)(char *why, size_t len);
	/* Prepare to run vm.  Returns 0, or -1 with a reason in why. */
	int (*init)(struct vm *vm, char *why, size_t len);
	/* Run guest code until an exit; fill *exit. */
	void (*run)(struct vm *vm, struct vm_exit *exit);
	/*
	 * Deliver external interrupt vector, which the run loop took from the
	 * interrupt controller for a guest that can take it now.  NULL: the
	 * monitor enters the guest's IDT itself (interp_deliver_interrupt);
	 * kvm has the CPU do it (KVM_INTERRUPT).
	 */
	void (*inject_interrupt)(struct vm *vm, uint8_t vector);
	/*
	 * The shadow page tables changed: forget any cached translation of
	 * linear address va, or of every address when va is SHADOW_FLUSH_ALL.
	 * May be NULL for engines that keep no translations (kvm).
	 */
	void (*flush)(struct vm *vm, uint64_t va);
	/*
	 * The virtual CPL changed and the shadow's current view with it
	 * (vm->spt->current is now the other root of the same address
	 * space); no shadow entry changed.  An engine that keeps each view's
	 * translations apart (softcpu's two TLBs) selects the other.  NULL:
	 * the engine is sent flush(SHADOW_FLUSH_ALL) instead.
	 */
	void (*switch_view)(struct vm *vm);
	/*
	 * The monitor wrote guest-physical [gpa, gpa + len) (gm_write and
	 * gva_write call this): drop anything derived from those bytes, such
	 * as decoded instructions.  May be NULL.
	 */
	void (*ram_written)(struct vm *vm, uint64_t gpa, uint64_t len);
	/*
	 * The debugger changed vm->debug (core/debug.h) or vm->single_step:
	 * make the next run() stop where they say.  An engine that compares
	 * addresses itself (softcpu) drops what it cached about them (TLB
	 * entries of watched pages); one with hardware help programs it
	 * here: kvm through KVM_SET_GUEST_DEBUG (KVM_GUESTDBG_SINGLESTEP,
	 * KVM_GUESTDBG_USE_HW_BP with the addresses in debugreg[0..3]),
	 * native through the child's debug registers (PTRACE_POKEUSER of
	 * u_debugreg) and PTRACE_SINGLESTEP.  Returns 0, or -1 with a
	 * reason in why (more breakpoints than the hardware has).  NULL:
	 * the engine cannot be debugged, and --gdb refuses it.
	 */
	int (*set_debug)(struct vm *vm, char *why, size_t len);
	/* The engine stops at data watchpoints (vm->debug.watches). */
	bool debug_watchpoints;
	/* Release what init took. */
	void (*fini)(struct vm *vm);
	/*
	 * --stats: print the engine's own figures to f (softcpu: guest
	 * instructions per second, decode-cache hit rate); secs is the run's
	 * wall time.  May be NULL.
	 */
	void (*print_stats)(const struct vm *vm, double secs, FILE *f);
	/*
	 * The system calls the engine makes after init, beyond the monitor's
	 * own (monitor/sandbox.c): a list ended by -1, or NULL for none.
	 */
	const int *sandbox_syscalls;
};

#define SHADOW_FLUSH_ALL (~0ULL)

#endif /* CORE_ENGINE_H */
