/*
 * devices/iothread.c - how a device's host thread ends, with no futex
 * (devices/iothread.h).
 */
#include <errno.h>
#include <stdbool.h>
#include <unistd.h>

#include "devices/iothread.h"

void iothread_finish(atomic_bool *finished, int end_w)
{
	atomic_store_explicit(finished, true, memory_order_release);
	close(end_w);
}

void iothread_wait(int end_r, atomic_bool *finished)
{
	char junk[64];
	ssize_t n;

	do /* whatever the thread still wrote, then the end of the pipe */
		n = read(end_r, junk, sizeof(junk));
	while (n > 0 || (n < 0 && errno == EINTR));
	/* set before the close that ended the read: no wait, but the
	 * order the caller's free needs, said in a way a race detector
	 * sees too */
	while (!atomic_load_explicit(finished, memory_order_acquire))
		;
}
