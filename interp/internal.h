/*
 * interp/internal.h - what the interpreter routines share among themselves.
 *
 * interp/interp.h is the interpreter's face to the dispatcher: look up a
 * routine, deliver an exception.  This header is its inside: every routine
 * (one per sensitive instruction, in a file per family), and the helpers
 * they are built from:
 *
 *   operand.c   registers by Capstone id, effective addresses, memory
 *               operands, the stack
 *   segdesc.c   segment descriptors read from the guest's GDT and LDT
 *   deliver.c   an event through the guest's IDT
 *
 * Every routine has the signature interp_fn and the contract of interp.h:
 * on a fault it raises the exception and leaves RIP alone; otherwise it
 * does what the instruction does and moves RIP on.
 */
#ifndef INTERP_INTERNAL_H
#define INTERP_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include <capstone/capstone.h>

#include "interp/interp.h"
#include "isa/arch.h"
#include "isa/decode.h"
#include "isa/x86.h"
#include "core/vcpu.h"
#include "core/vm.h"

/* REX.W in Capstone's cs_x86.rex: a 64-bit operand size. */
#define INSN_REX_W 0x8

/* ------------------------------------------------------------- faults */

/* #GP(error): the commonest answer of a privileged instruction. */
static inline void interp_gp(struct vm *vm, uint32_t error)
{
	vcpu_raise_error(&vm->vcpu, T_GP, error);
}

/* #UD: the instruction does not exist here (or not in this state). */
static inline void interp_ud(struct vm *vm)
{
	vcpu_raise(&vm->vcpu, T_UD);
}

/* The instruction is done: RIP moves past it. */
static inline void interp_advance(struct vm *vm, const struct insn *in)
{
	vm->vcpu.rip = in->rip + in->size;
}

/* Report what the routine did (interp.h, struct interp_effect). */
static inline void interp_report(struct vm *vm, const struct interp_effect *e)
{
	if (vm->effect)
		*vm->effect = *e;
}

/* Report a register written (or read) with its new (or read) value. */
static inline void interp_report_reg(struct vm *vm, const char *name,
				     bool write, uint64_t value)
{
	interp_report(vm, &(struct interp_effect){ .kind = EFFECT_REG,
		      .name = name, .write = write, .value = value });
}

/* Report a control transfer: where the vCPU now is; name says where the
 * target came from (NULL: the instruction's own operand or stack). */
static inline void interp_report_jump(struct vm *vm, const char *name)
{
	interp_report(vm, &(struct interp_effect){ .kind = EFFECT_JUMP,
		      .name = name, .reg = vm->vcpu.seg[SEG_CS].selector,
		      .value = vm->vcpu.rip, .size = vm->vcpu.cpl });
}

/* The I/O privilege level in RFLAGS. */
static inline unsigned interp_iopl(const struct vcpu *v)
{
	return (unsigned)((v->rflags & FL_IOPL_MASK) >> FL_IOPL_SHIFT);
}

/*
 * Privileged instructions: true at virtual CPL 0; otherwise raise #GP(0)
 * and return false.
 */
bool interp_require_cpl0(struct vm *vm);
/*
 * Does the virtual CPU have UMIP (CPUID.(EAX=7,ECX=0):ECX[2], CR4.UMIP
 * writable)?  Only where the monitor can enforce the guest's CR4.UMIP on
 * the guest's own user code: when the real CPU under it traps sgdt & co.
 * at CPL 3 (--isa=strict, --isa=x86,umip).  cpuid.c.
 */
bool interp_vcpu_has_umip(const struct vm *vm);

/* ----------------------------------------------------------- operands */

/*
 * Guest memory by linear address for the interpreter routines: gva_read
 * and gva_write (shadowpt/walk.h), with the caller's decision for a guest
 * whose tables lead outside its RAM: it is stopped (vm_kill, tier 2 of
 * core/panic.h).  Returns 0, or -1 when the access failed (an exception
 * raised, or the guest stopped): the routine returns without completing.
 */
int interp_gva_read(struct vm *vm, uint64_t va, void *buf, size_t len,
		    unsigned acc);
int interp_gva_write(struct vm *vm, uint64_t va, const void *buf, size_t len,
		     unsigned acc);


/* Is r a general register (any width, ah..bh included)? */
bool interp_is_gpr(x86_reg r);
/* Read general register r with its width (al: 8 bits, eax: 32, ...). */
uint64_t interp_reg_get(const struct vcpu *v, x86_reg r);
/*
 * Write general register r as the CPU does: a 32-bit write zero-extends to
 * 64 bits; 8- and 16-bit writes keep the rest of the register.
 */
void interp_reg_set(struct vcpu *v, x86_reg r, uint64_t val);

/* The operand size (2, 4 or 8): the code's default, 66 and REX.W. */
unsigned interp_opsize(const struct vm *vm, const struct insn *in);
/* The size of a push or pop: 8 or 2 in 64-bit mode, else 4 or 2. */
unsigned interp_stack_opsize(const struct vm *vm, const struct insn *in);
/* The address size (2, 4 or 8): the code's default and the 67 prefix. */
unsigned interp_addrsize(const struct insn *in);

/* Capstone's segment register to the vCPU's (enum vcpu_sreg), or -1. */
int interp_sreg_index(x86_reg r);
/* The segment of a memory operand: its override, else SS or DS. */
enum vcpu_sreg interp_op_sreg(const cs_x86_op *op);
/* A memory operand's offset in its segment (the effective address). */
uint64_t interp_ea_offset(const struct vm *vm, const struct insn *in,
			  const cs_x86_op *op);
/* Its linear address, without checks (invlpg). */
uint64_t interp_ea(const struct vm *vm, const struct insn *in,
		   const cs_x86_op *op);

/* Do bytes offset..offset+size-1 lie within segment s's limit? */
bool interp_seg_within(const struct vcpu_segment *s, uint64_t offset,
		       unsigned size);
/*
 * The linear address of size bytes at offset in segment sreg, for an
 * access acc (ACC_READ or ACC_WRITE).  Outside 64-bit mode the segment
 * must be usable, of the right type, and hold the bytes: otherwise
 * #SS(0) for SS, #GP(0) for the others.  Returns 0, or -1 after raising.
 */
int interp_seg_linear(struct vm *vm, enum vcpu_sreg sreg, uint64_t offset,
		      unsigned size, unsigned acc, uint64_t *la);
/* interp_seg_linear for a memory operand of the instruction. */
int interp_mem_linear(struct vm *vm, const struct insn *in,
		      const cs_x86_op *op, unsigned size, unsigned acc,
		      uint64_t *la);

/*
 * Read or write an operand of size bytes (a register, an immediate, or
 * memory at the virtual CPL).  Return 0, or -1 after raising the fault.
 */
int interp_op_read(struct vm *vm, const struct insn *in, const cs_x86_op *op,
		   unsigned size, uint64_t *val);
int interp_op_write(struct vm *vm, const struct insn *in, const cs_x86_op *op,
		    unsigned size, uint64_t val);

/*
 * Push or pop size bytes on the guest stack (SS:RSP, SS:ESP or SS:SP) at
 * the virtual CPL.  Return 0, or -1 after raising #SS(0) (non-canonical,
 * beyond SS's limit) or #PF; RSP changes only on success.
 */
int interp_push(struct vm *vm, uint64_t val, unsigned size);
int interp_pop(struct vm *vm, uint64_t *val, unsigned size);
/* Read size bytes at RSP + offset without popping (for far returns). */
int interp_stack_peek(struct vm *vm, uint64_t offset, unsigned size,
		      uint64_t *val);
/* The stack pointer (RSP, ESP or SP as the mode and SS.B say); set it. */
uint64_t interp_sp(const struct vcpu *v);
void interp_sp_set(struct vcpu *v, uint64_t sp);
/* What RSP holds once the stack pointer has moved by delta (wrapping in
 * its width): for instructions that move it only after other checks. */
uint64_t interp_rsp_after(const struct vcpu *v, uint64_t delta);

/* -------------------------------------------------------- descriptors */

/* A segment descriptor as read from the GDT or LDT (hi: system only). */
struct seg_desc {
	uint64_t lo, hi;
};

enum desc_result {
	DESC_OK,
	DESC_OUTSIDE, /* beyond the table's limit (or LDT null): caller's fault */
	DESC_FAULT,   /* reading the table faulted: #PF raised */
};

/* Read the 8-byte descriptor for sel (16 bytes when system is true). */
enum desc_result interp_desc_read(struct vm *vm, uint16_t sel, bool system,
				  struct seg_desc *d);
/*
 * interp_desc_read for an instruction: a selector beyond its table is the
 * instruction's #GP(sel).  Returns 0, or -1 after raising #GP or #PF.
 */
int interp_desc_fetch(struct vm *vm, uint16_t sel, bool system,
		      struct seg_desc *d);
/*
 * A descriptor that passed its checks must still be present: else raise
 * vector (#NP, or #SS for a stack segment) with sel's error code.
 * Returns 0, or -1 after raising it.
 */
int interp_desc_present(struct vm *vm, uint16_t sel,
			const struct seg_desc *d, uint8_t vector);
/* Write back the low 8 bytes (accessed and busy bits).  0 or -1 (#PF). */
int interp_desc_write_lo(struct vm *vm, uint16_t sel, uint64_t lo);

unsigned desc_type(const struct seg_desc *d);
unsigned desc_dpl(const struct seg_desc *d);
bool desc_present(const struct seg_desc *d);
bool desc_is_system(const struct seg_desc *d);
bool desc_is_code(const struct seg_desc *d);
bool desc_is_conforming(const struct seg_desc *d);
/* The base; for a system descriptor (LDT, TSS) all 64 bits of it. */
uint64_t desc_base(const struct seg_desc *d);
/* The limit in bytes, scaled by G. */
uint32_t desc_limit(const struct seg_desc *d);
/* Descriptor bits 40..55, limit 19:16 cleared: vcpu_segment.attr. */
uint16_t desc_attr(const struct seg_desc *d);
/* Load a segment register's hidden part from a descriptor. */
void desc_load(struct vcpu_segment *s, uint16_t sel, const struct seg_desc *d);

/* Error code of a fault about selector sel: its index and TI, no RPL. */
static inline uint32_t sel_error(uint16_t sel)
{
	return sel & ~(uint32_t)SEL_RPL_MASK;
}

/*
 * Load data segment register sreg (DS, ES, FS, GS or SS) with sel, with the
 * checks of mov to Sreg and pop Sreg.  Returns 0, or -1 after raising
 * #GP, #NP, #SS or #PF.
 */
int interp_load_sreg(struct vm *vm, enum vcpu_sreg sreg, uint16_t sel);

/*
 * After a return to an outer level: null any of DS, ES, FS, GS that the
 * new CPL could not load (SDM: "RETURN-TO-OUTER-PRIVILEGE-LEVEL").
 */
void interp_null_outer_segments(struct vm *vm);

/* Change the virtual CPL and switch the shadow view if it changed. */
void interp_set_cpl(struct vm *vm, unsigned cpl);

/* ----------------------------------------------------------- delivery */

/* Where an event comes from: it decides the DPL check and the EXT bit. */
enum event_source {
	EVENT_EXCEPTION, /* a fault or trap of the CPU: EXT = 1 for nested */
	EVENT_EXTERNAL,  /* an interrupt from a device: EXT = 1 */
	EVENT_SOFTWARE,  /* int n, int3: gate DPL checked against CPL */
};

/*
 * Deliver vector through the guest's IDT, pushing return_rip; handle any
 * fault on the way (#DF, triple fault) as interp_deliver() does.
 */
void interp_deliver_event(struct vm *vm, uint8_t vector, bool has_error,
			  uint32_t error, enum event_source src,
			  uint64_t return_rip);

/* Host TSC (or a monotonic nanosecond count where there is no TSC). */
uint64_t interp_host_tsc(void);
/* The guest's TSC (host TSC, or virtual ns under --icount, plus
 * vcpu.tsc_offset), its setting by wrmsr, and its rate in Hz. */
uint64_t interp_guest_tsc(const struct vm *vm);
void interp_set_guest_tsc(struct vm *vm, uint64_t tsc);
uint64_t interp_tsc_hz(const struct vm *vm);

/* ----------------------------------------------------------- routines */

/* flags.c */
interp_fn interp_cli, interp_sti, interp_pushf, interp_popf;
/* io.c */
interp_fn interp_in, interp_out, interp_ins, interp_outs;
/* cr.c */
interp_fn interp_mov_cr, interp_mov_dr, interp_clts, interp_smsw, interp_lmsw;
/* desc.c */
interp_fn interp_lgdt, interp_lidt, interp_sgdt, interp_sidt;
interp_fn interp_lldt, interp_ltr, interp_sldt, interp_str;
interp_fn interp_lar, interp_lsl, interp_verr, interp_verw;
/* msr.c */
interp_fn interp_rdmsr, interp_wrmsr;
/* tlb.c */
interp_fn interp_invlpg, interp_wbinvd, interp_invpcid;
/* cpuid.c */
interp_fn interp_cpuid;
/* time.c */
interp_fn interp_rdtsc, interp_rdtscp, interp_rdpmc, interp_absent;
/* seg.c */
interp_fn interp_mov_sreg, interp_push_sreg, interp_pop_sreg, interp_swapgs;
interp_fn interp_rdfsbase, interp_wrfsbase, interp_load_far;
/* hlt.c */
interp_fn interp_hlt;
/* xcr.c */
interp_fn interp_xgetbv, interp_xsetbv;
/* iret.c */
interp_fn interp_iret, interp_retf, interp_ljmp, interp_lcall;
/* syscall.c */
interp_fn interp_syscall, interp_sysret, interp_sysenter, interp_sysexit;
/* int.c */
interp_fn interp_int, interp_int3, interp_int1;

#endif /* INTERP_INTERNAL_H */
