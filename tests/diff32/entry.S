/*
 * tests/diff32/entry.S - the multiboot (v1) header and the entry point of
 * the differential test's guest.
 *
 * A multiboot loader (QEMU's -kernel, trapvisor's) enters _start in 32-bit
 * protected mode at CPL 0 with paging off, CS a flat 32-bit code segment,
 * DS ES FS GS SS flat 32-bit data segments, interrupts off, and EAX =
 * 0x2BADB002 (multiboot specification 0.6.96, section 3.2).  The guest
 * keeps those segments: the sequences run with them.  ESP is ours to set.
 */
#define MB_MAGIC 0x1BADB002
#define MB_FLAGS 0 /* an ELF image: no address fields, no memory map */

	.section .multiboot, "a"
	.align 4
	.long MB_MAGIC
	.long MB_FLAGS
	.long -(MB_MAGIC + MB_FLAGS)

	.text
	.code32
	.globl _start
_start:
	movl $stack_top, %esp
	cld
	call diff32_main
1:	hlt
	jmp 1b

	.bss
	.align 16
	.space 16384
stack_top:
