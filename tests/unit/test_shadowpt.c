/*
 * tests/unit/test_shadowpt.c - the guest page-table walker and the shadow.
 *
 * Each test builds a small set of guest page tables in guest RAM, then
 * checks what the walker, gva_* and the shadow page tables make of them
 * against what the CPU would do (SDM vol. 3, chapter 4).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "interp/internal.h"
#include "isa/x86.h"
#include "core/engine.h"
#include "core/exit.h"
#include "core/vm.h"
#include "monitor/gdbmon.h"
#include "monitor/machine.h"
#include "monitor/run.h"
#include "shadowpt/paging_dot.h"
#include "shadowpt/shadowpt.h"
#include "shadowpt/walk.h"
#include "tests/unit/support/guestpt.h"
#include "tests/unit/support/shadow.h"

#define TABLES_GPA 0x2000ULL /* further guest tables are taken from here */
#define OUTSIDE_RAM 0x40000000ULL

/* ------------------------------------------------------------------
 * A fake engine that records what the shadow tells it.
 */
static struct {
	unsigned flushes;
	uint64_t last_flush;
	unsigned writes;
} seen;

static void fake_flush(struct vm *vm, uint64_t va)
{
	(void)vm;
	seen.flushes++;
	seen.last_flush = va;
}

static void fake_ram_written(struct vm *vm, uint64_t gpa, uint64_t len)
{
	(void)vm;
	(void)gpa;
	(void)len;
	seen.writes++;
}

static const struct engine fake_engine = {
	.name = "fake",
	.flush = fake_flush,
	.ram_written = fake_ram_written,
};

/* ------------------------------------------------------------------
 * Building guest page tables.
 */
static struct vm the_vm;

/* 4-level paging, the PML4 at PML4_GPA. */
static int setup(void **state)
{
	*state = &the_vm;
	if (gpt_vm_make64(&the_vm, &fake_engine, TABLES_GPA) < 0)
		return -1;
	memset(&seen, 0, sizeof(seen));
	return 0;
}

static int teardown(void **state)
{
	vm_destroy(*state);
	return 0;
}

/*
 * The guest entry for va at level, creating the tables above it with
 * P | W | U (the leaf alone then decides the rights).
 */
static uint64_t *gpt_entry(struct vm *vm, uint64_t va, int level)
{
	return gpt_entry64(vm, va, level, PTE_P | PTE_W | PTE_U);
}

/* Map va -> gpa with a leaf at level (1: 4 KiB, 2: 2 MiB, 3: 1 GiB). */
static uint64_t *gpt_map(struct vm *vm, uint64_t va, uint64_t gpa, int level,
			 uint64_t flags)
{
	uint64_t *e = gpt_entry(vm, va, level);

	*e = gpa | PTE_P | flags | (level > 1 ? PTE_PS : 0);
	return e;
}

/* The shadow leaf for va in one view, or 0. */
static uint64_t shadow_leaf(uint64_t *root, uint64_t va)
{
	uint64_t *e = shadow_leaf_of(root, va);

	return e ? *e : 0;
}

/* ------------------------------------------------------------------
 * The walker.
 */

static void test_walk_4k(void **state)
{
	struct vm *vm = *state;
	uint64_t va = 0x400000, *pte;
	struct walk_result r;

	pte = gpt_map(vm, va, 0x200000, 1, PTE_W | PTE_U);
	assert_int_equal(walk_guest(vm, va + 0x123, ACC_READ, &r), 0);
	assert_int_equal(r.gpa, 0x200123);
	assert_int_equal(r.level, 1);
	assert_int_equal(r.page_size, PAGE_4K);
	assert_true(r.writable && r.user && r.executable);
	/* A on every level used, D nowhere after a read. */
	assert_true(*pte & PTE_A);
	assert_false(*pte & PTE_D);
	assert_true(*gpt_entry(vm, va, 4) & PTE_A);
	assert_true(*gpt_entry(vm, va, 3) & PTE_A);
	assert_true(*gpt_entry(vm, va, 2) & PTE_A);
	assert_true(r.pte & PTE_A);
	/* A write sets D on the leaf only. */
	assert_int_equal(walk_guest(vm, va, ACC_WRITE, &r), 0);
	assert_true(*pte & PTE_D);
	assert_true(r.pte & PTE_D);
	assert_false(*gpt_entry(vm, va, 2) & PTE_D);
	assert_true(seen.writes > 0); /* the engine heard of the A/D writes */
}

static void test_walk_2m(void **state)
{
	struct vm *vm = *state;
	uint64_t va = 0x40000000;
	struct walk_result r;

	gpt_map(vm, va, 0x600000, 2, PTE_W);
	assert_int_equal(walk_guest(vm, va + 0x12345, ACC_WRITE, &r), 0);
	assert_int_equal(r.gpa, 0x612345);
	assert_int_equal(r.level, 2);
	assert_int_equal(r.page_size, PAGE_2M);
	assert_true(r.pte & PTE_PS);
	assert_true(r.pte & PTE_D);
}

static void test_walk_1g(void **state)
{
	struct vm *vm = *state;
	uint64_t va = 0x8000000000ULL; /* PML4 entry 1 */
	struct walk_result r;

	gpt_map(vm, va, 0x40000000, 3, PTE_U);
	assert_int_equal(walk_guest(vm, va + 0x3456789, ACC_USER, &r), 0);
	assert_int_equal(r.gpa, 0x43456789);
	assert_int_equal(r.level, 3);
	assert_int_equal(r.page_size, PAGE_1G);
	assert_false(r.writable);
}

static void test_walk_user_supervisor(void **state)
{
	struct vm *vm = *state;
	uint64_t va = 0x400000, *pte;
	struct walk_result r;

	pte = gpt_map(vm, va, 0x200000, 1, PTE_W); /* supervisor */
	assert_int_equal(walk_guest(vm, va, ACC_USER, &r), -1);
	assert_int_equal(r.error, PFEC_P | PFEC_U);
	assert_false(*pte & PTE_A); /* failed walks set nothing */
	assert_int_equal(walk_guest(vm, va, ACC_READ, &r), 0);
	/* U must be set at every level: clear it in the PDPT entry. */
	*pte |= PTE_U;
	*gpt_entry(vm, va, 3) &= ~PTE_U;
	assert_int_equal(walk_guest(vm, va, ACC_USER | ACC_WRITE, &r), -1);
	assert_int_equal(r.error, PFEC_P | PFEC_U | PFEC_W);
}

static void test_walk_write_protect(void **state)
{
	struct vm *vm = *state;
	uint64_t va = 0x400000, *pte;
	struct walk_result r;

	pte = gpt_map(vm, va, 0x200000, 1, PTE_U); /* read-only */
	assert_int_equal(walk_guest(vm, va, ACC_WRITE | ACC_USER, &r), -1);
	assert_int_equal(r.error, PFEC_P | PFEC_W | PFEC_U);
	/* CR0.WP = 1: the supervisor honours R/W too. */
	assert_int_equal(walk_guest(vm, va, ACC_WRITE, &r), -1);
	assert_int_equal(r.error, PFEC_P | PFEC_W);
	assert_false(*pte & (PTE_A | PTE_D));
	/* CR0.WP = 0: a supervisor write to a read-only page succeeds. */
	vm->vcpu.cr0 &= ~CR0_WP;
	assert_int_equal(walk_guest(vm, va, ACC_WRITE, &r), 0);
	assert_true(*pte & PTE_D);
	assert_int_equal(walk_guest(vm, va, ACC_WRITE | ACC_USER, &r), -1);
}

static void test_walk_nx(void **state)
{
	struct vm *vm = *state;
	uint64_t va = 0x400000;
	struct walk_result r;

	gpt_map(vm, va, 0x200000, 1, PTE_W | PTE_U | PTE_NX);
	assert_int_equal(walk_guest(vm, va, ACC_READ, &r), 0);
	assert_false(r.executable);
	assert_int_equal(walk_guest(vm, va, ACC_FETCH, &r), -1);
	assert_int_equal(r.error, PFEC_P | PFEC_I);
	/* Without EFER.NXE bit 63 is reserved. */
	vm->vcpu.efer &= ~EFER_NXE;
	assert_int_equal(walk_guest(vm, va, ACC_READ, &r), -1);
	assert_int_equal(r.error, PFEC_P | PFEC_RSVD);
}

static void test_walk_not_present(void **state)
{
	struct vm *vm = *state;
	uint64_t va = 0x400000;
	struct walk_result r;

	/* Nothing at all: the PML4 entry is not present. */
	assert_int_equal(walk_guest(vm, va, ACC_READ, &r), -1);
	assert_int_equal(r.error, 0);
	/* Tables down to the PT, leaf absent. */
	gpt_entry(vm, va, 1);
	assert_int_equal(walk_guest(vm, va, ACC_WRITE | ACC_USER, &r), -1);
	assert_int_equal(r.error, PFEC_W | PFEC_U);
	assert_int_equal(walk_guest(vm, va, ACC_FETCH, &r), -1);
	assert_int_equal(r.error, PFEC_I);
	assert_false(*gpt_entry(vm, va, 4) & PTE_A);
	/* I/D is reported only with execute protection on. */
	vm->vcpu.efer &= ~EFER_NXE;
	assert_int_equal(walk_guest(vm, va, ACC_FETCH, &r), -1);
	assert_int_equal(r.error, 0);
}

static void test_walk_reserved_and_outside(void **state)
{
	struct vm *vm = *state;
	uint64_t va = 0x400000, *pte;
	struct walk_result r;

	pte = gpt_map(vm, va, 0x200000 | (1ULL << 40), 1, PTE_W);
	assert_int_equal(walk_guest(vm, va, ACC_WRITE, &r), -1);
	assert_int_equal(r.error, PFEC_P | PFEC_RSVD | PFEC_W);
	/* A 2 MiB leaf with bits 20:13 set. */
	gpt_map(vm, 0x40000000, 0x600000 | 0x2000, 2, PTE_W);
	assert_int_equal(walk_guest(vm, 0x40000000, ACC_READ, &r), -1);
	assert_int_equal(r.error, PFEC_P | PFEC_RSVD);
	/* A page table outside guest RAM ends the walk. */
	*pte = 0;
	*gpt_entry(vm, va, 2) = OUTSIDE_RAM | PTE_P | PTE_W;
	assert_int_equal(walk_guest(vm, va, ACC_READ, &r), -1);
	assert_int_equal(r.error, PFEC_RSVD);
}

