/*
 * firmware/pciinit.h - the PCI set-up a BIOS does before it boots a
 * kernel: BARs placed, memory decoding on, interrupt lines written
 * (firmware/pciinit.c follows SeaBIOS's pciinit.c on QEMU's pc).
 */
#ifndef FIRMWARE_PCIINIT_H
#define FIRMWARE_PCIINIT_H

#include <stdint.h>

#include "core/guest_mem.h"
#include "devices/ioapic.h"
#include "devices/pci.h"

/* The 32-bit PCI memory window: BARs go top down from its end (the
 * IOAPIC, SeaBIOS's BUILD_PCIMEM_END), never into RAM. */
#define FW_PCI_MEM_END IOAPIC_BASE
#define FW_PCI_MEM_START GM_LOW_MAX

/*
 * Place every memory BAR of bus 0, write each function's interrupt
 * line, and enable I/O space, memory space and SERR#, all through
 * configuration mechanism #1.
 */
void firmware_pci_init(struct pci_host *h);

/* One INTx# pin of a device on bus 0 and the IRQ its line says. */
struct fw_pci_intx {
	uint8_t dev, pin, irq; /* pin 1-4: INTA#-INTD# */
};
#define FW_PCI_MAX_INTX 32

/*
 * The interrupt pins of bus 0, each pin of a device once, in the order
 * of the bus (SeaBIOS's mptable.c lists them so); returns how many.
 */
unsigned firmware_pci_intx(struct pci_host *h,
			   struct fw_pci_intx out[FW_PCI_MAX_INTX]);

#endif /* FIRMWARE_PCIINIT_H */
