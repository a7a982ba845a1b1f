/*
 * monitor/symbols.h - the guest image's symbol table: "main+0x12" for an
 * address.
 *
 * A kernel built with symbols carries them in its ELF file (the .symtab
 * section and the .strtab it names), whatever its class: trapvisor's own
 * ELF64 guests and multiboot ELF32 kernels alike.  The monitor reads
 * them once at boot, so that --trace and the message that ends a guest
 * say which function a RIP is in.  The addresses are the image's own
 * (st_value): guest-virtual for a kernel linked at its run address, as
 * toyos and the guests of guests/ are.  A stripped image, or one whose
 * table is malformed, simply has no symbols.
 */
#ifndef MONITOR_SYMBOLS_H
#define MONITOR_SYMBOLS_H

#include <stddef.h>
#include <stdint.h>

/* One function or code label: the addresses [addr, end) are its. */
struct symbol {
	uint64_t addr, end;
	uint32_t name;          /* offset of its name in symtab.names */
};

/* The table, sorted by address, no two symbols at one address. */
struct symtab {
	struct symbol *sym;
	size_t n;
	char *names;            /* a copy of the image's string table */
};

/*
 * Read the symbol table of the ELF32 or ELF64 image of size bytes at img
 * into *t (which the caller frees with symtab_free).  Keeps the defined
 * functions and untyped labels of allocated sections.  Every offset,
 * size and index is checked against the file before it is used.
 * Returns the number of symbols, 0 for an image without a table (not
 * ELF, stripped), or -1 for a malformed table; *t is empty then.
 */
int symtab_load(struct symtab *t, const uint8_t *img, size_t size);

void symtab_free(struct symtab *t);

/*
 * The symbol whose addresses hold va, and *off = va - its address; NULL
 * when none does (a table without symbols is a valid, empty one).
 */
const char *symtab_lookup(const struct symtab *t, uint64_t va, uint64_t *off);

/*
 * "main+0x12" ("main" at offset 0) into buf for va; "" when no symbol
 * holds it.  Returns buf.
 */
char *symtab_format(const struct symtab *t, uint64_t va, char *buf,
		    size_t len);

#endif /* MONITOR_SYMBOLS_H */
