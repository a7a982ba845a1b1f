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
 *
 * Cards (struct pci_device, the second half of this file) are type 0
 * functions on bus 0 with memory BARs, a capability list and INTx#, as
 * QEMU's hw/pci/pci.c makes them:
 *   - a BAR is sized by its write mask alone: the guest writes all ones
 *     and reads back ~(size - 1) with the type bits (PCI 3.0, 6.2.5.1);
 *   - a BAR decodes only while the command register's Memory Space bit
 *     is set and its address is usable (QEMU's pci_bar_address: not 0,
 *     and its last byte inside the 32-bit space for a 32-bit BAR, so
 *     that the all-ones pattern of sizing maps nothing); where it
 *     overlaps RAM or a chip, those win (devices_mmio() asks the BARs
 *     last);
 *   - INTx# goes through QEMU's pc swizzle (PIRQ = pin - 1 + slot - 1,
 *     mod 4, hw/i386/pc_piix.c) to the IRQ the PIIX3 routes that PIRQ
 *     to.  The PIIX3 itself (00:01.0, its PIRQRC registers at 0x60-0x63)
 *     is not on this bus yet: the routes are fixed at what SeaBIOS
 *     programs there on QEMU (10, 10, 11, 11).  No BIOS runs here, so
 *     nothing fills the Interrupt Line register at boot: a guest works
 *     the IRQ out from the slot and pin as above.
 * Left out: I/O BARs, expansion ROMs, bus mastering checks (a card
 * reaches guest RAM whatever bit 2 says), MSI, status bits that clear on
 * a write of 1 (no card signals an abort).
 */
#include <string.h>

#include "devices/pci.h"

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

/*
 * What software may write in every type 0 header, as QEMU's
 * pci_init_wmask: the command register's enables, the cache line size,
 * the interrupt line, and all of the space above the header (a
 * function narrows that to its own registers).
 */
static void header_wmask(struct pci_config *c)
{
	put16(&c->wmask[PCI_COMMAND],
	      PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER |
	      PCI_COMMAND_SERR | PCI_COMMAND_INTX_DISABLE);
	c->wmask[PCI_CACHE_LINE_SIZE] = 0xff;
	c->wmask[PCI_INTERRUPT_LINE] = 0xff;
	memset(&c->wmask[PCI_CONFIG_HEADER_SIZE], 0xff,
	       PCI_CONFIG_SPACE_SIZE - PCI_CONFIG_HEADER_SIZE);
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
	header_wmask(c);
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

/* What SeaBIOS writes to the PIIX3's PIRQRC[A-D] on QEMU's pc. */
static const uint8_t seabios_pirq_irq[PCI_NUM_PIRQS] = { 10, 10, 11, 11 };

void pci_init(struct pci_host *h)
{
	memset(h, 0, sizeof(*h));
	memcpy(h->pirq_irq, seabios_pirq_irq, sizeof(h->pirq_irq));
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

/* ------------------------------------------------------------------
 * Cards: type 0 functions with BARs, capabilities and INTx#.
 */
static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)v);
	put16(p + 2, (uint16_t)(v >> 16));
}

void pci_device_init(struct pci_device *d, uint8_t dev, uint16_t vendor,
		     uint16_t device, uint8_t revision, uint32_t class_code,
		     uint8_t int_pin)
{
	struct pci_config *c = &d->config;

	memset(d, 0, sizeof(*d));
	d->dev = dev;
	put16(&c->cfg[PCI_VENDOR_ID], vendor);
	put16(&c->cfg[PCI_DEVICE_ID], device);
	c->cfg[PCI_REVISION_ID] = revision;
	c->cfg[PCI_CLASS_PROG] = (uint8_t)class_code;
	put16(&c->cfg[PCI_CLASS_DEVICE], (uint16_t)(class_code >> 8));
	c->cfg[PCI_HEADER_TYPE] = PCI_HEADER_TYPE_NORMAL;
	c->cfg[PCI_INTERRUPT_PIN] = int_pin;
	header_wmask(c);
	d->cap_end = PCI_CONFIG_HEADER_SIZE;
}

/*
 * The type bits go in the BAR, the address bits above the size in the
 * write mask; a 64-bit BAR's upper dword is all address.
 */
