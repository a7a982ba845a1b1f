/*
 * tests/unit/test_hypercall.c - the paravirtual interface (core/hypercall.h,
 * interp/hypercall.c): each hypercall against a hand-made vCPU, the #UD
 * from user mode, and the shared page's fold and publish.
 *
 * The hypercall is decoded from its real bytes (outl %eax, $HC_PORT) and
 * run by the routine interp_lookup gives, interp_out, as the dispatcher
 * does on softcpu and native.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/hypercall.h"
#include "core/vm.h"
#include "interp/interp.h"
#include "isa/arch.h"
#include "isa/decode.h"
#include "isa/x86.h"
#include "monitor/loader.h"
#include "monitor/machine.h"
#include "shadowpt/shadowpt.h"

#define CODE 0x100000ULL   /* RIP of the hypercall */
#define SHARED 0x200000ULL /* the shared page */
#define BUF 0x201000ULL    /* where the calls store */
#define UNMAPPED 0x8000000000ULL

static struct vm *vm;
static int uart[2];
static struct insn last;

static int setup(void **state)
{
	struct vm_options opt = { .mem_mib = 16, .engine = "softcpu",
				  .isa = ISA_STRICT };
	char why[128];

	(void)state;
	assert_int_equal(pipe(uart), 0);
	vm = calloc(1, sizeof(*vm));
	assert_non_null(vm);
	assert_int_equal(vm_create(vm, &opt, uart[1], why, sizeof(why)), 0);
	boot_setup(vm, CODE, "");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	vm_destroy(vm);
	free(vm);
	close(uart[0]);
	close(uart[1]);
	return 0;
}

static uint8_t *phys(uint64_t gpa, uint64_t len)
{
	uint8_t *p = gm_ptr(&vm->mem, gpa, len);

	assert_non_null(p);
	return p;
}

/* One hypercall: nr and the arguments in the mode's registers, through
 * the decoded outl %eax, $HC_PORT.  Returns RAX. */
static uint64_t hcall(uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2)
{
	static const uint8_t out[] = { 0xe7, HC_PORT };
	struct vcpu *v = &vm->vcpu;
	bool long_mode = cpu_mode(v) == CPU_LONG;

	v->rip = CODE;
	v->regs[GPR_RAX] = nr;
	v->regs[long_mode ? GPR_RDI : GPR_RBX] = a0;
	v->regs[long_mode ? GPR_RSI : GPR_RCX] = a1;
	v->regs[GPR_RDX] = a2;
	assert_int_equal(isa_decode_bytes_mode(out, sizeof(out), CODE,
					       cpu_code_size(v) * 8, &last),
			 DECODE_OK);
	interp_fn *fn = interp_lookup(&last);
	assert_non_null(fn);
	fn(vm, &last);
	return v->regs[GPR_RAX];
}

static void expect_done(void)
{
	assert_false(vm->vcpu.exception.pending);
	assert_int_equal(vm->vcpu.rip, CODE + 2);
}

static void expect_fault(uint8_t vector)
{
	assert_true(vm->vcpu.exception.pending);
	assert_int_equal(vm->vcpu.exception.vector, vector);
	assert_int_equal(vm->vcpu.rip, CODE);
	vm->vcpu.exception.pending = false;
}

static void test_numbers(void **state)
{
	struct vcpu *v = &vm->vcpu;
	uint32_t want[4], got[4];
	uint64_t t0, t1, base;
	uint16_t limit;

	(void)state;
	assert_int_equal(hcall(0x7fff, 0, 0, 0), (uint64_t)-HC_ENOSYS);
	expect_done();
	assert_int_equal(hcall(HC_READ_SELECTOR, HC_SEL_CS, 0, 0),
			 v->seg[SEG_CS].selector);
	expect_done();
	v->tr.selector = 0x28;
	assert_int_equal(hcall(HC_READ_SELECTOR, HC_SEL_TR, 0, 0), 0x28);
	v->ldtr.selector = 0x38;
	assert_int_equal(hcall(HC_READ_SELECTOR, HC_SEL_LDTR, 0, 0), 0x38);
	assert_int_equal(hcall(HC_READ_SELECTOR, 8, 0, 0),
			 (uint64_t)-HC_EINVAL);
	expect_done();

	v->gdtr = (struct vcpu_dtable){ 0x12345678abcULL, 0x47 };
	assert_int_equal(hcall(HC_READ_DTR, HC_DTR_GDTR, BUF, 0), 0);
	expect_done();
	memcpy(&limit, phys(BUF, 2), 2);
	memcpy(&base, phys(BUF + 2, 8), 8);
	assert_int_equal(limit, 0x47);
	assert_int_equal(base, 0x12345678abcULL);
	assert_int_equal(hcall(HC_READ_DTR, 2, BUF, 0), (uint64_t)-HC_EINVAL);
	/* A pointer the guest's tables do not map: their #PF, RIP stays. */
	hcall(HC_READ_DTR, HC_DTR_IDTR, UNMAPPED, 0);
	expect_fault(T_PF);
	assert_int_equal(v->cr2, UNMAPPED);

	interp_cpuid_values(vm, 1, 0, want);
	assert_int_equal(hcall(HC_CPUID, 1, 0, BUF), 0);
	expect_done();
	memcpy(got, phys(BUF, sizeof(got)), sizeof(got));
	assert_memory_equal(got, want, sizeof(want));

	t0 = hcall(HC_RDTSC, 0, 0, 0);
	t1 = hcall(HC_RDTSC, 0, 0, 0);
	assert_true(t1 > t0);
}

