/*
 * guests/paging/split.c - accesses that straddle two pages.
 *
 * An instruction or a data access that crosses a page boundary is
 * translated twice, once per page, and either half can fault.  The SDM
 * (vol. 3, 4.7 and 6.15, "Interrupt 14") wants: CR2 = the linear address
 * that had no translation, which for the second half is the first byte of
 * the second page; RIP = the start of the faulting instruction; and no
 * part of a faulting write reaches memory - the instruction did not
 * happen.  An emulator that walks the bytes of an access one by one gets
 * each of these wrong in its own way.
 *
 *   page n                 page n+1
 *  +-----------------+----+-------------------+
 *  |             ... |xxxx|xxxx ...           |   one access, two walks
 *  +-----------------+----+-------------------+
 *                          ^ CR2 when page n+1 faults
 */
#include "paging.h"

/* The test pages (PGT_PAGE numbers) of this file; each pair is n, n+1. */
enum {
	PG_FETCH = 30,
	PG_READ = 32,
	PG_WRITE = 34,
	PG_WRITE_RO = 36,
	PG_DEMAND = 38,
};

/* movabs $0x1122334455667788, %rax; ret - 11 bytes, 4 on the first page */
static const uint8_t movabs_ret[] = {
	0x48, 0xb8, 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11, 0xc3,
};
#define MOVABS_VALUE 0x1122334455667788ULL
#define SPLIT_AT 4 /* bytes of an access that lie on the first page */
#define FILL_WORD 0x1111111111111111ULL

static uint64_t straddle(unsigned first_page)
{
	return PGT_PAGE(first_page + 1) - SPLIT_AT;
}

/* Call the code at va: a fn for rt_try; the value it returns is kept. */
static uint64_t called_value;

static void do_call(void *va)
{
	called_value = ((uint64_t (*)(void))va)();
}

/* An 8-byte read and write that the compiler cannot split. */
static void do_read8(void *va)
{
	uint64_t v;

	__asm__ volatile("movq (%1), %0" : "=r"(v) : "r"(va) : "memory");
	(void)v;
}

static void do_write8(void *va)
{
	__asm__ volatile("movq %1, (%0)" : : "r"(va), "r"(~0ULL) : "memory");
}

/* Run fn(va), which must fault on the second page with error: NULL if it
 * did, with CR2 = that page and (unless rip is 0) RIP = rip. */
static const char *expect_second_page_pf(void (*fn)(void *), uint64_t va,
					 uint64_t error, uint64_t cr2,
					 uint64_t rip)
{
	struct rt_fault f;
	int faulted = rt_try(fn, (void *)(uintptr_t)va, &f);
	const char *why = pgt_pf_diff(faulted, &f, error, cr2);

	if (why || !rip)
		return why;
	if (f.rip != rip)
		return rt_fmt("the #PF pushed RIP 0x%lx, expected 0x%lx",
			      f.rip, rip);
	return NULL;
}

static const char *check_fetch_split(void)
{
	uint64_t va = straddle(PG_FETCH), second = PGT_PAGE(PG_FETCH + 1);
	uint64_t a = pgt_frame(0xcc), b = pgt_frame(0xcc);
	const char *why;

	memcpy((uint8_t *)(uintptr_t)a + PAGE_4K - SPLIT_AT, movabs_ret,
	       SPLIT_AT);
	memcpy((uint8_t *)(uintptr_t)b, movabs_ret + SPLIT_AT,
	       sizeof(movabs_ret) - SPLIT_AT);
	pgt_map(pgt_root(), PGT_PAGE(PG_FETCH), 1, a, PTE_P);
	pgt_map(pgt_root(), second, 1, b, PTE_P);
	called_value = 0;
	why = pgt_expect_no_fault(do_call, (void *)(uintptr_t)va);
	if (!why && called_value != MOVABS_VALUE)
		why = rt_fmt("the instruction loaded 0x%lx", called_value);
	if (why)
		return rt_fmt("both pages mapped: %s", why);
	pgt_map(pgt_root(), second, 1, b, PTE_P | PTE_NX);
	why = expect_second_page_pf(do_call, va, PFEC_P | PFEC_I, second, va);
	if (why)
		return rt_fmt("second page XD: %s", why);
	pgt_unmap(pgt_root(), second, 1);
	return expect_second_page_pf(do_call, va, PFEC_I, second, va);
}

static const char *check_read_split(void)
{
	uint64_t va = straddle(PG_READ), second = PGT_PAGE(PG_READ + 1);

	pgt_map(pgt_root(), PGT_PAGE(PG_READ), 1, pgt_frame(0x11),
		PTE_P | PTE_W);
	return expect_second_page_pf(do_read8, va, 0, second, 0);
}

/* NULL if the first page's part of the access still holds FILL_WORD. */
static const char *first_half_intact(uint64_t va)
{
	uint32_t half = *(volatile uint32_t *)(uintptr_t)va;

	if (half != (uint32_t)FILL_WORD)
		return rt_fmt("the faulting write changed the first page "
			      "(0x%x)", half);
	return NULL;
}

static const char *check_write_split(void)
{
	uint64_t va = straddle(PG_WRITE), second = PGT_PAGE(PG_WRITE + 1);
	const char *why;

	pgt_map(pgt_root(), PGT_PAGE(PG_WRITE), 1, pgt_frame(0x11),
		PTE_P | PTE_W);
	why = expect_second_page_pf(do_write8, va, PFEC_W, second, 0);
	return why ? why : first_half_intact(va);
}

static const char *check_write_split_ro(void)
{
	uint64_t va = straddle(PG_WRITE_RO), second = PGT_PAGE(PG_WRITE_RO + 1);
	const char *why;

	pgt_map(pgt_root(), PGT_PAGE(PG_WRITE_RO), 1, pgt_frame(0x11),
		PTE_P | PTE_W);
	pgt_map(pgt_root(), second, 1, pgt_frame(0x11), PTE_P);
	why = expect_second_page_pf(do_write8, va, PFEC_P | PFEC_W, second,
				    0);
	return why ? why : first_half_intact(va);
}

/*
 * Demand paging, as a kernel does it: the #PF handler maps the missing
 * page and returns, and the faulting instruction runs again from the
 * start.  A rep movsb that runs into the absent page faults on the first
 * byte there, with the iterations before it done and RCX, RDI counting
 * what is left (SDM vol. 2, REP: a fault in a repeated string
 * instruction leaves the registers at the element that faulted, so that
 * the instruction can be restarted); after the handler it finishes.
 */
static struct {
	unsigned faults;
	uint64_t error, cr2, rcx, rdi;
} demand;

static void demand_pf(struct rt_frame *f)
{
	if (demand.faults++) {
		/* The page is mapped and the access still faults: going on
		 * would fault forever. */
		rt_printf("FAIL demand_rep: #PF(0x%lx) again at 0x%lx after "
			  "the handler mapped the page\n", f->error,
			  read_cr2());
		rt_exit(RT_EXIT_UNEXPECTED_TRAP);
	}
	demand.error = f->error;
	demand.cr2 = read_cr2();
	demand.rcx = f->rcx;
	demand.rdi = f->rdi;
	pgt_map(pgt_root(), demand.cr2 & PAGE_4K_MASK, 1, pgt_frame(0),
		PTE_P | PTE_W);
}

#define DEMAND_FIRST 8 /* bytes of the copy that land on the mapped page */

static const char *check_demand_rep(void)
{
	static const char src[] = "sixteen bytes..";
	uint64_t second = PGT_PAGE(PG_DEMAND + 1), dst = second - DEMAND_FIRST;
	uint64_t rcx = sizeof(src), rdi = dst, rsi = (uint64_t)(uintptr_t)src;

	pgt_map(pgt_root(), PGT_PAGE(PG_DEMAND), 1, pgt_frame(0),
		PTE_P | PTE_W);
	rt_set_handler(T_PF, demand_pf);
	__asm__ volatile("rep movsb"
			 : "+c"(rcx), "+D"(rdi), "+S"(rsi) : : "memory");
	rt_set_handler(T_PF, NULL);
	if (demand.faults != 1 || demand.error != PFEC_W ||
	    demand.cr2 != second)
		return rt_fmt("%u faults, #PF(0x%lx) cr2 0x%lx; expected one "
			      "#PF(0x2) cr2 0x%lx", demand.faults,
			      demand.error, demand.cr2, second);
	if (demand.rcx != sizeof(src) - DEMAND_FIRST || demand.rdi != second)
		return rt_fmt("at the fault RCX = %lu, RDI = 0x%lx; expected "
			      "%lu, 0x%lx", demand.rcx, demand.rdi,
			      (uint64_t)(sizeof(src) - DEMAND_FIRST), second);
	if (rcx != 0 || memcmp((void *)(uintptr_t)dst, src, sizeof(src)))
		return "the copy did not complete after the handler";
	return NULL;
}

const struct pgt_check pgt_split[] = {
	{ "fetch_split", "an instruction across two pages runs; with the second XD: #PF(P|I), absent: #PF(I); CR2 = that page, RIP = the instruction", check_fetch_split },
	{ "read_split", "an 8-byte read into an absent page: #PF(0), CR2 = that page", check_read_split },
	{ "write_split", "an 8-byte write into an absent page: #PF(W), CR2 = that page, the first page unchanged", check_write_split },
	{ "write_split_ro", "an 8-byte write into a read-only page: #PF(P|W), CR2 = that page, the first page unchanged", check_write_split_ro },
	{ "demand_rep", "a #PF handler maps the page a rep movsb runs into: one fault at the first byte there, RCX and RDI at that point, then the copy completes", check_demand_rep },
};
const unsigned pgt_split_count = sizeof(pgt_split) / sizeof(pgt_split[0]);