static void test_walk_paging_off(void **state)
{
	struct vm *vm = *state;
	struct walk_result r;

	vm->vcpu.cr0 &= ~CR0_PG;
	assert_int_equal(walk_guest(vm, 0x123456, ACC_WRITE | ACC_USER, &r),
			 0);
	assert_int_equal(r.gpa, 0x123456);
}

/*
 * A peek (ACC_PEEK: the gdb stub, monitor info tlb, the trace) walks the
 * same tables with the same checks and changes nothing: no accessed or
 * dirty bit, no word to the engine.  The plain walk afterwards sets them,
 * so the entries were free to change.
 */
static void test_walk_peek_sets_nothing(void **state)
{
	struct vm *vm = *state;
	uint64_t va = 0x400000, *pte = gpt_map(vm, va, 0x200000, 1, PTE_W);
	uint64_t before[PT_LEVELS];
	struct walk_result r;

	for (int l = 1; l <= PT_LEVELS; l++)
		before[l - 1] = *gpt_entry(vm, va, l);
	assert_int_equal(walk_guest(vm, va + 8, ACC_READ | ACC_PEEK, &r), 0);
	assert_int_equal(r.gpa, 0x200008);
	assert_int_equal(r.pte, before[0]);
	assert_int_equal(walk_guest(vm, va, ACC_WRITE | ACC_PEEK, &r), 0);
	assert_true(r.writable && !r.user);
	/* The rights are still checked: a user peek is refused, quietly. */
	assert_int_equal(walk_guest(vm, va, ACC_USER | ACC_PEEK, &r), -1);
	assert_int_equal(r.error, PFEC_P | PFEC_U);
	for (int l = 1; l <= PT_LEVELS; l++)
		assert_int_equal(*gpt_entry(vm, va, l), before[l - 1]);
	assert_int_equal(seen.writes, 0);
	assert_false(vm->vcpu.exception.pending);
	assert_int_equal(walk_guest(vm, va, ACC_WRITE, &r), 0);
	assert_int_equal(*pte, before[0] | PTE_A | PTE_D);
	assert_true(*gpt_entry(vm, va, 4) & PTE_A);
}

/*
 * gdb's memory reads and writes and monitor info tlb go through the
 * peek: the guest's entries stay as they were, and info tlb shows them
 * so (no " A", no " D" on a page the guest never touched).
 */
static void test_debugger_leaves_accessed_dirty(void **state)
{
	struct vm *vm = *state;
	uint64_t va = 0x400000, *pte = gpt_map(vm, va, 0x200000, 1, PTE_W);
	uint64_t pte0 = *pte, pde0 = *gpt_entry(vm, va, 2);
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	assert_non_null(f);
	gdbmon_run(vm, "info tlb 0x400000", f);
	fclose(f);
	assert_non_null(strstr(text, "\n0000000000400000  guest: 000000200000 "
				  "4K rwx sup  shadow: not filled\n"));
	free(text);
	assert_int_equal(*pte, pte0);
	assert_int_equal(*gpt_entry(vm, va, 2), pde0);
	assert_int_equal(seen.writes, 0);
}

/* ------------------------------------------------------------------
 * gva_read and gva_write.
 */

static void test_gva_across_pages(void **state)
{
	struct vm *vm = *state;
	uint64_t va = 0x400000;
	char out[8];

	gpt_map(vm, va, 0x300000, 1, PTE_W);
	gpt_map(vm, va + PAGE_4K, 0x100000, 1, PTE_W);
	assert_int_equal(gva_write(vm, va + PAGE_4K - 3, "abcdefg", 8,
				   ACC_READ), 0);
	assert_memory_equal(gm_ptr(&vm->mem, 0x300000 + PAGE_4K - 3, 3),
			    "abc", 3);
	assert_memory_equal(gm_ptr(&vm->mem, 0x100000, 5), "defg", 5);
	assert_int_equal(gva_read(vm, va + PAGE_4K - 3, out, 8, ACC_READ),
			 0);
	assert_string_equal(out, "abcdefg");
	assert_true(*gpt_entry(vm, va + PAGE_4K, 1) & PTE_D);
}

static void test_gva_write_faults_before_writing(void **state)
{
	struct vm *vm = *state;
	uint64_t va = 0x400000;

	gpt_map(vm, va, 0x300000, 1, PTE_W);
	gpt_map(vm, va + PAGE_4K, 0x100000, 1, 0); /* read-only */
	assert_int_equal(gva_write(vm, va + PAGE_4K - 4, "12345678", 8,
				   ACC_READ), -1);
	assert_memory_equal(gm_ptr(&vm->mem, 0x300000 + PAGE_4K - 4, 4),
			    "\0\0\0\0", 4);
	assert_true(vm->vcpu.exception.pending);
	assert_int_equal(vm->vcpu.exception.vector, T_PF);
	assert_int_equal(vm->vcpu.exception.error, PFEC_P | PFEC_W);
	assert_int_equal(vm->vcpu.cr2, va + PAGE_4K);
}

static void test_gva_user_and_implicit(void **state)
{
	struct vm *vm = *state;
	uint64_t va = 0x400000, v = 0;

	gpt_map(vm, va, 0x300000, 1, PTE_W); /* a kernel page: the GDT */
	vm->vcpu.cpl = 3;
	assert_int_equal(gva_read(vm, va, &v, 8, ACC_READ), -1);
	assert_int_equal(vm->vcpu.exception.error, PFEC_P | PFEC_U);
	vm->vcpu.exception.pending = false;
	/* A descriptor-table read at CPL 3 is a supervisor access. */
	assert_int_equal(gva_read(vm, va, &v, 8, ACC_IMPLICIT), 0);
	assert_false(vm->vcpu.exception.pending);
}

static void test_gva_non_canonical(void **state)
{
	struct vm *vm = *state;
	uint64_t v;

	assert_int_equal(gva_read(vm, 0x0000800000000000ULL, &v, 8, 0), -1);
	assert_int_equal(vm->vcpu.exception.vector, T_GP);
	assert_int_equal(vm->vcpu.exception.error, 0);
}

static void test_gva_outside_ram_kills(void **state)
{
	struct vm *vm = *state;
	uint64_t v;

	gpt_map(vm, 0x400000, OUTSIDE_RAM, 1, PTE_W);
	/* The walk reports it and leaves the decision to its caller ... */
	assert_int_equal(gva_read(vm, 0x400000, &v, 8, 0), GVA_NO_RAM);
	assert_false(vm->stopped);
	assert_false(vm->vcpu.exception.pending);
	/* ... and the interpreter, the caller, stops the guest. */
	assert_int_equal(interp_gva_read(vm, 0x400000, &v, 8, 0), -1);
	assert_true(vm->stopped);
	assert_int_equal(vm->exit_status, VM_EXIT_TRIPLE_FAULT);
	assert_false(vm->vcpu.exception.pending);
}

/*
 * The monitor's own data accesses hit the debugger's watchpoints: a store
 * (or a load, for a read watch) is noted in vm->debug as the engine notes
 * its own; a fetch, a peek, the probe of a write and a write that faults
 * are not.
 */
static void test_gva_notes_watchpoints(void **state)
{
	struct vm *vm = *state;
	struct vm_debug *d = &vm->debug;
	uint64_t va = 0x400000, v = 0;
	struct walk_result r;

	gpt_map(vm, va, 0x300000, 1, PTE_W);
	gpt_map(vm, va + PAGE_4K, 0x301000, 1, 0); /* read-only */
	d->watches[d->nwatches++] = (struct debug_watch){
		.addr = va + 0x10, .len = 8, .kind = WATCH_WRITE };
	d->watches[d->nwatches++] = (struct debug_watch){
		.addr = va + PAGE_4K, .len = 4, .kind = WATCH_ACCESS };
	assert_int_equal(gva_read(vm, va + 0x10, &v, 8, ACC_READ), 0);
	assert_int_equal(gva_read(vm, va + 0x10, &v, 8, ACC_FETCH), 0);
	assert_int_equal(gva_write(vm, va + 0x18, &v, 8, ACC_READ), 0);
	assert_int_equal(walk_guest(vm, va + 0x10, ACC_WRITE | ACC_PEEK, &r), 0);
	assert_int_equal(d->stop, DEBUG_STOP_NONE);
	/* The last byte of an 8-byte store is the watched one. */
	assert_int_equal(gva_write(vm, va + 9, &v, 8, ACC_READ), 0);
	assert_int_equal(d->stop, DEBUG_STOP_WATCH);
	assert_int_equal(d->stop_addr, va + 0x10);
	assert_int_equal(d->stop_kind, WATCH_WRITE);
	/* A write that faults stores nothing, and hits nothing; a probe
	 * (a read for a write) is no read. */
	d->stop = DEBUG_STOP_NONE;
	assert_int_equal(gva_write(vm, va + PAGE_4K, &v, 4, ACC_READ), -1);
	vm->vcpu.exception.pending = false;
	assert_int_equal(gva_read(vm, va + PAGE_4K, &v, 4, ACC_WRITE), -1);
	vm->vcpu.exception.pending = false;
	assert_int_equal(d->stop, DEBUG_STOP_NONE);
	/* A load hits a read-or-write watch. */
	assert_int_equal(gva_read(vm, va + PAGE_4K - 2, &v, 4, ACC_READ), 0);
	assert_int_equal(d->stop, DEBUG_STOP_WATCH);
	assert_int_equal(d->stop_addr, va + PAGE_4K);
	assert_int_equal(d->stop_kind, WATCH_ACCESS);
}

/* ------------------------------------------------------------------
 * The shadow.
 */

static void test_shadow_init(void **state)
{
	struct vm *vm = *state;

	assert_int_equal(vm->spt->tables, 2);
	assert_ptr_equal(vm->spt->current, vm->spt->root[VIEW_SUPERVISOR]);
	assert_int_equal((uintptr_t)vm->spt->root[VIEW_USER] % PAGE_4K, 0);
}

