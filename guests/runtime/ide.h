/*
 * guests/runtime/ide.h - an ATA disk on a legacy IDE channel, by PIO,
 * behind the block interface of blk.h.
 *
 * The simplest driver there is: every register is an I/O port, every
 * command is the task file written one byte at a time, and every data
 * word goes through the data port (rep insw/outsw, one 512-byte sector
 * per DRQ block).  Completion is by polling Alternate Status, with the
 * channel's interrupt off (nIEN).  Commands: IDENTIFY DEVICE, READ and
 * WRITE SECTORS (EXT, 48-bit, beyond 2^28 sectors or 256 at a time),
 * FLUSH CACHE (EXT).  Against blkio's virtio-blk (vblk.h) this is the
 * emulated side of the comparison: many exits per sector instead of one
 * per batch of requests.
 */
#ifndef GUESTS_RUNTIME_IDE_H
#define GUESTS_RUNTIME_IDE_H

#include "blk.h"

struct rt_ide {
	uint16_t base, ctrl;        /* command block, control block ports */
	bool lba48;                 /* the disk has the 48-bit feature set */
	char model[41];             /* IDENTIFY words 27-46, blanks trimmed */
	uint8_t status, error;      /* the last command's ending registers */
	struct rt_blk blk;
};

/*
 * Reset the channel at base/ctrl (IDE0_BASE, IDE0_CTRL), select its
 * master and identify it; fill ide->blk.  0, or -1 when no ATA disk
 * answers.
 */
int rt_ide_open(struct rt_ide *ide, uint16_t base, uint16_t ctrl);

#endif /* GUESTS_RUNTIME_IDE_H */
