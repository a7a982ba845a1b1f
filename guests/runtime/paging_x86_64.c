/*
 * guests/runtime/paging_x86_64.c - page-table helpers on top of the boot map.
 *
 * The boot identity map (monitor/boot.h) uses 2 MiB pages.  A guest that
 * wants to remap one 4 KiB page, or give ring 3 access to one, asks for
 * that page's PTE: the 2 MiB page around it is split into a page table of
 * 512 4 KiB entries that map the same frames with the same rights, so
 * nothing else changes.
 *
 *  47     39 38     30 29     21 20     12 11         0
 * +---------+---------+---------+---------+------------+
 * | PML4    | PDPT    | PD      | PT      | offset     |
 * +---------+---------+---------+---------+------------+
 */
#include "cpu.h"
#include "rt.h"

#define RT_PT_POOL 8

static uint64_t pt_pool[RT_PT_POOL][PT_ENTRIES] __attribute__((aligned(4096)));
static unsigned pt_used;

/* A zeroed page table from the pool; running out is a runtime bug. */
static uint64_t *alloc_table(void)
{
	if (pt_used == RT_PT_POOL) {
		rt_puts("rt_pte: out of page tables\n");
		rt_exit(RT_EXIT_UNEXPECTED_TRAP);
	}
	return memset(pt_pool[pt_used++], 0, PAGE_4K);
}

/* Guest-physical = virtual for the tables: the identity map covers them. */
static uint64_t *table_at(uint64_t entry)
{
	return (uint64_t *)(uintptr_t)(entry & PTE_ADDR_MASK);
}

/* Replace the 2 MiB leaf *pde by a page table of 4 KiB leaves. */
static void split_2m(uint64_t *pde)
{
	uint64_t rights = *pde & (PTE_P | PTE_W | PTE_U | PTE_PWT | PTE_PCD |
				  PTE_A | PTE_D | PTE_G | PTE_NX);
	uint64_t frame = *pde & PTE_ADDR_2M_MASK;
	uint64_t *pt = alloc_table();

	for (unsigned i = 0; i < PT_ENTRIES; i++)
		pt[i] = (frame + i * PAGE_4K) | rights;
	*pde = (uint64_t)(uintptr_t)pt | (*pde & (PTE_P | PTE_W | PTE_U | PTE_A));
	/* Same translations, new structure: drop cached paging structures. */
	write_cr3(read_cr3());
}

/* Walk to va's PTE, adding upper (PTE_U or 0) to every non-leaf entry. */
static uint64_t *walk(uint64_t va, uint64_t upper)
{
	uint64_t *table = table_at(read_cr3());

	for (int level = PT_LEVELS; level > 1; level--) {
		uint64_t *e = &table[PT_INDEX(va, level)];

		if (!(*e & PTE_P))
			*e = (uint64_t)(uintptr_t)alloc_table() | PTE_P | PTE_W;
		else if (level == 3 && (*e & PTE_PS)) {
			rt_puts("rt_pte: 1 GiB pages are not split\n");
			rt_exit(RT_EXIT_UNEXPECTED_TRAP);
		} else if (level == 2 && (*e & PTE_PS))
			split_2m(e);
		*e |= upper;
		table = table_at(*e);
	}
	return &table[PT_INDEX(va, 1)];
}

/* The 4 KiB PTE of va (splitting a 2 MiB page first if need be). */
rt_pte_t *rt_pte(uintptr_t va)
{
	return walk(va, 0);
}

/* Map va to pa with flags; PTE_U in flags is granted on the whole path. */
void rt_map_page(uintptr_t va, uintptr_t pa, rt_pte_t flags)
{
	uint64_t *pte = walk(va, flags & PTE_U);

	*pte = (pa & PTE_ADDR_MASK) | flags;
	invlpg(va);
}
