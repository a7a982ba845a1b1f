/* The guest's x87/SSE/AVX state must follow it from child to child.  The
 * native engine runs each address space in a child process of its own
 * (engines/native/space.c) and moves the XSAVE state with the registers
 * at each switch.  The guest puts values in XMM0, XMM1 and the upper half
 * of YMM0 in space A, switches CR3 to B, changes XMM2 there, and comes
 * back to A, three times; every value must be as it left it: status 42,
 * else 43 (native only: softcpu's model has no SSE). */
#include "escape.h"
	.globl _start
_start:
	mov %cr3, %r15
	and $~0xfff, %r15              /* space A: the boot PML4 */
	mov $PML4_B, %rdi
	mov $512, %ecx
	xor %eax, %eax
	rep stosq
	mov (%r15), %rax
	mov %rax, PML4_B               /* B: the boot identity map too */
	mov $PML4_B, %r14
	mov $0x1122334455667788, %rax
	movq %rax, %xmm0
	mov $0x99aabbccddeeff00, %rax
	movq %rax, %xmm1
	vinsertf128 $1, %xmm1, %ymm0, %ymm0  /* YMM0's upper half: XMM1 */
	mov $3, %r13
1:	mov %r14, %cr3                 /* B: another child runs */
	mov $0x0123456789abcdef, %rax
	movq %rax, %xmm2
	mov %r15, %cr3                 /* A again */
	dec %r13
	jnz 1b
	mov $0x1122334455667788, %rdx
	movq %xmm0, %rax
	cmp %rdx, %rax
	jne bad
	mov $0x99aabbccddeeff00, %rdx
	movq %xmm1, %rax
	cmp %rdx, %rax
	jne bad
	vextractf128 $1, %ymm0, %xmm3
	movq %xmm3, %rax
	cmp %rdx, %rax
	jne bad
	mov $0x0123456789abcdef, %rdx
	movq %xmm2, %rax
	cmp %rdx, %rax
	jne bad
	guest_exit 42
bad:	guest_exit 43
