/*
 * devices/pci.h - PCI configuration mechanism #1 and the i440FX host bridge.
 *
 * A PCI function has a 256-byte configuration space.  On a PC the CPU
 * reaches it through two I/O ports (PCI Local Bus Specification 3.0,
 * 3.2.2.3.2, "configuration mechanism #1"):
 *
 *   CONFIG_ADDRESS (0xcf8, 32-bit only):
 *    31   30..24   23..16  15..11   10..8    7..2     1..0
 *   +---+--------+-------+--------+-------+--------+-----+
 *   | E |reserved|  bus  | device | func. |register|  0  |
 *   +---+--------+-------+--------+-------+--------+-----+
 *   CONFIG_DATA (0xcfc-0xcff, byte, word or dword, aligned): the addressed dword of
 *   the function's space; port 0xcfc + k reaches byte k of it.
 *
 * With E clear, or for a function that is not there, a read gives all
 * ones (the bus master aborts) and a write vanishes; this is how software
 * enumerates the bus: vendor ID 0xffff means "nothing here".
 *
 * The functions sit in a table, each with a read and a write callback on
 * its configuration space, so that a device is added with one call to
 * pci_add_function() (the IDE controller, a NIC ...).  The host bridge at
 * 00:00.0 is QEMU's `pc` machine's: an Intel 82441FX (i440FX) PMC.
 */
#ifndef DEVICES_PCI_H
#define DEVICES_PCI_H

#include <stdbool.h>
#include <stdint.h>

#define PCI_CONFIG_ADDRESS 0xcf8
#define PCI_CONFIG_DATA 0xcfc
#define PCI_NPORTS 8                   /* 0xcf8 - 0xcff */
#define PCI_CONFIG_ENABLE 0x80000000u  /* E: CONFIG_DATA reaches a function */

/* The CONFIG_ADDRESS value that selects bus:dev.fn, register reg. */
#define PCI_ADDR(bus, dev, fn, reg) \
	(PCI_CONFIG_ENABLE | (uint32_t)(bus) << 16 | (uint32_t)(dev) << 11 | \
	 (uint32_t)(fn) << 8 | ((uint32_t)(reg) & 0xfc))

/* Configuration space header, type 0 (PCI 3.0, 6.1). */
#define PCI_VENDOR_ID 0x00      /* 16 bits */
#define PCI_DEVICE_ID 0x02      /* 16 bits */
#define PCI_COMMAND 0x04        /* 16 bits */
#define PCI_STATUS 0x06         /* 16 bits */
#define PCI_REVISION_ID 0x08
#define PCI_CLASS_PROG 0x09     /* programming interface */
#define PCI_CLASS_DEVICE 0x0a   /* 16 bits: sub-class, then base class */
#define PCI_CACHE_LINE_SIZE 0x0c
#define PCI_LATENCY_TIMER 0x0d
#define PCI_HEADER_TYPE 0x0e
#define PCI_SUBSYSTEM_VENDOR_ID 0x2c
#define PCI_SUBSYSTEM_ID 0x2e
#define PCI_INTERRUPT_LINE 0x3c
#define PCI_CONFIG_HEADER_SIZE 0x40
#define PCI_CONFIG_SPACE_SIZE 0x100

#define PCI_COMMAND_IO 0x0001
#define PCI_COMMAND_MEMORY 0x0002
#define PCI_COMMAND_MASTER 0x0004
#define PCI_COMMAND_SERR 0x0100
#define PCI_COMMAND_INTX_DISABLE 0x0400
#define PCI_HEADER_TYPE_NORMAL 0x00
#define PCI_CLASS_BRIDGE_HOST 0x0600

/* QEMU's i440FX and the subsystem IDs QEMU gives every function. */
#define PCI_VENDOR_ID_INTEL 0x8086
#define PCI_DEVICE_ID_INTEL_82441 0x1237
#define I440FX_REVISION 0x02
#define I440FX_SMRAM 0x72           /* SMRAM control */
#define I440FX_SMRAM_INIT 0x02      /* C_BASE_SEG: SMRAM at 0xa0000 */
#define PCI_SUBVENDOR_ID_REDHAT_QUMRANET 0x1af4
#define PCI_SUBDEVICE_ID_QEMU 0x1100

/*
 * One function's configuration space, as the bus sees it.  offset is the
 * byte offset in the space, size 1, 2 or 4, offset + size <= 256 (the
 * caller sees to it); values are little-endian.
 */
struct pci_function {
	uint8_t bus, dev, fn; /* its address */
	void *opaque;         /* the device's state, for the callbacks */
	uint32_t (*cfg_read)(void *opaque, unsigned offset, unsigned size);
	void (*cfg_write)(void *opaque, unsigned offset, unsigned size,
			  uint32_t val);
};

/* A configuration space kept as bytes, with QEMU's write mask: a bit set
 * in wmask is one the guest may change. */
struct pci_config {
	uint8_t cfg[PCI_CONFIG_SPACE_SIZE];   /* the registers */
	uint8_t wmask[PCI_CONFIG_SPACE_SIZE]; /* writable bits */
};

#define PCI_MAX_FUNCTIONS 16

struct pci_host {
	uint32_t config_address;  /* CONFIG_ADDRESS as last written */
	struct pci_function fn[PCI_MAX_FUNCTIONS]; /* the functions present */
	unsigned nfn;             /* entries used in fn[] */
	struct pci_config i440fx; /* the host bridge's space, 00:00.0 */
};

/* Reset: CONFIG_ADDRESS 0, only the host bridge at 00:00.0. */
void pci_init(struct pci_host *h);

/* Put a function on the bus.  Returns 0, or -1 when the table is full or
 * bus:dev.fn is taken. */
int pci_add_function(struct pci_host *h, const struct pci_function *f);

/*
 * One access to port (0xcf8..0xcff) of size 1, 2 or 4.  Returns what an
 * in reads (the low size bytes count); for an out, val is the value.
 */
uint32_t pci_io_read(struct pci_host *h, uint16_t port, unsigned size);
void pci_io_write(struct pci_host *h, uint16_t port, unsigned size,
		  uint32_t val);

/* Callbacks for a struct pci_config, for devices that keep their space as
 * bytes with a write mask (opaque is the struct pci_config). */
uint32_t pci_config_read(void *opaque, unsigned offset, unsigned size);
void pci_config_write(void *opaque, unsigned offset, unsigned size,
		      uint32_t val);

#endif /* DEVICES_PCI_H */
