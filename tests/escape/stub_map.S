/* The guest maps its own page at 0x700000000000, the native engine's stub
 * page: native cannot give it that linear address (the stub lives there)
 * and stops the VM with one line before the guest touches it; softcpu
 * runs it (status 42). */
#include "escape.h"
	.set VA, 0x700000000000
	.globl _start
_start:
	map_page VA, 0x400000
	mov $VA, %rax
	movq $0x1badb002, (%rax)
	cmpq $0x1badb002, (%rax)
	jne 1f
	guest_exit 42
1:	guest_exit 1
