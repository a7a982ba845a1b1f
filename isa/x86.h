/*
 * isa/x86.h - architectural constants of x86-64.
 *
 * Every hardware constant in trapvisor lives here, named as the Intel SDM
 * (Software Developer's Manual, volume 3) names it and prefixed by the
 * register it belongs to, in the manner of xv6's mmu.h.  Logic elsewhere uses
 * these names, never raw masks.  The file is plain C preprocessor and
 * <stdint.h>-free so that the guests' assembly (.S) can include it too.
 */
#ifndef ISA_X86_H
#define ISA_X86_H

/* ---------------------------------------------------------------------
 * RFLAGS (SDM vol. 1, 3.4.3)
 *
 *  21  20  19  18 17 16 15 14 13:12 11 10  9  8  7  6  5  4  3  2  1  0
 * +---+---+---+--+--+--+--+--+-----+--+--+--+--+--+--+--+--+--+--+--+--+
 * |ID |VIP|VIF|AC|VM|RF|0 |NT|IOPL |OF|DF|IF|TF|SF|ZF|0 |AF|0 |PF|1 |CF|
 * +---+---+---+--+--+--+--+--+-----+--+--+--+--+--+--+--+--+--+--+--+--+
 */
#define FL_CF 0x00000001UL          /* carry */
#define FL_FIXED1 0x00000002UL      /* reserved, always 1 */
#define FL_PF 0x00000004UL          /* parity of the low byte */
#define FL_AF 0x00000010UL          /* auxiliary carry (BCD) */
#define FL_ZF 0x00000040UL          /* zero */
#define FL_SF 0x00000080UL          /* sign */
#define FL_TF 0x00000100UL          /* trap (single step) */
#define FL_IF 0x00000200UL          /* interrupts enabled */
#define FL_DF 0x00000400UL          /* direction (string ops go down) */
#define FL_OF 0x00000800UL          /* signed overflow */
#define FL_IOPL_MASK 0x00003000UL   /* I/O privilege level */
#define FL_IOPL_SHIFT 12
#define FL_NT 0x00004000UL          /* nested task */
#define FL_RF 0x00010000UL          /* resume */
#define FL_VM 0x00020000UL          /* virtual-8086 mode */
#define FL_AC 0x00040000UL          /* alignment check */
#define FL_VIF 0x00080000UL         /* virtual interrupt flag */
#define FL_VIP 0x00100000UL         /* virtual interrupt pending */
#define FL_ID 0x00200000UL          /* CPUID available */
/* The six status flags that arithmetic writes. */
#define FL_STATUS (FL_CF | FL_PF | FL_AF | FL_ZF | FL_SF | FL_OF)

/* ---------------------------------------------------------------------
 * Control registers (SDM vol. 3, 2.5)
 */
#define CR0_PE 0x00000001UL /* protection enable */
#define CR0_MP 0x00000002UL /* monitor coprocessor */
#define CR0_EM 0x00000004UL /* x87 emulation */
#define CR0_TS 0x00000008UL /* task switched */
#define CR0_ET 0x00000010UL /* extension type (always 1) */
#define CR0_NE 0x00000020UL /* numeric error */
#define CR0_WP 0x00010000UL /* write protect: supervisor honours R/W */
#define CR0_AM 0x00040000UL /* alignment mask */
#define CR0_NW 0x20000000UL /* not write-through */
#define CR0_CD 0x40000000UL /* cache disable */
#define CR0_PG 0x80000000UL /* paging */

#define CR3_ADDR_MASK 0x000ffffffffff000ULL /* PML4 physical address */
#define CR3_PCD 0x10UL
#define CR3_PWT 0x08UL

#define CR4_VME 0x00000001UL        /* virtual-8086 mode extensions */
#define CR4_PVI 0x00000002UL        /* protected-mode virtual interrupts */
#define CR4_TSD 0x00000004UL        /* time stamp disable at CPL > 0 */
#define CR4_DE 0x00000008UL         /* debugging extensions */
#define CR4_PSE 0x00000010UL        /* page size extensions */
#define CR4_PAE 0x00000020UL        /* physical address extension */
#define CR4_MCE 0x00000040UL        /* machine check enable */
#define CR4_PGE 0x00000080UL        /* page global enable */
#define CR4_PCE 0x00000100UL        /* RDPMC at CPL > 0 */
#define CR4_OSFXSR 0x00000200UL     /* FXSAVE/FXRSTOR and SSE */
#define CR4_OSXMMEXCPT 0x00000400UL /* SIMD floating-point exceptions */
#define CR4_UMIP 0x00000800UL       /* user-mode instruction prevention */
#define CR4_FSGSBASE 0x00010000UL   /* RDFSBASE and friends */
#define CR4_PCIDE 0x00020000UL      /* process-context identifiers */
#define CR4_OSXSAVE 0x00040000UL    /* XSAVE and XGETBV */
#define CR4_SMEP 0x00100000UL       /* supervisor-mode execution prevention */
#define CR4_SMAP 0x00200000UL       /* supervisor-mode access prevention */
#define CR4_PKE 0x00400000UL        /* protection keys */

