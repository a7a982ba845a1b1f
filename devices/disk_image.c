/*
 * devices/disk_image.c - the raw image file behind a disk
 * (devices/disk_image.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "devices/disk_image.h"

int disk_image_open(const char *path, bool read_only, uint64_t *bytes,
		    char *why, size_t len)
{
	struct stat st;
	int fd;

	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
		snprintf(why, len, "disk %s: not a regular file", path);
		return -1;
	}
	fd = open(path, (read_only ? O_RDONLY : O_RDWR) | O_CLOEXEC);
	if (fd < 0) {
		snprintf(why, len, "disk %s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		snprintf(why, len, "disk %s: not a regular file", path);
		close(fd);
		return -1;
	}
	*bytes = (uint64_t)st.st_size;
	return fd;
}
