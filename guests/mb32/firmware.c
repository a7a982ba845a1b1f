/*
 * guests/mb32/firmware.c - section 2: the tables the firmware leaves for a
 * kernel: Intel's MultiProcessor Specification 1.4 tables (what xv6 reads)
 * and ACPI's RSDP, RSDT/XSDT, MADT and FADT (ACPI 6.4, 5.2).
 *
 * Both are found the way their specifications say: the MP floating
 * pointer on a 16-byte boundary in the EBDA's first KiB, the last KiB of
 * base memory, or the BIOS ROM at 0xf0000-0xfffff (MP 4.0); the RSDP in
 * the EBDA's first KiB or 0xe0000-0xfffff (ACPI 5.2.5.1).  Every table's
 * checksum is checked.  What is printed is the machine's shape, which
 * trapvisor's tables share with QEMU's pc: one CPU with LAPIC id 0, one
 * IOAPIC at 0xfec00000, ISA IRQ 0 on IOAPIC pin 2, the PM timer's port.
 * OEM strings, table addresses and revisions are the firmware's own
 * business and are not printed.
 */
#include "guests/mb32/mb32.h"

#define BDA_EBDA_SEGMENT 0x40e /* word: the EBDA's real-mode segment */
#define BDA_BASE_KIB 0x413     /* word: KiB of base memory */
#define BIOS_ROM 0xf0000
#define ACPI_ROM 0xe0000
#define ROM_END 0x100000

uint16_t acpi_pm_timer_port;
uint32_t ioapic_address;

static uint8_t sum(const void *p, uint32_t n)
{
	const uint8_t *b = p;
	uint8_t s = 0;

	while (n--)
		s += *b++;
	return s;
}

static uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t get32(const uint8_t *p) { return get16(p) | (uint32_t)get16(p + 2) << 16; }

/* The first 16-byte-aligned sig of len bytes in [a, a + n). */
static const uint8_t *scan(uint32_t a, uint32_t n, const char *sig,
			   uint32_t len)
{
	for (uint32_t p = a; p + 16 <= a + n; p += 16)
		if (!memcmp((const void *)p, sig, len))
			return (const uint8_t *)p;
	return NULL;
}

static uint32_t ebda(void)
{
	return (uint32_t)get16(phys(BDA_EBDA_SEGMENT)) << 4;
}

/* ------------------------------------------------------------ MP */
#define MP_ENTRY_PROCESSOR 0
#define MP_ENTRY_BUS 1
#define MP_ENTRY_IOAPIC 2
#define MP_ENTRY_IOINT 3
#define MP_ENTRY_LINT 4
#define MP_CPU_BSP 0x02
#define MP_CPU_ENABLED 0x01

static const uint8_t *mp_find(void)
{
	const uint8_t *p;
	uint32_t base_end = get16(phys(BDA_BASE_KIB)) * 1024;

	if (ebda() && (p = scan(ebda(), 1024, "_MP_", 4)))
		return p;
	if ((p = scan(base_end - 1024, 1024, "_MP_", 4)))
		return p;
	return scan(BIOS_ROM, ROM_END - BIOS_ROM, "_MP_", 4);
}

static uint32_t mp_ioapic_address; /* the first IOAPIC entry's */

/* One MP entry; returns its length (0 for an unknown type). */
static unsigned mp_entry(const uint8_t *e, unsigned count[5], bool *bsp0,
			 bool *irq0_pin2, uint8_t *isa_bus)
{
	switch (e[0]) {
	case MP_ENTRY_PROCESSOR:
		if ((e[3] & MP_CPU_BSP) && (e[3] & MP_CPU_ENABLED) && e[1] == 0)
			*bsp0 = true;
		count[0]++;
		return 20;
	case MP_ENTRY_BUS:
		if (!memcmp(e + 2, "ISA   ", 6))
			*isa_bus = e[1];
		count[1]++;
		return 8;
	case MP_ENTRY_IOAPIC:
		if (!count[2]++)
			mp_ioapic_address = get32(e + 4);
		return 8;
	case MP_ENTRY_IOINT:
		/* type INT, source bus ISA, source IRQ 0 -> pin 2 */
		if (e[1] == 0 && e[4] == *isa_bus && e[5] == 0 && e[7] == 2)
			*irq0_pin2 = true;
		count[3]++;
		return 8;
	case MP_ENTRY_LINT:
		count[4]++;
		return 8;
	}
	return 0;
}

