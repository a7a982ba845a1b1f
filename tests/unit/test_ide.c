/*
 * tests/unit/test_ide.c - the IDE channel (devices/ide.c) through the port
 * map, as a guest sees it: ATA8-ACS's protocols, QEMU's answers where the
 * standard leaves room, and the image file underneath.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "core/vm.h"
#include "devices/devices.h"
#include "monitor/machine.h"

#define NSECT 64 /* the test image: 32 KiB */
#define REG(r) ((uint16_t)(IDE0_BASE + (r)))

static struct vm vm;
static char img[64] = "";
static char img2[64] = "";

/* The image's byte at offset o. */
static uint8_t pattern(uint64_t o)
{
	return (uint8_t)(o % 251);
}

/* A temporary image of sectors sectors (plus extra bytes) in path. */
static void make_image(char *path, unsigned sectors, unsigned extra)
{
	strcpy(path, "/tmp/test_ide.XXXXXX");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	size_t len = (size_t)sectors * 512 + extra;
	uint8_t *b = malloc(len);
	for (size_t i = 0; i < len; i++)
		b[i] = pattern(i);
	assert_int_equal(write(fd, b, len), (ssize_t)len);
	free(b);
	close(fd);
}

/* A VM with the given disks; returns vm_create's answer, the reason in why. */
static int create(struct vm_disk d0, struct vm_disk d1, char *why)
{
	struct vm_options opt = { .mem_mib = 2, .engine = "softcpu" };

	opt.disk[0] = d0;
	opt.disk[1] = d1;
	return vm_create(&vm, &opt, STDOUT_FILENO, why, 200);
}

static int setup(void **state)
{
	char why[200];

	(void)state;
	make_image(img, NSECT, 0);
	return create((struct vm_disk){ .path = img },
		      (struct vm_disk){ 0 }, why);
}

static int teardown(void **state)
{
	(void)state;
	vm_destroy(&vm);
	unlink(img);
	if (img2[0])
		unlink(img2);
	img2[0] = 0;
	return 0;
}

static uint32_t in(uint16_t port, unsigned size)
{
	uint32_t v = 0;
	devices_io(&vm, port, size, true, &v);
	return v;
}

static void out(uint16_t port, unsigned size, uint32_t v)
{
	devices_io(&vm, port, size, false, &v);
}

static void command28(uint8_t dev, uint8_t cmd, uint32_t lba, uint8_t count)
{
	out(REG(ATA_DEVICE), 1, (uint32_t)(dev | ATA_DEV_LBA | (lba >> 24 & 0xf)));
	out(REG(ATA_COUNT), 1, count);
	out(REG(ATA_LBA_LOW), 1, lba & 0xff);
	out(REG(ATA_LBA_MID), 1, lba >> 8 & 0xff);
	out(REG(ATA_LBA_HIGH), 1, lba >> 16 & 0xff);
	out(REG(ATA_COMMAND), 1, cmd);
}

/* Read one 512-byte block through the 16-bit data port. */
static void read_block(uint8_t *buf)
{
	for (unsigned i = 0; i < 256; i++) {
		uint32_t w = in(REG(ATA_DATA), 2);
		buf[2 * i] = (uint8_t)w;
		buf[2 * i + 1] = (uint8_t)(w >> 8);
	}
}

static bool irq14_line(void)
{
	return vm.dev->ide0.irq;
}

/* The slave PIC's IRR bit for IRQ 14 (6 on the slave). */
static bool irq14_irr(void)
{
	return vm.dev->pic.slave.irr & (1 << 6);
}

