/*
 * guests/runtime/vectors_x86_64.S - the way into the C trap handler, and
 * rt_try, in long mode.
 *
 * Every IDT vector has a small stub that makes the stack look the same
 * whatever the CPU pushed: an error code (a 0 where the CPU pushes none),
 * the vector number, then all general registers.  That is struct rt_frame
 * in rt.h, lowest address first:
 *
 *   rsp ->  r15 r14 ... r8 rbp rdi rsi rdx rcx rbx rax   saved here
 *           vector error                                pushed by the stub
 *           rip cs rflags rsp ss                        pushed by the CPU
 *
 * trap_common hands that frame to rt_trap() (trap.c), which may edit it,
 * and returns through it with iretq.
 */
#include "isa/x86.h"

/* Vectors whose exceptions push an error code (SDM vol. 3, 6.13). */
#define HAS_ERROR(n) ((n) == T_DF || (n) == T_TS || (n) == T_NP || \
	(n) == T_SS || (n) == T_GP || (n) == T_PF || (n) == T_AC || \
	(n) == T_CP || (n) == 29 || (n) == 30)

	.altmacro
	.macro vector_stub n
	.p2align 4
vector_\n:
	.if HAS_ERROR(\n)
	/* the CPU pushed an error code */
	.else
	pushq $0
	.endif
	pushq $\n
	jmp trap_common
	.endm

	.macro vector_addr n
	.quad vector_\n
	.endm

	.text
	.set i, 0
	.rept 256
	vector_stub %i
	.set i, i + 1
	.endr

trap_common:
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
	movq %rsp, %rdi                 /* 176 bytes pushed: RSP is 16-aligned */
	cld
	call rt_trap
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
	addq $16, %rsp                  /* vector and error code */
	iretq

	.section .rodata
	.p2align 3
	.globl rt_vector_stubs
rt_vector_stubs:
	.set i, 0
	.rept 256
	vector_addr %i
	.set i, i + 1
	.endr

/*
 * int rt_try(void (*fn)(void *), void *arg, struct rt_fault *f)
 *
 * A one-level setjmp around a call.  The callee-saved registers and the
 * stack pointer are kept; if fn faults, rt_trap() records the fault in *f
 * and makes the iretq land on rt_try_recover, which takes the stack back
 * and returns 1.
 */
	.text
	.globl rt_try
rt_try:
	pushq %rbx
	pushq %rbp
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	subq $8, %rsp                   /* keep the call below 16-aligned */
	cmpq $0, rt_try_rsp(%rip)
	jne rt_try_nested               /* C: reports and stops */
	movq %rdx, rt_try_fault(%rip)
	movq %rsp, rt_try_rsp(%rip)
	movq %rdi, %rax
	movq %rsi, %rdi
	call *%rax
	xorl %eax, %eax
	jmp 1f

	.globl rt_try_recover
rt_try_recover:
	movq rt_try_rsp(%rip), %rsp
	movl $1, %eax
1:	movq $0, rt_try_rsp(%rip)       /* disarmed */
	addq $8, %rsp
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %rbp
	popq %rbx
	ret
