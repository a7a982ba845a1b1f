/*
 * guests/paging/paging.h - the checks of the paging guest and what they share.
 *
 * The paging guest is a kernel (CPL 0, like pgcheck) that builds its own
 * page-table entries and watches what the MMU does with them: the accessed
 * and dirty bits it writes back, the page faults it raises (error code and
 * CR2), large pages, and the TLB-maintenance operations (invlpg, CR3 and
 * CR4.PGE writes).  Every expectation comes from the SDM, vol. 3, chapter 4.
 * Under QEMU every check passes; under trapvisor the same checks test the
 * shadow page tables (shadowpt/), which must make the guest's own entries
 * behave exactly as a real MMU would.
 *
 * The tests live above the boot identity map, which fills PML4 slot 0:
 *
 *   PGT_VA_4K  PML4[1], PDPT[0]   4 KiB test pages, one per check
 *   PGT_VA_2M  PML4[1], PDPT[1]   one 2 MiB leaf (a PDE with PS)
 *   PGT_VA_1G  PML4[1], PDPT[2]   one 1 GiB leaf (a PDPTE with PS)
 *   PGT_VA_CR3 PML4[2]            one page, mapped differently in two PML4s
 *              PML4[3] .. [6]     single-check slots (rights.c, tlb.c)
 */
#ifndef GUESTS_PAGING_PAGING_H
#define GUESTS_PAGING_PAGING_H

#include <stdint.h>

#include "cpu.h"
#include "rt.h"

#define PGT_VA_4K 0x0000008000000000ULL
#define PGT_VA_2M (PGT_VA_4K + 1 * PAGE_1G)
#define PGT_VA_1G (PGT_VA_4K + 2 * PAGE_1G)
#define PGT_VA_CR3 0x0000010000000000ULL

/* The 4 KiB test page number n (each in a page directory of its own when
 * n is a multiple of PT_ENTRIES, which rights_and uses). */
#define PGT_PAGE(n) (PGT_VA_4K + (uint64_t)(n) * PAGE_4K)

/* One check: NULL from run() is a PASS, else the text of the FAIL. */
struct pgt_check {
	const char *name;
	const char *what; /* what a PASS has shown */
	const char *(*run)(void);
};

/* The three groups, in the order they run (rights.c, split.c, tlb.c). */
extern const struct pgt_check pgt_rights[];
extern const unsigned pgt_rights_count;
extern const struct pgt_check pgt_split[];
extern const unsigned pgt_split_count;
extern const struct pgt_check pgt_tlb[];
extern const unsigned pgt_tlb_count;

/* ------------------------------------------------------------ paging.c */
/* NULL if an rt_try that returned faulted and filled *f saw #PF(error)
 * with CR2 = cr2, else what it saw instead. */
const char *pgt_pf_diff(int faulted, const struct rt_fault *f,
			uint64_t error, uint64_t cr2);
/* Run fn(arg), which must raise #PF with this error code and CR2:
 * NULL if it did, else what happened instead. */
const char *pgt_expect_pf(void (*fn)(void *), void *arg, uint64_t error,
			  uint64_t cr2);
/* Run fn(arg), which must not fault: NULL, or the fault it raised. */
const char *pgt_expect_no_fault(void (*fn)(void *), void *arg);

/* ------------------------------------------------------------ map.c */
/* The PML4 CR3 points at (guest-physical = virtual: the identity map). */
uint64_t *pgt_root(void);
/* A zeroed 4 KiB page from the guest's pool (tables and test frames). */
uint64_t *pgt_alloc(void);
/* The entry at level (4 = PML4E ... 1 = PTE) that translates va under
 * pml4; missing tables on the way are made with P|W|U. */
uint64_t *pgt_entry(uint64_t *pml4, uint64_t va, int level);
/* Make the entry at level for va a leaf (or, at level 1, a PTE) that maps
 * pa with flags, and flush va from the TLB. */
void pgt_map(uint64_t *pml4, uint64_t va, int level, uint64_t pa,
	     uint64_t flags);
/* Clear that entry again and flush va. */
void pgt_unmap(uint64_t *pml4, uint64_t va, int level);
/* A 4 KiB frame whose every byte is fill. */
uint64_t pgt_frame(uint8_t fill);

/* ------------------------------------------------------------ user.S */
/* A page of CPL-3 code, mapped by the checks with PTE_U where they need
 * it.  Each entry takes its operand in RDI and comes back with syscall. */
extern const uint8_t pgt_user_page[];
#define PGT_USER_LOAD 0x00  /* RAX = the byte at RDI */
#define PGT_USER_STORE 0x10 /* the byte at RDI = PGT_USER_BYTE */
#define PGT_USER_JUMP 0x20  /* jump to RDI */
#define PGT_USER_BYTE 0x5a

#define PGT_STAR ((uint64_t)RT_STAR_SYSRET_BASE << 48 | \
		  (uint64_t)RT_SEL_KCODE << 32)
#define PGT_SFMASK (FL_IF | FL_TF | FL_DF | FL_AC)

/* Point STAR/LSTAR/SFMASK at pgt_syscall_entry (for pgt_user_run). */
void pgt_user_setup(void);
/* sysretq to rip at CPL 3 with RDI = arg and interrupts off; returns the
 * RAX that the user code's syscall brought back. */
uint64_t pgt_user_run(uint64_t rip, uint64_t arg);
void pgt_syscall_entry(void);

#endif /* GUESTS_PAGING_PAGING_H */
