/*
 * tests/unit/test_firmware.c - the firmware tables (firmware/), read back
 * the way a kernel finds them: the BIOS data area; the MP floating
 * pointer by xv6's search (EBDA, else the top KiB of base memory, then
 * the BIOS ROM area) and its configuration table entry by entry; the
 * ACPI RSDP by a scan of the ROM area, then RSDT, XSDT, FADT, FACS, DSDT
 * and MADT; every checksum; the memory map; and that the MP table and
 * the MADT tell the same story of every ISA IRQ.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "core/vm.h"
#include "devices/devices.h"
#include "firmware/pciinit.h"
#include "firmware/acpi.h"
#include "firmware/firmware.h"
#include "firmware/mptable.h"
#include "monitor/boot.h"
#include "monitor/machine.h"

static struct vm vm;
static const struct fw_cpu cpu = { .signature = 0x000306a9,
				   .features = 0x078bfbff };

static int setup(void **state)
{
	struct vm_options opt = { .mem_mib = 4, .engine = "softcpu" };
	char why[200];

	(void)state;
	if (vm_create(&vm, &opt, -1, why, sizeof(why)) < 0)
		return -1;
	firmware_build(&vm.mem, &cpu, &vm.dev->pci);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	vm_destroy(&vm);
	return 0;
}

static const uint8_t *ram(uint64_t gpa, uint64_t len)
{
	const uint8_t *p = gm_ptr(&vm.mem, gpa, len);

	if (!p)
		fail_msg("[%#llx, +%#llx) is not in RAM",
			 (unsigned long long)gpa, (unsigned long long)len);
	return p;
}

static uint16_t rd16(uint64_t gpa)
{
	uint16_t v;

	memcpy(&v, ram(gpa, 2), 2);
	return v;
}

static uint8_t sum(const void *p, size_t len)
{
	const uint8_t *b = p;
	uint8_t s = 0;

	while (len--)
		s = (uint8_t)(s + *b++);
	return s;
}

/* Every table must lie in memory the map calls reserved, and outside
 * monitor/boot.h's low memory. */
static void assert_reserved(uint64_t gpa, uint64_t len)
{
	struct e820_entry map[FW_E820_MAX];
	unsigned n = firmware_e820(vm.mem.size, map);
	bool inside = false;

	for (unsigned i = 0; i < n; i++)
		if (map[i].type == E820_RESERVED && gpa >= map[i].base &&
		    gpa + len <= map[i].base + map[i].length)
			inside = true;
	if (!inside)
		fail_msg("[%#llx, +%#llx) is not in a reserved range",
			 (unsigned long long)gpa, (unsigned long long)len);
	assert_true(gpa >= BOOT_STACK_TOP || gpa + len <= BOOT_PML4);
}

static void test_bios_data_area(void **state)
{
	(void)state;
	assert_int_equal(rd16(0x400), 0x3f8);          /* COM1 */
	assert_int_equal(rd16(0x413), 639);            /* base memory KiB */
	assert_int_equal(rd16(0x40e), 0x9fc0);         /* EBDA segment */
	assert_int_equal(*ram(0x9fc00, 1), 1);         /* EBDA: 1 KiB */
}

/* The MP spec's (and xv6's) search for "_MP_" in [a, a + len). */
static uint64_t mp_search(uint64_t a, uint64_t len)
{
	for (uint64_t p = a; p < a + len; p += 16)
		if (memcmp(ram(p, 16), "_MP_", 4) == 0 &&
		    sum(ram(p, 16), 16) == 0)
			return p;
	return 0;
}

static uint64_t find_mp(void)
{
	uint64_t p = (uint64_t)rd16(0x40e) << 4, mp;

	if (p) {
		if ((mp = mp_search(p, 1024)))
			return mp;
	} else if ((mp = mp_search(rd16(0x413) * 1024ULL - 1024, 1024))) {
		return mp;
	}
	return mp_search(0xf0000, 0x10000);
}

/* What the two tables say of one ISA IRQ. */
struct irq_route {
	bool seen;
	uint32_t gsi;
	uint16_t flags;
};

static void test_mp_tables(void **state)
{
	struct mp_float fp;
	struct mp_conf h;
	struct irq_route isa[16] = { 0 };
	unsigned procs = 0, ioapics = 0, buses = 0, entries = 0;
	bool extint = false, nmi = false;

	(void)state;
	uint64_t at = find_mp();
	assert_true(at >= FW_ROM_BASE && at % 16 == 0);
	memcpy(&fp, ram(at, sizeof(fp)), sizeof(fp));
	assert_int_equal(fp.length, 1);
	assert_int_equal(fp.spec_rev, 4);
	assert_int_equal(fp.feature1, 0);     /* a table, not a default */
	assert_int_equal(fp.feature2 & 0x80, 0); /* no IMCR: virtual wire */
	assert_reserved(at, 16);

	memcpy(&h, ram(fp.physaddr, sizeof(h)), sizeof(h));
	assert_memory_equal(h.signature, "PCMP", 4);
	assert_int_equal(h.spec_rev, 4);      /* xv6 takes 1 or 4 */
	assert_int_equal(sum(ram(fp.physaddr, h.length), h.length), 0);
	assert_int_equal(h.lapic_addr, 0xfee00000);
	assert_int_equal(h.ext_length, 0);
	assert_reserved(fp.physaddr, h.length);

	const uint8_t *p = ram(fp.physaddr, h.length) + sizeof(h);
	const uint8_t *end = ram(fp.physaddr, h.length) + h.length;
	while (p < end) {
		entries++;
		if (*p == MP_PROC) {
			struct mp_proc e;
			memcpy(&e, p, sizeof(e));
			assert_int_equal(e.lapic_id, 0);
			assert_int_equal(e.lapic_version, 0x14);
			assert_int_equal(e.cpu_flags, MP_CPU_EN | MP_CPU_BP);
			assert_int_equal(e.signature, cpu.signature);
			assert_int_equal(e.features, cpu.features);
			procs++;
			p += sizeof(e);
			continue;
		}
		/* every other entry is 8 bytes (and xv6 steps by 8) */
		assert_true(p + 8 <= end);
		if (*p == MP_BUS) {
			struct mp_bus e;
			memcpy(&e, p, 8);
			assert_memory_equal(e.bus_type, e.bus_id == MP_BUS_ISA ?
					    "ISA   " : "PCI   ", 6);
			buses++;
		} else if (*p == MP_IOAPIC) {
			struct mp_ioapic e;
			memcpy(&e, p, 8);
			assert_int_equal(e.id, 0);
			assert_int_equal(e.version, 0x11);
			assert_int_equal(e.flags, MP_IOAPIC_EN);
			assert_int_equal(e.addr, 0xfec00000);
			ioapics++;
		} else if (*p == MP_IOINTR) {
			struct mp_intr e;
			memcpy(&e, p, 8);
			assert_int_equal(e.irq_type, MP_INT);
			assert_int_equal(e.src_bus, MP_BUS_ISA);
			assert_int_equal(e.dst_apic, 0);
			assert_true(e.src_irq < 16 && !isa[e.src_irq].seen);
			assert_true(e.dst_pin < 24);
			isa[e.src_irq] = (struct irq_route){ true, e.dst_pin,
							     e.flags };
		} else if (*p == MP_LINTR) {
			struct mp_intr e;
			memcpy(&e, p, 8);
			if (e.irq_type == MP_EXTINT && e.dst_pin == 0)
				extint = true;
			else if (e.irq_type == MP_NMI && e.dst_pin == 1)
				nmi = true;
			else
				fail_msg("local interrupt %u on LINT%u",
					 e.irq_type, e.dst_pin);
		} else {
			fail_msg("entry type %u: xv6 panics", *p);
		}
		p += 8;
	}
	assert_ptr_equal(p, end);
	assert_int_equal(entries, h.entry_count);
	assert_int_equal(procs, 1);
	assert_int_equal(ioapics, 1);
	assert_int_equal(buses, 2);
	assert_true(extint && nmi);
	/* ISA IRQ 0 is on pin 2, the others on their own pins; IRQ 2 (the
	 * cascade) has no entry; the PCI IRQs are level, active high */
	for (unsigned irq = 0; irq < 16; irq++) {
		assert_int_equal(isa[irq].seen, irq != 2);
		if (irq == 2)
			continue;
		assert_int_equal(isa[irq].gsi, irq == 0 ? 2 : irq);
		bool pci = irq == 5 || irq == 9 || irq == 10 || irq == 11;
		assert_int_equal(isa[irq].flags, pci ? 0xd : 0);
	}
}

