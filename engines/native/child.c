/*
 * engines/native/child.c - the process the guest's code runs in.
 *
 * The child starts as a fork of the monitor and must end up holding
 * nothing of it: the guest may read and write every byte its process can
 * address and may execute any instruction, so the child is emptied to one
 * stub page before the first guest instruction runs:
 *
 *   1. the monitor seizes it with ptrace (PTRACE_SEIZE, so that it can be
 *      interrupted later; PTRACE_O_EXITKILL and PR_SET_PDEATHSIG so that
 *      it never outlives the monitor);
 *   2. it closes every file descriptor but guest RAM's memfd, maps the
 *      stub page (syscall; int3; cli; then int3), and installs a seccomp filter that refuses (SIGSYS) any
 *      system call made from outside the stub page;
 *   3. it jumps to the stub's int3 and stops; the monitor then injects two
 *      munmap calls through the stub's "syscall" that remove everything
 *      else: the monitor's code, heap, stack, libraries, its copy of guest
 *      RAM, the vDSO.
 *
 * From then on guest code runs under PTRACE_SYSEMU, which stops the child
 * at every system call entry (syscall, int 0x80) and skips the call: the
 * guest never reaches the host kernel's system calls.  The seccomp filter
 * is a second wall should the first ever fail, and it also stops the one
 * door SYSEMU leaves open, the legacy vsyscall page's emulated calls.
 */
#if defined(__linux__) && defined(__x86_64__)

#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/rseq.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "engines/native/native.h"
#include "isa/x86.h"
#include "core/vm.h"

_Static_assert((NAT_STUB_VA & 0xffffffffULL) == 0,
	       "the seccomp filter compares the low word with the page size");

/* How long the monitor sleeps at most before it looks at vm->kick. */
#define NAT_POLL_NS 20000000ULL

/*
 * The filter: allow a 64-bit system call whose return address lies in the
 * stub page, refuse every other with SIGSYS (a ptrace stop, so the monitor
 * sees it).  seccomp_data.instruction_pointer is the address after the
 * syscall instruction, split into two 32-bit words for classic BPF.
 */
static int child_seccomp(void)
{
	const uint32_t ip_lo = offsetof(struct seccomp_data, instruction_pointer);
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 0, 5),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ip_lo + 4),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NAT_STUB_VA >> 32, 0, 3),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ip_lo),
		BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K,
			 (uint32_t)NAT_STUB_VA + PAGE_4K, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP),
	};
	struct sock_fprog prog = { sizeof(f) / sizeof(f[0]), f };

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -1;
	return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog);
}

/* The stub page: a syscall gate followed by int3 to the end of the page. */
static int child_map_stub(void)
{
	uint8_t *p = mmap((void *)NAT_STUB_VA, PAGE_4K, PROT_READ |
			  PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS |
			  MAP_FIXED_NOREPLACE, -1, 0);

	if (p != (uint8_t *)NAT_STUB_VA)
		return -1;
	memset(p, 0xcc, PAGE_4K);      /* int3 */
	p[NAT_STUB_SYSCALL] = 0x0f;      /* syscall */
	p[NAT_STUB_SYSCALL + 1] = 0x05;
	p[NAT_STUB_GP] = 0xfa;           /* cli */
	return mprotect(p, PAGE_4K, PROT_READ | PROT_EXEC);
}

/*
 * glibc registers a restartable-sequence area in the thread's TLS, which
 * the kernel writes at every return to user space.  Once the TLS is
 * unmapped that write would fail (SIGSEGV, si_code SI_KERNEL, at the
 * guest's first instruction), so the registration goes first.  glibc
 * registered 32 bytes; __rseq_size may say less (the features it uses).
 */
static int child_drop_rseq(void)
{
	void *area = (char *)__builtin_thread_pointer() + __rseq_offset;

	if (!__rseq_size)
		return 0;
	if (syscall(SYS_rseq, area, 32, RSEQ_FLAG_UNREGISTER, RSEQ_SIG) == 0)
		return 0;
	return (int)syscall(SYS_rseq, area, __rseq_size, RSEQ_FLAG_UNREGISTER,
			    RSEQ_SIG);
}

