/*
 * firmware/firmware.h - what a PC's BIOS leaves in memory for the kernel
 * it boots, written by the monitor instead: the BIOS data area, the
 * memory map, the Intel MultiProcessor tables and the ACPI tables.
 *
 * A kernel booted by `qemu -kernel` finds its machine described by
 * SeaBIOS: xv6 reads the MP tables to find the LAPIC and the IOAPIC,
 * Linux and most OSDev kernels read ACPI (RSDP -> RSDT/XSDT -> MADT,
 * FADT), and every multiboot kernel gets the BIOS's e820 memory map.
 * trapvisor has no BIOS, so firmware_build() writes the same structures
 * into guest RAM before every boot, describing exactly the machine that
 * trapvisor emulates:
 *
 *   one CPU, LAPIC ID 0, its LAPIC at 0xfee00000
 *   one IOAPIC, ID 0, at 0xfec00000 with 24 pins;
 *     ISA IRQ 0 (the PIT) on pin 2, every other ISA IRQ on its own pin
 *   the 8259A pair (PCAT_COMPAT), wired to LINT0 (ExtINT); NMI on LINT1
 *   the ACPI PM block at 0x600: PM1a event 0x600, control 0x604,
 *     the 24-bit PM timer at 0x608; the SCI on IRQ 9
 *   the PCI bus as SeaBIOS sets it up (firmware/pciinit.h): BARs
 *     placed, memory decoding on, interrupt lines written; its
 *     interrupt pins in the MP table
 *
 * Guest-physical layout (all of it marked reserved in the memory map,
 * none of it inside monitor/boot.h's 0x1000-0x80000):
 *
 *   0x00400 - 0x004ff   BIOS data area: COM1's port, 639 KiB of base
 *                       memory, the EBDA's segment
 *   0x9fc00 - 0x9ffff   extended BIOS data area (1 KiB, its size in KiB
 *                       in its first byte, as SeaBIOS)
 *   0xf0000 - 0xfffff   the BIOS ROM area: the ACPI RSDP and the MP
 *                       floating pointer (both found by a scan of this
 *                       area on 16-byte boundaries), then the tables;
 *                       0xe0000 - 0xfffff is ROM to the guest (its
 *                       writes are dropped: core/guest_mem.h)
 *
 * The chips' addresses, IDs and ports are those of their own headers
 * (devices/lapic.h, devices/ioapic.h, devices/acpi_pm.h): the tables
 * describe what devices/ builds.
 */
#ifndef FIRMWARE_FIRMWARE_H
#define FIRMWARE_FIRMWARE_H

#include <stddef.h>
#include <stdint.h>

#include "core/guest_mem.h"
#include "devices/ioapic.h"

struct guest_mem;

/*
 * The IOAPIC's version as the MP table gives it: SeaBIOS writes 0x11
 * (the 82093AA) whatever the chip's version register says (QEMU's, and
 * devices/ioapic.h's, say 0x20); the LAPIC's is read from the chip.
 */
#define FW_MP_IOAPIC_VERSION 0x11
#define FW_PCI_IRQS 0x0e20         /* ISA IRQs 5, 9, 10, 11: level,
				      active high (the PCI links and the
				      SCI), as QEMU's MADT says */

/* The BIOS data area and the EBDA (the PC/AT BIOS's layout). */
#define FW_BDA 0x400
#define FW_BDA_COM1 0x400          /* 16-bit: COM1's I/O port */
#define FW_BDA_EBDA_SEG 0x40e      /* 16-bit: the EBDA's real-mode segment */
#define FW_BDA_BASE_KIB 0x413      /* 16-bit: base memory in KiB */
#define FW_EBDA 0x9fc00
#define FW_EBDA_KIB 1
#define FW_BASE_MEM_END FW_EBDA    /* 639 KiB of conventional memory */

/* The BIOS ROM area, where the tables are written. */
#define FW_ROM_BASE 0xf0000
#define FW_ROM_END 0x100000

/*
 * The top of the first 4 GiB is the PCI hole, never RAM: RAM below 4 GiB
 * ends at 3.5 GiB at most (core/guest_mem.h), and the hole holds the
 * IOAPIC, the LAPIC and the BIOS ROM's alias at the very top.
 */
#define FW_MMIO_HOLE IOAPIC_BASE  /* the lowest of the chips */
#define FW_HIGH_BIOS 0xfffc0000U   /* QEMU maps its BIOS ROM up here */
_Static_assert(GM_LOW_MAX <= FW_MMIO_HOLE, "RAM below 4 GiB overlaps the "
	       "IOAPIC");

/*
 * SeaBIOS keeps the last 128 KiB below the top of RAM for its own tables
 * and reports them reserved (QEMU 7.2 with -m 64: available RAM ends at
 * 0x3fe0000).  trapvisor reserves the same, so that a kernel finds the
 * memory sizes it finds under QEMU (multiboot mem_upper 64384 KiB).
 */
#define FW_HIGH_RESERVED 0x20000

/* A memory map entry (the BIOS's int 0x15, eax 0xe820 answer). */
#define E820_RAM 1
#define E820_RESERVED 2
struct e820_entry {
	uint64_t base, length;
	uint32_t type;
};
#define FW_E820_MAX 7

/*
 * The memory map of a machine with ram bytes of RAM laid out as
 * core/guest_mem.h says: base memory, the EBDA (reserved), the BIOS ROM
 * (reserved), RAM from 1 MiB up to firmware_ram_top(), the last
 * FW_HIGH_RESERVED bytes below the top of the RAM below 4 GiB (reserved),
 * the high BIOS (reserved), and, with 3.5 GiB of RAM or more, the RAM
 * from 4 GiB up.  Fills map[] and returns the number of entries (at most
 * FW_E820_MAX).
 */
unsigned firmware_e820(uint64_t ram, struct e820_entry map[FW_E820_MAX]);

/* The end of the RAM above 1 MiB that the map calls available: below
 * 4 GiB, where mem_upper and the CMOS's 16 MiB count stop. */
uint64_t firmware_ram_top(uint64_t ram);

/* What the MP table's processor entry says of the CPU: CPUID leaf 1. */
struct fw_cpu {
	uint32_t signature;  /* EAX: family, model, stepping */
	uint32_t features;   /* EDX: feature flags */
};

/*
 * Write the BIOS data area, the EBDA, the MP tables and the ACPI tables
 * into guest RAM (at least 1 MiB of it; vm_create guarantees 2), and,
 * with a PCI bus, set up its functions first (firmware/pciinit.h) so
 * that the MP table can route their interrupt pins; NULL: no PCI set-up.
 */
struct pci_host;
void firmware_build(struct guest_mem *mem, const struct fw_cpu *cpu,
		    struct pci_host *pci);

/* The byte that makes the sum of len bytes at p zero (every table's). */
uint8_t firmware_checksum(const void *p, size_t len);

#endif /* FIRMWARE_FIRMWARE_H */
