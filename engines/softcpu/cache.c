/*
 * engines/softcpu/cache.c - the decoded-instruction cache.
 *
 * "Decode once, execute many times": a decoded record is kept in a
 * direct-mapped table of SC_ICACHE_SIZE slots indexed by the low bits of
 * the instruction's offset in guest RAM (its guest-physical address less
 * the PCI hole below it: gm_offset()).  Keying by physical rather than
 * linear address keeps records valid across page-table changes (two
 * mappings of one page share them) and puts the invalidation where the
 * bytes live.
 *
 * Invalidation works by page generations.  Every guest-physical page has
 * a generation number, and a record is valid only while the generation it
 * was decoded under is still its page's.  A page that holds records is
 * marked in page_code[]; the first write to it (by the guest through the
 * MMU, sc_code_write(), or by the monitor through engine->ram_written)
 * bumps the generation, which drops every record of the page at once, and
 * clears the mark so that further writes cost a single byte test.
 * Self-modifying code therefore works at page granularity, the way a real
 * CPU's snooping of its instruction cache would make it look.
 *
 * An instruction that crosses a page boundary is never cached: it depends
 * on two pages and two translations.  It is simply decoded again each time.
 */
#include <stdlib.h>
#include <string.h>

#include "engines/softcpu/softcpu.h"

int sc_cache_init(struct sc_cpu *c, uint64_t npages)
{
	/* Records are cache lines (their _Alignas), and so is the table. */
	c->icache = aligned_alloc(_Alignof(struct sc_insn),
				  SC_ICACHE_SIZE * sizeof(*c->icache));
	if (c->icache)
		memset(c->icache, 0, SC_ICACHE_SIZE * sizeof(*c->icache));
	c->page_gen = calloc(npages, sizeof(*c->page_gen));
	c->page_code = calloc(npages, sizeof(*c->page_code));
	c->npages = npages;
	if (!c->icache || !c->page_gen || !c->page_code) {
		sc_cache_fini(c);
		return -1;
	}
	return 0;
}

void sc_cache_fini(struct sc_cpu *c)
{
	free(c->icache);
	free(c->page_gen);
	free(c->page_code);
	c->icache = NULL;
	c->page_gen = NULL;
	c->page_code = NULL;
}

struct sc_insn *sc_cache_put(struct sc_cpu *c, uint64_t ram,
			     const struct sc_insn *d, bool unscanned)
{
	struct sc_insn *slot = &c->icache[ram & (SC_ICACHE_SIZE - 1)];
	uint64_t pg = ram >> PAGE_4K_SHIFT;

	*slot = *d;
	if (unscanned)
		slot->csz |= SC_CSZ_UNSCANNED;
	slot->tag = sc_cache_tag(ram, slot->csz);
	slot->gen = c->page_gen[pg];
	c->page_code[pg] = 1;
	return slot;
}

void sc_cache_invalidate(struct sc_cpu *c, uint64_t ram, uint64_t len)
{
	uint64_t first, last;

	if (len == 0 || ram >= c->npages << PAGE_4K_SHIFT)
		return;
	first = ram >> PAGE_4K_SHIFT;
	last = (ram + len - 1) >> PAGE_4K_SHIFT;
	if (last >= c->npages || last < first)
		last = c->npages - 1;
	for (uint64_t pg = first; pg <= last; pg++)
		sc_code_write(c, pg << PAGE_4K_SHIFT);
}

/*
 * --patch (patch/patch.h).  softcpu never writes a patch into guest RAM:
 * it lays the patches over the bytes it decodes, so that the guest's own
 * reads of its code (data accesses, through the MMU) see the original
 * bytes while its fetches see the trapping ones, the split a real CPU
 * cannot make.  The frames patch_enter() names are marked as holding code,
 * so that the first write to one comes to sc_code_write() and drops its
 * patches; when the patches of a frame change, what was decoded from it
 * before goes.  Code decoded at CPL 3 from a frame no scan has seen is
 * tagged SC_CSZ_UNSCANNED: at CPL 0 sc_cache_lookup() misses it, so the
 * kernel reaching the same bytes (an alias of a user page) comes here and
 * scans them first.
 */
const uint8_t *sc_patch_fetch(struct sc_cpu *c, const struct sc_tlb *e,
			      uint64_t lin, unsigned off, unsigned n,
			      uint8_t *buf)
{
	uint64_t watch[2];

	if (patch_enter(c->vm, lin, e->gpa + off, watch))
		sc_patch_forget(c, e->ram);
	/* A frame never scanned (user code): what is decoded from it must
	 * not run at CPL 0 before the frame is scanned. */
	c->patch_unscanned = watch[0] == PATCH_NONE;
	for (unsigned i = 0; i < 2; i++)
		if (watch[i] != PATCH_NONE && watch[i] >> PAGE_4K_SHIFT <
		    c->npages)
			c->page_code[watch[i] >> PAGE_4K_SHIFT] = 1;
	return patch_overlay(c->patch, e->ram, off, e->host + off, n, buf);
}

void sc_patch_forget(void *cpu, uint64_t frame)
{
	struct sc_cpu *c = cpu;
	uint64_t pg = frame >> PAGE_4K_SHIFT;

	if (pg < c->npages)
		c->page_gen[pg]++;
}
