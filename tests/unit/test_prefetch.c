/*
 * tests/unit/test_prefetch.c - shadowpt_prefetch: a translation cached in
 * the shadow ahead of any access, as a TLB may (SDM vol. 3, 4.10.2.3),
 * only from a walk that needs no accessed flag set and leaves the guest's
 * tables as they were.
 *
 * Each test builds guest tables in guest RAM with the accessed and dirty
 * flags chosen by hand, prefetches, and checks the shadow leaf against
 * the one a hidden fault would make, and guest RAM against a copy taken
 * before: not one byte may change.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "isa/x86.h"
#include "core/engine.h"
#include "core/vm.h"
#include "monitor/machine.h"
#include "shadowpt/shadowpt.h"
#include "shadowpt/walk.h"
#include "tests/unit/support/guestpt.h"

#define TABLES_GPA 0x2000ULL /* further guest tables are taken from here */
#define UPPER (PTE_P | PTE_W | PTE_U | PTE_A) /* a table entry, used */

static unsigned flushes;

static void count_flush(struct vm *vm, uint64_t va)
{
	(void)vm;
	(void)va;
	flushes++;
}

static const struct engine counting = { .name = "fake",
					.flush = count_flush };

static struct vm the_vm;
static uint8_t before[GPT_RAM_MIB << 20];

static int setup(void **state)
{
	*state = &the_vm;
	if (gpt_vm_make64(&the_vm, &counting, TABLES_GPA) < 0)
		return -1;
	flushes = 0;
	return 0;
}

static int teardown(void **state)
{
	vm_destroy(*state);
	return 0;
}

/* The guest entry for va at level, making the tables above it with
 * UPPER (present, every right, accessed). */
static uint64_t *gpt_entry(struct vm *vm, uint64_t va, int level)
{
	return gpt_entry64(vm, va, level, UPPER);
}

/* Guest RAM is copied before a prefetch and compared after it. */
static void snapshot(struct vm *vm)
{
	memcpy(before, vm->mem.base, sizeof(before));
}

static void unchanged(struct vm *vm)
{
	assert_memory_equal(before, vm->mem.base, sizeof(before));
}

/* A used, clean page is cached read-only; a dirty one writable; and the
 * guest's tables are not written. */
static void test_prefetch_accessed_page(void **state)
{
	struct vm *vm = *state;
	uint64_t va = 0x400000;

	*gpt_entry(vm, va, 1) = 0x200000 | PTE_P | PTE_W | PTE_A;
	*gpt_entry(vm, va + PAGE_4K, 1) = 0x201000 | PTE_P | PTE_W | PTE_A |
					  PTE_D;
	snapshot(vm);
	assert_int_equal(shadowpt_prefetch(vm, va + 0x10),
			 0x200000 | PTE_P | PTE_U);
	assert_int_equal(shadowpt_prefetch(vm, va + PAGE_4K),
			 0x201000 | PTE_P | PTE_U | PTE_W);
	unchanged(vm);
	assert_int_equal(shadowpt_lookup(vm, va), 0x200000 | PTE_P | PTE_U);
	assert_int_equal(vm->spt->hidden_faults, 0); /* no fault was taken */
	assert_int_equal(flushes, 0); /* a fill: nothing for the engine to
					 forget */
	/* The first write still faults, and sets D as the CPU would. */
	assert_int_equal(shadowpt_fault(vm, va, PFEC_P | PFEC_W | PFEC_U),
			 SHADOW_FILLED);
	assert_true(*gpt_entry(vm, va, 1) & PTE_D);
	assert_true(shadowpt_lookup(vm, va) & PTE_W);
}

/* A walk that would have to set an accessed flag, at the leaf or above,
 * is not cached, and sets nothing: the hidden fault will. */
static void test_prefetch_refuses_unaccessed(void **state)
{
	struct vm *vm = *state;
	uint64_t va = 0x400000, far = 0x8000000000ULL;

	*gpt_entry(vm, va, 1) = 0x200000 | PTE_P | PTE_W; /* leaf: A clear */
	*gpt_entry(vm, far, 1) = 0x201000 | PTE_P | PTE_A | PTE_D;
	*gpt_entry(vm, far, 3) &= ~PTE_A;                 /* its PDPTE's */
	snapshot(vm);
	assert_int_equal(shadowpt_prefetch(vm, va), 0);
	assert_int_equal(shadowpt_prefetch(vm, far), 0);
	unchanged(vm);
	assert_int_equal(shadowpt_lookup(vm, va), 0);
	assert_int_equal(shadowpt_lookup(vm, far), 0);
	/* Once the guest touched it (a hidden fault sets A on every level),
	 * a later prefetch after the entry is dropped takes it. */
	assert_int_equal(shadowpt_fault(vm, far, PFEC_U), SHADOW_FILLED);
	assert_true(*gpt_entry(vm, far, 3) & PTE_A);
	shadowpt_invlpg(vm, far);
	assert_int_equal(shadowpt_lookup(vm, far), 0);
	snapshot(vm);
	assert_int_equal(shadowpt_prefetch(vm, far), 0x201000 | PTE_P | PTE_U);
	unchanged(vm);
}

