/*
 * guests/runtime/entry_x86_64.S - the 64-bit entry, shared by every machine.
 *
 * trapvisor enters here directly (e_entry); under QEMU pvh_x86_64.S gets here
 * after building the same state.  Either way: long mode, CPL 0, the boot
 * state of monitor/boot.h, RDI = the struct boot_info.
 */
	.text
	.globl _start64
_start64:
	cld
	movq %rdi, %r12                 /* keep boot_info across the loop */

	/* Zero .bss: a loader need not (trapvisor and QEMU both do). */
	leaq __bss_start(%rip), %rdi
	leaq __bss_end(%rip), %rcx
	subq %rdi, %rcx
	shrq $3, %rcx
	xorl %eax, %eax
	rep stosq

	/* The runtime's own stack (in .bss, so only now). */
	leaq rt_stack_top(%rip), %rsp
	xorl %ebp, %ebp
	movq %r12, %rdi
	call rt_main                    /* never returns: it calls rt_exit */
1:	hlt
	jmp 1b

	.bss
	.p2align 12
	.globl rt_stack_top
rt_stack:
	.skip 16384
rt_stack_top:
