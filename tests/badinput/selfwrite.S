/*
 * Stores the native engine once took for instruction fetches: the first
 * write into a fresh page at the storing instruction's own address, and a
 * store into the next page from an instruction that ends a few bytes
 * before it.  The child faults at an address at or just after RIP, which
 * is also where a fetch would fault; the write bit was never reported, the
 * same fault came back forever, and the monitor aborted.  Both engines
 * must print "ok ok" and stop with 42.
 */
#define COM1 0x3f8
#define EXIT_PORT 0xf4

/* One character to the serial port. */
.macro putc c
	mov $\c, %al
	mov $COM1, %dx
	out %al, %dx
.endm
	.globl _start
_start:
	/* 1. A store over its own first byte (C6 is movb $imm8, r/m8: the
	 * byte it already holds). */
1:	movb $0xc6, 1b(%rip)
	cmpb $0xc6, 1b(%rip)
	jne fail
	putc 'o'
	putc 'k'
	putc ' '
	jmp across
fail:	mov $1, %al
	out %al, $EXIT_PORT
2:	jmp 2b

	/* 2. A 7-byte store that ends 2 bytes before a fresh page, into
	 * that page's first byte. */
	.balign 4096
	.skip 4096 - 9
across:	movb $0x5a, target(%rip)
	jmp after
target:	.byte 0
after:	cmpb $0x5a, target(%rip)
	jne fail
	putc 'o'
	putc 'k'
	putc '\n'
	mov $42, %al
	out %al, $EXIT_PORT
3:	jmp 3b
