/*
 * shadowpt/shadowpt.c - shadow page tables, filled on fault.
 *
 * The shadow behaves like a TLB that the monitor manages by hand: it starts
 * empty, an entry appears when the engine's MMU faults on an address and
 * the guest's own tables allow the access (a hidden fault), and entries go
 * away when the guest says so (invlpg, a CR3 write) - exactly when a real
 * CPU would forget its TLB entries.  A guest that changes a PTE without
 * invlpg gets the stale translation, as it would on hardware.
 *
 * The rules of x86 this relies on (SDM vol. 3, 4.10), which a correct
 * guest already follows because real TLBs need them too:
 *   1. after changing or removing a present translation, the guest
 *      invalidates it with invlpg or a CR3 write;
 *   2. a not-present entry is never cached, so making an entry present
 *      needs no invalidation (the shadow never holds not-present entries:
 *      the next access faults and fills);
 *   3. a CR3 write forgets every non-global translation; global ones
 *      (G with CR4.PGE) survive it, and only invlpg or a change of
 *      CR4.PGE forgets them;
 *   4. the CPU sets A and D in the guest's entries only while walking:
 *      a guest that clears them must invalidate to have them set again.
 *
 * Every address space keeps its own shadows, up to SHADOW_SPACES of them:
 * when the guest switches back to a CR3 it used recently, the shadows of
 * its global pages are still there and need no hidden faults to rebuild.
 *
 * The shadow has the same 4-level x86-64 shape whichever paging format the
 * guest uses (32-bit, PAE or 4-level: walk.c); only the walk that fills it
 * differs.  A change of format changes every translation, and the
 * interpreter then calls shadowpt_flush_all().
 *
 * Shape of one view (all tables are 4 KiB pages of the monitor's heap):
 *
 *   root (PML4) -> PDPT -> PD -> PT -> leaf: guest-physical frame | P | U
 *                                            | W (allowed and dirty)
 *                                            | NX (guest says no execute)
 *
 * Non-leaf entries hold the monitor's (host) address of the next table.
 * Their available bits (9..11, ignored by the MMU) remember when a table
 * holds pieces of a guest large page, so that invlpg can drop the whole
 * large page as the SDM requires (vol. 3, 4.10.4.1).  A guest 2 MiB page
 * is one shadow PT; a guest 4 MiB page (32-bit paging) spans two, so the
 * mark goes one level up, on the PD that holds both, and invlpg drops the
 * whole PD: more than asked, which is always safe.
 *
 * The frame of a leaf need not be RAM: a guest that maps device memory
 * (a local APIC, an I/O APIC) gets a leaf like any other, and the
 * engine, seeing no RAM there (shadowpt_frame_is_ram), sends the access to
 * the devices.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "isa/x86.h"
#include "core/engine.h"
#include "core/lab.h"
#include "core/vm.h"
#include "shadowpt/shadowpt.h"
#include "shadowpt/walk.h"

/* Non-leaf rights: everything; the leaf alone decides. */
#define SPT_TABLE_BITS (PTE_P | PTE_W | PTE_U)

/* The view that matches the virtual CPL: only CPL 3 is user mode to paging. */
static enum shadow_view spt_view(const struct vm *vm)
{
	return vm->vcpu.cpl == CPL_USER ? VIEW_USER : VIEW_SUPERVISOR;
}

/*
 * Tell the engine to forget what it cached of the page of va, or of
 * every page when va is SHADOW_FLUSH_ALL (an engine with no cache of its
 * own, softcpu without a TLB, has no flush and is not asked).
 */
static void spt_flush_engine(struct vm *vm, uint64_t va)
{
	vm->spt->gen++; /* a drop: the memos of lookups end (shadowpt.h) */
	if (vm->engine && vm->engine->flush)
		vm->engine->flush(vm, va);
}

/* ------------------------------------------------------------------
 * Table pages.
 */

/* A zeroed, page-aligned table, or NULL when the host is out of memory. */
static uint64_t *spt_alloc_table(struct shadowpt *spt)
{
	uint64_t *t = aligned_alloc(PAGE_4K, PAGE_4K);

	if (!t)
		return NULL;
	memset(t, 0, PAGE_4K);
	spt->tables++;
	return t;
}

/* The host table a non-leaf entry points to. */
static uint64_t *spt_child(uint64_t entry)
{
	return (uint64_t *)(uintptr_t)(entry & PTE_ADDR_MASK);
}

/* Free a table at level (4 root .. 1 PT) and every table below it. */
static void spt_free_table(struct shadowpt *spt, uint64_t *t, int level)
{
	if (level > 1)
		for (int i = 0; i < PT_ENTRIES; i++)
			if (t[i] & PTE_P)
				spt_free_table(spt, spt_child(t[i]), level - 1);
	free(t);
	spt->tables--;
}

/* Empty a root: free everything below it, keep the root page itself. */
static void spt_clear_root(struct shadowpt *spt, uint64_t *root)
{
	for (int i = 0; i < PT_ENTRIES; i++) {
		if (root[i] & PTE_P)
			spt_free_table(spt, spt_child(root[i]), PT_LEVELS - 1);
		root[i] = 0;
	}
}

/* Give an unused space its two empty roots.  Returns 0, or -1. */
static int spt_space_alloc(struct shadowpt *spt, struct shadow_space *s)
{
	for (int v = 0; v < SHADOW_NVIEWS; v++) {
		s->root[v] = spt_alloc_table(spt);
		if (!s->root[v])
			return -1;
	}
	s->in_use = true;
	return 0;
}

/*
 * The address space CR3 names, in the paging format in use: bits 31:12
 * under 32-bit paging, 31:5 under PAE paging (a PDPT is 32 bytes, and two
 * in one page are two address spaces), 51:12 under 4-level paging.  The
 * other bits (PCD, PWT) choose caching, not translations.
 */
static uint64_t spt_space_key(const struct vm *vm)
{
	uint64_t cr3 = vm->vcpu.cr3;

	switch (paging_mode(&vm->vcpu)) {
	case PAGING_32BIT: return cr3 & CR3_32BIT_MASK;
	case PAGING_PAE: return cr3 & CR3_PAE_MASK;
	default: return cr3 & CR3_ADDR_MASK;
	}
}

/* Make s the active space, with the view of the virtual CPL. */
static void spt_activate(struct vm *vm, struct shadow_space *s)
{
	struct shadowpt *spt = vm->spt;

	spt->active = s;
	s->last_used = ++spt->clock;
	for (int v = 0; v < SHADOW_NVIEWS; v++)
		spt->root[v] = s->root[v];
	spt->current = spt->root[spt_view(vm)];
}

int shadowpt_init(struct vm *vm)
{
	struct shadowpt *spt = vm->spt;
	struct shadow_space *s = &spt->space[0];

	memset(spt, 0, sizeof(*spt));
	if (spt_space_alloc(spt, s) < 0) {
		shadowpt_fini(vm);
		return -1;
	}
	s->cr3 = spt_space_key(vm);
	spt_activate(vm, s);
	return 0;
}

void shadowpt_fini(struct vm *vm)
{
	struct shadowpt *spt = vm->spt;

	for (int i = 0; i < SHADOW_SPACES; i++) {
		struct shadow_space *s = &spt->space[i];
		for (int v = 0; v < SHADOW_NVIEWS; v++) {
			if (s->root[v])
				spt_free_table(spt, s->root[v], PT_LEVELS);
			s->root[v] = NULL;
		}
		s->in_use = false;
	}
	for (int v = 0; v < SHADOW_NVIEWS; v++)
		spt->root[v] = NULL;
	spt->current = NULL;
	spt->active = NULL;
}

/* ------------------------------------------------------------------
 * Filling.
 */

/*
 * The shadow level whose entry's table covers all of a guest page of this
 * size: 2 (a PT, 2 MiB) for a 2 MiB page, 3 (a PD, 1 GiB) for a 4 MiB or
 * 1 GiB page; 0 for a 4 KiB page, which is a single leaf.
 */
static int spt_large_level(uint64_t page_size)
{
	if (page_size == PAGE_4K)
		return 0;
	return page_size <= PAGE_2M ? 2 : 3;
}

/*
 * The level-1 slot for va in the view rooted at root, allocating the
 * tables on the way, for a fill (which changes the shadow: spt->gen).
 * page_size is that of the guest's page: the table that shadows all of a
 * guest large page is marked SPT_LARGE in its parent.
 */
static uint64_t *spt_leaf_slot(struct shadowpt *spt, uint64_t *root,
			       uint64_t va, uint64_t page_size)
{
	uint64_t *t = root;
	int large = spt_large_level(page_size);

	spt->gen++;
	for (int level = PT_LEVELS; level > 1; level--) {
		uint64_t *e = &t[PT_INDEX(va, level)];

		if (!(*e & PTE_P)) {
			uint64_t *child = spt_alloc_table(spt);
			if (!child)
				panic("shadowpt_fault: out of memory");
			if ((uintptr_t)child & ~PTE_ADDR_MASK)
				panic("shadowpt_fault: table address "
					  "does not fit an entry");
			*e = (uintptr_t)child | SPT_TABLE_BITS;
		}
		/* The guest's page is large, and the table below this
		 * entry shadows all of it. */
		if (large == level)
			*e |= SPT_LARGE;
		t = spt_child(*e);
	}
	return &t[PT_INDEX(va, 1)];
}

/*
 * The shadow leaf for a successful guest walk.  Writable only when the
 * virtual CPL may write (supervisor writes ignore R/W while CR0.WP = 0)
 * and the guest's D bit is already set, so that the first write to a clean
 * page faults and the walk sets D, as the CPU would.
 */
static uint64_t spt_make_leaf(const struct vm *vm,
			      const struct walk_result *r)
{
	bool supervisor = vm->vcpu.cpl != CPL_USER;
	bool may_write = r->writable ||
			 (supervisor && !(vm->vcpu.cr0 & CR0_WP));
	uint64_t leaf = (r->gpa & PTE_ADDR_MASK) | PTE_P | PTE_U;

	if (may_write && (r->pte & PTE_D))
		leaf |= PTE_W;
	if (!r->executable && (vm->vcpu.efer & EFER_NXE))
		leaf |= PTE_NX;
	if ((r->pte & PTE_G) && (vm->vcpu.cr4 & CR4_PGE))
		leaf |= PTE_G; /* survives CR3 writes (rule 3) */
	return leaf;
}

/*
 * The walker's kind of access for a fault's error code.  ACC_USER comes
 * from the virtual CPL, never from the error code: the guest kernel really
 * runs at ring 3, so the engine reports U for every access it makes.
 */
static unsigned spt_access(const struct vm *vm, uint32_t error)
{
	unsigned acc = ACC_READ;

	if (error & PFEC_W)
		acc |= ACC_WRITE;
	if (error & PFEC_I)
		acc |= ACC_FETCH;
	if (vm->vcpu.cpl == CPL_USER)
		acc |= ACC_USER;
	return acc;
}

/* The guest's tables refuse: give it the #PF the real CPU would have. */
static enum shadow_result spt_true_fault(struct vm *vm, uint64_t va,
					 uint32_t error)
{
	/* LAB 4 BEGIN: spt_true_fault: give the guest its own #PF (task 1) */
	vm->vcpu.cr2 = va;
	vcpu_raise_error(&vm->vcpu, T_PF, error);
	vm->spt->true_faults++;
	return SHADOW_GUEST_FAULT;
	/* LAB 4 END; hole: lab_todo(vm, 4, "spt_true_fault"); (void)va;
	 * (void)error; return SHADOW_GUEST_FAULT; */
}

/*T:500 A page fault at ring 3 may be the guest's or the monitor's.  The
 * shadow starts empty, so most faults are the monitor's own business: walk
 * the guest's tables as the CPU would; if they grant the access, fill the
 * shadow and resume, and the guest never knows (a hidden fault).  If they
 * refuse, the guest gets exactly the #PF its own tables call for.  A frame
 * that is not RAM is filled too: it is device memory, which the engine
 * reaches through the devices.
 */
