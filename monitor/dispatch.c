/*
 * monitor/dispatch.c - Popek and Goldberg's dispatcher.
 *
 * One trap, end to end (DESIGN.md):
 *
 *   engine->run(vm)           guest code runs until something traps
 *     -> struct vm_exit        reason, rip, vector, error code, address
 *   dispatch()                 looks at the reason
 *     -> isa_decode()          Capstone decodes the instruction at RIP
 *     -> pg_classify()         privileged?  sensitive?  (trace, stats)
 *     -> interp routine        changes the virtual CPU
 *     or shadowpt_fault()      fills the shadow, or reflects a #PF
 *     -> interp_deliver()      exceptions go through the guest's IDT
 *   engine->run(vm)            resume
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "interp/interp.h"
#include "isa/decode.h"
#include "isa/pgclass.h"
#include "isa/x86.h"
#include "monitor/dispatch.h"
#include "core/engine.h"
#include "core/exit.h"
#include "monitor/trace.h"
#include "core/vm.h"

/* A hidden fault that repeats this often without progress is a bug. */
#define MAX_REPEATED_FILLS 8

/* What the dispatcher did with one exit: for --trace and --stats. */
struct action {
	char reason[24];        /* "#GP(0)", "#PF(0x5)", "syscall" ... */
	const char *group;      /* the reason without details: "#GP" */
	const struct insn *insn;  /* the decoded instruction, if any */
	const struct pg_entry *pg;
	char what[96];          /* "emulated", "shadow filled" ... */
};

/* Deliver the exception an engine reported straight into the guest. */
static void reflect(struct vm *vm, const struct vm_exit *x, struct action *a)
{
	if (x->exc.has_error)
		vcpu_raise_error(&vm->vcpu, x->exc.vector, x->exc.error);
	else
		vcpu_raise(&vm->vcpu, x->exc.vector);
	snprintf(a->what, sizeof(a->what), "reflected to the guest");
}

/*
 * A #GP at ring 3: the guest kernel executed a privileged instruction (or a
 * sensitive one under --isa=strict), or a genuine #GP of its own.  Decode
 * the instruction to tell which.
 */
/* Run the interpreter routine; an instruction it completes has retired. */
static void emulate(struct vm *vm, interp_fn *fn, const struct insn *in,
		    struct action *a)
{
	fn(vm, in);
	if (vm->vcpu.exception.pending) {
		snprintf(a->what, sizeof(a->what), "emulated: raised %s",
			 trace_vector_name(vm->vcpu.exception.vector));
		return;
	}
	vm->vcpu.instructions++;
	snprintf(a->what, sizeof(a->what), "emulated");
}

/*T:310 A #GP at ring 3 does not say *which* instruction faulted: the
 * monitor must decode it, just as a real trap-and-emulate monitor must.
 * isa_decode() fetches the bytes through the guest's page tables and hands
 * them to Capstone; pg_classify() names its Popek-Goldberg class; the
 * interpreter routine does what the instruction would have done at ring 0.
 */
static void dispatch_gp(struct vm *vm, const struct vm_exit *x,
			struct insn *in, struct action *a)
{
	switch (isa_decode(vm, x->rip, in)) {
	case DECODE_FAULT: /* the code page went away: #PF raised */
		snprintf(a->what, sizeof(a->what), "#PF fetching the insn");
		return;
	case DECODE_INVALID:
		reflect(vm, x, a);
		return;
	case DECODE_OK:
		break;
	}
	a->insn = in;
	a->pg = pg_classify(in);
	interp_fn *fn = interp_lookup(in);
	if (!fn) {
		reflect(vm, x, a);
		return;
	}
	emulate(vm, fn, in, a);
}

/* A #PF against the shadow: fill it (hidden) or reflect it (true). */
static void dispatch_pf(struct vm *vm, const struct vm_exit *x,
			struct action *a)
{
	/* The last fill: the same fault again, with not one instruction
	 * retired in between, means the fill did not take. */
	static uint64_t last_rip, last_addr, last_retired;
	static unsigned repeats;

