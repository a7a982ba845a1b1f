/* A syscall the guest places at 0x6ffffffffffe, the last two bytes below
 * the native engine's stub page, on its own page: it returns to
 * 0x700000000000, the stub's first byte.  It must reach the guest's LSTAR
 * with RCX = 0x700000000000 and RAX (getpid) untouched, on softcpu and on
 * native alike; the host never runs it (tests/escape/seccomp.c checks
 * that the seccomp filter would refuse it too). */
#include "escape.h"
	.set VA, 0x6ffffffff000
	.globl _start
_start:
	set_lstar entry
	map_page VA, 0x400000
	mov $(VA + 0xffe), %rdi
	movw $0x050f, (%rdi)           /* syscall */
	mov $39, %eax                  /* getpid, should it ever run */
	jmp *%rdi
entry:	mov %rcx, %r12
	mov %rax, %r13
	print_str m_rcx
	print_hex %r12
	print_str m_rax
	print_hex %r13
	print_str m_nl
	guest_exit 42
	serial_routines
m_rcx:	.asciz "syscall: rcx="
m_rax:	.asciz " rax="
m_nl:	.asciz "\n"
