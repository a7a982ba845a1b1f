/* write(1, msg, len) through syscall: the guest's own LSTAR gets it,
 * with RAX still 1 (a host write would have printed and returned). */
#include "escape.h"
	.globl _start
_start:
	set_lstar entry
	mov $1, %eax
	mov $1, %edi
	mov $msg, %esi
	mov $len, %edx
	syscall
	guest_exit 1
entry:	cmp $1, %rax
	jne 1f
	guest_exit 42
1:	guest_exit 2
msg:	.ascii "escaped: write reached the host\n"
	.set len, . - msg
