/* A write to guest-physical 3 GiB: inside the boot identity map, far
 * outside the guest's RAM, where no device answers either.  As on a PC
 * (QEMU's pc), the write vanishes and the guest goes on: it reaches its
 * exit, with nothing written anywhere in the host. */
#include "escape.h"
	.globl _start
_start:
	mov $0xc0000000, %rax
	movq $0x1badb002, (%rax)
	guest_exit 1
