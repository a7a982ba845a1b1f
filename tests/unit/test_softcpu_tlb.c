/*
 * tests/unit/test_softcpu_tlb.c - softcpu's two TLBs, one per view of the
 * shadow (engines/softcpu/mmu.c, "The TLBs and the shadow").
 *
 * Each test boots a fresh VM in the state of monitor/boot.h, then makes
 * its code page (a 2 MiB page at CODE) and a table of 4 KiB pages at DATA
 * open to the guest's user mode, so that the same code reads the same
 * page at virtual CPL 0 (the supervisor view) and at CPL 3 (the user
 * view).  A change of CPL is what the interpreter does: set vcpu.cpl,
 * then shadowpt_switch_view().
 *
 * The TLBs are seen from outside by what the guest reads: a shadow leaf
 * pointed at another frame behind the engine's back shows whether the
 * engine still uses its copy.  A change of view must keep both TLBs;
 * invlpg, a CR3 load, a #PF and a full flush must reach every TLB that
 * may hold the page, whichever view runs.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "isa/arch.h"
#include "engines/softcpu/softcpu.h"
#include "core/engine.h"
#include "core/exit.h"
#include "core/vm.h"
#include "monitor/boot.h"
#include "monitor/loader.h"
#include "monitor/machine.h"
#include "shadowpt/shadowpt.h"
#include "tests/unit/support/shadow.h"

#define CODE 0x200000ULL  /* PD[1]: a 2 MiB page */
#define DATA 0x400000ULL  /* PD[2]: 4 KiB pages, from PT_GPA */
#define OTHER 0x401000ULL /* the next page, another frame */
#define PT_GPA 0x20000ULL /* the guest's page table for DATA's 2 MiB */
#define A 0x11111111u     /* what DATA holds */
#define B 0x22222222u     /* what OTHER holds */

static struct vm vm;
static struct vcpu *v = &vm.vcpu;

/* mov eax, [rdi]; int3 */
static const uint8_t rd[] = { 0x8b, 0x07, 0xcc };

static uint64_t *guest_table(uint64_t gpa)
{
	uint64_t *t = gm_ptr(&vm.mem, gpa, PAGE_4K);

	assert_non_null(t);
	return t;
}

/* The guest's PTE of a page in DATA's 2 MiB. */
static uint64_t *guest_pte(uint64_t va)
{
	return &guest_table(PT_GPA)[PT_INDEX(va, 1)];
}

