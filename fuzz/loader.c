/*
 * fuzz/loader.c - the loader (monitor/loader.c, monitor/multiboot.c) on
 * arbitrary bytes.
 *
 * The input is an image file, given to loader_load_image_mem, which looks
 * for a multiboot header, picks the protocol and loads ELF32, ELF64 or
 * a.out-kludge images.  It must accept the file or give a one-line
 * reason.  When it accepts, the entry point must lie in guest RAM where
 * the protocol allows (trapvisor's: above the boot area; multiboot:
 * above the loader's structures, outside the EBDA and BIOS area), and the
 * boot state must build on top of it: boot_setup, or mb_boot_setup with
 * the input's first bytes as a module, which must leave the vCPU in
 * 32-bit protected mode or refuse with one line.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "firmware/firmware.h"
#include "isa/arch.h"
#include "monitor/boot.h"
#include "monitor/loader.h"
#include "monitor/multiboot.h"
#include "core/vm.h"
#include "devices/devices.h"
#include "monitor/machine.h"
#include "monitor/run.h"
#include "monitor/stats.h"
#include "shadowpt/shadowpt.h"
#include "shadowpt/walk.h"

#define RAM_MIB 2 /* the smallest machine trapvisor builds */

static struct vm vm;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct vm_options opt = { .mem_mib = RAM_MIB };
	char why[200];

	(void)argc;
	(void)argv;
	if (vm_create(&vm, &opt, -1, why, sizeof(why)) < 0) {
		fprintf(stderr, "fuzz_loader: %s\n", why);
		exit(1);
	}
	return 0;
}

/* A refusal must say why, in one line. */
static void check_reason(const char *why)
{
	if (why[0] == '\0' || strchr(why, '\n'))
		abort();
}

static void boot_multiboot(const struct boot_image *bi, const uint8_t *img,
			   size_t size)
{
	struct mb_module_src mod = { "fuzz.mod arg", img, size < 64 ? size : 64 };
	char why[256] = "";

	if (bi->entry < MB_LOW_END || bi->entry >= vm.mem.size ||
	    (bi->entry >= FW_EBDA && bi->entry < FW_ROM_END))
		abort(); /* accepted an entry point it must refuse */
	if (mb_boot_setup(&vm, bi, "fuzz.elf", "a b", &mod, size > 0, why,
			  sizeof(why)) < 0)
		check_reason(why);
	else if (cpu_mode(&vm.vcpu) != CPU_PROT || vm.vcpu.rip != bi->entry)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char why[256];
	struct boot_image bi;

	/* a copy of exactly size bytes: ASan sees any read past the file */
	uint8_t *img = malloc(size ? size : 1);
	if (!img)
		abort();
	memcpy(img, data, size);
	why[0] = '\0';
	if (loader_load_image_mem(&vm, img, size, &bi, why, sizeof(why)) < 0) {
		check_reason(why);
	} else if (bi.protocol == BOOT_MULTIBOOT) {
		boot_multiboot(&bi, img, size);
	} else {
		if (bi.entry < BOOT_IMAGE_BASE || bi.entry >= vm.mem.size)
			abort(); /* accepted an entry point outside the image */
		boot_setup(&vm, bi.entry, "fuzz");
	}
	free(img);
	return 0;
}
