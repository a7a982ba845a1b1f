/*
 * monitor/dispatch.c - Popek and Goldberg's dispatcher.
 *
 * One trap, end to end:
 *
 *   vm_run()                   the loop (monitor/run.c)
 *     engine->run(vm)          guest code runs until something traps
 *       -> struct vm_exit      reason, rip, vector, error code, address
 *     dispatch()               interprets that one exit:
 *       -> insn_fetch_ref()    the bytes at RIP through the guest's page
 *                              tables (shadowpt/walk.c), decoded by
 *                              Capstone (isa/decode.c)
 *       -> pg_classify()       privileged?  sensitive?  (trace, stats)
 *       -> interp routine      changes the virtual CPU
 *       or shadowpt_fault()    fills the shadow, or reflects a #PF
 *     back in vm_run(): exceptions raised go through the guest's IDT,
 *     interrupts are injected, and the engine resumes.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>

#include "interp/interp.h"
#include "isa/decode.h"
#include "isa/pgclass.h"
#include "isa/arch.h"
#include "isa/x86.h"
#include "patch/patch.h"
#include "devices/devices.h"
#include "monitor/dispatch.h"
#include "monitor/stats.h"
#include "shadowpt/shadowpt.h"
#include "shadowpt/walk.h"
#include "core/engine.h"
#include "core/exit.h"
#include "core/hypercall.h"
#include "monitor/trace.h"
#include "monitor/tracejson.h"
#include "core/vm.h"

/* A hidden fault that repeats this often without progress is a bug. */
#define MAX_REPEATED_FILLS 8

/*
 * What the dispatcher did with one exit: for --trace and --stats.  When
 * the counts are read (--stats, gdb, --trace-json: counted()) every exit
 * is counted, so counting is cheap: rows are found by a number (key), not
 * by name.  The words of --trace are made only when a trace will print
 * them (say()): a printf on every exit was a fifth of a trap's cost on
 * softcpu (engines/softcpu/README.md).
 */
struct action {
	const char *reason;     /* "#GP", "#PF", "syscall", "mmio" ... */
	bool coded;             /* --trace shows the reason as "#GP(0)" */
	uint32_t code;          /* ... with this error code */
	unsigned key;           /* the --stats row: KEY_REASON() ... */
	const char *group;      /* the --stats row's name: "#GP" */
	const struct insn *insn;  /* the decoded instruction, if any: the
				     decode cache's own record, good for
				     this exit (isa_decode_ref) */
	const struct insn *shown; /* the one --trace shows (also a #PF's
				     or a #UD's, decoded for it alone) */
	const struct pg_entry *pg;
	enum trace_class cls;   /* --trace=CLASSES */
	bool patched;           /* a #GP from a site --patch rewrote */
	struct interp_effect *effect; /* what the routine reported: on
				       dispatch()'s stack under --trace
				       only, NULL (nothing reported) else */
	bool says;              /* --trace: what happened, in words */
	bool named;             /* --stats or --trace reads the names and
				   classes (reason, group, pg, cls): looked
				   up only then (dispatch()) */
	char *what;             /* "out port 0x3f8 <- 0x68", "shadow ...":
				   WHAT_LEN bytes of dispatch()'s stack,
				   written only under --trace (say()) */
};
#define WHAT_LEN 160

/* --stats rows of exits: an exception's by its vector, the others' by
 * their reason, after them; a hypercall (EXIT_IO on kvm) after those. */
#define KEY_REASON(r) (256u + (unsigned)(r))
#define KEY_HYPERCALL KEY_REASON(EXIT_NREASONS)
/* --stats rows of instructions: a Popek-Goldberg row by its place in
 * pg_table, a hypercall apart, an innocuous one by Capstone's id and its
 * rep or lock prefix (Capstone's mnemonic says "rep stosb"). */
#define KEY_PG(pg) (0x10000u + (unsigned)((pg) - pg_table))
#define KEY_INSN_HYPERCALL 0x20000u
#define KEY_INSN(in) ((in)->id + ((unsigned)(in)->x86.prefix[0] << 20))

/* What happened, in words, for --trace alone. */
static void __attribute__((format(printf, 2, 3)))
say(struct action *a, const char *fmt, ...)
{
	va_list ap;

	if (!a->says)
		return;
	va_start(ap, fmt);
	vsnprintf(a->what, WHAT_LEN, fmt, ap);
	va_end(ap);
}

/* The exit's reason as --trace names it: "syscall", or "#GP(0)". */
static void name_reason(struct action *a, const char *reason)
{
	a->reason = reason;
	a->coded = false;
}

static void code_reason(struct action *a, const char *reason, uint32_t code)
{
	a->reason = reason;
	a->coded = true;
	a->code = code;
}

/* "0x201234 <main+0x4>" for a message (monitor/trace.h). */
#define WHERE(vm, rip) trace_where(vm, rip, (char[TRACE_WHERE_LEN]){ 0 }, \
				   TRACE_WHERE_LEN)

/* An out to the hypercall port (core/hypercall.h): --stats counts it
 * apart from the port I/O of devices. */
static bool is_hypercall(const struct insn *in)
{
	return in->id == X86_INS_OUT &&
	       in->x86.operands[0].type == X86_OP_IMM &&
	       (uint8_t)in->x86.operands[0].imm == HC_PORT;
}

/* Deliver the exception an engine reported straight into the guest. */
static void reflect(struct vm *vm, const struct vm_exit *x, struct action *a)
{
	if (x->exc.has_error)
		vcpu_raise_error(&vm->vcpu, x->exc.vector, x->exc.error);
	else
		vcpu_raise(&vm->vcpu, x->exc.vector);
	say(a, "reflected to the guest");
}

/*
 * A #GP at ring 3: the guest kernel executed a privileged instruction (or a
 * sensitive one under --isa=strict), or a genuine #GP of its own.  Decode
 * the instruction to tell which.
 */
/* The guest's code is mapped to memory it does not have: stop it. */
static void code_outside_ram(struct vm *vm, const struct vm_exit *x,
			     struct action *a)
{
	vm_kill(vm, VM_EXIT_TRIPLE_FAULT, "guest code at rip %s is outside "
		"its %" PRIu64 " MiB of RAM", WHERE(vm, x->rip),
		vm->mem.size >> 20);
	say(a, "guest killed");
}

/*
 * Run the interpreter routine; an instruction it completes has retired.
 * The routine reports its effect into a->effect, for the trace to word
 * (interp/internal.h: a routine reports nothing when there is none).
 */
static void emulate(struct vm *vm, interp_fn *fn, const struct insn *in,
		    struct action *a)
{
	if (a->says)
		a->cls = trace_insn_class(in);
	vm->effect = a->effect;
	fn(vm, in);
	vm->effect = NULL;
	if (vm->vcpu.exception.pending) {
		const struct vcpu_event *e = &vm->vcpu.exception;
		if (e->has_error)
			say(a, "emulated: raised %s(%#x)",
			    x86_vector_name(e->vector), e->error);
		else
			say(a, "emulated: raised %s",
			    x86_vector_name(e->vector));
		return;
	}
	if (vm->vcpu.shutdown.pending) { /* int n into a broken IDT */
		say(a, "emulated: triple fault");
		return;
	}
	vm->vcpu.instructions++;
	if (vm->opt.trace)
		trace_effect(vm, a->effect, a->what, WHAT_LEN);
}

/*T:310 A #GP at ring 3 does not say *which* instruction faulted: the monitor
 * must read the instruction and decode it, as every trap-and-emulate
 * monitor must.  insn_fetch_ref() reads the bytes through the guest's page
 * tables (stop 320) and Capstone decodes them (stop 325); pg_classify()
 * names the Popek-Goldberg class (stop 330) for --stats and --trace, the
 * class's only readers; interp_lookup() finds the
 * interpreter routine (stop 400), which does what the instruction would
 * have done at ring 0 - for the cli of stop 115, interp_cli() (stop 405).
 * An instruction with no routine was no privileged instruction at all: the
 * #GP is the guest's own, and goes back to it.
 */
