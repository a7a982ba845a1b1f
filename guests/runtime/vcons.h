/*
 * guests/runtime/vcons.h - a virtio console driver (VIRTIO 1.2, 5.3) on
 * the PCI transport of virtio.h: port 0's output.
 *
 * The driver takes VIRTIO_F_VERSION_1 only (no MULTIPORT: queues 0 and
 * 1 are port 0's, the port is open at DRIVER_OK), sets up receiveq and
 * transmitq, and sends output as buffers on transmitq: any number
 * queued (rt_vcons_queue), then one notification for all of them
 * (rt_vcons_kick), then the driver polls the used ring until the device
 * has taken them (rt_vcons_sync).  Where COM1 (serial.c) costs an OUT
 * per byte and an IN per LSR poll, this costs one write per batch.
 */
#ifndef GUESTS_RUNTIME_VCONS_H
#define GUESTS_RUNTIME_VCONS_H

#include "devices/virtio_console.h"
#include "virtio.h"

/* The PCI ID of a modern virtio console card (4.1.2). */
#define RT_VCONS_DEVICE_MODERN (VIRTIO_PCI_DEVICE_ID_BASE + VIRTIO_ID_CONSOLE)

struct rt_vcons {
	struct rt_virtio v;
	struct rt_virtq rx, tx;            /* receiveq, transmitq */
	struct rt_virtq_rings rx_rings, tx_rings;
	unsigned queued;                   /* buffers not yet used */
};

/*
 * Bring the card at pci up (3.1.1): VERSION_1 only, both queues,
 * DRIVER_OK.  0, or -1 (the status then says FAILED).
 */
int rt_vcons_open(struct rt_vcons *vc, const struct rt_pci_dev *pci);

/*
 * Queue one buffer of len bytes (the caller's until rt_vcons_sync) and,
 * if more than zero of writable bytes are given too, a device-writable
 * buffer after it in the same chain (the device leaves it alone).  0, or
 * -1 when the queue is full.
 */
int rt_vcons_queue(struct rt_vcons *vc, const void *buf, uint32_t len,
		   void *wbuf, uint32_t wlen);

/* One notification for everything queued since the last. */
void rt_vcons_kick(struct rt_vcons *vc);

/* Wait until the device has used every queued buffer: 0, or -1 when it
 * set DEVICE_NEEDS_RESET instead (nothing more will be used). */
int rt_vcons_sync(struct rt_vcons *vc);

/* Queue, kick and sync one buffer: 0 or -1. */
int rt_vcons_write(struct rt_vcons *vc, const void *buf, uint32_t len);

#endif /* GUESTS_RUNTIME_VCONS_H */
