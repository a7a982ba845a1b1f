/*
 * guests/disk/disk.c - an ATA hard disk on the primary IDE channel, by PIO.
 *
 * The guest drives the disk the way a kernel's simplest driver does:
 * soft reset, IDENTIFY DEVICE, READ and WRITE SECTORS with LBA28 and
 * LBA48, READ MULTIPLE, FLUSH CACHE, the errors a driver must handle
 * (an address past the end, a command the disk does not know, IDENTIFY
 * PACKET to a disk that is no ATAPI device), an absent slave, and
 * IRQ 14 with and without nIEN.  Data moves with rep insw/outsw (and
 * rep insl once, the 32-bit data port).
 *
 * The disk is tests/guests/disk.sh's image: 1024 sectors in which the
 * byte at offset o holds o % 251, so that every sector differs and each
 * can be checked.  The guest writes PATTERN_LBA with a text pattern; the
 * test script checks afterwards that the image file holds it.  Every
 * line printed is the same on QEMU (-drive if=ide,index=0) and trapvisor
 * (--disk), which both call the disk "QEMU HARDDISK".
 */
#include "cpu.h"
#include "devices/i8259.h"
#include "devices/ide.h"
#include "rt.h"

#define DISK_SECTORS 1024  /* tests/guests/disk.sh makes 512 KiB */
#define PATTERN_LBA 100    /* the sector the guest writes */
#define VEC_MASTER 0x20
#define VEC_SLAVE 0x28
#define VEC_IDE (VEC_SLAVE + 6) /* IRQ 14 */
#define POLL_LIMIT 10000000

#define REG(r) ((uint16_t)(IDE0_BASE + (r)))

static uint8_t sector[IDE_MAX_MULT * ATA_SECTOR];
static int failed;

/* ------------------------------------------------------------ helpers */

static void fail(const char *what)
{
	rt_printf("disk: FAIL %s\n", what);
	failed++;
}

/* Wait until BSY clears, through Alternate Status (no interrupt
 * acknowledge); returns the status. */
static uint8_t wait_ready(void)
{
	for (unsigned i = 0; i < POLL_LIMIT; i++) {
		uint8_t st = inb(IDE0_CTRL);
		if (!(st & ATA_SR_BSY))
			return st;
	}
	fail("BSY never cleared");
	return 0xff;
}

static void insw(uint16_t port, void *buf, uint64_t words)
{
	__asm__ volatile("rep insw" : "+D"(buf), "+c"(words) : "d"(port)
			 : "memory");
}

static void insl(uint16_t port, void *buf, uint64_t dwords)
{
	__asm__ volatile("rep insl" : "+D"(buf), "+c"(dwords) : "d"(port)
			 : "memory");
}

static void outsw(uint16_t port, const void *buf, uint64_t words)
{
	__asm__ volatile("rep outsw" : "+S"(buf), "+c"(words) : "d"(port)
			 : "memory");
}

/* Soft reset through Device Control, interrupts off (nIEN). */
static void soft_reset(void)
{
	outb(REG(ATA_DEVICE), ATA_DEV_OBS);      /* the master */
	outb(IDE0_CTRL, ATA_CTL_NIEN | ATA_CTL_SRST);
	outb(IDE0_CTRL, ATA_CTL_NIEN);
	wait_ready();
}

/* The task file for an LBA28 command on the master, then the command. */
static void command28(uint8_t cmd, uint32_t lba, uint8_t count)
{
	outb(REG(ATA_DEVICE), (uint8_t)(ATA_DEV_OBS | ATA_DEV_LBA |
					 (lba >> 24 & 0x0f)));
	outb(REG(ATA_COUNT), count);
	outb(REG(ATA_LBA_LOW), (uint8_t)lba);
	outb(REG(ATA_LBA_MID), (uint8_t)(lba >> 8));
	outb(REG(ATA_LBA_HIGH), (uint8_t)(lba >> 16));
	outb(REG(ATA_COMMAND), cmd);
}

/* The same for a 48-bit command: each register twice, high byte first. */
static void command48(uint8_t cmd, uint64_t lba, uint16_t count)
{
	outb(REG(ATA_DEVICE), ATA_DEV_OBS | ATA_DEV_LBA);
	outb(REG(ATA_COUNT), (uint8_t)(count >> 8));
	outb(REG(ATA_LBA_LOW), (uint8_t)(lba >> 24));
	outb(REG(ATA_LBA_MID), (uint8_t)(lba >> 32));
	outb(REG(ATA_LBA_HIGH), (uint8_t)(lba >> 40));
	outb(REG(ATA_COUNT), (uint8_t)count);
	outb(REG(ATA_LBA_LOW), (uint8_t)lba);
	outb(REG(ATA_LBA_MID), (uint8_t)(lba >> 8));
	outb(REG(ATA_LBA_HIGH), (uint8_t)(lba >> 16));
	outb(REG(ATA_COMMAND), cmd);
}

/* Wait for a data block: the status must say DRQ without ERR. */
static bool wait_drq(const char *what)
{
	uint8_t st = wait_ready();

	if ((st & (ATA_SR_DRQ | ATA_SR_ERR)) == ATA_SR_DRQ)
		return true;
	fail(rt_fmt("%s: status %02x error %02x, no data", what, st,
		    inb(REG(ATA_ERROR))));
	return false;
}

/* Does buf hold n sectors from lba of the image's pattern? */
static const char *pattern_check(const uint8_t *buf, uint32_t lba,
				 unsigned n)
{
	for (unsigned i = 0; i < n * ATA_SECTOR; i++) {
		uint64_t o = (uint64_t)lba * ATA_SECTOR + i;
		if (buf[i] != o % 251)
			return rt_fmt("BAD at byte %u", i);
	}
	return "ok";
}

/* The LBA28 address the task file holds now. */
static uint32_t taskfile_lba(void)
{
	return (uint32_t)(inb(REG(ATA_DEVICE)) & 0x0f) << 24 |
	       (uint32_t)inb(REG(ATA_LBA_HIGH)) << 16 |
	       (uint32_t)inb(REG(ATA_LBA_MID)) << 8 | inb(REG(ATA_LBA_LOW));
}

/* Print an error outcome: status, error bits by name. */
static void print_error(const char *what)
{
	uint8_t st = wait_ready(), er = inb(REG(ATA_ERROR));

	rt_printf("disk: %s: status %02x error %02x%s%s%s\n", what, st, er,
		  er & ATA_ER_ABRT ? " ABRT" : "", er & ATA_ER_IDNF ? " IDNF" : "",
		  er & ATA_ER_UNC ? " UNC" : "");
}

/* ------------------------------------------------------------ steps */

static void step_reset(void)
{
	soft_reset();
	uint8_t st = inb(REG(ATA_STATUS));
	rt_printf("disk: soft reset: status %02x error %02x count %02x "
		  "lba %02x %02x %02x device %02x\n", st, inb(REG(ATA_ERROR)),
		  inb(REG(ATA_COUNT)), inb(REG(ATA_LBA_LOW)),
		  inb(REG(ATA_LBA_MID)), inb(REG(ATA_LBA_HIGH)),
		  inb(REG(ATA_DEVICE)));
}

/* An ATA string from IDENTIFY words: swap each pair, cut the spaces. */
static const char *ata_string(const uint16_t *w, unsigned words)
{
	static char s[4][41];
	static unsigned turn;
	char *p = s[turn++ % 4];
	unsigned n = 0;

	for (unsigned i = 0; i < words; i++) {
		p[n++] = (char)(w[i] >> 8);
		p[n++] = (char)w[i];
	}
	while (n > 0 && p[n - 1] == ' ')
		n--;
	p[n] = 0;
	return p;
}

static void step_identify(void)
{
	const uint16_t *w = (const uint16_t *)sector;

	outb(REG(ATA_DEVICE), ATA_DEV_OBS);
	outb(REG(ATA_COMMAND), ATA_CMD_IDENTIFY);
	if (!wait_drq("identify"))
		return;
	insw(REG(ATA_DATA), sector, 256);
	rt_printf("disk: identify: model \"%s\" serial \"%s\" firmware "
		  "\"%s\"\n", ata_string(w + 27, 20), ata_string(w + 10, 10),
		  ata_string(w + 23, 4));
	uint64_t lba48 = (uint64_t)w[103] << 48 | (uint64_t)w[102] << 32 |
			 (uint64_t)w[101] << 16 | w[100];
	rt_printf("disk: identify: lba28 sectors %u, lba48 sectors %llu, "
		  "lba %s, 48-bit %s, multiple up to %u, status after %02x\n",
		  (unsigned)w[61] << 16 | w[60], (unsigned long long)lba48,
		  w[49] & (1 << 9) ? "yes" : "no",
		  w[83] & (1 << 10) ? "yes" : "no", w[47] & 0xff,
		  inb(REG(ATA_STATUS)));
}

