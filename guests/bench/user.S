/*
 * guests/bench/user.S - the system call entry and the ring-3 loops.
 *
 * syscall_entry is the MSR_LSTAR target: it moves to the system call
 * stack, pushes the caller's registers as a struct uregs (bench.h) and
 * calls uspace_syscall, which may rewrite that frame with another
 * process's registers (fork, wait, exit); "resume" then pops whatever the
 * frame holds and sysretq's to it.  uspace_enter starts ring 3 through the
 * same path, uspace_leave comes back from it: a one-shot setjmp/longjmp.
 *
 * The ring-3 loops sit on pages of their own (.text.user, page aligned)
 * that uspace_init makes readable from ring 3; they only use RIP-relative
 * or register addressing, and keep their state in callee-saved registers
 * that the system call frame preserves.
 */
#include "bench.h"

	.section .bss
	.balign 4096
syscall_stack:
	.skip 8192
syscall_stack_top:
user_rsp:
	.skip 8
kernel_rsp:
	.skip 8

	.text
	.globl syscall_entry
syscall_entry:
	mov %rsp, user_rsp(%rip)
	lea syscall_stack_top(%rip), %rsp
	pushq user_rsp(%rip)
	push %r11		/* rflags */
	push %rcx		/* rip */
	push %rax
	push %rbx
	push %rdx
	push %rsi
	push %rdi
	push %rbp
	push %r8
	push %r9
	push %r10
	push %r12
	push %r13
	push %r14
	push %r15
	mov %rsp, %rdi
	call uspace_syscall
resume:
	lea syscall_stack_top - UREGS_SIZE(%rip), %rsp
	pop %r15
	pop %r14
	pop %r13
	pop %r12
	pop %r10
	pop %r9
	pop %r8
	pop %rbp
	pop %rdi
	pop %rsi
	pop %rdx
	pop %rbx
	pop %rax
	pop %rcx		/* rip */
	pop %r11		/* rflags */
	pop %rsp
	sysretq

	.globl uspace_frame
uspace_frame:
	lea syscall_stack_top - UREGS_SIZE(%rip), %rax
	ret

	.globl uspace_enter
uspace_enter:
	push %rbx
	push %rbp
	push %r12
	push %r13
	push %r14
	push %r15
	mov %rsp, kernel_rsp(%rip)
	jmp resume

	.globl uspace_leave
uspace_leave:
	mov kernel_rsp(%rip), %rsp
	pop %r15
	pop %r14
	pop %r13
	pop %r12
	pop %rbp
	pop %rbx
	ret

/* ------------------------------------------------------------ ring 3 */
	.section .text.user, "ax"
	.balign 4096
	.globl user_text_start
user_text_start:

/* rdi = iterations: one null system call each. */
	.globl user_syscall_loop
user_syscall_loop:
	mov %rdi, %rbx
1:	mov $SYS_NULL, %eax
	syscall
	dec %rbx
	jnz 1b
	mov $SYS_DONE, %eax
	syscall
	ud2

/* rdi = pairs, rsi = page A, rdx = page B: touch A, then B, each a fault
 * (the kernel maps the one touched and unmaps the other). */
	.globl user_fault_loop
user_fault_loop:
	mov %rdi, %rbx
	mov %rsi, %r12
	mov %rdx, %r13
1:	mov (%r12), %rax
	mov (%r13), %rax
	dec %rbx
	jnz 1b
	mov $SYS_DONE, %eax
	syscall
	ud2

/* rdi = iterations, rsi = the data page: fork, the child writes its data
 * and stack pages and exits, the parent waits and writes its own. */
	.globl user_forkwait_loop
user_forkwait_loop:
	mov %rdi, %rbx
	mov %rsi, %r12
1:	mov $SYS_FORK, %eax
	syscall
	test %rax, %rax
	jz 2f
	mov $SYS_WAIT, %eax
	syscall
	mov %rax, (%r12)
	dec %rbx
	jnz 1b
	mov $SYS_DONE, %eax
	syscall
	ud2
2:	mov %rbx, (%r12)
	push %rbx
	pop %rax
	xor %edi, %edi
	mov $SYS_EXIT, %eax
	syscall
	ud2

	.balign 4096
	.globl user_text_end
user_text_end:
