/*
 * guests/mb32/mb32.h - mb32, the project's own 32-bit multiboot kernel.
 *
 * mb32 is what a kernel written for `qemu -kernel` expects of a PC, checked
 * one fact at a time: it boots through multiboot v1 into 32-bit protected
 * mode with paging off, then looks at the entry state, the firmware's MP
 * and ACPI tables, segmentation and interrupts, every 32-bit paging format,
 * the PC's devices (8259A, IOAPIC, LAPIC, PIT, CMOS, ACPI PM timer, IDE,
 * 8042) and finally the way into long mode.  Every line it prints on COM1
 * is a fact both machines must share (no counts that depend on timing), so
 * its whole output on trapvisor must equal its output on QEMU.
 *
 * Unlike the other guests it does not take the runtime's machine set-up
 * (guests/runtime/): it is an i386 ELF (guest32.ld, built with gcc -m32)
 * with its own entry, GDT, IDT and trap code, as an xv6-style kernel has,
 * because those are what it checks.  It links only the runtime's console,
 * printf and string functions (the Makefile's RT32_LIB_OBJ).
 */
#ifndef GUESTS_MB32_MB32_H
#define GUESTS_MB32_MB32_H

#include "isa/x86.h"

/* ------------------------------------------------------------ layout */
#define MB32_KSTACK_SIZE 16384

/* mb32's GDT (protmode.c); the boot loader's is used until section 3. */
#define SEL_KCODE 0x08   /* flat 32-bit ring-0 code */
#define SEL_KDATA 0x10   /* flat ring-0 data */
#define SEL_UCODE 0x1b   /* flat 32-bit ring-3 code, RPL 3 */
#define SEL_UDATA 0x23   /* flat ring-3 data, RPL 3 */
#define SEL_TSS 0x28     /* the 32-bit TSS */
#define SEL_KCODE2 0x30  /* a second ring-0 code segment, for the far jump */
#define SEL_KCODE64 0x38 /* 64-bit ring-0 code, for long mode */
#define GDT_ENTRIES 8

/* Vectors mb32 uses beyond the exceptions. */
#define VEC_PIC_BASE 0x20   /* 8259A IRQ 0-15, all masked */
#define VEC_IOAPIC_PIT 0x30 /* IOAPIC pin 2 (ISA IRQ 0) */
#define VEC_LAPIC_TIMER 0x40
#define VEC_SYSCALL 0x80
#define VEC_SPURIOUS 0xff
#define VEC_KERNEL_ONLY 0x81 /* a gate of DPL 0: int $0x81 at CPL 3 faults */

/* The system calls of int $0x80: number in EAX, arguments in EBX, ECX. */
#define SYS_WRITE 1 /* EBX = text, ECX = length */
#define SYS_FLAGS 2 /* EBX = the caller's EFLAGS, to be reported */
#define SYS_EXIT 3  /* EBX = status */

/* The page paging.c maps for the kernel only; user_probe reads it. */
#define USER_PROBE_VA 0x40000000

#define EFLAGS_IF 0x200
#define EFLAGS_VM 0x20000

#ifndef __ASSEMBLER__
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rt.h"

/* ------------------------------------------------------------ multiboot v1 */
/* The Multiboot Specification 0.6.96, section 3.3: struct multiboot_info. */
#define MB_BOOTLOADER_MAGIC 0x2badb002 /* in EAX at entry */
#define MBI_MEM (1u << 0)       /* mem_lower, mem_upper */
#define MBI_CMDLINE (1u << 2)
#define MBI_MODS (1u << 3)
#define MBI_MMAP (1u << 6)
#define MBI_LOADER_NAME (1u << 9)

struct mb_info {
	uint32_t flags;
	uint32_t mem_lower, mem_upper; /* KiB below 1 MiB, KiB from 1 MiB */
	uint32_t boot_device;
	uint32_t cmdline;
	uint32_t mods_count, mods_addr;
	uint32_t syms[4];
	uint32_t mmap_length, mmap_addr;
	uint32_t drives_length, drives_addr;
	uint32_t config_table;
	uint32_t boot_loader_name;
};

struct mb_module {
	uint32_t mod_start, mod_end; /* [start, end) physical */
	uint32_t string;
	uint32_t reserved;
};

/* One memory-map entry; size does not count itself. */
struct __attribute__((packed)) mb_mmap_entry {
	uint32_t size;
	uint64_t addr, len;
	uint32_t type; /* 1: available RAM */
};

/* ------------------------------------------------------------ console */
/* The console, printf and the string functions are the guest runtime's
 * (rt.h: rt_serial_init, rt_putc, rt_printf, rt_vsnprintf, memset ...),
 * from its i386 build; the machine set-up is mb32's own. */
/* Print "== title ==" before a section. */
void section(const char *title);
/* Print "PASS name" or "FAIL name (why)" and count a failure. */
void check(bool ok, const char *name, const char *why_fmt, ...)
	__attribute__((format(printf, 3, 4)));
extern unsigned failures;
/* Write code to isa-debug-exit and halt. */
void mb_exit(int code) __attribute__((noreturn));

