/*
 * core/guest_mem.c - guest RAM as one memfd-backed block.
 *
 * A memfd rather than anonymous memory so that the native engine can map
 * the very same pages into another process: a guest-physical address is
 * the file offset gm_offset() gives (core/guest_mem.h).  A memfd is
 * created without a commitment of memory (shmem's VM_NORESERVE), and
 * neither ftruncate nor mmap populates it: a guest of 5 GiB costs the
 * host only the pages it touches.
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "core/guest_mem.h"

int gm_init(struct guest_mem *gm, uint64_t size)
{
	gm->base = NULL;
	gm->size = 0;
	gm->low = 0;
	gm->fd = memfd_create("trapvisor-ram", MFD_CLOEXEC);
	if (gm->fd < 0)
		return -1;
	if (ftruncate(gm->fd, (off_t)size) < 0)
		goto fail;
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED,
		       gm->fd, 0);
	if (p == MAP_FAILED)
		goto fail;
	gm->base = p;
	gm->size = size;
	gm->low = gm_low_size(size);
	return 0;
fail:;
	int saved = errno;
	close(gm->fd);
	gm->fd = -1;
	errno = saved;
	return -1;
}

void gm_fini(struct guest_mem *gm)
{
	if (gm->base)
		munmap(gm->base, gm->size);
	if (gm->fd >= 0)
		close(gm->fd);
	gm->base = NULL;
	gm->size = 0;
	gm->low = 0;
	gm->fd = -1;
}

int gm_read(const struct guest_mem *gm, uint64_t gpa, void *buf, size_t len)
{
	const void *p = gm_ptr(gm, gpa, len);
	if (!p)
		return -1;
	memcpy(buf, p, len);
	return 0;
}

int gm_write(struct guest_mem *gm, uint64_t gpa, const void *buf, size_t len)
{
	void *p = gm_ptr(gm, gpa, len);
	if (!p)
		return -1;
	memcpy(p, buf, len);
	return 0;
}
