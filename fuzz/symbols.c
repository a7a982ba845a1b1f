/*
 * fuzz/symbols.c - the image's symbol table (monitor/symbols.c) on
 * arbitrary bytes.
 *
 * The input is an image file of either ELF class, given to symtab_load,
 * which reads its section headers, its .symtab and the .strtab it names.
 * Whatever the file holds, the table it builds must be sound: sorted with
 * one symbol per address, each covering a non-empty range, its name a
 * string inside the table's copy; every symbol found again by
 * symtab_lookup at its first and last address, and nothing found below
 * the first.  ASan sees any read past the copy of the file.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "monitor/symbols.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Symbol i is where the table says, and symtab_lookup finds it. */
static void check_symbol(const struct symtab *t, size_t i)
{
	const struct symbol *s = &t->sym[i];
	uint64_t off;

	if (s->end <= s->addr || (i && s->addr <= t->sym[i - 1].addr) ||
	    (i && s->addr < t->sym[i - 1].end))
		abort(); /* unsorted, empty or overlapping */
	if (symtab_lookup(t, s->addr, &off) != t->names + s->name || off)
		abort();
	if (symtab_lookup(t, s->end - 1, &off) != t->names + s->name ||
	    off != s->end - 1 - s->addr)
		abort();
	(void)strlen(t->names + s->name); /* ends inside the copy (ASan) */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct symtab t;
	uint64_t off;

	/* a copy of exactly size bytes: ASan sees any read past the file */
	uint8_t *img = malloc(size ? size : 1);
	if (!img)
		abort();
	memcpy(img, data, size);
	int n = symtab_load(&t, img, size);
	free(img); /* the table must not point into the file */
	if (n < -1 || (n == -1 && (t.n || t.sym || t.names)) ||
	    (n >= 0 && (size_t)n != t.n))
		abort(); /* a refused table leaves nothing; else its count */
	for (size_t i = 0; i < t.n; i++)
		check_symbol(&t, i);
	if (t.n && t.sym[0].addr && symtab_lookup(&t, t.sym[0].addr - 1, &off))
		abort();
	symtab_free(&t);
	return 0;
}
