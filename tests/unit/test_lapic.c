/*
 * tests/unit/test_lapic.c - the local APIC: its registers, priorities,
 * IPIs and timer on a fake clock (the chip alone), then wired into the
 * machine: the xAPIC page through devices_mmio(), the x2APIC and
 * TSC-deadline MSRs through rdmsr/wrmsr, CR8, and interrupts from the
 * 8259A (LINT0) and the IOAPIC reaching the CPU.  Checked against the
 * Intel SDM vol. 3A chapter 11 and QEMU's hw/intc/apic.c.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/clock.h"
#include "core/vm.h"
#include "devices/devices.h"
#include "interp/interp.h"
#include "isa/decode.h"
#include "isa/x86.h"
#include "tests/unit/support/devvm.h"

void interp_cpuid_values(const struct vm *vm, uint32_t leaf, uint32_t subleaf,
			 uint32_t out[4]);

/* ------------------------------------------------------ the chip alone */

static uint64_t rd(struct lapic *l, unsigned reg, uint64_t now)
{
	uint64_t v;

	assert_true(lapic_read(l, reg, false, now, &v));
	return v;
}

static void wr(struct lapic *l, unsigned reg, uint32_t v, uint64_t now)
{
	assert_true(lapic_write(l, reg, v, false, now));
}

/* Reset, then software-enabled with spurious vector 0xff. */
static void enabled(struct lapic *l)
{
	lapic_init(l);
	wr(l, LAPIC_SVR, LAPIC_SVR_ENABLE | 0xff, 0);
}

static void test_reset_state(void **state)
{
	struct lapic l;

	(void)state;
	lapic_init(&l);
	assert_int_equal(rd(&l, LAPIC_ID, 0), 0);
	assert_int_equal(rd(&l, LAPIC_VER, 0), 0x50014);
	assert_int_equal(rd(&l, LAPIC_SVR, 0), 0xff); /* software disabled */
	assert_int_equal(rd(&l, LAPIC_DFR, 0), 0xffffffff);
	assert_int_equal(rd(&l, LAPIC_LVT_TIMER, 0), LAPIC_MASKED);
	assert_int_equal(rd(&l, LAPIC_LVT_ERROR, 0), LAPIC_MASKED);
	assert_int_equal(rd(&l, LAPIC_LVT_LINT1, 0), LAPIC_MASKED);
	/* QEMU's CPU 0: LINT0 ExtINT, unmasked: the virtual wire. */
	assert_int_equal(rd(&l, LAPIC_LVT_LINT0, 0), 0x700);
	assert_true(lapic_extint(&l));
	assert_int_equal(lapic_next_event(&l), CLOCK_NEVER);
}

static void test_priorities(void **state)
{
	struct lapic l;

	(void)state;
	enabled(&l);
	assert_int_equal(lapic_pending(&l), -1);
	lapic_accept(&l, 0x31, false);
	lapic_accept(&l, 0x52, false);
	lapic_accept(&l, 0x41, false);
	assert_int_equal(rd(&l, LAPIC_IRR + 1, 0), 1u << (0x31 - 32));
	assert_int_equal(rd(&l, LAPIC_IRR + 2, 0),
			 1u << (0x52 - 64) | 1u << (0x41 - 64));
	assert_int_equal(lapic_pending(&l), 0x52);
	assert_int_equal(lapic_acknowledge(&l), 0x52);
	assert_int_equal(rd(&l, LAPIC_ISR + 2, 0), 1u << (0x52 - 64));
	assert_int_equal(rd(&l, LAPIC_PPR, 0), 0x50);
	/* 0x41 is of a lower class than the one in service. */
	assert_int_equal(lapic_pending(&l), -1);
	wr(&l, LAPIC_EOI, 0, 0);
	assert_int_equal(rd(&l, LAPIC_ISR + 2, 0), 0);
	assert_int_equal(lapic_pending(&l), 0x41);
	/* TPR class 4 holds back classes 4 and below; subclass ignored. */
	wr(&l, LAPIC_TPR, 0x4f, 0);
	assert_int_equal(rd(&l, LAPIC_PPR, 0), 0x4f);
	assert_int_equal(lapic_pending(&l), -1);
	wr(&l, LAPIC_TPR, 0x30, 0);
	assert_int_equal(lapic_acknowledge(&l), 0x41);
	/* Nested: 0x31 waits until 0x41 is EOIed (and TPR lowered). */
	assert_int_equal(lapic_pending(&l), -1);
	wr(&l, LAPIC_TPR, 0, 0);
	wr(&l, LAPIC_EOI, 0, 0);
	assert_int_equal(lapic_acknowledge(&l), 0x31);
	/* Nothing left: the spurious vector, ISR untouched. */
	assert_int_equal(lapic_acknowledge(&l), 0xff);
	assert_int_equal(rd(&l, LAPIC_ISR + 1, 0), 1u << (0x31 - 32));
}

