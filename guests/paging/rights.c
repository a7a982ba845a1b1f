/*
 * guests/paging/rights.c - one translation at a time: the accessed and
 * dirty bits, and the protection checks with the #PF they raise.
 *
 * SDM vol. 3, 4.7 gives the page-fault error code:
 *
 *   4    3     2   1   0
 * +----+----+---+---+---+
 * |I/D |RSVD|U/S|W/R| P |   P = 0: not present; 1: a protection violation
 * +----+----+---+---+---+
 *
 * and CR2 holds the linear address that faulted.  Each check maps its own
 * test page (paging.h), makes one access - at CPL 0, or at CPL 3 through
 * user.S - and compares the fault, or the entries, with the SDM.
 */
#include "paging.h"

/* The test pages (PGT_PAGE numbers) of this file. */
enum {
	PG_AD = 1,
	PG_ABSENT = 2,
	PG_EXEC = 3,
	PG_NOEXEC = 4,
	PG_READONLY = 5,
	PG_USER_CODE = 6,
	PG_USER_DATA = 7,
	PG_SUPER = 8,
	PG_USER_RO = 9,
	PG_USER_NX = 10,
	PG_RSVD = 11,
	PG_KERNEL_ON_USER = 12,
	PG_KERNEL_RUNS_USER = 13,
	PG_WP_USER = 14,
	PG_NXE_OFF = 15,
	PG_NO_STACK = 16,
	PG_USER_DEMAND = 17,
	PG_AND_W = 1 * PT_ENTRIES, /* a page directory entry of its own */
	PG_AND_U = 2 * PT_ENTRIES,
	PG_AND_NX = 4 * PT_ENTRIES,
	PG_RSVD_PDE = 5 * PT_ENTRIES,
};

/* An address in PML4 slot 4, which nothing maps. */
#define PGT_VA_NOWHERE 0x0000020000000123ULL
/* An address in PML4 slot 3, whose entry gets a reserved PS bit. */
#define PGT_VA_PML4_PS 0x0000018000000000ULL
/* The first address above the lower canonical half (bits 63:47 differ). */
#define PGT_VA_NONCANONICAL 0x0000800000000000ULL

#define RET_OPCODE 0xc3 /* a frame full of ret: callable anywhere */

static const char *const level_name[PT_LEVELS + 1] = {
	[1] = "PTE", [2] = "PDE", [3] = "PDPTE", [4] = "PML4E",
};

/* ------------------------------------------------------------ accesses */
static uint8_t peek(uint64_t va)
{
	return *(volatile uint8_t *)(uintptr_t)va;
}

static void poke(uint64_t va, uint8_t v)
{
	*(volatile uint8_t *)(uintptr_t)va = v;
}

/* The accesses as fns for rt_try: arg is the linear address. */
static void do_read(void *va)
{
	(void)peek((uint64_t)(uintptr_t)va);
}

static void do_write(void *va)
{
	poke((uint64_t)(uintptr_t)va, PGT_USER_BYTE);
}

static void do_call(void *va)
{
	((void (*)(void))va)();
}

/* The same three at CPL 3, through the user code page. */
static uint64_t user_at(unsigned entry)
{
	return PGT_PAGE(PG_USER_CODE) + entry;
}

static void user_read(void *va)
{
	pgt_user_run(user_at(PGT_USER_LOAD), (uint64_t)(uintptr_t)va);
}

static void user_write(void *va)
{
	pgt_user_run(user_at(PGT_USER_STORE), (uint64_t)(uintptr_t)va);
}

static void user_jump(void *va)
{
	pgt_user_run(user_at(PGT_USER_JUMP), (uint64_t)(uintptr_t)va);
}

/* Map the user code page: present, user, read-only, executable. */
static void map_user_code(void)
{
	pgt_map(pgt_root(), PGT_PAGE(PG_USER_CODE), 1,
		(uint64_t)(uintptr_t)pgt_user_page, PTE_P | PTE_U);
}

/*
 * Like pgt_expect_pf for a CPL-3 access: the fault must also show, in the
 * CS it pushed, that it came from ring 3.
 */
static const char *expect_user_pf(void (*fn)(void *), uint64_t va,
				  uint64_t error)
{
	struct rt_fault f;
	int faulted = rt_try(fn, (void *)(uintptr_t)va, &f);
	const char *why = pgt_pf_diff(faulted, &f, error, va);

	if (why)
		return why;
	if ((f.cs & SEL_RPL_MASK) != 3)
		return rt_fmt("the #PF pushed CS 0x%lx, not a ring-3 selector",
			      f.cs);
	return NULL;
}