static void test_identify(void **state)
{
	uint16_t w[256];

	(void)state;
	out(REG(ATA_DEVICE), 1, 0xa0);
	out(REG(ATA_COMMAND), 1, ATA_CMD_IDENTIFY);
	assert_int_equal(in(REG(ATA_STATUS), 1),
			 ATA_SR_DRDY | ATA_SR_DSC | ATA_SR_DRQ);
	read_block((uint8_t *)w);
	assert_int_equal(in(REG(ATA_STATUS), 1), ATA_SR_DRDY | ATA_SR_DSC);
	assert_int_equal(w[0], 0x0040);
	/* ATA strings: the first character in the high byte of a word. */
	assert_int_equal(w[27], 'Q' << 8 | 'E');
	assert_int_equal(w[28], 'M' << 8 | 'U');
	assert_int_equal(w[29], ' ' << 8 | 'H');
	assert_int_equal(w[46], ' ' << 8 | ' ');
	assert_int_equal(w[10], 'Q' << 8 | 'M');
	assert_int_equal(w[13], '1' << 8 | ' ');
	assert_int_equal(w[60], NSECT);
	assert_int_equal(w[61], 0);
	assert_int_equal(w[100], NSECT);
	assert_int_equal(w[101] | w[102] | w[103], 0);
	assert_true(w[49] & (1 << 9));          /* LBA */
	assert_true(w[49] & (1 << 8));          /* DMA, as QEMU's */
	assert_int_equal(w[53], 7);             /* words 54-58, 64-70, 88 */
	assert_int_equal(w[62], 0x07);
	assert_int_equal(w[63], 0x07);
	assert_int_equal(w[88], 0x3f | 1 << 13); /* UDMA 5 selected */
	assert_int_equal(w[47], 0x8000 | IDE_MAX_MULT);
	assert_int_equal(w[59], 0x100 | IDE_MAX_MULT);
	assert_true(w[83] & (1 << 10));         /* 48-bit addresses */
	assert_true(w[83] & (1 << 12));         /* FLUSH CACHE */
	assert_int_equal(w[1], 2);              /* QEMU's geometry guess */
	assert_int_equal(w[3], 16);
	assert_int_equal(w[6], 63);
	/* Drained: the data port reads 0 and does not move on. */
	assert_int_equal(in(REG(ATA_DATA), 2), 0);
}

static void test_read_lba28_and_32bit(void **state)
{
	uint8_t buf[1024];

	(void)state;
	command28(0xa0, ATA_CMD_READ_SECTORS, 3, 2);
	for (unsigned blk = 0; blk < 2; blk++) {
		assert_true(in(REG(ATA_STATUS), 1) & ATA_SR_DRQ);
		for (unsigned i = 0; i < 128; i++) {
			uint32_t d = in(REG(ATA_DATA), 4);
			memcpy(buf + blk * 512 + 4 * i, &d, 4);
		}
	}
	for (unsigned i = 0; i < sizeof(buf); i++)
		assert_int_equal(buf[i], pattern(3 * 512 + i));
	/* The task file points after the last sector, the count is spent. */
	assert_int_equal(in(REG(ATA_STATUS), 1), ATA_SR_DRDY | ATA_SR_DSC);
	assert_int_equal(in(REG(ATA_LBA_LOW), 1), 5);
	assert_int_equal(in(REG(ATA_COUNT), 1), 0);
	/* The data register is 16 bits wide: a byte read gives all ones. */
	assert_int_equal(in(REG(ATA_DATA), 1), 0xff);
}

static void test_read_lba48_chs_multiple(void **state)
{
	uint8_t buf[4 * 512];

	(void)state;
	/* READ SECTORS EXT of the last sector: high bytes first. */
	out(REG(ATA_DEVICE), 1, 0x40);
	out(REG(ATA_COUNT), 1, 0);
	out(REG(ATA_LBA_LOW), 1, 0);
	out(REG(ATA_COUNT), 1, 1);
	out(REG(ATA_LBA_LOW), 1, NSECT - 1);
	out(REG(ATA_LBA_MID), 1, 0);
	out(REG(ATA_LBA_HIGH), 1, 0);
	out(REG(ATA_COMMAND), 1, ATA_CMD_READ_SECTORS_EXT);
	read_block(buf);
	for (unsigned i = 0; i < 512; i++)
		assert_int_equal(buf[i], pattern((NSECT - 1) * 512 + i));

	/* CHS: cylinder 0, head 0, sector 2 is LBA 1. */
	out(REG(ATA_DEVICE), 1, 0xa0);
	out(REG(ATA_COUNT), 1, 1);
	out(REG(ATA_LBA_LOW), 1, 2);
	out(REG(ATA_LBA_MID), 1, 0);
	out(REG(ATA_LBA_HIGH), 1, 0);
	out(REG(ATA_COMMAND), 1, ATA_CMD_READ_SECTORS);
	read_block(buf);
	assert_int_equal(buf[0], pattern(512));

	/* READ MULTIPLE with blocks of 4 sectors: one DRQ per 4. */
	out(REG(ATA_COUNT), 1, 4);
	out(REG(ATA_COMMAND), 1, ATA_CMD_SET_MULTIPLE);
	assert_int_equal(in(REG(ATA_STATUS), 1), ATA_SR_DRDY | ATA_SR_DSC);
	command28(0xa0, ATA_CMD_READ_MULTIPLE, 8, 4);
	for (unsigned b = 0; b < 2; b++)
		read_block(buf + b * 512);
	assert_true(in(REG(ATA_STATUS), 1) & ATA_SR_DRQ); /* same block */
	for (unsigned b = 2; b < 4; b++)
		read_block(buf + b * 512);
	assert_int_equal(in(REG(ATA_STATUS), 1), ATA_SR_DRDY | ATA_SR_DSC);
	for (unsigned i = 0; i < sizeof(buf); i++)
		assert_int_equal(buf[i], pattern(8 * 512 + i));
}

