/*
 * tests/unit/test_walk.c - the guest page walk in the two 32-bit paging
 * formats (lab 9, labs/09-paging-formats/README.md).
 *
 * Each test builds a few guest tables in guest RAM, in 32-bit paging
 * (SDM vol. 3, 4.3: 4-byte entries, 10 index bits, 4 MiB pages under
 * CR4.PSE) or in PAE paging (4.4: four PDPTE registers loaded at a CR3
 * write, 8-byte entries, 9 index bits, 2 MiB pages, XD with EFER.NXE),
 * and checks what walk_guest() and the shadow fill make of them against
 * what the CPU does.  Every failure names its case.  The tests are run by
 * name as `build/tests/test_walk NAME` (NAME may end in *), or with
 * `make grade LAB=9 TEST=NAME`.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "core/engine.h"
#include "core/vm.h"
#include "isa/x86.h"
#include "monitor/machine.h"
#include "shadowpt/shadowpt.h"
#include "shadowpt/walk.h"
#include "tests/unit/support/guestpt.h"

#define TABLES_GPA 0x80000ULL /* further tables are taken from here */
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static struct vm the_vm;

static void quiet_ram_written(struct vm *vm, uint64_t gpa, uint64_t len)
{
	(void)vm;
	(void)gpa;
	(void)len;
}

static void quiet_flush(struct vm *vm, uint64_t va)
{
	(void)vm;
	(void)va;
}

static const struct engine fake_engine = {
	.name = "fake",
	.flush = quiet_flush,
	.ram_written = quiet_ram_written,
};

static int setup(void **state)
{
	*state = &the_vm;
	return gpt_vm_make(&the_vm, &fake_engine, TABLES_GPA);
}

static int teardown(void **state)
{
	vm_destroy(*state);
	return 0;
}

/* ------------------------------------------------------------------
 * Checking one walk, with the case named.
 */

/* A hole reached stops the VM (its line is on stderr above). */
static void not_stopped(const struct vm *vm, const char *what)
{
	if (vm->stopped)
		fail_msg("%s: the VM was stopped (a lab hole reached?)", what);
}

/* The walk of va for acc succeeds, at gpa, in a page of size bytes. */
static struct walk_result walk_ok(struct vm *vm, uint64_t va, unsigned acc,
				  uint64_t gpa, uint64_t size,
				  const char *what)
{
	struct walk_result r;

	if (walk_guest(vm, va, acc, &r) < 0) {
		not_stopped(vm, what);
		fail_msg("%s: the walk of %#llx failed with #PF error code "
			 "%#x; it must reach %#llx", what,
			 (unsigned long long)va, r.error,
			 (unsigned long long)gpa);
	}
	not_stopped(vm, what);
	if (r.gpa != gpa)
		fail_msg("%s: %#llx walked to %#llx, must be %#llx", what,
			 (unsigned long long)va, (unsigned long long)r.gpa,
			 (unsigned long long)gpa);
	if (r.page_size != size)
		fail_msg("%s: page size %#llx, must be %#llx", what,
			 (unsigned long long)r.page_size,
			 (unsigned long long)size);
	return r;
}

/* The walk of va for acc fails with this #PF error code. */
static void walk_fails(struct vm *vm, uint64_t va, unsigned acc,
		       uint32_t error, const char *what)
{
	struct walk_result r;

	if (walk_guest(vm, va, acc, &r) == 0) {
		not_stopped(vm, what);
		fail_msg("%s: the walk of %#llx succeeded (to %#llx); it must "
			 "fail with #PF error code %#x", what,
			 (unsigned long long)va, (unsigned long long)r.gpa,
			 error);
	}
	not_stopped(vm, what);
	if (r.error != error)
		fail_msg("%s: #PF error code %#x, must be %#x (P=1, W=2, U=4, "
			 "RSVD=8, I/D=0x10)", what, r.error, error);
}

/* A guest entry's value must be want. */
static void entry_is(uint64_t got, uint64_t want, const char *what)
{
	if (got != want)
		fail_msg("%s: the entry is %#llx, must be %#llx", what,
			 (unsigned long long)got, (unsigned long long)want);
}

