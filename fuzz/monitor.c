/*
 * fuzz/monitor.c - random guest code through the whole monitor.
 *
 * The input's first byte chooses the ISA mode (bit 0: --isa=x86 or strict)
 * and whether the guest's code is scanned and patched (bit 1: --patch,
 * patch/); the rest is guest code.  It is wrapped in an ELF image (fuzz/image.h), loaded
 * by the loader, booted, and run on softcpu under --icount (so that time,
 * and therefore the input's whole run, repeats exactly) with the
 * dispatcher handling every exit, as vm_run does.  A budget of guest
 * instructions and of exits bounds the run; a guest that has not stopped
 * by then is simply abandoned.
 *
 * Whatever the code does, the monitor must not crash; when it stops the
 * guest, the status is the guest's own (0..255 through isa-debug-exit) or
 * 125 (killed: triple fault, memory it does not have, ...).  The guest's
 * serial output goes to /dev/null; the monitor's one line on stderr stays
 * (run with -close_fd_mask=2 to hide it).
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz/image.h"
#include "fuzz/machine.h"
#include "isa/decode.h"
#include "monitor/dispatch.h"
#include "core/engine.h"
#include "core/exit.h"
#include "monitor/loader.h"
#include "core/vm.h"
#include "devices/devices.h"
#include "interp/interp.h"
#include "monitor/machine.h"
#include "monitor/run.h"
#include "monitor/stats.h"
#include "shadowpt/shadowpt.h"
#include "shadowpt/walk.h"
#include "patch/patch.h"

#define RAM_MIB 4
#define BUDGET 20000   /* guest instructions per input */
#define MAX_EXITS 2000 /* dispatcher calls per input */
#define MAX_CODE 4096

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int null_fd = -1;
static struct vm vm;
static struct patch *patch_table; /* --patch: the last input's, freed by
				     the next */

static struct vm_options options(enum isa_mode isa)
{
	return (struct vm_options){ .mem_mib = RAM_MIB, .engine = "softcpu",
				    .isa = isa, .icount_ns = 10,
				    .cmdline = "" };
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct vm_options opt = options(ISA_X86);

	(void)argc;
	(void)argv;
	null_fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (null_fd < 0 || isa_init() < 0) {
		fprintf(stderr, "fuzz_monitor: cannot open /dev/null or "
			"Capstone\n");
		exit(1);
	}
	machine_create(&vm, &opt, &engine_softcpu, null_fd);
	return 0;
}

/* Load and boot the image as main() does, on the machine made afresh
 * (fuzz/machine.h); abort when the loader refuses an image that
 * fuzz/image.h built correctly. */
static void boot(enum isa_mode isa, unsigned hw, bool patch,
		 const uint8_t *code,
		 size_t n)
{
	static uint8_t img[IMAGE_HDR + MAX_CODE];
	struct vm_options opt = options(isa);
	char why[256];
	uint64_t entry;
	size_t len = image_build(img, code, n);

	opt.isa_hw = hw; /* --isa=x86,umip,cpuid-fault */
	machine_reset(&vm, &opt, null_fd);
	patch_free(patch_table);
	patch_table = NULL;
	if (patch && !(vm.patch = patch_table = patch_new(vm.mem.size)))
		abort();
	if (loader_load_elf_mem(&vm, img, len, &entry, why, sizeof(why)) < 0) {
		fprintf(stderr, "fuzz_monitor: %s\n", why);
		abort();
	}
	if (vm.engine->ram_written) /* the loader copies straight into RAM */
		vm.engine->ram_written(&vm, 0, vm.mem.size);
	boot_setup(&vm, entry, opt.cmdline);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vm_exit x;

	if (size < 1 || size - 1 > MAX_CODE)
		return 0;
	/* byte 0: bit 0 the ISA, bit 1 --patch; under x86, bits 2-3 its
	 * hardware features */
	if (data[0] & 1)
		boot(ISA_STRICT, 0, data[0] & 2, data + 1, size - 1);
	else
		boot(ISA_X86, (data[0] >> 2) & (ISA_HW_UMIP | ISA_HW_CPUID_FAULT),
		     data[0] & 2, data + 1, size - 1);
	vm.insn_deadline = BUDGET;
	for (int exits = 0; !vm.stopped && exits < MAX_EXITS; exits++) {
		memset(&x, 0, sizeof(x));
		interp_pv_publish(&vm); /* the shared page, as vm_run */
		vm.engine->run(&vm, &x);
		interp_pv_fold(&vm);
		dispatch(&vm, &x);
		if (vm.vcpu.instructions >= BUDGET)
			break;
		/* the dispatcher set the next deadline; keep it in budget */
		if (vm.insn_deadline > BUDGET)
			vm.insn_deadline = BUDGET;
	}
	if (vm.stopped && (vm.exit_status < 0 || vm.exit_status > 255))
		abort(); /* a status trapvisor cannot exit with */
	return 0;
}
