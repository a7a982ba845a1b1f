/*
 * devices/fw_cfg.h - QEMU's firmware configuration device, I/O interface.
 *
 * QEMU hands its firmware (and any guest that asks) facts about the
 * machine through numbered items (QEMU's docs/specs/fw_cfg.rst):
 *
 *   0x510  selector, 16-bit write: choose an item; its data offset is 0
 *   0x511  data, byte read: the item's next byte; 0 past its end
 *
 * All multi-byte numbers are little-endian, except in the file directory
 * (item 0x19), which is big-endian.  The DMA interface (0x514) is not
 * here, and item 0x0001 says so: only bit 0, "traditional interface".
 */
#ifndef DEVICES_FW_CFG_H
#define DEVICES_FW_CFG_H

#include <stdbool.h>
#include <stdint.h>

#define FW_CFG_PORT_SEL 0x510
#define FW_CFG_PORT_DATA 0x511
#define FW_CFG_NPORTS 2

/* Item keys (QEMU's include/standard-headers/linux/qemu_fw_cfg.h). */
#define FW_CFG_SIGNATURE 0x0000    /* "QEMU" */
#define FW_CFG_ID 0x0001           /* 32-bit feature bitmap */
#define FW_CFG_UUID 0x0002         /* 16 bytes */
#define FW_CFG_RAM_SIZE 0x0003     /* 64-bit, bytes */
#define FW_CFG_NOGRAPHIC 0x0004    /* 16-bit */
#define FW_CFG_NB_CPUS 0x0005      /* 16-bit, CPUs at boot */
#define FW_CFG_MAX_CPUS 0x000f     /* 16-bit */
#define FW_CFG_CMDLINE_SIZE 0x0014 /* 32-bit, strlen + 1 */
#define FW_CFG_CMDLINE_DATA 0x0015 /* the string with its NUL */
#define FW_CFG_FILE_DIR 0x0019     /* 32-bit BE count, then the entries */
#define FW_CFG_WRITE_CHANNEL 0x4000 /* selector bit: write (not supported) */
#define FW_CFG_ARCH_LOCAL 0x8000   /* selector bit: architecture's items */
#define FW_CFG_VERSION 0x01        /* FW_CFG_ID bit 0: traditional I/O */

#define FW_CFG_CMDLINE_MAX 4096    /* longest command line kept, NUL in */

/* One item: its key and bytes (data points into struct fw_cfg). */
struct fw_cfg_item {
	uint16_t key;
	uint32_t len;
	const uint8_t *data;
};

#define FW_CFG_MAX_ITEMS 12

struct fw_cfg {
	uint16_t selector;    /* the last key written to the selector */
	uint32_t offset;      /* the next byte of that item to read */
	const struct fw_cfg_item *cur; /* the selected item, NULL if none */
	struct fw_cfg_item items[FW_CFG_MAX_ITEMS]; /* what the guest can read */
	unsigned nitems;
	/* The items' storage. */
	uint8_t id[4], uuid[16], ram_size[8], nographic[2], nb_cpus[2];
	uint8_t max_cpus[2], cmdline_size[4], file_dir[4];
	char cmdline[FW_CFG_CMDLINE_MAX];
};

/*
 * Fill the items in for a machine with ram_bytes of RAM, ncpus CPUs and
 * the guest command line cmdline (NULL: none, as ""; cut to
 * FW_CFG_CMDLINE_MAX - 1 bytes); no item selected.
 */
void fw_cfg_init(struct fw_cfg *f, uint64_t ram_bytes, unsigned ncpus,
		 const char *cmdline);

/*
 * One access to port 0x510 or 0x511 of size 1, 2 or 4, as QEMU takes
 * them: a 16-bit write at 0x510 selects; a byte read at either port reads
 * the data; other writes are ignored and other reads give 0 (QEMU's bus
 * refuses them, and a refused read is 0), without consuming a byte.
 */
uint32_t fw_cfg_io_read(struct fw_cfg *f, uint16_t port, unsigned size);
void fw_cfg_io_write(struct fw_cfg *f, uint16_t port, unsigned size,
		     uint32_t val);

#endif /* DEVICES_FW_CFG_H */
