/*
 * interp/deliver.c - exceptions and interrupts through the guest's IDT.
 *
 * When an interpreter routine raises an exception (vcpu.exception), when an
 * engine reports one that belongs to the guest, or when the guest executes
 * int n, the monitor does what the CPU's microcode does.  In IA-32e mode
 * (SDM vol. 3, 6.14; 64-bit and compatibility mode alike):
 *
 *   1. read the 16-byte gate for the vector from the IDT;
 *   2. read the code-segment descriptor the gate names: its DPL is the
 *      handler's CPL;
 *   3. pick the stack: TSS.ISTn if the gate asks for one, TSS.RSPn when
 *      the CPL drops to n, else the current stack; align it to 16 bytes;
 *   4. push the frame below;
 *   5. load CS:RIP from the gate, clear TF, NT, RF (and IF for an
 *      interrupt gate), and enter the handler at its CPL.
 *
 * The frame, 8 bytes a slot (the error code only for vectors that have
 * one):
 *
 *            +------------+  <- stack top, aligned down to 16
 *      +40   | SS         |
 *      +32   | RSP        |  the interrupted RSP
 *      +24   | RFLAGS     |
 *      +16   | CS         |
 *       +8   | RIP        |  the faulting insn, or the next one for a trap
 *        0   | error code |  <- RSP of the handler
 *            +------------+
 *
 * Protected mode (32- and 16-bit code without IA-32e) has 8-byte gates,
 * no IST and no alignment, and pushes SS:ESP only on a CPL change: its
 * own section below.
 *
 * Every step can itself fault.  The second fault is then delivered instead
 * of the first, or the two make a double fault (#DF) per SDM table 6-5;
 * a fault while delivering #DF shuts the machine down: a triple fault.
 * The vCPU records the chain of events in vcpu.shutdown, and the run loop
 * ends the guest with it.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "interp/internal.h"
#include "isa/arch.h"
#include "core/lab.h"
#include "shadowpt/walk.h"

/* One event being delivered. */
struct event {
	uint8_t vector;
	bool has_error;
	uint32_t error;
	enum event_source src;
	uint64_t rip;          /* the RIP the frame records */
};

/* A 64-bit interrupt or trap gate, unpacked (picture in isa/x86.h). */
struct gate {
	uint64_t offset;
	uint16_t selector;
	unsigned ist, type, dpl;
	bool present;
};

#define FRAME_SLOTS 6 /* error code, RIP, CS, RFLAGS, RSP, SS */
#define FRAME_ALIGN 16ULL /* the CPU aligns the handler's stack first */

/* EXT: an event the program did not ask for (SDM vol. 3, 6.13). */
static uint32_t ext(const struct event *ev)
{
	return ev->src == EVENT_SOFTWARE ? 0 : ERRC_EXT;
}

/* Raise fault vector with error code error (plus EXT) during delivery. */
static int fail(struct vm *vm, const struct event *ev, uint8_t vector,
		uint32_t error)
{
	vcpu_raise_error(&vm->vcpu, vector, error | ext(ev));
	return -1;
}

/* The error code that blames the IDT entry of ev. */
static uint32_t idt_error(const struct event *ev)
{
	return (uint32_t)ev->vector * 8 + ERRC_IDT;
}

/* A gate's first 8 bytes, laid out alike in every IDT (no IST, offset
 * bits 31:0); a 64-bit gate's next 8 add offset 63:32 and the IST. */
static void gate_unpack_low(uint64_t lo, struct gate *g)
{
	g->offset = (lo & 0xffff) | ((lo >> 32) & 0xffff0000);
	g->selector = (uint16_t)(lo >> 16);
	g->ist = 0;
	g->type = (unsigned)((lo & DESC_TYPE_MASK) >> DESC_TYPE_SHIFT);
	g->dpl = (unsigned)((lo & DESC_DPL_MASK) >> DESC_DPL_SHIFT);
	g->present = lo & DESC_P;
}

static void gate_unpack(const uint64_t raw[2], struct gate *g)
{
	gate_unpack_low(raw[0], g);
	g->offset |= raw[1] << 32;
	g->ist = (unsigned)(raw[0] >> 32) & GATE_IST_MASK;
}

/* The checks every gate passes last: int n from user code may use only
 * gates whose DPL allows it (#GP), and the gate must be present (#NP). */
