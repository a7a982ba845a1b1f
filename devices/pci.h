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
#define PCI_BASE_ADDRESS_0 0x10  /* six 32-bit BARs, 0x10-0x27 */
#define PCI_SUBSYSTEM_VENDOR_ID 0x2c
#define PCI_SUBSYSTEM_ID 0x2e
#define PCI_CAPABILITY_LIST 0x34 /* offset of the first capability */
#define PCI_INTERRUPT_LINE 0x3c
#define PCI_INTERRUPT_PIN 0x3d   /* 0 none, 1-4 INTA#-INTD# */
#define PCI_CONFIG_HEADER_SIZE 0x40
#define PCI_CONFIG_SPACE_SIZE 0x100

#define PCI_COMMAND_IO 0x0001
#define PCI_COMMAND_MEMORY 0x0002
#define PCI_COMMAND_MASTER 0x0004
#define PCI_COMMAND_SERR 0x0100
#define PCI_COMMAND_INTX_DISABLE 0x0400
#define PCI_STATUS_INTERRUPT 0x0008 /* INTx# asserted (PCI 2.3 and up) */
#define PCI_STATUS_CAP_LIST 0x0010  /* a capability list at 0x34 */
#define PCI_HEADER_TYPE_NORMAL 0x00

/* Base address registers (PCI 3.0, 6.2.5.1).  Bit 0: I/O space; for
 * memory, bits 2-1 the type (00 32-bit, 10 64-bit) and bit 3 prefetchable;
 * the address bits above the size are writable, the rest read as 0. */
#define PCI_NUM_BARS 6
#define PCI_BAR_SPACE_IO 0x01
#define PCI_BAR_MEM_TYPE_64 0x04
#define PCI_BAR_MEM_PREFETCH 0x08
#define PCI_BAR_MEM_MASK 0x0f       /* the bits that are not address */
#define PCI_BAR_MIN_SIZE 16         /* a memory BAR's smallest size */
#define PCI_BAR_IO_MASK 0x03        /* an I/O BAR's bits that are not address */
#define PCI_HEADER_TYPE_MULTI 0x80  /* bit 7: the device has functions 1-7 */

/* Capabilities (PCI 3.0, 6.7): a list of [ID, next] headers from 0x40. */
#define PCI_CAP_ID_VNDR 0x09        /* vendor specific */
#define PCI_CAP_LIST_ID 0
#define PCI_CAP_LIST_NEXT 1
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

/*
 * A type 0 function on bus 0 (function 0 of its device) with memory BARs,
 * capabilities and an interrupt pin: what a PCI card is.  Its device
 * fills config (IDs, class) with pci_device_init(), declares its BARs
 * and capabilities, and gives the callbacks for the accesses that land
 * in its BARs.  Sizing a BAR needs nothing more than the write mask:
 * the bits below the size are not writable, so after the guest writes
 * all ones it reads back ~(size - 1) and the type bits.
 */
struct pci_device {
	struct pci_config config;      /* its space and write mask */
	uint8_t dev;                   /* its device number on bus 0 */
	uint8_t fn;                    /* its function number (0-7) */
	uint64_t bar_size[PCI_NUM_BARS]; /* 0: no BAR there (or a 64-bit
					  * BAR's upper half) */
	unsigned cap_end;              /* where the next capability goes */
	bool intx;                     /* INTx# as the device drives it */
	void *opaque;                  /* the device, for the callbacks */
	/* An access of size 1, 2, 4 or 8 at offset off of BAR bar: off is
	 * inside the BAR, off + size may pass its end. */
	uint64_t (*bar_read)(void *opaque, unsigned bar, uint64_t off,
			     unsigned size);
	void (*bar_write)(void *opaque, unsigned bar, uint64_t off,
			  unsigned size, uint64_t val);
	/* Optional: the guest is about to read, or has written, bytes
	 * [offset, offset + size) of the space (a window register). */
	void (*cfg_reading)(void *opaque, unsigned offset, unsigned size);
	void (*cfg_written)(void *opaque, unsigned offset, unsigned size);
	struct pci_host *host;         /* set when put on the bus */
};

#define PCI_MAX_FUNCTIONS 16
#define PCI_MAX_SLOTS 32        /* devices on a bus */
#define PCI_MAX_DEVICES 8

/* PCI interrupts on QEMU's pc: PIRQA#-PIRQD# of the PIIX3. */
#define PCI_NUM_PIRQS 4

