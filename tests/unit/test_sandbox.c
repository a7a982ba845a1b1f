/*
 * tests/unit/test_sandbox.c - the monitor's sandbox (monitor/sandbox.c).
 *
 * Each test forks: the child enters the sandbox as the monitor does before
 * vm_run, then makes one system call; the parent looks at how the child
 * ended and at what it wrote on its standard error.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "monitor/sandbox.h"

/* What the child does once inside the sandbox; its return is its status. */
typedef int (*inside_fn)(void);

struct outcome {
	int status;      /* from waitpid */
	char err[256];   /* the child's standard error */
};

/*
 * Fork; in the child, enter the sandbox with extra allowed calls, run
 * inside and _exit with what it returns.  Standard error goes to a pipe.
 */
static void run_sandboxed(const int *extra, inside_fn inside,
			  struct outcome *o)
{
	int p[2];

	memset(o, 0, sizeof(*o));
	assert_int_equal(pipe(p), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct sandbox_state st;
		char why[200];

		close(p[0]);
		dup2(p[1], STDERR_FILENO);
		if (sandbox_enter(extra, &st, why, sizeof(why)) < 0) {
			dprintf(STDERR_FILENO, "sandbox_enter: %s\n", why);
			_exit(99);
		}
		_exit(inside());
	}
	close(p[1]);
	size_t got = 0;
	ssize_t n;
	while ((n = read(p[0], o->err + got, sizeof(o->err) - 1 - got)) > 0)
		got += (size_t)n;
	close(p[0]);
	assert_int_equal(waitpid(pid, &o->status, 0), pid);
}

/* The child ended with the refusal's status and exactly this line. */
static void assert_refused(const struct outcome *o, long nr,
			   const char *name)
{
	char want[128];

	snprintf(want, sizeof(want), "trapvisor: sandbox: refused system "
		 "call %ld (%s)\n", nr, name);
	assert_true(WIFEXITED(o->status));
	assert_int_equal(WEXITSTATUS(o->status), SANDBOX_EXIT_REFUSED);
	assert_string_equal(o->err, want);
}

static int write_to_stderr(void)
{
	return write(STDERR_FILENO, "ok\n", 3) == 3 ? 0 : 1;
}

static int open_a_file(void)
{
	return open("/etc/passwd", O_RDONLY) >= 0 ? 0 : 1;
}

static int run_a_program(void)
{
	char *argv[] = { "true", NULL };

	execve("/bin/true", argv, argv + 1);
	return 1;
}

static int open_a_socket(void)
{
	return socket(AF_INET, SOCK_STREAM, 0) >= 0 ? 0 : 1;
}

/* x32's getpid: the same number with the x32 bit. */
static int call_x32(void)
{
	return (int)syscall(0x40000000 | SYS_getpid) >= 0 ? 0 : 1;
}

/* With openat allowed, only Landlock stands between it and the file. */
static int open_past_seccomp(void)
{
	int fd = open("/etc/passwd", O_RDONLY);

	if (fd >= 0)
		return 0;
	return errno == EACCES ? 2 : 1;
}

static void test_allowed_calls_work(void **state)
{
	struct outcome o;

	(void)state;
	run_sandboxed(NULL, write_to_stderr, &o);
	assert_true(WIFEXITED(o.status));
	assert_int_equal(WEXITSTATUS(o.status), 0);
	assert_string_equal(o.err, "ok\n");
}

static void test_open_refused(void **state)
{
	struct outcome o;

	(void)state;
	run_sandboxed(NULL, open_a_file, &o);
	assert_refused(&o, SYS_openat, "openat");
}

static void test_execve_refused(void **state)
{
	struct outcome o;

	(void)state;
	run_sandboxed(NULL, run_a_program, &o);
	assert_refused(&o, SYS_execve, "execve");
}

static void test_socket_refused(void **state)
{
	struct outcome o;

	(void)state;
	run_sandboxed(NULL, open_a_socket, &o);
	assert_refused(&o, SYS_socket, "socket");
}

static void test_other_abi_killed(void **state)
{
	struct outcome o;

	(void)state;
	run_sandboxed(NULL, call_x32, &o);
	assert_true(WIFSIGNALED(o.status));
	assert_int_equal(WTERMSIG(o.status), SIGSYS);
}

/* An engine's own calls are allowed: here openat, which Landlock then
 * refuses with EACCES (where the kernel has Landlock). */
static void test_engine_calls_and_landlock(void **state)
{
	static const int extra[] = { SYS_openat, -1 };
	struct outcome o;
	int abi = (int)syscall(SYS_landlock_create_ruleset, NULL, 0, 1U);

	(void)state;
	run_sandboxed(extra, open_past_seccomp, &o);
	assert_true(WIFEXITED(o.status));
	if (abi <= 0) {
		assert_int_equal(WEXITSTATUS(o.status), 0);
		skip(); /* no Landlock here: seccomp alone was tested */
	}
	assert_int_equal(WEXITSTATUS(o.status), 2);
	assert_string_equal(o.err, "");
}

static void test_call_names(void **state)
{
	(void)state;
	assert_string_equal(sandbox_call_name(SYS_openat), "openat");
	assert_string_equal(sandbox_call_name(SYS_write), "write");
	assert_string_equal(sandbox_call_name(-1), "?");
	assert_string_equal(sandbox_call_name(100000), "?");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_allowed_calls_work),
		cmocka_unit_test(test_open_refused),
		cmocka_unit_test(test_execve_refused),
		cmocka_unit_test(test_socket_refused),
		cmocka_unit_test(test_other_abi_killed),
		cmocka_unit_test(test_engine_calls_and_landlock),
		cmocka_unit_test(test_call_names),
	};
	return cmocka_run_group_tests_name("sandbox", tests, NULL, NULL);
}