#define CR8_TPR_MASK 0xfUL /* task-priority class */

/* ---------------------------------------------------------------------
 * Model-specific registers (SDM vol. 4) and EFER bits
 */
#define MSR_IA32_TSC 0x00000010
#define MSR_IA32_APIC_BASE 0x0000001b
#define MSR_IA32_SYSENTER_CS 0x00000174
#define MSR_IA32_SYSENTER_ESP 0x00000175
#define MSR_IA32_SYSENTER_EIP 0x00000176
#define MSR_IA32_PAT 0x00000277
#define MSR_EFER 0xc0000080           /* extended feature enables */
#define MSR_STAR 0xc0000081           /* syscall/sysret segment bases */
#define MSR_LSTAR 0xc0000082          /* 64-bit syscall target */
#define MSR_CSTAR 0xc0000083          /* compatibility syscall target */
#define MSR_SFMASK 0xc0000084         /* RFLAGS bits cleared by syscall */
#define MSR_FS_BASE 0xc0000100
#define MSR_GS_BASE 0xc0000101
#define MSR_KERNEL_GS_BASE 0xc0000102 /* swapped in by swapgs */
#define MSR_TSC_AUX 0xc0000103        /* read by rdtscp and rdpid */

#define EFER_SCE 0x00000001UL /* syscall enable */
#define EFER_LME 0x00000100UL /* long mode enable */
#define EFER_LMA 0x00000400UL /* long mode active (read-only) */
#define EFER_NXE 0x00000800UL /* no-execute enable */

#define APIC_BASE_BSP 0x00000100UL    /* this is the bootstrap processor */
#define APIC_BASE_ENABLE 0x00000800UL /* xAPIC global enable */
#define APIC_BASE_DEFAULT 0xfee00000UL
#define PAT_DEFAULT 0x0007040600070406ULL /* power-on value of IA32_PAT */

/* ---------------------------------------------------------------------
 * Page-table entries, 4-level paging (SDM vol. 3, 4.5)
 *
 *  63  62:52 51:M  M-1:12        11:9 8 7  6 5 4   3   2   1  0
 * +--+------+----+------------+----+-+--+-+-+---+---+---+---+-+
 * |XD|avail |rsvd| frame      |avl |G|PS|D|A|PCD|PWT|U/S|R/W|P|
 * +--+------+----+------------+----+-+--+-+-+---+---+---+---+-+
 *
 * A linear address splits into four 9-bit indexes and an offset:
 *
 *  47     39 38     30 29     21 20     12 11         0
 * +---------+---------+---------+---------+------------+
 * | PML4    | PDPT    | PD      | PT      | offset     |
 * +---------+---------+---------+---------+------------+
 */
#define PTE_P 0x001ULL    /* present */
#define PTE_W 0x002ULL    /* writable */
#define PTE_U 0x004ULL    /* user accessible */
#define PTE_PWT 0x008ULL  /* write-through */
#define PTE_PCD 0x010ULL  /* cache disable */
#define PTE_A 0x020ULL    /* accessed */
#define PTE_D 0x040ULL    /* dirty (leaf only) */
#define PTE_PS 0x080ULL   /* page size: a 1 GiB or 2 MiB leaf */
#define PTE_G 0x100ULL    /* global */
#define PTE_NX 0x8000000000000000ULL /* execute disable (EFER.NXE) */
#define PTE_ADDR_MASK 0x000ffffffffff000ULL
#define PTE_ADDR_2M_MASK 0x000fffffffe00000ULL
#define PTE_ADDR_1G_MASK 0x000fffffc0000000ULL

/* 4 KiB pages (PAGE_4K, not PAGE_SIZE, which <sys/user.h> defines too). */
#define PAGE_4K_SHIFT 12
#define PAGE_4K 4096ULL
#define PAGE_4K_MASK (~(PAGE_4K - 1))
#define PAGE_2M (1ULL << 21)
#define PAGE_1G (1ULL << 30)
#define PT_ENTRIES 512
#define PT_LEVELS 4
/* Index of the entry for linear address va at level 4 (PML4) .. 1 (PT). */
#define PT_INDEX(va, level) (((va) >> (12 + 9 * ((level) - 1))) & 0x1ff)

