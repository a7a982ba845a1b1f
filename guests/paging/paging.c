/*
 * guests/paging/paging.c - does the MMU behave as the SDM says?
 *
 * The guest kernel runs three groups of checks, each printing one line:
 *
 *   PASS <name>: <what was checked>
 *   FAIL <name>: <what differed>
 *
 * first the translation itself (accessed/dirty bits, the protection
 * checks and the #PF error code and CR2 they produce: rights.c), then
 * accesses that straddle two pages (split.c), then large pages and the
 * TLB-maintenance operations (tlb.c).  A summary
 * "paging: N passed, M failed" ends the run; the exit status is 0 when
 * everything passed, 1 otherwise.  No line holds a value that depends on
 * the machine or on timing, so the output is the same on QEMU and under
 * trapvisor - when trapvisor's shadow page tables are right.
 */
#include "paging.h"

/* "#PF(0x5) cr2 0x..." or "#GP(0x0)": what a recorded fault was. */
static const char *fault_text(const struct rt_fault *f)
{
	if (f->vector == T_PF)
		return rt_fmt("#PF(0x%lx) cr2 0x%lx", f->error, f->cr2);
	return rt_fmt("%s(0x%lx) at rip 0x%lx", rt_vector_name(f->vector),
		      f->error, f->rip);
}

/* NULL if an rt_try that returned faulted and filled *f saw #PF(error)
 * with CR2 = cr2, else what it saw. */
const char *pgt_pf_diff(int faulted, const struct rt_fault *f,
			uint64_t error, uint64_t cr2)
{
	if (!faulted)
		return rt_fmt("no fault, expected #PF(0x%lx) cr2 0x%lx",
			      error, cr2);
	if (f->vector != T_PF || f->error != error || f->cr2 != cr2)
		return rt_fmt("%s, expected #PF(0x%lx) cr2 0x%lx",
			      fault_text(f), error, cr2);
	return NULL;
}

/* NULL if fn(arg) raised #PF(error) with CR2 = cr2. */
const char *pgt_expect_pf(void (*fn)(void *), void *arg, uint64_t error,
			  uint64_t cr2)
{
	struct rt_fault f;
	int faulted = rt_try(fn, arg, &f);

	return pgt_pf_diff(faulted, &f, error, cr2);
}

/* NULL if fn(arg) returned without a fault. */
const char *pgt_expect_no_fault(void (*fn)(void *), void *arg)
{
	struct rt_fault f;

	if (!rt_try(fn, arg, &f))
		return NULL;
	return rt_fmt("unexpected %s", fault_text(&f));
}

/* STAR/LSTAR/SFMASK for the sysretq/syscall round trip of user.S. */
void pgt_user_setup(void)
{
	wrmsr(MSR_STAR, PGT_STAR);
	wrmsr(MSR_LSTAR, (uint64_t)(uintptr_t)pgt_syscall_entry);
	wrmsr(MSR_SFMASK, PGT_SFMASK);
}

/* Run a group's checks in order, print a line each, count them. */
static void run_group(const struct pgt_check *checks, unsigned count,
		      unsigned *passed, unsigned *failed)
{
	for (unsigned i = 0; i < count; i++) {
		const char *diff = checks[i].run();

		if (diff) {
			rt_printf("FAIL %s: %s\n", checks[i].name, diff);
			(*failed)++;
		} else {
			rt_printf("PASS %s: %s\n", checks[i].name,
				  checks[i].what);
			(*passed)++;
		}
	}
}

/* Both groups, the summary, status 0 or 1. */
int main(const char *args)
{
	unsigned passed = 0, failed = 0;

	(void)args;
	pgt_user_setup();
	rt_puts("== translation: A/D bits, protection, #PF error codes ==\n");
	run_group(pgt_rights, pgt_rights_count, &passed, &failed);
	rt_puts("== accesses across a page boundary ==\n");
	run_group(pgt_split, pgt_split_count, &passed, &failed);
	rt_puts("== large pages and the TLB ==\n");
	run_group(pgt_tlb, pgt_tlb_count, &passed, &failed);
	rt_printf("paging: %u passed, %u failed\n", passed, failed);
	return failed ? 1 : 0;
}
