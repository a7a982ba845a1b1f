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
	uint16_t id_dma[3];         /* IDENTIFY words 49, 63 and 88 */
	uint16_t bm;                /* bus-master registers; 0: PIO only */
	uint8_t bm_status;          /* the last DMA command's ending one */
	struct rt_blk blk;
};

/*
 * Reset the channel at base/ctrl (IDE0_BASE, IDE0_CTRL), select its
 * master and identify it; fill ide->blk.  0, or -1 when no ATA disk
 * answers.
 */
int rt_ide_open(struct rt_ide *ide, uint16_t base, uint16_t ctrl);

/*
 * From here on move the data by bus-master DMA (READ DMA, WRITE DMA,
 * SFF-8038i) through the channel's bus-master registers at port bm (the
 * PIIX IDE function's BAR4; the caller has turned on its I/O space and
 * bus mastering).  The buffers' addresses must be physical ones (the
 * runtime maps memory one to one).
 */
void rt_ide_use_dma(struct rt_ide *ide, uint16_t bm);

/* The PIIX3's IDE function (00:01.1 on QEMU's pc and here). */
#define RT_PIIX3_IDE_DEVICE 0x7010

struct rt_pci_dev;

/*
 * The usual way there: turn on bus mastering in the PIIX IDE function fn
 * (found with rt_pci_find) and hand its BAR4 to rt_ide_use_dma.  false,
 * and nothing changed, when BAR4 is not an I/O BAR.
 */
bool rt_ide_dma_through(struct rt_ide *ide, const struct rt_pci_dev *fn);

#endif /* GUESTS_RUNTIME_IDE_H */
