/*
 * guests/paging/tlb.c - large pages and keeping the TLB in step.
 *
 * A 2 MiB page is a PDE with PS, a 1 GiB page a PDPTE with PS: the walk
 * stops there, and the accessed and dirty bits land in that entry.  The
 * TLB caches translations; the SDM (vol. 3, 4.10.4) names the operations
 * that make a changed entry take effect: invlpg for one page, a write to
 * CR3 for every non-global page, a write to CR4 that changes PGE for
 * everything.  Each check changes an entry, does exactly that, and reads
 * the page: only the new frame is a correct answer.  (What is read
 * *before* the flush may be either frame - a CPU is allowed to cache - so
 * it is never checked: the output must not depend on the TLB's size.)
 */
#include "paging.h"

/* The test pages (PGT_PAGE numbers) of this file. */
enum {
	PG_INVLPG = 20,
	PG_CR3_FLUSH = 21,
	PG_GLOBAL = 22,
	PG_RECURSIVE = 23,
	PG_PROTECT = 24,
	PG_GLOBAL_OFF = 25,
	PG_SMC_RUN = 26,
	PG_SMC_EDIT = 27,
	PG_NEW_TABLE = 3 * PT_ENTRIES, /* a page directory entry of its own */
};

/* Two 2 MiB frames of guest RAM that nothing else uses (above the image,
 * below the 64 MiB that both machines give the guest). */
#define FRAME_2M_A 0x400000ULL
#define FRAME_2M_B 0x600000ULL
#define LARGE_OFFSET 0x12345ULL /* not in the large page's first 4 KiB */

/* PML4 slot 6: a second address space's private slot. */
#define PGT_VA_INACTIVE 0x0000030000000000ULL

/* The PML4 slot that points back at the PML4 itself. */
#define RECURSIVE_SLOT 5ULL

/* A value to find through the large pages: it lives in the image. */
#define MARKER 0x6d61726b6572ULL /* "marker" */
static volatile uint64_t marker = MARKER;

static uint8_t peek(uint64_t va)
{
	return *(volatile uint8_t *)(uintptr_t)va;
}

static void do_read(void *va)
{
	(void)peek((uint64_t)(uintptr_t)va);
}

static void do_write(void *va)
{
	*(volatile uint8_t *)va = 0;
}

static bool cpu_has(uint32_t leaf, unsigned reg, uint32_t bit)
{
	uint32_t r[4];

	cpuid(leaf, 0, r);
	return r[reg] & bit;
}

/* NULL if the large leaf e has PS, A and (after a write) D. */
static const char *leaf_bits(uint64_t e, const char *name)
{
	if ((e & (PTE_PS | PTE_A | PTE_D)) != (PTE_PS | PTE_A | PTE_D))
		return rt_fmt("the %s reads 0x%lx after a read and a write: "
			      "PS, A and D should all be set", name,
			      (uint64_t)(e & (PTE_PS | PTE_A | PTE_D)));
	return NULL;
}

/*
 * Read the marker through a large page at va that maps the page of size
 * bytes around it, then write it through va and see the write in the
 * image.  NULL when both worked.
 */
static const char *through_large(uint64_t va, uint64_t size)
{
	uint64_t off = (uint64_t)(uintptr_t)&marker & (size - 1);
	volatile uint64_t *alias = (volatile uint64_t *)(uintptr_t)(va + off);
	uint64_t seen = *alias;

	if (seen != MARKER)
		return rt_fmt("read 0x%lx through it, expected 0x%lx", seen,
			      (uint64_t)MARKER);
	*alias = ~MARKER;
	seen = marker;
	marker = MARKER;
	if (seen != ~MARKER)
		return "a write through it did not reach the frame";
	return NULL;
}

static const char *check_page_2m(void)
{
	uint64_t pa = (uint64_t)(uintptr_t)&marker & ~(PAGE_2M - 1);
	const char *why;

	pgt_map(pgt_root(), PGT_VA_2M, 2, pa, PTE_P | PTE_W);
	why = through_large(PGT_VA_2M, PAGE_2M);
	if (!why)
		why = leaf_bits(*pgt_entry(pgt_root(), PGT_VA_2M, 2), "PDE");
	pgt_unmap(pgt_root(), PGT_VA_2M, 2);
	return why;
}