static void test_software_disable(void **state)
{
	struct lapic l;

	(void)state;
	enabled(&l);
	wr(&l, LAPIC_LVT_TIMER, 0x40, 0);
	assert_int_equal(rd(&l, LAPIC_LVT_TIMER, 0), 0x40);
	lapic_accept(&l, 0x60, false);
	wr(&l, LAPIC_SVR, 0xff, 0); /* disable */
	assert_int_equal(lapic_pending(&l), -1); /* held, not delivered */
	for (unsigned r = LAPIC_LVT_TIMER; r <= LAPIC_LVT_ERROR; r++)
		assert_true(rd(&l, r, 0) & LAPIC_MASKED);
	wr(&l, LAPIC_LVT_TIMER, 0x40, 0); /* the mask stays */
	assert_int_equal(rd(&l, LAPIC_LVT_TIMER, 0), 0x40 | LAPIC_MASKED);
	assert_false(lapic_extint(&l));
	wr(&l, LAPIC_SVR, LAPIC_SVR_ENABLE | 0xff, 0);
	assert_int_equal(lapic_pending(&l), 0x60);
}

static void test_esr_write_then_read(void **state)
{
	struct lapic l;
	uint64_t v;

	(void)state;
	enabled(&l);
	assert_false(lapic_read(&l, 0x2f, false, 0, &v)); /* CMCI: absent */
	assert_int_equal(v, 0);
	assert_int_equal(rd(&l, LAPIC_ESR, 0), 0); /* not yet latched */
	wr(&l, LAPIC_ESR, 0, 0);
	assert_int_equal(rd(&l, LAPIC_ESR, 0), LAPIC_ESR_ILLEGAL_REG);
	lapic_accept(&l, 7, false); /* vectors 0-15 are illegal */
	assert_int_equal(lapic_pending(&l), -1);
	wr(&l, LAPIC_ESR, 0, 0);
	assert_int_equal(rd(&l, LAPIC_ESR, 0), LAPIC_ESR_RECV_ILLEGAL);
	wr(&l, LAPIC_ESR, 0, 0);
	assert_int_equal(rd(&l, LAPIC_ESR, 0), 0);
	/* The error LVT delivers its vector for a new error. */
	wr(&l, LAPIC_LVT_ERROR, 0xfe, 0);
	wr(&l, LAPIC_ICR_LO, LAPIC_SH_SELF << LAPIC_SHORTHAND_SHIFT | 3, 0);
	assert_int_equal(lapic_pending(&l), 0xfe);
	wr(&l, LAPIC_ESR, 0, 0);
	assert_int_equal(rd(&l, LAPIC_ESR, 0), LAPIC_ESR_SEND_ILLEGAL);
}

static void test_ipis(void **state)
{
	struct lapic l;

	(void)state;
	enabled(&l);
	/* Self by shorthand, by physical ID, by broadcast (each of a higher
	 * class than the last, which stays in service). */
	wr(&l, LAPIC_ICR_LO, LAPIC_SH_SELF << LAPIC_SHORTHAND_SHIFT | 0x40, 0);
	assert_int_equal(lapic_acknowledge(&l), 0x40);
	wr(&l, LAPIC_ICR_HI, 0, 0);
	wr(&l, LAPIC_ICR_LO, 0x51, 0);
	assert_int_equal(lapic_acknowledge(&l), 0x51);
	wr(&l, LAPIC_ICR_HI, 0x01000000, 0); /* APIC ID 1: nobody */
	wr(&l, LAPIC_ICR_LO, 0x62, 0);
	assert_int_equal(lapic_pending(&l), -1);
	wr(&l, LAPIC_ICR_HI, 0xff000000, 0);
	wr(&l, LAPIC_ICR_LO, 0x73, 0);
	assert_int_equal(lapic_acknowledge(&l), 0x73);
	wr(&l, LAPIC_ICR_LO, LAPIC_SH_OTHERS << LAPIC_SHORTHAND_SHIFT | 0x84, 0);
	assert_int_equal(lapic_pending(&l), -1);
	/* Logical, flat model: LDR bit 2. */
	wr(&l, LAPIC_LDR, 0x04000000, 0);
	wr(&l, LAPIC_ICR_HI, 0x06000000, 0);
	wr(&l, LAPIC_ICR_LO, LAPIC_DEST_LOGICAL | 0x95, 0);
	assert_int_equal(lapic_acknowledge(&l), 0x95);
	/* NMI to self is recorded. */
	wr(&l, LAPIC_ICR_LO, LAPIC_SH_SELF << LAPIC_SHORTHAND_SHIFT |
			     LAPIC_DM_NMI << LAPIC_DM_SHIFT, 0);
	assert_int_equal(l.nmis, 1);
	/* INIT assert, INIT de-assert (not counted), SIPI to the others. */
	wr(&l, LAPIC_ICR_LO, LAPIC_SH_OTHERS << LAPIC_SHORTHAND_SHIFT |
			     LAPIC_REMOTE_IRR | LAPIC_DM_INIT << LAPIC_DM_SHIFT,
	   0);
	wr(&l, LAPIC_ICR_LO, LAPIC_SH_OTHERS << LAPIC_SHORTHAND_SHIFT |
			     LAPIC_LEVEL | LAPIC_DM_INIT << LAPIC_DM_SHIFT, 0);
	wr(&l, LAPIC_ICR_LO, LAPIC_SH_OTHERS << LAPIC_SHORTHAND_SHIFT |
			     LAPIC_DM_SIPI << LAPIC_DM_SHIFT | 0x08, 0);
	assert_int_equal(l.ipi.inits, 1);
	assert_int_equal(l.ipi.sipis, 1);
	assert_int_equal(l.ipi.sipi_vector, 0x08);
	assert_int_equal(l.ipi.shorthand, LAPIC_SH_OTHERS);
	assert_int_equal(rd(&l, LAPIC_ICR_LO, 0) & LAPIC_PENDING, 0);
}