/* A page at va mapped to frame, and the read of va + off that must reach
 * frame + off: the walk took the entries va's index bits choose. */
struct index_case {
	uint64_t va, frame, off;
	const char *what;
};

/* Map every case's page (a 4 KiB leaf, writable, in the vCPU's format),
 * then walk each: no case's tables may stand in for another's. */
static void walk_indices(struct vm *vm, const struct index_case *c,
			 size_t n)
{
	bool pae = vm->vcpu.cr4 & CR4_PAE;

	for (size_t i = 0; i < n; i++) {
		if (pae)
			gpt_pae_map(vm, c[i].va, c[i].frame, 1, PTE_W);
		else
			gpt32_map(vm, c[i].va, (uint32_t)c[i].frame, PTE_W);
	}
	for (size_t i = 0; i < n; i++)
		walk_ok(vm, c[i].va + c[i].off, ACC_READ, c[i].frame + c[i].off,
			PAGE_4K, c[i].what);
}

/* ------------------------------------------------------------------
 * 32-bit paging: tables of 1024 4-byte entries.
 */

/* Task 1: 4-byte entries, 10 bits of index per level, A and D. */
static void test_walk32_entries(void **state)
{
	struct vm *vm = *state;
	uint64_t va = 0xc0381000; /* PDE 0x300, PTE 0x381 */

	use_32bit(vm, 0, PD32_GPA);
	uint32_t *pte = gpt32_map(vm, va, 0x200000, PTE_W | PTE_U);
	uint32_t *pde = gpt32_pde(vm, va);
	pte[1] = 0xdeadb000; /* the next entry: not present */
	pte[-1] = 0xfeedf000;
	pde[1] = 0x12345000;
	struct walk_result r = walk_ok(vm, va + 0x234, ACC_READ, 0x200234,
		PAGE_4K, "2-level: 0xc0381234 (PDE 0x300, PTE 0x381 of 4-byte "
		"entries) must reach 0x200234");
	if (r.level != 1)
		fail_msg("2-level: a 4 KiB page's leaf is at level %d, must be 1",
			 r.level);
	if (!(*pde & PTE_A) || !(*pte & PTE_A))
		fail_msg("2-level: a read must set A in the PDE and the PTE");
	if (*pte & PTE_D)
		fail_msg("2-level: a read must not set D");
	entry_is(r.pte, *pte, "2-level: walk_result.pte of a 4 KiB page");
	walk_ok(vm, va, ACC_WRITE | ACC_USER, 0x200000, PAGE_4K,
		"2-level: a user write to 0xc0381000 (PDE and PTE P|W|U)");
	entry_is(*pte, 0x200000 | PTE_P | PTE_W | PTE_U | PTE_A | PTE_D,
		 "2-level: a write sets A and D in the 4-byte PTE");
	if (*pde & PTE_D)
		fail_msg("2-level: a write must set D in the leaf only, not "
			 "in the PDE");
	entry_is(pte[1], 0xdeadb000, "2-level: A/D are written as 4 bytes: "
		 "the next PTE must be unchanged");
	entry_is(pte[-1], 0xfeedf000, "2-level: the PTE before is unchanged");
	entry_is(pde[1], 0x12345000, "2-level: the next PDE is unchanged");
	/* The top ten bits choose the PDE, the next ten the PTE. */
	static const struct index_case ten_and_ten[] = {
		{ 0x00001000, 0x300000, 0x08,
		  "2-level: 0x00001008 (PDE 0, PTE 1)" },
		{ 0x00400000, 0x301000, 0x10,
		  "2-level: 0x00400010 (PDE 1, PTE 0)" },
		{ 0x00200000, 0x302000, 0x18,
		  "2-level: 0x00200018 (PDE 0, PTE 0x200)" },
	};
	walk_indices(vm, ten_and_ten, COUNT(ten_and_ten));
	walk_fails(vm, 0x00002000, ACC_WRITE, PFEC_W,
		   "2-level: a write to 0x00002000 (PTE not present)");
	walk_fails(vm, 0x00800000, ACC_USER, PFEC_U,
		   "2-level: a user read of 0x00800000 (PDE 2 not present)");
}

