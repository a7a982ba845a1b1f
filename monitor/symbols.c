/*
 * monitor/symbols.c - the guest image's symbol table, read from its ELF
 * section headers, sorted, and searched by address.
 *
 * The file is the guest's, so nothing in it is trusted: the section
 * header table, the symbol table and the string table must each lie
 * inside the file, a symbol's section index and name offset inside their
 * tables, and a name must end inside the string table.  Headers are
 * copied out with memcpy (the file need not be aligned; see
 * monitor/loader.c), and ELF32's are widened to ELF64's, so that the
 * rest of the code reads one layout.
 */
#include <elf.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "monitor/symbols.h"

/* What the parser needs of an ELF file of either class. */
struct elf_view {
	const uint8_t *img;
	size_t size;
	bool is64;
	uint64_t shoff;         /* the section header table */
	unsigned shnum;
};

/* Is [off, off + len) inside the file? */
static bool in_file(const struct elf_view *f, uint64_t off, uint64_t len)
{
	return off <= f->size && len <= f->size - off;
}

/* The ELF header's section table: a little-endian file of either class. */
static bool read_view(const uint8_t *img, size_t size, struct elf_view *f)
{
	*f = (struct elf_view){ .img = img, .size = size };
	if (size < EI_NIDENT || memcmp(img, ELFMAG, SELFMAG) != 0 ||
	    img[EI_DATA] != ELFDATA2LSB)
		return false;
	if (img[EI_CLASS] == ELFCLASS64 && size >= sizeof(Elf64_Ehdr)) {
		Elf64_Ehdr h;
		memcpy(&h, img, sizeof(h));
		if (h.e_shentsize != sizeof(Elf64_Shdr))
			return false;
		f->is64 = true;
		f->shoff = h.e_shoff;
		f->shnum = h.e_shnum;
	} else if (img[EI_CLASS] == ELFCLASS32 && size >= sizeof(Elf32_Ehdr)) {
		Elf32_Ehdr h;
		memcpy(&h, img, sizeof(h));
		if (h.e_shentsize != sizeof(Elf32_Shdr))
			return false;
		f->shoff = h.e_shoff;
		f->shnum = h.e_shnum;
	} else {
		return false;
	}
	return f->shnum && in_file(f, f->shoff, (uint64_t)f->shnum *
				   (f->is64 ? sizeof(Elf64_Shdr) :
				    sizeof(Elf32_Shdr)));
}

/* Section header i (i < shnum, checked by the caller), widened. */
static void read_shdr(const struct elf_view *f, unsigned i, Elf64_Shdr *sh)
{
	if (f->is64) {
		memcpy(sh, f->img + f->shoff + i * sizeof(*sh), sizeof(*sh));
		return;
	}
	Elf32_Shdr s;
	memcpy(&s, f->img + f->shoff + i * sizeof(s), sizeof(s));
	*sh = (Elf64_Shdr){ .sh_name = s.sh_name, .sh_type = s.sh_type,
		.sh_flags = s.sh_flags, .sh_addr = s.sh_addr,
		.sh_offset = s.sh_offset, .sh_size = s.sh_size,
		.sh_link = s.sh_link, .sh_info = s.sh_info,
		.sh_addralign = s.sh_addralign, .sh_entsize = s.sh_entsize };
}

/* Symbol i of the table at off (inside the file, checked by the caller). */
static void read_sym(const struct elf_view *f, uint64_t off, size_t i,
		     Elf64_Sym *s)
{
	if (f->is64) {
		memcpy(s, f->img + off + i * sizeof(*s), sizeof(*s));
		return;
	}
	Elf32_Sym y;
	memcpy(&y, f->img + off + i * sizeof(y), sizeof(y));
	*s = (Elf64_Sym){ .st_name = y.st_name, .st_info = y.st_info,
		.st_other = y.st_other, .st_shndx = y.st_shndx,
		.st_value = y.st_value, .st_size = y.st_size };
}

/* A symbol as the table is built: where its section ends, its rank. */
struct candidate {
	struct symbol s;
	uint64_t size;          /* st_size; 0 for a label */
	uint64_t section_end;
	int rank;               /* which to keep of two at one address */
};

/*
 * Is s a symbol for an address in code or data the image loads: a
 * function or an untyped label (what assembly's labels are), defined in
 * an allocated section, with a name that ends inside the string table?
 * Fills *c.
 */
static bool take_symbol(const struct elf_view *f, const Elf64_Sym *s,
			const char *strtab, uint64_t strsize,
			struct candidate *c)
{
	unsigned type = ELF64_ST_TYPE(s->st_info);
	Elf64_Shdr sec;

