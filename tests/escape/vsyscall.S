/* A call into the host kernel's legacy vsyscall page (gettimeofday at
 * 0xffffffffff600000, emulated by the host kernel, not a syscall that
 * PTRACE_SYSEMU sees): the native engine's seccomp filter turns it into
 * a fault; the guest has no mapping there: #PF, triple fault. */
#include "escape.h"
	.globl _start
_start:
	mov $0x400000, %edi
	xor %esi, %esi
	mov $0xffffffffff600000, %rax
	call *%rax
	guest_exit 1
