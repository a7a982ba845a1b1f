/*
 * tests/escape/seccomp.c - the native engine's seccomp filter, the second
 * wall, tested with the first one (PTRACE_SYSEMU) taken away.
 *
 * While guest code runs, PTRACE_SYSEMU stops every system call before
 * seccomp sees it, so no guest can show what the filter lets through.
 * This program starts the engine's real child (nat_child_start: stub page,
 * filter, address space emptied) and makes system calls in it resumed
 * with PTRACE_CONT, as if SYSEMU had failed: from the stub's syscall
 * (nat_inject) and from a syscall placed on a guest page just below the
 * stub, whose return address is the stub page's first byte.  Only the
 * engine's own injected calls may pass: munmap, and mmap of guest RAM's
 * memfd with MAP_SHARED | MAP_FIXED, from the stub's syscall.  Every
 * other call must stop the child with SIGSYS from seccomp.
 *
 * Prints one line per case, "ok NAME" or "FAIL NAME: why"; exit status 0
 * when every case passed, 1 otherwise, 77 when the host cannot run the
 * native engine.
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <linux/audit.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "engines/native/native.h"
#include "isa/x86.h"

#define RAM_SIZE (1u << 20)
#define LOW_PAGE (NAT_STUB_VA - PAGE_4K) /* the last page below the stub */
#define X32_BIT 0x40000000L                /* __X32_SYSCALL_BIT */
#ifndef SYS_SECCOMP
#define SYS_SECCOMP 1 /* si_code of seccomp's SIGSYS (siginfo.h) */
#endif

static int failures;

static void verdict(const char *name, int ok, const char *why)
{
	if (ok) {
		printf("ok %s\n", name);
	} else {
		printf("FAIL %s: %s\n", name, why);
		failures++;
	}
}

/* Did the child's last stop come from seccomp refusing call nr? */
static int refused(pid_t pid, long nr, uint32_t arch, char *why, size_t len)
{
	siginfo_t si;

	if (ptrace(PTRACE_GETSIGINFO, pid, 0, &si) < 0) {
		snprintf(why, len, "PTRACE_GETSIGINFO: %s", strerror(errno));
		return 0;
	}
	if (si.si_signo != SIGSYS || si.si_code != SYS_SECCOMP) {
		snprintf(why, len, "the call ran (stop: signal %d, code %d)",
			 si.si_signo, si.si_code);
		return 0;
	}
	if (si.si_syscall != (int)nr || si.si_arch != arch) {
		snprintf(why, len, "SIGSYS for call %d arch %#x, want %ld %#x",
			 si.si_syscall, si.si_arch, nr, arch);
		return 0;
	}
	return 1;
}

/* A call from the stub's syscall: nat_inject returns -EIO when the child
 * stopped with anything but the stub's int3 after it. */
static void stub_call(struct nat *n, const char *name, long nr, uint64_t a1,
		      uint64_t a2, uint64_t a3, uint64_t a4, uint64_t a5)
{
	char why[160] = "";
	long r = nat_inject(n, nr, a1, a2, a3, a4, a5, 0);

	if (r != -EIO)
		snprintf(why, sizeof(why), "the call ran and returned %ld", r);
	verdict(name, r == -EIO && refused(n->pid, nr, AUDIT_ARCH_X86_64, why,
					    sizeof(why)), why);
}

/*
 * The two bytes insn at LOW_PAGE + 0xffe, the end of a guest page: a
 * system call there returns to NAT_STUB_VA.  Run it with PTRACE_CONT
 * (no SYSEMU) and expect seccomp's SIGSYS.
 */
