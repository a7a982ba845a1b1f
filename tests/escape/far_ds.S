/* mov of 0x2b, the host's user data selector, to DS, where the guest's
 * GDT has a segment not present: softcpu gives #NP(0x28) (far_ds.out);
 * native loads the host's segment without a fault and stops the VM in
 * one line at the next stop. */
#include "escape.h"
	.globl _start
_start:
	far_setup
	mov $0x2b, %eax
	mov %eax, %ds
	hlt
	guest_exit 1
	far_handlers
