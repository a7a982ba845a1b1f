/*
 * fuzz/machine.h - one machine for many fuzz inputs.
 *
 * Creating a VM with the softcpu engine costs some 20 ms (softcpu forks a
 * child once to learn the host's descriptor-table registers), which would
 * hold a fuzzer to 50 inputs a second.  So the softcpu and monitor targets
 * create their machine once and, before each input, bring it back to the
 * state vm_create leaves it in: guest RAM all zero, empty shadow page
 * tables, devices at power-on, the vCPU and every per-VM field zeroed,
 * with the engine told that all of RAM and every translation changed.
 * Only the engine's own allocation survives.  The replay of each input 12
 * times in one process (tests/fuzz/run.sh) catches state that would leak
 * from one input to the next.
 */
#ifndef FUZZ_MACHINE_H
#define FUZZ_MACHINE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/engine.h"
#include "core/vm.h"
#include "devices/devices.h"
#include "monitor/machine.h"
#include "monitor/run.h"
#include "monitor/stats.h"
#include "shadowpt/shadowpt.h"
#include "shadowpt/walk.h"

/* Create vm with options opt and engine e, once.  Exits on failure. */
static inline void machine_create(struct vm *vm, const struct vm_options *opt,
				  const struct engine *e, int out_fd)
{
	char why[256];

	if (vm_create(vm, opt, out_fd, why, sizeof(why)) < 0 ||
	    e->init(vm, why, sizeof(why)) < 0) {
		fprintf(stderr, "fuzz: %s\n", why);
		exit(1);
	}
	vm->engine = e;
}

/* Reset vm as described above; opt may differ from the first one in
 * what the engine reads at run time (isa, icount_ns), not in RAM size. */
static inline void machine_reset(struct vm *vm, const struct vm_options *opt,
				 int out_fd)
{
	const struct engine *e = vm->engine;
	void *engine_data = vm->engine_data;
	struct guest_mem mem = vm->mem;
	/* the parts monitor/machine.c allocated, kept and cleared */
	struct shadowpt *spt = vm->spt;
	struct devices *dev = vm->dev;
	struct vm_stats *stats = vm->stats;

	shadowpt_fini(vm);
	memset(gm_ptr(&mem, 0, mem.size), 0, mem.size);
	memset(vm, 0, sizeof(*vm));
	memset(spt, 0, sizeof(*spt));
	memset(dev, 0, sizeof(*dev));
	memset(stats, 0, sizeof(*stats));
	vm->opt = *opt;
	vm->mem = mem;
	vm->spt = spt;
	vm->dev = dev;
	vm->stats = stats;
	vm->insn_deadline = UINT64_MAX;
	clock_init(vm, opt->icount_ns);
	if (shadowpt_init(vm) < 0)
		abort();
	devices_init(vm, out_fd);
	vm->engine = e;
	vm->engine_data = engine_data;
	if (e->ram_written)
		e->ram_written(vm, 0, mem.size);
	if (e->flush)
		e->flush(vm, SHADOW_FLUSH_ALL);
}

#endif /* FUZZ_MACHINE_H */