/* Check a described table's header and checksum; returns its length. */
static uint32_t check_table(uint64_t gpa, const char *sig)
{
	struct acpi_header h;

	memcpy(&h, ram(gpa, sizeof(h)), sizeof(h));
	if (memcmp(h.signature, sig, 4) != 0)
		fail_msg("%#llx: %.4s, not %s", (unsigned long long)gpa,
			 h.signature, sig);
	assert_true(h.length >= sizeof(h));
	assert_int_equal(sum(ram(gpa, h.length), h.length), 0);
	assert_memory_equal(h.oem_id, "TRAPVS", 6);
	assert_reserved(gpa, h.length);
	return h.length;
}

static uint64_t find_rsdp(void)
{
	for (uint64_t p = 0xe0000; p < 0x100000; p += 16)
		if (memcmp(ram(p, 8), "RSD PTR ", 8) == 0 &&
		    sum(ram(p, 20), 20) == 0)
			return p;
	fail_msg("no RSDP in 0xe0000-0xfffff");
	return 0;
}

/* The RSDT's or XSDT's entries (width 4 or 8) into out[]; their count. */
static unsigned sdt_entries(uint64_t gpa, const char *sig, unsigned width,
			    uint64_t out[8])
{
	uint32_t len = check_table(gpa, sig);
	unsigned n = (len - sizeof(struct acpi_header)) / width;

	assert_int_equal((len - sizeof(struct acpi_header)) % width, 0);
	assert_true(n <= 8);
	for (unsigned i = 0; i < n; i++) {
		out[i] = 0;
		memcpy(&out[i], ram(gpa + sizeof(struct acpi_header) +
				    i * width, width), width);
	}
	return n;
}

static uint64_t find_table(const uint64_t *t, unsigned n, const char *sig)
{
	for (unsigned i = 0; i < n; i++)
		if (memcmp(ram(t[i], 4), sig, 4) == 0)
			return t[i];
	fail_msg("no %s table", sig);
	return 0;
}

static void check_fadt(uint64_t gpa)
{
	struct acpi_fadt f;
	struct acpi_facs facs;

	assert_int_equal(check_table(gpa, "FACP"), 244);
	memcpy(&f, ram(gpa, sizeof(f)), sizeof(f));
	assert_int_equal(f.h.revision, 3);
	assert_int_equal(f.sci_int, 9);
	assert_int_equal(f.pm1a_evt_blk, 0x600);
	assert_int_equal(f.pm1_evt_len, 4);
	assert_int_equal(f.pm1a_cnt_blk, 0x604);
	assert_int_equal(f.pm1_cnt_len, 2);
	assert_int_equal(f.pm_tmr_blk, 0x608);
	assert_int_equal(f.pm_tmr_len, 4);
	assert_int_equal(f.flags & (1U << 8), 0); /* TMR_VAL_EXT: 24 bits */
	assert_int_equal(f.x_pm_tmr_blk.space_id, ACPI_GAS_IO);
	assert_int_equal(f.x_pm_tmr_blk.bit_width, 32);
	assert_int_equal(f.x_pm_tmr_blk.address, 0x608);
	assert_int_equal(f.x_pm1a_evt_blk.address, 0x600);
	assert_int_equal(f.x_pm1a_cnt_blk.address, 0x604);
	assert_int_equal(f.x_pm1a_cnt_blk.bit_width, 16);
	assert_int_equal(f.x_dsdt, f.dsdt);
	assert_int_equal(f.x_firmware_ctrl, f.firmware_ctrl);
	assert_true(check_table(f.dsdt, "DSDT") > sizeof(struct acpi_header));
	assert_int_equal(f.firmware_ctrl % 64, 0);
	memcpy(&facs, ram(f.firmware_ctrl, sizeof(facs)), sizeof(facs));
	assert_memory_equal(facs.signature, "FACS", 4);
	assert_int_equal(facs.length, 64);
	assert_reserved(f.firmware_ctrl, 64);
}

