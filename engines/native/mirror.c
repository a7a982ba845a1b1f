/*
 * engines/native/mirror.c - the child's address space follows the shadow.
 *
 * softcpu's MMU walks the shadow page tables; the native engine has the
 * host CPU's MMU instead, which walks the *host* kernel's tables for the
 * child.  So the shadow is mirrored into the child as host mappings: each
 * shadow leaf (a 4 KiB guest-linear page -> a guest-physical frame, with
 * W and NX) becomes one mmap of guest RAM's memfd at the guest-linear
 * address, at file offset = the guest-physical address:
 *
 *   shadow leaf for va:  frame gpa, W, NX      (shadowpt/)
 *   child mapping at va: mmap(va, 4 KiB, READ | W? WRITE | !NX? EXEC,
 *                             MAP_SHARED | MAP_FIXED, memfd, gpa)
 *
 * The mirror is lazy, as the shadow itself is: a page the child has not
 * mapped faults (SIGSEGV); if the shadow has the page the engine maps it
 * and resumes (nat_mirror_fault), otherwise the fault goes to the
 * dispatcher as a #PF, shadowpt_fault() fills the shadow, and the next run
 * maps it.  When the shadow drops entries (invlpg, CR3 write, a change of
 * view with the virtual CPL) engine->flush arrives here and the pages are
 * unmapped before the child runs again.  A flush of everything (a change
 * of view with the virtual CPL, a CR3 write) keeps only the pages the new
 * shadow grants exactly as they are mapped -- never a supervisor page in
 * the user view, whose shadow lacks them -- and maps the new view's
 * working set ahead (unmap_stale, premap_view), since every page it
 * touched again would otherwise cost a fault stop and an injected mmap.
 * A page the new shadow lacks (a CR3 load drops the non-global entries)
 * is first fetched into it from the guest's tables when that needs no
 * accessed flag set (shadowpt_prefetch), and then kept if it matches.
 *
 * A small hash table remembers what the child has mapped, so that a fault
 * on a page mapped exactly as the shadow says is known to be the shadow's.
 *
 * Only frames of guest RAM can be mirrored: a shadow leaf whose frame is
 * device memory (shadowpt_frame_is_ram() says no) has nothing in the memfd
 * behind it, and the child cannot call the devices on each access, so the
 * guest is stopped when it first touches such a page.  A frame's offset
 * in the memfd is gm_offset()'s (core/guest_mem.h): guest-physical below
 * 4 GiB, and right after the low RAM for the RAM from 4 GiB up.
 *
 * The BIOS area (0xe0000-0xfffff) is mapped without PROT_WRITE whatever
 * the shadow grants: a guest's write to it faults, and the dispatcher
 * drops it (interp_mmio), as QEMU's ROM does.
 */
#if defined(__linux__) && defined(__x86_64__)

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stddef.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/user.h>
#include <sys/syscall.h>

#include "engines/native/native.h"
#include "isa/x86.h"
#include "core/engine.h"
#include "core/vm.h"
#include "shadowpt/shadowpt.h"
#include "patch/patch.h"

#define MIRROR_MIN_CAP 1024
#define SLOT_PROT_MASK 0xfffULL

int nat_mirror_init(struct nat_mirror *m)
{
	memset(m, 0, sizeof(*m));
	m->cap = MIRROR_MIN_CAP;
	m->slot = calloc(m->cap, sizeof(*m->slot));
	m->gpa = calloc(m->cap, sizeof(*m->gpa));
	return m->slot && m->gpa ? 0 : -1;
}

void nat_mirror_fini(struct nat_mirror *m)
{
	free(m->slot);
	free(m->gpa);
	memset(m, 0, sizeof(*m));
}

/* Fibonacci hashing of a page number into the table. */
static uint64_t slot_of(const struct nat_mirror *m, uint64_t vpn)
{
	return (vpn * 0x9e3779b97f4a7c15ULL) >> 20 & (m->cap - 1);
}

