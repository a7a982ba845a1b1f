/*
 * guests/toyos/entry_x86_64.S - the three ways the x86-64 kernel changes
 * stacks.
 *
 *   syscall_entry  the target of `syscall` (MSR_LSTAR): from ring 3 onto
 *                  the process's kernel stack, into syscall_dispatch, and
 *                  back out with sysretq
 *   swtch          from one kernel stack to another (the scheduler's and
 *                  each process's): the context switch
 *   trapret        from a struct rt_frame on the kernel stack to wherever
 *                  it says, with iretq: how a new process first runs
 *
 * Interrupts and exceptions come in through the runtime's stubs
 * (guests/runtime/vectors_x86_64.S), which build the same struct
 * rt_frame; the CPU has switched to TSS.RSP0, the process's kernel stack,
 * when they come from ring 3.
 */
#include "arch_x86_64.h"

/* Push/pop the general registers in struct rt_frame order (rt.h). */
	.macro push_regs
	pushq %rax
	pushq %rbx
	pushq %rcx
	pushq %rdx
	pushq %rsi
	pushq %rdi
	pushq %rbp
	pushq %r8
	pushq %r9
	pushq %r10
	pushq %r11
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	.endm

	.macro pop_regs
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %r11
	popq %r10
	popq %r9
	popq %r8
	popq %rbp
	popq %rdi
	popq %rsi
	popq %rdx
	popq %rcx
	popq %rbx
	popq %rax
	.endm

/*T:830 The system call entry.
 * `syscall` loaded CS and SS from STAR[47:32], RIP from LSTAR, put the
 * user's RIP in RCX and RFLAGS in R11, and cleared SFMASK's flags (IF
 * among them) - but it left RSP alone: we are in ring 0 on the user's
 * stack, which the kernel must not trust.  swapgs makes GS point at struct
 * cpu (KERNEL_GS_BASE) just long enough to park the user RSP there and
 * fetch the kernel stack, and swaps back: the C kernel does not use GS, so
 * an interrupt or a process switch never finds it half swapped.
 */
	.text
	.globl syscall_entry
syscall_entry:
	swapgs
	movq %rsp, %gs:CPU_USER_RSP
	movq %gs:CPU_KSTACK_TOP, %rsp
	pushq $USER_SS                  /* frame: ss */
	pushq %gs:CPU_USER_RSP          /*        rsp */
	swapgs
	pushq %r11                      /*        rflags */
	pushq $USER_CS                  /*        cs */
	pushq %rcx                      /*        rip */
	pushq $0                        /*        error */
	pushq $FRAME_SYSCALL            /*        vector */
	push_regs
	movq %rsp, %rdi                 /* 176 bytes: RSP is 16-aligned */
	cld
	call syscall_dispatch
	pop_regs
	addq $16, %rsp                  /* vector and error code */
	/* sysretq takes RIP from RCX and RFLAGS from R11 (the frame's, which
	 * a system call such as exec may have changed), CS and SS from
	 * STAR[63:48]; the stack is ours to restore, last.  RIP must be
	 * canonical: on Intel CPUs sysretq raises its #GP at CPL 0, on the
	 * user's stack.  Here it always is - where the syscall came from, or
	 * ustart after exec. */
	movq 0(%rsp), %rcx
	movq 16(%rsp), %r11
	movq 24(%rsp), %rsp
	sysretq

/*
 * void swtch(struct context **old, struct context *new)
 *
 * The caller-saved registers are saved by the C caller already; push the
 * callee-saved ones so that the stack reads as a struct context, remember
 * it, and pop the other stack's.  The ret lands where new was left: in
 * another swtch, or at trapret for a process that never ran.
 */
	.globl swtch
swtch:
	pushq %rbx
	pushq %rbp
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	movq %rsp, (%rdi)
	movq %rsi, %rsp
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %rbp
	popq %rbx
	ret

/* Leave the kernel through the struct rt_frame at RSP, by iretq. */
	.globl trapret
trapret:
	pop_regs
	addq $16, %rsp                  /* vector and error code */
	iretq
