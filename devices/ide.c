/*
 * devices/ide.c - an IDE channel with two ATA hard disks, by PIO and
 * by bus-master DMA (devices/ide.h).
 *
 * A command runs at once, synchronously: the device reads the image
 * with pread, puts the first block in buf and sets DRQ; each block the
 * guest drains (or fills, for writes) moves the command on.  READ DMA
 * and WRITE DMA wait instead for the bus master (the PIIX3 IDE
 * function's registers, devices/piix.h), which then moves every sector
 * between the image and guest RAM in one go: the guest's cost is a
 * handful of register accesses per command, not one per word.
 *
 * Bulk transfer: "rep insw" reaches ide_io() once per word (the
 * interpreter's string loop, interp/io.c).  A faster path would copy a
 * whole DRQ block between buf and guest memory in one step there; the
 * word-at-a-time path is the correct one to start from.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "devices/disk_image.h"
#include "devices/ide.h"

#define QEMU_MODEL "QEMU HARDDISK" /* so that kernels see QEMU's disk */
#define QEMU_FIRMWARE "2.5+"       /* QEMU's qemu_hw_version() */

/* ------------------------------------------------------------ addresses */

/* Is this device present? */
static bool present(const struct ide_drive *d)
{
	return d->fd >= 0;
}

/* The address of the command's next sector from the task file: LBA28,
 * LBA48 (with the HOB bytes) or CHS with the drive's geometry. */
static uint64_t get_sector(const struct ide_drive *d)
{
	if (!(d->device & ATA_DEV_LBA))
		return (uint64_t)((d->lba_high << 8 | d->lba_mid) * d->heads +
				  (d->device & 0x0f)) * d->spt +
		       (uint64_t)d->lba_low - 1; /* sector 0 wraps: invalid */
	if (!d->lba48)
		return (uint64_t)(d->device & 0x0f) << 24 |
		       (uint64_t)d->lba_high << 16 | d->lba_mid << 8 |
		       d->lba_low;
	return (uint64_t)d->hob_lba_high << 40 |
	       (uint64_t)d->hob_lba_mid << 32 |
	       (uint64_t)d->hob_lba_low << 24 |
	       (uint64_t)d->lba_high << 16 | d->lba_mid << 8 | d->lba_low;
}

/* Write sector back into the task file, as the device leaves it after a
 * transfer (the address of the next sector). */
static void set_sector(struct ide_drive *d, uint64_t sector)
{
	if (!(d->device & ATA_DEV_LBA)) {
		unsigned track = d->heads * d->spt;
		uint64_t cyl = sector / track, r = sector % track;

		d->lba_high = (uint8_t)(cyl >> 8);
		d->lba_mid = (uint8_t)cyl;
		d->device = (uint8_t)((d->device & 0xf0) | (r / d->spt & 0x0f));
		d->lba_low = (uint8_t)(r % d->spt + 1);
	} else if (!d->lba48) {
		d->device = (uint8_t)((d->device & 0xf0) | (sector >> 24 & 0x0f));
		d->lba_high = (uint8_t)(sector >> 16);
		d->lba_mid = (uint8_t)(sector >> 8);
		d->lba_low = (uint8_t)sector;
	} else {
		d->lba_low = (uint8_t)sector;
		d->lba_mid = (uint8_t)(sector >> 8);
		d->lba_high = (uint8_t)(sector >> 16);
		d->hob_lba_low = (uint8_t)(sector >> 24);
		d->hob_lba_mid = (uint8_t)(sector >> 32);
		d->hob_lba_high = (uint8_t)(sector >> 40);
	}
}

/* Do n sectors from sector lie on the disk? */
static bool range_ok(const struct ide_drive *d, uint64_t sector, uint64_t n)
{
	return sector <= d->nsectors && n <= d->nsectors - sector;
}

/* The count a command works with: 0 means 256 (or 65536 for EXT). */
static void take_count(struct ide_drive *d, bool lba48)
{
	d->lba48 = lba48;
	if (!lba48)
		d->count = d->count ? d->count : 256;
	else if (!d->count && !d->hob_count)
		d->count = 65536;
	else
		d->count = (uint32_t)d->hob_count << 8 | d->count;
}

/* ------------------------------------------------------------ transfers */

/* Raise INTRQ, unless the host disabled it with nIEN. */
static void raise_irq(struct ide_bus *b)
{
	if (!(b->control & ATA_CTL_NIEN)) {
		b->irq = true;
		b->bm.status |= BM_ST_INT; /* the bus master sees INTRQ too */
	}
}

/* Offer buf[0..bytes) through the data port (DRQ), unless in error. */
static void xfer_start(struct ide_drive *d, unsigned bytes, enum ide_xfer x)
{
	d->xfer = x;
	d->pos = 0;
	d->end = bytes;
	if (!(d->status & ATA_SR_ERR))
		d->status |= ATA_SR_DRQ;
}

