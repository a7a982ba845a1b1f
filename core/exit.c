/*
 * core/exit.c - names of exit reasons.
 */
#include "core/exit.h"

const char *exit_reason_name(enum exit_reason r)
{
	static const char *const names[EXIT_NREASONS] = {
		[EXIT_NONE] = "none",
		[EXIT_EXCEPTION] = "exception",
		[EXIT_SYSCALL] = "syscall",
		[EXIT_IO] = "io",
		[EXIT_HLT] = "hlt",
		[EXIT_SHUTDOWN] = "shutdown",
		[EXIT_MMIO] = "mmio",
		[EXIT_INTERRUPT] = "interrupt",
		[EXIT_INTERNAL] = "internal",
	};
	return (unsigned)r < EXIT_NREASONS ? names[r] : "?";
}
