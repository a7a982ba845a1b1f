/* A guest that stores into the BIOS area 0xe0000-0xfffff, ROM on a PC
 * (QEMU's pc): the store goes nowhere and the ACPI RSDP at 0xf0000 keeps
 * its signature.  With -DRMW the store is an add (a read-modify-write),
 * which softcpu drops as it drops a mov, and which the native engine does
 * not emulate there: it stops the guest with one line.  With -DCROSS a mov
 * of 8 bytes at 0xffffc crosses out of the ROM at 1 MiB: its first half
 * is dropped, its second half lands in RAM.  The guest exits with 42 when
 * memory holds what it should, else 1. */
	.globl _start
_start:
#ifdef CROSS
	mov $0xffffc, %eax
	mov (%rax), %ebx
	movabs $0x1122334455667788, %rdx
	mov %rdx, (%rax)
	mov $1, %cl
	cmp (%rax), %ebx                        /* the ROM half: unchanged */
	jne 1f
	cmpl $0x11223344, 4(%rax)               /* the RAM half: written */
	jne 1f
	mov $42, %cl
1:	mov %cl, %al
#else
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
1:
#endif
	mov $0xf4, %dx
	out %al, %dx
	ud2
