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
#include "isa/x86.h"

/*
 * --mem's bounds, in MiB: the boot structures need 2 MiB; the RAM placed
 * above 4 GiB (core/guest_mem.h) must end below 2^MAXPHYADDR, the
 * physical-address width the virtual CPU's CPUID advertises.
 */
#define VM_MEM_MIN_MIB 2ULL
#define VM_MEM_MAX_MIB (GM_MAX_SIZE(X86_MAXPHYADDR) >> 20)
#define VM_MEM_LIMITS "2 to 523264 MiB (RAM must end below 2^39, the " \
	"virtual CPU's MAXPHYADDR)"
_Static_assert(VM_MEM_MAX_MIB == 523264 && X86_MAXPHYADDR == 39,
	       "VM_MEM_LIMITS says otherwise");

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
