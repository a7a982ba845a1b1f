/*
 * engines/native/bench/xstate.c - what the native engine's stops cost
 * beyond the bare round trip, call by call (engines/native/README.md,
 * "What a stop does beyond the round trip: the figures").
 *
 * At a change of child (space.c) the engine reads the XSAVE state of the
 * child that stopped with PTRACE_GETREGSET NT_X86_XSTATE, and at a stop it
 * reads the child's CPU clock (clock.c).  Two questions decide whether
 * these can be made cheaper:
 *
 *   1. What does the kernel give for a traced child's state: which bits
 *      of the header's XSTATE_BV (byte 512, SDM vol. 1, 13.4.2) are set
 *      in a child forked from a program like the monitor, and does a
 *      short iovec (the 512-byte legacy area and the 64-byte header, 576
 *      bytes) return just those bytes?  A read in two steps -- 576 bytes,
 *      the rest only when XSTATE_BV names a component beyond x87/SSE --
 *      pays only if those bits are usually clear.
 *   2. What each call costs the monitor in CPU time: GETREGSET of 576
 *      bytes, of the state without AMX's tile data (what space.c reads),
 *      of all of it; GETREGS; the child's CPU clock; and the stub page's
 *      open and close around a batch of injected calls (child.c), with
 *      and without an ftruncate before the write, the page touched once
 *      through a shared mapping as the child's syscall fetches it.
 *
 * Each cost is the CPU time of the calling thread (the kernel's work for
 * the call is the caller's), the best of 5 batches of ROUNDS calls, on
 * two stopped children taken in turn as at a switch; the stub's two ways
 * in alternate batches of ROUNDS / 4, the mean of 20 each.
 *
 *   make bench-xstate && taskset -c 1 build/bench/xstate [ROUNDS]
 */
#if defined(__linux__) && defined(__x86_64__)

#include <elf.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>

#include "engines/native/xsave.h"

#define XSAVE_SHORT 576 /* the legacy area and the header */

static uint8_t xstate[65536] __attribute__((aligned(64)));

/* A traced child, forked from this program, stopped. */
static pid_t stopped_child(void)
{
	pid_t pid = fork();
	int st;

	if (pid == 0) {
		ptrace(PTRACE_TRACEME, 0, 0, 0);
		raise(SIGSTOP);
		_exit(0);
	}
	if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFSTOPPED(st)) {
		perror("xstate: a stopped child");
		exit(1);
	}
	return pid;
}