static void test_level_eoi_is_broadcast(void **state)
{
	struct lapic l;

	(void)state;
	enabled(&l);
	lapic_accept(&l, 0x70, true);
	assert_int_equal(rd(&l, LAPIC_TMR + 3, 0), 1u << (0x70 - 96));
	assert_int_equal(lapic_acknowledge(&l), 0x70);
	wr(&l, LAPIC_EOI, 0, 0);
	assert_int_equal(l.eoi_level_vector, 0x70);
	l.eoi_level_vector = -1;
	lapic_accept(&l, 0x71, false); /* edge: no broadcast */
	assert_int_equal(lapic_acknowledge(&l), 0x71);
	wr(&l, LAPIC_EOI, 0, 0);
	assert_int_equal(l.eoi_level_vector, -1);
}

static void test_timer_one_shot(void **state)
{
	struct lapic l;
	uint64_t t0 = 1000;

	(void)state;
	enabled(&l);
	wr(&l, LAPIC_TIMER_DCR, 0x3, 0); /* divide by 16 */
	wr(&l, LAPIC_LVT_TIMER, 0x40, 0);
	wr(&l, LAPIC_TIMER_ICR, 100, t0);
	assert_int_equal(rd(&l, LAPIC_TIMER_ICR, t0), 100);
	assert_int_equal(rd(&l, LAPIC_TIMER_CCR, t0 + 16 * 10), 90);
	assert_int_equal(lapic_next_event(&l), t0 + 1600);
	lapic_timer_update(&l, t0 + 1599);
	assert_int_equal(lapic_pending(&l), -1);
	lapic_timer_update(&l, t0 + 1600);
	assert_int_equal(lapic_pending(&l), 0x40);
	assert_int_equal(rd(&l, LAPIC_TIMER_CCR, t0 + 1600), 0);
	assert_int_equal(lapic_next_event(&l), CLOCK_NEVER);
	assert_int_equal(lapic_acknowledge(&l), 0x40);
	lapic_timer_update(&l, t0 + 100000); /* once only */
	assert_int_equal(lapic_pending(&l), -1);
	/* Divide by 1 (0b1011), and a count of 0 stops the timer. */
	wr(&l, LAPIC_TIMER_DCR, 0xb, 0);
	wr(&l, LAPIC_TIMER_ICR, 50, 200000);
	assert_int_equal(lapic_next_event(&l), 200050);
	wr(&l, LAPIC_TIMER_ICR, 0, 200010);
	assert_int_equal(lapic_next_event(&l), CLOCK_NEVER);
	assert_int_equal(rd(&l, LAPIC_TIMER_CCR, 200020), 0);
}

/*
 * A kernel that polls the IRR (mb32 waits there for the timer while the TPR
 * holds its class back) sees an expiry as soon as it has happened: the
 * read brings the timer up to date, with no exit or device update between.
 * Before, the bit appeared only at the monitor's next look, and on
 * softcpu, where reads of the xAPIC page are no exits, mb32 spun 4 s.
 */
static void test_timer_expiry_visible_to_a_read(void **state)
{
	struct lapic l;

	(void)state;
	enabled(&l);
	wr(&l, LAPIC_TPR, 0x40, 0); /* class 4 held back: the vector waits */
	wr(&l, LAPIC_TIMER_DCR, 0xb, 0); /* divide by 1 */
	wr(&l, LAPIC_LVT_TIMER, 0x40, 0);
	wr(&l, LAPIC_TIMER_ICR, 320, 1000);
	assert_int_equal(rd(&l, LAPIC_IRR + 2, 1319), 0);
	assert_int_equal(rd(&l, LAPIC_IRR + 2, 1320), 1u << (0x40 - 64));
}