/* The slot index holding va's page, or -1.  (vpn 0 is stored as key
 * 0 | prot, never 0: every mapping has at least PROT_READ.) */
static int64_t mirror_find(const struct nat_mirror *m, uint64_t va)
{
	uint64_t vpn = va >> PAGE_4K_SHIFT;

	for (uint64_t i = slot_of(m, vpn);; i = (i + 1) & (m->cap - 1)) {
		if (!m->slot[i])
			return -1;
		if (m->slot[i] >> PAGE_4K_SHIFT == vpn)
			return (int64_t)i;
	}
}

/* Remove slot i, shifting back the entries of its probe run. */
static void mirror_remove(struct nat_mirror *m, uint64_t i)
{
	uint64_t j = i;

	m->slot[i] = 0;
	m->used--;
	for (;;) {
		j = (j + 1) & (m->cap - 1);
		if (!m->slot[j])
			return;
		uint64_t home = slot_of(m, m->slot[j] >> PAGE_4K_SHIFT);
		/* Can j's entry move to the hole at i? Only if its home is
		 * not cyclically in (i, j]. */
		if ((j > i && (home <= i || home > j)) ||
		    (j < i && home <= i && home > j)) {
			m->slot[i] = m->slot[j], m->gpa[i] = m->gpa[j];
			m->slot[j] = 0;
			i = j;
		}
	}
}

static void mirror_insert(struct nat_mirror *m, uint64_t va, int prot,
			  uint64_t gpa);

/* Double the table when it is half full. */
static void mirror_grow(struct nat_mirror *m)
{
	struct nat_mirror old = *m;

	m->cap *= 2;
	m->used = 0;
	m->slot = calloc(m->cap, sizeof(*m->slot));
	m->gpa = calloc(m->cap, sizeof(*m->gpa));
	if (!m->slot || !m->gpa) {
		panic("mirror_grow: out of memory"); /* core/panic.h */
	}
	for (uint64_t i = 0; i < old.cap; i++)
		if (old.slot[i])
			mirror_insert(m, old.slot[i] & ~SLOT_PROT_MASK,
				      (int)(old.slot[i] & SLOT_PROT_MASK),
				      old.gpa[i]);
	free(old.slot);
	free(old.gpa);
}

static void mirror_insert(struct nat_mirror *m, uint64_t va, int prot,
			  uint64_t gpa)
{
	int64_t f = mirror_find(m, va);

	if (f >= 0)
		mirror_remove(m, (uint64_t)f);
	if (2 * (m->used + 1) > m->cap)
		mirror_grow(m);
	uint64_t i = slot_of(m, va >> PAGE_4K_SHIFT);
	while (m->slot[i])
		i = (i + 1) & (m->cap - 1);
	m->slot[i] = (va & PAGE_4K_MASK) | (uint64_t)prot;
	m->gpa[i] = gpa;
	m->used++;
}


/*
 * The host protection that mirrors a shadow leaf.  Under --patch
 * (patch/README.md) the frame's scan state takes rights away: a frame
 * whose code was scanned is not writable (the write faults, and its
 * patches go: nat_patch_fault), and in the kernel's view (virtual CPL 0)
 * a frame not scanned yet is not executable (its first fetch faults, and
 * it is scanned).
 */
static int leaf_prot(const struct vm *vm, uint64_t leaf)
{
	int prot = PROT_READ;

	/* The BIOS area is ROM: never writable in the child (a write faults
	 * and the dispatcher drops it, interp_mmio). */
	if ((leaf & PTE_W) && !gm_is_rom(leaf & PTE_ADDR_MASK))
		prot |= PROT_WRITE;
	if (!(leaf & PTE_NX))
		prot |= PROT_EXEC;
	if (vm->patch) {
		uint64_t f = gm_offset(&vm->mem, leaf & PTE_ADDR_MASK,
				       PAGE_4K);
		if (f != GM_NO_RAM && patch_guards(vm->patch, f))
			prot &= ~PROT_WRITE;
		if (vm->vcpu.cpl == 0 &&
		    (f == GM_NO_RAM || !patch_scanned(vm->patch, f)))
			prot &= ~PROT_EXEC;
	}
	return prot;
}