static void test_hob_native_max_split(void **state)
{
	(void)state;
	/* Each register keeps the byte written before: HOB shows it. */
	out(REG(ATA_LBA_MID), 1, 0x12);
	out(REG(ATA_LBA_MID), 1, 0x34);
	out(IDE0_CTRL, 1, ATA_CTL_HOB);
	assert_int_equal(in(REG(ATA_LBA_MID), 1), 0x12);
	out(REG(ATA_LBA_HIGH), 1, 0);                 /* a write clears HOB */
	assert_int_equal(in(REG(ATA_LBA_MID), 1), 0x34);

	/* READ NATIVE MAX ADDRESS: the last LBA in the task file. */
	out(REG(ATA_DEVICE), 1, 0xe0);
	out(REG(ATA_COMMAND), 1, ATA_CMD_READ_NATIVE_MAX);
	assert_int_equal(in(REG(ATA_STATUS), 1), ATA_SR_DRDY | ATA_SR_DSC);
	assert_int_equal(in(REG(ATA_LBA_LOW), 1), NSECT - 1);
	assert_int_equal(in(REG(ATA_LBA_MID), 1), 0);

	/* A 16-bit read of byte registers is split, as on the ISA bus. */
	out(REG(ATA_COUNT), 1, 0x21);
	out(REG(ATA_LBA_LOW), 1, 0x43);
	assert_int_equal(in(REG(ATA_COUNT), 2), 0x4321);
}

static void test_write_and_flush(void **state)
{
	uint8_t buf[512];

	(void)state;
	command28(0xa0, ATA_CMD_WRITE_SECTORS, 7, 1);
	/* PIO data-out: DRQ for the first block without an interrupt. */
	assert_int_equal(in(IDE0_CTRL, 1), ATA_SR_DRDY | ATA_SR_DSC | ATA_SR_DRQ);
	assert_false(irq14_line());
	for (unsigned i = 0; i < 256; i++)
		out(REG(ATA_DATA), 2, 0xa500 | i);
	assert_true(irq14_line());
	assert_int_equal(in(REG(ATA_STATUS), 1), ATA_SR_DRDY | ATA_SR_DSC);
	out(REG(ATA_COMMAND), 1, ATA_CMD_FLUSH_CACHE);
	assert_int_equal(in(REG(ATA_STATUS), 1), ATA_SR_DRDY | ATA_SR_DSC);

	FILE *f = fopen(img, "rb");
	assert_non_null(f);
	fseek(f, 7 * 512, SEEK_SET);
	assert_int_equal(fread(buf, 1, 512, f), 512);
	fclose(f);
	for (unsigned i = 0; i < 256; i++) {
		assert_int_equal(buf[2 * i], (uint8_t)i);
		assert_int_equal(buf[2 * i + 1], 0xa5);
	}
	/* Sector 8 is untouched. */
	command28(0xa0, ATA_CMD_READ_SECTORS, 8, 1);
	read_block(buf);
	assert_int_equal(buf[0], pattern(8 * 512));
}

static void expect_abort(void)
{
	assert_int_equal(in(REG(ATA_STATUS), 1), ATA_SR_DRDY | ATA_SR_ERR);
	assert_int_equal(in(REG(ATA_ERROR), 1), ATA_ER_ABRT);
}

