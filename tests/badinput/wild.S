/* A guest that reads guest-physical 1 GiB: mapped by the boot identity
 * map, but beyond the 64 MiB of RAM it was given. */
	.globl _start
_start:
	movabs $0x40000000, %rax
	mov (%rax), %rbx
	ud2
