/*
 * guests/mb32/long64.S - the way from 32-bit protected mode into long
 * mode (SDM vol. 3, 10.8.5), and the 64-bit code that ends mb32's run.
 *
 * In order: CR4.PAE, CR3 = the PML4, EFER.LME with wrmsr, then CR0.PG,
 * which activates long mode (EFER.LMA) while CS is still a 32-bit segment
 * (compatibility mode); a far jump to a code segment with L = 1 starts
 * 64-bit execution.  The 64-bit code prints its checks itself (polled
 * COM1, as console.c), counts failures in console.c's `failures`, prints
 * the verdict and exits through isa-debug-exit: 0 if all passed, else 1.
 * It takes no interrupt: mb32's IDT holds 32-bit gates.
 */
#include "guests/mb32/mb32.h"

/* COM1's registers (devices/ns16550a.h, a C header) */
#define COM1_THR 0x3f8
#define COM1_LSR 0x3fd
#define LSR_THRE 0x20

	.text
	.code32
	.globl long_mode_enter
long_mode_enter:
	cli
	movl 4(%esp), %eax
	movl %cr4, %ecx
	orl $CR4_PAE, %ecx
	movl %ecx, %cr4
	movl %eax, %cr3
	movl $MSR_EFER, %ecx
	rdmsr
	orl $EFER_LME, %eax
	wrmsr
	movl %cr0, %eax
	orl $CR0_PG, %eax
	movl %eax, %cr0
	ljmpl $SEL_KCODE64, $long64

	.code64
long64:
	movw $SEL_KDATA, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %ss
	leaq msg_running(%rip), %rsi
	call puts64

	movl $MSR_EFER, %ecx
	rdmsr
	testl $EFER_LMA, %eax
	setnz %al
	leaq msg_lma(%rip), %rsi
	call check64

	movw %cs, %ax
	cmpw $SEL_KCODE64, %ax
	sete %al
	leaq msg_cs(%rip), %rsi
	call check64

	movabsq $0x0123456789abcdef, %rax
	rolq $32, %rax
	movabsq $0x89abcdef01234567, %rdx
	cmpq %rdx, %rax
	sete %al
	leaq msg_regs(%rip), %rsi
	call check64

	xorl %edi, %edi
	leaq msg_passed(%rip), %rsi
	cmpl $0, failures(%rip)
	je 1f
	movl $1, %edi
	leaq msg_failed(%rip), %rsi
1:	call puts64
	movl %edi, %eax
	outb %al, $0xf4
2:	cli
	hlt
	jmp 2b

/* Print the check named at %rsi as "PASS name" if %al is non-zero, else
 * as "FAIL name" (and count it). */
check64:
	pushq %rsi
	leaq msg_pass(%rip), %rsi
	testb %al, %al
	jnz 1f
	incl failures(%rip)
	leaq msg_fail(%rip), %rsi
1:	call puts64
	popq %rsi
	call puts64
	leaq msg_nl(%rip), %rsi
	/* fall through */

/* Print the NUL-ended string at %rsi on COM1. */
puts64:
	pushq %rax
	pushq %rdx
1:	movb (%rsi), %ah
	testb %ah, %ah
	jz 3f
	movw $COM1_LSR, %dx
2:	inb %dx, %al
	testb $LSR_THRE, %al
	jz 2b
	movw $COM1_THR, %dx
	movb %ah, %al
	outb %al, %dx
	incq %rsi
	jmp 1b
3:	popq %rdx
	popq %rax
	ret

	.section .rodata
msg_running:	.asciz "running 64-bit code\n"
msg_lma:	.asciz "EFER.LMA set"
msg_cs:		.asciz "CS is the 64-bit code segment 0x38"
msg_regs:	.asciz "64-bit registers: rol $32 of 0x0123456789abcdef"
msg_pass:	.asciz "PASS "
msg_fail:	.asciz "FAIL "
msg_nl:		.asciz "\n"
msg_passed:	.asciz "mb32: all checks passed\n"
msg_failed:	.asciz "mb32: some checks FAILED\n"
