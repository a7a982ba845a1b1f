/*
 * core/guest_mem.h - guest RAM as a PC lays it out, bounds-checked.
 *
 * A PC's RAM does not fill guest-physical space from 0 without a break:
 * the top of the first 4 GiB belongs to devices (the PCI hole, with the
 * IOAPIC at 0xfec00000, the LAPIC at 0xfee00000 and the BIOS ROM's alias
 * below 4 GiB).  QEMU's `pc` machine (hw/i386/pc_piix.c) keeps all of RAM
 * below 3.5 GiB when there is less than 3.5 GiB of it; with 3.5 GiB or
 * more it puts the first 3 GiB below the hole and the rest from 4 GiB up:
 *
 *     --mem < 3.5 GiB:   [0, ram)
 *     --mem >= 3.5 GiB:  [0, 3 GiB)  and  [4 GiB, 4 GiB + ram - 3 GiB)
 *
 * The host holds it in one block (a memfd on Linux, so that the native
 * engine can map the same pages into its child), the high part placed
 * right after the low part: guest-physical X is block offset X below
 * 4 GiB, and X - 4 GiB + low above.  Everything the monitor keys on the
 * block (the memfd's offsets, softcpu's decoded-instruction cache) sees
 * one range [0, size).  gm_offset() is the one place where a
 * guest-physical address becomes a block offset and is checked against
 * the map; gm_ptr() builds on it.
 *
 * [GM_ROM_BASE, GM_ROM_END) is the BIOS area: RAM to the monitor, which
 * writes the firmware's tables there at every boot, and ROM to the guest,
 * whose writes there are dropped (gm_is_rom(); each engine and the
 * monitor's own writes on the guest's behalf honour it).
 */
#ifndef CORE_GUEST_MEM_H
#define CORE_GUEST_MEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* QEMU pc's split of RAM around the PCI hole. */
#define GM_LOW_MAX 0xe0000000ULL   /* all of RAM below 3.5 GiB fits */
#define GM_LOW_SPLIT 0xc0000000ULL /* else 3 GiB stay below 4 GiB... */
#define GM_HIGH_BASE 0x100000000ULL /* ...and the rest starts at 4 GiB */

/* The BIOS area the guest sees as ROM (the MP and ACPI tables). */
#define GM_ROM_BASE 0xe0000ULL
#define GM_ROM_END 0x100000ULL

/* A block offset that is no RAM. */
#define GM_NO_RAM UINT64_MAX

struct guest_mem {
	uint8_t *base;  /* host address of block offset 0 */
	uint64_t size;  /* bytes of RAM in all, a multiple of 2 MiB */
	uint64_t low;   /* of which below 4 GiB, at guest-physical 0 */
	int fd;         /* the memfd behind it, or -1 */
};

/* How many of ram bytes lie below 4 GiB (QEMU pc's rule, above). */
static inline uint64_t gm_low_size(uint64_t ram)
{
	return ram >= GM_LOW_MAX ? GM_LOW_SPLIT : ram;
}

/* The end of guest-physical RAM: the first address above all of it. */
static inline uint64_t gm_phys_end(uint64_t ram)
{
	uint64_t low = gm_low_size(ram);

	return low == ram ? ram : GM_HIGH_BASE + (ram - low);
}

/*
 * The most RAM a CPU with phys_bits bits of physical address reaches: the
 * part above 4 GiB must end at 2^phys_bits (CPUID leaf 0x80000008).
 */
#define GM_MAX_SIZE(phys_bits) \
	((1ULL << (phys_bits)) - GM_HIGH_BASE + GM_LOW_SPLIT)

/*
 * Allocate size bytes of zeroed guest RAM, not populated: pages appear
 * as the guest touches them.  Returns 0, or -1 with errno.
 */
int gm_init(struct guest_mem *gm, uint64_t size);
/* Release guest RAM. */
void gm_fini(struct guest_mem *gm);

/*
 * The block offset of guest-physical [gpa, gpa + len), or GM_NO_RAM when
 * any byte of it lies outside RAM (in the hole, or above the top).
 */
static inline uint64_t gm_offset(const struct guest_mem *gm, uint64_t gpa,
				 uint64_t len)
{
	uint64_t high = gm->size - gm->low, h = gpa - GM_HIGH_BASE;

	if (gpa < gm->low)
		return len <= gm->low - gpa ? gpa : GM_NO_RAM;
	if (gpa >= GM_HIGH_BASE && h < high && len <= high - h)
		return gm->low + h;
	return GM_NO_RAM;
}

/*
 * The host pointer for guest-physical [gpa, gpa + len), or NULL when any
 * byte of it lies outside RAM (the caller decides what the guest deserves).
 */
static inline void *gm_ptr(const struct guest_mem *gm, uint64_t gpa,
			   uint64_t len)
{
	uint64_t off = gm_offset(gm, gpa, len);

	return off == GM_NO_RAM ? NULL : gm->base + off;
}

/* Does guest-physical gpa lie in the BIOS area, ROM to the guest? */
static inline bool gm_is_rom(uint64_t gpa)
{
	return gpa - GM_ROM_BASE < GM_ROM_END - GM_ROM_BASE;
}

/*
 * Copy between guest-physical memory and the monitor; 0 or -1 if outside.
 * These are the monitor's own accesses: gm_write writes the BIOS area too.
 */
int gm_read(const struct guest_mem *gm, uint64_t gpa, void *buf, size_t len);
int gm_write(struct guest_mem *gm, uint64_t gpa, const void *buf, size_t len);

#endif /* CORE_GUEST_MEM_H */
