/*
 * monitor/machine.h - build a machine from its parts, and take it apart.
 *
 * The core (core/vm.h) knows the VM only as a vCPU, RAM and a clock with
 * pointers to parts of upper layers; this is where the parts are made and
 * wired: the devices (devices/), the shadow page tables (shadowpt/) and
 * the statistics (monitor/stats.h).  The engine comes later (main.c).
 */
#ifndef MONITOR_MACHINE_H
#define MONITOR_MACHINE_H

#include <stddef.h>

#include "core/vm.h"

/*
 * Create a VM from options: guest RAM of opt->mem_mib MiB, devices (UART
 * output to out_fd), empty shadow tables, the vCPU in its boot state with
 * RIP 0, virtual time 0.  No engine yet and no image.  Returns 0, or -1
 * with a reason in why, having released whatever it took (tier 3 of
 * core/panic.h).
 */
int vm_create(struct vm *vm, const struct vm_options *opt, int out_fd,
	      char *why, size_t len);
/* Release what vm_create and the engine took. */
void vm_destroy(struct vm *vm);

extern const struct engine engine_softcpu;
extern const struct engine engine_native;
/* Built only on x86-64 hosts with <linux/kvm.h> (engines/kvm/). */
extern const struct engine engine_kvm;

/* The engine called name, or NULL. */
const struct engine *engine_find(const char *name);

#endif /* MONITOR_MACHINE_H */
