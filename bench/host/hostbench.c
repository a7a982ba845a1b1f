/*
 * bench/host/hostbench.c - the host's own figures for the benchmarks
 * that have an equivalent outside a virtual machine.
 *
 *   hostbench NAME ITERATIONS     one line, as the bench guest prints it:
 *                                 bench name=NAME iters=N cycles_per_iter=C
 *   hostbench tsc                 the TSC's frequency: tsc_hz=F
 *
 * The column "host" of bench/run.sh's table, and the yardsticks of its
 * target figures:
 *
 *   call       call/ret, the same loop as the guest's
 *   syscall    a getpid system call through the syscall instruction
 *   pagefault  the first write to a fresh anonymous page (a minor fault
 *              the kernel resolves by mapping a zeroed frame)
 *   divzero    a #DE turned into SIGFPE, the handler skips the divide
 *   forkwait   fork, the child exits at once, the parent waits
 *   cpuid      cpuid leaf 0 (itself a VM exit when the host is a VM)
 *   compute    the guest's sieve (bench/compute.h), same source
 *   signal     the bare signal round trip: cli faults, a SIGSEGV handler
 *              in the same process skips it
 *   ptrace     the bare ptrace round trip: cli faults in a traced child,
 *              tracer and child on one CPU as the native engine runs,
 *              the tracer reads the registers, skips cli, resumes it (what
 *              the native engine does for every trap)
 *   sysemu     the bare round trip of a system call stop: the traced
 *              child's syscall stops it (PTRACE_SYSEMU: never performed),
 *              the tracer reads and writes the registers, resumes it; a
 *              little cheaper than ptrace's fault (no signal is made)
 *   stub       the native engine's stub page opened and closed once, as
 *              around every batch of system calls it injects into a child
 *              (engines/native/child.c, stub_open and stub_close): four
 *              bytes written to an empty memfd mapped shared, the page
 *              read through the mapping (as the child's fetch of its
 *              syscall instruction), the file truncated to 0 again
 *
 * Times are TSC cycles (rdtsc), the unit of the guest's own figures.
 */
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <elf.h>

#include "bench/compute.h"
#include "engines/native/xsave.h"

#define CLI_LEN 1         /* cli is one byte: fa */
#define FAULT_CHUNK 4096  /* pages mapped at once by the pagefault case */

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

static void die(const char *what)
{
	perror(what);
	exit(1);
}

/* The guest's loops (guests/bench/kloops.S), the same instructions. */
void host_call_loop(uint64_t iters);
void host_div_loop(uint64_t iters);
extern char host_div_next[];
__asm__(".text\n"
	"host_call_loop:\n"
	"1: call host_ret\n"
	"   dec %rdi\n"
	"   jnz 1b\n"
	"   ret\n"
	"host_ret: ret\n"
	"host_div_loop:\n"
	"   xor %ecx, %ecx\n"
	"1: xor %edx, %edx\n"
	"   mov $1, %eax\n"
	"   divl %ecx\n"
	"host_div_next:\n"
	"   dec %rdi\n"
	"   jnz 1b\n"
	"   ret\n");

static uint64_t run_call(uint64_t iters)
{
	uint64_t t = rdtsc();

	host_call_loop(iters);
	return rdtsc() - t;
}

static uint64_t run_syscall(uint64_t iters)
{
	uint64_t t = rdtsc();

	for (uint64_t i = 0; i < iters; i++) {
		long ret;

		__asm__ volatile("syscall" : "=a"(ret) : "a"((long)SYS_getpid)
				 : "rcx", "r11", "memory");
	}
	return rdtsc() - t;
}

/* Only the writes are timed: mmap and munmap are the set-up. */
static uint64_t run_pagefault(uint64_t iters)
{
	uint64_t total = 0;

	for (uint64_t done = 0; done < iters; done += FAULT_CHUNK) {
		uint64_t n = iters - done < FAULT_CHUNK ? iters - done : FAULT_CHUNK;
		size_t len = n * 4096;
		volatile char *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
					MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (p == MAP_FAILED)
			die("mmap");
		uint64_t t = rdtsc();

		for (uint64_t i = 0; i < n; i++)
			p[i * 4096] = 1;
		total += rdtsc() - t;
		munmap((void *)p, len);
	}
	return total;
}

static void on_sigfpe(int sig, siginfo_t *si, void *uc_)
{
	ucontext_t *uc = uc_;

	(void)sig;
	(void)si;
	uc->uc_mcontext.gregs[REG_RIP] = (greg_t)(uintptr_t)host_div_next;
}

static void on_sigsegv(int sig, siginfo_t *si, void *uc_)
{
	ucontext_t *uc = uc_;

	(void)sig;
	(void)si;
	uc->uc_mcontext.gregs[REG_RIP] += CLI_LEN;
}