/* Not present, reserved bits, a table outside RAM: nothing cached. */
static void test_prefetch_refuses_invalid(void **state)
{
	struct vm *vm = *state;
	uint64_t va = 0x400000;

	assert_int_equal(shadowpt_prefetch(vm, va), 0); /* nothing mapped */
	*gpt_entry(vm, va, 1) = 0x200000 | PTE_A;        /* not present */
	assert_int_equal(shadowpt_prefetch(vm, va), 0);
	*gpt_entry(vm, va, 1) = 0x200000 | PTE_P | PTE_A | PTE_PS |
				(1ULL << 51);            /* reserved bit */
	assert_int_equal(shadowpt_prefetch(vm, va), 0);
	*gpt_entry(vm, va, 2) = 0x40000000ULL | UPPER;   /* PT outside RAM */
	assert_int_equal(shadowpt_prefetch(vm, va), 0);
	assert_int_equal(shadowpt_lookup(vm, va), 0);
}

/* At virtual CPL 3 the user view is filled, and never with a
 * supervisor page; NX and a guest 2 MiB page come through as a fault's
 * fill would make them. */
static void test_prefetch_user_view(void **state)
{
	struct vm *vm = *state;
	uint64_t kern = 0x400000, user = 0x401000, big = 0x600000;

	*gpt_entry(vm, kern, 1) = 0x200000 | PTE_P | PTE_W | PTE_A | PTE_D;
	*gpt_entry(vm, user, 1) = 0x201000 | PTE_P | PTE_U | PTE_A | PTE_NX;
	*gpt_entry(vm, big, 2) = 0x800000 | PTE_P | PTE_U | PTE_PS | PTE_A;
	vm->vcpu.cpl = 3;
	shadowpt_switch_view(vm);
	snapshot(vm);
	assert_int_equal(shadowpt_prefetch(vm, kern), 0);
	assert_int_equal(shadowpt_prefetch(vm, user),
			 0x201000 | PTE_P | PTE_U | PTE_NX);
	assert_int_equal(shadowpt_prefetch(vm, big + 0x3000),
			 0x803000 | PTE_P | PTE_U);
	unchanged(vm);
	/* The supervisor view was not touched. */
	vm->vcpu.cpl = 0;
	shadowpt_switch_view(vm);
	assert_int_equal(shadowpt_lookup(vm, user), 0);
	assert_int_equal(shadowpt_prefetch(vm, kern),
			 0x200000 | PTE_P | PTE_U | PTE_W);
}

/* A leaf the shadow holds is kept as it is, as a TLB entry is until it is
 * invalidated: a prefetch never overwrites what a walk cached before. */
static void test_prefetch_keeps_cached_leaf(void **state)
{
	struct vm *vm = *state;
	uint64_t va = 0x400000, *pte = gpt_entry(vm, va, 1);

	*pte = 0x200000 | PTE_P | PTE_A;
	assert_int_equal(shadowpt_fault(vm, va, PFEC_U), SHADOW_FILLED);
	*pte = 0x300000 | PTE_P | PTE_A; /* changed without invlpg */
	assert_int_equal(shadowpt_prefetch(vm, va), 0x200000 | PTE_P | PTE_U);
	/* After a CR3 load drops it, the prefetch sees the new frame. */
	shadowpt_load_cr3(vm);
	assert_int_equal(shadowpt_lookup(vm, va), 0);
	assert_int_equal(shadowpt_prefetch(vm, va), 0x300000 | PTE_P | PTE_U);
}

/* 32-bit paging: 4-byte entries, A in the same bit. */
static void test_prefetch_32bit(void **state)
{
	struct vm *vm = *state;
	uint64_t va = 0xc0001000;
	uint32_t *pd = gm_ptr(&vm->mem, PML4_GPA, PAGE_4K);
	uint32_t *pt = gm_ptr(&vm->mem, TABLES_GPA, PAGE_4K);

	vm->vcpu.cr4 = 0;
	vm->vcpu.efer = 0;
	shadowpt_flush_all(vm);
	pd[va >> 22] = (uint32_t)TABLES_GPA | PTE_P | PTE_W | PTE_A;
	pt[(va >> 12) & 0x3ff] = 0x200000 | PTE_P | PTE_W | PTE_A | PTE_D;
	pt[((va >> 12) & 0x3ff) + 1] = 0x201000 | PTE_P | PTE_W;
	snapshot(vm);
	assert_int_equal(shadowpt_prefetch(vm, va),
			 0x200000 | PTE_P | PTE_U | PTE_W);
	assert_int_equal(shadowpt_prefetch(vm, va + PAGE_4K), 0);
	unchanged(vm);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_prefetch_accessed_page),
		T(test_prefetch_refuses_unaccessed),
		T(test_prefetch_refuses_invalid),
		T(test_prefetch_user_view),
		T(test_prefetch_keeps_cached_leaf),
		T(test_prefetch_32bit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