enum shadow_result shadowpt_fault(struct vm *vm, uint64_t va, uint32_t error)
{
	struct shadowpt *spt = vm->spt;
	struct walk_result r;
	uint64_t *slot;

	/* Whoever changed the virtual CPL forgot shadowpt_switch_view(): the
	 * engine would run with the other view's rights. */
	if (spt->current != spt->root[spt_view(vm)])
		panic("shadowpt_fault: current view does not match CPL");
	if (walk_guest(vm, va, spt_access(vm, error), &r) < 0) {
		if (r.error == PFEC_RSVD) /* a guest table is not in RAM */
			return SHADOW_BAD_PHYS;
		return spt_true_fault(vm, va, r.error);
	}
	/* With ACC_USER the walk refused supervisor pages: the user view
	 * never maps one. */
	slot = spt_leaf_slot(spt, spt->current, va, r.page_size);
	*slot = spt_make_leaf(vm, &r);
	spt->hidden_faults++;
	return SHADOW_FILLED;
}

bool shadowpt_frame_is_ram(const struct vm *vm, uint64_t gpa)
{
	return gm_ptr(&vm->mem, gpa & PTE_ADDR_MASK, PAGE_4K) != NULL;
}

uint64_t shadowpt_lookup(const struct vm *vm, uint64_t va)
{
	const uint64_t *table = vm->spt->current;
	uint64_t rights = PTE_W | PTE_U, nx = 0, pte = 0;

	for (int level = PT_LEVELS; level >= 1; level--) {
		pte = table[PT_INDEX(va, level)];
		if (!(pte & PTE_P))
			return 0;
		if (level > 1 && (pte & PTE_PS))
			panic("shadowpt_lookup: a large shadow leaf "
				  "(shadow leaves are 4 KiB)");
		rights &= pte;
		nx |= pte & PTE_NX;
		if (level > 1)
			table = spt_child(pte);
	}
	return (pte & ~(PTE_W | PTE_U | PTE_NX)) | rights | nx;
}

/*
 * A prefetch: the shadow is a TLB, and a TLB may cache a translation the
 * code never asks for, "for prefetches and for accesses that are a
 * result of speculative execution that would never actually occur"
 * (SDM vol. 3, 4.10.2.3).  But the processor "does not cache a
 * translation for a page number unless the accessed flag is 1 in each of
 * the paging-structure entries used during translation; before caching
 * a translation, the processor sets any of these accessed flags that is
 * not already 1" (same section).  So a speculative fill is a walk that
 * may set A; D belongs to writes, and a leaf whose D is clear stays
 * read-only here, so that the first real write faults and sets it, as
 * after a hidden fault.  This prefetch takes the subset of those fills
 * that set nothing at all: the walk is a peek, and it caches only when every
 * entry it used had A set already.  The guest's tables are left exactly
 * as they were, so nothing it reads can tell the prefetch happened; a
 * walk that would have had to set an accessed flag is left to the
 * hidden fault, which sets it when the guest really touches the page.
 * Not-present entries and refused rights are never cached (rule 2).
 */
uint64_t shadowpt_prefetch(struct vm *vm, uint64_t va)
{
	struct shadowpt *spt = vm->spt;
	unsigned acc = ACC_READ | ACC_PEEK;
	struct walk_result r;
	uint64_t leaf = shadowpt_lookup(vm, va);

	if (leaf || spt->current != spt->root[spt_view(vm)])
		return leaf;
	if (vm->vcpu.cpl == CPL_USER)
		acc |= ACC_USER; /* the user view holds no supervisor page */
	if (walk_guest(vm, va, acc, &r) < 0 || !r.accessed)
		return 0;
	*spt_leaf_slot(spt, spt->current, va, r.page_size) =
		spt_make_leaf(vm, &r);
	return shadowpt_lookup(vm, va);
}

/* ------------------------------------------------------------------
 * Invalidation.
 */

