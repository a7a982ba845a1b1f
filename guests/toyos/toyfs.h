/*
 * guests/toyos/toyfs.h - toyfs, toyos's tiny flat file system: its layout
 * on the disk, shared by the kernel (fs.c), the user programs (the
 * directory entries flist returns) and the host-side script that makes an
 * image (tests/guests/toyfs.sh).
 *
 * One directory, no subfolders; each file is one contiguous run of
 * sectors.  Every number is a little-endian uint32_t.
 *
 *   sector 0               the superblock (struct toyfs_super)
 *   sector 1               the directory: TOYFS_ENTRIES entries of 32
 *                          bytes (struct toyfs_dirent); a free entry's
 *                          name begins with a NUL
 *   sector 2 ... next_free the files' sectors, given out in order and
 *                          never taken back
 *   next_free ... sectors  free
 *
 * A file is written whole: into its own sectors if it still fits, else
 * into fresh ones at next_free (the old ones are left as they are).  The
 * data goes first, then the directory, then the superblock, so that the
 * directory never names sectors that were not written; what reaches the
 * disk only reaches stable storage at fsync.
 */
#ifndef GUESTS_TOYOS_TOYFS_H
#define GUESTS_TOYOS_TOYFS_H

#include <stdint.h>

#define TOYFS_SECTOR 512
#define TOYFS_MAGIC "toyfs v1"   /* 8 bytes, no NUL */
#define TOYFS_DIR_SECTOR 1
#define TOYFS_DATA_SECTOR 2
#define TOYFS_ENTRIES (TOYFS_SECTOR / 32)
#define TOYFS_NAME_MAX 20        /* a name's bytes, its NUL included */
#define TOYFS_FILE_MAX 8192      /* the largest file */

struct toyfs_super {
	char magic[8];           /* TOYFS_MAGIC */
	uint32_t sectors;        /* the file system's size, at most the disk's */
	uint32_t dir_sector;     /* TOYFS_DIR_SECTOR */
	uint32_t entries;        /* TOYFS_ENTRIES */
	uint32_t next_free;      /* the first sector never given out */
};

struct toyfs_dirent {
	char name[TOYFS_NAME_MAX]; /* NUL-padded; "" for a free entry */
	uint32_t start;          /* its first sector */
	uint32_t sectors;        /* how many it has */
	uint32_t size;           /* its bytes, at most sectors * 512 */
};

_Static_assert(sizeof(struct toyfs_dirent) == 32, "toyfs directory entry");

/* What fsinfo tells a program. */
struct toyfs_info {
	uint32_t sectors;        /* the file system's size */
	uint32_t next_free;      /* sectors given out so far */
	uint32_t files;          /* directory entries in use */
	uint32_t entries;        /* directory entries in all */
};

#endif /* GUESTS_TOYOS_TOYFS_H */