/* ------------------------------------------------------------ accessed, dirty */
/* Clear A and D at every level of va's walk, then drop every cached copy
 * of those entries (the SDM's way: software that clears A must flush). */
static void clear_ad(uint64_t va)
{
	for (int l = 1; l <= PT_LEVELS; l++)
		*pgt_entry(pgt_root(), va, l) &= ~(PTE_A | PTE_D);
	write_cr3(read_cr3());
}

/* NULL if the entry at level has exactly the A and D bits want says. */
static const char *ad_state(uint64_t va, int level, uint64_t want,
			    const char *after)
{
	uint64_t e = *pgt_entry(pgt_root(), va, level);

	if ((e & PTE_A) != (want & PTE_A))
		return rt_fmt("A %s in the %s after %s",
			      (e & PTE_A) ? "set" : "clear", level_name[level],
			      after);
	if ((e & PTE_D) != (want & PTE_D))
		return rt_fmt("D %s in the %s after %s",
			      (e & PTE_D) ? "set" : "clear", level_name[level],
			      after);
	return NULL;
}

static const char *check_accessed(void)
{
	uint64_t va = PGT_PAGE(PG_AD);
	const char *why = NULL;

	pgt_map(pgt_root(), va, 1, pgt_frame(0x11), PTE_P | PTE_W);
	clear_ad(va);
	if (peek(va) != 0x11)
		return "the read did not see the frame's contents";
	for (int l = PT_LEVELS; l >= 1 && !why; l--)
		why = ad_state(va, l, PTE_A, "a read");
	return why;
}

/* The first write to a page that was only read so far must still set D:
 * the translation the read left behind has to be re-checked. */
static const char *check_dirty(void)
{
	uint64_t va = PGT_PAGE(PG_AD);
	const char *why = NULL;

	clear_ad(va);
	(void)peek(va);
	why = ad_state(va, 1, PTE_A, "a read");
	poke(va, 0x12);
	for (int l = PT_LEVELS; l >= 2 && !why; l--)
		why = ad_state(va, l, PTE_A, "a read, then a write");
	if (!why)
		why = ad_state(va, 1, PTE_A | PTE_D, "a read, then a write");
	return why;
}

/* Software that clears A or D in a PTE and flushes it with invlpg sees
 * the CPU set the bit again on the next access (SDM vol. 3, 4.8). */
static const char *check_ad_again(void)
{
	uint64_t va = PGT_PAGE(PG_AD);
	uint64_t *pte = pgt_entry(pgt_root(), va, 1);
	const char *why;

	poke(va, 0x13);
	*pte &= ~PTE_D;
	invlpg(va);
	poke(va, 0x14);
	why = ad_state(va, 1, PTE_A | PTE_D, "clearing D, invlpg, a write");
	if (why)
		return why;
	*pte &= ~(PTE_A | PTE_D);
	invlpg(va);
	(void)peek(va);
	why = ad_state(va, 1, PTE_A, "clearing A and D, invlpg, a read");
	pgt_unmap(pgt_root(), va, 1);
	return why;
}

/* ------------------------------------------------------------ not present */
static const char *check_not_present(void)
{
	uint64_t va = PGT_PAGE(PG_ABSENT) + 0x123;
	const char *why;

	why = pgt_expect_pf(do_read, (void *)(uintptr_t)va, 0, va);
	if (!why)
		why = pgt_expect_pf(do_read, (void *)PGT_VA_NOWHERE, 0,
				    PGT_VA_NOWHERE);
	return why;
}

static const char *check_not_present_kinds(void)
{
	uint64_t va = PGT_PAGE(PG_ABSENT) + 0x456;
	const char *why;

	why = pgt_expect_pf(do_write, (void *)(uintptr_t)va, PFEC_W, va);
	if (!why)
		why = pgt_expect_pf(do_call, (void *)(uintptr_t)va, PFEC_I,
				    va);
	return why;
}