static void low_call(struct nat *n, const char *name, const char *insn,
		     long nr, uint32_t arch)
{
	struct user_regs_struct r;
	char why[160] = "";
	int st = 0;

	if (pwrite(n->memfd, insn, 2, PAGE_4K - 2) != 2 ||
	    ptrace(PTRACE_GETREGS, n->pid, 0, &r) < 0) {
		verdict(name, 0, "cannot set the child up");
		return;
	}
	r.rip = LOW_PAGE + PAGE_4K - 2;
	r.rax = (uint64_t)nr;
	r.orig_rax = ~0ULL;
	if (ptrace(PTRACE_SETREGS, n->pid, 0, &r) < 0 ||
	    ptrace(PTRACE_CONT, n->pid, 0, 0) < 0 ||
	    waitpid(n->pid, &st, __WALL) != n->pid || !WIFSTOPPED(st)) {
		verdict(name, 0, "the child died");
		return;
	}
	verdict(name, refused(n->pid, nr, arch, why, sizeof(why)), why);
}

int main(void)
{
	struct nat n;
	char why[160];
	const long flags = MAP_SHARED | MAP_FIXED;

	memset(&n, 0, sizeof(n));
	if (nat_child_probe(why, sizeof(why)) < 0) {
		printf("SKIP: %s\n", why);
		return 77;
	}
	n.memfd = memfd_create("trapvisor-ram", MFD_CLOEXEC);
	if (n.memfd < 0 || ftruncate(n.memfd, RAM_SIZE) < 0 ||
	    nat_child_start(&n, why, sizeof(why)) < 0) {
		printf("FAIL start: %s\n", n.memfd < 0 ? strerror(errno) : why);
		return 1;
	}
	/* What the engine injects passes. */
	long r = nat_inject(&n, SYS_mmap, LOW_PAGE, PAGE_4K,
			    PROT_READ | PROT_EXEC, flags, (uint64_t)n.memfd, 0);
	verdict("mmap-guest-ram", r == (long)LOW_PAGE, "refused");
	/* Anything else from the stub's syscall is refused. */
	stub_call(&n, "getpid", SYS_getpid, 0, 0, 0, 0, 0);
	stub_call(&n, "x32-munmap", SYS_munmap | X32_BIT, LOW_PAGE, PAGE_4K,
		  0, 0, 0);
	stub_call(&n, "mmap-anonymous", SYS_mmap, LOW_PAGE, PAGE_4K,
		  PROT_READ, MAP_PRIVATE | MAP_FIXED | MAP_ANONYMOUS, ~0ULL);
	stub_call(&n, "mmap-private", SYS_mmap, LOW_PAGE, PAGE_4K,
		  PROT_READ, MAP_PRIVATE | MAP_FIXED, (uint64_t)n.memfd);
	stub_call(&n, "mmap-other-fd", SYS_mmap, LOW_PAGE, PAGE_4K,
		  PROT_READ, flags, (uint64_t)n.memfd + 1);
	stub_call(&n, "mmap-fd-high-word", SYS_mmap, LOW_PAGE, PAGE_4K,
		  PROT_READ, flags, (uint64_t)n.memfd | 1ULL << 32);
	/* A call whose return address is the stub page's first byte, from
	 * the guest page (mapped again: a refused mmap above may have run
	 * before the fix). */
	r = nat_inject(&n, SYS_mmap, LOW_PAGE, PAGE_4K,
		       PROT_READ | PROT_EXEC, flags, (uint64_t)n.memfd, 0);
	verdict("mmap-guest-ram-again", r == (long)LOW_PAGE, "refused");
	low_call(&n, "syscall-below-stub", "\x0f\x05", SYS_getpid,
		 AUDIT_ARCH_X86_64);
	low_call(&n, "munmap-below-stub", "\x0f\x05", SYS_munmap,
		 AUDIT_ARCH_X86_64);
	low_call(&n, "int80-below-stub", "\xcd\x80", 20 /* i386 getpid */,
		 AUDIT_ARCH_I386);
	/* And munmap, the other injected call, still passes. */
	r = nat_inject(&n, SYS_munmap, LOW_PAGE, PAGE_4K, 0, 0, 0, 0);
	verdict("munmap", r == 0, "refused");
	nat_child_stop(&n);
	close(n.memfd);
	return failures ? 1 : 0;
}
