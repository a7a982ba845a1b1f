/*
 * guests/runtime/entry_i386.S - the i386 entry: a multiboot v1 kernel.
 *
 * The i386 build of a guest is an ELF32 file with the multiboot header
 * below in its first 8 KiB (the linker script puts .multiboot first).  A
 * multiboot loader - QEMU's -kernel (qemu-system-i386 or -x86_64),
 * trapvisor, GRUB - loads its segments at their physical addresses and
 * enters _start in 32-bit protected mode (Multiboot Specification 0.6.96,
 * 3.2):
 *   paging off, interrupts off, CS a flat 32-bit code segment and DS, ES,
 *   SS flat data segments of a GDT that is the loader's, not ours;
 *   EAX = 0x2BADB002, EBX = the physical address of struct multiboot_info.
 * No stack is promised: the first thing is to take our own.  From there
 * rt_multiboot (boot_i386.c) builds the same struct boot_info the 64-bit
 * runtime gets, turns paging on and calls rt_main, shared by both builds.
 */
#define MB_HEADER_MAGIC 0x1badb002
#define MB_PAGE_ALIGN (1 << 0)  /* modules start on 4 KiB boundaries */
#define MB_MEMORY_INFO (1 << 1) /* mem_lower/mem_upper and the map */
#define MB_HEADER_FLAGS (MB_PAGE_ALIGN | MB_MEMORY_INFO)

	.section .multiboot, "a"
	.p2align 2
	.long MB_HEADER_MAGIC
	.long MB_HEADER_FLAGS
	.long -(MB_HEADER_MAGIC + MB_HEADER_FLAGS) /* the three sum to 0 */

	.text
	.code32
	.globl _start
_start:
	cli
	cld
	/* The stack is in .bss, which the loader has zeroed as ELF says;
	 * EAX and EBX are still the loader's. */
	movl $rt_stack_top, %esp
	xorl %ebp, %ebp
	pushl %ebx                      /* rt_multiboot(magic, mbi) */
	pushl %eax
	call rt_multiboot               /* never returns: it calls rt_exit */
1:	hlt
	jmp 1b

	.bss
	.p2align 12
	.globl rt_stack_top
rt_stack:
	.skip 16384
rt_stack_top:
