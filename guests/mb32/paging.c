/*
 * guests/mb32/paging.c - section 4: the 32-bit paging formats (SDM vol. 3,
 * 4.3 and 4.4).
 *
 * First 2-level paging: a page directory of 1024 4-byte entries, each
 * naming a page table of 1024 entries (4 KiB pages) or, with CR4.PSE and
 * PDE.PS, a 4 MiB page.  The first 8 MiB are identity-mapped with 4 KiB
 * pages (user-accessible, so that ring 3 keeps running), and a window at
 * TEST_VA is remapped as each check needs.  Then PAE paging: 4 PDPTEs,
 * directories and tables of 512 8-byte entries, 2 MiB pages with PS, and
 * the NX bit (bit 63) once EFER.NXE is set.
 *
 * Only what the SDM makes certain is checked: a TLB entry may outlive a
 * change to its PTE until invlpg or a CR3 write (or, for a global entry,
 * until invlpg or a CR4.PGE toggle), so a check reads a changed mapping
 * only after one of those; whether a stale entry is still used is never
 * printed.  Paging is off again at the end of the section.
 */
#include "guests/mb32/mb32.h"

#define PG_SIZE 4096
#define NPTE32 1024
#define NPTE64 512
#define IDENTITY_MIB 8
#define TEST_VA USER_PROBE_VA             /* PDE 256: pt_test */
#define BIG_VA 0x80000000u               /* PDE 512: a 4 MiB page */
#define PAE_NX_VA 0x40000000u            /* PDPTE 1: pae_pd_hi */
#define PAE_2M_VA 0x40200000u
#define CPUID_EXT_NX (1u << 20)          /* CPUID 0x80000001 EDX */
#define RET_OPCODE 0xc3
#define PATTERN_A 0xa5a5a5a5u
#define PATTERN_B 0x5a5a5a5au

static uint32_t pd[NPTE32] __attribute__((aligned(PG_SIZE)));
static uint32_t pt_identity[IDENTITY_MIB / 4][NPTE32]
	__attribute__((aligned(PG_SIZE)));
static uint32_t pt_test[NPTE32] __attribute__((aligned(PG_SIZE)));
static uint32_t page_a[NPTE32] __attribute__((aligned(PG_SIZE)));
static uint32_t page_b[NPTE32] __attribute__((aligned(PG_SIZE)));

static uint64_t pdpt[4] __attribute__((aligned(32)));
static uint64_t pae_pd_low[NPTE64] __attribute__((aligned(PG_SIZE)));
static uint64_t pae_pd_hi[NPTE64] __attribute__((aligned(PG_SIZE)));
static uint64_t pae_pt[NPTE64] __attribute__((aligned(PG_SIZE)));
static uint8_t code_page[PG_SIZE] __attribute__((aligned(PG_SIZE)));

extern char user_probe[];

/* Accesses through the mappings under test.  Each is a compiler barrier
 * too: the page-table stores before it must not be moved past it. */
static uint32_t read32(uint32_t va)
{
	uint32_t v;
	__asm__ volatile("movl (%1), %0" : "=r"(v) : "r"(va) : "memory");
	return v;
}
static void write32(uint32_t va, uint32_t v)
{
	__asm__ volatile("movl %1, (%0)" : : "r"(va), "r"(v) : "memory");
}

static void read_fn(void *va) { read32((uint32_t)va); }
static void write_fn(void *va) { write32((uint32_t)va, 0); }
static void call_fn(void *va) { ((void (*)(void))va)(); }

/* Run fn(va); check it faults with #PF at va with error code err. */
static void expect_pf(void (*fn)(void *), uint32_t va, uint32_t err,
		      const char *name)
{
	struct fault f;
	int r = try_run(fn, (void *)va, &f);

	check(r && f.vector == T_PF && f.cr2 == va && f.error == err, name,
	      "r=%d vector %u CR2 %x error %x", r, f.vector, f.cr2, f.error);
}

static void paging_off(void)
{
	write_cr0(read_cr0() & ~CR0_PG);
}

/* ------------------------------------------------------------ 2-level */
static void build_two_level(void)
{
	for (unsigned t = 0; t < IDENTITY_MIB / 4; t++) {
		for (unsigned i = 0; i < NPTE32; i++)
			pt_identity[t][i] = (t * NPTE32 + i) * PG_SIZE |
					    PTE_P | PTE_W | PTE_U;
		pd[t] = (uint32_t)pt_identity[t] | PTE_P | PTE_W | PTE_U;
	}
	pd[TEST_VA >> 22] = (uint32_t)pt_test | PTE_P | PTE_W | PTE_U;
	pt_test[0] = (uint32_t)page_a | PTE_P | PTE_W;  /* kernel only */
	pt_test[2] = (uint32_t)page_b | PTE_P;          /* read-only */
	page_a[0] = PATTERN_A;
	page_b[0] = PATTERN_B;
}

static void check_4k(void)
{
	write_cr3((uint32_t)pd);
	write_cr0(read_cr0() | CR0_PG);
	check(read_cr0() & CR0_PG, "CR0.PG set: running on the identity map",
	      "CR0 %x", read_cr0());
	check(read32(TEST_VA) == PATTERN_A, "4 KiB page: a read through it",
	      "read %x", read32(TEST_VA));
	uint32_t pte = pt_test[0], pde = pd[TEST_VA >> 22];
	check((pte & PTE_A) && (pde & PTE_A) && !(pte & PTE_D),
	      "a read sets A in the PDE and PTE, not D", "PDE %x PTE %x", pde,
	      pte);
	write32(TEST_VA + 4, 1);
	check(pt_test[0] & PTE_D, "a write sets D", "PTE %x", pt_test[0]);
	check(page_a[1] == 1, "the write reached the page", "page %x",
	      page_a[1]);

	expect_pf(read_fn, TEST_VA + PG_SIZE + 0x123, 0,
		  "#PF: read of a not-present page, error 0, CR2");
	expect_pf(write_fn, TEST_VA + PG_SIZE + 0x456, PFEC_W,
		  "#PF: write of a not-present page, error 2, CR2");

	struct fault f;
	int r = run_user(user_probe, &f);
	check(r && f.vector == T_PF && f.cr2 == TEST_VA &&
		      f.error == (PFEC_P | PFEC_U),
	      "#PF: ring 3 read of a kernel page, error 5",
	      "vector %u CR2 %x error %x", f.vector, f.cr2, f.error);

	/* a changed PTE is seen after invlpg, and after a CR3 write */
	pt_test[0] = (uint32_t)page_b | PTE_P | PTE_W;
	invlpg(TEST_VA);
	check(read32(TEST_VA) == PATTERN_B, "invlpg: the new mapping is used",
	      "read %x", read32(TEST_VA));
	pt_test[0] = (uint32_t)page_a | PTE_P | PTE_W;
	write_cr3((uint32_t)pd);
	check(read32(TEST_VA) == PATTERN_A, "CR3 write: the TLB is flushed",
	      "read %x", read32(TEST_VA));
}

static void check_wp(void)
{
	uint32_t va = TEST_VA + 2 * PG_SIZE;

	write_cr0(read_cr0() & ~CR0_WP);
	struct fault f;
	int r = try_run(write_fn, (void *)va, &f);
	check(!r && page_b[0] == 0,
	      "CR0.WP clear: the kernel writes a read-only page", "r=%d", r);
	page_b[0] = PATTERN_B;
	write_cr0(read_cr0() | CR0_WP);
	expect_pf(write_fn, va, PFEC_P | PFEC_W,
		  "CR0.WP set: the same write faults, error 3");
	check(page_b[0] == PATTERN_B, "CR0.WP set: the page is unchanged",
	      "page %x", page_b[0]);
}

