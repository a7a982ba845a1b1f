/*
 * firmware/mptable.c - the MP floating pointer and configuration table
 * (Intel MultiProcessor Specification 1.4; layouts in firmware/mptable.h).
 *
 * The entries follow SeaBIOS's for QEMU's pc machine (one CPU):
 *
 *   processor   LAPIC ID 0, version 0x14, enabled, the bootstrap CPU
 *   buses       0 "PCI", 1 "ISA"
 *   I/O APIC    ID 0, version 0x11, enabled, at 0xfec00000
 *   I/O intr    ISA IRQ n -> INTIN n, but IRQ 0 (the PIT) -> INTIN 2;
 *               IRQ 2 (the 8259A cascade, never raised) has no entry,
 *               as its pin is IRQ 0's; the others the ISA bus's
 *               default, edge and active high, except IRQs 5, 9, 10
 *               and 11: level, active high, as the MADT says of them
 *   local intr  ExtINT (the 8259A pair) on LINT0 of LAPIC 0, NMI on
 *               LINT1 of every LAPIC
 *
 *   PCI intr    before the ISA ones, as SeaBIOS: each interrupt pin of
 *               a device on bus 0, once per device and pin, source bus
 *               0 ("PCI"), source IRQ (device << 2) | (pin - 1), flags
 *               1 (active high, trigger as the bus: level), to the
 *               INTIN of the IRQ the firmware wrote in the function's
 *               interrupt line (firmware/pciinit.c).  Active high, not
 *               PCI's electrical active low, because the PIIX's PIRQ
 *               router hands the IRQ lines on asserted high, as QEMU's
 *               DSDT says of its link devices (Level, ActiveHigh) and
 *               SeaBIOS writes it (guests/pciirq reads it on both)
 *
 * One difference: SeaBIOS leaves IRQs 5, 9, 10 and 11 out of the ISA
 * entries whether or not a PCI pin reaches them.  On QEMU the PIIX4's
 * power management function has a pin routed to IRQ 9, the ACPI SCI;
 * trapvisor has no such function on its bus, so that would leave the
 * SCI with no route at all.  Here an ISA entry is left out only for an
 * IRQ that a PCI entry routes, so that every IRQ has one story.
 *
 * Both checksums make their structures sum to zero.  IMCRP is clear: the
 * machine comes up in virtual wire mode (the 8259A's INTR reaches the
 * LAPIC's LINT0), so a kernel need not touch the IMCR (ports 0x22/0x23).
 */
#include <string.h>

#include "core/guest_mem.h"
#include "core/panic.h"
#include "devices/devices.h"
#include "devices/ioapic.h"
#include "devices/lapic.h"
#include "firmware/firmware.h"
#include "firmware/mptable.h"
#include "firmware/pciinit.h"

/* The configuration table as it is built, entry by entry. */
struct mp_builder {
	uint8_t buf[MP_CONF_MAX];
	unsigned len;
	uint16_t entries;
};

static void add(struct mp_builder *b, const void *entry, unsigned len)
{
	if (b->len + len > sizeof(b->buf))
		panic("mptable: more than %u bytes of entries", MP_CONF_MAX);
	memcpy(b->buf + b->len, entry, len);
	b->len += len;
	b->entries++;
}

static void add_bus(struct mp_builder *b, uint8_t id, const char *type)
{
	struct mp_bus e = { .type = MP_BUS, .bus_id = id };

	memcpy(e.bus_type, type, sizeof(e.bus_type));
	add(b, &e, sizeof(e));
}

/* The PCI pins (firmware/pciinit.h); returns the mask of their IRQs. */
static unsigned add_pci_irqs(struct mp_builder *b, struct pci_host *pci)
{
	struct fw_pci_intx in[FW_PCI_MAX_INTX];
	unsigned n = pci ? firmware_pci_intx(pci, in) : 0, irqs = 0;

	for (unsigned i = 0; i < n; i++) {
		struct mp_intr e = {
			.type = MP_IOINTR, .irq_type = MP_INT,
			.flags = MP_FLAGS_HIGH_CONFORMS, .src_bus = MP_BUS_PCI,
			.src_irq = (uint8_t)(in[i].dev << 2 | (in[i].pin - 1)),
			.dst_apic = IOAPIC_ID, .dst_pin = in[i].irq,
		};

		add(b, &e, sizeof(e));
		irqs |= 1u << (in[i].irq & 15);
	}
	return irqs;
}