static int gate_usable(struct vm *vm, const struct event *ev,
		       const struct gate *g)
{
	if (ev->src == EVENT_SOFTWARE && g->dpl < vm->vcpu.cpl)
		return fail(vm, ev, T_GP, idt_error(ev));
	if (!g->present)
		return fail(vm, ev, T_NP, idt_error(ev));
	return 0;
}

/* Step 1: the gate.  Only 64-bit interrupt and trap gates are valid. */
static int read_gate(struct vm *vm, const struct event *ev, struct gate *g)
{
	uint64_t offset = (uint64_t)ev->vector * GATE_SIZE;
	uint64_t raw[2];

	if (offset + GATE_SIZE - 1 > vm->vcpu.idtr.limit)
		return fail(vm, ev, T_GP, idt_error(ev));
	if (interp_gva_read(vm, vm->vcpu.idtr.base + offset, raw, sizeof(raw),
		     ACC_IMPLICIT) < 0)
		return -1;
	gate_unpack(raw, g);
	if (g->type != DESC_SYS_INT_GATE && g->type != DESC_SYS_TRAP_GATE)
		return fail(vm, ev, T_GP, idt_error(ev));
	return gate_usable(vm, ev, g);
}

/*
 * Step 2: the handler's code segment: present code no less privileged
 * than the CPL; through a 64-bit IDT (IA-32e mode) a 64-bit code segment,
 * through a protected-mode one a segment whose limit holds the handler.
 * Non-conforming code runs at its DPL.
 */
static int read_target(struct vm *vm, const struct event *ev,
		       const struct gate *g, bool ia32e, struct seg_desc *cs,
		       unsigned *new_cpl)
{
	uint32_t err = sel_error(g->selector);

	if (err == 0)
		return fail(vm, ev, T_GP, 0);
	switch (interp_desc_read(vm, g->selector, false, cs)) {
	case DESC_FAULT:
		return -1;
	case DESC_OUTSIDE:
		return fail(vm, ev, T_GP, err);
	case DESC_OK:
		break;
	}
	if (!desc_is_code(cs) || desc_dpl(cs) > vm->vcpu.cpl ||
	    (ia32e && (!(cs->lo & DESC_L) || (cs->lo & DESC_DB))))
		return fail(vm, ev, T_GP, err);
	if (!desc_present(cs))
		return fail(vm, ev, T_NP, err);
	*new_cpl = desc_is_conforming(cs) ? vm->vcpu.cpl : desc_dpl(cs);
	if (!ia32e && g->offset > desc_limit(cs))
		return fail(vm, ev, T_GP, 0);
	return 0;
}

/* Read the 8-byte stack pointer at offset in the TSS. */
static int read_tss_rsp(struct vm *vm, const struct event *ev,
			unsigned offset, uint64_t *rsp)
{
	const struct vcpu_segment *tr = &vm->vcpu.tr;

	/* The descriptor cache counts, not the selector (0 after reset). */
	if (offset + 7 > tr->limit)
		return fail(vm, ev, T_TS, sel_error(tr->selector));
	return interp_gva_read(vm, tr->base + offset, rsp, sizeof(*rsp),
			ACC_IMPLICIT);
}

/* Step 3: the handler's stack, before alignment. */
static int pick_stack(struct vm *vm, const struct event *ev,
		      const struct gate *g, unsigned new_cpl, uint64_t *rsp)
{
	if (g->ist != 0)
		return read_tss_rsp(vm, ev, TSS_IST1 + 8 * (g->ist - 1), rsp);
	if (new_cpl < vm->vcpu.cpl)
		return read_tss_rsp(vm, ev, TSS_RSP0 + 8 * new_cpl, rsp);
	*rsp = vm->vcpu.regs[GPR_RSP];
	return 0;
}

/*
 * Faults push RF = 1 so that the handler's iretq re-executes the faulting
 * instruction without re-triggering an instruction breakpoint on it
 * (SDM vol. 3, 17.3.1.1); traps, interrupts and int n push RF as it is.
 */
static bool is_fault(const struct event *ev)
{
	if (ev->src != EVENT_EXCEPTION)
		return false;
	switch (ev->vector) {
	case T_DE: case T_BR: case T_UD: case T_NM: case T_TS: case T_NP:
	case T_SS: case T_GP: case T_PF: case T_MF: case T_AC: case T_XM:
	case T_VE: case T_CP:
		return true;
	default:
		return false;
	}
}

