/* sysenter as an i386 creat("/tmp/trapvisor-escape-sysenter", 0644), with
 * [rbp] readable: on an Intel host this is the way into the host kernel's
 * 32-bit system call path that gets as far as the call (EBP is read from
 * [(u32)RBP], then the i386 call number in EAX).  The virtual CPU raises
 * #UD, and the guest's #UD gate stops with 43; the native engine on an
 * Intel host must stop the guest instead (RIP is lost), with the file
 * never created. */
#include "escape.h"
	.globl _start
_start:
	set_gate 6, undefined
	mov $path, %ebx         /* i386 arguments: EBX, ECX */
	mov $0644, %ecx
	mov $path, %ebp         /* readable: this very page */
	mov $8, %eax            /* __NR_creat on i386 */
	sysenter
	guest_exit 1
undefined:
	guest_exit 43
path:	.asciz "/tmp/trapvisor-escape-sysenter"
