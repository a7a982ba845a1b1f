/*
 * monitor/sandbox.c - after set-up, the monitor gives up what it no longer
 * needs, as Firecracker's VMM does.
 *
 * The monitor reads a file the user named, runs code the user did not
 * write, and parses every instruction and page table of it.  A bug in that
 * parsing should not become the guest's way into the host.  So once the
 * image is loaded and the engine is ready (main.c, right before vm_run),
 * the process restricts itself, for good and for every thread and child it
 * might still create:
 *
 *   - no_new_privs, which both of the following require;
 *   - Landlock, where the kernel has it (ABI version from
 *     landlock_create_ruleset(NULL, 0, LANDLOCK_CREATE_RULESET_VERSION)):
 *     a ruleset that handles every file-system right of that ABI and grants
 *     none, so no path can be opened, created, removed or executed, and
 *     (ABI 4 and later) no TCP port bound or connected.  Files opened
 *     before (guest RAM's memfd, /dev/kvm, standard output) keep working;
 *   - a seccomp filter (classic BPF): the system call number is compared
 *     with an allow-list and anything else is SECCOMP_RET_TRAP, a SIGSYS
 *     whose handler prints "trapvisor: sandbox: refused system call N
 *     (name)" and exits with SANDBOX_EXIT_REFUSED: a clear death rather
 *     than an errno that some error path might swallow.  A call made with
 *     another ABI (x32, i386) kills the process outright.  The filter is
 *     devices/seccomp.c's, the one the back-end process and the passthru
 *     disk's thread wall themselves in with too.
 *
 * The allow-list is what the monitor really calls after set-up, measured
 * over the guests, badinput and escape suites: with strace (no -f: the
 * native child is already traced) for the calls after main.c's
 * sigaction(SIGINT), and under the sanitizer build with the filter in log
 * mode (SANDBOX_MEASURE below) until the kernel logged nothing:
 *
 *   every engine   write (serial output, stderr), poll (the serial output
 *                  waits for the host), clock_gettime (a CPU clock is a
 *                  real call; the monotonic one is the vDSO's),
 *                  clock_nanosleep (hlt sleeps until the next timer
 *                  event), rt_sigreturn (after Ctrl-C's handler), sysinfo
 *                  (glibc's qsort, inside Capstone, asks for the size of
 *                  RAM), brk, munmap (malloc, vm_destroy), close
 *                  (vm_destroy), exit_group;
 *                  and, read from glibc rather than seen in a test: mmap,
 *                  mremap, madvise, mprotect (malloc's large blocks and
 *                  arenas: shadow page tables grow while the guest runs),
 *                  rt_sigprocmask, rt_sigaction, getpid, gettid, tgkill
 *                  (abort() after a panic must still reach SIGABRT);
 *                  pread64, pwrite64, fsync (the IDE disk's sectors and
 *                  FLUSH CACHE, on image files opened at set-up);
 *                  read, ppoll (standard input into the UART, and the
 *                  halted wait on it: the echo guest's tests), ioctl
 *                  (TCSETS: a terminal's mode restored at exit; without
 *                  it the console-tty tests find the mode not restored;
 *                  ioctl stays unnarrowed)
 *   softcpu        nothing more
 *   --gdb          the stub's list in monitor/gdbstub.c: accept4 (a gdb
 *                  connecting, on the socket bound before), recvfrom and
 *                  sendto (its packets), poll and close (already here);
 *                  main.c adds it to the engine's when --gdb is given
 *   native         its list in engines/native/native.c: ptrace (every
 *                  stop), wait4 (waitpid: the child's stops),
 *                  rt_sigtimedwait (sleeping until SIGCHLD), kill
 *                  (interrupting the child, ending it)
 *   kvm            its list in engines/kvm/kvm.c: ioctl (KVM_RUN and the
 *                  register and state ioctls on the VM and vCPU
 *                  descriptors), timer_settime and timer_delete (the kick
 *                  timer)
 *   ASan/UBSan     `make SANITIZE=1` only: LeakSanitizer's check at exit
 *                  stops the world with a tracer (clone, prctl, futex,
 *                  sched_yield, sigaltstack, getppid, ptrace, wait4, exit)
 *                  that lists /proc/self/task (open, getdents, read,
 *                  lseek), so that build also lets Landlock read beneath
 *                  /proc.  The tracer blocks SIGSYS: a call refused there
 *                  kills the tracer without the line, and the monitor then
 *                  spins for ever waiting for it (seen while measuring):
 *                  a sanitizer run that hangs at exit points here.
 *
 * What the filter does not do: look at arguments (ioctl, mmap, kill could
 * be narrowed further, as Firecracker does per ioctl).  An engine lists its
 * own calls in struct engine's sandbox_syscalls; `--no-sandbox` turns all
 * of this off for debugging (strace, gdb).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/landlock.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "devices/seccomp.h"
#include "monitor/console.h"
#include "monitor/sandbox.h"

/* Rights newer than this build host's <linux/landlock.h> (the kernel's
 * values: uapi/linux/landlock.h). */
