/* A loop that traps at every turn (cli at CPL 3 is a #GP): the monitor is
 * almost always between two ptrace calls on the child. */
#include "escape.h"
	.globl _start
_start:
1:	cli
	jmp 1b