/* Page-fault error code (SDM vol. 3, 4.7) */
#define PFEC_P 0x01  /* 0: not present; 1: protection violation */
#define PFEC_W 0x02  /* the access was a write */
#define PFEC_U 0x04  /* the access was made at CPL 3 */
#define PFEC_RSVD 0x08 /* a reserved bit was set in an entry */
#define PFEC_I 0x10  /* the access was an instruction fetch */

/* ---------------------------------------------------------------------
 * Segments and descriptors (SDM vol. 3, 3.4 and 5)
 *
 * Selector:   15          3  2   1 0
 *            +-------------+----+---+
 *            | index       | TI |RPL|
 *            +-------------+----+---+
 */
#define SEL_RPL_MASK 0x3
#define SEL_TI 0x4 /* 1: the LDT, 0: the GDT */
#define SEL_INDEX(sel) ((sel) >> 3)

/*
 * Code or data descriptor, 8 bytes:
 *  63   56 55 54 53 52 51   48 47 46:45 44 43:40 39    16 15      0
 * +-------+--+--+--+--+-------+--+-----+--+-----+--------+---------+
 * |base hi|G |DB|L |AVL|lim hi|P | DPL |S |type |base lo | limit lo|
 * +-------+--+--+--+--+-------+--+-----+--+-----+--------+---------+
 * System descriptors (LDT, TSS) are 16 bytes in long mode: bits 95:64
 * hold base[63:32].
 */
#define DESC_TYPE_SHIFT 40
#define DESC_TYPE_MASK (0xfULL << 40)
#define DESC_S (1ULL << 44)    /* 1: code/data, 0: system */
#define DESC_DPL_SHIFT 45
#define DESC_DPL_MASK (3ULL << 45)
#define DESC_P (1ULL << 47)    /* present */
#define DESC_AVL (1ULL << 52)
#define DESC_L (1ULL << 53)    /* 64-bit code segment */
#define DESC_DB (1ULL << 54)   /* default operation size 32 */
#define DESC_G (1ULL << 55)    /* limit counts 4 KiB pages */
/* Code/data type field bits (S = 1) */
#define DESC_TYPE_ACCESSED 0x1
#define DESC_TYPE_RW 0x2       /* data: writable; code: readable */
#define DESC_TYPE_EC 0x4       /* data: expand-down; code: conforming */
#define DESC_TYPE_CODE 0x8
/* System types (S = 0) valid in long mode */
#define DESC_SYS_LDT 0x2
#define DESC_SYS_TSS_AVAIL 0x9
#define DESC_SYS_TSS_BUSY 0xb
#define DESC_SYS_CALL_GATE 0xc
#define DESC_SYS_INT_GATE 0xe
#define DESC_SYS_TRAP_GATE 0xf

/*
 * 64-bit IDT gate, 16 bytes (SDM vol. 3, 6.14.1):
 *  127        96 95          64
 * +-------------+--------------+
 * | reserved    | offset 63:32 |
 * +-------------+--------------+
 *  63      48 47 46:45 44 43:40 39:35 34:32 31     16 15      0
 * +----------+--+-----+--+-----+-----+-----+---------+---------+
 * |off 31:16 |P | DPL |0 |type |  0  | IST |selector |off 15:0 |
 * +----------+--+-----+--+-----+-----+-----+---------+---------+
 */
#define GATE_SIZE 16
#define GATE_IST_MASK 0x7

/* 64-bit TSS (SDM vol. 3, 8.7): offsets of the fields the CPU reads. */
#define TSS_RSP0 0x04
#define TSS_IST1 0x24 /* IST n is at TSS_IST1 + 8 * (n - 1) */
#define TSS_IOMAP_BASE 0x66
#define TSS_MIN_LIMIT 0x67

/* ---------------------------------------------------------------------
 * Exception and interrupt vectors (SDM vol. 3, 6.3)
 */
