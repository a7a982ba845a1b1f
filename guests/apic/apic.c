/*
 * guests/apic/apic.c - the local APIC, end to end, through its x2APIC MSRs.
 *
 * The guest switches its local APIC to x2APIC mode (rdmsr/wrmsr only, so
 * it needs no MMIO), takes the APIC timer's interrupts in periodic,
 * one-shot and TSC-deadline mode while it sleeps in hlt, checks that a
 * self IPI waits while CR8 (the task priority) holds its class back, and
 * that an EOI is what lets the next interrupt of a class in, reads the
 * ACPI PM timer, and turns the machine off through ACPI S5 (PM1 control).
 * Every line it prints is independent of timing.
 */
#include "cpu.h"
#include "devices/acpi_pm.h"
#include "devices/lapic.h"
#include "rt.h"

#define VEC_PERIODIC 0x40
#define VEC_ONESHOT 0x41
#define VEC_DEADLINE 0x42
#define VEC_IPI 0x50
#define VEC_IPI2 0x51
#define VEC_SPURIOUS 0xff
#define NTICKS 10
#define PERIOD_NS 1000000 /* the count at divide-by-1: 1 GHz, so 1 ms */

#define MSR(reg) (MSR_X2APIC_FIRST + (reg))

static volatile unsigned count[256];
static volatile bool send_eoi = true;

static void on_interrupt(struct rt_frame *f)
{
	/* The tenth periodic tick stops the timer here, in the handler.  A
	 * tick the timer had already requested by then (the handler began
	 * more than a period late: a machine whose exits are slow, such as
	 * kvm under emulated SVM) still waits in the IRR and comes after the
	 * iret, as on a real CPU; it is not one of the ten, so it is not
	 * counted, and the count stays independent of timing. */
	if (f->vector == VEC_PERIODIC && count[f->vector] == NTICKS) {
		wrmsr(MSR(LAPIC_EOI), 0);
		return;
	}
	if (++count[f->vector] == NTICKS && f->vector == VEC_PERIODIC)
		wrmsr(MSR(LAPIC_TIMER_ICR), 0);
	if (send_eoi)
		wrmsr(MSR(LAPIC_EOI), 0);
}

static int check(bool ok, const char *what)
{
	rt_printf("%s %s\n", ok ? "PASS" : "FAIL", what);
	return ok ? 0 : 1;
}

/* Sleep until count[vector] reaches n (the timer wakes the hlt). */
static void wait_for(unsigned vector, unsigned n)
{
	while (count[vector] < n)
		__asm__ volatile("sti; hlt; cli" ::: "memory");
}

static uint32_t pm_timer(void)
{
	return inl(ACPI_PM_TMR_BLK) & 0xffffff;
}

static int x2apic_on(void)
{
	uint32_t r[4];

	cpuid(1, 0, r);
	if (!(r[2] & 1u << 21) || !(r[2] & 1u << 24)) {
		rt_printf("FAIL CPUID.1:ECX has x2APIC and TSC-deadline\n");
		return 1;
	}
	wrmsr(MSR_IA32_APIC_BASE, rdmsr(MSR_IA32_APIC_BASE) | APIC_BASE_EXTD);
	wrmsr(MSR(LAPIC_SVR), LAPIC_SVR_ENABLE | VEC_SPURIOUS);
	rt_printf("apic: x2APIC id %u, version 0x%x\n",
		  (unsigned)rdmsr(MSR(LAPIC_ID)),
		  (unsigned)rdmsr(MSR(LAPIC_VER)));
	return 0;
}

static int periodic(void)
{
	uint32_t pm0, pm1;
	int failed = 0;

	pm0 = pm_timer();
	wrmsr(MSR(LAPIC_TIMER_DCR), 0xb); /* divide by 1 */
	wrmsr(MSR(LAPIC_LVT_TIMER), LAPIC_TIMER_PERIODIC <<
				    LAPIC_TIMER_MODE_SHIFT | VEC_PERIODIC);
	wrmsr(MSR(LAPIC_TIMER_ICR), PERIOD_NS);
	wait_for(VEC_PERIODIC, NTICKS); /* the handler stops the timer */
	pm1 = pm_timer();
	failed += check(count[VEC_PERIODIC] == NTICKS,
			"10 periodic timer interrupts, each in hlt");
	/* 10 ms of virtual time passed, by the PM timer: 35795 ticks at
	 * least (less than 2^24: the counter is 24 bits wide). */
	failed += check(((pm1 - pm0) & 0xffffff) >= 35795,
			"the PM timer saw 10 ms go by");
	return failed;
}