/* Step 4: push the frame at the top of the chosen stack. */
static int push_frame(struct vm *vm, const struct event *ev, unsigned new_cpl,
		      uint64_t top, uint64_t *new_rsp)
{
	/* LAB 3 BEGIN: push_frame: the interrupt stack frame (task 1) */
	const struct vcpu *v = &vm->vcpu;
	uint64_t frame[FRAME_SLOTS];
	unsigned n = 0;

	if (ev->has_error)
		frame[n++] = ev->error;
	frame[n++] = ev->rip;
	frame[n++] = v->seg[SEG_CS].selector;
	frame[n++] = v->rflags | (is_fault(ev) ? FL_RF : 0);
	frame[n++] = v->regs[GPR_RSP];
	frame[n++] = v->seg[SEG_SS].selector;

	top &= ~(FRAME_ALIGN - 1);
	*new_rsp = top - n * 8;
	if (!x86_canonical(*new_rsp) || !x86_canonical(top - 1))
		return fail(vm, ev, T_SS, 0);
	/* A handler at CPL 3 pushes with user rights, else supervisor. */
	return interp_gva_write(vm, *new_rsp, frame, n * 8,
			 new_cpl == CPL_USER ? ACC_WRITE :
			 ACC_WRITE | ACC_IMPLICIT);
	/* LAB 3 END; hole: lab_todo(vm, 3, "push_frame"); (void)ev;
	 * (void)new_cpl; (void)top; (void)new_rsp; (void)is_fault; return -1; */
}

/* Step 5: the CPU state the handler starts with. */
static void enter_handler(struct vm *vm, const struct gate *g,
			  const struct seg_desc *cs, unsigned new_cpl,
			  uint64_t new_rsp)
{
	/* LAB 3 BEGIN: enter_handler: the state a handler starts in (task 1) */
	struct vcpu *v = &vm->vcpu;

	if (new_cpl != v->cpl) {
		/* 64-bit mode enters inner levels with a null SS, RPL = CPL. */
		v->seg[SEG_SS] = (struct vcpu_segment){ .selector =
							(uint16_t)new_cpl };
	}
	desc_load(&v->seg[SEG_CS],
		  (uint16_t)((g->selector & ~SEL_RPL_MASK) | new_cpl), cs);
	v->regs[GPR_RSP] = new_rsp;
	v->rip = g->offset;
	v->rflags &= ~(FL_TF | FL_NT | FL_RF | FL_VM);
	if (g->type == DESC_SYS_INT_GATE)
		v->rflags &= ~FL_IF;
	v->halted = false;
	v->interrupt_shadow = false;
	interp_set_cpl(vm, new_cpl);
	/* LAB 3 END; hole: lab_todo(vm, 3, "enter_handler"); (void)g;
	 * (void)cs; (void)new_cpl; (void)new_rsp; */
}

/*T:450 Exception delivery, as the CPU's microcode does it in 64-bit mode:
 * read the gate from the IDT, read the code segment it names, pick the
 * stack (an IST, the TSS's RSPn for a CPL change, or the current one),
 * push SS, RSP, RFLAGS, CS, RIP and the error code, and enter the handler.
 * Returns 0, or -1 with the fault that delivery itself raised in the vCPU:
 * the caller then delivers that fault instead, or a #DF (SDM table 6-5),
 * and a fault while delivering #DF is a triple fault.
 */
static int deliver_once(struct vm *vm, const struct event *ev)
{
	struct gate g;
	struct seg_desc cs;
	unsigned new_cpl;
	uint64_t top, new_rsp;

	if (read_gate(vm, ev, &g) < 0 ||
	    read_target(vm, ev, &g, true, &cs, &new_cpl) < 0)
		return -1;
	if (!x86_canonical(g.offset))
		return fail(vm, ev, T_GP, 0);
	if (pick_stack(vm, ev, &g, new_cpl, &top) < 0 ||
	    push_frame(vm, ev, new_cpl, top, &new_rsp) < 0)
		return -1;
	enter_handler(vm, &g, &cs, new_cpl, new_rsp);
	return 0;
}

/* ------------------------------------------------- protected mode */

/*
 * Outside IA-32e mode the IDT holds 8-byte gates (SDM vol. 3, 6.11):
 *
 *  63      48 47 46:45 44 43:40 39    32 31     16 15      0
 * +----------+--+-----+--+-----+--------+---------+---------+
 * |off 31:16 |P | DPL |0 |type |   0    |selector |off 15:0 |
 * +----------+--+-----+--+-----+--------+---------+---------+
 *
 * type 0x5 a task gate, 0x6 and 0x7 16-bit interrupt and trap gates, 0xe
 * and 0xf their 32-bit forms.  A gate's size is the size of the slots it
 * pushes, and a 16-bit gate's handler starts at a 16-bit offset.  No
 * alignment, no IST; the frame, one slot each, SS and ESP only when the
 * CPL changes (the stack then comes from the 32-bit TSS):
 *
 *            +------------+  <- the TSS's ESPn, or the current ESP
 *            | SS         |  \ only from an outer level
 *            | ESP        |  /
 *            | EFLAGS     |
 *            | CS         |
 *            | EIP        |
 *            | error code |  <- ESP of the handler
 *            +------------+
 */
#define GATE32_SIZE 8
#define GATE_TASK 0x5
#define GATE_INT16 0x6
#define GATE_TRAP16 0x7
#define GATE_INT32 DESC_SYS_INT_GATE
#define GATE_TRAP32 DESC_SYS_TRAP_GATE

/* The 32-bit TSS: ESPn at 4 + 8n, SSn at 8 + 8n (SDM vol. 3, 7.2.1). */
#define TSS32_ESP0 0x04
#define TSS32_STACK_STRIDE 8

/* The protected-mode gate for ev: the 64-bit gate's checks, 8 bytes. */
static int read_gate32(struct vm *vm, const struct event *ev, struct gate *g,
		       unsigned *slot)
{
	uint64_t offset = (uint64_t)ev->vector * GATE32_SIZE;
	uint64_t raw;

	if (offset + GATE32_SIZE - 1 > vm->vcpu.idtr.limit)
		return fail(vm, ev, T_GP, idt_error(ev));
	if (interp_gva_read(vm, (uint32_t)(vm->vcpu.idtr.base + offset), &raw,
			    sizeof(raw), ACC_IMPLICIT) < 0)
		return -1;
	gate_unpack_low(raw, g);
	switch (g->type) {
	case GATE_INT32: case GATE_TRAP32:
		*slot = 4;
		break;
	case GATE_INT16: case GATE_TRAP16:
		*slot = 2;
		g->offset &= 0xffff;
		break;
	case GATE_TASK:
		if (g->present) {
			vm_kill_at(vm, VM_EXIT_TRIPLE_FAULT, vm->vcpu.rip,
				   "vector %u goes through a task gate: task "
				   "switches are not supported", ev->vector);
			return -1;
		}
		return fail(vm, ev, T_NP, idt_error(ev));
	default:
		return fail(vm, ev, T_GP, idt_error(ev));
	}
	return gate_usable(vm, ev, g);
}

/*
 * The inner stack for new_cpl from the 32-bit TSS: ESPn and SSn, which
 * must lie within TR's limit (#TS(TR)), and SSn must be a present writable
 * data segment with RPL = DPL = new_cpl (#TS(SS), #SS(SS) if not present).
 */
static int tss_stack32(struct vm *vm, const struct event *ev,
		       unsigned new_cpl, struct vcpu_segment *ss,
		       uint64_t *esp)
{
	const struct vcpu_segment *tr = &vm->vcpu.tr;
	uint32_t at = TSS32_ESP0 + TSS32_STACK_STRIDE * new_cpl, sp = 0;
	uint16_t sel;
	struct seg_desc d;

	if (at + 5 > tr->limit)
		return fail(vm, ev, T_TS, sel_error(tr->selector));
	if (interp_gva_read(vm, (uint32_t)(tr->base + at), &sp, sizeof(sp),
			    ACC_IMPLICIT) < 0 ||
	    interp_gva_read(vm, (uint32_t)(tr->base + at + 4), &sel,
			    sizeof(sel), ACC_IMPLICIT) < 0)
		return -1;
	if (sel_error(sel) == 0)
		return fail(vm, ev, T_TS, 0);
	switch (interp_desc_read(vm, sel, false, &d)) {
	case DESC_FAULT:
		return -1;
	case DESC_OUTSIDE:
		return fail(vm, ev, T_TS, sel_error(sel));
	case DESC_OK:
		break;
	}
	if ((sel & SEL_RPL_MASK) != new_cpl || desc_dpl(&d) != new_cpl ||
	    desc_is_system(&d) || desc_is_code(&d) ||
	    !(desc_type(&d) & DESC_TYPE_RW))
		return fail(vm, ev, T_TS, sel_error(sel));
	if (!desc_present(&d))
		return fail(vm, ev, T_SS, sel_error(sel));
	desc_load(ss, sel, &d);
	*esp = sp;
	return 0;
}

