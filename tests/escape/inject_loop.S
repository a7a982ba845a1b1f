/* A loop that keeps the monitor injecting system calls into the child: a
 * store to a page, then invlpg of it, so that each turn maps the page
 * (mmap) and unmaps it (munmap) through the stub.  A signal to the whole
 * process group lands, most of the time, during one of those calls. */
#include "escape.h"
	.globl _start
_start:
1:	movb $1, 0x600000
	invlpg 0x600000
	jmp 1b
