/*
 * guests/toyos/disk.c - the disk: which one, and opening it.
 *
 * toyos has no drivers of its own: it links the runtime's (guests/runtime:
 * vblk.c for a virtio-blk card on the PCI bus, ide.c for the IDE disk on
 * the primary channel, by PIO or by bus-master DMA), and sees whichever
 * it opens through the one interface of blk.h.  The kernel's argument
 * says which:
 *
 *   disk           the first virtio-blk card on bus 0, else the IDE disk
 *   disk=virtio    the virtio-blk card
 *   disk=ide       the IDE primary master by PIO
 *   disk=ide-dma   the same disk by DMA through the PIIX3 IDE function
 *   disk=pt        the passed-through disk (--disk=FILE,if=passthru): its
 *                  rings and doorbells in a page of the kernel's memory,
 *                  a host thread as the device, no exit on the data path
 *
 * and without any of them toyos runs without a disk.  Completion is by
 * polling on every disk (the drivers' default): toyos runs its system
 * calls with interrupts off, and a request waits for its own completion
 * before the call returns, so no process can run meanwhile and none can
 * see a request half done.
 */
#include "devices/ide.h"
#include "ide.h"
#include "pci.h"
#include "ptblk.h"
#include "toyos.h"
#include "vblk.h"


static struct rt_vblk vblk;
static struct rt_ide ide;
static struct rt_ptblk pt;
static uint8_t pt_page[PTBLK_PAGE] __attribute__((aligned(PTBLK_PAGE)));

/* Where word p goes on after prefix, or NULL if it does not begin so. */
static const char *skip_prefix(const char *p, const char *prefix)
{
	while (*prefix && *p == *prefix) {
		p++;
		prefix++;
	}
	return *prefix ? NULL : p;
}

/*
 * The value of the argument word "disk" or "disk=KIND" in args, into
 * kind (at most max bytes, NUL included, cut if longer): "" for a bare
 * "disk".  false when args has no such word.
 */
static bool disk_kind(const char *args, char *kind, size_t max)
{
	for (const char *p = args; p && *p; p++) {
		const char *v = skip_prefix(p, "disk");
		size_t len = 0;

		if ((p != args && p[-1] != ' ') || !v ||
		    (*v != 0 && *v != ' ' && *v != '='))
			continue;
		if (*v == '=')
			v++;
		while (v[len] && v[len] != ' ' && len + 1 < max)
			len++;
		memcpy(kind, v, len);
		kind[len] = 0;
		return true;
	}
	return false;
}

/* The virtio-blk card (modern only), with the flush command if it has
 * it (else a write is on the disk when it completes: 5.2.6.2). */
static struct rt_blk *open_virtio(void)
{
	static const uint16_t ids[] = { RT_VBLK_DEVICE_MODERN };
	struct rt_pci_dev d;

	if (!rt_pci_find(VIRTIO_PCI_VENDOR_ID, ids, 1, &d))
		return NULL;
	if (rt_vblk_open(&vblk, &d, 1ull << VIRTIO_F_VERSION_1 |
				    1ull << VIRTIO_BLK_F_FLUSH) < 0) {
		rt_printf("toyos: disk: the virtio-blk card at %02x:%02x.%x "
			  "did not come up\n", d.bus, d.dev, d.fn);
		return NULL;
	}
	rt_printf("toyos: disk: virtio-blk at %02x:%02x.%x, %llu sectors\n",
		  d.bus, d.dev, d.fn, (unsigned long long)vblk.blk.sectors);
	return &vblk.blk;
}

/* The passed-through disk, given a page of the kernel's memory (mapped
 * one to one, as the drivers need) for its queues. */
static struct rt_blk *open_pt(void)
{
	static const uint16_t ids[] = { PTBLK_DEVICE_ID };
	struct rt_pci_dev d;

	if (!rt_pci_find(PTBLK_VENDOR_ID, ids, 1, &d))
		return NULL;
	if (rt_ptblk_open(&pt, &d, pt_page) < 0) {
		rt_printf("toyos: disk: the passthru disk at %02x:%02x.%x did "
			  "not come up\n", d.bus, d.dev, d.fn);
		return NULL;
	}
	rt_printf("toyos: disk: passthru at %02x:%02x.%x, %llu sectors\n",
		  d.bus, d.dev, d.fn, (unsigned long long)pt.blk.sectors);
	return &pt.blk;
}

/* Bus mastering on in the PIIX3 IDE function, and its BAR4 (the
 * bus-master registers, primary channel first) to the driver. */
static bool use_dma(void)
{
	static const uint16_t ids[] = { RT_PIIX3_IDE_DEVICE };
	struct rt_pci_dev d;

	return rt_pci_find(PCI_VENDOR_ID_INTEL, ids, 1, &d) &&
	       rt_ide_dma_through(&ide, &d);
}

/* The IDE primary master, by PIO or (dma) by bus-master DMA. */
static struct rt_blk *open_ide(bool dma)
{
	if (rt_ide_open(&ide, IDE0_BASE, IDE0_CTRL) < 0)
		return NULL;
	if (dma && !use_dma()) {
		rt_printf("toyos: disk: no bus-master IDE function\n");
		return NULL;
	}
	rt_printf("toyos: disk: ide %x master by %s, \"%s\", %llu sectors\n",
		  IDE0_BASE, dma ? "DMA" : "PIO", ide.model,
		  (unsigned long long)ide.blk.sectors);
	return &ide.blk;
}

struct rt_blk *disk_open(const char *args)
{
	char kind[16];
	struct rt_blk *b = NULL;
	bool any;

	if (!disk_kind(args, kind, sizeof(kind)))
		return NULL;
	any = !strcmp(kind, "");
	if (!any && strcmp(kind, "virtio") && strcmp(kind, "ide") &&
	    strcmp(kind, "ide-dma") && strcmp(kind, "pt")) {
		rt_printf("toyos: disk: no kind \"%s\" (disk, disk=virtio, "
			  "disk=ide, disk=ide-dma, disk=pt)\n", kind);
		return NULL;
	}
	if (any || !strcmp(kind, "virtio"))
		b = open_virtio();
	if (!b && (any || !strcmp(kind, "ide")))
		b = open_ide(false);
	if (!b && !strcmp(kind, "ide-dma"))
		b = open_ide(true);
	if (!b && !strcmp(kind, "pt"))
		b = open_pt();
	if (!b)
		rt_printf("toyos: disk: none found\n");
	return b;
}
