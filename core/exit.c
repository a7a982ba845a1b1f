/*
 * core/exit.c - names of exit reasons; the table of engines.
 */
#include <string.h>

#include "core/engine.h"
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
		[EXIT_INTERRUPT] = "interrupt",
		[EXIT_INTERNAL] = "internal",
	};
	return (unsigned)r < EXIT_NREASONS ? names[r] : "?";
}

/* Every engine compiled into this trapvisor. */
static const struct engine *const engines[] = {
	&engine_softcpu,
	&engine_native,
#if defined(__x86_64__) && __has_include(<linux/kvm.h>)
	&engine_kvm, /* engines/kvm/ is built only where KVM's header is */
#endif
};

const struct engine *engine_find(const char *name)
{
	for (size_t i = 0; i < sizeof(engines) / sizeof(engines[0]); i++)
		if (strcmp(engines[i]->name, name) == 0)
			return engines[i];
	return NULL;
}