#define T_DE 0   /* divide error */
#define T_DB 1   /* debug */
#define T_NMI 2  /* non-maskable interrupt */
#define T_BP 3   /* breakpoint (int3) */
#define T_OF 4   /* overflow (into) */
#define T_BR 5   /* bound range exceeded */
#define T_UD 6   /* invalid opcode */
#define T_NM 7   /* device not available */
#define T_DF 8   /* double fault */
#define T_TS 10  /* invalid TSS */
#define T_NP 11  /* segment not present */
#define T_SS 12  /* stack-segment fault */
#define T_GP 13  /* general protection */
#define T_PF 14  /* page fault */
#define T_MF 16  /* x87 floating-point error */
#define T_AC 17  /* alignment check */
#define T_MC 18  /* machine check */
#define T_XM 19  /* SIMD floating-point */
#define T_VE 20  /* virtualization exception */
#define T_CP 21  /* control protection */
#define T_NEXC 32 /* vectors below this are exceptions */

/* The error code of an exception caused by an IDT entry (SDM 6.13). */
#define ERRC_EXT 0x1 /* the event was external to the program */
#define ERRC_IDT 0x2 /* the index refers to the IDT */
#define ERRC_TI 0x4  /* the index refers to the LDT */

/* ---------------------------------------------------------------------
 * CPUID bits the monitor tests or reports (SDM vol. 2, CPUID)
 */
#define CPUID_1_ECX_HYPERVISOR (1U << 31) /* running under a hypervisor */
#define CPUID_1_ECX_OSXSAVE (1U << 27)    /* mirrors CR4.OSXSAVE */
#define CPUID_1_EDX_TSC (1U << 4)
#define CPUID_1_EDX_MSR (1U << 5)
#define CPUID_1_EDX_PAE (1U << 6)
#define CPUID_1_EDX_APIC (1U << 9)
#define CPUID_1_EDX_PGE (1U << 13)
#define CPUID_1_EDX_PAT (1U << 16)
#define CPUID_1_EDX_FPU (1U << 0)
#define CPUID_1_EDX_PSE (1U << 3)
#define CPUID_1_EDX_CX8 (1U << 8)
#define CPUID_1_EDX_SEP (1U << 11)
#define CPUID_1_EDX_CMOV (1U << 15)
#define CPUID_1_EDX_FXSR (1U << 24)
#define CPUID_1_EDX_SSE (1U << 25)
#define CPUID_1_EDX_SSE2 (1U << 26)
#define CPUID_1_ECX_CX16 (1U << 13)
#define CPUID_1_ECX_POPCNT (1U << 23)
#define CPUID_1_ECX_VMX (1U << 5)         /* VT-x (the kvm engine asks) */
#define CPUID_7_ECX_UMIP (1U << 2)        /* CR4.UMIP can be set */
#define CPUID_7_ECX_OSPKE (1U << 4)       /* mirrors CR4.PKE */
#define CPUID_7_ECX_RDPID (1U << 22)      /* rdpid (softcpu asks the host) */
#define CPUID_80000001_EDX_SYSCALL (1U << 11)
#define CPUID_80000001_EDX_NX (1U << 20)
#define CPUID_80000001_EDX_PDPE1GB (1U << 26)
#define CPUID_80000001_EDX_RDTSCP (1U << 27)
#define CPUID_80000001_EDX_LM (1U << 29)
#define CPUID_80000001_ECX_LAHF (1U << 0)
#define CPUID_80000001_ECX_SVM (1U << 2)  /* AMD-V (the kvm engine asks) */

/* ---------------------------------------------------------------------
 * The virtual CPU's address sizes (CPUID 0x80000008 reports them) and the
 * registers that go with the interpreter's checks
 */
#define X86_MAXPHYADDR 39    /* physical-address bits */
#define X86_LINEAR_BITS 48   /* linear-address bits: canonical below */

#define XCR0_X87 0x1UL       /* x87 state: always 1 */
#define XCR0_SSE 0x2UL       /* SSE state (XMM registers, MXCSR) */

#define DR6_FIXED1 0xffff0ff0UL /* DR6 bits that always read as 1 */
#define DR7_FIXED1 0x00000400UL /* DR7 bit 10 always reads as 1 */

/* IA32_PAT: eight 8-bit entries, each a memory type (SDM vol. 3, 11.12). */
#define PAT_UC 0x0       /* uncacheable */
#define PAT_WC 0x1       /* write combining */
#define PAT_WT 0x4       /* write through */
#define PAT_WP 0x5       /* write protected */
#define PAT_WB 0x6       /* write back */
#define PAT_UC_MINUS 0x7 /* uncacheable, overridable by MTRRs */

/* ---------------------------------------------------------------------
 * Privilege levels
 */
#define CPL_KERNEL 0
#define CPL_USER 3

#endif /* ISA_X86_H */
