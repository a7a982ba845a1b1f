/*
 * tests/trace/lesson.S - a guest whose traps give one line of each kind
 * that --trace prints, for tests/trace/run.sh to compare in whole.
 *
 * Each function does one kind of thing a de-privileged kernel must trap
 * on: port I/O, control registers, MSRs and cpuid, the interrupt flag,
 * descriptor tables and segments, the TLB, int n through its own IDT, a
 * #UD and a true #PF that its handlers skip; then it exits with 42
 * through isa-debug-exit.  Written in assembly, linked at 0x200000 with
 * its symbols, so that the addresses and names in the trace are the same
 * with any compiler.  Entered by trapvisor's own protocol (monitor/boot.h):
 * 64-bit mode, the first 4 GiB identity-mapped, CS = 0x08.
 */
#define KCS 0x08
#define GATE_INT64 0x8e00       /* present, DPL 0, 64-bit interrupt gate */
#define UNMAPPED 0x8000000000   /* PML4 entry 1: no mapping */

	.text
	.globl _start
	.type _start, @function
_start:
	call serial_hello
	call control_regs
	call msrs
	call if_flag
	call descriptors
	call tlb
	call idt_init
	call traps
	mov $42, %al            /* exit(42) */
	out %al, $0xf4
	ud2
	.size _start, . - _start

/* out and in: a byte to COM1, then its line status. */
	.globl serial_hello
	.type serial_hello, @function
serial_hello:
	mov $0x3f8, %dx
	mov $'T', %al
	out %al, %dx
	mov $0x3fd, %dx
	in %dx, %al
	ret
	.size serial_hello, . - serial_hello

/* CR3 read and written back (a new shadow address space), CR0 read, CR4
 * written with its own value. */
	.globl control_regs
	.type control_regs, @function
control_regs:
	mov %cr3, %rax
	mov %rax, %cr3
	mov %cr0, %rax
	mov %cr4, %rax
	mov %rax, %cr4
	ret
	.size control_regs, . - control_regs

/* IA32_EFER read and written back; cpuid leaf 0. */
	.globl msrs
	.type msrs, @function
msrs:
	mov $0xc0000080, %ecx
	rdmsr
	wrmsr
	xor %eax, %eax
	xor %ecx, %ecx
	cpuid
	ret
	.size msrs, . - msrs

/* The virtual IF: cli, sti, and pushf/popf around them. */
	.globl if_flag
	.type if_flag, @function
if_flag:
	cli
	pushf
	sti
	popf
	ret
	.size if_flag, . - if_flag

/* sgdt into memory, lgdt of the same, and DS reloaded. */
	.globl descriptors
	.type descriptors, @function
descriptors:
	sgdt gdtr
	lgdt gdtr
	mov $0x10, %eax
	mov %eax, %ds
	ret
	.size descriptors, . - descriptors

/* A store to a fresh page (a hidden #PF fills the shadow), then invlpg. */
	.globl tlb
	.type tlb, @function
tlb:
	movq $1, 0x300000
	invlpg 0x300000
	ret
	.size tlb, . - tlb

/* setgate VECTOR, HANDLER: a 64-bit interrupt gate into idt. */
	.macro setgate vec, handler
	lea \handler(%rip), %rax
	mov %ax, idt + \vec * 16
	movw $KCS, idt + \vec * 16 + 2
	movw $GATE_INT64, idt + \vec * 16 + 4
	shr $16, %rax
	mov %ax, idt + \vec * 16 + 6
	shr $16, %rax
	mov %eax, idt + \vec * 16 + 8
	.endm

/* Gates for #UD (6), #PF (14) and int 0x80; lidt. */
	.globl idt_init
	.type idt_init, @function
idt_init:
	setgate 6, ud_handler
	setgate 14, pf_handler
	setgate 0x80, int80_handler
	lidt idtr
	ret
	.size idt_init, . - idt_init

/* int 0x80, then a #UD and a true #PF (a read of an unmapped page, a
 * 3-byte mov) that their handlers step over. */
	.globl traps
	.type traps, @function
traps:
	int $0x80
	ud2
	movabs $UNMAPPED, %rbx
	mov (%rbx), %rax        /* 48 8b 03 */
	ret
	.size traps, . - traps

	.globl int80_handler
	.type int80_handler, @function
int80_handler:
	iretq
	.size int80_handler, . - int80_handler

	.globl ud_handler
	.type ud_handler, @function
ud_handler:
	addq $2, (%rsp)         /* past ud2 */
	iretq
	.size ud_handler, . - ud_handler

	.globl pf_handler
	.type pf_handler, @function
pf_handler:
	add $8, %rsp            /* the error code */
	addq $3, (%rsp)         /* past the mov */
	iretq
	.size pf_handler, . - pf_handler

	.data
	.balign 16
idt:
	.space 256 * 16
idtr:
	.word 256 * 16 - 1
	.quad idt
gdtr:
	.word 0
	.quad 0