static int one_shot_and_deadline(void)
{
	int failed = 0;

	wrmsr(MSR(LAPIC_LVT_TIMER), VEC_ONESHOT);
	wrmsr(MSR(LAPIC_TIMER_ICR), PERIOD_NS);
	wait_for(VEC_ONESHOT, 1);
	failed += check(rdmsr(MSR(LAPIC_TIMER_CCR)) == 0,
			"one-shot: fired, the count is 0");

	wrmsr(MSR(LAPIC_LVT_TIMER), LAPIC_TIMER_TSC_DEADLINE <<
				    LAPIC_TIMER_MODE_SHIFT | VEC_DEADLINE);
	wrmsr(MSR_IA32_TSC_DEADLINE, rdtsc() + 1000000);
	wait_for(VEC_DEADLINE, 1);
	failed += check(rdmsr(MSR_IA32_TSC_DEADLINE) == 0,
			"TSC deadline: fired, the MSR reads 0");
	failed += check(count[VEC_ONESHOT] == 1 && count[VEC_DEADLINE] == 1,
			"one interrupt each");
	return failed;
}

static int priorities(void)
{
	unsigned before;
	int failed = 0;

	/* CR8 = 5 holds back class 5: the self IPI waits in IRR. */
	write_cr8(5);
	wrmsr(MSR(LAPIC_SELF_IPI), VEC_IPI);
	__asm__ volatile("sti; nop; nop; cli" ::: "memory");
	failed += check(count[VEC_IPI] == 0, "CR8 5 holds vector 0x50 back");
	failed += check((rdmsr(MSR(LAPIC_TPR)) & 0xff) == 0x50,
			"TPR is CR8 << 4");
	write_cr8(0);
	__asm__ volatile("sti; nop; nop; cli" ::: "memory");
	failed += check(count[VEC_IPI] == 1, "CR8 0 lets it in");

	/* Without an EOI, another of the same class waits. */
	send_eoi = false;
	wrmsr(MSR(LAPIC_SELF_IPI), VEC_IPI);
	__asm__ volatile("sti; nop; nop; cli" ::: "memory");
	before = count[VEC_IPI2];
	wrmsr(MSR(LAPIC_SELF_IPI), VEC_IPI2);
	__asm__ volatile("sti; nop; nop; cli" ::: "memory");
	failed += check(count[VEC_IPI] == 2 && count[VEC_IPI2] == before,
			"0x51 waits while 0x50 is in service");
	send_eoi = true;
	wrmsr(MSR(LAPIC_EOI), 0);
	__asm__ volatile("sti; nop; nop; cli" ::: "memory");
	failed += check(count[VEC_IPI2] == before + 1, "the EOI lets it in");
	return failed;
}

int main(const char *args)
{
	static const unsigned vectors[] = { VEC_PERIODIC, VEC_ONESHOT,
					    VEC_DEADLINE, VEC_IPI, VEC_IPI2 };
	int failed;

	(void)args;
	for (unsigned i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
		rt_set_gate(vectors[i], vectors[i], 0);
		rt_set_handler(vectors[i], on_interrupt);
	}
	failed = x2apic_on();
	if (failed)
		return failed;
	failed += periodic();
	failed += one_shot_and_deadline();
	failed += priorities();
	if (failed)
		return failed;
	rt_printf("apic: off through ACPI S5\n");
	outw(ACPI_PM1_CNT_BLK, ACPI_PM1_SLP_EN |
			       ACPI_S5_SLP_TYP << ACPI_PM1_SLP_TYP_SHIFT);
	rt_printf("FAIL still running after S5\n");
	return 1;
}