/* The MADT; fills isa[] with what its overrides (or identity) say. */
static void check_madt(uint64_t gpa, struct irq_route isa[16])
{
	uint32_t len = check_table(gpa, "APIC");
	struct acpi_madt m;
	unsigned lapics = 0, ioapics = 0, nmis = 0;

	memcpy(&m, ram(gpa, sizeof(m)), sizeof(m));
	assert_int_equal(m.lapic_addr, 0xfee00000);
	assert_int_equal(m.flags, ACPI_MADT_PCAT_COMPAT);
	for (unsigned irq = 0; irq < 16; irq++)
		isa[irq] = (struct irq_route){ true, irq, 0 };
	const uint8_t *p = ram(gpa, len) + sizeof(m), *end = ram(gpa, len) + len;
	while (p < end) {
		assert_true(p + 2 <= end && p[1] >= 2 && p + p[1] <= end);
		if (p[0] == MADT_LAPIC) {
			struct madt_lapic e;
			memcpy(&e, p, sizeof(e));
			assert_int_equal(e.length, 8);
			assert_int_equal(e.apic_id, 0);
			assert_int_equal(e.flags & 1, 1);
			lapics++;
		} else if (p[0] == MADT_IOAPIC) {
			struct madt_ioapic e;
			memcpy(&e, p, sizeof(e));
			assert_int_equal(e.length, 12);
			assert_int_equal(e.id, 0);
			assert_int_equal(e.addr, 0xfec00000);
			assert_int_equal(e.gsi_base, 0);
			ioapics++;
		} else if (p[0] == MADT_ISO) {
			struct madt_iso e;
			memcpy(&e, p, sizeof(e));
			assert_int_equal(e.length, 10);
			assert_int_equal(e.bus, 0);
			assert_true(e.source < 16);
			isa[e.source] = (struct irq_route){ true, e.gsi, e.flags };
		} else if (p[0] == MADT_LAPIC_NMI) {
			struct madt_lapic_nmi e;
			memcpy(&e, p, sizeof(e));
			assert_int_equal(e.length, 6);
			assert_int_equal(e.lint, 1);
			nmis++;
		} else {
			fail_msg("MADT entry type %u", p[0]);
		}
		p += p[1];
	}
	assert_ptr_equal(p, end);
	assert_int_equal(lapics, 1);
	assert_int_equal(ioapics, 1);
	assert_int_equal(nmis, 1);
}

static void test_acpi_tables(void **state)
{
	struct acpi_rsdp r;
	uint64_t rsdt[8], xsdt[8];
	struct irq_route isa[16];

	(void)state;
	uint64_t at = find_rsdp();
	memcpy(&r, ram(at, sizeof(r)), sizeof(r));
	assert_int_equal(r.revision, 2);
	assert_int_equal(r.length, 36);
	assert_int_equal(sum(&r, sizeof(r)), 0);  /* extended checksum */
	assert_reserved(at, sizeof(r));
	unsigned n = sdt_entries(r.rsdt, "RSDT", 4, rsdt);
	assert_int_equal(sdt_entries(r.xsdt, "XSDT", 8, xsdt), n);
	assert_memory_equal(rsdt, xsdt, n * sizeof(rsdt[0]));
	assert_int_equal(n, 2);
	check_fadt(find_table(xsdt, n, "FACP"));
	check_madt(find_table(xsdt, n, "APIC"), isa);
	/* the overrides: IRQ 0 -> GSI 2, and the PCI IRQs level high */
	assert_int_equal(isa[0].gsi, 2);
	assert_int_equal(isa[0].flags, 0);
	for (unsigned irq = 1; irq < 16; irq++) {
		bool pci = irq == 5 || irq == 9 || irq == 10 || irq == 11;
		assert_int_equal(isa[irq].gsi, irq);
		assert_int_equal(isa[irq].flags, pci ? 0xd : 0);
	}
}

/* The MP table and the MADT route every ISA IRQ but the cascade alike. */
static void test_mp_and_madt_agree(void **state)
{
	struct mp_float fp;
	struct mp_conf h;
	struct acpi_rsdp r;
	uint64_t xsdt[8];
	struct irq_route madt[16];

	(void)state;
	memcpy(&r, ram(find_rsdp(), sizeof(r)), sizeof(r));
	unsigned n = sdt_entries(r.xsdt, "XSDT", 8, xsdt);
	check_madt(find_table(xsdt, n, "APIC"), madt);
	memcpy(&fp, ram(find_mp(), sizeof(fp)), sizeof(fp));
	memcpy(&h, ram(fp.physaddr, sizeof(h)), sizeof(h));
	const uint8_t *p = ram(fp.physaddr, h.length) + sizeof(h);
	const uint8_t *end = ram(fp.physaddr, h.length) + h.length;
	unsigned checked = 0;
	for (; p < end; p += *p == MP_PROC ? sizeof(struct mp_proc) : 8) {
		struct mp_intr e;
		if (*p != MP_IOINTR)
			continue;
		memcpy(&e, p, sizeof(e));
		assert_int_equal(e.dst_pin, madt[e.src_irq].gsi);
		assert_int_equal(e.flags, madt[e.src_irq].flags);
		checked++;
	}
	assert_int_equal(checked, 15);
}

static void test_memory_map(void **state)
{
	struct e820_entry m[FW_E820_MAX];

	(void)state;
	assert_int_equal(firmware_e820(64 << 20, m), 6);
	/* QEMU 7.2's map at -m 64, as SeaBIOS gives it */
	struct e820_entry want[] = {
		{ 0, 0x9fc00, E820_RAM },
		{ 0x9fc00, 0x400, E820_RESERVED },
		{ 0xf0000, 0x10000, E820_RESERVED },
		{ 0x100000, 0x3fe0000 - 0x100000, E820_RAM },
		{ 0x3fe0000, 0x20000, E820_RESERVED },
		{ 0xfffc0000, 0x40000, E820_RESERVED },
	};
	for (unsigned i = 0; i < 6; i++) {
		assert_int_equal(m[i].base, want[i].base);
		assert_int_equal(m[i].length, want[i].length);
		assert_int_equal(m[i].type, want[i].type);
	}
	assert_int_equal(firmware_ram_top(64 << 20), 0x3fe0000);
	/* the smallest machine */
	assert_int_equal(firmware_e820(2 << 20, m), 6);
	assert_int_equal(m[3].length, 0x100000 - 0x20000);
}

/*
 * The map at several sizes, as QEMU's pc lays RAM out (core/guest_mem.h):
 * below 3.5 GiB all of it from 0; from 3.5 GiB up, 3 GiB below the PCI
 * hole and the rest from 4 GiB.  Never RAM over the chips or the hole.
 */
static void test_memory_map_sizes(void **state)
{
	static const struct {
		uint64_t ram, top, high; /* top: end of low RAM */
	} t[] = {
		{ 128ULL << 20, 128ULL << 20, 0 },
		{ 3ULL << 30, 3ULL << 30, 0 },
		{ 3583ULL << 20, 3583ULL << 20, 0 },
		{ 3584ULL << 20, 3ULL << 30, 512ULL << 20 },
		{ 5ULL << 30, 3ULL << 30, 2ULL << 30 },
	};
	struct e820_entry m[FW_E820_MAX];

	(void)state;
	for (unsigned k = 0; k < sizeof(t) / sizeof(t[0]); k++) {
		unsigned n = firmware_e820(t[k].ram, m);
		uint64_t ram = 0;

		assert_int_equal(n, t[k].high ? 7 : 6);
		assert_int_equal(m[3].base, 0x100000);
		assert_int_equal(m[3].base + m[3].length, t[k].top - 0x20000);
		assert_int_equal(m[4].base, t[k].top - 0x20000);
		assert_int_equal(m[4].type, E820_RESERVED);
		assert_int_equal(firmware_ram_top(t[k].ram), t[k].top - 0x20000);
		assert_int_equal(m[5].base, 0xfffc0000);
		if (t[k].high) {
			assert_int_equal(m[6].base, 1ULL << 32);
			assert_int_equal(m[6].length, t[k].high);
			assert_int_equal(m[6].type, E820_RAM);
		}
		for (unsigned i = 0; i < n; i++) {
			if (i)
				assert_true(m[i].base >= m[i - 1].base +
						       m[i - 1].length);
			if (m[i].type != E820_RAM)
				continue;
			ram += m[i].length;
			/* no RAM in the hole, where the chips answer */
			assert_true(m[i].base + m[i].length <= 0xe0000000 ||
				    m[i].base >= 1ULL << 32);
		}
		/* all of RAM but the EBDA, 0x9fc00-0xfffff and the top 128 KiB */
		assert_int_equal(ram, t[k].ram - (0x100000 - 0x9fc00) - 0x20000);
	}
}

