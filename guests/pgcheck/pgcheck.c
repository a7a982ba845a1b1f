/*
 * guests/pgcheck/pgcheck.c - does every sensitive instruction behave as at
 * a real ring 0?
 *
 * The guest kernel runs each instruction of the sensitive-instruction
 * contract (isa/CONTRACT.md) in a fixed order - first the privileged group,
 * then the sensitive-unprivileged group - and prints one line for each:
 *
 *   PASS <name>: <what was checked>
 *   FAIL <name>: <what differed>
 *
 * then "pgcheck: N passed, M failed" and, when M > 0, "failed: a b c".
 * It exits 0 when everything passed, 1 otherwise.
 *
 * On a real CPU (QEMU) and under trapvisor --isa=strict every line is a
 * PASS.  Under trapvisor --isa=x86 every privileged check still passes -
 * they trap, and the monitor emulates them - while every sensitive-
 * unprivileged check fails: those instructions do not trap at the real
 * ring 3 and show the real machine instead of the virtual one.  That is
 * Popek and Goldberg's theorem, made visible.  hlt is not checked: with
 * interrupts off it would stop the machine (rt_exit executes it last).
 *
 * pgcheck-pv.elf is the same code built with -DPV: the sensitive-
 * unprivileged checks whose operation the PV runtime replaces (pushf,
 * popf, sgdt, sidt, sldt, str, smsw, mov from Sreg, cpuid, and rdtsc at
 * CPL 0) go through the hypercall interface and pass on every engine; the
 * rest still run the bare instruction (guests/runtime/README.md says
 * why), and a third group checks the interface itself (pv.c).
 */
#include "cpu.h"
#include "pgcheck.h"

/* The longest "failed:" list: every check's name. */
#define FAILED_LIST_MAX 1024

static char failed_list[FAILED_LIST_MAX];
static size_t failed_len;

/* Describe a recorded fault as "#GP(0x10)" or "#UD" (its own buffer). */
static const char *fault_text(const struct rt_fault *f, bool with_error)
{
	static char buf[32];

	if (with_error)
		rt_snprintf(buf, sizeof(buf), "%s(0x%lx)",
			    rt_vector_name(f->vector), f->error);
	else
		rt_snprintf(buf, sizeof(buf), "%s", rt_vector_name(f->vector));
	return buf;
}

/* The vectors whose error code is worth printing. */
static bool shows_error(unsigned vector)
{
	return vector == T_GP || vector == T_PF || vector == T_NP ||
	       vector == T_SS || vector == T_TS;
}

/* NULL if fn(arg) faulted with vector (and error), else what happened. */
const char *pg_expect_fault(void (*fn)(void *), void *arg, unsigned vector,
			    bool has_error, uint64_t error)
{
	struct rt_fault f;

	if (!rt_try(fn, arg, &f))
		return "no fault";
	if (f.vector != vector || (has_error && f.error != error))
		return fault_text(&f, shows_error(f.vector));
	return NULL;
}

/* NULL if fn(arg) returned, else the fault it raised. */
const char *pg_expect_no_fault(void (*fn)(void *), void *arg)
{
	struct rt_fault f;

	if (!rt_try(fn, arg, &f))
		return NULL;
	return rt_fmt("unexpected %s", fault_text(&f, shows_error(f.vector)));
}

/* mov sel to ds: a fn for rt_try. */
void pg_load_ds(void *sel)
{
	__asm__ volatile("movw %0, %%ds" : : "r"((uint16_t)(uintptr_t)sel)
			 : "memory");
}

void pg_load_fs(void *sel)
{
	__asm__ volatile("movw %0, %%fs" : : "r"((uint16_t)(uintptr_t)sel)
			 : "memory");
}

void pg_load_ss(void *sel)
{
	__asm__ volatile("movw %0, %%ss\n\t"
			 "movw %1, %%ss"
			 : : "r"((uint16_t)(uintptr_t)sel), "r"((uint16_t)RT_SEL_KDATA)
			 : "memory");
}

/* The user page at PG_USER_VA and the syscall MSRs that bring it back. */
void pg_user_setup(void)
{
	wrmsr(MSR_STAR, PG_STAR);
	wrmsr(MSR_LSTAR, (uint64_t)pg_syscall_entry);
	wrmsr(MSR_SFMASK, PG_SFMASK);
	rt_map_page(PG_USER_VA, (uint64_t)(uintptr_t)pg_user_page,
		    PTE_P | PTE_U);
}

/* A #UD whose frame shows the RFLAGS of the moment: a fn for rt_try. */
void pg_ud2(void *unused)
{
	(void)unused;
	__asm__ volatile("ud2" : : : "memory");
}

/* Run one check, print its line, keep the score. */
static bool run_check(const struct pg_check *c)
{
	const char *diff = c->run();

	if (!diff) {
		rt_printf("PASS %s: %s\n", c->name, c->what);
		return true;
	}
	rt_printf("FAIL %s: %s\n", c->name, diff);
	failed_len += rt_snprintf(failed_list + failed_len,
				  sizeof(failed_list) - failed_len, " %s",
				  c->name);
	if (failed_len >= sizeof(failed_list))
		failed_len = sizeof(failed_list) - 1;
	return false;
}

/* Print the group header and run its checks; returns how many passed. */
static unsigned run_group(const char *header, const struct pg_check *checks,
			  unsigned count, unsigned *failed)
{
	unsigned passed = 0;

	rt_printf("%s\n", header);
	for (unsigned i = 0; i < count; i++) {
		if (run_check(&checks[i]))
			passed++;
		else
			(*failed)++;
	}
	return passed;
}

/*T:810 pgcheck puts the theory to the test.  It runs every privileged
 * and every sensitive-unprivileged instruction at (virtual) ring 0 and
 * checks each against what the SDM says ring 0 does.  On QEMU, under
 * --isa=strict and on kvm every check passes; under --isa=x86 exactly the
 * sensitive-unprivileged ones fail: Popek and Goldberg's theorem, watched
 * failing on x86.
 */
/* Both groups in their fixed order, the summary, status 0 or 1. */
int main(const char *args)
{
	unsigned passed = 0, failed = 0;

	(void)args;
	passed += run_group("== privileged: they trap at CPL 3 ==",
			    pg_privileged, pg_privileged_count, &failed);
	passed += run_group("== sensitive-unprivileged: they run at CPL 3 ==",
			    pg_sensitive, pg_sensitive_count, &failed);
#ifdef PV
	passed += run_group("== paravirtual: the hypercall interface ==",
			    pg_pv, pg_pv_count, &failed);
#endif
	rt_printf("pgcheck: %u passed, %u failed\n", passed, failed);
	if (failed)
		rt_printf("failed:%s\n", failed_list);
	return failed ? 1 : 0;
}
