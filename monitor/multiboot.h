/*
 * monitor/multiboot.h - booting a kernel by the Multiboot Specification,
 * version 0.6.96: what `qemu -kernel` and GRUB do for xv6 and for the
 * OSDev kernels.
 *
 * The kernel carries a header, 4-byte aligned in its first 8192 bytes:
 *
 *   offset  field                        present
 *    0      magic       0x1BADB002       always
 *    4      flags                        always
 *    8      checksum    magic + flags + checksum = 0 (mod 2^32)
 *   12      header_addr   physical address of this header   flag 16
 *   16      load_addr     physical address of the file's     flag 16
 *                         first loaded byte
 *   20      load_end_addr end of the file's bytes (0: the      flag 16
 *                         whole file)
 *   24      bss_end_addr  end of the zeroed memory (0: none)   flag 16
 *   28      entry_addr    where the kernel is entered          flag 16
 *   32..47  the video mode                                     flag 2
 *
 * Flags 0-15 are requirements: a loader that cannot honour one must not
 * boot the kernel.  trapvisor honours 0 (modules page-aligned) and 1
 * (memory information), refuses 2 (a video mode: there is no display)
 * and any other.  Flags 16-31 are optional; 16, the "a.out kludge", says
 * where to load the file, and wins over an ELF file's own headers (as in
 * QEMU and GRUB 2).  Without it the kernel must be an ELF file, loaded by
 * its program headers at their physical addresses.
 *
 * The kernel is entered in 32-bit protected mode, paging off, interrupts
 * off, with EAX = 0x2BADB002 and EBX = the physical address of the
 * multiboot information structure (struct mb_info) that the loader
 * builds in low memory (monitor/boot.h's multiboot area).
 */
#ifndef MONITOR_MULTIBOOT_H
#define MONITOR_MULTIBOOT_H

#include <stddef.h>
#include <stdint.h>

struct vm;
struct boot_image;

#define MB_HEADER_MAGIC 0x1BADB002U
#define MB_BOOTLOADER_MAGIC 0x2BADB002U  /* EAX at entry */
#define MB_SEARCH_END 8192               /* the header lies before this */

/* Header flags. */
#define MB_FLAG_PAGE_ALIGN (1U << 0)   /* modules on 4 KiB boundaries */
#define MB_FLAG_MEMORY_INFO (1U << 1)  /* mem_lower/upper and the map */
#define MB_FLAG_VIDEO_MODE (1U << 2)   /* a video mode table */
#define MB_FLAG_AOUT_KLUDGE (1U << 16) /* the address fields are valid */
#define MB_FLAGS_REQUIRED 0x0000ffffU  /* must be honoured or refused */
#define MB_FLAGS_HONOURED (MB_FLAG_PAGE_ALIGN | MB_FLAG_MEMORY_INFO)

struct mb_header {
	size_t offset;              /* where in the file it was found */
	uint32_t flags;
	/* valid with MB_FLAG_AOUT_KLUDGE: */
	uint32_t header_addr, load_addr, load_end_addr, bss_end_addr;
	uint32_t entry_addr;
};

/* The multiboot information structure (spec 3.3), as the kernel reads it. */
struct __attribute__((packed)) mb_info {
	uint32_t flags;             /* MBI_* : which fields are valid */
	uint32_t mem_lower;         /* KiB of memory from 0 */
	uint32_t mem_upper;         /* KiB from 1 MiB to the first hole */
	uint32_t boot_device;
	uint32_t cmdline;           /* the kernel's command line */
	uint32_t mods_count;
	uint32_t mods_addr;         /* struct mb_module[mods_count] */
	uint32_t syms[4];
	uint32_t mmap_length;       /* bytes of struct mb_mmap_entry */
	uint32_t mmap_addr;
	uint32_t drives_length, drives_addr;
	uint32_t config_table;
	uint32_t boot_loader_name;
	uint32_t apm_table;
	uint32_t vbe_control_info, vbe_mode_info;
	uint16_t vbe_mode, vbe_interface_seg, vbe_interface_off;
	uint16_t vbe_interface_len;
};
#define MBI_MEMORY (1U << 0)
#define MBI_CMDLINE (1U << 2)
#define MBI_MODS (1U << 3)
#define MBI_MMAP (1U << 6)
#define MBI_BOOT_LOADER_NAME (1U << 9)

/* One module: [mod_start, mod_end) and its string. */
struct __attribute__((packed)) mb_module {
	uint32_t mod_start, mod_end, string, reserved;
};

/* One memory map entry; size (20) counts the bytes after itself. */
struct __attribute__((packed)) mb_mmap_entry {
	uint32_t size;
	uint64_t base_addr, length;
	uint32_t type;              /* 1 RAM, 2 reserved (E820_*) */
};

_Static_assert(sizeof(struct mb_info) == 88, "multiboot info layout");
_Static_assert(sizeof(struct mb_mmap_entry) == 24, "mmap entry layout");

#define MB_BOOT_LOADER_NAME "trapvisor"

/*
 * Look for the header in the first 8192 bytes of the size bytes at img:
 * the first magic number, 4-byte aligned, whose checksum is right.  A
 * magic with a wrong one is passed over, as QEMU and GRUB do (0x1BADB002
 * is a favourite marker value, and may be an instruction's immediate in
 * any kernel), but remembered: when no header follows, the answer is
 * MB_HEADER_BAD_CHECKSUM with a one-line reason naming it.  A header
 * whose address fields the file (or the 8192 bytes) cuts short is
 * MB_HEADER_CUT_SHORT, with a reason.
 */
enum mb_search {
	MB_HEADER_NONE,
	MB_HEADER_FOUND,          /* *h is filled */
	MB_HEADER_BAD_CHECKSUM,
	MB_HEADER_CUT_SHORT,
};
enum mb_search mb_find_header(const uint8_t *img, size_t size,
			      struct mb_header *h, char *why, size_t len);

/*
 * Load the kernel whose header is *h into guest RAM (by the address
 * fields of flag 16, or as an ELF file), refusing required flags that
 * trapvisor cannot honour.  Fills *bi.  Returns 0, or -1 with a reason.
 */
int mb_load(struct vm *vm, const uint8_t *img, size_t size,
	    const struct mb_header *h, struct boot_image *bi, char *why,
	    size_t len);

/* A module, already read from its file. */
struct mb_module_src {
	const char *string;         /* "FILE ARGS...", as given */
	const uint8_t *data;
	size_t size;
};

/*
 * Place the modules page-aligned above the kernel, write the information
 * structure (command line "KERNEL ARGS", as QEMU builds it from -kernel
 * and -append), the GDT and the firmware tables, and set the vCPU to the
 * multiboot entry state.  Returns 0, or -1 with a reason (a module that
 * does not fit in RAM, strings that do not fit in their area).
 */
int mb_boot_setup(struct vm *vm, const struct boot_image *bi,
		  const char *kernel, const char *args,
		  const struct mb_module_src *mods, unsigned nmods,
		  char *why, size_t len);

#endif /* MONITOR_MULTIBOOT_H */
