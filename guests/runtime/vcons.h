/*
 * guests/runtime/vcons.h - a virtio console driver (VIRTIO 1.2, 5.3) on
 * the PCI transport of virtio.h: port 0's output and input.
 *
 * The driver takes VIRTIO_F_VERSION_1 only (no MULTIPORT: queues 0 and
 * 1 are port 0's, the port is open at DRIVER_OK), sets up receiveq and
 * transmitq, and sends output as buffers on transmitq: any number
 * queued (rt_vcons_queue), then one notification for all of them
 * (rt_vcons_kick), then the driver polls the used ring until the device
 * has taken them (rt_vcons_sync).  Where COM1 (serial.c) costs an OUT
 * per byte and an IN per LSR poll, this costs one write per batch.
 *
 * Input (5.3.6.1): the driver lends the device receive buffers on
 * receiveq (rt_vcons_listen); the device writes what is typed into them
 * and puts each on the used ring with the count written.  rt_vcons_read
 * takes the bytes of used buffers in order and lends each buffer again
 * once it is read, with one notification per call.  How the input is
 * cut into buffers is the host's affair (QEMU's stdio mux hands its
 * virtconsole a byte at a time, trapvisor what it read), so a reader
 * must not depend on it.
 */
#ifndef GUESTS_RUNTIME_VCONS_H
#define GUESTS_RUNTIME_VCONS_H

#include "devices/virtio_console.h"
#include "virtio.h"

/* The PCI ID of a modern virtio console card (4.1.2). */
#define RT_VCONS_DEVICE_MODERN (VIRTIO_PCI_DEVICE_ID_BASE + VIRTIO_ID_CONSOLE)

#define RT_VCONS_RX_BUFS 32  /* receive buffers lent */
#define RT_VCONS_RX_LEN 64    /* bytes each, at most */

struct rt_vcons {
	struct rt_virtio v;
	struct rt_virtq rx, tx;            /* receiveq, transmitq */
	struct rt_virtq_rings rx_rings, tx_rings;
	unsigned queued;                   /* buffers not yet used */
	/* Input: the buffers, which one each chain head is, and the used
	 * one being read (rx_cur -1: none), its length and read offset. */
	uint8_t rx_buf[RT_VCONS_RX_BUFS][RT_VCONS_RX_LEN];
	int8_t rx_of[RT_VIRTQ_SIZE];
	int rx_cur;
	uint32_t rx_len, rx_off;
	uint32_t rx_size;                  /* each buffer lent has this many */
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

/*
 * Lend every receive buffer, of size bytes each (1 to RT_VCONS_RX_LEN),
 * and notify once: 0, or -1 (queue full, or a size out of range).
 *
 * A size of 1 is what QEMU's stdio mux can feed without losing input:
 * it hands its virtconsole a byte at a time, so each byte takes a whole
 * buffer, yet it reads as many bytes from the host as the buffers have
 * room for (virtio_serial_guest_ready) and keeps what the buffers cannot
 * take in a 32-byte ring that then overflows, overwriting input.  With
 * buffers of one byte, room and buffers agree.
 */
int rt_vcons_listen(struct rt_vcons *vc, uint32_t size);

/*
 * Up to len bytes of input received so far, in order: how many (0: none
 * yet).  Buffers read to the end are lent again (one notification).
 */
uint32_t rt_vcons_read(struct rt_vcons *vc, void *buf, uint32_t len);

#endif /* GUESTS_RUNTIME_VCONS_H */
