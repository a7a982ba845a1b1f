/*
 * devices/virtio_blk.c - virtio-blk (devices/virtio_blk.h): requests
 * off the queue into the back end, the status byte back.
 *
 * What the specification asks of the device (5.2.6.1) and this file
 * does: a request that reads or writes past the capacity, or whose data
 * is not a whole number of sectors, fails with VIRTIO_BLK_S_IOERR (as
 * does one of more than VIRTIO_BLK_MAX_DATA, so that the used length
 * fits its 32 bits); a
 * write to a read-only disk too; an unknown type gives
 * VIRTIO_BLK_S_UNSUPP; the used length counts the bytes written into
 * the chain, status included.  A flush returns only once fsync has
 * (issue 15's "no data lost").  A chain with no writable byte has no
 * place for a status: the device needs a reset.
 *
 * Left out: discard, write zeroes, multiple queues, geometry, topology,
 * size_max and seg_max (none of their features is offered).
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "devices/disk_image.h"
#include "devices/virtio_blk.h"

/* ------------------------------------------------------------------
 * The file back end.
 */
static int file_read(void *opaque, void *buf, size_t len, uint64_t off)
{
	struct virtio_blk *b = opaque;

	return pread(b->fd, buf, len, (off_t)off) == (ssize_t)len ? 0 : -1;
}

static int file_write(void *opaque, const void *buf, size_t len, uint64_t off)
{
	struct virtio_blk *b = opaque;

	return pwrite(b->fd, buf, len, (off_t)off) == (ssize_t)len ? 0 : -1;
}

static int file_flush(void *opaque)
{
	struct virtio_blk *b = opaque;

	return fsync(b->fd);
}

/* ------------------------------------------------------------------
 * Requests (5.2.6).
 */
#define CHUNK VIRTIO_BLK_CHUNK

/* Data of a read: sectors from the disk into the writable stream. */
static uint8_t blk_in(struct virtio_blk *b, const struct virtq_chain *c,
		      uint64_t sector, uint64_t n)
{
	uint8_t *buf = b->buf;

	for (uint64_t done = 0; done < n;) {
		size_t k = n - done < CHUNK ? (size_t)(n - done) : CHUNK;

		if (b->be.read(b->be.opaque, buf, k,
			       sector * VIRTIO_BLK_SECTOR + done) < 0 ||
		    virtq_chain_write(&b->vp, c, done, buf, k) < 0)
			return VIRTIO_BLK_S_IOERR;
		done += k;
	}
	return VIRTIO_BLK_S_OK;
}

/* Data of a write: the readable stream after the header onto the disk. */
static uint8_t blk_out(struct virtio_blk *b, const struct virtq_chain *c,
		       uint64_t sector, uint64_t n)
{
	uint8_t *buf = b->buf;

	if (b->read_only)
		return VIRTIO_BLK_S_IOERR;
	for (uint64_t done = 0; done < n;) {
		size_t k = n - done < CHUNK ? (size_t)(n - done) : CHUNK;

		if (virtq_chain_read(&b->vp, c, VIRTIO_BLK_HDR_SIZE + done, buf,
				     k) < 0 ||
		    b->be.write(b->be.opaque, buf, k,
				sector * VIRTIO_BLK_SECTOR + done) < 0)
			return VIRTIO_BLK_S_IOERR;
		done += k;
	}
	return VIRTIO_BLK_S_OK;
}

/* Is [sector, sector + n bytes) a whole number of sectors on the disk? */
static bool in_range(const struct virtio_blk *b, uint64_t sector, uint64_t n)
{
	return n % VIRTIO_BLK_SECTOR == 0 && n <= VIRTIO_BLK_MAX_DATA &&
	       sector <= b->nsectors &&
	       n / VIRTIO_BLK_SECTOR <= b->nsectors - sector;
}

