/*
 * fuzz/loader.c - the ELF loader (monitor/loader.c) on arbitrary bytes.
 *
 * The input is an image file.  loader_load_elf_mem must accept it or give
 * a one-line reason; when it accepts, the entry point must lie in guest RAM
 * above the boot area and the boot state must build on top of it.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "monitor/boot.h"
#include "monitor/loader.h"
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char why[256];
	uint64_t entry = 0;

	/* a copy of exactly size bytes: ASan sees any read past the file */
	uint8_t *img = malloc(size ? size : 1);
	if (!img)
		abort();
	memcpy(img, data, size);
	why[0] = '\0';
	if (loader_load_elf_mem(&vm, img, size, &entry, why,
				sizeof(why)) == 0) {
		if (entry < BOOT_IMAGE_BASE || entry >= vm.mem.size)
			abort(); /* accepted an entry point outside the image */
		boot_setup(&vm, entry, "fuzz");
	} else if (why[0] == '\0' || strchr(why, '\n')) {
		abort(); /* a refusal must say why, in one line */
	}
	free(img);
	return 0;
}
