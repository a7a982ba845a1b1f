/*
 * guests/habits/habits.c - two habits of real PC kernels that x86's
 * sensitive-unprivileged instructions break when the kernel runs
 * de-privileged (isa/README.md), taken from xv6:
 *
 *   1. pushcli()/popcli(): nested "interrupts off" sections that read IF
 *      with pushf and panic if it is set where it must be clear (xv6's
 *      spinlock.c: "popcli - interruptible").  At ring 3, pushf shows the
 *      real IF, which the kernel's cli never cleared: the check fires.
 *   2. IDT gates built with the selector that `mov %cs` reads (xv6's
 *      SETGATE(idt[i], 0, SEG_KCODE<<3, ...) takes a constant, but many
 *      kernels read CS instead).  At ring 3 `mov %cs` shows the selector
 *      the monitor really runs the guest with, not the guest's own: the
 *      gate points at a segment the guest's GDT does not have as code,
 *      and the first exception through it is a #GP, then a double fault,
 *      then a triple fault.
 *
 * Each habit runs and prints what it saw; the gates go last because
 * their failure ends the machine.  On QEMU, under --isa=strict, under
 * --patch (softcpu and native) and on kvm the guest prints
 * tests/guests/habits.out.  Under plain --isa=x86 popcli's check fires on
 * both engines; softcpu's `mov %cs` shows the guest's own selector with
 * RPL 3, which still works in a gate (the CPU ignores a gate selector's
 * RPL), so the int3 is taken (habits.x86.out, status 1), while native's
 * shows the host's user code selector, 0x33, and the int3 triple-faults
 * (habits.native-x86.out, status 125).
 */
#include "cpu.h"
#include "rt.h"

/* ------------------------------------------------------------ 1. popcli */

static int ncli;      /* depth of pushcli */
static int intena;    /* were interrupts on before the outermost pushcli? */
static int panics;    /* the checks that would have panicked xv6 */

static void panic(const char *why)
{
	rt_printf("habits: panic: %s\n", why);
	panics++;
}

static void pushcli(void)
{
	uintptr_t fl = read_flags();

	cli();
	if (ncli++ == 0)
		intena = !!(fl & FL_IF);
}

static void popcli(void)
{
	if (read_flags() & FL_IF)
		panic("popcli - interruptible");
	if (--ncli < 0)
		panic("popcli");
	if (ncli == 0 && intena)
		sti();
}

static void locks(void)
{
	rt_pic_init(0x20, 0x28, 0xff, 0xff); /* every line masked */
	sti();
	pushcli();          /* acquire(&a) */
	pushcli();          /* acquire(&b) */
	popcli();           /* release(&b): still off */
	popcli();           /* release(&a): back on */
	rt_printf("habits: pushcli/popcli: IF=%u after the outer popcli, %d "
		  "panic(s)\n", (unsigned)!!(read_flags() & FL_IF), panics);
	cli();
}

/* ------------------------------------------------------------ 2. gates */

static volatile unsigned breakpoints;

static void on_int3(struct rt_frame *f)
{
	(void)f;
	breakpoints++;
}

/* Every exception gate's selector from mov %cs, as the kernel reads it. */
static void gates(void)
{
	uint16_t cs = read_cs();

	rt_printf("habits: mov %%cs reads 0x%x\n", cs);
	for (unsigned v = 0; v < 32; v++) {
		uint64_t *g = &rt_idt[v * RT_GATE_WORDS];
		g[0] = (g[0] & ~(0xffffULL << 16)) | (uint64_t)cs << 16;
	}
	rt_set_handler(3, on_int3);
	__asm__ volatile("int3" : : : "memory");
	rt_printf("habits: int3 through a gate built from mov %%cs: %u "
		  "breakpoint(s) taken\n", breakpoints);
}

int main(const char *args)
{
	(void)args;
	locks();
	gates();
	return panics ? 1 : 0;
}
