/*
 * guests/pgcheck/asm.S - the parts of pgcheck that cannot be C: a page of
 * user-mode code and the sysretq/syscall round trip through it.
 */
#include "isa/x86.h"
#include "core/hypercall.h"

/*
 * The user page.  pgcheck maps it at PG_USER_VA with PTE_U; the rest of
 * the image stays supervisor-only.  It fills a page of its own so that
 * no kernel code shares the mapping.
 */
	.section .text.user, "ax", @progbits
	.p2align 12
	.globl pg_user_page
pg_user_page:
	/* PG_USER_SYSCALL: straight back to the kernel. */
	syscall
	ud2
	.p2align 4
	/* PG_USER_TOUCH: read a supervisor page: #PF with PFEC_U. */
	movb 0x100000, %al
	ud2
	.p2align 4
	/* PG_USER_RDTSC: rdtsc at CPL 3 (#GP(0) when CR4.TSD = 1). */
	rdtsc
	syscall
	ud2
#ifdef PV
	.p2align 4
	/* PG_USER_HYPERCALL: a hypercall at CPL 3 (#GP(0) at IOPL 0, else
	 * the monitor's #UD). */
	movl $HC_RDTSC, %eax
	outl %eax, $HC_PORT
	syscall
	ud2
#endif
	.p2align 12

/*
 * uint64_t pg_sysret_to_user(uint64_t rip, uint64_t rflags)
 *
 * sysretq takes RIP from RCX and RFLAGS from R11 and goes to CPL 3 with
 * CS = STAR[63:48] + 16 and SS = STAR[63:48] + 8.  The user code comes
 * back with syscall, which lands on pg_syscall_entry (LSTAR) at CPL 0 -
 * still on the user's RSP, since syscall switches no stacks - so the
 * kernel stack pointer is kept in memory.
 */
	.text
	.globl pg_sysret_to_user
pg_sysret_to_user:
	pushq %rbx
	pushq %rbp
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	movq %rsp, pg_kernel_rsp(%rip)
	movq %rdi, %rcx
	movq %rsi, %r11
	sysretq

	.globl pg_syscall_entry
pg_syscall_entry:
	movq pg_kernel_rsp(%rip), %rsp
	movq %r11, pg_syscall_r11(%rip)
	movq %rcx, %rax                 /* the user's RIP after syscall */
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %rbp
	popq %rbx
	ret

	.bss
	.p2align 3
pg_kernel_rsp:
	.skip 8
	.globl pg_syscall_r11
pg_syscall_r11:
	.skip 8
