/*
 * Map linear 0x555555554000 -- where the monitor's own code lies when
 * ASLR is off (run.sh runs this guest under setarch -R) -- to a frame of
 * guest RAM holding a magic value, and read it back.  A child that still
 * held the monitor's pages would show them (an ELF header) instead.
 */
#include "escape.h"
	.set VA, 0x555555554000
	.set PA, 0x400000
	.globl _start
_start:
	movabs $0x6d61676963, %rax    /* "magic" */
	mov %rax, PA
	map_page VA, PA
	mov $VA, %rax
	mov (%rax), %rbx
	cmp PA, %rbx
	jne 1f
	movq $0x1234, (%rax)           /* and a write lands in guest RAM */
	cmpq $0x1234, PA
	jne 1f
	guest_exit 42
1:	guest_exit 3
