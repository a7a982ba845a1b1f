/*
 * guests/runtime/cpu.h - the guest kernel's view of the processor.
 *
 * One inline function per instruction the runtime and the guests need, so
 * that guest C code reads like the SDM (outb, rdmsr, write_cr0 ...) and every
 * inline assembly statement sits in one place.  Under trapvisor each of the
 * privileged ones below traps to the monitor and is emulated there; under
 * QEMU the same instruction runs at a real ring 0.
 *
 * The PV build (gcc -DPV: toyos-pv.elf, pgcheck-pv.elf, bench-pv.elf) is
 * the same code for a paravirtualized kernel, as Xen's and lguest's Linux:
 * the sensitive operations that do not trap at ring 3 become hypercalls or
 * reads and writes of the page shared with the monitor (core/hypercall.h):
 *
 *   operation                 native build        PV build
 *   disable/enable IF         cli / sti           irq_mask byte (+1
 *                                                 hypercall if pending)
 *   read/write the flags      pushf / popf        irq_mask byte (IF only)
 *   GDTR, IDTR                sgdt / sidt         HC_READ_DTR
 *   LDTR, TR, CS, SS, DS      sldt / str / mov    HC_READ_SELECTOR
 *   the machine status word   smsw                mov from CR0 (traps)
 *   CPUID                     cpuid               HC_CPUID
 *   the time-stamp counter    rdtsc               HC_RDTSC
 *
 * The privileged instructions stay as they are in both builds: they trap
 * on every engine, which is all a monitor needs of them.
 */
#ifndef GUESTS_RUNTIME_CPU_H
#define GUESTS_RUNTIME_CPU_H

#include <stddef.h>
#include <stdint.h>

#include "isa/x86.h"

/* The operand of lgdt/lidt/sgdt/sidt: a limit and a linear base (8 bytes
 * of it in 64-bit mode, 4 in 32-bit mode). */
struct __attribute__((packed)) dt_ptr {
	uint16_t limit;
	uintptr_t base;
};

/* ------------------------------------------------------------ port I/O */
static inline void outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port) : "memory");
}

static inline uint8_t inb(uint16_t port)
{
	uint8_t v;

	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port) : "memory");
	return v;
}

static inline void outw(uint16_t port, uint16_t v)
{
	__asm__ volatile("outw %0, %1" : : "a"(v), "Nd"(port) : "memory");
}

static inline uint16_t inw(uint16_t port)
{
	uint16_t v;

	__asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port) : "memory");
	return v;
}

static inline void outl(uint16_t port, uint32_t v)
{
	__asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port) : "memory");
}

static inline uint32_t inl(uint16_t port)
{
	uint32_t v;

	__asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port) : "memory");
	return v;
}

/* ------------------------------------------------------------ MSRs */
static inline uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;

	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr) : "memory");
	return ((uint64_t)hi << 32) | lo;
}

static inline void wrmsr(uint32_t msr, uint64_t v)
{
	__asm__ volatile("wrmsr"
			 : : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32))
			 : "memory");
}

/* ------------------------------------------------------------ control registers */
/* A control register is as wide as the mode: 64 or 32 bits (uintptr_t). */
#define CPU_CR_ACCESSORS(n)                                                  \
	static inline uintptr_t read_cr##n(void)                             \
	{                                                                    \
		uintptr_t v;                                                 \
		__asm__ volatile("mov %%cr" #n ", %0" : "=r"(v) : : "memory"); \
		return v;                                                    \
	}                                                                    \
	static inline void write_cr##n(uintptr_t v)                          \
	{                                                                    \
		__asm__ volatile("mov %0, %%cr" #n : : "r"(v) : "memory");   \
	}
CPU_CR_ACCESSORS(0)
CPU_CR_ACCESSORS(2)
CPU_CR_ACCESSORS(3)
CPU_CR_ACCESSORS(4)
#if defined(__x86_64__)
CPU_CR_ACCESSORS(8) /* the task priority register: 64-bit mode only */
#endif
#undef CPU_CR_ACCESSORS

/* ------------------------------------------------------------ descriptor tables */
static inline void lgdt(const struct dt_ptr *p)
{
	__asm__ volatile("lgdt %0" : : "m"(*p) : "memory");
}

static inline void lidt(const struct dt_ptr *p)
{
	__asm__ volatile("lidt %0" : : "m"(*p) : "memory");
}

static inline void lldt(uint16_t sel)
{
	__asm__ volatile("lldt %0" : : "r"(sel) : "memory");
}

static inline void ltr(uint16_t sel)
{
	__asm__ volatile("ltr %0" : : "r"(sel) : "memory");
}

/* ------------------------------------------------------------ hypercalls */
#ifdef PV
#include "core/hypercall.h"

/* The page shared with the monitor (rt_main.c registers it at boot). */
extern volatile struct hc_shared rt_pv_shared;

/*
 * One hypercall (core/hypercall.h): the number in EAX, the arguments in
 * RDI, RSI, RDX (i386: EBX, ECX, EDX), the result in RAX; *hi gets RDX
 * afterwards (HC_RDTSC's high half on i386).
 */
static inline uintptr_t hypercall(uintptr_t nr, uintptr_t a0, uintptr_t a1,
				  uintptr_t a2, uintptr_t *hi)
{
	uintptr_t ret = nr, d = a2;

#if defined(__x86_64__)
	__asm__ volatile("outl %%eax, %[port]"
			 : "+a"(ret), "+d"(d)
			 : "D"(a0), "S"(a1), [port] "i"(HC_PORT)
			 : "memory");
#else
	__asm__ volatile("outl %%eax, %[port]"
			 : "+a"(ret), "+d"(d)
			 : "b"(a0), "c"(a1), [port] "i"(HC_PORT)
			 : "memory");
#endif
	if (hi)
		*hi = d;
	return ret;
}
#endif /* PV */

/* ------------------------------------------------------------ IF and the flags */
/*
 * cli and sti are privileged (they trap: one exit each); pushf and popf
 * are not, and at ring 3 they show and keep the real IF, not the virtual
 * one.  PV: the shared page's mask byte, written and read without an
 * exit; an interrupt that waited for the unmask costs one hypercall.
 */
static inline void cli(void)
{
#ifdef PV
	rt_pv_shared.irq_mask = HC_MASK_MASKED;
	__asm__ volatile("" : : : "memory");
#else
	__asm__ volatile("cli" : : : "memory");
#endif
}

static inline void sti(void)
{
#ifdef PV
	__asm__ volatile("" : : : "memory");
	rt_pv_shared.irq_mask = 0;
	if (rt_pv_shared.irq_pending)
		hypercall(HC_IRQ_UNMASKED, 0, 0, 0, NULL);
#else
	__asm__ volatile("sti" : : : "memory");
#endif
}

/* sti; hlt: wait for an interrupt with interrupts on.  Natively sti's
 * one-instruction shadow keeps the interrupt from landing before the hlt;
 * the monitor injects interrupts only at exits, and the hlt is one. */
static inline void safe_halt(void)
{
#ifdef PV
	sti();
	__asm__ volatile("hlt" : : : "memory");
#else
	__asm__ volatile("sti; hlt" : : : "memory");
#endif
}

/* RFLAGS (EFLAGS); PV: only IF is meaningful, from the mask byte. */
static inline uintptr_t read_flags(void)
{
#ifdef PV
	return FL_FIXED1 | ((rt_pv_shared.irq_mask & HC_MASK_MASKED) ? 0 : FL_IF);
#else
	uintptr_t fl;

	__asm__ volatile("pushf; pop %0" : "=r"(fl) : : "memory");
	return fl;
#endif
}

/* popf; PV: only IF (a paravirtual kernel changes IOPL by other means). */
static inline void write_flags(uintptr_t fl)
{
#ifdef PV
	if (fl & FL_IF)
		sti();
	else
		cli();
#else
	__asm__ volatile("push %0; popf" : : "r"(fl) : "memory", "cc");
#endif
}

/* ------------------------------------------------------------ what the CPU holds */
static inline void sgdt(struct dt_ptr *p)
{
#ifdef PV
	hypercall(HC_READ_DTR, HC_DTR_GDTR, (uintptr_t)p, 0, NULL);
#else
	__asm__ volatile("sgdt %0" : "=m"(*p) : : "memory");
#endif
}

static inline void sidt(struct dt_ptr *p)
{
#ifdef PV
	hypercall(HC_READ_DTR, HC_DTR_IDTR, (uintptr_t)p, 0, NULL);
#else
	__asm__ volatile("sidt %0" : "=m"(*p) : : "memory");
#endif
}

#ifdef PV
#define CPU_SEL_READER(name, insn, which)                                    \
	static inline uint16_t name(void)                                    \
	{                                                                    \
		return (uint16_t)hypercall(HC_READ_SELECTOR, which, 0, 0,    \
					   NULL);                            \
	}
#else
#define CPU_SEL_READER(name, insn, which)                                    \
	static inline uint16_t name(void)                                    \
	{                                                                    \
		uint16_t sel;                                                \
		__asm__ volatile(insn : "=r"(sel) : : "memory");             \
		return sel;                                                  \
	}
#endif
/* mov from CS, SS, DS; sldt; str */
CPU_SEL_READER(read_cs, "movw %%cs, %0", HC_SEL_CS)
CPU_SEL_READER(read_ss, "movw %%ss, %0", HC_SEL_SS)
CPU_SEL_READER(read_ds, "movw %%ds, %0", HC_SEL_DS)
CPU_SEL_READER(read_ldtr, "sldt %0", HC_SEL_LDTR)
CPU_SEL_READER(read_tr, "str %0", HC_SEL_TR)
#undef CPU_SEL_READER

/* smsw: CR0[15:0]; PV: mov from CR0, privileged, so it traps. */
static inline uint16_t smsw(void)
{
#ifdef PV
	return (uint16_t)read_cr0();
#else
	uint16_t msw;

	__asm__ volatile("smsw %0" : "=r"(msw) : : "memory");
	return msw;
#endif
}

/* CPUID leaf/subleaf into out[0..3] = EAX, EBX, ECX, EDX. */
static inline void cpuid(uint32_t leaf, uint32_t subleaf, uint32_t out[4])
{
#ifdef PV
	hypercall(HC_CPUID, leaf, subleaf, (uintptr_t)out, NULL);
#else
	__asm__ volatile("cpuid"
			 : "=a"(out[0]), "=b"(out[1]), "=c"(out[2]), "=d"(out[3])
			 : "a"(leaf), "c"(subleaf));
#endif
}

static inline uint64_t rdtsc(void)
{
#if defined(PV) && defined(__x86_64__)
	return hypercall(HC_RDTSC, 0, 0, 0, NULL);
#elif defined(PV)
	uintptr_t hi;
	uint32_t lo = hypercall(HC_RDTSC, 0, 0, 0, &hi);

	return ((uint64_t)hi << 32) | lo;
#else
	uint32_t lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
#endif
}

/* ------------------------------------------------------------ the rest */
static inline void invlpg(uintptr_t va)
{
	__asm__ volatile("invlpg (%0)" : : "r"(va) : "memory");
}

#endif /* GUESTS_RUNTIME_CPU_H */
