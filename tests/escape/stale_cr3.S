/* A page unmapped in one address space while another runs must be gone
 * when the first comes back.  The native engine keeps one child process
 * per address space and view (engines/native/space.c): the child of space
 * A still maps the pages A touched while it is parked, and a stale one
 * left there would let the guest reach a frame its page tables no longer
 * give it.  Space A maps VA1 (non-global), VA2 (global, CR4.PGE on) and
 * VA3; the guest reads all three in A, switches CR3 to B, removes VA1 and
 * VA2 from A's page table there (invlpg for the global VA2, which a CR3
 * write keeps; the CR3 write back to A drops VA1), and switches back: VA1
 * and VA2 must fault (#PF, not present), VA3 read as before.  Twice, with
 * CR3 going to B and back between.  The whole output and the status are
 * the same on softcpu and native (stale_cr3.out). */
#include "escape.h"
	.set VA1, SPACE_A_VA           /* PT_A's entry 0 */
	.set VA2, VA1 + 0x1000
	.set VA3, VA1 + 0x2000
	.set FRAME, 0x400000            /* VA1, VA2, VA3: three frames here */
	.globl _start
_start:
	set_gate 14, pf
	mov %cr4, %rax
	or $0x80, %rax                 /* CR4.PGE: global pages */
	mov %rax, %cr4
	two_spaces                     /* A in r15, B in r14 */
	movq $(FRAME + 3), PT_A                  /* VA1 */
	movq $(FRAME + 0x1000 + 0x103), PT_A + 8 /* VA2, global */
	movq $(FRAME + 0x2000 + 3), PT_A + 16    /* VA3 */
	movq $0x1111, FRAME
	movq $0x2222, FRAME + 0x1000
	movq $0x3333, FRAME + 0x2000
	print_str m_a
	call touch
	mov %r14, %cr3                 /* B */
	movq $0, PT_A                  /* VA1 and VA2 leave A */
	movq $0, PT_A + 8
	mov $VA2, %rbx
	invlpg (%rbx)
	print_str m_b
	mov %r15, %cr3                 /* A again */
	print_str m_a
	call touch
	mov %r14, %cr3
	mov %r15, %cr3
	print_str m_a
	call touch
	guest_exit 42

/* Read VA1, VA2, VA3 and print what each gave (0xdead: it faulted). */
touch:	mov $VA1, %rbx
	call load
	mov $VA2, %rbx
	call load
	mov $VA3, %rbx
	call load
	print_str m_nl
	ret
load:	mov $0xdead, %rax
	movq (%rbx), %rax              /* 48 8b 03: the #PF handler skips 3 */
	mov %rax, %rcx
	print_str m_sp
	print_hex %rcx
	ret

/* #PF: say where and why, skip the load. */
pf:	push %rax
	push %rsi
	print_str m_pf
	mov %cr2, %rax
	call serial_hex
	print_str m_err
	print_hex 16(%rsp)
	print_str m_nl
	pop %rsi
	pop %rax
	add $8, %rsp
	addq $3, (%rsp)
	iretq
	serial_routines
m_a:	.asciz "A:"
m_b:	.asciz "B\n"
m_sp:	.asciz " "
m_nl:	.asciz "\n"
m_pf:	.asciz "\n#PF cr2="
m_err:	.asciz " err="
