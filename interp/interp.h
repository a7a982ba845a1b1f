/*
 * interp/interp.h - the interpreter routines.
 *
 * Popek and Goldberg's interpreter has one routine per sensitive instruction
 * that does to the virtual machine what the instruction would do to a real
 * one.  Each routine here receives the vCPU's machine and the decoded
 * instruction and, like the CPU:
 *   - checks the virtual privilege level and operands, and on a fault raises
 *     the exception in the vCPU (vcpu_raise*) leaving RIP on the instruction;
 *   - otherwise changes the vCPU, guest memory or a device, and moves RIP
 *     past the instruction (or to the target of a control transfer).
 * The dispatcher then delivers any raised exception through the guest's IDT
 * with interp_deliver().
 */
#ifndef INTERP_INTERP_H
#define INTERP_INTERP_H

#include <stdbool.h>
#include <stdint.h>

struct vm;
struct insn;

typedef void interp_fn(struct vm *vm, const struct insn *in);

/*
 * What a routine did, for --trace: the interpreter reports it here and the
 * monitor words it (monitor/trace.c), so that no routine prints.  Before
 * it runs a routine the dispatcher points vm->effect at one of these; a
 * routine that completes fills it in, one that faults leaves it alone
 * (the exception it raised is its effect).
 */
enum interp_effect_kind {
	EFFECT_NONE,
	EFFECT_PORT,    /* in, out, ins, outs: port reg, size bytes, value
			   (the last element), count elements (string) */
	EFFECT_REG,     /* a register written (write) or read: name, value;
			   CRn, DRn, XCR0, segment registers, LDTR, TR,
			   RFLAGS, the TSC */
	EFFECT_MSR,     /* rdmsr, wrmsr: reg = the MSR's index, value */
	EFFECT_DTABLE,  /* lgdt, lidt (write), sgdt, sidt: name, value =
			   base, limit */
	EFFECT_CPUID,   /* reg = leaf, limit = subleaf, out = EAX..EDX */
	EFFECT_TLB,     /* invlpg (value = the address), invpcid, wbinvd:
			   name */
	EFFECT_JUMP,    /* a far transfer or system call: name, reg = CS,
			   value = RIP, size = the CPL, all after it */
	EFFECT_INT,     /* int n: reg = vector, then as EFFECT_JUMP */
	EFFECT_HALT,    /* hlt: the vCPU waits for an interrupt */
};

struct interp_effect {
	enum interp_effect_kind kind;
	const char *name;       /* the register, table or instruction */
	bool write;
	uint32_t reg;
	uint64_t value;
	uint32_t limit;
	unsigned size;
	uint64_t count;
	uint32_t out[4];
};

/* The routine for this instruction, or NULL when there is none. */
interp_fn *interp_lookup(const struct insn *in);

/*
 * Deliver the vCPU's pending exception (vcpu.exception) into the guest as
 * the CPU would: read the IDT gate, switch stacks, push the frame, jump.
 * A fault while delivering becomes #DF; a fault delivering #DF is a triple
 * fault, which puts the vCPU in the shutdown state (vcpu.shutdown, with
 * the chain of events): the caller stops the VM (monitor/run.c).
 */
void interp_deliver(struct vm *vm);

/*
 * Deliver a device's interrupt (vector) now, as the CPU does between two
 * instructions: external (EXT set in any error code), no gate DPL check.
 * The caller has checked the virtual IF and the interrupt shadow.
 */
void interp_deliver_interrupt(struct vm *vm, uint8_t vector);

/*
 * The instruction in faulted on a page that maps a device's memory, for an
 * engine whose MMU cannot reach devices (engine.handles_mmio false: native):
 * perform its access through devices_mmio() and complete it (mov, movzx,
 * movsx).  True when done (or when it raised the fault the access deserves);
 * false when in is not an instruction this routine emulates on device
 * memory: the caller stops the guest.
 */
bool interp_mmio(struct vm *vm, const struct insn *in);

/*
 * rdmsr and wrmsr of MSR msr, without the instruction (its CPL check, RIP,
 * the registers): false when the MSR does not exist or refuses val, which
 * is #GP(0) for the caller to raise.  For kvm, where the CPU decoded the
 * instruction (engines/kvm/kvm.c).
 */
bool interp_msr_read(struct vm *vm, uint32_t msr, uint64_t *val);
bool interp_msr_write(struct vm *vm, uint32_t msr, uint64_t val);

/* The virtual machine's CPUID, the same on every engine. */
void interp_cpuid_values(const struct vm *vm, uint32_t leaf, uint32_t subleaf,
			 uint32_t out[4]);

/*
 * The paravirtual interface (core/hypercall.h, interp/hypercall.c).
 * interp_hypercall: the call in the vCPU's registers, made by an out to
 * HC_PORT that passed the CPU's I/O check; true when done (the caller
 * moves RIP on, or on kvm lets KVM finish the out), false with #UD (guest
 * user mode) or a #PF raised.  interp_hypercall_name: a number's name for
 * traces.  interp_pv_fold (after each exit) and interp_pv_publish (before
 * each entry) keep the shared page's interrupt mask and vcpu.rflags.IF in
 * step.
 */
bool interp_hypercall(struct vm *vm);
const char *interp_hypercall_name(uint64_t nr);
void interp_pv_fold(struct vm *vm);
void interp_pv_publish(struct vm *vm);

#endif /* INTERP_INTERP_H */
