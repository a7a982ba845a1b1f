/*
 * guests/mb32/user.S - the ring-3 code of section 3.
 *
 * Each entry point runs at CPL 3 (protmode.c enters it with iret) and
 * speaks to the kernel only through int $0x80, the DPL-3 trap gate, with
 * the system call number in EAX and its arguments in EBX, ECX (protmode.c:
 * SYS_WRITE, SYS_FLAGS, SYS_EXIT).  None of them returns: the last call is
 * always SYS_EXIT, or an instruction that faults.
 */
#include "guests/mb32/mb32.h"

	.text
	.code32

/* Say hello, report what popf did to IF, exit with 42. */
	.globl user_main
user_main:
	movl $SYS_WRITE, %eax
	movl $hello, %ebx
	movl $hello_end - hello, %ecx
	int $0x80
	/* popf at CPL 3 with IOPL 0: IF is left as it was, without a fault */
	pushfl
	andl $~EFLAGS_IF, (%esp)
	popfl
	pushfl
	popl %ebx
	movl $SYS_FLAGS, %eax
	int $0x80
	movl $SYS_EXIT, %eax
	movl $42, %ebx
	int $0x80
1:	jmp 1b

/* A privileged instruction at CPL 3: #GP(0). */
	.globl user_hlt
user_hlt:
	hlt
1:	jmp 1b

/* int n through a gate of DPL 0 from CPL 3: #GP(n * 8 + 2) (IDT, EXT=0). */
	.globl user_int_dpl0
user_int_dpl0:
	int $VEC_KERNEL_ONLY
1:	jmp 1b

	.section .rodata
hello:
	.ascii "hello from ring 3 through int $0x80"
hello_end:

/* Read the word at USER_PROBE_VA (paging.c maps it supervisor-only). */
	.text
	.globl user_probe
user_probe:
	movl USER_PROBE_VA, %eax
1:	jmp 1b
