/*
 * guests/blkio/blkio.c - one disk workload over three disks: a virtio-blk
 * card on the PCI bus, the IDE disk on the primary channel (by PIO or
 * DMA), or the passed-through disk, all driven through the runtime's
 * block interface (guests/runtime/blk.h; vblk.h, ide.h, ptblk.h).
 *
 * The guest's argument picks the disk: none, the virtio card; "ide", the
 * IDE disk by PIO; "ide-dma", the IDE disk by bus-master DMA through the
 * PIIX3 IDE function (00:01.1), whose configuration space the guest
 * shows first.  For the card the guest first shows what the firmware left
 * in its configuration space (BARs placed, interrupt line, command
 * register) and its capabilities, and brings it up (reset, feature
 * negotiation with VIRTIO_F_VERSION_1, one queue, DRIVER_OK); for the IDE
 * disk, what IDENTIFY says.  Then the workload, whose lines are the same
 * on both: reads of known sectors, a write and a flush read back, the
 * requests the device must fail (past the end, across it), a read after
 * them.  Between those steps the card alone has its own: a batch of
 * requests behind one notification, an indirect chain, the requests only
 * virtio can express (not whole sectors, an unknown type), one
 * completion by interrupt, and a chain that loops, which breaks the
 * device until a reset.
 *
 * "pt": the passed-through disk (devices/ptblk.h, guests/runtime/ptblk.h),
 * whose queues are in guest RAM and whose device is a host thread: no
 * register access on the data path.  Its own steps: a batch of reads
 * queued before any completion is taken, the requests only it can
 * express (an unknown opcode, a buffer outside RAM), and a doorbell out
 * of range, which stops the device (CSTS.CFS) until it is disabled and
 * enabled again.  QEMU has no such device.
 *
 * "writer" (after "ide", "pt" or alone) is a different program on any disk:
 * sectors WRITER_LBA to the end, each written with its sequence number
 * and flushed, the number printed once the flush completed, for
 * tests/guests/nodataloss.sh, which kills the monitor at a random point
 * and checks that every sector printed is in the image.
 *
 * The disk is tests/guests/blkio.sh's image: 1024 sectors in which the
 * byte at offset o holds o % 251.  The guest writes sectors WRITE_LBA and
 * WRITE_LBA + 1; the test script checks the image file afterwards.  Every
 * line is the same on QEMU (-nodefaults, -device virtio-blk-pci with
 * disable-legacy=on,vectors=0; or the image as the IDE primary master)
 * and trapvisor (--disk=FILE,if=virtio; --disk=FILE).
 */
#include "cpu.h"
#include "devices/i8259.h"
#include "devices/ide.h"
#include "ide.h"
#include "pci.h"
#include "ptblk.h"
#include "rt.h"
#include "vblk.h"

#define DISK_SECTORS 1024 /* tests/guests/blkio.sh makes 512 KiB */
#define WRITE_LBA 200     /* the sectors the guest writes */
#define WRITER_LBA 300    /* "writer": its first sector */
#define BATCH 8           /* requests behind one notification */
#define VEC_MASTER 0x20
#define VEC_SLAVE 0x28
#define SECTOR RT_BLK_SECTOR

static struct rt_vblk vb;
static struct rt_ide ide;
static struct rt_ptblk pt;
static uint8_t pt_page[PTBLK_PAGE] __attribute__((aligned(PTBLK_PAGE)));
static struct rt_blk *blk; /* &vb.blk, &ide.blk or &pt.blk */
static uint8_t buf[BATCH][SECTOR];
static struct rt_vblk_req reqs[BATCH];
static int failed;

static void check(bool ok, const char *what)
{
	if (!ok) {
		rt_printf("blkio: FAIL %s\n", what);
		failed++;
	}
}

/* Does p hold n bytes of the image from sector lba on? */
static const char *pattern(const uint8_t *p, uint64_t lba, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (p[i] != (lba * SECTOR + i) % 251)
			return rt_fmt("BAD at byte %u", i);
	return "ok";
}

static const char *status_name(int st)
{
	switch (st) {
	case VIRTIO_BLK_S_OK: return "OK";
	case VIRTIO_BLK_S_IOERR: return "IOERR";
	case VIRTIO_BLK_S_UNSUPP: return "UNSUPP";
	}
	return rt_fmt("%d?", st);
}

