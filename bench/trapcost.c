/*
 * bench/trapcost.c - what one trap costs, by each mechanism the native
 * engine could use to catch a guest's privileged instruction at ring 3.
 *
 * The native engine (engines/native/) runs guest code in a child process;
 * every privileged instruction faults there and must reach the monitor.
 * This program times one round trip (fault, monitor sees it, the faulting
 * instruction skipped, guest resumes) for each way of doing that:
 *
 *   sigsegv-inproc    a SIGSEGV handler in the faulting process itself
 *   seccomp-inproc    a SIGSYS handler for a seccomp RET_TRAP system call
 *   ptrace-gp         a tracer: SIGSEGV stop, GETREGS, RIP += 1, SETREGS,
 *                     PTRACE_CONT (what native does for a privileged insn)
 *   ptrace-sysemu     a tracer: PTRACE_SYSEMU stop at a syscall, GETREGS,
 *                     SETREGS, PTRACE_SYSEMU (what native does for syscall)
 *   ptrace-inject     a tracer runs one system call in the stopped child
 *                     through "syscall; int3" (how native maps a page)
 *   handoff-segv      a SIGSEGV handler in the child posts the trap on a
 *                     shared page and spins; the monitor spins on the other
 *                     core and answers (gVisor's "systrap" shape)
 *   handoff-sys       the same with seccomp's SIGSYS
 *
 * The ptrace cases are run twice: free to use both cores, and with the
 * tracer and the child pinned to one core.  Absolute times on a virtual
 * machine are noisy; compare the ratios of one run.
 *
 *   make BUILD=build bench-trapcost && build/bench/trapcost [ROUNDS]
 */
#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <ucontext.h>

#define NR_TRAPPED 1000 /* a system call number that does not exist */
#define CLI_LEN 1       /* cli is one byte: fa */

/* The shared page of the handoff cases. */
struct handoff {
	volatile uint64_t request;  /* the child's trap count */
	volatile uint64_t answer;   /* the monitor's last answered count */
	volatile int done;
};

static struct handoff *page;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

static void unpin(void)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	for (int i = 0; i < CPU_SETSIZE; i++)
		CPU_SET(i, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

static void cli_loop(long n)
{
	for (long i = 0; i < n; i++)
		__asm__ volatile("cli" ::: "memory");
}

static void trapped_syscall_loop(long n)
{
	for (long i = 0; i < n; i++)
		syscall(NR_TRAPPED);
}

/* Skip the cli that faulted. */
static void on_segv(int sig, siginfo_t *si, void *ctx)
{
	(void)sig, (void)si;
	((ucontext_t *)ctx)->uc_mcontext.gregs[REG_RIP] += CLI_LEN;
}

/* Post the trap on the shared page; wait for the monitor's answer. */
static void on_trap_handoff(int sig, siginfo_t *si, void *ctx)
{
	uint64_t my = page->request + 1;

	(void)si;
	page->request = my;
	while (page->answer != my)
		__asm__ volatile("pause");
	if (sig == SIGSEGV)
		((ucontext_t *)ctx)->uc_mcontext.gregs[REG_RIP] += CLI_LEN;
}

static void on_sys(int sig, siginfo_t *si, void *ctx)
{
	(void)sig, (void)si, (void)ctx;
}

static void handle(int sig, void (*fn)(int, siginfo_t *, void *))
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = fn;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	sigaction(sig, &sa, NULL);
}

/* seccomp: NR_TRAPPED raises SIGSYS, everything else runs. */
static void trap_nr_trapped(void)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NR_TRAPPED, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { sizeof(f) / sizeof(f[0]), f };

	prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
	if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) < 0) {
		perror("seccomp");
		_exit(1);
	}
}

/* Run fn(rounds) in a child (seccomp cannot be undone) and report its
 * time per round, written back through a pipe. */
static double in_child(void (*setup)(void), void (*fn)(long), long rounds)
{
	int p[2];
	double us = -1;

	if (pipe(p) < 0)
		return -1;
	pid_t pid = fork();
	if (pid == 0) {
		if (setup)
			setup();
		uint64_t t0 = now_ns();
		fn(rounds);
		double r = (double)(now_ns() - t0) / 1e3 / (double)rounds;
		if (write(p[1], &r, sizeof(r)) != sizeof(r))
			_exit(1);
		_exit(0);
	}
	if (read(p[0], &us, sizeof(us)) != sizeof(us))
		us = -1;
	waitpid(pid, NULL, 0);
	close(p[0]), close(p[1]);
	return us;
}

static void setup_seccomp_inproc(void)
{
	handle(SIGSYS, on_sys);
	trap_nr_trapped();
}

/* A traced child that stops itself, then runs body forever. */
static pid_t traced_child(void (*body)(long), int cpu)
{
	pid_t pid = fork();

	if (pid == 0) {
		if (cpu >= 0)
			pin(cpu);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		ptrace(PTRACE_TRACEME, 0, 0, 0);
		raise(SIGSTOP);
		body(LONG_MAX); /* "forever" */
		_exit(0);
	}
	waitpid(pid, NULL, 0);
	if (cpu >= 0)
		pin(cpu); /* the tracer too: one core for both */
	return pid;
}

static void reap(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	unpin();
}