static void xfer_stop(struct ide_drive *d)
{
	d->xfer = IDE_XFER_NONE;
	d->pos = d->end = 0;
	d->status &= (uint8_t)~ATA_SR_DRQ;
}

/* End the command with ABRT. */
static void abort_cmd(struct ide_drive *d)
{
	xfer_stop(d);
	d->status = ATA_SR_DRDY | ATA_SR_ERR;
	d->error = ATA_ER_ABRT;
}

/* Sectors in the next block of the running read or write. */
static unsigned block_sectors(const struct ide_drive *d)
{
	return d->count < d->per_block ? d->count : d->per_block;
}

/*
 * The next block of a read: read it from the image, offer it, interrupt.
 * With no sector left the command is over.  A block past the end aborts
 * (QEMU's answer; ATA would say IDNF), a host read error gives UNC.
 */
static void sector_read(struct ide_bus *b, struct ide_drive *d)
{
	uint64_t sector = get_sector(d);
	unsigned n = block_sectors(d);

	d->status = ATA_SR_DRDY | ATA_SR_DSC;
	d->error = 0;
	if (n == 0) {
		xfer_stop(d);
		return;
	}
	if (!range_ok(d, sector, n)) {
		abort_cmd(d);
	} else if (pread(d->fd, d->buf, (size_t)n * ATA_SECTOR,
			 (off_t)(sector * ATA_SECTOR)) !=
		   (ssize_t)n * ATA_SECTOR) {
		abort_cmd(d);
		d->error |= ATA_ER_UNC;
	} else {
		set_sector(d, sector + n);
		d->count -= n;
		b->sectors_moved += n;
		xfer_start(d, n * ATA_SECTOR, IDE_XFER_READ);
	}
	raise_irq(b);
}

/*
 * A block of a write arrived: write it to the image, then ask for the
 * next one or end the command, and interrupt.
 */
static void sector_write(struct ide_bus *b, struct ide_drive *d)
{
	uint64_t sector = get_sector(d);
	unsigned n = block_sectors(d);

	d->status = ATA_SR_DRDY | ATA_SR_DSC;
	if (!range_ok(d, sector, n)) {
		abort_cmd(d);
	} else if (pwrite(d->fd, d->buf, (size_t)n * ATA_SECTOR,
			  (off_t)(sector * ATA_SECTOR)) !=
		   (ssize_t)n * ATA_SECTOR) {
		abort_cmd(d);
	} else {
		d->count -= n;
		b->sectors_moved += n;
		set_sector(d, sector + n);
		if (d->count == 0)
			xfer_stop(d);
		else
			xfer_start(d, block_sectors(d) * ATA_SECTOR,
				   IDE_XFER_WRITE);
	}
	raise_irq(b);
}

/* The guest drained or filled the whole block: move the command on. */
static void block_done(struct ide_bus *b, struct ide_drive *d)
{
	d->status &= (uint8_t)~ATA_SR_DRQ;
	switch (d->xfer) {
	case IDE_XFER_READ:
		sector_read(b, d);
		break;
	case IDE_XFER_WRITE:
		sector_write(b, d);
		break;
	default:
		xfer_stop(d);
	}
}

/* ------------------------------------------------------------ IDENTIFY */

/*
 * Words 62, 63 and 88: single-word DMA 0-2, multiword DMA 0-2 and
 * Ultra DMA 0-5 supported (low byte), the mode selected (high byte),
 * as QEMU sets them: Ultra DMA 5 until SET FEATURES picks another.
 */
static void dma_modes(const struct ide_drive *d, uint16_t w[256])
{
	unsigned mode = d->xfer_mode & 7;

	w[62] = 0x07;
	w[63] = 0x07;
	w[88] = 0x3f;
	if (!d->xfer_mode_set) {
		w[88] |= 1 << 13;  /* power-on: UDMA 5 */
		return;
	}
	switch (d->xfer_mode >> 3) {
	case 0x02: w[62] |= (uint16_t)(1 << (mode + 8)); break;
	case 0x04: w[63] |= (uint16_t)(1 << (mode + 8)); break;
	case 0x08: w[88] |= (uint16_t)(1 << (mode + 8)); break;
	}
}

/* An ATA string: two characters a word, the first in the high byte,
 * padded with spaces. */
static void put_string(uint16_t *w, const char *s, unsigned words)
{
	for (unsigned i = 0; i < words * 2; i++) {
		uint8_t c = *s ? (uint8_t)*s++ : ' ';
		if (i % 2 == 0)
			w[i / 2] = (uint16_t)(c << 8);
		else
			w[i / 2] |= c;
	}
}

/*
 * The 256 words of IDENTIFY DEVICE (ATA8-ACS table 45), filled as QEMU
 * fills them where kernels look, except that no DMA mode is offered
 * (words 49 bit 8, 62, 63, 88 stay clear) and neither SMART nor NOP
 * (words 82, 85 bits 0 and 14), which are not implemented.
 */
