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
 *   2. it maps the stub page (syscall; int3; cli: a memfd of its own,
 *      stub_open), closes every file descriptor but guest RAM's memfd,
 *      and installs a seccomp filter that refuses (SIGSYS) every system
 *      call but the monitor's own munmap and mmap of guest RAM from the
 *      stub's syscall (child_seccomp);
 *   3. it jumps to the stub's int3 and stops; the monitor then injects two
 *      munmap calls through the stub's "syscall" that remove everything
 *      else: the monitor's code, heap, stack, libraries, its copy of guest
 *      RAM, the vDSO; and takes the stub page away until the next injected
 *      call (stub_close).
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
#include <asm/prctl.h>
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

/* How long the monitor sleeps at most before it looks at vm->kick. */
#define NAT_POLL_NS 20000000ULL
/* How often, at least, it asks whether a parked child died (nat_wait). */
#define NAT_PARKED_NS 100000000ULL

/*
 * The seccomp filter: the second wall.  While guest code runs the child is
 * under PTRACE_SYSEMU, which stops every system call before seccomp sees
 * it; the filter judges what gets past that: the calls the monitor injects
 * through the stub (nat_inject, resumed with PTRACE_CONT) and the legacy
 * vsyscall entries, which the host kernel emulates on a fetch fault.  It
 * allows exactly the injected calls, and nothing else:
 *
 *   field of seccomp_data   allowed                    why
 *   ---------------------   -------------------------  --------------------
 *   arch                    AUDIT_ARCH_X86_64          int 0x80 and
 *                                                      sysenter enter as
 *                                                      AUDIT_ARCH_I386
 *   instruction_pointer     NAT_STUB_VA + 2, exactly   after the stub's one
 *                                                      syscall instruction
 *   nr                      munmap (11)                empty the child,
 *                                                      unmap guest pages
 *                           mmap (9), with:            map a guest page
 *     args[3] (flags)         MAP_SHARED | MAP_FIXED
 *     args[4] (fd)            guest RAM's memfd
 *   anything else           SECCOMP_RET_TRAP: SIGSYS, a ptrace stop
 *
 * nr is compared whole, so an x32 number (bit 30 set, __X32_SYSCALL_BIT)
 * never matches.  A syscall the guest places at 0x6ffffffffffe returns to
 * NAT_STUB_VA, not NAT_STUB_VA + 2: refused.  Classic BPF loads 32-bit
 * words, so each 64-bit field is checked as its low and high word.
 */
#define F_LD(off) BPF_STMT(BPF_LD | BPF_W | BPF_ABS, (off))
/* at index i: equal to k goes on, else to F_REFUSE */
#define F_NEED(i, k) BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (k), 0, F_REFUSE - (i) - 1)
#define F_ALLOW 17 /* the index of the two verdicts */
#define F_REFUSE 18
static int child_seccomp(int memfd)
{
	const uint32_t ip = offsetof(struct seccomp_data, instruction_pointer);
	const uint32_t flags = offsetof(struct seccomp_data, args[3]);
	const uint32_t fd = offsetof(struct seccomp_data, args[4]);
	const uint64_t ret = NAT_STUB_VA + NAT_STUB_SYSCALL + 2;
	struct sock_filter f[] = {
		/*  0 */ F_LD(offsetof(struct seccomp_data, arch)),
		/*  1 */ F_NEED(1, AUDIT_ARCH_X86_64),
		/*  2 */ F_LD(ip + 4),
		/*  3 */ F_NEED(3, (uint32_t)(ret >> 32)),
		/*  4 */ F_LD(ip),
		/*  5 */ F_NEED(5, (uint32_t)ret),
		/*  6 */ F_LD(offsetof(struct seccomp_data, nr)),
		/*  7 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_munmap,
				  F_ALLOW - 7 - 1, 0),
		/*  8 */ F_NEED(8, SYS_mmap),
		/*  9 */ F_LD(fd + 4),
		/* 10 */ F_NEED(10, 0),
		/* 11 */ F_LD(fd),
		/* 12 */ F_NEED(12, (uint32_t)memfd),
		/* 13 */ F_LD(flags + 4),
		/* 14 */ F_NEED(14, 0),
		/* 15 */ F_LD(flags),
		/* 16 */ F_NEED(16, MAP_SHARED | MAP_FIXED),
		/* 17 */ BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		/* 18 */ BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP),
	};
	struct sock_fprog prog = { sizeof(f) / sizeof(f[0]), f };

	_Static_assert(sizeof(f) / sizeof(f[0]) == F_REFUSE + 1,
		       "the verdicts are the last two instructions");
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -1;
	return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog);
}