void pci_device_add_bar(struct pci_device *d, unsigned bar, uint64_t size,
			bool is64, bool prefetch)
{
	uint8_t *reg = &d->config.cfg[PCI_BASE_ADDRESS_0 + 4 * bar];
	uint8_t *mask = &d->config.wmask[PCI_BASE_ADDRESS_0 + 4 * bar];
	uint64_t m = ~(size - 1);

	d->bar_size[bar] = size;
	put32(reg, (is64 ? PCI_BAR_MEM_TYPE_64 : 0) |
		   (prefetch ? PCI_BAR_MEM_PREFETCH : 0));
	put32(mask, (uint32_t)m & ~(uint32_t)PCI_BAR_MEM_MASK);
	if (is64)
		put32(mask + 4, (uint32_t)(m >> 32));
}

unsigned pci_device_add_cap(struct pci_device *d, uint8_t id, unsigned len)
{
	struct pci_config *c = &d->config;
	unsigned at = (d->cap_end + 3u) & ~3u;

	if (len < 2 || at + len > PCI_CONFIG_SPACE_SIZE)
		return 0;
	/* Link it at the head of the list, as QEMU's pci_add_capability
	 * does: a guest walks them newest first on both machines. */
	c->cfg[at + PCI_CAP_LIST_ID] = id;
	c->cfg[at + PCI_CAP_LIST_NEXT] = c->cfg[PCI_CAPABILITY_LIST];
	c->cfg[PCI_CAPABILITY_LIST] = (uint8_t)at;
	memset(&c->wmask[at], 0, len);
	put16(&c->cfg[PCI_STATUS],
	      get16(&c->cfg[PCI_STATUS]) | PCI_STATUS_CAP_LIST);
	d->cap_end = at + len;
	return at;
}

void pci_device_add_io_bar(struct pci_device *d, unsigned bar, uint32_t size)
{
	d->bar_size[bar] = size;
	put32(&d->config.cfg[PCI_BASE_ADDRESS_0 + 4 * bar], PCI_BAR_SPACE_IO);
	put32(&d->config.wmask[PCI_BASE_ADDRESS_0 + 4 * bar],
	      ~(size - 1) & ~(uint32_t)PCI_BAR_IO_MASK);
}

static bool bar_is_io(const struct pci_device *d, unsigned bar)
{
	return d->config.cfg[PCI_BASE_ADDRESS_0 + 4 * bar] & PCI_BAR_SPACE_IO;
}

/* The port an I/O BAR decodes, or 0: I/O Space off, unset, or past
 * 0xffff (x86 has 64 KiB of ports; QEMU's pci_bar_address likewise). */
static uint32_t io_bar_address(const struct pci_device *d, unsigned bar)
{
	uint32_t base = get32(&d->config.cfg[PCI_BASE_ADDRESS_0 + 4 * bar]) &
			~(uint32_t)PCI_BAR_IO_MASK;

	if (!(get16(&d->config.cfg[PCI_COMMAND]) & PCI_COMMAND_IO) ||
	    base == 0 || base + d->bar_size[bar] > 0x10000)
		return 0;
	return base;
}

uint64_t pci_bar_address(const struct pci_device *d, unsigned bar)
{
	const uint8_t *reg = &d->config.cfg[PCI_BASE_ADDRESS_0 + 4 * bar];
	uint64_t size = bar < PCI_NUM_BARS ? d->bar_size[bar] : 0;
	uint64_t base, last;
	bool is64;

	if (size && bar_is_io(d, bar))
		return io_bar_address(d, bar);
	if (!size || !(get16(&d->config.cfg[PCI_COMMAND]) & PCI_COMMAND_MEMORY))
		return 0;
	is64 = reg[0] & PCI_BAR_MEM_TYPE_64;
	base = get32(reg) & ~(uint64_t)PCI_BAR_MEM_MASK;
	if (is64)
		base |= (uint64_t)get32(reg + 4) << 32;
	last = base + size - 1;
	if (base == 0 || last < base || (!is64 && last >= 0xffffffffu))
		return 0;
	return base;
}

