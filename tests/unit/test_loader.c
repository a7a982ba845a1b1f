/*
 * tests/unit/test_loader.c - the loader: trapvisor's ELF64 protocol and
 * its boot state (monitor/boot.h), the choice of protocol, and multiboot
 * kernels (monitor/multiboot.h): ELF32, ELF64 and a.out-kludge images,
 * the information structure, modules, the memory map and the 32-bit
 * entry state.  Images are built in memory, field by field.  (No 32-bit
 * guest runs yet, so the entry state is checked in struct vm itself.)
 */
#include <elf.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <fcntl.h>
#include <unistd.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "firmware/firmware.h"
#include "isa/arch.h"
#include "isa/x86.h"
#include "monitor/boot.h"
#include "monitor/loader.h"
#include "monitor/multiboot.h"
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

/* 5 GiB: 3 GiB below the PCI hole, 2 GiB from 4 GiB up. */
static int setup_5g(void **state)
{
	struct vm_options opt = { .mem_mib = 5120, .engine = "softcpu" };
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

/*
 * The ELF header of image im (a struct with eh, then ph[] after it): a
 * little-endian executable of class and machine, its entry point, phnum
 * program headers at ph.  A macro, as the same lines fill an Elf64_Ehdr
 * and an Elf32_Ehdr, whose fields have the same names.
 */
#define ELF_EXEC_HEADER(im, class, machine, entry, phnum)                  \
	do {                                                               \
		memset((im), 0, sizeof(*(im)));                            \
		memcpy((im)->eh.e_ident, ELFMAG, SELFMAG);                 \
		(im)->eh.e_ident[EI_CLASS] = (class);                      \
		(im)->eh.e_ident[EI_DATA] = ELFDATA2LSB;                   \
		(im)->eh.e_ident[EI_VERSION] = EV_CURRENT;                 \
		(im)->eh.e_type = ET_EXEC;                                 \
		(im)->eh.e_machine = (machine);                            \
		(im)->eh.e_version = EV_CURRENT;                           \
		(im)->eh.e_entry = (entry);                                \
		(im)->eh.e_phoff =                                         \
			(size_t)((uint8_t *)(im)->ph - (uint8_t *)(im));   \
		(im)->eh.e_ehsize = sizeof((im)->eh);                      \
		(im)->eh.e_phentsize = sizeof((im)->ph[0]);                \
		(im)->eh.e_phnum = (phnum);                                \
	} while (0)

/* A valid image: 16 bytes of code at 1 MiB, with 4080 bytes of bss. */
static void make_image(struct image *im)
{
	ELF_EXEC_HEADER(im, ELFCLASS64, EM_X86_64, BOOT_IMAGE_BASE + 4, 2);
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
	/* the firmware tables are written for this protocol too */
	assert_memory_equal(vm.mem.base + 0xf0000, "RSD PTR ", 8);
	assert_int_equal(*(const uint16_t *)(vm.mem.base + 0x40e), 0x9fc0);
}

/* ------------------------------------------------------------ multiboot */

#define MB_FLAGS (MB_FLAG_PAGE_ALIGN | MB_FLAG_MEMORY_INFO)
#define KBASE 0x100000

/* The multiboot header: magic, flags, checksum. */
static void mb_header(uint32_t h[3], uint32_t flags)
{
	h[0] = MB_HEADER_MAGIC;
	h[1] = flags;
	h[2] = -(MB_HEADER_MAGIC + flags);
}

/* An ELF32 multiboot kernel: the header opens its one segment, at 1 MiB,
 * followed by 16 bytes of code and a page of bss; entry after the header. */
struct mb32_image {
	Elf32_Ehdr eh;
	Elf32_Phdr ph[1];
	uint32_t mbh[3];
	uint8_t text[16];
};

static void make_mb32(struct mb32_image *im)
{
	ELF_EXEC_HEADER(im, ELFCLASS32, EM_386, KBASE + 12, 1);
	im->ph[0] = (Elf32_Phdr){ .p_type = PT_LOAD, .p_flags = PF_R | PF_X,
		.p_offset = offsetof(struct mb32_image, mbh),
		.p_vaddr = KBASE, .p_paddr = KBASE,
		.p_filesz = 28, .p_memsz = 0x1000 + 28 };
	mb_header(im->mbh, MB_FLAGS);
	for (int i = 0; i < 16; i++)
		im->text[i] = (uint8_t)(0xc0 + i);
}

/* An ELF64 image with a multiboot header, and a PVH note if asked. */
struct mb64_image {
	Elf64_Ehdr eh;
	Elf64_Phdr ph[2];
	uint32_t mbh[3];
	uint8_t text[16];
	uint32_t note[5];  /* namesz, descsz, type, "Xen", the entry */
};

static void make_mb64(struct mb64_image *im, bool pvh)
{
	ELF_EXEC_HEADER(im, ELFCLASS64, EM_X86_64, KBASE + 12, 2);
	im->ph[0] = (Elf64_Phdr){ .p_type = PT_LOAD, .p_flags = PF_R | PF_X,
		.p_offset = offsetof(struct mb64_image, mbh),
		.p_vaddr = KBASE, .p_paddr = KBASE,
		.p_filesz = 28, .p_memsz = 28 };
	im->ph[1] = (Elf64_Phdr){ .p_type = PT_NOTE,
		.p_offset = offsetof(struct mb64_image, note),
		.p_filesz = sizeof(im->note) };
	mb_header(im->mbh, MB_FLAGS);
	im->note[0] = 4;
	im->note[1] = 4;
	im->note[2] = pvh ? 18 : 17; /* XEN_ELFNOTE_PHYS32_ENTRY, or not */
	memcpy(&im->note[3], "Xen", 4);
	im->note[4] = KBASE + 12;
}

/* An a.out-kludge kernel: no ELF, the header's address fields say it
 * all.  The file loads at 2 MiB from its first byte; bss follows. */
struct aout_image {
	uint8_t pad[16];
	uint32_t mbh[8];
	uint8_t text[16];
};

#define AOUT_BASE 0x200000

static void make_aout(struct aout_image *im)
{
	memset(im, 0, sizeof(*im));
	mb_header(im->mbh, MB_FLAGS | MB_FLAG_AOUT_KLUDGE);
	im->mbh[3] = AOUT_BASE + offsetof(struct aout_image, mbh); /* header */
	im->mbh[4] = AOUT_BASE;                                   /* load */
	im->mbh[5] = AOUT_BASE + sizeof(*im);                     /* load end */
	im->mbh[6] = AOUT_BASE + 0x3000;                          /* bss end */
	im->mbh[7] = AOUT_BASE + offsetof(struct aout_image, text); /* entry */
	for (int i = 0; i < 16; i++)
		im->text[i] = (uint8_t)(0xe0 + i);
}

static int load_any(const void *img, size_t size, struct boot_image *bi,
		    char *why)
{
	return loader_load_image_mem(&vm, img, size, bi, why, 200);
}

static void test_protocol_choice(void **state)
{
	struct mb32_image m32;
	struct mb64_image m64;
	struct aout_image ao;
	struct image e64;
	struct boot_image bi;
	char why[200] = "";

	(void)state;
	make_mb32(&m32);
	assert_int_equal(load_any(&m32, sizeof(m32), &bi, why), 0);
	assert_int_equal(bi.protocol, BOOT_MULTIBOOT);
	assert_int_equal(bi.entry, KBASE + 12);
	assert_int_equal(bi.end, KBASE + 0x1000 + 28);

	make_mb64(&m64, false); /* ELF64, multiboot header, no PVH note */
	assert_int_equal(load_any(&m64, sizeof(m64), &bi, why), 0);
	assert_int_equal(bi.protocol, BOOT_MULTIBOOT);
	assert_int_equal(bi.entry, KBASE + 12);

	make_mb64(&m64, true);  /* ... with the note: trapvisor's own */
	assert_int_equal(load_any(&m64, sizeof(m64), &bi, why), 0);
	assert_int_equal(bi.protocol, BOOT_TRAPVISOR);

	make_image(&e64);       /* ELF64 without a header: trapvisor's own */
	assert_int_equal(load_any(&e64, sizeof(e64), &bi, why), 0);
	assert_int_equal(bi.protocol, BOOT_TRAPVISOR);
	assert_int_equal(bi.entry, BOOT_IMAGE_BASE + 4);

	make_aout(&ao);         /* no ELF at all, flag 16 */
	assert_int_equal(load_any(&ao, sizeof(ao), &bi, why), 0);
	assert_int_equal(bi.protocol, BOOT_MULTIBOOT);

	/* ELF64 whose code holds the magic as data (an immediate, say):
	 * without a right checksum it is no header */
	make_image(&e64);
	memcpy(e64.text, (uint32_t[]){ MB_HEADER_MAGIC }, 4);
	assert_int_equal(load_any(&e64, sizeof(e64), &bi, why), 0);
	assert_int_equal(bi.protocol, BOOT_TRAPVISOR);

	make_mb32(&m32);        /* ELF32 without a header */
	memset(m32.mbh, 0, sizeof(m32.mbh));
	assert_int_equal(load_any(&m32, sizeof(m32), &bi, why), -1);
	assert_non_null(strstr(why, "32-bit ELF file without a multiboot"));
}

/* The header is found only 4-byte aligned, only in the first 8 KiB, and
 * only with a right checksum. */
static void test_header_search(void **state)
{
	static uint8_t img[12000];
	struct mb_header h;
	uint32_t hdr[3];
	char why[200];

	(void)state;
	memset(img, 0, sizeof(img));
	mb_header((uint32_t *)(img + 8188), MB_FLAGS); /* ends after 8192 */
	assert_int_equal(mb_find_header(img, sizeof(img), &h, why, 200),
			 MB_HEADER_NONE);
	memset(img, 0, sizeof(img));
	mb_header(hdr, MB_FLAGS);
	memcpy(img + 102, hdr, sizeof(hdr));       /* not aligned */
	assert_int_equal(mb_find_header(img, sizeof(img), &h, why, 200),
			 MB_HEADER_NONE);
	memcpy(img + 8180, hdr, sizeof(hdr));      /* the last place */
	assert_int_equal(mb_find_header(img, sizeof(img), &h, why, 200),
			 MB_HEADER_FOUND);
	assert_int_equal(h.offset, 8180);
	assert_int_equal(h.flags, MB_FLAGS);
	/* a magic with a bad checksum is passed over, and named if nothing
	 * follows it */
	memcpy(img + 400, (uint32_t[]){ MB_HEADER_MAGIC, 0, 0 }, 12);
	assert_int_equal(mb_find_header(img, sizeof(img), &h, why, 200),
			 MB_HEADER_FOUND);
	assert_int_equal(h.offset, 8180);
	memset(img + 8180, 0, 12);
	assert_int_equal(mb_find_header(img, sizeof(img), &h, why, 200),
			 MB_HEADER_BAD_CHECKSUM);
	assert_string_equal(why, "the multiboot header at offset 0x190 has "
			    "a bad checksum");
	/* a kludge header needs 32 bytes, all of them in the first 8 KiB */
	mb_header(hdr, MB_FLAGS | MB_FLAG_AOUT_KLUDGE);
	memcpy(img + 8180, hdr, sizeof(hdr));
	assert_int_equal(mb_find_header(img, sizeof(img), &h, why, 200),
			 MB_HEADER_CUT_SHORT);
	assert_non_null(strstr(why, "cut short"));
}

static const char mod0[] = "first module\n";
static const uint8_t mod1[5000] = { 1, 2, 3 };

static void boot_mb32(const char *args)
{
	struct mb32_image m;
	struct boot_image bi;
	char why[200] = "";
	struct mb_module_src mods[2] = {
		{ "mod0.txt a=1 b", (const uint8_t *)mod0, sizeof(mod0) - 1 },
		{ "mod1.bin", mod1, sizeof(mod1) },
	};

	make_mb32(&m);
	memset(vm.mem.base, 0x77, 0x10000);     /* old junk in low memory */
	assert_int_equal(load_any(&m, sizeof(m), &bi, why), 0);
	if (mb_boot_setup(&vm, &bi, "kernel.elf", args, mods, 2, why,
			  sizeof(why)) < 0)
		fail_msg("mb_boot_setup: %s", why);
}

static void test_mb_entry_state(void **state)
{
	const struct vcpu *v = &vm.vcpu;
	uint64_t gdt[3];

	(void)state;
	boot_mb32("a b");
	assert_int_equal(cpu_mode(v), CPU_PROT);
	assert_int_equal(cpu_code_size(v), 4);
	assert_int_equal(cpu_stack_size(v), 4);
	assert_int_equal(v->rip, KBASE + 12);
	assert_int_equal(v->regs[GPR_RAX], 0x2BADB002);
	assert_int_equal(v->regs[GPR_RBX], MB_INFO);
	assert_int_equal(v->rflags, FL_FIXED1);  /* IF, VM clear; bit 1 */
	assert_int_equal(v->cpl, 0);
	assert_int_equal(v->cr0, CR0_PE | CR0_ET); /* paging off */
	assert_int_equal(v->cr4, 0);
	assert_int_equal(v->efer, 0);
	assert_int_equal(v->idtr.limit, 0);
	assert_int_equal(v->gdtr.base, BOOT_GDT);
	assert_int_equal(v->gdtr.limit, sizeof(gdt) - 1);
	/* every selector names a flat ring-0 descriptor of the GDT in RAM,
	 * and the register holds what loading that descriptor gives */
	memcpy(gdt, vm.mem.base + BOOT_GDT, sizeof(gdt));
	assert_int_equal(gdt[0], 0);
	for (int s = 0; s < VCPU_NSEGS; s++) {
		const struct vcpu_segment *seg = &v->seg[s];
		uint64_t d = gdt[SEL_INDEX(seg->selector)];

		assert_int_equal(seg->selector, s == SEG_CS ? BOOT_SEL_CODE :
				 BOOT_SEL_DATA);
		assert_int_equal(seg->base, 0);
		assert_int_equal(seg->limit, 0xffffffff);
		assert_int_equal(x86_desc_base(d), 0);
		assert_int_equal(x86_desc_limit(d), 0xffffffff);
		assert_int_equal(seg->attr, x86_desc_attr(d));
		assert_int_equal((d & DESC_DPL_MASK), 0);
		assert_true(d & DESC_DB);
		assert_false(d & DESC_L);
		assert_int_equal(!!(d & ((uint64_t)DESC_TYPE_CODE << DESC_TYPE_SHIFT)),
				 s == SEG_CS);
	}
	assert_int_equal(v->seg[SEG_CS].attr, 0xc09b);
	assert_int_equal(v->seg[SEG_SS].attr, 0xc093);
	/* the kernel and the firmware are in place */
	assert_int_equal(vm.mem.base[KBASE + 12], 0xc0);
	assert_memory_equal(vm.mem.base + 0xf0000, "RSD PTR ", 8);
}

/*
 * With 5 GiB the multiboot memory fields stop at the RAM below 4 GiB and
 * the memory map goes on from 4 GiB, as SeaBIOS's under QEMU -m 5G; the
 * trapvisor protocol's mem_size is the RAM from 0 (3 GiB), and its image
 * must lie there.
 */
static void test_mb_info_5g(void **state)
{
	struct mb_info mbi;
	struct mb_mmap_entry me;
	struct image im;
	struct boot_image bi;
	char why[200] = "";

	(void)state;
	boot_mb32("");
	memcpy(&mbi, vm.mem.base + MB_INFO, sizeof(mbi));
	assert_int_equal(mbi.mem_lower, 639);
	assert_int_equal(mbi.mem_upper, 3 * 1024 * 1024 - 1024 - 128);
	assert_int_equal(mbi.mmap_length, 7 * sizeof(me));
	memcpy(&me, vm.mem.base + mbi.mmap_addr + 3 * sizeof(me), sizeof(me));
	assert_int_equal(me.base_addr, 0x100000);
	assert_int_equal(me.base_addr + me.length, 0xc0000000 - 0x20000);
	assert_int_equal(me.type, E820_RAM);
	memcpy(&me, vm.mem.base + mbi.mmap_addr + 6 * sizeof(me), sizeof(me));
	assert_int_equal(me.base_addr, 0x100000000ULL);
	assert_int_equal(me.length, 2ULL << 30);
	assert_int_equal(me.type, E820_RAM);
	make_image(&im);
	assert_int_equal(load_any(&im, sizeof(im), &bi, why), 0);
	boot_setup(&vm, bi.entry, "");
	assert_int_equal(((const struct boot_info *)(vm.mem.base +
				BOOT_INFO))->mem_size, 3ULL << 30);
}

static void test_mb_info(void **state)
{
	struct mb_info mbi;
	struct mb_module m[2];
	struct e820_entry e[FW_E820_MAX];

	(void)state;
	boot_mb32("a b");
	memcpy(&mbi, vm.mem.base + MB_INFO, sizeof(mbi));
	assert_int_equal(mbi.flags, MBI_MEMORY | MBI_CMDLINE | MBI_MODS |
			 MBI_MMAP | MBI_BOOT_LOADER_NAME);
	assert_int_equal(mbi.mem_lower, 639);
	assert_int_equal(mbi.mem_upper, 3 * 1024 - 128); /* 4 MiB of RAM */
	assert_int_equal(mbi.boot_device, 0);
	/* QEMU's command line: the kernel's name, a space, the arguments */
	assert_string_equal((char *)vm.mem.base + mbi.cmdline, "kernel.elf a b");
	assert_string_equal((char *)vm.mem.base + mbi.boot_loader_name,
			    "trapvisor");
	/* the map, walked as the spec says: size counts what follows it */
	unsigned n = firmware_e820(vm.mem.size, e), i = 0;
	for (uint32_t off = 0; off < mbi.mmap_length; i++) {
		struct mb_mmap_entry me;
		memcpy(&me, vm.mem.base + mbi.mmap_addr + off, sizeof(me));
		assert_int_equal(me.size, 20);
		assert_true(i < n);
		assert_int_equal(me.base_addr, e[i].base);
		assert_int_equal(me.length, e[i].length);
		assert_int_equal(me.type, e[i].type);
		off += me.size + 4;
	}
	assert_int_equal(i, n);
	assert_int_equal(e[0].length, 0x9fc00);
	assert_int_equal(e[3].base + e[3].length, (4 << 20) - 0x20000);
	/* the modules: page-aligned, above the kernel and each other */
	assert_int_equal(mbi.mods_count, 2);
	memcpy(m, vm.mem.base + mbi.mods_addr, sizeof(m));
	assert_int_equal(m[0].mod_start, KBASE + 0x2000);
	assert_int_equal(m[0].mod_end, m[0].mod_start + sizeof(mod0) - 1);
	assert_int_equal(m[1].mod_start, m[0].mod_start + 0x1000);
	assert_int_equal(m[1].mod_end, m[1].mod_start + sizeof(mod1));
	assert_memory_equal(vm.mem.base + m[0].mod_start, mod0, sizeof(mod0) - 1);
	assert_memory_equal(vm.mem.base + m[1].mod_start, mod1, sizeof(mod1));
	assert_string_equal((char *)vm.mem.base + m[0].string, "mod0.txt a=1 b");
	assert_string_equal((char *)vm.mem.base + m[1].string, "mod1.bin");
	/* the strings live in the loader's area below MB_LOW_END */
	assert_true(mbi.cmdline >= MB_STRINGS && m[1].string < MB_LOW_END);
}

/* No arguments: QEMU still puts the space after the kernel's name. */
static void test_mb_empty_args(void **state)
{
	struct mb_info mbi;

	(void)state;
	boot_mb32("");
	memcpy(&mbi, vm.mem.base + MB_INFO, sizeof(mbi));
	assert_string_equal((char *)vm.mem.base + mbi.cmdline, "kernel.elf ");
}

static void test_mb_aout_kludge(void **state)
{
	struct aout_image ao;
	struct boot_image bi;
	char why[200];

	(void)state;
	make_aout(&ao);
	memset(vm.mem.base + AOUT_BASE, 0x77, 0x4000);
	assert_int_equal(load_any(&ao, sizeof(ao), &bi, why), 0);
	assert_int_equal(bi.entry, AOUT_BASE + offsetof(struct aout_image, text));
	assert_int_equal(bi.end, AOUT_BASE + 0x3000);
	assert_memory_equal(vm.mem.base + AOUT_BASE, &ao, sizeof(ao));
	for (unsigned i = sizeof(ao); i < 0x3000; i++)
		assert_int_equal(vm.mem.base[AOUT_BASE + i], 0);
	assert_int_equal(vm.mem.base[AOUT_BASE + 0x3000], 0x77);
	/* the header 16 bytes into the file, load_addr 16 bytes before the
	 * header: the file from its start; with load_end_addr 0, all of it */
	ao.mbh[5] = 0;
	assert_int_equal(load_any(&ao, sizeof(ao), &bi, why), 0);
	/* load_addr = header_addr: the file from the header on */
	make_aout(&ao);
	ao.mbh[4] = ao.mbh[3];
	ao.mbh[5] = 0;
	memset(vm.mem.base + AOUT_BASE, 0x77, 0x4000);
	assert_int_equal(load_any(&ao, sizeof(ao), &bi, why), 0);
	assert_memory_equal(vm.mem.base + ao.mbh[3], ao.mbh, sizeof(ao.mbh));
	/* ... and an ELF file with flag 16 is loaded by the fields too */
	struct mb32_image m;
	make_mb32(&m);
	uint8_t buf[sizeof(m) + 20];
	memcpy(buf, &m, sizeof(m));
	uint32_t k[8];
	mb_header(k, MB_FLAGS | MB_FLAG_AOUT_KLUDGE);
	k[3] = 0x300000 + offsetof(struct mb32_image, mbh);
	k[4] = 0x300000;
	k[5] = 0;
	k[6] = 0;
	k[7] = 0x300000 + sizeof(m);
	memcpy(buf + offsetof(struct mb32_image, mbh), k, sizeof(k));
	assert_int_equal(load_any(buf, sizeof(buf), &bi, why), 0);
	assert_int_equal(bi.entry, 0x300000 + sizeof(m));
	assert_memory_equal(vm.mem.base + 0x300000, buf, sizeof(buf));
}

/* An entry given as a virtual address (a higher-half kernel) goes
 * through its segment to the physical address, as in GRUB 2. */
static void test_mb_virtual_entry(void **state)
{
	struct mb32_image m;
	struct boot_image bi;
	char why[200];

	(void)state;
	make_mb32(&m);
	m.ph[0].p_vaddr = 0x80100000;
	m.eh.e_entry = 0x8010000c;
	assert_int_equal(load_any(&m, sizeof(m), &bi, why), 0);
	assert_int_equal(bi.entry, KBASE + 12);
	m.eh.e_entry = KBASE + 12;  /* a physical one is taken as it is */
	assert_int_equal(load_any(&m, sizeof(m), &bi, why), 0);
	assert_int_equal(bi.entry, KBASE + 12);
}

static void expect_mb_error(const void *img, size_t size, const char *words)
{
	struct boot_image bi;
	char why[200] = "";

	assert_int_equal(load_any(img, size, &bi, why), -1);
	if (!strstr(why, words) || strchr(why, '\n'))
		fail_msg("error \"%s\" does not say \"%s\"", why, words);
}

static void test_mb_rejects_bad_kernels(void **state)
{
	struct mb32_image m;
	struct aout_image ao;

	(void)state;
	make_mb32(&m);
	m.mbh[2]++;
	expect_mb_error(&m, sizeof(m), "bad checksum");

	make_mb32(&m);
	mb_header(m.mbh, MB_FLAGS | MB_FLAG_VIDEO_MODE);
	expect_mb_error(&m, sizeof(m), "video mode");

	make_mb32(&m);
	mb_header(m.mbh, MB_FLAGS | (1U << 5));
	expect_mb_error(&m, sizeof(m), "feature flag 5");

	make_mb32(&m);   /* flags 16-31 are optional: 17 is ignored */
	mb_header(m.mbh, MB_FLAGS | (1U << 17));
	struct boot_image bi;
	char why[200];
	assert_int_equal(load_any(&m, sizeof(m), &bi, why), 0);

	make_mb32(&m);
	m.ph[0].p_paddr = 0xa0000;
	expect_mb_error(&m, sizeof(m), "overlaps the EBDA and BIOS area");

	make_mb32(&m);
	m.ph[0].p_paddr = 0x9f000;
	expect_mb_error(&m, sizeof(m), "overlaps the EBDA and BIOS area");

	make_mb32(&m);
	m.ph[0].p_paddr = 0x8000;
	expect_mb_error(&m, sizeof(m), "overlaps the loader's structures");

	make_mb32(&m);
	m.ph[0].p_paddr = (4 << 20) - 0x800;
	expect_mb_error(&m, sizeof(m), "outside the available guest RAM");

	make_mb32(&m);   /* in RAM, but in the firmware's top 128 KiB */
	m.ph[0].p_paddr = (4 << 20) - 0x10000;
	expect_mb_error(&m, sizeof(m), "outside the available guest RAM");

	make_mb32(&m);
	m.eh.e_entry = 0x200000;
	expect_mb_error(&m, sizeof(m), "entry point");

	make_mb32(&m);
	m.ph[0].p_filesz = 0x100;       /* beyond the end of the file */
	expect_mb_error(&m, sizeof(m), "malformed sizes");

	make_mb32(&m);
	expect_mb_error(&m, offsetof(struct mb32_image, text) + 4,
			"malformed sizes");   /* a truncated file */

	make_mb32(&m);
	m.eh.e_machine = EM_X86_64;
	expect_mb_error(&m, sizeof(m), "not i386");

	make_aout(&ao);
	memcpy(ao.pad, "\0not", 4);
	uint32_t h[3];
	mb_header(h, MB_FLAGS);
	memcpy(ao.mbh, h, sizeof(h));
	expect_mb_error(&ao, sizeof(ao), "not an ELF file must give");

	make_aout(&ao);
	ao.mbh[4] = ao.mbh[3] + 4;      /* load_addr above header_addr */
	expect_mb_error(&ao, sizeof(ao), "before the file's start");

	make_aout(&ao);
	ao.mbh[4] = ao.mbh[3] - 0x100;  /* would start before the file */
	expect_mb_error(&ao, sizeof(ao), "before the file's start");

	make_aout(&ao);
	expect_mb_error(&ao, sizeof(ao) - 8, "the file ends before");

	make_aout(&ao);
	ao.mbh[5] = AOUT_BASE - 4;
	expect_mb_error(&ao, sizeof(ao), "load_end_addr");

	make_aout(&ao);
	ao.mbh[6] = AOUT_BASE + 8;
	expect_mb_error(&ao, sizeof(ao), "bss_end_addr");

	make_aout(&ao);
	ao.mbh[7] = AOUT_BASE + 0x3000;
	expect_mb_error(&ao, sizeof(ao), "entry point");

	make_aout(&ao);
	ao.mbh[3] = 0xf0010;
	ao.mbh[4] = 0xf0000;
	ao.mbh[5] = ao.mbh[6] = 0;
	ao.mbh[7] = 0xf0030;
	expect_mb_error(&ao, sizeof(ao), "overlaps the EBDA and BIOS area");
}

static void test_mb_module_errors(void **state)
{
	struct mb32_image m;
	struct boot_image bi;
	char why[200] = "";
	static char big[MB_LOW_END];
	struct mb_module_src mod = { "huge", mod1, 8 << 20 };

	(void)state;
	make_mb32(&m);
	assert_int_equal(load_any(&m, sizeof(m), &bi, why), 0);
	assert_int_equal(mb_boot_setup(&vm, &bi, "k", "", &mod, 1, why,
				       sizeof(why)), -1);
	assert_non_null(strstr(why, "module 0 at [0x102000"));
	assert_non_null(strstr(why, "outside the available guest RAM"));
	memset(big, 'x', sizeof(big) - 1);
	assert_int_equal(mb_boot_setup(&vm, &bi, "k", big, NULL, 0, why,
				       sizeof(why)), -1);
	assert_non_null(strstr(why, "command line and the module strings"));
}

/* loader_boot with files: the module's file is its string up to the
 * first space, and an image that is not multiboot takes no modules. */
static void test_mb_files(void **state)
{
	char kpath[] = "/tmp/test_loader_kXXXXXX";
	char mpath[] = "/tmp/test_loader_mXXXXXX";
	char mstring[64], why[300] = "";
	struct mb32_image m;
	struct image e64;
	struct mb_info mbi;
	struct mb_module mod;
	int kfd = mkstemp(kpath), mfd = mkstemp(mpath);

	(void)state;
	assert_true(kfd >= 0 && mfd >= 0);
	make_mb32(&m);
	assert_int_equal(write(kfd, &m, sizeof(m)), sizeof(m));
	assert_int_equal(write(mfd, mod0, sizeof(mod0) - 1), sizeof(mod0) - 1);
	close(kfd);
	close(mfd);
	snprintf(mstring, sizeof(mstring), "%s root=/dev/x", mpath);
	struct vm_options o = { .image = kpath, .cmdline = "console=ttyS0",
				.initrd = { mstring }, .ninitrd = 1 };
	if (loader_boot(&vm, &o, why, sizeof(why)) < 0)
		fail_msg("loader_boot: %s", why);
	memcpy(&mbi, vm.mem.base + MB_INFO, sizeof(mbi));
	memcpy(&mod, vm.mem.base + mbi.mods_addr, sizeof(mod));
	assert_int_equal(mbi.mods_count, 1);
	assert_string_equal((char *)vm.mem.base + mod.string, mstring);
	assert_memory_equal(vm.mem.base + mod.mod_start, mod0, sizeof(mod0) - 1);
	char want[64];
	snprintf(want, sizeof(want), "%s console=ttyS0", kpath);
	assert_string_equal((char *)vm.mem.base + mbi.cmdline, want);
	assert_int_equal(vm.vcpu.regs[GPR_RAX], MB_BOOTLOADER_MAGIC);

	o.initrd[0] = "/nonexistent/module";
	assert_int_equal(loader_boot(&vm, &o, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "cannot open /nonexistent/module"));

	make_image(&e64);
	kfd = open(kpath, O_WRONLY | O_TRUNC);
	assert_int_equal(write(kfd, &e64, sizeof(e64)), sizeof(e64));
	close(kfd);
	o.initrd[0] = mstring;
	assert_int_equal(loader_boot(&vm, &o, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "not a multiboot kernel"));
	o.ninitrd = 0;
	assert_int_equal(loader_boot(&vm, &o, why, sizeof(why)), 0);
	assert_int_equal(vm.vcpu.regs[GPR_RDI], BOOT_INFO);
	unlink(kpath);
	unlink(mpath);
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
		T(test_protocol_choice),
		T(test_header_search),
		T(test_mb_entry_state),
		T(test_mb_info),
		cmocka_unit_test_setup_teardown(test_mb_info_5g, setup_5g,
						teardown),
		T(test_mb_empty_args),
		T(test_mb_aout_kludge),
		T(test_mb_virtual_entry),
		T(test_mb_rejects_bad_kernels),
		T(test_mb_module_errors),
		T(test_mb_files),
	};
	return cmocka_run_group_tests_name("loader", tests, NULL, NULL);
}
