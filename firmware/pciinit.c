/*
 * firmware/pciinit.c - what SeaBIOS's pciinit.c leaves in every PCI
 * function of bus 0 before it boots a `qemu -kernel` guest
 * (firmware/pciinit.h).
 *
 * The firmware speaks to the bus as any software does, through
 * configuration mechanism #1 (ports 0xcf8/0xcfc): it finds the
 * functions by their vendor ID, sizes each BAR by writing all ones and
 * reading back which bits stuck, then
 *
 *   - places the memory BARs in the PCI window below the IOAPIC
 *     (0xfec00000), top down, as SeaBIOS's pci_bios_map_devices():
 *     prefetchable BARs in one region, the others in another; inside a
 *     region the BARs go in order of decreasing size (then of bus
 *     address and BAR number), each aligned to its size; the region
 *     whose first BAR needs the larger alignment goes lower, the other
 *     ends at the top of the window;
 *   - places the I/O BARs from port 0xc000 up, largest first, the
 *     traditional PC window SeaBIOS uses for bus 0 (0xc000-0xffff,
 *     pci_bios_init_root_regions_io());
 *   - sets up the PIIX3 as SeaBIOS's piix_isa_bridge_setup() and
 *     piix_ide_setup() do: PIRQ[A-D] routed to IRQs 10, 10, 11, 11, and
 *     both IDE channels' decode enabled (IDETIM bit 15);
 *   - writes the interrupt line: the IRQ that the function's pin reaches
 *     through the PIIX3's routing (devices/pci.h, pci_pirq_irq());
 *   - turns on I/O space, memory space and SERR# in the command
 *     register (pci_bios_init_device()), nothing else: bus mastering is a
 *     driver's business.
 *
 * Left out, because no function here has one: expansion ROM
 * BARs, bridges and buses behind them, and 64-bit BARs above 4 GiB
 * (SeaBIOS places them there only when the 32-bit window is full).
 */
#include <string.h>

#include "core/panic.h"
#include "devices/piix.h"
#include "firmware/pciinit.h"

static uint32_t cfg_read(struct pci_host *h, unsigned dev, unsigned fn,
			 unsigned reg, unsigned size)
{
	pci_io_write(h, PCI_CONFIG_ADDRESS, 4, PCI_ADDR(0, dev, fn, reg));
	return pci_io_read(h, (uint16_t)(PCI_CONFIG_DATA + (reg & 3)), size);
}

static void cfg_write(struct pci_host *h, unsigned dev, unsigned fn,
		      unsigned reg, unsigned size, uint32_t val)
{
	pci_io_write(h, PCI_CONFIG_ADDRESS, 4, PCI_ADDR(0, dev, fn, reg));
	pci_io_write(h, (uint16_t)(PCI_CONFIG_DATA + (reg & 3)), size, val);
}

/* One BAR found on the bus. */
struct fw_bar {
	uint8_t dev, fn, bar;
	bool is64, prefetch, io;
	uint64_t size;
};

#define FW_MAX_BARS (PCI_MAX_FUNCTIONS * PCI_NUM_BARS)

/* The three regions, each in placement order. */
enum { FW_MEM, FW_PREFETCH, FW_IO, FW_NREGIONS };
struct fw_regions {
	struct fw_bar bar[FW_NREGIONS][FW_MAX_BARS];
	unsigned n[FW_NREGIONS];
};

#define FW_PCI_IO_START 0xc000
#define FW_PCI_IO_END 0x10000

/*
 * Size BAR bar: write all ones, read back, restore.  0 for no BAR, an
 * I/O BAR (none is placed here) or one that decodes nothing.
 */
static uint64_t bar_size(struct pci_host *h, unsigned dev, unsigned fn,
			 unsigned bar, bool *is64, bool *prefetch, bool *io)
{
	unsigned reg = PCI_BASE_ADDRESS_0 + 4 * bar;
	uint32_t old = cfg_read(h, dev, fn, reg, 4), lo, hi = 0xffffffffu;
	uint64_t mask;

	cfg_write(h, dev, fn, reg, 4, 0xffffffffu);
	lo = cfg_read(h, dev, fn, reg, 4);
	cfg_write(h, dev, fn, reg, 4, old);
	*io = lo & PCI_BAR_SPACE_IO;
	if (*io) {
		*is64 = *prefetch = false;
		mask = lo & ~(uint32_t)PCI_BAR_IO_MASK;
		return mask ? (~mask + 1) & 0xffffffffu : 0;
	}
	*is64 = (lo & 0x06) == PCI_BAR_MEM_TYPE_64;
	*prefetch = lo & PCI_BAR_MEM_PREFETCH;
	if (lo == 0)
		return 0;
	if (*is64 && bar + 1 < PCI_NUM_BARS) {
		uint32_t oldhi = cfg_read(h, dev, fn, reg + 4, 4);

		cfg_write(h, dev, fn, reg + 4, 4, 0xffffffffu);
		hi = cfg_read(h, dev, fn, reg + 4, 4);
		cfg_write(h, dev, fn, reg + 4, 4, oldhi);
	}
	mask = (uint64_t)hi << 32 | (lo & ~(uint32_t)PCI_BAR_MEM_MASK);
	return mask ? ~mask + 1 : 0;
}

/* Insert b into its region after every BAR at least as large. */
static void add_bar(struct fw_regions *r, const struct fw_bar *b)
{
	unsigned k = b->io ? FW_IO : b->prefetch ? FW_PREFETCH : FW_MEM;
	unsigned i = r->n[k];

	while (i > 0 && r->bar[k][i - 1].size < b->size) {
		r->bar[k][i] = r->bar[k][i - 1];
		i--;
	}
	r->bar[k][i] = *b;
	r->n[k]++;
}

/* Every BAR of function dev.fn into its region. */
static void scan_bars(struct pci_host *h, unsigned dev, unsigned fn,
		      struct fw_regions *r)
{
	for (unsigned bar = 0; bar < PCI_NUM_BARS; bar++) {
		struct fw_bar b = { .dev = (uint8_t)dev, .fn = (uint8_t)fn,
				    .bar = (uint8_t)bar };

		b.size = bar_size(h, dev, fn, bar, &b.is64, &b.prefetch,
				  &b.io);
		if (b.size)
			add_bar(r, &b);
		if (b.is64)
			bar++; /* its upper half */
	}
}

static uint64_t region_sum(const struct fw_regions *r, unsigned k)
{
	uint64_t sum = 0;

	for (unsigned i = 0; i < r->n[k]; i++)
		sum += r->bar[k][i].size;
	return sum;
}

/* A region's alignment: its first (largest) BAR's size, 1 if empty. */
static uint64_t region_align(const struct fw_regions *r, unsigned k)
{
	return r->n[k] ? r->bar[k][0].size : 1;
}

/* Write region k's BARs upward from base. */
static void map_region(struct pci_host *h, const struct fw_regions *r,
		       unsigned k, uint64_t base)
{
	for (unsigned i = 0; i < r->n[k]; i++) {
		const struct fw_bar *b = &r->bar[k][i];
		unsigned reg = PCI_BASE_ADDRESS_0 + 4 * b->bar;
		uint32_t type = cfg_read(h, b->dev, b->fn, reg, 4) &
				PCI_BAR_MEM_MASK;

		cfg_write(h, b->dev, b->fn, reg, 4, (uint32_t)base | type);
		if (b->is64)
			cfg_write(h, b->dev, b->fn, reg + 4, 4,
				  (uint32_t)(base >> 32));
		base += b->size;
	}
}

static uint64_t align_down(uint64_t v, uint64_t align)
{
	return v & ~(align - 1);
}

/*
 * The two regions top down from FW_PCI_MEM_END (SeaBIOS's
 * pci_bios_init_root_regions_mem()): the prefetchable one at the top,
 * unless the other needs a smaller alignment (then that one is), and
 * the other right below it, aligned down to its own first BAR.
 */
static void map_memory(struct pci_host *h, const struct fw_regions *r)
{
	unsigned top = 1, low = 0; /* region [1] prefetchable, [0] not */
	uint64_t top_base, low_base;

	if (region_align(r, 0) < region_align(r, 1)) {
		top = 0;
		low = 1;
	}
	top_base = align_down(FW_PCI_MEM_END - region_sum(r, top),
			      region_align(r, top));
	low_base = align_down(top_base - region_sum(r, low),
			      region_align(r, low));
	if (low_base < FW_PCI_MEM_START)
		panic("firmware: the PCI BARs do not fit below %#x",
		      FW_PCI_MEM_END);
	map_region(h, r, top, top_base);
	map_region(h, r, low, low_base);
}

