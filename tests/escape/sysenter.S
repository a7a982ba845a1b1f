/* sysenter, the other fast system call: #UD in 64-bit mode on the
 * virtual CPU; with no IDT, a triple fault. */
#include "escape.h"
	.globl _start
_start:
	mov $1, %eax
	sysenter
	guest_exit 1
