/*
 * guests/toyos/vm.c - physical frames, page tables and address spaces.
 *
 * Every process has its own top-level table (its pgdir: a PML4 on x86-64,
 * a page directory on i386).  Its slots are copies of the boot map's
 * (monitor/boot.h; on i386, the runtime's paging_i386.c), the identity map
 * in which the kernel lives, supervisor-only, so the kernel is the same in
 * every address space and a CR3 switch never pulls it away - all but the
 * USER_SLOTS slots from USER_SLOT_FIRST (arch_*.h), which are private to
 * the process: its stack and heap, 4 KiB pages that fork copies and exit
 * frees.  The kernel's only user pages are the programs' code and
 * constants (.user, see guest.ld), shared read-only.
 *
 * The code walks either format the same way, with the runtime's names of
 * it (RT_PT_LEVELS levels of RT_PT_ENTRIES entries of type rt_pte_t):
 *
 *  x86-64  47     39 38     30 29     21 20     12 11         0
 *         +---------+---------+---------+---------+------------+
 *         | PML4    | PDPT    | PD      | PT      | offset     |
 *         +---------+---------+---------+---------+------------+
 *  i386                         31      22 21     12 11         0
 *                             +---------+---------+------------+
 *                             | PD      | PT      | offset     |
 *                             +---------+---------+------------+
 *
 * The kernel reaches every frame at its physical address through the
 * identity map, so a table entry's address is also a pointer.
 */
#include "cpu.h"
#include "toyos.h"

extern char __bss_end[];

/* Frames not yet handed out lie in [next_frame, end_frame); freed ones are
 * chained through their first word. */
static uintptr_t next_frame, end_frame;
static uintptr_t *free_frames;
static uintptr_t kernel_pgdir;

/* ------------------------------------------------------------ frames */

/* A zeroed 4 KiB frame, or 0 when memory is exhausted. */
static uintptr_t frame_alloc(void)
{
	uintptr_t pa;

	if (free_frames) {
		pa = (uintptr_t)free_frames;
		free_frames = (uintptr_t *)*free_frames;
	} else if (next_frame < end_frame) {
		pa = next_frame;
		next_frame += PAGE_4K;
	} else {
		return 0;
	}
	memset((void *)(uintptr_t)pa, 0, PAGE_4K);
	return pa;
}

static void frame_free(uintptr_t pa)
{
	uintptr_t *f = (uintptr_t *)pa;

	*f = (uintptr_t)free_frames;
	free_frames = f;
}

static rt_pte_t *table(rt_pte_t entry)
{
	return (rt_pte_t *)(uintptr_t)(entry & RT_PTE_ADDR_MASK);
}

/* Whether slot i of a top-level table is one of a process's own. */
static bool is_user_slot(unsigned i)
{
	return i >= USER_SLOT_FIRST && i < USER_SLOT_FIRST + USER_SLOTS;
}

/* Frames: from the end of the image to the end of RAM (at most what the
 * kernel maps in every address space).  The .user pages become
 * user-accessible, read-only; the null page goes, so that a null pointer
 * faults in the kernel too. */
void vm_init(void)
{
	uint64_t ram = rt_boot_info->mem_size;

	if (ram > KERNEL_RAM_END)
		ram = KERNEL_RAM_END;
	next_frame = ((uintptr_t)__bss_end + PAGE_4K - 1) & PAGE_4K_MASK;
	end_frame = (uintptr_t)ram & PAGE_4K_MASK;
	if (next_frame >= end_frame)
		panic("vm_init: no memory above the image");
	kernel_pgdir = read_cr3() & RT_PTE_ADDR_MASK;
	for (char *p = __user_start; p < __user_end; p += PAGE_4K)
		rt_map_page((uintptr_t)p, (uintptr_t)p, PTE_P | PTE_U);
	*rt_pte(0) = 0;
	invlpg(0);
}

/* The boot map's table, which maps the kernel alone: the scheduler runs
 * on it. */
uintptr_t vm_kernel_cr3(void)
{
	return kernel_pgdir;
}

/* ------------------------------------------------------------ walks */

/* va's PTE in the user slots of pgdir; missing tables are made when
 * create (NULL if that fails or, without create, if one is missing). */
static rt_pte_t *user_pte(uintptr_t pgdir, uintptr_t va, bool create)
{
	rt_pte_t *t = table(pgdir);

	for (int level = RT_PT_LEVELS; level > 1; level--) {
		rt_pte_t *e = &t[RT_PT_INDEX(va, level)];

		if (!(*e & PTE_P)) {
			uintptr_t pa = create ? frame_alloc() : 0;

			if (!pa)
				return NULL;
			/* Rights are decided by the leaf; the levels above
			 * grant everything (SDM vol. 3, 4.6: the most
			 * restrictive level wins). */
			*e = (rt_pte_t)pa | PTE_P | PTE_W | PTE_U;
		}
		t = table(*e);
	}
	return &t[RT_PT_INDEX(va, 1)];
}

/* What an access from ring 3 finds at va: the leaf entry with U and W
 * kept only if every level grants them, and the page's size. */
struct translation {
	rt_pte_t entry; /* 0: not present */
	uintptr_t size;
};

static struct translation translate(uintptr_t pgdir, uintptr_t va)
{
	struct translation tr = { 0, 0 };
	rt_pte_t *t = table(pgdir), rights = PTE_U | PTE_W;

	for (int level = RT_PT_LEVELS; level >= 1; level--) {
		rt_pte_t e = t[RT_PT_INDEX(va, level)];

		if (!(e & PTE_P))
			return tr;
		rights &= e;
		if (level == 1 ||
		    (level <= RT_PT_LARGE_TOP && (e & PTE_PS))) {
			tr.entry = (e & ~(rt_pte_t)(PTE_U | PTE_W)) | rights;
			tr.size = (uintptr_t)1 << RT_LEVEL_SHIFT(level);
			return tr;
		}
		t = table(e);
	}
	return tr;
}

/* Whether va is mapped in pgdir but for ring 0 only. */
bool vm_is_kernel_page(uintptr_t pgdir, uintptr_t va)
{
	struct translation tr = translate(pgdir, va);

	return (tr.entry & PTE_P) && !(tr.entry & PTE_U);
}

/* ------------------------------------------------------------ demand paging */

/* Map a new zeroed frame at user address va with flags. */
bool vm_map_zero(uintptr_t pgdir, uintptr_t va, rt_pte_t flags)
{
	rt_pte_t *pte = user_pte(pgdir, va, true);
	uintptr_t pa = pte ? frame_alloc() : 0;

	if (!pa)
		return false;
	*pte = (rt_pte_t)pa | flags;
	return true;
}

/*T:860 Demand paging.  sbrk only moved the break; the first touch of a heap
 * page faults (not present), and the page fault handler comes here to map
 * a zeroed frame and return: the CPU then runs the instruction again.
 * Under trapvisor this fault is the guest's own, delivered through its IDT
 * - the monitor's shadow page tables must tell it from their own faults
 * (stop 500).
 */
bool vm_demand_page(struct proc *p, uintptr_t va)
{
	rt_pte_t *pte;

	if (va < USER_HEAP_BASE || va >= p->brk)
		return false;
	pte = user_pte(p->pgdir, va, false);
	if (pte && (*pte & PTE_P))
		return false; /* mapped already: a real protection fault */
	return vm_map_zero(p->pgdir, va & PAGE_4K_MASK, USER_DATA_FLAGS);
}

/* Where p's user address va is in RAM, if ring 3 may reach it (and write
 * it, if write); a heap page is paged in as by a touch.  0 if not. */