/*
 * Push the frame of slot-byte slots below sp on stack segment ss: it must
 * fit within ss's limit, else #SS (with ss's selector when it is the new
 * inner stack).  Returns 0 with the handler's stack pointer in *new_sp.
 */
static int push_frame32(struct vm *vm, const struct event *ev,
			unsigned slot, bool inner,
			const struct vcpu_segment *ss, uint64_t sp,
			unsigned new_cpl, uint64_t *new_sp)
{
	const struct vcpu *v = &vm->vcpu;
	uint64_t mask = (ss->attr & SEG_ATTR_DB) ? 0xffffffffULL : 0xffffULL;
	uint64_t slots[FRAME_SLOTS];
	uint8_t frame[FRAME_SLOTS * 4];
	unsigned n = 0;

	if (ev->has_error)
		slots[n++] = ev->error;
	slots[n++] = ev->rip;
	slots[n++] = v->seg[SEG_CS].selector;
	slots[n++] = v->rflags | (is_fault(ev) ? FL_RF : 0);
	if (inner) {
		slots[n++] = (uint32_t)v->regs[GPR_RSP]; /* all of ESP */
		slots[n++] = v->seg[SEG_SS].selector;
	}
	for (unsigned i = 0; i < n; i++)
		memcpy(frame + i * slot, &slots[i], slot); /* little-endian */
	*new_sp = (sp - n * slot) & mask;
	if (!interp_seg_within(ss, *new_sp, n * slot))
		return fail(vm, ev, T_SS, inner ? sel_error(ss->selector) : 0);
	return interp_gva_write(vm, (uint32_t)(ss->base + *new_sp), frame,
				n * slot, new_cpl == CPL_USER ? ACC_WRITE :
				ACC_WRITE | ACC_IMPLICIT);
}

/*
 * Event delivery in protected mode (SDM vol. 3, 6.12.1, and INT n's
 * "PROTECTED-MODE" pseudocode): the 8-byte gate, the handler's code
 * segment, the stack (the TSS's SSn:ESPn for a more privileged handler),
 * the frame, then CS:EIP from the gate with TF, NT, RF, VM cleared, and
 * IF too through an interrupt gate.  Nothing changes until every check
 * has passed, so a fault on the way leaves the vCPU as it was.
 */
static int deliver_once_prot(struct vm *vm, const struct event *ev)
{
	struct vcpu *v = &vm->vcpu;
	struct gate g;
	struct seg_desc cs;
	struct vcpu_segment ss = v->seg[SEG_SS];
	unsigned new_cpl, slot;
	uint64_t sp = interp_sp(v), new_sp;
	bool inner;

	if (read_gate32(vm, ev, &g, &slot) < 0 ||
	    read_target(vm, ev, &g, false, &cs, &new_cpl) < 0)
		return -1;
	inner = new_cpl < v->cpl;
	if ((inner && tss_stack32(vm, ev, new_cpl, &ss, &sp) < 0) ||
	    push_frame32(vm, ev, slot, inner, &ss, sp, new_cpl, &new_sp) < 0)
		return -1;
	v->seg[SEG_SS] = ss;
	interp_sp_set(v, new_sp);
	desc_load(&v->seg[SEG_CS],
		  (uint16_t)((g.selector & ~SEL_RPL_MASK) | new_cpl), &cs);
	v->rip = g.offset;
	v->rflags &= ~(FL_TF | FL_NT | FL_RF | FL_VM);
	if (g.type == GATE_INT32 || g.type == GATE_INT16)
		v->rflags &= ~FL_IF;
	v->halted = false;
	v->interrupt_shadow = false;
	interp_set_cpl(vm, new_cpl);
	return 0;
}

/* ---------------------------------------------- faults while delivering */

/* SDM vol. 3, table 6-4: the classes that decide a double fault. */
enum exc_class { EXC_BENIGN, EXC_CONTRIBUTORY, EXC_PAGE_FAULT };

static enum exc_class exc_class(const struct event *ev)
{
	if (ev->src != EVENT_EXCEPTION)
		return EXC_BENIGN; /* interrupts and int n */
	switch (ev->vector) {
	case T_DE: case T_TS: case T_NP: case T_SS: case T_GP:
		return EXC_CONTRIBUTORY;
	case T_PF:
		return EXC_PAGE_FAULT;
	default:
		return EXC_BENIGN;
	}
}

