/*
 * An IDT outside guest RAM: lidt (privileged: emulated on every engine)
 * loads base 0x80000000, inside the boot identity map but beyond the
 * guest's 64 MiB; the #UD of ud2 then reads its gate there, and the
 * monitor (interp/) ends the guest - the line naming the function the
 * fault was in, though interp/ knows no symbols (monitor/trace.c words
 * it).
 */
	.globl _start
_start:
	lidt idtr(%rip)
	.globl fault
fault:
	ud2
idtr:
	.word 0xfff
	.quad 0x80000000
