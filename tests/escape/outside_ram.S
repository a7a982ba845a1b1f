/* A write to guest-physical 3 GiB: inside the boot identity map, far
 * outside the guest's RAM.  The VM is stopped; nothing is written. */
#include "escape.h"
	.globl _start
_start:
	mov $0xc0000000, %rax
	movq $0x1badb002, (%rax)
	guest_exit 1
