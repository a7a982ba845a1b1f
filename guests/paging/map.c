/*
 * guests/paging/map.c - the guest's own page-table entries for the checks.
 *
 * The checks build their mappings above the boot identity map (paging.h)
 * from a pool of pages in .bss.  The pool's pages are both the tables and
 * the frames the tables map; the identity map makes each page's physical
 * address equal to its virtual one, so a table is written through the
 * pointer the pool returned.
 *
 *  47     39 38     30 29     21 20     12 11         0
 * +---------+---------+---------+---------+------------+
 * | PML4    | PDPT    | PD      | PT      | offset     |
 * +---------+---------+---------+---------+------------+
 */
#include "paging.h"

#define PGT_POOL_PAGES 96

static uint64_t pool[PGT_POOL_PAGES][PT_ENTRIES] __attribute__((aligned(4096)));
static unsigned pool_used;

/* The rights every table made here grants; the leaves decide. */
#define PGT_TABLE_FLAGS (PTE_P | PTE_W | PTE_U)

/* Identity map: guest-physical = virtual below BOOT_IDMAP_SIZE. */
static uint64_t *table_at(uint64_t entry)
{
	return (uint64_t *)(uintptr_t)(entry & PTE_ADDR_MASK);
}

/* The PML4 CR3 points at. */
uint64_t *pgt_root(void)
{
	return table_at(read_cr3());
}

/* A zeroed page of the pool; running out is a bug in this guest. */
uint64_t *pgt_alloc(void)
{
	if (pool_used == PGT_POOL_PAGES) {
		rt_puts("paging: out of pool pages\n");
		rt_exit(RT_EXIT_UNEXPECTED_TRAP);
	}
	return memset(pool[pool_used++], 0, PAGE_4K);
}

/* A frame of the pool filled with one byte value; returns its address. */
uint64_t pgt_frame(uint8_t fill)
{
	uint64_t *frame = pgt_alloc();

	memset(frame, fill, PAGE_4K);
	return (uint64_t)(uintptr_t)frame;
}

/* The entry at level for va, making the tables above it as needed. */
uint64_t *pgt_entry(uint64_t *pml4, uint64_t va, int level)
{
	uint64_t *table = pml4;

	for (int l = PT_LEVELS; l > level; l--) {
		uint64_t *e = &table[PT_INDEX(va, l)];

		if (!(*e & PTE_P))
			*e = (uint64_t)(uintptr_t)pgt_alloc() | PGT_TABLE_FLAGS;
		else if (*e & PTE_PS) {
			rt_printf("paging: a large page is in the way of 0x%lx\n",
				  va);
			rt_exit(RT_EXIT_UNEXPECTED_TRAP);
		}
		table = table_at(*e);
	}
	return &table[PT_INDEX(va, level)];
}

/* Install a leaf (PS is added above level 1) and flush va. */
void pgt_map(uint64_t *pml4, uint64_t va, int level, uint64_t pa,
	     uint64_t flags)
{
	uint64_t *e = pgt_entry(pml4, va, level);

	*e = (pa & PTE_ADDR_MASK) | flags | (level > 1 ? PTE_PS : 0);
	invlpg(va);
}

/* Remove the leaf again. */
void pgt_unmap(uint64_t *pml4, uint64_t va, int level)
{
	*pgt_entry(pml4, va, level) = 0;
	invlpg(va);
}