/* A clean page is mapped read-only, then writable after the write fault. */
static void test_shadow_fill_clean_then_dirty(void **state)
{
	struct vm *vm = *state;
	uint64_t va = 0x400000, *pte, leaf;

	pte = gpt_map(vm, va, 0x200000, 1, PTE_W);
	assert_int_equal(shadowpt_fault(vm, va + 8, PFEC_U), SHADOW_FILLED);
	leaf = shadow_leaf(vm->spt->root[VIEW_SUPERVISOR], va);
	assert_int_equal(leaf, 0x200000 | PTE_P | PTE_U);
	assert_int_equal(vm->spt->hidden_faults, 1);
	assert_int_equal(vm->spt->tables, 5);
	assert_true(*pte & PTE_A);
	assert_false(*pte & PTE_D);
	assert_false(vm->vcpu.exception.pending);

	assert_int_equal(shadowpt_fault(vm, va, PFEC_P | PFEC_W | PFEC_U),
			 SHADOW_FILLED);
	assert_true(*pte & PTE_D);
	leaf = shadow_leaf(vm->spt->root[VIEW_SUPERVISOR], va);
	assert_int_equal(leaf, 0x200000 | PTE_P | PTE_U | PTE_W);
	assert_int_equal(vm->spt->hidden_faults, 2);
	assert_int_equal(vm->spt->tables, 5);
	/* Only the supervisor view was filled. */
	assert_int_equal(shadow_leaf(vm->spt->root[VIEW_USER], va), 0);
}

static void test_shadow_dirty_maps_writable(void **state)
{
	struct vm *vm = *state;
	uint64_t va = 0x400000;

	gpt_map(vm, va, 0x200000, 1, PTE_W | PTE_D);
	assert_int_equal(shadowpt_fault(vm, va, PFEC_U), SHADOW_FILLED);
	assert_true(shadow_leaf(vm->spt->root[VIEW_SUPERVISOR], va) & PTE_W);
}

static void test_shadow_write_protect(void **state)
{
	struct vm *vm = *state;
	uint64_t va = 0x400000;

	gpt_map(vm, va, 0x200000, 1, PTE_D); /* read-only, dirty */
	assert_int_equal(shadowpt_fault(vm, va, PFEC_U), SHADOW_FILLED);
	assert_false(shadow_leaf(vm->spt->root[VIEW_SUPERVISOR], va) & PTE_W);
	/* With CR0.WP clear the guest kernel may write anyway. */
	vm->vcpu.cr0 &= ~CR0_WP;
	assert_int_equal(shadowpt_fault(vm, va, PFEC_U | PFEC_W),
			 SHADOW_FILLED);
	assert_true(shadow_leaf(vm->spt->root[VIEW_SUPERVISOR], va) & PTE_W);
}

static void test_shadow_nx(void **state)
{
	struct vm *vm = *state;
	uint64_t va = 0x400000;

	gpt_map(vm, va, 0x200000, 1, PTE_NX);
	assert_int_equal(shadowpt_fault(vm, va, PFEC_U), SHADOW_FILLED);
	assert_true(shadow_leaf(vm->spt->root[VIEW_SUPERVISOR], va) & PTE_NX);
	assert_int_equal(shadowpt_fault(vm, va, PFEC_U | PFEC_P | PFEC_I),
			 SHADOW_GUEST_FAULT);
	assert_int_equal(vm->vcpu.exception.error, PFEC_P | PFEC_I);
}

/* The guest refuses: #PF with its own error code, U from the virtual CPL. */
static void test_shadow_true_fault(void **state)
{
	struct vm *vm = *state;
	uint64_t va = 0x400000;

	assert_int_equal(shadowpt_fault(vm, va + 5, PFEC_U | PFEC_W),
			 SHADOW_GUEST_FAULT);
	assert_int_equal(vm->spt->true_faults, 1);
	assert_int_equal(vm->spt->hidden_faults, 0);
	assert_true(vm->vcpu.exception.pending);
	assert_int_equal(vm->vcpu.exception.vector, T_PF);
	assert_true(vm->vcpu.exception.has_error);
	assert_int_equal(vm->vcpu.exception.error, PFEC_W);
	assert_int_equal(vm->vcpu.cr2, va + 5);
}

static void test_shadow_user_view_refuses_supervisor(void **state)
{
	struct vm *vm = *state;
	uint64_t kva = 0x400000, uva = 0x500000;

	gpt_map(vm, kva, 0x200000, 1, PTE_W | PTE_D);
	gpt_map(vm, uva, 0x300000, 1, PTE_W | PTE_U | PTE_D);
	vm->vcpu.cpl = 3;
	shadowpt_switch_view(vm);
	assert_ptr_equal(vm->spt->current, vm->spt->root[VIEW_USER]);
	assert_int_equal(seen.last_flush, SHADOW_FLUSH_ALL);
	assert_int_equal(shadowpt_fault(vm, kva, PFEC_U), SHADOW_GUEST_FAULT);
	assert_int_equal(vm->vcpu.exception.error, PFEC_P | PFEC_U);
	assert_int_equal(shadow_leaf(vm->spt->root[VIEW_USER], kva), 0);
	assert_int_equal(shadowpt_fault(vm, uva, PFEC_U), SHADOW_FILLED);
	assert_int_equal(shadow_leaf(vm->spt->root[VIEW_USER], uva),
			 0x300000 | PTE_P | PTE_U | PTE_W);
	assert_int_equal(shadow_leaf(vm->spt->root[VIEW_SUPERVISOR], uva), 0);
	/* Back in the kernel: its view maps both. */
	vm->vcpu.cpl = 0;
	shadowpt_switch_view(vm);
	assert_ptr_equal(vm->spt->current, vm->spt->root[VIEW_SUPERVISOR]);
	assert_int_equal(shadowpt_fault(vm, kva, PFEC_U), SHADOW_FILLED);
	assert_int_equal(shadowpt_fault(vm, uva, PFEC_U), SHADOW_FILLED);
}

/* A page table outside guest RAM: the guest cannot be walked. */
static void test_shadow_bad_phys(void **state)
{
	struct vm *vm = *state;

	*gpt_entry(vm, 0x600000, 2) = OUTSIDE_RAM | PTE_P | PTE_W;
	assert_int_equal(shadowpt_fault(vm, 0x600000, PFEC_U),
			 SHADOW_BAD_PHYS);
	assert_false(vm->vcpu.exception.pending);
	assert_int_equal(vm->spt->hidden_faults + vm->spt->true_faults, 0);
}

/*
 * A frame outside guest RAM is device memory: filled like RAM, with the
 * same rights, for the engine to send to the devices; gva_* still say
 * GVA_NO_RAM and leave the decision to the interpreter.
 */
static void test_shadow_mmio_frame(void **state)
{
	struct vm *vm = *state;
	uint64_t va = 0x400000, *pte, v;

	pte = gpt_map(vm, va, OUTSIDE_RAM, 1, PTE_W | PTE_NX);
	assert_false(shadowpt_frame_is_ram(vm, OUTSIDE_RAM));
	assert_true(shadowpt_frame_is_ram(vm, 0x200123));
	assert_true(shadowpt_frame_is_ram(vm, vm->mem.size - 1));
	assert_false(shadowpt_frame_is_ram(vm, vm->mem.size));
	assert_int_equal(shadowpt_fault(vm, va + 8, PFEC_U), SHADOW_FILLED);
	assert_int_equal(shadowpt_lookup(vm, va + 8),
			 OUTSIDE_RAM | PTE_P | PTE_U | PTE_NX);
	/* The first write sets D and maps it writable, as for RAM. */
	assert_int_equal(shadowpt_fault(vm, va, PFEC_U | PFEC_W | PFEC_P),
			 SHADOW_FILLED);
	assert_true(*pte & PTE_D);
	assert_int_equal(shadowpt_lookup(vm, va),
			 OUTSIDE_RAM | PTE_P | PTE_U | PTE_W | PTE_NX);
	/* A fetch from it is the guest's own #PF (XD). */
	assert_int_equal(shadowpt_fault(vm, va, PFEC_U | PFEC_I | PFEC_P),
			 SHADOW_GUEST_FAULT);
	assert_int_equal(vm->vcpu.exception.error, PFEC_P | PFEC_I);
	vm->vcpu.exception.pending = false;
	/* A supervisor frame stays out of the user view. */
	gpt_map(vm, va + PAGE_4K, OUTSIDE_RAM + PAGE_4K, 1, PTE_W);
	vm->vcpu.cpl = 3;
	shadowpt_switch_view(vm);
	assert_int_equal(shadowpt_fault(vm, va + PAGE_4K, PFEC_U),
			 SHADOW_GUEST_FAULT);
	assert_int_equal(shadowpt_lookup(vm, va + PAGE_4K), 0);
	assert_int_equal(vm->spt->hidden_faults, 2);
	assert_int_equal(vm->spt->true_faults, 2);
	vm->vcpu.exception.pending = false;
	/* The monitor's own accesses do not reach devices. */
	vm->vcpu.cpl = 0;
	shadowpt_switch_view(vm);
	assert_int_equal(gva_read(vm, va, &v, 8, ACC_READ), GVA_NO_RAM);
	assert_int_equal(gva_write(vm, va, &v, 8, ACC_READ), GVA_NO_RAM);
	assert_false(vm->vcpu.exception.pending);
}

static void test_shadow_invlpg(void **state)
{
	struct vm *vm = *state;
	uint64_t a = 0x400000, b = 0x401000;

	gpt_map(vm, a, 0x200000, 1, PTE_U);
	gpt_map(vm, b, 0x201000, 1, PTE_U);
	assert_int_equal(shadowpt_fault(vm, a, PFEC_U), SHADOW_FILLED);
	assert_int_equal(shadowpt_fault(vm, b, PFEC_U), SHADOW_FILLED);
	vm->vcpu.cpl = 3;
	shadowpt_switch_view(vm);
	assert_int_equal(shadowpt_fault(vm, a, PFEC_U), SHADOW_FILLED);
	seen.flushes = 0;
	shadowpt_invlpg(vm, a + 0x10);
	if (shadow_leaf(vm->spt->root[VIEW_SUPERVISOR], a) ||
	    shadow_leaf(vm->spt->root[VIEW_USER], a))
		print_error("invlpg %#llx: the %s view still maps it (invlpg "
			    "forgets the address in both views)\n",
			    (unsigned long long)(a + 0x10),
			    shadow_leaf(vm->spt->root[VIEW_USER], a) ?
			    "user" : "supervisor");
	assert_int_equal(seen.flushes, 1);
	assert_int_equal(seen.last_flush, a + 0x10);
	assert_int_equal(shadow_leaf(vm->spt->root[VIEW_SUPERVISOR], a), 0);
	assert_int_equal(shadow_leaf(vm->spt->root[VIEW_USER], a), 0);
	assert_int_not_equal(shadow_leaf(vm->spt->root[VIEW_SUPERVISOR], b), 0);
}

/* invlpg anywhere in a guest 2 MiB page forgets all of it. */
static void test_shadow_invlpg_large(void **state)
{
	struct vm *vm = *state;
	uint64_t va = 0x40000000;

	gpt_map(vm, va, 0x600000, 2, PTE_U);
	assert_int_equal(shadowpt_fault(vm, va, PFEC_U), SHADOW_FILLED);
	assert_int_equal(shadowpt_fault(vm, va + 0x5000, PFEC_U),
			 SHADOW_FILLED);
	assert_int_equal(shadow_leaf(vm->spt->root[VIEW_SUPERVISOR],
				     va + 0x5000), 0x605000 | PTE_P | PTE_U);
	uint64_t before = vm->spt->tables;
	shadowpt_invlpg(vm, va + 0x1ff000); /* a piece never touched */
	if (shadow_leaf(vm->spt->root[VIEW_SUPERVISOR], va) ||
	    shadow_leaf(vm->spt->root[VIEW_SUPERVISOR], va + 0x5000))
		print_error("invlpg %#llx in the guest's 2 MiB page at %#llx: "
			    "the shadow leaves of its other 4 KiB pieces "
			    "survived (forget the whole SPT_LARGE table)\n",
			    (unsigned long long)(va + 0x1ff000),
			    (unsigned long long)va);
	else if (seen.last_flush != SHADOW_FLUSH_ALL)
		print_error("invlpg in a guest large page: the engine was told "
			    "to flush %#llx only, not everything (its cached "
			    "translations of the other pieces stay)\n",
			    (unsigned long long)seen.last_flush);
	assert_int_equal(shadow_leaf(vm->spt->root[VIEW_SUPERVISOR], va), 0);
	assert_int_equal(shadow_leaf(vm->spt->root[VIEW_SUPERVISOR],
				     va + 0x5000), 0);
	assert_int_equal(vm->spt->tables, before - 1);
	/* The engine cached translations of the other pieces too: it must
	 * forget all of them, not only the address invlpg named. */
	assert_int_equal(seen.last_flush, SHADOW_FLUSH_ALL);
}

static void test_shadow_flush_all(void **state)
{
	struct vm *vm = *state;
	uint64_t *sup = vm->spt->root[VIEW_SUPERVISOR];

	gpt_map(vm, 0x400000, 0x200000, 1, PTE_U);
	gpt_map(vm, 0x8000000000ULL, 0x300000, 1, PTE_U);
	assert_int_equal(shadowpt_fault(vm, 0x400000, PFEC_U), SHADOW_FILLED);
	assert_int_equal(shadowpt_fault(vm, 0x8000000000ULL, PFEC_U),
			 SHADOW_FILLED);
	assert_int_equal(vm->spt->tables, 2 + 3 + 3);
	shadowpt_flush_all(vm);
	assert_int_equal(vm->spt->tables, 2);
	assert_ptr_equal(vm->spt->root[VIEW_SUPERVISOR], sup);
	assert_int_equal(shadow_leaf(sup, 0x400000), 0);
	assert_int_equal(seen.last_flush, SHADOW_FLUSH_ALL);
	/* And it fills again. */
	assert_int_equal(shadowpt_fault(vm, 0x400000, PFEC_U), SHADOW_FILLED);
	assert_int_equal(shadow_leaf(sup, 0x400000), 0x200000 | PTE_P | PTE_U);
}

/* ------------------------------------------------------------------
 * The cache of address spaces (rule 3 of shadowpt.c: CR3 writes).
 */

#define PML4_B_GPA 0x7f000ULL /* a second address space */

/* Load CR3 as mov to CR3 would. */
static void load_cr3(struct vm *vm, uint64_t cr3)
{
	vm->vcpu.cr3 = cr3;
	shadowpt_load_cr3(vm);
}

static void test_cr3_keeps_only_global_entries(void **state)
{
	struct vm *vm = *state;

	vm->vcpu.cr4 |= CR4_PGE;
	load_cr3(vm, PML4_GPA);
	gpt_map(vm, 0x400000, 0x200000, 1, PTE_G);
	gpt_map(vm, 0x401000, 0x201000, 1, 0);
	assert_int_equal(shadowpt_fault(vm, 0x400000, PFEC_U), SHADOW_FILLED);
	assert_int_equal(shadowpt_fault(vm, 0x401000, PFEC_U), SHADOW_FILLED);
	uint64_t *sup = vm->spt->root[VIEW_SUPERVISOR];
	assert_true(shadow_leaf(sup, 0x400000) & PTE_G);
	assert_false(shadow_leaf(sup, 0x401000) & PTE_G);
	unsigned hits = vm->spt->space_hits;

	load_cr3(vm, PML4_GPA); /* a reload: the same space */
	assert_int_equal(vm->spt->space_hits, hits + 1);
	assert_ptr_equal(vm->spt->root[VIEW_SUPERVISOR], sup);
	if (shadow_leaf(sup, 0x400000) != (0x200000 | PTE_P | PTE_U | PTE_G))
		print_error("CR3 reload: the global leaf of 0x400000 was "
			    "forgotten (G leaves survive a CR3 write)\n");
	if (shadow_leaf(sup, 0x401000))
		print_error("CR3 reload: the non-global leaf of 0x401000 "
			    "survived (a CR3 write forgets it)\n");
	assert_int_equal(shadow_leaf(sup, 0x400000),
			 0x200000 | PTE_P | PTE_U | PTE_G);
	assert_int_equal(shadow_leaf(sup, 0x401000), 0);
	assert_int_equal(seen.last_flush, SHADOW_FLUSH_ALL);
}

static void test_cr3_without_pge_drops_all(void **state)
{
	struct vm *vm = *state;

	load_cr3(vm, PML4_GPA);
	gpt_map(vm, 0x400000, 0x200000, 1, PTE_G); /* G, but CR4.PGE = 0 */
	assert_int_equal(shadowpt_fault(vm, 0x400000, PFEC_U), SHADOW_FILLED);
	assert_false(shadow_leaf(vm->spt->current, 0x400000) & PTE_G);
	load_cr3(vm, PML4_GPA);
	assert_int_equal(shadow_leaf(vm->spt->current, 0x400000), 0);
	/* The emptied tables went back: only the roots are left in use. */
	unsigned roots = 0;
	for (int i = 0; i < SHADOW_SPACES; i++)
		roots += vm->spt->space[i].in_use ? SHADOW_NVIEWS : 0;
	assert_int_equal(vm->spt->tables, roots);
}

static void test_cr3_switch_and_back(void **state)
{
	struct vm *vm = *state;

	vm->vcpu.cr4 |= CR4_PGE;
	load_cr3(vm, PML4_GPA);
	gpt_map(vm, 0x400000, 0x200000, 1, PTE_G);
	assert_int_equal(shadowpt_fault(vm, 0x400000, PFEC_U), SHADOW_FILLED);
	uint64_t *a = vm->spt->root[VIEW_SUPERVISOR];

	/* Space B: a copy of A's PML4, sharing its lower tables. */
	memcpy(gpt_at(vm, PML4_B_GPA), gpt_at(vm, PML4_GPA), PAGE_4K);
	load_cr3(vm, PML4_B_GPA);
	assert_ptr_not_equal(vm->spt->root[VIEW_SUPERVISOR], a);
	assert_int_equal(shadow_leaf(vm->spt->current, 0x400000), 0);
	assert_int_equal(shadowpt_fault(vm, 0x400000, PFEC_U), SHADOW_FILLED);

	/* Back to A: its global entry is still there, no fault needed. */
	unsigned hidden = vm->spt->hidden_faults;
	load_cr3(vm, PML4_GPA);
	assert_ptr_equal(vm->spt->root[VIEW_SUPERVISOR], a);
	assert_int_equal(shadow_leaf(a, 0x400000),
			 0x200000 | PTE_P | PTE_U | PTE_G);
	assert_int_equal(vm->spt->hidden_faults, hidden);

	/* invlpg forgets va in every space, global or not. */
	shadowpt_invlpg(vm, 0x400000);
	assert_int_equal(shadow_leaf(a, 0x400000), 0);
	load_cr3(vm, PML4_B_GPA);
	if (shadow_leaf(vm->spt->current, 0x400000))
		print_error("invlpg 0x400000 in space A: space B's cached "
			    "shadow still maps it (without PCIDs invlpg "
			    "forgets the address in every space)\n");
	assert_int_equal(shadow_leaf(vm->spt->current, 0x400000), 0);
}

static void test_cr3_cache_is_bounded(void **state)
{
	struct vm *vm = *state;

	/* More address spaces than the cache holds: the least recently
	 * used one goes, and the table count stays bounded. */
	for (uint64_t i = 0; i < 3 * SHADOW_SPACES; i++) {
		uint64_t pml4 = 0x100000 + i * PAGE_4K;
		memcpy(gpt_at(vm, pml4), gpt_at(vm, PML4_GPA), PAGE_4K);
		load_cr3(vm, pml4);
	}
	unsigned used = 0;
	for (int i = 0; i < SHADOW_SPACES; i++)
		used += vm->spt->space[i].in_use;
	assert_int_equal(used, SHADOW_SPACES);
	assert_int_equal(vm->spt->tables, SHADOW_SPACES * SHADOW_NVIEWS);
	/* The most recent ones are cached, the first is gone. */
	uint64_t misses = vm->spt->space_misses;
	load_cr3(vm, 0x100000 + (3 * SHADOW_SPACES - 1) * PAGE_4K);
	assert_int_equal(vm->spt->space_misses, misses);
	load_cr3(vm, 0x100000);
	assert_int_equal(vm->spt->space_misses, misses + 1);
}

/* ------------------------------------------------------------------
 * 32-bit paging (CR4.PAE = 0): two levels of 4-byte entries.
 */