/* ------------------------------------------------------------ the card */

/* What the firmware left: IDs, interrupt routing, command, BARs. */
static void show_config(const struct rt_pci_dev *d)
{
	static const char pins[] = "-ABCD";
	unsigned pin = rt_pci_read(d, PCI_INTERRUPT_PIN, 1);

	rt_printf("blkio: pci %02x:%02x.%x %04x:%04x rev %02x class %06x "
		  "subsystem %04x:%04x header %02x\n", d->bus, d->dev, d->fn,
		  d->vendor, d->device, rt_pci_read(d, PCI_REVISION_ID, 1),
		  rt_pci_read(d, PCI_REVISION_ID, 4) >> 8,
		  rt_pci_read(d, PCI_SUBSYSTEM_VENDOR_ID, 2),
		  rt_pci_read(d, PCI_SUBSYSTEM_ID, 2),
		  rt_pci_read(d, PCI_HEADER_TYPE, 1));
	/* The firmware turns on memory decoding; bus mastering is the
	 * driver's (SeaBIOS's own virtio driver leaves it on, so it is
	 * not shown before ours has set it). */
	rt_printf("blkio: pin %c line %u, memory decoding %s\n",
		  pins[pin < 5 ? pin : 0], rt_pci_read(d, PCI_INTERRUPT_LINE, 1),
		  rt_pci_read(d, PCI_COMMAND, 2) & PCI_COMMAND_MEMORY ? "on" :
									 "off");
	for (unsigned bar = 0; bar < PCI_NUM_BARS; bar++) {
		uint64_t size;
		bool is64, pref;
		uint64_t at = rt_pci_bar(d, bar, &size, &is64, &pref);

		if (size)
			rt_printf("blkio: bar %u: %llx, %llu bytes, %s%s\n",
				  bar, (unsigned long long)at,
				  (unsigned long long)size,
				  is64 ? "64-bit" : "32-bit",
				  pref ? ", prefetchable" : "");
		if (is64)
			bar++;
	}
}

static const char *cap_name(unsigned type)
{
	static const char *const names[] = {
		"?", "common", "notify", "isr", "device", "pci-cfg" };

	return type < 6 ? names[type] : "?";
}

/* The vendor capabilities, in list order. */
static void show_caps(void)
{
	for (unsigned i = 0; i < vb.v.ncap; i++) {
		const struct rt_virtio_cap *c = &vb.v.cap[i];

		if (c->type == VIRTIO_PCI_CAP_PCI_CFG)
			rt_printf("blkio: cap %02x: %s\n", c->at,
				  cap_name(c->type));
		else
			rt_printf("blkio: cap %02x: %s, bar %u offset %x\n",
				  c->at, cap_name(c->type), c->bar, c->offset);
	}
	rt_printf("blkio: notify_off_multiplier %u\n", vb.v.notify_mult);
}

static const char *yes(uint64_t features, unsigned bit)
{
	return features >> bit & 1 ? "yes" : "no";
}

/* ------------------------------------------------------------ bring-up */

static bool bring_up(void)
{
	static const uint16_t ids[] = { RT_VBLK_DEVICE_MODERN };
	const uint64_t want = 1ull << VIRTIO_F_VERSION_1 |
			      1ull << VIRTIO_RING_F_INDIRECT_DESC |
			      1ull << VIRTIO_BLK_F_FLUSH;
	struct rt_pci_dev d;

	if (!rt_pci_find(VIRTIO_PCI_VENDOR_ID, ids, 1, &d)) {
		rt_printf("blkio: no virtio-blk card on bus 0\n");
		return false;
	}
	show_config(&d);
	if (rt_vblk_open(&vb, &d, want) < 0) {
		rt_printf("blkio: the card did not come up (status %02x)\n",
			  vb.v.common ? rt_virtio_status(&vb.v) : 0xff);
		return false;
	}
	show_caps();
	rt_printf("blkio: offered: VERSION_1 %s, INDIRECT_DESC %s, "
		  "EVENT_IDX %s, FLUSH %s, RO %s\n",
		  yes(vb.v.features, VIRTIO_F_VERSION_1),
		  yes(vb.v.features, VIRTIO_RING_F_INDIRECT_DESC),
		  yes(vb.v.features, VIRTIO_RING_F_EVENT_IDX),
		  yes(vb.v.features, VIRTIO_BLK_F_FLUSH),
		  yes(vb.v.features, VIRTIO_BLK_F_RO));
	rt_printf("blkio: status %02x, command %04x, queue 0: %u entries "
		  "used, capacity %llu sectors\n", rt_virtio_status(&vb.v),
		  rt_pci_read(&d, PCI_COMMAND, 2), vb.q.size,
		  (unsigned long long)vb.blk.sectors);
	check(rt_virtio_status(&vb.v) == (VIRTIO_STATUS_ACKNOWLEDGE |
					  VIRTIO_STATUS_DRIVER |
					  VIRTIO_STATUS_FEATURES_OK |
					  VIRTIO_STATUS_DRIVER_OK),
	      "status after DRIVER_OK");
	blk = &vb.blk;
	return true;
}

/*
 * The PIIX3 IDE function as the firmware left it (IDs, class, command,
 * BAR4, the IDE decode bits), then bus mastering on and the primary
 * channel's registers, BAR4's first 8 bytes, handed to the driver.
 */
static bool bring_up_bmdma(void)
{
	static const uint16_t ids[] = { RT_PIIX3_IDE_DEVICE };
	struct rt_pci_dev d;
	uint32_t bar4;

	if (!rt_pci_find(PCI_VENDOR_ID_INTEL, ids, 1, &d)) {
		rt_printf("blkio: no PIIX3 IDE function\n");
		return false;
	}
	bar4 = rt_pci_read(&d, PCI_BASE_ADDRESS_0 + 16, 4);
	rt_printf("blkio: pci %02x:%02x.%x %04x:%04x class %06x command %04x "
		  "status %04x bar4 %08x idetim %04x %04x\n", d.bus, d.dev,
		  d.fn, d.vendor, d.device,
		  rt_pci_read(&d, PCI_REVISION_ID, 4) >> 8,
		  rt_pci_read(&d, PCI_COMMAND, 2),
		  rt_pci_read(&d, PCI_STATUS, 2), bar4,
		  rt_pci_read(&d, 0x40, 2), rt_pci_read(&d, 0x42, 2));
	rt_printf("blkio: identify words 49 %04x, 63 %04x, 88 %04x\n",
		  ide.id_dma[0], ide.id_dma[1], ide.id_dma[2]);
	return rt_ide_dma_through(&ide, &d);
}

/* The IDE disk: the primary channel's master, what IDENTIFY says. */
static bool bring_up_ide(bool dma)
{
	if (rt_ide_open(&ide, IDE0_BASE, IDE0_CTRL) < 0) {
		rt_printf("blkio: no IDE disk on the primary channel\n");
		return false;
	}
	rt_printf("blkio: ide %x/%x master: \"%s\", 48-bit %s, capacity "
		  "%llu sectors\n", IDE0_BASE, IDE0_CTRL, ide.model,
		  ide.lba48 ? "yes" : "no",
		  (unsigned long long)ide.blk.sectors);
	blk = &ide.blk;
	return !dma || bring_up_bmdma();
}

/*
 * The passed-through disk: what the firmware left (no BAR, no pin),
 * then the device up with one page of this guest's RAM as its queues.
 */
static bool bring_up_pt(void)
{
	static const uint16_t ids[] = { PTBLK_DEVICE_ID };
	struct rt_pci_dev d;

	if (!rt_pci_find(PTBLK_VENDOR_ID, ids, 1, &d)) {
		rt_printf("blkio: no passthru disk on bus 0\n");
		return false;
	}
	show_config(&d);
	if (rt_ptblk_open(&pt, &d, pt_page) < 0) {
		rt_printf("blkio: the passthru disk did not come up (csts "
			  "%x)\n", rt_ptblk_csts(&pt));
		return false;
	}
	rt_printf("blkio: ptblk: csts %x, command %04x, %u entries per "
		  "queue, capacity %llu sectors\n", rt_ptblk_csts(&pt),
		  rt_pci_read(&d, PCI_COMMAND, 2),
		  rt_pci_read(&d, PTBLK_CFG_QSIZE, 2),
		  (unsigned long long)pt.blk.sectors);
	blk = &pt.blk;
	return true;
}

/* ------------------------------------------------------------ workload */

static void step_id(void)
{
	char id[VIRTIO_BLK_ID_BYTES + 1] = { 0 };
	int st = rt_vblk_do(&vb, VIRTIO_BLK_T_GET_ID, 0, id,
			    VIRTIO_BLK_ID_BYTES);

	rt_printf("blkio: get id: %s \"%s\"\n", status_name(st), id);
}

static void step_read(void)
{
	int st = rt_blk_read(blk, 0, buf[0], 1);

	rt_printf("blkio: read sector 0: %s, %02x %02x %02x ... %02x, "
		  "pattern %s\n", status_name(st), buf[0][0], buf[0][1],
		  buf[0][2], buf[0][SECTOR - 1], pattern(buf[0], 0, SECTOR));
	st = rt_blk_read(blk, DISK_SECTORS - 4, buf[0], 4);
	rt_printf("blkio: read sectors %u-%u: %s, pattern %s\n",
		  DISK_SECTORS - 4, DISK_SECTORS - 1, status_name(st),
		  pattern(buf[0], DISK_SECTORS - 4, 4 * SECTOR));
}

/*
 * BATCH reads of scattered sectors queued, then one notification: the
 * device takes them all at that one write.
 */
static void step_batch(void)
{
	unsigned ok = 0, queued = 0;

	memset(buf, 0, sizeof(buf));
	for (unsigned i = 0; i < BATCH; i++)
		queued += rt_vblk_queue(&vb, &reqs[i], VIRTIO_BLK_T_IN,
					37 * i + 3, buf[i], SECTOR,
					false) == RT_BLK_OK;
	check(queued == BATCH, "queue the batch");
	rt_vblk_kick(&vb);
	for (unsigned i = 0; i < queued; i++)
		check(rt_vblk_complete(&vb) != NULL, "batch completion");
	for (unsigned i = 0; i < BATCH; i++)
		ok += reqs[i].done && reqs[i].status == VIRTIO_BLK_S_OK &&
		      reqs[i].used_len >= SECTOR + 1 &&
		      pattern(buf[i], 37 * i + 3, SECTOR)[0] == 'o';
	rt_printf("blkio: batch of %u reads, one notification: %u completed, "
		  "%u with status OK and the right sector\n", BATCH, queued,
		  ok);
}

/* A request as one indirect descriptor (VIRTIO_F_INDIRECT_DESC). */
static void step_indirect(void)
{
	struct rt_vblk_req *r;

	memset(buf[0], 0, SECTOR);
	check(rt_vblk_queue(&vb, &reqs[0], VIRTIO_BLK_T_IN, 777, buf[0], SECTOR,
			    true) == RT_BLK_OK, "queue an indirect read");
	rt_vblk_kick(&vb);
	r = rt_vblk_complete(&vb);
	rt_printf("blkio: indirect read sector 777: %s, pattern %s\n",
		  r ? status_name(r->status) : "no completion",
		  pattern(buf[0], 777, SECTOR));
}

/* The text the guest writes at sector lba: "tv-blkio-sect-LBA " over. */
static void fill_text(uint8_t *p, unsigned lba)
{
	const char *t = rt_fmt("tv-blkio-sect-%u ", lba);
	size_t n = strlen(t);

	for (unsigned i = 0; i < SECTOR; i++)
		p[i] = (uint8_t)t[i % n];
}

static void step_write(void)
{
	int w, f, r;

	fill_text(buf[0], WRITE_LBA);
	fill_text(buf[1], WRITE_LBA + 1);
	w = rt_blk_write(blk, WRITE_LBA, buf[0], 2);
	f = rt_blk_flush(blk);
	memset(buf, 0, sizeof(buf));
	r = rt_blk_read(blk, WRITE_LBA, buf[2], 2);
	fill_text(buf[0], WRITE_LBA);
	fill_text(buf[1], WRITE_LBA + 1);
	rt_printf("blkio: write sectors %u-%u: %s; flush: %s; read back: %s, "
		  "%s\n", WRITE_LBA, WRITE_LBA + 1, status_name(w),
		  status_name(f), status_name(r),
		  memcmp(buf[0], buf[2], 2 * SECTOR) ? "DIFFERENT" :
						       "the written text");
}

/*
 * Requests the device must fail, and the disk still works after.  The
 * write across the end carries sector 1023's own bytes: the IDE disk
 * (QEMU's and trapvisor's alike) checks each sector as it comes, so it
 * writes the first one before it aborts the second, where virtio-blk
 * refuses the whole request; with the same bytes the image is the same.
 */
static int pt_do(uint8_t op, uint64_t lba, uint64_t addr, uint32_t nsect);

static void step_errors(void)
{
	int a, b, c = 0, d = 0, e;
	uint8_t ide_st = 0, ide_err = 0;

	a = rt_blk_read(blk, DISK_SECTORS, buf[0], 1);
	ide_st = ide.status;
	ide_err = ide.error;
	for (unsigned i = 0; i < SECTOR; i++)
		buf[0][i] = (uint8_t)(((DISK_SECTORS - 1) * SECTOR + i) % 251);
	b = rt_blk_write(blk, DISK_SECTORS - 1, buf[0], 2);
	if (blk == &vb.blk) {
		c = rt_vblk_do(&vb, VIRTIO_BLK_T_IN, 0, buf[0], 100);
		d = rt_vblk_do(&vb, 99, 0, buf[0], SECTOR);
	}
	if (blk == &pt.blk) {
		c = pt_do(0x42, 0, (uintptr_t)buf[0], 1);
		d = pt_do(PTBLK_OP_READ, 0, 0xfee00000, 1);
	}
	e = rt_blk_read(blk, 5, buf[1], 1);

	rt_printf("blkio: read sector %u (past the end): %s\n", DISK_SECTORS,
		  status_name(a));
	if (blk == &ide.blk)
		rt_printf("blkio: ide: it ended with status %02x error %02x\n",
			  ide_st, ide_err);
	rt_printf("blkio: write sectors %u-%u (across the end): %s\n",
		  DISK_SECTORS - 1, DISK_SECTORS, status_name(b));
	if (blk == &vb.blk) {
		rt_printf("blkio: read of 100 bytes (not a whole sector): %s\n",
			  status_name(c));
		rt_printf("blkio: request type 99: %s\n", status_name(d));
	}
	if (blk == &pt.blk) {
		rt_printf("blkio: ptblk: opcode 42: status %02x\n", c);
		rt_printf("blkio: ptblk: a buffer at fee00000 (the LAPIC, not "
			  "RAM): status %02x\n", d);
	}
	rt_printf("blkio: then read sector 5: %s, pattern %s; status %02x\n",
		  status_name(e), pattern(buf[1], 5, SECTOR),
		  blk == &vb.blk ? rt_virtio_status(&vb.v) :
		  blk == &pt.blk ? rt_ptblk_csts(&pt) : ide.status);
}

/* ------------------------------------------------------------ ptblk */

/* One request on the passed-through disk; its status code (PTBLK_SC_*),
 * or 0xff when it did not complete. */
static int pt_do(uint8_t op, uint64_t lba, uint64_t addr, uint32_t nsect)
{
	struct rt_ptblk_done r;
	int cid = rt_ptblk_submit(&pt, op, lba, addr, nsect);

	if (cid < 0 || rt_ptblk_complete(&pt, &r) < 0 || r.cid != cid)
		return 0xff;
	return r.sc;
}

/*
 * BATCH reads queued before any completion is taken: each is an entry
 * and a doorbell word in RAM, no register; the completions come back in
 * order with their tags.
 */
static void step_pt_batch(void)
{
	unsigned ok = 0, queued = 0, done = 0;
	int cid[BATCH];
	struct rt_ptblk_done r;

	memset(buf, 0, sizeof(buf));
	for (unsigned i = 0; i < BATCH; i++) {
		cid[i] = rt_ptblk_submit(&pt, PTBLK_OP_READ, 37 * i + 3,
					 (uintptr_t)buf[i], 1);
		queued += cid[i] >= 0;
	}
	check(queued == BATCH, "queue the batch");
	for (unsigned i = 0; i < queued; i++) {
		if (rt_ptblk_complete(&pt, &r) < 0)
			break;
		done++;
		ok += r.cid == cid[i] && r.sc == PTBLK_SC_SUCCESS &&
		      r.result == SECTOR &&
		      pattern(buf[i], 37 * i + 3, SECTOR)[0] == 'o';
	}
	rt_printf("blkio: ptblk: batch of %u reads, no register written: %u "
		  "completed, %u in order with status OK and the right "
		  "sector\n", BATCH, done, ok);
}

