/*
 * guests/runtime/trap.c - the IDT and the one C function every trap reaches.
 *
 * The runtime installs interrupt gates (DPL 0, the kernel code segment) for
 * the 32 exception vectors; the other 224 gates are left not present until
 * a guest asks for them with rt_set_gate.  A trap first goes to the handler
 * a guest registered for its vector; failing that, to an armed rt_try, which
 * turns the fault into a return value; failing that, it is a bug in the
 * guest: one line on the console and exit status RT_EXIT_UNEXPECTED_TRAP.
 */
#include "cpu.h"
#include "rt.h"

/* The IDT: 256 gates, each encoded by rt_gate_encode (desc.c) in the
 * machine's format. */
uint64_t rt_idt[256 * RT_GATE_WORDS] __attribute__((aligned(16)));
static rt_handler *handlers[256];

/* rt_try's state, shared with vectors_*.S: armed while rt_try_rsp != 0. */
uintptr_t rt_try_rsp;
struct rt_fault *rt_try_fault;
void rt_try_recover(void);
void rt_try_nested(void) __attribute__((noreturn));
void rt_trap(struct rt_frame *f);

/* Make IDT entry vector a gate to stub_vector's stub. */
void rt_set_gate(unsigned vector, unsigned stub_vector, unsigned dpl)
{
	rt_gate_encode(&rt_idt[RT_GATE_WORDS * (vector & 0xff)], stub_vector,
		       dpl);
}

/* Route one vector to a guest's handler, or back to the default. */
void rt_set_handler(unsigned vector, rt_handler *handler)
{
	handlers[vector & 0xff] = handler;
}

/* Gates for the exceptions, then lidt. */
void rt_trap_init(void)
{
	struct dt_ptr idtr = { RT_IDT_LIMIT, (uintptr_t)rt_idt };

	for (unsigned v = 0; v < T_NEXC; v++)
		rt_set_gate(v, v, 0);
	lidt(&idtr);
}

/* The SDM's mnemonic of an exception vector ("#GP"), or "#32" and up. */
const char *rt_vector_name(unsigned vector)
{
	static const char *const names[T_NEXC] = {
		[T_DE] = "#DE", [T_DB] = "#DB", [T_NMI] = "NMI",
		[T_BP] = "#BP", [T_OF] = "#OF", [T_BR] = "#BR",
		[T_UD] = "#UD", [T_NM] = "#NM", [T_DF] = "#DF",
		[9] = "#CSO", [T_TS] = "#TS", [T_NP] = "#NP",
		[T_SS] = "#SS", [T_GP] = "#GP", [T_PF] = "#PF",
		[15] = "#15", [T_MF] = "#MF", [T_AC] = "#AC",
		[T_MC] = "#MC", [T_XM] = "#XM", [T_VE] = "#VE",
		[T_CP] = "#CP",
	};
	static char other[8];

	if (vector < T_NEXC && names[vector])
		return names[vector];
	rt_snprintf(other, sizeof(other), "#%u", vector);
	return other;
}

static bool vector_has_error(unsigned v)
{
	return v == T_DF || v == T_TS || v == T_NP || v == T_SS ||
	       v == T_GP || v == T_PF || v == T_AC || v == T_CP ||
	       v == 29 || v == 30;
}

/* An armed rt_try catches the fault: record it, resume at the recovery
 * point in ring 0 on rt_try's stack.  A 64-bit iretq loads RSP and SS
 * from the frame whatever the ring; a 32-bit iret to ring 0 pops only
 * EIP, CS and EFLAGS, so rt_try_recover takes its stack back itself (it
 * does so on both) and the data segments are the kernel's again. */
static void try_catch(struct rt_frame *f)
{
	struct rt_fault *out = rt_try_fault;

	out->vector = (unsigned)f->vector;
	out->error = f->error;
	out->cr2 = f->vector == T_PF ? read_cr2() : 0;
	out->cs = f->cs;
#if defined(__x86_64__)
	out->rip = f->rip;
	out->rflags = f->rflags;
	f->rip = (uint64_t)rt_try_recover;
	f->rsp = rt_try_rsp;
	f->ss = RT_SEL_KDATA;
	f->rflags &= ~FL_TF;
#else
	out->eip = f->eip;
	out->eflags = f->eflags;
	f->eip = (uint32_t)rt_try_recover;
	f->ds = f->es = RT_SEL_KDATA;
	f->fs = f->gs = 0;
	f->eflags &= ~FL_TF;
#endif
	f->cs = RT_SEL_KCODE;
}

/* Called by vectors_*.S for every trap, with the frame it built. */
void rt_trap(struct rt_frame *f)
{
	unsigned v = (unsigned)f->vector;

	if (handlers[v]) {
		handlers[v](f);
	} else if (rt_try_rsp) {
		try_catch(f);
	} else if (vector_has_error(v)) {
		rt_printf("unexpected exception %s(0x%lx) at " RT_PC_NAME
			  " 0x%lx\n", rt_vector_name(v),
			  (unsigned long)f->error,
			  (unsigned long)rt_frame_pc(f));
		rt_exit(RT_EXIT_UNEXPECTED_TRAP);
	} else {
		rt_printf("unexpected exception %s at " RT_PC_NAME " 0x%lx\n",
			  rt_vector_name(v), (unsigned long)rt_frame_pc(f));
		rt_exit(RT_EXIT_UNEXPECTED_TRAP);
	}
}

/* rt_try called inside an rt_try: a bug in the guest. */
void rt_try_nested(void)
{
	rt_puts("rt_try: nested call\n");
	rt_exit(RT_EXIT_UNEXPECTED_TRAP);
}
