/*
 * devices/ide.h - an IDE (ATA) channel: two hard disks spoken to by PIO
 * or by bus-master DMA.
 *
 * Register, bit and command names from the ATA/ATAPI-6 and ATA8-ACS
 * standards.  The primary channel of a PC answers at two port ranges:
 *
 *   command block 0x1f0-0x1f7        control block 0x3f6
 *   +0  Data (16 or 32 bits)         Alternate Status (read)
 *   +1  Error (r) / Features (w)     Device Control (write)
 *   +2  Sector Count
 *   +3  LBA Low   (CHS: sector)
 *   +4  LBA Mid   (CHS: cylinder low)
 *   +5  LBA High  (CHS: cylinder high)
 *   +6  Device    (LBA bit, DEV = master/slave, LBA 27:24 or head)
 *   +7  Status (r) / Command (w)
 *
 * Both devices on the cable see every write to the command block; only
 * the one that DEV selects answers reads.  The guest writes the task
 * file, then a command; the device sets BSY, then DRQ when a 512-byte
 * block is ready to move through the data port, and raises INTRQ (IRQ 14)
 * at each block and at the end, unless the guest set nIEN.
 *
 * The behaviour follows QEMU's hw/ide/core.c where the standard leaves
 * room (so that a guest sees the same on both machines): an absent device
 * reads as status 0, a read past the end aborts with ABRT, IDENTIFY data
 * carries QEMU's model string "QEMU HARDDISK".  Commands complete at once
 * (the image is read with pread), so BSY is never seen set.
 */
#ifndef DEVICES_IDE_H
#define DEVICES_IDE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define IDE0_BASE 0x1f0   /* primary channel, command block */
#define IDE0_CTRL 0x3f6   /* primary channel, control block */
#define IDE_NPORTS 8

/* Command block registers, offsets from the base port. */
#define ATA_DATA 0
#define ATA_ERROR 1       /* read */
#define ATA_FEATURES 1    /* write */
#define ATA_COUNT 2
#define ATA_LBA_LOW 3
#define ATA_LBA_MID 4
#define ATA_LBA_HIGH 5
#define ATA_DEVICE 6
#define ATA_STATUS 7      /* read */
#define ATA_COMMAND 7     /* write */

/* Status register. */
#define ATA_SR_ERR 0x01   /* the last command ended in error */
#define ATA_SR_DRQ 0x08   /* a data block is ready to move */
#define ATA_SR_DSC 0x10   /* seek complete (obsolete, still set) */
#define ATA_SR_DF 0x20    /* device fault (never set: no fault here) */
#define ATA_SR_DRDY 0x40  /* device ready for commands */
#define ATA_SR_BSY 0x80   /* busy: the other bits mean nothing */

/* Error register. */
#define ATA_ER_ABRT 0x04  /* command aborted */
#define ATA_ER_IDNF 0x10  /* ID not found (QEMU reports ABRT instead) */
#define ATA_ER_UNC 0x40   /* uncorrectable data (host read error) */

/* Device register. */
#define ATA_DEV_LBA 0x40  /* LBA addressing (else CHS) */
#define ATA_DEV_DEV 0x10  /* 0: device 0 (master), 1: device 1 (slave) */
#define ATA_DEV_OBS 0xa0  /* obsolete bits 7 and 5, read back as ones */

/* Device Control register. */
#define ATA_CTL_NIEN 0x02 /* INTRQ disabled */
#define ATA_CTL_SRST 0x04 /* software reset */
#define ATA_CTL_HOB 0x80  /* reads show the previous (high order) bytes */

