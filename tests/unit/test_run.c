/*
 * tests/unit/test_run.c - the run loop's interrupt shadow.
 *
 * The instruction after sti (or after a mov to SS) cannot be interrupted.
 * On kvm the CPU itself runs sti and reports the shadow at the exit; under
 * softcpu a mov to SS that ends a run leaves its shadow to the monitor.
 * Either way the shadow began inside the engine, and the loop must keep it
 * until one more instruction has retired.  The loop used to take such a
 * shadow for one begun long ago (its mark was stale), end it at once and
 * deliver the interrupt before the instruction in the shadow: the nested
 * machine's kvm/timer failed "sti holds interrupts off for one
 * instruction" about one run in twenty, whenever a signal happened to
 * stop KVM_RUN right after the sti.
 *
 * A scripted engine replays that: the "CPU" sets IF and the shadow and
 * stops, as KVM_RUN does after a signal; the keyboard's IRQ 1 is waiting in
 * the PIC all along.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "core/engine.h"
#include "core/exit.h"
#include "core/vm.h"
#include "devices/devices.h"
#include "devices/i8259.h"
#include "isa/x86.h"
#include "monitor/run.h"
#include "support/devvm.h"

#define VEC_MASTER 0x20
#define VEC_SLAVE 0x28

static unsigned runs;     /* engine runs so far */
static int injected_at;   /* the run before which the vector came, or -1 */
static uint8_t injected_vector;

static void scripted_inject(struct vm *vm, uint8_t vector)
{
	(void)vm;
	if (injected_at < 0) {
		injected_at = (int)runs;
		injected_vector = vector;
	}
}

/*
 * Run 1: sti retires in the CPU, the exit comes in its shadow (a signal).
 * Run 2: the instruction in the shadow retires, the CPU says the shadow is
 *        over; the exit is another signal.
 * Run 3: the interrupt must have come by now; stop.
 */
static void scripted_run(struct vm *vm, struct vm_exit *x)
{
	struct vcpu *v = &vm->vcpu;

	runs++;
	memset(x, 0, sizeof(*x));
	x->reason = EXIT_INTERRUPT;
	x->rip = v->rip;
	switch (runs) {
	case 1:
		v->rflags |= FL_IF;
		v->interrupt_shadow = true;
		v->rip += 1; /* sti */
		break;
	case 2:
		v->interrupt_shadow = false;
		v->rip += 3; /* the mov in its shadow */
		break;
	default:
		vm->stopped = true;
		break;
	}
	x->rip = v->rip;
}

static const struct engine scripted_engine = {
	.name = "scripted",
	.run = scripted_run,
	.inject_interrupt = scripted_inject,
};

/* The PIC as every PC kernel sets it up, IRQ 1 unmasked and raised. */
static void keyboard_irq_waiting(struct vm *vm)
{
	struct i8259_pair *p = &vm->dev->pic;

	i8259_write(p, 0x20, 0x11); /* ICW1: edge, cascade, ICW4 */
	i8259_write(p, 0xa0, 0x11);
	i8259_write(p, 0x21, VEC_MASTER);
	i8259_write(p, 0xa1, VEC_SLAVE);
	i8259_write(p, 0x21, 0x04); /* the slave on IRQ 2 */
	i8259_write(p, 0xa1, 0x02);
	i8259_write(p, 0x21, 0x01); /* 8086 mode */
	i8259_write(p, 0xa1, 0x01);
	i8259_write(p, 0x21, 0xfd); /* only IRQ 1 */
	i8259_write(p, 0xa1, 0xff);
	i8259_set_irq(p, 1, true);
	assert_true(devices_intr_pending(vm));
}

static void run_script(uint64_t instructions_before)
{
	struct vm *vm = &dev_vm;

	vm->engine = &scripted_engine;
	vm->vcpu.rflags &= ~(uint64_t)FL_IF;
	vm->vcpu.interrupt_shadow = false;
	vm->vcpu.instructions = instructions_before;
	runs = 0;
	injected_at = -1;
	keyboard_irq_waiting(vm);
	vm_run(vm);
	assert_int_equal(runs, 3);
	assert_int_equal(injected_at, 2); /* after the shadow, not inside it */
	assert_int_equal(injected_vector, VEC_MASTER + 1);
}

/* kvm: the monitor has emulated many instructions (port I/O) before. */
static void test_engine_shadow_after_emulated_work(void **state)
{
	(void)state;
	run_script(500);
}

/* The first instructions of a guest: no count at all yet. */
static void test_engine_shadow_at_start(void **state)
{
	(void)state;
	run_script(0);
}

/*
 * kvm: the monitor handed the CPU a vector (KVM_INTERRUPT waits for the
 * next entry, and the vCPU shows an event in progress), and before the
 * CPU could take it the guest ran "cli; ...; sti; hlt" again.  The halt
 * must not be taken for one nothing can end (the nested machine's
 * kvm/mb32-bare-5g was stopped so): the queued vector ends it.
 */
static unsigned halt_runs;

static void queued_run(struct vm *vm, struct vm_exit *x)
{
	memset(x, 0, sizeof(*x));
	x->rip = vm->vcpu.rip;
	if (++halt_runs == 1) {
		vm->vcpu.rflags |= FL_IF;
		vm->vcpu.insn_in_progress = true; /* the vector, queued */
		x->reason = EXIT_HLT;
	} else {
		vm->vcpu.insn_in_progress = false; /* the CPU took it */
		vm->stopped = true;
		x->reason = EXIT_INTERRUPT;
	}
}

static const struct engine queued_engine = {
	.name = "queued",
	.run = queued_run,
	.inject_interrupt = scripted_inject,
};

static void test_halt_with_a_queued_interrupt(void **state)
{
	struct vm *vm = &dev_vm;

	(void)state;
	vm->engine = &queued_engine;
	halt_runs = 0;
	vm_run(vm);
	assert_int_equal(halt_runs, 2);
	assert_int_equal(vm->exit_status, 0); /* not killed */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			test_engine_shadow_after_emulated_work,
			dev_vm_setup, dev_vm_teardown),
		cmocka_unit_test_setup_teardown(test_engine_shadow_at_start,
						dev_vm_setup, dev_vm_teardown),
		cmocka_unit_test_setup_teardown(
			test_halt_with_a_queued_interrupt,
			dev_vm_setup, dev_vm_teardown),
	};
	return cmocka_run_group_tests_name("run", tests, NULL, NULL);
}