	switch (shadowpt_fault(vm, x->exc.address, x->exc.error)) {
	case SHADOW_FILLED:
		repeats = (x->rip == last_rip && x->exc.address == last_addr &&
			   vm->vcpu.instructions == last_retired) ?
			  repeats + 1 : 0;
		last_rip = x->rip;
		last_addr = x->exc.address;
		last_retired = vm->vcpu.instructions;
		if (repeats > MAX_REPEATED_FILLS) {
			fprintf(stderr, "dispatch_pf: shadow fill of %#" PRIx64
				" did not take\n", x->exc.address);
			abort();
		}
		snprintf(a->what, sizeof(a->what), "hidden: shadow filled "
			 "for %#" PRIx64, x->exc.address);
		break;
	case SHADOW_GUEST_FAULT:
		snprintf(a->what, sizeof(a->what), "true: #PF(%#x) reflected, "
			 "cr2=%#" PRIx64, vm->vcpu.exception.error,
			 vm->vcpu.cr2);
		break;
	case SHADOW_BAD_PHYS:
		vm_kill(vm, VM_EXIT_TRIPLE_FAULT, "guest maps linear %#" PRIx64
			" to memory outside its %" PRIu64 " MiB of RAM "
			"(rip %#" PRIx64 ")", x->exc.address,
			vm->mem.size >> 20, x->rip);
		snprintf(a->what, sizeof(a->what), "guest killed");
		break;
	}
	snprintf(a->reason, sizeof(a->reason), "#PF(%#x)", x->exc.error);
}

/* An exception from the engine: #GP and #PF need the monitor. */
static void dispatch_exception(struct vm *vm, const struct vm_exit *x,
			       struct insn *in, struct action *a)
{
	const char *name = trace_vector_name(x->exc.vector);

	a->group = name;
	if (x->exc.has_error)
		snprintf(a->reason, sizeof(a->reason), "%s(%#x)", name,
			 x->exc.error);
	else
		snprintf(a->reason, sizeof(a->reason), "%s", name);
	switch (x->exc.vector) {
	case T_GP:
		dispatch_gp(vm, x, in, a);
		break;
	case T_PF:
		dispatch_pf(vm, x, a);
		break;
	default:
		reflect(vm, x, a);
		break;
	}
}

/* The guest executed syscall: emulate it through its LSTAR. */
static void dispatch_syscall(struct vm *vm, const struct vm_exit *x,
			     struct insn *in, struct action *a)
{
	snprintf(a->reason, sizeof(a->reason), "syscall");
	if (isa_decode(vm, x->rip, in) != DECODE_OK) {
		snprintf(a->what, sizeof(a->what), "#PF fetching the insn");
		return;
	}
	a->insn = in;
	a->pg = pg_classify(in);
	interp_fn *fn = interp_lookup(in);
	if (!fn) {
		vcpu_raise(&vm->vcpu, T_UD);
		snprintf(a->what, sizeof(a->what), "no routine: #UD");
		return;
	}
	emulate(vm, fn, in, a);
}

/* Port I/O decoded by the hardware (kvm): straight to the devices.  An
 * in's value goes back in x->io.data, for the engine to complete it. */
static void dispatch_io(struct vm *vm, struct vm_exit *x, struct action *a)
{
	uint32_t data = x->io.data;

	devices_io(vm, x->io.port, x->io.size, x->io.in, &data);
	if (x->io.in)
		x->io.data = data;
	snprintf(a->reason, sizeof(a->reason), "io");
	snprintf(a->what, sizeof(a->what), "%s port %#x", x->io.in ? "in" :
		 "out", x->io.port);
}

/* Instructions between two looks at the host clock (no --icount). */
#define HOST_POLL_INSNS 100000

