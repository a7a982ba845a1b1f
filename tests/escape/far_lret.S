/* lret to selector 0x23, which the host's GDT gives ring 3 as its 32-bit
 * user code and the guest's GDT as a data segment: softcpu gives the
 * guest #GP(0x20) (far_lret.out); on native the CPU takes the host's
 * segment without a fault, and the engine stops the VM in one line at the
 * next stop instead of decoding 32-bit code as 64-bit. */
#include "escape.h"
	.globl _start
_start:
	far_setup
	push $0x23
	push $compat
	lretq
	guest_exit 1
compat:	hlt                            /* a stop at once on native */
	guest_exit 2
	far_handlers