/* ------------------------------------------------------------ execute disable */
static const char *check_nx(void)
{
	uint64_t code = pgt_frame(RET_OPCODE);
	uint64_t x = PGT_PAGE(PG_EXEC), nx = PGT_PAGE(PG_NOEXEC);
	const char *why;

	pgt_map(pgt_root(), x, 1, code, PTE_P);
	pgt_map(pgt_root(), nx, 1, code, PTE_P | PTE_NX);
	why = pgt_expect_no_fault(do_call, (void *)(uintptr_t)x);
	if (why)
		return rt_fmt("without XD: %s", why);
	return pgt_expect_pf(do_call, (void *)(uintptr_t)nx, PFEC_P | PFEC_I,
			     nx);
}

/* ------------------------------------------------------------ write protect */
static const char *check_wp_on(void)
{
	uint64_t va = PGT_PAGE(PG_READONLY) + 8;
	const char *why;

	pgt_map(pgt_root(), va, 1, pgt_frame(0x22), PTE_P);
	if (!(read_cr0() & CR0_WP))
		return "CR0.WP is clear at boot";
	why = pgt_expect_pf(do_write, (void *)(uintptr_t)va, PFEC_P | PFEC_W,
			    va);
	if (!why && peek(va) != 0x22)
		why = "the faulting write changed memory";
	if (!why)
		why = ad_state(va, 1, PTE_A, "a read and a faulting write");
	return why;
}

/* CR0.WP = 0 lets CPL 0 write read-only pages; CPL 3 is never allowed. */
static const char *check_wp_off(void)
{
	uint64_t va = PGT_PAGE(PG_READONLY) + 8, user = PGT_PAGE(PG_WP_USER);
	uint64_t cr0 = read_cr0();
	const char *why;

	map_user_code();
	pgt_map(pgt_root(), user, 1, pgt_frame(0x23), PTE_P | PTE_U);
	write_cr0(cr0 & ~CR0_WP);
	why = pgt_expect_no_fault(do_write, (void *)(uintptr_t)va);
	if (!why && (why = pgt_expect_no_fault(do_write,
					       (void *)(uintptr_t)user)))
		why = rt_fmt("CPL 0 on a read-only user page: %s", why);
	if (!why && (why = expect_user_pf(user_write, user,
					  PFEC_P | PFEC_W | PFEC_U)))
		why = rt_fmt("CPL 3 after CPL 0 wrote: %s", why);
	write_cr0(cr0);
	if (!why && peek(va) != PGT_USER_BYTE)
		why = "the write did not reach memory";
	if (!why)
		why = ad_state(va, 1, PTE_A | PTE_D, "the write");
	return why;
}

/* With CR0.WP set again, the page that CPL 0 has just written (and made
 * dirty) is read-only again: a translation is checked against CR0.WP at
 * each access, not when it was cached. */
static const char *check_wp_again(void)
{
	uint64_t va = PGT_PAGE(PG_READONLY) + 8;
	const char *why;

	why = pgt_expect_pf(do_write, (void *)(uintptr_t)va, PFEC_P | PFEC_W,
			    va);
	pgt_unmap(pgt_root(), va, 1);
	return why;
}

/* The rights of a translation are the AND of every level's (SDM 4.6). */
static const char *check_rights_and(void)
{
	uint64_t w = PGT_PAGE(PG_AND_W), u = PGT_PAGE(PG_AND_U);
	const char *why;

	map_user_code();
	pgt_map(pgt_root(), w, 1, pgt_frame(0x33), PTE_P | PTE_W);
	pgt_map(pgt_root(), u, 1, pgt_frame(0x34), PTE_P | PTE_W | PTE_U);
	*pgt_entry(pgt_root(), w, 2) &= ~PTE_W;
	*pgt_entry(pgt_root(), u, 2) &= ~PTE_U;
	write_cr3(read_cr3());
	why = pgt_expect_pf(do_write, (void *)(uintptr_t)w, PFEC_P | PFEC_W,
			    w);
	if (why)
		return rt_fmt("PDE without R/W: %s", why);
	why = expect_user_pf(user_read, u, PFEC_P | PFEC_U);
	if (why)
		return rt_fmt("PDE without U/S: %s", why);
	return NULL;
}

/* XD in a non-leaf entry forbids fetches from every page below it. */
static const char *check_nx_upper(void)
{
	uint64_t va = PGT_PAGE(PG_AND_NX);
	const char *why;

	pgt_map(pgt_root(), va, 1, pgt_frame(RET_OPCODE), PTE_P);
	why = pgt_expect_no_fault(do_call, (void *)(uintptr_t)va);
	if (why)
		return rt_fmt("before XD in the PDE: %s", why);
	*pgt_entry(pgt_root(), va, 2) |= PTE_NX;
	invlpg(va);
	why = pgt_expect_pf(do_call, (void *)(uintptr_t)va, PFEC_P | PFEC_I,
			    va);
	*pgt_entry(pgt_root(), va, 2) &= ~PTE_NX;
	invlpg(va);
	return why;
}

/* ------------------------------------------------------------ user/supervisor */
static const char *check_user_ok(void)
{
	uint64_t va = PGT_PAGE(PG_USER_DATA) + 0x10;
	uint64_t got;

	map_user_code();
	pgt_map(pgt_root(), va, 1, pgt_frame(0x44), PTE_P | PTE_W | PTE_U);
	got = pgt_user_run(user_at(PGT_USER_LOAD), va);
	if (got != 0x44)
		return rt_fmt("CPL 3 read 0x%lx, expected 0x44", got);
	pgt_user_run(user_at(PGT_USER_STORE), va);
	if (peek(va) != PGT_USER_BYTE)
		return "the CPL-3 write did not reach memory";
	return ad_state(va, 1, PTE_A | PTE_D, "a CPL-3 write");
}

static const char *check_user_super(void)
{
	uint64_t va = PGT_PAGE(PG_SUPER) + 0x20;
	const char *why;

	map_user_code();
	pgt_map(pgt_root(), va, 1, pgt_frame(0x55), PTE_P | PTE_W);
	poke(va, 0x56); /* CPL 0 uses the translation first */
	why = expect_user_pf(user_read, va, PFEC_P | PFEC_U);
	if (!why)
		why = expect_user_pf(user_write, va, PFEC_P | PFEC_W | PFEC_U);
	if (!why)
		why = expect_user_pf(user_read, PGT_PAGE(PG_ABSENT), PFEC_U);
	if (!why && peek(va) != 0x56)
		why = "CPL 0 lost its access to the page after the CPL-3 faults";
	return why;
}

static const char *check_user_ro(void)
{
	uint64_t va = PGT_PAGE(PG_USER_RO) + 0x30;
	const char *why;

	map_user_code();
	pgt_map(pgt_root(), va, 1, pgt_frame(0x66), PTE_P | PTE_U);
	if (pgt_user_run(user_at(PGT_USER_LOAD), va) != 0x66)
		return "CPL 3 could not read its read-only page";
	why = expect_user_pf(user_write, va, PFEC_P | PFEC_W | PFEC_U);
	if (!why && peek(va) != 0x66)
		why = "the faulting CPL-3 write changed memory";
	return why;
}

/*
 * Demand paging of a user page, as a kernel does it: a CPL-3 access
 * faults on an absent page, the kernel's #PF handler makes the entry
 * present and returns, and the access runs again from the start.  The
 * flags the retry leaves are its own access's and no more: the entry
 * made present with A clear has A set by the retried read, D still
 * clear; with A set, the read leaves it as it was; with A set and D
 * clear, the retried write sets D.  (A monitor may fetch the translation
 * ahead of the retry, as a TLB may cache any translation whose accessed
 * flags are set, but never set a flag, nor skip one, for it.)
 */
static struct {
	unsigned faults;
	uint64_t error;
} user_demand;

static void user_demand_pf(struct rt_frame *f)
{
	uint64_t va = read_cr2();

	if (user_demand.faults++ || (f->cs & SEL_RPL_MASK) != 3) {
		rt_printf("FAIL user_demand: #PF(0x%lx) at 0x%lx from CS "
			  "0x%lx, fault %u\n", f->error, va, f->cs,
			  user_demand.faults);
		rt_exit(RT_EXIT_UNEXPECTED_TRAP);
	}
	user_demand.error = f->error;
	*pgt_entry(pgt_root(), va, 1) |= PTE_P;
}

/* One round: the entry made present by the handler with flags (A, D),
 * then the retried access (the write's, if write) and what it left. */