/*
 * Drop va's translation from one view.  If the table on the way shadows a
 * guest large page, the whole table goes: invlpg of any address in a large
 * page forgets all of it, and forgetting more than asked is always safe.
 * Returns true when it dropped such a table: the engine may then hold
 * translations of the large page's other 4 KiB pieces, so the caller must
 * flush everything (SHADOW_FLUSH_ALL), not only va.  False when only va's
 * leaf went, or nothing was mapped.
 */
static bool spt_invlpg_view(struct shadowpt *spt, uint64_t *t, uint64_t va)
{
	/* LAB 4 BEGIN: spt_invlpg_view: forget one address in a view (task 2) */
	for (int level = PT_LEVELS; level > 1; level--) {
		uint64_t *e = &t[PT_INDEX(va, level)];

		if (!(*e & PTE_P))
			return false;
		if (*e & SPT_LARGE) {
			spt_free_table(spt, spt_child(*e), level - 1);
			*e = 0;
			return true;
		}
		t = spt_child(*e);
	}
	t[PT_INDEX(va, 1)] = 0;
	return false;
	/* LAB 4 END; hole: static bool said; lab_note(&said, 4,
	 * "spt_invlpg_view"); (void)spt; (void)t; (void)va; return false; */
}

/*T:520 The shadow is a TLB the monitor keeps by hand, so it forgets
 * exactly when a TLB must: on invlpg, on a CR3 write, and (for the view)
 * when the virtual CPL changes.  A guest that edits a PTE without invlpg
 * keeps the stale translation, as it would on a real CPU.
 */
void shadowpt_invlpg(struct vm *vm, uint64_t va)
{
	/* LAB 4 BEGIN: shadowpt_invlpg: every space, every view (task 2) */
	bool large = false;

	/* Without PCIDs invlpg forgets va whichever CR3 it came from.  A
	 * guest large page was shadowed by many 4 KiB leaves: when one went,
	 * the engine must forget every one of them, not just va's. */
	for (int i = 0; i < SHADOW_SPACES; i++) {
		struct shadow_space *s = &vm->spt->space[i];
		if (!s->in_use)
			continue;
		for (int v = 0; v < SHADOW_NVIEWS; v++)
			large |= spt_invlpg_view(vm->spt, s->root[v], va);
	}
	spt_flush_engine(vm, large ? SHADOW_FLUSH_ALL : va);
	/* LAB 4 END; hole: lab_todo(vm, 4, "shadowpt_invlpg"); (void)va;
	 * (void)spt_invlpg_view; */
}

/*
 * Every translation may have changed, and so may the CR3 bits that name
 * an address space (a change of paging format): keep the active space,
 * emptied and named anew, and give back every other.
 */
void shadowpt_flush_all(struct vm *vm)
{
	struct shadowpt *spt = vm->spt;

	for (int i = 0; i < SHADOW_SPACES; i++) {
		struct shadow_space *s = &spt->space[i];
		if (!s->in_use)
			continue;
		for (int v = 0; v < SHADOW_NVIEWS; v++) {
			if (s == spt->active) {
				spt_clear_root(spt, s->root[v]);
				continue;
			}
			spt_free_table(spt, s->root[v], PT_LEVELS);
			s->root[v] = NULL;
		}
		s->in_use = s == spt->active;
	}
	spt->active->cr3 = spt_space_key(vm);
	spt_flush_engine(vm, SHADOW_FLUSH_ALL);
}

/*
 * Drop the non-global leaves below table t (level 4 .. 1), and free the
 * tables they leave empty.  Returns true when t itself is now empty.
 */
static bool spt_drop_nonglobal(struct shadowpt *spt, uint64_t *t, int level)
{
	/* LAB 4 BEGIN: spt_drop_nonglobal: what a CR3 write forgets (task 3) */
	bool empty = true;

	for (int i = 0; i < PT_ENTRIES; i++) {
		if (!(t[i] & PTE_P))
			continue;
		if (level == 1 ? !(t[i] & PTE_G) :
		    spt_drop_nonglobal(spt, spt_child(t[i]), level - 1)) {
			if (level > 1) {
				free(spt_child(t[i]));
				spt->tables--;
			}
			t[i] = 0;
		} else {
			empty = false;
		}
	}
	return empty;
	/* LAB 4 END; hole: static bool said; lab_note(&said, 4,
	 * "spt_drop_nonglobal"); (void)spt; (void)t; (void)level; return
	 * false; */
}

