/*
 * guests/runtime/blk.h - a block device as the guest's programs see it:
 * read, write and flush by 512-byte sector, whatever the disk behind it
 * (virtio_blk.c today; an IDE driver could fill in the same structure).
 */
#ifndef GUESTS_RUNTIME_BLK_H
#define GUESTS_RUNTIME_BLK_H

#include <stdbool.h>
#include <stdint.h>

#define RT_BLK_SECTOR 512

/* What a request ended with. */
enum rt_blk_status {
	RT_BLK_OK = 0,
	RT_BLK_EIO = 1,     /* the device failed it (past the end, ...) */
	RT_BLK_EUNSUPP = 2, /* the device does not do that */
	RT_BLK_EBUSY = 3,   /* no room to queue it (driver side) */
};

struct rt_blk {
	const char *name;
	uint64_t sectors;   /* capacity */
	bool read_only;
	void *priv;         /* the driver's state */
	/* count sectors from sector into buf, or from buf; 0 or a status */
	int (*read)(struct rt_blk *b, uint64_t sector, void *buf,
		    unsigned count);
	int (*write)(struct rt_blk *b, uint64_t sector, const void *buf,
		     unsigned count);
	/* everything written so far is on stable storage */
	int (*flush)(struct rt_blk *b);
};

static inline int rt_blk_read(struct rt_blk *b, uint64_t sector, void *buf,
			      unsigned count)
{
	return b->read(b, sector, buf, count);
}

static inline int rt_blk_write(struct rt_blk *b, uint64_t sector,
			       const void *buf, unsigned count)
{
	return b->write(b, sector, buf, count);
}

static inline int rt_blk_flush(struct rt_blk *b)
{
	return b->flush(b);
}

#endif /* GUESTS_RUNTIME_BLK_H */
