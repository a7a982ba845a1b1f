/*
 * core/vm.c - create and destroy a virtual machine; end a guest.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/engine.h"
#include "core/vm.h"

int vm_create(struct vm *vm, const struct vm_options *opt, int out_fd,
	      char *why, size_t len)
{
	memset(vm, 0, sizeof(*vm));
	vm->opt = *opt;
	vm->mem.fd = -1;
	vm->insn_deadline = UINT64_MAX;
	if (gm_init(&vm->mem, opt->mem_mib << 20) < 0) {
		snprintf(why, len, "cannot allocate %llu MiB of guest RAM: %m",
			 (unsigned long long)opt->mem_mib);
		return -1;
	}
	if (shadowpt_init(vm) < 0) {
		snprintf(why, len, "cannot allocate shadow page tables");
		gm_fini(&vm->mem);
		return -1;
	}
	devices_init(vm, out_fd);
	return 0;
}

void vm_destroy(struct vm *vm)
{
	if (vm->engine && vm->engine->fini)
		vm->engine->fini(vm);
	vm->engine = NULL;
	shadowpt_fini(vm);
	gm_fini(&vm->mem);
}

int vm_write_phys(struct vm *vm, uint64_t gpa, const void *buf, size_t len)
{
	if (gm_write(&vm->mem, gpa, buf, len) < 0)
		return -1;
	if (vm->engine && vm->engine->ram_written)
		vm->engine->ram_written(vm, gpa, len);
	return 0;
}

/*T:240 A misbehaving guest ends the guest, never the host (lguest's
 * kill_guest).  A triple fault, memory it does not have, a halt that
 * nothing can wake: each stops the VM with one line on stderr that says
 * why, and trapvisor exits with status 125.  This is the second of three
 * tiers of errors (docs/ARCHITECTURE.md): a broken invariant of the
 * monitor itself panics, and a set-up that fails returns an error.
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
