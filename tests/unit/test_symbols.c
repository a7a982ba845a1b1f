/*
 * tests/unit/test_symbols.c - the image's symbol table (monitor/symbols.c):
 * ELF64 and ELF32 images built in memory, field by field, with functions,
 * labels, aliases and symbols that must be left out; then stripped and
 * malformed tables, and every truncation of a good image; and the words
 * of monitor/trace.c that use it (trace_where, the --trace classes).
 */
#include <elf.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/vm.h"
#include "monitor/symbols.h"
#include "monitor/trace.h"

/* Where the parts of a test image lie in the file. */
#define STRTAB_OFF 0x100
#define SYMTAB_OFF 0x400
#define SHDR_OFF 0x800
#define NSECTIONS 5
#define TEXT 0x200000ULL      /* section 1: code, 0x100 bytes */
#define TEXT_SIZE 0x100
#define SEC_TEXT 1
#define SEC_SYMTAB 2
#define SEC_STRTAB 3
#define SEC_COMMENT 4         /* not allocated */
#define IMAGE_MAX (SHDR_OFF + NSECTIONS * sizeof(Elf64_Shdr))

struct spec {
	const char *name;
	unsigned type, bind;
	uint16_t shndx;
	uint64_t value, size;
};

/* The table every image carries, in no particular order. */
static const struct spec table[] = {
	{ "tail", STT_NOTYPE, STB_LOCAL, SEC_TEXT, TEXT + 0x80, 0 },
	{ "main", STT_FUNC, STB_GLOBAL, SEC_TEXT, TEXT + 0x10, 0x20 },
	{ "alias", STT_NOTYPE, STB_LOCAL, SEC_TEXT, TEXT + 0x10, 0 },
	{ "helper", STT_FUNC, STB_LOCAL, SEC_TEXT, TEXT + 0x40, 0x10 },
	{ "label", STT_NOTYPE, STB_GLOBAL, SEC_TEXT, TEXT + 0x60, 0 },
	{ "data_obj", STT_OBJECT, STB_GLOBAL, SEC_TEXT, TEXT + 0x50, 4 },
	{ "undef", STT_FUNC, STB_GLOBAL, SHN_UNDEF, 0, 0 },
	{ "abs", STT_NOTYPE, STB_GLOBAL, SHN_ABS, TEXT + 0x90, 0 },
	{ "noalloc", STT_FUNC, STB_GLOBAL, SEC_COMMENT, 0, 8 },
	{ "outside", STT_FUNC, STB_GLOBAL, SEC_TEXT, TEXT + TEXT_SIZE, 8 },
	{ "section", STT_SECTION, STB_LOCAL, SEC_TEXT, TEXT, 0 },
};
#define NSYMS (sizeof(table) / sizeof(table[0]) + 1) /* and the null one */

static void put_shdr(uint8_t *img, bool is64, unsigned i, uint32_t type,
		     uint64_t flags, uint64_t addr, uint64_t off,
		     uint64_t size, uint32_t link, uint64_t entsize)
{
	if (is64) {
		Elf64_Shdr s = { .sh_type = type, .sh_flags = flags,
			.sh_addr = addr, .sh_offset = off, .sh_size = size,
			.sh_link = link, .sh_entsize = entsize };
		memcpy(img + SHDR_OFF + i * sizeof(s), &s, sizeof(s));
	} else {
		Elf32_Shdr s = { .sh_type = type, .sh_flags = (uint32_t)flags,
			.sh_addr = (uint32_t)addr, .sh_offset = (uint32_t)off,
			.sh_size = (uint32_t)size, .sh_link = link,
			.sh_entsize = (uint32_t)entsize };
		memcpy(img + SHDR_OFF + i * sizeof(s), &s, sizeof(s));
	}
}

static void put_sym(uint8_t *img, bool is64, unsigned i, uint32_t name,
		    const struct spec *p)
{
	unsigned char info = (unsigned char)((p->bind << 4) | p->type);

	if (is64) {
		Elf64_Sym s = { .st_name = name, .st_info = info,
			.st_shndx = p->shndx, .st_value = p->value,
			.st_size = p->size };
		memcpy(img + SYMTAB_OFF + i * sizeof(s), &s, sizeof(s));
	} else {
		Elf32_Sym s = { .st_name = name, .st_info = info,
			.st_shndx = p->shndx, .st_value = (uint32_t)p->value,
			.st_size = (uint32_t)p->size };
		memcpy(img + SYMTAB_OFF + i * sizeof(s), &s, sizeof(s));
	}
}