/* The commands implemented (ATA8-ACS names). */
#define ATA_CMD_RECALIBRATE 0x10
#define ATA_CMD_READ_SECTORS 0x20
#define ATA_CMD_READ_SECTORS_NR 0x21    /* "without retry" (ATA-1) */
#define ATA_CMD_READ_SECTORS_EXT 0x24
#define ATA_CMD_READ_DMA_EXT 0x25
#define ATA_CMD_READ_NATIVE_MAX_EXT 0x27
#define ATA_CMD_READ_MULTIPLE_EXT 0x29
#define ATA_CMD_WRITE_SECTORS 0x30
#define ATA_CMD_WRITE_SECTORS_NR 0x31
#define ATA_CMD_WRITE_SECTORS_EXT 0x34
#define ATA_CMD_WRITE_DMA_EXT 0x35
#define ATA_CMD_WRITE_MULTIPLE_EXT 0x39
#define ATA_CMD_VERIFY 0x40
#define ATA_CMD_VERIFY_NR 0x41
#define ATA_CMD_VERIFY_EXT 0x42
#define ATA_CMD_DIAGNOSTIC 0x90         /* EXECUTE DEVICE DIAGNOSTIC */
#define ATA_CMD_INIT_PARAMS 0x91        /* INITIALIZE DEVICE PARAMETERS */
#define ATA_CMD_IDENTIFY_PACKET 0xa1    /* ATAPI only: aborts here */
#define ATA_CMD_READ_MULTIPLE 0xc4
#define ATA_CMD_WRITE_MULTIPLE 0xc5
#define ATA_CMD_SET_MULTIPLE 0xc6
#define ATA_CMD_READ_DMA 0xc8
#define ATA_CMD_WRITE_DMA 0xca
#define ATA_CMD_CHECK_POWER 0xe5
#define ATA_CMD_FLUSH_CACHE 0xe7
#define ATA_CMD_FLUSH_CACHE_EXT 0xea
#define ATA_CMD_IDENTIFY 0xec
#define ATA_CMD_SET_FEATURES 0xef
#define ATA_CMD_READ_NATIVE_MAX 0xf8

#define ATA_SECTOR 512
#define IDE_MAX_MULT 16   /* sectors per DRQ block of READ/WRITE MULTIPLE */

/* The block that an end-of-block moves on to. */
enum ide_xfer {
	IDE_XFER_NONE,    /* no transfer: the data port reads 0 */
	IDE_XFER_IDENT,   /* IDENTIFY data to the host, then done */
	IDE_XFER_READ,    /* sectors to the host, next block after this one */
	IDE_XFER_WRITE,   /* sectors from the host, written at block end */
	IDE_XFER_DMA_IN,  /* READ DMA: waits for the bus master to start */
	IDE_XFER_DMA_OUT, /* WRITE DMA: likewise */
};

/* One device (master or slave) and its own copy of the task file. */
struct ide_drive {
	int fd;               /* the raw image; -1: no device here */
	bool read_only;       /* --disk=FILE,ro: writes abort */
	uint64_t nsectors;    /* capacity in 512-byte sectors */
	unsigned cyls, heads, spt; /* CHS geometry (QEMU's guess by size) */
	char serial[21];      /* IDENTIFY words 10-19 */

	/* The task file, as the last writes left it. */
	uint8_t features;     /* Features */
	uint32_t count;       /* Sector Count; during a command the whole
				 count left (0 meant 256 or 65536) */
	uint8_t lba_low;      /* LBA Low / sector number */
	uint8_t lba_mid;      /* LBA Mid / cylinder low */
	uint8_t lba_high;     /* LBA High / cylinder high */
	uint8_t device;       /* Device: LBA, DEV, LBA 27:24 or head */
	uint8_t status;       /* Status (ATA_SR_*) */
	uint8_t error;        /* Error (ATA_ER_*) */
	/* The previous value of each register, for 48-bit commands, which
	 * take two writes per register (high order byte first). */
	uint8_t hob_features, hob_count, hob_lba_low, hob_lba_mid,
		hob_lba_high;

	bool lba48;           /* the running command is an EXT one */
	unsigned mult;        /* SET MULTIPLE's sectors per block (0: off) */
	unsigned per_block;   /* sectors per DRQ block of this command */
	bool wcache;          /* SET FEATURES write cache (IDENTIFY 85) */
	uint8_t xfer_mode;    /* SET FEATURES transfer mode (IDENTIFY 62,
				 63, 88), when xfer_mode_set */
	bool xfer_mode_set;   /* false: the power-on Ultra DMA 5 */
	enum ide_xfer xfer;   /* what the data port moves now */
	unsigned pos, end;    /* the transfer: buf[pos..end) */
	uint8_t buf[IDE_MAX_MULT * ATA_SECTOR];
};