/* The child's side of the start; it never returns. */
static void child_main(int memfd, int go, pid_t parent)
{
	sigset_t none;
	char c;

	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
		_exit(127);
	if (read(go, &c, 1) != 1) /* the monitor has seized us */
		_exit(127);
	if (memfd > 0)
		syscall(SYS_close_range, 0, memfd - 1, 0);
	syscall(SYS_close_range, memfd + 1, ~0U, 0);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (child_drop_rseq() < 0 || child_map_stub() < 0 ||
	    child_seccomp() < 0)
		_exit(127);
	/* Park at the stub's int3: from here the monitor drives. */
	__asm__ volatile("jmp *%0" : : "r"(NAT_STUB_VA + NAT_STUB_TRAP));
	__builtin_unreachable();
}

/* Wait for one stop of the child; 0 or -1 when it is gone. */
static int wait_stop(pid_t pid, int *status)
{
	for (;;) {
		pid_t r = waitpid(pid, status, __WALL);

		if (r == pid)
			return WIFSTOPPED(*status) ? 0 : -1;
		if (r < 0 && errno != EINTR)
			return -1;
	}
}

/* Is this stop the one PTRACE_INTERRUPT (or a group stop) causes? */
static bool is_event_stop(int status)
{
	return (status >> 16) == PTRACE_EVENT_STOP;
}

long nat_inject(struct nat *n, long nr, uint64_t a1, uint64_t a2,
		uint64_t a3, uint64_t a4, uint64_t a5, uint64_t a6)
{
	struct user_regs_struct saved, r;
	int st;

	if (ptrace(PTRACE_GETREGS, n->pid, 0, &saved) < 0)
		return -EIO;
	r = saved;
	r.rip = NAT_STUB_VA + NAT_STUB_SYSCALL;
	r.rax = (uint64_t)nr;
	r.orig_rax = ~0ULL; /* not in a system call: no restart logic */
	r.rdi = a1, r.rsi = a2, r.rdx = a3, r.r10 = a4, r.r8 = a5, r.r9 = a6;
	r.eflags &= ~(uint64_t)FL_TF;
	if (ptrace(PTRACE_SETREGS, n->pid, 0, &r) < 0)
		return -EIO;
	n->cpu_mark_stale = true; /* the child's CPU time for the call */
	do { /* a late PTRACE_INTERRUPT may stop us first: go on */
		if (ptrace(PTRACE_CONT, n->pid, 0, 0) < 0 ||
		    wait_stop(n->pid, &st) < 0)
			return -EIO;
	} while (is_event_stop(st));
	if (ptrace(PTRACE_GETREGS, n->pid, 0, &r) < 0 ||
	    WSTOPSIG(st) != SIGTRAP ||
	    r.rip != NAT_STUB_VA + NAT_STUB_TRAP + 1)
		return -EIO;
	/* The guest's registers as they were: the call is invisible. */
	if (ptrace(PTRACE_SETREGS, n->pid, 0, &saved) < 0)
		return -EIO;
	n->injected++;
	return (long)r.rax;
}

int nat_bare_stop(struct nat *n)
{
	struct user_regs_struct saved, r;
	int st;

	if (ptrace(PTRACE_GETREGS, n->pid, 0, &saved) < 0)
		return -1;
	r = saved;
	r.rip = NAT_STUB_VA + NAT_STUB_GP;
	r.orig_rax = ~0ULL;
	n->cpu_mark_stale = true;
	if (ptrace(PTRACE_SETREGS, n->pid, 0, &r) < 0 ||
	    ptrace(PTRACE_SYSEMU, n->pid, 0, 0) < 0 ||
	    wait_stop(n->pid, &st) < 0 || WSTOPSIG(st) != SIGSEGV)
		return -1;
	return (int)ptrace(PTRACE_SETREGS, n->pid, 0, &saved);
}

/* Seize the child and let it go on to the stub; it stops at the int3. */
static int seize(struct nat *n, int go, char *why, size_t len)
{
	int st;
	long opts = PTRACE_O_EXITKILL | PTRACE_O_TRACESYSGOOD;

	if (ptrace(PTRACE_SEIZE, n->pid, 0, opts) < 0) {
		snprintf(why, len, "ptrace(PTRACE_SEIZE): %s", strerror(errno));
		return -1;
	}
	if (write(go, "g", 1) != 1 || wait_stop(n->pid, &st) < 0 ||
	    WSTOPSIG(st) != SIGTRAP) {
		snprintf(why, len, "the child died while it set itself up "
			 "(stub page at %#llx or seccomp refused)",
			 NAT_STUB_VA);
		return -1;
	}
	return 0;
}