/* An executable with the sections above; returns its size. */
static size_t make_elf(uint8_t *img, bool is64)
{
	size_t symsize = is64 ? sizeof(Elf64_Sym) : sizeof(Elf32_Sym);
	uint32_t str = 1; /* the string table starts with its empty name */

	memset(img, 0, IMAGE_MAX);
	memcpy(img, ELFMAG, SELFMAG);
	img[EI_CLASS] = is64 ? ELFCLASS64 : ELFCLASS32;
	img[EI_DATA] = ELFDATA2LSB;
	img[EI_VERSION] = EV_CURRENT;
	if (is64) {
		Elf64_Ehdr h;
		memcpy(&h, img, sizeof(h));
		h.e_type = ET_EXEC, h.e_machine = EM_X86_64;
		h.e_shoff = SHDR_OFF, h.e_shnum = NSECTIONS;
		h.e_shentsize = sizeof(Elf64_Shdr);
		memcpy(img, &h, sizeof(h));
	} else {
		Elf32_Ehdr h;
		memcpy(&h, img, sizeof(h));
		h.e_type = ET_EXEC, h.e_machine = EM_386;
		h.e_shoff = SHDR_OFF, h.e_shnum = NSECTIONS;
		h.e_shentsize = sizeof(Elf32_Shdr);
		memcpy(img, &h, sizeof(h));
	}
	for (unsigned i = 0; i < NSYMS - 1; i++) {
		size_t len = strlen(table[i].name) + 1;
		memcpy(img + STRTAB_OFF + str, table[i].name, len);
		put_sym(img, is64, i + 1, str, &table[i]);
		str += (uint32_t)len;
	}
	put_shdr(img, is64, SEC_TEXT, SHT_PROGBITS, SHF_ALLOC | SHF_EXECINSTR,
		 TEXT, 0, TEXT_SIZE, 0, 0);
	put_shdr(img, is64, SEC_SYMTAB, SHT_SYMTAB, 0, 0, SYMTAB_OFF,
		 NSYMS * symsize, SEC_STRTAB, symsize);
	put_shdr(img, is64, SEC_STRTAB, SHT_STRTAB, 0, 0, STRTAB_OFF, str, 0,
		 0);
	put_shdr(img, is64, SEC_COMMENT, SHT_PROGBITS, 0, 0, 0, 0x10, 0, 0);
	return SHDR_OFF + NSECTIONS * (is64 ? sizeof(Elf64_Shdr) :
				       sizeof(Elf32_Shdr));
}

/* name+off for va, or "" */
static const char *at(const struct symtab *t, uint64_t va)
{
	static char buf[64];

	return symtab_format(t, va, buf, sizeof(buf));
}

/* The lookups every good image must answer. */
static void check_table(const struct symtab *t)
{
	uint64_t off = 99;

	/* main, helper, label, tail: alias loses to main at one address;
	 * objects, undefined, absolute, unallocated, outside its section
	 * and section symbols are left out. */
	assert_int_equal(t->n, 4);
	assert_string_equal(at(t, TEXT + 0x10), "main");
	assert_string_equal(at(t, TEXT + 0x2f), "main+0x1f");
	assert_string_equal(at(t, TEXT + 0x30), "");   /* past main's size */
	assert_string_equal(at(t, TEXT + 0x45), "helper+0x5");
	assert_string_equal(at(t, TEXT + 0x50), "");   /* data_obj: no */
	assert_string_equal(at(t, TEXT + 0x6f), "label+0xf");
	assert_string_equal(at(t, TEXT + 0x7f), "label+0x1f"); /* to tail */
	assert_string_equal(at(t, TEXT + 0x90), "tail+0x10");  /* abs: no */
	assert_string_equal(at(t, TEXT + 0xff), "tail+0x7f");
	assert_string_equal(at(t, TEXT + 0x100), "");  /* the section ends */
	assert_string_equal(at(t, TEXT + 0xf), "");
	assert_string_equal(at(t, 0), "");
	assert_string_equal(at(t, UINT64_MAX), "");
	assert_null(symtab_lookup(t, TEXT, &off));
	assert_string_equal(symtab_lookup(t, TEXT + 0x12, &off), "main");
	assert_int_equal(off, 2);
}

static void test_elf64(void **state)
{
	uint8_t img[IMAGE_MAX];
	struct symtab t;
	size_t size = make_elf(img, true);

	(void)state;
	assert_int_equal(symtab_load(&t, img, size), 4);
	check_table(&t);
	symtab_free(&t);
	assert_int_equal(t.n, 0);
}

static void test_elf32(void **state)
{
	uint8_t img[IMAGE_MAX];
	struct symtab t;
	size_t size = make_elf(img, false);

	(void)state;
	assert_int_equal(symtab_load(&t, img, size), 4);
	check_table(&t);
	symtab_free(&t);
}

/* No table is no error: not ELF, no section headers, no .symtab. */
static void test_no_symbols(void **state)
{
	uint8_t img[IMAGE_MAX];
	struct symtab t;
	size_t size = make_elf(img, true);
	Elf64_Ehdr h;

	(void)state;
	assert_int_equal(symtab_load(&t, (const uint8_t *)"#!/bin/sh\n", 10),
			 0);
	assert_string_equal(at(&t, TEXT + 0x10), "");
	memcpy(&h, img, sizeof(h));
	h.e_shnum = 0; /* stripped of its section headers */
	memcpy(img, &h, sizeof(h));
	assert_int_equal(symtab_load(&t, img, size), 0);
	size = make_elf(img, true); /* strip removes .symtab itself */
	put_shdr(img, true, SEC_SYMTAB, SHT_NULL, 0, 0, 0, 0, 0, 0);
	assert_int_equal(symtab_load(&t, img, size), 0);
	assert_string_equal(symtab_format(NULL, TEXT, (char[8]){ 0 }, 8), "");
}

/* A broken table: no symbols, never a read outside the file. */
static void test_malformed(void **state)
{
	uint8_t img[IMAGE_MAX];
	struct symtab t;
	size_t size;
	Elf64_Ehdr h;

	(void)state;
	/* the section header table beyond the end of the file */
	size = make_elf(img, true);
	memcpy(&h, img, sizeof(h));
	h.e_shoff = size - 8;
	memcpy(img, &h, sizeof(h));
	assert_int_equal(symtab_load(&t, img, size), 0);
	/* a section header size that is neither class's */
	size = make_elf(img, true);
	memcpy(&h, img, sizeof(h));
	h.e_shentsize = sizeof(Elf32_Shdr);
	memcpy(img, &h, sizeof(h));
	assert_int_equal(symtab_load(&t, img, size), 0);
	/* the string table beyond the file */
	size = make_elf(img, true);
	put_shdr(img, true, SEC_STRTAB, SHT_STRTAB, 0, 0, size - 4, 64, 0, 0);
	assert_int_equal(symtab_load(&t, img, size), -1);
	assert_int_equal(t.n, 0);
	assert_null(t.sym);
	/* the symbols' link to a section that does not exist */
	size = make_elf(img, true);
	put_shdr(img, true, SEC_SYMTAB, SHT_SYMTAB, 0, 0, SYMTAB_OFF,
		 NSYMS * sizeof(Elf64_Sym), 77, sizeof(Elf64_Sym));
	assert_int_equal(symtab_load(&t, img, size), -1);
	/* ... or to one that holds no strings */
	put_shdr(img, true, SEC_SYMTAB, SHT_SYMTAB, 0, 0, SYMTAB_OFF,
		 NSYMS * sizeof(Elf64_Sym), SEC_TEXT, sizeof(Elf64_Sym));
	assert_int_equal(symtab_load(&t, img, size), -1);
	/* ELF32's symbol size in an ELF64 file */
	put_shdr(img, true, SEC_SYMTAB, SHT_SYMTAB, 0, 0, SYMTAB_OFF,
		 NSYMS * sizeof(Elf64_Sym), SEC_STRTAB, sizeof(Elf32_Sym));
	assert_int_equal(symtab_load(&t, img, size), -1);
	/* the symbols running past the end of the file */
	put_shdr(img, true, SEC_SYMTAB, SHT_SYMTAB, 0, 0, SYMTAB_OFF,
		 UINT64_MAX - 8, SEC_STRTAB, sizeof(Elf64_Sym));
	assert_int_equal(symtab_load(&t, img, size), -1);
}

/* Names that leave their table, and section indices beyond the table,
 * drop those symbols only. */
static void test_bad_symbols_left_out(void **state)
{
	uint8_t img[IMAGE_MAX];
	struct symtab t;
	size_t size = make_elf(img, true);
	struct spec far_name = { "", STT_FUNC, STB_GLOBAL, SEC_TEXT,
				 TEXT + 0x10, 0x20 };
	struct spec far_section = { "", STT_FUNC, STB_GLOBAL, 40,
				    TEXT + 0x40, 0x10 };
	Elf64_Shdr str;

	(void)state;
	put_sym(img, true, 2, 0x7fffffff, &far_name);    /* main */
	put_sym(img, true, 4, 1, &far_section);          /* helper */
	assert_int_equal(symtab_load(&t, img, size), 3);
	assert_string_equal(at(&t, TEXT + 0x10), "alias");
	assert_string_equal(at(&t, TEXT + 0x45), "alias+0x35");
	symtab_free(&t);
	/* A string table that ends inside a name ("\0tail\0mai"): that
	 * name has no end, and the names after it are outside the table. */
	size = make_elf(img, true);
	memcpy(&str, img + SHDR_OFF + SEC_STRTAB * sizeof(str), sizeof(str));
	str.sh_size = 9;
	memcpy(img + SHDR_OFF + SEC_STRTAB * sizeof(str), &str, sizeof(str));
	assert_int_equal(symtab_load(&t, img, size), 1);
	assert_string_equal(at(&t, TEXT + 0x10), "");
	assert_string_equal(at(&t, TEXT + 0x81), "tail+0x1");
	symtab_free(&t);
}

/* Every prefix of a good image of either class: an answer, no crash (the
 * ASan build sees any read past the copy). */
static void test_truncated(void **state)
{
	uint8_t img[IMAGE_MAX];

	(void)state;
	for (int is64 = 0; is64 < 2; is64++) {
		size_t size = make_elf(img, is64);
		for (size_t n = 0; n <= size; n++) {
			uint8_t *copy = malloc(n ? n : 1);
			struct symtab t;
			assert_non_null(copy);
			memcpy(copy, img, n);
			int r = symtab_load(&t, copy, n);
			assert_true(r == -1 || r == 0 || (r == 4 && n == size));
			symtab_free(&t);
			free(copy);
		}
	}
}

/* trace_where: the address, and the function when the table has it. */
static void test_trace_where(void **state)
{
	uint8_t img[IMAGE_MAX];
	struct symtab t;
	struct vm vm = { .symbols = &t };
	char buf[TRACE_WHERE_LEN];

	(void)state;
	assert_int_equal(symtab_load(&t, img, make_elf(img, true)), 4);
	assert_string_equal(trace_where(&vm, TEXT + 0x11, buf, sizeof(buf)),
			    "0x200011 <main+0x1>");
	assert_string_equal(trace_where(&vm, TEXT + 0x30, buf, sizeof(buf)),
			    "0x200030");
	vm.symbols = NULL;
	assert_string_equal(trace_where(&vm, TEXT + 0x11, buf, sizeof(buf)),
			    "0x200011");
	symtab_free(&t);
}

/* --trace=CLASSES */
static void test_trace_classes(void **state)
{
	unsigned mask = 0;
	char bad[16];

	(void)state;
	assert_int_equal(trace_parse_classes("io", &mask, bad, sizeof(bad)), 0);
	assert_int_equal(mask, 1u << TRACE_IO);
	assert_int_equal(trace_parse_classes("pf,exc,io", &mask, bad,
					     sizeof(bad)), 0);
	assert_int_equal(mask, (1u << TRACE_PF) | (1u << TRACE_EXC) |
			 (1u << TRACE_IO));
	assert_int_equal(trace_parse_classes("all", &mask, bad, sizeof(bad)),
			 0);
	assert_int_equal(mask, TRACE_ALL);
	assert_int_equal(trace_parse_classes("io,,cr", &mask, bad,
					     sizeof(bad)), -1);
	assert_string_equal(bad, "");
	assert_int_equal(trace_parse_classes("cr,irqs", &mask, bad,
					     sizeof(bad)), -1);
	assert_string_equal(bad, "irqs");
	assert_int_equal(trace_parse_classes("i", &mask, bad, sizeof(bad)),
			 -1);
	assert_string_equal(bad, "i");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_elf64),
		cmocka_unit_test(test_elf32),
		cmocka_unit_test(test_no_symbols),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_bad_symbols_left_out),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_trace_where),
		cmocka_unit_test(test_trace_classes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
