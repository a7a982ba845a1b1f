/*
 * devices/ptblk.h - a "passed through" disk: a block device whose
 * registers and queues live in guest RAM and whose hardware is a host
 * thread that polls them and moves the data itself (DMA), so that the
 * data path costs the vCPU no exit at all (--disk=FILE,if=passthru).
 *
 * It stands in for SR-IOV or device passthrough, where a real device
 * reads its queues from guest memory and the hypervisor is not on the
 * data path (devices/README.md, "The passed-through claim").  Its queue
 * design is NVMe's (NVM Express Base 2.0): a submission queue the
 * driver fills and a completion queue the device fills, each a ring of
 * fixed-size entries; a completion entry carries a phase tag that flips
 * on every pass, so the driver sees a new entry without reading any
 * register; the doorbells are words in memory, as NVMe's Doorbell
 * Buffer Config ("shadow doorbells", 5.8) puts them for an emulated
 * controller, except that here there is no MMIO doorbell behind them:
 * the device polls.
 *
 * The driver finds the device on the PCI bus (PTBLK_VENDOR_ID,
 * PTBLK_DEVICE_ID) and sets it up through configuration space, the only
 * registers it has (each access a trap, but only at set-up):
 *
 *   0x40  QADDR     64-bit, the guest-physical address of the queue page
 *                   (4 KiB, aligned; the low 12 bits read as 0), written
 *                   while the device is disabled
 *   0x48  CAPACITY  64-bit, read-only: sectors of 512 bytes
 *   0x50  CC        bit 0 EN: enable (1) or disable (0) the device
 *   0x54  CSTS      read-only: bit 0 RDY (the device follows CC.EN),
 *                   bit 1 CFS (fatal: the queue page is not RAM, or the
 *                   driver wrote a ring index out of range; cleared by
 *                   disabling), bit 2 RO (a read-only image)
 *   0x58  QSIZE     16-bit, read-only: entries per queue
 *
 * The queue page, all little-endian, zeroed by the driver before EN:
 *
 *   0x000  SQ tail doorbell (32-bit): the next submission slot the
 *          driver will fill; it writes this after the entry
 *   0x004  CQ head doorbell (32-bit): the next completion the driver
 *          will read; it writes this after it has read one
 *   0x100  the submission queue, PTBLK_QSIZE entries of 32 bytes
 *   0x800  the completion queue, PTBLK_QSIZE entries of 16 bytes
 *
 * A queue is full when one more entry would make tail equal head, so
 * at most PTBLK_QSIZE - 1 requests are outstanding, and the device
 * takes a submission only when its completion has room.
 */
#ifndef DEVICES_PTBLK_H
#define DEVICES_PTBLK_H

#include <stdbool.h>
#include <stdint.h>

/* 0xfffe is no vendor's: this device exists only in trapvisor. */
#define PTBLK_VENDOR_ID 0xfffe
#define PTBLK_DEVICE_ID 0x0001
#define PTBLK_CLASS 0x018000      /* mass storage, other */

/* Configuration-space registers (above the type 0 header). */
#define PTBLK_CFG_QADDR 0x40
#define PTBLK_CFG_CAPACITY 0x48
#define PTBLK_CFG_CC 0x50
#define PTBLK_CFG_CSTS 0x54
#define PTBLK_CFG_QSIZE 0x58
#define PTBLK_CFG_END 0x5a

#define PTBLK_CC_EN 0x1
#define PTBLK_CSTS_RDY 0x1
#define PTBLK_CSTS_CFS 0x2
#define PTBLK_CSTS_RO 0x4

/* The queue page. */
#define PTBLK_PAGE 4096
#define PTBLK_QSIZE 32
#define PTBLK_SQ_TAIL 0x000
#define PTBLK_CQ_HEAD 0x004
#define PTBLK_SQ 0x100
#define PTBLK_CQ 0x800
#define PTBLK_SQE_SIZE 32
#define PTBLK_CQE_SIZE 16

/* A submission queue entry (NVMe's command, cut to what a disk needs). */
struct ptblk_sqe {
	uint8_t opcode;    /* PTBLK_OP_* */
	uint8_t flags;     /* 0 */
	uint16_t cid;      /* the driver's tag, echoed in the completion */
	uint32_t nsect;    /* sectors, 1 to PTBLK_MAX_SECTORS (not FLUSH) */
	uint64_t lba;      /* the first sector */
	uint64_t addr;     /* guest-physical buffer, nsect * 512 bytes */
	uint64_t reserved;
};

/* A completion queue entry (NVMe's: dword 2 the SQ head, dword 3 the
 * command's tag and the status with the phase tag in bit 0). */
