/*
 * devices/virtio_pci.h - the virtio 1.x PCI transport ("modern") and
 * split virtqueues, for a device type behind it (devices/virtio_blk.c).
 *
 * Section numbers are those of the Virtual I/O Device (VIRTIO) Version
 * 1.2 specification.  A virtio device on PCI (4.1) is a card with vendor
 * 0x1af4, device 0x1040 + its virtio device ID, revision 1 (4.1.2).  Its
 * registers sit in one memory BAR, found through vendor-specific
 * capabilities (4.1.4, struct virtio_pci_cap):
 *
 *   byte 0 cap_vndr (0x09)  1 cap_next  2 cap_len  3 cfg_type
 *        4 bar  5 id  6-7 padding  8 le32 offset  12 le32 length
 *
 * Here BAR 4 (64-bit, prefetchable, 16 KiB, as QEMU lays it out) holds:
 *
 *   0x0000  common configuration (4.1.4.3)    cfg_type 1
 *   0x1000  ISR status, one byte (4.1.4.5)    cfg_type 3
 *   0x2000  device-specific configuration     cfg_type 4
 *   0x3000  notifications (4.1.4.4)           cfg_type 2, with
 *           notify_off_multiplier 4: queue q is notified at 0x3000 + 4q
 *
 * The guest driver (3.1.1) resets the device (status 0), sets
 * ACKNOWLEDGE and DRIVER, reads the features the device offers, writes
 * the ones it takes, sets FEATURES_OK and reads it back (the device
 * clears it when it refuses the set), sets up its virtqueues and sets
 * DRIVER_OK.  A device that finds the driver broke the rules sets
 * DEVICE_NEEDS_RESET (2.1.2) and does nothing more until reset.
 */
#ifndef DEVICES_VIRTIO_PCI_H
#define DEVICES_VIRTIO_PCI_H

#include <stdbool.h>
#include <stdint.h>

#include "core/guest_mem.h"
#include "devices/pci.h"

#define VIRTIO_PCI_VENDOR_ID 0x1af4
#define VIRTIO_PCI_DEVICE_ID_BASE 0x1040 /* + virtio device ID */
#define VIRTIO_PCI_REVISION 1

/* Device status (2.1). */
#define VIRTIO_STATUS_ACKNOWLEDGE 0x01
#define VIRTIO_STATUS_DRIVER 0x02
#define VIRTIO_STATUS_DRIVER_OK 0x04
#define VIRTIO_STATUS_FEATURES_OK 0x08
#define VIRTIO_STATUS_NEEDS_RESET 0x40
#define VIRTIO_STATUS_FAILED 0x80

/* Feature bits (6). */
#define VIRTIO_RING_F_INDIRECT_DESC 28
#define VIRTIO_RING_F_EVENT_IDX 29
#define VIRTIO_F_VERSION_1 32

/* Capability cfg_type values (4.1.4). */
#define VIRTIO_PCI_CAP_COMMON_CFG 1
#define VIRTIO_PCI_CAP_NOTIFY_CFG 2
#define VIRTIO_PCI_CAP_ISR_CFG 3
#define VIRTIO_PCI_CAP_DEVICE_CFG 4
#define VIRTIO_PCI_CAP_PCI_CFG 5
#define VIRTIO_PCI_CAP_LEN 16        /* struct virtio_pci_cap */
#define VIRTIO_PCI_NOTIFY_CAP_LEN 20 /* + le32 notify_off_multiplier */
#define VIRTIO_PCI_CFG_CAP_LEN 20    /* + u8 pci_cfg_data[4] */

/* struct virtio_pci_common_cfg (4.1.4.3): byte offsets. */
#define VIRTIO_PCI_COMMON_DFSELECT 0x00  /* le32 device_feature_select */
#define VIRTIO_PCI_COMMON_DF 0x04        /* le32 device_feature (ro) */
#define VIRTIO_PCI_COMMON_GFSELECT 0x08  /* le32 driver_feature_select */
#define VIRTIO_PCI_COMMON_GF 0x0c        /* le32 driver_feature */
#define VIRTIO_PCI_COMMON_MSIX 0x10      /* le16 config_msix_vector */
#define VIRTIO_PCI_COMMON_NUMQ 0x12      /* le16 num_queues (ro) */
#define VIRTIO_PCI_COMMON_STATUS 0x14    /* u8 device_status */
#define VIRTIO_PCI_COMMON_CFGGEN 0x15    /* u8 config_generation (ro) */
#define VIRTIO_PCI_COMMON_Q_SELECT 0x16  /* le16 queue_select */
#define VIRTIO_PCI_COMMON_Q_SIZE 0x18    /* le16 queue_size */
#define VIRTIO_PCI_COMMON_Q_MSIX 0x1a    /* le16 queue_msix_vector */
#define VIRTIO_PCI_COMMON_Q_ENABLE 0x1c  /* le16 queue_enable */
#define VIRTIO_PCI_COMMON_Q_NOFF 0x1e    /* le16 queue_notify_off (ro) */
#define VIRTIO_PCI_COMMON_Q_DESC 0x20    /* le64 queue_desc */
#define VIRTIO_PCI_COMMON_Q_AVAIL 0x28   /* le64 queue_driver */
#define VIRTIO_PCI_COMMON_Q_USED 0x30    /* le64 queue_device */
#define VIRTIO_PCI_COMMON_SIZE 0x38
#define VIRTIO_MSI_NO_VECTOR 0xffff

/* ISR status bits (4.1.4.5). */
#define VIRTIO_ISR_QUEUE 0x01
#define VIRTIO_ISR_CONFIG 0x02

/* Where the structures sit in BAR 4 (QEMU's layout). */
#define VIRTIO_PCI_BAR 4
#define VIRTIO_PCI_BAR_SIZE 0x4000
#define VIRTIO_PCI_COMMON_OFF 0x0000
#define VIRTIO_PCI_ISR_OFF 0x1000
#define VIRTIO_PCI_DEVICE_OFF 0x2000
#define VIRTIO_PCI_NOTIFY_OFF 0x3000
#define VIRTIO_PCI_REGION_SIZE 0x1000
#define VIRTIO_PCI_NOTIFY_MULT 4

/* Split virtqueues (2.7).  struct virtq_desc: le64 addr, le32 len,
 * le16 flags, le16 next; the available ring: le16 flags, le16 idx,
 * le16 ring[size], le16 used_event; the used ring: le16 flags, le16 idx,
 * {le32 id, le32 len} ring[size], le16 avail_event. */
#define VIRTQ_DESC_F_NEXT 1
#define VIRTQ_DESC_F_WRITE 2
#define VIRTQ_DESC_F_INDIRECT 4
#define VIRTQ_DESC_SIZE 16
#define VIRTQ_AVAIL_F_NO_INTERRUPT 1
#define VIRTQ_USED_ELEM_SIZE 8
#define VIRTQ_MAX_SIZE 256   /* the largest queue this device offers */
#define VIRTIO_MAX_QUEUES 2

struct virtq {
	uint16_t size;        /* queue_size: max offered, or the driver's */
	bool enabled;         /* queue_enable */
	uint64_t desc, avail, used; /* guest-physical ring addresses */
	uint16_t last_avail;  /* the next available entry to take */
	uint16_t used_idx;    /* the device's used->idx */
	uint32_t gen;         /* bumped at each enable and reset: a back
				 end elsewhere takes the ring anew */
};

/* One buffer of a descriptor chain, checked to be in guest RAM. */
struct virtq_seg {
	uint64_t addr;
	uint32_t len;
};

/*
 * A request as the device type sees it: the chain's device-readable
 * buffers, then its device-writable ones (2.7.4.2 puts every readable
 * one first), each list as one byte stream.
 */
struct virtq_chain {
	struct virtq_seg seg[VIRTQ_MAX_SIZE];
	unsigned nread, nwrite;        /* seg[0..nread), then nwrite more */
	uint64_t read_len, write_len;  /* bytes in each stream */
};

struct virtio_pci;
struct vm;

/*
 * Where a queue's requests are processed (devices/virtio_backend.h).
 * Without one (NULL) the notifying write processes them in the vCPU's
 * thread.  With one, the notification only hands the queue over (kick);
 * the back end answers later, and the vCPU's thread takes its answers
 * (poll) and waits for all of them before a reset changes the rings
 * under it (quiesce), as QEMU drains a device's I/O before a reset.
 */
struct virtio_placement {
	void *opaque;
	void (*kick)(void *opaque, struct virtio_pci *vp, unsigned q);
	void (*poll)(void *opaque);
	void (*quiesce)(void *opaque);
};

/* The device type behind the transport. */
struct virtio_device_ops {
	uint16_t device_id;       /* virtio device ID (5) */
	uint32_t class_code;      /* the card's PCI class */
	unsigned nqueues;
	/* Queues whose buffers wait for the device, not for a notification
	 * (a console's receiveq until input comes): a notification of one
	 * takes nothing off its ring. */
	uint32_t idle_queues;
	uint64_t features;        /* device-type feature bits offered */
	unsigned config_len;      /* bytes of device-specific configuration */
	/* Byte off of the device-specific configuration. */
	uint8_t (*config_read)(void *opaque, unsigned off);
	/* Handle one request of queue q; returns the bytes written to its
	 * writable buffers (the used element's len), or -1 when the chain
	 * cannot be a request at all (the device then needs a reset). */
	int64_t (*request)(void *opaque, struct virtio_pci *vp, unsigned q,
			   const struct virtq_chain *c);
	/* An idle queue was notified: the driver made buffers available
	 * that the device fills when it has data (virtio_pci_pop); NULL:
	 * nothing to do. */
	void (*refill)(void *opaque, struct virtio_pci *vp, unsigned q);
};

