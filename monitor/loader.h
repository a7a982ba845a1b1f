/*
 * monitor/loader.h - load an ELF64 guest image and set up the boot state.
 *
 * The boot protocol is described in monitor/boot.h.
 */
#ifndef MONITOR_LOADER_H
#define MONITOR_LOADER_H

#include <stddef.h>
#include <stdint.h>

struct vm;

/*
 * Load the ELF64 x86-64 image at path into guest RAM: every PT_LOAD segment
 * at its physical address, its tail zeroed.  Sets *entry to e_entry.
 * Returns 0, or -1 with a one-line reason in why (not an ELF file, a 32-bit
 * ELF, a segment outside RAM or over the boot area, ...).
 */
int loader_load_elf(struct vm *vm, const char *path, uint64_t *entry,
		    char *why, size_t len);
/* The same, from an image already in memory (for tests and fuzzing). */
int loader_load_elf_mem(struct vm *vm, const uint8_t *img, size_t size,
			uint64_t *entry, char *why, size_t len);

/*
 * Build the state of monitor/boot.h in guest RAM and the vCPU: page tables,
 * GDT, boot_info with cmdline, registers, control registers, MSRs; then
 * RIP = entry.  Guest RAM must be at least 1 MiB.
 */
void boot_setup(struct vm *vm, uint64_t entry, const char *cmdline);

#endif /* MONITOR_LOADER_H */
