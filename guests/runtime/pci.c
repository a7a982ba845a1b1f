/*
 * guests/runtime/pci.c - configuration mechanism #1 and bus 0's
 * functions (pci.h).
 *
 * CONFIG_ADDRESS (0xcf8) selects bus, device, function and dword; the
 * dword is then at CONFIG_DATA (0xcfc), byte k at 0xcfc + k.  Nothing
 * here is interrupt-safe: a guest that enumerates from an interrupt
 * handler too must do it with interrupts off.
 */
#include "cpu.h"
#include "pci.h"

static void select(const struct rt_pci_dev *d, unsigned reg)
{
	outl(PCI_CONFIG_ADDRESS, PCI_ADDR(d->bus, d->dev, d->fn, reg));
}

uint32_t rt_pci_read(const struct rt_pci_dev *d, unsigned reg, unsigned size)
{
	uint16_t port = (uint16_t)(PCI_CONFIG_DATA + (reg & 3));

	select(d, reg);
	if (size == 1)
		return inb(port);
	if (size == 2)
		return inw(port);
	return inl(port);
}

void rt_pci_write(const struct rt_pci_dev *d, unsigned reg, unsigned size,
		  uint32_t val)
{
	uint16_t port = (uint16_t)(PCI_CONFIG_DATA + (reg & 3));

	select(d, reg);
	if (size == 1)
		outb(port, (uint8_t)val);
	else if (size == 2)
		outw(port, (uint16_t)val);
	else
		outl(port, val);
}

void rt_pci_start(struct rt_pci_dev *d)
{
	*d = (struct rt_pci_dev){ .vendor = 0xffff };
}

/*
 * Functions are numbered dev * 8 + fn.  After a device's function 0,
 * its functions 1-7 exist only if function 0 says it is multi-function
 * (header type bit 7); a device with no function 0 has none.
 */
bool rt_pci_next(struct rt_pci_dev *d)
{
	unsigned at = d->started ? d->dev * 8u + d->fn + 1 : 0;

	if (d->started && d->fn == 0 && !d->multi)
		at = d->dev * 8u + 8;
	d->started = true;
	for (; at < PCI_MAX_SLOTS * 8u; at++) {
		d->dev = (uint8_t)(at / 8);
		d->fn = (uint8_t)(at % 8);
		d->vendor = (uint16_t)rt_pci_read(d, PCI_VENDOR_ID, 2);
		if (d->vendor == 0xffff) {
			if (d->fn == 0)
				at |= 7; /* no device here */
			continue;
		}
		if (d->fn == 0)
			d->multi = rt_pci_read(d, PCI_HEADER_TYPE, 1) & 0x80;
		d->device = (uint16_t)rt_pci_read(d, PCI_DEVICE_ID, 2);
		return true;
	}
	return false;
}

bool rt_pci_find(uint16_t vendor, const uint16_t *devices, unsigned n,
		 struct rt_pci_dev *out)
{
	struct rt_pci_dev d;

	rt_pci_start(&d);
	while (rt_pci_next(&d))
		for (unsigned i = 0; i < n; i++)
			if (d.vendor == vendor && d.device == devices[i]) {
				*out = d;
				return true;
			}
	return false;
}

uint64_t rt_pci_bar(const struct rt_pci_dev *d, unsigned bar, uint64_t *size,
		    bool *is64, bool *prefetch)
{
	unsigned reg = PCI_BASE_ADDRESS_0 + 4 * bar;
	uint16_t cmd = (uint16_t)rt_pci_read(d, PCI_COMMAND, 2);
	uint32_t lo = rt_pci_read(d, reg, 4), hi = 0, mlo, mhi = 0xffffffffu;
	uint64_t mask;

	*size = 0;
	*is64 = (lo & 0x06) == PCI_BAR_MEM_TYPE_64;
	*prefetch = lo & PCI_BAR_MEM_PREFETCH;
	if (lo & PCI_BAR_SPACE_IO)
		return 0;
	/* Sizing moves the BAR: no decoding until it is back. */
	rt_pci_write(d, PCI_COMMAND, 2, cmd & ~PCI_COMMAND_MEMORY);
	rt_pci_write(d, reg, 4, 0xffffffffu);
	mlo = rt_pci_read(d, reg, 4);
	rt_pci_write(d, reg, 4, lo);
	if (*is64) {
		hi = rt_pci_read(d, reg + 4, 4);
		rt_pci_write(d, reg + 4, 4, 0xffffffffu);
		mhi = rt_pci_read(d, reg + 4, 4);
		rt_pci_write(d, reg + 4, 4, hi);
	}
	rt_pci_write(d, PCI_COMMAND, 2, cmd);
	mask = (uint64_t)mhi << 32 | (mlo & ~(uint32_t)PCI_BAR_MEM_MASK);
	if (mlo == 0)
		return 0;
	*size = ~mask + 1;
	return ((uint64_t)hi << 32 | lo) & ~(uint64_t)PCI_BAR_MEM_MASK;
}