static void test_walk32_4k(void **state)
{
	struct vm *vm = *state;
	uint64_t va = 0xc0001000;
	struct walk_result r;

	use_32bit(vm, 0, PD32_GPA);
	uint32_t *pte = gpt32_map(vm, va, 0x200000, PTE_W | PTE_U);
	uint32_t *pde = gpt32_pde(vm, va);
	pte[1] = 0xdeadb000; /* a neighbour, not present */
	assert_int_equal(walk_guest(vm, va + 0x234, ACC_READ, &r), 0);
	assert_int_equal(r.gpa, 0x200234);
	assert_int_equal(r.level, 1);
	assert_int_equal(r.page_size, PAGE_4K);
	assert_true(r.writable && r.user && r.executable);
	assert_true(*pde & PTE_A);
	assert_true(*pte & PTE_A);
	assert_false(*pte & PTE_D);
	assert_int_equal(r.pte, *pte);
	assert_int_equal(walk_guest(vm, va, ACC_WRITE | ACC_USER, &r), 0);
	assert_true(*pte & PTE_D);
	assert_false(*pde & PTE_D); /* D is the leaf's only */
	/* The 4-byte entries were written as 4 bytes. */
	assert_int_equal(pte[1], 0xdeadb000);
	assert_int_equal(*pte, 0x200000 | PTE_P | PTE_W | PTE_U | PTE_A |
			 PTE_D);
	/* Bit 7 of a PTE is PAT, neither a page size nor reserved. */
	gpt32_map(vm, va + PAGE_4K, 0x201000, PTE_PS);
	assert_int_equal(walk_guest(vm, va + PAGE_4K + 5, ACC_READ, &r), 0);
	assert_int_equal(r.gpa, 0x201005);
	/* A not-present PTE and a not-present PDE. */
	assert_int_equal(walk_guest(vm, va + 2 * PAGE_4K, ACC_WRITE, &r), -1);
	assert_int_equal(r.error, PFEC_W);
	assert_int_equal(walk_guest(vm, 0x400000, ACC_USER, &r), -1);
	assert_int_equal(r.error, PFEC_U);
}

static void test_walk32_4m(void **state)
{
	struct vm *vm = *state;
	uint64_t va = 0x80000000;
	uint32_t *pde = gpt32_pde(vm, va);
	struct walk_result r;

	use_32bit(vm, CR4_PSE, PD32_GPA);
	*pde = 0x400000 | PTE_P | PTE_W | PTE_PS;
	assert_int_equal(walk_guest(vm, va + 0x123456, ACC_WRITE, &r), 0);
	assert_int_equal(r.gpa, 0x523456);
	assert_int_equal(r.level, 2);
	assert_int_equal(r.page_size, PAGE_4M);
	assert_true(r.writable && !r.user);
	assert_true(*pde & PTE_A);
	assert_true(*pde & PTE_D);
	/* Without PSE-36, bits 21:13 are reserved. */
	*pde = 0x400000 | PTE_P | PTE_PS | (1U << 13);
	assert_int_equal(walk_guest(vm, va, ACC_READ, &r), -1);
	assert_int_equal(r.error, PFEC_P | PFEC_RSVD);
	*pde = 0x400000 | PTE_P | PTE_PS | (1U << 21);
	assert_int_equal(walk_guest(vm, va, ACC_WRITE, &r), -1);
	assert_int_equal(r.error, PFEC_P | PFEC_RSVD | PFEC_W);
	/* Without CR4.PSE the PS bit is ignored: the PDE names a table. */
	*pde = 0x400000 | PTE_P | PTE_W | PTE_PS;
	use_32bit(vm, 0, PD32_GPA);
	assert_int_equal(walk_guest(vm, va + 0x5678, ACC_READ, &r), -1);
	assert_int_equal(r.error, 0); /* the PTE at 0x400014 is 0 */
	*gpt32_at(vm, 0x400000 + 4 * 5) = 0x300000 | PTE_P;
	assert_int_equal(walk_guest(vm, va + 0x5678, ACC_READ, &r), 0);
	assert_int_equal(r.gpa, 0x300678);
	assert_int_equal(r.page_size, PAGE_4K);
}

/* U/S, R/W with CR0.WP, and no execute protection in 4-byte entries. */
static void test_walk32_rights(void **state)
{
	struct vm *vm = *state;
	struct walk_result r;

	use_32bit(vm, 0, PD32_GPA);
	gpt32_map(vm, 0x1000, 0x200000, PTE_U);   /* user, read-only */
	gpt32_map(vm, 0x2000, 0x201000, PTE_W);   /* supervisor */
	assert_int_equal(walk_guest(vm, 0x1000, ACC_WRITE | ACC_USER, &r),
			 -1);
	assert_int_equal(r.error, PFEC_P | PFEC_W | PFEC_U);
	assert_int_equal(walk_guest(vm, 0x2000, ACC_USER, &r), -1);
	assert_int_equal(r.error, PFEC_P | PFEC_U);
	/* A fetch fault does not report I/D: there is no XD here, even
	 * with EFER.NXE set (SDM vol. 3, 4.7). */
	assert_int_equal(walk_guest(vm, 0x2000, ACC_FETCH | ACC_USER, &r),
			 -1);
	assert_int_equal(r.error, PFEC_P | PFEC_U);
	assert_int_equal(walk_guest(vm, 0x3000, ACC_FETCH, &r), -1);
	assert_int_equal(r.error, 0);
	assert_int_equal(walk_guest(vm, 0x1000, ACC_FETCH | ACC_USER, &r), 0);
	assert_true(r.executable);
	/* Supervisor writes to a read-only page: refused with CR0.WP only. */
	assert_int_equal(walk_guest(vm, 0x1000, ACC_WRITE, &r), -1);
	assert_int_equal(r.error, PFEC_P | PFEC_W);
	vm->vcpu.cr0 &= ~CR0_WP;
	assert_int_equal(walk_guest(vm, 0x1000, ACC_WRITE, &r), 0);
}

/* Outside long mode linear addresses are 32 bits: they wrap at 4 GiB. */
static void test_gva_32bit_wraps(void **state)
{
	struct vm *vm = *state;
	struct walk_result r;
	char out[5] = "";

	use_32bit(vm, 0, PD32_GPA);
	gpt32_map(vm, 0xfffff000, 0x300000, PTE_W);
	gpt32_map(vm, 0, 0x301000, PTE_W);
	assert_int_equal(gva_write(vm, 0xfffffffe, "abcd", 4, ACC_READ), 0);
	assert_memory_equal(gm_ptr(&vm->mem, 0x300ffe, 2), "ab", 2);
	assert_memory_equal(gm_ptr(&vm->mem, 0x301000, 2), "cd", 2);
	assert_int_equal(gva_read(vm, 0x1fffffffeULL, out, 4, ACC_READ), 0);
	assert_string_equal(out, "abcd");
	/* A fault on the far side reports the wrapped address. */
	*gpt32_map(vm, 0, 0x301000, 0) &= ~(uint32_t)PTE_P;
	assert_int_equal(gva_read(vm, 0xffffffff, out, 2, ACC_READ),
			 GVA_FAULT);
	assert_int_equal(vm->vcpu.cr2, 0);
	/* With paging off too. */
	vm->vcpu.cr0 &= ~CR0_PG;
	assert_int_equal(walk_guest(vm, 0x100001234ULL, ACC_READ, &r), 0);
	assert_int_equal(r.gpa, 0x1234);
}

/* Global 4 MiB and 4 KiB pages across CR3 loads, and invlpg of a 4 MiB
 * page, which the shadow holds as two 2 MiB halves. */
static void test_shadow32_global_and_4m(void **state)
{
	struct vm *vm = *state;
	uint64_t big = 0x80000000;

	use_32bit(vm, CR4_PSE | CR4_PGE, PD32_GPA);
	*gpt32_pde(vm, big) = 0x400000 | PTE_P | PTE_W | PTE_PS | PTE_G |
			      PTE_D;
	gpt32_map(vm, 0x1000, 0x200000, PTE_W | PTE_U);
	gpt32_map(vm, 0x2000, 0x201000, PTE_W | PTE_U | PTE_G);
	assert_int_equal(shadowpt_fault(vm, big + 0x5000, PFEC_U),
			 SHADOW_FILLED);
	assert_int_equal(shadowpt_fault(vm, big + 0x201000, PFEC_U),
			 SHADOW_FILLED);
	assert_int_equal(shadowpt_fault(vm, 0x1000, PFEC_U), SHADOW_FILLED);
	assert_int_equal(shadowpt_fault(vm, 0x2000, PFEC_U), SHADOW_FILLED);
	assert_int_equal(shadowpt_lookup(vm, big + 0x201000),
			 0x601000 | PTE_P | PTE_W | PTE_U | PTE_G);
	assert_int_equal(shadowpt_lookup(vm, 0x1000),
			 0x200000 | PTE_P | PTE_U);
	/* A reload of CR3 (PCD and PWT name no other space) keeps the
	 * global pages only. */
	uint64_t hits = vm->spt->space_hits;
	uint64_t *sup = vm->spt->root[VIEW_SUPERVISOR];
	load_cr3(vm, PD32_GPA | CR3_PCD | CR3_PWT);
	assert_int_equal(vm->spt->space_hits, hits + 1);
	assert_ptr_equal(vm->spt->root[VIEW_SUPERVISOR], sup);
	assert_int_equal(shadowpt_lookup(vm, 0x1000), 0);
	assert_int_not_equal(shadowpt_lookup(vm, 0x2000), 0);
	assert_int_not_equal(shadowpt_lookup(vm, big + 0x5000), 0);
	/* invlpg anywhere in the 4 MiB page forgets both halves. */
	shadowpt_invlpg(vm, big + 0x3ff000);
	assert_int_equal(shadowpt_lookup(vm, big + 0x5000), 0);
	assert_int_equal(shadowpt_lookup(vm, big + 0x201000), 0);
	assert_int_equal(seen.last_flush, SHADOW_FLUSH_ALL);
	assert_int_not_equal(shadowpt_lookup(vm, 0x2000), 0);
}

/* ------------------------------------------------------------------
 * PAE paging: the PDPTE registers, then two levels of 8-byte entries.
 */

