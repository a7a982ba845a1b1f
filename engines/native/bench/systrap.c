/*
 * engines/native/bench/systrap.c - gVisor's "systrap" against ptrace, for
 * each kind of exit the native engine has (engines/native/README.md,
 * "ptrace or systrap: the figures").
 *
 * systrap (gVisor's platform since 2023) catches the guest's traps with a
 * signal handler *inside* the traced process: a seccomp filter turns each
 * system call into SIGSYS (SECCOMP_RET_TRAP), a fault is SIGSEGV; the
 * handler copies the registers to a page shared with the monitor, wakes it
 * with a futex and sleeps on another futex until the monitor answers; the
 * monitor's answer may ask the handler to make system calls itself (mmap,
 * munmap: no tracer round trip for them).  ptrace stops the process in the
 * kernel instead and the tracer reads and writes its registers.
 *
 * Each case times one exit as the native engine would have it, free to use
 * both cores and with monitor and child pinned to one core (the machine
 * busy: no core to spin on, which is why the handoff here blocks on a
 * futex, as systrap does when it has no spare core):
 *
 *   gp        a privileged instruction (cli): the trap, the monitor reads
 *             the registers, RIP += 1, the child goes on
 *   syscall   a syscall instruction (SIGSYS under systrap, a SYSEMU stop
 *             under ptrace), answered the same way
 *   map       a page fault the monitor answers by mapping a page in the
 *             child (mmap of a memfd, MAP_FIXED), then the child goes on:
 *             under ptrace one stop and one injected call (the engine's
 *             nat_inject: SETREGS, CONT, a second stop, GETREGS, SETREGS);
 *             under systrap the handler makes the mmap itself
 *   switch    ptrace only: the exit that changes the running child
 *             (space.c): the registers move to a second traced child,
 *   +xget     ... and the XSAVE state is read (PTRACE_GETREGSET), as the
 *             engine does at every switch,
 *   +xset     ... and set into the second (PTRACE_SETREGSET), which the
 *             engine does only when the state changed
 *
 *   make bench-systrap && build/bench/systrap [ROUNDS]
 *
 * The figures are host time per exit, the best of BATCHES batches; only
 * their ratios within one run mean anything on a shared machine.
 */

#include <elf.h>
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/futex.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>

#define NR_TRAPPED 1000  /* a system call number that does not exist */
#define MAP_AT 0x10000000UL /* where the map case maps its page */

enum kind { GP, SYSCALL, MAP };

/* The page the systrap child and the monitor share. */
struct shared {
	uint32_t req;           /* futex: the child's trap count */
	uint32_t ans;           /* futex: the monitor's last answer */
	uint64_t gregs[NGREG];  /* the registers, as the handler saw them */
	int map;                /* the monitor asks the handler to mmap */
};

static struct shared *sh;
static int memfd;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static long futex(uint32_t *w, int op, uint32_t val)
{
	return syscall(SYS_futex, w, op, val, NULL, NULL, 0);
}

/* Wait until *w is no longer old. */
static void wait_change(uint32_t *w, uint32_t old)
{
	while (__atomic_load_n(w, __ATOMIC_ACQUIRE) == old)
		futex(w, FUTEX_WAIT, old);
}

static void pin(int cpu)
{
	cpu_set_t s;

	CPU_ZERO(&s);
	CPU_SET(cpu, &s);
	sched_setaffinity(0, sizeof(s), &s);
}

/* One guest "exit" of the given kind, in the child. */
static void do_exit(enum kind k)
{
	switch (k) {
	case GP:
		__asm__ volatile("cli");
		break;
	case SYSCALL: {
		long r;
		__asm__ volatile("syscall" : "=a"(r) : "a"(NR_TRAPPED)
				 : "rcx", "r11", "memory");
		break;
	}
	case MAP:
		*(volatile char *)MAP_AT = 1; /* faults: nothing mapped */
		munmap((void *)MAP_AT, 4096); /* the guest's own unmap */
		break;
	}
}

/* ------------------------------------------------------------------
 * systrap: the handler in the child.
 */
static void on_trap(int sig, siginfo_t *si, void *ctx)
{
	ucontext_t *uc = ctx;
	uint32_t n = sh->req + 1;

	(void)si;
	memcpy(sh->gregs, uc->uc_mcontext.gregs, sizeof(sh->gregs));
	__atomic_store_n(&sh->req, n, __ATOMIC_RELEASE);
	futex(&sh->req, FUTEX_WAKE, 1);
	wait_change(&sh->ans, n - 1);
	if (sh->map)
		mmap((void *)MAP_AT, 4096, PROT_READ | PROT_WRITE,
		     MAP_SHARED | MAP_FIXED, memfd, 0);
	else if (sig == SIGSEGV)
		uc->uc_mcontext.gregs[REG_RIP] = (long long)sh->gregs[REG_RIP] + 1;
}

