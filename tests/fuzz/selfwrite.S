/*
 * tests/fuzz/selfwrite.S - an instruction that writes the address it sits
 * at, on a page the guest has only read so far.
 *
 * Found by the native random-code campaign (seed 1, image 79): the native
 * engine took the child's write fault at va == RIP for an instruction
 * fetch, the shadow fill granted a fetch that was already granted, and the
 * same fault came back until the dispatcher's "fill did not take" check
 * aborted the monitor.  Every engine must run this to exit status 42.
 */
	.intel_syntax noprefix
	.globl _start
	.text
_start:
	mov al, [page]          /* the page is now mapped, read-only */
	lea rax, [page]
	jmp rax                 /* run "add [rax], al" at rax */

	.balign 4096
page:
	.byte 0x00, 0x00        /* add [rax], al: writes its own address */
	mov al, 42
	out 0xf4, al
