/*
 * Kernel-half segment bases, as every real x86-64 kernel sets them: GS
 * (and KERNEL_GS, FS) at 0xffff888000000000.  A host process cannot hold
 * such a base, and the native engine once died on it ("PTRACE_SETREGS
 * refused the guest's registers").  Each base is written, swapped with
 * swapgs and read back; both engines must print "bases ok" and stop with 42.
 */
#define COM1 0x3f8
#define EXIT_PORT 0xf4
#define MSR_FS_BASE 0xc0000100
#define MSR_GS_BASE 0xc0000101
#define MSR_KERNEL_GS_BASE 0xc0000102
#define KBASE_HI 0xffff8880 /* the high half of 0xffff888000000000 */

.macro putc c
	mov $\c, %al
	mov $COM1, %dx
	out %al, %dx
.endm

/* MSR := hi:lo */
.macro setmsr msr, hi, lo
	mov $\msr, %ecx
	mov $\lo, %eax
	mov $\hi, %edx
	wrmsr
.endm

/* fail unless MSR == hi:lo */
.macro checkmsr msr, hi, lo
	mov $\msr, %ecx
	rdmsr
	cmp $\lo, %eax
	jne fail
	cmp $\hi, %edx
	jne fail
.endm

	.globl _start
_start:
	setmsr MSR_GS_BASE, KBASE_HI, 0
	setmsr MSR_FS_BASE, KBASE_HI, 0x1000
	setmsr MSR_KERNEL_GS_BASE, 0, 0x300000
	nop                     /* the child runs with these bases */
	checkmsr MSR_GS_BASE, KBASE_HI, 0
	checkmsr MSR_FS_BASE, KBASE_HI, 0x1000
	swapgs                  /* user GS (low) in, kernel GS out */
	checkmsr MSR_GS_BASE, 0, 0x300000
	checkmsr MSR_KERNEL_GS_BASE, KBASE_HI, 0
	movq $0x1234, %gs:8     /* a user-half base works as ever */
	cmpq $0x1234, 0x300008
	jne fail
	swapgs
	checkmsr MSR_GS_BASE, KBASE_HI, 0
	setmsr MSR_FS_BASE, 0, 0
	putc 'b'
	putc 'a'
	putc 's'
	putc 'e'
	putc 's'
	putc ' '
	putc 'o'
	putc 'k'
	putc '\n'
	mov $42, %al
	out %al, $EXIT_PORT
1:	jmp 1b
fail:	mov $1, %al
	out %al, $EXIT_PORT
2:	jmp 2b
