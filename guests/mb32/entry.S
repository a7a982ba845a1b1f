/*
 * guests/mb32/entry.S - mb32's assembly: the multiboot entry, the trap
 * stubs, try_enter, the way to ring 3, the far jump and long mode.
 *
 * A multiboot v1 loader (QEMU's -kernel, GRUB, trapvisor) finds the header
 * below in the first 8 KiB of the image and enters _start in 32-bit
 * protected mode with paging off, CS and DS flat, EAX = 0x2BADB002 and
 * EBX = the physical address of struct multiboot_info (Multiboot
 * Specification 0.6.96, 3.2).  The loader's stack and GDT are not ours to
 * keep: _start sets up a stack at once; protmode.c loads mb32's own GDT.
 */
#include "guests/mb32/mb32.h"

#define MB_HEADER_MAGIC 0x1badb002
#define MB_PAGE_ALIGN (1 << 0) /* modules start on 4 KiB boundaries */
#define MB_MEMORY_INFO (1 << 1) /* mem_lower/mem_upper and the map */
#define MB_HEADER_FLAGS (MB_PAGE_ALIGN | MB_MEMORY_INFO)

	.section .multiboot, "a"
	.p2align 2
	.long MB_HEADER_MAGIC
	.long MB_HEADER_FLAGS
	.long -(MB_HEADER_MAGIC + MB_HEADER_FLAGS) /* the three sum to 0 */

	.text
	.code32
	.globl _start
_start:
	/* mov changes no flag: EFLAGS is still the loader's at the pushfl */
	movl $kstack + MB32_KSTACK_SIZE, %esp
	pushfl
	popl %ecx
	movl %cs, %edx
	movl %ds, %esi
	pushl %esi                     /* kmain(magic, mbi, eflags, cs, ds) */
	pushl %edx
	pushl %ecx
	pushl %ebx
	pushl %eax
	call kmain
1:	cli
	hlt
	jmp 1b

/* ------------------------------------------------------------ trap stubs */
/* Vectors whose exceptions push an error code (SDM vol. 3, 6.13). */
#define HAS_ERROR(n) ((n) == T_DF || (n) == T_TS || (n) == T_NP || \
	(n) == T_SS || (n) == T_GP || (n) == T_PF || (n) == T_AC || \
	(n) == 21 || (n) == 29 || (n) == 30)

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

	.set i, 0
	.rept 256
	vector_stub %i
	.set i, i + 1
	.endr

/* struct frame, then trap(frame), then back through iret. */
trap_common:
	pushal
	pushl %ds
	pushl %es
	movw $SEL_KDATA, %ax
	movw %ax, %ds
	movw %ax, %es
	pushl %esp
	cld
	call trap
	addl $4, %esp
	popl %es
	popl %ds
	popal
	addl $8, %esp                  /* the vector and error code */
	iretl

	.section .rodata
	.globl vector_stubs
	.p2align 2
vector_stubs:
	.set i, 0
	.rept 256
	vector_addr %i
	.set i, i + 1
	.endr

/* ------------------------------------------------------------ try_enter */
/*
 * int try_enter(fn, arg): call fn(arg) and return 0; but when a handler
 * sends the CPU to try_landing instead (try_abandon), return 1 from here
 * with the callee-saved registers and the stack as they were at the call.
 */
	.text
	.globl try_enter, try_landing
try_enter:
	pushl %ebp
	pushl %ebx
	pushl %esi
	pushl %edi
	movl %esp, try_saved_esp
	pushl 24(%esp)                 /* arg */
	call *24(%esp)                 /* fn */
	addl $4, %esp
	xorl %eax, %eax
	jmp 1f
try_landing:
	movw $SEL_KDATA, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %ss
	movl try_saved_esp, %esp
	movl $1, %eax
1:	popl %edi
	popl %esi
	popl %ebx
	popl %ebp
	ret

/*
 * void user_iret(eip, esp, eflags): enter ring 3 the only way there is,
 * with an iret from a frame that names ring-3 CS and SS (SDM vol. 3, 6.12.1
 * read backwards).  The data segments are the user's before the iret.
 */
	.globl user_iret
user_iret:
	movl 4(%esp), %ecx
	movl 8(%esp), %edx
	movl 12(%esp), %eax
	movw $SEL_UDATA, %bx
	movw %bx, %ds
	movw %bx, %es
	pushl $SEL_UDATA
	pushl %edx
	pushl %eax
	pushl $SEL_UCODE
	pushl %ecx
	iretl

/*
 * uint16_t far_jump_to(sel): a far jump through memory to sel:1f reloads
 * CS; 1f reads CS back, and a direct far jump returns to SEL_KCODE.
 */
	.globl far_jump_to
far_jump_to:
	movl 4(%esp), %eax
	movw %ax, far_pointer + 4
	movl $1f, far_pointer
	ljmpl *far_pointer
1:	movl %cs, %eax
	ljmpl $SEL_KCODE, $2f
2:	movzwl %ax, %eax
	ret

	.data
	.p2align 2
far_pointer:
	.long 0
	.word 0
	.p2align 2
try_saved_esp:
	.long 0

	.bss
	.p2align 4
	.globl kstack
kstack:
	.skip MB32_KSTACK_SIZE
