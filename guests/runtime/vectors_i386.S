/*
 * guests/runtime/vectors_i386.S - the way into the C trap handler, and
 * rt_try, in 32-bit protected mode.
 *
 * As in vectors_x86_64.S every IDT vector has a small stub that pushes an
 * error code (a 0 where the CPU pushes none) and its vector number, and
 * trap_common saves the rest, so that the stack reads as struct rt_frame
 * (rt_i386.h), lowest address first:
 *
 *   esp ->  gs fs es ds                                 saved here
 *           edi esi ebp esp ebx edx ecx eax             pushal
 *           vector error                                pushed by the stub
 *           eip cs eflags [esp ss]                      pushed by the CPU
 *
 * Two things differ from long mode.  The CPU pushes ESP and SS only when
 * the trap changes the ring.  And the data segment registers matter: a
 * trap from ring 3 arrives with the user's DS and ES, which trap_common
 * saves and replaces by the kernel's; the iret back to ring 3 finds the
 * user's again (an iret to an outer ring would clear a DS or ES the outer
 * ring may not use, SDM vol. 3, 6.12.1).  rt_trap() gets a pointer to the
 * frame as its argument on the stack (cdecl).
 */
#include "isa/x86.h"
#include "rt_i386.h"

/* Vectors whose exceptions push an error code (SDM vol. 3, 6.13). */
#define HAS_ERROR(n) ((n) == T_DF || (n) == T_TS || (n) == T_NP || \
	(n) == T_SS || (n) == T_GP || (n) == T_PF || (n) == T_AC || \
	(n) == T_CP || (n) == 29 || (n) == 30)

	.altmacro
	.macro vector_stub n
	.p2align 3
vector_\n:
	.if HAS_ERROR(\n)
	/* the CPU pushed an error code */
	.else
	pushl $0
	.endif
	pushl $\n
	jmp trap_common
	.endm

	.macro vector_addr n
	.long vector_\n
	.endm

	.text
	.set i, 0
	.rept 256
	vector_stub %i
	.set i, i + 1
	.endr

trap_common:
	pushal
	pushl %ds
	pushl %es
	pushl %fs
	pushl %gs
	movw $RT_SEL_KDATA, %ax
	movw %ax, %ds
	movw %ax, %es
	pushl %esp                      /* rt_trap(frame) */
	cld
	call rt_trap
	addl $4, %esp
	popl %gs
	popl %fs
	popl %es
	popl %ds
	popal
	addl $8, %esp                   /* vector and error code */
	iretl

	.section .rodata
	.p2align 2
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
 * A one-level setjmp around a call, as on x86-64: the callee-saved
 * registers (EBX, ESI, EDI, EBP) and the stack pointer are kept; if fn
 * faults, rt_trap() records the fault in *f and makes the iret land on
 * rt_try_recover, which takes the stack back and returns 1.
 */
	.text
	.globl rt_try
rt_try:
	pushl %ebp
	pushl %ebx
	pushl %esi
	pushl %edi
	cmpl $0, rt_try_rsp
	jne rt_try_nested               /* C: reports and stops */
	movl 28(%esp), %eax             /* f: 4 saved + return + fn + arg */
	movl %eax, rt_try_fault
	movl %esp, rt_try_rsp
	pushl 24(%esp)                  /* arg */
	call *24(%esp)                  /* fn (one push further up now) */
	addl $4, %esp
	xorl %eax, %eax
	jmp 1f

	.globl rt_try_recover
rt_try_recover:
	movl rt_try_rsp, %esp
	movl $1, %eax
1:	movl $0, rt_try_rsp             /* disarmed */
	popl %edi
	popl %esi
	popl %ebx
	popl %ebp
	ret
