/*
 * guests/runtime/pci.h - PCI enumeration for a guest kernel: bus 0
 * through configuration mechanism #1 (ports 0xcf8 and 0xcfc), as the
 * firmware left it (BARs placed, memory decoding on, interrupt lines
 * written).  The register names are devices/pci.h's.
 */
#ifndef GUESTS_RUNTIME_PCI_H
#define GUESTS_RUNTIME_PCI_H

#include <stdbool.h>
#include <stdint.h>

#include "devices/pci.h"

/* One function on bus 0. */
struct rt_pci_dev {
	uint8_t bus, dev, fn;
	uint16_t vendor, device;
	bool started, multi; /* rt_pci_next's cursor */
};

/* A configuration register of size 1, 2 or 4 (naturally aligned). */
uint32_t rt_pci_read(const struct rt_pci_dev *d, unsigned reg, unsigned size);
void rt_pci_write(const struct rt_pci_dev *d, unsigned reg, unsigned size,
		  uint32_t val);

/*
 * Walk bus 0: rt_pci_start, then rt_pci_next fills *d with each present
 * function in bus order; false when there is no more.  A device whose
 * function 0 is not multi-function is looked at only there.
 */
void rt_pci_start(struct rt_pci_dev *d);
bool rt_pci_next(struct rt_pci_dev *d);

/* The first function with this vendor and one of the n device IDs. */
bool rt_pci_find(uint16_t vendor, const uint16_t *devices, unsigned n,
		 struct rt_pci_dev *out);

/*
 * Memory BAR bar: its address (both halves of a 64-bit one), its size
 * (found by writing all ones and reading back, memory decoding off
 * meanwhile) and whether it is 64-bit and prefetchable.  0 for an I/O
 * BAR or none.
 */
uint64_t rt_pci_bar(const struct rt_pci_dev *d, unsigned bar, uint64_t *size,
		    bool *is64, bool *prefetch);

#endif /* GUESTS_RUNTIME_PCI_H */
