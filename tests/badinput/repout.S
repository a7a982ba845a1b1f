/*
 * A rep outsb that would run for ever: RCX = 2^64 - 1 bytes to port 0x80,
 * where nothing answers.  The CPU takes interrupts between two elements;
 * so must the monitor, which emulates the instruction: Ctrl-C stops it.
 * (It once emulated the whole count in one go, deaf to Ctrl-C.)  Run with
 * --mem=1024: RSI walks through a GiB of RAM, half a minute of elements.
 */
	.globl _start
_start:
	mov $-1, %rcx
	mov $0x80, %dx
	lea _start(%rip), %rsi
	cld
	rep outsb
	jmp _start
