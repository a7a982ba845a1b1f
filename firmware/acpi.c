/*
 * firmware/acpi.c - the ACPI tables of trapvisor's PC (firmware/acpi.h).
 *
 * Laid out one after the other from tables_gpa: the FACS (64-byte
 * aligned, as ACPI requires), the DSDT, the FADT, the MADT, the RSDT and
 * the XSDT; the RSDP apart, where a kernel scans for it.  The values are
 * QEMU's q35 machine's where trapvisor has the same hardware, and say
 * "absent" where it does not:
 *
 *   FADT  SCI on IRQ 9; PM1a event block 0x600 (4 bytes), PM1a control
 *         block 0x604 (2 bytes), PM timer 0x608 (4 bytes, a 24-bit
 *         counter: TMR_VAL_EXT clear); no GPE block, no reset register
 *         (trapvisor has neither); no SMI command port, so the machine
 *         is always in ACPI mode and there is nothing to enable;
 *         C2 and C3 latencies 0xfff (not supported); the RTC's century
 *         at CMOS 0x32; legacy devices and an 8042 present
 *   MADT  the LAPIC address, PCAT_COMPAT (an 8259A pair), LAPIC 0,
 *         the IOAPIC with GSIs 0-23, the overrides ISA IRQ 0 -> GSI 2
 *         and IRQs 5, 9, 10, 11 level active high, and NMI on LINT1
 *   DSDT  the header and an empty \_SB scope: no devices described
 *         in AML yet, so no _PRT either: a kernel that routes PCI
 *         interrupts through ACPI finds no table and falls back on the
 *         interrupt line the firmware wrote in each function
 *         (firmware/pciinit.c); the MP table routes the pins
 */
#include <string.h>

#include "core/guest_mem.h"
#include "core/panic.h"
#include "devices/acpi_pm.h"
#include "devices/devices.h"
#include "devices/ioapic.h"
#include "devices/lapic.h"
#include "firmware/acpi.h"
#include "firmware/firmware.h"
#include "firmware/mptable.h"

#define ACPI_OEM_ID "TRAPVS"
#define ACPI_CREATOR "TVSR"

/* The tables as they are built, and where the buffer lies in the guest. */
struct acpi_builder {
	uint8_t buf[ACPI_TABLES_MAX];
	unsigned len;
	uint64_t gpa;
};

/* Room for len bytes aligned to align; returns the offset in buf. */
static unsigned reserve(struct acpi_builder *b, unsigned len, unsigned align)
{
	unsigned at = (b->len + align - 1) & ~(align - 1);

	if (at + len > sizeof(b->buf))
		panic("acpi: more than %u bytes of tables", ACPI_TABLES_MAX);
	b->len = at + len;
	return at;
}

static uint32_t gpa_of(const struct acpi_builder *b, unsigned off)
{
	return (uint32_t)(b->gpa + off);
}

/* A description header; the checksum comes last, in finish(). */
static void header(struct acpi_header *h, const char *sig, unsigned len,
		   uint8_t rev)
{
	memcpy(h->signature, sig, 4);
	h->length = len;
	h->revision = rev;
	memcpy(h->oem_id, ACPI_OEM_ID, sizeof(h->oem_id));
	memcpy(h->oem_table_id, "TVPC", 4);
	memcpy(h->oem_table_id + 4, sig, 4);
	h->oem_revision = 1;
	memcpy(h->creator_id, ACPI_CREATOR, 4);
	h->creator_revision = 1;
}

static void finish(struct acpi_header *h)
{
	h->checksum = 0;
	h->checksum = firmware_checksum(h, h->length);
}

static unsigned build_facs(struct acpi_builder *b)
{
	unsigned at = reserve(b, sizeof(struct acpi_facs), 64);
	struct acpi_facs *f = (struct acpi_facs *)(b->buf + at);

	memcpy(f->signature, "FACS", 4);
	f->length = sizeof(*f);
	f->version = 2;
	return at;
}

/*
 * The DSDT's AML: DefScope (0x10), PkgLength 6 (itself and the name),
 * the name \_SB_ (root prefix 0x5c and one name segment), no terms.
 */
static const uint8_t dsdt_aml[] = { 0x10, 0x06, '\\', '_', 'S', 'B', '_' };

static unsigned build_dsdt(struct acpi_builder *b)
{
	unsigned len = sizeof(struct acpi_header) + sizeof(dsdt_aml);
	unsigned at = reserve(b, len, 16);
	struct acpi_header *h = (struct acpi_header *)(b->buf + at);

	header(h, "DSDT", len, 1);
	memcpy(h + 1, dsdt_aml, sizeof(dsdt_aml));
	finish(h);
	return at;
}

static struct acpi_gas io_block(uint32_t port, unsigned bytes)
{
	return (struct acpi_gas){ .space_id = ACPI_GAS_IO,
				  .bit_width = (uint8_t)(bytes * 8),
				  .address = port };
}