static void identify(const struct ide_drive *d, uint16_t w[256])
{
	uint64_t lba28 = d->nsectors < (1u << 28) ? d->nsectors :
			 (1u << 28) - 1;
	uint32_t chs = d->cyls * d->heads * d->spt;

	memset(w, 0, 512);
	w[0] = 0x0040;               /* fixed device, not removable */
	w[1] = (uint16_t)d->cyls;
	w[3] = (uint16_t)d->heads;
	w[4] = (uint16_t)(512 * d->spt);
	w[5] = 512;
	w[6] = (uint16_t)d->spt;
	put_string(w + 10, d->serial, 10);
	w[20] = 3;
	w[21] = 512;                 /* buffer size in sectors */
	w[22] = 4;
	put_string(w + 23, QEMU_FIRMWARE, 4);
	put_string(w + 27, QEMU_MODEL, 20);
	w[47] = 0x8000 | IDE_MAX_MULT; /* READ/WRITE MULTIPLE up to 16 */
	w[48] = 1;                   /* 32-bit PIO */
	w[49] = 1 << 11 | 1 << 9 | 1 << 8; /* IORDY, LBA, DMA */
	w[51] = 0x200;
	w[52] = 0x200;
	w[53] = 1 << 0 | 1 << 1 | 1 << 2; /* words 54-58, 64-70, 88 valid */
	w[54] = (uint16_t)d->cyls;
	w[55] = (uint16_t)d->heads;
	w[56] = (uint16_t)d->spt;
	w[57] = (uint16_t)chs;
	w[58] = (uint16_t)(chs >> 16);
	if (d->mult)
		w[59] = (uint16_t)(0x100 | d->mult);
	w[60] = (uint16_t)lba28;
	w[61] = (uint16_t)(lba28 >> 16);
	dma_modes(d, w);
	w[64] = 0x03;                /* PIO modes 3 and 4 */
	w[65] = w[66] = w[67] = w[68] = 120;
	w[80] = 0xf0;                /* ATA-4 to ATA-7 */
	w[81] = 0x16;
	w[82] = 1 << 5;              /* write cache */
	w[83] = 1 << 14 | 1 << 13 | 1 << 12 | 1 << 10; /* FLUSH EXT, FLUSH,
							  48-bit */
	w[84] = 1 << 14;
	w[85] = d->wcache ? 1 << 5 : 0;
	w[86] = 1 << 13 | 1 << 12 | 1 << 10;
	w[87] = 1 << 14;
	w[100] = (uint16_t)d->nsectors;
	w[101] = (uint16_t)(d->nsectors >> 16);
	w[102] = (uint16_t)(d->nsectors >> 32);
	w[103] = (uint16_t)(d->nsectors >> 48);
}

/* ------------------------------------------------------------ bus master */

/* Where the bus master is in the PRD table: the current region. */
struct prd_cursor {
	uint32_t addr;        /* guest-physical address of the next byte */
	uint32_t left;        /* bytes left in this region */
	bool eot;             /* this region is the table's last */
};

enum dma_end { DMA_DONE, DMA_SHORT, DMA_MEM_ERROR };

/*
 * Load the next descriptor into c.  False when there is none: the last
 * one had EOT, the table has run BM_TABLE_MAX bytes past the register's
 * address, or the descriptor itself is not in RAM (*bad).  Bit 0 of the
 * address and of the count is reserved (word granularity); a count of 0
 * is 64 KiB (SFF-8038i).
 */
static bool prd_next(struct ide_bus *b, struct prd_cursor *c, bool *bad)
{
	uint8_t e[BM_PRD_SIZE];
	uint32_t count;

	if (c->eot || b->bm.next - b->bm.prd >= BM_TABLE_MAX)
		return false;
	if (b->dma_read(b->dma_opaque, b->bm.next, e, sizeof(e)) < 0) {
		*bad = true;
		return false;
	}
	b->bm.next += BM_PRD_SIZE;
	c->addr = ((uint32_t)e[0] | (uint32_t)e[1] << 8 |
		   (uint32_t)e[2] << 16 | (uint32_t)e[3] << 24) & ~1u;
	count = ((uint32_t)e[4] | (uint32_t)e[5] << 8) & ~1u;
	c->left = count ? count : 0x10000;
	c->eot = e[7] & (BM_PRD_EOT >> 8);
	return true;
}

/*
 * Move len bytes between buf and the regions the table describes
 * (to_ram: buf into guest RAM, the disk-read direction), region by
 * region.
 */
static enum dma_end prd_copy(struct ide_bus *b, struct prd_cursor *c,
			     uint8_t *buf, size_t len, bool to_ram)
{
	bool bad = false;

	while (len > 0) {
		size_t n;
		int r;

		if (c->left == 0 && !prd_next(b, c, &bad))
			return bad ? DMA_MEM_ERROR : DMA_SHORT;
		n = len < c->left ? len : c->left;
		r = to_ram ? b->dma_write(b->dma_opaque, c->addr, buf, n) :
			     b->dma_read(b->dma_opaque, c->addr, buf, n);
		if (r < 0)
			return DMA_MEM_ERROR;
		c->addr += (uint32_t)n;
		c->left -= (uint32_t)n;
		buf += n;
		len -= n;
	}
	return DMA_DONE;
}

