/* A page mapped at linear 0x7ffff7a00000, where the host puts shared
 * libraries and stacks: the native engine cannot mirror it there (above
 * its stub page) and stops the VM; softcpu runs it. */
#include "escape.h"
	.set VA, 0x7ffff7a00000
	.globl _start
_start:
	map_page VA, 0x400000
	mov $VA, %rax
	movq $0x1badb002, (%rax)
	guest_exit 42