static unsigned build_fadt(struct acpi_builder *b, unsigned facs,
			   unsigned dsdt)
{
	unsigned at = reserve(b, sizeof(struct acpi_fadt), 16);
	struct acpi_fadt *f = (struct acpi_fadt *)(b->buf + at);

	header(&f->h, "FACP", sizeof(*f), ACPI_FADT_REVISION);
	f->firmware_ctrl = gpa_of(b, facs);
	f->dsdt = gpa_of(b, dsdt);
	f->sci_int = ACPI_SCI_IRQ;
	f->pm1a_evt_blk = ACPI_PM1_EVT_BLK;
	f->pm1a_cnt_blk = ACPI_PM1_CNT_BLK;
	f->pm_tmr_blk = ACPI_PM_TMR_BLK;
	f->pm1_evt_len = ACPI_PM1_EVT_LEN;
	f->pm1_cnt_len = ACPI_PM1_CNT_LEN;
	f->pm_tmr_len = ACPI_PM_TMR_LEN;
	f->p_lvl2_lat = 0xfff;
	f->p_lvl3_lat = 0xfff;
	f->century = RTC_CENTURY;
	f->iapc_boot_arch = ACPI_IAPC_LEGACY_DEVICES | ACPI_IAPC_8042;
	f->flags = ACPI_FADT_WBINVD | ACPI_FADT_PROC_C1 |
		   ACPI_FADT_SLP_BUTTON | ACPI_FADT_RTC_S4 |
		   ACPI_FADT_PLATFORM_CLOCK;
	f->x_firmware_ctrl = f->firmware_ctrl;
	f->x_dsdt = f->dsdt;
	f->x_pm1a_evt_blk = io_block(ACPI_PM1_EVT_BLK, ACPI_PM1_EVT_LEN);
	f->x_pm1a_cnt_blk = io_block(ACPI_PM1_CNT_BLK, ACPI_PM1_CNT_LEN);
	f->x_pm_tmr_blk = io_block(ACPI_PM_TMR_BLK, ACPI_PM_TMR_LEN);
	finish(&f->h);
	return at;
}

/* Append one interrupt controller structure to the MADT being built. */
static void madt_add(struct acpi_builder *b, const void *s, unsigned len)
{
	memcpy(b->buf + reserve(b, len, 1), s, len);
}

static unsigned build_madt(struct acpi_builder *b)
{
	unsigned at = reserve(b, sizeof(struct acpi_madt), 16);
	struct madt_lapic lapic = { MADT_LAPIC, sizeof(lapic), 0,
				    LAPIC_ID_BSP, 1 };
	struct madt_ioapic ioapic = { MADT_IOAPIC, sizeof(ioapic),
				      IOAPIC_ID, 0, IOAPIC_BASE, 0 };
	struct madt_iso irq0 = { MADT_ISO, sizeof(irq0), 0, IRQ_TIMER, 2,
				 MP_FLAGS_CONFORMS };
	struct madt_lapic_nmi nmi = { MADT_LAPIC_NMI, sizeof(nmi), 0xff, 0,
				      1 };

	madt_add(b, &lapic, sizeof(lapic));
	madt_add(b, &ioapic, sizeof(ioapic));
	madt_add(b, &irq0, sizeof(irq0));
	for (uint8_t irq = 1; irq < 16; irq++) {
		struct madt_iso iso = { MADT_ISO, sizeof(iso), 0, irq, irq,
					MP_FLAGS_HIGH_LEVEL };

		if ((FW_PCI_IRQS >> irq) & 1)
			madt_add(b, &iso, sizeof(iso));
	}
	madt_add(b, &nmi, sizeof(nmi));

	struct acpi_madt *m = (struct acpi_madt *)(b->buf + at);
	header(&m->h, "APIC", b->len - at, ACPI_MADT_REVISION);
	m->lapic_addr = LAPIC_DEFAULT_BASE;
	m->flags = ACPI_MADT_PCAT_COMPAT;
	finish(&m->h);
	return at;
}

/* The RSDT (4-byte entries) or the XSDT (8-byte entries) of n tables. */
static unsigned build_sdt(struct acpi_builder *b, const char *sig,
			  unsigned width, const unsigned *tables, unsigned n)
{
	unsigned len = sizeof(struct acpi_header) + n * width;
	unsigned at = reserve(b, len, 16);
	struct acpi_header *h = (struct acpi_header *)(b->buf + at);

	header(h, sig, len, 1);
	for (unsigned i = 0; i < n; i++) {
		uint64_t gpa = gpa_of(b, tables[i]);
		memcpy(b->buf + at + sizeof(*h) + i * width, &gpa, width);
	}
	finish(h);
	return at;
}

void acpi_build(struct guest_mem *mem, uint64_t rsdp_gpa, uint64_t tables_gpa)
{
	struct acpi_builder b = { .gpa = tables_gpa };
	struct acpi_rsdp rsdp = { .revision = 2, .length = sizeof(rsdp) };

	unsigned facs = build_facs(&b);
	unsigned dsdt = build_dsdt(&b);
	unsigned fadt = build_fadt(&b, facs, dsdt);
	unsigned madt = build_madt(&b);
	unsigned tables[] = { fadt, madt };
	unsigned rsdt = build_sdt(&b, "RSDT", 4, tables, 2);
	unsigned xsdt = build_sdt(&b, "XSDT", 8, tables, 2);

	memcpy(rsdp.signature, "RSD PTR ", 8);
	memcpy(rsdp.oem_id, ACPI_OEM_ID, sizeof(rsdp.oem_id));
	rsdp.rsdt = gpa_of(&b, rsdt);
	rsdp.xsdt = gpa_of(&b, xsdt);
	rsdp.checksum = firmware_checksum(&rsdp, 20);
	rsdp.ext_checksum = firmware_checksum(&rsdp, sizeof(rsdp));
	if (gm_write(mem, tables_gpa, b.buf, b.len) < 0 ||
	    gm_write(mem, rsdp_gpa, &rsdp, sizeof(rsdp)) < 0)
		panic("acpi: no RAM at %#llx", (unsigned long long)tables_gpa);
}
