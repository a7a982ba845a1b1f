/*
 * guests/iobench/iobench.c - the I/O benchmark's workloads (make bench-io,
 * bench/io.sh): one disk workload on one disk, each request timed by the
 * guest with the TSC.
 *
 *   -- DISK WORKLOAD [smoke|full|tiny]
 *
 * DISK picks the driver behind the runtime's block interface (blk.h):
 * "virtio", the virtio-blk card (vblk.h, polled); "ide", the IDE master
 * by PIO; "ide-dma", the same disk by bus-master DMA through the PIIX3
 * IDE function (ide.h); "pt", the passed-through disk (ptblk.h: its
 * rings and doorbells in a page of this guest's RAM, served by a host
 * thread that polls them, so that its data path makes no exit).
 * WORKLOAD is one of
 *
 *   seqread    4 KiB reads, one after the other from sector 0 on
 *   randread   4 KiB reads at pseudo-random 4 KiB-aligned places
 *   seqwrite   4 KiB writes, one after the other
 *   randwrite  4 KiB writes at pseudo-random places
 *   syncwrite  512-byte writes, each followed by a flush: a journal's
 *              commit record, the request that must reach the medium
 *              before the program goes on
 *   none       only the disk's bring-up: bench/io.sh subtracts its exits
 *   all        the five, one after the other
 *
 * one request at a time (queue, notify, poll until it completes: no
 * interrupt).  smoke (the default) is SMOKE_REQS requests, full
 * FULL_REQS (FULL_SYNC for syncwrite, whose every request waits for the
 * host's fsync), tiny TINY_REQS (for a machine whose exits cost a
 * millisecond: kvm nested in QEMU's software SVM).  A request's latency is the TSC from before it was
 * issued to its completion (for syncwrite, to the flush's), the host's
 * TSC on every engine.  Per workload, one line:
 *
 *   iobench: disk=D workload=W size=S requests=N bytes=B failed=F
 *            cycles=T p50=X p99=Y max=Z
 *
 * (one line on the console), T the sum of the latencies; the harness
 * turns cycles into MB/s and IOPS at the host's TSC rate, and takes the
 * exits of the monitor's --stats.  Everything but the cycles is the same
 * on every run: the random places come from a fixed seed.
 *
 * The disk is bench/io.sh's image: IMAGE_BYTES, the byte at offset o
 * holding o % 251 (tests/guests/disk.sh's pattern, longer).  Every write
 * writes the bytes that are already there, so that the image stays that
 * and every read can be checked: each sector read must start and end
 * with its own bytes (two bytes a sector, not all: comparing 512 would
 * cost more guest time than the request on softcpu).
 */
#include "cpu.h"
#include "devices/ide.h"
#include "ide.h"
#include "pci.h"
#include "ptblk.h"
#include "rt.h"
#include "vblk.h"

#define SECTOR RT_BLK_SECTOR
#define REQ_SECTORS 8      /* 4 KiB */
#define TINY_REQS 8        /* the nested machine's (bench/io.sh) */
#define SMOKE_REQS 64
#define FULL_REQS 2000     /* 8000 KiB: within the image, sequentially */
#define FULL_SYNC 500
#define SEED 2463534242u   /* the xorshift's start */
#define LINE_WIDTH 240     /* a line's bytes, the newline included */

static struct rt_vblk vb;
static struct rt_ide ide;
static struct rt_ptblk pt;
static uint8_t pt_page[PTBLK_PAGE] __attribute__((aligned(PTBLK_PAGE)));
static struct rt_blk *blk;
static const char *disk_name;  /* the disk's word on the command line */
static uint8_t buf[REQ_SECTORS * SECTOR] __attribute__((aligned(4096)));
static uint64_t lat[FULL_REQS];

/* ------------------------------------------------------------ the disks */

static bool open_virtio(void)
{
	static const uint16_t ids[] = { RT_VBLK_DEVICE_MODERN };
	struct rt_pci_dev d;

	if (!rt_pci_find(VIRTIO_PCI_VENDOR_ID, ids, 1, &d) ||
	    rt_vblk_open(&vb, &d, 1ull << VIRTIO_F_VERSION_1 |
				      1ull << VIRTIO_BLK_F_FLUSH) < 0)
		return false;
	blk = &vb.blk;
	return true;
}

static bool open_ide(void)
{
	if (rt_ide_open(&ide, IDE0_BASE, IDE0_CTRL) < 0)
		return false;
	blk = &ide.blk;
	return true;
}

/* The passed-through disk: the device at PTBLK_VENDOR_ID's id, given a
 * page of this guest's RAM for its rings and doorbells. */