/*
 * SDM vol. 3, table 6-5, first exception (row) against second (column):
 *
 *                    benign     contributory   page fault
 *   benign           serial     serial         serial
 *   contributory     serial     #DF            serial
 *   page fault       serial     #DF            #DF
 *
 * "serial": the second exception is delivered instead; the first is lost,
 * and comes back when the handler returns to the faulting instruction.
 */
static bool is_double_fault(const struct event *first,
			    const struct event *second)
{
	enum exc_class a = exc_class(first), b = exc_class(second);

	if (a == EXC_CONTRIBUTORY)
		return b == EXC_CONTRIBUTORY;
	if (a == EXC_PAGE_FAULT)
		return b != EXC_BENIGN;
	return false;
}

/*
 * The events of one delivery, kept for the message a triple fault ends
 * the guest with: which exception started it is often far from obvious
 * once two more faults have followed it.
 */
static void chain_add(struct vcpu_shutdown *c, const struct event *ev)
{
	if (c->n < VCPU_CHAIN_MAX)
		c->ev[c->n++] = (struct vcpu_chain_event){
			.vector = ev->vector, .has_error = ev->has_error,
			.error = ev->error,
			.external = ev->src == EVENT_EXTERNAL,
			.software = ev->src == EVENT_SOFTWARE };
}

/* Take the fault raised while delivering, as an event. */
static bool take_nested(struct vm *vm, struct event *second)
{
	struct vcpu_event e = vm->vcpu.exception;

	vm->vcpu.exception.pending = false;
	if (vm->stopped)
		return false; /* the walk found the guest beyond repair */
	if (!e.pending)
		panic("interp_deliver_event: delivery failed without "
			     "raising a fault");
	*second = (struct event){ e.vector, e.has_error, e.error,
				  EVENT_EXCEPTION, vm->vcpu.rip };
	return true;
}

/* Protected mode has its own IDT format; IA-32e mode (64-bit and
 * compatibility mode) the 64-bit one. */
static int deliver_mode(struct vm *vm, const struct event *ev)
{
	if (vm->vcpu.efer & EFER_LMA)
		return deliver_once(vm, ev);
	return deliver_once_prot(vm, ev);
}

void interp_deliver_event(struct vm *vm, uint8_t vector, bool has_error,
			  uint32_t error, enum event_source src,
			  uint64_t return_rip)
{
	struct event ev = { vector, has_error, error, src, return_rip };
	struct event second;
	struct vcpu_shutdown chain = { .rip = vm->vcpu.rip };

	if (cpu_mode(&vm->vcpu) == CPU_REAL) { /* no real-mode guests yet */
		vm_kill_at(vm, VM_EXIT_TRIPLE_FAULT, vm->vcpu.rip, "vector "
			   "%u raised in real mode: not supported", vector);
		return;
	}
	/*
	 * A few rounds at most: the faults of delivery are never benign, so
	 * a second one either becomes #DF or (a #PF after a contributory
	 * fault) is delivered alone, and the next fault makes #DF.  A fault
	 * while delivering #DF shuts the CPU down: the run loop ends the
	 * guest and names the chain (monitor/run.c).
	 */
	chain_add(&chain, &ev);
	while (deliver_mode(vm, &ev) < 0) {
		if (!take_nested(vm, &second))
			return;
		chain_add(&chain, &second);
		if (ev.src == EVENT_EXCEPTION && ev.vector == T_DF) {
			chain.pending = true;
			vm->vcpu.shutdown = chain;
			return;
		}
		if (is_double_fault(&ev, &second)) {
			second = (struct event){ T_DF, true, 0,
						 EVENT_EXCEPTION,
						 vm->vcpu.rip };
			chain_add(&chain, &second);
		}
		ev = second;
	}
}

void interp_deliver(struct vm *vm)
{
	struct vcpu_event e = vm->vcpu.exception;

	if (!e.pending)
		return;
	vm->vcpu.exception.pending = false;
	interp_deliver_event(vm, e.vector, e.has_error, e.error,
			     EVENT_EXCEPTION, vm->vcpu.rip);
}

void interp_deliver_interrupt(struct vm *vm, uint8_t vector)
{
	interp_deliver_event(vm, vector, false, 0, EVENT_EXTERNAL,
			     vm->vcpu.rip);
}
