/*
 * guests/runtime/rt_x86_64.h - the runtime's machine when built for x86-64:
 * long mode, entered by trapvisor at the ELF entry or by QEMU through the
 * PVH stub (pvh_x86_64.S).  Included by rt.h; the files ending in _x86_64
 * implement it.
 */
#ifndef GUESTS_RUNTIME_RT_X86_64_H
#define GUESTS_RUNTIME_RT_X86_64_H

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
/* An IDT gate is 16 bytes: two 8-byte words (isa/x86.h, GATE_SIZE). */
#define RT_GATE_WORDS 2

/*
 * What every interrupt and exception stub leaves on the stack, lowest
 * address first: the general registers it saved, the vector and error
 * code it pushed (0 when the CPU pushes none), then the CPU's frame.  In
 * 64-bit mode the CPU always pushes SS and RSP, whatever the ring.
 */
struct rt_frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector, error;
	uint64_t rip, cs, rflags, rsp, ss; /* pushed by the CPU */
};

/* Where the trap came from: the saved instruction pointer, and its name. */
#define RT_PC_NAME "rip"
static inline uintptr_t rt_frame_pc(const struct rt_frame *f)
{
	return f->rip;
}

/* What an expected fault looked like. */
struct rt_fault {
	unsigned vector;
	uint64_t error;  /* 0 when the vector pushes none */
	uint64_t cr2;    /* for #PF */
	uint64_t rip;    /* of the faulting instruction (after it, for traps) */
	uint64_t cs;     /* as pushed: tells the CPL the fault came from */
	uint64_t rflags; /* as pushed: the flags when it faulted */
};

/* ------------------------------------------------------------ paging */
/*
 * 4-level paging: 512 8-byte entries a table, 9 bits of the address a
 * level; large pages (PS) at levels 2 (2 MiB) and 3 (1 GiB).
 *
 *  47     39 38     30 29     21 20     12 11         0
 * +---------+---------+---------+---------+------------+
 * | PML4    | PDPT    | PD      | PT      | offset     |
 * +---------+---------+---------+---------+------------+
 */
typedef uint64_t rt_pte_t;
#define RT_PT_LEVELS PT_LEVELS
#define RT_PT_ENTRIES PT_ENTRIES
#define RT_PT_INDEX(va, level) PT_INDEX(va, level)
#define RT_LEVEL_SHIFT(level) (PAGE_4K_SHIFT + 9 * ((level) - 1))
#define RT_PT_LARGE_TOP 3 /* the highest level a PS leaf may sit at */
#define RT_PTE_ADDR_MASK PTE_ADDR_MASK

#endif /* GUESTS_RUNTIME_RT_X86_64_H */
