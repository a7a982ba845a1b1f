/*
 * monitor/run.c - the machine's loop: everything between two exits.
 *
 * The dispatcher (monitor/dispatch.c) interprets one exit; this loop is
 * the machine around it.  It owns what happens *between* exits: an
 * exception an interpreter routine raised is delivered through the
 * guest's IDT, device interrupts are injected when the virtual IF allows,
 * a halted vCPU waits for the next timer event, and the engine is told
 * when it must come back (a timer deadline, the end of sti's shadow).
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>

#include "core/clock.h"
#include "core/engine.h"
#include "core/exit.h"
#include "core/vm.h"
#include "devices/devices.h"
#include "interp/interp.h"
#include "isa/x86.h"
#include "monitor/console.h"
#include "monitor/dispatch.h"
#include "monitor/gdbstub.h"
#include "monitor/run.h"
#include "monitor/stats.h"
#include "monitor/trace.h"
#include "monitor/tracejson.h"

/* Instructions between two looks at the host clock (no --icount). */
#define HOST_POLL_INSNS 100000

/*
 * sti (when IF was clear) blocks interrupts until the end of the next
 * instruction, so that "sti; hlt" cannot lose a wake-up.  The shadow ends
 * once one more instruction has retired, by the engine or by emulation;
 * shadow_before says whether it was already in force when the exit came.
 * One begun by emulation (an sti the dispatcher ran) is marked here; one
 * begun inside the engine is marked as the engine returns (mark_shadow).
 */
static void track_shadow(struct vcpu *v, bool shadow_before)
{
	if (!v->interrupt_shadow)
		return;
	if (!shadow_before)
		v->shadow_mark = v->instructions;
	else if (v->instructions > v->shadow_mark)
		v->interrupt_shadow = false;
}

/*
 * A shadow that began inside the engine's run (an sti the CPU ran under
 * kvm, which reports the shadow at the exit; a mov to SS that ended a
 * softcpu run) began at the count of the exit: the instruction in it has
 * not retired yet.  Without this mark the one left from an earlier shadow
 * would end it at once, and an interrupt would land inside it.
 */
static void mark_shadow(struct vcpu *v, bool shadow_at_entry)
{
	if (v->interrupt_shadow && !shadow_at_entry)
		v->shadow_mark = v->instructions;
}

/*
 * A triple fault or a kill to note (monitor/trace.c).  Looked at here,
 * twice an exit, and the note made only when there is one: the look is
 * two loads, where the two calls were about 30 host instructions.
 */
static void note_kill(struct vm *vm)
{
	if (vm->vcpu.shutdown.pending || vm->kill.pending)
		trace_kill_pending(vm);
}

/* Events the last exit left: an exception for the guest's IDT (whose
 * delivery may shut the vCPU down: a triple fault ends the guest), and
 * the end of an interrupt shadow. */
static void deliver_pending(struct vm *vm, bool shadow_before)
{
	if (vm->vcpu.exception.pending && !vm->stopped)
		interp_deliver(vm);
	note_kill(vm);
	track_shadow(&vm->vcpu, shadow_before);
}

/*T:620 Interrupts.  Devices raise lines on the PIC; the PIC presents the
 * most urgent request; the vCPU takes it only when its *virtual* IF is set
 * and no interrupt shadow (the one instruction after sti) is in force.
 * The guest's code runs with the real IF always on, so it is the monitor,
 * between two runs of the engine, that decides when the guest is
 * interrupted, and interp_deliver_interrupt() that enters the guest's IDT
 * (on kvm, the CPU in guest mode enters it: engine->inject_interrupt).
 */
static void inject_interrupt(struct vm *vm)
{
	struct vcpu *v = &vm->vcpu;

	devices_update(vm);
	if (vm->stopped || v->exception.pending)
		return;
	if (!(v->rflags & FL_IF) || v->interrupt_shadow || v->insn_in_progress)
		return;
	if (!devices_intr_pending(vm))
		return;
	uint8_t vector = devices_intr_ack(vm);
	uint64_t rip = v->rip;
	unsigned cpl = v->cpl;
	if (vm->engine->inject_interrupt)
		vm->engine->inject_interrupt(vm, vector);
	else
		interp_deliver_interrupt(vm, vector);
	vm->stats->injected++;
	tracejson_interrupt(vm, vector);
	if (vm->opt.trace && !v->shutdown.pending && !vm->stopped)
		trace_interrupt(vm, rip, cpl, vector,
				!vm->engine->inject_interrupt);
	note_kill(vm);
}

