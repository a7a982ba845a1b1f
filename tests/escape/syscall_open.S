/* open(path, O_WRONLY | O_CREAT, 0644) through syscall, then openat:
 * run.sh checks that the file was never created. */
#include "escape.h"
	.globl _start
_start:
	set_lstar second
	mov $2, %eax                   /* open */
	mov $path, %edi
	mov $0x41, %esi
	mov $0644, %edx
	syscall
	guest_exit 1
second:	set_lstar done
	mov $257, %eax                 /* openat(AT_FDCWD, ...) */
	mov $-100, %rdi
	mov $path, %esi
	mov $0x41, %edx
	mov $0644, %r10d
	syscall
	guest_exit 1
done:	guest_exit 42
path:	.asciz "/tmp/trapvisor-escape-open"