/*
 * Bus-master IDE (SFF-8038i "Programming Interface for Bus Master IDE
 * Controller"): 8 bytes of I/O per channel in the PIIX3 IDE function's
 * BAR4 (devices/piix.h), through which the controller itself moves the
 * sectors of READ DMA and WRITE DMA between the disk and guest RAM:
 *
 *   +0  Command: bit 0 Start/Stop Bus Master, bit 3 Read/Write Control
 *   +2  Status:  bit 0 Active, bit 1 Error, bit 2 Interrupt (write 1 to
 *                clear both), bits 5-6 drive 0/1 DMA capable (scratch)
 *   +4  PRD table address (32 bits, dword aligned)
 *
 * The table holds Physical Region Descriptors of 8 bytes: a 32-bit
 * address, a 16-bit byte count (0 means 64 KiB) and a word whose bit 15
 * marks the End Of Table.  The controller walks it until the drive's
 * sectors are all moved.  Where the standard is silent the behaviour is
 * QEMU's hw/ide/pci.c: the direction comes from the ATA command (bit 3
 * is kept, not obeyed); a table that ends before the transfer does
 * clears Active without Interrupt (no IRQ: the guest sees the transfer
 * stop short); a table longer than the transfer leaves Active set with
 * Interrupt; and the controller reads at most 4 KiB of table from the
 * address in the register (512 descriptors) before it gives up, so that
 * a table without EOT cannot run on.  A descriptor that points outside
 * RAM ends the command with Error and Interrupt and the drive's ABRT.
 */
#define BM_CMD 0
#define BM_STATUS 2
#define BM_PRD_ADDR 4
#define BM_NPORTS 8
#define BM_CMD_START 0x01
#define BM_CMD_READ 0x08      /* 1: the controller writes memory */
#define BM_CMD_MASK 0x09
#define BM_ST_ACTIVE 0x01
#define BM_ST_ERROR 0x02
#define BM_ST_INT 0x04
#define BM_ST_CLEAR 0x06      /* the write-1-to-clear bits */
#define BM_ST_DRV_DMA 0x60    /* drive 0 and 1 DMA capable: read/write */
#define BM_PRD_SIZE 8
#define BM_PRD_EOT 0x8000
#define BM_TABLE_MAX 4096     /* bytes of table read per command (QEMU) */

struct ide_bmdma {
	uint8_t cmd, status;
	uint32_t prd;         /* PRD Table Address as written */
	uint32_t next;        /* the next descriptor to read: prd when
				 Start was set, then on down the table */
};

/* One channel: the cable with two devices and the host's registers. */
struct ide_bus {
	struct ide_drive drive[2]; /* 0: master, 1: slave */
	unsigned unit;        /* which one DEV selects */
	uint8_t control;      /* Device Control as last written */
	bool irq;             /* INTRQ: the level of the IRQ line */
	/* For --stats: the guest's accesses to either block (a rep ins or
	 * outs counts one per element, as the device sees them), those of
	 * them to the data register, and the sectors moved. */
	uint64_t accesses, data_accesses, sectors_moved;
	struct ide_bmdma bm;  /* its bus-master registers */
	/* Guest RAM for the bus master: 0, or -1 where [gpa, gpa + len) is
	 * not all RAM.  NULL (no bus master wired): DMA commands abort. */
	int (*dma_read)(void *opaque, uint64_t gpa, void *buf, size_t len);
	int (*dma_write)(void *opaque, uint64_t gpa, const void *buf,
			 size_t len);
	void *dma_opaque;
};

/* Power-on state: no device attached, master selected, line low. */
void ide_init(struct ide_bus *b);

/*
 * Attach the raw image path as device unit (0 master, 1 slave), opened
 * read-only or read-write.  Returns 0, or -1 with a one-line reason in
 * why (no such file, not a regular file, a size that is not a whole
 * number of 512-byte sectors, an empty file).
 */
int ide_attach(struct ide_bus *b, unsigned unit, const char *path,
	       bool read_only, char *why, size_t len);

/* Close every attached image (the channel is left without devices). */
void ide_fini(struct ide_bus *b);

/*
 * A guest access to the command block: reg is the offset 0..7 from
 * IDE0_BASE, size 1, 2 or 4 bytes (2 and 4 only make sense on the data
 * register; on the others each byte goes to the next register, as the
 * ISA bus splits it).  For in, the value is returned; for out, val is
 * written and 0 returned.
 */
uint32_t ide_io(struct ide_bus *b, unsigned reg, unsigned size, bool in,
		uint32_t val);

/* The control block: read Alternate Status (no side effect). */
uint8_t ide_alt_status(const struct ide_bus *b);
/* The control block: write Device Control (nIEN, SRST, HOB). */
void ide_control(struct ide_bus *b, uint8_t val);

/*
 * The bus-master registers: reg 0..7 in the channel's 8 bytes, size 1,
 * 2 or 4.  Command and Status answer byte reads only (a wider read
 * gives all ones, as QEMU's); the PRD address takes any size.  Setting
 * Start runs a waiting DMA command to its end at once.
 */
uint32_t ide_bmdma_io(struct ide_bus *b, unsigned reg, unsigned size,
		      bool in, uint32_t val);

#endif /* DEVICES_IDE_H */
