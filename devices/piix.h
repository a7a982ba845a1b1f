/*
 * devices/piix.h - the PIIX3's two PCI functions on QEMU's pc: the
 * PCI-to-ISA bridge at 00:01.0 and the IDE controller at 00:01.1.
 *
 * On a real PC the PIIX3 is the south bridge: the 8259As, the 8254, the
 * RTC, the DMA controllers and the IDE channels all sit behind it.
 * trapvisor emulates those chips one per file (devices/i8259.c ...);
 * what the guest sees of the PIIX3 itself is its configuration spaces:
 *
 *   00:01.0  8086:7000  class 0601 (ISA bridge), header type 0x80
 *            (multi-function: function 1 is there too), PIRQRC[A-D] at
 *            0x60-0x63, the PCI-interrupt routing the firmware writes;
 *   00:01.1  8086:7010  class 0101 prog-if 0x80 (IDE, both channels in
 *            legacy mode at 0x1f0/0x170, bus mastering supported),
 *            BAR4 a 16-byte I/O BAR: the bus-master IDE registers
 *            (SFF-8038i), 8 bytes per channel.
 *
 * Values as QEMU's hw/isa/piix.c and hw/ide/piix.c reset them, so that
 * a guest reads the same on both machines.  The bus-master registers
 * themselves (devices/ide.h's struct ide_bmdma) are the IDE channel's.
 */
#ifndef DEVICES_PIIX_H
#define DEVICES_PIIX_H

#include "devices/ide.h"
#include "devices/pci.h"

#define PIIX3_PCI_DEV 1
#define PCI_DEVICE_ID_INTEL_82371SB_0 0x7000 /* PIIX3 ISA bridge */
#define PCI_DEVICE_ID_INTEL_82371SB_1 0x7010 /* PIIX3 IDE */
#define PCI_CLASS_BRIDGE_ISA 0x060100
#define PCI_CLASS_STORAGE_IDE_BM 0x010180 /* prog-if 0x80: bus master */
#define PCI_STATUS_FAST_BACK 0x0080
#define PCI_STATUS_DEVSEL_MEDIUM 0x0200
#define PIIX_PIRQRC 0x60      /* PIRQRC[A-D]: 0x60-0x63 */
#define PIIX_PIRQRC_IRQEN 0x80 /* bit 7 set: that PIRQ is not routed */
#define PIIX_IDETIM_PRI 0x40  /* IDE timing, primary channel (16 bits) */
#define PIIX_IDETIM_SEC 0x42  /* IDE timing, secondary channel */
#define PIIX_IDETIM_IDE 0x8000 /* IDE decode enable */
#define PIIX_BMIBA_BAR 4      /* the bus-master I/O base: BAR4 */
#define PIIX_BMIBA_SIZE 16

struct piix3 {
	struct pci_device isa;  /* 00:01.0 */
	struct pci_device ide;  /* 00:01.1 */
	struct ide_bus *ide0;   /* the primary channel, for its registers */
	struct ide_bus ide1;    /* the secondary channel: no drives, only
				   its bus-master registers answer */
};

/* Power-on state of both functions; ide0 answers BAR4's first 8 bytes. */
void piix3_init(struct piix3 *p, struct ide_bus *ide0);

/* Put both functions on the bus: 0, or -1 when 00:01 is taken. */
int piix3_register(struct piix3 *p, struct pci_host *h);

#endif /* DEVICES_PIIX_H */
