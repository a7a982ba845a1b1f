/*
 * guests/runtime/desc.c - the runtime's segments: GDT, TSS, LDT, and the
 * encoding of its IDT gates, for both machines (64-bit long mode and
 * 32-bit protected mode; rt_x86_64.h and rt_i386.h have the numbers).
 *
 * The boot GDT (monitor/boot.h, or the multiboot loader's, which is not
 * ours to keep: it may lie in memory the guest hands out) has only kernel
 * code and data.  A kernel that wants ring 3, system calls and exceptions
 * from user mode needs more: user code and data, and a TSS that holds the
 * stack the CPU switches to on a trap from ring 3 (RSP0; in protected mode
 * SS0:ESP0, SDM vol. 3, 6.12.1).  The LDT is not used by the runtime; it
 * exists so that guests can exercise lldt and LDT selectors.
 *
 *   0x00 null          0x18 user data (DPL 3)     0x28 TSS
 *   0x08 kernel code   0x20 user code (DPL 3)     LDT (RT_SEL_LDT)
 *   0x10 kernel data
 *
 * In long mode the TSS and LDT descriptors are 16 bytes (two slots) and
 * the TSS is the 64-bit one; in protected mode they are 8 bytes and the
 * TSS is the 32-bit one.
 */
#include "cpu.h"
#include "rt.h"

#if defined(__x86_64__)
#define RT_TSS_LIMIT TSS_MIN_LIMIT
#else
#define RT_TSS_LIMIT RT_TSS32_LIMIT
_Static_assert(sizeof(struct rt_tss) == RT_TSS32_LIMIT + 1, "32-bit TSS");
#endif

uint64_t rt_gdt[RT_GDT_ENTRIES] __attribute__((aligned(16))) = {
	0, RT_DESC_KCODE, RT_DESC_KDATA, RT_DESC_UDATA, RT_DESC_UCODE,
	/* TSS and LDT descriptors are filled in by rt_desc_init */
};
uint64_t rt_ldt[RT_LDT_ENTRIES] __attribute__((aligned(16))) = {
	RT_DESC_KDATA,
};
struct rt_tss rt_tss __attribute__((aligned(16)));

/* The stack the CPU loads from the TSS when a trap leaves ring 3. */
static uint8_t trap_stack[8192] __attribute__((aligned(16)));

/*
 * Write a system descriptor (LDT or TSS) at slot:
 *
 *  63   56 55 52 51  48 47 46:45 44 43:40 39     16 15       0
 * +-------+-----+------+--+-----+--+-----+---------+----------+
 * |base   |G etc|limit |P | DPL |0 |type |base     |limit     |
 * |31:24  |     |19:16 |  |     |  |     |23:0     |15:0      |
 * +-------+-----+------+--+-----+--+-----+---------+----------+
 * and in long mode, in the next slot, base 63:32.
 */
static void set_system_desc(unsigned slot, uintptr_t base, uint32_t limit,
			    unsigned type)
{
	uint64_t b = base;

	rt_gdt[slot] = (limit & 0xffffULL) | (b & 0xffffffULL) << 16 |
		       (uint64_t)type << DESC_TYPE_SHIFT | DESC_P |
		       ((uint64_t)(limit >> 16) & 0xf) << 48 |
		       ((b >> 24) & 0xff) << 56;
#if defined(__x86_64__)
	rt_gdt[slot + 1] = b >> 32;
#endif
}

/* Reload CS with RT_SEL_KCODE: in long mode by a far return (short of a
 * far jump or an iretq, the only way there), in protected mode by a far
 * jump. */
static void reload_cs(void)
{
#if defined(__x86_64__)
	__asm__ volatile("pushq %q0\n\t"
			 "leaq 1f(%%rip), %%rax\n\t"
			 "pushq %%rax\n\t"
			 "lretq\n"
			 "1:"
			 : : "r"((uint64_t)RT_SEL_KCODE) : "rax", "memory");
#else
	__asm__ volatile("ljmp %0, $1f\n"
			 "1:"
			 : : "i"(RT_SEL_KCODE) : "memory");
#endif
}

/* Load DS, ES and SS with sel; FS and GS with the null selector. */
static void reload_data_segments(uint16_t sel)
{
	__asm__ volatile("movw %0, %%ds\n\t"
			 "movw %0, %%es\n\t"
			 "movw %0, %%ss\n\t"
			 "movw %1, %%fs\n\t"
			 "movw %1, %%gs"
			 : : "r"(sel), "r"((uint16_t)0) : "memory");
}

/* The ring-0 stack of a trap from ring 3, in the TSS. */
static void tss_set_stack(uintptr_t top)
{
#if defined(__x86_64__)
	rt_tss.rsp[0] = top;
#else
	rt_tss.esp0 = (uint32_t)top;
	rt_tss.ss0 = RT_SEL_KDATA;
#endif
}

/* Build and load the runtime's GDT, reload every segment, load TR. */
void rt_desc_init(void)
{
	struct dt_ptr gdtr = { sizeof(rt_gdt) - 1, (uintptr_t)rt_gdt };

	tss_set_stack((uintptr_t)(trap_stack + sizeof(trap_stack)));
	rt_tss.iomap_base = sizeof(rt_tss); /* beyond the limit: no bitmap */
	set_system_desc(RT_SEL_TSS >> 3, (uintptr_t)&rt_tss, RT_TSS_LIMIT,
			DESC_SYS_TSS_AVAIL);
	set_system_desc(RT_SEL_LDT >> 3, (uintptr_t)rt_ldt,
			sizeof(rt_ldt) - 1, DESC_SYS_LDT);
	lgdt(&gdtr);
	reload_cs();
	reload_data_segments(RT_SEL_KDATA);
	ltr(RT_SEL_TSS);
}

/*
 * Encode an interrupt gate (IF cleared on entry) to stub_vector's stub
 * (SDM vol. 3, 6.11, 6.14.1).  Its low 8 bytes (IST is 0 in protected
 * mode, where the type is 1110, a 32-bit interrupt gate):
 *  63      48 47 46:45 44 43:40 39:35 34:32 31     16 15      0
 * +----------+--+-----+--+-----+-----+-----+---------+---------+
 * |off 31:16 |P | DPL |0 |type |  0  | IST |selector |off 15:0 |
 * +----------+--+-----+--+-----+-----+-----+---------+---------+
 * A 64-bit gate is 16 bytes: the high 8 hold offset 63:32.  The DPL is
 * the highest ring that may raise the vector with int n: 3 for a system
 * call gate, 0 for the rest (int n from ring 3 is a #GP).
 */
void rt_gate_encode(uint64_t gate[RT_GATE_WORDS], unsigned stub_vector,
		    unsigned dpl)
{
	uint64_t off = rt_vector_stubs[stub_vector & 0xff];

	gate[0] = (off & 0xffff) | (uint64_t)RT_SEL_KCODE << 16 |
		  (uint64_t)DESC_SYS_INT_GATE << DESC_TYPE_SHIFT |
		  (uint64_t)(dpl & 3) << DESC_DPL_SHIFT | DESC_P |
		  ((off >> 16) & 0xffff) << 48;
#if defined(__x86_64__)
	gate[1] = off >> 32;
#endif
}