static int setup(void **state)
{
	struct vm_options opt = { .mem_mib = 8, .engine = "softcpu" };
	char why[200];
	uint32_t a = A, b = B;
	(void)state;

	if (vm_create(&vm, &opt, -1, why, sizeof(why)) < 0)
		return -1;
	boot_setup(&vm, CODE, "");
	vm.engine = &engine_softcpu;
	if (engine_softcpu.init(&vm, why, sizeof(why)) < 0)
		return -1;
	/* User mode may use PML4[0], PDPT[0], the code's 2 MiB page and
	 * the 4 KiB pages of DATA's. */
	guest_table(BOOT_PML4)[0] |= PTE_U;
	guest_table(BOOT_PDPT)[0] |= PTE_U;
	guest_table(BOOT_PD)[PT_INDEX(CODE, 2)] |= PTE_U;
	guest_table(BOOT_PD)[PT_INDEX(DATA, 2)] = PT_GPA | PTE_P | PTE_W |
						  PTE_U;
	for (unsigned i = 0; i < PT_ENTRIES; i++)
		guest_table(PT_GPA)[i] = (DATA + i * PAGE_4K) | PTE_P | PTE_W |
					 PTE_U | PTE_A | PTE_D;
	assert_int_equal(vm_write_phys(&vm, CODE, rd, sizeof(rd)), 0);
	assert_int_equal(vm_write_phys(&vm, DATA, &a, 4), 0);
	assert_int_equal(vm_write_phys(&vm, OTHER, &b, 4), 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	vm_destroy(&vm);
	return 0;
}

/* Change the virtual CPL as the interpreter does. */
static void set_cpl(unsigned cpl)
{
	vm.vcpu.cpl = (uint8_t)cpl;
	shadowpt_switch_view(&vm);
	assert_ptr_equal(vm.spt->current, vm.spt->root[cpl == 3 ? VIEW_USER
							       : VIEW_SUPERVISOR]);
}

/* One run() of the snippet at CODE reading va, nothing filled. */
static struct vm_exit run_once(uint64_t va)
{
	struct vm_exit x;

	memset(&x, 0, sizeof(x));
	v->rip = CODE;
	v->regs[GPR_RDI] = va;
	vm.engine->run(&vm, &x);
	return x;
}

/* Run the snippet, filling the shadow on hidden faults as the
 * dispatcher would, and return what it read. */
static uint32_t read_at(uint64_t va)
{
	for (;;) {
		struct vm_exit x = run_once(va);
		if (x.reason == EXIT_EXCEPTION && x.exc.vector == T_PF) {
			assert_int_equal(shadowpt_fault(&vm, x.exc.address,
							x.exc.error),
					 SHADOW_FILLED);
			continue;
		}
		assert_int_equal(x.reason, EXIT_EXCEPTION);
		assert_int_equal(x.exc.vector, T_BP);
		return (uint32_t)v->regs[GPR_RAX];
	}
}

/* The snippet must stop with the engine's #PF at va, error err. */
static void expect_pf(uint64_t va, uint32_t err)
{
	struct vm_exit x = run_once(va);

	assert_int_equal(x.reason, EXIT_EXCEPTION);
	assert_int_equal(x.exc.vector, T_PF);
	assert_int_equal(x.exc.address, va);
	assert_int_equal(x.exc.error, err);
}

/* Point view's shadow leaf of DATA at OTHER's frame, behind the TLB. */
static void repoint_behind(enum shadow_view view)
{
	uint64_t *leaf = shadow_leaf_of(vm.spt->root[view], DATA);

	assert_non_null(leaf);
	*leaf = (*leaf & ~PTE_ADDR_MASK) | OTHER;
}

/* A change of view empties neither TLB: each keeps its entries through
 * a round trip to the other view; a flush of the page reaches both. */
static void test_view_switch_keeps_both(void **state)
{
	(void)state;

	assert_int_equal(read_at(DATA), A); /* CPL 0: the supervisor TLB */
	set_cpl(3);
	assert_int_equal(read_at(DATA), A); /* the user TLB */
	repoint_behind(VIEW_SUPERVISOR);
	set_cpl(0);
	assert_int_equal(read_at(DATA), A); /* its entry survived */
	repoint_behind(VIEW_USER);
	set_cpl(3);
	assert_int_equal(read_at(DATA), A);
	/* Forgetting the page reaches the TLB set aside too. */
	vm.engine->flush(&vm, DATA + 0x10);
	assert_int_equal(read_at(DATA), B);
	set_cpl(0);
	assert_int_equal(read_at(DATA), B);
}

/* In the user view, the kernel's invlpg of a page its own view holds:
 * back at CPL 0 the engine must walk again, and fault. */
static void test_invlpg_in_other_view(void **state)
{
	(void)state;

	assert_int_equal(read_at(DATA), A);
	set_cpl(3);
	assert_int_equal(read_at(DATA), A);
	*guest_pte(DATA) = 0; /* unmapped... */
	shadowpt_invlpg(&vm, DATA); /* ...and forgotten, in the user view */
	set_cpl(0);
	expect_pf(DATA, PFEC_U);
	assert_int_equal(shadowpt_fault(&vm, DATA, PFEC_U),
			 SHADOW_GUEST_FAULT);
	assert_int_equal(vm.vcpu.cr2, DATA);
	vm.vcpu.exception.pending = false;
	set_cpl(3);
	expect_pf(DATA, PFEC_U);
}

/* The kernel takes a page away from user mode (clears U, invlpg) while
 * the supervisor view runs: the user view's entry must go with it. */
static void test_drop_user_entry_from_supervisor(void **state)
{
	(void)state;

	set_cpl(3);
	assert_int_equal(read_at(DATA), A); /* the user TLB holds DATA */
	set_cpl(0);
	assert_int_equal(read_at(DATA), A);
	*guest_pte(DATA) &= ~PTE_U;
	shadowpt_invlpg(&vm, DATA);
	assert_int_equal(read_at(DATA), A); /* still the kernel's */
	set_cpl(3);
	expect_pf(DATA, PFEC_U);
	assert_int_equal(shadowpt_fault(&vm, DATA, PFEC_U),
			 SHADOW_GUEST_FAULT);
	assert_int_equal(vm.vcpu.exception.error, PFEC_P | PFEC_U);
}

/* A CR3 load empties both TLBs: a PTE changed without invlpg shows in
 * both views after it, as on a CPU without PCIDs. */
static void test_cr3_load_empties_both(void **state)
{
	(void)state;

	set_cpl(3);
	assert_int_equal(read_at(DATA), A);
	set_cpl(0);
	assert_int_equal(read_at(DATA), A);
	*guest_pte(DATA) = OTHER | PTE_P | PTE_W | PTE_U | PTE_A | PTE_D;
	assert_int_equal(read_at(DATA), A); /* no invlpg yet: stale, as
					       the CPU's TLB would be */
	shadowpt_load_cr3(&vm);
	assert_int_equal(read_at(DATA), B);
	set_cpl(3);
	assert_int_equal(read_at(DATA), B);
}

/* A #PF forgets the page's entry: the fault may replace the shadow
 * leaf, and the TLB's copy of the old one must not stay. */
static void test_fault_forgets_entry(void **state)
{
	/* add dword [rdi], 1; int3 */
	static const uint8_t add[] = { 0x83, 0x07, 0x01, 0xcc };
	struct sc_cpu *c = vm.engine_data;
	const struct sc_tlb *e = &c->tlb[(DATA >> PAGE_4K_SHIFT) &
					 (SC_TLB_SIZE - 1)];
	(void)state;

	*guest_pte(DATA) &= ~PTE_D; /* clean: the shadow maps it read-only */
	assert_int_equal(read_at(DATA), A);
	assert_int_equal(e->vpn, DATA >> PAGE_4K_SHIFT);
	assert_int_equal(vm_write_phys(&vm, CODE, add, sizeof(add)), 0);
	expect_pf(DATA, PFEC_P | PFEC_W | PFEC_U);
	assert_int_not_equal(e->vpn, DATA >> PAGE_4K_SHIFT);
	/* The guest moved the page without invlpg: the fill that sets D
	 * takes the new frame, and the retried add reads and writes it. */
	*guest_pte(DATA) = OTHER | PTE_P | PTE_W | PTE_U | PTE_A;
	assert_int_equal(shadowpt_fault(&vm, DATA, PFEC_P | PFEC_W | PFEC_U),
			 SHADOW_FILLED);
	struct vm_exit x = run_once(DATA);
	assert_int_equal(x.exc.vector, T_BP);
	assert_int_equal(*(uint32_t *)gm_ptr(&vm.mem, OTHER, 4), B + 1);
	assert_int_equal(*(uint32_t *)gm_ptr(&vm.mem, DATA, 4), A);
}

/* Every slot of TLB t is empty and off the list. */
static void assert_tlb_empty(const struct sc_tlb_view *t)
{
	assert_int_equal(t->nfilled, 0);
	for (unsigned i = 0; i < SC_TLB_SIZE; i++) {
		assert_int_equal(t->e[i].vpn, SC_TLB_EMPTY);
		assert_false(t->e[i].listed);
	}
}

/* Fill the TLB in use with every step-th page of [lo, hi), all of them
 * RAM that the current view may read. */
static void fill_range(struct sc_cpu *c, uint64_t lo, uint64_t hi,
		       uint64_t step)
{
	static struct vm_exit x; /* where a fault would be reported */

	c->exit = &x;
	for (uint64_t va = lo; va < hi; va += step) {
		if (!shadowpt_lookup(&vm, va))
			assert_int_equal(shadowpt_fault(&vm, va, PFEC_U),
					 SHADOW_FILLED);
		assert_non_null(sc_translate(c, va, ACC_READ));
		assert_true(c->views[c->view].nfilled <= SC_TLB_SIZE);
	}
}

/* Emptying a TLB walks its list of filled slots: every slot filled,
 * refilled, dropped by invlpg and filled again must be on it once. */
static void test_empty_reaches_every_slot(void **state)
{
	struct sc_cpu *c = vm.engine_data;
	(void)state;

	/* All of RAM: twice as many pages as slots. */
	fill_range(c, 0, vm.mem.size, PAGE_4K);
	assert_int_equal(c->views[VIEW_SUPERVISOR].nfilled, SC_TLB_SIZE);
	for (uint64_t va = 0; va < vm.mem.size; va += 3 * PAGE_4K)
		vm.engine->flush(&vm, va);
	fill_range(c, 0, vm.mem.size, 5 * PAGE_4K);
	assert_int_equal(c->views[VIEW_SUPERVISOR].nfilled, SC_TLB_SIZE);
	/* The user view maps CODE's and DATA's 2 MiB: 1024 pages. */
	set_cpl(3);
	fill_range(c, CODE, DATA + PAGE_2M, PAGE_4K);
	assert_int_equal(c->views[VIEW_USER].nfilled, SC_TLB_SIZE);
	vm.engine->flush(&vm, SHADOW_FLUSH_ALL);
	assert_tlb_empty(&c->views[VIEW_SUPERVISOR]);
	assert_tlb_empty(&c->views[VIEW_USER]);
	/* A few filled: only those are on the list. */
	assert_int_equal(read_at(DATA), A);
	assert_int_equal(c->views[VIEW_USER].nfilled, 2); /* CODE, DATA */
	assert_int_equal(c->views[VIEW_SUPERVISOR].nfilled, 0);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_view_switch_keeps_both),
		T(test_invlpg_in_other_view),
		T(test_drop_user_entry_from_supervisor),
		T(test_cr3_load_empties_both),
		T(test_fault_forgets_entry),
		T(test_empty_reaches_every_slot),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
