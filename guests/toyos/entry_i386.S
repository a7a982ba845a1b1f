/*
 * guests/toyos/entry_i386.S - the two ways the i386 kernel changes stacks.
 *
 *   swtch      from one kernel stack to another (the scheduler's and each
 *              process's): the context switch
 *   trapret    from a struct rt_frame on the kernel stack to wherever it
 *              says, with iret: how a new process first runs
 *
 * System calls, interrupts and exceptions all come in through the
 * runtime's stubs (guests/runtime/vectors_i386.S): int $0x80 is one more
 * vector.  From ring 3 the CPU has switched to TSS.ESP0, the process's
 * kernel stack, first.
 */

/*
 * void swtch(struct context **old, struct context *new)
 *
 * The i386 C ABI saves EAX, ECX and EDX in the caller; push the
 * callee-saved EBP, EBX, ESI and EDI so that the stack reads as a struct
 * context (arch_i386.h), remember it, and pop the other stack's.  The ret
 * lands where new was left: in another swtch, or at trapret for a process
 * that never ran.
 */
	.text
	.globl swtch
swtch:
	movl 4(%esp), %eax              /* old */
	movl 8(%esp), %edx              /* new */
	pushl %ebp
	pushl %ebx
	pushl %esi
	pushl %edi
	movl %esp, (%eax)
	movl %edx, %esp
	popl %edi
	popl %esi
	popl %ebx
	popl %ebp
	ret

/* Leave the kernel through the struct rt_frame at ESP, by iret: the
 * segment registers, the general ones, past the vector and error code. */
	.globl trapret
trapret:
	popl %gs
	popl %fs
	popl %es
	popl %ds
	popal
	addl $8, %esp                   /* vector and error code */
	iretl
