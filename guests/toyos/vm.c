/*
 * guests/toyos/vm.c - physical frames, page tables and address spaces.
 *
 * Every process has its own PML4.  Slot 0 of each one is a copy of slot 0
 * of the boot PML4 (monitor/boot.h): the identity map of the first 4 GiB in
 * which the kernel lives, supervisor-only, so the kernel is the same in
 * every address space and a CR3 switch never pulls it away.  Its only user
 * pages are the programs' code and constants (.user, see guest.ld), shared
 * read-only.  Slot USER_PML4_SLOT is private to the process: its stack and
 * heap, 4 KiB pages that fork copies and exit frees.
 *
 *  47     39 38     30 29     21 20     12 11         0
 * +---------+---------+---------+---------+------------+
 * | PML4    | PDPT    | PD      | PT      | offset     |
 * +---------+---------+---------+---------+------------+
 *
 * The kernel reaches every frame at its physical address through the
 * identity map, so a table entry's address is also a pointer.
 */
#include "cpu.h"
#include "toyos.h"

/* log2 of the bytes one entry of a table at level (1 = PT) maps. */
#define LEVEL_SHIFT(level) (PAGE_4K_SHIFT + 9 * ((level) - 1))

extern char __bss_end[];

/* Frames not yet handed out lie in [next_frame, end_frame); freed ones are
 * chained through their first word. */
static uint64_t next_frame, end_frame;
static uint64_t *free_frames;
static uint64_t kernel_pml4;

/* ------------------------------------------------------------ frames */

/* A zeroed 4 KiB frame, or 0 when memory is exhausted. */
static uint64_t frame_alloc(void)
{
	uint64_t pa;

	if (free_frames) {
		pa = (uint64_t)(uintptr_t)free_frames;
		free_frames = (uint64_t *)(uintptr_t)*free_frames;
	} else if (next_frame < end_frame) {
		pa = next_frame;
		next_frame += PAGE_4K;
	} else {
		return 0;
	}
	memset((void *)(uintptr_t)pa, 0, PAGE_4K);
	return pa;
}

static void frame_free(uint64_t pa)
{
	uint64_t *f = (uint64_t *)(uintptr_t)pa;

	*f = (uint64_t)(uintptr_t)free_frames;
	free_frames = f;
}

static uint64_t *table(uint64_t entry)
{
	return (uint64_t *)(uintptr_t)(entry & PTE_ADDR_MASK);
}

/* Frames: from the end of the image to the end of RAM (at most the boot
 * identity map).  The .user pages become user-accessible, read-only; the
 * null page goes, so that a null pointer faults in the kernel too. */
void vm_init(void)
{
	uint64_t ram = rt_boot_info->mem_size;

	if (ram > BOOT_IDMAP_SIZE)
		ram = BOOT_IDMAP_SIZE;
	next_frame = ((uintptr_t)__bss_end + PAGE_4K - 1) & PAGE_4K_MASK;
	end_frame = ram & PAGE_4K_MASK;
	if (next_frame >= end_frame)
		panic("vm_init: no memory above the image");
	kernel_pml4 = read_cr3() & PTE_ADDR_MASK;
	for (char *p = __user_start; p < __user_end; p += PAGE_4K)
		rt_map_page((uint64_t)(uintptr_t)p, (uint64_t)(uintptr_t)p,
			    PTE_P | PTE_U);
	*rt_pte(0) = 0;
	invlpg(0);
}

/* The boot PML4, which maps the kernel alone: the scheduler runs on it. */
uint64_t vm_kernel_cr3(void)
{
	return kernel_pml4;
}

/* ------------------------------------------------------------ walks */

/* va's PTE in the user half of pml4; missing tables are made when create
 * (NULL if that fails or, without create, if one is missing). */
static uint64_t *user_pte(uint64_t pml4, uint64_t va, bool create)
{
	uint64_t *t = table(pml4);

	for (int level = PT_LEVELS; level > 1; level--) {
		uint64_t *e = &t[PT_INDEX(va, level)];

		if (!(*e & PTE_P)) {
			uint64_t pa = create ? frame_alloc() : 0;

			if (!pa)
				return NULL;
			/* Rights are decided by the leaf; the levels above
			 * grant everything (SDM vol. 3, 4.6: the most
			 * restrictive level wins). */
			*e = pa | PTE_P | PTE_W | PTE_U;
		}
		t = table(*e);
	}
	return &t[PT_INDEX(va, 1)];
}

/* What an access from ring 3 finds at va: the leaf entry with U and W
 * kept only if every level grants them, and the page's size. */
struct translation {
	uint64_t entry; /* 0: not present */
	uint64_t size;
};

static struct translation translate(uint64_t pml4, uint64_t va)
{
	struct translation tr = { 0, 0 };
	uint64_t *t = table(pml4), rights = PTE_U | PTE_W;

	for (int level = PT_LEVELS; level >= 1; level--) {
		uint64_t e = t[PT_INDEX(va, level)];

		if (!(e & PTE_P))
			return tr;
		rights &= e;
		if (level == 1 || (level <= 3 && (e & PTE_PS))) {
			tr.entry = (e & ~(PTE_U | PTE_W)) | rights;
			tr.size = 1ULL << LEVEL_SHIFT(level);
			return tr;
		}
		t = table(e);
	}
	return tr;
}

