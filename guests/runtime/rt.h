/*
 * guests/runtime/rt.h - the guest runtime: what a guest kernel links with.
 *
 * A guest is one folder under guests/ with a `int main(const char *args)`.
 * The runtime boots it (entry32.S under QEMU, entry64.S everywhere), gives
 * it its own GDT with a TSS and an LDT slot, an IDT whose exception vectors
 * land in one C handler, a console on the 16550A UART, a small printf, a
 * page-table helper and a way to run code that is expected to fault.
 * main's return value becomes the machine's exit status (rt_exit).
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

/* The boot_info the machine handed over (trapvisor or the PVH stub). */
extern const struct boot_info *rt_boot_info;

/* Status rt_exit uses when an exception nobody expected arrives. */
#define RT_EXIT_UNEXPECTED_TRAP 3

/* Stop the machine with code: write it to isa-debug-exit, then halt. */
void rt_exit(int code) __attribute__((noreturn));

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

/* ------------------------------------------------------------ segments */
/*
 * The runtime's GDT.  User data sits just below user code so that one
 * STAR value serves syscall and sysretq (sysretq takes SS = STAR[63:48] + 8
 * and CS = STAR[63:48] + 16, both with RPL 3).
 */
#define RT_SEL_KCODE 0x08 /* 64-bit ring-0 code (as at boot) */
#define RT_SEL_KDATA 0x10 /* ring-0 data (as at boot) */
#define RT_SEL_UDATA 0x18 /* ring-3 data */
#define RT_SEL_UCODE 0x20 /* 64-bit ring-3 code */
#define RT_SEL_TSS 0x28   /* 64-bit TSS, 16 bytes */
#define RT_SEL_LDT 0x38   /* an LDT with one descriptor, 16 bytes */
#define RT_GDT_ENTRIES 9  /* 8-byte slots: limit 0x47 */
#define RT_STAR_SYSRET_BASE RT_SEL_KDATA
#define RT_LDT_SEL_DATA (0x00 | SEL_TI) /* LDT entry 0: ring-0 data */
#define RT_LDT_ENTRIES 1

/* The descriptor values the runtime installs. */
#define RT_DESC_KCODE 0x00af9b000000ffffULL
#define RT_DESC_KDATA 0x00cf93000000ffffULL
#define RT_DESC_UDATA 0x00cff3000000ffffULL
#define RT_DESC_UCODE 0x00affb000000ffffULL

/* The 64-bit TSS (SDM vol. 3, 8.7); only rsp0 is used by the runtime. */
struct __attribute__((packed)) rt_tss {
	uint32_t reserved0;
	uint64_t rsp[3];
	uint64_t reserved1;
	uint64_t ist[7];
	uint64_t reserved2;
	uint16_t reserved3;
	uint16_t iomap_base;
};

extern uint64_t rt_gdt[RT_GDT_ENTRIES];
extern uint64_t rt_ldt[RT_LDT_ENTRIES];
extern struct rt_tss rt_tss;

/* ------------------------------------------------------------ traps */
/*
 * What every interrupt and exception stub leaves on the stack, lowest
 * address first: the general registers it saved, the vector and error
 * code it pushed (0 when the CPU pushes none), then the CPU's frame.
 */
struct rt_frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector, error;
	uint64_t rip, cs, rflags, rsp, ss; /* pushed by the CPU */
};

/* A handler for one vector; it may change the frame before iretq. */
typedef void rt_handler(struct rt_frame *f);

/* Route vector to handler (NULL: back to the default). */
void rt_set_handler(unsigned vector, rt_handler *handler);
/* Make IDT entry vector an interrupt gate with this DPL on the stub for
 * stub_vector (normally the same number). */
void rt_set_gate(unsigned vector, unsigned stub_vector, unsigned dpl);
/* Write, into gate[0..1], an interrupt gate (DPL dpl, the kernel code
 * segment) that enters stub_vector's stub. */
void rt_gate_encode(uint64_t gate[2], unsigned stub_vector, unsigned dpl);
/* The entry stub of each vector (each pushes its own vector number). */
extern const uint64_t rt_vector_stubs[256];
/* The runtime's IDT: 256 gates of 16 bytes. */
extern uint64_t rt_idt[256 * 2];
#define RT_IDT_LIMIT (256 * GATE_SIZE - 1)

/* What an expected fault looked like. */
struct rt_fault {
	unsigned vector;
	uint64_t error;  /* 0 when the vector pushes none */
	uint64_t cr2;    /* for #PF */
	uint64_t rip;    /* of the faulting instruction (after it, for traps) */
	uint64_t cs;     /* as pushed: tells the CPL the fault came from */
	uint64_t rflags; /* as pushed: the flags when it faulted */
};

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
 * a 2 MiB page on the way is first split into 512 4 KiB pages with the
 * same rights.  Tables come from a small pool in .bss.
 */
uint64_t *rt_pte(uint64_t va);
/* Map va to pa with flags (PTE_*), grant flags & PTE_U at every level on
 * the way, and flush va from the TLB. */
void rt_map_page(uint64_t va, uint64_t pa, uint64_t flags);

/* ------------------------------------------------------------ set-up (internal) */
void rt_serial_init(void);
void rt_desc_init(void);
void rt_trap_init(void);
void rt_main(struct boot_info *bi) __attribute__((noreturn));

#endif /* GUESTS_RUNTIME_RT_H */
