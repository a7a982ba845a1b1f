/*
 * core/panic.c - tier 1 of the errors (core/panic.h): the monitor is wrong.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/panic.h"

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
