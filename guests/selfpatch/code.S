/*
 * guests/selfpatch/code.S - the code selfpatch runs, reads and rewrites.
 *
 * It lies in a writable and executable section of its own (the boot
 * identity map has no NX), page-aligned, so that the C side can read it
 * as data, checksum it and rewrite it.  Each function holds
 * sensitive-unprivileged instructions that --patch patches; its bytes are
 * given where the test depends on them.
 */
	.section .data.selfpatch, "awx"
	.p2align 12
	.globl code_start
code_start:

/* uint64_t probe_pushf(void): RFLAGS as pushfq shows it.  9c 58 c3 */
	.globl probe_pushf
probe_pushf:
	pushfq
	pop %rax
	ret

/* uint64_t smc_fn(void): pushfq; pop %rax; ret (9c 58 c3) until the C
 * side rewrites its first two bytes to 31 c0 (xor %eax,%eax) and back. */
	.globl smc_fn
smc_fn:
	pushfq
	pop %rax
	ret

/* mid_fn: lsl %eax,%eax; ret (0f 03 c0 c3).  Entered at mid_tail =
 * mid_fn+1, the same bytes are 03 c0 = add %eax,%eax, then ret: a jump
 * into the middle of an instruction that --patch patched at its first
 * byte. */
	.globl mid_fn, mid_tail
mid_fn:
	.byte 0x0f
mid_tail:
	.byte 0x03, 0xc0
	ret

/* uint64_t call_eax(void *fn, uint64_t x): fn with EAX = x, as it needs. */
	.globl call_eax
call_eax:
	mov %rsi, %rax
	call *%rdi
	ret

/* cross_fn: nop, then smsw %eax (0f 01 e0) with its first byte the last
 * of this page and the rest on the next: an instruction that crosses a
 * page boundary.  The C side rewrites cross_tail (01 e0) to af c0 (imul
 * %eax,%eax, no longer sensitive) and back. */
	.p2align 12
	.skip 4094
	.globl cross_fn, cross_tail
cross_fn:
	nop
	.byte 0x0f
cross_tail:
	.byte 0x01, 0xe0
	ret
	.globl code_end
code_end:
