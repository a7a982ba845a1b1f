/*
 * devices/seccomp.h - a wall of allowed system calls (a seccomp filter).
 *
 * Three parts of trapvisor wall themselves in with the same kind of
 * filter: the monitor after set-up (monitor/sandbox.c), a virtio
 * back-end process (devices/virtio_backend.c) and the passthru disk's
 * polling thread (devices/ptblk.c).  Each allows a list of system calls
 * and nothing else; they differ only in the list and in what a refused
 * call gets.  The filter is built here, once.
 *
 * Why here, in devices/: core/ is the machine's model (the vCPU, the VM,
 * guest RAM, virtual time) and depends on nothing, while a seccomp
 * filter is a Linux host's way to protect the host; devices/ is the
 * lowest layer that needs one, and monitor/, above it, may include it
 * (devices/ may never include monitor/).
 */
#ifndef DEVICES_SECCOMP_H
#define DEVICES_SECCOMP_H

#include <stdint.h>

/* The most calls one list may hold: a BPF jump's offset is 8 bits. */
#define SECCOMP_ALLOW_MAX 255

/*
 * Install, on the calling thread only (no TSYNC) and for good, a filter
 * that allows the n system calls of calls[] and answers any other with
 * refuse (SECCOMP_RET_TRAP, SECCOMP_RET_KILL_PROCESS, SECCOMP_RET_LOG);
 * a call of another ABI (i386, x32) kills the process outright.  Sets
 * no_new_privs first, which the filter needs.  Returns 0, or -1 with
 * errno (EINVAL too when n is over SECCOMP_ALLOW_MAX).
 */
int seccomp_allow_only(const int *calls, unsigned n, uint32_t refuse);

#endif /* DEVICES_SECCOMP_H */
