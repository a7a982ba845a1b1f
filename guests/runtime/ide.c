/*
 * guests/runtime/ide.c - the PIO IDE driver (ide.h).
 *
 * Every function here follows the ATA protocol classes (ATA8-ACS,
 * "PIO data-in", "PIO data-out", "non-data"): write the task file and
 * the command, wait for BSY to clear, then either move one sector per
 * DRQ or read the ending status.  ERR in that status fails the request
 * (RT_BLK_EIO); the disk aborts a sector past its end (IDNF, or ABRT
 * on QEMU), so the driver needs no range check of its own for the
 * device to be the one that says no.
 *
 * With rt_ide_use_dma the data moves by bus-master DMA instead (the
 * "DMA" protocol class): the driver writes a table of physical regions
 * for the buffer, its address, the task file and READ DMA or WRITE DMA,
 * then sets Start; the controller moves every sector and clears Active.
 * Interrupts stay off, so the driver polls the bus master's Status for
 * Active to clear, then reads the drive's as for PIO: a handful of
 * register accesses per command, whatever its length.
 */
#include "cpu.h"
#include "devices/ide.h"
#include "ide.h"
#include "pci.h"
#include "rt.h"

#define POLL_LIMIT 10000000

static uint16_t reg(const struct rt_ide *ide, unsigned r)
{
	return (uint16_t)(ide->base + r);
}

/* Wait until BSY clears, through Alternate Status (which does not
 * acknowledge the interrupt); 0xff when it never does. */
static uint8_t wait_ready(const struct rt_ide *ide)
{
	for (unsigned i = 0; i < POLL_LIMIT; i++) {
		uint8_t st = inb(ide->ctrl);

		if (!(st & ATA_SR_BSY))
			return st;
	}
	return 0xff;
}

/* The command's end: Status (acknowledges), and Error when ERR. */
static int finish(struct rt_ide *ide)
{
	if (wait_ready(ide) == 0xff)
		return RT_BLK_EIO;
	ide->status = inb(reg(ide, ATA_STATUS));
	ide->error = ide->status & ATA_SR_ERR ? inb(reg(ide, ATA_ERROR)) : 0;
	return ide->status & (ATA_SR_ERR | ATA_SR_DF) ? RT_BLK_EIO : RT_BLK_OK;
}

/* Wait for a DRQ block; false when the command ended instead. */
static bool wait_drq(struct rt_ide *ide)
{
	uint8_t st = wait_ready(ide);

	return st != 0xff && (st & (ATA_SR_DRQ | ATA_SR_ERR)) == ATA_SR_DRQ;
}

static void insw(uint16_t port, void *buf, uintptr_t words)
{
	__asm__ volatile("rep insw" : "+D"(buf), "+c"(words) : "d"(port)
			 : "memory");
}

static void outsw(uint16_t port, const void *buf, uintptr_t words)
{
	__asm__ volatile("rep outsw" : "+S"(buf), "+c"(words) : "d"(port)
			 : "memory");
}

/*
 * The task file and the command.  48-bit: each register written twice,
 * the high-order byte first (the disk keeps the previous value as the
 * "HOB" byte); 28-bit: the top four bits of the address in Device.
 */
static void command(struct rt_ide *ide, uint8_t cmd, uint64_t lba,
		    unsigned count, bool ext)
{
	if (ext) {
		outb(reg(ide, ATA_DEVICE), ATA_DEV_OBS | ATA_DEV_LBA);
		outb(reg(ide, ATA_COUNT), (uint8_t)(count >> 8));
		outb(reg(ide, ATA_LBA_LOW), (uint8_t)(lba >> 24));
		outb(reg(ide, ATA_LBA_MID), (uint8_t)(lba >> 32));
		outb(reg(ide, ATA_LBA_HIGH), (uint8_t)(lba >> 40));
	} else {
		outb(reg(ide, ATA_DEVICE), (uint8_t)(ATA_DEV_OBS | ATA_DEV_LBA |
						     (lba >> 24 & 0x0f)));
	}
	outb(reg(ide, ATA_COUNT), (uint8_t)count);
	outb(reg(ide, ATA_LBA_LOW), (uint8_t)lba);
	outb(reg(ide, ATA_LBA_MID), (uint8_t)(lba >> 8));
	outb(reg(ide, ATA_LBA_HIGH), (uint8_t)(lba >> 16));
	outb(reg(ide, ATA_COMMAND), cmd);
}