uintptr_t vm_user_phys(struct proc *p, uintptr_t va, bool write)
{
	struct translation tr;
	uintptr_t offset_mask;

	if (!is_user_va(va))
		return 0;
	tr = translate(p->pgdir, va);
	if (!(tr.entry & PTE_P)) {
		if (!vm_demand_page(p, va))
			return 0;
		tr = translate(p->pgdir, va);
	}
	if (!(tr.entry & PTE_U) || (write && !(tr.entry & PTE_W)))
		return 0;
	offset_mask = tr.size - 1;
	return ((uintptr_t)tr.entry & RT_PTE_ADDR_MASK & ~offset_mask) |
	       (va & offset_mask);
}

/* ------------------------------------------------------------ spaces */

/* A new top-level table that shares every slot with the kernel's but the
 * user ones, which start empty. */
uintptr_t vm_create(void)
{
	uintptr_t pgdir = frame_alloc();

	if (!pgdir)
		return 0;
	for (unsigned i = 0; i < RT_PT_ENTRIES; i++)
		if (!is_user_slot(i))
			table(pgdir)[i] = table(kernel_pgdir)[i];
	return pgdir;
}

/* Free the frames below a table of the given level, and its tables. */
static void free_level(rt_pte_t *t, int level)
{
	for (unsigned i = 0; i < RT_PT_ENTRIES; i++) {
		if (!(t[i] & PTE_P))
			continue;
		if (level > 1)
			free_level(table(t[i]), level - 1);
		frame_free(t[i] & RT_PTE_ADDR_MASK);
		t[i] = 0;
	}
}

/* Free the user slots' pages and tables; flush the TLB if pgdir is live. */
void vm_clear_user(uintptr_t pgdir)
{
	for (unsigned i = USER_SLOT_FIRST; i < USER_SLOT_FIRST + USER_SLOTS;
	     i++) {
		rt_pte_t *slot = &table(pgdir)[i];

		if (!(*slot & PTE_P))
			continue;
		free_level(table(*slot), RT_PT_LEVELS - 1);
		frame_free(*slot & RT_PTE_ADDR_MASK);
		*slot = 0;
	}
	if ((read_cr3() & RT_PTE_ADDR_MASK) == pgdir)
		write_cr3(read_cr3()); /* the TLB may hold what was freed */
}

/* Free a whole address space (never the current one). */
void vm_destroy(uintptr_t pgdir)
{
	vm_clear_user(pgdir);
	frame_free(pgdir);
}

/* Give dst a private copy of every page below the table t of src (which
 * maps from va at this level). */
static bool copy_level(uintptr_t dst, rt_pte_t *t, int level, uintptr_t va)
{
	for (unsigned i = 0; i < RT_PT_ENTRIES; i++) {
		uintptr_t here = va + ((uintptr_t)i << RT_LEVEL_SHIFT(level));
		rt_pte_t *pte;

		if (!(t[i] & PTE_P))
			continue;
		if (level > 1) {
			if (!copy_level(dst, table(t[i]), level - 1, here))
				return false;
			continue;
		}
		if (!vm_map_zero(dst, here, t[i] & ~(rt_pte_t)RT_PTE_ADDR_MASK))
			return false;
		pte = user_pte(dst, here, false);
		memcpy(table(*pte), table(t[i]), PAGE_4K);
	}
	return true;
}

/* fork's eager copy: every user page of src, duplicated into dst. */
bool vm_copy_user(uintptr_t dst, uintptr_t src)
{
	for (unsigned i = USER_SLOT_FIRST; i < USER_SLOT_FIRST + USER_SLOTS;
	     i++) {
		rt_pte_t slot = table(src)[i];
		uintptr_t va = (uintptr_t)i << RT_LEVEL_SHIFT(RT_PT_LEVELS);

		if ((slot & PTE_P) &&
		    !copy_level(dst, table(slot), RT_PT_LEVELS - 1, va))
			return false;
	}
	return true;
}
