/*
 * devices/seccomp.c - a wall of allowed system calls (devices/seccomp.h).
 *
 * The filter is classic BPF over struct seccomp_data, run by the kernel
 * at every system call of the thread:
 *
 *   the architecture   anything but x86-64 (an int 0x80 call is i386's)
 *                      kills the process: its numbers are another table
 *   the number         an x32 call (the __X32_SYSCALL_BIT) kills too
 *   the list           one comparison per allowed call, each jumping
 *                      forward to ALLOW on a match; falling through
 *                      every one is the caller's refuse action
 *
 * The arguments are not looked at: every wall built here is a list of
 * calls (the native engine's child, whose filter checks the instruction
 * pointer and mmap's arguments, builds its own in engines/native).
 */
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "devices/seccomp.h"

/* x32 system calls are x86-64 numbers with this bit (asm/unistd.h). */
#ifndef __X32_SYSCALL_BIT
#define __X32_SYSCALL_BIT 0x40000000
#endif

#define LD(field) BPF_STMT(BPF_LD | BPF_W | BPF_ABS, \
			   offsetof(struct seccomp_data, field))
#define RET(action) BPF_STMT(BPF_RET | BPF_K, (action))

int seccomp_allow_only(const int *calls, unsigned n, uint32_t refuse)
{
	struct sock_filter f[SECCOMP_ALLOW_MAX + 8];
	unsigned k = 0;

	if (n > SECCOMP_ALLOW_MAX) {
		errno = EINVAL;
		return -1;
	}
	f[k++] = (struct sock_filter)LD(arch);
	f[k++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
					      AUDIT_ARCH_X86_64, 1, 0);
	f[k++] = (struct sock_filter)RET(SECCOMP_RET_KILL_PROCESS);
	f[k++] = (struct sock_filter)LD(nr);
	f[k++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K,
					      __X32_SYSCALL_BIT, 0, 1);
	f[k++] = (struct sock_filter)RET(SECCOMP_RET_KILL_PROCESS);
	for (unsigned i = 0; i < n; i++) /* to ALLOW, n - i jumps on */
		f[k++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ |
			BPF_K, (uint32_t)calls[i], (uint8_t)(n - i), 0);
	f[k++] = (struct sock_filter)RET(refuse);
	f[k++] = (struct sock_filter)RET(SECCOMP_RET_ALLOW);

	struct sock_fprog prog = { .len = (unsigned short)k, .filter = f };

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -1;
	return (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog);
}
