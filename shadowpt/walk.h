/*
 * shadowpt/walk.h - the guest page-table walker.
 *
 * Translates a guest-linear address through the guest's own tables (in
 * guest RAM) the way the CPU's page walker does, in whichever of the x86
 * paging formats the vCPU's CR0.PG, CR4.PAE and EFER.LMA select (SDM vol.
 * 3, 4.1.1): 32-bit 2-level paging, PAE 3-level paging or 4-level paging;
 * it checks P, R/W, U/S and XD with CR0.WP and EFER.NXE, and sets the
 * accessed and dirty bits in the guest's entries when the access succeeds
 * - except for a peek (ACC_PEEK), the debugger's or the trace's look,
 * which must leave the guest's tables exactly as they were.
 * With CR0.PG clear the linear address is the physical address.  Outside
 * long mode (EFER.LMA = 0) linear addresses are 32 bits wide.
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

/*
 * The paging formats (SDM vol. 3, table 4-1), as CR0.PG, CR4.PAE and
 * EFER.LMA select them:
 *
 *   PAGING_NONE    CR0.PG = 0: linear addresses are physical
 *   PAGING_32BIT   CR4.PAE = 0: 2 levels of 4-byte entries, 4 KiB pages
 *                  and, with CR4.PSE, 4 MiB pages
 *   PAGING_PAE     CR4.PAE = 1, EFER.LMA = 0: 4 PDPTE registers, then 2
 *                  levels of 8-byte entries, 4 KiB and 2 MiB pages
 *   PAGING_4LEVEL  EFER.LMA = 1: 4 levels of 8-byte entries, 4 KiB, 2 MiB
 *                  and 1 GiB pages
 */
enum paging_mode { PAGING_NONE, PAGING_32BIT, PAGING_PAE, PAGING_4LEVEL };

/* Where CR3 points: the page directory under 32-bit paging (bits 31:12),
 * the 32-byte PDPT under PAE paging (bits 31:5), else CR3_ADDR_MASK. */
#define CR3_32BIT_MASK 0xfffff000ULL
#define CR3_PAE_MASK 0xffffffe0ULL

static inline enum paging_mode paging_mode(const struct vcpu *v)
{
	if (!(v->cr0 & CR0_PG))
		return PAGING_NONE;
	if (!(v->cr4 & CR4_PAE))
		return PAGING_32BIT;
	return (v->efer & EFER_LMA) ? PAGING_4LEVEL : PAGING_PAE;
}

/* What gva_read and gva_write return besides 0. */
#define GVA_FAULT (-1)  /* #GP or #PF raised in the vCPU */
#define GVA_NO_RAM (-2) /* the guest maps memory it does not have */

struct walk_result {
	uint64_t gpa;       /* guest-physical address of va */
	uint64_t pte;       /* the leaf entry, after A/D were set (a 4-byte
			       entry of 32-bit paging zero-extended); a
			       peek's is the entry as the guest left it */
	uint64_t page_size; /* 4 KiB, 2 MiB, 4 MiB or 1 GiB */
	int level;          /* level of the leaf: 1 PT, 2 PD, 3 PDPT */
	uint32_t error;     /* on failure: the #PF error code */
	/* Effective permissions along the walk (AND of all levels). */
	bool writable, user, executable;
	/* Every entry the walk used had its accessed flag set before it
	 * (a peek sets none; shadowpt_prefetch caches only such walks). */
	bool accessed;
};

/*
 * Walk va for an access of kind acc (ACC_*).  Returns 0 and fills *r, or
 * -1 with r->error set to the error code of the #PF the CPU would raise.
 * A/D bits are set only when the walk succeeds, and never with ACC_PEEK
 * (acc then says which rights to check; nothing in guest RAM changes).
 * A table outside guest RAM
 * ends the walk with -1 and r->error = PFEC_RSVD.  A frame outside guest
 * RAM is no failure: r->gpa may be device memory (MMIO), always below the
 * virtual CPU's MAXPHYADDR (higher frame bits are reserved).
 */
int walk_guest(struct vm *vm, uint64_t va, unsigned acc,
	       struct walk_result *r);

/*
 * Copy len bytes at guest-linear va (crossing pages as needed).  acc gives
 * the kind of access (ACC_USER is added when the virtual CPL is 3).
 * Returns 0; GVA_FAULT after raising #GP or #PF (CR2 = the failing
 * address) in the vCPU; or GVA_NO_RAM.  A write that fails changes nothing.
 * An access that succeeds and touches a debugger's watchpoint is noted in
 * vm->debug (debug_watch_note), as an engine notes its own: the monitor's
 * stores for the guest are data accesses like any other.
 */
int gva_read(struct vm *vm, uint64_t va, void *buf, size_t len, unsigned acc);
int gva_write(struct vm *vm, uint64_t va, const void *buf, size_t len,
	      unsigned acc);

/*
 * Fetch and decode the instruction at rip with the virtual CPL's rights,
 * in the vCPU's mode.  In 64-bit mode rip is the linear address; in any
 * other mode it is EIP (or IP), the linear address is CS.base + EIP
 * (wrapping at 4 GiB) and every byte must lie within CS.limit.  in->rip is
 * rip as given.  Fetches fewer than 15 bytes when the next page is not
 * mapped, or the limit comes, but the instruction ends before it.
 * DECODE_FAULT: the #PF (or #GP(0)) is raised in the vCPU; DECODE_NO_RAM:
 * nothing raised.
 */
enum decode_result insn_fetch(struct vm *vm, uint64_t rip, struct insn *in);
/*
 * The same fetch without the copy: on DECODE_OK *in points at the decode
 * cache's record (isa_decode_ref), good until the next fetch; the
 * dispatcher's, which reads it during one exit.  On anything else *in is
 * NULL.
 */
enum decode_result insn_fetch_ref(struct vm *vm, uint64_t rip,
				  const struct insn **in);

/*
 * The same instruction decoded for a look only (the trace's line for a
 * #PF or a #UD): raises nothing, sets no accessed bit.  True with *in
 * filled; false when the bytes cannot be fetched or decoded.
 */
bool insn_peek(struct vm *vm, uint64_t rip, struct insn *in);

#endif /* SHADOWPT_WALK_H */
