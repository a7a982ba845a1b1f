/*
 * guests/selfpatch/selfpatch.c - code that looks at itself, for --patch.
 *
 * A scanner that patches guest code (trapvisor --patch, patch/README.md)
 * must stay invisible: this guest reads back its own code after it ran
 * (and was patched) and must see the bytes it was built with; rewrites a
 * patched instruction and must run the new one; rewrites the part of an
 * instruction that lies on the next page; and jumps into the middle of a
 * patched instruction, where the CPU runs the bytes it finds there; and
 * runs at CPL 0 code that first ran at CPL 3, through a user alias.  The
 * sensitive-unprivileged instructions it runs (pushfq, lsl, smsw) must
 * also tell the truth about the virtual CPU, which they do on QEMU and,
 * with --patch, under trapvisor.  Every line is compared with QEMU's.
 */
#include "cpu.h"
#include "rt.h"

extern uint8_t code_start[], code_end[];
extern uint8_t probe_pushf[], smc_fn[], mid_fn[], mid_tail[];
extern uint8_t cross_fn[], cross_tail[];
extern uint8_t shared_page[], shared_fn[], shared_user[];
uint64_t call_eax(void *fn, uint64_t x);
uint64_t to_user(uint64_t rip, uint64_t rflags, uint64_t rsp);
void syscall_back(void);

#define USER_VA 0x40000000ULL       /* the user alias of shared_page */
#define USER_STACK_VA 0x40002000ULL /* and the user's stack */

static uint8_t user_stack[PAGE_4K] __attribute__((aligned(PAGE_4K)));

static uint64_t call(void *fn)
{
	return ((uint64_t (*)(void))fn)();
}

/* The bytes at p, read as data, as "9c 58 c3". */
static const char *bytes(const volatile uint8_t *p, unsigned n)
{
	static char buf[64];
	unsigned len = 0;

	for (unsigned i = 0; i < n && len + 4 < sizeof(buf); i++)
		len += (unsigned)rt_snprintf(buf + len, sizeof(buf) - len,
					     "%s%02x", i ? " " : "", p[i]);
	return buf;
}

/* A checksum of the code, read as data (Fletcher-16). */
static unsigned checksum(void)
{
	const volatile uint8_t *p = code_start;
	unsigned a = 0, b = 0;

	for (; p < code_end; p++) {
		a = (a + *p) % 255;
		b = (b + a) % 255;
	}
	return b << 8 | a;
}

static void pushf_runs(void)
{
	uint64_t off, on;

	cli();
	off = call(probe_pushf);
	sti();
	on = call(probe_pushf);
	cli();
	rt_printf("pushf: IF=%u after cli, IF=%u after sti\n",
		  (unsigned)!!(off & FL_IF), (unsigned)!!(on & FL_IF));
}

/* After everything ran once (and was patched): the original bytes. */
static void read_back(void)
{
	rt_printf("read: probe_pushf %s\n", bytes(probe_pushf, 3));
	rt_printf("read: mid_fn %s\n", bytes(mid_fn, 4));
	rt_printf("read: cross_fn %s\n", bytes(cross_fn, 5));
	rt_printf("read: checksum of %u bytes of code: 0x%x\n",
		  (unsigned)(code_end - code_start), checksum());
}

/* Rewrite a patched pushfq (9c 58) to xor %eax,%eax (31 c0), and back. */
static void rewrite(void)
{
	volatile uint8_t *p = smc_fn;
	uint64_t was, now, again;

	cli();
	was = call(smc_fn);
	p[0] = 0x31;
	p[1] = 0xc0;
	now = call(smc_fn);
	p[0] = 0x9c;
	p[1] = 0x58;
	again = call(smc_fn);
	rt_printf("rewrite: smc_fn IF=%u; as xor it returns 0x%llx; as "
		  "pushfq again IF=%u\n", (unsigned)!!(was & FL_IF),
		  (unsigned long long)now, (unsigned)!!(again & FL_IF));
}

/* lsl of the kernel's data selector, then the same bytes entered at +1. */
static void middle(void)
{
	uint64_t limit = call_eax(mid_fn, 0x10);
	uint64_t twice = call_eax(mid_tail, 21);

	rt_printf("middle: lsl 0x10 = 0x%llx; entered at +1 (add %%eax,%%eax) "
		  "21 -> %llu\n", (unsigned long long)limit,
		  (unsigned long long)twice);
}

/* smsw across a page boundary; its second page rewritten to imul. */
static void cross(void)
{
	volatile uint8_t *t = cross_tail;
	uint64_t msw, sq, msw2;

	msw = call_eax(cross_fn, 0) & 0xffff;
	t[0] = 0xaf;
	t[1] = 0xc0;
	sq = call_eax(cross_fn, 7);
	t[0] = 0x01;
	t[1] = 0xe0;
	msw2 = call_eax(cross_fn, 0) & 0xffff;
	rt_printf("cross: smsw = 0x%llx; tail rewritten to imul: 7 -> %llu; "
		  "smsw again = 0x%llx\n", (unsigned long long)msw,
		  (unsigned long long)sq, (unsigned long long)msw2);
}

/*
 * The same bytes at CPL 3 first, through a user alias of their page, then
 * at CPL 0: a monitor that scans only the kernel's code must still scan
 * these before the kernel runs them, though they were already run (and,
 * in softcpu, decoded) in user mode.
 */
static void alias(void)
{
	uint64_t user, kernel;

	wrmsr(MSR_STAR, (uint64_t)RT_STAR_SYSRET_BASE << 48 |
			(uint64_t)RT_SEL_KCODE << 32);
	wrmsr(MSR_LSTAR, (uint64_t)(uintptr_t)syscall_back);
	wrmsr(MSR_SFMASK, FL_IF | FL_TF | FL_DF | FL_AC);
	rt_map_page(USER_VA, (uintptr_t)shared_page, PTE_P | PTE_U);
	rt_map_page(USER_STACK_VA, (uintptr_t)user_stack,
		    PTE_P | PTE_W | PTE_U);
	user = to_user(USER_VA + (uint64_t)(shared_user - shared_page),
		       FL_FIXED1 | FL_IF, USER_STACK_VA + PAGE_4K);
	cli();
	kernel = call(shared_fn);
	rt_printf("alias: pushf at CPL 3 through a user alias: IF=%u; the "
		  "same bytes at CPL 0 after cli: IF=%u\n",
		  (unsigned)!!(user & FL_IF), (unsigned)!!(kernel & FL_IF));
}

int main(const char *args)
{
	(void)args;
	pushf_runs();
	alias();
	middle();
	cross();
	rewrite();
	read_back();
	return 0;
}