/* READ SECTORS, one block (one sector) at a time. */
static void read28(uint32_t lba, unsigned n, bool dwords)
{
	command28(ATA_CMD_READ_SECTORS, lba, (uint8_t)n);
	for (unsigned i = 0; i < n; i++) {
		if (!wait_drq("read"))
			return;
		if (dwords)
			insl(REG(ATA_DATA), sector + i * ATA_SECTOR, 128);
		else
			insw(REG(ATA_DATA), sector + i * ATA_SECTOR, 256);
	}
	wait_ready();
}

static void step_read(void)
{
	read28(0, 1, false);
	rt_printf("disk: read lba 0: %02x %02x %02x %02x ... %02x %02x, "
		  "pattern %s\n", sector[0], sector[1], sector[2], sector[3],
		  sector[510], sector[511], pattern_check(sector, 0, 1));

	read28(DISK_SECTORS - 2, 2, true);
	rt_printf("disk: read lba %u-%u by 32-bit data port: pattern %s, "
		  "then lba %u count %u status %02x\n", DISK_SECTORS - 2,
		  DISK_SECTORS - 1, pattern_check(sector, DISK_SECTORS - 2, 2),
		  taskfile_lba(), inb(REG(ATA_COUNT)), inb(REG(ATA_STATUS)));

	outb(REG(ATA_COUNT), 4);
	outb(REG(ATA_COMMAND), ATA_CMD_SET_MULTIPLE);
	uint8_t st = wait_ready();
	command28(ATA_CMD_READ_MULTIPLE, 1016, 8);
	unsigned blocks = 0;
	for (unsigned b = 0; b < 2 && wait_drq("read multiple"); b++) {
		insw(REG(ATA_DATA), sector + b * 4 * ATA_SECTOR, 4 * 256);
		blocks++;
	}
	rt_printf("disk: set multiple 4: status %02x; read multiple lba "
		  "1016 count 8: %u blocks, pattern %s\n", st, blocks,
		  pattern_check(sector, 1016, 8));

	command48(ATA_CMD_READ_SECTORS_EXT, DISK_SECTORS - 1, 1);
	if (wait_drq("read ext"))
		insw(REG(ATA_DATA), sector, 256);
	rt_printf("disk: read sectors ext lba %u: pattern %s, status %02x\n",
		  DISK_SECTORS - 1, pattern_check(sector, DISK_SECTORS - 1, 1),
		  wait_ready());
}

static const char text[] = "tv-disk-sect-100"; /* 16 bytes, 32 times */

static void step_write(void)
{
	for (unsigned i = 0; i < ATA_SECTOR; i++)
		sector[i] = (uint8_t)text[i % 16];
	command28(ATA_CMD_WRITE_SECTORS, PATTERN_LBA, 1);
	uint8_t st1 = wait_ready();
	if (st1 & ATA_SR_DRQ)
		outsw(REG(ATA_DATA), sector, 256);
	uint8_t st2 = wait_ready();
	outb(REG(ATA_COMMAND), ATA_CMD_FLUSH_CACHE);
	uint8_t st3 = wait_ready();
	rt_printf("disk: write lba %u: status %02x before the data, %02x "
		  "after; flush cache: status %02x\n", PATTERN_LBA, st1, st2,
		  st3);

	memset(sector, 0, ATA_SECTOR);
	read28(PATTERN_LBA, 1, false);
	bool same = true;
	for (unsigned i = 0; i < ATA_SECTOR; i++)
		same &= sector[i] == (uint8_t)text[i % 16];
	rt_printf("disk: read back lba %u: %s\n", PATTERN_LBA,
		  same ? "the written pattern" : "DIFFERENT");
	if (!same)
		fail("read back");
}

