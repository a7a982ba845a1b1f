/*
 * guests/toyos/fs.c - toyfs (toyfs.h) on the disk disk.c opened.
 *
 * The superblock and the directory are read once, at fs_mount, and kept
 * in memory; every change writes them back (after the file's data).  A
 * file moves between the disk and a kernel buffer whole, fs_buf: the
 * system calls (syscall.c) copy it from and to the user, so that a bad
 * user pointer is refused before anything reaches the disk.  Everything
 * here runs in a system call, with interrupts off: one call at a time.
 *
 * The disk is not trusted either: fs_mount refuses a superblock whose
 * numbers do not fit the disk, and a directory entry whose sectors are
 * not inside the file system is left out as if it were free.
 */
#include "toyos.h"

static struct rt_blk *disk;
static struct toyfs_super super;
static struct toyfs_dirent dir[TOYFS_ENTRIES];
/* Sector-sized views of the two metadata sectors and the file buffer:
 * the drivers move whole sectors by DMA, from and to these. */
static uint8_t meta[TOYFS_SECTOR] __attribute__((aligned(16)));
uint8_t fs_buf[TOYFS_FILE_MAX] __attribute__((aligned(16)));

_Static_assert(sizeof(dir) == TOYFS_SECTOR, "one directory sector");

static uint32_t sectors_for(uint32_t bytes)
{
	return (bytes + TOYFS_SECTOR - 1) / TOYFS_SECTOR;
}

/* Is entry e in use, and inside the file system? */
static bool entry_ok(const struct toyfs_dirent *e)
{
	return e->name[0] && e->start >= TOYFS_DATA_SECTOR &&
	       e->start <= super.next_free &&
	       e->sectors <= super.next_free - e->start &&
	       e->size <= e->sectors * TOYFS_SECTOR &&
	       e->size <= TOYFS_FILE_MAX;
}

bool fs_mount(struct rt_blk *b)
{
	if (rt_blk_read(b, 0, meta, 1) != RT_BLK_OK)
		return false;
	memcpy(&super, meta, sizeof(super));
	if (memcmp(super.magic, TOYFS_MAGIC, sizeof(super.magic)) ||
	    super.dir_sector != TOYFS_DIR_SECTOR ||
	    super.entries != TOYFS_ENTRIES || super.sectors > b->sectors ||
	    super.next_free < TOYFS_DATA_SECTOR ||
	    super.next_free > super.sectors) {
		rt_printf("toyos: fs: no toyfs on the disk\n");
		return false;
	}
	if (rt_blk_read(b, TOYFS_DIR_SECTOR, dir, 1) != RT_BLK_OK)
		return false;
	for (unsigned i = 0; i < TOYFS_ENTRIES; i++)
		dir[i].name[TOYFS_NAME_MAX - 1] = 0;
	disk = b;
	return true;
}

bool fs_info(struct toyfs_info *info)
{
	if (!disk)
		return false;
	info->sectors = super.sectors;
	info->next_free = super.next_free;
	info->entries = TOYFS_ENTRIES;
	info->files = 0;
	for (unsigned i = 0; i < TOYFS_ENTRIES; i++)
		info->files += entry_ok(&dir[i]);
	return true;
}

bool fs_entry(unsigned n, struct toyfs_dirent *out)
{
	for (unsigned i = 0; disk && i < TOYFS_ENTRIES; i++)
		if (entry_ok(&dir[i]) && n-- == 0) {
			*out = dir[i];
			return true;
		}
	return false;
}

/* The entry called name, or NULL. */
static struct toyfs_dirent *lookup(const char *name)
{
	for (unsigned i = 0; i < TOYFS_ENTRIES; i++)
		if (entry_ok(&dir[i]) && strcmp(dir[i].name, name) == 0)
			return &dir[i];
	return NULL;
}

int fs_read(const char *name)
{
	struct toyfs_dirent *e = disk ? lookup(name) : NULL;

	if (!e)
		return -1;
	if (e->size && rt_blk_read(disk, e->start, fs_buf,
				   sectors_for(e->size)) != RT_BLK_OK)
		return -1;
	return (int)e->size;
}

/* The directory, then the superblock, back to the disk. */
static bool write_meta(void)
{
	if (rt_blk_write(disk, TOYFS_DIR_SECTOR, dir, 1) != RT_BLK_OK)
		return false;
	memset(meta, 0, sizeof(meta));
	memcpy(meta, &super, sizeof(super));
	return rt_blk_write(disk, 0, meta, 1) == RT_BLK_OK;
}

/* A free entry for name, or NULL when the directory is full. */
static struct toyfs_dirent *new_entry(const char *name)
{
	for (unsigned i = 0; i < TOYFS_ENTRIES; i++)
		if (!entry_ok(&dir[i])) {
			memset(&dir[i], 0, sizeof(dir[i]));
			memcpy(dir[i].name, name, strlen(name));
			return &dir[i];
		}
	return NULL;
}

int fs_write(const char *name, uint32_t size)
{
	struct toyfs_dirent *e, *old = disk ? lookup(name) : NULL;
	uint32_t need = sectors_for(size), start;

	if (!disk || !name[0] || size > TOYFS_FILE_MAX)
		return -1;
	if (old && need <= old->sectors) {
		start = old->start;
	} else {
		if (need > super.sectors - super.next_free)
			return -1;  /* the disk is full */
		start = super.next_free;
	}
	e = old ? old : new_entry(name);
	if (!e)
		return -1;  /* the directory is full */
	/* the tail of the last sector: zeros, not the last file's bytes */
	memset(fs_buf + size, 0, need * TOYFS_SECTOR - size);
	if (need && rt_blk_write(disk, start, fs_buf, need) != RT_BLK_OK)
		return -1;
	if (start == super.next_free && need) {
		super.next_free += need;
		e->sectors = need;
	}
	e->start = start;
	e->size = size;
	return write_meta() ? (int)size : -1;
}

bool fs_sync(void)
{
	return disk && rt_blk_flush(disk) == RT_BLK_OK;
}