/* Task 1: CR3 bits 31:12 name the page directory, and nothing else. */
static void test_walk32_cr3(void **state)
{
	struct vm *vm = *state;

	use_32bit(vm, 0, PD32_GPA | CR3_PCD | CR3_PWT | 0xfe0);
	gpt32_map(vm, 0x5000, 0x205000, PTE_W);
	walk_ok(vm, 0x5abc, ACC_READ, 0x205abc, PAGE_4K,
		"2-level: CR3 = 0x70ff8 (PCD, PWT and ignored bits 11:5): "
		"the page directory is at 0x70000");
}

/* Task 1: 4 MiB pages, only with CR4.PSE. */
static void test_walk32_4m_pse(void **state)
{
	struct vm *vm = *state;
	uint64_t va = 0x00712345; /* PDE 1, offset 0x312345 in its 4 MiB */
	uint32_t *pde = gpt32_pde(vm, va);

	use_32bit(vm, CR4_PSE, PD32_GPA);
	*pde = 0x400000 | PTE_P | PTE_W | PTE_PS;
	struct walk_result r = walk_ok(vm, va, ACC_WRITE, 0x712345, PAGE_4M,
		"2-level: a write to 0x00712345 in the 4 MiB page at "
		"0x00400000 (PS=1, CR4.PSE=1)");
	if (r.level != 2)
		fail_msg("2-level: a 4 MiB page's leaf is at level %d, must be 2",
			 r.level);
	if (!(*pde & PTE_D) || !(*pde & PTE_A))
		fail_msg("2-level: a write to a 4 MiB page sets A and D in its "
			 "PDE");
	/* Without CR4.PSE the PS bit is ignored: the PDE names a table. */
	*pde = 0x400000 | PTE_P | PTE_W | PTE_PS;
	use_32bit(vm, 0, PD32_GPA);
	*gpt32_at(vm, 0x400000 + 4 * 0x312) = 0x300000 | PTE_P;
	walk_ok(vm, va, ACC_READ, 0x300345, PAGE_4K,
		"2-level: 4 MiB page at 0x00400000 with CR4.PSE=0 must be "
		"walked as a table");
	/* In a PTE, bit 7 is PAT, not a page size. */
	use_32bit(vm, CR4_PSE, PD32_GPA);
	gpt32_map(vm, 0x1000, 0x201000, PTE_PS);
	walk_ok(vm, 0x1005, ACC_READ, 0x201005, PAGE_4K,
		"2-level: bit 7 of a PTE is PAT: still a 4 KiB page");
}

/* Task 1: a 4 MiB leaf's bits 21:13 are reserved (no PSE-36 here). */
static void test_walk32_4m_reserved(void **state)
{
	struct vm *vm = *state;
	uint64_t va = 0x80000000;
	uint32_t *pde = gpt32_pde(vm, va);

	use_32bit(vm, CR4_PSE, PD32_GPA);
	*pde = 0x400000 | PTE_P | PTE_PS | (1U << 13);
	walk_fails(vm, va, ACC_READ, PFEC_P | PFEC_RSVD,
		   "2-level: a 4 MiB PDE with bit 13 set (reserved without "
		   "PSE-36)");
	*pde = 0x400000 | PTE_P | PTE_PS | (1U << 21);
	walk_fails(vm, va, ACC_WRITE, PFEC_P | PFEC_RSVD | PFEC_W,
		   "2-level: a 4 MiB PDE with bit 21 set (always reserved)");
	*pde = 0x400000 | PTE_P | PTE_PS | (1U << 12);
	walk_ok(vm, va + 0x10, ACC_READ, 0x400010, PAGE_4M,
		"2-level: bit 12 of a 4 MiB PDE is PAT, not reserved nor "
		"part of the frame");
	/* Without PSE those bits are a table's address. */
	use_32bit(vm, 0, PD32_GPA);
	*pde = 0x402000 | PTE_P | PTE_PS;
	*gpt32_at(vm, 0x402000) = 0x300000 | PTE_P;
	walk_ok(vm, va + 0x10, ACC_READ, 0x300010, PAGE_4K,
		"2-level: with CR4.PSE=0, bit 13 of a PDE is the table's "
		"address, not reserved");
}