/* Does the child's slot i map leaf's frame with leaf's rights? */
static bool slot_maps(const struct nat *n, uint64_t i, uint64_t leaf)
{
	return (leaf & PTE_ADDR_MASK) == n->mirror.gpa[i] &&
	       leaf_prot(n->vm, leaf) ==
		       (int)(n->mirror.slot[i] & SLOT_PROT_MASK);
}

/* Does the child map va exactly as leaf says? */
static bool mapped_as(const struct nat *n, uint64_t va, uint64_t leaf)
{
	int64_t f = mirror_find(&n->mirror, va);

	return f >= 0 && slot_maps(n, (uint64_t)f, leaf);
}

void nat_mirror_flush(struct nat_mirror *m, uint64_t va)
{
	if (va == SHADOW_FLUSH_ALL || m->npending == 64) {
		m->flush_all = true;
		return;
	}
	if (!m->flush_all && mirror_find(m, va) >= 0)
		m->pending[m->npending++] = va & PAGE_4K_MASK;
}

/* Unmap every guest page of the child in one call. */
static int unmap_all(struct nat *n)
{
	struct nat_mirror *m = &n->mirror;
	long r = nat_inject(n, SYS_munmap, 0, NAT_LINEAR_LIMIT, 0, 0, 0, 0);

	if (r != 0) {
		snprintf(n->why, sizeof(n->why), "munmap of the guest's pages "
			 "in the child failed (%ld)", r);
		return -1;
	}
	memset(m->slot, 0, m->cap * sizeof(*m->slot));
	n->unmapped += m->used;
	m->used = 0;
	return 0;
}