static void test_errors(void **state)
{
	(void)state;
	command28(0xa0, ATA_CMD_READ_SECTORS, NSECT, 1);   /* past the end */
	expect_abort();
	command28(0xa0, ATA_CMD_READ_SECTORS, NSECT - 1, 2); /* crosses it */
	assert_true(in(REG(ATA_STATUS), 1) & ATA_SR_DRQ);    /* first one */
	uint8_t buf[512];
	read_block(buf);
	expect_abort();                                      /* then ABRT */
	command28(0xa0, ATA_CMD_WRITE_SECTORS, NSECT, 1);
	for (unsigned i = 0; i < 256; i++)
		out(REG(ATA_DATA), 2, 0);
	expect_abort();
	out(REG(ATA_COMMAND), 1, 0xff);                      /* unknown */
	expect_abort();
	out(REG(ATA_COMMAND), 1, ATA_CMD_IDENTIFY_PACKET);   /* no ATAPI */
	expect_abort();
	out(REG(ATA_COUNT), 1, 3);                           /* not 2^n */
	out(REG(ATA_COMMAND), 1, ATA_CMD_SET_MULTIPLE);
	expect_abort();
	out(REG(ATA_FEATURES), 1, 0x03);               /* no such mode */
	out(REG(ATA_COUNT), 1, 0x55);
	out(REG(ATA_COMMAND), 1, ATA_CMD_SET_FEATURES);
	expect_abort();
	out(REG(ATA_COUNT), 1, 0x0c);                        /* PIO 4 */
	out(REG(ATA_COMMAND), 1, ATA_CMD_SET_FEATURES);
	assert_int_equal(in(REG(ATA_STATUS), 1), ATA_SR_DRDY | ATA_SR_DSC);
	assert_int_equal(in(REG(ATA_ERROR), 1), 0);
	assert_false(vm.stopped);
}

static void test_soft_reset(void **state)
{
	(void)state;
	command28(0xa0, ATA_CMD_READ_SECTORS, 9, 1);        /* DRQ pending */
	out(IDE0_CTRL, 1, ATA_CTL_NIEN | ATA_CTL_SRST);
	out(IDE0_CTRL, 1, ATA_CTL_NIEN);
	assert_int_equal(in(REG(ATA_STATUS), 1), ATA_SR_DRDY | ATA_SR_DSC);
	assert_int_equal(in(REG(ATA_ERROR), 1), 0x01);       /* passed */
	/* The ATA signature: count 1, LBA low 1, mid 0, high 0. */
	assert_int_equal(in(REG(ATA_COUNT), 1), 1);
	assert_int_equal(in(REG(ATA_LBA_LOW), 1), 1);
	assert_int_equal(in(REG(ATA_LBA_MID), 1), 0);
	assert_int_equal(in(REG(ATA_LBA_HIGH), 1), 0);
	assert_int_equal(in(REG(ATA_DEVICE), 1), 0xa0);
	assert_int_equal(in(REG(ATA_DATA), 2), 0);            /* no transfer */
	assert_false(irq14_line());                           /* nIEN */
}

static void test_slave_absent(void **state)
{
	(void)state;
	out(REG(ATA_DEVICE), 1, 0xb0);
	assert_int_equal(in(REG(ATA_STATUS), 1), 0);
	assert_int_equal(in(IDE0_CTRL, 1), 0);
	assert_int_equal(in(REG(ATA_ERROR), 1), 0);
	out(REG(ATA_COMMAND), 1, ATA_CMD_IDENTIFY);           /* ignored */
	assert_int_equal(in(REG(ATA_STATUS), 1), 0);
	assert_false(irq14_line());
	/* The master did not take it either. */
	out(REG(ATA_DEVICE), 1, 0xa0);
	assert_int_equal(in(REG(ATA_STATUS), 1), ATA_SR_DRDY | ATA_SR_DSC);
}

static void test_irq(void **state)
{
	uint8_t buf[512];

	(void)state;
	out(IDE0_CTRL, 1, 0);
	command28(0xa0, ATA_CMD_READ_SECTORS, 1, 1);
	assert_true(irq14_line());
	assert_true(irq14_irr());
	in(IDE0_CTRL, 1);                 /* Alternate Status: no acknowledge */
	assert_true(irq14_line());
	in(REG(ATA_STATUS), 1);           /* Status acknowledges */
	assert_false(irq14_line());
	read_block(buf);
	assert_false(irq14_line());       /* no interrupt at the end of a read */
	/* A command lowers the line, its completion raises it again. */
	out(REG(ATA_COMMAND), 1, ATA_CMD_FLUSH_CACHE);
	assert_true(irq14_line());
	in(REG(ATA_STATUS), 1);
	/* nIEN: no interrupt at all. */
	out(IDE0_CTRL, 1, ATA_CTL_NIEN);
	command28(0xa0, ATA_CMD_READ_SECTORS, 1, 1);
	assert_false(irq14_line());
	read_block(buf);
}

