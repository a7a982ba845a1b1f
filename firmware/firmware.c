/*
 * firmware/firmware.c - the BIOS data area, the memory map, and the
 * placement of the MP and ACPI tables (firmware/firmware.h).
 *
 * Everything is written afresh at each boot, as a BIOS would at power-on,
 * so that a guest that scribbled over its tables last time finds them
 * whole again.  The BIOS area is RAM to the monitor, which writes it here
 * through gm_*, and ROM to the guest, whose writes to it are dropped
 * (core/guest_mem.h); the memory map calls it reserved, as QEMU's does.
 */
#include <string.h>

#include "core/guest_mem.h"
#include "core/panic.h"
#include "devices/ns16550a.h"
#include "firmware/acpi.h"
#include "firmware/firmware.h"
#include "firmware/mptable.h"
#include "firmware/pciinit.h"

/* Where in the ROM area each set of tables goes: the two things a kernel
 * scans for (the RSDP and the MP floating pointer) first, on 16-byte
 * boundaries, then the tables they point to. */
#define FW_RSDP FW_ROM_BASE                    /* 36 bytes */
#define FW_MP_FLOAT (FW_ROM_BASE + 0x30)       /* 16 bytes */
#define FW_MP_CONF (FW_ROM_BASE + 0x40)        /* MP_CONF_MAX bytes */
#define FW_ACPI_TABLES (FW_ROM_BASE + 0x400)   /* ACPI_TABLES_MAX bytes */
_Static_assert(FW_MP_CONF + MP_CONF_MAX <= FW_ACPI_TABLES, "MP overlaps ACPI");
_Static_assert(FW_ACPI_TABLES + ACPI_TABLES_MAX <= FW_ROM_END, "ROM full");

uint8_t firmware_checksum(const void *p, size_t len)
{
	const uint8_t *b = p;
	uint8_t sum = 0;

	for (size_t i = 0; i < len; i++)
		sum = (uint8_t)(sum + b[i]);
	return (uint8_t)-sum;
}

uint64_t firmware_ram_top(uint64_t ram)
{
	return gm_low_size(ram) - FW_HIGH_RESERVED;
}

/*
 * The map SeaBIOS gives QEMU's pc machine: RAM below the EBDA, the EBDA,
 * the BIOS ROM, RAM from 1 MiB up to the pages SeaBIOS keeps below the
 * top of the RAM below 4 GiB (which ends before the PCI hole, where the
 * IOAPIC and the LAPIC answer), those pages, the BIOS ROM's alias below
 * 4 GiB, and the RAM that QEMU moved above 4 GiB, if any.  (vm_create
 * makes at least 2 MiB of RAM, so every range is there.)
 */
unsigned firmware_e820(uint64_t ram, struct e820_entry map[FW_E820_MAX])
{
	uint64_t avail = firmware_ram_top(ram);
	unsigned n = 0;

	map[n++] = (struct e820_entry){ 0, FW_BASE_MEM_END, E820_RAM };
	map[n++] = (struct e820_entry){ FW_EBDA, FW_EBDA_KIB * 1024,
					E820_RESERVED };
	map[n++] = (struct e820_entry){ FW_ROM_BASE, FW_ROM_END - FW_ROM_BASE,
					E820_RESERVED };
	map[n++] = (struct e820_entry){ FW_ROM_END, avail - FW_ROM_END,
					E820_RAM };
	map[n++] = (struct e820_entry){ avail, FW_HIGH_RESERVED,
					E820_RESERVED };
	map[n++] = (struct e820_entry){ FW_HIGH_BIOS,
					GM_HIGH_BASE - FW_HIGH_BIOS,
					E820_RESERVED };
	if (ram > gm_low_size(ram))
		map[n++] = (struct e820_entry){ GM_HIGH_BASE,
						ram - gm_low_size(ram),
						E820_RAM };
	return n;
}

static void put16(struct guest_mem *mem, uint64_t gpa, uint16_t v)
{
	uint8_t b[2] = { (uint8_t)v, (uint8_t)(v >> 8) };

	if (gm_write(mem, gpa, b, sizeof(b)) < 0)
		panic("firmware: no RAM at %#llx", (unsigned long long)gpa);
}

/*
 * The BIOS data area (IBM PC/AT technical reference): the first serial
 * port's I/O address, the base memory size in KiB, and the segment of
 * the extended BIOS data area, whose first byte is its own size in KiB.
 * The rest of the BDA and the EBDA stay zero.
 */
static void bios_data_area(struct guest_mem *mem)
{
	uint8_t *bda = gm_ptr(mem, FW_BDA, 0x100);
	uint8_t *ebda = gm_ptr(mem, FW_EBDA, FW_EBDA_KIB * 1024);

	if (!bda || !ebda)
		panic("firmware: no RAM for the BIOS data areas");
	memset(bda, 0, 0x100);
	memset(ebda, 0, FW_EBDA_KIB * 1024);
	put16(mem, FW_BDA_COM1, COM1_BASE);
	put16(mem, FW_BDA_BASE_KIB, FW_BASE_MEM_END / 1024);
	put16(mem, FW_BDA_EBDA_SEG, FW_EBDA >> 4);
	ebda[0] = FW_EBDA_KIB;
}

void firmware_build(struct guest_mem *mem, const struct fw_cpu *cpu,
		    struct pci_host *pci)
{
	uint8_t *rom = gm_ptr(mem, FW_ROM_BASE, FW_ROM_END - FW_ROM_BASE);

	if (!rom)
		panic("firmware: no RAM for the BIOS ROM area");
	memset(rom, 0, FW_ROM_END - FW_ROM_BASE);
	bios_data_area(mem);
	if (pci)
		firmware_pci_init(pci);
	mptable_build(mem, FW_MP_FLOAT, FW_MP_CONF, cpu, pci);
	acpi_build(mem, FW_RSDP, FW_ACPI_TABLES);
}
