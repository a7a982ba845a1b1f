/* execve("/bin/sh", {"/bin/sh", "-c", "touch ..."}, NULL) through
 * syscall: run.sh checks that the file was never created. */
#include "escape.h"
	.globl _start
_start:
	set_lstar done
	mov $59, %eax
	mov $sh, %edi
	mov $argv, %esi
	xor %edx, %edx
	syscall
	guest_exit 1
done:	guest_exit 42
sh:	.asciz "/bin/sh"
dash_c:	.asciz "-c"
cmd:	.asciz "touch /tmp/trapvisor-escape-exec"
	.balign 8
argv:	.quad sh, dash_c, cmd, 0
