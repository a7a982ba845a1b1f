/*
 * guests/selfpatch/code.S - the code selfpatch runs, reads and rewrites.
 *
 * It lies in a writable and executable section of its own (the boot
 * identity map has no NX), page-aligned, so that the C side can read it
 * as data, checksum it and rewrite it.  Each function holds
 * sensitive-unprivileged instructions that --patch patches; its bytes are
 * given where the test depends on them.
 */
	.section .data.selfpatch, "aw", @progbits
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

/* A page the kernel runs at CPL 0 only after user code ran it at CPL 3
 * through an alias (selfpatch.c, alias()): shared_fn is pushfq; pop %rax;
 * ret, and shared_user, at offset 0x10, the user code that calls it and
 * goes back to the kernel with syscall. */
	.p2align 12
	.globl shared_page, shared_fn, shared_user
shared_page:
shared_fn:
	pushfq
	pop %rax
	ret
	.p2align 4
shared_user:
	call shared_fn
	syscall
	ud2

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

/*
 * uint64_t to_user(uint64_t rip, uint64_t rflags, uint64_t rsp): sysretq
 * to rip at CPL 3 with RFLAGS rflags and RSP rsp (CS and SS from
 * IA32_STAR).  The user code comes back with syscall to syscall_back
 * (IA32_LSTAR), at CPL 0 on the user's stack, which restores the kernel's;
 * returns the user's RAX.
 */
	.text
	.globl to_user, syscall_back
to_user:
	pushq %rbx
	pushq %rbp
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	movq %rsp, kernel_rsp(%rip)
	movq %rdi, %rcx
	movq %rsi, %r11
	movq %rdx, %rsp
	sysretq

syscall_back:
	movq kernel_rsp(%rip), %rsp
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %rbp
	popq %rbx
	ret

	.bss
	.p2align 3
kernel_rsp:
	.skip 8