struct ptblk_cqe {
	uint32_t result;   /* bytes moved */
	uint32_t reserved;
	uint16_t sq_head;  /* the device's submission head after this */
	uint16_t sq_id;    /* 0: there is one queue pair */
	uint16_t cid;
	uint16_t status;   /* bit 0 the phase tag, bits 15:1 PTBLK_SC_* */
};

_Static_assert(sizeof(struct ptblk_sqe) == PTBLK_SQE_SIZE, "sqe");
_Static_assert(sizeof(struct ptblk_cqe) == PTBLK_CQE_SIZE, "cqe");
_Static_assert(PTBLK_SQ + PTBLK_QSIZE * PTBLK_SQE_SIZE <= PTBLK_CQ, "sq");
_Static_assert(PTBLK_CQ + PTBLK_QSIZE * PTBLK_CQE_SIZE <= PTBLK_PAGE, "cq");

/* Opcodes: NVMe's NVM command set numbers. */
#define PTBLK_OP_FLUSH 0x00
#define PTBLK_OP_WRITE 0x01
#define PTBLK_OP_READ 0x02

#define PTBLK_SECTOR 512
#define PTBLK_MAX_SECTORS 256      /* 128 KiB per request */

/* Status codes (NVMe's generic and command-specific numbers). */
#define PTBLK_SC_SUCCESS 0x00
#define PTBLK_SC_INVALID_OPCODE 0x01
#define PTBLK_SC_INVALID_FIELD 0x02   /* nsect 0 or too many, flags */
#define PTBLK_SC_DATA_XFER 0x04       /* the buffer is not RAM */
#define PTBLK_SC_INTERNAL 0x06        /* the image file failed */
#define PTBLK_SC_LBA_RANGE 0x80       /* past the end of the disk */
#define PTBLK_SC_READ_ONLY 0x82       /* a write to a read-only disk */

#ifndef PTBLK_GUEST /* the monitor's side */
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>

#include "devices/pci.h"

struct guest_mem;
struct pt_thread;

/*
 * The device.  Two threads touch it: the vCPU thread (configuration
 * space, --stats) and the device's own thread (the queues, the image);
 * what both touch is atomic, the rest is one side's.
 */
struct ptblk {
	struct pci_device pci;       /* its configuration space */
	struct guest_mem *mem;       /* guest RAM, where the queues are */
	int fd;                      /* the raw image */
	bool read_only;
	uint64_t nsectors;
	/* The vCPU thread's requests to the device: CC.EN and QADDR as
	 * last written; the device follows them (synchronously without a
	 * thread, else at its next look). */
	_Atomic uint32_t want_en;
	_Atomic uint64_t want_qaddr;
	_Atomic uint32_t csts;       /* the device's answer: CSTS */
	/* The device's own state (the thread's while it runs). */
	bool enabled;
	uint64_t qaddr;              /* latched at enable */
	_Atomic uint32_t seen_head;  /* sq_head, for the vCPU thread */
	uint32_t sq_head, cq_tail;
	uint16_t phase;              /* the phase tag it writes */
	/* Counts, written by the device, read by --stats at the end. */
	_Atomic uint64_t requests, errors, bytes, fatal;
	_Atomic uint64_t done;       /* completions posted */
	/* Counted by the vCPU thread. */
	uint64_t cfg_accesses;       /* its registers (0x40-0x59) */
	uint64_t cfg_busy;           /* of which with requests in flight */
	uint64_t cfg_csts;           /* of which reads of CSTS */
	_Atomic uint64_t sleeps, wakes; /* the thread's polling (--stats) */
	struct pt_thread *thread;    /* NULL: synchronous (tests, fuzz) */
};

/*
 * Open the raw image path (a regular file, a positive multiple of 512
 * bytes; read-only with ro) and build the PCI function at 00:dev.0.
 * 0, or -1 with a one-line reason in why.
 */
int ptblk_open(struct ptblk *d, uint8_t dev, const char *path, bool ro,
	       struct guest_mem *mem, char *why, size_t len);

/* Start the device's thread (before the monitor's sandbox).  0 or -1. */
int ptblk_start(struct ptblk *d, char *why, size_t len);

/*
 * One look at the queues, in the caller's thread: follow CC (enable,
 * disable), then take every submission there is room to complete.
 * Returns the requests completed.  The thread calls this in its loop;
 * without a thread, tests and the fuzzer call it themselves.
 */
unsigned ptblk_service(struct ptblk *d);

/* Stop and join the thread, close the image. */
void ptblk_close(struct ptblk *d);

/* --stats: requests, bytes, errors, register accesses. */
void ptblk_print(const struct ptblk *d, FILE *f);

#endif /* PTBLK_GUEST */
#endif /* DEVICES_PTBLK_H */
