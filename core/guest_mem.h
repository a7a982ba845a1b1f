/*
 * core/guest_mem.h - guest RAM: one region, bounds-checked.
 *
 * A guest-physical address is an offset into one block of host memory (a
 * memfd on Linux, so that the native engine can map the same pages into its
 * child).  Every monitor access to guest RAM goes through gm_ptr(), the one
 * place where a guest-physical address becomes a host pointer and where it is
 * checked against the size of RAM.
 */
#ifndef CORE_GUEST_MEM_H
#define CORE_GUEST_MEM_H

#include <stddef.h>
#include <stdint.h>

struct guest_mem {
	uint8_t *base;  /* host address of guest-physical 0 */
	uint64_t size;  /* bytes of RAM, a multiple of 2 MiB */
	int fd;         /* the memfd behind it, or -1 */
};

/* Allocate size bytes of zeroed guest RAM.  Returns 0, or -1 with errno. */
int gm_init(struct guest_mem *gm, uint64_t size);
/* Release guest RAM. */
void gm_fini(struct guest_mem *gm);

/*
 * The host pointer for guest-physical [gpa, gpa + len), or NULL when any
 * byte of it lies outside RAM (the caller decides what the guest deserves).
 */
static inline void *gm_ptr(const struct guest_mem *gm, uint64_t gpa,
			   uint64_t len)
{
	if (gpa >= gm->size || len > gm->size - gpa)
		return NULL;
	return gm->base + gpa;
}

/* Copy between guest-physical memory and the monitor; 0 or -1 if outside. */
int gm_read(const struct guest_mem *gm, uint64_t gpa, void *buf, size_t len);
int gm_write(struct guest_mem *gm, uint64_t gpa, const void *buf, size_t len);

#endif /* CORE_GUEST_MEM_H */