static void test_timer_periodic_and_masked(void **state)
{
	struct lapic l;
	uint64_t t0 = 500;

	(void)state;
	enabled(&l);
	wr(&l, LAPIC_TIMER_DCR, 0xb, 0);
	wr(&l, LAPIC_LVT_TIMER, LAPIC_TIMER_PERIODIC << LAPIC_TIMER_MODE_SHIFT |
				0x50, 0);
	wr(&l, LAPIC_TIMER_ICR, 1000, t0);
	assert_int_equal(lapic_next_event(&l), t0 + 1000);
	/* Two periods passed unseen: one interrupt, as a slow CPU gets. */
	lapic_timer_update(&l, t0 + 2500);
	assert_int_equal(rd(&l, LAPIC_TIMER_CCR, t0 + 2500), 500);
	assert_int_equal(lapic_acknowledge(&l), 0x50);
	assert_int_equal(lapic_pending(&l), -1);
	assert_int_equal(lapic_next_event(&l), t0 + 3000);
	wr(&l, LAPIC_EOI, 0, 0);
	lapic_timer_update(&l, t0 + 3000);
	assert_int_equal(lapic_acknowledge(&l), 0x50);
	wr(&l, LAPIC_EOI, 0, 0);
	/* Masked: counts on, delivers nothing, wakes nobody. */
	wr(&l, LAPIC_LVT_TIMER, LAPIC_MASKED | LAPIC_TIMER_PERIODIC <<
				LAPIC_TIMER_MODE_SHIFT | 0x50, t0 + 3100);
	assert_int_equal(lapic_next_event(&l), CLOCK_NEVER);
	lapic_timer_update(&l, t0 + 5000);
	assert_int_equal(lapic_pending(&l), -1);
	assert_int_equal(rd(&l, LAPIC_TIMER_CCR, t0 + 5100), 900);
	/* Unmasked later: the periods that passed masked are not owed. */
	wr(&l, LAPIC_LVT_TIMER, LAPIC_TIMER_PERIODIC << LAPIC_TIMER_MODE_SHIFT |
				0x50, t0 + 5100);
	lapic_timer_update(&l, t0 + 5100);
	assert_int_equal(lapic_pending(&l), -1);
	assert_int_equal(lapic_next_event(&l), t0 + 6000);
}

static void test_timer_tsc_deadline(void **state)
{
	struct lapic l;

	(void)state;
	enabled(&l);
	lapic_set_tsc_deadline(&l, 777, 4000); /* one-shot mode: ignored */
	assert_int_equal(l.tsc_deadline, 0);
	wr(&l, LAPIC_LVT_TIMER, LAPIC_TIMER_TSC_DEADLINE <<
				LAPIC_TIMER_MODE_SHIFT | 0x60, 0);
	wr(&l, LAPIC_TIMER_ICR, 100, 0); /* ignored in this mode */
	assert_int_equal(rd(&l, LAPIC_TIMER_ICR, 0), 0);
	lapic_set_tsc_deadline(&l, 777, 4000);
	assert_int_equal(lapic_next_event(&l), 4000);
	lapic_timer_update(&l, 3999);
	assert_int_equal(lapic_pending(&l), -1);
	lapic_timer_update(&l, 4000);
	assert_int_equal(lapic_pending(&l), 0x60);
	assert_int_equal(l.tsc_deadline, 0); /* fired: reads 0 */
	assert_int_equal(lapic_next_event(&l), CLOCK_NEVER);
	/* Armed, then leaving the mode disarms it. */
	lapic_set_tsc_deadline(&l, 888, 9000);
	wr(&l, LAPIC_LVT_TIMER, 0x60, 5000);
	assert_int_equal(l.tsc_deadline, 0);
	assert_int_equal(lapic_next_event(&l), CLOCK_NEVER);
}

static void test_lint0_modes(void **state)
{
	struct lapic l;

	(void)state;
	enabled(&l);
	/* Fixed, level-triggered: the vector follows the line. */
	wr(&l, LAPIC_LVT_LINT0, LAPIC_LEVEL | 0x80, 0);
	assert_false(lapic_extint(&l));
	lapic_set_lint0(&l, true);
	assert_int_equal(lapic_pending(&l), 0x80);
	assert_int_equal(rd(&l, LAPIC_TMR + 4, 0), 1);
	lapic_set_lint0(&l, false);
	assert_int_equal(lapic_pending(&l), -1);
	/* NMI mode: each rising edge is an NMI. */
	wr(&l, LAPIC_LVT_LINT0, LAPIC_DM_NMI << LAPIC_DM_SHIFT, 0);
	lapic_set_lint0(&l, true);
	lapic_set_lint0(&l, true);
	assert_int_equal(l.nmis, 1);
	/* Masked: nothing. */
	wr(&l, LAPIC_LVT_LINT0, LAPIC_MASKED | 0x80, 0);
	lapic_set_lint0(&l, false);
	lapic_set_lint0(&l, true);
	assert_int_equal(lapic_pending(&l), -1);
	assert_int_equal(l.nmis, 1);
}

