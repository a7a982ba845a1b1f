/* A guest that never traps once it runs: a compute loop that waits for
 * five timer interrupts counted by its IRQ 0 handler.  On native the
 * monitor must stop the child by the host clock to deliver them. */
#include "escape.h"
	.globl _start
_start:
	set_gate 0x20, tick
	mov $0x11, %al; out %al, $0x20 /* ICW1: edge, cascade, ICW4 */
	mov $0x20, %al; out %al, $0x21 /* ICW2: vectors 0x20.. */
	mov $0x04, %al; out %al, $0x21 /* ICW3: slave on IRQ 2 */
	mov $0x01, %al; out %al, $0x21 /* ICW4: 8086 mode */
	mov $0xfe, %al; out %al, $0x21 /* OCW1: only IRQ 0 */
	mov $0x34, %al; out %al, $0x43 /* PIT channel 0, mode 2 */
	mov $(1193 & 0xff), %al; out %al, $0x40 /* 1000 Hz */
	mov $(1193 >> 8), %al; out %al, $0x40
	sti
1:	cmpq $5, count
	jb 1b
	cli
	guest_exit 42
tick:	incq count
	push %rax
	mov $0x20, %al                 /* EOI */
	out %al, $0x20
	pop %rax
	iretq
	.data
count:	.quad 0
