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
#include "monitor/engine.h"
#include "monitor/exit.h"
#include "monitor/loader.h"
#include "monitor/vm.h"
#include "shadowpt/shadowpt.h"
#include "tests/diff/diff.h"

#define SOFTRUN_MAX_EXITS 10000 /* far more #PF fills than a run needs */
#define SOFTRUN_FLAGS (FL_STATUS | FL_DF)

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

/* The boot vCPU with s's registers, RIP and status flags; empty shadows. */
static void softrun_load(struct vm *vm, const struct diff_seq *s)
{
	static uint8_t hlts[DIFF_CODE_SIZE];
	struct vcpu *v = &vm->vcpu;

	*v = softrun_boot;
	memcpy(v->regs, s->init.regs, sizeof(v->regs));
	v->rip = s->init.rip;
	/* IF stays as the boot state has it (off): only these are compared */
	v->rflags = (v->rflags & ~SOFTRUN_FLAGS) |
		    (s->init.rflags & SOFTRUN_FLAGS);
	vm->stopped = false;
	vm->kick = 0;
	shadowpt_flush_all(vm);
	if (vm->engine->flush)
		vm->engine->flush(vm, SHADOW_FLUSH_ALL);
	memset(hlts, 0xf4, sizeof(hlts));
	vm_write_phys(vm, DIFF_CODE, hlts, sizeof(hlts));
	vm_write_phys(vm, DIFF_CODE, s->code, s->len);
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

	memset(r, 0, sizeof(*r));
	softrun_load(vm, s);
	if (!softrun_until_stop(vm, &exit, r))
		return;
	memcpy(r->st.regs, vm->vcpu.regs, sizeof(r->st.regs));
	r->st.rip = exit.rip;
	r->st.rflags = vm->vcpu.rflags;
	gm_read(&vm->mem, DIFF_DATA, r->data, DIFF_DATA_SIZE);
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
