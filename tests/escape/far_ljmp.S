/* ljmp through a far pointer to 0x23:compat: as far_lret.S, for the far
 * jump (softcpu: #GP(0x20), far_ljmp.out; native: one line). */
#include "escape.h"
	.globl _start
_start:
	far_setup
	ljmpl *farptr
	guest_exit 1
compat:	hlt
	guest_exit 2
farptr:	.long compat
	.word 0x23
	far_handlers
