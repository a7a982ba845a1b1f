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

/*T:240 Errors come in three tiers, and this is the middle one: a misbehaving
 * guest ends the guest, never the host (lguest's kill_guest).  A triple
 * fault, memory it does not have, a halt that nothing can wake: each stops
 * the VM with one line on stderr that says why, status 125, and vm_run()
 * returns normally so that everything is released.  Below it, a set-up
 * that fails unwinds and returns an error (status 1); above it, a broken
 * invariant of the monitor itself panics (stop 250).
 */
void vm_kill(struct vm *vm, int status, const char *fmt, ...)
{
	va_list ap;

	if (vm->stopped)
		return; /* the first reason is the one that counts */
	fflush(stdout);
	fputs("trapvisor: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	vm->stopped = true;
	vm->exit_status = status;
}