/* Unmap everything but the stub page; check that nothing else is left. */
static int empty_child(struct nat *n, char *why, size_t len)
{
	long a = nat_inject(n, SYS_munmap, 0, NAT_STUB_VA, 0, 0, 0, 0);
	long b = nat_inject(n, SYS_munmap, NAT_STUB_VA + PAGE_4K,
			    NAT_TASK_TOP - NAT_STUB_VA - PAGE_4K, 0, 0, 0, 0);

	if (a != 0 || b != 0) {
		snprintf(why, len, "cannot empty the child's address space "
			 "(munmap: %ld, %ld)", a, b);
		return -1;
	}
	return 0;
}

/*T:130 The native engine runs the guest kernel on the host CPU, at the
 * real ring 3, in a child process -- which starts as a copy of the monitor.
 * Before the guest's first instruction the child must hold nothing of the
 * monitor: it is seized with ptrace, keeps one stub page ("syscall; int3")
 * and guest RAM's memfd, and everything else is unmapped by system calls
 * the monitor injects through the stub.  A seccomp filter refuses any
 * system call made from anywhere else.
 */
int nat_child_start(struct nat *n, char *why, size_t len)
{
	int go[2];
	pid_t parent = getpid();

	if (pipe(go) < 0) {
		snprintf(why, len, "pipe: %s", strerror(errno));
		return -1;
	}
	fflush(NULL); /* the child never flushes stdio: nothing twice */
	n->pid = fork();
	if (n->pid < 0) {
		snprintf(why, len, "fork: %s", strerror(errno));
		close(go[0]), close(go[1]);
		return -1;
	}
	if (n->pid == 0)
		child_main(n->memfd, go[0], parent);
	close(go[0]);
	int r = seize(n, go[1], why, len);
	close(go[1]);
	if (r == 0)
		r = empty_child(n, why, len);
	if (r < 0)
		nat_child_stop(n);
	return r;
}

void nat_child_stop(struct nat *n)
{
	int st;

	if (n->pid <= 0)
		return;
	kill(n->pid, SIGKILL);
	while (waitpid(n->pid, &st, __WALL) < 0 && errno == EINTR)
		;
	n->pid = 0;
}

/* Sleep until SIGCHLD (blocked since init), a signal, or ns pass. */
static void sleep_for_child(uint64_t ns)
{
	sigset_t chld;
	struct timespec ts = { (time_t)(ns / 1000000000ULL),
			       (long)(ns % 1000000000ULL) };

	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigtimedwait(&chld, NULL, &ts); /* never restarted: Ctrl-C ends it */
}

/*
 * The timer: the monitor cannot count the guest's instructions, so it
 * watches the host clock while the child runs and interrupts the child
 * (PTRACE_INTERRUPT) when the next device event is due or Ctrl-C came.
 * The child was resumed just before: it is almost never stopped yet, so
 * the loop sleeps first and asks waitpid after, two system calls for a
 * stop.  A SIGCHLD left pending by an injected call's stop only costs
 * one more turn.
 */
int nat_wait(struct nat *n, uint64_t stop_at_ns, int *status)
{
	for (;;) {
		uint64_t now = nat_host_ns();

		if (!n->interrupt_sent && (n->vm->kick || now >= stop_at_ns)) {
			if (ptrace(PTRACE_INTERRUPT, n->pid, 0, 0) < 0)
				return -1;
			n->interrupt_sent = true;
		}
		uint64_t ns = NAT_POLL_NS;
		if (!n->interrupt_sent && stop_at_ns - now < ns)
			ns = stop_at_ns - now;
		sleep_for_child(ns);
		pid_t r = waitpid(n->pid, status, __WALL | WNOHANG);
		if (r == n->pid)
			return WIFSTOPPED(*status) ? 0 : -1;
		if (r < 0 && errno != EINTR)
			return -1;
	}
}

int nat_child_probe(char *why, size_t len)
{
	pid_t pid = fork();
	int st, r = 0;

	if (pid < 0) {
		snprintf(why, len, "fork: %s", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		pause();
		_exit(0);
	}
	if (ptrace(PTRACE_SEIZE, pid, 0, PTRACE_O_EXITKILL) < 0) {
		snprintf(why, len, "the monitor may not trace its child "
			 "(ptrace: %s)", strerror(errno));
		r = -1;
	}
	kill(pid, SIGKILL);
	while (waitpid(pid, &st, __WALL) < 0 && errno == EINTR)
		;
	return r;
}

#endif /* __linux__ && __x86_64__ */
