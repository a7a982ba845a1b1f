/*
 * guests/runtime/rt_i386.h - the runtime's machine when built for i386
 * (gcc -m32): 32-bit protected mode, entered by a multiboot v1 loader
 * (QEMU's -kernel, trapvisor, GRUB) at entry_i386.S.  Included by rt.h; the
 * files ending in _i386 implement it.  The selectors are usable from
 * assembly (vectors_i386.S).
 *
 * The same names as on x86-64 mean the same things, so that a kernel's C
 * code reads alike on both: RT_SEL_UDATA and RT_SEL_UCODE have the same
 * values, struct rt_frame has the vector, the error code and CS where a
 * handler looks for them, rt_pte_t is an entry of the page-table format.
 */
#ifndef GUESTS_RUNTIME_RT_I386_H
#define GUESTS_RUNTIME_RT_I386_H

/* ------------------------------------------------------------ segments */
/*
 * The runtime's GDT: flat 4 GiB segments (base 0, limit 0xfffff pages)
 * with D/B set, so code is 32-bit and stacks use ESP; a system descriptor
 * (TSS, LDT) is 8 bytes here, not 16.
 *
 *   0x00 null          0x18 user data (DPL 3)     0x28 TSS (32-bit)
 *   0x08 kernel code   0x20 user code (DPL 3)     0x30 LDT
 *   0x10 kernel data
 */
#define RT_SEL_KCODE 0x08 /* 32-bit ring-0 code */
#define RT_SEL_KDATA 0x10 /* ring-0 data */
#define RT_SEL_UDATA 0x18 /* ring-3 data */
#define RT_SEL_UCODE 0x20 /* 32-bit ring-3 code */
#define RT_SEL_TSS 0x28   /* 32-bit TSS, 8 bytes */
#define RT_SEL_LDT 0x30   /* an LDT with one descriptor */
#define RT_GDT_ENTRIES 7
#define RT_LDT_SEL_DATA (0x00 | SEL_TI) /* LDT entry 0: ring-0 data */
#define RT_LDT_ENTRIES 1

#ifndef __ASSEMBLER__
/* The descriptor values the runtime installs (G, D/B, P, DPL, S, type). */
#define RT_DESC_KCODE 0x00cf9b000000ffffULL
#define RT_DESC_KDATA 0x00cf93000000ffffULL
#define RT_DESC_UDATA 0x00cff3000000ffffULL
#define RT_DESC_UCODE 0x00cffb000000ffffULL

/*
 * The 32-bit TSS (SDM vol. 3, 8.2.1).  On an interrupt or exception from
 * ring 3 the CPU loads SS:ESP from SS0:ESP0 and pushes the old SS and ESP
 * there; the rest is for hardware task switching, which no one here uses.
 */
struct __attribute__((packed)) rt_tss {
	uint16_t link, reserved0;
	uint32_t esp0;
	uint16_t ss0, reserved1;
	uint32_t esp1;
	uint16_t ss1, reserved2;
	uint32_t esp2;
	uint16_t ss2, reserved3;
	uint32_t cr3, eip, eflags, eax, ecx, edx, ebx, esp, ebp, esi, edi;
	uint16_t es, reserved4, cs, reserved5, ss, reserved6;
	uint16_t ds, reserved7, fs, reserved8, gs, reserved9;
	uint16_t ldt, reserved10;
	uint16_t trap, iomap_base;
};
#define RT_TSS32_LIMIT 103 /* 104 bytes: the smallest 32-bit TSS */

extern uint64_t rt_gdt[RT_GDT_ENTRIES];
extern uint64_t rt_ldt[RT_LDT_ENTRIES];
extern struct rt_tss rt_tss;

/* ------------------------------------------------------------ traps */
/* A 32-bit IDT gate is one 8-byte word (SDM vol. 3, 6.11). */
#define RT_GATE_WORDS 1

/*
 * What every interrupt and exception stub leaves on the stack, lowest
 * address first: the data segment registers and the pushal of
 * vectors_i386.S, the vector and error code the stub pushed (0 when the
 * CPU pushes none), then the CPU's frame.  The CPU pushes ESP and SS only
 * when the trap changes the ring: a trap from ring 0 ends at eflags, and
 * esp and ss are whatever lay above it.
 */
struct rt_frame {
	uint32_t gs, fs, es, ds;
	uint32_t edi, esi, ebp, esp_pushal, ebx, edx, ecx, eax; /* pushal */
	uint32_t vector, error;
	uint32_t eip, cs, eflags; /* pushed by the CPU */
	uint32_t esp, ss;         /* pushed by the CPU, from ring 3 only */
};

/* Where the trap came from: the saved instruction pointer, and its name. */
#define RT_PC_NAME "eip"
static inline uintptr_t rt_frame_pc(const struct rt_frame *f)
{
	return f->eip;
}

/* What an expected fault looked like. */
struct rt_fault {
	unsigned vector;
	uint32_t error;  /* 0 when the vector pushes none */
	uint32_t cr2;    /* for #PF */
	uint32_t eip;    /* of the faulting instruction (after it, for traps) */
	uint32_t cs;     /* as pushed: tells the CPL the fault came from */
	uint32_t eflags; /* as pushed: the flags when it faulted */
};

/* ------------------------------------------------------------ paging */
/*
 * 32-bit paging (SDM vol. 3, 4.3): 1024 4-byte entries a table, 10 bits
 * of the address a level.  With CR4.PSE a page-directory entry with PS
 * maps a 4 MiB page itself.  There is no NX bit: PTE_NX must not be used.
 *
 *  31        22 21        12 11          0
 * +------------+------------+-------------+
 * | directory  | table      | offset      |
 * +------------+------------+-------------+
 */
typedef uint32_t rt_pte_t;
#define RT_PT_LEVELS 2
#define RT_PT_ENTRIES 1024
#define RT_LEVEL_SHIFT(level) (PAGE_4K_SHIFT + 10 * ((level) - 1))
#define RT_PT_INDEX(va, level) (((va) >> RT_LEVEL_SHIFT(level)) & 0x3ff)
#define RT_PT_LARGE_TOP 2 /* a PS leaf: the 4 MiB page of a PDE */
#define RT_PTE_ADDR_MASK 0xfffff000u
#define RT_PDE_ADDR_4M_MASK 0xffc00000u
#define RT_PAGE_4M (1u << 22)

/* ------------------------------------------------------------ boot */
/*
 * The multiboot v1 information block (Multiboot Specification 0.6.96,
 * 3.3), as far as the runtime reads it: the memory sizes and the command
 * line.  EBX points at it when the loader enters entry_i386.S.
 */
#define RT_MB_BOOTLOADER_MAGIC 0x2badb002 /* in EAX at entry */
#define RT_MBI_MEM (1u << 0)              /* mem_lower, mem_upper valid */
#define RT_MBI_CMDLINE (1u << 2)          /* cmdline valid */
struct rt_mb_info {
	uint32_t flags;
	uint32_t mem_lower, mem_upper; /* KiB below 1 MiB, KiB from 1 MiB */
	uint32_t boot_device;
	uint32_t cmdline;
};

/* entry_i386.S calls this with the loader's EAX and EBX. */
void rt_multiboot(uint32_t magic, const struct rt_mb_info *mbi)
	__attribute__((noreturn));
/* Paging on, with the boot map: 4 GiB identity-mapped by 4 MiB pages. */
void rt_paging_init(void);
#endif /* __ASSEMBLER__ */

#endif /* GUESTS_RUNTIME_RT_I386_H */