/*
 * A 1 GiB page: a PDPTE with PS, here onto guest-physical 0, so that the
 * image shows through it at its own address.  The SDM makes 1 GiB pages
 * depend on CPUID.80000001H:EDX.Page1GB[26] (without it PS in a PDPTE is
 * reserved).  trapvisor's virtual CPU sets that bit; QEMU's qemu64 model
 * does not, yet its MMU walks 1 GiB pages all the same - so the check
 * runs on both machines, and the output stays the same.
 */
static const char *check_page_1g(void)
{
	const char *why;

	pgt_map(pgt_root(), PGT_VA_1G, 3, 0, PTE_P | PTE_W);
	why = through_large(PGT_VA_1G, PAGE_1G);
	if (!why)
		why = leaf_bits(*pgt_entry(pgt_root(), PGT_VA_1G, 3), "PDPTE");
	pgt_unmap(pgt_root(), PGT_VA_1G, 3);
	return why;
}

/*
 * Map va to frame a, read it (so a TLB may hold it), point the PTE at
 * frame b with flags and run flush.  NULL if va then reads b's contents.
 */
static const char *remap_and_read(uint64_t va, uint64_t flags,
				  void (*flush)(uint64_t va))
{
	uint64_t *pte;

	pgt_map(pgt_root(), va, 1, pgt_frame(0xa1), flags);
	if (peek(va) != 0xa1)
		return "the first frame was not read";
	pte = pgt_entry(pgt_root(), va, 1);
	*pte = pgt_frame(0xb2) | flags;
	flush(va);
	if (peek(va) != 0xb2)
		return "the old frame is still read after the flush";
	return NULL;
}

static void flush_invlpg(uint64_t va)
{
	invlpg(va);
}

static void flush_cr3(uint64_t va)
{
	(void)va;
	write_cr3(read_cr3());
}

/* CR4.PGE off and on again: 4.10.4.1 says this flushes global pages too. */
static void flush_pge(uint64_t va)
{
	uint64_t cr4 = read_cr4();

	(void)va;
	write_cr4(cr4 & ~CR4_PGE);
	write_cr4(cr4);
}

static const char *check_invlpg(void)
{
	const char *why = remap_and_read(PGT_PAGE(PG_INVLPG),
					 PTE_P | PTE_W, flush_invlpg);

	pgt_unmap(pgt_root(), PGT_PAGE(PG_INVLPG), 1);
	return why;
}

static const char *check_cr3_flush(void)
{
	const char *why = remap_and_read(PGT_PAGE(PG_CR3_FLUSH),
					 PTE_P | PTE_W, flush_cr3);

	pgt_unmap(pgt_root(), PGT_PAGE(PG_CR3_FLUSH), 1);
	return why;
}

/* With CR4.PGE on, a global page: toggling PGE flushes it, and so does
 * invlpg. */
static const char *check_global(void)
{
	uint64_t va = PGT_PAGE(PG_GLOBAL), cr4 = read_cr4();
	const char *why;

	if (!cpu_has(1, 3, CPUID_1_EDX_PGE))
		return "CPUID.1:EDX.PGE is clear";
	write_cr4(cr4 | CR4_PGE);
	why = remap_and_read(va, PTE_P | PTE_W | PTE_G, flush_pge);
	if (why)
		why = rt_fmt("CR4.PGE toggled: %s", why);
	else if ((why = remap_and_read(va, PTE_P | PTE_W | PTE_G,
				       flush_invlpg)))
		why = rt_fmt("invlpg: %s", why);
	write_cr4(cr4);
	pgt_unmap(pgt_root(), va, 1);
	return why;
}

/*
 * Two PML4s that share the kernel's slot 0 but map PGT_VA_CR3 to
 * different frames: what a read sees follows CR3.
 */