	if ((type != STT_FUNC && type != STT_NOTYPE) ||
	    s->st_shndx == SHN_UNDEF || s->st_shndx >= f->shnum ||
	    s->st_name == 0 || s->st_name >= strsize ||
	    !memchr(strtab + s->st_name, '\0', strsize - s->st_name))
		return false;
	read_shdr(f, s->st_shndx, &sec);
	if (!(sec.sh_flags & SHF_ALLOC) || s->st_value < sec.sh_addr ||
	    s->st_value - sec.sh_addr >= sec.sh_size)
		return false;
	c->s = (struct symbol){ .addr = s->st_value, .name = s->st_name };
	c->size = s->st_size;
	c->section_end = sec.sh_size > UINT64_MAX - sec.sh_addr ? UINT64_MAX :
			 sec.sh_addr + sec.sh_size;
	if (s->st_value >= c->section_end)
		return false; /* the last byte of the address space */
	c->rank = (type == STT_FUNC ? 2 : 0) +
		  (ELF64_ST_BIND(s->st_info) == STB_GLOBAL ? 1 : 0);
	return true;
}

/* By address; at one address the best-ranked first. */
static int candidate_cmp(const void *a, const void *b)
{
	const struct candidate *x = a, *y = b;

	if (x->s.addr != y->s.addr)
		return x->s.addr < y->s.addr ? -1 : 1;
	return y->rank - x->rank;
}

/*
 * From sorted candidates to the table: one symbol per address, each
 * ending at its size (a label: at its section's end), or sooner at the
 * next symbol, so that no two overlap and every address has one name.
 */
static size_t build_table(struct candidate *c, size_t n, struct symbol *out)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++) {
		if (k && out[k - 1].addr == c[i].s.addr)
			continue;
		uint64_t end = c[i].section_end;
		size_t j = i + 1;
		while (j < n && c[j].s.addr == c[i].s.addr)
			j++;
		if (c[i].size && c[i].size < end - c[i].s.addr)
			end = c[i].s.addr + c[i].size;
		if (j < n && c[j].s.addr < end)
			end = c[j].s.addr; /* a label inside: its own from here */
		out[k] = c[i].s;
		out[k++].end = end;
	}
	return k;
}

/* The table of symbol-table section sh, whose strings section sh_link
 * names.  Returns the count, or -1 when they do not fit the file. */
static int load_section(struct symtab *t, const struct elf_view *f,
			const Elf64_Shdr *sh)
{
	size_t entsize = f->is64 ? sizeof(Elf64_Sym) : sizeof(Elf32_Sym);
	Elf64_Shdr str;

	if (sh->sh_entsize != entsize || sh->sh_link >= f->shnum ||
	    !in_file(f, sh->sh_offset, sh->sh_size))
		return -1;
	read_shdr(f, sh->sh_link, &str);
	if (str.sh_type != SHT_STRTAB || str.sh_size == 0 ||
	    !in_file(f, str.sh_offset, str.sh_size))
		return -1;
	size_t nsyms = sh->sh_size / entsize;
	if (nsyms > INT32_MAX)
		return -1;
	const char *strtab = (const char *)f->img + str.sh_offset;
	struct candidate *c = calloc(nsyms ? nsyms : 1, sizeof(*c));
	t->names = malloc(str.sh_size);
	if (!c || !t->names) {
		free(c);
		return -1;
	}
	memcpy(t->names, strtab, str.sh_size);
	size_t n = 0;
	for (size_t i = 0; i < nsyms; i++) {
		Elf64_Sym s;
		read_sym(f, sh->sh_offset, i, &s);
		n += take_symbol(f, &s, strtab, str.sh_size, &c[n]);
	}
	qsort(c, n, sizeof(*c), candidate_cmp);
	t->sym = calloc(n ? n : 1, sizeof(*t->sym));
	if (t->sym)
		t->n = build_table(c, n, t->sym);
	free(c);
	return t->sym ? (int)t->n : -1;
}

int symtab_load(struct symtab *t, const uint8_t *img, size_t size)
{
	struct elf_view f;

	*t = (struct symtab){ 0 };
	if (!read_view(img, size, &f))
		return 0;
	for (unsigned i = 0; i < f.shnum; i++) {
		Elf64_Shdr sh;
		read_shdr(&f, i, &sh);
		if (sh.sh_type != SHT_SYMTAB)
			continue;
		int n = load_section(t, &f, &sh);
		if (n < 0)
			symtab_free(t);
		return n; /* the first table is the image's */
	}
	return 0;
}

void symtab_free(struct symtab *t)
{
	free(t->sym);
	free(t->names);
	*t = (struct symtab){ 0 };
}

const char *symtab_lookup(const struct symtab *t, uint64_t va, uint64_t *off)
{
	size_t lo = 0, hi = t->n;

	/* The last symbol at or below va: lo ends as the count of them. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (t->sym[mid].addr <= va)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0 || va >= t->sym[lo - 1].end)
		return NULL;
	*off = va - t->sym[lo - 1].addr;
	return t->names + t->sym[lo - 1].name;
}

char *symtab_format(const struct symtab *t, uint64_t va, char *buf,
		    size_t len)
{
	uint64_t off = 0;
	const char *name = t ? symtab_lookup(t, va, &off) : NULL;

	if (!name)
		snprintf(buf, len, "%s", "");
	else if (off)
		snprintf(buf, len, "%s+%#" PRIx64, name, off);
	else
		snprintf(buf, len, "%s", name);
	return buf;
}
