/* What a CR3 load leaves of a space's pages, and what the guest sees of
 * the walk that brings them back.  The native engine keeps each page its
 * parked child of that space maps if the guest's tables still map it, and
 * fetches it into the shadow ahead of the access (shadowpt_prefetch)
 * only when every accessed flag on the way is set already: the guest must
 * not see an accessed or dirty flag it did not earn, nor the frame its
 * tables no longer give.  Space A maps VA1, VA3, VA4 (non-global, P|W);
 * the guest reads all three in A (A set in each entry, D in none),
 * switches CR3 to B and there points VA1 at another frame (A already set
 * in the new entry, so the prefetch takes it) and clears VA3's A; back in
 * A it prints the entries' low bits before touching anything (VA3's A
 * and VA4's D still clear), then reads VA1 (the new frame's value), VA3
 * (its A set again by that read), writes VA4 (D set by that write) and
 * prints the entries again.  Twice, with CR3 going to B and back between.
 * The whole output and the status are the same on softcpu and native
 * (cr3_prefetch.out). */
#include "escape.h"
	.set VA1, SPACE_A_VA           /* PT_A's entry 0 */
	.set VA3, VA1 + 0x2000
	.set VA4, VA1 + 0x3000
	.set FRAME, 0x400000           /* F1, F2, F3, F4 from here */
	.globl _start
_start:
	two_spaces                     /* A in r15, B in r14 */
	movq $0x1111, FRAME
	movq $0x2222, FRAME + 0x1000
	movq $0x3333, FRAME + 0x2000
	movq $0x4444, FRAME + 0x3000
	mov $2, %r13d
round:	movq $(FRAME + 3), PT_A               /* VA1 -> F1 */
	movq $(FRAME + 0x2000 + 3), PT_A + 16 /* VA3 -> F3 */
	movq $(FRAME + 0x3000 + 3), PT_A + 24 /* VA4 -> F4, clean */
	mov %r15, %cr3                 /* A, the new entries in force */
	print_str m_a
	mov $VA1, %rbx
	call load
	mov $VA3, %rbx
	call load
	mov $VA4, %rbx
	call load
	call flags
	mov %r14, %cr3                 /* B */
	movq $(FRAME + 0x1000 + 0x23), PT_A   /* VA1 -> F2, A set */
	andq $~0x20, PT_A + 16                /* VA3's A cleared */
	print_str m_b
	mov %r15, %cr3                 /* A again */
	print_str m_a
	call flags
	mov $VA1, %rbx
	call load
	mov $VA3, %rbx
	call load
	mov $VA4, %rbx
	movq $0x5555, (%rbx)           /* the first write: D */
	call load
	call flags
	dec %r13d
	jnz round
	guest_exit 42

/* Read the quadword at rbx and print it. */
load:	movq (%rbx), %rcx
	print_str m_sp
	print_hex %rcx
	ret

/* Print the low 12 bits (P W A D ...) of the entries of VA1, VA3, VA4. */
flags:	print_str m_fl
	mov PT_A, %rcx
	call low12
	mov PT_A + 16, %rcx
	call low12
	mov PT_A + 24, %rcx
	call low12
	print_str m_nl
	ret
low12:	and $0xfff, %rcx
	print_str m_sp
	print_hex %rcx
	ret
	serial_routines
m_a:	.asciz "A:"
m_b:	.asciz "B\n"
m_sp:	.asciz " "
m_nl:	.asciz "\n"
m_fl:	.asciz "\n flags"
