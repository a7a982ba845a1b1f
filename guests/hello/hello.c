/*
 * guests/hello/hello.c - the smallest guest: it prints and exits.
 *
 * Even this runs privileged instructions (the runtime's lgdt, ltr, lidt and
 * every out to the UART), so under trapvisor it already exercises the
 * dispatcher, the decoder and a handful of interpreter routines.
 */
#include "rt.h"

int main(const char *args)
{
	rt_printf("Hello from a de-privileged guest kernel!\n");
	if (args[0])
		rt_printf("args: %s\n", args);
	return 0;
}
