/*
 * tests/diff/softrun.c - run a generated sequence on the software CPU.
 *
 * One virtual machine serves the whole run: guest RAM, the boot state of
 * monitor/boot.h (an identity map, so guest-linear = guest-physical = the
 * host addresses native.c uses) and the softcpu engine.  Before each
 * sequence the vCPU goes back to its boot state with the sequence's
 * registers and status flags, and the shadow page tables are emptied, so
 * every run also exercises the fill-on-fault path: a #PF exit is handed to
 * shadowpt_fault() as the dispatcher would, and the run goes on.  The run
 * ends at the hlt after the sequence, which softcpu reports as #GP(0)
 * because hlt is privileged at ring 3.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "isa/x86.h"
#include "monitor/boot.h"
#include "core/engine.h"
#include "core/exit.h"
#include "monitor/loader.h"
#include "core/vm.h"
#include "monitor/machine.h"
#include "shadowpt/shadowpt.h"
#include "tests/diff/diff.h"

#define SOFTRUN_MAX_EXITS 10000 /* far more #PF fills than a run needs */
#define SOFTRUN_FLAGS (FL_STATUS | FL_DF)

/*
 * The boot identity map's entries on the way to DIFF_CODE and DIFF_DATA:
 * PML4[0], PDPT[0] and one 2 MiB PDE covering both regions.
 */
#define SOFTRUN_PDE (BOOT_PD + PT_INDEX(DIFF_CODE, 2) * 8)
_Static_assert(DIFF_CODE >> 21 == (DIFF_DATA + DIFF_DATA_SIZE - 1) >> 21 &&
	       DIFF_CODE < PAGE_1G, "one boot PDE must map code and data");
_Static_assert(DIFF_NREGS == VCPU_NREGS, "diff_state mirrors vcpu.regs");
static const uint64_t softrun_walk[3] = { BOOT_PML4, BOOT_PDPT, SOFTRUN_PDE };

static struct vm softrun_vm;
static struct vcpu softrun_boot; /* the vCPU as boot_setup left it */
static bool softrun_ready;

int softrun_init(char *why, size_t len)
{
	struct vm_options opt = { .engine = "softcpu", .mem_mib = DIFF_MEM_MIB,
				  .isa = ISA_X86 };
	struct vm *vm = &softrun_vm;

	if (vm_create(vm, &opt, STDOUT_FILENO, why, len) < 0)
		return -1;
	boot_setup(vm, DIFF_CODE, "");
	vm->engine = &engine_softcpu;
	if (engine_softcpu.init(vm, why, len) < 0) {
		vm->engine = NULL;
		vm_destroy(vm);
		return -1;
	}
	softrun_boot = vm->vcpu;
	softrun_ready = true;
	return 0;
}

void softrun_fini(void)
{
	if (softrun_ready)
		vm_destroy(&softrun_vm);
	softrun_ready = false;
}

volatile int *softrun_kick(void)
{
	return &softrun_vm.kick;
}

/*
 * Clear A (and D) in the guest's entries that map the test regions, as a
 * guest OS may do: the shadow must set them again as the CPU would.
 */
static void softrun_clear_ad(struct vm *vm)
{
	for (int i = 0; i < 3; i++) {
		uint64_t e;

		gm_read(&vm->mem, softrun_walk[i], &e, sizeof(e));
		e &= ~(PTE_A | PTE_D);
		vm_write_phys(vm, softrun_walk[i], &e, sizeof(e));
	}
}

/*
 * After a run: A must be set on every level, and D on the 2 MiB leaf if
 * the data changed (D may also be set without a change: a write of the
 * same value, as cmpxchg does when it fails, counts).
 */
static void softrun_check_ad(struct vm *vm, const struct diff_seq *s,
			     struct diff_result *r)
{
	uint64_t e[3];

	for (int i = 0; i < 3; i++)
		gm_read(&vm->mem, softrun_walk[i], &e[i], sizeof(e[i]));
	if (!(e[0] & e[1] & e[2] & PTE_A))
		snprintf(r->broken, sizeof(r->broken), "guest A bits not set: "
			 "PML4E %#llx PDPTE %#llx PDE %#llx",
			 (unsigned long long)e[0], (unsigned long long)e[1],
			 (unsigned long long)e[2]);
	else if (memcmp(r->data, s->data, DIFF_DATA_SIZE) && !(e[2] & PTE_D))
		snprintf(r->broken, sizeof(r->broken), "data written but the "
			 "guest PDE's D bit is clear: %#llx",
			 (unsigned long long)e[2]);
}

/* The boot vCPU with s's registers, RIP and status flags; empty shadows. */
static void softrun_load(struct vm *vm, const struct diff_seq *s)
{
	struct vcpu *v = &vm->vcpu;

	*v = softrun_boot;
	memcpy(v->regs, s->init.regs, sizeof(v->regs));
	v->rip = s->init.rip;
	/* IF stays as the boot state has it (off): only these are compared */
	v->rflags = (v->rflags & ~SOFTRUN_FLAGS) |
		    (s->init.rflags & SOFTRUN_FLAGS);
	vm->stopped = false;
	vm->kick = 0;
	softrun_clear_ad(vm);
	shadowpt_flush_all(vm);
	if (vm->engine->flush)
		vm->engine->flush(vm, SHADOW_FLUSH_ALL);
	vm_write_phys(vm, DIFF_CODE, s->code, sizeof(s->code));
	vm_write_phys(vm, DIFF_DATA, s->data, DIFF_DATA_SIZE);
}

/* Run until an exit that is not a hidden page fault.  false: no end. */
static bool softrun_until_stop(struct vm *vm, struct vm_exit *exit,
			       struct diff_result *r)
{
	for (int n = 0; n < SOFTRUN_MAX_EXITS; n++) {
		vm->engine->run(vm, exit);
		if (exit->reason != EXIT_EXCEPTION || exit->exc.vector != T_PF)
			return true;
		if (shadowpt_fault(vm, exit->exc.address, exit->exc.error) !=
		    SHADOW_FILLED)
			return true; /* a true #PF: compared like any fault */
	}
	snprintf(r->why, sizeof(r->why), "more than %d exits",
		 SOFTRUN_MAX_EXITS);
	return false;
}

void softrun_run(const struct diff_seq *s, struct diff_result *r)
{
	struct vm *vm = &softrun_vm;
	struct vm_exit exit = { 0 };
	bool stopped;

	memset(r, 0, sizeof(*r));
	softrun_load(vm, s);
	stopped = softrun_until_stop(vm, &exit, r);
	memcpy(r->st.regs, vm->vcpu.regs, sizeof(r->st.regs));
	/* the RIP the CPU reports: at a fault, but after a trap (int3) */
	r->st.rip = vm->vcpu.rip;
	r->st.rflags = vm->vcpu.rflags;
	gm_read(&vm->mem, DIFF_DATA, r->data, DIFF_DATA_SIZE);
	gm_read(&vm->mem, DIFF_CODE, r->code, DIFF_CODE_SIZE);
	if (!stopped)
		return;
	softrun_check_ad(vm, s, r);
	if (exit.reason != EXIT_EXCEPTION) {
		snprintf(r->why, sizeof(r->why), "exit %s at %#llx",
			 exit_reason_name(exit.reason),
			 (unsigned long long)exit.rip);
		return;
	}
	r->vector = exit.exc.vector;
	r->error = exit.exc.has_error ? exit.exc.error : 0;
	r->ok = true;
}