#ifndef LANDLOCK_ACCESS_FS_TRUNCATE
#define LANDLOCK_ACCESS_FS_TRUNCATE (1ULL << 14) /* ABI 3 */
#endif
#ifndef LANDLOCK_ACCESS_FS_IOCTL_DEV
#define LANDLOCK_ACCESS_FS_IOCTL_DEV (1ULL << 15) /* ABI 5 */
#endif
#ifndef LANDLOCK_ACCESS_NET_BIND_TCP
#define LANDLOCK_ACCESS_NET_BIND_TCP (1ULL << 0) /* ABI 4 */
#define LANDLOCK_ACCESS_NET_CONNECT_TCP (1ULL << 1)
#endif
#ifndef LANDLOCK_RULE_PATH_BENEATH
#define LANDLOCK_RULE_PATH_BENEATH 1
#endif

/*
 * struct landlock_ruleset_attr as of ABI 4 (the kernel takes a shorter
 * one from older callers): the host's header may lack handled_access_net.
 */
struct sandbox_ruleset_attr {
	uint64_t handled_access_fs;
	uint64_t handled_access_net;
};

/*
 * How the allow-list is measured: built with -DSANDBOX_MEASURE, the filter
 * lets every call through and the kernel logs the ones outside the list
 * (dmesg: "audit: type=1326 ... syscall=N"); run every test suite so.
 */
#ifdef SANDBOX_MEASURE
#define SANDBOX_REFUSE SECCOMP_RET_LOG
#else
#define SANDBOX_REFUSE SECCOMP_RET_TRAP
#endif

_Static_assert(SANDBOX_MAX_CALLS <= SECCOMP_ALLOW_MAX,
	       "an allow-list the filter's jumps cannot reach");

/* The monitor's own calls after set-up, whatever the engine. */
static const int monitor_calls[] = {
	SYS_write, SYS_poll, SYS_clock_gettime, SYS_clock_nanosleep,
	SYS_rt_sigreturn, SYS_sysinfo, SYS_brk, SYS_mmap, SYS_munmap,
	SYS_mremap, SYS_madvise, SYS_mprotect, SYS_close, SYS_exit_group,
	SYS_rt_sigprocmask, SYS_rt_sigaction, SYS_getpid, SYS_gettid,
	SYS_tgkill,
	/* the IDE disk's back end (devices/ide.c): the image files were
	 * opened at set-up; reads, writes and FLUSH CACHE's fsync */
	SYS_pread64, SYS_pwrite64, SYS_fsync,
	/* the console (monitor/console.c): read standard input, wait for
	 * it while the guest halts (ppoll), give a terminal its mode back
	 * at exit (tcsetattr's ioctl TCSETS) */
	SYS_read, SYS_ppoll, SYS_ioctl,
	-1
};

/*
 * The sanitizer build's runtime (AddressSanitizer, LeakSanitizer at exit),
 * as measured: see the comment at the top.
 */
#if defined(__SANITIZE_ADDRESS__)
#define SANDBOX_SANITIZER 1
static const int sanitizer_calls[] = {
	SYS_clone, SYS_prctl, SYS_sched_yield, SYS_futex, SYS_open,
	SYS_getdents, SYS_exit, SYS_read, SYS_ptrace, SYS_getppid,
	SYS_sigaltstack, SYS_wait4, SYS_lseek,
	-1
};
#else
#define SANDBOX_SANITIZER 0
static const int sanitizer_calls[] = { -1 };
#endif

