/*
 * guests/toyos/user_faults.c - snoop, wild and priv: programs the kernel
 * must stop without stopping anything else.
 *
 * snoop reads the kernel image: mapped in its address space, but without
 * the U bit, so the CPU raises a page fault for a protection violation
 * (and the kernel, asked to write those bytes out, refuses likewise).
 * wild writes where nothing is mapped: a not-present page fault.  priv
 * tries to turn interrupts off: cli at CPL 3 with IOPL 0 is a #GP(0).
 */
#include "user.h"

int prog_snoop(void)
{
	volatile const unsigned char *kernel = (void *)KERNEL_IMAGE;

	/* Asking the kernel to read it is no better: write checks buf. */
	printf("snoop: write() of the kernel's bytes returns %ld\n",
	       write((const void *)KERNEL_IMAGE, 16));
	printf("snoop: reading the kernel at 0x%lx\n", KERNEL_IMAGE);
	printf("snoop: read 0x%x: the kernel is not protected!\n", *kernel);
	return 1;
}

int prog_wild(void)
{
	volatile unsigned long *wild = (unsigned long *)WILD_ADDRESS;

	printf("wild: writing to 0x%lx\n", WILD_ADDRESS);
	*wild = 42;
	printf("wild: the write went through!\n");
	return 1;
}

int prog_priv(void)
{
	printf("priv: turning interrupts off with cli\n");
	__asm__ volatile("cli" : : : "memory");
	printf("priv: cli worked at CPL 3!\n");
	return 1;
}
