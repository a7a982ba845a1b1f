/*
 * guests/runtime/rt.h - the guest runtime: what a guest kernel links with.
 *
 * A guest is one folder under guests/ with a `int main(const char *args)`.
 * The runtime boots it (x86-64: pvh_x86_64.S under QEMU, entry_x86_64.S
 * everywhere; i386: entry_i386.S, a multiboot kernel), gives it its own
 * GDT with a TSS and an LDT slot, an IDT whose exception vectors land in
 * one C handler, a console on the 16550A UART, a small printf, paging
 * with an identity map of the first 4 GiB and a page-table helper, and a
 * way to run code that is expected to fault.  main's return value becomes
 * the machine's exit status (rt_exit).
 */
#ifndef GUESTS_RUNTIME_RT_H
#define GUESTS_RUNTIME_RT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "isa/x86.h"
#include "monitor/boot.h"

/* The guest's own entry point; args is the boot command line ("" if none). */
int main(const char *args);

/* ------------------------------------------------------------ boot, exit */

/* The boot_info the machine handed over (trapvisor or the PVH stub; on
 * i386, rt_multiboot's translation of the multiboot information). */
extern const struct boot_info *rt_boot_info;

/* Status rt_exit uses when an exception nobody expected arrives. */
#define RT_EXIT_UNEXPECTED_TRAP 3

/* Stop the machine with code: write it to isa-debug-exit, then halt. */
void rt_exit(int code) __attribute__((noreturn));

/* A lab's hole in a guest (labs/README.md): "lab N: WHAT is not written
 * yet (see HANDOUT)" on the console, then exit status 125, as the
 * monitor's own holes stop a guest (core/lab.h). */
void rt_lab_todo(int lab, const char *what, const char *handout)
	__attribute__((noreturn));

/* ------------------------------------------------------------ interrupts */

/*
 * Program the 8259A pair as every PC kernel does: IRQ 0-7 at vectors
 * vec_master.., IRQ 8-15 at vec_slave.. (off the exceptions), the slave on
 * IRQ 2, 8086 mode; then the masks (OCW1: a set bit masks its line).
 */
void rt_pic_init(uint8_t vec_master, uint8_t vec_slave, uint8_t master_mask,
		 uint8_t slave_mask);

/* ------------------------------------------------------------ console */

/* Send one byte to the UART ("\n" goes out as is, no CR is added). */
void rt_putc(char c);
/* Send a NUL-ended string, nothing appended. */
void rt_puts(const char *s);
/*
 * printf for the console: %d %i %u %x %p %s %c %%, the l and ll
 * modifiers, a field width and the 0 flag.  Returns the bytes written.
 */
int rt_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The same into buf (always NUL-ended when size > 0); returns the length
 * the whole output would have had. */
int rt_snprintf(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int rt_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
/*
 * Format into one of four static 160-byte buffers, used in turn, so that a
 * text can quote one a helper returned (a check's FAIL text: "lgdt: %s").
 */
const char *rt_fmt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ------------------------------------------------------------ strings */
/* The C library names, because the compiler may emit calls to them. */
void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
void *memmove(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);

/* ------------------------------------------------------------ the machine */
/*
 * What differs between the two machines the runtime is built for: its
 * GDT and TSS, the trap frame, the IDT's gates, the page-table format and
 * the boot.  rt_x86_64.h for the 64-bit build (gcc -m64), rt_i386.h for
 * the i386 one (gcc -m32); the files whose names end in _x86_64 or _i386
 * implement them, the others are shared.
 */
#if defined(__x86_64__)
#include "rt_x86_64.h"
#elif defined(__i386__)
#include "rt_i386.h"
#else
#error "the guest runtime is built for x86-64 or i386"
#endif

/* ------------------------------------------------------------ traps */
/* A handler for one vector; it may change the frame before the iret. */
typedef void rt_handler(struct rt_frame *f);

/* Route vector to handler (NULL: back to the default). */
void rt_set_handler(unsigned vector, rt_handler *handler);
/* Make IDT entry vector an interrupt gate with this DPL on the stub for
 * stub_vector (normally the same number). */
void rt_set_gate(unsigned vector, unsigned stub_vector, unsigned dpl);
/* Write, into gate (RT_GATE_WORDS words), an interrupt gate (DPL dpl, the
 * kernel code segment) that enters stub_vector's stub. */
void rt_gate_encode(uint64_t gate[RT_GATE_WORDS], unsigned stub_vector,
		    unsigned dpl);
/* The entry stub of each vector (each pushes its own vector number). */
extern const uintptr_t rt_vector_stubs[256];
/* The runtime's IDT: 256 gates of RT_GATE_WORDS 8-byte words. */
extern uint64_t rt_idt[256 * RT_GATE_WORDS];
#define RT_IDT_LIMIT (256 * RT_GATE_WORDS * 8 - 1)

/*
 * Run fn(arg).  If it returns, rt_try returns 0.  If an exception arrives
 * first, it is recorded in *f and rt_try returns 1 at once, on its own stack
 * at CPL 0 (fn is abandoned).  Tries do not nest.
 */
int rt_try(void (*fn)(void *), void *arg, struct rt_fault *f);

/* "#GP" and so on. */
const char *rt_vector_name(unsigned vector);

/* ------------------------------------------------------------ paging */
/*
 * The 4 KiB page-table entry that maps va in the current address space;
 * a large page on the way (2 MiB on x86-64, 4 MiB on i386) is first split
 * into 4 KiB pages with the same rights.  Tables come from a small pool in
 * .bss.  rt_pte_t and the RT_PT_* names of the format are in the machine's
 * header.
 */
rt_pte_t *rt_pte(uintptr_t va);
/* Map va to pa with flags (PTE_*), grant flags & PTE_U at every level on
 * the way, and flush va from the TLB. */
void rt_map_page(uintptr_t va, uintptr_t pa, rt_pte_t flags);

/* ------------------------------------------------------------ set-up (internal) */
void rt_serial_init(void);
void rt_desc_init(void);
void rt_trap_init(void);
void rt_main(struct boot_info *bi) __attribute__((noreturn));

#endif /* GUESTS_RUNTIME_RT_H */
