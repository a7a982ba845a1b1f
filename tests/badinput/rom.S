/* A guest that stores into the BIOS area 0xe0000-0xfffff, ROM on a PC
 * (QEMU's pc): the store goes nowhere and the ACPI RSDP at 0xf0000 keeps
 * its signature.  With -DRMW the store is an add (a read-modify-write),
 * which softcpu drops as it drops a mov, and which the native engine does
 * not emulate there: it stops the guest with one line.  The guest exits
 * with 42 when the bytes did not change, else 1. */
	.globl _start
_start:
	mov $0xf0000, %eax
	mov (%rax), %rbx
#ifdef RMW
	addq $1, (%rax)
#else
	movq $0, (%rax)
#endif
	mov (%rax), %rcx
	mov $1, %al
	cmp %rbx, %rcx
	jne 1f
	movabs $0x2052545020445352, %rdx        /* "RSD PTR " */
	cmp %rdx, %rcx
	jne 1f
	mov $42, %al
1:	mov $0xf4, %dx
	out %al, %dx
	ud2
