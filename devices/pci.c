/*
 * devices/pci.c - configuration mechanism #1 and the i440FX host bridge
 * (devices/pci.h), as QEMU's `pc` machine has them (hw/pci/pci_host.c,
 * hw/pci-host/i440fx.c).
 *
 * What QEMU does and this file copies:
 *   - CONFIG_ADDRESS takes only a 32-bit write at 0xcf8; any read of
 *     0xcf8-0xcfb gives the register as written (the low bytes for a
 *     narrower access);
 *   - the low two bits of the data port select the byte in the dword; an
 *     access that is not aligned to its size (a word at 0xcfd, a dword
 *     anywhere but 0xcfc) is not valid on QEMU's bus: it reads 0 and its
 *     write is dropped;
 *   - outside the configuration header (0x40 and up) every byte is
 *     writable, as QEMU's default write mask makes it; in the header of a
 *     type 0 function only the command register, the cache line size and
 *     the interrupt line are.
 * Left out: the i440FX's registers only do something in QEMU when they
 * move memory (PAM, SMRAM): here they are plain bytes.  The PIIX3 reset
 * control register at byte port 0xcf9 is not modelled (the i8042 pulse
 * resets the machine).
 */
#include <string.h>

#include "devices/pci.h"

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

/* The i440FX's power-on configuration space and write mask. */
static void i440fx_init(struct pci_config *c)
{
	memset(c, 0, sizeof(*c));
	put16(&c->cfg[PCI_VENDOR_ID], PCI_VENDOR_ID_INTEL);
	put16(&c->cfg[PCI_DEVICE_ID], PCI_DEVICE_ID_INTEL_82441);
	c->cfg[PCI_REVISION_ID] = I440FX_REVISION;
	put16(&c->cfg[PCI_CLASS_DEVICE], PCI_CLASS_BRIDGE_HOST);
	c->cfg[PCI_HEADER_TYPE] = PCI_HEADER_TYPE_NORMAL;
	c->cfg[I440FX_SMRAM] = I440FX_SMRAM_INIT;
	put16(&c->cfg[PCI_SUBSYSTEM_VENDOR_ID], PCI_SUBVENDOR_ID_REDHAT_QUMRANET);
	put16(&c->cfg[PCI_SUBSYSTEM_ID], PCI_SUBDEVICE_ID_QEMU);
	put16(&c->wmask[PCI_COMMAND],
	      PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER |
	      PCI_COMMAND_SERR | PCI_COMMAND_INTX_DISABLE);
	c->wmask[PCI_CACHE_LINE_SIZE] = 0xff;
	c->wmask[PCI_INTERRUPT_LINE] = 0xff;
	memset(&c->wmask[PCI_CONFIG_HEADER_SIZE], 0xff,
	       PCI_CONFIG_SPACE_SIZE - PCI_CONFIG_HEADER_SIZE);
}

uint32_t pci_config_read(void *opaque, unsigned offset, unsigned size)
{
	const struct pci_config *c = opaque;
	uint32_t v = 0;

	for (unsigned i = 0; i < size; i++)
		v |= (uint32_t)c->cfg[offset + i] << (8 * i);
	return v;
}

void pci_config_write(void *opaque, unsigned offset, unsigned size,
		      uint32_t val)
{
	struct pci_config *c = opaque;

	for (unsigned i = 0; i < size; i++) {
		uint8_t m = c->wmask[offset + i], b = (uint8_t)(val >> (8 * i));
		c->cfg[offset + i] = (uint8_t)((c->cfg[offset + i] & ~m) | (b & m));
	}
}

void pci_init(struct pci_host *h)
{
	memset(h, 0, sizeof(*h));
	i440fx_init(&h->i440fx);
	pci_add_function(h, &(struct pci_function){
		.bus = 0, .dev = 0, .fn = 0, .opaque = &h->i440fx,
		.cfg_read = pci_config_read, .cfg_write = pci_config_write });
}

/* The function at bus:dev.fn, or NULL. */
static struct pci_function *find(struct pci_host *h, unsigned bus,
				 unsigned dev, unsigned fn)
{
	for (unsigned i = 0; i < h->nfn; i++)
		if (h->fn[i].bus == bus && h->fn[i].dev == dev &&
		    h->fn[i].fn == fn)
			return &h->fn[i];
	return NULL;
}

int pci_add_function(struct pci_host *h, const struct pci_function *f)
{
	if (h->nfn == PCI_MAX_FUNCTIONS || f->dev > 31 || f->fn > 7 ||
	    find(h, f->bus, f->dev, f->fn))
		return -1;
	h->fn[h->nfn++] = *f;
	return 0;
}

/*
 * The function and byte offset that a data-port access reaches, or NULL
 * (E clear, nobody there).  *size is cut so that the access stays inside
 * the 256-byte space.
 */
static struct pci_function *target(struct pci_host *h, uint16_t port,
				   unsigned *offset, unsigned *size)
{
	uint32_t a = h->config_address;

	if (!(a & PCI_CONFIG_ENABLE))
		return NULL;
	*offset = (a & 0xfc) + (port - PCI_CONFIG_DATA);
	if (*offset + *size > PCI_CONFIG_SPACE_SIZE)
		*size = PCI_CONFIG_SPACE_SIZE - *offset;
	return find(h, (a >> 16) & 0xff, (a >> 11) & 0x1f, (a >> 8) & 7);
}

static uint32_t ones(unsigned size)
{
	return size >= 4 ? 0xffffffffu : (1u << (8 * size)) - 1;
}

uint32_t pci_io_read(struct pci_host *h, uint16_t port, unsigned size)
{
	unsigned offset, n = size;
	struct pci_function *f;

	if (port < PCI_CONFIG_DATA) /* CONFIG_ADDRESS, as QEMU reads it */
		return h->config_address & ones(size);
	if ((port - PCI_CONFIG_DATA) & (size - 1))
		return 0; /* unaligned: not valid (see above) */
	f = target(h, port, &offset, &n);
	if (!f)
		return ones(size);
	return f->cfg_read(f->opaque, offset, n) | (ones(size) & ~ones(n));
}

void pci_io_write(struct pci_host *h, uint16_t port, unsigned size,
		  uint32_t val)
{
	unsigned offset, n = size;
	struct pci_function *f;

	if (port < PCI_CONFIG_DATA) {
		if (port == PCI_CONFIG_ADDRESS && size == 4)
			h->config_address = val;
		return;
	}
	if ((port - PCI_CONFIG_DATA) & (size - 1))
		return; /* unaligned: not valid */
	f = target(h, port, &offset, &n);
	if (f)
		f->cfg_write(f->opaque, offset, n, val & ones(n));
}
