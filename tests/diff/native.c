/*
 * tests/diff/native.c - run a generated sequence on the host CPU.
 *
 * The code and data regions are mapped at the very addresses the softcpu
 * side uses as guest-linear addresses, so RIP-relative and absolute
 * operands, pushed values and lea results are the same on both sides.  The
 * sequence runs in this process at ring 3 and ends with hlt: the CPU raises
 * #GP(0), the kernel sends SIGSEGV, and the handler takes the registers,
 * RFLAGS, the trap number and the error code from the signal context, just
 * as the softcpu side takes them from the vCPU and its exit.  Any other
 * fault (a bug in the generator) is caught the same way and reported.
 *
 * sysenter, which sequences may end with, is #UD in 64-bit mode on AMD
 * CPUs and on softcpu; an Intel CPU executes it at ring 3, and Linux takes
 * it as a 32-bit fast system call (do_fast_syscall_32): CS becomes
 * __USER32_CS, RSP the old RBP, RIP the 32-bit vDSO's landing pad, EBP is
 * read from [(u32)RBP], then either the i386 call in EAX runs or, when
 * that read faults, the process goes on in compatibility mode at the
 * landing pad's low 32 bits.  A random i386 call in the harness would be
 * a disaster, so a seccomp filter refuses every system call that is not
 * x86-64 (SIGSYS); the handler marks a run that ends outside 64-bit mode
 * or on such a refusal as left_long_mode, and difftest.c accepts that only
 * for a sequence ending with sysenter on an Intel host.  (In the rare
 * case that the low 32 bits of the landing pad fall inside the code or
 * data region, 16 KiB of 4 GiB, the process runs some of it as 32-bit
 * code first; it still ends in a fault marked the same way.)
 */
#include <cpuid.h>
#include <setjmp.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/mman.h>
#include <sys/prctl.h>

#include "tests/diff/diff.h"

static sigjmp_buf native_jmp;
static volatile sig_atomic_t native_active;
static struct diff_result *native_out;
static uint8_t native_altstack[1 << 16];

/* The gregs[] index of each register, in encoding order (RAX..R15). */
static const int native_greg[DIFF_NREGS] = {
	REG_RAX, REG_RCX, REG_RDX, REG_RBX, REG_RSP, REG_RBP, REG_RSI, REG_RDI,
	REG_R8, REG_R9, REG_R10, REG_R11, REG_R12, REG_R13, REG_R14, REG_R15,
};

/* A fault ended the sequence: keep the machine state and go back. */
static void native_trap(int sig, siginfo_t *si, void *ctx)
{
	const greg_t *gr = ((ucontext_t *)ctx)->uc_mcontext.gregs;
	struct diff_result *r = native_out;

	(void)si;
	if (!native_active) { /* a fault in the harness itself */
		signal(sig, SIG_DFL);
		raise(sig);
		return;
	}
	for (int i = 0; i < DIFF_NREGS; i++)
		r->st.regs[i] = (uint64_t)gr[native_greg[i]];
	r->st.rip = (uint64_t)gr[REG_RIP];
	r->st.rflags = (uint64_t)gr[REG_EFL];
	r->vector = (uint8_t)gr[REG_TRAPNO];
	r->error = (uint32_t)gr[REG_ERR];
	/* CS is the low word of REG_CSGSFS; 0x33 is Linux's __USER_CS */
	r->left_long_mode = sig == SIGSYS ||
			    ((uint64_t)gr[REG_CSGSFS] & 0xffff) != 0x33;
	native_active = 0;
	siglongjmp(native_jmp, 1);
}

static int native_map(uint64_t addr, uint64_t size, int prot)
{
	void *p = mmap((void *)addr, size, prot,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);

	return p == (void *)addr ? 0 : -1;
}

/* Refuse (SIGSYS) every system call whose architecture is not x86-64:
 * what an Intel CPU's sysenter would otherwise run in this process. */
static int native_seccomp(void)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP),
	};
	struct sock_fprog prog = { sizeof(f) / sizeof(f[0]), f };

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -1;
	return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog);
}

bool native_is_intel(void)
{
	unsigned a, b, c, d;

	/* "GenuineIntel" in EBX, EDX, ECX */
	return __get_cpuid(0, &a, &b, &c, &d) && b == 0x756e6547 &&
	       d == 0x49656e69 && c == 0x6c65746e;
}

int native_init(char *why, size_t len)
{
	static const int sigs[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP,
				    SIGSYS };
	stack_t ss = { .ss_sp = native_altstack,
		       .ss_size = sizeof(native_altstack) };
	struct sigaction sa = { .sa_sigaction = native_trap,
				.sa_flags = SA_SIGINFO | SA_ONSTACK };

	if (native_map(DIFF_CODE, DIFF_CODE_SIZE,
		       PROT_READ | PROT_WRITE | PROT_EXEC) < 0 ||
	    native_map(DIFF_DATA, DIFF_DATA_SIZE, PROT_READ | PROT_WRITE) < 0) {
		snprintf(why, len, "cannot map the test regions at %#llx: %m",
			 DIFF_CODE);
		return -1;
	}
	/* RSP points into the data region: signals must not land there */
	if (sigaltstack(&ss, NULL) < 0) {
		snprintf(why, len, "sigaltstack: %m");
		return -1;
	}
	if (native_seccomp() < 0) {
		snprintf(why, len, "seccomp: %m");
		return -1;
	}
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		if (sigaction(sigs[i], &sa, NULL) < 0) {
			snprintf(why, len, "sigaction: %m");
			return -1;
		}
	return 0;
}

void native_run(const struct diff_seq *s, struct diff_result *r)
{
	memset(r, 0, sizeof(*r));
	memcpy((void *)DIFF_CODE, s->code, DIFF_CODE_SIZE);
	memcpy((void *)DIFF_DATA, s->data, DIFF_DATA_SIZE);
	native_out = r;
	if (sigsetjmp(native_jmp, 1) == 0) {
		native_active = 1;
		native_enter(&s->init, s->init.rip);
	}
	memcpy(r->data, (void *)DIFF_DATA, DIFF_DATA_SIZE);
	memcpy(r->code, (void *)DIFF_CODE, DIFF_CODE_SIZE);
	r->ok = true;
}