/* The I/O BARs upward from 0xc000, largest first. */
static void map_io(struct pci_host *h, const struct fw_regions *r)
{
	if (region_sum(r, FW_IO) > FW_PCI_IO_END - FW_PCI_IO_START)
		panic("firmware: the PCI I/O BARs do not fit above %#x",
		      FW_PCI_IO_START);
	map_region(h, r, FW_IO, FW_PCI_IO_START);
}

/* The PIIX3's own set-up, by its IDs (SeaBIOS's pci_device_tbl). */
static void piix_setup(struct pci_host *h, unsigned dev, unsigned fn)
{
	uint32_t id = cfg_read(h, dev, fn, PCI_VENDOR_ID, 4);

	if (id == (PCI_VENDOR_ID_INTEL | PCI_DEVICE_ID_INTEL_82371SB_0 << 16)) {
		for (unsigned p = 0; p < PCI_NUM_PIRQS; p++)
			cfg_write(h, dev, fn, PIIX_PIRQRC + p, 1,
				  h->pirq_irq[p]);
	} else if (id == (PCI_VENDOR_ID_INTEL |
			  PCI_DEVICE_ID_INTEL_82371SB_1 << 16)) {
		cfg_write(h, dev, fn, PIIX_IDETIM_PRI, 2, PIIX_IDETIM_IDE);
		cfg_write(h, dev, fn, PIIX_IDETIM_SEC, 2, PIIX_IDETIM_IDE);
	}
}

/* Interrupt line and command register (pci_bios_init_device()). */
static void init_function(struct pci_host *h, unsigned dev, unsigned fn)
{
	uint8_t pin = (uint8_t)cfg_read(h, dev, fn, PCI_INTERRUPT_PIN, 1);
	uint16_t cmd;

	piix_setup(h, dev, fn);
	cmd = (uint16_t)cfg_read(h, dev, fn, PCI_COMMAND, 2);
	if (pin)
		cfg_write(h, dev, fn, PCI_INTERRUPT_LINE, 1,
			  pci_pirq_irq(h, dev, pin));
	cfg_write(h, dev, fn, PCI_COMMAND, 2,
		  cmd | PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_SERR);
}

/* How many functions to look at in device dev: 8 if function 0 says
 * it is a multi-function device (header type bit 7), else 1. */
static unsigned functions(struct pci_host *h, unsigned dev)
{
	return cfg_read(h, dev, 0, PCI_HEADER_TYPE, 1) & 0x80 ? 8 : 1;
}

/* Is there a function at 00:dev.fn? */
static bool present(struct pci_host *h, unsigned dev, unsigned fn)
{
	return (cfg_read(h, dev, fn, PCI_VENDOR_ID, 2) & 0xffff) != 0xffff;
}

void firmware_pci_init(struct pci_host *h)
{
	struct fw_regions r;

	memset(&r, 0, sizeof(r));
	for (unsigned dev = 0; dev < PCI_MAX_SLOTS; dev++)
		for (unsigned fn = 0; fn < functions(h, dev); fn++)
			if (present(h, dev, fn))
				scan_bars(h, dev, fn, &r);
	map_memory(h, &r);
	map_io(h, &r);
	for (unsigned dev = 0; dev < PCI_MAX_SLOTS; dev++)
		for (unsigned fn = 0; fn < functions(h, dev); fn++)
			if (present(h, dev, fn))
				init_function(h, dev, fn);
	pci_io_write(h, PCI_CONFIG_ADDRESS, 4, 0);
}

unsigned firmware_pci_intx(struct pci_host *h,
			   struct fw_pci_intx out[FW_PCI_MAX_INTX])
{
	unsigned n = 0;

	for (unsigned dev = 0; dev < PCI_MAX_SLOTS; dev++) {
		unsigned seen = 0; /* the pins of this device listed */

		for (unsigned fn = 0; fn < functions(h, dev); fn++) {
			unsigned pin;

			if (!present(h, dev, fn))
				continue;
			pin = cfg_read(h, dev, fn, PCI_INTERRUPT_PIN, 1);
			if (pin == 0 || pin > 4 || (seen & 1u << pin) ||
			    n == FW_PCI_MAX_INTX)
				continue;
			seen |= 1u << pin;
			out[n++] = (struct fw_pci_intx){
				.dev = (uint8_t)dev, .pin = (uint8_t)pin,
				.irq = (uint8_t)cfg_read(h, dev, fn,
						PCI_INTERRUPT_LINE, 1) };
		}
	}
	pci_io_write(h, PCI_CONFIG_ADDRESS, 4, 0);
	return n;
}