/*
 * A host that never reads Status after an interrupt (xv6's ideintr after a
 * write) still gets the next one: writing the Command register lowers the
 * line before the command's completion raises it, so that the 8259A and
 * the IOAPIC, both edge-triggered here, see a new edge.
 */
static void test_irq_edge_per_command(void **state)
{
	uint8_t buf[512];

	(void)state;
	out(IDE0_CTRL, 1, 0);
	command28(0xa0, ATA_CMD_READ_SECTORS, 1, 1);
	assert_true(irq14_irr());
	read_block(buf);
	vm.dev->pic.slave.irr &= (uint8_t)~(1 << 6); /* the CPU took it */
	assert_true(irq14_line());        /* Status never read: still high */
	command28(0xa0, ATA_CMD_READ_SECTORS, 2, 1);
	assert_true(irq14_irr());         /* a new edge, a new request */
	read_block(buf);
}

static void test_read_only_and_slave(void **state)
{
	char why[200];
	uint16_t w[256];

	(void)state;
	vm_destroy(&vm);
	make_image(img2, 8, 0);
	assert_int_equal(create((struct vm_disk){ .path = img },
				(struct vm_disk){ .path = img2,
						  .read_only = true }, why), 0);
	out(REG(ATA_DEVICE), 1, 0xb0);
	out(REG(ATA_COMMAND), 1, ATA_CMD_IDENTIFY);
	read_block((uint8_t *)w);
	assert_int_equal(w[60], 8);
	assert_int_equal(w[13], '2' << 8 | ' ');      /* serial QM00002 */
	command28(0xb0, ATA_CMD_WRITE_SECTORS, 0, 1);
	expect_abort();
	struct stat st;
	assert_int_equal(stat(img2, &st), 0);
	assert_int_equal(st.st_size, 8 * 512);
}

static void test_no_disk_and_bad_images(void **state)
{
	char why[200];
	struct vm_disk none = { 0 };

	(void)state;
	vm_destroy(&vm);
	assert_int_equal(create(none, none, why), 0);
	assert_int_equal(in(REG(ATA_STATUS), 1), 0);   /* QEMU: no device */
	assert_int_equal(in(REG(ATA_LBA_MID), 1), 0);
	vm_destroy(&vm);

	assert_int_equal(create((struct vm_disk){ .path = "/nonexistent/x" },
				none, why), -1);
	assert_non_null(strstr(why, "/nonexistent/x: No such file"));
	assert_int_equal(create((struct vm_disk){ .path = "/tmp" }, none,
				why), -1);
	assert_non_null(strstr(why, "not a regular file"));
	make_image(img2, 1, 100);
	assert_int_equal(create((struct vm_disk){ .path = img2 }, none, why),
			 -1);
	assert_non_null(strstr(why, "612 bytes, is not a positive multiple"));
	/* leave a VM for teardown */
	assert_int_equal(create(none, none, why), 0);
}


/* ------------------------------------------------------------ bus master */

#define BM ((uint16_t)0xc000) /* where these tests put BAR4 */
#define PRD_TABLE 0x1000u

static uint32_t cfg_in(unsigned fn, unsigned reg, unsigned size)
{
	out(PCI_CONFIG_ADDRESS, 4, PCI_ADDR(0, PIIX3_PCI_DEV, fn, reg));
	return in((uint16_t)(PCI_CONFIG_DATA + (reg & 3)), size);
}

static void cfg_out(unsigned fn, unsigned reg, unsigned size, uint32_t v)
{
	out(PCI_CONFIG_ADDRESS, 4, PCI_ADDR(0, PIIX3_PCI_DEV, fn, reg));
	out((uint16_t)(PCI_CONFIG_DATA + (reg & 3)), size, v);
}

/* BAR4 at BM, I/O space on, as the firmware leaves it. */
static void bm_map(void)
{
	cfg_out(1, PCI_BASE_ADDRESS_0 + 16, 4, BM);
	cfg_out(1, PCI_COMMAND, 2, PCI_COMMAND_IO | PCI_COMMAND_MASTER);
}

/* Descriptor i of the table at table. */
static void prd(uint32_t table, unsigned i, uint32_t addr, uint16_t count,
		bool eot)
{
	uint8_t e[8] = { (uint8_t)addr, (uint8_t)(addr >> 8),
			 (uint8_t)(addr >> 16), (uint8_t)(addr >> 24),
			 (uint8_t)count, (uint8_t)(count >> 8), 0,
			 eot ? 0x80 : 0 };

	assert_int_equal(gm_write(&vm.mem, table + 8 * i, e, 8), 0);
}