/*T:620 Interrupts.  Devices raise lines on the PIC; the PIC presents the
 * most urgent request; the vCPU takes it only when its *virtual* IF is set
 * and no interrupt shadow (the one instruction after sti) is in force.
 * The guest's code runs with the real IF always on, so it is the monitor,
 * between two runs of the engine, that decides when the guest is
 * interrupted, and interp_deliver_interrupt() that enters the guest's IDT.
 */
static void inject_interrupt(struct vm *vm)
{
	struct vcpu *v = &vm->vcpu;

	devices_update(vm);
	if (vm->stopped || v->exception.pending)
		return;
	if (!(v->rflags & FL_IF) || v->interrupt_shadow)
		return;
	if (!i8259_pending(&vm->dev.pic))
		return;
	uint8_t vector = i8259_acknowledge(&vm->dev.pic);
	interp_deliver_interrupt(vm, vector);
	vm->stats.injected++;
	if (vm->opt.trace)
		fprintf(stderr, "[intr] cpl%u rip=%#010" PRIx64 "  vector "
			"%#x delivered through the guest's IDT\n", v->cpl,
			v->rip, vector);
}

/*
 * sti (when IF was clear) blocks interrupts until the end of the next
 * instruction, so that "sti; hlt" cannot lose a wake-up.  The shadow ends
 * once one more instruction has retired, by the engine or by emulation.
 */
static void track_shadow(struct vm *vm, bool shadow_before)
{
	struct vcpu *v = &vm->vcpu;

	if (!v->interrupt_shadow)
		return;
	if (!shadow_before)
		vm->shadow_mark = v->instructions;
	else if (v->instructions > vm->shadow_mark)
		v->interrupt_shadow = false;
}

/* Let virtual time pass until t: sleep on the host clock, or under
 * --icount count the instructions a busy CPU would have run meanwhile. */
static void sleep_until(struct vm *vm, uint64_t t)
{
	uint64_t now = devices_now(vm);

	if (t <= now)
		return;
	if (vm->opt.icount_ns) {
		vm->icount_bias += (t - now + vm->opt.icount_ns - 1) /
				   vm->opt.icount_ns;
		return;
	}
	struct timespec ts = { (time_t)((t - now) / 1000000000ULL),
			       (long)((t - now) % 1000000000ULL) };
	nanosleep(&ts, NULL); /* Ctrl-C cuts it short: fine */
}

/*
 * hlt: the vCPU sleeps until an interrupt.  The host core sleeps too, until
 * the next device event; a guest that halts with nothing able to wake it
 * would sleep forever, so it is stopped with a reason instead.
 */
static void wait_while_halted(struct vm *vm)
{
	struct vcpu *v = &vm->vcpu;

	while (v->halted && !vm->stopped) {
		uint64_t t = devices_next_event(vm);

		if (vm->kick == VM_KICK_STOP) {
			vm_kill(vm, VM_EXIT_INTERRUPTED, "interrupted while "
				"halted at rip %#" PRIx64, v->rip);
		} else if (!(v->rflags & FL_IF) || t == UINT64_MAX) {
			vm_kill(vm, VM_EXIT_TRIPLE_FAULT, "guest halted at rip "
				"%#" PRIx64 " with %s: nothing can ever wake it",
				v->rip, (v->rflags & FL_IF) ?
				"no unmasked interrupt source" :
				"interrupts disabled");
		} else {
			sleep_until(vm, t);
			inject_interrupt(vm);
		}
	}
}

/* When must the engine come back next, counted in guest instructions? */
static void set_deadline(struct vm *vm)
{
	struct vcpu *v = &vm->vcpu;
	uint64_t t = devices_next_event(vm);

	if (v->interrupt_shadow)
		vm->insn_deadline = v->instructions + 1;
	else if (t == UINT64_MAX)
		vm->insn_deadline = UINT64_MAX;
	else if (!vm->opt.icount_ns)
		vm->insn_deadline = v->instructions + HOST_POLL_INSNS;
	else
		vm->insn_deadline = (t + vm->opt.icount_ns - 1) /
				    vm->opt.icount_ns - vm->icount_bias;
}

