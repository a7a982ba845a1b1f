/* kill(getppid(), SIGKILL) through syscall: getppid in the guest's
 * process would name the monitor.  Had getppid reached the host, RAX
 * would hold a pid; it must still be 110.  (The kill then names a pid
 * that cannot exist, so that nothing is hurt if it did reach the host;
 * run.sh sees the monitor alive by its exit status.) */
#include "escape.h"
	.globl _start
_start:
	set_lstar second
	mov $110, %eax                 /* getppid */
	syscall
	guest_exit 1
second:	cmp $110, %rax
	jne 1f
	set_lstar done
	mov $0x3ffffff0, %edi          /* no such pid */
	mov $62, %eax                  /* kill */
	mov $9, %esi
	syscall
	guest_exit 1
done:	guest_exit 42
1:	guest_exit 3