/* READ DMA of n sectors from lba through the table at PRD_TABLE. */
static void dma_read(uint32_t lba, uint8_t n)
{
	out(BM + BM_PRD_ADDR, 4, PRD_TABLE);
	command28(0xa0, ATA_CMD_READ_DMA, lba, n);
	assert_int_equal(in(REG(ATA_STATUS), 1) & ATA_SR_DRQ, ATA_SR_DRQ);
	out(BM + BM_CMD, 1, BM_CMD_START | BM_CMD_READ);
}

/* Does guest RAM at gpa hold the image's bytes from offset off? */
static void expect_ram(uint64_t gpa, uint64_t off, size_t len)
{
	uint8_t *b = malloc(len);

	assert_int_equal(gm_read(&vm.mem, gpa, b, len), 0);
	for (size_t i = 0; i < len; i++)
		if (b[i] != pattern(off + i))
			fail_msg("RAM %#llx: %#x, not %#x",
				 (unsigned long long)(gpa + i), b[i],
				 pattern(off + i));
	free(b);
}

static void test_piix3_functions(void **state)
{
	(void)state;
	assert_int_equal(cfg_in(0, PCI_VENDOR_ID, 4), 0x70008086);
	assert_int_equal(cfg_in(0, PCI_REVISION_ID, 4), 0x06010000);
	assert_int_equal(cfg_in(0, PCI_HEADER_TYPE, 1), 0x80);
	assert_int_equal(cfg_in(0, PIIX_PIRQRC, 4), 0x80808080);
	assert_int_equal(cfg_in(1, PCI_VENDOR_ID, 4), 0x70108086);
	assert_int_equal(cfg_in(1, PCI_REVISION_ID, 4), 0x01018000);
	assert_int_equal(cfg_in(1, PCI_HEADER_TYPE, 1), 0);
	assert_int_equal(cfg_in(1, PCI_COMMAND, 4), 0x02800000);
	assert_int_equal(cfg_in(1, PCI_INTERRUPT_PIN, 1), 0);
	/* BAR4: 16 bytes of I/O, bit 0 set; the others absent. */
	assert_int_equal(cfg_in(1, PCI_BASE_ADDRESS_0 + 16, 4), 1);
	cfg_out(1, PCI_BASE_ADDRESS_0 + 16, 4, 0xffffffff);
	assert_int_equal(cfg_in(1, PCI_BASE_ADDRESS_0 + 16, 4), 0xfffffff1);
	cfg_out(1, PCI_BASE_ADDRESS_0, 4, 0xffffffff);
	assert_int_equal(cfg_in(1, PCI_BASE_ADDRESS_0, 4), 0);
	/* Placed but I/O space off: the ports are not the BAR's. */
	cfg_out(1, PCI_BASE_ADDRESS_0 + 16, 4, BM);
	out(BM + BM_PRD_ADDR, 4, 0x12345678);
	assert_int_equal(vm.dev->ide0.bm.prd, 0);
	cfg_out(1, PCI_COMMAND, 2, PCI_COMMAND_IO);
	out(BM + BM_PRD_ADDR, 4, 0x12345677);
	assert_int_equal(in(BM + BM_PRD_ADDR, 4), 0x12345674);
	assert_int_equal(in(BM + BM_PRD_ADDR + 2, 2), 0x1234);
	out(BM + BM_PRD_ADDR + 1, 1, 0xab);
	assert_int_equal(in(BM + BM_PRD_ADDR, 4), 0x1234ab74);
}

static void test_bmdma_registers(void **state)
{
	(void)state;
	bm_map();
	assert_int_equal(in(BM + BM_CMD, 1), 0);
	assert_int_equal(in(BM + BM_STATUS, 1), 0);
	assert_int_equal(in(BM + 1, 1), 0xff);
	assert_int_equal(in(BM + BM_CMD, 2), 0xffff); /* bytes only */
	out(BM + BM_CMD, 1, 0xff);
	assert_int_equal(in(BM + BM_CMD, 1), BM_CMD_MASK);
	assert_int_equal(in(BM + BM_STATUS, 1), BM_ST_ACTIVE);
	out(BM + BM_STATUS, 1, 0xff);  /* Active is read-only */
	assert_int_equal(in(BM + BM_STATUS, 1), BM_ST_ACTIVE | BM_ST_DRV_DMA);
	out(BM + BM_CMD, 1, 0);
	assert_int_equal(in(BM + BM_STATUS, 1), BM_ST_DRV_DMA);
	/* Interrupt follows INTRQ and clears by writing 1. */
	out(REG(ATA_COMMAND), 1, ATA_CMD_CHECK_POWER);
	assert_int_equal(in(BM + BM_STATUS, 1), BM_ST_DRV_DMA | BM_ST_INT);
	out(BM + BM_STATUS, 1, BM_ST_DRV_DMA);
	assert_int_equal(in(BM + BM_STATUS, 1), BM_ST_DRV_DMA | BM_ST_INT);
	out(BM + BM_STATUS, 1, BM_ST_INT);
	assert_int_equal(in(BM + BM_STATUS, 1), 0);
	/* The secondary channel's registers are its own. */
	out(BM + 8 + BM_PRD_ADDR, 4, 0x4000);
	assert_int_equal(in(BM + 8 + BM_PRD_ADDR, 4), 0x4000);
	assert_int_equal(in(BM + BM_PRD_ADDR, 4), 0);
}

/* Two regions, the second 0 = 64 KiB: the transfer ends inside it, so
 * Active stays set beside Interrupt (QEMU's "PRDs longer"). */
static void test_bmdma_read_zero_count_is_64k(void **state)
{
	(void)state;
	bm_map();
	prd(PRD_TABLE, 0, 0x10000, 512, false);
	prd(PRD_TABLE, 1, 0x30001, 0, true);  /* bit 0 is ignored */
	dma_read(3, 8);
	assert_true(irq14_line()); /* before Status, whose read lowers it */
	assert_int_equal(in(REG(ATA_STATUS), 1), ATA_SR_DRDY | ATA_SR_DSC);
	assert_int_equal(in(BM + BM_STATUS, 1), BM_ST_ACTIVE | BM_ST_INT);
	expect_ram(0x10000, 3 * 512, 512);
	expect_ram(0x30000, 4 * 512, 7 * 512);
	assert_int_equal(vm.dev->ide0.sectors_moved, 8);
	/* The task file points past the last sector moved. */
	assert_int_equal(in(REG(ATA_LBA_LOW), 1), 11);
}

static void test_bmdma_read_exact_and_ext(void **state)
{
	(void)state;
	bm_map();
	prd(PRD_TABLE, 0, 0x20000, 4096, true);
	/* Start first, then the command: it runs at once. */
	out(BM + BM_PRD_ADDR, 4, PRD_TABLE);
	out(BM + BM_CMD, 1, BM_CMD_START | BM_CMD_READ);
	out(REG(ATA_DEVICE), 1, 0xe0);
	out(REG(ATA_COUNT), 1, 0);  /* count 15:8 */
	out(REG(ATA_COUNT), 1, 8);
	out(REG(ATA_LBA_LOW), 1, 0);
	out(REG(ATA_LBA_LOW), 1, 40);
	out(REG(ATA_LBA_MID), 1, 0);
	out(REG(ATA_LBA_MID), 1, 0);
	out(REG(ATA_LBA_HIGH), 1, 0);
	out(REG(ATA_LBA_HIGH), 1, 0);
	out(REG(ATA_COMMAND), 1, ATA_CMD_READ_DMA_EXT);
	assert_true(irq14_line());
	assert_int_equal(in(REG(ATA_STATUS), 1), ATA_SR_DRDY | ATA_SR_DSC);
	assert_int_equal(in(BM + BM_STATUS, 1), BM_ST_INT);
	expect_ram(0x20000, 40 * 512, 4096);
}

/* WRITE DMA from RAM, read back by PIO. */
static void test_bmdma_write(void **state)
{
	uint8_t src[1024], got[512];

	(void)state;
	for (unsigned i = 0; i < sizeof(src); i++)
		src[i] = (uint8_t)(i * 7 + 1);
	assert_int_equal(gm_write(&vm.mem, 0x40000, src, sizeof(src)), 0);
	bm_map();
	prd(PRD_TABLE, 0, 0x40000, 1024, true);
	out(BM + BM_PRD_ADDR, 4, PRD_TABLE);
	command28(0xa0, ATA_CMD_WRITE_DMA, 20, 2);
	out(BM + BM_CMD, 1, BM_CMD_START);
	assert_int_equal(in(REG(ATA_STATUS), 1), ATA_SR_DRDY | ATA_SR_DSC);
	assert_int_equal(in(BM + BM_STATUS, 1), BM_ST_INT);
	for (unsigned s = 0; s < 2; s++) {
		command28(0xa0, ATA_CMD_READ_SECTORS, 20 + s, 1);
		read_block(got);
		assert_memory_equal(got, src + 512 * s, 512);
	}
}

