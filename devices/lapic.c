/*
 * devices/lapic.c - the local APIC (devices/lapic.h; Intel SDM vol. 3A,
 * chapter 11).
 *
 * One CPU, so the APIC bus has one member: an IPI reaches this APIC or
 * nobody.  Interrupts sent to other processors (INIT, STARTUP) are only
 * recorded, for the SMP work to come.  The chip knows nothing of the VM:
 * devices/devices.c wires it to the vCPU (IA32_APIC_BASE, CR8), to the
 * 8259A (LINT0), to the IOAPIC (EOI broadcast) and to the clock.
 */
#include "core/clock.h"
#include "devices/lapic.h"
#include "isa/x86.h"

/* Bits software may write in each LVT entry (SDM figure 11-8). */
static const uint32_t lvt_writable[LAPIC_NLVT] = {
	[LVT_TIMER] = LAPIC_VECTOR | LAPIC_MASKED | LAPIC_TIMER_MODE_MASK,
	[LVT_THERMAL] = LAPIC_VECTOR | LAPIC_DM_MASK | LAPIC_MASKED,
	[LVT_PERF] = LAPIC_VECTOR | LAPIC_DM_MASK | LAPIC_MASKED,
	[LVT_LINT0] = LAPIC_VECTOR | LAPIC_DM_MASK | LAPIC_POLARITY_LOW |
		      LAPIC_LEVEL | LAPIC_MASKED,
	[LVT_LINT1] = LAPIC_VECTOR | LAPIC_DM_MASK | LAPIC_POLARITY_LOW |
		      LAPIC_LEVEL | LAPIC_MASKED,
	[LVT_ERROR] = LAPIC_VECTOR | LAPIC_MASKED,
};

/* ICR low bits software writes: all but the delivery status. */
#define ICR_LO_WRITABLE (LAPIC_VECTOR | LAPIC_DM_MASK | LAPIC_DEST_LOGICAL | \
			 LAPIC_REMOTE_IRR | LAPIC_LEVEL |                 \
			 (3u << LAPIC_SHORTHAND_SHIFT))
#define ICR_LEVEL_ASSERT LAPIC_REMOTE_IRR /* bit 14 in the ICR */

void lapic_init(struct lapic *l)
{
	*l = (struct lapic){ .id = LAPIC_ID_BSP, .dfr = 0xffffffffu,
			     .svr = 0xff, .deadline_ns = CLOCK_NEVER,
			     .eoi_level_vector = -1 };
	for (int i = 0; i < LAPIC_NLVT; i++)
		l->lvt[i] = LAPIC_MASKED;
	/* QEMU's reset for CPU 0 (apic_reset_common): LINT0 in ExtINT
	 * mode, not masked, "as the BIOS typically sets it", so that the
	 * 8259A's interrupts reach the CPU through the enabled APIC. */
	l->lvt[LVT_LINT0] = LAPIC_DM_EXTINT << LAPIC_DM_SHIFT;
}

/* ------------------------------------------------------------------
 * The 256-bit registers and the priorities.
 */
static bool bit_test(const uint32_t *r, unsigned v)
{
	return r[v / 32] >> (v % 32) & 1;
}

static void bit_set(uint32_t *r, unsigned v)
{
	r[v / 32] |= 1u << (v % 32);
}

static void bit_clear(uint32_t *r, unsigned v)
{
	r[v / 32] &= ~(1u << (v % 32));
}

/* The highest vector whose bit is set, or -1. */
static int highest(const uint32_t *r)
{
	for (int w = 7; w >= 0; w--)
		if (r[w])
			return w * 32 + 31 - __builtin_clz(r[w]);
	return -1;
}

/* PPR (SDM 11.8.3.1): TPR if its class is at least the highest class in
 * service, else that class (with subclass 0). */
static uint8_t ppr(const struct lapic *l)
{
	int isrv = highest(l->isr);
	uint8_t isr_class = isrv < 0 ? 0 : (uint8_t)(isrv & 0xf0);

	return (l->tpr & 0xf0) >= isr_class ? l->tpr : isr_class;
}

static bool sw_enabled(const struct lapic *l)
{
	return l->svr & LAPIC_SVR_ENABLE;
}

static void error(struct lapic *l, uint32_t bit);

void lapic_accept(struct lapic *l, uint8_t vector, bool level)
{
	if (vector < 16) { /* vectors 0-15 are reserved for exceptions */
		error(l, LAPIC_ESR_RECV_ILLEGAL);
		return;
	}
	bit_set(l->irr, vector);
	if (level)
		bit_set(l->tmr, vector);
	else
		bit_clear(l->tmr, vector);
}

/* An LVT entry fires (timer, error): fixed delivery of its vector. */
static void lvt_deliver(struct lapic *l, enum lapic_lvt e)
{
	uint32_t lvt = l->lvt[e];

	if (lvt & LAPIC_MASKED)
		return;
	if (((lvt & LAPIC_DM_MASK) >> LAPIC_DM_SHIFT) == LAPIC_DM_NMI)
		l->nmis++;
	else
		lapic_accept(l, (uint8_t)(lvt & LAPIC_VECTOR), false);
}

/* An error the APIC detected: ESR collects it, the error LVT fires once
 * per new kind (so that an illegal error vector cannot loop). */
static void error(struct lapic *l, uint32_t bit)
{
	if (l->esr_pending & bit)
		return;
	l->esr_pending |= bit;
	lvt_deliver(l, LVT_ERROR);
}

int lapic_pending(const struct lapic *l)
{
	int v = highest(l->irr);

	if (!sw_enabled(l) || v < 0)
		return -1;
	if ((v & 0xf0) <= (ppr(l) & 0xf0))
		return -1;
	return v;
}

uint8_t lapic_acknowledge(struct lapic *l)
{
	int v = lapic_pending(l);

	if (v < 0) /* the request went away: the spurious vector, no ISR */
		return (uint8_t)(l->svr & LAPIC_VECTOR);
	bit_clear(l->irr, (unsigned)v);
	bit_set(l->isr, (unsigned)v);
	return (uint8_t)v;
}

/* EOI: the highest vector in service is done.  If it came in level-
 * triggered (TMR), the IOAPIC must hear of it to clear its remote IRR. */
static void eoi(struct lapic *l)
{
	int v = highest(l->isr);

	if (v < 0)
		return;
	bit_clear(l->isr, (unsigned)v);
	if (bit_test(l->tmr, (unsigned)v))
		l->eoi_level_vector = v;
}

/* ------------------------------------------------------------------
 * LINT0, the 8259A's INTR.
 */
static unsigned delivery_mode(uint32_t lvt)
{
	return (lvt & LAPIC_DM_MASK) >> LAPIC_DM_SHIFT;
}

bool lapic_extint(const struct lapic *l)
{
	uint32_t lvt = l->lvt[LVT_LINT0];

	return !(lvt & LAPIC_MASKED) && delivery_mode(lvt) == LAPIC_DM_EXTINT;
}

/*
 * In ExtINT mode the CPU takes the vector from the 8259A itself
 * (lapic_extint); in fixed mode a rising INTR requests the LVT's vector
 * (a level-triggered one goes away with the line, as in QEMU's
 * apic_deliver_pic_intr), in NMI mode it is an NMI.
 */
void lapic_set_lint0(struct lapic *l, bool level)
{
	uint32_t lvt = l->lvt[LVT_LINT0];
	bool rising = level && !l->lint0;

	l->lint0 = level;
	if (lvt & LAPIC_MASKED)
		return;
	if (delivery_mode(lvt) == LAPIC_DM_FIXED) {
		if (rising)
			lapic_accept(l, (uint8_t)(lvt & LAPIC_VECTOR),
				     lvt & LAPIC_LEVEL);
		else if (!level && (lvt & LAPIC_LEVEL))
			bit_clear(l->irr, lvt & LAPIC_VECTOR);
	} else if (delivery_mode(lvt) == LAPIC_DM_NMI && rising) {
		l->nmis++;
	}
}

/* ------------------------------------------------------------------
 * The timer (SDM 11.5.4).  The count falls by one every 2^shift ns (see
 * LAPIC_TIMER_HZ), shift from the divide configuration: DCR bits 3, 1:0
 * give 2, 4, ... 128, and 0b111 means 1.
 */
static unsigned timer_shift(const struct lapic *l)
{
	unsigned v = (l->timer_dcr & 3) | ((l->timer_dcr >> 1) & 4);

	return (v + 1) & 7;
}

static unsigned timer_mode(const struct lapic *l)
{
	return (l->lvt[LVT_TIMER] & LAPIC_TIMER_MODE_MASK) >>
	       LAPIC_TIMER_MODE_SHIFT;
}

/* One period (one-shot: the whole count) in ns; 0 when stopped. */
static uint64_t timer_period(const struct lapic *l)
{
	return (uint64_t)l->timer_initial << timer_shift(l);
}

static uint32_t current_count(const struct lapic *l, uint64_t now)
{
	uint64_t ticks;

	if (timer_mode(l) == LAPIC_TIMER_TSC_DEADLINE || !l->timer_initial)
		return 0; /* the count is not used in TSC-deadline mode */
	ticks = (now - l->timer_start) >> timer_shift(l);
	if (timer_mode(l) == LAPIC_TIMER_PERIODIC)
		return l->timer_initial - (uint32_t)(ticks % l->timer_initial);
	return ticks >= l->timer_initial ? 0 :
	       l->timer_initial - (uint32_t)ticks;
}

/*
 * Expirations since the last look deliver the timer's vector once
 * (missed periods are lost, as a slow CPU loses them); a masked timer
 * counts on and delivers nothing.
 */
void lapic_timer_update(struct lapic *l, uint64_t now)
{
	uint64_t period = timer_period(l), periods;

	if (timer_mode(l) == LAPIC_TIMER_TSC_DEADLINE) {
		if (l->deadline_ns != CLOCK_NEVER && now >= l->deadline_ns) {
			l->tsc_deadline = 0; /* reads 0 once it fired */
			l->deadline_ns = CLOCK_NEVER;
			lvt_deliver(l, LVT_TIMER);
		}
		return;
	}
	if (!period || now < l->timer_start)
		return;
	periods = (now - l->timer_start) / period;
	if (timer_mode(l) != LAPIC_TIMER_PERIODIC && periods > 1)
		periods = 1; /* one-shot: once */
	if (periods > l->timer_fired) {
		l->timer_fired = periods;
		lvt_deliver(l, LVT_TIMER);
	}
}

uint64_t lapic_next_event(const struct lapic *l)
{
	uint64_t period = timer_period(l);

	if (l->lvt[LVT_TIMER] & LAPIC_MASKED)
		return CLOCK_NEVER;
	if (timer_mode(l) == LAPIC_TIMER_TSC_DEADLINE)
		return l->deadline_ns;
	if (!period ||
	    (timer_mode(l) != LAPIC_TIMER_PERIODIC && l->timer_fired))
		return CLOCK_NEVER;
	return l->timer_start + (l->timer_fired + 1) * period;
}

void lapic_set_tsc_deadline(struct lapic *l, uint64_t tsc, uint64_t when_ns)
{
	if (timer_mode(l) != LAPIC_TIMER_TSC_DEADLINE)
		return; /* SDM 11.5.4.1: ignored in the other modes */
	l->tsc_deadline = tsc;
	l->deadline_ns = tsc ? when_ns : CLOCK_NEVER; /* 0 disarms */
}

/* LVT timer written: leaving or entering TSC-deadline mode disarms the
 * timer (SDM 11.5.4.1). */
static void write_lvt_timer(struct lapic *l, uint32_t val)
{
	unsigned old_mode = timer_mode(l);

	l->lvt[LVT_TIMER] = val;
	if ((old_mode == LAPIC_TIMER_TSC_DEADLINE) !=
	    (timer_mode(l) == LAPIC_TIMER_TSC_DEADLINE)) {
		l->timer_initial = 0;
		l->tsc_deadline = 0;
		l->deadline_ns = CLOCK_NEVER;
	}
}

static void write_initial_count(struct lapic *l, uint32_t val, uint64_t now)
{
	if (timer_mode(l) == LAPIC_TIMER_TSC_DEADLINE)
		return; /* ignored in TSC-deadline mode */
	l->timer_initial = val; /* 0 stops the timer */
	l->timer_start = now;
	l->timer_fired = 0;
}

/* ------------------------------------------------------------------
 * Interprocessor interrupts (SDM 11.6): the ICR.
 */

/* x2APIC: the logical ID follows from the APIC ID (SDM 11.12.10.2). */
static uint32_t x2apic_ldr(uint32_t id)
{
	return ((id >> 4) << 16) | (1u << (id & 0xf));
}

bool lapic_matches(const struct lapic *l, uint32_t dest, bool logical,
		   bool x2apic)
{
	uint32_t broadcast = x2apic ? 0xffffffffu : 0xff;

	if (dest == broadcast)
		return true;
	if (!logical)
		return dest == l->id;
	if (x2apic) /* cluster in 31:16, a bit per APIC in 15:0 */
		return (dest >> 16) == (x2apic_ldr(l->id) >> 16) &&
		       (dest & x2apic_ldr(l->id) & 0xffff);
	uint8_t mine = (uint8_t)(l->ldr >> 24);
	if ((l->dfr >> 28) == 0xf) /* flat model: a bit per APIC */
		return dest & mine;
	return (dest & 0xf0) == (mine & 0xf0) && (dest & mine & 0x0f);
}

static void send_ipi(struct lapic *l, bool x2apic)
{
	uint32_t lo = l->icr_lo;
	uint32_t dest = x2apic ? l->icr_hi : l->icr_hi >> 24;
	unsigned sh = (lo >> LAPIC_SHORTHAND_SHIFT) & 3;
	uint8_t vector = (uint8_t)(lo & LAPIC_VECTOR);
	bool me = sh == LAPIC_SH_SELF || sh == LAPIC_SH_ALL ||
		  (sh == LAPIC_SH_NONE &&
		   lapic_matches(l, dest, lo & LAPIC_DEST_LOGICAL, x2apic));

	switch (delivery_mode(lo)) {
	case LAPIC_DM_FIXED:
	case LAPIC_DM_LOWEST:
		if (vector < 16)
			error(l, LAPIC_ESR_SEND_ILLEGAL);
		else if (me)
			lapic_accept(l, vector, false);
		break;
	case LAPIC_DM_NMI:
		if (me)
			l->nmis++;
		break;
	case LAPIC_DM_INIT:
		/* INIT level de-assert: the old synchronisation of
		 * arbitration IDs, nothing to do (SDM 11.6.1). */
		if (!(lo & ICR_LEVEL_ASSERT) && (lo & LAPIC_LEVEL))
			break;
		l->ipi.inits++;
		l->ipi.dest = dest;
		l->ipi.shorthand = (uint8_t)sh;
		break;
	case LAPIC_DM_SIPI:
		l->ipi.sipis++;
		l->ipi.sipi_vector = vector;
		l->ipi.dest = dest;
		l->ipi.shorthand = (uint8_t)sh;
		break;
	default: /* SMI, ExtINT and the reserved modes: nothing here */
		break;
	}
}

/* ------------------------------------------------------------------
 * The register file.
 */

static bool read_reg(const struct lapic *l, unsigned reg, bool x2apic,
		     uint64_t now, uint64_t *val)
{
	*val = 0;
	switch (reg) {
	case LAPIC_ID:  *val = x2apic ? l->id : l->id << 24; break;
	case LAPIC_VER: *val = LAPIC_VERSION; break;
	case LAPIC_TPR: *val = l->tpr; break;
	case LAPIC_APR: *val = 0; break; /* QEMU: no arbitration priority */
	case LAPIC_PPR: *val = ppr(l); break;
	case LAPIC_LDR: *val = x2apic ? x2apic_ldr(l->id) : l->ldr; break;
	case LAPIC_DFR:
		if (x2apic)
			return false;
		*val = l->dfr;
		break;
	case LAPIC_SVR: *val = l->svr; break;
	case LAPIC_ISR ... LAPIC_ISR + 7: *val = l->isr[reg & 7]; break;
	case LAPIC_TMR ... LAPIC_TMR + 7: *val = l->tmr[reg & 7]; break;
	case LAPIC_IRR ... LAPIC_IRR + 7: *val = l->irr[reg & 7]; break;
	case LAPIC_ESR: *val = l->esr; break;
	case LAPIC_ICR_LO:
		*val = x2apic ? (uint64_t)l->icr_hi << 32 | l->icr_lo :
				l->icr_lo;
		break;
	case LAPIC_ICR_HI:
		if (x2apic)
			return false;
		*val = l->icr_hi;
		break;
	case LAPIC_LVT_TIMER ... LAPIC_LVT_ERROR:
		*val = l->lvt[reg - LAPIC_LVT_TIMER];
		break;
	case LAPIC_TIMER_ICR: *val = l->timer_initial; break;
	case LAPIC_TIMER_CCR: *val = current_count(l, now); break;
	case LAPIC_TIMER_DCR: *val = l->timer_dcr; break;
	default: /* EOI and SELF IPI are write-only; the rest absent */
		return false;
	}
	return true;
}

/*
 * A read sees the APIC as it is now: a timer that expired since the
 * monitor last looked has set its vector in the IRR already (a kernel
 * that polls the IRR, or the current count, must see it without waiting
 * for the next exit).
 */
bool lapic_read(struct lapic *l, unsigned reg, bool x2apic, uint64_t now,
		uint64_t *val)
{
	lapic_timer_update(l, now);
	if (read_reg(l, reg, x2apic, now, val))
		return true;
	if (!x2apic) /* xAPIC: no fault, an error in ESR (as QEMU) */
		error(l, LAPIC_ESR_ILLEGAL_REG);
	return false;
}

/* Software-disabled (SDM 11.4.7.2): every LVT entry is masked, and stays
 * masked whatever software writes until the APIC is enabled again. */
static void write_svr(struct lapic *l, uint32_t val)
{
	l->svr = val & 0x1ff; /* vector, enable (QEMU keeps these bits) */
	if (!sw_enabled(l))
		for (int i = 0; i < LAPIC_NLVT; i++)
			l->lvt[i] |= LAPIC_MASKED;
}

static void write_lvt(struct lapic *l, enum lapic_lvt e, uint32_t val)
{
	val &= lvt_writable[e];
	if (!sw_enabled(l))
		val |= LAPIC_MASKED;
	if (e == LVT_TIMER)
		write_lvt_timer(l, val);
	else
		l->lvt[e] = (l->lvt[e] & LAPIC_REMOTE_IRR) | val;
}

/* The registers that take the same write in both modes. */
static bool write_common(struct lapic *l, unsigned reg, uint32_t val,
			 uint64_t now)
{
	switch (reg) {
	case LAPIC_TPR: l->tpr = (uint8_t)val; break;
	case LAPIC_SVR: write_svr(l, val); break;
	case LAPIC_LVT_TIMER ... LAPIC_LVT_ERROR:
		lapic_timer_update(l, now); /* expiries under the old value */
		write_lvt(l, reg - LAPIC_LVT_TIMER, val);
		break;
	case LAPIC_TIMER_ICR:
		write_initial_count(l, val, now);
		break;
	case LAPIC_TIMER_DCR:
		lapic_timer_update(l, now);
		l->timer_dcr = val & 0xb;
		break;
	default:
		return false;
	}
	return true;
}

/* xAPIC: read-only registers ignore writes; absent ones set ESR. */
static bool write_xapic(struct lapic *l, unsigned reg, uint32_t val,
			uint64_t now)
{
	switch (reg) {
	case LAPIC_ID:  l->id = val >> 24; return true;
	case LAPIC_EOI: eoi(l); return true;
	case LAPIC_LDR: l->ldr = val & 0xff000000u; return true;
	case LAPIC_DFR: l->dfr = val | 0x0fffffffu; return true;
	case LAPIC_ESR:
		l->esr = l->esr_pending; /* a write latches, then reads */
		l->esr_pending = 0;
		return true;
	case LAPIC_ICR_LO:
		l->icr_lo = val & ICR_LO_WRITABLE;
		send_ipi(l, false);
		return true;
	case LAPIC_ICR_HI: l->icr_hi = val & 0xff000000u; return true;
	case LAPIC_VER: case LAPIC_APR: case LAPIC_PPR:
	case LAPIC_ISR ... LAPIC_IRR + 7: case LAPIC_TIMER_CCR:
		return true;
	}
	if (write_common(l, reg, val, now))
		return true;
	error(l, LAPIC_ESR_ILLEGAL_REG);
	return false;
}

/* x2APIC (SDM 11.12.1.2): writes to read-only registers, non-zero EOI
 * and ESR writes and reserved upper halves are #GP. */
static bool write_x2apic(struct lapic *l, unsigned reg, uint64_t val,
			 uint64_t now)
{
	if (reg == LAPIC_ICR_LO) {
		l->icr_hi = (uint32_t)(val >> 32);
		l->icr_lo = (uint32_t)val & ICR_LO_WRITABLE;
		send_ipi(l, true);
		return true;
	}
	if (val >> 32)
		return false;
	switch (reg) {
	case LAPIC_EOI:
		if (val)
			return false;
		eoi(l);
		return true;
	case LAPIC_ESR:
		if (val)
			return false;
		l->esr = l->esr_pending;
		l->esr_pending = 0;
		return true;
	case LAPIC_SELF_IPI:
		lapic_accept(l, (uint8_t)val, false);
		return true;
	}
	return write_common(l, reg, (uint32_t)val, now);
}

bool lapic_write(struct lapic *l, unsigned reg, uint64_t val, bool x2apic,
		 uint64_t now)
{
	if (x2apic)
		return write_x2apic(l, reg, val, now);
	return write_xapic(l, reg, (uint32_t)val, now);
}

/* ------------------------------------------------------------------
 * IA32_APIC_BASE and CR8.
 */
static unsigned apic_state(uint64_t base)
{
	return (base & APIC_BASE_ENABLE ? 2 : 0) |
	       (base & APIC_BASE_EXTD ? 1 : 0);
}

/*
 * SDM 11.12.5, figure 11-27: disabled (EN=0, EXTD=0), xAPIC (1, 0),
 * x2APIC (1, 1).  EN=0 with EXTD=1 is invalid; x2APIC may go to
 * disabled but not straight back to xAPIC; disabled must pass through
 * xAPIC to reach x2APIC.
 */
bool lapic_base_allowed(uint64_t old, uint64_t val)
{
	unsigned from = apic_state(old), to = apic_state(val);

	if (to == 1)
		return false;
	if (from == 3 && to == 2)
		return false;
	if (from == 0 && to == 3)
		return false;
	return true;
}

/* Global disable: QEMU's apic_set_base() software-disables the APIC,
 * and software-disabled means every LVT masked (SDM 11.4.7.2). */
void lapic_base_changed(struct lapic *l, uint64_t old, uint64_t val)
{
	if ((old & APIC_BASE_ENABLE) && !(val & APIC_BASE_ENABLE))
		write_svr(l, l->svr & ~LAPIC_SVR_ENABLE);
}

/*
 * vcpu.cr8 is the guest's CR8, which interp/cr.c writes; the APIC looks
 * at it before every use of TPR.  A mov to CR8 sets TPR[7:4] and clears
 * TPR[3:0] (SDM 11.8.6.1): a CR8 that differs from TPR[7:4] is such a
 * write.  (One that rewrites the class already there is not seen, and
 * leaves TPR[3:0]; the subclass takes part in no priority decision.)
 */
void lapic_sync_cr8(struct lapic *l, uint64_t cr8)
{
	if ((uint64_t)(l->tpr >> 4) != cr8)
		l->tpr = (uint8_t)(cr8 << 4);
}

uint64_t lapic_cr8(const struct lapic *l)
{
	return l->tpr >> 4;
}