/*
 * The stub page: the gate through which the monitor injects system calls
 * (nat_inject), "syscall; int3; cli" at NAT_STUB_VA.  The guest must not
 * see it: its linear address is one the guest may read, fetch or jump to,
 * and a real CPU with no guest mapping there gives #PF.  x86 has no
 * execute-only pages (without protection keys, which this host lacks and
 * which ring 3 could undo with wrpkru), so the page is made to vanish
 * instead: it is a MAP_SHARED mapping of a memfd of its own, which the
 * monitor truncates to size 0 whenever the child is not running an
 * injected call.  Truncation removes the page from every mapping of the
 * file (the kernel unmaps it), and any access to a shared file mapping
 * beyond the end of the file is SIGBUS at that address, which native.c
 * reports as the guest's #PF.  Opening the stub is a pwrite in the
 * monitor; the child needs no system call for it.
 */
static const uint8_t stub_code[] = {
	[NAT_STUB_SYSCALL] = 0x0f, [NAT_STUB_SYSCALL + 1] = 0x05, /* syscall */
	[NAT_STUB_TRAP] = 0xcc,                                   /* int3 */
	[NAT_STUB_GP] = 0xfa,                                     /* cli */
};

/* Give the stub page its code (the rest of it reads as zeros, never
 * run).  The file is empty (stub_close); the write alone makes it
 * sizeof(stub_code) bytes long, and a shared mapping's last page is
 * whole as soon as any byte of it lies inside the file: the page is
 * back, its code at the start and zeros after it, as an ftruncate to
 * PAGE_4K and a write made it, one system call fewer.  0, or -1 with
 * errno. */
static int stub_open(struct nat *n)
{
	if (pwrite(n->stubfd, stub_code, sizeof(stub_code), 0) !=
	    (ssize_t)sizeof(stub_code))
		return -1;
	return 0;
}

/* Take the stub page away: any access to it is now SIGBUS. */
static int stub_close(struct nat *n)
{
	return ftruncate(n->stubfd, 0);
}