/* Names for messages: the calls above and the ones a bug would make. */
#define N(x) [SYS_##x] = #x
static const char *const call_names[] = {
	N(read), N(write), N(open), N(close), N(stat), N(fstat), N(lstat),
	N(poll), N(lseek), N(mmap), N(mprotect), N(munmap), N(brk),
	N(rt_sigaction), N(rt_sigprocmask), N(rt_sigreturn), N(ioctl),
	N(pread64), N(pwrite64), N(readv), N(writev), N(access), N(pipe),
	N(select), N(sched_yield), N(mremap), N(msync), N(madvise),
	N(dup), N(dup2), N(pause), N(nanosleep), N(getpid), N(sendfile),
	N(socket), N(connect), N(accept), N(sendto), N(recvfrom),
	N(sendmsg), N(recvmsg), N(bind), N(listen), N(clone), N(fork),
	N(vfork), N(execve), N(exit), N(wait4), N(kill), N(uname),
	N(fcntl), N(flock), N(fsync), N(truncate), N(ftruncate),
	N(getdents), N(getcwd), N(chdir), N(rename), N(mkdir), N(rmdir),
	N(creat), N(link), N(unlink), N(symlink), N(readlink), N(chmod),
	N(chown), N(umask), N(gettimeofday), N(getrlimit), N(getuid),
	N(ptrace), N(getppid), N(setsid), N(sigaltstack), N(personality),
	N(prctl), N(arch_prctl), N(mount), N(gettid), N(tkill), N(futex),
	N(sched_getaffinity), N(getdents64), N(set_tid_address),
	N(timer_create), N(timer_settime), N(timer_delete),
	N(clock_gettime), N(clock_nanosleep), N(exit_group), N(tgkill),
	N(waitid), N(sysinfo), N(openat), N(mkdirat), N(newfstatat), N(unlinkat),
	N(ppoll), N(set_robust_list), N(rt_sigtimedwait), N(memfd_create),
	N(process_vm_readv), N(process_vm_writev), N(seccomp),
	N(execveat), N(rseq), N(clone3), N(pidfd_open), N(openat2),
	N(landlock_create_ruleset), N(landlock_restrict_self),
};
#undef N

const char *sandbox_call_name(long nr)
{
	if (nr >= 0 && (size_t)nr < sizeof(call_names) / sizeof(call_names[0])
	    && call_names[nr])
		return call_names[nr];
	return "?";
}

/* Append the decimal digits of v to buf at *at (async-signal-safe). */
static void put_num(char *buf, size_t *at, long v)
{
	char d[24];
	int n = 0;

	if (v < 0) {
		buf[(*at)++] = '-';
		v = -v;
	}
	do
		d[n++] = (char)('0' + v % 10);
	while ((v /= 10) > 0);
	while (n > 0)
		buf[(*at)++] = d[--n];
}

static void put_str(char *buf, size_t *at, size_t cap, const char *s)
{
	while (*s && *at < cap)
		buf[(*at)++] = *s++;
}

/*
 * SIGSYS from SECCOMP_RET_TRAP: one line and the monitor-bug status.
 * Only async-signal-safe calls, and only calls the filter allows (write,
 * _exit's exit_group).
 */
static void on_refused(int sig, siginfo_t *si, void *ctx)
{
	char line[128];
	size_t at = 0;

	(void)sig;
	(void)ctx;
	put_str(line, &at, 60, "trapvisor: sandbox: refused system call ");
	put_num(line, &at, si->si_syscall);
	put_str(line, &at, 100, " (");
	put_str(line, &at, 120, sandbox_call_name(si->si_syscall));
	put_str(line, &at, 126, ")\n");
	console_restore(); /* _exit skips atexit: the terminal's mode now */
	if (write(STDERR_FILENO, line, at) < 0)
		_exit(SANDBOX_EXIT_REFUSED);
	_exit(SANDBOX_EXIT_REFUSED);
}

/* Add the calls of list (ended by -1) to calls[], once each. */
static int add_calls(int *calls, unsigned *n, const int *list)
{
	for (; list && *list >= 0; list++) {
		unsigned i = 0;

		while (i < *n && calls[i] != *list)
			i++;
		if (i < *n)
			continue;
		if (*n == SANDBOX_MAX_CALLS)
			return -1;
		calls[(*n)++] = *list;
	}
	return 0;
}

