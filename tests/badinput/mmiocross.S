/*
 * A 4-byte store that starts in the local APIC's page and ends in the
 * next: softcpu does not split an MMIO access, and ends the guest
 * (sc_unsupported) - the line naming where in the image, though the
 * engine knows no symbols (monitor/trace.c words it).
 */
	.globl _start
_start:
	mov $0xfee00ffe, %rax
	movl $0, (%rax)
	hlt
