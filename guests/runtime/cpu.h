/*
 * guests/runtime/cpu.h - the guest kernel's view of the processor.
 *
 * One inline function per instruction the runtime and the guests need, so
 * that guest C code reads like the SDM (outb, rdmsr, write_cr0 ...) and every
 * inline assembly statement sits in one place.  Under trapvisor each of the
 * privileged ones below traps to the monitor and is emulated there; under
 * QEMU the same instruction runs at a real ring 0.
 */
#ifndef GUESTS_RUNTIME_CPU_H
#define GUESTS_RUNTIME_CPU_H

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

/* ------------------------------------------------------------ the rest */
static inline void cli(void)
{
	__asm__ volatile("cli" : : : "memory");
}

static inline void sti(void)
{
	__asm__ volatile("sti" : : : "memory");
}

static inline void invlpg(uintptr_t va)
{
	__asm__ volatile("invlpg (%0)" : : "r"(va) : "memory");
}

/* CPUID leaf/subleaf into out[0..3] = EAX, EBX, ECX, EDX. */
static inline void cpuid(uint32_t leaf, uint32_t subleaf, uint32_t out[4])
{
	__asm__ volatile("cpuid"
			 : "=a"(out[0]), "=b"(out[1]), "=c"(out[2]), "=d"(out[3])
			 : "a"(leaf), "c"(subleaf));
}

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

#endif /* GUESTS_RUNTIME_CPU_H */
