/*
 * firmware/acpi.h - the ACPI tables (ACPI 6.x, chapter 5.2).
 *
 * A kernel finds them from the RSDP, "RSD PTR " on a 16-byte boundary in
 * the BIOS ROM area (or the EBDA's first KiB):
 *
 *   RSDP (revision 2: checksum over its first 20 bytes, extended
 *    |    checksum over all 36)
 *    +-> RSDT (32-bit pointers) --+--> FACP (the FADT) --> DSDT, FACS
 *    +-> XSDT (64-bit pointers) --+--> APIC (the MADT)
 *
 * Every table but the RSDP and the FACS starts with the 36-byte
 * description header, whose checksum makes the whole table sum to zero.
 * The FADT is revision 3 (244 bytes), the one QEMU's q35 machine gives,
 * whose RSDP is also revision 2 with an XSDT (its pc machine gives the
 * ACPI 1.0 set: an RSDP revision 0 and a 116-byte FADT revision 1).
 */
#ifndef FIRMWARE_ACPI_H
#define FIRMWARE_ACPI_H

#include <stdint.h>

struct guest_mem;

struct __attribute__((packed)) acpi_rsdp {
	char signature[8];         /* "RSD PTR " */
	uint8_t checksum;          /* over the first 20 bytes */
	char oem_id[6];
	uint8_t revision;          /* 2: ACPI 2.0 and later */
	uint32_t rsdt;
	uint32_t length;           /* 36 */
	uint64_t xsdt;
	uint8_t ext_checksum;      /* over all 36 bytes */
	uint8_t reserved[3];
};

struct __attribute__((packed)) acpi_header {
	char signature[4];
	uint32_t length;           /* the whole table, this header included */
	uint8_t revision;
	uint8_t checksum;
	char oem_id[6];
	char oem_table_id[8];
	uint32_t oem_revision;
	char creator_id[4];
	uint32_t creator_revision;
};

/* A generic address structure (ACPI 5.2.3.2). */
struct __attribute__((packed)) acpi_gas {
	uint8_t space_id;          /* ACPI_GAS_IO */
	uint8_t bit_width;
	uint8_t bit_offset;
	uint8_t access_size;       /* 0 undefined, 1 byte, 2 word, 3 dword */
	uint64_t address;
};
#define ACPI_GAS_IO 1

struct __attribute__((packed)) acpi_fadt {
	struct acpi_header h;      /* "FACP", revision 3 */
	uint32_t firmware_ctrl;    /* the FACS */
	uint32_t dsdt;
	uint8_t reserved0;         /* INT_MODEL in ACPI 1.0 */
	uint8_t pm_profile;
	uint16_t sci_int;
	uint32_t smi_cmd;          /* 0: always in ACPI mode */
	uint8_t acpi_enable, acpi_disable, s4bios_req, pstate_cnt;
	uint32_t pm1a_evt_blk, pm1b_evt_blk, pm1a_cnt_blk, pm1b_cnt_blk;
	uint32_t pm2_cnt_blk, pm_tmr_blk, gpe0_blk, gpe1_blk;
	uint8_t pm1_evt_len, pm1_cnt_len, pm2_cnt_len, pm_tmr_len;
	uint8_t gpe0_blk_len, gpe1_blk_len, gpe1_base, cst_cnt;
	uint16_t p_lvl2_lat, p_lvl3_lat, flush_size, flush_stride;
	uint8_t duty_offset, duty_width, day_alrm, mon_alrm, century;
	uint16_t iapc_boot_arch;
	uint8_t reserved1;
	uint32_t flags;
	struct acpi_gas reset_reg;
	uint8_t reset_value;
	uint16_t arm_boot_arch;
	uint8_t minor_version;
	uint64_t x_firmware_ctrl, x_dsdt;
	struct acpi_gas x_pm1a_evt_blk, x_pm1b_evt_blk;
	struct acpi_gas x_pm1a_cnt_blk, x_pm1b_cnt_blk;
	struct acpi_gas x_pm2_cnt_blk, x_pm_tmr_blk;
	struct acpi_gas x_gpe0_blk, x_gpe1_blk;
};
#define ACPI_FADT_REVISION 3
#define ACPI_FADT_WBINVD (1U << 0)
#define ACPI_FADT_PROC_C1 (1U << 2)
#define ACPI_FADT_SLP_BUTTON (1U << 5)
#define ACPI_FADT_RTC_S4 (1U << 7)
#define ACPI_FADT_PLATFORM_CLOCK (1U << 15)
#define ACPI_IAPC_LEGACY_DEVICES (1U << 0)
#define ACPI_IAPC_8042 (1U << 1)

