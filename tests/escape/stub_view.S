/* The guest's view of linear memory at and around the native engine's
 * stub page (0x700000000000) must be what its own page tables grant,
 * on every engine: with no guest mapping there, a read, a write, a jump
 * and an instruction running into it from the page below are each a #PF
 * at 0x700000000000, and an int3 on the guest's own page just below it is
 * a #BP (RIP after it: 0x700000000000).  Each fault prints its frame;
 * the output and status are compared between softcpu and native
 * (stub_view.out). */
#include "escape.h"
	.set STUB, 0x700000000000
	.set BELOW, 0x6ffffffff000     /* the guest's own page below it */
	.globl _start
_start:
	set_gate 14, pf
	set_gate 3, bp
	map_page BELOW, 0x400000
	mov %rsp, saved_rsp
	movq $s_write, next
	mov $STUB, %rcx
	mov (%rcx), %rax               /* a read */
	print_str m_bad
s_write:
	movq $s_jump, next
	mov $STUB, %rcx
	movq $0, (%rcx)                /* a write */
	print_str m_bad
s_jump:
	movq $s_into, next
	mov $STUB, %rcx
	jmp *%rcx                      /* a fetch */
s_into:
	movq $s_int3, next
	mov $(STUB - 2), %rdi
	movw $0xb890, (%rdi)           /* nop; mov $imm32, %eax: the imm32
	                                  would come from the stub page */
	mov $0x11111111, %eax
	jmp *%rdi
s_int3:
	movq $s_done, next
	mov $(STUB - 1), %rdi
	movb $0xcc, (%rdi)             /* int3, the last byte below it */
	jmp *%rdi
s_done:
	guest_exit 42

/* #PF: print CR2, the error code and RIP, go on with the next step. */
pf:	print_str m_pf
	mov %cr2, %rbx
	print_hex %rbx
	print_str m_err
	print_hex (%rsp)
	print_str m_rip
	print_hex 8(%rsp)
	print_str m_nl
	jmp resume
/* #BP: print RIP (after the int3), go on. */
bp:	print_str m_bp
	print_hex (%rsp)
	print_str m_nl
resume:	mov saved_rsp, %rsp
	jmp *next
	serial_routines
m_pf:	.asciz "#PF cr2="
m_err:	.asciz " err="
m_rip:	.asciz " rip="
m_bp:	.asciz "#BP rip="
m_nl:	.asciz "\n"
m_bad:	.asciz "no fault\n"
	.balign 8
saved_rsp: .quad 0
next:	.quad 0
