/*
 * tests/unit/test_guest_mem.c - guest RAM laid out as on a PC
 * (core/guest_mem.h): QEMU pc's split around the PCI hole, the one
 * translation of a guest-physical address (gm_offset, gm_ptr) below and
 * above 4 GiB, the BIOS area, --mem's bounds, and that a large RAM is not
 * touched when it is made.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <cmocka.h>

#include "core/guest_mem.h"
#include "core/vm.h"
#include "monitor/machine.h"
#include "shadowpt/shadowpt.h"

#define MIB (1ULL << 20)
#define GIB (1ULL << 30)

/* QEMU's pc: all of RAM below 3.5 GiB, else 3 GiB below and the rest up. */
static void test_split(void **state)
{
	(void)state;
	assert_int_equal(gm_low_size(128 * MIB), 128 * MIB);
	assert_int_equal(gm_low_size(3 * GIB), 3 * GIB);
	assert_int_equal(gm_low_size(3584 * MIB - MIB), 3583 * MIB);
	assert_int_equal(gm_low_size(3584 * MIB), 3 * GIB);
	assert_int_equal(gm_low_size(5 * GIB), 3 * GIB);
	assert_int_equal(gm_phys_end(128 * MIB), 128 * MIB);
	assert_int_equal(gm_phys_end(3583 * MIB), 3583 * MIB);
	assert_int_equal(gm_phys_end(3584 * MIB), 4 * GIB + 512 * MIB);
	assert_int_equal(gm_phys_end(5 * GIB), 6 * GIB);
	/* --mem's top: RAM ends exactly at 2^39 */
	assert_int_equal(gm_phys_end(GM_MAX_SIZE(39)), 1ULL << 39);
	assert_int_equal(VM_MEM_MAX_MIB, 523264);
}

/* Small RAM: one range from 0, and nothing past it. */
static void test_small_translation(void **state)
{
	struct guest_mem gm;

	(void)state;
	assert_int_equal(gm_init(&gm, 128 * MIB), 0);
	assert_int_equal(gm.low, 128 * MIB);
	assert_int_equal(gm_offset(&gm, 0, 1), 0);
	assert_int_equal(gm_offset(&gm, 128 * MIB - 8, 8), 128 * MIB - 8);
	assert_int_equal(gm_offset(&gm, 128 * MIB - 4, 8), GM_NO_RAM);
	assert_int_equal(gm_offset(&gm, 128 * MIB, 1), GM_NO_RAM);
	assert_int_equal(gm_offset(&gm, 4 * GIB, 1), GM_NO_RAM);
	assert_null(gm_ptr(&gm, 0xfee00000, 4));
	assert_ptr_equal(gm_ptr(&gm, 0x1000, 4), gm.base + 0x1000);
	gm_fini(&gm);
}

/*
 * 5 GiB: [0, 3 GiB) and [4 GiB, 6 GiB), in one host block with the high
 * part right after the low part; the hole and the chips in it are no RAM.
 */