/*
 * With a gdb stub the halted wait is cut into 10 ms pieces (host clock
 * only: under --icount the wait is no wait), each ending with a look at
 * gdb: its Ctrl-C, or a new gdb, stops a sleeping guest too.
 */
static uint64_t gdb_wake(struct vm *vm, uint64_t t)
{
	uint64_t cap;

	if (!vm->gdb || vm->clock.icount_ns)
		return t;
	gdbstub_check(vm);
	cap = clock_now(vm) + GDBSTUB_POLL_NS;
	return t < cap ? t : cap;
}

/*T:640 hlt, and why a guest cannot hang the monitor.  A halted vCPU sleeps
 * until the clock's next deadline (really, or under --icount by counting
 * the instructions it would have run) or until console input comes
 * (monitor/console.c), or, with a virtio back end in a thread or process,
 * until its answer to the work in flight (devices_drain), then the loop
 * injects the interrupt that woke it.
 * A halt that nothing can end - interrupts disabled, or no timer armed
 * and no input to come - would be a hang on real hardware; here it is a
 * misbehaving guest, stopped with a reason (stop 240).
 */
/*
 * hlt: the vCPU sleeps until an interrupt.  The host core sleeps too, until
 * the next timer event or standard input; a guest that halts with nothing
 * able to wake it would sleep forever, so it is stopped with a reason.
 */
static void wait_while_halted(struct vm *vm)
{
	struct vcpu *v = &vm->vcpu;
	char where[TRACE_WHERE_LEN];

	/* An interrupt already handed to the engine (kvm: queued for the
	 * CPU's next entry, which the vCPU shows as an event in progress)
	 * wakes the vCPU as soon as the engine runs: nothing to wait for. */
	if (v->halted && v->insn_in_progress) {
		v->halted = false;
		return;
	}
	while (v->halted && !vm->stopped) {
		uint64_t t;

		/* A virtio back end elsewhere (--backend=thread|process)
		 * still at work: its answer, and interrupt, come first. */
		if (devices_drain(vm)) {
			inject_interrupt(vm);
			continue;
		}
		t = clock_next_deadline(vm);
		if (vm->kick == VM_KICK_STOP) {
			vm_kill(vm, VM_EXIT_INTERRUPTED, "interrupted while "
				"halted at rip %s", trace_where(vm, v->rip,
				where, sizeof(where)));
		} else if (!(v->rflags & FL_IF) ||
			   (t == CLOCK_NEVER && !console_can_wake(vm))) {
			vm_kill(vm, VM_EXIT_TRIPLE_FAULT, "guest halted at rip "
				"%s with %s: nothing can ever wake it",
				trace_where(vm, v->rip, where, sizeof(where)),
				(v->rflags & FL_IF) ?
				"no timer armed and no console input to "
				"come" :
				"interrupts disabled");
		} else {
			devices_idle(vm); /* the guest's output, before it sleeps */
			console_wait(vm, gdb_wake(vm, t));
			inject_interrupt(vm);
		}
	}
}

/*
 * A watchpoint hit by a data access the monitor made for the guest (the
 * store of an emulated sgdt, the push of an exception frame: shadowpt's
 * gva_* note it in vm->debug as an engine notes its own) stops the guest
 * for the debugger now that the instruction, or the delivery, is
 * complete.
 */
static void monitor_watch_stop(struct vm *vm)
{
	if (vm->debug.stop != DEBUG_STOP_NONE && !vm->stopped)
		gdbstub_engine_stop(vm);
}

