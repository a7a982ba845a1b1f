/*
 * monitor/loader.h - load a guest image, pick its boot protocol, and set
 * up the boot state.
 *
 * Two protocols (monitor/boot.h):
 *
 *   trapvisor's own  an ELF64 x86-64 image without a multiboot header,
 *                    or with one and a PVH note (the guests of
 *                    guests/, which QEMU enters through the note): 64-bit
 *                    mode, paging on, RDI = struct boot_info
 *   multiboot        an ELF32 image or any file with a multiboot header,
 *                    and an ELF64 image with one but no PVH note
 *                    (monitor/multiboot.h): 32-bit protected mode,
 *                    paging off, EBX = struct mb_info
 *
 * Either way the firmware tables of firmware/firmware.h are written too.
 */
#ifndef MONITOR_LOADER_H
#define MONITOR_LOADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <elf.h>

struct vm;
struct vm_options;

enum boot_protocol { BOOT_TRAPVISOR, BOOT_MULTIBOOT };

/* What the loader made of an image. */
struct boot_image {
	enum boot_protocol protocol;
	uint64_t entry;             /* physical address to enter at */
	uint64_t end;               /* the first byte above everything loaded */
};

/*
 * Load opt->image and, for a multiboot kernel, its modules (opt->initrd),
 * and set up the boot state its protocol gives.  Returns 0, or -1 with a
 * one-line reason in why (a file that cannot be read, a malformed image,
 * a segment outside RAM or over the boot area, modules for a kernel that
 * is not multiboot, ...).
 */
int loader_boot(struct vm *vm, const struct vm_options *opt, char *why,
		size_t len);

/*
 * Load the image of size bytes at img into guest RAM by the protocol it
 * asks for; fills *bi.  Returns 0, or -1 with a one-line reason.
 */
int loader_load_image_mem(struct vm *vm, const uint8_t *img, size_t size,
			  struct boot_image *bi, char *why, size_t len);

/*
 * trapvisor's own protocol only: load the ELF64 x86-64 image at img, every
 * PT_LOAD segment at its physical address, its tail zeroed; *entry =
 * e_entry.  Returns 0, or -1 with a one-line reason (not an ELF file, a
 * 32-bit ELF, a segment outside RAM or over the boot area, ...).
 */
int loader_load_elf_mem(struct vm *vm, const uint8_t *img, size_t size,
			uint64_t *entry, char *why, size_t len);

/*
 * Build the state of monitor/boot.h in guest RAM and the vCPU: page tables,
 * GDT, boot_info with cmdline, registers, control registers, MSRs, the
 * firmware tables; then RIP = entry.  Guest RAM must be at least 1 MiB.
 */
void boot_setup(struct vm *vm, uint64_t entry, const char *cmdline);

/* Write the firmware tables (firmware/firmware.h) for this vCPU. */
void boot_firmware(struct vm *vm);

/*
 * For the multiboot loader: the parts of an ELF file it shares with
 * trapvisor's protocol.  An ELF header of either class, its fields
 * widened to ELF64's.
 */
struct elf_image {
	Elf64_Ehdr eh;
	unsigned char cls;          /* ELFCLASS32 or ELFCLASS64 */
};

/* Check an ELF32 (i386) or ELF64 (x86-64) executable's header. */
int elf_read_header(const uint8_t *img, size_t size, struct elf_image *e,
		    char *why, size_t len);

/*
 * May [addr, addr + size) of guest RAM hold what (a segment, a module)?
 * 0, or -1 with a one-line reason naming what.
 */
typedef int loader_place_fn(const struct vm *vm, uint64_t addr,
			    uint64_t size, const char *what, char *why,
			    size_t len);

/*
 * Load every PT_LOAD segment at its physical address, each checked by
 * place; bi->entry = e_entry, which must lie in a loaded segment's
 * physical range, or (with virt_entry) in its virtual range, translated
 * to physical as GRUB 2 does; bi->end = the top of the highest segment.
 */
int elf_load_segments(struct vm *vm, const uint8_t *img, size_t size,
		      const struct elf_image *e, loader_place_fn *place,
		      bool virt_entry, struct boot_image *bi, char *why,
		      size_t len);

#endif /* MONITOR_LOADER_H */