static void dispatch_gp(struct vm *vm, const struct vm_exit *x,
			struct insn *scratch, struct action *a)
{
	const struct insn *in = scratch;

	/*
	 * --patch: a #GP on a patched site is the patch's hlt (patch/).
	 * On softcpu guest RAM still holds the original instruction (the
	 * patch is laid over what it decodes), so the fetch decodes it; on
	 * native the patch is in RAM and patch_original() puts the original
	 * bytes back.  Its routine runs as if it had trapped by itself.
	 */
	if (vm->patch && patch_learn(vm, x->rip)) {
		say(a, "patch: a new entry point, scanned");
		return;
	}
	bool site = vm->patch && patch_trap(vm, x->rip);
	a->patched = site;
	switch (site && vm->patch->ram ? patch_original(vm, x->rip, scratch)
				       : insn_fetch_ref(vm, x->rip, &in)) {
	case DECODE_FAULT: /* the code page went away: #PF raised */
		say(a, "#PF fetching the insn");
		return;
	case DECODE_NO_RAM:
		code_outside_ram(vm, x, a);
		return;
	case DECODE_INVALID:
		reflect(vm, x, a);
		return;
	case DECODE_OK:
		break;
	}
	a->insn = in;
	if (a->named)
		a->pg = pg_classify(in);
	interp_fn *fn = interp_lookup(in);
	if (!fn) {
		reflect(vm, x, a);
		return;
	}
	emulate(vm, fn, in, a);
}

/*
 * The shadow maps the faulting address to a device's page, or a write to
 * the BIOS area (ROM to the guest, never writable in a native child), and
 * the engine's MMU cannot reach devices (native): emulate the
 * instruction's access (interp_mmio).  True when this was such a fault.
 */
static bool dispatch_mmio(struct vm *vm, const struct vm_exit *x,
			  struct action *a)
{
	const struct insn *in;
	uint64_t leaf = shadowpt_lookup(vm, x->exc.address);
	uint64_t frame = leaf & PTE_ADDR_MASK;
	bool rom = gm_is_rom(frame) && (x->exc.error & PFEC_W);

	if (vm->engine->handles_mmio || !leaf ||
	    (shadowpt_frame_is_ram(vm, frame) && !rom))
		return false;
	name_reason(a, "mmio");
	a->cls = TRACE_IO;
	switch (insn_fetch_ref(vm, x->rip, &in)) {
	case DECODE_OK:
		break;
	case DECODE_NO_RAM:
		code_outside_ram(vm, x, a);
		return true;
	case DECODE_FAULT:
		say(a, "#PF fetching the insn");
		return true;
	case DECODE_INVALID:
		reflect(vm, x, a);
		return true;
	}
	a->insn = in;
	if (interp_mmio(vm, in)) {
		say(a, "emulated on device memory at linear %#" PRIx64,
		    x->exc.address);
		return true;
	}
	vm_kill(vm, VM_EXIT_TRIPLE_FAULT, "%s %s on %s at linear "
		"%#" PRIx64 " (rip %s): the %s engine emulates only "
		"mov, movzx and movsx there (--engine=softcpu runs any)",
		in->mnemonic, in->op_str,
		rom ? "the BIOS area (ROM)" : "device memory", x->exc.address,
		WHERE(vm, x->rip), vm->engine->name);
	say(a, "guest killed");
	return true;
}

/*T:340 The other trap every de-privileged guest causes by the thousand: a #PF
 * against the shadow page tables.  shadowpt_fault() (stop 500) answers in
 * one of three ways, and each has one response: the shadow was filled (a
 * hidden fault: resume, the guest never knows); the guest's own tables
 * refuse the access (a true fault: the #PF is now pending in the vCPU, for
 * the guest's IDT); the guest maps memory it does not have (a misbehaving
 * guest: vm_kill(), stop 240).  One more case is the monitor's own: a fill
 * that repeats without one instruction retiring did not take, and that is
 * a bug in trapvisor (vm_bug(), stop 240).
 */
/* A #PF against the shadow: fill it (hidden) or reflect it (true). */
static void dispatch_pf(struct vm *vm, const struct vm_exit *x,
			struct action *a)
{
	struct fill_tracker *f = &vm->last_fill;

	switch (shadowpt_fault(vm, x->exc.address, x->exc.error)) {
	case SHADOW_FILLED:
		if (dispatch_mmio(vm, x, a))
			return;
		f->repeats = (x->rip == f->rip && x->exc.address == f->addr &&
			      vm->vcpu.instructions == f->retired) ?
			     f->repeats + 1 : 0;
		f->rip = x->rip;
		f->addr = x->exc.address;
		f->retired = vm->vcpu.instructions;
		if (f->repeats > MAX_REPEATED_FILLS) {
			vm_bug(vm, "dispatch_pf: the shadow fill of %#" PRIx64
			       " did not take (rip %#" PRIx64 ", error %#x)",
			       x->exc.address, x->rip, x->exc.error);
			f->repeats = 0;
			say(a, "monitor bug");
			break;
		}
		if (trace_wants(vm, TRACE_PF)) {
			char e[WHAT_LEN - 16];
			trace_shadow_entry(vm, x->exc.address, e, sizeof(e));
			say(a, "hidden: %s", e);
		}
		break;
	case SHADOW_GUEST_FAULT:
		say(a, "true: #PF(%#x) reflected, cr2=%#" PRIx64,
		    vm->vcpu.exception.error, vm->vcpu.cr2);
		break;
	case SHADOW_BAD_PHYS:
		vm_kill(vm, VM_EXIT_TRIPLE_FAULT, "guest maps linear %#" PRIx64
			" to memory outside its %" PRIu64 " MiB of RAM "
			"(rip %s)", x->exc.address,
			vm->mem.size >> 20, WHERE(vm, x->rip));
		say(a, "guest killed");
		break;
	}
	code_reason(a, "#PF", x->exc.error);
}

/* An exception from the engine: #GP and #PF need the monitor. */
static void dispatch_exception(struct vm *vm, const struct vm_exit *x,
			       struct insn *in, struct action *a)
{
	const char *name = a->named ? x86_vector_name(x->exc.vector) : NULL;

	a->group = name;
	a->key = x->exc.vector;
	if (x->exc.has_error)
		code_reason(a, name, x->exc.error);
	else
		name_reason(a, name);
	switch (x->exc.vector) {
	case T_GP:
		a->cls = TRACE_EXC; /* unless it was an insn to emulate */
		dispatch_gp(vm, x, in, a);
		break;
	case T_PF:
		a->cls = TRACE_PF;
		dispatch_pf(vm, x, a);
		break;
	default:
		a->cls = TRACE_EXC;
		reflect(vm, x, a);
		break;
	}
}

/* The guest executed syscall: emulate it through its LSTAR. */
static void dispatch_syscall(struct vm *vm, const struct vm_exit *x,
			     struct action *a)
{
	const struct insn *in;

	name_reason(a, "syscall");
	a->cls = TRACE_SYSCALL;
	switch (insn_fetch_ref(vm, x->rip, &in)) {
	case DECODE_OK:
		break;
	case DECODE_NO_RAM:
		code_outside_ram(vm, x, a);
		return;
	default:
		say(a, "#PF fetching the insn");
		return;
	}
	a->insn = in;
	if (a->named)
		a->pg = pg_classify(in);
	interp_fn *fn = interp_lookup(in);
	if (!fn) {
		vcpu_raise(&vm->vcpu, T_UD);
		say(a, "no routine: #UD");
		return;
	}
	emulate(vm, fn, in, a);
}

