/*
 * guests/bench/kloops.S - the kernel-mode loops whose exact instructions
 * matter: call/ret, and the divide by zero whose #DE handler (bench.c)
 * skips the two-byte "divl %ecx" at bench_div_insn.
 */
	.text

/* rdi = iterations: one call and one ret each. */
	.globl bench_call_loop
bench_call_loop:
1:	call bench_ret
	dec %rdi
	jnz 1b
	ret
bench_ret:
	ret

/* rdi = iterations: one #DE each. */
	.globl bench_div_loop
	.globl bench_div_insn
	.globl bench_div_next
bench_div_loop:
	xor %ecx, %ecx
1:	xor %edx, %edx
	mov $1, %eax
bench_div_insn:
	divl %ecx
bench_div_next:
	dec %rdi
	jnz 1b
	ret
