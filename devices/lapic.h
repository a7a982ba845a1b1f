/*
 * devices/lapic.h - the local APIC of the one virtual CPU (Intel SDM vol.
 * 3A, chapter 11 "Advanced Programmable Interrupt Controller").
 *
 * The local APIC sits in the CPU.  It takes interrupts from the IOAPIC's
 * messages, from its own timer and from its two local pins (LINT0 carries
 * the 8259A's INTR, LINT1 the NMI line), orders them by vector priority
 * and hands the CPU the most urgent one.  Software reaches its registers
 * in two ways, chosen by IA32_APIC_BASE (vcpu.apic_base):
 *
 *   xAPIC   EN (bit 11) set, EXTD (bit 10) clear: a 4 KiB page of 32-bit
 *           registers at the base address (0xfee00000 after reset), one
 *           every 16 bytes;
 *   x2APIC  EN and EXTD set: the same registers as MSRs 0x800 + offset/16
 *           (rdmsr/wrmsr), a 32-bit ID, ICR as one 64-bit MSR, and a
 *           SELF IPI register; the page is not decoded any more.
 *
 *   offset  register                       offset  register
 *   0x020   ID                             0x280   ESR  error status
 *   0x030   version (read only)            0x300   ICR low  (x2APIC: all)
 *   0x080   TPR  task priority             0x310   ICR high (xAPIC only)
 *   0x0a0   PPR  processor priority (ro)   0x320   LVT timer
 *   0x0b0   EOI  (write only)              0x330   LVT thermal sensor
 *   0x0d0   LDR  logical destination       0x340   LVT performance counter
 *   0x0e0   DFR  destination format        0x350   LVT LINT0
 *           (xAPIC only)                   0x360   LVT LINT1
 *   0x0f0   SVR  spurious vector, enable   0x370   LVT error
 *   0x100   ISR  in service    \ 8 regs,   0x380   timer initial count
 *   0x180   TMR  trigger mode   } 256 bits 0x390   timer current count (ro)
 *   0x200   IRR  requests      /           0x3e0   timer divide configuration
 *                                          0x3f0   SELF IPI (x2APIC only, wo)
 *
 * The vector's upper nibble is its priority class: the APIC delivers the
 * highest requested vector whose class is above the processor priority
 * (PPR: the larger of TPR and the class in service), moves it from IRR to
 * ISR when the CPU acknowledges it, and clears the highest ISR bit on an
 * EOI.  CR8 is TPR[7:4] seen from 64-bit code: one value, two doors.
 *
 * The chip is QEMU's (hw/intc/apic.c) where the SDM leaves a choice:
 * version 0x14 with six LVT entries, ID 0 on the one CPU, LINT0 in ExtINT
 * mode after reset so that the 8259A's interrupts pass through.
 */
#ifndef DEVICES_LAPIC_H
#define DEVICES_LAPIC_H

#include <stdbool.h>
#include <stdint.h>

#define LAPIC_DEFAULT_BASE 0xfee00000u /* IA32_APIC_BASE after reset */
#define LAPIC_PAGE_SIZE 0x1000u
#define LAPIC_ID_BSP 0         /* the one CPU's APIC ID, as QEMU's CPU 0 */
/* Version 0x14 (an integrated APIC); bits 23:16: the highest LVT entry,
 * 5, for the six LVT registers QEMU has (no CMCI). */
#define LAPIC_VERSION 0x00050014u

/*
 * The timer's input: QEMU counts the timer in nanoseconds of its virtual
 * clock (apic_next_timer() in hw/intc/apic_common.c shifts the ns since
 * the count was loaded by the divider's shift), so one count per ns at
 * divide-by-1: a 1 GHz bus clock, as KVM's APIC_BUS_CYCLE_NS = 1 as well.
 */
#define LAPIC_TIMER_HZ 1000000000ULL

/* IA32_APIC_BASE bits beyond isa/x86.h's BSP and EN. */
#define APIC_BASE_EXTD 0x00000400UL /* x2APIC mode */

#define MSR_IA32_TSC_DEADLINE 0x6e0
#define MSR_X2APIC_FIRST 0x800     /* x2APIC register r: MSR 0x800 + r */
#define MSR_X2APIC_LAST 0x8ff

/* Register indices: the xAPIC offset / 16, the x2APIC MSR - 0x800. */
enum lapic_reg {
	LAPIC_ID = 0x02,
	LAPIC_VER = 0x03,
	LAPIC_TPR = 0x08,
	LAPIC_APR = 0x09,
	LAPIC_PPR = 0x0a,
	LAPIC_EOI = 0x0b,
	LAPIC_RRD = 0x0c,
	LAPIC_LDR = 0x0d,
	LAPIC_DFR = 0x0e,
	LAPIC_SVR = 0x0f,
	LAPIC_ISR = 0x10, /* .. 0x17 */
	LAPIC_TMR = 0x18, /* .. 0x1f */
	LAPIC_IRR = 0x20, /* .. 0x27 */
	LAPIC_ESR = 0x28,
	LAPIC_ICR_LO = 0x30,
	LAPIC_ICR_HI = 0x31,
	LAPIC_LVT_TIMER = 0x32, /* the six LVT entries, in this order */
	LAPIC_LVT_THERMAL = 0x33,
	LAPIC_LVT_PERF = 0x34,
	LAPIC_LVT_LINT0 = 0x35,
	LAPIC_LVT_LINT1 = 0x36,
	LAPIC_LVT_ERROR = 0x37,
	LAPIC_TIMER_ICR = 0x38,
	LAPIC_TIMER_CCR = 0x39,
	LAPIC_TIMER_DCR = 0x3e,
	LAPIC_SELF_IPI = 0x3f,
};

enum lapic_lvt { LVT_TIMER, LVT_THERMAL, LVT_PERF, LVT_LINT0, LVT_LINT1,
		 LVT_ERROR, LAPIC_NLVT };

#define LAPIC_SVR_ENABLE 0x100u    /* APIC software enable */
#define LAPIC_SVR_NO_EOI_BCAST 0x1000u /* suppress EOI broadcast (not
					  offered: version bit 24 is 0) */

/* LVT and ICR fields. */
#define LAPIC_VECTOR 0xffu
#define LAPIC_DM_SHIFT 8
#define LAPIC_DM_MASK (7u << LAPIC_DM_SHIFT)
#define LAPIC_DM_FIXED 0u
#define LAPIC_DM_LOWEST 1u
#define LAPIC_DM_SMI 2u
#define LAPIC_DM_NMI 4u
#define LAPIC_DM_INIT 5u
#define LAPIC_DM_SIPI 6u
#define LAPIC_DM_EXTINT 7u
#define LAPIC_DEST_LOGICAL (1u << 11)  /* ICR: destination mode */
#define LAPIC_PENDING (1u << 12)       /* delivery status: never busy here */
#define LAPIC_POLARITY_LOW (1u << 13)  /* LINT0/1 input pin polarity */
#define LAPIC_REMOTE_IRR (1u << 14)    /* LINT0/1 (ICR: level assert) */
#define LAPIC_LEVEL (1u << 15)         /* trigger mode: level (LINT0/1) */
#define LAPIC_MASKED (1u << 16)
#define LAPIC_TIMER_MODE_SHIFT 17      /* LVT timer bits 18:17 */
#define LAPIC_TIMER_MODE_MASK (3u << LAPIC_TIMER_MODE_SHIFT)
#define LAPIC_TIMER_ONESHOT 0u
#define LAPIC_TIMER_PERIODIC 1u
#define LAPIC_TIMER_TSC_DEADLINE 2u
#define LAPIC_SHORTHAND_SHIFT 18       /* ICR bits 19:18 */
#define LAPIC_SH_NONE 0u
#define LAPIC_SH_SELF 1u
#define LAPIC_SH_ALL 2u
#define LAPIC_SH_OTHERS 3u

/* ESR bits. */
#define LAPIC_ESR_SEND_ILLEGAL 0x20u   /* sent an illegal vector (0-15) */
#define LAPIC_ESR_RECV_ILLEGAL 0x40u   /* received one */
#define LAPIC_ESR_ILLEGAL_REG 0x80u    /* touched a register not there */

/* What the APIC sent towards other processors, for the SMP work: with one
 * CPU an INIT or a SIPI reaches nobody, and is only recorded. */
struct lapic_ipi_log {
	uint32_t inits;        /* INIT IPIs sent (INIT level de-assert not
				  counted) */
	uint32_t sipis;        /* STARTUP IPIs sent */
	uint8_t sipi_vector;   /* the last one's vector: start at vector<<12 */
	uint32_t dest;         /* the last INIT or SIPI's destination field */
	uint8_t shorthand;     /* ... and its shorthand (LAPIC_SH_*) */
};

struct lapic {
	uint32_t id;            /* APIC ID (xAPIC: shown in bits 31:24) */
	uint8_t tpr;            /* task priority; CR8 is tpr >> 4 */
	uint32_t ldr, dfr;      /* logical destination, format (xAPIC) */
	uint32_t svr;           /* spurious vector (7:0), enable (8) */
	uint32_t isr[8], tmr[8], irr[8]; /* 256-bit, vector v: word v/32 */
	uint32_t esr_pending;   /* errors since the last ESR write */
	uint32_t esr;           /* what ESR reads: latched by the last write */
	uint32_t icr_lo, icr_hi;
	uint32_t lvt[LAPIC_NLVT];
	/* timer */
	uint32_t timer_initial; /* initial count; 0: stopped */
	uint32_t timer_dcr;     /* divide configuration (bits 0, 1, 3) */
	uint64_t timer_start;   /* virtual ns when the count was loaded */
	uint64_t timer_fired;   /* periods already delivered since then */
	uint64_t tsc_deadline;  /* IA32_TSC_DEADLINE; 0: disarmed */
	uint64_t deadline_ns;   /* ... as virtual time (CLOCK_NEVER: none) */
	/* inputs and outputs beyond the registers */
	bool lint0;             /* the 8259A's INTR as LINT0 sees it */
	uint32_t nmis;          /* NMIs delivered to this CPU (recorded) */
	int eoi_level_vector;   /* a level-triggered vector's EOI the IOAPIC
				   must hear (remote IRR), or -1 */
	struct lapic_ipi_log ipi;
};

/* Power-on/reset state, as QEMU's apic_reset_common() for CPU 0. */
void lapic_init(struct lapic *l);

/*
 * A register access, xAPIC (x2apic false: 32-bit values, ICR in two
 * halves) or x2APIC (ICR one 64-bit MSR; ID and LDR read only).  now is
 * virtual time for the timer.  false: the register does not exist for
 * this access (xAPIC: *val is 0 and ESR records an illegal register
 * address, as QEMU's APIC does; x2APIC: #GP).
 */
bool lapic_read(struct lapic *l, unsigned reg, bool x2apic, uint64_t now,
		uint64_t *val);
bool lapic_write(struct lapic *l, unsigned reg, uint64_t val, bool x2apic,
		 uint64_t now);

/* IA32_APIC_BASE: is old -> val a transition the SDM allows (11.12.5)? */
bool lapic_base_allowed(uint64_t old, uint64_t val);
/* It happened: the APIC follows (global disable resets it). */
void lapic_base_changed(struct lapic *l, uint64_t old, uint64_t val);

/* CR8 and TPR are one value: take a CR8 the guest wrote; CR8 to show. */
void lapic_sync_cr8(struct lapic *l, uint64_t cr8);
uint64_t lapic_cr8(const struct lapic *l);

/* A fixed interrupt arrives (IOAPIC message, self IPI, LVT): IRR. */
void lapic_accept(struct lapic *l, uint8_t vector, bool level);
/* The 8259A's INTR output on LINT0. */
void lapic_set_lint0(struct lapic *l, bool level);
/* Does LINT0 pass the 8259A's INTR to the CPU (ExtINT, not masked)? */
bool lapic_extint(const struct lapic *l);
/* The vector the APIC would deliver now (above PPR), or -1. */
int lapic_pending(const struct lapic *l);
/* The CPU takes it: IRR -> ISR; the vector (the spurious vector if the
 * request went away). */
uint8_t lapic_acknowledge(struct lapic *l);

/*
 * Is this APIC the destination dest of a message (IPI, IOAPIC entry)?
 * Physical: dest is its ID, or the broadcast ID (0xff, x2APIC
 * 0xffffffff); logical: dest's bits meet LDR's, in the flat or cluster
 * model DFR names (x2APIC: cluster in bits 31:16).
 */
bool lapic_matches(const struct lapic *l, uint32_t dest, bool logical,
		   bool x2apic);

/* The timer: deliver what expired by now; the next expiry or CLOCK_NEVER. */
void lapic_timer_update(struct lapic *l, uint64_t now);
uint64_t lapic_next_event(const struct lapic *l);
/* IA32_TSC_DEADLINE written: tsc as written, when_ns the virtual time it
 * stands for. */
void lapic_set_tsc_deadline(struct lapic *l, uint64_t tsc, uint64_t when_ns);

#endif /* DEVICES_LAPIC_H */
