/*
 * guests/timer/timer.c - the timer interrupt, end to end.
 *
 * The smallest guest that is interrupted: it programs the 8259A PICs and
 * the 8254 PIT the way a PC kernel does, takes timer interrupts through its
 * own IDT, sleeps in hlt between them, and checks the rules a kernel relies
 * on: no interrupt while IF is clear, a request made meanwhile is not lost,
 * sti holds interrupts off for one more instruction, and the PIC waits for
 * an EOI.  Every line it prints is independent of timing, so the output is
 * the same on QEMU and on trapvisor with or without --icount.
 */
#include "cpu.h"
#include "devices/i8254.h"
#include "devices/i8259.h"
#include "rt.h"

#define VEC_MASTER 0x20 /* IRQ 0-7 -> vectors 0x20-0x27 */
#define VEC_SLAVE 0x28  /* IRQ 8-15 -> vectors 0x28-0x2f */
#define HZ 1000
#define NTICKS 10

static volatile unsigned ticks;
static volatile bool send_eoi = true; /* the handler ends each IRQ */

/* IRQ 0: count the tick and tell the PIC we are done with it. */
static void on_timer(struct rt_frame *f)
{
	(void)f;
	ticks++;
	if (send_eoi)
		outb(PIC_MASTER_CMD, OCW2_EOI);
}

/* The initialization every PC kernel does: move IRQs off the exceptions. */
static void pic_init(void)
{
	rt_pic_init(VEC_MASTER, VEC_SLAVE, 0xfe, 0xff);
}

/* Channel 0, rate generator, HZ interrupts a second. */
static void pit_init(void)
{
	uint16_t count = (uint16_t)(PIT_HZ / HZ);

	outb(PIT_CMD, PIT_RW_LOHI << 4 | PIT_MODE_RATE << 1);
	outb(PIT_CH0, (uint8_t)count);
	outb(PIT_CH0, (uint8_t)(count >> 8));
}

/* Spin until the PIT's counter has wrapped around a few times. */
static void spin_ticks(unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		uint16_t prev = 0xffff, now;
		for (;;) { /* one period: the count rises when it reloads */
			outb(PIT_CMD, 0x00); /* latch channel 0 */
			now = inb(PIT_CH0);
			now |= (uint16_t)(inb(PIT_CH0) << 8);
			if (now > prev)
				break;
			prev = now;
		}
	}
}

/*
 * Is IRQ 0 requested in the master's IRR?  Wait for it a while: QEMU's PIT
 * is sampled by host timers, and on a loaded host it can miss the short low
 * pulse of mode 2 for a few periods.  A request that never shows fails.
 */
static bool irq0_requested(void)
{
	for (unsigned i = 0; i < 200; i++) {
		outb(PIC_MASTER_CMD, OCW3_SEL | OCW3_RR); /* read IRR */
		if (inb(PIC_MASTER_CMD) & 0x01)
			return true;
		spin_ticks(1);
	}
	return false;
}

static int check(bool ok, const char *what)
{
	rt_printf("%s %s\n", ok ? "PASS" : "FAIL", what);
	return ok ? 0 : 1;
}

int main(const char *args)
{
	int failed = 0;

	(void)args;
	rt_set_gate(VEC_MASTER, VEC_MASTER, 0);
	rt_set_handler(VEC_MASTER, on_timer);
	pic_init();
	pit_init();
	rt_printf("timer: PIT channel 0 at %d Hz on IRQ 0, vector 0x%x\n", HZ,
		  VEC_MASTER);

	/* 1. Interrupts off: the PIT runs, nothing is delivered. */
	spin_ticks(3);
	failed += check(ticks == 0, "no interrupt while IF is clear");

	/* 2. The request made meanwhile waits in the PIC's IRR... */
	failed += check(irq0_requested(), "IRQ 0 waits in the IRR");
	/* ... and arrives as soon as IF is set, after sti's shadow: the
	 * instruction after sti runs first, the interrupt comes before cli.
	 * The handler sends no EOI this time, so no second tick can follow
	 * it before cli, however slow the machine is. */
	unsigned seen_in_shadow, after;
	send_eoi = false; /* exactly one tick, however slow the handler */
	__asm__ volatile("sti; movl %2, %0; cli; movl %2, %1"
			 : "=&r"(seen_in_shadow), "=r"(after)
			 : "m"(ticks) : "memory");
	failed += check(seen_in_shadow == 0,
			"sti holds interrupts off for one instruction");
	failed += check(after == 1, "the waiting tick arrives right after it");
	outb(PIC_MASTER_CMD, OCW2_EOI);
	send_eoi = true;

	/* 3. hlt sleeps until the next tick, again and again. */
	unsigned start = ticks;
	while (ticks < start + NTICKS)
		__asm__ volatile("sti; hlt; cli" ::: "memory");
	failed += check(ticks >= start + NTICKS, "hlt wakes for each tick");

	/* 4. Without an EOI the PIC sends no further IRQ 0. */
	send_eoi = false;
	start = ticks;
	__asm__ volatile("sti; hlt; cli" ::: "memory");
	spin_ticks(3);
	__asm__ volatile("sti; nop; nop; cli" ::: "memory");
	failed += check(ticks == start + 1, "no second tick before the EOI");
	/* The EOI lets exactly the one waiting in the IRR in (and, with no
	 * EOI from the handler, nothing after it). */
	irq0_requested();
	outb(PIC_MASTER_CMD, OCW2_EOI);
	__asm__ volatile("sti; nop; cli" ::: "memory");
	failed += check(ticks == start + 2, "the EOI lets the next one in");
	outb(PIC_MASTER_CMD, OCW2_EOI);

	outb(PIC_MASTER_DATA, 0xff);
	rt_printf("timer: %d failed\n", failed);
	return failed ? 1 : 0;
}
