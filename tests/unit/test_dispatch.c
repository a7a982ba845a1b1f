/*
 * tests/unit/test_dispatch.c - the dispatcher keeps its state per VM.
 *
 * fuzz_monitor found that dispatch_pf kept its "the same fill again, with
 * no instruction retired" watch in function statics: every VM in a
 * process shares them, so the ninth fresh VM whose first fault was the
 * same as the others' was taken for a fill that did not take, and the
 * monitor aborted.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "isa/decode.h"
#include "isa/x86.h"
#include "monitor/boot.h"
#include "monitor/dispatch.h"
#include "core/engine.h"
#include "core/exit.h"
#include "monitor/loader.h"
#include "core/vm.h"
#include "devices/devices.h"
#include "monitor/machine.h"
#include "monitor/run.h"
#include "monitor/stats.h"
#include "shadowpt/shadowpt.h"
#include "shadowpt/walk.h"

#define VMS 12 /* more than the dispatcher's limit of repeated fills */

/* Boot a fresh VM at an empty page, take its first exit (the #PF of the
 * first fetch, always the same), dispatch it; then destroy the VM. */
static void first_fill_in_a_fresh_vm(void)
{
	static struct vm vm;
	struct vm_options opt = { .mem_mib = 2, .engine = "softcpu" };
	struct vm_exit x;
	char why[200];

	assert_int_equal(vm_create(&vm, &opt, -1, why, sizeof(why)), 0);
	boot_setup(&vm, BOOT_IMAGE_BASE, "");
	assert_int_equal(engine_softcpu.init(&vm, why, sizeof(why)), 0);
	vm.engine = &engine_softcpu;
	memset(&x, 0, sizeof(x));
	vm.engine->run(&vm, &x);
	assert_int_equal(x.reason, EXIT_EXCEPTION);
	assert_int_equal(x.exc.vector, T_PF);
	dispatch(&vm, &x); /* a hidden fill: aborted here before the fix */
	assert_false(vm.stopped);
	vm_destroy(&vm);
}

static void test_fill_watch_is_per_vm(void **state)
{
	(void)state;
	for (int i = 0; i < VMS; i++)
		first_fill_in_a_fresh_vm();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fill_watch_is_per_vm),
	};
	assert_int_equal(isa_init(), 0);
	return cmocka_run_group_tests_name("dispatch", tests, NULL, NULL);
}