static void mp_tables(void)
{
	const uint8_t *fp = mp_find();

	check(fp != NULL, "MP floating pointer: found", "no _MP_ anywhere");
	if (!fp)
		return;
	check(sum(fp, fp[8] * 16u) == 0, "MP floating pointer: checksum",
	      "sum %x", sum(fp, fp[8] * 16u));
	const uint8_t *ct = (const uint8_t *)get32(fp + 4);
	check(ct && !memcmp(ct, "PCMP", 4), "MP configuration table: found",
	      "pointer %x", (uint32_t)ct);
	if (!ct || memcmp(ct, "PCMP", 4))
		return;
	check(sum(ct, get16(ct + 4)) == 0, "MP configuration table: checksum",
	      "sum %x", sum(ct, get16(ct + 4)));
	rt_printf("MP: local APIC at 0x%x\n", get32(ct + 36));

	unsigned count[5] = { 0 }, n = get16(ct + 34);
	bool bsp0 = false, irq0_pin2 = false;
	uint8_t isa_bus = 0xff;
	const uint8_t *e = ct + 44, *end = ct + get16(ct + 4);
	/* the buses come before the interrupt entries that name them */
	for (unsigned i = 0; i < n && e < end; i++) {
		unsigned len = mp_entry(e, count, &bsp0, &irq0_pin2, &isa_bus);
		if (!len)
			break;
		e += len;
	}
	rt_printf("MP: %u processor, %u IOAPIC, the first at 0x%x\n", count[0],
		count[2], mp_ioapic_address);
	check(bsp0, "MP: the boot processor has LAPIC id 0", "not found");
	check(isa_bus != 0xff, "MP: an ISA bus", "none");
	check(count[3] > 0 && count[4] > 0,
	      "MP: I/O and local interrupt entries", "%u I/O, %u local",
	      count[3], count[4]);
	check(irq0_pin2, "MP: ISA IRQ 0 -> IOAPIC pin 2", "no such entry");
}

/* ------------------------------------------------------------ ACPI */
#define SDT_HEADER 36
#define MADT_LAPIC 0
#define MADT_IOAPIC 1
#define MADT_OVERRIDE 2
#define MADT_LAPIC_NMI 4
#define MADT_TYPES 5
#define FADT_PM_TMR_BLK 76

static const uint8_t *rsdp_find(void)
{
	const uint8_t *p = NULL;

	if (ebda())
		p = scan(ebda(), 1024, "RSD PTR ", 8);
	return p ? p : scan(ACPI_ROM, ROM_END - ACPI_ROM, "RSD PTR ", 8);
}

static bool sdt_valid(const uint8_t *t)
{
	return sum(t, get32(t + 4)) == 0;
}

static void madt(const uint8_t *t)
{
	unsigned count[MADT_TYPES] = { 0 };
	bool irq0_gsi2 = false;

	rt_printf("MADT: local APIC at 0x%x\n", get32(t + SDT_HEADER));
	for (const uint8_t *e = t + SDT_HEADER + 8; e < t + get32(t + 4);
	     e += e[1]) {
		if (e[1] < 2)
			break;
		if (e[0] < MADT_TYPES)
			count[e[0]]++;
		if (e[0] == MADT_LAPIC)
			check(e[3] == 0 && (get32(e + 4) & 1),
			      "MADT: processor enabled, LAPIC id 0",
			      "id %u flags %x", e[3], get32(e + 4));
		if (e[0] == MADT_IOAPIC) {
			ioapic_address = get32(e + 4);
			rt_printf("MADT: IOAPIC at 0x%x, GSI base %u\n",
				ioapic_address, get32(e + 8));
		}
		if (e[0] == MADT_OVERRIDE && e[3] == 0 && get32(e + 4) == 2)
			irq0_gsi2 = true;
	}
	rt_printf("MADT entries: %u local APIC, %u IOAPIC, %u override, "
		"%u local APIC NMI\n", count[MADT_LAPIC], count[MADT_IOAPIC],
		count[MADT_OVERRIDE], count[MADT_LAPIC_NMI]);
	check(irq0_gsi2, "MADT: ISA IRQ 0 overridden to GSI 2", "none");
}