/* Task 3: 4-byte entries have no XD: EFER.NXE changes nothing. */
static void test_walk32_no_xd(void **state)
{
	struct vm *vm = *state;

	use_32bit(vm, 0, PD32_GPA); /* EFER.NXE = 1 */
	gpt32_map(vm, 0x1000, 0x200000, PTE_U);
	gpt32_map(vm, 0x2000, 0x201000, PTE_W);
	struct walk_result r = walk_ok(vm, 0x1000, ACC_FETCH | ACC_USER,
		0x200000, PAGE_4K, "2-level: a user fetch from a user page");
	if (!r.executable)
		fail_msg("2-level: every page is executable: 4-byte entries "
			 "have no XD bit, whatever EFER.NXE");
	walk_fails(vm, 0x2000, ACC_FETCH | ACC_USER, PFEC_P | PFEC_U,
		   "2-level: a user fetch from a supervisor page with "
		   "EFER.NXE=1 (no I/D: the format has no XD)");
	walk_fails(vm, 0x3000, ACC_FETCH, 0,
		   "2-level: a fetch from a page not present (no I/D)");
}

/* ------------------------------------------------------------------
 * PAE paging: four PDPTE registers, then tables of 512 8-byte entries.
 */

/* Task 2: the four PDPTEs are loaded at a CR3 write, and checked. */
static void test_pae_pdpte_load(void **state)
{
	struct vm *vm = *state;
	static const struct { uint64_t bit; const char *name; } reserved[] = {
		{ PTE_W, "bit 1 (R/W)" }, { PTE_U, "bit 2 (U/S)" },
		{ PTE_A, "bit 5" }, { PTE_D, "bit 6" }, { PTE_PS, "bit 7" },
		{ PTE_G, "bit 8" }, { PTE_NX, "bit 63 (XD)" },
		{ 1ULL << X86_MAXPHYADDR, "bit 39 (MAXPHYADDR)" },
		{ 1ULL << 51, "bit 51" },
	};
	uint64_t good[4] = { 0x5000 | PTE_P, 0, ~PTE_P, 0x6000 | PTE_P |
			     PTE_PWT | PTE_PCD | 0xe00 };
	uint64_t other[4] = { 0x9000 | PTE_P, 0, 0, 0 };
	char what[160];

	/* Not PAE paging: nothing is loaded. */
	vm->vcpu.cr3 = PAE_CR3;
	gpt_put_pdpt(vm, good[0], good[1], good[2], good[3]);
	if (shadowpt_load_pdptes(vm) != 0 || vm->vcpu.pdpte[0] != 0)
		fail_msg("PAE: outside PAE paging (CR0.PG=1, CR4.PAE=0) no "
			 "PDPTE is loaded and the load succeeds");
	vm->vcpu.cr4 = CR4_PAE;
	vm->vcpu.efer = 0;
	/* The other PDPT of the page: CR3 bits 31:5 say which. */
	assert_int_equal(vm_write_phys(vm, PDPT_GPA, other, sizeof(other)), 0);
	/* A not-present PDPTE may hold anything; PWT, PCD and the
	 * ignored bits 11:9 are no reserved bits. */
	if (shadowpt_load_pdptes(vm) != 0)
		fail_msg("PAE: a PDPT with a not-present PDPTE holding ~1 "
			 "and one with PWT, PCD and bits 11:9 set must load");
	not_stopped(vm, "PAE: the PDPTE load");
	for (int i = 0; i < 4; i++)
		if (vm->vcpu.pdpte[i] != good[i])
			fail_msg("PAE: PDPTE %d is %#llx after the load, must be "
				 "%#llx (the PDPT at CR3 bits 31:5 = %#llx)", i,
				 (unsigned long long)vm->vcpu.pdpte[i],
				 (unsigned long long)good[i],
				 (unsigned long long)PAE_CR3);
	for (size_t i = 0; i < COUNT(reserved); i++) {
		gpt_put_pdpt(vm, good[0], good[1], good[2],
			 good[3] | reserved[i].bit);
		snprintf(what, sizeof(what), "PAE: a present PDPTE with %s "
			 "set: the load must fail (#GP)", reserved[i].name);
		if (shadowpt_load_pdptes(vm) != -1)
			fail_msg("%s", what);
		if (memcmp(vm->vcpu.pdpte, good, sizeof(good)))
			fail_msg("%s and leave the four registers as they were",
				 what);
	}
	vm->vcpu.cr3 = 0x40000000; /* outside RAM: reads as all ones */
	if (shadowpt_load_pdptes(vm) != -1)
		fail_msg("PAE: a PDPT outside RAM (all ones) must fail the load");
}

