/*
 * fuzz/softcpu.c - softcpu's decoder and executor (engines/softcpu) on
 * random code.
 *
 * The input is guest code, placed at the boot entry in a freshly booted
 * machine (monitor/boot.h: CPL 0, paging on, identity map).  The engine
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
#include "monitor/engine.h"
#include "monitor/exit.h"
#include "monitor/loader.h"
#include "monitor/vm.h"
#include "shadowpt/shadowpt.h"

#define RAM_MIB 2
#define CODE BOOT_IMAGE_BASE
#define BUDGET 4096   /* guest instructions per input */
#define MAX_RUNS 512  /* engine runs (hidden-fault fills) per input */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Boot a machine with code at CODE and the softcpu engine ready. */
static void boot(struct vm *vm, const uint8_t *code, size_t n)
{
	struct vm_options opt = { .mem_mib = RAM_MIB, .engine = "softcpu",
				  .icount_ns = 10 };
	char why[200];

	if (vm_create(vm, &opt, -1, why, sizeof(why)) < 0 ||
	    (boot_setup(vm, CODE, ""),
	     engine_softcpu.init(vm, why, sizeof(why)) < 0)) {
		fprintf(stderr, "fuzz_softcpu: %s\n", why);
		exit(1);
	}
	vm->engine = &engine_softcpu;
	if (vm_write_phys(vm, CODE, code, n) < 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct vm vm;
	struct vm_exit x;

	if (size > (RAM_MIB << 20) - CODE)
		return 0;
	memset(&vm, 0, sizeof(vm));
	boot(&vm, data, size);
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
	vm_destroy(&vm);
	return 0;
}
