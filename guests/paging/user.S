/*
 * guests/paging/user.S - the CPL-3 side of the user/supervisor checks: a
 * page of user code and the sysretq/syscall round trip into it.
 */
#include "isa/x86.h"

/*
 * The user page.  It fills a page of its own so that mapping it with U
 * gives ring 3 nothing of the kernel.  Each entry is 16-byte aligned at
 * the offset paging.h names.
 */
	.section .text.user, "ax", @progbits
	.p2align 12
	.globl pgt_user_page
pgt_user_page:
	/* PGT_USER_LOAD */
	movzbl (%rdi), %eax
	syscall
	ud2
	.p2align 4
	/* PGT_USER_STORE */
	movb $0x5a, (%rdi)
	syscall
	ud2
	.p2align 4
	/* PGT_USER_JUMP */
	jmp *%rdi
	.p2align 12

/*
 * uint64_t pgt_user_run(uint64_t rip, uint64_t arg)
 *
 * sysretq goes to CPL 3 at RCX with RFLAGS = R11 (here only the fixed
 * bit: interrupts stay off).  The user code comes back with syscall to
 * pgt_syscall_entry (LSTAR), still on the stack it was given, since
 * syscall switches no stacks; the kernel's RSP is therefore kept in
 * memory.  A fault at CPL 3 instead goes through TSS.RSP0 to the runtime,
 * whose rt_try abandons this frame.
 */
	.text
	.globl pgt_user_run
pgt_user_run:
	pushq %rbx
	pushq %rbp
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	movq %rsp, pgt_kernel_rsp(%rip)
	movq %rdi, %rcx
	movq %rsi, %rdi
	movq $FL_FIXED1, %r11
	sysretq

	.globl pgt_syscall_entry
pgt_syscall_entry:
	movq pgt_kernel_rsp(%rip), %rsp
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %rbp
	popq %rbx
	ret

	.bss
	.p2align 3
pgt_kernel_rsp:
	.skip 8