/*
 * A driver that breaks the rules: an SQ tail doorbell past the queue.
 * The device stops (CSTS.CFS) and does nothing more until it is
 * disabled; then it works again.
 */
static void step_pt_hostile(void)
{
	uint32_t s = 0;
	int rd;

	*(volatile uint32_t *)(pt_page + PTBLK_SQ_TAIL) = PTBLK_QSIZE + 5;
	for (unsigned i = 0; i < 100000 && !(s & PTBLK_CSTS_CFS); i++) {
		s = rt_ptblk_csts(&pt);
		if (!(s & PTBLK_CSTS_CFS))
			rt_ptblk_pause(20000);
	}
	rt_printf("blkio: ptblk: SQ tail doorbell %u: csts %x (CFS %s)\n",
		  PTBLK_QSIZE + 5, s, s & PTBLK_CSTS_CFS ? "set" : "clear");
	memset(buf[1], 0, SECTOR);
	rd = rt_ptblk_open(&pt, &pt.pci, pt_page) == 0 ?
		     rt_blk_read(&pt.blk, 5, buf[1], 1) : RT_BLK_EIO;
	rt_printf("blkio: ptblk: after a disable and enable: csts %x, read "
		  "sector 5: %s, pattern %s\n", rt_ptblk_csts(&pt),
		  status_name(rd), pattern(buf[1], 5, SECTOR));
}

/* ------------------------------------------------------------ interrupt */

static unsigned irq_line;

/* The card's INTx#, through the 8259A pair: the ISR read lowers it. */
static void on_vblk(struct rt_frame *f)
{
	(void)f;
	rt_vblk_interrupt(&vb);
	if (irq_line >= 8)
		outb(PIC_SLAVE_CMD, OCW2_EOI);
	outb(PIC_MASTER_CMD, OCW2_EOI);
}

/*
 * One read completed by interrupt: the driver halts until the card's
 * line, routed by the firmware to the IRQ its interrupt line says, comes
 * in through the 8259A pair.
 */
static void step_irq(void)
{
	unsigned vec;
	uint8_t master = (uint8_t)~(1 << PIC_CASCADE_IRQ), slave = 0xff;

	irq_line = rt_pci_read(&vb.v.pci, PCI_INTERRUPT_LINE, 1) & 15;
	vec = irq_line < 8 ? VEC_MASTER + irq_line : VEC_SLAVE + irq_line - 8;
	if (irq_line < 8)
		master &= (uint8_t)~(1 << irq_line);
	else
		slave &= (uint8_t)~(1 << (irq_line - 8));
	rt_set_gate(vec, vec, 0);
	rt_set_handler(vec, on_vblk);
	rt_pic_init(VEC_MASTER, VEC_SLAVE, master, slave);
	rt_vblk_use_irq(&vb, true);
	memset(buf[0], 0, SECTOR);
	int st = rt_blk_read(&vb.blk, 900, buf[0], 1);
	/* The used entry may be seen before the interrupt is taken (on
	 * QEMU the card raises its line right after it, from another
	 * thread; on trapvisor the line rose during the notifying write,
	 * with interrupts off): wait for it with them on. */
	while (vb.irqs == 0) {
		safe_halt();
		cli();
	}
	rt_printf("blkio: interrupt on IRQ %u: read sector 900: %s, pattern "
		  "%s; %u taken, ISR %02x\n", irq_line, status_name(st),
		  pattern(buf[0], 900, SECTOR), vb.irqs, vb.last_isr);
	rt_vblk_use_irq(&vb, false);
	outb(PIC_MASTER_DATA, 0xff);
	outb(PIC_SLAVE_DATA, 0xff);
}

/* ------------------------------------------------------------ hostile */

/*
 * A driver that breaks the rules: a chain whose last descriptor names
 * itself as the next, a loop.  The device must see it (a chain longer
 * than the queue), give up with DEVICE_NEEDS_RESET and tell the driver
 * with a configuration interrupt (ISR bit 1), and work again only after
 * a reset.
 */
