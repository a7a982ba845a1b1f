/*
 * tests/unit/test_loader.c - the ELF64 loader and the boot state of
 * monitor/boot.h.  Images are built in memory, field by field.
 */
#include <elf.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "isa/x86.h"
#include "monitor/boot.h"
#include "monitor/loader.h"
#include "core/vm.h"
#include "monitor/machine.h"

static struct vm vm;

/* An image: header, two program headers, then the segment bytes. */
struct image {
	Elf64_Ehdr eh;
	Elf64_Phdr ph[2];
	uint8_t text[16];
};

static int setup(void **state)
{
	struct vm_options opt = { .mem_mib = 4, .engine = "softcpu" };
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

/* A valid image: 16 bytes of code at 1 MiB, with 4080 bytes of bss. */
static void make_image(struct image *im)
{
	memset(im, 0, sizeof(*im));
	memcpy(im->eh.e_ident, ELFMAG, SELFMAG);
	im->eh.e_ident[EI_CLASS] = ELFCLASS64;
	im->eh.e_ident[EI_DATA] = ELFDATA2LSB;
	im->eh.e_ident[EI_VERSION] = EV_CURRENT;
	im->eh.e_type = ET_EXEC;
	im->eh.e_machine = EM_X86_64;
	im->eh.e_version = EV_CURRENT;
	im->eh.e_entry = BOOT_IMAGE_BASE + 4;
	im->eh.e_phoff = offsetof(struct image, ph);
	im->eh.e_ehsize = sizeof(Elf64_Ehdr);
	im->eh.e_phentsize = sizeof(Elf64_Phdr);
	im->eh.e_phnum = 2;
	im->ph[0] = (Elf64_Phdr){ .p_type = PT_LOAD, .p_flags = PF_R | PF_X,
		.p_offset = offsetof(struct image, text),
		.p_vaddr = BOOT_IMAGE_BASE, .p_paddr = BOOT_IMAGE_BASE,
		.p_filesz = 16, .p_memsz = 4096 };
	im->ph[1] = (Elf64_Phdr){ .p_type = PT_NOTE };
	for (int i = 0; i < 16; i++)
		im->text[i] = (uint8_t)(0xa0 + i);
}

static int load(struct image *im, char *why)
{
	uint64_t entry = 0;
	int rc = loader_load_elf_mem(&vm, (const uint8_t *)im, sizeof(*im),
				     &entry, why, 200);
	if (rc == 0)
		assert_int_equal(entry, im->eh.e_entry);
	return rc;
}

static void test_loads_segment_and_zeroes_bss(void **state)
{
	struct image im;
	char why[200];

	(void)state;
	make_image(&im);
	memset(vm.mem.base + BOOT_IMAGE_BASE, 0x77, 8192); /* old junk */
	assert_int_equal(load(&im, why), 0);
	assert_memory_equal(vm.mem.base + BOOT_IMAGE_BASE, im.text, 16);
	for (int i = 16; i < 4096; i++)
		assert_int_equal(vm.mem.base[BOOT_IMAGE_BASE + i], 0);
	assert_int_equal(vm.mem.base[BOOT_IMAGE_BASE + 4096], 0x77);
}

/* Each way of breaking the image, and the words the error must use. */
static void expect_error(struct image *im, const char *words)
{
	char why[200] = "";

	assert_int_equal(load(im, why), -1);
	if (!strstr(why, words))
		fail_msg("error \"%s\" does not say \"%s\"", why, words);
}

static void test_rejects_bad_images(void **state)
{
	struct image im;

	(void)state;
	make_image(&im);
	im.eh.e_ident[1] = 'X';
	expect_error(&im, "not an ELF file");

	make_image(&im);
	im.eh.e_ident[EI_CLASS] = ELFCLASS32;
	expect_error(&im, "32-bit ELF");

	make_image(&im);
	im.eh.e_machine = EM_AARCH64;
	expect_error(&im, "not x86-64");

	make_image(&im);
	im.eh.e_type = ET_DYN;
	expect_error(&im, "not an executable");

	make_image(&im);
	im.eh.e_phoff = 1 << 20;
	expect_error(&im, "program header table");

	make_image(&im);
	im.ph[0].p_filesz = 1 << 20;
	expect_error(&im, "malformed sizes");

	make_image(&im);
	im.ph[0].p_filesz = 4097;
	expect_error(&im, "malformed sizes");

	make_image(&im);
	im.ph[0].p_paddr = 4 << 20; /* RAM is 4 MiB */
	expect_error(&im, "outside guest RAM");

	make_image(&im);
	im.ph[0].p_paddr = 0xfffffffffffff000ULL; /* wraps around */
	expect_error(&im, "outside guest RAM");

	make_image(&im);
	im.ph[0].p_paddr = BOOT_PML4;
	expect_error(&im, "boot area");

	make_image(&im);
	im.eh.e_entry = 0x200000;
	expect_error(&im, "entry point");

	make_image(&im);
	im.ph[0].p_type = PT_NULL;
	expect_error(&im, "no loadable");
}

static void test_truncated_header(void **state)
{
	struct image im;
	char why[200];
	uint64_t entry;

	(void)state;
	make_image(&im);
	assert_int_equal(loader_load_elf_mem(&vm, (const uint8_t *)&im, 20,
					     &entry, why, sizeof(why)), -1);
}

/*
 * Nothing in ELF makes the headers 8-byte aligned in the file, nor the
 * file itself in memory (a fuzzer's buffer): the loader must copy each
 * header out before reading its fields.  Here the whole image starts one
 * byte into a buffer, and its program headers one byte after the ELF
 * header, so every multi-byte field is misaligned; under UBSan a direct
 * read through an Elf64_Phdr pointer is an error.
 */
static void test_misaligned_headers(void **state)
{
	struct image im;
	_Alignas(8) uint8_t buf[1 + sizeof(Elf64_Ehdr) + 1 +
				2 * sizeof(Elf64_Phdr) + 16];
	uint8_t *img = buf + 1;
	size_t phoff = sizeof(Elf64_Ehdr) + 1;
	size_t text = phoff + 2 * sizeof(Elf64_Phdr);
	char why[200] = "";
	uint64_t entry = 0;

	(void)state;
	make_image(&im);
	im.eh.e_phoff = phoff;
	im.ph[0].p_offset = text;
	memset(buf, 0, sizeof(buf));
	memcpy(img, &im.eh, sizeof(im.eh));
	memcpy(img + phoff, im.ph, sizeof(im.ph));
	memcpy(img + text, im.text, sizeof(im.text));
	assert_int_equal(loader_load_elf_mem(&vm, img, sizeof(buf) - 1,
					     &entry, why, sizeof(why)), 0);
	assert_int_equal(entry, BOOT_IMAGE_BASE + 4);
	assert_memory_equal(vm.mem.base + BOOT_IMAGE_BASE, im.text, 16);
}

static void test_missing_file(void **state)
{
	struct vm_options o = { .image = "/nonexistent/x.elf" };
	char why[200];

	(void)state;
	assert_int_equal(loader_boot(&vm, &o, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "cannot open /nonexistent/x.elf"));
}

static void test_boot_state(void **state)
{
	const uint64_t *pml4 = (const uint64_t *)(vm.mem.base + BOOT_PML4);
	const uint64_t *pdpt = (const uint64_t *)(vm.mem.base + BOOT_PDPT);
	const uint64_t *pd3 = (const uint64_t *)(vm.mem.base + BOOT_PD +
						 3 * PAGE_4K);
	const struct boot_info *bi = (const void *)(vm.mem.base + BOOT_INFO);
	const struct vcpu *v = &vm.vcpu;

	(void)state;
	boot_setup(&vm, 0x100004, "a b");
	assert_int_equal(pml4[0], BOOT_PDPT | PTE_P | PTE_W);
	assert_int_equal(pml4[1], 0);
	assert_int_equal(pdpt[3], (BOOT_PD + 3 * PAGE_4K) | PTE_P | PTE_W);
	assert_int_equal(pd3[511], (4 * PAGE_1G - PAGE_2M) | PTE_P | PTE_W |
			 PTE_PS);
	assert_int_equal(bi->magic, BOOT_MAGIC);
	assert_int_equal(bi->mem_size, 4 << 20);
	assert_string_equal((const char *)vm.mem.base + bi->cmdline, "a b");
	assert_int_equal(v->rip, 0x100004);
	assert_int_equal(v->regs[GPR_RDI], BOOT_INFO);
	assert_int_equal(v->regs[GPR_RSP], BOOT_STACK_TOP);
	assert_int_equal(v->rflags & FL_IF, 0);
	assert_int_equal(v->cpl, 0);
	assert_int_equal(v->cr0, CR0_PE | CR0_ET | CR0_NE | CR0_WP | CR0_PG);
	assert_int_equal(v->efer & (EFER_LME | EFER_LMA), EFER_LME | EFER_LMA);
	assert_int_equal(v->seg[SEG_CS].selector, BOOT_SEL_CODE);
	assert_int_equal(v->seg[SEG_CS].attr, 0xa09b);
	assert_int_equal(v->seg[SEG_SS].attr, 0xc093);
	assert_int_equal(v->gdtr.base, BOOT_GDT);
	assert_int_equal(v->gdtr.limit, 8 * BOOT_GDT_ENTRIES - 1);
	assert_int_equal(*(const uint64_t *)(vm.mem.base + BOOT_GDT + 8),
			 0x00af9b000000ffffULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
		T(test_loads_segment_and_zeroes_bss),
		T(test_rejects_bad_images),
		T(test_truncated_header),
		T(test_misaligned_headers),
		T(test_missing_file),
		T(test_boot_state),
	};
	return cmocka_run_group_tests_name("loader", tests, NULL, NULL);
}
