/*
 * guests/mb32/console.c - mb32's checks and its exit.
 *
 * The console itself - COM1 polled, printf - is the guest runtime's
 * (guests/runtime/serial.c, printf.c, in their i386 build): "\n" goes out
 * alone, so that the bytes compare exactly with a file.  Here is what
 * mb32 prints with it: the section headings and one line for each check,
 * "PASS name" or "FAIL name (why)", the failures counted for the exit
 * status.  A grader counts the PASS lines (scripts/grade.sh), as it does
 * the other guests'.
 */
#include "guests/mb32/mb32.h"

#define PORT_ISA_DEBUG_EXIT 0xf4 /* QEMU: exit status (v << 1) | 1 */

unsigned failures;

void section(const char *title)
{
	rt_printf("== %s ==\n", title);
}

void check(bool ok, const char *name, const char *why_fmt, ...)
{
	char why[160];
	va_list ap;

	if (ok) {
		rt_printf("PASS %s\n", name);
		return;
	}
	va_start(ap, why_fmt);
	rt_vsnprintf(why, sizeof why, why_fmt, ap);
	va_end(ap);
	rt_printf("FAIL %s (%s)\n", name, why);
	failures++;
}

void mb_exit(int code)
{
	outb(PORT_ISA_DEBUG_EXIT, (uint8_t)code);
	for (;;)
		__asm__ volatile("cli; hlt");
}