/* A guest that scribbled over its tables finds them whole at next boot. */
static void test_rebuilt_whole(void **state)
{
	static uint8_t before[0x10000];

	(void)state;
	memcpy(before, ram(0xf0000, 0x10000), sizeof(before));
	memset((void *)ram(0xf0000, 0x10000), 0x5a, 0x10000);
	memset((void *)ram(0x400, 0x100), 0x5a, 0x100);
	firmware_build(&vm.mem, &cpu, &vm.dev->pci);
	assert_memory_equal(ram(0xf0000, 0x10000), before, sizeof(before));
	assert_int_equal(rd16(0x40e), 0x9fc0);
	assert_int_equal(*ram(0x4ff, 1), 0);
}

/* ------------------------------------------------------------ PCI */

static uint32_t cfg_fn(unsigned dev, unsigned fn, unsigned reg,
		       unsigned size)
{
	struct pci_host *h = &vm.dev->pci;

	pci_io_write(h, PCI_CONFIG_ADDRESS, 4, PCI_ADDR(0, dev, fn, reg));
	return pci_io_read(h, (uint16_t)(PCI_CONFIG_DATA + (reg & 3)), size);
}

static uint32_t cfg(unsigned dev, unsigned reg, unsigned size)
{
	return cfg_fn(dev, 0, reg, size);
}

/*
 * Two cards as SeaBIOS would set them up: the virtio disk at 00:02.0
 * (BAR 4, 16 KiB, 64-bit prefetchable; INTA#) and a card at 00:03.0 with
 * a 4 KiB memory BAR 0 and a 64 KiB prefetchable BAR 2 on INTB#.  The
 * memory region (alignment 4 KiB) goes on top, ending at the IOAPIC;
 * the prefetchable one (alignment 64 KiB) right below, largest first.
 * The card also has a 64-byte I/O BAR 1 (as QEMU's e1000): the I/O BARs
 * go up from 0xc000 largest first, so the PIIX3 IDE's BAR4 lands at
 * 0xc040, where QEMU's pc with its default NIC has it.
 */
