/*
 * devices/iothread.h - how a device's host thread ends, with no futex.
 *
 * Two devices run a host thread beside the vCPU's: virtio_backend.c's
 * I/O thread and ptblk.c's polling thread.  Both are detached, and the
 * vCPU thread ends them at exit, when the monitor's sandbox is on.  It
 * cannot join them: pthread_join's wait is a futex call, which the
 * sandbox refuses, and so is a contended malloc lock, which is why the
 * thread cannot free its own memory either.  So the two ends meet over
 * a pipe instead:
 *
 *   the thread       says `finished`, then closes its end of the pipe,
 *                    and touches nothing shared after that
 *                    (iothread_finish);
 *   the vCPU thread  asks it to stop (the device's own way: a flag and
 *                    a poke, or the end of its kick pipe), reads the
 *                    pipe to its end, a plain read the sandbox allows,
 *                    and waits for `finished` (iothread_wait); then
 *                    what the thread used is free to go.
 */
#ifndef DEVICES_IOTHREAD_H
#define DEVICES_IOTHREAD_H

#include <stdatomic.h>

/* The thread's last act: finished, then end_w closed. */
void iothread_finish(atomic_bool *finished, int end_w);

/*
 * The vCPU thread, once it asked the thread to stop: read end_r until
 * the thread's close ends it (discarding anything still in it), then
 * wait for finished.  Afterwards the thread touches nothing shared.
 */
void iothread_wait(int end_r, atomic_bool *finished);

#endif /* DEVICES_IOTHREAD_H */
