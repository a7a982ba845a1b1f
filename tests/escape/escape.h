/*
 * tests/escape/escape.h - macros shared by the escape guests.
 *
 * Each escape guest is a tiny ELF64 kernel linked at 0x200000 (see run.sh)
 * that tries one way out of the virtual machine into the host.  It starts
 * as trapvisor's boot protocol leaves it (monitor/boot.h): CPL 0, paging
 * on with the first 4 GiB identity-mapped by 2 MiB pages from CR3, no IDT.
 * It ends by writing a status to QEMU's isa-debug-exit port, or in a
 * triple fault when the way out faults and it has no IDT to catch it.
 */
#define MSR_LSTAR 0xc0000082
#define EXIT_PORT 0xf4
#define SCRATCH_TABLES 0x500000 /* PDPT, PD, PT for one extra mapping */
#define IDT_BASE 0x300000

/* Stop the VM with status code (trapvisor exits with it). */
.macro guest_exit code
	mov $\code, %al
	out %al, $EXIT_PORT
1:	jmp 1b
.endm

/* The guest's syscall entry point: LSTAR = label. */
.macro set_lstar label
	mov $MSR_LSTAR, %ecx
	mov $\label, %eax
	xor %edx, %edx
	wrmsr
.endm

/* An IDT at IDT_BASE with one 64-bit interrupt gate, DPL 0, for vector. */
.macro set_gate vector, label
	mov $(IDT_BASE + \vector * 16), %rdi
	mov $\label, %eax
	mov %ax, (%rdi)                /* offset 15:0 */
	movw $0x08, 2(%rdi)            /* the boot code selector */
	movw $0x8e00, 4(%rdi)          /* P, DPL 0, 64-bit interrupt gate */
	shr $16, %eax
	mov %ax, 6(%rdi)               /* offset 31:16 */
	movq $0, 8(%rdi)               /* offset 63:32, reserved */
	sub $16, %rsp
	movw $0xfff, (%rsp)
	movq $IDT_BASE, 2(%rsp)
	lidt (%rsp)
	add $16, %rsp
.endm

/*
 * Map one 4 KiB page at linear va to physical pa (P|W, supervisor) with
 * fresh tables at SCRATCH_TABLES hung from the boot PML4.
 */
.macro map_page va, pa
	mov %cr3, %rdi
	and $~0xfff, %rdi
	movq $(SCRATCH_TABLES + 0x1003), (((\va >> 39) & 511) * 8)(%rdi)
	movq $(SCRATCH_TABLES + 0x2003), SCRATCH_TABLES + ((\va >> 30) & 511) * 8 + 0x1000
	movq $(SCRATCH_TABLES + 0x3003), SCRATCH_TABLES + ((\va >> 21) & 511) * 8 + 0x2000
	movq $(\pa + 3), SCRATCH_TABLES + ((\va >> 12) & 511) * 8 + 0x3000
	mov %cr3, %rax
	mov %rax, %cr3
.endm

/*
 * Two address spaces, for the guests that switch CR3 (stale_cr3.S,
 * cr3_prefetch.S).  Space A is the boot PML4 (its address in r15) with
 * one more entry, PML4 entry 1 (linear SPACE_A_VA up), through PDPT_A and
 * PD_A to PT_A, which is left empty for the guest to fill; space B is a
 * PML4 of its own at PML4_B (its address in r14) holding the boot
 * identity map (A's entry 0) alone.  All four tables are zeroed first.
 */
#define SPACE_A_VA 0x8000000000 /* PML4 entry 1: outside the boot map */
#define PDPT_A SCRATCH_TABLES
#define PD_A (SCRATCH_TABLES + 0x1000)
#define PT_A (SCRATCH_TABLES + 0x2000)
#define PML4_B (SCRATCH_TABLES + 0x10000)

.macro two_spaces
	mov %cr3, %r15
	and $~0xfff, %r15              /* space A: the boot PML4 */
	mov $SCRATCH_TABLES, %rdi
	mov $((PML4_B + 0x1000 - SCRATCH_TABLES) / 8), %ecx
	xor %eax, %eax
	rep stosq                      /* A's tables and B's PML4, zeroed */
	movq $(PD_A + 3), PDPT_A
	movq $(PT_A + 3), PD_A
	movq $(PDPT_A + 3), 8(%r15)
	mov (%r15), %rax
	mov %rax, PML4_B               /* B: the boot identity map only */
	mov $PML4_B, %r14
.endm

/*
 * Serial output, for the guests whose whole output is compared between
 * softcpu and native (run.sh: alike).  The routines go into a guest once,
 * with serial_routines; print_str and print_hex keep every register but
 * RSI and RAX.
 */
#define COM1 0x3f8

/* Print the NUL-terminated string at label. */
.macro print_str label
	mov $\label, %rsi
	call serial_puts
.endm

/* Print a register or immediate as 16 hex digits. */
.macro print_hex val
	mov \val, %rax
	call serial_hex
.endm

.macro serial_routines
serial_puts:
	push %rdx
	mov $COM1, %dx
1:	lodsb
	test %al, %al
	jz 2f
	out %al, %dx
	jmp 1b
2:	pop %rdx
	ret
serial_hex:
	push %rbx
	push %rcx
	push %rdx
	mov %rax, %rbx
	mov $16, %ecx
	mov $COM1, %dx
1:	rol $4, %rbx
	mov %ebx, %eax
	and $15, %eax
	cmp $10, %eax
	jb 2f
	add $('a' - '0' - 10), %eax
2:	add $'0', %eax
	out %al, %dx
	dec %ecx
	jnz 1b
	pop %rdx
	pop %rcx
	pop %rbx
	ret
.endm

/*
 * The host-selector guests (far_*.S): a GDT of the guest's own in which
 * the selectors the host's GDT gives ring 3 mean something else -- 0x20
 * (the host's 32-bit user code, 0x23) a data segment, 0x28 (the host's
 * user data, 0x2b) a data segment not present, 0x30 (the host's 64-bit
 * user code) empty -- and #GP and #NP handlers that print the error code
 * and RIP and stop with status 42.  far_setup loads both.
 */
.macro far_setup
	lgdt far_gdtr
	set_gate 13, far_gp
	set_gate 11, far_np
.endm

.macro far_handlers
far_gp:	print_str far_m_gp
	jmp far_frame
far_np:	print_str far_m_np
far_frame:
	print_hex (%rsp)
	print_str far_m_rip
	print_hex 8(%rsp)
	print_str far_m_nl
	guest_exit 42
	serial_routines
far_m_gp: .asciz "#GP err="
far_m_np: .asciz "#NP err="
far_m_rip: .asciz " rip="
far_m_nl: .asciz "\n"
	.balign 8
far_gdt:
	.quad 0
	.quad 0x00af9a000000ffff       /* 0x08: 64-bit code, DPL 0 */
	.quad 0x00cf92000000ffff       /* 0x10: data, DPL 0 */
	.quad 0
	.quad 0x00cff2000000ffff       /* 0x20: data, DPL 3 */
	.quad 0x00cf72000000ffff       /* 0x28: data, DPL 3, not present */
	.quad 0                        /* 0x30: null */
far_gdt_end:
far_gdtr:
	.word far_gdt_end - far_gdt - 1
	.quad far_gdt
.endm
