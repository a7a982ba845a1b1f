/* A guest that prints a line on COM1 for ever: only Ctrl-C stops it. */
	.globl _start
_start:
	mov $0x3f8, %dx
1:	lea msg(%rip), %rsi
	mov $len, %ecx
	rep outsb
	jmp 1b
msg:	.ascii "chatty: a line of output nobody reads\n"
	len = . - msg
