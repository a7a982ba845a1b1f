/*
 * tests/badinput/mb32.S - a tiny multiboot kernel for the loader's tests
 * (suites badinput and qemucli): it checks EAX, prints its command line,
 * its first module's string and that module's bytes on COM1, and exits
 * with 0x21 through isa-debug-exit (0x13 if EAX is wrong or there is no
 * module).
 *
 * Knobs (-D): MB_FLAGS (default 3: page-aligned modules, memory
 * information), MB_CHECKSUM_ERR (added to the checksum), AOUT (give the
 * address fields, flag 16, for a raw binary made with objcopy).
 *
 * It needs no stack (ESP is undefined at entry) and uses only
 * instructions whose bytes mean the same in 32-bit and 64-bit code.
 */
#ifndef MB_FLAGS
#define MB_FLAGS 3
#endif
#ifndef MB_CHECKSUM_ERR
#define MB_CHECKSUM_ERR 0
#endif
#ifdef AOUT
#define FLAGS (MB_FLAGS | 0x10000)
#else
#define FLAGS MB_FLAGS
#endif
#define COM1 0x3f8

/* Print bytes from \from up to a NUL (\end = 0) or up to \end. */
.macro PUTS from, end
1:	cmp \end, \from
	je 2f
	movzbl (\from), %eax
	test %al, %al
	jz 2f
	mov $COM1, %dx
	out %al, %dx
	add $1, \from
	jmp 1b
2:	mov $10, %al
	mov $COM1, %dx
	out %al, %dx
.endm

	.text
	.globl _start
	.align 4
mbh:	.long 0x1BADB002
	.long FLAGS
	.long -(0x1BADB002 + FLAGS) + MB_CHECKSUM_ERR
#ifdef AOUT
	.long mbh           /* header_addr */
	.long mbh           /* load_addr: the file starts with the header */
	.long 0             /* load_end_addr: the whole file */
	.long 0             /* bss_end_addr: none */
	.long _start        /* entry_addr */
#endif

_start:
	cmp $0x2BADB002, %eax
	jne fail
	xor %ecx, %ecx
	mov 16(%ebx), %esi          /* cmdline */
	PUTS %esi, %ecx
	cmpl $0, 20(%ebx)           /* mods_count */
	je fail
	mov 24(%ebx), %edi          /* mods_addr */
	mov 8(%edi), %esi           /* the first module's string */
	PUTS %esi, %ecx
	mov (%edi), %esi            /* mod_start */
	mov 4(%edi), %ecx           /* mod_end */
	PUTS %esi, %ecx
	mov $0x21, %al
	out %al, $0xf4
fail:
	mov $0x13, %al
	out %al, $0xf4
3:	hlt
	jmp 3b