/*T:300 The dispatcher, Popek and Goldberg's second module.  An exit is an
 * exception the guest's code raised at ring 3 (mostly #GP from a
 * privileged instruction, and #PF from the shadow page tables), a syscall,
 * or an event the hardware already decoded (kvm).  Each goes to exactly
 * one handler; whatever exception the handler raised for the guest is then
 * delivered through the guest's own IDT, and the dispatcher looks for an
 * interrupt to inject before the guest runs again.
 */
void dispatch(struct vm *vm, struct vm_exit *x)
{
	uint64_t t0 = stats_now_ns();
	struct insn in;
	struct action a = { .what = "" };
	bool shadow_before = vm->vcpu.interrupt_shadow;

	switch (x->reason) {
	case EXIT_EXCEPTION:
		dispatch_exception(vm, x, &in, &a);
		break;
	case EXIT_SYSCALL:
		dispatch_syscall(vm, x, &in, &a);
		break;
	case EXIT_IO:
		dispatch_io(vm, x, &a);
		break;
	case EXIT_HLT:
		vm->vcpu.halted = true;
		snprintf(a.reason, sizeof(a.reason), "hlt");
		break;
	case EXIT_SHUTDOWN:
		vm_kill(vm, VM_EXIT_TRIPLE_FAULT, "triple fault (shutdown) at "
			"rip %#" PRIx64, x->rip);
		snprintf(a.reason, sizeof(a.reason), "shutdown");
		break;
	case EXIT_INTERRUPT:
		if (vm->kick == VM_KICK_STOP)
			vm_kill(vm, VM_EXIT_INTERRUPTED, "interrupted at rip %#"
				PRIx64, vm->vcpu.rip);
		snprintf(a.what, sizeof(a.what), vm->kick ? "kicked" :
			 "the monitor's deadline: a timer event or the end "
			 "of an interrupt shadow");
		vm->kick = 0;
		snprintf(a.reason, sizeof(a.reason), "interrupt");
		break;
	case EXIT_INTERNAL:
	case EXIT_NONE:
	case EXIT_NREASONS:
		vm_kill(vm, VM_EXIT_TRIPLE_FAULT, "%s engine failed: %s",
			vm->engine->name, x->reason == EXIT_INTERNAL ?
			x->why : "unknown exit");
		snprintf(a.reason, sizeof(a.reason), "internal");
		break;
	}
	if (vm->vcpu.exception.pending && !vm->stopped)
		interp_deliver(vm);
	track_shadow(vm, shadow_before);
	inject_interrupt(vm);
	wait_while_halted(vm);
	set_deadline(vm);

	uint64_t ns = stats_now_ns() - t0;
	stats_add_reason(&vm->stats, a.group ? a.group : a.reason, ns);
	if (a.insn)
		stats_add_insn(&vm->stats, a.pg && a.pg->cls != PG_INNOCUOUS ?
			       a.pg->name : a.insn->mnemonic, ns);
	if (vm->opt.trace)
		trace_exit(vm, x->rip, a.reason, a.insn, a.pg, a.what);
}

/*T:230 The heart of every monitor is this loop: run the guest until it traps,
 * interpret the trap, resume.  The engine decides *how* guest code runs
 * (stop 100); dispatch() decides what each trap means (stop 300).  The
 * loop ends only when something sets vm->stopped: the guest's own exit
 * through port 0xf4, or vm_kill() (stop 240).
 */
int vm_run(struct vm *vm)
{
	struct vm_exit x;

	vm->stats.start_ns = stats_now_ns();
	while (!vm->stopped) {
		vm->engine->run(vm, &x);
		dispatch(vm, &x);
	}
	vm->stats.end_ns = stats_now_ns();
	return vm->exit_status;
}
