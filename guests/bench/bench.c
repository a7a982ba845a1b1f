/*
 * guests/bench/bench.c - the nanobenchmarks of Adams and Agesen (ASPLOS
 * 2006), and a few more, as one guest kernel.
 *
 *   bench.elf -- NAME ITERATIONS    one benchmark
 *   bench.elf                       every benchmark, default iterations
 *                                   (but ide, which needs --disk)
 *   bench-pv.elf -- NAME ITERATIONS the same, built paravirtualized (-DPV:
 *                                   guests/runtime/cpu.h); its rdtsc is a
 *                                   hypercall that reads the same TSC
 *
 * Each benchmark times ITERATIONS rounds of one operation with rdtsc and
 * prints "bench name=NAME iters=N cycles_per_iter=C".  rdtsc does not
 * trap at ring 3, so under softcpu --isa=x86 and native it reads the
 * host's TSC: the time the monitor spends on each trap is in the figure,
 * which is the point.  Under QEMU's software emulation the TSC is QEMU's
 * virtual one.  bench/run.sh runs this guest on every engine.
 */
#include "bench.h"
#include "bench/compute.h"
#include "cpu.h"
#include "rt.h"

#define BENCH_UART_SCR 0x3ff /* COM1's scratch register: a device read */
#define BENCH_PTE_VA (2ULL << 39) /* PML4 slot 2: nothing else there */

struct bench {
	const char *name;
	uint64_t default_iters;
	uint64_t (*run)(uint64_t iters); /* returns the cycles taken */
	bool named_only; /* needs a device option: not in "every benchmark" */
};

void bench_call_loop(uint64_t iters);
void bench_div_loop(uint64_t iters);
extern char bench_div_insn[], bench_div_next[];

/* ------------------------------------------------------------ kernel mode */
static uint64_t run_call(uint64_t iters)
{
	uint64_t t = rdtsc();

	bench_call_loop(iters);
	return rdtsc() - t;
}

static uint64_t run_in(uint64_t iters)
{
	uint64_t t = rdtsc();

	for (uint64_t i = 0; i < iters; i++)
		(void)inb(BENCH_UART_SCR);
	return rdtsc() - t;
}

static uint64_t run_cr8(uint64_t iters)
{
	uint64_t t = rdtsc();

	for (uint64_t i = 0; i < iters; i++)
		write_cr8(0);
	return rdtsc() - t;
}

static uint64_t run_cpuid(uint64_t iters)
{
	uint32_t r[4];
	uint64_t t = rdtsc();

	for (uint64_t i = 0; i < iters; i++)
		cpuid(0, 0, r);
	return rdtsc() - t;
}

static uint64_t run_cli(uint64_t iters)
{
	uint64_t t = rdtsc();

	for (uint64_t i = 0; i < iters; i++) {
		cli();
		sti();
	}
	cli();
	return rdtsc() - t;
}

/*
 * The sensitive-unprivileged reads: pushf (the flags), sidt (the IDT
 * register) and mov from %cs (the code selector).  Each runs at ring 3
 * without a trap and shows the real machine under --isa=x86; what each
 * answer makes it cost is bench/run.sh's "answers" rows: a trap under
 * --patch and --isa=strict, a trap for sidt alone under umip, a hypercall
 * in the PV build (bench-pv.elf: guests/runtime/cpu.h), where pushf
 * becomes a read of the shared page's mask byte, no exit at all.  The
 * values go to a sink, so that the PV build's plain loads stay in the
 * loop.
 */
static volatile uintptr_t bench_sink;

static uint64_t run_pushf(uint64_t iters)
{
	uintptr_t acc = 0;
	uint64_t t = rdtsc();

	for (uint64_t i = 0; i < iters; i++)
		acc += read_flags();
	t = rdtsc() - t;
	bench_sink = acc;
	return t;
}

static uint64_t run_sidt(uint64_t iters)
{
	struct dt_ptr p;
	uintptr_t acc = 0;
	uint64_t t = rdtsc();

	for (uint64_t i = 0; i < iters; i++) {
		sidt(&p);
		acc += p.limit;
	}
	t = rdtsc() - t;
	bench_sink = acc;
	return t;
}

static uint64_t run_movcs(uint64_t iters)
{
	uintptr_t acc = 0;
	uint64_t t = rdtsc();

	for (uint64_t i = 0; i < iters; i++)
		acc += read_cs();
	t = rdtsc() - t;
	bench_sink = acc;
	return t;
}

/* The #DE of bench_div_loop: resume after the divide (the kernel's
 * answer to a divide error, as a signal handler's would be). */
static void de_handler(struct rt_frame *f)
{
	if (f->rip != (uint64_t)(uintptr_t)bench_div_insn) {
		rt_printf("bench: unexpected #DE at rip %lx\n",
			  (unsigned long)f->rip);
		rt_exit(RT_EXIT_UNEXPECTED_TRAP);
	}
	f->rip = (uint64_t)(uintptr_t)bench_div_next;
}

static uint64_t run_divzero(uint64_t iters)
{
	uint64_t t;

	rt_set_handler(T_DE, de_handler);
	t = rdtsc();
	bench_div_loop(iters);
	t = rdtsc() - t;
	rt_set_handler(T_DE, NULL);
	return t;
}

/*
 * Change a PTE, invlpg, touch the page.  Each PTE alternates between two
 * frames, and the value read tells that the new mapping took effect.  Two
 * pages take turns so that consecutive shadow fills are for different
 * addresses (the dispatcher takes a fill repeated at the same address and
 * RIP for one that did not take).
 */
static uint64_t run_ptemod(uint64_t iters)
{
	static uint64_t frames[2][PAGE_4K / 8] __attribute__((aligned(4096)));
	uint64_t *pte[2], t;

	frames[0][0] = 0;
	frames[1][0] = 1;
	for (unsigned k = 0; k < 2; k++) {
		uint64_t va = BENCH_PTE_VA + k * PAGE_4K;

		rt_map_page(va, (uint64_t)(uintptr_t)frames[0], PTE_P | PTE_W);
		pte[k] = rt_pte(va);
	}
	t = rdtsc();
	for (uint64_t i = 0; i < iters; i++) {
		unsigned k = i & 1, f = (i >> 1) & 1;
		uint64_t va = BENCH_PTE_VA + k * PAGE_4K;

		*pte[k] = (uint64_t)(uintptr_t)frames[f] | PTE_P | PTE_W;
		invlpg(va);
		if (*(volatile uint64_t *)(uintptr_t)va != f) {
			rt_puts("bench: ptemod read the old page\n");
			rt_exit(RT_EXIT_UNEXPECTED_TRAP);
		}
	}
	return rdtsc() - t;
}

static uint64_t run_compute(uint64_t iters)
{
	static _Alignas(4096) uint8_t flags[COMPUTE_SIEVE_SIZE]; /* as the host's */
	uint64_t t = rdtsc();

	for (uint64_t i = 0; i < iters; i++) {
		if (compute_sieve(flags) != COMPUTE_PRIMES) {
			rt_puts("bench: the sieve miscounted\n");
			rt_exit(RT_EXIT_UNEXPECTED_TRAP);
		}
	}
	return rdtsc() - t;
}

/* ------------------------------------------------------------ user mode */
static uint64_t run_syscall(uint64_t iters)
{
	return uspace_run(user_syscall_loop, iters, 0, 0);
}

/* One iteration is one fault: the loop touches A and B per round. */
static uint64_t run_pagefault(uint64_t iters)
{
	return uspace_run(user_fault_loop, (iters + 1) / 2, UPROC_PF_A,
			  UPROC_PF_B);
}

static uint64_t run_forkwait(uint64_t iters)
{
	return uspace_run(user_forkwait_loop, iters, UPROC_DATA, 0);
}

/* The command line's third word ("spaces ITERS N"), or 0. */
static uint64_t bench_arg;

static uint64_t run_spaces(uint64_t iters)
{
	return bench_spaces(iters, bench_arg ? bench_arg : 1);
}

/* ------------------------------------------------------------ the table */
static const struct bench benches[] = {
	{ "syscall", 20000, run_syscall, false },
	{ "in", 20000, run_in, false },
	{ "cr8", 20000, run_cr8, false },
	{ "call", 10000000, run_call, false },
	{ "pagefault", 20000, run_pagefault, false },
	{ "divzero", 20000, run_divzero, false },
	{ "ptemod", 20000, run_ptemod, false },
	{ "forkwait", 2000, run_forkwait, false },
	{ "cpuid", 20000, run_cpuid, false },
	{ "cli", 20000, run_cli, false },
	{ "pushf", 20000, run_pushf, false },
	{ "sidt", 20000, run_sidt, false },
	{ "movcs", 20000, run_movcs, false },
	{ "compute", 200, run_compute, false },
	/* devices.c: the exits a device costs (bench/run.sh, "devices") */
	{ "apictimer", 1000, bench_apictimer, false },
	{ "ide", 1000, bench_ide, true },
	/* spaces.c: shadow tables against address spaces (bench/run.sh) */
	{ "spaces", 1000, run_spaces, true },
};
#define NBENCH (sizeof(benches) / sizeof(benches[0]))

/* The one machine-readable line, cycles per iteration to a tenth. */
void bench_report(const char *name, uint64_t iters, uint64_t cycles)
{
	uint64_t tenths = iters ? (cycles * 10 + iters / 2) / iters : 0;

	rt_printf("bench name=%s iters=%lu cycles_per_iter=%lu.%lu\n", name,
		  (unsigned long)iters, (unsigned long)(tenths / 10),
		  (unsigned long)(tenths % 10));
}

static void run_one(const struct bench *b, uint64_t iters)
{
	if (iters == 0)
		iters = b->default_iters;
	if (b->run == run_pagefault)
		iters += iters & 1; /* whole A, B rounds */
	bench_report(b->name, iters, b->run(iters));
}

/* A decimal number at *args, and the spaces before it. */
static uint64_t parse_number(const char **args)
{
	uint64_t v = 0;

	while (**args == ' ')
		(*args)++;
	while (**args >= '0' && **args <= '9')
		v = v * 10 + (uint64_t)(*(*args)++ - '0');
	return v;
}

/* "NAME" and "N" out of "NAME N [ARG]"; name is NUL-ended in buf, ARG
 * goes to bench_arg. */
static uint64_t parse_args(const char *args, char *buf, size_t len)
{
	size_t n = 0;
	uint64_t iters;

	while (*args == ' ')
		args++;
	while (*args && *args != ' ' && n + 1 < len)
		buf[n++] = *args++;
	buf[n] = '\0';
	iters = parse_number(&args);
	bench_arg = parse_number(&args);
	return iters;
}

/* "NAME ITERATIONS": that benchmark; nothing: all of them. */
int main(const char *args)
{
	char name[32];
	uint64_t iters = parse_args(args, name, sizeof(name));

	uspace_init();
	for (unsigned i = 0; i < NBENCH; i++) {
		if (!name[0] && !benches[i].named_only)
			run_one(&benches[i], 0);
		else if (!strcmp(name, benches[i].name)) {
			run_one(&benches[i], iters);
			return 0;
		}
	}
	if (!name[0])
		return 0;
	rt_printf("bench: no benchmark called %s; there are:", name);
	for (unsigned i = 0; i < NBENCH; i++)
		rt_printf(" %s", benches[i].name);
	rt_printf("\n");
	return 2;
}