/* Port I/O decoded by the hardware (kvm): straight to the devices.  An
 * in's value goes back in x->io.data, for the engine to complete it. */
static void dispatch_io(struct vm *vm, struct vm_exit *x, struct action *a)
{
	uint32_t data = x->io.data;

	if (x->io.port == HC_PORT && !x->io.in) { /* a hypercall */
		uint64_t nr = vm->vcpu.regs[GPR_RAX];

		interp_hypercall(vm);
		name_reason(a, "hypercall");
		a->key = KEY_HYPERCALL;
		a->cls = TRACE_IO;
		say(a, "hypercall %s", interp_hypercall_name(nr));
		return;
	}

	devices_io(vm, x->io.port, x->io.size, x->io.in, &data);
	if (x->io.in)
		x->io.data = data;
	name_reason(a, "io");
	a->cls = TRACE_IO;
	say(a, "%s port %#x %s 0x%0*x", x->io.in ? "in" : "out", x->io.port,
	    x->io.in ? "->" : "<-", (int)x->io.size * 2, data);
}

/*
 * The instruction behind a #PF or a #UD, decoded for the trace alone
 * (insn_peek changes nothing the guest can see: no fault, no accessed bit).
 */
static void show_insn(struct vm *vm, const struct vm_exit *x,
		      struct insn *in, struct action *a)
{
	if (a->shown || x->reason != EXIT_EXCEPTION ||
	    (x->exc.vector != T_PF && x->exc.vector != T_UD) ||
	    !trace_wants(vm, a->cls) || vm->stopped)
		return;
	if (insn_peek(vm, x->rip, in))
		a->shown = in;
}

/* The --stats row of an emulated instruction: its Popek-Goldberg form
 * ("mov to crN"), or its mnemonic when it is innocuous (a genuine #GP). */
static void count_insn(struct vm *vm, struct action *a, uint64_t ticks)
{
	const struct insn *in = a->insn;

	if (is_hypercall(in))
		stats_add_insn(vm->stats, KEY_INSN_HYPERCALL, "hypercall",
			       ticks);
	else if (a->pg && a->pg->cls != PG_INNOCUOUS)
		stats_add_insn(vm->stats, KEY_PG(a->pg), a->pg->name, ticks);
	else
		stats_add_insn(vm->stats, KEY_INSN(in), in->mnemonic, ticks);
}

/* --trace's line for this exit. */
static void trace_action(struct vm *vm, const struct vm_exit *x,
			 struct insn *in, struct action *a, unsigned cpl)
{
	char reason[32];

	if (a->coded)
		snprintf(reason, sizeof(reason), "%s(%#x)", a->reason,
			 a->code);
	else
		snprintf(reason, sizeof(reason), "%s", a->reason);
	if (a->insn)
		a->shown = a->insn;
	show_insn(vm, x, in, a);
	trace_exit(vm, a->cls, cpl, x->rip, reason, a->shown, a->pg,
		   a->what, a->patched);
}

/*
 * Are the --stats rows read in this run?  By --stats at the end, by gdb's
 * "monitor info traps" at any stop, by --trace-json's exit events (the
 * row that moved names the exit).  Without any of them the dispatcher
 * neither reads the host clock twice nor finds two rows per exit: about
 * a tenth of a softcpu trap (monitor/README.md, "What every exit costs
 * the monitor").
 */
static bool counted(const struct vm *vm)
{
	return vm->opt.stats || vm->gdb || tracejson_on();
}

/*T:300 The dispatcher, Popek and Goldberg's second module, interprets one exit.
 * An exit is an exception the guest's code raised at ring 3 (mostly #GP
 * from a privileged instruction, and #PF from the shadow page tables), a
 * syscall, or an event the hardware already decoded (kvm).  Each goes to
 * exactly one handler, which changes the vCPU and may raise an exception
 * for the guest; vm_run() delivers it before the guest runs again.
 */
void dispatch(struct vm *vm, struct vm_exit *x)
{
	bool counts = counted(vm);
	uint64_t t0 = counts ? clock_host_ticks() : 0;
	struct insn in;
	char what[WHAT_LEN];
	struct interp_effect effect;
	struct action a = { .key = KEY_REASON(x->reason), .what = what,
			    .says = vm->opt.trace,
			    .named = counts || vm->opt.trace };
	unsigned cpl = vm->vcpu.cpl; /* the trap's, before its effect */

	what[0] = '\0';
	if (a.says) { /* the routine's effect, for --trace to word */
		effect = (struct interp_effect){ 0 };
		a.effect = &effect;
	}

	switch (x->reason) {
	case EXIT_EXCEPTION:
		dispatch_exception(vm, x, &in, &a);
		break;
	case EXIT_SYSCALL:
		dispatch_syscall(vm, x, &a);
		break;
	case EXIT_IO:
		dispatch_io(vm, x, &a);
		break;
	case EXIT_MMIO:
		devices_mmio(vm, x->mmio.gpa, x->mmio.size, x->mmio.write,
			     &x->mmio.data);
		name_reason(&a, "mmio");
		a.cls = TRACE_IO;
		say(&a, "%s %#" PRIx64 " (%u bytes) %s %#" PRIx64,
		    x->mmio.write ? "write" : "read", x->mmio.gpa,
		    x->mmio.size, x->mmio.write ? "<-" : "->", x->mmio.data);
		break;
	case EXIT_HLT:
		vm->vcpu.halted = true;
		name_reason(&a, "hlt");
		say(&a, "halted until an interrupt");
		a.cls = TRACE_IRQ;
		break;
	case EXIT_SHUTDOWN:
		vm_kill(vm, VM_EXIT_TRIPLE_FAULT, "triple fault (shutdown) at "
			"rip %s", WHERE(vm, x->rip));
		name_reason(&a, "shutdown");
		a.cls = TRACE_EXC;
		break;
	case EXIT_INTERRUPT:
		a.cls = TRACE_IRQ;
		if (vm->kick == VM_KICK_STOP)
			vm_kill(vm, VM_EXIT_INTERRUPTED, "interrupted at rip %s",
				WHERE(vm, vm->vcpu.rip));
		say(&a, "%s", vm->kick ? "kicked" :
		    "the monitor's deadline: a timer event or the end of an "
		    "interrupt shadow");
		vm->kick = 0;
		name_reason(&a, "interrupt");
		break;
	case EXIT_INTERNAL:
	case EXIT_NONE:
	case EXIT_NREASONS:
		/* Tier 1 (core/panic.h): the engine, not the guest, failed. */
		vm_bug(vm, "dispatch: the %s engine cannot go on: %s",
		       vm->engine->name, x->reason == EXIT_INTERNAL ?
		       x->why : "an exit with no reason");
		name_reason(&a, "internal");
		a.cls = TRACE_EXC;
		break;
	}

	if (counts) {
		uint64_t ticks = clock_host_ticks() - t0;
		stats_add_reason(vm->stats, a.key,
				 a.group ? a.group : a.reason, ticks);
		if (a.insn)
			count_insn(vm, &a, ticks);
	}
	if (vm->opt.trace)
		trace_action(vm, x, &in, &a, cpl);
}

void dispatch_print_stats(FILE *f)
{
	struct isa_dcache_stats st;

	isa_dcache_stats(&st);
	if (st.hits + st.decodes == 0)
		return; /* nothing trapped to decode (kvm decodes in hardware) */
	fprintf(f, "monitor: decode cache: %.3f%% hits (%" PRIu64 " fetches "
		"of a trapping instruction, %" PRIu64 " decoded by Capstone)\n",
		100.0 * (double)st.hits / (double)(st.hits + st.decodes),
		st.hits + st.decodes, st.decodes);
}