/* One chunk of sectors between the image and guest RAM.  A host I/O
 * error aborts the command with UNC, as PIO does. */
static enum dma_end dma_chunk(struct ide_bus *b, struct ide_drive *d,
			      struct prd_cursor *c, uint64_t sector,
			      unsigned n, bool *io_error)
{
	size_t len = (size_t)n * ATA_SECTOR;
	enum dma_end r;

	if (d->xfer == IDE_XFER_DMA_IN) {
		if (pread(d->fd, d->buf, len, (off_t)(sector * ATA_SECTOR)) !=
		    (ssize_t)len) {
			*io_error = true;
			return DMA_DONE;
		}
		return prd_copy(b, c, d->buf, len, true);
	}
	r = prd_copy(b, c, d->buf, len, false);
	if (r == DMA_DONE &&
	    pwrite(d->fd, d->buf, len, (off_t)(sector * ATA_SECTOR)) !=
		    (ssize_t)len)
		*io_error = true;
	return r;
}

/*
 * The command's end, as QEMU's bus master reports it.  Done: Active
 * clears (unless the table had bytes to spare), Interrupt and IRQ 14.
 * Short table: Active clears, no interrupt.  Memory error: Error,
 * Interrupt, ABRT.
 */
static void dma_finish(struct ide_bus *b, struct ide_drive *d,
		       enum dma_end end, bool spare)
{
	d->xfer = IDE_XFER_NONE;
	d->status = ATA_SR_DRDY | ATA_SR_DSC;
	switch (end) {
	case DMA_DONE:
		if (!spare)
			b->bm.status &= (uint8_t)~BM_ST_ACTIVE;
		raise_irq(b);
		break;
	case DMA_SHORT:
		b->bm.status &= (uint8_t)~BM_ST_ACTIVE;
		break;
	case DMA_MEM_ERROR:
		abort_cmd(d);
		b->bm.status = (uint8_t)((b->bm.status & ~BM_ST_ACTIVE) |
					 BM_ST_ERROR);
		raise_irq(b);
		break;
	}
}

/* An error of the drive itself (range, host I/O): ABRT and IRQ. */
static void dma_drive_error(struct ide_bus *b, struct ide_drive *d,
			    uint8_t error)
{
	abort_cmd(d);
	d->error |= error;
	b->bm.status &= (uint8_t)~BM_ST_ACTIVE;
	raise_irq(b);
}

/*
 * Run a waiting DMA command through the bus master, all of it, now: the
 * disk side in chunks of buf, the memory side region by region.
 */
static void dma_run(struct ide_bus *b, struct ide_drive *d)
{
	struct prd_cursor c = { 0, 0, false };
	uint64_t sector = get_sector(d);
	enum dma_end end = DMA_DONE;
	bool io_error = false;

	if (!range_ok(d, sector, d->count)) {
		dma_drive_error(b, d, 0);
		return;
	}
	while (d->count > 0 && end == DMA_DONE && !io_error) {
		unsigned n = d->count < IDE_MAX_MULT ? d->count : IDE_MAX_MULT;

		end = dma_chunk(b, d, &c, sector, n, &io_error);
		if (end != DMA_DONE || io_error)
			break;
		sector += n;
		d->count -= n;
		b->sectors_moved += n;
		set_sector(d, sector);
	}
	if (io_error)
		dma_drive_error(b, d, ATA_ER_UNC);
	else
		dma_finish(b, d, end, c.left > 0);
}

/* The drive's side of READ/WRITE DMA: DRQ, then wait for Start (or go
 * at once if the bus master is active already). */
static bool cmd_dma(struct ide_bus *b, struct ide_drive *d, bool lba48,
		    bool write)
{
	if (!b->dma_read || (write && d->read_only)) {
		abort_cmd(d);
		return true;
	}
	take_count(d, lba48);
	d->status = ATA_SR_DRDY | ATA_SR_DSC | ATA_SR_DRQ;
	d->xfer = write ? IDE_XFER_DMA_OUT : IDE_XFER_DMA_IN;
	d->pos = d->end = 0;
	if (b->bm.status & BM_ST_ACTIVE)
		dma_run(b, d);
	return false;
}

/* ------------------------------------------------------------ commands */

/*
 * Each command returns true when it is complete (the caller clears BSY
 * and interrupts), false when it has started a transfer or interrupted
 * by itself.
 */
static bool cmd_identify(struct ide_bus *b, struct ide_drive *d)
{
	uint16_t w[256];

	identify(d, w);
	for (unsigned i = 0; i < 256; i++) {
		d->buf[2 * i] = (uint8_t)w[i];
		d->buf[2 * i + 1] = (uint8_t)(w[i] >> 8);
	}
	d->status = ATA_SR_DRDY | ATA_SR_DSC;
	xfer_start(d, ATA_SECTOR, IDE_XFER_IDENT);
	raise_irq(b);
	return false;
}