static void handle(int sig, void (*fn)(int, siginfo_t *, void *))
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = fn;
	sa.sa_flags = SA_SIGINFO;
	if (sigaction(sig, &sa, NULL) < 0)
		die("sigaction");
}

static uint64_t run_divzero(uint64_t iters)
{
	uint64_t t;

	handle(SIGFPE, on_sigfpe);
	t = rdtsc();
	host_div_loop(iters);
	return rdtsc() - t;
}

static uint64_t run_signal(uint64_t iters)
{
	uint64_t t;

	handle(SIGSEGV, on_sigsegv);
	t = rdtsc();
	for (uint64_t i = 0; i < iters; i++)
		__asm__ volatile("cli" : : : "memory");
	return rdtsc() - t;
}

static uint64_t run_forkwait(uint64_t iters)
{
	uint64_t t = rdtsc();

	for (uint64_t i = 0; i < iters; i++) {
		pid_t pid = fork();

		if (pid < 0)
			die("fork");
		if (pid == 0)
			_exit(0);
		if (waitpid(pid, NULL, 0) != pid)
			die("waitpid");
	}
	return rdtsc() - t;
}

static uint64_t run_cpuid(uint64_t iters)
{
	uint64_t t = rdtsc();

	for (uint64_t i = 0; i < iters; i++) {
		uint32_t a = 0, b, c = 0, d;

		__asm__ volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
	}
	return rdtsc() - t;
}

static uint64_t run_compute(uint64_t iters)
{
	static _Alignas(4096) uint8_t flags[COMPUTE_SIEVE_SIZE]; /* as the guest's */
	uint64_t t = rdtsc();

	for (uint64_t i = 0; i < iters; i++)
		if (compute_sieve(flags) != COMPUTE_PRIMES) {
			fprintf(stderr, "hostbench: the sieve miscounted\n");
			exit(1);
		}
	return rdtsc() - t;
}

/* Stay on the CPU this process is on, and so will the children it forks
 * (if the binding is refused, unbound). */
static void bind_to_this_cpu(void)
{
	int cpu = sched_getcpu();
	cpu_set_t one;

	CPU_ZERO(&one);
	if (cpu >= 0) {
		CPU_SET(cpu, &one);
		sched_setaffinity(0, sizeof(one), &one);
	}
}

/* The child: stop for the tracer, then fault on cli iters times. */
static void ptrace_child(uint64_t iters)
{
	if (ptrace(PTRACE_TRACEME, 0, NULL, NULL) < 0)
		_exit(1);
	raise(SIGSTOP);
	for (uint64_t i = 0; i < iters; i++)
		__asm__ volatile("cli" : : : "memory");
	_exit(0);
}

/* The child of the sysemu row: stop for the tracer, then make iters
 * system calls (getpid, which SYSEMU never lets reach the kernel's
 * handler). */
static void sysemu_child(uint64_t iters)
{
	if (ptrace(PTRACE_TRACEME, 0, NULL, NULL) < 0)
		_exit(1);
	raise(SIGSTOP);
	for (uint64_t i = 0; i < iters; i++) {
		long nr = SYS_getpid;

		__asm__ volatile("syscall" : "+a"(nr) : : "rcx", "r11", "memory");
	}
	_exit(0);
}

/* iters round trips with child (ptrace_child, sysemu_child): each a stop
 * with stopsig, GETREGS, the registers changed as the native engine
 * changes them (RIP past cli; getpid's answer in RAX), SETREGS, and the
 * resume request (PTRACE_CONT, PTRACE_SYSEMU).  Tracer and child share
 * one CPU, as the native engine binds its monitor and children
 * (engines/native/native.c, nat_bind_cpu): the floor is measured the way
 * the engine runs, without the wake-ups across CPUs that cost a virtual
 * machine an order of magnitude.  The child is killed at the end (a
 * SYSEMU child's _exit is skipped like its other calls). */
static uint64_t round_trips(uint64_t iters, void (*child)(uint64_t),
			    int request, int stopsig)
{
	struct user_regs_struct r;
	int status;

	bind_to_this_cpu();
	pid_t pid = fork();

	if (pid < 0)
		die("fork");
	if (pid == 0)
		child(iters);
	if (waitpid(pid, &status, 0) != pid || !WIFSTOPPED(status))
		die("waitpid (start)");
	ptrace(request, pid, NULL, NULL);
	uint64_t t = rdtsc();

	for (uint64_t i = 0; i < iters; i++) {
		if (waitpid(pid, &status, 0) != pid || !WIFSTOPPED(status) ||
		    WSTOPSIG(status) != stopsig)
			die("waitpid (the child's stop)");
		ptrace(PTRACE_GETREGS, pid, NULL, &r);
		if (stopsig == SIGSEGV)
			r.rip += CLI_LEN;
		else
			r.rax = (uint64_t)pid; /* what getpid would say */
		ptrace(PTRACE_SETREGS, pid, NULL, &r);
		ptrace(request, pid, NULL, NULL);
	}
	t = rdtsc() - t;
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	return t;
}