/* When must the engine come back next, counted in guest instructions? */
static void set_deadline(struct vm *vm)
{
	struct vcpu *v = &vm->vcpu;
	uint64_t t = clock_next_deadline(vm);
	uint64_t ns = vm->clock.icount_ns;

	/* The end of an interrupt shadow matters only to an interrupt
	 * already waiting: none can come up before the next exit (the
	 * devices change at exits, and the clock's deadline below ends the
	 * run), and that exit ends the shadow if its instruction retired. */
	if (v->interrupt_shadow && devices_intr_pending(vm))
		vm->insn_deadline = v->instructions + 1;
	else if (t == CLOCK_NEVER && !console_live())
		vm->insn_deadline = UINT64_MAX;
	else if (!ns || t == CLOCK_NEVER) /* the host clock, or the console */
		vm->insn_deadline = v->instructions + HOST_POLL_INSNS;
	else
		vm->insn_deadline = (t + ns - 1) / ns - vm->clock.icount_bias;
	/* A gdb may send Ctrl-C, or connect: the stub looks now and then. */
	if (vm->gdb && vm->insn_deadline > v->instructions + HOST_POLL_INSNS)
		vm->insn_deadline = v->instructions + HOST_POLL_INSNS;
}

/*
 * One run of the engine, with what goes around it only when it is there:
 * the paravirtual page (core/hypercall.h) when the guest registered one,
 * --trace-json's slice when a trace is open (json).  Each look is a load,
 * where the four calls that looked for themselves were about 35 host
 * instructions an exit (monitor/README.md, "What every exit costs the
 * monitor").
 */
static void run_engine(struct vm *vm, struct vm_exit *x, bool json)
{
	if (vm->vcpu.pv_shared)
		interp_pv_publish(vm); /* IF, a waiting interrupt, the time */
	if (json)
		tracejson_run_begin(vm);
	vm->engine->run(vm, x);
	if (json)
		tracejson_run_end(vm);
	if (vm->vcpu.pv_shared)
		interp_pv_fold(vm); /* a cli or sti the guest wrote there */
}

/*T:230 The heart of every monitor is this loop: run the guest until it traps,
 * interpret the trap, resume.  The engine decides *how* guest code runs
 * (stop 100); dispatch() decides what each trap means (stop 300).  The
 * loop owns the machine around them, in lguest's order: deliver the
 * exception the last trap raised through the guest's IDT, move the
 * console's input into the UART, inject an interrupt if the virtual IF
 * allows (stop 620), sleep while the vCPU is halted, tell the engine
 * when it must come back, run it.  It ends only
 * when something sets vm->stopped: the guest's own exit through port 0xf4,
 * or vm_kill() (stop 240).
 */
int vm_run(struct vm *vm)
{
	struct vm_exit x;
	bool shadow_before = false;
	const bool json = tracejson_on(); /* opened before, closed after */

	vm->stats->start_ns = clock_host_ns();
	vm->stats->start_ticks = clock_host_ticks();
	while (!vm->stopped) {
		deliver_pending(vm, shadow_before);
		monitor_watch_stop(vm); /* emulated, or the frame pushed */
		if (vm->gdb)
			gdbstub_check(vm); /* gdb's stops: monitor/gdbstub.c */
		if (vm->stopped)
			break;
		console_poll(vm);
		/* a debugger's single step takes no interrupt, as QEMU's */
		if (vm->single_step)
			devices_update(vm);
		else
			inject_interrupt(vm);
		wait_while_halted(vm);
		monitor_watch_stop(vm); /* an interrupt's frame pushed */
		if (vm->stopped)
			break;
		set_deadline(vm);
		shadow_before = vm->vcpu.interrupt_shadow;
		run_engine(vm, &x, json);
		mark_shadow(&vm->vcpu, shadow_before);
		shadow_before = vm->vcpu.interrupt_shadow;
		if (vm->debug.stop != DEBUG_STOP_NONE) {
			gdbstub_engine_stop(vm); /* a breakpoint, a watch */
		} else {
			dispatch(vm, &x);
			if (json)
				tracejson_exit(vm, &x);
		}
		note_kill(vm); /* a triple fault, an interp/ or engine kill */
	}
	trace_kill_pending(vm); /* a kill on the way out of the loop */
	gdbstub_guest_exit(vm);
	vm->stats->end_ns = clock_host_ns();
	vm->stats->end_ticks = clock_host_ticks();
	return vm->exit_status;
}