static const char *user_demand_round(bool write, uint64_t flags,
				     uint64_t want, const char *after)
{
	uint64_t va = PGT_PAGE(PG_USER_DEMAND) + 0x40;
	uint64_t got = 0;

	pgt_map(pgt_root(), va, 1, pgt_frame(0x77),
		PTE_W | PTE_U | flags); /* P clear: the first access faults */
	user_demand.faults = 0;
	rt_set_handler(T_PF, user_demand_pf);
	if (write)
		pgt_user_run(user_at(PGT_USER_STORE), va);
	else
		got = pgt_user_run(user_at(PGT_USER_LOAD), va);
	rt_set_handler(T_PF, NULL);
	if (user_demand.faults != 1 ||
	    user_demand.error != (PFEC_U | (write ? PFEC_W : 0)))
		return rt_fmt("%s: %u faults, the last #PF(0x%lx)", after,
			      user_demand.faults, user_demand.error);
	if (write ? peek(va) != PGT_USER_BYTE : got != 0x77)
		return rt_fmt("%s: the access did not reach the frame", after);
	return ad_state(va, 1, want, after);
}

static const char *check_user_demand(void)
{
	const char *why;

	map_user_code();
	why = user_demand_round(false, 0, PTE_A, "a retried read, A clear");
	if (!why)
		why = user_demand_round(false, PTE_A, PTE_A,
					"a retried read, A set");
	if (!why)
		why = user_demand_round(true, PTE_A, PTE_A | PTE_D,
					"a retried write, A set, D clear");
	pgt_unmap(pgt_root(), PGT_PAGE(PG_USER_DEMAND) + 0x40, 1);
	return why;
}

static const char *check_user_nx(void)
{
	uint64_t va = PGT_PAGE(PG_USER_NX);

	map_user_code();
	pgt_map(pgt_root(), va, 1, pgt_frame(RET_OPCODE),
		PTE_P | PTE_U | PTE_NX);
	return expect_user_pf(user_jump, va, PFEC_P | PFEC_U | PFEC_I);
}

/* CPL 0 may read, write and run user pages: the virtual CPU has no SMAP
 * or SMEP, and CR4 leaves them off. */
static const char *check_kernel_on_user(void)
{
	uint64_t data = PGT_PAGE(PG_KERNEL_ON_USER) + 0x50;
	uint64_t code = PGT_PAGE(PG_KERNEL_RUNS_USER);
	const char *why;

	if (read_cr4() & (CR4_SMEP | CR4_SMAP))
		return "CR4.SMEP or CR4.SMAP is set at boot";
	pgt_map(pgt_root(), data, 1, pgt_frame(0x88), PTE_P | PTE_W | PTE_U);
	pgt_map(pgt_root(), code, 1, pgt_frame(RET_OPCODE), PTE_P | PTE_U);
	if (peek(data) != 0x88)
		return "CPL 0 did not read the user page";
	why = pgt_expect_no_fault(do_write, (void *)(uintptr_t)data);
	if (!why && peek(data) != PGT_USER_BYTE)
		why = "the CPL-0 write did not reach the user page";
	if (!why && (why = pgt_expect_no_fault(do_call,
					       (void *)(uintptr_t)code)))
		why = rt_fmt("fetch: %s", why);
	return why;
}

/*
 * A fault from CPL 3 switches to the stack in TSS.RSP0 before it pushes
 * its frame.  When that stack is not mapped, the push itself faults: a
 * #PF while delivering a #PF is a double fault (SDM vol. 3, 6.15, table
 * 6-5).  #DF gets a stack of its own through IST 1, as a kernel gives it.
 */
static uint8_t df_stack[4096] __attribute__((aligned(16)));

#define GATE_IST_SHIFT 32 /* bits 34:32 of an interrupt gate */

static const char *check_pf_in_delivery(void)
{
	uint64_t va = PGT_PAGE(PG_SUPER) + 0x28, rsp0 = rt_tss.rsp[0];
	uint64_t *df_gate = &rt_idt[2 * T_DF];
	uint64_t gate = *df_gate;
	struct rt_fault f;
	int faulted;

	map_user_code();
	pgt_map(pgt_root(), va, 1, pgt_frame(0x57), PTE_P | PTE_W);
	rt_tss.ist[0] = (uint64_t)(uintptr_t)(df_stack + sizeof(df_stack));
	*df_gate = gate | 1ULL << GATE_IST_SHIFT;
	rt_tss.rsp[0] = PGT_PAGE(PG_NO_STACK) + PAGE_4K;
	faulted = rt_try(user_read, (void *)(uintptr_t)va, &f);
	rt_tss.rsp[0] = rsp0;
	*df_gate = gate;
	if (!faulted)
		return "no fault";
	if (f.vector != T_DF || f.error != 0)
		return rt_fmt("%s(0x%lx), expected #DF(0x0)",
			      rt_vector_name(f.vector), f.error);
	return NULL;
}

