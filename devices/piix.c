/*
 * devices/piix.c - the PIIX3's ISA bridge and IDE functions
 * (devices/piix.h): their configuration spaces as QEMU resets them,
 * and BAR4, through which the guest reaches the IDE channels' bus-master
 * registers (devices/ide.c).
 */
#include <string.h>

#include "devices/piix.h"

/* BAR4: bytes 0-7 the primary channel's registers, 8-15 the secondary
 * channel's, which has no drives here: it reads as QEMU's empty
 * channel's registers do after reset (all zero but the unused bytes). */
static uint64_t bmiba_read(void *opaque, unsigned bar, uint64_t off,
			   unsigned size)
{
	struct piix3 *p = opaque;

	(void)bar;
	if (off + size > PIIX_BMIBA_SIZE)
		size = (unsigned)(PIIX_BMIBA_SIZE - off);
	if (off < BM_NPORTS && off + size <= BM_NPORTS)
		return ide_bmdma_io(p->ide0, (unsigned)off, size, true, 0);
	return off < BM_NPORTS ? (size >= 4 ? 0xffffffffu :
				  (1u << (8 * size)) - 1) :
	       ide_bmdma_io(&p->ide1, (unsigned)off - BM_NPORTS, size, true,
			    0);
}

static void bmiba_write(void *opaque, unsigned bar, uint64_t off,
			unsigned size, uint64_t val)
{
	struct piix3 *p = opaque;

	(void)bar;
	if (off + size > PIIX_BMIBA_SIZE)
		size = (unsigned)(PIIX_BMIBA_SIZE - off);
	if (off + size <= BM_NPORTS)
		ide_bmdma_io(p->ide0, (unsigned)off, size, false, (uint32_t)val);
	else if (off >= BM_NPORTS)
		ide_bmdma_io(&p->ide1, (unsigned)off - BM_NPORTS, size, false,
			     (uint32_t)val);
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

/* The subsystem IDs QEMU gives every function. */
static void subsystem(struct pci_device *d)
{
	put16(&d->config.cfg[PCI_SUBSYSTEM_VENDOR_ID],
	      PCI_SUBVENDOR_ID_REDHAT_QUMRANET);
	put16(&d->config.cfg[PCI_SUBSYSTEM_ID], PCI_SUBDEVICE_ID_QEMU);
}

/*
 * 00:01.0, as QEMU's piix3 reset leaves it: bus master, memory and I/O
 * on, DEVSEL medium, and every PIRQ not routed (bit 7) until the
 * firmware writes PIRQRC (firmware/pciinit.c).
 */
static void isa_bridge_init(struct pci_device *d)
{
	uint8_t *c = d->config.cfg;

	pci_device_init(d, PIIX3_PCI_DEV, PCI_VENDOR_ID_INTEL,
			PCI_DEVICE_ID_INTEL_82371SB_0, 0, PCI_CLASS_BRIDGE_ISA,
			0);
	c[PCI_HEADER_TYPE] = PCI_HEADER_TYPE_NORMAL | PCI_HEADER_TYPE_MULTI;
	put16(&c[PCI_COMMAND], PCI_COMMAND_IO | PCI_COMMAND_MEMORY |
			       PCI_COMMAND_MASTER);
	put16(&c[PCI_STATUS], PCI_STATUS_DEVSEL_MEDIUM);
	memset(&c[PIIX_PIRQRC], PIIX_PIRQRC_IRQEN, PCI_NUM_PIRQS);
	subsystem(d);
}

/*
 * 00:01.1, as QEMU's piix_ide reset leaves it: command 0, status
 * DEVSEL medium and fast back-to-back, BAR4 an unassigned I/O BAR of 16
 * bytes (reads 1), no interrupt pin (the channels use IRQ 14 and 15).
 */
static void ide_function_init(struct piix3 *p)
{
	struct pci_device *d = &p->ide;

	pci_device_init(d, PIIX3_PCI_DEV, PCI_VENDOR_ID_INTEL,
			PCI_DEVICE_ID_INTEL_82371SB_1, 0,
			PCI_CLASS_STORAGE_IDE_BM, 0);
	d->fn = 1;
	put16(&d->config.cfg[PCI_STATUS],
	      PCI_STATUS_DEVSEL_MEDIUM | PCI_STATUS_FAST_BACK);
	pci_device_add_io_bar(d, PIIX_BMIBA_BAR, PIIX_BMIBA_SIZE);
	subsystem(d);
	d->opaque = p;
	d->bar_read = bmiba_read;
	d->bar_write = bmiba_write;
}

void piix3_init(struct piix3 *p, struct ide_bus *ide0)
{
	memset(p, 0, sizeof(*p));
	p->ide0 = ide0;
	ide_init(&p->ide1);
	isa_bridge_init(&p->isa);
	ide_function_init(p);
}

int piix3_register(struct piix3 *p, struct pci_host *h)
{
	if (pci_device_register(h, &p->isa) < 0 ||
	    pci_device_register(h, &p->ide) < 0)
		return -1;
	return 0;
}
