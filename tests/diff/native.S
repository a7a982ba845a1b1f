/*
 * tests/diff/native.S - enter a generated sequence on the host CPU.
 *
 * native_enter(st, rip) loads RFLAGS and all sixteen general registers,
 * RSP included, from the struct diff_state at st and jumps to rip.  It never
 * returns: the sequence ends with hlt, which faults at ring 3, and native.c's
 * signal handler reads the registers from the signal context and
 * siglongjmps back.  A jump through memory lets every register be loaded
 * before it.
 */
#define ST_REG(n) ((n) * 8)
#define ST_RFLAGS (17 * 8) /* regs[16], rip, rflags */

	.text
	.globl native_enter
	.type native_enter, @function
native_enter:
	movq %rsi, native_target(%rip)
	pushq ST_RFLAGS(%rdi)
	popfq                   /* at ring 3, IF and IOPL stay as they are */
	movq ST_REG(0)(%rdi), %rax
	movq ST_REG(1)(%rdi), %rcx
	movq ST_REG(2)(%rdi), %rdx
	movq ST_REG(3)(%rdi), %rbx
	movq ST_REG(4)(%rdi), %rsp
	movq ST_REG(5)(%rdi), %rbp
	movq ST_REG(6)(%rdi), %rsi
	movq ST_REG(8)(%rdi), %r8
	movq ST_REG(9)(%rdi), %r9
	movq ST_REG(10)(%rdi), %r10
	movq ST_REG(11)(%rdi), %r11
	movq ST_REG(12)(%rdi), %r12
	movq ST_REG(13)(%rdi), %r13
	movq ST_REG(14)(%rdi), %r14
	movq ST_REG(15)(%rdi), %r15
	movq ST_REG(7)(%rdi), %rdi /* the pointer goes last */
	jmp *native_target(%rip)
	.size native_enter, . - native_enter

	.bss
	.balign 8
native_target:
	.zero 8

	.section .note.GNU-stack, "", @progbits
