/*
 * guests/runtime/paging_i386.c - the boot map and page-table helpers for
 * 32-bit paging.
 *
 * trapvisor's 64-bit boot state maps the first 4 GiB to themselves with
 * 2 MiB pages (monitor/boot.h); a multiboot kernel starts with paging
 * off.  rt_paging_init gives the i386 build the same map in the 32-bit
 * format: one page directory whose 1024 entries are 4 MiB pages (CR4.PSE),
 * supervisor-only and writable, so that every physical address is its own
 * virtual address before and after paging is on.
 *
 * As on x86-64, a guest that wants to remap one 4 KiB page, or give ring 3
 * access to one, asks for that page's PTE: the 4 MiB page around it is
 * split into a page table of 1024 4 KiB entries that map the same frames
 * with the same rights, so nothing else changes.
 *
 *  31        22 21        12 11          0
 * +------------+------------+-------------+
 * | directory  | table      | offset      |
 * +------------+------------+-------------+
 */
#include "cpu.h"
#include "rt.h"

#define RT_PT_POOL 8

static rt_pte_t boot_pd[RT_PT_ENTRIES] __attribute__((aligned(4096)));
static rt_pte_t pt_pool[RT_PT_POOL][RT_PT_ENTRIES]
	__attribute__((aligned(4096)));
static unsigned pt_used;

/* The boot map, then CR4.PSE (4 MiB pages), CR3, and CR0.PG with WP (the
 * kernel, too, may not write a read-only page), as trapvisor's CR0. */
void rt_paging_init(void)
{
	for (uint32_t i = 0; i < RT_PT_ENTRIES; i++)
		boot_pd[i] = i * RT_PAGE_4M | PTE_P | PTE_W | PTE_PS;
	write_cr4(read_cr4() | CR4_PSE);
	write_cr3((uintptr_t)boot_pd);
	write_cr0(read_cr0() | CR0_PG | CR0_WP);
}

/* A zeroed page table from the pool; running out is a runtime bug. */
static rt_pte_t *alloc_table(void)
{
	if (pt_used == RT_PT_POOL) {
		rt_puts("rt_pte: out of page tables\n");
		rt_exit(RT_EXIT_UNEXPECTED_TRAP);
	}
	return memset(pt_pool[pt_used++], 0, PAGE_4K);
}

static rt_pte_t *table_at(rt_pte_t entry)
{
	return (rt_pte_t *)(uintptr_t)(entry & RT_PTE_ADDR_MASK);
}

/* Replace the 4 MiB leaf *pde by a page table of 4 KiB leaves. */
static void split_4m(rt_pte_t *pde)
{
	rt_pte_t rights = *pde & (PTE_P | PTE_W | PTE_U | PTE_PWT | PTE_PCD |
				  PTE_A | PTE_D | PTE_G);
	rt_pte_t frame = *pde & RT_PDE_ADDR_4M_MASK;
	rt_pte_t *pt = alloc_table();

	for (unsigned i = 0; i < RT_PT_ENTRIES; i++)
		pt[i] = (frame + i * (rt_pte_t)PAGE_4K) | rights;
	*pde = (rt_pte_t)(uintptr_t)pt |
	       (*pde & (PTE_P | PTE_W | PTE_U | PTE_A));
	/* Same translations, new structure: drop cached paging structures. */
	write_cr3(read_cr3());
}

/* Walk to va's PTE, adding upper (PTE_U or 0) to the directory entry. */
static rt_pte_t *walk(uintptr_t va, rt_pte_t upper)
{
	rt_pte_t *pd = table_at(read_cr3());
	rt_pte_t *e = &pd[RT_PT_INDEX(va, 2)];

	if (!(*e & PTE_P))
		*e = (rt_pte_t)(uintptr_t)alloc_table() | PTE_P | PTE_W;
	else if (*e & PTE_PS)
		split_4m(e);
	*e |= upper;
	return &table_at(*e)[RT_PT_INDEX(va, 1)];
}

/* The 4 KiB PTE of va (splitting a 4 MiB page first if need be). */
rt_pte_t *rt_pte(uintptr_t va)
{
	return walk(va, 0);
}

/* Map va to pa with flags; PTE_U in flags is granted on the whole path. */
void rt_map_page(uintptr_t va, uintptr_t pa, rt_pte_t flags)
{
	rt_pte_t *pte = walk(va, flags & PTE_U);

	*pte = (pa & RT_PTE_ADDR_MASK) | flags;
	invlpg(va);
}
