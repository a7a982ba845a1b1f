/*
 * monitor/boot.h - the boot protocol shared by the monitor and the guests.
 *
 * A guest image is an ELF64 file whose PT_LOAD segments are loaded at their
 * physical addresses.  trapvisor enters it at e_entry in 64-bit mode:
 *
 *   - paging on, with an identity map of the first BOOT_IDMAP_SIZE bytes
 *     built from 2 MiB pages at BOOT_PML4 (PDPT and PDs follow it);
 *   - CS = BOOT_SEL_CODE, DS = ES = SS = BOOT_SEL_DATA, from a GDT at
 *     BOOT_GDT; an empty IDT (limit 0); interrupts off; CPL 0;
 *   - CR0 = PE|ET|NE|WP|PG, CR4 = PAE, EFER = LME|LMA|NXE|SCE;
 *   - RDI = BOOT_INFO, a struct boot_info; RSP = BOOT_STACK_TOP.
 *
 * Under qemu-system-x86_64 -kernel the same file is entered through its
 * PVH note in 32-bit protected mode; the guest runtime's 32-bit stub
 * (guests/runtime/pvh_x86_64.S) builds exactly this state before it jumps to
 * the 64-bit entry, so the guest cannot tell the two machines apart.
 *
 * Low memory, guest-physical:
 *
 *   0x0000 - 0x0fff   unused (a null page)
 *   0x1000            PML4
 *   0x2000            PDPT
 *   0x3000 - 0x6fff   four page directories (4 GiB of 2 MiB pages)
 *   0x7000            struct boot_info, then the command line
 *   0x8000            GDT
 *   0x9000 - 0x7ffff  boot stack (grows down from BOOT_STACK_TOP)
 *   0x100000          the image (linked there by guests/runtime/guest.ld)
 *
 * A multiboot kernel (monitor/multiboot.h) is entered in 32-bit protected
 * mode instead, paging off: it gets no page tables, no boot_info and no
 * stack, and its loader's structures take
 *
 *   0x8000            GDT: null, flat 32-bit ring-0 code (BOOT_SEL_CODE),
 *                     flat ring-0 data (BOOT_SEL_DATA)
 *   0x9000            struct mb_info (EBX at entry)
 *   0x9100            the memory map
 *   0x9200            the module list
 *   0x9400 - 0xffff   strings: command line, module strings, loader name
 *
 * Its segments and modules may take any other RAM from MB_LOW_END up to
 * the EBDA and from 1 MiB up to the firmware's reserved pages below the
 * top of RAM (firmware/firmware.h).
 *
 * Every boot, of either kind, also finds the firmware of
 * firmware/firmware.h: the BIOS data area at 0x400, the EBDA at 0x9fc00,
 * the MP and ACPI tables in 0xf0000-0xfffff.
 */
#ifndef MONITOR_BOOT_H
#define MONITOR_BOOT_H

#define BOOT_PML4 0x1000
#define BOOT_PDPT 0x2000
#define BOOT_PD 0x3000
#define BOOT_INFO 0x7000
#define BOOT_CMDLINE 0x7100
#define BOOT_CMDLINE_MAX 0xf00
#define BOOT_GDT 0x8000
#define BOOT_STACK_TOP 0x80000
#define BOOT_IMAGE_BASE 0x100000
#define BOOT_IDMAP_SIZE 0x100000000ULL /* 4 GiB */

#define MB_INFO 0x9000
#define MB_MMAP 0x9100
#define MB_MODS 0x9200
#define MB_STRINGS 0x9400
#define MB_LOW_END 0x10000
#define MB_MAX_MODS ((MB_STRINGS - MB_MODS) / 16)

#define BOOT_SEL_CODE 0x08 /* 64-bit ring-0 code (multiboot: 32-bit) */
#define BOOT_SEL_DATA 0x10 /* ring-0 data */
#define BOOT_GDT_ENTRIES 3

#define BOOT_MAGIC 0x7472617076697372ULL /* "trapvisr" */

#ifndef __ASSEMBLER__
#include <stdint.h>

/* What the guest learns about its machine at entry (RDI points here). */
struct boot_info {
	uint64_t magic;        /* BOOT_MAGIC */
	uint64_t mem_size;     /* bytes of RAM from guest-physical 0: with
				  3.5 GiB or more, 3 GiB (the rest lies from
				  4 GiB up, core/guest_mem.h) */
	uint64_t cmdline;      /* guest-physical address of a NUL-ended string */
	uint64_t flags;        /* BOOT_FLAG_* */
};

#define BOOT_FLAG_TRAPVISOR 0x1 /* booted by trapvisor, not by the PVH stub */
#endif

#endif /* MONITOR_BOOT_H */
