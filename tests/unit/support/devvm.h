/*
 * tests/unit/support/devvm.h - a small machine for the device tests.
 *
 * A VM on softcpu whose UART writes into a pipe (dev_pipe[0] reads what
 * the guest would have printed), and port accesses that go through the
 * machine's one port map, devices_io(), as a trapped in or out does;
 * and what a driver does with them: configuration space, MMIO, guest
 * RAM, and a disk image to attach.
 */
#ifndef TESTS_UNIT_SUPPORT_DEVVM_H
#define TESTS_UNIT_SUPPORT_DEVVM_H

#include <stddef.h>
#include <stdint.h>

#include "core/vm.h"

extern struct vm dev_vm;
extern int dev_pipe[2];  /* [0]: the UART's output; [1]: its end */

/* Create dev_vm from opt (NULL: 2 MiB on softcpu).  0, or -1. */
int dev_vm_make(const struct vm_options *opt);
/* cmocka fixtures: dev_vm_make(NULL), and the release of all of it. */
int dev_vm_setup(void **state);
int dev_vm_teardown(void **state);

/* An in or out of size 1, 2 or 4 bytes at port, through devices_io(). */
uint32_t dev_in(uint16_t port, unsigned size);
void dev_out(uint16_t port, unsigned size, uint32_t v);

/* Configuration space of 00:dev.0, through ports 0xcf8 and 0xcfc. */
uint32_t dev_cfg_read(unsigned dev, unsigned reg, unsigned size);
void dev_cfg_write(unsigned dev, unsigned reg, unsigned size, uint32_t v);

/* A read or write of size bytes at gpa, through devices_mmio(). */
uint64_t dev_read(uint64_t gpa, unsigned size);
void dev_write(uint64_t gpa, unsigned size, uint64_t v);

/* The driver's side of guest RAM (a cmocka failure if not RAM). */
void dev_put(uint64_t gpa, const void *p, size_t n);
void dev_get(uint64_t gpa, void *p, size_t n);
void dev_put16(uint64_t gpa, uint16_t v);
uint16_t dev_get16(uint64_t gpa);

/* Descriptor i of a split virtqueue's table at table (virtio 1.2,
 * 2.7.5): the buffer's address and length, its flags, the next one. */
void vq_desc(uint64_t table, unsigned i, uint64_t addr, uint32_t len,
	     uint16_t flags, uint16_t next);

/* The 64 feature bits a virtio card offers, read from its common
 * configuration at common (virtio 1.2, 4.1.4.3): device_feature at
 * device_feature_select 0, then 1. */
uint64_t dev_virtio_features(uint64_t common);

/* A virtio-blk request header at gpa (virtio 1.2, 5.2.6): type, a
 * reserved word, sector; 16 bytes. */
void dev_blk_header(uint64_t gpa, uint32_t type, uint64_t sector);

/*
 * A disk image made from path, a mkstemp template ("...XXXXXX"), of
 * nsectors 512-byte sectors, sector s filled with byte first + s; the
 * caller unlinks it.  0, or -1.
 */
int dev_image(char *path, unsigned nsectors, unsigned first);
/* n bytes of the image file at path from offset into buf, as the disk
 * holds them now (a cmocka failure if they cannot all be read). */
void dev_image_read(const char *path, uint64_t offset, void *buf, size_t n);

#endif /* TESTS_UNIT_SUPPORT_DEVVM_H */