/* ptrace: each cli stops the child with SIGSEGV; skip it and resume. */
static double ptrace_gp(long rounds, int cpu)
{
	struct user_regs_struct r;
	pid_t pid = traced_child(cli_loop, cpu);
	uint64_t t0 = now_ns();

	for (long i = 0; i < rounds; i++) {
		ptrace(PTRACE_CONT, pid, 0, 0);
		waitpid(pid, NULL, 0);
		ptrace(PTRACE_GETREGS, pid, 0, &r);
		r.rip += CLI_LEN;
		ptrace(PTRACE_SETREGS, pid, 0, &r);
	}
	double us = (double)(now_ns() - t0) / 1e3 / (double)rounds;
	reap(pid);
	return us;
}

/* PTRACE_SYSEMU: each syscall stops the child and is skipped. */
static double ptrace_sysemu(long rounds, int cpu)
{
	struct user_regs_struct r;
	pid_t pid = traced_child(trapped_syscall_loop, cpu);
	uint64_t t0 = now_ns();

	for (long i = 0; i < rounds; i++) {
		ptrace(PTRACE_SYSEMU, pid, 0, 0);
		waitpid(pid, NULL, 0);
		ptrace(PTRACE_GETREGS, pid, 0, &r);
		r.rax = 0;
		ptrace(PTRACE_SETREGS, pid, 0, &r);
	}
	double us = (double)(now_ns() - t0) / 1e3 / (double)rounds;
	reap(pid);
	return us;
}

/* The gate an injected system call goes through. */
__asm__(".text\n"
	"trapcost_gate: syscall\n"
	"	int3\n");
extern char trapcost_gate[];

/* A system call run in the stopped child: set registers, CONT, wait for
 * the int3, read the result, put the registers back. */
static double ptrace_inject(long rounds, int cpu)
{
	struct user_regs_struct saved, r;
	pid_t pid = traced_child(cli_loop, cpu);

	ptrace(PTRACE_GETREGS, pid, 0, &saved);
	uint64_t t0 = now_ns();
	for (long i = 0; i < rounds; i++) {
		r = saved;
		r.rip = (uintptr_t)trapcost_gate;
		r.rax = SYS_getpid;
		r.orig_rax = ~0ULL;
		ptrace(PTRACE_SETREGS, pid, 0, &r);
		ptrace(PTRACE_CONT, pid, 0, 0);
		waitpid(pid, NULL, 0);
		ptrace(PTRACE_GETREGS, pid, 0, &r);
		ptrace(PTRACE_SETREGS, pid, 0, &saved);
	}
	double us = (double)(now_ns() - t0) / 1e3 / (double)rounds;
	reap(pid);
	return us;
}

static void handoff_segv_body(long n)
{
	handle(SIGSEGV, on_trap_handoff);
	cli_loop(n);
}

static void handoff_sys_body(long n)
{
	handle(SIGSYS, on_trap_handoff);
	trap_nr_trapped();
	trapped_syscall_loop(n);
}

/* The child traps and spins on one core; the monitor answers from the
 * other one, spinning on the shared page. */
static double handoff(void (*body)(long), long rounds)
{
	memset((void *)page, 0, sizeof(*page));
	pid_t pid = fork();

	if (pid == 0) {
		pin(1);
		body(rounds);
		page->done = 1;
		_exit(0);
	}
	pin(0);
	uint64_t t0 = now_ns();
	while (!page->done) {
		uint64_t req = page->request;
		if (req != page->answer)
			page->answer = req;  /* "emulated" */
		else
			__asm__ volatile("pause");
	}
	double us = (double)(now_ns() - t0) / 1e3 / (double)rounds;
	waitpid(pid, NULL, 0);
	unpin();
	return us;
}

static void report(const char *name, double us, double base)
{
	printf("%-28s %9.2f us   %6.1fx\n", name, us, us / base);
}

int main(int argc, char **argv)
{
	long rounds = argc > 1 ? atol(argv[1]) : 20000;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);

	if (rounds <= 0)
		rounds = 20000;
	page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED |
		    MAP_ANONYMOUS, -1, 0);
	if (page == MAP_FAILED)
		return 1;
	handle(SIGSEGV, on_segv);
	uint64_t t0 = now_ns();
	cli_loop(rounds);
	double base = (double)(now_ns() - t0) / 1e3 / (double)rounds;

	printf("one trap, round trip (%ld rounds, %ld cpus); ratio to "
	       "sigsegv-inproc\n", rounds, cpus);
	report("sigsegv-inproc", base, base);
	report("seccomp-inproc", in_child(setup_seccomp_inproc,
					  trapped_syscall_loop, rounds), base);
	report("ptrace-gp", ptrace_gp(rounds, -1), base);
	report("ptrace-gp (one core)", ptrace_gp(rounds, 0), base);
	report("ptrace-sysemu", ptrace_sysemu(rounds, -1), base);
	report("ptrace-sysemu (one core)", ptrace_sysemu(rounds, 0), base);
	report("ptrace-inject", ptrace_inject(rounds, -1), base);
	if (cpus >= 2) {
		report("handoff-segv (two cores)", handoff(handoff_segv_body,
							   rounds), base);
		report("handoff-sys (two cores)", handoff(handoff_sys_body,
							  rounds), base);
	}
	return 0;
}
