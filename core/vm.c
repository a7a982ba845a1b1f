/*
 * core/vm.c - guest-physical writes that engines hear of; end a guest.
 */
#include <stdarg.h>
#include <stdio.h>

#include "core/engine.h"
#include "core/vm.h"

int vm_write_phys(struct vm *vm, uint64_t gpa, const void *buf, size_t len)
{
	if (gm_write(&vm->mem, gpa, buf, len) < 0)
		return -1;
	if (vm->engine && vm->engine->ram_written)
		vm->engine->ram_written(vm, gpa, len);
	return 0;
}

/*T:240 Errors come in three tiers, and the two that happen while a guest runs
 * end here, without ending the host.  A misbehaving guest - a triple
 * fault, memory it does not have, a halt that nothing can wake - is
 * stopped by vm_kill() with one line that says why and status 125
 * (lguest's kill_guest); from below monitor/, by vm_kill_at(), whose line
 * the run loop prints with the function the guest was in.  A broken invariant of the monitor itself, found
 * where the caller can still return (the dispatcher, an engine's exit), is
 * stopped by vm_bug() with "monitor bug:" and status 123, so that the
 * guest is never blamed for the monitor's bug.  Either way vm_run() sees
 * vm->stopped and returns normally, and everything is released.  The third
 * tier, a set-up that fails, unwinds and returns an error (status 1)
 * before any guest runs; and where no caller can go on, panic() (stop
 * 250).
 */
/* Stop the VM with status: "trapvisor: " prefix, then the reason. */
static void vm_stop(struct vm *vm, int status, const char *prefix,
		    const char *fmt, va_list ap)
{
	if (vm->stopped)
		return; /* the first reason is the one that counts */
	fflush(stdout);
	fprintf(stderr, "trapvisor: %s", prefix);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	vm->stopped = true;
	vm->exit_status = status;
}

void vm_kill(struct vm *vm, int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vm_stop(vm, status, "", fmt, ap);
	va_end(ap);
}

void vm_kill_at(struct vm *vm, int status, uint64_t rip, const char *fmt,
		...)
{
	va_list ap;

	if (vm->stopped)
		return; /* the first reason is the one that counts */
	va_start(ap, fmt);
	vsnprintf(vm->kill.why, sizeof(vm->kill.why), fmt, ap);
	va_end(ap);
	vm->kill.rip = rip;
	vm->kill.pending = true;
	vm->stopped = true;
	vm->exit_status = status;
}

void vm_bug(struct vm *vm, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vm_stop(vm, VM_EXIT_MONITOR_BUG, "monitor bug: ", fmt, ap);
	va_end(ap);
}