static bool open_pt(void)
{
	static const uint16_t ids[] = { PTBLK_DEVICE_ID };
	struct rt_pci_dev d;

	if (!rt_pci_find(PTBLK_VENDOR_ID, ids, 1, &d) ||
	    rt_ptblk_open(&pt, &d, pt_page) < 0)
		return false;
	blk = &pt.blk;
	return true;
}

/* The IDE disk, its data moved by the PIIX3 function's bus master
 * (00:01.1's BAR4, bus mastering turned on here). */
static bool open_ide_dma(void)
{
	static const uint16_t ids[] = { RT_PIIX3_IDE_DEVICE };
	struct rt_pci_dev d;

	return open_ide() && rt_pci_find(PCI_VENDOR_ID_INTEL, ids, 1, &d) &&
	       rt_ide_dma_through(&ide, &d);
}

/* One line per disk: a new driver behind blk.h is one more line. */
static const struct disk {
	const char *name;
	bool (*open)(void);
	const char *missing;   /* what to say when open fails */
} disks[] = {
	{ "virtio", open_virtio, "no virtio-blk card came up (--disk=FILE,if=virtio)" },
	{ "ide", open_ide, "no IDE disk on the primary channel (--disk=FILE)" },
	{ "ide-dma", open_ide_dma, "no IDE disk with a PIIX3 bus master (--disk=FILE)" },
	{ "pt", open_pt, "no passthru disk came up (--disk=FILE,if=passthru)" },
};

/* ------------------------------------------------------------ workloads */

static const struct workload {
	const char *name;
	bool write, random, flush;
	unsigned sectors;      /* per request */
} workloads[] = {
	{ "seqread", false, false, false, REQ_SECTORS },
	{ "randread", false, true, false, REQ_SECTORS },
	{ "seqwrite", true, false, false, REQ_SECTORS },
	{ "randwrite", true, true, false, REQ_SECTORS },
	{ "syncwrite", true, true, true, 1 },
};
#define NWORKLOADS (sizeof(workloads) / sizeof(workloads[0]))