static void test_walk_pae_4k_2m(void **state)
{
	struct vm *vm = *state;
	struct walk_result r;

	use_pae(vm, 0, EFER_NXE);
	uint64_t *pte = gpt_pae_map(vm, 0xc0001000, 0x200000, 1,
				    PTE_W | PTE_U);
	uint64_t pdpte = *gpt_at(vm, PAE_CR3 + 8 * 3);
	assert_int_equal(walk_guest(vm, 0xc0001abc, ACC_USER, &r), 0);
	assert_int_equal(r.gpa, 0x200abc);
	assert_int_equal(r.level, 1);
	assert_true(*pte & PTE_A);
	assert_true(*gpt_pae_entry(vm, 0xc0001000, 2) & PTE_A);
	/* PDPTEs have no A bit: the CPU never writes them. */
	assert_int_equal(*gpt_at(vm, PAE_CR3 + 8 * 3), pdpte);
	uint64_t *pde = gpt_pae_map(vm, 0x40200000, 0x600000, 2, PTE_W);
	assert_int_equal(walk_guest(vm, 0x40212345, ACC_WRITE, &r), 0);
	assert_int_equal(r.gpa, 0x612345);
	assert_int_equal(r.level, 2);
	assert_int_equal(r.page_size, PAGE_2M);
	assert_true(*pde & PTE_D);
	/* Linear addresses are 32 bits here too. */
	assert_int_equal(walk_guest(vm, 0x340212345ULL, ACC_READ, &r), 0);
	assert_int_equal(r.gpa, 0x612345);
}

static void test_walk_pae_nx_and_reserved(void **state)
{
	struct vm *vm = *state;
	struct walk_result r;

	/* Bits 62:52 are ignored by 4-level paging ... */
	gpt_map(vm, 0x1000, 0x200000, 1, 1ULL << 52);
	assert_int_equal(walk_guest(vm, 0x1000, ACC_READ, &r), 0);
	/* ... and reserved in PAE paging. */
	use_pae(vm, 0, EFER_NXE);
	uint64_t *pte = gpt_pae_map(vm, 0x1000, 0x200000, 1, 1ULL << 52);
	assert_int_equal(walk_guest(vm, 0x1000, ACC_READ, &r), -1);
	assert_int_equal(r.error, PFEC_P | PFEC_RSVD);
	*pte = 0x200000 | PTE_P | (1ULL << X86_MAXPHYADDR);
	assert_int_equal(walk_guest(vm, 0x1000, ACC_READ, &r), -1);
	assert_int_equal(r.error, PFEC_P | PFEC_RSVD);
	/* Frames up to MAXPHYADDR are fine (no RAM needed to walk). */
	*pte = ((1ULL << X86_MAXPHYADDR) - PAGE_4K) | PTE_P;
	assert_int_equal(walk_guest(vm, 0x1000, ACC_READ, &r), 0);
	/* XD with EFER.NXE: a fetch fault that reports I/D. */
	*pte = 0x200000 | PTE_P | PTE_U | PTE_NX;
	assert_int_equal(walk_guest(vm, 0x1000, ACC_READ, &r), 0);
	assert_false(r.executable);
	assert_int_equal(walk_guest(vm, 0x1000, ACC_FETCH | ACC_USER, &r),
			 -1);
	assert_int_equal(r.error, PFEC_P | PFEC_I | PFEC_U);
	/* Without NXE bit 63 is reserved, and I/D is not reported. */
	vm->vcpu.efer = 0;
	assert_int_equal(walk_guest(vm, 0x1000, ACC_FETCH, &r), -1);
	assert_int_equal(r.error, PFEC_P | PFEC_RSVD);
	/* A 2 MiB leaf with bits 20:13 set. */
	gpt_pae_map(vm, 0x40000000, 0x600000 | 0x2000, 2, 0);
	assert_int_equal(walk_guest(vm, 0x40000000, ACC_READ, &r), -1);
	assert_int_equal(r.error, PFEC_P | PFEC_RSVD);
}

static void test_pae_pdpte_load(void **state)
{
	struct vm *vm = *state;
	static const uint64_t reserved[] = {
		PTE_W, PTE_U, PTE_A, PTE_D, PTE_PS, PTE_G, PTE_NX,
		1ULL << X86_MAXPHYADDR, 1ULL << 51,
	};
	uint64_t good[4] = { 0x5000 | PTE_P, 0, ~PTE_P, 0x6000 | PTE_P |
			     PTE_PWT | PTE_PCD | 0xe00 };
	struct walk_result r;

	/* Not PAE paging: nothing is loaded. */
	vm->vcpu.cr3 = PAE_CR3;
	gpt_put_pdpt(vm, good[0], good[1], good[2], good[3]);
	assert_int_equal(shadowpt_load_pdptes(vm), 0);
	assert_int_equal(vm->vcpu.pdpte[0], 0);
	vm->vcpu.cr4 = CR4_PAE;
	vm->vcpu.efer = 0;
	/* A not-present PDPTE may hold anything; PWT, PCD and the
	 * ignored bits 11:9 are no reserved bits. */
	assert_int_equal(shadowpt_load_pdptes(vm), 0);
	assert_memory_equal(vm->vcpu.pdpte, good, sizeof(good));
	for (size_t i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++) {
		gpt_put_pdpt(vm, good[0], good[1], good[2], good[3] | reserved[i]);
		assert_int_equal(shadowpt_load_pdptes(vm), -1);
		/* The load failed whole: the registers are unchanged. */
		assert_memory_equal(vm->vcpu.pdpte, good, sizeof(good));
	}
	/* A PDPT outside RAM reads as all ones. */
	vm->vcpu.cr3 = OUTSIDE_RAM;
	assert_int_equal(shadowpt_load_pdptes(vm), -1);
	/* The walk uses the registers, not the PDPT in memory. */
	vm->vcpu.cr3 = PAE_CR3;
	gpt_put_pdpt(vm, good[0], good[1], good[2], good[3]);
	assert_int_equal(shadowpt_load_pdptes(vm), 0);
	*gpt_at(vm, 0x5000) = 0x7000 | PTE_P | PTE_W;
	*gpt_at(vm, 0x7000 + 8) = 0x200000 | PTE_P | PTE_W;
	gpt_put_pdpt(vm, 0, 0, 0, 0);
	assert_int_equal(walk_guest(vm, 0x1000, ACC_WRITE, &r), 0);
	assert_int_equal(r.gpa, 0x200000);
	assert_int_equal(shadowpt_load_pdptes(vm), 0);
	assert_int_equal(walk_guest(vm, 0x1000, ACC_WRITE, &r), -1);
	assert_int_equal(r.error, PFEC_W); /* not present */
	assert_int_equal(walk_guest(vm, 0x40001000, ACC_READ, &r), -1);
	assert_int_equal(r.error, 0);
}

/* Which CR3 values name one address space, in each format. */
static void test_cr3_keys_per_format(void **state)
{
	struct vm *vm = *state;

	use_pae(vm, 0, EFER_NXE);
	gpt_pae_map(vm, 0x1000, 0x200000, 1, PTE_W);
	assert_int_equal(shadowpt_fault(vm, 0x1000, PFEC_U), SHADOW_FILLED);
	uint64_t *a = vm->spt->root[VIEW_SUPERVISOR];
	uint64_t misses = vm->spt->space_misses;
	/* The other PDPT of the same page is another address space. */
	vm->vcpu.cr3 = PDPT_GPA;
	assert_int_equal(shadowpt_load_pdptes(vm), 0);
	shadowpt_load_cr3(vm);
	assert_int_equal(vm->spt->space_misses, misses + 1);
	assert_ptr_not_equal(vm->spt->root[VIEW_SUPERVISOR], a);
	/* PCD and PWT do not make one. */
	load_cr3(vm, PAE_CR3 | CR3_PCD | CR3_PWT);
	assert_int_equal(vm->spt->space_misses, misses + 1);
	assert_ptr_equal(vm->spt->root[VIEW_SUPERVISOR], a);
	/* A change of format keeps one space, empty, named anew. */
	use_32bit(vm, 0, PD32_GPA);
	unsigned used = 0;
	for (int i = 0; i < SHADOW_SPACES; i++)
		used += vm->spt->space[i].in_use;
	assert_int_equal(used, 1);
	assert_int_equal(vm->spt->tables, SHADOW_NVIEWS);
	assert_int_equal(vm->spt->active->cr3, PD32_GPA);
	/* Under 32-bit paging CR3 bits 11:0 name nothing. */
	misses = vm->spt->space_misses;
	load_cr3(vm, PD32_GPA | 0x20);
	assert_int_equal(vm->spt->space_misses, misses);
	/* Under 4-level paging neither. */
	vm->vcpu.cr4 = CR4_PAE;
	vm->vcpu.efer = EFER_LME | EFER_LMA;
	shadowpt_flush_all(vm);
	load_cr3(vm, PML4_GPA);
	misses = vm->spt->space_misses;
	load_cr3(vm, PML4_GPA | 0x20);
	assert_int_equal(vm->spt->space_misses, misses);
}

/* A frame outside RAM under 32-bit paging (a local APIC's page). */
static void test_shadow32_mmio_frame(void **state)
{
	struct vm *vm = *state;

	use_32bit(vm, 0, PD32_GPA);
	gpt32_map(vm, 0xfee00000, 0xfee00000, PTE_W | PTE_D);
	assert_int_equal(shadowpt_fault(vm, 0xfee000b0, PFEC_U | PFEC_W),
			 SHADOW_FILLED);
	assert_int_equal(shadowpt_lookup(vm, 0xfee000b0),
			 0xfee00000 | PTE_P | PTE_W | PTE_U);
	assert_false(shadowpt_frame_is_ram(vm, 0xfee000b0));
}

/* ------------------------------------------------------------------
 * insn_fetch outside 64-bit mode: through CS's base and limit.
 */

#define CS_BASE 0x100000ULL

/* Protected mode, paging off, CS with this base and limit; D/B set for
 * 32-bit code. */
static void use_code_segment(struct vm *vm, uint64_t base, uint32_t limit,
			     bool d32)
{
	vm->vcpu.cr0 = CR0_PE;
	vm->vcpu.cr4 = 0;
	vm->vcpu.efer = 0;
	vm->vcpu.seg[SEG_CS] = (struct vcpu_segment){
		.selector = 8, .base = base, .limit = limit,
		.attr = 0x9b | (d32 ? SEG_ATTR_DB : 0),
	};
}

static void put(struct vm *vm, uint64_t gpa, const void *b, size_t n)
{
	assert_int_equal(vm_write_phys(vm, gpa, b, n), 0);
}

