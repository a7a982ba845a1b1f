/*
 * isa/arch.h - small x86-64 rules in C, written once for every part of
 * the monitor: canonical addresses, the names of exception vectors.
 *
 * (Apart from isa/x86.h, which must stay plain preprocessor so that the
 * guests' assembly can include it.)
 */
#ifndef ISA_ARCH_H
#define ISA_ARCH_H

#include <stdbool.h>
#include <stdint.h>

#include "core/vcpu.h"
#include "isa/x86.h"

/*
 * Is va canonical: bits 63:47 (X86_LINEAR_BITS - 1 and up) all equal?  These are the only addresses a
 * CPU with 48-bit linear addresses translates (SDM vol. 1, 3.3.7.1); any
 * other raises #GP (#SS for a stack access) before paging is consulted.
 */
static inline bool x86_canonical(uint64_t va)
{
	unsigned shift = 64 - X86_LINEAR_BITS;

	return (uint64_t)((int64_t)(va << shift) >> shift) == va;
}

/*
 * The fields of a segment descriptor's first 8 bytes (SDM vol. 3, 3.4.5),
 * as the picture in isa/x86.h draws them; softcpu and the interpreter
 * both load segment registers from descriptors through these.
 */

/* base 23:0 = bits 39:16, base 31:24 = bits 63:56 (a system descriptor's
 * next 8 bytes add base 63:32). */
static inline uint32_t x86_desc_base(uint64_t lo)
{
	return (uint32_t)(((lo >> 16) & 0xffffff) | ((lo >> 32) & 0xff000000));
}

/* limit 15:0 = bits 15:0, limit 19:16 = bits 51:48; with G, the limit
 * counts 4 KiB pages, so the byte limit is (limit << 12) | 0xfff. */
static inline uint32_t x86_desc_limit(uint64_t lo)
{
	uint32_t limit = (uint32_t)((lo & 0xffff) | ((lo >> 32) & 0xf0000));

	return (lo & DESC_G) ? (limit << 12) | 0xfff : limit;
}

/* Bits 40..55 (type, S, DPL, P, AVL, L, D/B, G) with limit 19:16 cleared:
 * the attr of struct vcpu_segment. */
static inline uint16_t x86_desc_attr(uint64_t lo)
{
	return (uint16_t)((lo >> DESC_TYPE_SHIFT) & 0xf0ff);
}

/*
 * Kinds of memory access, combinable, for every part of the monitor that
 * translates a guest-linear address (shadowpt/walk.c, softcpu's MMU).  The
 * low bits are those of the #PF error code, so that a refused access gives
 * its error code directly; the high ones are the monitor's own.
 */
#define ACC_READ 0x00
#define ACC_WRITE PFEC_W    /* 0x02 */
#define ACC_USER PFEC_U     /* 0x04: made at CPL 3 */
#define ACC_FETCH PFEC_I    /* 0x10 */
#define ACC_IMPLICIT 0x100  /* a supervisor-mode implicit access (GDT, IDT,
			       TSS reads, frames pushed on the kernel
			       stack): gva_* then do not add ACC_USER at
			       CPL 3 */
#define ACC_STACK 0x200     /* a stack reference: #SS(0), not #GP(0), when
			       the address is not canonical */
#define ACC_PEEK 0x400      /* a look by the debugger or the trace, not by
			       the guest: the walk sets no accessed or
			       dirty bit (shadowpt/walk.c) */

/*
 * The CPU's operating modes (SDM vol. 3, 2.2), as the vCPU's control
 * registers and CS select them.  Every part of the monitor that must know
 * how wide an address or an operand is asks here, never CR0 and EFER
 * itself:
 *
 *   CPU_REAL    CR0.PE = 0: 16-bit real-address mode (not run yet; named so
 *               that the code has a place for it)
 *   CPU_PROT    CR0.PE = 1, EFER.LMA = 0: protected mode; CS.D picks 16- or
 *               32-bit code, SS.B the stack width, segments have bases and
 *               limits, paging (if on) is 2-level or PAE
 *   CPU_COMPAT  EFER.LMA = 1, CS.L = 0: compatibility mode, 32- or 16-bit
 *               code under 4-level paging and a 64-bit IDT
 *   CPU_LONG    EFER.LMA = 1, CS.L = 1: 64-bit mode
 */
enum cpu_mode { CPU_REAL, CPU_PROT, CPU_COMPAT, CPU_LONG };

#define SEG_ATTR_L (uint16_t)(DESC_L >> DESC_TYPE_SHIFT)   /* 0x2000 */
#define SEG_ATTR_DB (uint16_t)(DESC_DB >> DESC_TYPE_SHIFT) /* 0x4000 */

static inline enum cpu_mode cpu_mode(const struct vcpu *v)
{
	if (!(v->cr0 & CR0_PE))
		return CPU_REAL;
	if (!(v->efer & EFER_LMA))
		return CPU_PROT;
	return (v->seg[SEG_CS].attr & SEG_ATTR_L) ? CPU_LONG : CPU_COMPAT;
}

/* The default operand and address size of the code running: 2, 4 or 8. */
static inline unsigned cpu_code_size(const struct vcpu *v)
{
	switch (cpu_mode(v)) {
	case CPU_LONG: return 8;
	case CPU_REAL: return 2;
	default: return (v->seg[SEG_CS].attr & SEG_ATTR_DB) ? 4 : 2;
	}
}

/* The width of stack pushes and of RSP/ESP/SP: 8 in 64-bit mode, else
 * SS.B's choice of 4 or 2 bytes. */
static inline unsigned cpu_stack_size(const struct vcpu *v)
{
	switch (cpu_mode(v)) {
	case CPU_LONG: return 8;
	case CPU_REAL: return 2;
	default: return (v->seg[SEG_SS].attr & SEG_ATTR_DB) ? 4 : 2;
	}
}

/* "#GP", "#PF", ... for an exception vector ("#25" for unnamed ones),
 * "#INTR" for an interrupt vector: for --trace and --stats. */
const char *x86_vector_name(unsigned vector);

#endif /* ISA_ARCH_H */