static void test_pci_setup(void **state)
{
	char img[] = "/tmp/tv-fw-XXXXXX", why[200];
	struct vm_disk disk = { .path = img };
	static struct pci_device card;
	static const uint8_t zero[4096];
	int fd = mkstemp(img);

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(write(fd, zero, sizeof(zero)), (ssize_t)sizeof(zero));
	close(fd);
	assert_int_equal(devices_add_virtio_disk(&vm, &disk, why, sizeof(why)),
			 0);
	unlink(img);
	pci_device_init(&card, 3, 0x1234, 0x11, 0, 0xff0000, 2);
	pci_device_add_bar(&card, 0, 0x1000, false, false);
	pci_device_add_bar(&card, 2, 0x10000, false, true);
	pci_device_add_io_bar(&card, 1, 0x40);
	assert_int_equal(pci_device_register(&vm.dev->pci, &card), 0);
	firmware_build(&vm.mem, &cpu, &vm.dev->pci);

	assert_int_equal(cfg(3, PCI_BASE_ADDRESS_0, 4), 0xfebff000);
	assert_int_equal(cfg(3, PCI_BASE_ADDRESS_0 + 8, 4), 0xfebe0008);
	assert_int_equal(cfg(2, PCI_BASE_ADDRESS_0 + 16, 4), 0xfebf000c);
	assert_int_equal(cfg(2, PCI_BASE_ADDRESS_0 + 20, 4), 0);
	assert_int_equal(pci_bar_address(&vm.dev->vblk->vp.pci, 4), 0xfebf0000);
	assert_int_equal(cfg(3, PCI_BASE_ADDRESS_0 + 4, 4), 0xc001);
	assert_int_equal(cfg_fn(PIIX3_PCI_DEV, 1, PCI_BASE_ADDRESS_0 + 16, 4),
			 0xc041);
	assert_int_equal(pci_bar_address(&vm.dev->piix.ide, PIIX_BMIBA_BAR),
			 0xc040);
	/* The PIIX3 as SeaBIOS sets it up: PIRQ routes, IDE decode on. */
	assert_int_equal(cfg_fn(PIIX3_PCI_DEV, 0, PIIX_PIRQRC, 4), 0x0b0b0a0a);
	assert_int_equal(cfg_fn(PIIX3_PCI_DEV, 1, PIIX_IDETIM_PRI, 4),
			 0x80008000);
	assert_int_equal(cfg_fn(PIIX3_PCI_DEV, 1, PCI_COMMAND, 2),
			 PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_SERR);
	assert_int_equal(cfg_fn(PIIX3_PCI_DEV, 1, PCI_INTERRUPT_LINE, 1), 0);
	/* INTA# of slot 2 is PIRQB, INTB# of slot 3 PIRQD: IRQ 10 and 11 */
	assert_int_equal(cfg(2, PCI_INTERRUPT_LINE, 1), 10);
	assert_int_equal(cfg(3, PCI_INTERRUPT_LINE, 1), 11);
	assert_int_equal(cfg(2, PCI_COMMAND, 2), PCI_COMMAND_IO |
			 PCI_COMMAND_MEMORY | PCI_COMMAND_SERR);

	/* The MP table routes both pins, before the ISA IRQs, and has no
	 * ISA entry left for IRQs 10 and 11. */
	struct mp_float fp;
	struct mp_conf h;
	struct mp_intr want[2] = {
		{ MP_IOINTR, MP_INT, MP_FLAGS_HIGH_CONFORMS, MP_BUS_PCI, 2 << 2,
		  IOAPIC_ID, 10 },
		{ MP_IOINTR, MP_INT, MP_FLAGS_HIGH_CONFORMS, MP_BUS_PCI,
		  3 << 2 | 1, IOAPIC_ID, 11 },
	};
	unsigned pci = 0, isa = 0;

	memcpy(&fp, ram(find_mp(), sizeof(fp)), sizeof(fp));
	memcpy(&h, ram(fp.physaddr, sizeof(h)), sizeof(h));
	assert_int_equal(sum(ram(fp.physaddr, h.length), h.length), 0);
	const uint8_t *p = ram(fp.physaddr, h.length) + sizeof(h);
	const uint8_t *end = ram(fp.physaddr, h.length) + h.length;
	for (; p < end; p += *p == MP_PROC ? sizeof(struct mp_proc) : 8) {
		struct mp_intr e;

		if (*p != MP_IOINTR)
			continue;
		memcpy(&e, p, sizeof(e));
		if (e.src_bus == MP_BUS_PCI) {
			assert_true(pci < 2 && isa == 0);
			assert_memory_equal(&e, &want[pci], sizeof(e));
			pci++;
			continue;
		}
		assert_true(e.src_irq != 10 && e.src_irq != 11);
		isa++;
	}
	assert_int_equal(pci, 2);
	assert_int_equal(isa, 13);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
		T(test_bios_data_area),
		T(test_mp_tables),
		T(test_acpi_tables),
		T(test_mp_and_madt_agree),
		T(test_memory_map),
		cmocka_unit_test(test_memory_map_sizes),
		T(test_rebuilt_whole),
		T(test_pci_setup),
	};
	return cmocka_run_group_tests_name("firmware", tests, NULL, NULL);
}