/* A table that ends before the transfer: Active clears, no Interrupt,
 * no IRQ; the drive is left ready, DRQ off. */
static void test_bmdma_short_table(void **state)
{
	(void)state;
	bm_map();
	prd(PRD_TABLE, 0, 0x10000, 1024, true);
	dma_read(0, 8);
	assert_int_equal(in(BM + BM_STATUS, 1), 0);
	assert_false(irq14_line());
	assert_int_equal(in(REG(ATA_STATUS), 1), ATA_SR_DRDY | ATA_SR_DSC);
	assert_int_equal(vm.dev->ide0.sectors_moved, 0);
}

/* Descriptors without EOT all the way: the bus master reads 4 KiB of
 * table (512 descriptors of 2 bytes, 1 KiB) and stops short. */
static void test_bmdma_table_without_eot(void **state)
{
	(void)state;
	bm_map();
	for (unsigned i = 0; i < 1024; i++) /* 8 KiB of table */
		prd(PRD_TABLE, i, 0x10000 + 2 * i, 2, false);
	dma_read(0, 8);
	assert_int_equal(in(BM + BM_STATUS, 1), 0);
	assert_false(irq14_line());
	expect_ram(0x10000, 0, 1024);
	assert_int_equal(vm.dev->ide0.bm.next, PRD_TABLE + 4096);
}

/* A region, or the table itself, outside RAM: Error and Interrupt,
 * ABRT; the monitor goes on. */
static void test_bmdma_outside_ram(void **state)
{
	(void)state;
	bm_map();
	prd(PRD_TABLE, 0, 0xfff00000, 4096, true);
	dma_read(0, 8);
	assert_true(irq14_line());
	assert_int_equal(in(BM + BM_STATUS, 1), BM_ST_ERROR | BM_ST_INT);
	expect_abort();
	out(BM + BM_STATUS, 1, BM_ST_ERROR | BM_ST_INT);
	out(BM + BM_CMD, 1, 0);
	out(BM + BM_PRD_ADDR, 4, 0xfffffff0);
	command28(0xa0, ATA_CMD_READ_DMA, 0, 1);
	out(BM + BM_CMD, 1, BM_CMD_START | BM_CMD_READ);
	assert_int_equal(in(BM + BM_STATUS, 1), BM_ST_ERROR | BM_ST_INT);
	expect_abort();
	/* Past the disk's end: the drive's ABRT, no bus-master Error. */
	out(BM + BM_STATUS, 1, BM_ST_ERROR | BM_ST_INT);
	out(BM + BM_CMD, 1, 0);
	prd(PRD_TABLE, 0, 0x10000, 4096, true);
	dma_read(NSECT - 1, 2);
	assert_int_equal(in(BM + BM_STATUS, 1), BM_ST_INT);
	expect_abort();
	/* Bus mastering off in the function: RAM is out of reach. */
	out(BM + BM_STATUS, 1, BM_ST_INT);
	out(BM + BM_CMD, 1, 0);
	cfg_out(1, PCI_COMMAND, 2, PCI_COMMAND_IO);
	dma_read(0, 1);
	assert_int_equal(in(BM + BM_STATUS, 1), BM_ST_ERROR | BM_ST_INT);
	expect_abort();
	assert_false(vm.stopped);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_identify, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_lba28_and_32bit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_lba48_chs_multiple, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hob_native_max_split, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_and_flush, setup, teardown),
		cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_soft_reset, setup, teardown),
		cmocka_unit_test_setup_teardown(test_slave_absent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_irq, setup, teardown),
		cmocka_unit_test_setup_teardown(test_irq_edge_per_command, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_only_and_slave, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_disk_and_bad_images, setup, teardown),
		cmocka_unit_test_setup_teardown(test_piix3_functions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bmdma_registers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bmdma_read_zero_count_is_64k, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bmdma_read_exact_and_ext, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bmdma_write, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bmdma_short_table, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bmdma_table_without_eot, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bmdma_outside_ram, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
