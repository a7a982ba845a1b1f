/*
 * core/panic.c - tier 1 of the errors (core/panic.h): the monitor is wrong.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/panic.h"

/*T:250 Tier 1: the monitor is wrong.  When an invariant of trapvisor itself
 * breaks - a shadow fill that does not take, an engine that cannot go on -
 * nothing it does next can be trusted, so it stops at once with
 * "trapvisor: monitor bug: function: reason" and status 123.  Never 125:
 * the guest must not be blamed for the monitor's bug, and a guest that can
 * make trapvisor panic has found a bug to fix.
 */
_Noreturn void panic(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout); /* the guest's output so far, before the reason */
	fputs("trapvisor: monitor bug: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	/* exit, not abort: the guest's output is flushed, and the native
	 * engine's children die with us (PTRACE_O_EXITKILL). */
	exit(VM_EXIT_MONITOR_BUG);
}