/* Check and use one table the RSDT or XSDT points to. */
static void sdt(const uint8_t *t, bool *fadt, bool *apic)
{
	if (!sdt_valid(t)) {
		check(false, "ACPI table checksum", "%c%c%c%c", t[0], t[1],
		      t[2], t[3]);
		return;
	}
	if (!memcmp(t, "FACP", 4) && !*fadt) {
		*fadt = true;
		acpi_pm_timer_port = (uint16_t)get32(t + FADT_PM_TMR_BLK);
		rt_printf("FADT: PM timer at port 0x%x\n", acpi_pm_timer_port);
	}
	if (!memcmp(t, "APIC", 4) && !*apic) {
		*apic = true;
		madt(t);
	}
}

/*
 * ACPI 2.0 and later: the RSDP's extended checksum, and an XSDT (64-bit
 * pointers) whose tables check and include the FADT and the MADT.  QEMU's
 * pc has an ACPI 1.0 RSDP and no XSDT; trapvisor's has both: one check
 * line says what both machines share.
 */
static bool xsdt_valid(const uint8_t *rsdp)
{
	uint32_t x = get32(rsdp + 24);
	const uint8_t *xsdt = (const uint8_t *)x;

	if (sum(rsdp, get32(rsdp + 20)) || !x || memcmp(xsdt, "XSDT", 4) ||
	    !sdt_valid(xsdt))
		return false;
	bool fadt = false, apic = false;
	unsigned n = (get32(xsdt + 4) - SDT_HEADER) / 8;
	for (unsigned i = 0; i < n; i++) {
		const uint8_t *t = (const uint8_t *)get32(xsdt + SDT_HEADER + 8 * i);
		if (!sdt_valid(t))
			return false;
		fadt |= !memcmp(t, "FACP", 4);
		apic |= !memcmp(t, "APIC", 4);
	}
	return fadt && apic;
}

static void acpi_tables(void)
{
	const uint8_t *rsdp = rsdp_find();

	check(rsdp != NULL, "ACPI RSDP: found", "no RSD PTR anywhere");
	if (!rsdp)
		return;
	check(sum(rsdp, 20) == 0, "ACPI RSDP: checksum", "sum %x",
	      sum(rsdp, 20));
	const uint8_t *rsdt = (const uint8_t *)get32(rsdp + 16);
	check(!memcmp(rsdt, "RSDT", 4) && sdt_valid(rsdt),
	      "RSDT: signature and checksum", "at %x", (uint32_t)rsdt);
	bool fadt = false, apic = false;
	unsigned n = (get32(rsdt + 4) - SDT_HEADER) / 4;
	for (unsigned i = 0; i < n; i++)
		sdt((const uint8_t *)get32(rsdt + SDT_HEADER + 4 * i), &fadt,
		    &apic);
	check(fadt && apic, "RSDT: lists the FADT and the MADT",
	      "FADT %d MADT %d", fadt, apic);

	check(rsdp[15] < 2 || xsdt_valid(rsdp),
	      "XSDT: none (ACPI 1.0 RSDP), or valid and the same tables",
	      "RSDP revision %u", rsdp[15]);
}

void firmware_section(void)
{
	section("2. firmware tables");
	mp_tables();
	acpi_tables();
}
