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
 */
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

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
	native_active = 0;
	siglongjmp(native_jmp, 1);
}

static int native_map(uint64_t addr, uint64_t size, int prot)
{
	void *p = mmap((void *)addr, size, prot,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);

	return p == (void *)addr ? 0 : -1;
}

int native_init(char *why, size_t len)
{
	static const int sigs[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP };
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