/* The file-system rights Landlock ABI abi knows; all of them are denied. */
static uint64_t landlock_fs_rights(int abi)
{
	uint64_t r = (LANDLOCK_ACCESS_FS_MAKE_SYM << 1) - 1; /* ABI 1 */

	if (abi >= 2)
		r |= LANDLOCK_ACCESS_FS_REFER;
	if (abi >= 3)
		r |= LANDLOCK_ACCESS_FS_TRUNCATE;
	if (abi >= 5)
		r |= LANDLOCK_ACCESS_FS_IOCTL_DEV;
	return r;
}

/*
 * The sanitizer build's one exception: LeakSanitizer reads /proc/self
 * at exit.  Reading (files and directories) beneath /proc is allowed.
 */
static int allow_proc_reads(int ruleset)
{
	struct {
		uint64_t allowed_access;
		int32_t parent_fd;
	} __attribute__((packed)) beneath;
	int fd = open("/proc", O_PATH | O_CLOEXEC);

	if (fd < 0)
		return -1;
	beneath.allowed_access = LANDLOCK_ACCESS_FS_READ_FILE |
				 LANDLOCK_ACCESS_FS_READ_DIR;
	beneath.parent_fd = fd;
	int rc = (int)syscall(SYS_landlock_add_rule, ruleset,
			      LANDLOCK_RULE_PATH_BENEATH, &beneath, 0);
	close(fd);
	return rc;
}

/* Landlock: returns the ABI in force, 0 when the kernel has none, -1. */
static int enter_landlock(struct sandbox_state *st)
{
	int abi = (int)syscall(SYS_landlock_create_ruleset, NULL, 0,
			       LANDLOCK_CREATE_RULESET_VERSION);
	if (abi < 0)
		return (errno == ENOSYS || errno == EOPNOTSUPP) ? 0 : -1;

	struct sandbox_ruleset_attr attr = {
		.handled_access_fs = landlock_fs_rights(abi),
		.handled_access_net = LANDLOCK_ACCESS_NET_BIND_TCP |
				      LANDLOCK_ACCESS_NET_CONNECT_TCP,
	};
	size_t size = abi >= 4 ? sizeof(attr) : sizeof(attr.handled_access_fs);
	int ruleset = (int)syscall(SYS_landlock_create_ruleset, &attr, size,
				   0);
	if (ruleset < 0)
		return -1;
	int rc = 0;
	if (SANDBOX_SANITIZER) {
		rc = allow_proc_reads(ruleset);
		st->landlock_proc = rc == 0;
	}
	if (rc == 0)
		rc = (int)syscall(SYS_landlock_restrict_self, ruleset, 0);
	close(ruleset);
	return rc < 0 ? -1 : abi;
}

int sandbox_enter(const int *engine_calls, struct sandbox_state *st,
		  char *why, size_t len)
{
	int calls[SANDBOX_MAX_CALLS];
	unsigned n = 0;
	struct sigaction sa = { .sa_sigaction = on_refused,
				.sa_flags = SA_SIGINFO };

	*st = (struct sandbox_state){ 0 };
	if (add_calls(calls, &n, monitor_calls) < 0 ||
	    add_calls(calls, &n, engine_calls) < 0 ||
	    add_calls(calls, &n, sanitizer_calls) < 0) {
		snprintf(why, len, "more than %d calls to allow",
			 SANDBOX_MAX_CALLS);
		return -1;
	}
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSYS, &sa, NULL) < 0 ||
	    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		snprintf(why, len, "no_new_privs: %s", strerror(errno));
		return -1;
	}
	st->landlock_abi = enter_landlock(st);
	if (st->landlock_abi < 0) {
		snprintf(why, len, "landlock: %s", strerror(errno));
		return -1;
	}
	if (seccomp_allow_only(calls, n, SANDBOX_REFUSE) < 0) {
		snprintf(why, len, "seccomp: %s", strerror(errno));
		return -1;
	}
	st->on = true;
	st->calls = n;
	return 0;
}

void sandbox_print(const struct sandbox_state *st, FILE *f)
{
	if (!st || !st->on) {
		fprintf(f, "sandbox: off (--no-sandbox)\n");
		return;
	}
	fprintf(f, "sandbox: on; seccomp: %u calls allowed; landlock: ",
		st->calls);
	if (st->landlock_abi == 0)
		fprintf(f, "not available\n");
	else
		fprintf(f, "ABI %d, no file access%s\n", st->landlock_abi,
			st->landlock_proc ? " but reading /proc (sanitizer)"
					  : "");
}
