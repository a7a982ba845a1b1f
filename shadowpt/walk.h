/*
 * shadowpt/walk.h - the guest page-table walker.
 *
 * Translates a guest-linear address through the guest's own 4-level tables
 * (in guest RAM) the way the CPU's page walker does, checking P, R/W, U/S
 * and XD with CR0.WP and EFER.NXE, and setting the accessed and dirty bits
 * in the guest's entries when the access succeeds.  With CR0.PG clear the
 * linear address is the physical address.
 *
 * The gva_* helpers built on it are how the monitor touches guest memory by
 * linear address (pushing an exception frame, reading the GDT, fetching
 * instruction bytes); when the guest's tables refuse, they raise #PF in the
 * vCPU exactly as the CPU would and return GVA_FAULT.  When the tables lead
 * outside guest RAM they return GVA_NO_RAM and raise nothing: no CPU fault
 * describes that, and the caller (interp/, the dispatcher) decides what
 * the guest deserves.  This layer never stops the guest itself.
 *
 * The instruction fetch lives here too (insn_fetch): it is a guest-linear
 * read like the others, with the CPU's fetch rights, through this walk;
 * isa/ only turns the bytes into a struct insn.
 */
#ifndef SHADOWPT_WALK_H
#define SHADOWPT_WALK_H

#include <stddef.h>
#include <stdint.h>

#include "isa/arch.h" /* ACC_*: the kinds of access */
#include "isa/decode.h"

struct vm;

/* What gva_read and gva_write return besides 0. */
#define GVA_FAULT (-1)  /* #GP or #PF raised in the vCPU */
#define GVA_NO_RAM (-2) /* the guest maps memory it does not have */

struct walk_result {
	uint64_t gpa;       /* guest-physical address of va */
	uint64_t pte;       /* the leaf entry, after A/D were set */
	uint64_t page_size; /* 4 KiB, 2 MiB or 1 GiB */
	int level;          /* level of the leaf: 1 PT, 2 PD, 3 PDPT */
	uint32_t error;     /* on failure: the #PF error code */
	/* Effective permissions along the walk (AND of all levels). */
	bool writable, user, executable;
};

/*
 * Walk va for an access of kind acc (ACC_*).  Returns 0 and fills *r, or
 * -1 with r->error set to the error code of the #PF the CPU would raise.
 * A/D bits are set only when the walk succeeds.  A table outside guest RAM
 * ends the walk with -1 and r->error = PFEC_RSVD.
 */
int walk_guest(struct vm *vm, uint64_t va, unsigned acc,
	       struct walk_result *r);

/*
 * Copy len bytes at guest-linear va (crossing pages as needed).  acc gives
 * the kind of access (ACC_USER is added when the virtual CPL is 3).
 * Returns 0; GVA_FAULT after raising #GP or #PF (CR2 = the failing
 * address) in the vCPU; or GVA_NO_RAM.  A write that fails changes nothing.
 */
int gva_read(struct vm *vm, uint64_t va, void *buf, size_t len, unsigned acc);
int gva_write(struct vm *vm, uint64_t va, const void *buf, size_t len,
	      unsigned acc);

/*
 * Fetch and decode the instruction at guest-linear rip with the virtual
 * CPL's rights.  Fetches fewer than 15 bytes when the next page is not
 * mapped but the instruction ends before it.  DECODE_FAULT: the #PF (or
 * #GP) is raised in the vCPU; DECODE_NO_RAM: nothing raised.
 */
enum decode_result insn_fetch(struct vm *vm, uint64_t rip, struct insn *in);

#endif /* SHADOWPT_WALK_H */