/* The INTx# level each PIRQ carries, then each routed IRQ's. */
static void intx_update(struct pci_host *h)
{
	bool pirq[PCI_NUM_PIRQS] = { false };

	for (unsigned i = 0; i < h->ndev; i++) {
		struct pci_device *d = h->dev[i];
		uint16_t cmd = get16(&d->config.cfg[PCI_COMMAND]);

		if (d->intx && !(cmd & PCI_COMMAND_INTX_DISABLE))
			pirq[pci_device_pirq(d)] = true;
	}
	for (unsigned p = 0; p < PCI_NUM_PIRQS; p++) {
		unsigned irq = h->pirq_irq[p] & 15;
		bool level = false;

		for (unsigned q = 0; q < PCI_NUM_PIRQS; q++)
			if ((h->pirq_irq[q] & 15) == irq)
				level |= pirq[q];
		if (level != h->irq_level[irq]) {
			h->irq_level[irq] = level;
			if (h->set_irq)
				h->set_irq(h->irq_opaque, irq, level);
		}
	}
}

unsigned pci_slot_pirq(unsigned dev, unsigned pin)
{
	return (pin - 1 + dev - 1) & (PCI_NUM_PIRQS - 1);
}

unsigned pci_device_pirq(const struct pci_device *d)
{
	return pci_slot_pirq(d->dev, d->config.cfg[PCI_INTERRUPT_PIN]);
}

uint8_t pci_pirq_irq(const struct pci_host *h, unsigned dev, unsigned pin)
{
	return h->pirq_irq[pci_slot_pirq(dev, pin)];
}

void pci_set_intx(struct pci_device *d, bool level)
{
	uint16_t st = get16(&d->config.cfg[PCI_STATUS]);

	if (!d->config.cfg[PCI_INTERRUPT_PIN])
		return; /* no pin */
	d->intx = level;
	st = level ? st | PCI_STATUS_INTERRUPT : st & ~PCI_STATUS_INTERRUPT;
	put16(&d->config.cfg[PCI_STATUS], st);
	if (d->host)
		intx_update(d->host);
}

static uint32_t device_cfg_read(void *opaque, unsigned offset, unsigned size)
{
	struct pci_device *d = opaque;

	if (d->cfg_reading)
		d->cfg_reading(d->opaque, offset, size);
	return pci_config_read(&d->config, offset, size);
}

/* A write through the mask; Interrupt Disable may have changed a line. */
static void device_cfg_write(void *opaque, unsigned offset, unsigned size,
			     uint32_t val)
{
	struct pci_device *d = opaque;

	pci_config_write(&d->config, offset, size, val);
	if (offset < PCI_COMMAND + 2 && offset + size > PCI_COMMAND && d->host)
		intx_update(d->host);
	if (d->cfg_written)
		d->cfg_written(d->opaque, offset, size);
}

int pci_device_register(struct pci_host *h, struct pci_device *d)
{
	if (h->ndev == PCI_MAX_DEVICES ||
	    pci_add_function(h, &(struct pci_function){
		    .bus = 0, .dev = d->dev, .fn = d->fn, .opaque = d,
		    .cfg_read = device_cfg_read,
		    .cfg_write = device_cfg_write }) < 0)
		return -1;
	h->dev[h->ndev++] = d;
	d->host = h;
	intx_update(h);
	return 0;
}

bool pci_mmio(struct pci_host *h, uint64_t gpa, unsigned size, bool write,
	      uint64_t *data)
{
	for (unsigned i = 0; i < h->ndev; i++) {
		struct pci_device *d = h->dev[i];

		for (unsigned bar = 0; bar < PCI_NUM_BARS; bar++) {
			uint64_t base = pci_bar_address(d, bar);

			if (!base || bar_is_io(d, bar) ||
			    gpa - base >= d->bar_size[bar])
				continue;
			if (write)
				d->bar_write(d->opaque, bar, gpa - base, size,
					     *data);
			else
				*data = d->bar_read(d->opaque, bar, gpa - base,
						    size);
			return true;
		}
	}
	return false;
}

bool pci_io_bar(struct pci_host *h, uint16_t port, unsigned size, bool write,
		uint32_t *data)
{
	for (unsigned i = 0; i < h->ndev; i++) {
		struct pci_device *d = h->dev[i];

		for (unsigned bar = 0; bar < PCI_NUM_BARS; bar++) {
			uint32_t base;

			if (!d->bar_size[bar] || !bar_is_io(d, bar))
				continue;
			base = io_bar_address(d, bar);
			if (!base || port < base ||
			    port - base >= d->bar_size[bar])
				continue;
			if (write)
				d->bar_write(d->opaque, bar, port - base, size,
					     *data);
			else
				*data = (uint32_t)d->bar_read(d->opaque, bar,
							      port - base, size);
			return true;
		}
	}
	return false;
}