/* The child maps the stub memfd at NAT_STUB_VA. */
static int child_map_stub(int stubfd)
{
	void *p = mmap((void *)NAT_STUB_VA, PAGE_4K, PROT_READ | PROT_EXEC,
		       MAP_SHARED | MAP_FIXED_NOREPLACE, stubfd, 0);

	return p == (void *)NAT_STUB_VA ? 0 : -1;
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

/*
 * CPUID faulting for the calling process (--isa=x86,cpuid-fault):
 * arch_prctl(ARCH_SET_CPUID, 0) makes the host kernel set bit 0 of
 * MSR_MISC_FEATURES_ENABLES whenever this process runs, so its cpuid at
 * CPL 3 raises #GP(0), which reaches a tracer as SIGSEGV, SI_KERNEL, like
 * any privileged instruction; 1 turns it off.  ENODEV: the CPU (or the
 * hypervisor under this host) has no CPUID faulting.
 */
static int set_cpuid_faulting(bool on)
{
	return (int)syscall(SYS_arch_prctl, ARCH_SET_CPUID, on ? 0 : 1);
}

int nat_cpuid_fault_probe(char *why, size_t len)
{
	if (set_cpuid_faulting(true) < 0) {
		snprintf(why, len, "--isa=x86,cpuid-fault: the host CPU has no "
			 "CPUID faulting (arch_prctl ARCH_SET_CPUID: %s; no "
			 "cpuid_fault in /proc/cpuinfo); use --engine=softcpu",
			 strerror(errno));
		return -1;
	}
	set_cpuid_faulting(false); /* the monitor's own cpuid stays free */
	return 0;
}

/*
 * The monitor's own thread takes CPUID faulting too, once its children
 * run with it.  The host kernel keeps the setting in a per-CPU MSR and
 * rewrites it at every switch between a task that has it and one that
 * has not (switch_to, MSR_MISC_FEATURES_ENABLES): between the monitor and
 * its child that is twice a round trip, and in a virtual machine each
 * write is an exit to the hypervisor below.  With both alike nothing is
 * written (README.md, "CPUID faulting in the monitor's thread too").
 * From here on this thread must not execute cpuid: the engine has asked
 * the host what it needs already (space.c, nat_spaces_start), the
 * guest's CPUID is the model's (interp/cpuid.c), and the run loop calls
 * nothing that reads it.  The I/O threads, made before, keep their cpuid.
 */
int nat_cpuid_fault_self(void)
{
	return set_cpuid_faulting(true);
}

/* The child's side of the start; it never returns. */
static void child_main(int memfd, int stubfd, int go, pid_t parent,
		       bool cpuid_fault)
{
	sigset_t none;
	char c;

	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent ||
	    setpgid(0, 0) < 0) /* see nat_child_start */
		_exit(127);
	if (read(go, &c, 1) != 1) /* the monitor has seized us */
		_exit(127);
	if (child_map_stub(stubfd) < 0) /* the mapping keeps the file */
		_exit(127);
	if (memfd > 0)
		syscall(SYS_close_range, 0, memfd - 1, 0);
	syscall(SYS_close_range, memfd + 1, ~0U, 0);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (cpuid_fault && set_cpuid_faulting(true) < 0)
		_exit(127);
	if (child_drop_rseq() < 0 || child_seccomp(memfd) < 0)
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

/* One call through the open stub; the child is left at the stub's int3
 * (nat_inject_end puts the guest's registers back). */
static long inject_call(struct nat *n, long nr, uint64_t a1, uint64_t a2,
			uint64_t a3, uint64_t a4, uint64_t a5, uint64_t a6)
{
	struct user_regs_struct r;
	int st;

	r = n->inject_saved;
	r.rip = NAT_STUB_VA + NAT_STUB_SYSCALL;
	r.rax = (uint64_t)nr;
	r.orig_rax = ~0ULL; /* not in a system call: no restart logic */
	r.rdi = a1, r.rsi = a2, r.rdx = a3, r.r10 = a4, r.r8 = a5, r.r9 = a6;
	r.eflags &= ~(uint64_t)FL_TF;
	if (ptrace(PTRACE_SETREGS, n->pid, 0, &r) < 0)
		return -EIO;
	n->cpu_mark_stale = true; /* the child's CPU time for the call */
	do { /* a late PTRACE_INTERRUPT may stop us first: go on */
		st = -1;
		if (ptrace(PTRACE_CONT, n->pid, 0, 0) < 0 ||
		    wait_stop(n->pid, &st) < 0) {
			n->reaped = st; /* its wait status, if it died */
			return -EIO;
		}
	} while (is_event_stop(st));
	if (ptrace(PTRACE_GETREGS, n->pid, 0, &r) < 0 ||
	    WSTOPSIG(st) != SIGTRAP ||
	    r.rip != NAT_STUB_VA + NAT_STUB_TRAP + 1)
		return -EIO;
	n->injected++;
	return (long)r.rax;
}

/*
 * Injected calls come in batches: a change of child reconciles its mirror
 * (an munmap, then up to 16 runs mapped ahead) and maps the faulting page,
 * all before one resume.  The first call of a batch saves the guest's
 * registers (no GETREGS when this stop's regs_in read them already: the
 * fill of a page that faulted) and opens the stub; the others find both
 * done, and nat_inject_end, before the guest runs again, puts them back
 * and closes the stub: per call after the first, three system calls of
 * the monitor fewer (a GETREGS, the stub's pwrite, its closing
 * ftruncate) and the stub page faulted in once (a new page of its memfd
 * each time it opens).  Before a resume from prepare() the registers are
 * not put back at all: regs_out sets every one of them anyway.  (In the
 * bench rows a batch is nearly always one call, the fill of the page that
 * faulted: there the SETREGS is the saving, README.md.)
 */
long nat_inject(struct nat *n, long nr, uint64_t a1, uint64_t a2,
		uint64_t a3, uint64_t a4, uint64_t a5, uint64_t a6)
{
	if (!n->inject_open) {
		if (n->regs_valid && n->regs_of == n->pid)
			n->inject_saved = n->regs; /* read at this stop */
		else if (ptrace(PTRACE_GETREGS, n->pid, 0,
				&n->inject_saved) < 0)
			return -EIO;
		if (stub_open(n) < 0)
			return -EIO;
		n->inject_open = true;
		n->batches++;
	}
	return inject_call(n, nr, a1, a2, a3, a4, a5, a6);
}

int nat_inject_end(struct nat *n, bool restore)
{
	if (!n->inject_open)
		return 0;
	n->inject_open = false;
	/* The guest's registers as they were: the calls are invisible. */
	if (restore && ptrace(PTRACE_SETREGS, n->pid, 0, &n->inject_saved) < 0)
		return -1;
	return stub_close(n);
}

int nat_bare_stop(struct nat *n)
{
	struct user_regs_struct saved, r;
	int st;

	if (nat_inject_end(n, true) < 0 ||
	    ptrace(PTRACE_GETREGS, n->pid, 0, &saved) < 0)
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

/* Unmap everything but the stub page, and close the stub. */
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
	if (nat_inject_end(n, true) < 0) {
		snprintf(why, len, "cannot close the stub page: %s",
			 strerror(errno));
		return -1;
	}
	return 0;
}

/* The stub's memfd, open (nat_inject closes it after each call). */
static int make_stub(struct nat *n, char *why, size_t len)
{
	n->stubfd = memfd_create("trapvisor-stub", MFD_CLOEXEC);
	if (n->stubfd < 0 || stub_open(n) < 0) {
		snprintf(why, len, "the stub page's memfd: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/*T:130 The native engine runs the guest kernel on the host CPU, at the
 * real ring 3, in a child process -- which starts as a copy of the monitor.
 * Before the guest's first instruction the child must hold nothing of the
 * monitor: it is seized with ptrace, keeps one stub page ("syscall; int3",
 * there only while the monitor injects a call) and guest RAM's memfd, and
 * everything else is unmapped by system calls the monitor injects through
 * the stub.  A seccomp filter refuses every system call but those injected
 * ones, should PTRACE_SYSEMU ever let one through.
 */
int nat_child_start(struct nat *n, char *why, size_t len)
{
	n->pid = 0;
	if (make_stub(n, why, len) < 0 || nat_child_spawn(n, why, len) < 0) {
		nat_child_stop(n);
		return -1;
	}
	return 0;
}

int nat_child_spawn(struct nat *n, char *why, size_t len)
{
	int go[2];
	pid_t parent = getpid();

	n->pid = 0;
	n->inject_open = false;
	if (stub_open(n) < 0) { /* the child parks on the stub's int3 */
		snprintf(why, len, "the stub page's memfd: %s", strerror(errno));
		return -1;
	}
	if (pipe(go) < 0) {
		snprintf(why, len, "pipe: %s", strerror(errno));
		return -1;
	}
	fflush(NULL); /* the child never flushes stdio: nothing twice */
	n->pid = fork();
	if (n->pid < 0) {
		snprintf(why, len, "fork: %s", strerror(errno));
		close(go[0]), close(go[1]);
		n->pid = 0;
		return -1;
	}
	if (n->pid == 0)
		child_main(n->memfd, n->stubfd, go[0], parent,
			   n->cpuid_fault);
	/* The child gets a process group of its own (here and in the child,
	 * whichever runs first): a terminal's Ctrl-C, or timeout -s INT, goes
	 * to the monitor's group, and must reach the monitor alone, not stop
	 * the child in the middle of an injected call. */
	setpgid(n->pid, n->pid);
	close(go[0]);
	int r = seize(n, go[1], why, len);
	close(go[1]);
	if (r == 0)
		r = empty_child(n, why, len);
	if (r < 0) {
		nat_child_kill(n->pid);
		n->pid = 0;
	}
	return r;
}

void nat_child_kill(pid_t pid)
{
	int st;

	if (pid <= 0)
		return;
	kill(pid, SIGKILL);
	while (waitpid(pid, &st, __WALL) < 0 && errno == EINTR)
		;
}

void nat_child_stop(struct nat *n)
{
	nat_child_kill(n->pid);
	n->pid = 0;
	if (n->stubfd >= 0)
		close(n->stubfd);
	n->stubfd = -1;
}

/*
 * What the host's GDT offers ring 3 (Linux, x86-64; checked with lar on
 * this host): 0x23 32-bit code, 0x2b data, 0x33 64-bit code, 0x7b a data
 * segment whose limit is the CPU number, all DPL 3.  A far jmp, call, ret
 * or iret to one of them, or a mov of one to a data segment register,
 * runs without a fault at ring 3, so the monitor cannot emulate it against
 * the guest's own GDT as it does for every other selector (the host's are
 * DPL 0 or absent: #GP, emulated).  The child runs guest code with CS
 * 0x33 and DS, ES, FS, GS null (its state after fork, which regs_out
 * never changes), so a stop that shows anything else means the guest
 * loaded a host selector since the last stop, and the code after it ran
 * in the host's segment: compatibility mode, for 0x23, which the monitor
 * would decode as 64-bit.  It cannot be undone (the stop comes later, at
 * an unknown distance), so the VM stops with one line.
 *
 * Two loads leave nothing to see and stay invisible: a far transfer to
 * 0x33 and a mov of 0x2b to SS, the values already there.  (SS cannot
 * change otherwise: null SS and the other host selectors fault.)  A
 * system-call stop is not judged: the kernel's entry code has put its own
 * CS there (0x33 for syscall, 0x23 for sysenter).
 */
int nat_child_segments(const struct user_regs_struct *r, char *why,
		       size_t len)
{
	static const char *const name[] = { "DS", "ES", "FS", "GS" };
	const unsigned long long data[] = { r->ds, r->es, r->fs, r->gs };

	if (r->cs != NAT_USER_CS) {
		snprintf(why, len, "the guest left 64-bit mode for the "
			 "host's code selector %#llx (a far jump, call or "
			 "return to it, or a sysenter on an Intel host with "
			 "[rbp] unreadable), which native sees only afterwards "
			 "(use --engine=softcpu)", (unsigned long long)r->cs);
		return -1;
	}
	for (int i = 0; i < 4; i++)
		if (data[i]) {
			snprintf(why, len, "the guest loaded the host's "
				 "selector %#llx into %s, which native sees only "
				 "afterwards (use --engine=softcpu)", data[i],
				 name[i]);
			return -1;
		}
	return 0;
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
 * stop.  A SIGCHLD left pending by an injected call's stop merges with
 * the next stop's (it is not queued), so it seldom costs a turn.  The
 * parked children (space.c) are asked too, when the running child
 * has not stopped and at least every NAT_PARKED_NS (a parked child's
 * SIGCHLD may merge with the running one's in the same way); never
 * waitpid(-1): the monitor has other children, a --backend=process back
 * end.  One killed from outside ends the VM, and the running child is
 * killed and reaped with it.
 */
static bool parked_lost(struct nat *n, int *status)
{
	n->parked_asked = nat_host_ns();
	return nat_space_lost(n, status);
}

int nat_wait(struct nat *n, uint64_t stop_at_ns, int *status)
{
	for (;;) {
		uint64_t now = nat_host_ns();

		if (now - n->parked_asked >= NAT_PARKED_NS &&
		    parked_lost(n, status)) {
			nat_child_kill(n->pid);
			n->pid = 0;
			return -1;
		}

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
		if (r == 0 && parked_lost(n, status)) {
			nat_child_kill(n->pid);
			n->pid = 0;
			return -1;
		}
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