static void test_insn_fetch_32bit(void **state)
{
	struct vm *vm = *state;
	static const uint8_t inc[] = { 0x40 };              /* inc eax */
	static const uint8_t mov[] = { 0xb8, 1, 2, 3, 4 };  /* mov eax, imm32 */
	struct insn in;

	use_code_segment(vm, CS_BASE, 0xffff, true);
	/* 0x40 is inc eax in 32-bit code (a REX prefix in 64-bit code);
	 * the bytes are at CS.base + EIP; in.rip is EIP. */
	put(vm, CS_BASE + 0x10, inc, sizeof(inc));
	assert_int_equal(insn_fetch(vm, 0x10, &in), DECODE_OK);
	assert_int_equal(in.id, X86_INS_INC);
	assert_int_equal(in.size, 1);
	assert_int_equal(in.rip, 0x10);
	/* An instruction that ends at the limit is whole ... */
	put(vm, CS_BASE + 0xfffb, mov, sizeof(mov));
	assert_int_equal(insn_fetch(vm, 0xfffb, &in), DECODE_OK);
	assert_int_equal(in.size, 5);
	assert_false(vm->vcpu.exception.pending);
	/* ... one that runs past it is #GP(0), not a #PF ... */
	put(vm, CS_BASE + 0xfffd, mov, sizeof(mov));
	assert_int_equal(insn_fetch(vm, 0xfffd, &in), DECODE_FAULT);
	assert_int_equal(vm->vcpu.exception.vector, T_GP);
	assert_int_equal(vm->vcpu.exception.error, 0);
	vm->vcpu.exception.pending = false;
	/* ... and so is an EIP past the limit. */
	assert_int_equal(insn_fetch(vm, 0x10000, &in), DECODE_FAULT);
	assert_int_equal(vm->vcpu.exception.vector, T_GP);
	vm->vcpu.exception.pending = false;
	/* 16-bit code: b8 is mov ax, imm16. */
	use_code_segment(vm, CS_BASE, 0xffff, false);
	assert_int_equal(insn_fetch(vm, 0xfffb, &in), DECODE_OK);
	assert_int_equal(in.id, X86_INS_MOV);
	assert_int_equal(in.size, 3);
	/* CS.base + EIP wraps at 4 GiB. */
	use_code_segment(vm, 0xfffff000, 0xffffffff, true);
	put(vm, 0x20, inc, sizeof(inc));
	assert_int_equal(insn_fetch(vm, 0x1020, &in), DECODE_OK);
	assert_int_equal(in.id, X86_INS_INC);
	assert_int_equal(in.rip, 0x1020);
}

/* Under 32-bit paging: an instruction that runs into a missing page. */
static void test_insn_fetch_32bit_paged(void **state)
{
	struct vm *vm = *state;
	static const uint8_t code[] = { 0x40, 0xb8, 1 }; /* inc; mov ... */
	uint64_t page = 0x400000;
	struct insn in;

	use_32bit(vm, 0, PD32_GPA);
	use_code_segment(vm, 0x1000, 0xffffffff, true);
	vm->vcpu.cr0 = CR0_PE | CR0_PG | CR0_WP;
	gpt32_map(vm, page, 0x200000, 0);
	put(vm, 0x200ffd, code, sizeof(code));
	/* inc eax ends before the page does. */
	assert_int_equal(insn_fetch(vm, page + 0xffd - 0x1000, &in),
			 DECODE_OK);
	assert_int_equal(in.id, X86_INS_INC);
	/* mov eax, imm32 needs the next page: #PF there, without I/D. */
	assert_int_equal(insn_fetch(vm, page + 0xffe - 0x1000, &in),
			 DECODE_FAULT);
	assert_int_equal(vm->vcpu.exception.vector, T_PF);
	assert_int_equal(vm->vcpu.exception.error, 0);
	assert_int_equal(vm->vcpu.cr2, page + PAGE_4K);
}

/*
 * insn_fetch reads a trapping instruction through the shadow's entry for
 * its page, and keeps the last such page (walk.c's fetch memo).  Each
 * change to the shadow must end the memo: the fetch after it must see
 * what a lookup sees now.  The guest's leaf is moved between two frames
 * holding different instructions; until the shadow hears of it, the
 * fetch reads the old frame (the shadow is a TLB: that proves the memo is
 * in use), and after each kind of change, the new one.
 */
static void fake_switch_view(struct vm *vm)
{
	(void)vm;
}

/* An engine with a TLB per view, as softcpu: a change of view empties
 * nothing, and is no flush. */
static const struct engine view_engine = {
	.name = "fake with views",
	.flush = fake_flush,
	.switch_view = fake_switch_view,
	.ram_written = fake_ram_written,
};

static unsigned fetch_id(struct vm *vm, uint64_t rip)
{
	struct insn in;

	assert_int_equal(insn_fetch(vm, rip, &in), DECODE_OK);
	return in.id;
}

static void test_insn_fetch_memo_follows_the_shadow(void **state)
{
	struct vm *vm = *state;
	uint64_t va = 0x400000, rip = va + 0x10;
	uint64_t a = 0x200000, b = 0x201000, *pte;
	struct insn in;

	vm->engine = &view_engine;
	vm->vcpu.seg[SEG_CS] = (struct vcpu_segment){
		.selector = 8, .limit = 0xffffffff, .attr = 0x9b | SEG_ATTR_L,
	};
	put(vm, a + 0x10, (const uint8_t[]){ 0xfa }, 1); /* cli */
	put(vm, b + 0x10, (const uint8_t[]){ 0xfb }, 1); /* sti */
	pte = gpt_map(vm, va, a, 1, PTE_W);
	assert_int_equal(shadowpt_fault(vm, va, PFEC_I | PFEC_U),
			 SHADOW_FILLED);
	assert_int_equal(fetch_id(vm, rip), X86_INS_CLI);
	/* The guest remaps the page, and says nothing: the TLB's frame. */
	*pte = b | PTE_P | PTE_W | PTE_A;
	assert_int_equal(fetch_id(vm, rip), X86_INS_CLI);
	/* A drop (invlpg): the guest's walk, the new frame. */
	shadowpt_invlpg(vm, va);
	assert_int_equal(fetch_id(vm, rip), X86_INS_STI);
	/* A fill: the shadow maps b, then a again (a write's fault refills
	 * a present leaf from the guest's walk, with no drop before it). */
	assert_int_equal(shadowpt_fault(vm, va, PFEC_I | PFEC_U),
			 SHADOW_FILLED);
	assert_int_equal(fetch_id(vm, rip), X86_INS_STI);
	*pte = a | PTE_P | PTE_W | PTE_A;
	assert_int_equal(shadowpt_fault(vm, va, PFEC_P | PFEC_W | PFEC_U),
			 SHADOW_FILLED);
	assert_int_equal(fetch_id(vm, rip), X86_INS_CLI);
	/* A change of view (no flush: each view keeps its entries, and
	 * its memo): at CPL 3 the user view, empty, and the guest's
	 * supervisor page refuses the fetch; back at CPL 0, the
	 * supervisor view's page again. */
	seen.flushes = 0;
	vm->vcpu.cpl = 3;
	shadowpt_switch_view(vm);
	assert_int_equal(seen.flushes, 0);
	assert_int_equal(insn_fetch(vm, rip, &in), DECODE_FAULT);
	assert_int_equal(vm->vcpu.exception.vector, T_PF);
	vm->vcpu.exception.pending = false;
	vm->vcpu.cpl = 0;
	shadowpt_switch_view(vm);
	assert_int_equal(fetch_id(vm, rip), X86_INS_CLI);
	/* A CR3 load (the same tables, remapped): the new frame. */
	*pte = b | PTE_P | PTE_W | PTE_A;
	shadowpt_load_cr3(vm);
	assert_int_equal(fetch_id(vm, rip), X86_INS_STI);
	vm->engine = &fake_engine;
}

/*
 * insn_peek, the trace's look at the instruction behind a #PF or #UD:
 * the same bytes as insn_fetch, but no accessed bit set, and what
 * insn_fetch would raise (a #PF on the next page, #GP past CS.limit)
 * is not raised.
 */
static void test_insn_peek_changes_nothing(void **state)
{
	struct vm *vm = *state;
	static const uint8_t code[] = { 0x40, 0xb8, 1 }; /* inc; mov ... */
	uint64_t page = 0x400000;
	uint32_t *pte, *pde, pte0, pde0;
	struct insn in;

	use_32bit(vm, 0, PD32_GPA);
	use_code_segment(vm, 0x1000, 0xffffffff, true);
	vm->vcpu.cr0 = CR0_PE | CR0_PG | CR0_WP;
	pte = gpt32_map(vm, page, 0x200000, 0);
	pde = gpt32_pde(vm, page);
	pte0 = *pte;
	pde0 = *pde;
	vm->vcpu.cr2 = 0x1234;
	put(vm, 0x200ffd, code, sizeof(code));
	seen.writes = 0; /* put() told the engine */
	assert_true(insn_peek(vm, page + 0xffd - 0x1000, &in));
	assert_int_equal(in.id, X86_INS_INC);
	assert_int_equal(in.rip, page + 0xffd - 0x1000);
	/* mov eax, imm32 runs into the unmapped page: no instruction. */
	assert_false(insn_peek(vm, page + 0xffe - 0x1000, &in));
	/* EIP past CS.limit: no instruction either. */
	vm->vcpu.seg[SEG_CS].limit = 0xfff;
	assert_false(insn_peek(vm, 0x2000, &in));
	assert_false(vm->vcpu.exception.pending);
	assert_int_equal(vm->vcpu.cr2, 0x1234);
	assert_int_equal(*pte, pte0);
	assert_int_equal(*pde, pde0);
	assert_int_equal(seen.writes, 0);
	/* The guest's own fetch sets A on both levels. */
	vm->vcpu.seg[SEG_CS].limit = 0xffffffff;
	assert_int_equal(insn_fetch(vm, page + 0xffd - 0x1000, &in),
			 DECODE_OK);
	assert_true(*pte & PTE_A);
	assert_true(*pde & PTE_A);
}

/*
 * An engine whose fills never take: it reports the same #PF, with not one
 * instruction retired, however often the shadow is filled.  The
 * dispatcher must stop the VM with VM_EXIT_MONITOR_BUG, not abort().
 */
