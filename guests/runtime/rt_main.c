/*
 * guests/runtime/rt_main.c - from boot to main and back out.
 *
 * entry_x86_64.S (on i386, rt_multiboot in boot_i386.c) calls rt_main with
 * the boot_info; rt_main builds the runtime's machine (console, segments,
 * IDT, quiet interrupt controllers), runs the guest's main and stops the
 * machine with its return value.
 */
#include "cpu.h"
#include "rt.h"

#define PORT_ISA_DEBUG_EXIT 0xf4 /* QEMU's isa-debug-exit (and trapvisor's) */
#define PIC1_DATA 0x21           /* 8259A master, OCW1: interrupt mask */
#define PIC2_DATA 0xa1           /* 8259A slave */
#define RT_EXIT_BAD_BOOT 4

const struct boot_info *rt_boot_info;

/*
 * Mask every line of both 8259A PICs.  Under QEMU the firmware leaves the
 * timer (IRQ 0) unmasked on vector 8 - which is #DF in protected mode - and
 * a guest that executes sti must not take it.
 */
static void pic_mask_all(void)
{
	outb(PIC1_DATA, 0xff);
	outb(PIC2_DATA, 0xff);
}

#ifdef PV
/* The page shared with the monitor (core/hypercall.h): page-aligned, at
 * its physical address in the boot identity map. */
volatile struct hc_shared rt_pv_shared __attribute__((aligned(4096)));

/* Tell the monitor where it is, and start with interrupts masked, as the
 * CPU starts with IF clear. */
static void pv_init(void)
{
	rt_pv_shared.irq_mask = HC_MASK_MASKED;
	if (hypercall(HC_SHARED_PAGE, (uintptr_t)&rt_pv_shared, 0, 0, NULL)) {
		rt_puts("rt_main: the monitor refused the shared page\n");
		rt_exit(RT_EXIT_BAD_BOOT);
	}
}
#endif

/* Set up the runtime, run main(args), exit with what it returns. */
void rt_main(struct boot_info *bi)
{
	rt_boot_info = bi;
	rt_serial_init();
	if (bi->magic != BOOT_MAGIC) {
		rt_puts("rt_main: no boot_info (bad magic)\n");
		rt_exit(RT_EXIT_BAD_BOOT);
	}
#ifdef PV
	pv_init();
#endif
	rt_desc_init();
	rt_trap_init();
	pic_mask_all();
	rt_exit(main((const char *)(uintptr_t)bi->cmdline));
}

/* isa-debug-exit ends QEMU with (code << 1) | 1 and trapvisor with code;
 * should the port do nothing, halt with interrupts off for good. */
void rt_exit(int code)
{
	outb(PORT_ISA_DEBUG_EXIT, (uint8_t)code);
	for (;;)
		__asm__ volatile("cli; hlt" : : : "memory");
}

/* A hole of a lab in the guest's code: the monitor's LAB_EXIT_TODO. */
void rt_lab_todo(int lab, const char *what, const char *handout)
{
	rt_printf("lab %d: %s is not written yet (see %s)\n", lab, what,
		  handout);
	rt_exit(125);
}