/* The 48-bit command when the request needs it: an address from 2^28
 * on, or more than 256 sectors (28-bit's count 0 means 256). */
static bool needs_ext(uint64_t lba, unsigned count)
{
	return lba + count > 1u << 28 || count > 256;
}

/* At most this many sectors per command (the 48-bit count's limit). */
#define MAX_COUNT 65536u

static int io(struct rt_blk *b, uint64_t lba, uint8_t *p, unsigned count,
	      bool write)
{
	struct rt_ide *ide = b->priv;

	while (count) {
		unsigned n = count < MAX_COUNT ? count : MAX_COUNT;
		bool ext = needs_ext(lba, n);

		if (ext && !ide->lba48)
			return RT_BLK_EIO;
		if (write)
			command(ide, ext ? ATA_CMD_WRITE_SECTORS_EXT :
					   ATA_CMD_WRITE_SECTORS, lba, n, ext);
		else
			command(ide, ext ? ATA_CMD_READ_SECTORS_EXT :
					   ATA_CMD_READ_SECTORS, lba, n, ext);
		for (unsigned i = 0; i < n; i++, p += ATA_SECTOR) {
			if (!wait_drq(ide)) {
				finish(ide); /* the ending status, for the caller */
				return RT_BLK_EIO;
			}
			if (write)
				outsw(reg(ide, ATA_DATA), p, ATA_SECTOR / 2);
			else
				insw(reg(ide, ATA_DATA), p, ATA_SECTOR / 2);
		}
		if (finish(ide) != RT_BLK_OK)
			return RT_BLK_EIO;
		lba += n;
		count -= n;
	}
	return RT_BLK_OK;
}

/* ------------------------------------------------------------ DMA */

/* One Physical Region Descriptor: a region may not cross a 64 KiB
 * boundary, 0 in count means 64 KiB, EOT in the last one. */
struct prd {
	uint32_t addr;
	uint16_t count;
	uint16_t flags;
};

#define PRD_EOT 0x8000
#define DMA_MAX_SECTORS 256u  /* per command: 128 KiB, 3 regions at most */
#define PRD_MAX 4

/* The table: dword aligned, and small enough not to cross 64 KiB. */
static struct prd prd_table[PRD_MAX] __attribute__((aligned(32)));

/* Describe [p, p + len) in prd_table, cut at 64 KiB boundaries. */
static void prd_fill(uint8_t *p, uint32_t len)
{
	uintptr_t a = (uintptr_t)p;
	unsigned i = 0;

	while (len) {
		uint32_t room = 0x10000 - (uint32_t)(a & 0xffff);
		uint32_t n = len < room ? len : room;

		prd_table[i].addr = (uint32_t)a;
		prd_table[i].count = (uint16_t)n; /* 0x10000 gives 0 */
		prd_table[i].flags = 0;
		a += n;
		len -= n;
		i++;
	}
	prd_table[i - 1].flags = PRD_EOT;
}

/* Start the bus master, wait for Active to clear, stop it and clear its
 * Interrupt and Error; the drive's ending status decides. */
static int dma_wait(struct rt_ide *ide, bool write)
{
	uint8_t st = BM_ST_ACTIVE;

	outb((uint16_t)(ide->bm + BM_CMD),
	     (uint8_t)(BM_CMD_START | (write ? 0 : BM_CMD_READ)));
	for (unsigned i = 0; i < POLL_LIMIT && (st & BM_ST_ACTIVE); i++)
		st = inb((uint16_t)(ide->bm + BM_STATUS));
	outb((uint16_t)(ide->bm + BM_CMD), 0);
	outb((uint16_t)(ide->bm + BM_STATUS), BM_ST_INT | BM_ST_ERROR);
	ide->bm_status = st;
	if (finish(ide) != RT_BLK_OK || (st & (BM_ST_ACTIVE | BM_ST_ERROR)))
		return RT_BLK_EIO;
	return RT_BLK_OK;
}

static int dma_io(struct rt_blk *b, uint64_t lba, uint8_t *p,
		  unsigned count, bool write)
{
	struct rt_ide *ide = b->priv;

	while (count) {
		unsigned n = count < DMA_MAX_SECTORS ? count : DMA_MAX_SECTORS;
		bool ext = needs_ext(lba, n);

		if (ext && !ide->lba48)
			return RT_BLK_EIO;
		prd_fill(p, n * ATA_SECTOR);
		outl((uint16_t)(ide->bm + BM_PRD_ADDR),
		     (uint32_t)(uintptr_t)prd_table);
		if (write)
			command(ide, ext ? ATA_CMD_WRITE_DMA_EXT :
					   ATA_CMD_WRITE_DMA, lba, n, ext);
		else
			command(ide, ext ? ATA_CMD_READ_DMA_EXT :
					   ATA_CMD_READ_DMA, lba, n, ext);
		if (dma_wait(ide, write) != RT_BLK_OK)
			return RT_BLK_EIO;
		lba += n;
		count -= n;
		p += n * ATA_SECTOR;
	}
	return RT_BLK_OK;
}