static void test_high_translation(void **state)
{
	struct guest_mem gm;
	uint64_t v = 0x1122334455667788ULL, got = 0;

	(void)state;
	assert_int_equal(gm_init(&gm, 5 * GIB), 0);
	assert_int_equal(gm.size, 5 * GIB);
	assert_int_equal(gm.low, 3 * GIB);
	assert_int_equal(gm_offset(&gm, 3 * GIB - 8, 8), 3 * GIB - 8);
	assert_int_equal(gm_offset(&gm, 3 * GIB - 4, 8), GM_NO_RAM);
	assert_int_equal(gm_offset(&gm, 3 * GIB, 1), GM_NO_RAM);
	assert_int_equal(gm_offset(&gm, 0xfec00000, 4), GM_NO_RAM);
	assert_int_equal(gm_offset(&gm, 0xfee00000, 4), GM_NO_RAM);
	assert_int_equal(gm_offset(&gm, 0xfffffff0, 16), GM_NO_RAM);
	assert_int_equal(gm_offset(&gm, 4 * GIB - 4, 8), GM_NO_RAM);
	assert_int_equal(gm_offset(&gm, 4 * GIB, 8), 3 * GIB);
	assert_int_equal(gm_offset(&gm, 6 * GIB - 8, 8), 5 * GIB - 8);
	assert_int_equal(gm_offset(&gm, 6 * GIB - 4, 8), GM_NO_RAM);
	assert_int_equal(gm_offset(&gm, 6 * GIB, 1), GM_NO_RAM);
	assert_int_equal(gm_offset(&gm, UINT64_MAX - 3, 4), GM_NO_RAM);
	assert_int_equal(gm_offset(&gm, 4 * GIB, UINT64_MAX), GM_NO_RAM);
	/* the same bytes through gm_write, gm_read and the host block */
	assert_int_equal(gm_write(&gm, 5 * GIB + 0x123, &v, sizeof(v)), 0);
	assert_int_equal(gm_read(&gm, 5 * GIB + 0x123, &got, sizeof(got)), 0);
	assert_int_equal(got, v);
	assert_memory_equal(gm.base + 4 * GIB + 0x123, &v, sizeof(v));
	assert_int_equal(gm_write(&gm, 3 * GIB + 0x123, &v, sizeof(v)), -1);
	gm_fini(&gm);
}

/* Making 5 GiB of guest RAM touches none of it (mmap, not populated). */
static void test_large_ram_not_touched(void **state)
{
	struct guest_mem gm;
	long page = sysconf(_SC_PAGESIZE);

	(void)state;
	assert_int_equal(gm_init(&gm, 5 * GIB), 0);
	size_t pages = (size_t)(gm.size / (uint64_t)page), resident = 0;
	unsigned char *vec = malloc(pages);
	assert_non_null(vec);
	assert_int_equal(mincore(gm.base, gm.size, vec), 0);
	for (size_t i = 0; i < pages; i++)
		resident += vec[i] & 1;
	assert_int_equal(resident, 0);
	free(vec);
	gm_fini(&gm);
}

/* The BIOS area, ROM to the guest, is 0xe0000-0xfffff exactly. */
static void test_rom_area(void **state)
{
	(void)state;
	assert_false(gm_is_rom(0xdffff));
	assert_true(gm_is_rom(0xe0000));
	assert_true(gm_is_rom(0xf0000));
	assert_true(gm_is_rom(0xfffff));
	assert_false(gm_is_rom(0x100000));
	assert_false(gm_is_rom(0xb8000)); /* the VGA text buffer is memory */
	assert_false(gm_is_rom(4 * GIB + 0xe0000));
}

/* A machine of 5 GiB: the shadow's idea of RAM follows the same map, and
 * --mem beyond MAXPHYADDR is refused with one line. */
static void test_machine_bounds(void **state)
{
	struct vm_options opt = { .mem_mib = 5120, .engine = "softcpu" };
	struct vm vm;
	char why[200];

	(void)state;
	assert_int_equal(vm_create(&vm, &opt, -1, why, sizeof(why)), 0);
	assert_true(shadowpt_frame_is_ram(&vm, 3 * GIB - 1));
	assert_false(shadowpt_frame_is_ram(&vm, 3 * GIB));
	assert_false(shadowpt_frame_is_ram(&vm, 0xfee00000));
	assert_true(shadowpt_frame_is_ram(&vm, 4 * GIB));
	assert_true(shadowpt_frame_is_ram(&vm, 6 * GIB - 1));
	assert_false(shadowpt_frame_is_ram(&vm, 6 * GIB));
	vm_destroy(&vm);
	opt.mem_mib = VM_MEM_MAX_MIB + 1;
	assert_int_equal(vm_create(&vm, &opt, -1, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "MAXPHYADDR"));
	assert_null(strchr(why, '\n'));
	opt.mem_mib = 1;
	assert_int_equal(vm_create(&vm, &opt, -1, why, sizeof(why)), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_split),
		cmocka_unit_test(test_small_translation),
		cmocka_unit_test(test_high_translation),
		cmocka_unit_test(test_large_ram_not_touched),
		cmocka_unit_test(test_rom_area),
		cmocka_unit_test(test_machine_bounds),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