static int64_t blk_request(void *opaque, struct virtio_pci *vp, unsigned q,
		       const struct virtq_chain *c)
{
	struct virtio_blk *b = opaque;
	uint8_t hdr[VIRTIO_BLK_HDR_SIZE], status;
	uint64_t sector, data;
	uint32_t type;
	int64_t written = 1;

	(void)q;
	if (c->write_len == 0)
		return -1; /* nowhere to put the status */
	data = c->write_len - 1; /* writable bytes before the status */
	if (virtq_chain_read(vp, c, 0, hdr, sizeof(hdr)) < 0) {
		status = VIRTIO_BLK_S_IOERR;
		goto done;
	}
	type = (uint32_t)(hdr[0] | hdr[1] << 8 | hdr[2] << 16 |
			  (uint32_t)hdr[3] << 24);
	sector = 0;
	for (int i = 7; i >= 0; i--)
		sector = sector << 8 | hdr[8 + i];
	switch (type) {
	case VIRTIO_BLK_T_IN:
		status = in_range(b, sector, data) ?
				 blk_in(b, c, sector, data) : VIRTIO_BLK_S_IOERR;
		if (status == VIRTIO_BLK_S_OK) {
			written += (int64_t)data;
			vp->bytes += data;
		}
		break;
	case VIRTIO_BLK_T_OUT:
		data = c->read_len - VIRTIO_BLK_HDR_SIZE;
		status = in_range(b, sector, data) ?
				 blk_out(b, c, sector, data) : VIRTIO_BLK_S_IOERR;
		if (status == VIRTIO_BLK_S_OK)
			vp->bytes += data;
		break;
	case VIRTIO_BLK_T_FLUSH:
		status = b->be.flush(b->be.opaque) < 0 ? VIRTIO_BLK_S_IOERR :
							  VIRTIO_BLK_S_OK;
		break;
	case VIRTIO_BLK_T_GET_ID:
		status = data >= VIRTIO_BLK_ID_BYTES &&
				 virtq_chain_write(vp, c, 0, b->id,
						   VIRTIO_BLK_ID_BYTES) == 0 ?
				 VIRTIO_BLK_S_OK : VIRTIO_BLK_S_IOERR;
		if (status == VIRTIO_BLK_S_OK)
			written += VIRTIO_BLK_ID_BYTES;
		break;
	default:
		status = VIRTIO_BLK_S_UNSUPP;
	}
done:
	if (virtq_chain_write(vp, c, c->write_len - 1, &status, 1) < 0)
		return -1;
	return written;
}

/* The device configuration: le64 capacity (5.2.4). */
static uint8_t blk_config_read(void *opaque, unsigned off)
{
	struct virtio_blk *b = opaque;

	return off < 8 ? (uint8_t)(b->nsectors >> (8 * off)) : 0;
}

int virtio_blk_open(struct virtio_blk *b, uint8_t dev, const char *path,
		    bool read_only, const char *serial, struct guest_mem *mem,
		    char *why, size_t len)
{
	uint64_t bytes;
	int fd;

	memset(b, 0, sizeof(*b));
	b->fd = -1;
	fd = disk_image_open(path, read_only, &bytes, why, len);
	if (fd < 0)
		return -1;
	if (bytes == 0 || bytes % VIRTIO_BLK_SECTOR) {
		snprintf(why, len, "disk %s: not a regular file whose size is "
			 "a positive multiple of %d", path, VIRTIO_BLK_SECTOR);
		close(fd);
		return -1;
	}
	b->fd = fd;
	b->read_only = read_only;
	b->nsectors = bytes / VIRTIO_BLK_SECTOR;
	/* strncpy: NUL-padded to 20 bytes, no NUL when it fills them. */
	strncpy(b->id, serial ? serial : "", sizeof(b->id));
	b->be = (struct blk_backend){ b, file_read, file_write, file_flush };
	b->ops = (struct virtio_device_ops){
		.device_id = VIRTIO_ID_BLOCK,
		.class_code = 0x010000, /* mass storage, SCSI: QEMU's */
		.nqueues = 1,
		.features = 1ull << VIRTIO_BLK_F_FLUSH |
			    (read_only ? 1ull << VIRTIO_BLK_F_RO : 0),
		.config_len = VIRTIO_BLK_CONFIG_LEN,
		.config_read = blk_config_read,
		.request = blk_request,
	};
	virtio_pci_init(&b->vp, dev, &b->ops, b, mem);
	return 0;
}

void virtio_blk_close(struct virtio_blk *b)
{
	if (b->fd >= 0)
		close(b->fd);
	b->fd = -1;
}