/* The bare ptrace round trip: a cli's #GP, a SIGSEGV stop. */
static uint64_t run_ptrace(uint64_t iters)
{
	return round_trips(iters, ptrace_child, PTRACE_CONT, SIGSEGV);
}

/* A system call's stop under PTRACE_SYSEMU, as the native engine takes
 * the guest's syscall: no signal is made. */
static uint64_t run_sysemu(uint64_t iters)
{
	return round_trips(iters, sysemu_child, PTRACE_SYSEMU, SIGTRAP);
}

/* The stub page's open and close.  This process holds the mapping that
 * the engine's child holds; the cost is the page's: allocated and
 * charged at the write, faulted in at the read, unmapped and freed at
 * the truncation. */
static uint64_t run_stub(uint64_t iters)
{
	static const uint8_t code[4] = { 0x0f, 0x05, 0xcc, 0xfa };
	int fd = memfd_create("hostbench-stub", MFD_CLOEXEC);
	const volatile uint8_t *page;

	if (fd < 0)
		die("memfd_create");
	page = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
	if (page == MAP_FAILED)
		die("mmap (the stub's memfd)");
	uint64_t t = rdtsc();

	for (uint64_t i = 0; i < iters; i++) {
		if (pwrite(fd, code, sizeof(code), 0) != (ssize_t)sizeof(code))
			die("pwrite (stub open)");
		(void)page[0];
		if (ftruncate(fd, 0) < 0)
			die("ftruncate (stub close)");
	}
	t = rdtsc() - t;
	munmap((void *)page, 4096);
	close(fd);
	return t;
}

/* Reads of a stopped traced child's XSAVE state: up to the AMX tile
 * data, which the engine skips while it is zeros, or all of it. */
static uint64_t run_xsave(uint64_t iters)
{
	static _Alignas(64) uint8_t area[16384];
	size_t len = xsave_tiledata_at() ? xsave_tiledata_at() : sizeof(area);
	int status;
	pid_t pid = fork();

	if (pid < 0)
		die("fork");
	if (pid == 0) {
		if (ptrace(PTRACE_TRACEME, 0, NULL, NULL) < 0)
			_exit(1);
		raise(SIGSTOP);
		_exit(0);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFSTOPPED(status))
		die("waitpid (xsave child)");
	uint64_t t = rdtsc();

	for (uint64_t i = 0; i < iters; i++) {
		struct iovec iov = { area, len };

		if (ptrace(PTRACE_GETREGSET, pid, NT_X86_XSTATE, &iov) < 0)
			die("PTRACE_GETREGSET");
	}
	t = rdtsc() - t;
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	return t;
}

/* TSC ticks per second, against CLOCK_MONOTONIC over 200 ms. */
static double tsc_hz(void)
{
	struct timespec a, b, pause = { 0, 200000000 };
	uint64_t t0, t1;

	clock_gettime(CLOCK_MONOTONIC, &a);
	t0 = rdtsc();
	nanosleep(&pause, NULL);
	clock_gettime(CLOCK_MONOTONIC, &b);
	t1 = rdtsc();
	return (double)(t1 - t0) /
	       ((double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9);
}

static const struct {
	const char *name;
	uint64_t (*run)(uint64_t iters);
} cases[] = {
	{ "call", run_call },         { "syscall", run_syscall },
	{ "pagefault", run_pagefault }, { "divzero", run_divzero },
	{ "forkwait", run_forkwait }, { "cpuid", run_cpuid },
	{ "compute", run_compute },   { "signal", run_signal },
	{ "ptrace", run_ptrace },     { "sysemu", run_sysemu },
	{ "stub", run_stub },
	{ "xsave", run_xsave },
};

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "tsc")) {
		printf("tsc_hz=%.0f\n", tsc_hz());
		return 0;
	}
	if (argc != 3) {
		fprintf(stderr, "usage: hostbench NAME ITERATIONS | hostbench tsc\n");
		return 2;
	}
	uint64_t iters = strtoull(argv[2], NULL, 10);

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (strcmp(argv[1], cases[i].name) || iters == 0)
			continue;
		uint64_t c = cases[i].run(iters);

		printf("bench name=%s iters=%llu cycles_per_iter=%.1f\n",
		       cases[i].name, (unsigned long long)iters,
		       (double)c / (double)iters);
		return 0;
	}
	fprintf(stderr, "hostbench: no case %s, or no iterations\n", argv[1]);
	return 2;
}
