/*
 * devices/virtio_blk.h - a virtio block device (virtio 1.2, 5.2) on the
 * virtio PCI transport (devices/virtio_pci.h), backed by a raw image.
 *
 * One request queue.  A request is a chain whose device-readable part
 * starts with struct virtio_blk_req's header (5.2.6):
 *
 *   le32 type   le32 reserved   le64 sector   (16 bytes)
 *
 * followed, for a write (VIRTIO_BLK_T_OUT), by the data; the writable
 * part holds the data of a read (VIRTIO_BLK_T_IN) or of GET_ID (20
 * bytes), and its last byte is the status the device writes.  Sectors
 * are 512 bytes whatever blk_size says.  The device configuration
 * (5.2.4) starts with le64 capacity, in sectors.
 *
 * The back end is the file behind it, reached through struct
 * blk_backend: today its calls run in the vCPU's thread when the queue
 * is notified; the interface is what a back end in another thread or
 * process would implement.
 */
#ifndef DEVICES_VIRTIO_BLK_H
#define DEVICES_VIRTIO_BLK_H

#include <stddef.h>
#include <stdint.h>

#include "devices/virtio_pci.h"

#define VIRTIO_ID_BLOCK 2
#define VIRTIO_BLK_F_RO 5     /* the disk is read-only */
#define VIRTIO_BLK_F_FLUSH 9  /* VIRTIO_BLK_T_FLUSH is honoured */

#define VIRTIO_BLK_T_IN 0
#define VIRTIO_BLK_T_OUT 1
#define VIRTIO_BLK_T_FLUSH 4
#define VIRTIO_BLK_T_GET_ID 8
#define VIRTIO_BLK_S_OK 0
#define VIRTIO_BLK_S_IOERR 1
#define VIRTIO_BLK_S_UNSUPP 2

#define VIRTIO_BLK_SECTOR 512
#define VIRTIO_BLK_HDR_SIZE 16
#define VIRTIO_BLK_ID_BYTES 20
#define VIRTIO_BLK_CONFIG_LEN 8 /* capacity only: no other feature */
#define VIRTIO_BLK_CHUNK 65536  /* bytes moved per back-end call */
#define VIRTIO_BLK_MAX_DATA 0x40000000 /* a request moves at most 1 GiB */

/* Where the bytes live: 0 or -1 for each call. */
struct blk_backend {
	void *opaque;
	int (*read)(void *opaque, void *buf, size_t len, uint64_t off);
	int (*write)(void *opaque, const void *buf, size_t len, uint64_t off);
	int (*flush)(void *opaque); /* the data is on stable storage */
};

struct virtio_blk {
	struct virtio_pci vp;          /* the card */
	struct virtio_device_ops ops;  /* device type 2 */
	struct blk_backend be;
	int fd;                        /* the image, or -1 */
	uint64_t nsectors;             /* capacity */
	bool read_only;
	char id[VIRTIO_BLK_ID_BYTES];  /* what GET_ID answers: the serial */
	uint8_t buf[VIRTIO_BLK_CHUNK]; /* data on its way */
};

/*
 * Open the raw image path (read-only or read-write) and make the card
 * at 00:dev.0, rings in mem; GET_ID answers serial (at most 20 bytes,
 * NUL-padded), or, for NULL, an empty string as QEMU's device with no
 * serial property; put it on the bus with
 * pci_device_register(h, &b->vp.pci).  0, or -1 with a one-line reason
 * in why (as ide_attach()).
 */
int virtio_blk_open(struct virtio_blk *b, uint8_t dev, const char *path,
		    bool read_only, const char *serial, struct guest_mem *mem,
		    char *why, size_t len);

/* Close the image. */
void virtio_blk_close(struct virtio_blk *b);

#endif /* DEVICES_VIRTIO_BLK_H */