/* The I/O interrupt assignments of the ISA IRQs but those in pci_irqs. */
static void add_isa_irqs(struct mp_builder *b, unsigned pci_irqs)
{
	for (uint8_t irq = 0; irq < 16; irq++) {
		struct mp_intr e = {
			.type = MP_IOINTR, .irq_type = MP_INT,
			.flags = (FW_PCI_IRQS >> irq) & 1 ?
				 MP_FLAGS_HIGH_LEVEL : MP_FLAGS_CONFORMS,
			.src_bus = MP_BUS_ISA, .src_irq = irq,
			.dst_apic = IOAPIC_ID,
			.dst_pin = irq == IRQ_TIMER ? 2 : irq,
		};

		if (irq != 2 && !((FW_PCI_IRQS & pci_irqs) >> irq & 1))
			add(b, &e, sizeof(e));
	}
}

unsigned mptable_build(struct guest_mem *mem, uint64_t float_gpa,
		       uint64_t conf_gpa, const struct fw_cpu *cpu,
		       struct pci_host *pci)
{
	struct mp_builder b;
	struct mp_conf *h = (struct mp_conf *)b.buf;
	struct mp_proc proc = {
		.type = MP_PROC, .lapic_id = LAPIC_ID_BSP,
		.lapic_version = (uint8_t)LAPIC_VERSION,
		.cpu_flags = MP_CPU_EN | MP_CPU_BP,
		.signature = cpu->signature, .features = cpu->features,
	};
	struct mp_ioapic ioapic = {
		.type = MP_IOAPIC, .id = IOAPIC_ID,
		.version = FW_MP_IOAPIC_VERSION, .flags = MP_IOAPIC_EN,
		.addr = IOAPIC_BASE,
	};
	struct mp_intr extint = {
		.type = MP_LINTR, .irq_type = MP_EXTINT,
		.src_bus = MP_BUS_ISA, .src_irq = 0,
		.dst_apic = LAPIC_ID_BSP, .dst_pin = 0,
	};
	struct mp_intr nmi = {
		.type = MP_LINTR, .irq_type = MP_NMI,
		.src_bus = MP_BUS_ISA, .src_irq = 0,
		.dst_apic = 0xff, .dst_pin = 1,
	};
	struct mp_float fp = {
		.physaddr = (uint32_t)conf_gpa,
		.length = sizeof(fp) / 16, .spec_rev = MP_SPEC_REV,
	};

	memset(&b, 0, sizeof(b));
	b.len = sizeof(*h);
	add(&b, &proc, sizeof(proc));
	add_bus(&b, MP_BUS_PCI, "PCI   ");
	add_bus(&b, MP_BUS_ISA, "ISA   ");
	add(&b, &ioapic, sizeof(ioapic));
	add_isa_irqs(&b, add_pci_irqs(&b, pci));
	add(&b, &extint, sizeof(extint));
	add(&b, &nmi, sizeof(nmi));

	memcpy(fp.signature, MP_FLOAT_SIGNATURE, 4);
	memcpy(h->signature, MP_CONF_SIGNATURE, 4);
	h->length = (uint16_t)b.len;
	h->spec_rev = MP_SPEC_REV;
	memcpy(h->oem_id, "TRAPVSR ", sizeof(h->oem_id));
	memcpy(h->product_id, "0.1         ", sizeof(h->product_id));
	h->entry_count = b.entries;
	h->lapic_addr = LAPIC_DEFAULT_BASE;
	h->checksum = firmware_checksum(b.buf, b.len);
	fp.checksum = firmware_checksum(&fp, sizeof(fp));

	if (gm_write(mem, conf_gpa, b.buf, b.len) < 0 ||
	    gm_write(mem, float_gpa, &fp, sizeof(fp)) < 0)
		panic("mptable: no RAM at %#llx", (unsigned long long)conf_gpa);
	return b.len;
}
