/*
 * guests/umip/user.S - the page of user-mode code that runs the five
 * instructions UMIP covers, and the sysretq/syscall round trip to it.
 */
#include "isa/x86.h"

#define USER_DATA 0x40001000 /* UMIP_USER_DATA in umip.c: PTE_U | PTE_W */

/*
 * The user page, mapped at UMIP_USER_CODE with PTE_U.  Each entry, 16
 * bytes apart, stores one register into the user data page at the
 * entry's own offset, then returns to the kernel with syscall.
 */
	.section .text.user, "ax", @progbits
	.p2align 12
	.globl umip_user_page
umip_user_page:
	sgdt USER_DATA + 0x00
	syscall
	ud2
	.p2align 4
	sidt USER_DATA + 0x10
	syscall
	ud2
	.p2align 4
	sldt USER_DATA + 0x20
	syscall
	ud2
	.p2align 4
	str USER_DATA + 0x30
	syscall
	ud2
	.p2align 4
	smsw USER_DATA + 0x40
	syscall
	ud2
	.p2align 12

/*
 * void umip_sysret_to_user(uint64_t rip)
 *
 * sysretq to rip at CPL 3 (CS and SS from STAR[63:48]); the user code
 * comes back with syscall to umip_syscall_entry (LSTAR), still on the
 * user's stack, so the kernel's RSP waits in memory.  A fault at CPL 3
 * instead goes to rt_try's handler, which abandons this frame.
 */
	.text
	.globl umip_sysret_to_user
umip_sysret_to_user:
	pushq %rbx
	pushq %rbp
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	movq %rsp, umip_kernel_rsp(%rip)
	movq %rdi, %rcx
	movq $FL_FIXED1, %r11
	sysretq

	.globl umip_syscall_entry
umip_syscall_entry:
	movq umip_kernel_rsp(%rip), %rsp
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %rbp
	popq %rbx
	ret

	.bss
	.p2align 3
umip_kernel_rsp:
	.skip 8