static void test_x2apic_registers(void **state)
{
	struct lapic l;
	uint64_t v;

	(void)state;
	enabled(&l);
	assert_true(lapic_read(&l, LAPIC_ID, true, 0, &v));
	assert_int_equal(v, 0);
	assert_true(lapic_read(&l, LAPIC_LDR, true, 0, &v));
	assert_int_equal(v, 1); /* cluster 0, bit 0 */
	assert_false(lapic_read(&l, LAPIC_DFR, true, 0, &v));
	assert_false(lapic_read(&l, LAPIC_ICR_HI, true, 0, &v));
	assert_false(lapic_read(&l, LAPIC_EOI, true, 0, &v));
	assert_false(lapic_read(&l, LAPIC_SELF_IPI, true, 0, &v));
	assert_false(lapic_write(&l, LAPIC_ID, 0, true, 0));
	assert_false(lapic_write(&l, LAPIC_VER, 0, true, 0));
	assert_false(lapic_write(&l, LAPIC_TPR, 1ULL << 32, true, 0));
	assert_false(lapic_write(&l, LAPIC_EOI, 1, true, 0));
	assert_int_equal(rd(&l, LAPIC_ESR, 0), 0); /* no ESR for those */
	/* SELF IPI; ICR as one 64-bit register, destination in 63:32. */
	assert_true(lapic_write(&l, LAPIC_SELF_IPI, 0x90, true, 0));
	assert_int_equal(lapic_acknowledge(&l), 0x90);
	assert_true(lapic_write(&l, LAPIC_EOI, 0, true, 0));
	assert_true(lapic_write(&l, LAPIC_ICR_LO, 0x91, true, 0));
	assert_int_equal(lapic_acknowledge(&l), 0x91);
	assert_true(lapic_write(&l, LAPIC_EOI, 0, true, 0));
	assert_true(lapic_write(&l, LAPIC_ICR_LO, 5ULL << 32 | 0x92, true, 0));
	assert_int_equal(lapic_pending(&l), -1);
	assert_true(lapic_read(&l, LAPIC_ICR_LO, true, 0, &v));
	assert_int_equal(v, 5ULL << 32 | 0x92);
	assert_true(lapic_write(&l, LAPIC_ICR_LO, 0xffffffffULL << 32 | 0x93,
				true, 0));
	assert_int_equal(lapic_pending(&l), 0x93);
	assert_int_equal(lapic_acknowledge(&l), 0x93);
	/* Logical: cluster 0, bit 0 is this APIC (the xAPIC LDR is not). */
	assert_true(lapic_write(&l, LAPIC_ICR_LO, 0x1ULL << 32 |
				LAPIC_DEST_LOGICAL | 0xa4, true, 0));
	assert_int_equal(lapic_acknowledge(&l), 0xa4);
	assert_true(lapic_write(&l, LAPIC_ICR_LO, 0x10001ULL << 32 |
				LAPIC_DEST_LOGICAL | 0xb5, true, 0));
	assert_int_equal(lapic_pending(&l), -1);
}

static void test_base_transitions(void **state)
{
	const uint64_t off = LAPIC_DEFAULT_BASE, x = off | APIC_BASE_ENABLE,
		       x2 = x | APIC_BASE_EXTD;

	(void)state;
	assert_true(lapic_base_allowed(x, x2));
	assert_true(lapic_base_allowed(x2, off));
	assert_true(lapic_base_allowed(off, x));
	assert_true(lapic_base_allowed(x, off));
	assert_false(lapic_base_allowed(x2, x));   /* must disable first */
	assert_false(lapic_base_allowed(off, x2)); /* must pass xAPIC */
	assert_false(lapic_base_allowed(x, off | APIC_BASE_EXTD));
}

static void test_tpr_is_cr8(void **state)
{
	struct lapic l;

	(void)state;
	enabled(&l);
	wr(&l, LAPIC_TPR, 0x5a, 0);
	assert_int_equal(lapic_cr8(&l), 5);
	lapic_sync_cr8(&l, 5); /* the same class: TPR as written */
	assert_int_equal(rd(&l, LAPIC_TPR, 0), 0x5a);
	lapic_sync_cr8(&l, 3); /* mov cr8, 3: TPR 0x30 */
	assert_int_equal(rd(&l, LAPIC_TPR, 0), 0x30);
}

/* ------------------------------------------------------ in the machine */

static uint32_t mmio_rd(uint64_t gpa, unsigned size)
{
	uint64_t v = 0;

	devices_mmio(&dev_vm, gpa, size, false, &v);
	return (uint32_t)v;
}

static void mmio_wr(uint64_t gpa, uint32_t v)
{
	uint64_t d = v;

	devices_mmio(&dev_vm, gpa, 4, true, &d);
}

#define APIC(off) (LAPIC_DEFAULT_BASE + (off))

static void test_mmio_page(void **state)
{
	struct vcpu *v = &dev_vm.vcpu;

	(void)state;
	v->apic_base = APIC_BASE_DEFAULT | APIC_BASE_BSP | APIC_BASE_ENABLE;
	assert_int_equal(mmio_rd(APIC(0x30), 4), 0x50014);
	assert_int_equal(mmio_rd(APIC(0x34), 4), 0x50014); /* 16-byte slots */
	assert_int_equal(mmio_rd(APIC(0x30), 2), 0);       /* dwords only */
	mmio_wr(APIC(0x80), 0x70);
	assert_int_equal(v->cr8, 7);
	v->cr8 = 2; /* mov cr8 */
	assert_int_equal(mmio_rd(APIC(0x80), 4), 0x20);
	/* Moved elsewhere: the old page is no chip's. */
	v->apic_base = 0xfed00000 | APIC_BASE_BSP | APIC_BASE_ENABLE;
	assert_int_equal(mmio_rd(APIC(0x30), 4), 0xffffffff);
	assert_int_equal(mmio_rd(0xfed00030, 4), 0x50014);
	/* Globally disabled: not decoded. */
	v->apic_base = APIC_BASE_DEFAULT | APIC_BASE_BSP;
	assert_int_equal(mmio_rd(APIC(0x30), 4), 0xffffffff);
	assert_int_equal(mmio_rd(0xfe000000, 8), 0xffffffff);
	/* The IOAPIC: a quadword at IOREGSEL is IOREGSEL, then nothing;
	 * at IOWIN, the window, then nothing. */
	uint64_t q = IOAPIC_REG_VER;
	devices_mmio(&dev_vm, IOAPIC_BASE + IOAPIC_IOREGSEL, 4, true, &q);
	devices_mmio(&dev_vm, IOAPIC_BASE + IOAPIC_IOREGSEL, 8, false, &q);
	assert_int_equal(q, IOAPIC_REG_VER);
	devices_mmio(&dev_vm, IOAPIC_BASE + IOAPIC_IOWIN, 8, false, &q);
	assert_int_equal(q, 0x170020);
	assert_int_equal(mmio_rd(IOAPIC_BASE + IOAPIC_IOWIN, 1), 0);
}

/* The PIC set up as a PC kernel does: vectors 0x20/0x28, IRQ 4 open. */
static void pic_setup(void)
{
	static const uint8_t init[][2] = {
		{ PIC_MASTER_CMD, ICW1_INIT | ICW1_IC4 },
		{ PIC_SLAVE_CMD, ICW1_INIT | ICW1_IC4 },
		{ PIC_MASTER_DATA, 0x20 }, { PIC_SLAVE_DATA, 0x28 },
		{ PIC_MASTER_DATA, 0x04 }, { PIC_SLAVE_DATA, 0x02 },
		{ PIC_MASTER_DATA, 0x01 }, { PIC_SLAVE_DATA, 0x01 },
		{ PIC_MASTER_DATA, 0xef }, { PIC_SLAVE_DATA, 0xff },
	};

	for (size_t i = 0; i < sizeof(init) / sizeof(init[0]); i++)
		dev_out(init[i][0], 1, init[i][1]);
}

/* The UART raises IRQ 4 (THRE interrupt enabled), or lowers it (the
 * interrupt identified, and disabled). */
static void uart_irq4(bool on)
{
	if (!on)
		(void)dev_in(COM1_BASE + UART_IIR, 1);
	dev_out(COM1_BASE + UART_IER, 1, on ? UART_IER_THRE : 0);
	devices_update(&dev_vm);
	assert_int_equal(ns16550a_irq(&dev_vm.dev->com1), on);
}

static void test_pic_through_lint0(void **state)
{
	(void)state;
	dev_vm.vcpu.apic_base = APIC_BASE_DEFAULT | APIC_BASE_BSP |
				APIC_BASE_ENABLE;
	pic_setup();
	uart_irq4(true);
	/* Virtual wire after reset: the PIC's vector, LAPIC disabled by
	 * software or not. */
	assert_true(devices_intr_pending(&dev_vm));
	assert_int_equal(devices_intr_ack(&dev_vm), 0x24);
	dev_out(PIC_MASTER_CMD, 1, OCW2_EOI);
	assert_false(devices_intr_pending(&dev_vm)); /* no new edge */
	uart_irq4(false);
	uart_irq4(true);
	assert_true(devices_intr_pending(&dev_vm));
	/* LINT0 masked: the PIC is cut off. */
	mmio_wr(APIC(0xf0), 0x1ff);
	mmio_wr(APIC(0x350), LAPIC_MASKED | 0x700);
	assert_false(devices_intr_pending(&dev_vm));
	/* The LAPIC globally disabled: the PIC straight to the CPU. */
	dev_vm.vcpu.apic_base &= ~APIC_BASE_ENABLE;
	assert_true(devices_intr_pending(&dev_vm));
	assert_int_equal(devices_intr_ack(&dev_vm), 0x24);
}

/* IOAPIC entry for pin: vector, level or edge, destination APIC 0. */
static void ioapic_entry(unsigned pin, uint32_t low)
{
	mmio_wr(IOAPIC_BASE + IOAPIC_IOREGSEL, IOAPIC_REG_REDTBL + 2 * pin + 1);
	mmio_wr(IOAPIC_BASE + IOAPIC_IOWIN, 0);
	mmio_wr(IOAPIC_BASE + IOAPIC_IOREGSEL, IOAPIC_REG_REDTBL + 2 * pin);
	mmio_wr(IOAPIC_BASE + IOAPIC_IOWIN, low);
}

static void test_ioapic_to_cpu(void **state)
{
	(void)state;
	dev_vm.vcpu.apic_base = APIC_BASE_DEFAULT | APIC_BASE_BSP |
				APIC_BASE_ENABLE;
	/* xv6's way: PIC masked (power-on), LAPIC on, LINT0 masked. */
	mmio_wr(APIC(0xf0), 0x1ff);
	mmio_wr(APIC(0x350), LAPIC_MASKED);
	ioapic_entry(4, 0x34);
	uart_irq4(true);
	assert_true(devices_intr_pending(&dev_vm));
	assert_int_equal(devices_intr_ack(&dev_vm), 0x34);
	assert_false(devices_intr_pending(&dev_vm));
	mmio_wr(APIC(0xb0), 0);
	/* Edge: a line that stays high asks once. */
	devices_update(&dev_vm);
	assert_false(devices_intr_pending(&dev_vm));
	/* Level: remote IRR until the EOI, then again while still high. */
	ioapic_entry(4, 0x35 | IOAPIC_RTE_LEVEL);
	assert_int_equal(devices_intr_ack(&dev_vm), 0x35);
	mmio_wr(IOAPIC_BASE + IOAPIC_IOREGSEL, IOAPIC_REG_REDTBL + 8);
	assert_true(mmio_rd(IOAPIC_BASE + IOAPIC_IOWIN, 4) &
		    IOAPIC_RTE_REMOTE_IRR);
	devices_update(&dev_vm);
	assert_false(devices_intr_pending(&dev_vm));
	mmio_wr(APIC(0xb0), 0); /* EOI, broadcast to the IOAPIC */
	assert_true(devices_intr_pending(&dev_vm));
	assert_int_equal(devices_intr_ack(&dev_vm), 0x35);
	uart_irq4(false);
	mmio_wr(APIC(0xb0), 0);
	assert_false(mmio_rd(IOAPIC_BASE + IOAPIC_IOWIN, 4) &
		     IOAPIC_RTE_REMOTE_IRR);
	assert_false(devices_intr_pending(&dev_vm));
}

/*
 * devices_intr_pending() keeps its answer while nothing moved since the
 * last update: a chip touched, or the vCPU's CR8 or IA32_APIC_BASE, which
 * the guest writes with no chip seeing it (mov to cr8, wrmsr), must each
 * give a fresh answer.  A request held back by the TPR, then let through
 * by CR8 alone, then held again; then the LAPIC turned off under it.
 */
static void test_pending_follows_cr8(void **state)
{
	(void)state;
	dev_vm.vcpu.apic_base = APIC_BASE_DEFAULT | APIC_BASE_BSP |
				APIC_BASE_ENABLE;
	mmio_wr(APIC(0xf0), 0x1ff);
	mmio_wr(APIC(0x350), LAPIC_MASKED);
	mmio_wr(APIC(0x80), 0x40); /* TPR: class 4 and below held */
	ioapic_entry(4, 0x34);
	uart_irq4(true);
	assert_int_equal(dev_vm.vcpu.cr8, 4);
	assert_false(devices_intr_pending(&dev_vm));
	assert_false(devices_intr_pending(&dev_vm)); /* the kept answer */
	dev_vm.vcpu.cr8 = 0; /* mov to cr8: no chip sees it */
	assert_true(devices_intr_pending(&dev_vm));
	assert_true(devices_intr_pending(&dev_vm));
	dev_vm.vcpu.cr8 = 4;
	assert_false(devices_intr_pending(&dev_vm));
	devices_update(&dev_vm); /* the update sees CR8 4: kept again */
	assert_false(devices_intr_pending(&dev_vm));
	dev_vm.vcpu.cr8 = 0;
	devices_update(&dev_vm);
	assert_true(devices_intr_pending(&dev_vm));
	/* The LAPIC off (IA32_APIC_BASE, written behind the chips' back):
	 * the PIC, masked since power-on, asks nothing. */
	dev_vm.vcpu.apic_base &= ~APIC_BASE_ENABLE;
	assert_false(devices_intr_pending(&dev_vm));
	/* A chip touched: the TPR raised by the LAPIC's register. */
	dev_vm.vcpu.apic_base |= APIC_BASE_ENABLE;
	assert_true(devices_intr_pending(&dev_vm));
	mmio_wr(APIC(0x80), 0x40);
	assert_false(devices_intr_pending(&dev_vm));
}

/* Run one instruction (bytes) at CPL 0 as the dispatcher would. */
static void run(const uint8_t *bytes, size_t len)
{
	struct insn in;

	dev_vm.vcpu.cpl = 0;
	dev_vm.vcpu.exception.pending = false;
	assert_int_equal(isa_decode_bytes(bytes, len, dev_vm.vcpu.rip, &in),
			 DECODE_OK);
	interp_lookup(&in)(&dev_vm, &in);
}

static bool msr(uint32_t ecx, bool write, uint64_t *val)
{
	static const uint8_t rdmsr[] = { 0x0f, 0x32 }, wrmsr[] = { 0x0f, 0x30 };
	struct vcpu *v = &dev_vm.vcpu;

	v->regs[GPR_RCX] = ecx;
	v->regs[GPR_RAX] = (uint32_t)*val;
	v->regs[GPR_RDX] = *val >> 32;
	run(write ? wrmsr : rdmsr, 2);
	if (v->exception.pending) {
		assert_int_equal(v->exception.vector, 13);
		return false;
	}
	*val = (uint32_t)v->regs[GPR_RAX] | v->regs[GPR_RDX] << 32;
	return true;
}

static void test_msrs(void **state)
{
	uint64_t base = APIC_BASE_DEFAULT | APIC_BASE_BSP | APIC_BASE_ENABLE;
	uint64_t v = 0;

	(void)state;
	dev_vm.vcpu.apic_base = base;
	assert_false(msr(0x803, false, &v)); /* xAPIC mode: #GP */
	v = base | APIC_BASE_EXTD;
	assert_true(msr(MSR_IA32_APIC_BASE, true, &v));
	v = 0;
	assert_true(msr(0x803, false, &v));
	assert_int_equal(v, 0x50014);
	assert_int_equal(mmio_rd(APIC(0x30), 4), 0xffffffff); /* no page */
	v = 0x1ff;
	assert_true(msr(0x80f, true, &v));
	v = 0x61;
	assert_true(msr(0x83f, true, &v)); /* SELF IPI */
	assert_true(devices_intr_pending(&dev_vm));
	assert_int_equal(devices_intr_ack(&dev_vm), 0x61);
	v = 1;
	assert_false(msr(0x80b, true, &v)); /* EOI must be 0 */
	v = 0;
	assert_true(msr(0x80b, true, &v));
	assert_false(msr(0x831, false, &v));
	v = base; /* x2APIC straight to xAPIC */
	assert_false(msr(MSR_IA32_APIC_BASE, true, &v));
	/* TSC deadline: the LAPIC's deadline on the clock. */
	v = LAPIC_TIMER_TSC_DEADLINE << LAPIC_TIMER_MODE_SHIFT | 0x62;
	assert_true(msr(0x832, true, &v));
	v = ~0ULL >> 1;
	assert_true(msr(MSR_IA32_TSC_DEADLINE, true, &v));
	assert_true(msr(MSR_IA32_TSC_DEADLINE, false, &v));
	assert_int_equal(v, ~0ULL >> 1);
	assert_true(dev_vm.clock.deadline[CLOCK_LAPIC] > clock_now(&dev_vm));
	assert_true(dev_vm.clock.deadline[CLOCK_LAPIC] != CLOCK_NEVER);
	v = 1; /* long past: due now */
	assert_true(msr(MSR_IA32_TSC_DEADLINE, true, &v));
	devices_update(&dev_vm);
	assert_int_equal(devices_intr_ack(&dev_vm), 0x62);
	assert_true(msr(MSR_IA32_TSC_DEADLINE, false, &v));
	assert_int_equal(v, 0);
	/* Globally disabled: the MSRs are gone too. */
	v = APIC_BASE_DEFAULT | APIC_BASE_BSP;
	assert_true(msr(MSR_IA32_APIC_BASE, true, &v));
	assert_false(msr(0x803, false, &v));
}

static void test_cpuid_bits(void **state)
{
	uint32_t out[4];

	(void)state;
	interp_cpuid_values(&dev_vm, 1, 0, out);
	assert_true(out[2] & 1u << 21); /* x2APIC */
	assert_true(out[2] & 1u << 24); /* TSC-deadline */
	assert_true(out[3] & 1u << 9);  /* APIC */
}

int main(void)
{
	if (isa_init() < 0)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reset_state),
		cmocka_unit_test(test_priorities),
		cmocka_unit_test(test_software_disable),
		cmocka_unit_test(test_esr_write_then_read),
		cmocka_unit_test(test_ipis),
		cmocka_unit_test(test_level_eoi_is_broadcast),
		cmocka_unit_test(test_timer_one_shot),
		cmocka_unit_test(test_timer_expiry_visible_to_a_read),
		cmocka_unit_test(test_timer_periodic_and_masked),
		cmocka_unit_test(test_timer_tsc_deadline),
		cmocka_unit_test(test_lint0_modes),
		cmocka_unit_test(test_x2apic_registers),
		cmocka_unit_test(test_base_transitions),
		cmocka_unit_test(test_tpr_is_cr8),
#define T(f) cmocka_unit_test_setup_teardown(f, dev_vm_setup, dev_vm_teardown)
		T(test_mmio_page),
		T(test_pic_through_lint0),
		T(test_ioapic_to_cpu),
		T(test_pending_follows_cr8),
		T(test_msrs),
		T(test_cpuid_bits),
	};
	return cmocka_run_group_tests_name("lapic", tests, NULL, NULL);
}
