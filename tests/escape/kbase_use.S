/* A load through a kernel-half GS base, as a real kernel's per-CPU data:
 * the host process cannot reach 0xffff888000000008, and must not read
 * some other address in its place.  The native engine stops the guest and
 * says why (on softcpu, with nothing mapped there and no IDT, a triple
 * fault). */
#include "escape.h"
	.globl _start
_start:
	mov $0xc0000101, %ecx   /* IA32_GS_BASE */
	xor %eax, %eax
	mov $0xffff8880, %edx
	wrmsr
	mov %gs:8, %rax
	guest_exit 1