/* ------------------------------------------------------------ reserved bits */
/* The lowest physical-address bit the CPU does not have (CPUID 80000008H:
 * EAX[7:0] = MAXPHYADDR): set in an entry, it is a reserved bit. */
static uint64_t first_reserved_bit(void)
{
	uint32_t r[4];

	cpuid(0x80000008U, 0, r);
	return 1ULL << (r[0] & 0xff);
}

/*
 * NULL if fn(va) raised #PF with RSVD and the access bits kind, CR2 = va.
 * The SDM sets P too (reserved bits are checked only in present entries,
 * so RSVD comes with P = 1), but QEMU 7.2's TCG - the reference machine -
 * leaves P clear; P is therefore the one bit not compared here.
 */
static const char *expect_rsvd_pf(void (*fn)(void *), uint64_t va,
				  uint64_t kind)
{
	uint64_t want = PFEC_RSVD | kind;
	struct rt_fault f;

	if (!rt_try(fn, (void *)(uintptr_t)va, &f))
		return rt_fmt("no fault, expected #PF(0x%lx) cr2 0x%lx",
			      want | PFEC_P, va);
	if (f.vector != T_PF || (f.error & ~PFEC_P) != want || f.cr2 != va)
		return rt_fmt("%s(0x%lx) cr2 0x%lx, expected #PF(0x%lx) "
			      "cr2 0x%lx", rt_vector_name(f.vector), f.error,
			      f.cr2, want | PFEC_P, va);
	return NULL;
}

static const char *check_rsvd(void)
{
	uint64_t va = PGT_PAGE(PG_RSVD) + 0x40;
	const char *why;

	if (first_reserved_bit() >= (1ULL << 52))
		return "MAXPHYADDR is 52: no reserved frame bit to set";
	pgt_map(pgt_root(), va, 1, pgt_frame(0x77),
		PTE_P | PTE_W | first_reserved_bit());
	why = expect_rsvd_pf(do_read, va, 0);
	if (!why)
		why = expect_rsvd_pf(do_write, va, PFEC_W);
	pgt_unmap(pgt_root(), va, 1);
	return why;
}

/* Reserved bits count in every entry of the walk, not only in the leaf. */
static const char *check_rsvd_pde(void)
{
	uint64_t va = PGT_PAGE(PG_RSVD_PDE) + 0x48;
	uint64_t *pde;
	const char *why;

	pgt_map(pgt_root(), va, 1, pgt_frame(0x78), PTE_P | PTE_W);
	pde = pgt_entry(pgt_root(), va, 2);
	*pde |= first_reserved_bit();
	invlpg(va);
	why = expect_rsvd_pf(do_read, va, 0);
	*pde &= ~first_reserved_bit();
	invlpg(va);
	return why;
}

static const char *check_rsvd_pml4_ps(void)
{
	uint64_t *e = &pgt_root()[PT_INDEX(PGT_VA_PML4_PS, 4)];
	const char *why;

	*e = (uint64_t)(uintptr_t)pgt_alloc() | PTE_P | PTE_W | PTE_PS;
	write_cr3(read_cr3());
	why = expect_rsvd_pf(do_read, PGT_VA_PML4_PS, 0);
	*e = 0;
	write_cr3(read_cr3());
	return why;
}

/*
 * With EFER.NXE = 0 there is no execute-disable: bit 63 of an entry is
 * reserved, and a fetch no longer reports I/D in the error code.
 */
static void set_efer_nxe(bool on)
{
	uint64_t efer = rdmsr(MSR_EFER);

	wrmsr(MSR_EFER, on ? efer | EFER_NXE : efer & ~EFER_NXE);
	write_cr3(read_cr3()); /* translations made under the old rule */
}

static const char *check_nxe_off(void)
{
	uint64_t va = PGT_PAGE(PG_NXE_OFF) + 0x60;
	uint64_t absent = PGT_PAGE(PG_ABSENT) + 0x70;
	const char *why;

	pgt_map(pgt_root(), va, 1, pgt_frame(0x99), PTE_P | PTE_NX);
	set_efer_nxe(false);
	why = expect_rsvd_pf(do_read, va, 0);
	if (why)
		why = rt_fmt("XD set: %s", why);
	else
		why = pgt_expect_pf(do_call, (void *)(uintptr_t)absent, 0,
				    absent);
	set_efer_nxe(true);
	pgt_unmap(pgt_root(), va, 1);
	return why;
}