static bool cmd_read(struct ide_bus *b, struct ide_drive *d, bool lba48,
		     unsigned per_block)
{
	take_count(d, lba48);
	d->per_block = per_block;
	sector_read(b, d);
	return false;
}

/* A write asks for its first block without an interrupt (ATA PIO
 * data-out protocol); a read-only disk refuses it. */
static bool cmd_write(struct ide_drive *d, bool lba48, unsigned per_block)
{
	if (d->read_only) {
		abort_cmd(d);
		return true;
	}
	take_count(d, lba48);
	d->per_block = per_block;
	d->status = ATA_SR_DRDY | ATA_SR_DSC;
	xfer_start(d, block_sectors(d) * ATA_SECTOR, IDE_XFER_WRITE);
	return false;
}

/* FLUSH CACHE: the image's data reaches the host's disk. */
static bool cmd_flush(struct ide_drive *d)
{
	if (fsync(d->fd) < 0)
		abort_cmd(d);
	else
		d->status = ATA_SR_DRDY | ATA_SR_DSC;
	return true;
}

/* SET MULTIPLE MODE: a power of two up to IDE_MAX_MULT, or 0 (off). */
static bool cmd_set_multiple(struct ide_drive *d)
{
	unsigned n = d->count & 0xff;

	if (n > IDE_MAX_MULT || (n & (n - 1)))
		abort_cmd(d);
	else
		d->mult = n;
	return true;
}

/*
 * SET FEATURES: what kernels send.  Write cache on and off, read
 * look-ahead, power-on defaults, power management and acoustics are
 * accepted (nothing to change here but IDENTIFY word 85); a transfer
 * mode is accepted as QEMU accepts it (PIO, single-word, multiword or
 * Ultra DMA; IDENTIFY words 62, 63, 88 show the one chosen); the disk
 * moves data the same way whatever it is.
 */
static bool cmd_set_features(struct ide_drive *d)
{
	switch (d->features) {
	case 0x02: /* enable write cache */
		d->wcache = true;
		return true;
	case 0x82: /* disable write cache: what it held goes to disk */
		d->wcache = false;
		return cmd_flush(d);
	case 0x03: /* set transfer mode from the Sector Count */
		switch ((d->count & 0xff) >> 3) {
		case 0x00: case 0x01: /* PIO default, PIO mode */
		case 0x02: case 0x04: case 0x08: /* SW, MW, Ultra DMA */
			d->xfer_mode = (uint8_t)d->count;
			d->xfer_mode_set = true;
			return true;
		}
		break;
	case 0xaa: case 0x55: /* read look-ahead on, off */
	case 0xcc: case 0x66: /* revert to power-on defaults on, off */
	case 0x05: case 0x85: /* advanced power management on, off */
	case 0x42: case 0xc2: /* automatic acoustic management on, off */
		return true;
	}
	abort_cmd(d);
	return true;
}

/* EXECUTE DEVICE DIAGNOSTIC (and the end of a soft reset): the
 * signature of an ATA device in the task file, "passed" in Error. */
static void set_signature(struct ide_drive *d)
{
	d->device &= 0xf0;
	d->count = 1;
	d->lba_low = 1;
	d->lba_mid = d->lba_high = present(d) ? 0x00 : 0xff;
}

static bool cmd_diagnostic(struct ide_bus *b, struct ide_drive *d)
{
	set_signature(d);
	d->status = ATA_SR_DRDY | ATA_SR_DSC;
	d->error = 0x01; /* device 0 passed, device 1 passed or absent */
	raise_irq(b);
	return false;
}

/* READ NATIVE MAX ADDRESS: the last sector's address in the task file. */
static bool cmd_native_max(struct ide_drive *d, bool lba48)
{
	take_count(d, lba48);
	set_sector(d, d->nsectors - 1);
	return true;
}

