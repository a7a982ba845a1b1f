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

/* After a run of a snippet: a hidden #PF is filled as the dispatcher
 * would, and the snippet must run again (true); anything else must be
 * the int3 that ends it. */
static bool filled(const struct vm_exit *x)
{
	if (x->reason == EXIT_EXCEPTION && x->exc.vector == T_PF) {
		assert_int_equal(shadowpt_fault(&vm, x->exc.address,
						x->exc.error),
				 SHADOW_FILLED);
		return true;
	}
	assert_int_equal(x->reason, EXIT_EXCEPTION);
	assert_int_equal(x->exc.vector, T_BP);
	return false;
}

/* Run the snippet, filling the shadow on hidden faults, and return what
 * it read. */
static uint32_t read_at(uint64_t va)
{
	struct vm_exit x;

	do
		x = run_once(va);
	while (filled(&x));
	return (uint32_t)v->regs[GPR_RAX];
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
		assert_int_equal(t->e[i].wvpn, SC_TLB_EMPTY);
		assert_false(t->e[i].frame & TLB_LISTED);
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

/*
 * Stores and decoded code (mmu.c): a store's fast path compares an
 * entry's write tag only, so the tag must be gone from every entry of a
 * page that holds decoded code.  The invariants of every entry of both
 * tables, checked after each step of the tests below: an entry in use
 * sits in its page's slot, grants TLB_R (a read's fast path compares
 * nothing more), and is on its table's list; an entry with a write tag
 * has it equal to its vpn, TLB_W, no TLB_ROM, and maps a RAM page that
 * holds no decoded code.
 */
static void assert_tlb_invariants(const struct sc_cpu *c)
{
	assert_int_equal(sizeof(struct sc_tlb), 1u << SC_TLB_SHIFT);
	for (unsigned v = 0; v < SHADOW_NVIEWS; v++) {
		const struct sc_tlb_view *t = &c->views[v];
		unsigned listed = 0;
		for (unsigned i = 0; i < SC_TLB_SIZE; i++) {
			const struct sc_tlb *e = &t->e[i];
			listed += !!(e->frame & TLB_LISTED);
			if (e->vpn == SC_TLB_EMPTY) {
				assert_int_equal(e->wvpn, SC_TLB_EMPTY);
				continue;
			}
			assert_int_equal(e->vpn & (SC_TLB_SIZE - 1), i);
			assert_true(e->frame & TLB_R);
			assert_true(e->frame & TLB_LISTED);
			assert_ptr_equal(sc_tlb_host(e),
					 gm_ptr(&vm.mem, sc_tlb_gpa(e), 1));
			if (e->wvpn == SC_TLB_EMPTY)
				continue;
			assert_int_equal(e->wvpn, e->vpn);
			assert_true(e->frame & TLB_W);
			assert_false(e->frame & TLB_ROM);
			assert_int_equal(c->page_code[sc_tlb_ram(c, e) >>
						      PAGE_4K_SHIFT], 0);
		}
		assert_int_equal(listed, t->nfilled);
	}
}

/* The entry of linear va in view's table. */
static const struct sc_tlb *entry_of(enum shadow_view view, uint64_t va)
{
	const struct sc_cpu *c = vm.engine_data;

	return &c->views[view].e[(va >> PAGE_4K_SHIFT) & (SC_TLB_SIZE - 1)];
}

/* Run from rip with rdi and rax, filling the shadow on hidden faults as
 * the dispatcher would, up to an int3; return rax then. */
static uint64_t run_at(uint64_t rip, uint64_t rdi, uint64_t rax)
{
	for (;;) {
		struct vm_exit x;
		memset(&x, 0, sizeof(x));
		v->rip = rip;
		v->regs[GPR_RDI] = rdi;
		v->regs[GPR_RAX] = rax;
		vm.engine->run(&vm, &x);
		if (filled(&x))
			continue;
		assert_tlb_invariants(vm.engine_data);
		return v->regs[GPR_RAX];
	}
}

#define STORE (CODE + 0x100) /* mov [rdi], al; int3 */
#define CODE_AT (DATA + 0x20) /* mov al, imm8; int3 (imm8 at +1) */

/* Put the store at STORE and the code at CODE_AT, which loads 5. */
static void put_store_and_code(void)
{
	static const uint8_t st[] = { 0x88, 0x07, 0xcc };
	static const uint8_t mov[] = { 0xb0, 0x05, 0xcc };

	assert_int_equal(vm_write_phys(&vm, STORE, st, sizeof(st)), 0);
	assert_int_equal(vm_write_phys(&vm, CODE_AT, mov, sizeof(mov)), 0);
}

/* A page whose code is decoded after its TLB entry was filled writable
 * loses the entry's write tag: the store that follows takes the general
 * path and drops the code, and the next run of that code sees the new
 * byte.  With the tag left, the store would go straight to the page and
 * the stale record would load 5 again. */
static void test_code_page_loses_write_tag(void **state)
{
	const struct sc_tlb *e = entry_of(VIEW_SUPERVISOR, DATA);
	(void)state;

	put_store_and_code();
	run_at(STORE, CODE_AT + 0x10, 0x11); /* DATA's entry: writable */
	assert_int_equal(e->vpn, DATA >> PAGE_4K_SHIFT);
	assert_int_equal(e->wvpn, DATA >> PAGE_4K_SHIFT);
	assert_int_equal(run_at(CODE_AT, 0, 0), 5); /* decoded... */
	assert_int_equal(e->vpn, DATA >> PAGE_4K_SHIFT); /* ...no fill */
	assert_int_equal(e->wvpn, SC_TLB_EMPTY);
	run_at(STORE, CODE_AT + 1, 7);
	assert_int_equal(run_at(CODE_AT, 0, 0), 7);
	/* A second store: the first dropped the code, and gave the tag
	 * back; the code decoded again took it once more. */
	assert_int_equal(e->wvpn, SC_TLB_EMPTY);
	run_at(STORE, CODE_AT + 1, 8);
	assert_int_equal(e->wvpn, DATA >> PAGE_4K_SHIFT);
	run_at(STORE, CODE_AT + 1, 9); /* the fast path */
	assert_int_equal(run_at(CODE_AT, 0, 0), 9);
}

/* The same frame under another linear address, in the other view's
 * table: decoding the code at CPL 0 must take the write tag from the
 * user view's entry of the alias too. */
static void test_alias_in_other_view_loses_write_tag(void **state)
{
	const uint64_t alias = DATA + 0x2000;
	const struct sc_tlb *e = entry_of(VIEW_USER, alias);
	(void)state;

	put_store_and_code();
	*guest_pte(alias) = DATA | PTE_P | PTE_W | PTE_U | PTE_A | PTE_D;
	set_cpl(3);
	run_at(STORE, alias + 0x30, 0x11);
	assert_int_equal(e->wvpn, alias >> PAGE_4K_SHIFT);
	set_cpl(0);
	assert_int_equal(run_at(CODE_AT, 0, 0), 5);
	assert_int_equal(e->wvpn, SC_TLB_EMPTY);
	set_cpl(3);
	run_at(STORE, alias + 0x21, 6); /* CODE_AT + 1, through the alias */
	set_cpl(0);
	assert_int_equal(run_at(CODE_AT, 0, 0), 6);
}

/* A store or a read that crosses into the next page never takes the
 * fast path, with both pages' entries filled: the tag compared is the
 * last byte's page, which no entry of the first page's slot holds.  The
 * next page is pointed at a frame that is not the next one in RAM, so
 * that one host access across the boundary would show. */
static void test_crossing_takes_both_pages(void **state)
{
	/* mov [rdi], eax; mov ecx, [rdi]; int3 */
	static const uint8_t st[] = { 0x89, 0x07, 0x8b, 0x0f, 0xcc };
	const uint64_t far = DATA + 0x5000;
	uint8_t lo[2], hi[2];
	uint32_t other;
	(void)state;

	assert_int_equal(vm_write_phys(&vm, STORE, st, sizeof(st)), 0);
	*guest_pte(OTHER) = far | PTE_P | PTE_W | PTE_U | PTE_A | PTE_D;
	run_at(STORE, DATA, 0);    /* both pages' entries, writable */
	run_at(STORE, OTHER, 0);
	assert_int_equal(entry_of(VIEW_SUPERVISOR, OTHER)->wvpn,
			 OTHER >> PAGE_4K_SHIFT);
	run_at(STORE, OTHER - 2, 0xaabbccdd);
	assert_int_equal((uint32_t)v->regs[GPR_RCX], 0xaabbccdd);
	assert_int_equal(gm_read(&vm.mem, DATA + PAGE_4K - 2, lo, 2), 0);
	assert_int_equal(gm_read(&vm.mem, far, hi, 2), 0);
	assert_int_equal(lo[0], 0xdd);
	assert_int_equal(lo[1], 0xcc);
	assert_int_equal(hi[0], 0xbb);
	assert_int_equal(hi[1], 0xaa);
	assert_int_equal(gm_read(&vm.mem, OTHER, &other, 4), 0);
	assert_int_equal(other, B); /* the frame after DATA's: untouched */
}

/* The BIOS area is ROM: its entry has no write tag, and a store the
 * shadow allows is dropped. */
static void test_rom_has_no_write_tag(void **state)
{
	const uint64_t rom = GM_ROM_BASE + 0x10;
	const struct sc_tlb *e = entry_of(VIEW_SUPERVISOR, rom);
	uint8_t b, b0;
	(void)state;

	put_store_and_code();
	assert_int_equal(gm_read(&vm.mem, rom, &b0, 1), 0);
	run_at(STORE, rom, (uint8_t)~b0);
	run_at(STORE, rom, (uint8_t)~b0);
	assert_int_equal(e->vpn, rom >> PAGE_4K_SHIFT);
	assert_true(e->frame & TLB_ROM);
	assert_false(e->frame & TLB_W);
	assert_int_equal(e->wvpn, SC_TLB_EMPTY);
	assert_int_equal(gm_read(&vm.mem, rom, &b, 1), 0);
	assert_int_equal(b, b0);
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
		T(test_code_page_loses_write_tag),
		T(test_alias_in_other_view_loses_write_tag),
		T(test_crossing_takes_both_pages),
		T(test_rom_has_no_write_tag),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