static const char *check_cr3_switch(void)
{
	uint64_t *a = pgt_root(), *b = pgt_alloc();
	uint64_t cr3 = read_cr3();
	uint8_t in_a, in_b, back;

	memcpy(b, a, PAGE_4K); /* before slot 2 exists in a */
	pgt_map(a, PGT_VA_CR3, 1, pgt_frame(0xaa), PTE_P | PTE_W);
	pgt_map(b, PGT_VA_CR3, 1, pgt_frame(0xbb), PTE_P | PTE_W);
	in_a = peek(PGT_VA_CR3);
	write_cr3((uint64_t)(uintptr_t)b);
	in_b = peek(PGT_VA_CR3);
	write_cr3(cr3);
	back = peek(PGT_VA_CR3);
	if (in_a != 0xaa || in_b != 0xbb || back != 0xaa)
		return rt_fmt("read 0x%x, 0x%x after the switch, 0x%x after "
			      "switching back; expected 0xaa, 0xbb, 0xaa",
			      in_a, in_b, back);
	if (!(*pgt_entry(b, PGT_VA_CR3, 1) & PTE_A))
		return "A not set in the second PML4's PTE";
	return NULL;
}

/*
 * The recursive mapping: a PML4 entry that points at the PML4 itself
 * makes every table visible as data.  Through slot r, the PTE of va is
 * at r:pml4(va):pdpt(va):pd(va) with byte offset 8 * pt(va):
 *
 *  47   39 38     30 29     21 20     12 11          0
 * +-------+---------+---------+---------+-------------+
 * | r     | PML4(va)| PDPT(va)| PD(va)  | PT(va) * 8  |
 * +-------+---------+---------+---------+-------------+
 *
 * Reading the PTE there, writing a new one there and invlpg on va must
 * give the new frame: a shadow MMU has to notice page-table writes that
 * arrive through any mapping.
 */
static volatile uint64_t *recursive_pte(uint64_t va)
{
	return (volatile uint64_t *)(uintptr_t)(RECURSIVE_SLOT << 39 |
		(uint64_t)PT_INDEX(va, 4) << 30 |
		(uint64_t)PT_INDEX(va, 3) << 21 |
		(uint64_t)PT_INDEX(va, 2) << 12 |
		(uint64_t)PT_INDEX(va, 1) * sizeof(uint64_t));
}

static const char *check_recursive(void)
{
	uint64_t va = PGT_PAGE(PG_RECURSIVE), b = pgt_frame(0xb3);
	uint64_t *slot = &pgt_root()[RECURSIVE_SLOT];
	volatile uint64_t *pte = recursive_pte(va);
	const char *why = NULL;

	pgt_map(pgt_root(), va, 1, pgt_frame(0xa3), PTE_P | PTE_W);
	*slot = (uint64_t)(uintptr_t)pgt_root() | PTE_P | PTE_W;
	write_cr3(read_cr3());
	if (peek(va) != 0xa3)
		why = "the first frame was not read";
	else if (*pte != *pgt_entry(pgt_root(), va, 1))
		why = rt_fmt("read PTE 0x%lx through the recursive slot, "
			     "expected 0x%lx", *pte,
			     *pgt_entry(pgt_root(), va, 1));
	if (!why) {
		*pte = b | PTE_P | PTE_W;
		invlpg(va);
		if (peek(va) != 0xb3)
			why = "a PTE written through the recursive slot did "
			      "not take effect after invlpg";
	}
	*slot = 0;
	write_cr3(read_cr3());
	pgt_unmap(pgt_root(), va, 1);
	return why;
}

/* Downgrades need a flush too: W taken away, then P taken away. */
static const char *check_protect(void)
{
	uint64_t va = PGT_PAGE(PG_PROTECT);
	uint64_t *pte;
	const char *why;

	pgt_map(pgt_root(), va, 1, pgt_frame(0xa4), PTE_P | PTE_W);
	*(volatile uint8_t *)(uintptr_t)va = 0xa5;
	pte = pgt_entry(pgt_root(), va, 1);
	*pte &= ~PTE_W;
	invlpg(va);
	why = pgt_expect_pf(do_write, (void *)(uintptr_t)va, PFEC_P | PFEC_W,
			    va);
	if (why)
		return rt_fmt("R/W cleared: %s", why);
	*pte = 0;
	invlpg(va);
	why = pgt_expect_pf(do_read, (void *)(uintptr_t)va, 0, va);
	return why ? rt_fmt("P cleared: %s", why) : NULL;
}

