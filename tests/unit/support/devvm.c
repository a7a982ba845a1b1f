/*
 * tests/unit/support/devvm.c - a small machine for the device tests
 * (devvm.h).  Linked into every unit test; only the device tests use it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <fcntl.h>

#include "devices/devices.h"
#include "devices/virtio_pci.h"
#include "monitor/machine.h"
#include "tests/unit/support/devvm.h"

struct vm dev_vm;
int dev_pipe[2];

int dev_vm_make(const struct vm_options *opt)
{
	static const struct vm_options small = { .mem_mib = 2,
						 .engine = "softcpu" };
	char why[200];

	if (pipe(dev_pipe) < 0)
		return -1;
	return vm_create(&dev_vm, opt ? opt : &small, dev_pipe[1], why,
			 sizeof(why));
}

int dev_vm_setup(void **state)
{
	(void)state;
	return dev_vm_make(NULL);
}

int dev_vm_teardown(void **state)
{
	(void)state;
	vm_destroy(&dev_vm);
	close(dev_pipe[0]);
	close(dev_pipe[1]);
	return 0;
}

uint32_t dev_in(uint16_t port, unsigned size)
{
	uint32_t v = 0;

	devices_io(&dev_vm, port, size, true, &v);
	return v;
}

void dev_out(uint16_t port, unsigned size, uint32_t v)
{
	devices_io(&dev_vm, port, size, false, &v);
}

/* Configuration mechanism #1: the dword of reg chosen at 0xcf8, the
 * data port of reg's byte in it returned (0xcfc to 0xcff). */
static uint16_t dev_cfg_select(unsigned dev, unsigned reg)
{
	dev_out(PCI_CONFIG_ADDRESS, 4, PCI_ADDR(0, dev, 0, reg));
	return (uint16_t)(PCI_CONFIG_DATA + (reg & 3));
}

uint32_t dev_cfg_read(unsigned dev, unsigned reg, unsigned size)
{
	return dev_in(dev_cfg_select(dev, reg), size);
}

void dev_cfg_write(unsigned dev, unsigned reg, unsigned size, uint32_t v)
{
	dev_out(dev_cfg_select(dev, reg), size, v);
}

uint64_t dev_read(uint64_t gpa, unsigned size)
{
	uint64_t v = 0;

	devices_mmio(&dev_vm, gpa, size, false, &v);
	return v;
}

void dev_write(uint64_t gpa, unsigned size, uint64_t v)
{
	devices_mmio(&dev_vm, gpa, size, true, &v);
}

void dev_put(uint64_t gpa, const void *p, size_t n)
{
	assert_int_equal(gm_write(&dev_vm.mem, gpa, p, n), 0);
}

void dev_get(uint64_t gpa, void *p, size_t n)
{
	assert_int_equal(gm_read(&dev_vm.mem, gpa, p, n), 0);
}

void dev_put16(uint64_t gpa, uint16_t v)
{
	dev_put(gpa, &v, 2);
}

uint16_t dev_get16(uint64_t gpa)
{
	uint16_t v;

	dev_get(gpa, &v, 2);
	return v;
}

void vq_desc(uint64_t table, unsigned i, uint64_t addr, uint32_t len,
	     uint16_t flags, uint16_t next)
{
	uint8_t d[VIRTQ_DESC_SIZE];

	memcpy(d, &addr, 8);
	memcpy(d + 8, &len, 4);
	memcpy(d + 12, &flags, 2);
	memcpy(d + 14, &next, 2);
	dev_put(table + (uint64_t)VIRTQ_DESC_SIZE * i, d, sizeof(d));
}

uint64_t dev_virtio_features(uint64_t common)
{
	uint64_t f;

	dev_write(common + VIRTIO_PCI_COMMON_DFSELECT, 4, 0);
	f = dev_read(common + VIRTIO_PCI_COMMON_DF, 4);
	dev_write(common + VIRTIO_PCI_COMMON_DFSELECT, 4, 1);
	return f | dev_read(common + VIRTIO_PCI_COMMON_DF, 4) << 32;
}

void dev_blk_header(uint64_t gpa, uint32_t type, uint64_t sector)
{
	uint8_t h[16] = { 0 };

	memcpy(h, &type, 4);
	memcpy(h + 8, &sector, 8);
	dev_put(gpa, h, sizeof(h));
}

int dev_image(char *path, unsigned nsectors, unsigned first)
{
	uint8_t sec[512];
	int fd = mkstemp(path);

	if (fd < 0)
		return -1;
	for (unsigned s = 0; s < nsectors; s++) {
		memset(sec, (int)(first + s), sizeof(sec));
		if (write(fd, sec, sizeof(sec)) != (ssize_t)sizeof(sec)) {
			close(fd);
			return -1;
		}
	}
	return close(fd);
}

void dev_image_read(const char *path, uint64_t offset, void *buf, size_t n)
{
	int fd = open(path, O_RDONLY);

	assert_true(fd >= 0);
	assert_int_equal(pread(fd, buf, n, (off_t)offset), (ssize_t)n);
	close(fd);
}