/* Run the command; false for one this disk does not know. */
static bool run_cmd(struct ide_bus *b, struct ide_drive *d, uint8_t cmd,
		    bool *complete)
{
	bool c = true;

	switch (cmd) {
	case ATA_CMD_IDENTIFY: c = cmd_identify(b, d); break;
	case ATA_CMD_READ_SECTORS: case ATA_CMD_READ_SECTORS_NR:
		c = cmd_read(b, d, false, 1); break;
	case ATA_CMD_READ_SECTORS_EXT: c = cmd_read(b, d, true, 1); break;
	case ATA_CMD_WRITE_SECTORS: case ATA_CMD_WRITE_SECTORS_NR:
		c = cmd_write(d, false, 1); break;
	case ATA_CMD_WRITE_SECTORS_EXT: c = cmd_write(d, true, 1); break;
	case ATA_CMD_READ_MULTIPLE: case ATA_CMD_READ_MULTIPLE_EXT:
		if (!d->mult)
			abort_cmd(d);
		else
			c = cmd_read(b, d, cmd == ATA_CMD_READ_MULTIPLE_EXT,
				     d->mult);
		break;
	case ATA_CMD_WRITE_MULTIPLE: case ATA_CMD_WRITE_MULTIPLE_EXT:
		if (!d->mult)
			abort_cmd(d);
		else
			c = cmd_write(d, cmd == ATA_CMD_WRITE_MULTIPLE_EXT,
				      d->mult);
		break;
	case ATA_CMD_READ_DMA: c = cmd_dma(b, d, false, false); break;
	case ATA_CMD_READ_DMA_EXT: c = cmd_dma(b, d, true, false); break;
	case ATA_CMD_WRITE_DMA: c = cmd_dma(b, d, false, true); break;
	case ATA_CMD_WRITE_DMA_EXT: c = cmd_dma(b, d, true, true); break;
	case ATA_CMD_SET_MULTIPLE: c = cmd_set_multiple(d); break;
	case ATA_CMD_FLUSH_CACHE: case ATA_CMD_FLUSH_CACHE_EXT:
		c = cmd_flush(d); break;
	case ATA_CMD_SET_FEATURES: c = cmd_set_features(d); break;
	case ATA_CMD_VERIFY: case ATA_CMD_VERIFY_NR:
		take_count(d, false); break;
	case ATA_CMD_VERIFY_EXT: take_count(d, true); break;
	case ATA_CMD_DIAGNOSTIC: c = cmd_diagnostic(b, d); break;
	case ATA_CMD_RECALIBRATE: case ATA_CMD_INIT_PARAMS: break;
	case ATA_CMD_CHECK_POWER: d->count = 0xff; break; /* active */
	case ATA_CMD_READ_NATIVE_MAX: c = cmd_native_max(d, false); break;
	case ATA_CMD_READ_NATIVE_MAX_EXT: c = cmd_native_max(d, true); break;
	default:
		return false; /* IDENTIFY PACKET too: this is no ATAPI device */
	}
	*complete = c;
	return true;
}

/* Commands after which seek complete (DSC) is set, as QEMU does. */
static bool sets_dsc(uint8_t cmd)
{
	switch (cmd) {
	case ATA_CMD_RECALIBRATE: case ATA_CMD_INIT_PARAMS:
	case ATA_CMD_VERIFY: case ATA_CMD_VERIFY_NR: case ATA_CMD_VERIFY_EXT:
	case ATA_CMD_SET_MULTIPLE: case ATA_CMD_SET_FEATURES:
	case ATA_CMD_CHECK_POWER: case ATA_CMD_READ_NATIVE_MAX:
	case ATA_CMD_READ_NATIVE_MAX_EXT:
		return true;
	}
	return false;
}

/*
 * A write to the Command register.  A command to an absent slave is
 * ignored, and so is one while BSY or DRQ is set; one to an absent
 * master, or one this disk does not know, aborts (QEMU lets FLUSH CACHE
 * to an absent master succeed; nothing can tell).  IDENTIFY PACKET
 * aborts and leaves the task file alone, as in QEMU: the signature
 * (LBA Mid and High 0: an ATA device) is the one the last reset left.
 */
static void exec_cmd(struct ide_bus *b, uint8_t cmd)
{
	struct ide_drive *d = &b->drive[b->unit];
	bool complete = true;

	if (b->unit == 1 && !present(d))
		return;
	if (d->status & (ATA_SR_BSY | ATA_SR_DRQ))
		return;
	d->status = ATA_SR_DRDY | ATA_SR_BSY;
	d->error = 0;
	if (!present(d) && cmd != ATA_CMD_DIAGNOSTIC)
		abort_cmd(d);
	else if (!run_cmd(b, d, cmd, &complete))
		abort_cmd(d);
	if (!complete)
		return;
	d->status &= (uint8_t)~ATA_SR_BSY;
	if (sets_dsc(cmd) && !d->error)
		d->status |= ATA_SR_DSC;
	raise_irq(b);
}

/* ------------------------------------------------------------ registers */

/* Power-on or soft reset of one device: registers, then signature. */
static void drive_reset(struct ide_drive *d)
{
	d->features = d->hob_features = 0;
	d->error = 0;
	d->count = d->hob_count = 0;
	d->lba_low = d->lba_mid = d->lba_high = 0;
	d->hob_lba_low = d->hob_lba_mid = d->hob_lba_high = 0;
	d->device = ATA_DEV_OBS;
	d->status = ATA_SR_DRDY | ATA_SR_DSC;
	d->lba48 = false;
	d->mult = IDE_MAX_MULT;
	d->per_block = 1;
	xfer_stop(d);
	set_signature(d);
}

void ide_init(struct ide_bus *b)
{
	memset(b, 0, sizeof(*b));
	for (unsigned i = 0; i < 2; i++) {
		b->drive[i].fd = -1;
		b->drive[i].wcache = true;
		drive_reset(&b->drive[i]);
	}
}

