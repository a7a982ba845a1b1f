/*
 * tests/unit/test_kvm.c - the kvm engine's answers that need no /dev/kvm:
 * it is registered, and what hardware assist cannot offer (--isa=strict,
 * --icount) or a host that cannot run it is refused with one line.  What
 * it does with a guest is tested for real in tests/kvm/ (a nested machine).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "core/engine.h"
#include "core/vm.h"
#include "monitor/machine.h"

#if defined(__x86_64__) && __has_include(<linux/kvm.h>)
static struct vm vm;

static int setup(void **state)
{
	struct vm_options opt = { .mem_mib = 4, .engine = "kvm" };
	char why[200];

	(void)state;
	return vm_create(&vm, &opt, -1, why, sizeof(why));
}

static int teardown(void **state)
{
	(void)state;
	vm_destroy(&vm);
	return 0;
}

static void test_registered(void **state)
{
	(void)state;
	assert_ptr_equal(engine_find("kvm"), &engine_kvm);
	assert_null(engine_kvm.flush); /* nested paging: nothing to flush */
}

/* init refuses before it opens anything; why is one line naming the
 * option. */
static void expect_refused(const char *option)
{
	char why[200] = "";

	assert_int_equal(engine_kvm.init(&vm, why, sizeof(why)), -1);
	assert_non_null(strstr(why, option));
	assert_null(strchr(why, '\n'));
	assert_null(vm.engine_data);
}

static void test_refuses_strict(void **state)
{
	(void)state;
	vm.opt.isa = ISA_STRICT;
	expect_refused("--isa=strict");
	vm.opt.isa = ISA_X86;
}

static void test_refuses_icount(void **state)
{
	(void)state;
	vm.opt.icount_ns = 10;
	expect_refused("--icount");
	vm.opt.icount_ns = 0;
}

/* Whatever this host has, probe answers 0 or -1 with a one-line reason. */
static void test_probe_one_line(void **state)
{
	char why[200] = "";

	(void)state;
	if (engine_kvm.probe(why, sizeof(why)) == 0)
		return;
	assert_true(strlen(why) > 0);
	assert_null(strchr(why, '\n'));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_registered),
		cmocka_unit_test(test_refuses_strict),
		cmocka_unit_test(test_refuses_icount),
		cmocka_unit_test(test_probe_one_line),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
#else
/* No kvm engine on this host: it must not be registered either. */
static void test_not_registered(void **state)
{
	(void)state;
	assert_null(engine_find("kvm"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_not_registered),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
#endif
