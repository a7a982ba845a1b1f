/*
 * firmware/mptable.h - the Intel MultiProcessor Specification 1.4 tables.
 *
 * A kernel finds them in two steps (MP spec, chapter 4):
 *
 *   the floating pointer "_MP_" (16 bytes, on a 16-byte boundary) in the
 *   first KiB of the EBDA, the last KiB of base memory, or the BIOS ROM
 *   area 0xf0000-0xfffff; its checksum makes its bytes sum to zero
 *        |
 *        v physaddr
 *   the configuration table "PCMP": a header, then entries, the first
 *   byte of each its type: processors (20 bytes), buses, I/O APICs, I/O
 *   interrupt assignments and local interrupt assignments (8 bytes each)
 *
 * The layouts below are the specification's, byte for byte (packed,
 * little-endian); the tests read the tables back through them.
 */
#ifndef FIRMWARE_MPTABLE_H
#define FIRMWARE_MPTABLE_H

#include <stdint.h>

struct guest_mem;
struct fw_cpu;

#define MP_FLOAT_SIGNATURE "_MP_"
#define MP_CONF_SIGNATURE "PCMP"
#define MP_SPEC_REV 4              /* version 1.4 */

struct __attribute__((packed)) mp_float {
	char signature[4];         /* "_MP_" */
	uint32_t physaddr;         /* the configuration table */
	uint8_t length;            /* in 16-byte units: 1 */
	uint8_t spec_rev;          /* 4: version 1.4 */
	uint8_t checksum;
	uint8_t feature1;          /* 0: a configuration table is present */
	uint8_t feature2;          /* bit 7 IMCRP: 0, virtual wire mode */
	uint8_t feature3[3];
};

struct __attribute__((packed)) mp_conf {
	char signature[4];         /* "PCMP" */
	uint16_t length;           /* header and base entries */
	uint8_t spec_rev;
	uint8_t checksum;
	char oem_id[8];
	char product_id[12];
	uint32_t oem_table;
	uint16_t oem_table_size;
	uint16_t entry_count;
	uint32_t lapic_addr;
	uint16_t ext_length;       /* the extended entries: none */
	uint8_t ext_checksum;
	uint8_t reserved;
};

/* Entry types. */
#define MP_PROC 0
#define MP_BUS 1
#define MP_IOAPIC 2
#define MP_IOINTR 3
#define MP_LINTR 4

struct __attribute__((packed)) mp_proc {
	uint8_t type;              /* MP_PROC */
	uint8_t lapic_id;
	uint8_t lapic_version;
	uint8_t cpu_flags;         /* MP_CPU_EN, MP_CPU_BP */
	uint32_t signature;        /* CPUID leaf 1 EAX */
	uint32_t features;         /* CPUID leaf 1 EDX */
	uint32_t reserved[2];
};
#define MP_CPU_EN 0x01
#define MP_CPU_BP 0x02

struct __attribute__((packed)) mp_bus {
	uint8_t type;              /* MP_BUS */
	uint8_t bus_id;
	char bus_type[6];          /* "ISA   ", "PCI   " */
};

struct __attribute__((packed)) mp_ioapic {
	uint8_t type;              /* MP_IOAPIC */
	uint8_t id;
	uint8_t version;
	uint8_t flags;             /* MP_IOAPIC_EN */
	uint32_t addr;
};
#define MP_IOAPIC_EN 0x01

/* An I/O or a local interrupt assignment. */
struct __attribute__((packed)) mp_intr {
	uint8_t type;              /* MP_IOINTR or MP_LINTR */
	uint8_t irq_type;          /* MP_INT, MP_NMI, MP_EXTINT */
	uint16_t flags;            /* polarity bits 1:0, trigger bits 3:2 */
	uint8_t src_bus;
	uint8_t src_irq;
	uint8_t dst_apic;          /* 0xff: every local APIC */
	uint8_t dst_pin;           /* INTIN of the IOAPIC, LINTIN of a LAPIC */
};
#define MP_INT 0
#define MP_NMI 1
#define MP_EXTINT 3
#define MP_FLAGS_CONFORMS 0x0      /* the bus's default polarity, trigger */
#define MP_FLAGS_HIGH_LEVEL 0xd    /* active high (01), level (11 << 2) */
#define MP_FLAGS_HIGH_CONFORMS 0x1 /* active high (01), the bus's trigger */

#define MP_BUS_PCI 0               /* bus IDs, as SeaBIOS numbers them */
#define MP_BUS_ISA 1

_Static_assert(sizeof(struct mp_float) == 16, "floating pointer layout");
_Static_assert(sizeof(struct mp_conf) == 44, "configuration header layout");
_Static_assert(sizeof(struct mp_proc) == 20, "processor entry layout");
_Static_assert(sizeof(struct mp_intr) == 8, "interrupt entry layout");

/*
 * Write the floating pointer at float_gpa and the configuration table at
 * conf_gpa (room for MP_CONF_MAX bytes).  Returns the table's length.
 */
#define MP_CONF_MAX 512
struct pci_host;
unsigned mptable_build(struct guest_mem *mem, uint64_t float_gpa,
		       uint64_t conf_gpa, const struct fw_cpu *cpu,
		       struct pci_host *pci);

#endif /* FIRMWARE_MPTABLE_H */