static unsigned stuck_runs;

static void stuck_run(struct vm *vm, struct vm_exit *x)
{
	(void)vm;
	stuck_runs++;
	memset(x, 0, sizeof(*x));
	x->reason = EXIT_EXCEPTION;
	x->rip = 0x400010;
	x->exc.vector = T_PF;
	x->exc.has_error = true;
	x->exc.error = PFEC_U;
	x->exc.address = 0x400000;
}

static const struct engine stuck_engine = {
	.name = "stuck",
	.run = stuck_run,
	.flush = fake_flush,
	.ram_written = fake_ram_written,
};

static void test_fill_that_never_takes_stops_the_vm(void **state)
{
	struct vm *vm = *state;

	gpt_map(vm, 0x400000, 0x200000, 1, PTE_W);
	vm->engine = &stuck_engine;
	stuck_runs = 0;
	assert_int_equal(vm_run(vm), VM_EXIT_MONITOR_BUG);
	assert_true(vm->stopped);
	assert_true(stuck_runs > 1 && stuck_runs < 100);
	vm->engine = &fake_engine;
}

/* ------------------------------------------------------------------
 * The picture (shadowpt/paging_dot.c): the guest's tree beside the
 * shadow's, with every leaf's state marked.
 */

/* paging_dot's whole output, as a string to free. */
static char *dot_of(struct vm *vm)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	assert_non_null(f);
	assert_int_equal(paging_dot(vm, f), 0);
	assert_int_equal(fclose(f), 0);
	return text;
}

/*
 * Does the first row that holds key (the guest's tree comes first) also
 * hold state before the next row's addresses begin?
 */
static bool row_says(const char *dot, const char *key, const char *state)
{
	const char *row = strstr(dot, key);
	const char *next, *at;

	if (!row)
		return false;
	next = strstr(row + strlen(key), "va 0x");
	at = strstr(row, state);
	return at && (!next || at < next);
}

static void test_dot_4level_states(void **state)
{
	struct vm *vm = *state;

	/* clean and writable, read first: read-only until D is set */
	gpt_map(vm, 0x400000, 0x200000, 1, PTE_W);
	assert_int_equal(shadowpt_fault(vm, 0x400000, 0), SHADOW_FILLED);
	/* dirty user page filled at CPL 0: filled there, not in user view */
	gpt_map(vm, 0x402000, 0x202000, 1, PTE_W | PTE_U | PTE_D);
	assert_int_equal(shadowpt_fault(vm, 0x402000, PFEC_W), SHADOW_FILLED);
	/* a supervisor page never reaches the user view */
	gpt_map(vm, 0x404000, 0x204000, 1, PTE_W | PTE_D);
	/* filled, then remapped without invlpg: stale */
	uint64_t *e = gpt_map(vm, 0x406000, 0x206000, 1, PTE_W | PTE_D);
	assert_int_equal(shadowpt_fault(vm, 0x406000, 0), SHADOW_FILLED);
	*e = (*e & ~PTE_ADDR_MASK) | 0x306000;

	char *dot = dot_of(vm);
	assert_non_null(strstr(dot, "digraph paging {"));
	assert_non_null(strstr(dot, "the guest's page tables: 4-level paging"));
	assert_true(row_says(dot, "va 0x400000-0x400fff<BR/>pa 0x200000",
			     "S: read-only (for D)"));
	assert_true(row_says(dot, "va 0x400000-0x400fff<BR/>pa 0x200000",
			     "U: none: supervisor page"));
	assert_true(row_says(dot, "va 0x402000-0x402fff<BR/>pa 0x202000",
			     "S: filled"));
	assert_true(row_says(dot, "va 0x402000-0x402fff<BR/>pa 0x202000",
			     "U: not filled"));
	assert_true(row_says(dot, "va 0x404000-0x404fff<BR/>pa 0x204000",
			     "S: not filled"));
	assert_true(row_says(dot, "va 0x406000-0x406fff<BR/>pa 0x306000",
			     "S: STALE"));
	/* the shadow's side: its leaf still maps the old frame */
	assert_true(row_says(dot, "va 0x406000-0x406fff<BR/>pa 0x206000",
			     "STALE: the guest's entry changed"));
	assert_non_null(strstr(dot, "read-only: a write faults first, for D"));
	/* nothing was set in the guest's entries by drawing them */
	assert_false(*gpt_entry(vm, 0x404000, 1) & PTE_A);
	free(dot);
}

static void test_dot_32bit_and_pae(void **state)
{
	struct vm *vm = *state;
	char *dot;

	use_32bit(vm, CR4_PSE, PD32_GPA);
	gpt32_map(vm, 0xc0001000, 0x5000, PTE_W | PTE_D);
	*gpt32_pde(vm, 0x800000) = 0x800000 | PTE_P | PTE_W | PTE_PS | PTE_D;
	assert_int_equal(shadowpt_fault(vm, 0x801000, 0), SHADOW_FILLED);
	assert_int_equal(shadowpt_fault(vm, 0xc0001000, 0), SHADOW_FILLED);
	dot = dot_of(vm);
	assert_non_null(strstr(dot, "the guest's page tables: 32-bit paging"));
	assert_true(row_says(dot, "va 0x800000-0xbfffff<BR/>pa 0x800000",
			     "S: 1 of 1024 filled"));
	assert_true(row_says(dot, "va 0xc0001000-0xc0001fff<BR/>pa 0x5000",
			     "S: filled"));
	assert_non_null(strstr(dot, "shadows a large page"));
	free(dot);

	use_pae(vm, 0, EFER_NXE);
	gpt_pae_map(vm, 0x40200000, 0x600000, 2, PTE_W | PTE_U);
	assert_int_equal(shadowpt_fault(vm, 0x40200000, 0), SHADOW_FILLED);
	dot = dot_of(vm);
	assert_non_null(strstr(dot, "the guest's page tables: PAE paging"));
	assert_non_null(strstr(dot, "PDPTE registers"));
	assert_true(row_says(dot, "va 0x40200000-0x403fffff<BR/>pa 0x600000",
			     "S: 1 of 512 filled, 1 read-only"));
	/* a PDPTE has no U/S bit: the page is a user page */
	assert_true(row_says(dot, "va 0x40200000-0x403fffff<BR/>pa 0x600000",
			     "U: not filled"));
	free(dot);
}

/* A large or looping guest gives a picture of bounded size. */
static void test_dot_bounded(void **state)
{
	struct vm *vm = *state;

	/* 3000 pages whose rights alternate: no two make one run */
	for (uint64_t i = 0; i < 3000; i++)
		gpt_map(vm, 0x10000000 + i * PAGE_4K, 0x100000 + i * PAGE_4K,
			1, (i & 1) ? PTE_W : PTE_U);
	/* and a PML4 entry that names the PML4 itself: a loop */
	*gpt_at(vm, PML4_GPA + 8 * 200) = PML4_GPA | PTE_P | PTE_W;
	char *dot = dot_of(vm);
	assert_non_null(strstr(dot, "more present entries"));
	assert_true(strlen(dot) < 150000);
	free(dot);
}

static void test_dot_paging_off_and_nested(void **state)
{
	struct vm *vm = *state;
	static const struct engine nested = { .name = "hw",
					      .nested_paging = true };
	char *dot;

	vm->vcpu.cr0 &= ~CR0_PG;
	vm->vcpu.efer &= ~EFER_LMA;
	shadowpt_flush_all(vm);
	assert_int_equal(shadowpt_fault(vm, 0x3000, 0), SHADOW_FILLED);
	dot = dot_of(vm);
	assert_non_null(strstr(dot, "paging off (CR0.PG = 0)"));
	assert_non_null(strstr(dot, "agrees with the guest"));
	free(dot);
	vm->engine = &nested;
	dot = dot_of(vm);
	assert_non_null(strstr(dot, "none: the hw engine's CPU walks"));
	free(dot);
	vm->engine = &fake_engine;
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

/* insn_fetch hands its bytes to Capstone. */
static int open_isa(void **state)
{
	(void)state;
	return isa_init();
}

static int close_isa(void **state)
{
	(void)state;
	isa_fini();
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_walk_4k),
		T(test_walk_2m),
		T(test_walk_1g),
		T(test_walk_user_supervisor),
		T(test_walk_write_protect),
		T(test_walk_nx),
		T(test_walk_not_present),
		T(test_walk_reserved_and_outside),
		T(test_walk_paging_off),
		T(test_walk_peek_sets_nothing),
		T(test_debugger_leaves_accessed_dirty),
		T(test_gva_across_pages),
		T(test_gva_write_faults_before_writing),
		T(test_gva_user_and_implicit),
		T(test_gva_non_canonical),
		T(test_gva_outside_ram_kills),
		T(test_gva_notes_watchpoints),
		T(test_shadow_init),
		T(test_shadow_fill_clean_then_dirty),
		T(test_shadow_dirty_maps_writable),
		T(test_shadow_write_protect),
		T(test_shadow_nx),
		T(test_shadow_true_fault),
		T(test_shadow_user_view_refuses_supervisor),
		T(test_shadow_bad_phys),
		T(test_shadow_mmio_frame),
		T(test_shadow_invlpg),
		T(test_shadow_invlpg_large),
		T(test_shadow_flush_all),
		T(test_cr3_keeps_only_global_entries),
		T(test_cr3_without_pge_drops_all),
		T(test_cr3_switch_and_back),
		T(test_cr3_cache_is_bounded),
		T(test_walk32_4k),
		T(test_walk32_4m),
		T(test_walk32_rights),
		T(test_gva_32bit_wraps),
		T(test_shadow32_global_and_4m),
		T(test_walk_pae_4k_2m),
		T(test_walk_pae_nx_and_reserved),
		T(test_pae_pdpte_load),
		T(test_cr3_keys_per_format),
		T(test_shadow32_mmio_frame),
		T(test_insn_fetch_32bit),
		T(test_insn_fetch_32bit_paged),
		T(test_insn_peek_changes_nothing),
		T(test_insn_fetch_memo_follows_the_shadow),
		T(test_fill_that_never_takes_stops_the_vm),
		T(test_dot_4level_states),
		T(test_dot_32bit_and_pae),
		T(test_dot_bounded),
		T(test_dot_paging_off_and_nested),
	};

	return cmocka_run_group_tests(tests, open_isa, close_isa);
}