/* In 32-bit protected mode: arguments in EBX, ECX, EDX; the TSC's high
 * half in EDX. */
static void test_protected_mode(void **state)
{
	struct vcpu *v = &vm->vcpu;
	uint64_t lo;

	(void)state;
	v->efer &= ~(uint64_t)(EFER_LMA | EFER_LME);
	v->seg[SEG_CS].attr = (uint16_t)((v->seg[SEG_CS].attr & ~SEG_ATTR_L) |
					 SEG_ATTR_DB);
	v->cr4 &= ~(uint64_t)CR4_PAE;
	v->cr0 &= ~(uint64_t)CR0_PG;
	assert_int_equal(cpu_mode(v), CPU_PROT);
	v->tr.selector = 0x28;
	v->regs[GPR_RDI] = HC_SEL_CS; /* not an argument register here */
	assert_int_equal(hcall(HC_READ_SELECTOR, HC_SEL_TR, 0, 0), 0x28);
	expect_done();
	v->tsc_offset = 0x500000000ULL; /* a TSC with bits above 31 */
	lo = hcall(HC_RDTSC, 0, 0, 0);
	assert_true(lo <= UINT32_MAX);
	assert_true(v->regs[GPR_RDX] >= 5);
}

/* Guest user mode: the CPU's I/O check first (#GP(0) at IOPL 0 without
 * the port in the TSS's map), then the monitor's refusal (#UD). */
static void test_user_mode(void **state)
{
	struct vcpu *v = &vm->vcpu;

	(void)state;
	v->cpl = 3;
	v->seg[SEG_CS].selector = 0x20 | 3;
	v->seg[SEG_SS].selector = 0x18 | 3;
	shadowpt_switch_view(vm);
	v->tr.limit = TSS_IOMAP_BASE; /* too short for the map's offset */
	v->rflags &= ~(uint64_t)FL_IOPL_MASK;
	hcall(HC_RDTSC, 0, 0, 0);
	assert_true(vm->vcpu.exception.has_error);
	assert_int_equal(vm->vcpu.exception.error, 0);
	expect_fault(T_GP);
	v->rflags |= FL_IOPL_MASK;
	v->regs[GPR_RDX] = 0x1234;
	hcall(HC_RDTSC, 0, 0, 0);
	expect_fault(T_UD);
	assert_int_equal(v->regs[GPR_RAX], HC_RDTSC); /* nothing done */
}

static volatile struct hc_shared *page(void)
{
	return (volatile struct hc_shared *)phys(SHARED, sizeof(struct hc_shared));
}

static void test_shared_page(void **state)
{
	struct vcpu *v = &vm->vcpu;

	(void)state;
	assert_int_equal(hcall(HC_SHARED_PAGE, 0xf0000, 0, 0),
			 (uint64_t)-HC_EINVAL); /* the BIOS area: ROM */
	assert_int_equal(hcall(HC_SHARED_PAGE, SHARED + 8, 0, 0),
			 (uint64_t)-HC_EINVAL);
	assert_int_equal(hcall(HC_SHARED_PAGE, 1ULL << 40, 0, 0),
			 (uint64_t)-HC_EINVAL); /* not RAM */
	assert_int_equal(v->pv_shared, 0);
	interp_pv_fold(vm); /* no page: nothing to do */

	v->rflags &= ~(uint64_t)FL_IF;
	assert_int_equal(hcall(HC_SHARED_PAGE, SHARED, 0, 0), 0);
	expect_done();
	assert_int_equal(page()->irq_mask, HC_MASK_MONITOR | HC_MASK_MASKED);

	/* The guest's sti: the byte without the monitor's bit. */
	page()->irq_mask = 0;
	interp_pv_fold(vm);
	assert_true(v->rflags & FL_IF);
	interp_pv_publish(vm);
	assert_int_equal(page()->irq_mask, HC_MASK_MONITOR);
	assert_int_equal(page()->irq_pending, 0);

	/* A monitor's byte is not the guest's word: an interrupt gate (here
	 * by hand) cleared IF since, and the fold must not undo it. */
	v->rflags &= ~(uint64_t)FL_IF;
	interp_pv_fold(vm);
	assert_false(v->rflags & FL_IF);
	interp_pv_publish(vm);
	assert_int_equal(page()->irq_mask, HC_MASK_MONITOR | HC_MASK_MASKED);

	/* The guest's cli. */
	v->rflags |= FL_IF;
	page()->irq_mask = HC_MASK_MASKED;
	interp_pv_fold(vm);
	assert_false(v->rflags & FL_IF);

	/* At CPL 3 a guest byte is older than the return to user mode. */
	page()->irq_mask = HC_MASK_MASKED;
	v->rflags |= FL_IF;
	v->cpl = 3;
	interp_pv_fold(vm);
	assert_true(v->rflags & FL_IF);
	v->cpl = 0;

	/* The time moves on between two entries. */
	interp_pv_publish(vm);
	uint64_t t0 = page()->time_ns;
	usleep(1000);
	interp_pv_publish(vm);
	assert_true(page()->time_ns > t0);

	assert_int_equal(hcall(HC_SHARED_PAGE, 0, 0, 0), 0);
	assert_int_equal(v->pv_shared, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_numbers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_protected_mode, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_user_mode, setup, teardown),
		cmocka_unit_test_setup_teardown(test_shared_page, setup,
						teardown),
	};

	if (isa_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