static void step_hostile(void)
{
	struct rt_virtq_desc *d = vb.q.r->desc;
	struct rt_pci_dev pci = vb.v.pci;
	uint8_t st = 0, isr;
	uint16_t last;
	int r;

	if (rt_vblk_queue(&vb, &reqs[0], VIRTIO_BLK_T_IN, 5, buf[0], SECTOR,
			  false) != RT_BLK_OK) {
		check(false, "queue the request to break");
		return;
	}
	/* header, data, status: the status descriptor loops to itself */
	last = d[d[reqs[0].head].next].next;
	d[last].flags |= VIRTQ_DESC_F_NEXT;
	d[last].next = last;
	rt_vblk_kick(&vb);
	/* on QEMU the device may look at the chain a little later */
	for (unsigned i = 0; i < 1000000 && !(st & VIRTIO_STATUS_NEEDS_RESET);
	     i++)
		st = rt_virtio_status(&vb.v);
	isr = rt_virtio_isr(&vb.v);
	rt_printf("blkio: a chain that loops: status %02x (NEEDS_RESET %s), "
		  "ISR %02x\n", st, st & VIRTIO_STATUS_NEEDS_RESET ? "set" :
								  "clear",
		  isr);
	r = rt_vblk_open(&vb, &pci, 1ull << VIRTIO_BLK_F_FLUSH);
	memset(buf[1], 0, SECTOR);
	int rd = r == 0 ? rt_blk_read(&vb.blk, 5, buf[1], 1) : RT_BLK_EIO;
	rt_printf("blkio: after a reset: status %02x, read sector 5: %s, "
		  "pattern %s\n", rt_virtio_status(&vb.v), status_name(rd),
		  pattern(buf[1], 5, SECTOR));
}

/* ------------------------------------------------------------ writer */

/* Sector WRITER_LBA + seq - 1's text: "tv-writer-seq-SEQ " over. */
static void fill_seq(uint8_t *p, unsigned seq)
{
	const char *t = rt_fmt("tv-writer-seq-%u ", seq);
	size_t n = strlen(t);

	for (unsigned i = 0; i < SECTOR; i++)
		p[i] = (uint8_t)t[i % n];
}

/*
 * Write, flush, tell: a line says "flushed N" only after the flush of
 * sector N completed, so that whatever kills the machine afterwards,
 * the image must hold every sector up to the last line the monitor let
 * out.
 */
static int writer(void)
{
	for (unsigned seq = 1; WRITER_LBA + seq - 1 < blk->sectors; seq++) {
		int w, f;

		fill_seq(buf[0], seq);
		w = rt_blk_write(blk, WRITER_LBA + seq - 1, buf[0], 1);
		f = w ? w : rt_blk_flush(blk);
		if (w || f) {
			rt_printf("blkio: write %u: %s, flush %s\n", seq,
				  status_name(w), status_name(f));
			return 1;
		}
		rt_printf("blkio: flushed %u\n", seq);
	}
	rt_printf("blkio: writer done\n");
	return 0;
}

/* Is word w among the blank-separated words of args? */
static bool has_word(const char *args, const char *w)
{
	size_t n = strlen(w);

	for (const char *p = args; p && *p;) {
		while (*p == ' ')
			p++;
		if (!memcmp(p, w, n) && (p[n] == ' ' || p[n] == 0))
			return true;
		while (*p && *p != ' ')
			p++;
	}
	return false;
}

int main(const char *args)
{
	bool dma = has_word(args, "ide-dma");
	bool on_ide = dma || has_word(args, "ide");
	bool on_pt = has_word(args, "pt");

	if (!(on_pt ? bring_up_pt() : on_ide ? bring_up_ide(dma) : bring_up()))
		return 2;
	if (has_word(args, "writer"))
		return writer();
	check(blk->sectors == DISK_SECTORS, "capacity");
	if (!on_ide && !on_pt)
		step_id();
	step_read();
	if (on_pt)
		step_pt_batch();
	if (!on_ide && !on_pt) {
		step_batch();
		step_indirect();
	}
	step_write();
	step_errors();
	if (on_pt)
		step_pt_hostile();
	if (!on_ide && !on_pt) {
		step_irq();
		step_hostile();
	}
	rt_printf("blkio: %d failed\n", failed);
	return failed ? 1 : 0;
}