/* Only the lower half of the canonical address space belongs to users. */
static bool is_user_va(uint64_t va)
{
	return va < (1ULL << 47);
}

/* Whether va is mapped in pml4 but for ring 0 only. */
bool vm_is_kernel_page(uint64_t pml4, uint64_t va)
{
	struct translation tr = translate(pml4, va);

	return (tr.entry & PTE_P) && !(tr.entry & PTE_U);
}

/* ------------------------------------------------------------ demand paging */

/* Map a new zeroed frame at user address va with flags. */
bool vm_map_zero(uint64_t pml4, uint64_t va, uint64_t flags)
{
	uint64_t *pte = user_pte(pml4, va, true);
	uint64_t pa = pte ? frame_alloc() : 0;

	if (!pa)
		return false;
	*pte = pa | flags;
	return true;
}

/*T:860 Demand paging.  sbrk only moved the break; the first touch of a heap
 * page faults (not present), and the page fault handler comes here to map
 * a zeroed frame and return: the CPU then runs the instruction again.
 * Under trapvisor this fault is the guest's own, delivered through its IDT
 * - the monitor's shadow page tables must tell it from their own faults
 * (stop 500).
 */
bool vm_demand_page(struct proc *p, uint64_t va)
{
	uint64_t *pte;

	if (va < USER_HEAP_BASE || va >= p->brk)
		return false;
	pte = user_pte(p->pml4, va, false);
	if (pte && (*pte & PTE_P))
		return false; /* mapped already: a real protection fault */
	return vm_map_zero(p->pml4, va & PAGE_4K_MASK, USER_DATA_FLAGS);
}

/* Where p's user address va is in RAM, if ring 3 may reach it (and write
 * it, if write); a heap page is paged in as by a touch.  0 if not. */
uint64_t vm_user_phys(struct proc *p, uint64_t va, bool write)
{
	struct translation tr;
	uint64_t offset_mask;

	if (!is_user_va(va))
		return 0;
	tr = translate(p->pml4, va);
	if (!(tr.entry & PTE_P)) {
		if (!vm_demand_page(p, va))
			return 0;
		tr = translate(p->pml4, va);
	}
	if (!(tr.entry & PTE_U) || (write && !(tr.entry & PTE_W)))
		return 0;
	offset_mask = tr.size - 1;
	return (tr.entry & PTE_ADDR_MASK & ~offset_mask) | (va & offset_mask);
}

/* ------------------------------------------------------------ spaces */

/* A new PML4 that shares every slot with the kernel's but the user one. */
uint64_t vm_create(void)
{
	uint64_t pml4 = frame_alloc();

	if (!pml4)
		return 0;
	for (unsigned i = 0; i < PT_ENTRIES; i++)
		if (i != USER_PML4_SLOT)
			table(pml4)[i] = table(kernel_pml4)[i];
	return pml4;
}

/* Free the frames below a table of the given level, and its tables. */
static void free_level(uint64_t *t, int level)
{
	for (unsigned i = 0; i < PT_ENTRIES; i++) {
		if (!(t[i] & PTE_P))
			continue;
		if (level > 1)
			free_level(table(t[i]), level - 1);
		frame_free(t[i] & PTE_ADDR_MASK);
		t[i] = 0;
	}
}

/* Free the user slot's pages and tables; flush the TLB if pml4 is live. */
void vm_clear_user(uint64_t pml4)
{
	uint64_t *slot = &table(pml4)[USER_PML4_SLOT];

	if (*slot & PTE_P) {
		free_level(table(*slot), PT_LEVELS - 1);
		frame_free(*slot & PTE_ADDR_MASK);
		*slot = 0;
	}
	if ((read_cr3() & PTE_ADDR_MASK) == pml4)
		write_cr3(read_cr3()); /* the TLB may hold what was freed */
}

/* Free a whole address space (never the current one). */
void vm_destroy(uint64_t pml4)
{
	vm_clear_user(pml4);
	frame_free(pml4);
}

/* Give dst a private copy of every page below the table t of src (which
 * maps from va at this level). */
static bool copy_level(uint64_t dst, uint64_t *t, int level, uint64_t va)
{
	for (unsigned i = 0; i < PT_ENTRIES; i++) {
		uint64_t here = va + ((uint64_t)i << LEVEL_SHIFT(level));
		uint64_t *pte;

		if (!(t[i] & PTE_P))
			continue;
		if (level > 1) {
			if (!copy_level(dst, table(t[i]), level - 1, here))
				return false;
			continue;
		}
		if (!vm_map_zero(dst, here, t[i] & ~PTE_ADDR_MASK))
			return false;
		pte = user_pte(dst, here, false);
		memcpy(table(*pte), table(t[i]), PAGE_4K);
	}
	return true;
}

/* fork's eager copy: every user page of src, duplicated into dst. */
bool vm_copy_user(uint64_t dst, uint64_t src)
{
	uint64_t slot = table(src)[USER_PML4_SLOT];

	if (!(slot & PTE_P))
		return true;
	return copy_level(dst, table(slot), PT_LEVELS - 1, USER_BASE);
}
