/*
 * guests/pgcheck/pv.c - the paravirtual group of pgcheck-pv.elf: the
 * hypercall interface and the shared page themselves (core/hypercall.h).
 *
 * Only the PV build (-DPV) has this group; it runs after the other two,
 * whose sensitive-unprivileged checks the PV build already sends through
 * the interface (guests/runtime/cpu.h).  Each check here can fail: a
 * number the monitor does not know, a page it must refuse, a call from
 * user mode, a clock that does not move, an interrupt that waits for the
 * mask and must come with the one hypercall that unmasking makes, a
 * halt after an unmask that must wake.
 */
#ifdef PV
#include "cpu.h"
#include "devices/i8254.h"
#include "devices/i8259.h"
#include "pgcheck.h"

#define HC_UNKNOWN 0x7fff
#define ROM_PAGE 0xf0000       /* the BIOS area: ROM to the guest */
#define PV_IRQ_VECTOR 0x20     /* IRQ 0 after rt_pic_init below */
#define PIT_ONE_SHOT 1193      /* about 1 ms of PIT input clock */
#define PENDING_POLLS 1000000  /* exits to wait for IRQ 0 at most */

static const char *check_hc_enosys(void)
{
	intptr_t r = (intptr_t)hypercall(HC_UNKNOWN, 0, 0, 0, NULL);

	return r == -HC_ENOSYS ? NULL : rt_fmt("returned %ld", (long)r);
}

/* A refused page must leave the registered one in place: the selector
 * read after it still works, and the mask byte still follows cli/sti. */
static const char *check_hc_einval(void)
{
	intptr_t r = (intptr_t)hypercall(HC_SHARED_PAGE, ROM_PAGE, 0, 0, NULL);
	intptr_t odd = (intptr_t)hypercall(HC_SHARED_PAGE,
					   (uintptr_t)&rt_pv_shared + 8, 0, 0,
					   NULL);

	if (r != -HC_EINVAL)
		return rt_fmt("the BIOS area: returned %ld", (long)r);
	if (odd != -HC_EINVAL)
		return rt_fmt("an unaligned page: returned %ld", (long)odd);
	cli();
	(void)read_cs();
	if (!(rt_pv_shared.irq_mask & HC_MASK_MONITOR) ||
	    (read_flags() & FL_IF))
		return "the monitor no longer writes the registered page";
	return NULL;
}

static void user_hypercall(void *rflags)
{
	pg_sysret_to_user(PG_USER_VA + PG_USER_HYPERCALL,
			  (uint64_t)(uintptr_t)rflags);
}

/* User mode: with IOPL 0 the CPU refuses the out (#GP(0)) before the
 * monitor sees it; with IOPL 3 it reaches the monitor, which says #UD. */
static const char *check_hc_user(void)
{
	const char *why;

	pg_user_setup();
	why = pg_expect_fault(user_hypercall, (void *)FL_FIXED1, T_GP, true, 0);
	if (why)
		return rt_fmt("IOPL 0: %s, not #GP(0)", why);
	why = pg_expect_fault(user_hypercall,
			      (void *)(FL_FIXED1 | FL_IOPL_MASK), T_UD, false,
			      0);
	return why ? rt_fmt("IOPL 3: %s, not #UD", why) : NULL;
}

/* time_ns is the virtual time of the monitor's last entry: two exits
 * apart, and a busy loop of guest work between, it must have moved. */
static const char *check_shared_time(void)
{
	uint64_t t0, t1;
	volatile unsigned spin = 0;

	(void)read_cs();
	t0 = rt_pv_shared.time_ns;
	while (spin < 100000)
		spin = spin + 1;
	(void)read_cs();
	t1 = rt_pv_shared.time_ns;
	return t1 > t0 ? NULL : "time_ns did not advance across two exits";
}

static volatile unsigned pv_ticks;

static void pv_tick(struct rt_frame *f)
{
	(void)f;
	pv_ticks++;
	outb(PIC_MASTER_CMD, OCW2_EOI);
}