static void check_4m_and_global(void)
{
	write_cr4(read_cr4() | CR4_PSE);
	pd[BIG_VA >> 22] = 0 | PTE_PS | PTE_P | PTE_W;
	uint32_t va = BIG_VA + (uint32_t)page_a;
	check(read32(va) == PATTERN_A, "CR4.PSE: a 4 MiB page maps 0x80000000 to 0",
	      "read %x", read32(va));
	write32(va + 8, 2);
	uint32_t pde = pd[BIG_VA >> 22];
	check((pde & PTE_A) && (pde & PTE_D) && page_a[2] == 2,
	      "4 MiB page: A and D set in the PDE", "PDE %x", pde);

	write_cr4(read_cr4() | CR4_PGE);
	check(read_cr4() & CR4_PGE, "CR4.PGE set", "CR4 %x", read_cr4());
	pt_test[0] = (uint32_t)page_a | PTE_P | PTE_W | PTE_G;
	invlpg(TEST_VA);
	check(read32(TEST_VA) == PATTERN_A, "global page: readable",
	      "read %x", read32(TEST_VA));
	pt_test[0] = (uint32_t)page_b | PTE_P | PTE_W | PTE_G;
	invlpg(TEST_VA);
	check(read32(TEST_VA) == PATTERN_B, "invlpg flushes a global entry",
	      "read %x", read32(TEST_VA));
	pt_test[0] = (uint32_t)page_a | PTE_P | PTE_W | PTE_G;
	write_cr4(read_cr4() & ~CR4_PGE);
	write_cr4(read_cr4() | CR4_PGE);
	check(read32(TEST_VA) == PATTERN_A,
	      "clearing CR4.PGE flushes global entries", "read %x",
	      read32(TEST_VA));
	paging_off();
	write_cr4(read_cr4() & ~(CR4_PGE | CR4_PSE));
}

/* ------------------------------------------------------------ PAE */
static void check_pae(void)
{
	uint32_t r[4];

	cpuid(0x80000001, r);
	check(r[3] & CPUID_EXT_NX, "CPUID: NX supported", "EDX %x", r[3]);
	for (unsigned i = 0; i < IDENTITY_MIB / 2; i++)
		pae_pd_low[i] = (uint64_t)i << 21 | PTE_PS | PTE_P | PTE_W;
	pdpt[0] = (uint32_t)pae_pd_low | PTE_P;
	pdpt[1] = (uint32_t)pae_pd_hi | PTE_P;
	pae_pd_hi[0] = (uint32_t)pae_pt | PTE_P | PTE_W;
	pae_pd_hi[1] = ((uint32_t)page_a & ~0x1fffffu) | PTE_PS | PTE_P | PTE_W;
	pae_pt[0] = (uint32_t)code_page | PTE_P | PTE_NX;
	pae_pt[1] = (uint32_t)code_page | PTE_P;
	code_page[0] = RET_OPCODE;

	write_cr4(read_cr4() | CR4_PAE);
	wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_NXE);
	write_cr3((uint32_t)pdpt);
	write_cr0(read_cr0() | CR0_PG);
	check((read_cr4() & CR4_PAE) && (read_cr0() & CR0_PG),
	      "PAE paging on", "CR0 %x CR4 %x", read_cr0(), read_cr4());
	uint32_t va = PAE_2M_VA + ((uint32_t)page_a & 0x1fffff);
	check(read32(va) == PATTERN_A, "PAE: a 2 MiB page", "read %x",
	      read32(va));
	check((pae_pd_hi[1] & PTE_A) && !(pae_pd_hi[1] & PTE_D),
	      "PAE: a read sets A in the 2 MiB PDE, not D", "PDE %llx",
	      pae_pd_hi[1]);
	write32(va + 12, 3);
	check((pae_pd_hi[1] & PTE_D) && page_a[3] == 3,
	      "PAE: a write sets D in the 2 MiB PDE", "PDE %llx",
	      pae_pd_hi[1]);
	struct fault f;
	int rr = try_run(call_fn, (void *)(PAE_NX_VA + PG_SIZE), &f);
	check(!rr, "PAE: code runs from an executable page", "vector %u",
	      f.vector);
	expect_pf(call_fn, PAE_NX_VA, PFEC_P | PFEC_I,
		  "EFER.NXE: a fetch from an NX page faults, error 0x11");
	paging_off();
	write_cr4(read_cr4() & ~CR4_PAE);
}

void paging_section(void)
{
	section("4. paging");
	build_two_level();
	check_4k();
	check_wp();
	check_4m_and_global();
	check_pae();
}