/* Task 2: the walk starts at va's PDPTE register, not at memory. */
static void test_pae_walk_registers(void **state)
{
	struct vm *vm = *state;

	static const struct index_case by_pdpte[] = {
		{ 0x00001000, 0x200000, 0x10,
		  "PAE: 0x00001010 goes through PDPTE 0 (va bits 31:30)" },
		{ 0x40001000, 0x201000, 0x20,
		  "PAE: 0x40001020 goes through PDPTE 1" },
		{ 0x80001000, 0x202000, 0x30,
		  "PAE: 0x80001030 goes through PDPTE 2" },
		{ 0xc0001000, 0x203000, 0x40,
		  "PAE: 0xc0001040 goes through PDPTE 3" },
	};

	use_pae(vm, 0, 0);
	walk_indices(vm, by_pdpte, COUNT(by_pdpte));
	uint64_t pdpte3 = *gpt_at(vm, PAE_CR3 + 24);
	entry_is(*gpt_at(vm, PAE_CR3 + 24), pdpte3,
		 "PAE: PDPTEs have no A bit: the walk never writes them");
	/* Registers, not memory: a changed PDPT counts from the next load. */
	uint64_t pd0 = vm->vcpu.pdpte[0];
	gpt_put_pdpt(vm, 0, 0, 0, 0);
	walk_ok(vm, 0x00001010, ACC_READ, 0x200010, PAGE_4K,
		"PAE: the PDPT in memory cleared without a CR3 write: the "
		"walk still uses the PDPTE registers");
	assert_int_equal(shadowpt_load_pdptes(vm), 0);
	walk_fails(vm, 0x00001010, ACC_WRITE, PFEC_W,
		   "PAE: a write through a PDPTE not present (#PF, P=0)");
	walk_fails(vm, 0xc0001000, ACC_USER, PFEC_U,
		   "PAE: a user read through a PDPTE not present");
	/* A not-present PDPTE is not followed, whatever it holds. */
	gpt_put_pdpt(vm, pd0 & ~PTE_P, 0, 0, 0);
	assert_int_equal(shadowpt_load_pdptes(vm), 0);
	walk_fails(vm, 0x00001010, ACC_READ, 0,
		   "PAE: a PDPTE with P=0 naming a good page directory must "
		   "not be followed");
}

/* Task 2: 9 bits of index per level, and 2 MiB pages (no CR4.PSE). */
static void test_pae_indices_and_2m(void **state)
{
	struct vm *vm = *state;
	uint64_t va = 0xc0b45678; /* PDPTE 3, PDE 5, PTE 0x145 */

	use_pae(vm, 0, 0);
	uint64_t *pte = gpt_pae_map(vm, va, 0x200000, 1, PTE_W | PTE_U);
	uint64_t *pde = gpt_pae_entry(vm, va, 2);
	pte[1] = 0xdeadbeef00000000ULL; /* not present */
	walk_ok(vm, va, ACC_WRITE | ACC_USER, 0x200678, PAGE_4K,
		"PAE: 0xc0b45678 (PDPTE 3, PDE 5, PTE 0x145 of 8-byte entries)");
	if (!(*pde & PTE_A) || !(*pte & PTE_A) || !(*pte & PTE_D))
		fail_msg("PAE: a write sets A in the PDE and the PTE, and D in "
			 "the PTE");
	entry_is(pte[1], 0xdeadbeef00000000ULL,
		 "PAE: the next 8-byte PTE is unchanged");
	/* A 2 MiB page: PS in a PDE, with CR4.PSE clear. */
	uint64_t *big = gpt_pae_map(vm, 0x40000000, 0x600000, 2, PTE_W);
	struct walk_result r = walk_ok(vm, 0x40012345, ACC_WRITE, 0x612345,
		PAGE_2M, "PAE: a write to 0x40012345 in the 2 MiB page at "
		"0x40000000 (PS=1, CR4.PSE=0)");
	if (r.level != 2)
		fail_msg("PAE: a 2 MiB page's leaf is at level %d, must be 2",
			 r.level);
	if (!(*big & PTE_D))
		fail_msg("PAE: a write to a 2 MiB page sets D in its PDE");
	/* In a PTE, bit 7 is PAT. */
	gpt_pae_map(vm, 0x1000, 0x201000, 1, PTE_PS);
	walk_ok(vm, 0x1005, ACC_READ, 0x201005, PAGE_4K,
		"PAE: bit 7 of a PTE is PAT: still a 4 KiB page");
}

/* Task 2: PAE's reserved bits: 62:52 and the frame above MAXPHYADDR. */
static void test_pae_reserved(void **state)
{
	struct vm *vm = *state;

	use_pae(vm, 0, EFER_NXE);
	uint64_t *pte = gpt_pae_map(vm, 0x1000, 0x200000, 1, 1ULL << 52);
	walk_fails(vm, 0x1000, ACC_READ, PFEC_P | PFEC_RSVD,
		   "PAE: a PTE with bit 52 set (bits 62:52 are reserved in "
		   "PAE paging, ignored in 4-level paging)");
	*pte = 0x200000 | PTE_P | (1ULL << 62);
	walk_fails(vm, 0x1000, ACC_WRITE, PFEC_P | PFEC_RSVD | PFEC_W,
		   "PAE: a PTE with bit 62 set");
	*pte = 0x200000 | PTE_P | (1ULL << X86_MAXPHYADDR);
	walk_fails(vm, 0x1000, ACC_READ, PFEC_P | PFEC_RSVD,
		   "PAE: a PTE with a frame bit at MAXPHYADDR (39)");
	*pte = ((1ULL << X86_MAXPHYADDR) - PAGE_4K) | PTE_P;
	walk_ok(vm, 0x1000, ACC_READ, (1ULL << X86_MAXPHYADDR) - PAGE_4K,
		PAGE_4K, "PAE: a frame just below MAXPHYADDR is no reserved "
		"bit");
	*pte = 0x200000 | PTE_P;
	uint64_t *pde = gpt_pae_entry(vm, 0x1000, 2);
	*pde |= 1ULL << 55;
	walk_fails(vm, 0x1000, ACC_READ, PFEC_P | PFEC_RSVD,
		   "PAE: a PDE (of a table) with bit 55 set");
	gpt_pae_map(vm, 0x40000000, 0x600000 | 0x2000, 2, 0);
	walk_fails(vm, 0x40000000, ACC_READ, PFEC_P | PFEC_RSVD,
		   "PAE: a 2 MiB PDE with bit 13 set");
}