struct __attribute__((packed)) acpi_facs {
	char signature[4];         /* "FACS" */
	uint32_t length;           /* 64 */
	uint32_t hw_signature;
	uint32_t waking_vector;
	uint32_t global_lock;
	uint32_t flags;
	uint64_t x_waking_vector;
	uint8_t version;           /* 2 */
	uint8_t reserved[3];
	uint32_t ospm_flags;
	uint8_t reserved2[24];
};

struct __attribute__((packed)) acpi_madt {
	struct acpi_header h;      /* "APIC" */
	uint32_t lapic_addr;
	uint32_t flags;            /* ACPI_MADT_PCAT_COMPAT */
};
#define ACPI_MADT_REVISION 1       /* QEMU's */
#define ACPI_MADT_PCAT_COMPAT 0x1  /* an 8259A pair is present */

/* Interrupt controller structures, after the MADT's header. */
#define MADT_LAPIC 0
#define MADT_IOAPIC 1
#define MADT_ISO 2
#define MADT_LAPIC_NMI 4

struct __attribute__((packed)) madt_lapic {
	uint8_t type, length;      /* MADT_LAPIC, 8 */
	uint8_t uid;               /* the processor's ACPI UID */
	uint8_t apic_id;
	uint32_t flags;            /* bit 0: enabled */
};

struct __attribute__((packed)) madt_ioapic {
	uint8_t type, length;      /* MADT_IOAPIC, 12 */
	uint8_t id, reserved;
	uint32_t addr;
	uint32_t gsi_base;
};

/* An interrupt source override: ISA IRQ source arrives as GSI gsi. */
struct __attribute__((packed)) madt_iso {
	uint8_t type, length;      /* MADT_ISO, 10 */
	uint8_t bus;               /* 0: ISA */
	uint8_t source;
	uint32_t gsi;
	uint16_t flags;            /* as the MP table's: MP_FLAGS_* */
};

struct __attribute__((packed)) madt_lapic_nmi {
	uint8_t type, length;      /* MADT_LAPIC_NMI, 6 */
	uint8_t uid;               /* 0xff: every processor */
	uint16_t flags;
	uint8_t lint;              /* LINT1 */
};

_Static_assert(sizeof(struct acpi_rsdp) == 36, "RSDP layout");
_Static_assert(sizeof(struct acpi_header) == 36, "header layout");
_Static_assert(sizeof(struct acpi_fadt) == 244, "FADT revision 3 layout");
_Static_assert(sizeof(struct acpi_facs) == 64, "FACS layout");
_Static_assert(sizeof(struct acpi_madt) == 44, "MADT layout");
_Static_assert(sizeof(struct madt_iso) == 10, "MADT override layout");
_Static_assert(sizeof(struct madt_lapic_nmi) == 6, "MADT NMI layout");

/*
 * Write the RSDP at rsdp_gpa (16-byte aligned, in the ROM area) and the
 * other tables from tables_gpa on (room for ACPI_TABLES_MAX bytes).
 */
#define ACPI_TABLES_MAX 2048
void acpi_build(struct guest_mem *mem, uint64_t rsdp_gpa, uint64_t tables_gpa);

#endif /* FIRMWARE_ACPI_H */
