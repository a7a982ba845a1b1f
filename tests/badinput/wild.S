/* A guest that reads and writes guest-physical 1 GiB: mapped by the boot
 * identity map, but beyond the 64 MiB of RAM it was given and where no
 * device answers.  On a PC (QEMU's pc) such a read gives all ones and a
 * write vanishes; it is no reason to stop the machine.  The guest exits
 * with 42 when it saw exactly that, else 1. */
	.globl _start
_start:
	movabs $0x40000000, %rax
	mov (%rax), %rbx
	movq $0, (%rax)         /* dropped */
	mov (%rax), %rcx
	mov $1, %al
	cmp $-1, %rbx
	jne 1f
	cmp $-1, %rcx
	jne 1f
	mov $42, %al
1:	mov $0xf4, %dx
	out %al, %dx
	ud2
