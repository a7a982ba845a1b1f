/*
 * tests/unit/support/devvm.c - a small machine for the device tests
 * (devvm.h).  Linked into every unit test; only the device tests use it.
 */
#include <unistd.h>

#include "devices/devices.h"
#include "monitor/machine.h"
#include "tests/unit/support/devvm.h"

struct vm dev_vm;
int dev_pipe[2];

int dev_vm_make(const struct vm_options *opt)
{
	static const struct vm_options small = { .mem_mib = 2,
						 .engine = "softcpu" };
	char why[200];

	if (pipe(dev_pipe) < 0)
		return -1;
	return vm_create(&dev_vm, opt ? opt : &small, dev_pipe[1], why,
			 sizeof(why));
}

int dev_vm_setup(void **state)
{
	(void)state;
	return dev_vm_make(NULL);
}

int dev_vm_teardown(void **state)
{
	(void)state;
	vm_destroy(&dev_vm);
	close(dev_pipe[0]);
	close(dev_pipe[1]);
	return 0;
}

uint32_t dev_in(uint16_t port, unsigned size)
{
	uint32_t v = 0;

	devices_io(&dev_vm, port, size, true, &v);
	return v;
}

void dev_out(uint16_t port, unsigned size, uint32_t v)
{
	devices_io(&dev_vm, port, size, false, &v);
}
