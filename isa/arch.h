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

/* "#GP", "#PF", ... for an exception vector ("#25" for unnamed ones),
 * "#INTR" for an interrupt vector: for --trace and --stats. */
const char *x86_vector_name(unsigned vector);

#endif /* ISA_ARCH_H */