static int cmp_va(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/* At most this many runs are mapped ahead at a flush of everything;
 * a bigger working set is left to fill on demand. */
#define PREMAP_RUNS 16
#define PREMAP_PAGES 256
/* At most this many pages are fetched ahead into the shadow at one
 * reconcile (a walk of the guest's tables each); the rest is unmapped. */
#define PREFETCH_PAGES 256

/*
 * Does the child map slot i exactly as the current view's shadow does?
 * A page the shadow lacks is first fetched ahead from the guest's tables
 * (shadowpt_prefetch, while *budget lasts): a CR3 load drops every
 * non-global entry of the space it enters, and the pages the child of
 * that space mapped are, most of them, the ones the guest is about to
 * touch again, each a hidden fault and an injected mmap (two round
 * trips) if it is unmapped.  Kept, it costs a walk in the monitor.
 */
static bool slot_granted(struct nat *n, uint64_t i, unsigned *budget)
{
	struct nat_mirror *m = &n->mirror;
	uint64_t va = m->slot[i] & ~SLOT_PROT_MASK;
	uint64_t leaf = shadowpt_lookup(n->vm, va);

	if (!leaf && *budget) {
		--*budget;
		leaf = shadowpt_prefetch(n->vm, va);
		n->prefetched += leaf != 0;
	}
	return leaf && slot_maps(n, i, leaf);
}

/* The pages the shadow no longer grants as mapped, sorted, their number
 * in *count; the kept ones, sorted, after them from va + *count, their
 * number in *kept.  NULL when out of memory. */
static uint64_t *stale_pages(struct nat *n, uint64_t *count, uint64_t *kept)
{
	struct nat_mirror *m = &n->mirror;
	uint64_t *va = malloc((m->used + 1) * sizeof(*va)), k = 0, g = 0;
	unsigned budget = PREFETCH_PAGES;

	if (!va)
		return NULL;
	for (uint64_t i = 0; i < m->cap; i++) {
		if (!m->slot[i])
			continue;
		if (slot_granted(n, i, &budget))
			va[m->used - ++g] = m->slot[i] & ~SLOT_PROT_MASK;
		else
			va[k++] = m->slot[i] & ~SLOT_PROT_MASK;
	}
	qsort(va, k, sizeof(*va), cmp_va);
	qsort(va + k, g, sizeof(*va), cmp_va);
	*count = k;
	*kept = g;
	return va;
}

/* How many munmap calls the sorted pages take, adjacent pages merged. */
static uint64_t count_runs(const uint64_t *va, uint64_t k)
{
	uint64_t runs = 0;

	for (uint64_t i = 0; i < k; i++)
		if (!i || va[i] != va[i - 1] + PAGE_4K)
			runs++;
	return runs;
}

/* Unmap the sorted pages, one munmap per run of adjacent pages, and
 * forget them.  0, or -1 with n->why. */
static int unmap_runs(struct nat *n, const uint64_t *va, uint64_t k)
{
	struct nat_mirror *m = &n->mirror;

	for (uint64_t i = 0, j; i < k; i = j) {
		for (j = i + 1; j < k && va[j] == va[j - 1] + PAGE_4K; j++)
			;
		long r = nat_inject(n, SYS_munmap, va[i], (j - i) * PAGE_4K,
				    0, 0, 0, 0);
		if (r != 0) {
			snprintf(n->why, sizeof(n->why), "munmap of %#" PRIx64
				 " in the child failed (%ld)", va[i], r);
			return -1;
		}
	}
	for (uint64_t i = 0; i < k; i++)
		mirror_remove(m, (uint64_t)mirror_find(m, va[i]));
	n->unmapped += k;
	return 0;
}

/*
 * After a flush of everything (a change of view, a CR3 write): keep each
 * page the child maps exactly as the new shadow grants it (same frame,
 * same rights: the user view's shadow lacks every supervisor page, so
 * none of those is kept), unmap the rest, merged into runs.  One munmap
 * of everything is cheaper when the stale runs outnumber that call plus
 * the mmaps that map the kept pages back (premap_view does, in runs, when
 * there are few enough of them; else each would refault).
 */
static int unmap_stale(struct nat *n)
{
	uint64_t k = 0, g = 0, *va = stale_pages(n, &k, &g);
	uint64_t kept_runs = va ? count_runs(va + k, g) : 0;
	int r;

	if (!va || (kept_runs <= PREMAP_RUNS &&
		    1 + kept_runs < count_runs(va, k)))
		r = unmap_all(n);
	else
		r = unmap_runs(n, va, k);
	free(va);
	return r;
}

/*
 * Collect, in ascending order, the linear addresses of the present leaves
 * below shadow table t (level 4..1, covering linear addresses from base)
 * that the child can mirror.  A non-leaf shadow entry holds the monitor
 * address of the next table (shadowpt.h).  false when there are more
 * than max.
 */
static bool shadow_leaves(const uint64_t *t, int level, uint64_t base,
			  uint64_t *va, unsigned *k, unsigned max)
{
	for (uint64_t i = 0; i < PT_ENTRIES; i++) {
		uint64_t at = base | i << (PAGE_4K_SHIFT + 9 * (level - 1));

		if (!(t[i] & PTE_P) || at >= NAT_LINEAR_LIMIT)
			continue;
		if (level > 1) {
			if (!shadow_leaves((const uint64_t *)(uintptr_t)
					   (t[i] & PTE_ADDR_MASK), level - 1,
					   at, va, k, max))
				return false;
		} else if (*k == max) {
			return false;
		} else {
			va[(*k)++] = at;
		}
	}
	return true;
}

/* Does page i continue page i - 1: the next page, the next frame, the
 * same rights?  Then one mmap maps both. */
static bool continues(const struct vm *vm, const uint64_t *va,
		      const uint64_t *leaf, unsigned i)
{
	return i && va[i] == va[i - 1] + PAGE_4K &&
	       (leaf[i] & PTE_ADDR_MASK) ==
	       (leaf[i - 1] & PTE_ADDR_MASK) + PAGE_4K &&
	       leaf_prot(vm, leaf[i]) == leaf_prot(vm, leaf[i - 1]);
}

/* Map pages va[i..j) of one run in a single call.  0, or -1 with n->why. */
static int map_run(struct nat *n, const uint64_t *va, const uint64_t *leaf,
		   unsigned i, unsigned j)
{
	uint64_t gpa = leaf[i] & PTE_ADDR_MASK;
	int prot = leaf_prot(n->vm, leaf[i]);
	/* Adjacent RAM frames are adjacent in the memfd: a run never spans
	 * the PCI hole, whose frames are no RAM (premap_view skips them). */
	uint64_t off = gm_offset(&n->vm->mem, gpa, (j - i) * PAGE_4K);
	long r = off == GM_NO_RAM ? -EFAULT :
		 nat_inject(n, SYS_mmap, va[i], (j - i) * PAGE_4K,
			    (uint64_t)prot, MAP_SHARED | MAP_FIXED,
			    (uint64_t)n->memfd, off);

	if (r != (long)va[i]) {
		snprintf(n->why, sizeof(n->why), "cannot map guest pages %#"
			 PRIx64 " in the child: %s", va[i], strerror((int)-r));
		return -1;
	}
	for (unsigned p = i; p < j; p++)
		mirror_insert(&n->mirror, va[p], prot,
			      leaf[p] & PTE_ADDR_MASK);
	n->mapped += j - i;
	return 0;
}

/*
 * After a flush of everything the child would refault every page of the
 * new view that it touches again: a stop and an injected mmap each.  The
 * view's shadow holds just the pages the guest touched in it (it fills on
 * fault), so map them ahead, a run of adjacent pages with adjacent frames
 * and the same rights in one mmap, each exactly as shadowpt_lookup grants
 * it.  A big working set (more than PREMAP_RUNS runs) faults in instead.
 */
static int premap_view(struct nat *n)
{
	uint64_t va[PREMAP_PAGES], leaf[PREMAP_PAGES];
	unsigned k = 0, w = 0, runs = 0;

	if (!shadow_leaves(n->vm->spt->current, PT_LEVELS, 0, va, &k,
			   PREMAP_PAGES))
		return 0;
	for (unsigned i = 0; i < k; i++) {
		uint64_t l = shadowpt_lookup(n->vm, va[i]);
		if (!l || mirror_find(&n->mirror, va[i]) >= 0 ||
		    !shadowpt_frame_is_ram(n->vm, l & PTE_ADDR_MASK))
			continue; /* no rights on the way down; kept; MMIO */
		va[w] = va[i], leaf[w] = l;
		runs += !continues(n->vm, va, leaf, w++);
	}
	if (runs > PREMAP_RUNS)
		return 0;
	for (unsigned i = 0, j; i < w; i = j) {
		for (j = i + 1; j < w && continues(n->vm, va, leaf, j); j++)
			;
		if (map_run(n, va, leaf, i, j) < 0)
			return -1;
	}
	return 0;
}

int nat_mirror_sync(struct nat *n)
{
	struct nat_mirror *m = &n->mirror;

	if (m->root != n->vm->spt->current) { /* another view or space */
		m->root = n->vm->spt->current;
		m->flush_all = true;
	}
	if (m->flush_all) {
		m->flush_all = false;
		m->npending = 0;
		if (m->used && unmap_stale(n) < 0)
			return -1;
		return premap_view(n);
	}
	for (unsigned i = 0; i < m->npending; i++) {
		int64_t f = mirror_find(m, m->pending[i]);
		if (f < 0)
			continue;
		if (nat_inject(n, SYS_munmap, m->pending[i], PAGE_4K, 0, 0,
			       0, 0) != 0) {
			snprintf(n->why, sizeof(n->why), "munmap of %#" PRIx64
				 " in the child failed", m->pending[i]);
			return -1;
		}
		mirror_remove(m, (uint64_t)f);
		n->unmapped++;
	}
	m->npending = 0;
	return 0;
}

/* Map va in the child as the shadow leaf says.  0, or -1 with n->why (or
 * with the VM stopped, when the guest maps what cannot be mirrored). */
static int map_page(struct nat *n, uint64_t va, uint64_t leaf)
{
	uint64_t gpa = leaf & PTE_ADDR_MASK;
	int prot = leaf_prot(n->vm, leaf);

	if (va >= NAT_LINEAR_LIMIT) {
		/* The guest asks for what this engine cannot give: it is
		 * stopped with a reason (tier 2 of core/panic.h). */
		vm_kill_at(n->vm, VM_EXIT_TRIPLE_FAULT, n->vm->vcpu.rip,
			   "the guest maps linear %#" PRIx64 ", beyond %#llx, "
			   "the highest address a host process can mirror", va,
			   NAT_LINEAR_LIMIT - 1);
		return -1;
	}
	if (!shadowpt_frame_is_ram(n->vm, gpa)) {
		vm_kill_at(n->vm, VM_EXIT_TRIPLE_FAULT, n->vm->vcpu.rip,
			   "MMIO at gpa %#" PRIx64 " (linear %#" PRIx64 ", "
			   "outside its %" PRIu64 " MiB of RAM) is not "
			   "supported on native",
			   (uint64_t)(gpa | (va & ~PAGE_4K_MASK)), va,
			   n->vm->mem.size >> 20);
		return -1;
	}
	long r = nat_inject(n, SYS_mmap, va & PAGE_4K_MASK, PAGE_4K,
			    (uint64_t)prot, MAP_SHARED | MAP_FIXED,
			    (uint64_t)n->memfd,
			    gm_offset(&n->vm->mem, gpa, PAGE_4K));
	if (r != (long)(va & PAGE_4K_MASK)) {
		snprintf(n->why, sizeof(n->why), "cannot map guest page %#"
			 PRIx64 " in the child: %s", va, strerror((int)-r));
		return -1;
	}
	mirror_insert(&n->mirror, va, prot, gpa);
	n->mapped++;
	return 0;
}

/*
 * --patch: a fault on a page mapped as leaf_prot() says, for a right the
 * scan state took away (patch/README.md).  The fetch of a frame not
 * scanned, at CPL 0 (va is RIP, or the start of the page an instruction
 * at RIP crosses into): scan it from there, which writes its patches into
 * RAM, and make it executable.  A write to a scanned frame: put its
 * original bytes back, drop its record, and make it writable again (and
 * not executable, until it is scanned anew).  Then every mapping whose
 * rights changed goes, and va is mapped again: 1.  Anything else is the
 * guest's own fault: 0.
 */
static int nat_patch_fault(struct nat *n, uint64_t va, uint64_t leaf)
{
	struct vm *vm = n->vm;
	uint64_t gpa = leaf & PTE_ADDR_MASK, rip, watch[2];
	uint64_t frame = gm_offset(&vm->mem, gpa, PAGE_4K);

	if (frame == GM_NO_RAM)
		return 0;
	/* The child's RIP now: the vCPU's is that of the last exit, and
	 * faults the engine handles itself come between. */
	errno = 0;
	rip = (uint64_t)ptrace(PTRACE_PEEKUSER, n->pid,
			       offsetof(struct user_regs_struct, rip), 0);
	if (errno)
		return 0;
	bool fetch = va == rip || ((va & ~PAGE_4K_MASK) == 0 && va > rip &&
				   va - rip < INSN_MAX);
	/* A scanned frame is executable: its fault is a write. */
	if (patch_scanned(vm->patch, frame))
		fetch = false;
	if (fetch && vm->vcpu.cpl == 0 && !(leaf & PTE_NX)) {
		uint64_t entry = va;
		if (va != rip) { /* crossing: its first page first */
			struct insn in;
			uint64_t l0 = shadowpt_lookup(vm, rip);
			if (l0)
				patch_enter(vm, rip, (l0 & PTE_ADDR_MASK) |
					    (rip & ~PAGE_4K_MASK), watch);
			if (patch_original(vm, rip, &in) == DECODE_OK)
				entry = rip + in.size;
		}
		patch_enter(vm, entry, gpa | (entry & ~PAGE_4K_MASK), watch);
	} else if (!fetch && (leaf & PTE_W) && patch_guards(vm->patch, frame)) {
		patch_written(vm->patch, frame, NULL, NULL);
	} else {
		return 0;
	}
	/* the parked children's mappings of the frame, too, before they
	 * run again (space.c) */
	for (int i = 0; i < NAT_CHILDREN - 1; i++)
		nat_mirror_flush(&n->parked[i].mirror, SHADOW_FLUSH_ALL);
	if (unmap_stale(n) < 0 || map_page(n, va, leaf) < 0)
		return -1;
	return 1;
}

/*T:150 The host CPU's MMU walks the host kernel's tables, not the shadow, so
 * the shadow is mirrored into the child as mappings of guest RAM's memfd,
 * one 4 KiB page at a time: lazily, when the child first touches a page
 * (and, after a change of view or of CR3, the new view's working set ahead
 * of time, since each fault stop costs a ptrace round trip).  A fault on a
 * page the shadow already grants is the engine's own business (map and
 * resume); any other goes to the dispatcher as the guest's #PF, which is
 * hop 4 of the hidden #PF in docs/ARCHITECTURE.md.
 */
int nat_mirror_fault(struct nat *n, uint64_t va)
{
	uint64_t leaf = shadowpt_lookup(n->vm, va);

	if (!leaf)
		return 0;
	/* A device's page: nothing to map; the access goes to the monitor,
	 * which emulates it (interp_mmio). */
	if (!shadowpt_frame_is_ram(n->vm, leaf & PTE_ADDR_MASK))
		return 0;
	if (mapped_as(n, va, leaf))
		/* mapped as the shadow says: the shadow's fault, or under
		 * --patch a right the scan state took away */
		return n->vm->patch ? nat_patch_fault(n, va, leaf) : 0;
	if (map_page(n, va, leaf) < 0)
		return -1;
	n->mirror_fills++;
	return 1;
}

/*
 * A #PF the guest's own tables called for (a true fault: nat_mirror_fault
 * found nothing to map) goes to its kernel, which most often makes the
 * page present and returns to the instruction that faulted: then a
 * hidden fault, a stop of its own, and a batch of injected calls to map
 * the page.  So when the view that faulted runs again (after another view
 * ran: the kernel's handler, for a fault at ring 3) the page is fetched
 * into the shadow ahead of that retry, and mapped in the batch that makes
 * the view's pending unmaps (the handler's invlpg) anyway.
 *
 * The fetch is shadowpt_prefetch: only a translation the guest's tables
 * grant now, every accessed flag on the way already set, so the guest
 * cannot tell it happened (a TLB may cache such a translation at any
 * time).  A page the kernel left absent, or made present with a clear
 * accessed flag (a first touch), is left to its fault as before, and so
 * is a write whose page the prefetch could give only read-only (its dirty
 * flag clear: the write must fault to set it).  One
 * attempt per true fault; the next true fault replaces the last.
 */
int nat_mirror_retry(struct nat *n)
{
	if (n->retry == RETRY_NONE)
		return 0;
	if (n->mirror.root != n->retry_pf.root) {
		n->retry = RETRY_AWAY;
		return 0;
	}
	if (n->retry == RETRY_FAULTED) /* its handler has not run yet */
		return 0;
	n->retry = RETRY_NONE;
	uint64_t va = n->retry_pf.va, leaf = shadowpt_prefetch(n->vm, va);
	/* A write retried on a leaf still read-only (its dirty flag clear)
	 * would fault anyway, and map the page again.  A device's page has
	 * nothing to map, and one the child maps as the leaf says already
	 * (the fault was not about it) needs nothing. */
	if (!leaf || (n->retry_pf.write && !(leaf & PTE_W)) ||
	    !shadowpt_frame_is_ram(n->vm, leaf & PTE_ADDR_MASK) ||
	    mapped_as(n, va, leaf))
		return 0;
	if (map_page(n, va, leaf) < 0)
		return -1;
	n->retry_maps++;
	return 0;
}

#endif /* __linux__ && __x86_64__ */