/* A 2 MiB leaf's frame must be 2 MiB aligned: bits 20:13 are reserved. */
static const char *check_rsvd_2m(void)
{
	const char *why;

	pgt_map(pgt_root(), PGT_VA_2M, 2, PAGE_2M | (1ULL << 13),
		PTE_P | PTE_W);
	why = expect_rsvd_pf(do_read, PGT_VA_2M + 0x80, 0);
	pgt_unmap(pgt_root(), PGT_VA_2M, 2);
	return why;
}

/* A non-canonical address never reaches the page walk: #GP(0), not #PF. */
static const char *check_noncanonical(void)
{
	struct rt_fault f;

	if (!rt_try(do_read, (void *)PGT_VA_NONCANONICAL, &f))
		return "no fault";
	if (f.vector != T_GP || f.error != 0)
		return rt_fmt("%s(0x%lx), expected #GP(0x0)",
			      rt_vector_name(f.vector), f.error);
	return NULL;
}

const struct pgt_check pgt_rights[] = {
	{ "accessed", "a read sets A in the PML4E, PDPTE, PDE and PTE, and not D", check_accessed },
	{ "dirty", "a write after a read sets D in the PTE only, A at every level", check_dirty },
	{ "ad_again", "A and D cleared by software and flushed with invlpg are set again by the next access", check_ad_again },
	{ "not_present", "a read of an unmapped page (PTE or PML4E clear): #PF(0), CR2 = the address", check_not_present },
	{ "not_present_kinds", "a write gives #PF(W), a fetch #PF(I) (EFER.NXE = 1)", check_not_present_kinds },
	{ "nx", "a fetch from an XD page: #PF(P|I); the same frame without XD runs", check_nx },
	{ "nx_upper", "XD in a PDE forbids fetches below it: #PF(P|I) for a PTE without XD", check_nx_upper },
	{ "wp_on", "CR0.WP = 1: a CPL-0 write to a read-only page is #PF(P|W), changes nothing, sets no D", check_wp_on },
	{ "wp_off", "CR0.WP = 0: CPL-0 writes to read-only pages succeed (D set); CPL 3 still gets #PF(P|W|U)", check_wp_off },
	{ "wp_again", "CR0.WP = 1 again: the page just written under WP = 0 is read-only again", check_wp_again },
	{ "rights_and", "R/W or U/S clear in a PDE overrides a PTE that grants it", check_rights_and },
	{ "user_ok", "CPL 3 reads and writes a user page; the write sets D", check_user_ok },
	{ "user_super", "CPL 3 on a supervisor page CPL 0 has just written: read #PF(P|U), write #PF(P|W|U); not present #PF(U)", check_user_super },
	{ "user_ro", "CPL 3 reads a read-only user page, a write is #PF(P|W|U)", check_user_ro },
	{ "user_nx", "CPL 3 fetch from an XD user page: #PF(P|U|I)", check_user_nx },
	{ "user_demand", "a CPL-3 #PF whose handler makes the page present: the access runs again and sets A (and D, a write) as its own, no more", check_user_demand },
	{ "pf_in_delivery", "a CPL-3 #PF whose TSS.RSP0 stack is not mapped becomes #DF(0), delivered on IST 1", check_pf_in_delivery },
	{ "kernel_on_user", "CPL 0 reads, writes and runs user pages (CR4.SMAP and SMEP are off)", check_kernel_on_user },
	{ "rsvd", "a frame bit above MAXPHYADDR: #PF(RSVD), #PF(W|RSVD) on a write (P not compared)", check_rsvd },
	{ "rsvd_pde", "the same bit in a PDE that points to a page table: #PF(RSVD) (P not compared)", check_rsvd_pde },
	{ "rsvd_pml4_ps", "PS set in a PML4E is reserved: #PF(RSVD) (P not compared)", check_rsvd_pml4_ps },
	{ "rsvd_2m", "a 2 MiB leaf with frame bit 13 set: #PF(RSVD) (P not compared)", check_rsvd_2m },
	{ "nxe_off", "EFER.NXE = 0: XD in a PTE is a reserved bit, a fetch fault has no I", check_nxe_off },
	{ "noncanonical", "a read of a non-canonical address is #GP(0), not #PF", check_noncanonical },
};
const unsigned pgt_rights_count = sizeof(pgt_rights) / sizeof(pgt_rights[0]);