/* The cached space for address space cr3 (spt_space_key), or NULL. */
static struct shadow_space *spt_find(struct shadowpt *spt, uint64_t cr3)
{
	for (int i = 0; i < SHADOW_SPACES; i++)
		if (spt->space[i].in_use && spt->space[i].cr3 == cr3)
			return &spt->space[i];
	return NULL;
}

/* A space to reuse: an unused one, else the least recently used. */
static struct shadow_space *spt_evict(struct shadowpt *spt)
{
	struct shadow_space *victim = &spt->space[0];

	for (int i = 0; i < SHADOW_SPACES; i++) {
		struct shadow_space *s = &spt->space[i];
		if (!s->in_use) {
			if (spt_space_alloc(spt, s) < 0)
				panic("shadowpt_load_cr3: out of memory");
			return s;
		}
		if (s->last_used < victim->last_used)
			victim = s;
	}
	for (int v = 0; v < SHADOW_NVIEWS; v++)
		spt_clear_root(spt, victim->root[v]);
	return victim;
}

/*T:530 A CR3 write switches address space.  The shadows of the new one
 * may still be cached from the last time the guest ran it; they keep only
 * their global entries, exactly what a real TLB keeps across the write.
 */
void shadowpt_load_cr3(struct vm *vm)
{
	struct shadowpt *spt = vm->spt;
	uint64_t cr3 = spt_space_key(vm);
	struct shadow_space *s = spt_find(spt, cr3);

	if (s) {
		spt->space_hits++;
		for (int v = 0; v < SHADOW_NVIEWS; v++)
			spt_drop_nonglobal(spt, s->root[v], PT_LEVELS);
	} else {
		spt->space_misses++;
		s = spt_evict(spt);
		s->cr3 = cr3;
	}
	spt_activate(vm, s);
	spt_flush_engine(vm, SHADOW_FLUSH_ALL);
}

/*
 * PAE paging walks from four PDPTE registers, not from the PDPT in memory:
 * the CPU reads them when CR3 is loaded or PAE paging is turned on, and a
 * guest that changes its PDPT sees nothing until the next load.  A present
 * PDPTE with a reserved bit set (bits 2:1, 8:5, and from MAXPHYADDR up)
 * fails the load with #GP(0) (SDM vol. 3, 4.4.1 and table 4-8).  A PDPT
 * outside guest RAM reads as all ones, as unassigned memory does on QEMU's
 * pc, and so fails too.
 */
#define RSVD_PDPTE (0x1e6ULL | ~((1ULL << X86_MAXPHYADDR) - 1))

int shadowpt_load_pdptes(struct vm *vm)
{
	struct vcpu *v = &vm->vcpu;

	if (paging_mode(v) != PAGING_PAE)
		return 0;
	/* LAB 9 BEGIN: shadowpt_load_pdptes: the four PDPTE registers, checked (task 2) */
	uint64_t pdpte[4];
	const void *pdpt = gm_ptr(&vm->mem, v->cr3 & CR3_PAE_MASK,
				  sizeof(pdpte));
	if (!pdpt)
		return -1;
	memcpy(pdpte, pdpt, sizeof(pdpte));
	for (int i = 0; i < 4; i++)
		if ((pdpte[i] & PTE_P) && (pdpte[i] & RSVD_PDPTE))
			return -1;
	memcpy(v->pdpte, pdpte, sizeof(pdpte));
	return 0;
	/* LAB 9 END; hole: lab_todo(vm, 9, "shadowpt_load_pdptes"); return -1; */
}

void shadowpt_switch_view(struct vm *vm)
{
	vm->spt->current = vm->spt->root[spt_view(vm)];
	if (vm->engine && vm->engine->switch_view)
		vm->engine->switch_view(vm); /* no entry changed */
	else
		spt_flush_engine(vm, SHADOW_FLUSH_ALL);
}