/* A small xorshift (Marsaglia 2003): the same places on every run. */
static uint32_t next_rand(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

/* The image's byte at offset o. */
static uint8_t image_byte(uint64_t o)
{
	return (uint8_t)(o % 251);
}

/* Fill buf with what the image holds at sectors lba.. (a write's data):
 * one modulo, then a counter that wraps at 251. */
static void fill(uint64_t lba, unsigned sectors)
{
	unsigned b = image_byte(lba * SECTOR);

	for (unsigned i = 0; i < sectors * SECTOR; i++) {
		buf[i] = (uint8_t)b;
		b = b == 250 ? 0 : b + 1;
	}
}

/* Does each sector of buf start and end with its own bytes? */
static bool landed(uint64_t lba, unsigned sectors)
{
	for (unsigned s = 0; s < sectors; s++) {
		uint64_t o = (lba + s) * SECTOR;

		if (buf[s * SECTOR] != image_byte(o) ||
		    buf[s * SECTOR + SECTOR - 1] != image_byte(o + SECTOR - 1))
			return false;
	}
	return true;
}

/* Shell sort (Ciura's gaps): 2000 numbers, no library. */
static void sort(uint64_t *a, unsigned n)
{
	static const unsigned gaps[] = { 701, 301, 132, 57, 23, 10, 4, 1 };

	for (unsigned g = 0; g < sizeof(gaps) / sizeof(gaps[0]); g++) {
		unsigned h = gaps[g];

		for (unsigned i = h; i < n; i++) {
			uint64_t v = a[i];
			unsigned j = i;

			for (; j >= h && a[j - h] > v; j -= h)
				a[j] = a[j - h];
			a[j] = v;
		}
	}
}

/*
 * A workload's line, padded with blanks to LINE_WIDTH bytes: every line
 * then costs the console the same exits (an in and an out a byte), and
 * the none run's line takes exactly those of a workload's with it.
 */
static void line(const char *wname, const char *size, unsigned n,
		 uint64_t bytes, unsigned failed, uint64_t total, uint64_t p50,
		 uint64_t p99, uint64_t max)
{
	char l[LINE_WIDTH + 1];
	int len = rt_snprintf(l, sizeof(l), "iobench: disk=%s workload=%s "
			      "size=%s requests=%u bytes=%llu failed=%u "
			      "cycles=%llu p50=%llu p99=%llu max=%llu",
			      disk_name, wname, size, n,
			      (unsigned long long)bytes, failed,
			      (unsigned long long)total,
			      (unsigned long long)p50, (unsigned long long)p99,
			      (unsigned long long)max);

	for (int i = len; i < LINE_WIDTH - 1; i++)
		l[i] = ' ';
	l[LINE_WIDTH - 1] = '\n';
	l[LINE_WIDTH] = 0;
	rt_puts(l);
}

/* One request of w at lba: its status (RT_BLK_OK or another). */
static int request(const struct workload *w, uint64_t lba)
{
	int st;

	if (!w->write)
		return rt_blk_read(blk, lba, buf, w->sectors);
	st = rt_blk_write(blk, lba, buf, w->sectors);
	if (st == RT_BLK_OK && w->flush)
		st = rt_blk_flush(blk);
	return st;
}

/* n requests of w, each timed; its line. */
static unsigned run(const struct workload *w, const char *size, unsigned n)
{
	uint64_t places = blk->sectors / REQ_SECTORS, total = 0;
	uint32_t seed = SEED;
	unsigned failed = 0;

	for (unsigned i = 0; i < n; i++) {
		uint64_t place = w->random ? next_rand(&seed) % places :
					     i % places;
		uint64_t lba = place * REQ_SECTORS, t0;
		int st;

		if (w->write)
			fill(lba, w->sectors);
		t0 = rdtsc();
		st = request(w, lba);
		lat[i] = rdtsc() - t0;
		total += lat[i];
		failed += st != RT_BLK_OK ||
			  (!w->write && !landed(lba, w->sectors));
	}
	sort(lat, n);
	line(w->name, size, n, (uint64_t)n * w->sectors * SECTOR, failed,
	     total, n ? lat[n / 2] : 0, n ? lat[n * 99 / 100] : 0,
	     n ? lat[n - 1] : 0);
	return failed;
}

/* ------------------------------------------------------------ arguments */

/* The idx-th blank-separated word of args into out (at most 15 bytes);
 * false when there is none. */
static bool word(const char *args, unsigned idx, char out[16])
{
	const char *p = args ? args : "";

	for (;;) {
		size_t n = 0;

		while (*p == ' ')
			p++;
		if (!*p)
			return false;
		while (p[n] && p[n] != ' ')
			n++;
		if (idx-- == 0) {
			if (n > 15)
				n = 15;
			memcpy(out, p, n);
			out[n] = 0;
			return true;
		}
		p += n;
	}
}

static int usage(const char *why)
{
	rt_printf("iobench: %s; usage: -- virtio|ide|ide-dma|pt "
		  "seqread|randread|seqwrite|randwrite|syncwrite|none|all "
		  "[smoke|full|tiny]\n", why);
	return 2;
}

int main(const char *args)
{
	char dname[16], wname[16], size[16] = "smoke", extra[16];
	const struct disk *d = NULL;
	unsigned failed = 0, found = 0;
	unsigned n;

	if (!word(args, 0, dname) || !word(args, 1, wname))
		return usage("say which disk and which workload");
	word(args, 2, size);
	if (!strcmp(size, "full"))
		n = FULL_REQS;
	else if (!strcmp(size, "smoke"))
		n = SMOKE_REQS;
	else if (!strcmp(size, "tiny"))
		n = TINY_REQS;
	else
		return usage(rt_fmt("no size called %s", size));
	if (word(args, 3, extra))
		return usage(rt_fmt("one word too many: %s", extra));
	for (unsigned i = 0; i < sizeof(disks) / sizeof(disks[0]); i++)
		if (!strcmp(dname, disks[i].name))
			d = &disks[i];
	if (!d)
		return usage(rt_fmt("no disk called %s", dname));
	if (strcmp(wname, "none") && strcmp(wname, "all")) {
		for (unsigned i = 0; i < NWORKLOADS; i++)
			found += !strcmp(wname, workloads[i].name);
		if (!found)
			return usage(rt_fmt("no workload called %s", wname));
	}
	disk_name = d->name;
	if (!d->open()) {
		rt_printf("iobench: %s\n", d->missing);
		return 2;
	}
	if (blk->sectors < (uint64_t)FULL_REQS * REQ_SECTORS) {
		rt_printf("iobench: the disk has %llu sectors, fewer than the "
			  "%u the workloads cover\n",
			  (unsigned long long)blk->sectors,
			  FULL_REQS * REQ_SECTORS);
		return 2;
	}
	/* Touch the buffers in every run, none's too: their first touches
	 * (the monitor's hidden page faults) are not the workload's. */
	memset(buf, 0, sizeof(buf));
	memset(lat, 0, sizeof(lat));
	for (unsigned i = 0; i < NWORKLOADS; i++) {
		const struct workload *w = &workloads[i];

		if (strcmp(wname, "all") && strcmp(wname, w->name))
			continue;
		failed += run(w, size, n == FULL_REQS && w->flush ? FULL_SYNC :
									 n);
	}
	if (!strcmp(wname, "none"))
		line("none", size, 0, 0, 0, 0, 0, 0, 0);
	return failed ? 1 : 0;
}
