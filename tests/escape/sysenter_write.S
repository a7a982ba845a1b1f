/* sysenter as an i386 write(1, msg, 6), with [rbp] readable: as
 * sysenter_creat.S, and nothing may reach the monitor's standard output. */
#include "escape.h"
	.globl _start
_start:
	set_gate 6, undefined
	mov $1, %ebx            /* i386 arguments: EBX, ECX, EDX */
	mov $msg, %ecx
	mov $6, %edx
	mov $msg, %ebp          /* readable: this very page */
	mov $4, %eax            /* __NR_write on i386 */
	sysenter
	guest_exit 1
undefined:
	guest_exit 43
msg:	.ascii "ESCAPE"
