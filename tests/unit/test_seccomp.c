/*
 * tests/unit/test_seccomp.c - the allow-list filter (devices/seccomp.c)
 * that the monitor's sandbox, the back-end process and the passthru
 * disk's thread wall themselves in with.
 *
 * Each test forks: the child installs a filter and makes one system
 * call; the parent looks at how the child ended.  A refused call is told
 * apart by its action: SECCOMP_RET_TRAP reaches the child's SIGSYS
 * handler (status TRAPPED), SECCOMP_RET_KILL_PROCESS kills the child by
 * SIGSYS before any handler runs.
 */
#include <errno.h>
#include <linux/seccomp.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "devices/seccomp.h"

#define TRAPPED 42  /* the child's SIGSYS handler ran */
#define ALLOWED 7   /* the call went through */
#define NOFILTER 99 /* seccomp_allow_only failed */

#ifndef __X32_SYSCALL_BIT
#define __X32_SYSCALL_BIT 0x40000000
#endif

/*
 * The child's end: exit_group itself.  _exit would do (the filters allow
 * exit_group), but in the sanitizer build its interceptor first checks
 * for leaks, with calls no filter here allows.
 */
static _Noreturn void leave(int code)
{
	syscall(SYS_exit_group, code);
	__builtin_unreachable();
}

static void on_sigsys(int sig)
{
	(void)sig;
	leave(TRAPPED);
}

/* What the child calls once walled in: nr, as the x86-64 ABI's call. */
static long call(long nr)
{
	return syscall(nr);
}

/* The i386 ABI's getpid (number 20), from 64-bit code. */
static long call_int80(void)
{
	long ret = 20;

	__asm__ volatile("int $0x80" : "+a"(ret) : : "memory");
	return ret;
}

/*
 * Fork; the child allows the n calls of allow with refuse as the action,
 * then makes call nr (or the i386 one, for nr -1); returns its status.
 */
static int walled(const int *allow, unsigned n, uint32_t refuse, long nr)
{
	pid_t pid = fork();
	int status;

	assert_true(pid >= 0);
	if (pid == 0) {
		struct rlimit no_core = { 0, 0 }; /* a kill by SIGSYS dumps */

		setrlimit(RLIMIT_CORE, &no_core);
		signal(SIGSYS, on_sigsys);
		if (seccomp_allow_only(allow, n, refuse) < 0)
			leave(NOFILTER);
		if (nr < 0)
			call_int80();
		else
			call(nr);
		leave(ALLOWED);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return status;
}

static void expect_exit(int status, int code)
{
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), code);
}

static void expect_killed(int status)
{
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGSYS);
}

/* The calls every child below needs: its exit and the handler's. */
#define BASE SYS_exit_group, SYS_rt_sigreturn

static void test_allowed_call_goes_through(void **state)
{
	static const int allow[] = { BASE, SYS_getppid };

	(void)state;
	expect_exit(walled(allow, 3, SECCOMP_RET_TRAP, SYS_getppid), ALLOWED);
	expect_exit(walled(allow, 3, SECCOMP_RET_KILL_PROCESS, SYS_getppid),
		    ALLOWED);
}

static void test_refused_call_gets_the_action(void **state)
{
	static const int allow[] = { BASE };

	(void)state;
	expect_exit(walled(allow, 2, SECCOMP_RET_TRAP, SYS_getppid), TRAPPED);
	expect_killed(walled(allow, 2, SECCOMP_RET_KILL_PROCESS, SYS_getppid));
}

/* Another ABI kills whatever the action: x32's numbers and i386's
 * int 0x80, even when the x86-64 number is allowed. */
static void test_other_abi_kills(void **state)
{
	static const int allow[] = { BASE, SYS_getppid, SYS_getpid };

	(void)state;
	expect_killed(walled(allow, 4, SECCOMP_RET_TRAP,
			     __X32_SYSCALL_BIT | SYS_getppid));
	expect_killed(walled(allow, 4, SECCOMP_RET_TRAP, -1));
}

/* The longest list: its last entry is still reached by its jump, and a
 * call past its end is refused. */
static void test_longest_list(void **state)
{
	int allow[SECCOMP_ALLOW_MAX];

	(void)state;
	allow[0] = SYS_exit_group;
	allow[1] = SYS_rt_sigreturn;
	for (unsigned i = 2; i < SECCOMP_ALLOW_MAX - 1; i++)
		allow[i] = 1000 + (int)i; /* no such calls */
	allow[SECCOMP_ALLOW_MAX - 1] = SYS_getppid;
	expect_exit(walled(allow, SECCOMP_ALLOW_MAX, SECCOMP_RET_TRAP,
			   SYS_getppid), ALLOWED);
	expect_exit(walled(allow, SECCOMP_ALLOW_MAX, SECCOMP_RET_TRAP,
			   SYS_getpid), TRAPPED);
	expect_exit(walled(allow, SECCOMP_ALLOW_MAX + 1, SECCOMP_RET_TRAP,
			   SYS_getppid), NOFILTER);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_allowed_call_goes_through),
		cmocka_unit_test(test_refused_call_gets_the_action),
		cmocka_unit_test(test_other_abi_kills),
		cmocka_unit_test(test_longest_list),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