/* SIGSYS for the trapped number, as systrap's filter does for all. */
static void trap_syscalls(void)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NR_TRAPPED, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog p = { 4, f };

	prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
	prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &p);
}

static double run_systrap(enum kind k, long rounds, bool one_core)
{
	pid_t pid;
	uint64_t t0;
	int st;

	memset(sh, 0, sizeof(*sh));
	pid = fork();
	if (pid == 0) {
		struct sigaction sa;

		if (one_core)
			pin(0);
		memset(&sa, 0, sizeof(sa));
		sa.sa_sigaction = on_trap;
		sa.sa_flags = SA_SIGINFO | SA_NODEFER;
		sigaction(SIGSEGV, &sa, NULL);
		sigaction(SIGSYS, &sa, NULL);
		trap_syscalls();
		for (long i = 0; i < rounds; i++)
			do_exit(k);
		_exit(0);
	}
	if (one_core)
		pin(0);
	t0 = now_ns();
	for (uint32_t n = 1; n <= (uint32_t)rounds; n++) {
		wait_change(&sh->req, n - 1);
		sh->map = k == MAP;  /* the monitor's answer */
		__atomic_store_n(&sh->ans, n, __ATOMIC_RELEASE);
		futex(&sh->ans, FUTEX_WAKE, 1);
	}
	waitpid(pid, &st, 0);
	return (double)(now_ns() - t0) / (double)rounds;
}

/* ------------------------------------------------------------------
 * ptrace: the engine's way.
 */

/* A traced child stopped at its first raise(SIGSTOP); it then runs k. */
static pid_t traced_child(enum kind k, long rounds, bool one_core)
{
	pid_t pid = fork();

	if (pid == 0) {
		if (one_core)
			pin(0);
		ptrace(PTRACE_TRACEME, 0, 0, 0);
		raise(SIGSTOP);
		for (long i = 0; i < rounds; i++)
			do_exit(k);
		_exit(0);
	}
	int st;
	waitpid(pid, &st, 0);
	return pid;
}

/* The stub the injected call runs through: "syscall; int3" mapped in the
 * child (fork gives it this program's text: stub_code below). */
__asm__(".text\n.globl stub_code\nstub_code: syscall\n int3\n");
extern char stub_code[];

/* Run one mmap in the stopped child through the stub, as nat_inject. */
static void inject_mmap(pid_t pid)
{
	struct user_regs_struct saved, r;
	int st;

	ptrace(PTRACE_GETREGS, pid, 0, &saved);
	r = saved;
	r.rip = (uint64_t)stub_code;
	r.rax = SYS_mmap;
	r.orig_rax = ~0ULL;
	r.rdi = MAP_AT, r.rsi = 4096, r.rdx = PROT_READ | PROT_WRITE;
	r.r10 = MAP_SHARED | MAP_FIXED, r.r8 = (uint64_t)memfd, r.r9 = 0;
	ptrace(PTRACE_SETREGS, pid, 0, &r);
	ptrace(PTRACE_CONT, pid, 0, 0);
	waitpid(pid, &st, 0);
	ptrace(PTRACE_GETREGS, pid, 0, &r);
	ptrace(PTRACE_SETREGS, pid, 0, &saved);
}

static double run_ptrace(enum kind k, long rounds, bool one_core)
{
	struct user_regs_struct r;
	uint64_t t0;
	int st;

	if (one_core)
		pin(0);
	pid_t pid = traced_child(k, rounds, one_core);
	int resume = k == SYSCALL ? PTRACE_SYSEMU : PTRACE_CONT;

	t0 = now_ns();
	ptrace(resume, pid, 0, 0);
	for (long i = 0; i < rounds; i++) {
		waitpid(pid, &st, 0);
		if (!WIFSTOPPED(st))
			break;
		ptrace(PTRACE_GETREGS, pid, 0, &r);
		if (WSTOPSIG(st) == SIGSEGV && k == GP)
			r.rip += 1;
		else if (WSTOPSIG(st) == SIGSEGV && k == MAP)
			inject_mmap(pid);
		else if (k == SYSCALL)
			r.rax = (uint64_t)-ENOSYS;
		if (k != MAP)
			ptrace(PTRACE_SETREGS, pid, 0, &r);
		ptrace(resume, pid, 0, 0);
	}
	double per = (double)(now_ns() - t0) / (double)rounds;
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	return per;
}

/* How much of the XSAVE state a switch moves (the switch rows). */
enum xmove { REGS_ONLY, XSTATE_READ, XSTATE_SET };