struct virtio_pci {
	struct pci_device pci;
	struct guest_mem *mem;    /* guest RAM the rings live in */
	const struct virtio_device_ops *ops;
	void *opaque;             /* the device type's state */
	uint64_t device_features; /* offered: ops->features + ring, VERSION_1 */
	uint64_t driver_features; /* what the driver wrote */
	uint32_t dfselect, gfselect;
	uint8_t status;
	uint8_t isr;
	uint16_t queue_select;
	struct virtq vq[VIRTIO_MAX_QUEUES];
	unsigned cfg_cap;         /* offset of the VIRTIO_PCI_CAP_PCI_CFG one */
	struct virtq_chain chain; /* the request being handled */
	/* --stats: what the paravirtual design costs.  Each notification
	 * is one write to the BAR (an exit), however many requests it
	 * hands over; bar_accesses counts every access, set-up included;
	 * bytes, the data the device type moved for its requests (it
	 * counts them: a disk its sectors). */
	uint64_t notifications, requests, bar_accesses, interrupts, bytes;
	const struct virtio_placement *place; /* NULL: the vCPU's thread */
	bool remote;              /* this copy is a back end's: its
				     interrupts go back in its answer */
	uint32_t gens;            /* the last virtq gen handed out */
	struct vm *vm;            /* the VM a lab hole stops, or NULL
				     (virtio_pci_lab_todo) */
};

/*
 * A card for device type ops at 00:dev.0, rings in mem.  Put it on the
 * bus with pci_device_register(h, &vp->pci).
 */
void virtio_pci_init(struct virtio_pci *vp, uint8_t dev,
		     const struct virtio_device_ops *ops, void *opaque,
		     struct guest_mem *mem);

/*
 * Process every request the driver made available on queue q (2.7.13):
 * the back end's work, wherever it runs.  On a remote copy the interrupt
 * it wants is left in vp->isr instead of raised on the bus.
 */
void virtio_pci_process(struct virtio_pci *vp, unsigned q);

/* The driver broke a rule (2.1.2): DEVICE_NEEDS_RESET, and tell it. */
void virtio_pci_needs_reset(struct virtio_pci *vp);

/* A back end's answer: raise the ISR bits isr (VIRTIO_ISR_QUEUE). */
void virtio_pci_raise(struct virtio_pci *vp, uint8_t isr);

/* A hole of lab 8 (labs/08-virtio-backend/) is not written: say so. */
void virtio_pci_lab_todo(struct virtio_pci *vp, const char *what);

/* Has the driver negotiated feature bit? */
bool virtio_has_feature(const struct virtio_pci *vp, unsigned bit);

/*
 * The request's streams: copy len bytes at offset off of the readable
 * stream into buf, or buf into the writable stream.  0, or -1 when the
 * stream is shorter.
 */
int virtq_chain_read(struct virtio_pci *vp, const struct virtq_chain *c,
		     uint64_t off, void *buf, uint64_t len);
int virtq_chain_write(struct virtio_pci *vp, const struct virtq_chain *c,
		      uint64_t off, const void *buf, uint64_t len);

/*
 * An idle queue (virtio_device_ops.idle_queues), which the device fills
 * when it has data rather than when notified: a console's receiveq.  In
 * the vCPU's thread only.  virtio_pci_pop takes the next chain the
 * driver made available into vp->chain: 1, 0 when there is none (or the
 * device is not running), -1 when the chain broke the device.
 * virtio_pci_push puts it on the used ring with len bytes written
 * (false: the device broke).  virtio_pci_filled ends a batch: it tells
 * the driver with avail_event to notify at its next buffer, and raises
 * the interrupt the driver wants for the entries used since used index
 * old (2.7.10).
 */
int virtio_pci_pop(struct virtio_pci *vp, unsigned q, uint16_t *head);
bool virtio_pci_push(struct virtio_pci *vp, unsigned q, uint16_t head,
		     uint32_t len);
void virtio_pci_filled(struct virtio_pci *vp, unsigned q, uint16_t old);

#endif /* DEVICES_VIRTIO_PCI_H */