/* Does anything answer reads?  No device at all, or the selected one
 * is an absent slave: then status and error read 0 (QEMU). */
static bool no_device(const struct ide_bus *b)
{
	return (!present(&b->drive[0]) && !present(&b->drive[1])) ||
	       (b->unit == 1 && !present(&b->drive[1]));
}

/* A byte read of a command block register. */
static uint8_t reg_read(struct ide_bus *b, unsigned reg)
{
	struct ide_drive *d = &b->drive[b->unit];
	bool hob = b->control & ATA_CTL_HOB;
	bool none = !present(&b->drive[0]) && !present(&b->drive[1]);

	switch (reg) {
	case ATA_DATA:
		return 0xff; /* the data register is 16 bits wide */
	case ATA_ERROR:
		return no_device(b) ? 0 : hob ? d->hob_features : d->error;
	case ATA_COUNT:
		return none ? 0 : hob ? d->hob_count : (uint8_t)d->count;
	case ATA_LBA_LOW:
		return none ? 0 : hob ? d->hob_lba_low : d->lba_low;
	case ATA_LBA_MID:
		return none ? 0 : hob ? d->hob_lba_mid : d->lba_mid;
	case ATA_LBA_HIGH:
		return none ? 0 : hob ? d->hob_lba_high : d->lba_high;
	case ATA_DEVICE:
		return none ? 0 : d->device;
	}
	b->irq = false; /* reading Status acknowledges the interrupt */
	return no_device(b) ? 0 : d->status;
}

/* Shift a register's old value into its HOB byte and store the new. */
static void shift_in(uint8_t *reg, uint8_t *hob, uint8_t val)
{
	*hob = *reg;
	*reg = val;
}

/* A byte write to a command block register: both devices take it. */
static void reg_write(struct ide_bus *b, unsigned reg, uint8_t val)
{
	if (reg != ATA_COMMAND &&
	    b->drive[b->unit].status & (ATA_SR_BSY | ATA_SR_DRQ))
		return; /* the task file is locked while a command runs */
	b->control &= (uint8_t)~ATA_CTL_HOB;
	for (unsigned i = 0; i < 2 && reg != ATA_COMMAND; i++) {
		struct ide_drive *d = &b->drive[i];
		uint8_t old_count = (uint8_t)d->count;

		switch (reg) {
		case ATA_FEATURES: shift_in(&d->features, &d->hob_features, val); break;
		case ATA_COUNT: d->hob_count = old_count; d->count = val; break;
		case ATA_LBA_LOW: shift_in(&d->lba_low, &d->hob_lba_low, val); break;
		case ATA_LBA_MID: shift_in(&d->lba_mid, &d->hob_lba_mid, val); break;
		case ATA_LBA_HIGH: shift_in(&d->lba_high, &d->hob_lba_high, val); break;
		case ATA_DEVICE: d->device = val | ATA_DEV_OBS; break;
		}
	}
	if (reg == ATA_DEVICE)
		b->unit = (val & ATA_DEV_DEV) ? 1 : 0;
	if (reg == ATA_COMMAND) {
		b->irq = false;
		exec_cmd(b, val);
	}
}

/* The data register, 2 or 4 bytes at a time, in the direction of the
 * transfer only (anything else reads 0 and is ignored, as in QEMU). */
static uint32_t data_io(struct ide_bus *b, unsigned size, bool in,
			uint32_t val)
{
	struct ide_drive *d = &b->drive[b->unit];
	bool reading = d->xfer == IDE_XFER_READ || d->xfer == IDE_XFER_IDENT;
	bool dma = d->xfer == IDE_XFER_DMA_IN || d->xfer == IDE_XFER_DMA_OUT;
	uint32_t r = 0;

	if (!(d->status & ATA_SR_DRQ) || dma || in != reading ||
	    d->pos + size > d->end)
		return 0;
	for (unsigned i = 0; i < size; i++) {
		if (in)
			r |= (uint32_t)d->buf[d->pos + i] << (8 * i);
		else
			d->buf[d->pos + i] = (uint8_t)(val >> (8 * i));
	}
	d->pos += size;
	if (d->pos >= d->end)
		block_done(b, d);
	return r;
}

uint32_t ide_io(struct ide_bus *b, unsigned reg, unsigned size, bool in,
		uint32_t val)
{
	uint32_t r = 0;

	b->accesses++;
	if (reg == ATA_DATA && size > 1) {
		b->data_accesses++;
		return data_io(b, size, in, val);
	}
	for (unsigned i = 0; i < size && reg + i < IDE_NPORTS; i++) {
		if (in)
			r |= (uint32_t)reg_read(b, reg + i) << (8 * i);
		else
			reg_write(b, reg + i, (uint8_t)(val >> (8 * i)));
	}
	return r;
}