static void step_errors(void)
{
	command28(ATA_CMD_READ_SECTORS, DISK_SECTORS, 1);
	print_error(rt_fmt("read lba %u (past the end)", DISK_SECTORS));

	command28(ATA_CMD_WRITE_SECTORS, DISK_SECTORS, 1);
	uint8_t st = wait_ready();
	if (st & ATA_SR_DRQ)
		outsw(REG(ATA_DATA), sector, 256);
	print_error(rt_fmt("write lba %u (past the end, status %02x before "
			   "the data)", DISK_SECTORS, st));

	outb(REG(ATA_COMMAND), 0xff);
	print_error("command 0xff");

	soft_reset();
	outb(REG(ATA_COMMAND), ATA_CMD_IDENTIFY_PACKET);
	print_error(rt_fmt("identify packet (signature lba mid %02x high %02x)",
			   inb(REG(ATA_LBA_MID)), inb(REG(ATA_LBA_HIGH))));
}

static void step_slave(void)
{
	outb(REG(ATA_DEVICE), ATA_DEV_OBS | ATA_DEV_DEV);
	uint8_t st = inb(REG(ATA_STATUS)), alt = inb(IDE0_CTRL);
	uint8_t er = inb(REG(ATA_ERROR));
	outb(REG(ATA_COMMAND), ATA_CMD_IDENTIFY);
	rt_printf("disk: absent slave: status %02x alt status %02x error "
		  "%02x; after identify: status %02x\n", st, alt, er,
		  inb(REG(ATA_STATUS)));
	outb(REG(ATA_DEVICE), ATA_DEV_OBS);
}

/* ------------------------------------------------------------ IRQ 14 */

static volatile unsigned irqs;
static volatile uint8_t irq_status;

/* IRQ 14: reading Status acknowledges the disk; then both PICs. */
static void on_ide(struct rt_frame *f)
{
	(void)f;
	irqs++;
	irq_status = inb(REG(ATA_STATUS));
	outb(PIC_SLAVE_CMD, OCW2_EOI);
	outb(PIC_MASTER_CMD, OCW2_EOI);
}

static void pic_init(void)
{
	rt_pic_init(VEC_MASTER, VEC_SLAVE, (uint8_t)~(1 << PIC_CASCADE_IRQ),
		    (uint8_t)~(1 << (14 - 8))); /* IRQ 14 through IRQ 2 */
}

/* Is IRQ 14 requested in the slave PIC's IRR? */
static unsigned irq14_requested(void)
{
	outb(PIC_SLAVE_CMD, OCW3_SEL | OCW3_RR);
	return inb(PIC_SLAVE_CMD) >> (14 - 8) & 1;
}

/*
 * The disk interrupts when the command completes, and not again when the
 * guest has drained the only block; with nIEN it never does.  The guest
 * waits for BSY to clear first: then the request is in the PIC already
 * (on QEMU the read completes later, in the background), and the
 * interrupt comes in at hlt.
 */
static void step_irq(void)
{
	rt_set_gate(VEC_IDE, VEC_IDE, 0);
	rt_set_handler(VEC_IDE, on_ide);
	pic_init();

	outb(IDE0_CTRL, 0);              /* nIEN clear: interrupts on */
	inb(REG(ATA_STATUS));            /* the line starts low */
	command28(ATA_CMD_READ_SECTORS, 5, 1);
	wait_ready();
	unsigned requested = irq14_requested();
	__asm__ volatile("sti; hlt; cli" ::: "memory");
	unsigned taken = irqs;
	uint8_t st = irq_status;
	insw(REG(ATA_DATA), sector, 256);
	rt_printf("disk: irq 14: requested %u, %u taken for a one-sector "
		  "read (status %02x in the handler); after the data: "
		  "requested %u, pattern %s\n", requested, taken, st,
		  irq14_requested(), pattern_check(sector, 5, 1));

	outb(IDE0_CTRL, ATA_CTL_NIEN);
	command28(ATA_CMD_READ_SECTORS, 6, 1);
	wait_ready();
	unsigned masked = irq14_requested();
	insw(REG(ATA_DATA), sector, 256);
	rt_printf("disk: nIEN: requested %u, %u taken in all, pattern %s\n",
		  masked, irqs, pattern_check(sector, 6, 1));

	outb(PIC_MASTER_DATA, 0xff);
	outb(PIC_SLAVE_DATA, 0xff);
}

int main(const char *args)
{
	(void)args;
	step_reset();
	step_identify();
	step_read();
	step_write();
	step_errors();
	step_slave();
	step_irq();
	rt_printf("disk: %d failed\n", failed);
	return failed ? 1 : 0;
}
