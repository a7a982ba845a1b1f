/*
 * guests/toyos/trap.c - interrupts and exceptions: the timer, page faults,
 * and faults from user mode.
 *
 * The runtime's IDT stubs save the registers as a struct rt_frame and call
 * the handler registered here for the vector.  From ring 3 the CPU has
 * switched to TSS.RSP0 first, the current process's kernel stack, so a
 * handler may put the process to sleep or end it like a system call does.
 *
 *   IRQ 0 (vector 0x20)  a tick: wake sleepers, charge and preempt the
 *                        process that was running
 *   #PF                  the first touch of a heap page maps it; any other
 *                        user page fault kills the process
 *   other exceptions     from ring 3: kill the process; from ring 0: panic
 */
#include "cpu.h"
#include "devices/i8254.h"
#include "devices/i8259.h"
#include "toyos.h"

#define VEC_IRQ0 0x20     /* IRQ 0-7 -> vectors 0x20-0x27 */
#define VEC_IRQ8 0x28     /* IRQ 8-15 -> vectors 0x28-0x2f */
#define PIC_ONLY_IRQ0 0xfe /* OCW1: every line masked but IRQ 0 */

static bool from_user(const struct rt_frame *f)
{
	return (f->cs & SEL_RPL_MASK) == 3;
}

/* ------------------------------------------------------------ PIC and PIT */

/* The 8259A pair, initialized as on every PC: ICW1-ICW4, then a mask.
 * The BIOS put IRQ 0-7 on vectors 8-15, which are exceptions in
 * protected mode; move them to 0x20. */
static void pic_init(void)
{
	rt_pic_init(VEC_IRQ0, VEC_IRQ8, PIC_ONLY_IRQ0, 0xff);
}

/* 8254 channel 0 as a rate generator (mode 2): IRQ 0 HZ times a second. */
static void pit_init(void)
{
	uint16_t count = (uint16_t)((PIT_HZ + HZ / 2) / HZ);

	outb(PIT_CMD, PIT_RW_LOHI << 4 | PIT_MODE_RATE << 1); /* channel 0 */
	outb(PIT_CH0, (uint8_t)count);
	outb(PIT_CH0, (uint8_t)(count >> 8));
}

/* ------------------------------------------------------------ handlers */

/*T:850 A tick, and why toyos's output does not depend on timing.
 * The EOI goes first: the process may not come back here for a
 * while, and the PIC sends no further IRQ 0 until it has one.  The kernel
 * runs with interrupts off but in the idle loop, so a tick with a current
 * process interrupted ring 3: charge it, and end it when it has used up
 * its CPU budget, else move on to the next process (round robin).
 *
 * Ticks come at instants that depend on the host, so nothing printed may
 * depend on where they fall: a write is one system call, which no tick
 * cuts; init runs the programs that print one at a time; and the hog, the
 * one program that needs the timer, prints once before it spins, while
 * the sleeper wakes three times long before the hog's budget runs out.
 */
static void on_timer(struct rt_frame *f)
{
	struct proc *p = proc_current();

	trap_entered();
	ticks++;
	outb(PIC_MASTER_CMD, OCW2_EOI);
	proc_wake_sleepers();
	if (!p)
		return; /* idle in the scheduler */
	if (!from_user(f))
		panic("on_timer: interrupt in the kernel at " RT_PC_NAME
		      " 0x%lx", (unsigned long)rt_frame_pc(f));
	if (++p->cpu_ticks > CPU_BUDGET_TICKS)
		proc_kill("used its %d ticks of CPU time", CPU_BUDGET_TICKS);
	proc_yield();
}

/* "read", "write" or "instruction fetch", from a #PF error code. */
static const char *access_name(unsigned long error)
{
	if (error & PFEC_I)
		return "instruction fetch";
	return error & PFEC_W ? "write" : "read";
}

/* What a protection violation (PFEC_P) at va ran into. */
static const char *page_kind(struct proc *p, uintptr_t va,
			     unsigned long error)
{
	if (vm_is_kernel_page(p->pgdir, va))
		return "a kernel page";
	return error & PFEC_I ? "a no-execute page" : "a read-only page";
}

/* The first touch of a heap page is the only page fault a process
 * survives; the others kill it, with what the error code says. */
static void on_page_fault(struct rt_frame *f)
{
	uintptr_t va = read_cr2();
	unsigned long error = f->error;
	struct proc *p = proc_current();

	trap_entered();
	if (!p || !from_user(f))
		panic("on_page_fault: at 0x%lx in the kernel (" RT_PC_NAME
		      " 0x%lx, error 0x%lx)", (unsigned long)va,
		      (unsigned long)rt_frame_pc(f), error);
	if (error & PFEC_RSVD)
		panic("on_page_fault: at 0x%lx, a reserved bit is set",
		      (unsigned long)va);
	if (!(error & PFEC_P) && vm_demand_page(p, va))
		return;
	if (error & PFEC_P)
		proc_kill("page fault at 0x%lx (protection violation, "
			  "user %s of %s)", (unsigned long)va,
			  access_name(error), page_kind(p, va, error));
	proc_kill("page fault at 0x%lx (not present, user %s of an unmapped "
		  "address)", (unsigned long)va, access_name(error));
}

/* Any other exception: the process's fault, or the kernel's bug.  (The
 * RIP is left out of the process's obituary: it would change with every
 * build, and the output is compared byte for byte.) */
static void on_exception(struct rt_frame *f)
{
	const char *name = rt_vector_name((unsigned)f->vector);

	trap_entered();
	if (proc_current() && from_user(f))
		proc_kill("%s, error code 0x%lx", name,
			  (unsigned long)f->error);
	panic("on_exception: %s (error 0x%lx) in the kernel at " RT_PC_NAME
	      " 0x%lx", name, (unsigned long)f->error,
	      (unsigned long)rt_frame_pc(f));
}

/* Handlers for every exception and IRQ 0, then the PICs and the PIT. */
void trap_init(void)
{
	for (unsigned v = 0; v < T_NEXC; v++)
		rt_set_handler(v, on_exception);
	rt_set_handler(T_PF, on_page_fault);
	rt_set_gate(VEC_IRQ0, VEC_IRQ0, 0);
	rt_set_handler(VEC_IRQ0, on_timer);
	pic_init();
	pit_init();
}
