/* A guest that never traps: only Ctrl-C stops it. */
	.globl _start
_start:
	jmp _start
