/* The 32-bit system call gate: int 0x80 with write(1, msg, len) in
 * EAX, EBX, ECX, EDX goes to the guest's own IDT gate 0x80. */
#include "escape.h"
	.globl _start
_start:
	set_gate 0x80, gate
	mov $4, %eax
	mov $1, %ebx
	mov $msg, %ecx
	mov $len, %edx
	int $0x80
	guest_exit 1
gate:	cmp $4, %eax
	jne 1f
	guest_exit 43
1:	guest_exit 2
msg:	.ascii "escaped: int 0x80 write reached the host\n"
	.set len, . - msg
