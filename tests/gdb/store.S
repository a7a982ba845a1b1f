/*
 * tests/gdb/store.S - stores that only the monitor makes, for gdb's
 * watchpoints (tests/gdb/run.sh).  Nothing here is written by the
 * engine; each store reaches guest RAM through shadowpt's gva_write:
 *
 *   - under --isa=strict sidt traps (#GP(0), as UMIP makes it) and the
 *     monitor emulates it: the pseudo-descriptor lands in idt_copy, and
 *     the watch stops after the instruction, at stored;
 *   - ud2 raises #UD, which the monitor delivers through the IDT this
 *     code builds: the exception frame pushed on the stack (its RIP
 *     slot at stack_top - 40) stops the watch at the handler's first
 *     instruction, the delivery done.
 *
 * untouched is never written: a watch on it never stops.  The handler
 * exits with status 0 (port 0xf4, isa-debug-exit).
 */
#define UD_VECTOR 6
#define GATE_SIZE 16

	.globl _start
_start:
	lea stack_top(%rip), %rsp
	sidt idt_copy(%rip)
	.globl stored
stored:
	/* The #UD gate: a 64-bit interrupt gate (P, DPL 0, type 0xe) in
	 * the boot GDT's code segment (0x08), pointing at handler. */
	lea handler(%rip), %rax
	lea idt + UD_VECTOR * GATE_SIZE(%rip), %rdi
	mov %ax, (%rdi)
	movw $0x08, 2(%rdi)
	movw $0x8e00, 4(%rdi)
	shr $16, %rax
	mov %ax, 6(%rdi)
	shr $16, %rax
	mov %eax, 8(%rdi)
	lidt idtr(%rip)
	.globl fault
fault:
	ud2
	.globl handler
handler:
	mov $0, %al
	out %al, $0xf4
	hlt

	.data
	.balign 16
	.globl untouched, idt_copy
untouched:
	.quad 0, 0
idt_copy:			/* not what sidt stores (limit 0, base 0):
				   gdb reports a write that changes a value */
	.quad -1, -1
idtr:
	.word (UD_VECTOR + 1) * GATE_SIZE - 1
	.quad idt
	.balign 16
idt:
	.fill (UD_VECTOR + 1) * GATE_SIZE, 1, 0
stack:
	.fill 256, 1, 0
	.globl stack_top
stack_top:
