/*
 * tests/badinput/mb32.S - a tiny multiboot kernel for the loader's tests
 * (suites badinput, qemu and qemucli): it checks EAX, prints its command
 * line, its first module's string and that module's bytes on COM1; then
 * what a kernel learns from the firmware: the MADT's LAPIC address and
 * entries (found from the RSDP by a scan of 0xe0000-0xfffff, then the
 * RSDT), and the MP table's LAPIC address, processor and IOAPIC entries
 * (found by xv6's search: the EBDA's first KiB, then 0xf0000-0xfffff).
 * It exits with 0x21 through isa-debug-exit (0x13 if EAX is wrong, there
 * is no module, or a table is missing).
 *
 * Knobs (-D): MB_FLAGS (default 3: page-aligned modules, memory
 * information), MB_CHECKSUM_ERR (added to the checksum), AOUT (give the
 * address fields, flag 16, for a raw binary made with objcopy).
 *
 * It needs no stack (ESP is undefined at entry) and uses only
 * instructions whose bytes mean the same in 32-bit and 64-bit code (no
 * inc/dec, push/pop or absolute memory operands), so that it runs
 * before trapvisor's 32-bit CPU does.
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
.macro PUTC c
	mov $\c, %al
	mov $COM1, %dx
	out %al, %dx
.endm

/* Print \val (a register or memory) as 8 hex digits, then c.  Uses EAX,
 * ECX, EDX and EBP. */
.macro PUTHEX val, c
	mov \val, %ebp
	mov $8, %ecx
1:	rol $4, %ebp
	mov %ebp, %eax
	and $15, %eax
	cmp $10, %eax
	jb 2f
	add $('a' - '0' - 10), %eax
2:	add $'0', %eax
	mov $COM1, %dx
	out %al, %dx
	sub $1, %ecx
	jnz 1b
	PUTC \c
.endm

/* Print the byte at \mem as 8 hex digits, then c. */
.macro PUTBYTE mem, c
	movzbl \mem, %esi
	PUTHEX %esi, \c
.endm

/* Search [\from, \end) on 16-byte steps for the 8 bytes lo, hi (hi 0:
 * 4 bytes); jump to \found with ESI on them. */
.macro SEARCH from, end, lo, hi, found
	mov \from, %esi
	mov \end, %ebx
1:	cmp %ebx, %esi
	jae 3f
	cmpl $\lo, (%esi)
	jne 2f
	.if \hi
	cmpl $\hi, 4(%esi)
	je \found
	.else
	jmp \found
	.endif
2:	add $16, %esi
	jmp 1b
3:
.endm

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

	/* ACPI: "RSD PTR " -> RSDT -> the "APIC" table */
	SEARCH $0xe0000, $0x100000, 0x20445352, 0x20525450, rsdp
	jmp fail
rsdp:	mov 16(%esi), %esi          /* RsdtAddress */
	mov 4(%esi), %ebx
	add %esi, %ebx              /* the RSDT's end */
	add $36, %esi               /* its first entry */
4:	cmp %ebx, %esi
	jae fail
	mov (%esi), %edi
	cmpl $0x43495041, (%edi)    /* "APIC" */
	je madt
	add $4, %esi
	jmp 4b
madt:	PUTC 'a'
	PUTC ' '
	PUTHEX 36(%edi), ' '        /* the LAPIC address */
	PUTHEX 40(%edi), 10         /* flags */
	mov 4(%edi), %ebx
	add %edi, %ebx              /* the MADT's end */
	add $44, %edi
5:	cmp %ebx, %edi
	jae mp
	movzbl (%edi), %eax
	cmp $1, %eax
	je 6f
	cmp $2, %eax
	je 7f
	cmp $4, %eax
	je 8f
	PUTBYTE (%edi), ' '         /* a processor's LAPIC: its ID */
	PUTBYTE 3(%edi), 10
	jmp 9f
6:	PUTBYTE (%edi), ' '         /* the IOAPIC: ID, address, GSI base */
	PUTBYTE 2(%edi), ' '
	PUTHEX 4(%edi), ' '
	PUTHEX 8(%edi), 10
	jmp 9f
7:	PUTBYTE (%edi), ' '         /* an override: IRQ, GSI, flags */
	PUTBYTE 3(%edi), ' '
	PUTHEX 4(%edi), ' '
	movzwl 8(%edi), %esi
	PUTHEX %esi, 10
	jmp 9f
8:	PUTBYTE (%edi), ' '         /* LAPIC NMI: processor, LINT */
	PUTBYTE 2(%edi), ' '
	PUTBYTE 5(%edi), 10
9:	movzbl 1(%edi), %eax
	add %eax, %edi
	jmp 5b

	/* MP: "_MP_" in the EBDA's first KiB, else in 0xf0000-0xfffff */
mp:	mov $0x400, %edi
	movzwl 0xe(%edi), %edi
	shl $4, %edi
	mov %edi, %ecx
	add $1024, %ecx
	SEARCH %edi, %ecx, 0x5f504d5f, 0, mpfloat
	SEARCH $0xf0000, $0x100000, 0x5f504d5f, 0, mpfloat
	jmp fail
mpfloat:
	mov 4(%esi), %edi           /* the configuration table */
	cmpl $0x504d4350, (%edi)    /* "PCMP" */
	jne fail
	PUTC 'm'
	PUTC ' '
	PUTHEX 36(%edi), 10         /* the LAPIC address */
	PUTBYTE 44(%edi), ' '       /* the first entry: the processor */
	PUTBYTE 45(%edi), ' '
	PUTBYTE 46(%edi), 10
	movzwl 4(%edi), %ebx
	add %edi, %ebx              /* the table's end */
	add $64, %edi               /* past the processor entry */
10:	cmp %ebx, %edi
	jae fail
	cmpb $2, (%edi)             /* the IOAPIC entry */
	je 11f
	add $8, %edi
	jmp 10b
11:	PUTBYTE 1(%edi), ' '
	PUTBYTE 2(%edi), ' '
	PUTHEX 4(%edi), 10
	mov $0x21, %al
	out %al, $0xf4
fail:
	mov $0x13, %al
	out %al, $0xf4
3:	hlt
	jmp 3b