/* The registers (and, as xm says, the XSAVE state) move between two
 * traced children, and the second runs on: the exit that changes the
 * running child.  REGS_ONLY against the gp row is the cost of resuming
 * another process than the one that stopped; XSTATE_READ is what the
 * engine does at each switch (it sets the state only when it changed);
 * XSTATE_SET moves it every time. */
static double run_switch(long rounds, bool one_core, enum xmove xm)
{
	static uint8_t xs[65536];
	struct user_regs_struct r;
	pid_t pid[2];
	uint64_t t0;
	int st;

	if (one_core)
		pin(0);
	pid[0] = traced_child(GP, rounds, one_core);
	pid[1] = traced_child(GP, rounds, one_core);
	t0 = now_ns();
	for (long i = 0; i < rounds; i++) {
		pid_t a = pid[i & 1], b = pid[!(i & 1)];
		struct iovec iov = { xs, sizeof(xs) };

		ptrace(PTRACE_GETREGS, a, 0, &r);
		if (xm != REGS_ONLY)
			ptrace(PTRACE_GETREGSET, a, NT_X86_XSTATE, &iov);
		if (xm == XSTATE_SET)
			ptrace(PTRACE_SETREGSET, b, NT_X86_XSTATE, &iov);
		/* each child runs its own copy of the loop: only the cost
		 * of the move is wanted, so b keeps its own RIP */
		ptrace(PTRACE_GETREGS, b, 0, &r);
		ptrace(PTRACE_SETREGS, b, 0, &r);
		ptrace(PTRACE_CONT, b, 0, 0);
		waitpid(b, &st, 0);
		ptrace(PTRACE_GETREGS, b, 0, &r);
		r.rip += 1;
		ptrace(PTRACE_SETREGS, b, 0, &r);
	}
	double per = (double)(now_ns() - t0) / (double)rounds;
	kill(pid[0], SIGKILL), kill(pid[1], SIGKILL);
	waitpid(pid[0], &st, 0), waitpid(pid[1], &st, 0);
	return per;
}

/* Each figure is the best of this many batches of ROUNDS / BATCHES
 * exits: on a shared machine the least disturbed batch is the one that
 * shows the mechanism. */
#define BATCHES 10

static double min(double a, double b)
{
	return a < b ? a : b;
}

int main(int argc, char **argv)
{
	long rounds = argc > 1 ? atol(argv[1]) : 20000;
	static const char *const name[] = { "gp", "syscall", "map" };
	cpu_set_t all;

	if (rounds < BATCHES) {
		fprintf(stderr, "systrap: ROUNDS must be a number, at least %d\n", BATCHES);
		return 2;
	}
	sched_getaffinity(0, sizeof(all), &all);
	sh = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	memfd = memfd_create("systrap-bench", 0);
	if (sh == MAP_FAILED || memfd < 0 || ftruncate(memfd, 4096) < 0) {
		perror("systrap: set-up");
		return 1;
	}
	printf("one exit, us, best of %d batches (%ld rounds, %d cpus)\n",
	       BATCHES, rounds, CPU_COUNT(&all));
	printf("%-8s %10s %10s %10s %10s\n", "exit", "ptrace", "systrap",
	       "ptrace/1", "systrap/1");
	for (int k = GP; k <= MAP; k++) {
		double c[4] = { 1e18, 1e18, 1e18, 1e18 };
		for (int b = 0; b < BATCHES; b++) {
			c[0] = min(c[0], run_ptrace(k, rounds / BATCHES, false));
			sched_setaffinity(0, sizeof(all), &all);
			c[1] = min(c[1], run_systrap(k, rounds / BATCHES, false));
			sched_setaffinity(0, sizeof(all), &all);
			c[2] = min(c[2], run_ptrace(k, rounds / BATCHES, true));
			sched_setaffinity(0, sizeof(all), &all);
			c[3] = min(c[3], run_systrap(k, rounds / BATCHES, true));
			sched_setaffinity(0, sizeof(all), &all);
		}
		printf("%-8s %10.2f %10.2f %10.2f %10.2f\n", name[k], c[0] / 1e3,
		       c[1] / 1e3, c[2] / 1e3, c[3] / 1e3);
	}
	static const char *const how[] = { "switch", "+xget", "+xset" };
	for (enum xmove xm = REGS_ONLY; xm <= XSTATE_SET; xm++) {
		double w2 = 1e18, w1 = 1e18;
		for (int b = 0; b < BATCHES; b++) {
			w2 = min(w2, run_switch(rounds / BATCHES, false, xm));
			sched_setaffinity(0, sizeof(all), &all);
			w1 = min(w1, run_switch(rounds / BATCHES, true, xm));
			sched_setaffinity(0, sizeof(all), &all);
		}
		printf("%-8s %10.2f %10s %10.2f %10s\n", how[xm], w2 / 1e3,
		       "-", w1 / 1e3, "-");
	}
	return 0;
}