/*
 * Xen's evtchn_upcall_pending: the PIT's one-shot IRQ 0 fires while the
 * mask is set; the monitor says so in irq_pending (seen after an exit);
 * sti() finds it and makes the hypercall, at whose exit the interrupt is
 * injected - before sti() returns.
 */
static const char *check_irq_pending(void)
{
	unsigned polls = 0, ticks;

	pv_ticks = 0;
	rt_set_gate(PV_IRQ_VECTOR, PV_IRQ_VECTOR, 0);
	rt_set_handler(PV_IRQ_VECTOR, pv_tick);
	cli();
	rt_pic_init(PV_IRQ_VECTOR, PV_IRQ_VECTOR + 8, 0xfe, 0xff);
	outb(PIT_CMD, PIT_RW_LOHI << 4 | PIT_MODE_TERMINAL << 1);
	outb(PIT_CH0, (uint8_t)PIT_ONE_SHOT);
	outb(PIT_CH0, (uint8_t)(PIT_ONE_SHOT >> 8));
	while (!rt_pv_shared.irq_pending && polls++ < PENDING_POLLS)
		(void)read_cs(); /* an exit: the monitor looks again */
	if (!rt_pv_shared.irq_pending)
		return "irq_pending never set while IRQ 0 waited";
	if (pv_ticks != 0)
		return "the interrupt came while masked";
	sti();
	ticks = pv_ticks;
	cli();
	outb(PIC_MASTER_DATA, 0xff);
	rt_set_handler(PV_IRQ_VECTOR, NULL);
	return ticks == 1 ? NULL :
		rt_fmt("%u interrupts when sti() returned, not 1", ticks);
}

/*
 * The idle loop's sti; hlt, paravirtualized (cpu.h's safe_halt): sti()
 * only clears the mask, and the hlt's exit is where the monitor takes it
 * into the virtual IF.  Were the byte not taken, the vCPU would halt with
 * interrupts off and the monitor would stop it ("nothing can ever wake
 * it").  The PIT runs periodically, so that a tick that came before the
 * hlt (and was taken through sti()'s hypercall) cannot leave it asleep.
 */
static const char *check_safe_halt(void)
{
	unsigned ticks;

	pv_ticks = 0;
	rt_set_gate(PV_IRQ_VECTOR, PV_IRQ_VECTOR, 0);
	rt_set_handler(PV_IRQ_VECTOR, pv_tick);
	cli();
	rt_pic_init(PV_IRQ_VECTOR, PV_IRQ_VECTOR + 8, 0xfe, 0xff);
	outb(PIT_CMD, PIT_RW_LOHI << 4 | PIT_MODE_RATE << 1);
	outb(PIT_CH0, (uint8_t)PIT_ONE_SHOT);
	outb(PIT_CH0, (uint8_t)(PIT_ONE_SHOT >> 8));
	safe_halt();
	cli();
	ticks = pv_ticks;
	outb(PIC_MASTER_DATA, 0xff);
	outb(PIT_CMD, PIT_RW_LOHI << 4 | PIT_MODE_TERMINAL << 1); /* stop */
	rt_set_handler(PV_IRQ_VECTOR, NULL);
	return ticks >= 1 ? NULL : "hlt returned with no interrupt taken";
}

const struct pg_check pg_pv[] = {
	{ "hc_enosys", "an unknown number returns -ENOSYS", check_hc_enosys },
	{ "hc_einval", "the BIOS area and an unaligned page are refused (-EINVAL); the registered page stays", check_hc_einval },
	{ "hc_user", "from CPL 3: #GP(0) with IOPL 0 (the CPU's check), #UD with IOPL 3 (the monitor's)", check_hc_user },
	{ "shared_time", "time_ns advances between two exits", check_shared_time },
	{ "irq_pending", "IRQ 0 waits while masked, sets irq_pending, and comes with sti()'s one hypercall", check_irq_pending },
	{ "safe_halt", "sti(); hlt wakes at the PIT's next tick", check_safe_halt },
};

const unsigned pg_pv_count = sizeof(pg_pv) / sizeof(pg_pv[0]);
#endif /* PV */
