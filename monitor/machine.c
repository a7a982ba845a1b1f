/*
 * monitor/machine.c - build a machine from its parts (monitor/machine.h);
 * the table of engines.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/engine.h"
#include "devices/devices.h"
#include "monitor/machine.h"
#include "monitor/stats.h"
#include "shadowpt/shadowpt.h"

/* Free the machine's state blocks (their contents already released). */
static void free_parts(struct vm *vm)
{
	free(vm->dev);
	free(vm->spt);
	if (vm->stats)
		stats_close_proc(vm->stats);
	free(vm->stats);
	vm->dev = NULL;
	vm->spt = NULL;
	vm->stats = NULL;
}

int vm_create(struct vm *vm, const struct vm_options *opt, int out_fd,
	      char *why, size_t len)
{
	memset(vm, 0, sizeof(*vm));
	vm->opt = *opt;
	vm->mem.fd = -1;
	vm->insn_deadline = UINT64_MAX;
	clock_init(vm, opt->icount_ns);
	vm->dev = calloc(1, sizeof(*vm->dev));
	vm->spt = calloc(1, sizeof(*vm->spt));
	vm->stats = calloc(1, sizeof(*vm->stats));
	if (!vm->dev || !vm->spt || !vm->stats) {
		snprintf(why, len, "out of memory for the machine's state");
		goto fail;
	}
	vm->stats->status_fd = vm->stats->smaps_fd = -1; /* stats_open_proc */
	if (opt->mem_mib < VM_MEM_MIN_MIB || opt->mem_mib > VM_MEM_MAX_MIB) {
		snprintf(why, len, "guest RAM of %llu MiB: give "
			 VM_MEM_LIMITS, (unsigned long long)opt->mem_mib);
		goto fail;
	}
	if (gm_init(&vm->mem, opt->mem_mib << 20) < 0) {
		snprintf(why, len, "cannot allocate %llu MiB of guest RAM: %m",
			 (unsigned long long)opt->mem_mib);
		goto fail;
	}
	if (shadowpt_init(vm) < 0) {
		snprintf(why, len, "cannot allocate shadow page tables");
		gm_fini(&vm->mem);
		goto fail;
	}
	devices_init(vm, out_fd);
	for (unsigned i = 0; i < VM_MAX_DISKS; i++) {
		const struct vm_disk *k = &opt->disk[i];
		if (k->path && ide_attach(&vm->dev->ide0, i, k->path,
					  k->read_only, why, len) < 0) {
			vm_destroy(vm); /* every part is whole by now */
			return -1;
		}
	}
	if (opt->vdisk.path &&
	    devices_add_virtio_disk(vm, &opt->vdisk, why, len) < 0) {
		vm_destroy(vm);
		return -1;
	}
	if (opt->ptdisk.path &&
	    devices_add_ptblk(vm, &opt->ptdisk, why, len) < 0) {
		vm_destroy(vm);
		return -1;
	}
	if (opt->vconsole && devices_add_virtio_console(vm, why, len) < 0) {
		vm_destroy(vm);
		return -1;
	}
	return 0;
fail:
	free_parts(vm);
	return -1;
}

void vm_destroy(struct vm *vm)
{
	if (vm->engine && vm->engine->fini)
		vm->engine->fini(vm);
	vm->engine = NULL;
	if (vm->spt)
		shadowpt_fini(vm);
	if (vm->dev)
		devices_fini(vm);
	gm_fini(&vm->mem);
	free_parts(vm);
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