/* ------------------------------------------------------------ traps */
/* What entry.S leaves on the stack for trap(), lowest address first. */
struct frame {
	uint32_t es, ds;
	uint32_t edi, esi, ebp, esp_pusha, ebx, edx, ecx, eax; /* pusha */
	uint32_t vector, error;  /* pushed by the stub (error 0 if none) */
	uint32_t eip, cs, eflags; /* pushed by the CPU */
	uint32_t esp, ss;         /* only from ring 3 */
};

typedef void handler_fn(struct frame *f);
void set_handler(unsigned vector, handler_fn *h);
void trap(struct frame *f);

/* What an expected fault looked like. */
struct fault {
	unsigned vector;
	uint32_t error, cr2, eip, cs;
};

/*
 * Run fn(arg) at CPL 0.  Returns 0 if it returns; 1 as soon as an exception
 * arrives (recorded in *f), or when something calls try_abandon().
 */
int try_run(void (*fn)(void *), void *arg, struct fault *f);
/* Run the ring-3 code at eip (user.S) as try_run runs fn: 1 when it
 * faults or exits. */
int run_user(void *eip, struct fault *f);
/* From a handler: end the current try_run with 1, after the handler. */
void try_abandon(struct frame *f);

/* entry.S */
extern const uint32_t vector_stubs[256];
extern char try_landing[];
int try_enter(void (*fn)(void *), void *arg);
void user_iret(uint32_t eip, uint32_t esp, uint32_t eflags);
uint16_t far_jump_to(uint16_t sel);
void long_mode_enter(uint32_t pml4) __attribute__((noreturn));

/* ------------------------------------------------------------ CPU */
struct __attribute__((packed)) dt_ptr32 {
	uint16_t limit;
	uint32_t base;
};

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
static inline uint16_t inw(uint16_t port)
{
	uint16_t v;
	__asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port) : "memory");
	return v;
}
static inline uint32_t inl(uint16_t port)
{
	uint32_t v;
	__asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port) : "memory");
	return v;
}
#define DEFINE_CR(n)                                                         \
	static inline uint32_t read_cr##n(void)                              \
	{                                                                    \
		uint32_t v;                                                  \
		__asm__ volatile("mov %%cr" #n ", %0" : "=r"(v));            \
		return v;                                                    \
	}                                                                    \
	static inline void write_cr##n(uint32_t v)                           \
	{                                                                    \
		__asm__ volatile("mov %0, %%cr" #n : : "r"(v) : "memory");   \
	}
DEFINE_CR(0)
DEFINE_CR(3)
DEFINE_CR(4)
static inline uint32_t read_cr2(void)
{
	uint32_t v;
	__asm__ volatile("mov %%cr2, %0" : "=r"(v));
	return v;
}
static inline uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;
	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return ((uint64_t)hi << 32) | lo;
}
static inline void wrmsr(uint32_t msr, uint64_t v)
{
	__asm__ volatile("wrmsr" : : "c"(msr), "a"((uint32_t)v),
			 "d"((uint32_t)(v >> 32)));
}
static inline void cpuid(uint32_t leaf, uint32_t r[4])
{
	__asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]),
			 "=d"(r[3]) : "a"(leaf), "c"(0));
}
static inline uint32_t read_eflags(void)
{
	uint32_t v;
	__asm__ volatile("pushfl; popl %0" : "=r"(v));
	return v;
}
static inline void write_eflags(uint32_t v)
{
	__asm__ volatile("pushl %0; popfl" : : "r"(v) : "memory", "cc");
}
static inline uint16_t read_cs(void)
{
	uint16_t v;
	__asm__ volatile("mov %%cs, %0" : "=r"(v));
	return v;
}
static inline void invlpg(uint32_t va)
{
	__asm__ volatile("invlpg (%0)" : : "r"(va) : "memory");
}
static inline void sti(void) { __asm__ volatile("sti" ::: "memory"); }
static inline void cli(void) { __asm__ volatile("cli" ::: "memory"); }
/* sti; hlt: wait for one interrupt with none lost in between. */
static inline void sti_hlt(void) { __asm__ volatile("sti; hlt" ::: "memory"); }
/* A pointer to physical address pa (identity-mapped or paging off).  The
 * empty asm hides the constant from gcc, which would otherwise call a read
 * of the BIOS data area near 0 an out-of-bounds access. */
static inline const void *phys(uint32_t pa)
{
	__asm__("" : "+r"(pa));
	return (const void *)pa;
}
static inline uint32_t mmio_read(uint32_t pa)
{
	return *(volatile uint32_t *)pa;
}
static inline void mmio_write(uint32_t pa, uint32_t v)
{
	*(volatile uint32_t *)pa = v;
}

/* ------------------------------------------------------------ sections */
void boot_section(uint32_t magic, const struct mb_info *mbi,
		  uint32_t eflags, uint16_t cs, uint16_t ds);
void firmware_section(void);
void protmode_section(void);
void paging_section(void);
void devices_section(const struct mb_info *mbi);
void longmode_section(void) __attribute__((noreturn));

/* From the firmware tables, for the device checks. */
extern uint16_t acpi_pm_timer_port; /* 0 if FADT had none */
extern uint32_t ioapic_address;     /* 0 if none was found */

#endif /* __ASSEMBLER__ */
#endif /* GUESTS_MB32_MB32_H */
