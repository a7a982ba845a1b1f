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
 * marked in page_code[] (sc_code_mark, which also takes the write tag
 * from every TLB entry of the page, so that a store to it misses the
 * MMU's fast path: mmu.c); the first write to it (by the guest through
 * the MMU, sc_code_write(), or by the monitor through engine->ram_written)
 * bumps the generation, which drops every record of the page at once, and
 * clears the mark, so that further writes take the fast path again.
 * Self-modifying code therefore works at page granularity, the way a real
 * CPU's snooping of its instruction cache would make it look.
 *
 * An instruction that crosses a page boundary is never cached: it depends
 * on two pages and two translations.  It is simply decoded again each time.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "engines/softcpu/softcpu.h"

/*
 * The two direct-mapped tables are big (the block table 4.4 MB, the
 * record cache 2 MB) and mostly empty: a guest's hot code fills a few
 * hundred of their slots.  So they are anonymous mappings, which the
 * kernel hands out as zero-filled pages on their first touch, not heap
 * memory cleared up front: a slot's page costs memory only once a block
 * or a record lands in it, and "empty" is the zero tag that a fresh page
 * already holds.  Pages are 4 KiB-aligned, more than a record's cache
 * line asks.
 */
static void *table_alloc(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

static void table_free(void *p, size_t size)
{
	if (p)
		munmap(p, size);
}

int sc_cache_init(struct sc_cpu *c, uint64_t npages)
{
	c->icache = table_alloc(SC_ICACHE_SIZE * sizeof(*c->icache));
	c->blocks = table_alloc(SC_NBLOCKS * sizeof(*c->blocks));
	c->page_gen = calloc(npages, sizeof(*c->page_gen));
	c->page_code = calloc(npages, sizeof(*c->page_code));
	c->npages = npages;
	if (!c->icache || !c->blocks || !c->page_gen || !c->page_code) {
		sc_cache_fini(c);
		return -1;
	}
	return 0;
}

void sc_cache_fini(struct sc_cpu *c)
{
	table_free(c->icache, SC_ICACHE_SIZE * sizeof(*c->icache));
	table_free(c->blocks, SC_NBLOCKS * sizeof(*c->blocks));
	free(c->page_gen);
	free(c->page_code);
	c->icache = NULL;
	c->blocks = NULL;
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
	sc_code_mark(c, ram);
	return slot;
}

/*
 * The handlers after which a block ends: every control transfer, what
 * may load CS or SS or change the mode, what repeats (rep, which yields
 * with RIP on it), popf (which may set TF: the single-step trap is the run
 * loop's, per instruction) and whatever traps.  The run loop does not
 * rely on this list for correctness: after each instruction it checks
 * that RIP went to the next one and that the page was not written, and
 * it reads every handler's result.  The list only keeps blocks from
 * holding records that would not run.
 */
static sc_fn *const block_enders[] = {
	op_jcc, op_jmp_rel, op_call_rel, op_ret, op_jmp_e, op_call_e, op_loop,
	op_jrcxz, op_far_e, op_far_ptr, op_lret,
	op_movs, op_stos, op_lods, op_cmps, op_scas,
	op_popf, op_into, op_bound,
	op_priv, op_int3, op_int, op_int1, op_syscall, op_sysenter,
	op_mov_sreg_e, op_pop_sreg, op_load_far, op_ud,
};

/* Is record d a jcc (70-7F, 0F 80-8F)? */
static bool jcc_opcode(const struct sc_insn *d)
{
	return (d->map == 1 && (d->opc & 0xf0) == 0x70) ||
	       (d->map == 2 && (d->opc & 0xf0) == 0x80);
}

bool sc_block_ends(const struct sc_insn *d)
{
	sc_fn *fn = d->fn;

	/* jcc, whose handlers are one per condition (sc_jcc_form), and
	 * call rel32 and ret, which may have their fast forms
	 * (sc_callret_form) */
	if (jcc_opcode(d) ||
	    (d->map == 1 && (d->opc == 0xe8 || d->opc == 0xc2 ||
			     d->opc == 0xc3)))
		return true;
	for (size_t i = 0; i < sizeof(block_enders) / sizeof(*block_enders); i++)
		if (block_enders[i] == fn)
			return true;
	return false;
}

/*
 * A block's taken pointer (softcpu.h's sc_chain follows it unchecked).
 * sc_block_link sets b->taken = s only when
 *   - b ends in a 64-bit jcc or call rel32 (rel_branch) whose target,
 *     b's first byte's RAM offset plus the branch's offset, length and
 *     displacement, lies in b's page
 *     and is s's first byte, for b's code size (s->tag: a linear target
 *     in the page of b's RIP is that byte; the 4 KiB page is the unit of
 *     translation and the low 12 bits are the same in both);
 *   - s is made of fast forms only (s->threaded);
 *   - s was decoded under b's generation of the page (chain_next checked
 *     it, and b was valid: it had just run).
 * Each stays true for as long as b's slot and s's slot hold them:
 *   - a block's records, tag and generation change only when its slot is
 *     built anew (sc_block_build), which first undoes both pointers
 *     between it and its partner (block_unlink): taken_from names the
 *     one block that points at a block (a second jcc or call to the
 *     same block is not linked, and goes through the loop);
 *   - a write into the page moves its generation without touching the
 *     slots, but then b itself is stale, and a stale block never runs
 *     again: the run loop and chain_next enter a block only when its
 *     generation is the page's, and a taken pointer leads only from a
 *     block to one of the same generation, which by induction was
 *     entered that way (a write by the chain itself stops the chain:
 *     code_written).  A block built after the write starts with no
 *     taken pointer.
 * The page of the target is the code page the loop translated (b's
 * page), so that a crossing needs neither the canonical check nor the
 * code_vpn one.
 *
 * A self-loop, a jcc back to its own block's first byte (s is b), meets
 * every condition above as soon as b is built, so that sc_block_build
 * links it then, and no other block's link waits on it: b->taken = b
 * takes no taken_from, which stays free for one other block's jcc into
 * b.  Its one slot holds both ends, so that building the slot anew
 * undoes it with the rest (block_unlink: a self-link is not a partner's
 * taken_from to clear; taken_from is never b).  A call to its own
 * block's first byte (a function that calls itself first thing) is
 * linked the same way; the call has no self form, and goes round with
 * sc_chain, which moves the chain's bookkeeping to b as to any block.
 */
static uint64_t rel_target_tag(const struct sc_block *b)
{
	const struct sc_insn *j = &b->insn[b->n - 1];

	return b->tag + j->boff + j->len + j->imm;
}

/* Is record j a jcc or a call rel32, whose target is its fall-through
 * plus its displacement (sc_chain)? */
static bool rel_branch(const struct sc_insn *j)
{
	return jcc_opcode(j) || (j->map == 1 && j->opc == 0xe8);
}

void sc_block_link(struct sc_block *b, struct sc_block *s)
{
	const struct sc_insn *j = &b->insn[b->n - 1];
	uint64_t t = rel_target_tag(b);

	if (b->taken || (s != b && s->taken_from) || !s->threaded ||
	    !j->threaded || j->osz != 8 || t != s->tag ||
	    t >> PAGE_4K_SHIFT != b->tag >> PAGE_4K_SHIFT || !rel_branch(j))
		return;
	b->taken = s;
	if (s != b) /* a self-loop: the slot holds both ends */
		s->taken_from = b;
}

/* Slot b is about to hold another block: no taken pointer may lead into
 * it or out of it any more.  Its own self-link is only b->taken: clearing
 * "its target's taken_from" there would clear b's, and lose the other
 * block's pointer into b. */
static void block_unlink(struct sc_block *b)
{
	if (b->taken && b->taken != b)
		b->taken->taken_from = NULL;
	if (b->taken_from)
		b->taken_from->taken = NULL;
	b->taken = b->taken_from = NULL;
}

/*
 * Dead flags.  Most flag-setting instructions of compiled code are
 * followed, a few instructions on, by another that sets all six status
 * flags again (an add, then the loop's cmp) with nothing between that
 * looks at them.  The lazy state the first one stores is then never read,
 * and the builder gives its record the dead-flag form (alu.c's
 * sc_alu_dead_form), which skips the stores.  The flags of record i are
 * dead when, walking from it to the end of its block:
 *   - a later record k of the block sets all six and reads none: a
 *     register form of add, or, and, sub, xor or cmp (sc_alu_dead_form
 *     knows them; adc and sbb read CF, inc and dec keep it: neither
 *     kind is one), or the fused cmp and jcc at the block's end, whose
 *     cmp sets them before its jcc reads them;
 *   - every record from i + 1 to k - 1 neither reads nor writes flags
 *     and can neither fault nor stop nor leave the chain: mov between
 *     registers and lea (misc.c's register forms of op_mov_eg,
 *     op_mov_ge and op_lea), or a record given its dead-flag form
 *     already (whose own flags are dead: the same walk, from it on);
 *     a memory operand, even a fast form's, may fault, and the #PF must
 *     push record i's flags, so it ends the walk, as do setcc, jcc,
 *     adc, sbb and every general handler;
 *   - each record from i to k - 1 chains to the next (sc_next: fast
 *     forms, 64-bit code), so that nothing but k's handler runs after
 *     them.
 * Then nothing can see the flags between i and k, because
 *   - a block is entered only at its first record (the run loop,
 *     chain_next and sc_chain all look blocks up by the tag of their
 *     first byte, and run_records goes from record to record), and runs
 *     only when all of it fits in the instruction budget: a --icount
 *     deadline, a kick or the end of a slice falls between blocks, never
 *     between i and k; the one-instruction path (the debugger, TF, the
 *     gdb stub's single step, --patch, a budget smaller than the block)
 *     runs the cache's records, which sc_cache_put copies from a fresh
 *     decode and which are never given dead-flag forms;
 *   - the records between are chained fast forms that cannot fault: the
 *     chain goes from i to k with no stop, no exception (whose frame
 *     would push RFLAGS), no exit to the monitor (which reads RFLAGS:
 *     end_run) and no write to decoded code (code_written, which only a
 *     general handler can set);
 *   - k overwrites all of the lazy state (lz_kind and the operands or
 *     the result) without reading it.
 * The walk goes backwards, with "dead" the fact that the flags standing
 * after the record are overwritten, unseen, by a later one.
 */
static void block_dead_flags(struct sc_block *b, unsigned n, bool fused)
{
	unsigned i = fused ? n - 2 : n; /* the fused cmp sets them all */
	bool dead = fused; /* before record i: at the block's end, seen */

	while (i-- > 0) {
		struct sc_insn *d = &b->insn[i];
		sc_fn *nf = sc_alu_dead_form(d);
		bool after = dead && d->threaded && d[1].threaded;

		if (nf && after)
			d->fn = nf;
		dead = nf ? true
			  : after && (d->fn == sc_reg_form(op_mov_eg, d) ||
				      d->fn == sc_reg_form(op_mov_ge, d) ||
				      d->fn == sc_reg_form(op_lea, d));
	}
}

/*
 * A block is decoded straight from the page's bytes: the run loop does
 * not build blocks under --patch (whose overlay sc_patch_fetch() lays
 * over the bytes) or under the debugger, and an instruction that would
 * run into the next page ends the block before it.
 */
struct sc_block *sc_block_build(struct sc_cpu *c, const struct sc_tlb *e,
				unsigned off)
{
	uint64_t ram = sc_tlb_ram(c, e);
	uint64_t tag = sc_cache_tag(ram + off, c->csz);
	struct sc_block *b = &c->blocks[(tag ^ tag >> 12) & (SC_NBLOCKS - 1)];
	uint64_t pg = ram >> PAGE_4K_SHIFT;
	const uint8_t *host = sc_tlb_host(e);
	unsigned n = 0, start = off;

	block_unlink(b);
	while (n < SC_BLOCK_MAX && off < PAGE_4K) {
		unsigned avail = PAGE_4K - off < 15 ? PAGE_4K - off : 15;
		struct sc_insn *d = &b->insn[n];

		if (sc_decode(host + off, avail, c->csz, d) != SC_DEC_OK)
			break;
		c->decodes++;
		d->boff = (uint16_t)(off - start);
		n++;
		off += d->len;
		if (sc_block_ends(d))
			break;
	}
	if (n == 0) {
		b->tag = 0;
		return NULL;
	}
	/* The fast forms' chain (sc_next), in 64-bit code only: there is no
	 * CS.limit to check before the next record.  A block that ends in
	 * cmp and jne or jbe runs the two with one handler (branch.c). */
	if (c->csz == 8 && n >= 2) {
		sc_fn *fused = sc_cmp_jcc_form(&b->insn[n - 2], &b->insn[n - 1]);
		if (fused)
			b->insn[n - 2].fn = fused;
		block_dead_flags(b, n, fused != NULL);
	}
	b->threaded = c->csz == 8 && b->insn[n - 1].threaded;
	for (unsigned i = 0; i + 1 < n; i++) {
		b->insn[i].chain = c->csz == 8 && b->insn[i].threaded &&
				   b->insn[i + 1].threaded;
		if (b->insn[i].chain) /* sc_next */
			b->insn[i].hop = b->insn[i + 1].fn;
		b->threaded = b->threaded && b->insn[i].chain;
	}
	b->tag = tag;
	b->gen = c->page_gen[pg];
	b->n = (uint16_t)n;
	b->bytes = (uint16_t)(off - start);
	b->succ[0] = b->succ[1] = NULL;
	/* A self-loop is linked to itself from its first run, and its jcc
	 * (and a fused cmp before it) run in their self forms (branch.c),
	 * which the record before each hops to (b is threaded: all chain). */
	sc_block_link(b, b);
	for (unsigned i = n >= 2 ? n - 2 : 0; b->taken == b && i < n; i++) {
		sc_fn *self = sc_self_form(b->insn[i].fn);
		if (!self)
			continue;
		b->insn[i].fn = self;
		if (i > 0)
			b->insn[i - 1].hop = self;
	}
	sc_code_mark(c, ram);
	c->built++;
	return b;
}

/* sc_next's hop where there is no record to chain to: retire the chain
 * up to the record before next (which is not read). */
int sc_chain_end(struct sc_cpu *c, const struct sc_insn *next)
{
	return sc_retire(c, next - 1);
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
	uint64_t watch[2], ram = sc_tlb_ram(c, e);

	if (patch_enter(c->vm, lin, sc_tlb_gpa(e) + off, watch))
		sc_patch_forget(c, ram);
	/* A frame never scanned (user code): what is decoded from it must
	 * not run at CPL 0 before the frame is scanned. */
	c->patch_unscanned = watch[0] == PATCH_NONE;
	for (unsigned i = 0; i < 2; i++)
		if (watch[i] != PATCH_NONE && watch[i] >> PAGE_4K_SHIFT <
		    c->npages)
			sc_code_mark(c, watch[i]);
	return patch_overlay(c->patch, ram, off, sc_tlb_host(e) + off, n,
			     buf);
}

void sc_patch_forget(void *cpu, uint64_t frame)
{
	struct sc_cpu *c = cpu;
	uint64_t pg = frame >> PAGE_4K_SHIFT;

	if (pg < c->npages)
		c->page_gen[pg]++;
}
