/* An image linked at 1 GiB: its segment lies outside 64 MiB of RAM. */
	.globl _start
_start:
	ud2
