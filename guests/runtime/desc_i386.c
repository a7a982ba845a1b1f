/*
 * guests/runtime/desc_i386.c - the runtime's segments in 32-bit protected
 * mode: GDT, TSS, LDT, and the encoding of its 8-byte IDT gates.
 *
 * The loader's GDT is not ours to keep (it may lie in memory the guest
 * hands out), and it has no ring-3 segments and no TSS.  The runtime's
 * has flat code and data for ring 0 and ring 3 and a 32-bit TSS, whose
 * SS0:ESP0 is the stack the CPU switches to on a trap from ring 3 (SDM
 * vol. 3, 6.12.1).  The LDT is not used by the runtime; it exists so that
 * guests can exercise lldt and LDT selectors, as on x86-64.
 *
 *   0x00 null          0x18 user data (DPL 3)     0x28 TSS (32-bit)
 *   0x08 kernel code   0x20 user code (DPL 3)     0x30 LDT
 *   0x10 kernel data
 */
#include "cpu.h"
#include "rt.h"

_Static_assert(sizeof(struct rt_tss) == RT_TSS32_LIMIT + 1, "32-bit TSS");

uint64_t rt_gdt[RT_GDT_ENTRIES] __attribute__((aligned(16))) = {
	0, RT_DESC_KCODE, RT_DESC_KDATA, RT_DESC_UDATA, RT_DESC_UCODE,
	/* TSS and LDT descriptors are filled in by rt_desc_init */
};
uint64_t rt_ldt[RT_LDT_ENTRIES] __attribute__((aligned(16))) = {
	RT_DESC_KDATA,
};
struct rt_tss rt_tss __attribute__((aligned(16)));

/* The stack the CPU loads from TSS.SS0:ESP0 when a trap leaves ring 3. */
static uint8_t trap_stack[8192] __attribute__((aligned(16)));

/*
 * An 8-byte system descriptor (LDT or TSS) at slot; in protected mode
 * the base has 32 bits and the descriptor is a code/data one's size:
 *
 *  63   56 55 52 51  48 47 46:45 44 43:40 39     16 15       0
 * +-------+-----+------+--+-----+--+-----+---------+----------+
 * |base   |G etc|limit |P | DPL |0 |type |base     |limit     |
 * |31:24  |     |19:16 |  |     |  |     |23:0     |15:0      |
 * +-------+-----+------+--+-----+--+-----+---------+----------+
 */
static void set_system_desc(unsigned slot, uint32_t base, uint32_t limit,
			    unsigned type)
{
	rt_gdt[slot] = (limit & 0xffffULL) | (base & 0xffffffULL) << 16 |
		       (uint64_t)type << DESC_TYPE_SHIFT | DESC_P |
		       ((uint64_t)(limit >> 16) & 0xf) << 48 |
		       (uint64_t)(base >> 24) << 56;
}

/* Reload CS with a far jump: the only way to load CS without a far call,
 * a far return or an iret. */
static void reload_cs(void)
{
	__asm__ volatile("ljmp %0, $1f\n"
			 "1:"
			 : : "i"(RT_SEL_KCODE) : "memory");
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

/* Build and load the runtime's GDT, reload every segment, load TR. */
void rt_desc_init(void)
{
	struct dt_ptr gdtr = { sizeof(rt_gdt) - 1, (uintptr_t)rt_gdt };

	rt_tss.esp0 = (uint32_t)(uintptr_t)(trap_stack + sizeof(trap_stack));
	rt_tss.ss0 = RT_SEL_KDATA;
	rt_tss.iomap_base = sizeof(rt_tss); /* beyond the limit: no bitmap */
	set_system_desc(RT_SEL_TSS >> 3, (uintptr_t)&rt_tss, RT_TSS32_LIMIT,
			DESC_SYS_TSS_AVAIL);
	set_system_desc(RT_SEL_LDT >> 3, (uintptr_t)rt_ldt,
			sizeof(rt_ldt) - 1, DESC_SYS_LDT);
	lgdt(&gdtr);
	reload_cs();
	reload_data_segments(RT_SEL_KDATA);
	ltr(RT_SEL_TSS);
}

/*
 * Encode a 32-bit interrupt gate (IF cleared on entry) to stub_vector's
 * stub (SDM vol. 3, 6.11):
 *  63      48 47 46:45 44 43:40 39:32 31     16 15      0
 * +----------+--+-----+--+-----+-----+---------+---------+
 * |off 31:16 |P | DPL |0 | 1110|  0  |selector |off 15:0 |
 * +----------+--+-----+--+-----+-----+---------+---------+
 * The DPL is the highest ring that may raise the vector with int n: 3
 * for a system call gate, 0 for the rest (int n from ring 3 is a #GP).
 */
void rt_gate_encode(uint64_t gate[RT_GATE_WORDS], unsigned stub_vector,
		    unsigned dpl)
{
	uint64_t off = rt_vector_stubs[stub_vector & 0xff];

	gate[0] = (off & 0xffff) | (uint64_t)RT_SEL_KCODE << 16 |
		  (uint64_t)DESC_SYS_INT_GATE << DESC_TYPE_SHIFT |
		  (uint64_t)(dpl & 3) << DESC_DPL_SHIFT | DESC_P |
		  ((off >> 16) & 0xffff) << 48;
}