/* invlpg also drops what the paging-structure caches hold for va: a PDE
 * pointed at another page table takes effect (SDM vol. 3, 4.10.4.1). */
static const char *check_invlpg_pde(void)
{
	uint64_t va = PGT_PAGE(PG_NEW_TABLE);
	uint64_t *pt = pgt_alloc(), *pde;

	pgt_map(pgt_root(), va, 1, pgt_frame(0xa6), PTE_P | PTE_W);
	if (peek(va) != 0xa6)
		return "the first frame was not read";
	pt[PT_INDEX(va, 1)] = pgt_frame(0xb6) | PTE_P | PTE_W;
	pde = pgt_entry(pgt_root(), va, 2);
	*pde = (uint64_t)(uintptr_t)pt | (*pde & ~PTE_ADDR_MASK);
	invlpg(va);
	if (peek(va) != 0xb6)
		return "the old page table is still used after invlpg";
	return NULL;
}

/* invlpg of any address in a large page drops the whole page's
 * translation, however the TLB had cached it (SDM vol. 3, 4.10.4.1). */
static const char *check_invlpg_large(void)
{
	volatile uint8_t *a = (volatile uint8_t *)(uintptr_t)(FRAME_2M_A +
							       LARGE_OFFSET);
	volatile uint8_t *b = (volatile uint8_t *)(uintptr_t)(FRAME_2M_B +
							       LARGE_OFFSET);
	uint64_t *pde;
	const char *why = NULL;

	*a = 0xa7;
	*b = 0xb7;
	pgt_map(pgt_root(), PGT_VA_2M, 2, FRAME_2M_A, PTE_P | PTE_W);
	if (peek(PGT_VA_2M + LARGE_OFFSET) != 0xa7)
		why = "the first large frame was not read";
	pde = pgt_entry(pgt_root(), PGT_VA_2M, 2);
	*pde = FRAME_2M_B | PTE_P | PTE_W | PTE_PS;
	invlpg(PGT_VA_2M); /* the page's first 4 KiB, not the one read */
	if (!why && peek(PGT_VA_2M + LARGE_OFFSET) != 0xb7)
		why = "the old large frame is still read after invlpg";
	pgt_unmap(pgt_root(), PGT_VA_2M, 2);
	return why;
}

/*
 * Entries of an address space that is not loaded can change; loading its
 * PML4 into CR3 again must show the change (a write to CR3 flushes every
 * non-global translation), however much a TLB remembered of it.
 */
static const char *check_cr3_inactive(void)
{
	uint64_t *a = pgt_root(), *b = pgt_alloc();
	uint64_t cr3 = read_cr3(), *pte;
	uint8_t first, second;

	memcpy(b, a, PAGE_4K); /* before slot 6 exists in a */
	pgt_map(b, PGT_VA_INACTIVE, 1, pgt_frame(0xa8), PTE_P | PTE_W);
	write_cr3((uint64_t)(uintptr_t)b);
	first = peek(PGT_VA_INACTIVE);
	write_cr3(cr3);
	pte = pgt_entry(b, PGT_VA_INACTIVE, 1);
	*pte = pgt_frame(0xb8) | PTE_P | PTE_W;
	write_cr3((uint64_t)(uintptr_t)b);
	second = peek(PGT_VA_INACTIVE);
	write_cr3(cr3);
	if (first != 0xa8 || second != 0xb8)
		return rt_fmt("read 0x%x, then 0x%x after the PTE changed "
			      "while the PML4 was not loaded; expected 0xa8, "
			      "0xb8", first, second);
	return NULL;
}

/* With CR4.PGE = 0 the G bit means nothing: a CR3 write flushes the page. */
static const char *check_global_off(void)
{
	uint64_t va = PGT_PAGE(PG_GLOBAL_OFF);
	const char *why;

	if (read_cr4() & CR4_PGE)
		return "CR4.PGE is set";
	why = remap_and_read(va, PTE_P | PTE_W | PTE_G, flush_cr3);
	pgt_unmap(pgt_root(), va, 1);
	return why;
}

