/* A guest that executes ud2 with no IDT: #UD, then #GP delivering it
 * (IDT limit 0), then #DF, then a triple fault. */
	.globl _start
_start:
	ud2
