/*
 * guests/runtime/desc_x86_64.c - the runtime's segments in long mode: GDT,
 * TSS, LDT, and the encoding of its 16-byte IDT gates.
 *
 * The boot GDT (monitor/boot.h) has only kernel code and data.  A kernel
 * that wants ring 3, syscall/sysretq and exceptions from user mode needs
 * more: user code and data, and a TSS whose RSP0 is the stack the CPU
 * switches to on a trap from ring 3.  The LDT is not used by the runtime;
 * it exists so that guests can exercise lldt and LDT selectors.
 *
 *   0x00 null          0x18 user data (DPL 3)     0x28 TSS (16 bytes)
 *   0x08 kernel code   0x20 user code (DPL 3)     0x38 LDT (16 bytes)
 *   0x10 kernel data
 */
#include "cpu.h"
#include "rt.h"

uint64_t rt_gdt[RT_GDT_ENTRIES] __attribute__((aligned(16))) = {
	0, RT_DESC_KCODE, RT_DESC_KDATA, RT_DESC_UDATA, RT_DESC_UCODE,
	/* TSS and LDT descriptors are filled in by rt_desc_init */
};
uint64_t rt_ldt[RT_LDT_ENTRIES] __attribute__((aligned(16))) = {
	RT_DESC_KDATA,
};
struct rt_tss rt_tss __attribute__((aligned(16)));

/* The stack the CPU loads from TSS.RSP0 when a trap leaves ring 3. */
static uint8_t trap_stack[8192] __attribute__((aligned(16)));

/*
 * Write a 16-byte long-mode system descriptor (LDT or TSS) at slot:
 *
 *  63   56 55 52 51  48 47 46:45 44 43:40 39     16 15       0
 * +-------+-----+------+--+-----+--+-----+---------+----------+
 * |base   |G etc|limit |P | DPL |0 |type |base     |limit     |
 * |31:24  |     |19:16 |  |     |  |     |23:0     |15:0      |
 * +-------+-----+------+--+-----+--+-----+---------+----------+
 * and in the next slot base 63:32.
 */
static void set_system_desc(unsigned slot, uint64_t base, uint32_t limit,
			    unsigned type)
{
	rt_gdt[slot] = (limit & 0xffffULL) | (base & 0xffffffULL) << 16 |
		       (uint64_t)type << DESC_TYPE_SHIFT | DESC_P |
		       ((uint64_t)(limit >> 16) & 0xf) << 48 |
		       ((base >> 24) & 0xff) << 56;
	rt_gdt[slot + 1] = base >> 32;
}

/* Reload CS with a far return: the only way to load CS in 64-bit mode
 * short of a far jump or an iretq. */
static void reload_cs(uint16_t sel)
{
	__asm__ volatile("pushq %q0\n\t"
			 "leaq 1f(%%rip), %%rax\n\t"
			 "pushq %%rax\n\t"
			 "lretq\n"
			 "1:"
			 : : "r"((uint64_t)sel) : "rax", "memory");
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
	struct dt_ptr gdtr = { sizeof(rt_gdt) - 1, (uint64_t)rt_gdt };

	rt_tss.rsp[0] = (uint64_t)(trap_stack + sizeof(trap_stack));
	rt_tss.iomap_base = sizeof(rt_tss); /* beyond the limit: no bitmap */
	set_system_desc(RT_SEL_TSS >> 3, (uint64_t)&rt_tss, TSS_MIN_LIMIT,
			DESC_SYS_TSS_AVAIL);
	set_system_desc(RT_SEL_LDT >> 3, (uint64_t)rt_ldt,
			sizeof(rt_ldt) - 1, DESC_SYS_LDT);
	lgdt(&gdtr);
	reload_cs(RT_SEL_KCODE);
	reload_data_segments(RT_SEL_KDATA);
	ltr(RT_SEL_TSS);
}

/*
 * Encode an interrupt gate (IF cleared on entry) to stub_vector's stub.
 * A 64-bit gate is 16 bytes; the low 8 (the high 8 hold offset 63:32):
 *  63      48 47 46:45 44 43:40 39:35 34:32 31     16 15      0
 * +----------+--+-----+--+-----+-----+-----+---------+---------+
 * |off 31:16 |P | DPL |0 |type |  0  | IST |selector |off 15:0 |
 * +----------+--+-----+--+-----+-----+-----+---------+---------+
 */
void rt_gate_encode(uint64_t gate[RT_GATE_WORDS], unsigned stub_vector,
		    unsigned dpl)
{
	uint64_t off = rt_vector_stubs[stub_vector & 0xff];

	gate[0] = (off & 0xffff) | (uint64_t)RT_SEL_KCODE << 16 |
		  (uint64_t)DESC_SYS_INT_GATE << DESC_TYPE_SHIFT |
		  (uint64_t)(dpl & 3) << DESC_DPL_SHIFT | DESC_P |
		  ((off >> 16) & 0xffff) << 48;
	gate[1] = off >> 32;
}
