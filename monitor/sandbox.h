/*
 * monitor/sandbox.h - the monitor restricts itself after set-up.
 *
 * What is allowed and why is explained at the top of monitor/sandbox.c.
 */
#ifndef MONITOR_SANDBOX_H
#define MONITOR_SANDBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/*
 * A system call the sandbox refused ends the monitor with this status:
 * a bug in the monitor (or in its allow-list), so the status of every
 * monitor bug (VM_EXIT_MONITOR_BUG in core/panic.h; sandbox.c runs in a
 * signal handler and includes nothing of the VM's).
 */
#define SANDBOX_EXIT_REFUSED 123

/* The most system calls one allow-list may hold (the BPF jumps reach). */
#define SANDBOX_MAX_CALLS 200

/* What sandbox_enter set up, for --stats. */
struct sandbox_state {
	bool on;              /* seccomp filter installed */
	unsigned calls;       /* system calls in its allow-list */
	int landlock_abi;     /* Landlock ABI in force, 0 when not available */
	bool landlock_proc;   /* reading /proc still allowed (sanitizer) */
};

/*
 * Restrict the calling process, for good: no file system access (Landlock,
 * where the kernel has it) and only the system calls of the monitor's own
 * allow-list plus engine_calls (a list ended by -1, may be NULL) through a
 * seccomp filter; any other system call prints "trapvisor: sandbox:
 * refused system call N (name)" and exits with SANDBOX_EXIT_REFUSED.
 * Call it once, after every file is open and every child is started.
 * Returns 0 and fills *st, or -1 with a one-line reason in why.
 */
int sandbox_enter(const int *engine_calls, struct sandbox_state *st,
		  char *why, size_t len);

/* --stats: one line saying what the sandbox covers (st NULL: off). */
void sandbox_print(const struct sandbox_state *st, FILE *f);

/* The name of system call nr on x86-64, or "?" (for messages). */
const char *sandbox_call_name(long nr);

#endif /* MONITOR_SANDBOX_H */
