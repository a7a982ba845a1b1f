/*
 * guests/runtime/virtio.h - the driver side of the virtio 1.x PCI
 * transport ("modern") and of split virtqueues, for a guest kernel.
 *
 * Section numbers are those of the VIRTIO 1.2 specification; the
 * register and bit names are devices/virtio_pci.h's, the device's side
 * of the same contract.  The driver finds the structures through the
 * card's vendor capabilities (4.1.4), in the memory BAR they name, which
 * the firmware placed and the identity map reaches; it negotiates
 * (3.1.1), sets up split virtqueues in its own memory (2.7), makes
 * buffers available, notifies with one write, and takes used buffers
 * back by polling the used ring or on the card's INTx#.
 */
#ifndef GUESTS_RUNTIME_VIRTIO_H
#define GUESTS_RUNTIME_VIRTIO_H

#include <stdbool.h>
#include <stdint.h>

#include "devices/virtio_pci.h"
#include "pci.h"

/* One capability as found (4.1.4). */
struct rt_virtio_cap {
	uint8_t at;        /* its offset in configuration space */
	uint8_t type, bar; /* cfg_type, and the BAR it points into */
	uint32_t offset, length;
};
#define RT_VIRTIO_MAX_CAPS 8

struct rt_virtio {
	struct rt_pci_dev pci;
	struct rt_virtio_cap cap[RT_VIRTIO_MAX_CAPS]; /* in list order */
	unsigned ncap;
	volatile uint8_t *common, *isr, *device, *notify; /* in the BAR */
	uint32_t notify_mult;     /* notify_off_multiplier */
	uint64_t features;        /* what the device offers */
};

/*
 * Walk the card's capabilities, and map the common, ISR, device and
 * notify structures; turn on memory decoding and bus mastering (the
 * card reads and writes the rings).  0, or -1 when one of them is
 * missing or its BAR is not a placed memory BAR.
 */
int rt_virtio_init(struct rt_virtio *v, const struct rt_pci_dev *pci);

/* device_status: read, write (0 resets the device, 2.4). */
uint8_t rt_virtio_status(struct rt_virtio *v);
void rt_virtio_set_status(struct rt_virtio *v, uint8_t status);

/*
 * The handshake of 3.1.1 up to FEATURES_OK: reset, ACKNOWLEDGE, DRIVER,
 * read the offered features into v->features, write want & offered, set
 * FEATURES_OK; returns the status read back (FEATURES_OK clear: refused).
 */
uint8_t rt_virtio_negotiate(struct rt_virtio *v, uint64_t want);

/* A byte, and a little-endian 64-bit value, of the device configuration. */
uint8_t rt_virtio_config8(struct rt_virtio *v, unsigned off);
uint64_t rt_virtio_config64(struct rt_virtio *v, unsigned off);

/* Read the ISR (4.1.4.5): this acknowledges the interrupt. */
uint8_t rt_virtio_isr(struct rt_virtio *v);

/* ------------------------------------------------------------ virtqueues */

#define RT_VIRTQ_SIZE 64 /* entries: the driver may pick less than offered */

/* struct virtq_desc (2.7.5). */
struct rt_virtq_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags, next;
};

/* The rings of one queue, laid out as 2.7 asks (each part aligned). */
struct rt_virtq_rings {
	struct rt_virtq_desc desc[RT_VIRTQ_SIZE];          /* 16-byte aligned */
	struct {
		uint16_t flags, idx, ring[RT_VIRTQ_SIZE], used_event;
	} avail __attribute__((aligned(2)));
	struct {
		uint16_t flags, idx;
		struct { uint32_t id, len; } ring[RT_VIRTQ_SIZE];
		uint16_t avail_event;
	} used __attribute__((aligned(4)));
} __attribute__((aligned(16)));

struct rt_virtq {
	struct rt_virtio *v;
	unsigned index;
	uint16_t size;
	struct rt_virtq_rings *r;
	uint16_t free_head, nfree; /* the free descriptors, chained */
	uint16_t last_used;        /* the next used entry to take */
	volatile uint16_t *notify; /* where a notification goes */
};

/*
 * Set up queue index with the rings r (size RT_VIRTQ_SIZE, or less if
 * the device offers less) and enable it.  0, or -1 when the device has
 * no such queue.
 */
int rt_virtq_setup(struct rt_virtio *v, unsigned index, struct rt_virtq *q,
		   struct rt_virtq_rings *r);

/* One buffer of a request. */
struct rt_virtq_buf {
	void *addr;
	uint32_t len;
	bool device_writes; /* VIRTQ_DESC_F_WRITE */
};

/*
 * Chain the n buffers (device-readable ones first) and make the chain
 * available, without notifying.  indirect: the chain is one descriptor
 * pointing to table (n entries, the caller's until the chain is used;
 * VIRTIO_F_INDIRECT_DESC negotiated).  Returns the head, or -1 when the
 * queue has not the descriptors free.
 */
int rt_virtq_add(struct rt_virtq *q, const struct rt_virtq_buf *b,
		 unsigned n, struct rt_virtq_desc *table);

/* Notify the device of queue q: the one write (and exit) per batch. */
void rt_virtq_kick(struct rt_virtq *q);

/* VIRTQ_AVAIL_F_NO_INTERRUPT: the driver polls, no interrupt wanted. */
void rt_virtq_interrupts(struct rt_virtq *q, bool on);

/*
 * Take one used entry: its head in *head and the bytes written in *len;
 * its descriptors are free again.  false when there is none yet.
 */
bool rt_virtq_used(struct rt_virtq *q, uint16_t *head, uint32_t *len);

#endif /* GUESTS_RUNTIME_VIRTIO_H */