uint8_t ide_alt_status(const struct ide_bus *b)
{
	return no_device(b) ? 0 : b->drive[b->unit].status;
}

/*
 * Device Control.  Setting SRST resets both devices at once (QEMU does
 * it a moment later, in a bottom half; the guest cannot tell the
 * difference if it waits for BSY to clear as it must): registers,
 * signature, diagnostic result.  The selected unit stays as it was, and
 * the SRST bit reads back clear, as in QEMU.
 */
void ide_control(struct ide_bus *b, uint8_t val)
{
	bool srst = !(b->control & ATA_CTL_SRST) && (val & ATA_CTL_SRST);

	b->control = val;
	if (!srst)
		return;
	for (unsigned i = 0; i < 2; i++) {
		drive_reset(&b->drive[i]);
		b->drive[i].error = 0x01; /* diagnostic: passed */
	}
	raise_irq(b);
	b->control &= (uint8_t)~ATA_CTL_SRST;
}

/*
 * Command: Start 0 -> 1 latches the table address and, with a DMA
 * command waiting on the selected drive, runs it; Start 1 -> 0 stops
 * the bus master (Active clears).  Status: Interrupt and Error clear
 * where a 1 is written, the drive-capable bits take the value.
 */
static void bm_cmd_write(struct ide_bus *b, uint8_t val)
{
	struct ide_drive *d = &b->drive[b->unit];

	if ((val ^ b->bm.cmd) & BM_CMD_START) {
		if (!(val & BM_CMD_START)) {
			b->bm.status &= (uint8_t)~BM_ST_ACTIVE;
		} else if (!(b->bm.status & BM_ST_ACTIVE)) {
			b->bm.next = b->bm.prd;
			b->bm.status |= BM_ST_ACTIVE;
			if (d->xfer == IDE_XFER_DMA_IN ||
			    d->xfer == IDE_XFER_DMA_OUT)
				dma_run(b, d);
		}
	}
	b->bm.cmd = val & BM_CMD_MASK;
}

static void bm_status_write(struct ide_bus *b, uint8_t val)
{
	b->bm.status = (uint8_t)((val & BM_ST_DRV_DMA) |
				 (b->bm.status & BM_ST_ACTIVE) |
				 (b->bm.status & ~val & BM_ST_CLEAR));
}

uint32_t ide_bmdma_io(struct ide_bus *b, unsigned reg, unsigned size,
		      bool in, uint32_t val)
{
	b->accesses++;
	if (reg >= BM_PRD_ADDR) {
		unsigned shift = 8 * (reg - BM_PRD_ADDR);
		uint32_t mask = size >= 4 ? 0xffffffffu : (1u << (8 * size)) - 1;

		if (in)
			return (b->bm.prd >> shift) & mask;
		mask <<= shift;
		b->bm.prd = ((b->bm.prd & ~mask) | ((val << shift) & mask)) &
			    ~3u;
		return 0;
	}
	if (size != 1)
		return in ? (size >= 4 ? 0xffffffffu : (1u << (8 * size)) - 1)
			  : 0;
	if (in)
		return reg == BM_CMD ? b->bm.cmd :
		       reg == BM_STATUS ? b->bm.status : 0xff;
	if (reg == BM_CMD)
		bm_cmd_write(b, (uint8_t)val);
	else if (reg == BM_STATUS)
		bm_status_write(b, (uint8_t)val);
	return 0;
}

/* ------------------------------------------------------------ images */

/* QEMU's geometry for a disk without a partition table: 16 heads, 63
 * sectors a track, 2 to 16383 cylinders. */
static void guess_geometry(struct ide_drive *d)
{
	uint64_t cyls = d->nsectors / (16 * 63);

	d->cyls = cyls > 16383 ? 16383 : cyls < 2 ? 2 : (unsigned)cyls;
	d->heads = 16;
	d->spt = 63;
}

int ide_attach(struct ide_bus *b, unsigned unit, const char *path,
	       bool read_only, char *why, size_t len)
{
	struct ide_drive *d = &b->drive[unit];
	uint64_t bytes;
	int fd = disk_image_open(path, read_only, &bytes, why, len);

	if (fd < 0)
		return -1;
	if (bytes == 0 || bytes % ATA_SECTOR) {
		snprintf(why, len, "disk %s: its size, %lld bytes, is not a "
			 "positive multiple of %d", path, (long long)bytes,
			 ATA_SECTOR);
		close(fd);
		return -1;
	}
	d->fd = fd;
	d->read_only = read_only;
	d->nsectors = bytes / ATA_SECTOR;
	snprintf(d->serial, sizeof(d->serial), "QM%05u", unit + 1);
	guess_geometry(d);
	drive_reset(d); /* the signature of a present device */
	return 0;
}

void ide_fini(struct ide_bus *b)
{
	for (unsigned i = 0; i < 2; i++) {
		if (b->drive[i].fd >= 0)
			close(b->drive[i].fd);
		b->drive[i].fd = -1;
	}
}