/* Task 3: XD in PAE paging, with EFER.NXE; reserved without it. */
static void test_pae_xd(void **state)
{
	struct vm *vm = *state;

	use_pae(vm, 0, EFER_NXE);
	uint64_t *pte = gpt_pae_map(vm, 0x1000, 0x200000, 1, PTE_U | PTE_NX);
	struct walk_result r = walk_ok(vm, 0x1000, ACC_READ | ACC_USER,
		0x200000, PAGE_4K, "PAE: a user read of an XD page");
	if (r.executable)
		fail_msg("PAE: a PTE with XD (EFER.NXE=1) must not be "
			 "executable");
	walk_fails(vm, 0x1000, ACC_FETCH | ACC_USER, PFEC_P | PFEC_I | PFEC_U,
		   "PAE: a user fetch from an XD page with EFER.NXE=1 "
		   "(I/D reported)");
	walk_fails(vm, 0x2000, ACC_FETCH, PFEC_I,
		   "PAE: a fetch from a page not present with EFER.NXE=1 "
		   "(I/D reported)");
	/* XD in a PDE covers every page under it. */
	*pte &= ~PTE_NX;
	walk_ok(vm, 0x1000, ACC_FETCH | ACC_USER, 0x200000, PAGE_4K,
		"PAE: a user fetch from a page without XD");
	*gpt_pae_entry(vm, 0x1000, 2) |= PTE_NX;
	walk_fails(vm, 0x1000, ACC_FETCH, PFEC_P | PFEC_I,
		   "PAE: a fetch from a page whose PDE has XD");
	/* Without EFER.NXE bit 63 is reserved, and I/D is not reported. */
	vm->vcpu.efer = 0;
	walk_fails(vm, 0x1000, ACC_FETCH, PFEC_P | PFEC_RSVD,
		   "PAE: XD in a PDE with EFER.NXE=0 is a reserved bit (and "
		   "no I/D)");
	*gpt_pae_entry(vm, 0x1000, 2) &= ~PTE_NX;
	walk_ok(vm, 0x1000, ACC_FETCH, 0x200000, PAGE_4K,
		"PAE: a fetch with EFER.NXE=0 and no XD anywhere");
	walk_fails(vm, 0x2000, ACC_FETCH, 0,
		   "PAE: a fetch from a page not present with EFER.NXE=0 "
		   "(no I/D)");
}

/* Tasks 1 and 2: the shadow fill of a 4 MiB and a 2 MiB guest page. */
static void test_shadow_fill_both_formats(void **state)
{
	struct vm *vm = *state;
	uint64_t leaf;

	use_32bit(vm, CR4_PSE, PD32_GPA);
	*gpt32_pde(vm, 0x80000000) = 0x400000 | PTE_P | PTE_W | PTE_U | PTE_PS |
				 PTE_D;
	if (shadowpt_fault(vm, 0x80312345, PFEC_U) != SHADOW_FILLED)
		fail_msg("2-level: a fault in a 4 MiB page the guest maps must "
			 "be a hidden one (filled)");
	not_stopped(vm, "2-level: the shadow fill");
	leaf = shadowpt_lookup(vm, 0x80312345);
	if ((leaf & PTE_ADDR_MASK) != 0x712000 || !(leaf & PTE_P))
		fail_msg("2-level: the shadow maps 0x80312345 to frame %#llx, "
			 "must be 0x712000", (unsigned long long)leaf);
	use_pae(vm, 0, EFER_NXE);
	gpt_pae_map(vm, 0x40000000, 0x600000, 2, PTE_U | PTE_NX);
	if (shadowpt_fault(vm, 0x40123456, PFEC_U) != SHADOW_FILLED)
		fail_msg("PAE: a fault in a 2 MiB page the guest maps must be a "
			 "hidden one (filled)");
	leaf = shadowpt_lookup(vm, 0x40123456);
	if ((leaf & PTE_ADDR_MASK) != 0x723000 || !(leaf & PTE_NX))
		fail_msg("PAE: the shadow maps 0x40123456 as %#llx, must be "
			 "frame 0x723000 with XD", (unsigned long long)leaf);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		T(test_walk32_entries),
		T(test_walk32_cr3),
		T(test_walk32_4m_pse),
		T(test_walk32_4m_reserved),
		T(test_walk32_no_xd),
		T(test_pae_pdpte_load),
		T(test_pae_walk_registers),
		T(test_pae_indices_and_2m),
		T(test_pae_reserved),
		T(test_pae_xd),
		T(test_shadow_fill_both_formats),
	};

	if (argc > 1)
		cmocka_set_test_filter(argv[1]);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
