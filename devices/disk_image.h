/*
 * devices/disk_image.h - the raw image file behind a disk.
 *
 * Three disks take a raw image (--disk=FILE, if=ide, virtio or
 * passthru: ide.c, virtio_blk.c, ptblk.c) and open it the same way; the
 * one rule that differs, what sizes a disk accepts, each checks itself.
 */
#ifndef DEVICES_DISK_IMAGE_H
#define DEVICES_DISK_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Open path for reading, and writing unless read_only.  It must be a
 * regular file: looked at before the open (opening a FIFO would block
 * for ever, a directory would fail with a less clear reason) and again
 * after it (the name may have changed in between).  Returns the
 * descriptor with the file's size in *bytes, or -1 with "disk PATH:
 * why" in why.
 */
int disk_image_open(const char *path, bool read_only, uint64_t *bytes,
		    char *why, size_t len);

#endif /* DEVICES_DISK_IMAGE_H */
