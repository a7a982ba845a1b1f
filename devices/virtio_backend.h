/*
 * devices/virtio_backend.h - where a virtio device's back end runs
 * (--backend=vcpu|thread|process), for any device on the virtio PCI
 * transport (devices/virtio_pci.h).
 *
 *   vcpu     the notifying write processes the queue in the vCPU's
 *            thread before it returns: QEMU's device model run at the
 *            exit (no placement at all: vp->place is NULL).
 *   thread   the write only hands the queue to an I/O thread, which
 *            processes it while the guest runs on: QEMU's iothread,
 *            vhost's kernel thread.
 *   process  the same, in a separate back-end process that shares only
 *            guest RAM (the memfd mapping) and the device's file with the
 *            monitor: Xen's dom0 blkback, vhost-user.  After set-up it
 *            runs under a seccomp filter allowing read, write, pread64,
 *            pwrite64, fsync and exit; a crash of it ends the VM with
 *            one line and status VM_EXIT_TRIPLE_FAULT.
 *
 * The two sides talk in messages over pipes, as vhost does with its
 * kick and call eventfds: a kick carries the queue and a snapshot of the
 * card's set-up (features, status, rings); an answer carries the ISR
 * bits the back end wants raised, whether the driver broke the device,
 * and counts.  The vCPU's thread takes answers at its poll points
 * (devices_update, every BAR access) and waits for them when the vCPU
 * halts and before a device reset: the interrupt controller and the
 * clock stay the vCPU thread's alone.
 */
#ifndef DEVICES_VIRTIO_BACKEND_H
#define DEVICES_VIRTIO_BACKEND_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "devices/virtio_pci.h"

struct vm;
struct vb_side;

enum virtio_backend_kind {
	VIRTIO_BACKEND_VCPU,    /* the default: no placement */
	VIRTIO_BACKEND_THREAD,
	VIRTIO_BACKEND_PROCESS,
};

struct virtio_backend {
	enum virtio_backend_kind kind;
	struct vm *vm;               /* ended when the back end is gone */
	struct virtio_pci *vp;       /* the card, the vCPU thread's */
	struct virtio_pci *copy;     /* the back end's card */
	struct virtio_placement place; /* what vp->place points to */
	int kick_w, kick_r;          /* vCPU thread -> back end */
	int done_w, done_r;          /* back end -> vCPU thread */
	pid_t pid;                   /* process: the back end */
	struct vb_side *side;        /* thread: its state, freed at stop */
	bool started, gone;
	_Atomic uint64_t *posted;    /* answers written (shared page) */
	uint64_t taken;              /* answers read */
	uint64_t kicks, covered;     /* kicks sent; kicks answered */
	uint64_t wakeups;            /* the back end's returns from sleep */
	uint64_t blocked_waits;      /* the vCPU thread waited for it */
	uint64_t last_check_ns;      /* process: the last look for its end */
	const char *name;            /* "virtio-blk", for messages */
};

/*
 * Start the back end of card vp (already set up) as kind; keep_fd
 * points to the one file the device type reads and writes (process:
 * the back end's copy gets the number it has there).  Call before the
 * monitor's sandbox.  0, or -1 with a one-line reason in why.
 */
int virtio_backend_start(struct virtio_backend *b,
			 enum virtio_backend_kind kind, struct vm *vm,
			 struct virtio_pci *vp, int *keep_fd, const char *name,
			 char *why, size_t len);

/*
 * While kicks are in flight the vCPU thread comes back this often to
 * take the answer (a guest that spins on the used ring makes no exit).
 */
#define VIRTIO_BACKEND_POLL_NS 100000ULL /* 0.1 ms */

/* Are kicks in flight? */
bool virtio_backend_busy(const struct virtio_backend *b);

/* Take the answers that are in, without waiting (devices_update). */
void virtio_backend_poll(struct virtio_backend *b);

/*
 * The vCPU halts: take the answers already posted and wait for every
 * kick in flight to be answered.  True when an answer came in either way
 * (its interrupt may wake the vCPU).
 */
bool virtio_backend_drain(struct virtio_backend *b);

/* Answer every kick, then end the back end. */
void virtio_backend_stop(struct virtio_backend *b);

/* --stats: where it ran and what the placement cost. */
void virtio_backend_print(const struct virtio_backend *b, FILE *f);

/* "vcpu", "thread", "process". */
const char *virtio_backend_kind_name(enum virtio_backend_kind kind);

#endif /* DEVICES_VIRTIO_BACKEND_H */
