/* A write to the stub page: the guest has no mapping there; #PF, triple
 * fault. */
#include "escape.h"
	.globl _start
_start:
	mov $0x700000000000, %rcx
	movq $0, (%rcx)
	guest_exit 1
