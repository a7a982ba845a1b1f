/*
 * core/panic.c - tier 1 of the errors (core/panic.h): the monitor is wrong.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/panic.h"

/*T:250 Tier 1 where nothing can go on: deep inside code that cannot return a
 * failure (a shadow table with no memory for it, an operand of no known
 * type), panic("function: reason") prints "trapvisor: monitor bug:" and
 * the reason, and exits at once with status 123.  Never 125: the guest
 * must not be blamed for the monitor's bug, and a guest that can make
 * trapvisor panic has found a bug to fix.
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