static int ide_read(struct rt_blk *b, uint64_t sector, void *buf,
		    unsigned count)
{
	struct rt_ide *ide = b->priv;

	if (ide->bm)
		return dma_io(b, sector, buf, count, false);
	return io(b, sector, buf, count, false);
}

static int ide_write(struct rt_blk *b, uint64_t sector, const void *buf,
		     unsigned count)
{
	struct rt_ide *ide = b->priv;

	if (ide->bm)
		return dma_io(b, sector, (uint8_t *)(uintptr_t)buf, count,
			      true);
	return io(b, sector, (uint8_t *)(uintptr_t)buf, count, true);
}

/* FLUSH CACHE: the command ends only once the write cache is on the
 * medium (the monitor's fsync). */
static int ide_flush(struct rt_blk *b)
{
	struct rt_ide *ide = b->priv;

	command(ide, ide->lba48 ? ATA_CMD_FLUSH_CACHE_EXT :
				  ATA_CMD_FLUSH_CACHE, 0, 0, false);
	return finish(ide);
}

/* IDENTIFY's strings: two characters a word, the first in the high
 * byte, padded with blanks. */
static void ata_string(char *out, const uint16_t *w, unsigned words)
{
	unsigned n = 0;

	for (unsigned i = 0; i < words; i++) {
		out[n++] = (char)(w[i] >> 8);
		out[n++] = (char)w[i];
	}
	while (n && out[n - 1] == ' ')
		n--;
	out[n] = 0;
}

int rt_ide_open(struct rt_ide *ide, uint16_t base, uint16_t ctrl)
{
	static uint16_t id[256];

	memset(ide, 0, sizeof(*ide));
	ide->base = base;
	ide->ctrl = ctrl;
	/* soft reset, interrupts off from here on */
	outb(reg(ide, ATA_DEVICE), ATA_DEV_OBS);
	outb(ctrl, ATA_CTL_NIEN | ATA_CTL_SRST);
	outb(ctrl, ATA_CTL_NIEN);
	if (wait_ready(ide) == 0xff)
		return -1;
	/* no disk: the Status of a floating bus, or a command that aborts */
	outb(reg(ide, ATA_COMMAND), ATA_CMD_IDENTIFY);
	if (!wait_drq(ide)) {
		finish(ide);
		return -1;
	}
	insw(reg(ide, ATA_DATA), id, 256);
	if (finish(ide) != RT_BLK_OK)
		return -1;
	ata_string(ide->model, &id[27], 20);
	ide->id_dma[0] = id[49];
	ide->id_dma[1] = id[63];
	ide->id_dma[2] = id[88];
	ide->lba48 = id[83] >> 10 & 1;
	if (ide->lba48)
		ide->blk.sectors = (uint64_t)id[100] | (uint64_t)id[101] << 16 |
				   (uint64_t)id[102] << 32 |
				   (uint64_t)id[103] << 48;
	else
		ide->blk.sectors = (uint32_t)id[60] | (uint32_t)id[61] << 16;
	ide->blk.name = "ide";
	ide->blk.priv = ide;
	ide->blk.read = ide_read;
	ide->blk.write = ide_write;
	ide->blk.flush = ide_flush;
	return 0;
}

void rt_ide_use_dma(struct rt_ide *ide, uint16_t bm)
{
	ide->bm = bm;
}

bool rt_ide_dma_through(struct rt_ide *ide, const struct rt_pci_dev *fn)
{
	uint32_t bar4 = rt_pci_read(fn, PCI_BASE_ADDRESS_0 + 16, 4);

	if (!(bar4 & PCI_BAR_SPACE_IO))
		return false;
	rt_pci_write(fn, PCI_COMMAND, 2,
		     rt_pci_read(fn, PCI_COMMAND, 2) | PCI_COMMAND_MASTER);
	rt_ide_use_dma(ide, (uint16_t)(bar4 & ~3u));
	return true;
}