struct pci_host {
	uint32_t config_address;  /* CONFIG_ADDRESS as last written */
	struct pci_function fn[PCI_MAX_FUNCTIONS]; /* the functions present */
	unsigned nfn;             /* entries used in fn[] */
	struct pci_config i440fx; /* the host bridge's space, 00:00.0 */
	struct pci_device *dev[PCI_MAX_DEVICES]; /* the cards on the bus */
	unsigned ndev;
	uint8_t pirq_irq[PCI_NUM_PIRQS]; /* the IRQ each PIRQ is routed to */
	bool irq_level[16];       /* what the bus drives on each IRQ */
	/* An IRQ line's level changed (the machine wires it to the 8259A
	 * and the IOAPIC); NULL: nobody listens. */
	void (*set_irq)(void *opaque, unsigned irq, bool level);
	void *irq_opaque;
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

/*
 * Cards with BARs.  pci_device_init(): an empty type 0 space with the
 * IDs, class and interrupt pin (0-4) given, the standard write mask.
 * pci_device_add_bar(): memory BAR bar of size bytes (a power of two, at
 * least 16); a 64-bit one takes bar and bar + 1.  pci_device_add_cap():
 * a capability of len bytes (its ID and next bytes included), linked at
 * the head of the list (QEMU's order); returns its offset, or 0 when
 * the space is full.
 * Its bytes are read-only to the guest until the device sets wmask.
 * pci_device_register(): put the card at 00:dev.0; 0, or -1.
 */
void pci_device_init(struct pci_device *d, uint8_t dev, uint16_t vendor,
		     uint16_t device, uint8_t revision, uint32_t class_code,
		     uint8_t int_pin);
void pci_device_add_bar(struct pci_device *d, unsigned bar, uint64_t size,
			bool is64, bool prefetch);
unsigned pci_device_add_cap(struct pci_device *d, uint8_t id, unsigned len);
int pci_device_register(struct pci_host *h, struct pci_device *d);

/* The guest-physical address BAR bar of d decodes, or 0 when it decodes
 * nothing: memory space off, no BAR, or an address PCI cannot use (0, or
 * one whose end passes the top of its 32- or 64-bit space). */
uint64_t pci_bar_address(const struct pci_device *d, unsigned bar);

/*
 * An I/O BAR (PCI 3.0, 6.2.5.1: bit 0 set, bits 1:0 not address) of
 * size bytes, a power of two from 4 to 256.  It decodes while the
 * Command register's I/O Space bit is set, at the port the firmware
 * wrote; pci_io_bar finds the card whose I/O BAR holds port and makes
 * the access (size 1, 2 or 4), returning false when none does.
 */
void pci_device_add_io_bar(struct pci_device *d, unsigned bar, uint32_t size);
bool pci_io_bar(struct pci_host *h, uint16_t port, unsigned size, bool write,
		uint32_t *data);

/*
 * A memory access that no RAM and no chip answered: the card whose
 * enabled BAR holds gpa takes it.  Returns false when none does.
 */
bool pci_mmio(struct pci_host *h, uint64_t gpa, unsigned size, bool write,
	      uint64_t *data);

/*
 * The card drives its INTx# pin.  PIRQ = (pin - 1 + dev - 1) mod 4 (QEMU's
 * pc_piix slot swizzle), and the PIRQ reaches IRQ pirq_irq[PIRQ] (what
 * the PIIX3's PIRQRC registers hold after SeaBIOS: 10, 10, 11, 11) unless
 * the command register's Interrupt Disable bit is set.  Lines are shared:
 * an IRQ is high while any PIRQ routed to it is.
 */
void pci_set_intx(struct pci_device *d, bool level);
/* The PIRQ (0-3 for A-D) that pin (1-4) of device dev reaches, that card
 * d's pin reaches, and the IRQ the PIIX3 routes the first to. */
unsigned pci_slot_pirq(unsigned dev, unsigned pin);
unsigned pci_device_pirq(const struct pci_device *d);
uint8_t pci_pirq_irq(const struct pci_host *h, unsigned dev, unsigned pin);

/* Callbacks for a struct pci_config, for devices that keep their space as
 * bytes with a write mask (opaque is the struct pci_config). */
uint32_t pci_config_read(void *opaque, unsigned offset, unsigned size);
void pci_config_write(void *opaque, unsigned offset, unsigned size,
		      uint32_t val);

#endif /* DEVICES_PCI_H */
