/*
 * fuzz/softcpu.c - softcpu's decoder and executor (engines/softcpu) on
 * random code.
 *
 * The input is guest code, placed at the boot entry in a freshly booted
 * machine (fuzz/machine.h) (monitor/boot.h: CPL 0, paging on, identity map).  The engine
 * runs it alone, without the dispatcher: hidden page faults are filled
 * from the guest tables, every other exit ends the input.  A budget of
 * guest instructions (vm->insn_deadline, which every engine honours)
 * bounds loops.  The engine may report any exit, never crash, never
 * retire more instructions than allowed, never run past the deadline.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "isa/x86.h"
#include "monitor/boot.h"
#include "core/engine.h"
#include "core/exit.h"
#include "monitor/loader.h"
#include "core/vm.h"
#include "devices/devices.h"
#include "monitor/machine.h"
#include "monitor/run.h"
#include "monitor/stats.h"
#include "shadowpt/shadowpt.h"
#include "shadowpt/walk.h"
#include "shadowpt/shadowpt.h"
#include "fuzz/machine.h"

#define RAM_MIB 2
#define CODE BOOT_IMAGE_BASE
#define BUDGET 4096   /* guest instructions per input */
#define MAX_RUNS 512  /* engine runs (hidden-fault fills) per input */

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct vm vm;
static const struct vm_options opt = { .mem_mib = RAM_MIB,
				       .engine = "softcpu", .icount_ns = 10 };

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	machine_create(&vm, &opt, &engine_softcpu, -1);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vm_exit x;

	if (size > (RAM_MIB << 20) - CODE)
		return 0;
	machine_reset(&vm, &opt, -1);
	boot_setup(&vm, CODE, "");
	if (vm_write_phys(&vm, CODE, data, size) < 0)
		abort();
	vm.insn_deadline = BUDGET;
	for (int runs = 0; runs < MAX_RUNS; runs++) {
		memset(&x, 0, sizeof(x));
		uint64_t before = vm.vcpu.instructions;
		vm.engine->run(&vm, &x);
		if (vm.vcpu.instructions < before ||
		    vm.vcpu.instructions > BUDGET)
			abort(); /* ran past the deadline */
		if (x.reason == EXIT_NONE || x.reason >= EXIT_NREASONS)
			abort(); /* run() must say why it stopped */
		if (x.reason == EXIT_INTERNAL && !x.why)
			abort();
		if (x.reason != EXIT_EXCEPTION || x.exc.vector != T_PF ||
		    shadowpt_fault(&vm, x.exc.address, x.exc.error) !=
			    SHADOW_FILLED)
			break;
	}
	return 0;
}