static uint64_t thread_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* Question 1: the header of a whole read, and what a short one gives. */
static void show_state(pid_t pid)
{
	struct iovec whole = { xstate, sizeof(xstate) };
	struct iovec part = { xstate, XSAVE_SHORT };
	uint64_t bv, pkru = 0;

	if (ptrace(PTRACE_GETREGSET, pid, NT_X86_XSTATE, &whole) < 0) {
		perror("xstate: PTRACE_GETREGSET");
		exit(1);
	}
	memcpy(&bv, xstate + XSAVE_XSTATE_BV, sizeof(bv));
	if (bv & (1u << 9)) { /* PKRU: CPUID.(EAX=0DH,ECX=9).EBX */
		unsigned a, b, c, d;
		__cpuid_count(0xd, 9, a, b, c, d);
		memcpy(&pkru, xstate + b, 4);
	}
	printf("whole state: %zu bytes, XSTATE_BV %#llx, PKRU %#llx\n",
	       whole.iov_len, (unsigned long long)bv,
	       (unsigned long long)pkru);
	memset(xstate, 0xee, sizeof(xstate));
	if (ptrace(PTRACE_GETREGSET, pid, NT_X86_XSTATE, &part) < 0) {
		perror("xstate: PTRACE_GETREGSET, short");
		exit(1);
	}
	memcpy(&bv, xstate + XSAVE_XSTATE_BV, sizeof(bv));
	printf("short iovec: %zu bytes back, XSTATE_BV %#llx, "
	       "byte %d untouched: %s\n", part.iov_len,
	       (unsigned long long)bv, XSAVE_SHORT,
	       xstate[XSAVE_SHORT] == 0xee ? "yes" : "no");
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

enum call { READ_SHORT, READ_NO_TILES, READ_WHOLE, GETREGS, CPU_CLOCK,
	    STUB_TRUNCATE_WRITE, STUB_WRITE };

/* The stub page, as child.c has it: a memfd, mapped shared, empty. */
static int stubfd = -1;
static const volatile uint8_t *stub;
static const uint8_t stub_code[4] = { 0x0f, 0x05, 0xcc, 0xfa };

static void stub_cycle(bool truncate_first)
{
	if (truncate_first && ftruncate(stubfd, 4096) < 0)
		return;
	if (pwrite(stubfd, stub_code, sizeof(stub_code), 0) < 0)
		return;
	(void)stub[0];
	if (ftruncate(stubfd, 0) < 0)
		perror("xstate: ftruncate");
}

static void one_call(enum call c, pid_t pid, clockid_t clk)
{
	struct iovec iov = { xstate, sizeof(xstate) };
	struct user_regs_struct r;
	struct timespec ts;

	switch (c) {
	case READ_SHORT:
		iov.iov_len = XSAVE_SHORT;
		ptrace(PTRACE_GETREGSET, pid, NT_X86_XSTATE, &iov);
		break;
	case READ_NO_TILES:
		iov.iov_len = xsave_tiledata_at() ? xsave_tiledata_at() : sizeof(xstate);
		ptrace(PTRACE_GETREGSET, pid, NT_X86_XSTATE, &iov);
		break;
	case READ_WHOLE:
		ptrace(PTRACE_GETREGSET, pid, NT_X86_XSTATE, &iov);
		break;
	case GETREGS:
		ptrace(PTRACE_GETREGS, pid, 0, &r);
		break;
	case CPU_CLOCK:
		clock_gettime(clk, &ts);
		break;
	default:
		break;
	}
}

/* Question 2: ns of CPU per call, the best of 5 batches. */
static double cost(enum call c, const pid_t pid[2], const clockid_t clk[2],
		   int rounds)
{
	uint64_t best[5];

	for (int b = 0; b < 5; b++) {
		uint64_t t0 = thread_ns();
		for (int i = 0; i < rounds; i++)
			one_call(c, pid[i & 1], clk[i & 1]);
		best[b] = thread_ns() - t0;
	}
	qsort(best, 5, sizeof(best[0]), cmp_u64);
	return (double)best[0] / rounds;
}

/* The stub's two ways, in alternate batches of rounds (each batch moves
 * with the load, so the two must share it): the mean of 20 each. */
static void stub_costs(int rounds, double *with, double *without)
{
	uint64_t sum[2] = { 0, 0 };

	for (int b = 0; b < 40; b++) {
		uint64_t t0 = thread_ns();
		for (int i = 0; i < rounds; i++)
			stub_cycle(b % 2 == 0);
		sum[b % 2] += thread_ns() - t0;
	}
	*with = (double)sum[0] / 20 / rounds;
	*without = (double)sum[1] / 20 / rounds;
}

int main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 20000;
	pid_t pid[2];
	clockid_t clk[2];
	static const char *const name[] = {
		"GETREGSET, legacy area + header", "GETREGSET, all but the tiles",
		"GETREGSET, the whole state", "GETREGS", "the child's CPU clock",
		"stub: ftruncate, pwrite, ftruncate 0", "stub: pwrite, ftruncate 0",
	};
	unsigned long len[] = { XSAVE_SHORT, xsave_tiledata_at(), 0, 0, 0, 0, 0 };

	if (rounds < 1) {
		fprintf(stderr, "xstate: ROUNDS must be a positive number\n");
		return 2;
	}
	for (int k = 0; k < 2; k++) {
		pid[k] = stopped_child();
		if (clock_getcpuclockid(pid[k], &clk[k]) != 0) {
			fprintf(stderr, "xstate: no CPU clock for the child\n");
			return 1;
		}
	}
	stubfd = memfd_create("xstate-stub", MFD_CLOEXEC);
	stub = stubfd < 0 ? MAP_FAILED : mmap(NULL, 4096, PROT_READ,
					      MAP_SHARED, stubfd, 0);
	if (stub == MAP_FAILED) {
		perror("xstate: the stub's memfd");
		return 1;
	}
	show_state(pid[0]);
	printf("ns of CPU per call, best of 5 x %d, two children in turn\n",
	       rounds);
	for (int c = READ_SHORT; c <= CPU_CLOCK; c++) {
		if (len[c])
			printf("%-38s %5lu bytes %6.0f\n", name[c], len[c],
			       cost((enum call)c, pid, clk, rounds));
		else
			printf("%-38s %11s %6.0f\n", name[c], "",
			       cost((enum call)c, pid, clk, rounds));
	}
	double with, without;
	stub_costs(rounds / 4 ? rounds / 4 : 1, &with, &without);
	printf("the stub's open and close, mean of 20 alternate batches:\n");
	printf("%-38s %11s %6.0f\n", name[STUB_TRUNCATE_WRITE], "", with);
	printf("%-38s %11s %6.0f\n", name[STUB_WRITE], "", without);
	for (int k = 0; k < 2; k++) {
		kill(pid[k], SIGKILL);
		waitpid(pid[k], NULL, 0);
	}
	return 0;
}

#else
#include <stdio.h>
int main(void)
{
	fprintf(stderr, "xstate: x86-64 Linux only\n");
	return 1;
}
#endif