/*
 * Code changed through a second, writable mapping of its frame runs
 * changed the next time it is called: the CPU snoops its instruction
 * caches by physical address (SDM vol. 3, 11.6), whatever the mapping.
 */
static const char *check_smc_alias(void)
{
	static const uint8_t mov_eax_ret[] = { 0xb8, 1, 0, 0, 0, 0xc3 };
	uint64_t frame = pgt_frame(0xcc), run = PGT_PAGE(PG_SMC_RUN);
	uint64_t edit = PGT_PAGE(PG_SMC_EDIT);
	uint32_t (*fn)(void) = (uint32_t (*)(void))(uintptr_t)run;
	uint32_t first, second;

	memcpy((void *)(uintptr_t)frame, mov_eax_ret, sizeof(mov_eax_ret));
	pgt_map(pgt_root(), run, 1, frame, PTE_P);
	pgt_map(pgt_root(), edit, 1, frame, PTE_P | PTE_W | PTE_NX);
	first = fn();
	*(volatile uint8_t *)(uintptr_t)(edit + 1) = 2; /* the immediate */
	second = fn();
	if (first != 1 || second != 2)
		return rt_fmt("the code returned %u, then %u after the edit; "
			      "expected 1, 2", first, second);
	return NULL;
}

/* CR3 bits 3 and 4 (PWT, PCD) are cache controls for the PML4: they do
 * not move it, and reading CR3 gives them back. */
static const char *check_cr3_flags(void)
{
	uint64_t cr3 = read_cr3(), flagged = cr3 | PTE_PWT | PTE_PCD, got;
	uint8_t seen;

	pgt_map(pgt_root(), PGT_VA_CR3, 1, pgt_frame(0xac), PTE_P | PTE_W);
	write_cr3(flagged);
	got = read_cr3();
	seen = peek(PGT_VA_CR3);
	write_cr3(cr3);
	if (got != flagged)
		return rt_fmt("CR3 read back 0x%lx, expected 0x%lx", got,
			      flagged);
	if (seen != 0xac)
		return rt_fmt("read 0x%x with PWT and PCD set, expected 0xac",
			      seen);
	return NULL;
}

const struct pgt_check pgt_tlb[] = {
	{ "page_2m", "a PDE with PS maps 2 MiB: reads and writes reach the frame, A and D land in the PDE", check_page_2m },
	{ "page_1g", "a PDPTE with PS maps 1 GiB: reads and writes reach the frame, A and D land in the PDPTE", check_page_1g },
	{ "invlpg", "a changed PTE takes effect after invlpg", check_invlpg },
	{ "protect", "a PTE losing R/W, then P, takes effect after invlpg: #PF(P|W), then #PF(0)", check_protect },
	{ "invlpg_pde", "a PDE pointed at another page table takes effect after invlpg", check_invlpg_pde },
	{ "invlpg_large", "a changed 2 MiB PDE takes effect after invlpg of another 4 KiB inside it", check_invlpg_large },
	{ "cr3_flush", "a changed PTE takes effect after a write to CR3", check_cr3_flush },
	{ "global_off", "CR4.PGE = 0: a changed PTE with G takes effect after a write to CR3", check_global_off },
	{ "global", "CR4.PGE = 1: a changed global PTE takes effect after toggling CR4.PGE, and after invlpg", check_global },
	{ "recursive", "a PML4 entry pointing at its PML4 shows the PTEs; a PTE written there takes effect after invlpg", check_recursive },
	{ "smc_alias", "code edited through a second mapping of its frame runs edited", check_smc_alias },
	{ "cr3_switch", "two PML4s map one address to two frames: a read follows CR3", check_cr3_switch },
	{ "cr3_flags", "CR3 with PWT and PCD set loads the same PML4 and reads back as written", check_cr3_flags },
	{ "cr3_inactive", "a PTE changed while its PML4 is not in CR3 takes effect when CR3 loads it again", check_cr3_inactive },
};
const unsigned pgt_tlb_count = sizeof(pgt_tlb) / sizeof(pgt_tlb[0]);
