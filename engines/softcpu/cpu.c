/*
 * engines/softcpu/cpu.c - the softcpu engine: its ops and the run loop.
 *
 * run() is the fetch-execute loop of a CPU at CPL 3: translate RIP for a
 * fetch (CS.base + EIP outside 64-bit mode, within CS.limit), find the
 * decoded record (decoding it the first time, as code of the current code
 * size), call its handler, retire.  Everything that ends the loop is
 * reported in the struct vm_exit the dispatcher passed in: an exception
 * with x86 fault semantics (RIP still on the instruction, nothing
 * changed), a trap (RIP after it), syscall, a stop request (vm->kick,
 * single-step).
 *
 * The loop checks vm->kick every SC_SLICE instructions, which bounds the
 * time a timer signal waits for the engine to come back.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "engines/softcpu/softcpu.h"
#include "core/engine.h"
#include "core/vm.h"
#include "shadowpt/shadowpt.h"

int sc_fault(struct sc_cpu *c, uint8_t vector, bool has_error, uint32_t err)
{
	struct vm_exit *e = c->exit;

	e->reason = EXIT_EXCEPTION;
	e->rip = c->v->rip;
	e->exc.vector = vector;
	e->exc.has_error = has_error;
	e->exc.error = has_error ? err : 0;
	e->exc.address = 0;
	return SC_STOP;
}

int sc_gp(struct sc_cpu *c, uint32_t err)
{
	return sc_fault(c, T_GP, true, err);
}

int sc_ud(struct sc_cpu *c)
{
	return sc_fault(c, T_UD, false, 0);
}

int sc_trap(struct sc_cpu *c, uint8_t vector)
{
	sc_fault(c, vector, false, 0);
	c->v->rip = c->next;
	c->v->instructions++;
	return SC_STOP;
}

int sc_internal(struct sc_cpu *c, const char *why)
{
	c->exit->reason = EXIT_INTERNAL;
	c->exit->rip = c->v->rip;
	c->exit->why = why;
	return SC_STOP;
}

int sc_unsupported(struct sc_cpu *c, const char *why)
{
	vm_kill_at(c->vm, VM_EXIT_TRIPLE_FAULT, c->v->rip, "%s", why);
	c->exit->reason = EXIT_INTERRUPT; /* nothing left to do but stop */
	c->exit->rip = c->v->rip;
	return SC_STOP;
}

/*
 * Is segment s flat: usable (P), base 0, limit 4 GiB - 1, writable
 * expand-up data?  Then accesses through it need no checks: no offset can
 * fail its limit or type, and one that runs past 4 GiB crosses a page,
 * which takes the MMU's slow path, which checks it.
 */
static bool seg_flat(const struct vcpu_segment *s)
{
	unsigned type = s->attr & 0xf;

	return (s->attr & SC_ATTR_P) && (s->attr & SC_ATTR_S) &&
	       s->base == 0 && s->limit == 0xffffffff &&
	       !(type & DESC_TYPE_CODE) && (type & DESC_TYPE_RW) &&
	       !(type & DESC_TYPE_EC);
}

void sc_mode_update(struct sc_cpu *c)
{
	const struct vcpu *v = c->v;

	c->csz = (uint8_t)cpu_code_size(v);
	c->ssz = (uint8_t)cpu_stack_size(v);
	c->code_vpn = SC_TLB_EMPTY; /* its code_tag holds the old size */
	c->mode64 = c->csz == 8;
	c->segchk = 0;
	if (c->mode64) {
		c->lin_mask = ~0ULL;
		c->cs_base = 0;
		c->cs_limit = ~0ULL;
		return;
	}
	c->lin_mask = 0xffffffff;
	c->cs_base = (uint32_t)v->seg[SEG_CS].base;
	c->cs_limit = v->seg[SEG_CS].limit;
	for (unsigned s = 0; s < VCPU_NSEGS; s++)
		if (!seg_flat(&v->seg[s]))
			c->segchk |= SC_ACC_SEG(s);
}

int op_ud(struct sc_cpu *c, const struct sc_insn *d)
{
	(void)d;
	return sc_ud(c);
}

/* Translate linear lin for a fetch: the TLB entry, or NULL after a fault
 * (code in a device's page is more than this engine does). */
static const struct sc_tlb *fetch_page(struct sc_cpu *c, uint64_t lin)
{
	const struct sc_tlb *e = sc_translate(c, lin, ACC_FETCH);

	if (e && !sc_tlb_host(e)) {
		sc_unsupported(c, "softcpu: instruction fetch from MMIO");
		return NULL;
	}
	return e;
}

/*
 * An instruction that runs into the next page: gather up to 15 bytes from
 * both pages and decode into *scratch (never cached, see cache.c).  lin is
 * the linear address of its first byte.
 */
static const struct sc_insn *fetch_crossing(struct sc_cpu *c, uint64_t lin,
					    const struct sc_tlb *e1,
					    unsigned n1,
					    struct sc_insn *scratch)
{
	uint8_t buf[15], pbuf1[15];
	const struct sc_tlb *e;
	const struct sc_tlb first = *e1; /* translating next may reuse e1 */
	uint64_t next = (lin + n1) & c->lin_mask;
	unsigned off = lin & (PAGE_4K - 1);
	const uint8_t *p1 = sc_tlb_host(&first) + off;

	if (c->mode64 && !x86_canonical(next)) {
		sc_gp(c, 0);
		return NULL;
	}
	if (!(e = fetch_page(c, next)))
		return NULL;
	/* --patch: now that both pages are mapped, scan the instruction
	 * (if the first look could not) and see its patch.  The next page's
	 * bytes are inside the instruction: never a trap byte. */
	if (c->patch)
		p1 = sc_patch_fetch(c, &first, lin, off, n1, pbuf1);
	memcpy(buf, p1, n1);
	memcpy(buf + n1, sc_tlb_host(e), sizeof(buf) - n1);
	if (sc_decode(buf, sizeof(buf), c->csz, scratch) != SC_DEC_OK) {
		sc_gp(c, 0); /* longer than 15 bytes */
		return NULL;
	}
	return scratch;
}

/*
 * Translate the code page of rip, whose linear address is lin, and make it
 * the run loop's known page (code_vpn, code_tag, code_gen).  The TLB
 * entry, or NULL after stopping with a fault: a RIP that is not
 * canonical, or outside CS.limit.
 */
static const struct sc_tlb *code_page(struct sc_cpu *c, uint64_t rip,
				      uint64_t lin)
{
	const struct sc_tlb *e;

	if (c->mode64 ? !x86_canonical(rip) : rip > c->cs_limit) {
		sc_gp(c, 0);
		return NULL;
	}
	if (!(e = fetch_page(c, lin)))
		return NULL;
	c->code_vpn = lin >> PAGE_4K_SHIFT;
	c->code_tag = sc_cache_tag(sc_tlb_ram(c, e), c->csz);
	c->code_gen = &c->page_gen[sc_tlb_ram(c, e) >> PAGE_4K_SHIFT];
	return e;
}

/*
 * The decoded record at rip, whose linear address is lin, or NULL after
 * stopping with a fault: a RIP that is not canonical, or outside CS.limit.
 */
static const struct sc_insn *fetch(struct sc_cpu *c, uint64_t rip,
				   uint64_t lin, struct sc_insn *scratch)
{
	const struct sc_tlb *e;
	const struct sc_insn *d;
	unsigned off = lin & (PAGE_4K - 1), avail;

	if (!(e = code_page(c, rip, lin)))
		return NULL;
	uint64_t ram = sc_tlb_ram(c, e) + off;
	if ((d = sc_cache_find(c, ram)))
		return d;
	c->decodes++;
	avail = PAGE_4K - off < 15 ? PAGE_4K - off : 15;
	const uint8_t *bytes = sc_tlb_host(e) + off;
	uint8_t pbuf[15];
	if (c->patch) /* --patch: scan first, then see the patches */
		bytes = sc_patch_fetch(c, e, lin, off, avail, pbuf);
	switch (sc_decode(bytes, avail, c->csz, scratch)) {
	case SC_DEC_OK:
		return sc_cache_put(c, ram, scratch,
				    c->patch && c->patch_unscanned);
	case SC_DEC_MORE:
		c->crossing++;
		return fetch_crossing(c, lin, e, avail, scratch);
	default:
		sc_gp(c, 0);
		return NULL;
	}
}

/*
 * The block that starts at rip, linear lin, when it was not found in the
 * known code page (the run loop looks there first): found after
 * translating the page, or decoded.  NULL when the first
 * instruction cannot be in a block (it crosses into the next page, does
 * not decode) or after a fault (c->exit filled, *stop set).
 */
static struct sc_block *block_at(struct sc_cpu *c, uint64_t rip,
				 uint64_t lin, bool *stop)
{
	struct sc_block *b;
	const struct sc_tlb *e;
	unsigned off = lin & (PAGE_4K - 1);

	if (!(e = code_page(c, rip, lin))) {
		*stop = true;
		return NULL;
	}
	if ((b = sc_block_lookup(c, c->code_tag + off, c->code_gen)))
		return b;
	return sc_block_build(c, e, off);
}

/*
 * RFLAGS.TF was set when the instruction at "at" began: it completed, and
 * now the CPU raises the single-step #DB, a trap (RIP after it).  popf
 * setting TF thus traps after the next instruction, as on hardware.
 */
static int single_step_trap(struct sc_cpu *c, uint64_t at)
{
	sc_fault(c, T_DB, false, 0);
	c->exit->rip = at;
	return SC_STOP;
}

/*
 * Run block b's records back to back; all of them fit in the budget (the
 * caller saw).  Each retires as in the one-instruction path as far as
 * anyone can see: RIP and the instruction count are those of the
 * instruction at every stop, so that a fault reports its own RIP and
 * --icount counts exactly.  A fast form retires itself and runs the fast
 * forms after it (sc_next): the loop learns how far it went from the
 * instruction count, and goes on from there if that is still on the
 * straight line (RIP is the record's, its offset in the block).  The
 * block is left early when an instruction went anywhere but to the next
 * one (a taken branch) or wrote a page that holds decoded code
 * (sc_code_write: maybe the block's own, whose records after it may then
 * be stale).  The handler's last result: SC_OK, or SC_STOP, SC_YIELD
 * (RIP stays) or SC_NEWCS, which run_block sorts out.
 */
static inline int run_records(struct sc_cpu *c, struct sc_block *b,
			      bool legacy)
{
	struct vcpu *v = c->v;
	const struct sc_insn *d = b->insn;
	const struct sc_insn *end = d + b->n;
	uint64_t rip0 = v->rip, rip = rip0, fall;
	int rc;

	c->blk = b; /* where the chain is: a taken jcc may move it on */
	c->base = rip0;
	/* All of it fast forms: the first runs the chain to the end, or to
	 * a taken branch, a write to decoded code (RIP and the count then
	 * on the next instruction: the loop goes on from there) or a stop. */
	if (b->threaded) {
		c->run0 = d;
		c->icount0 = v->instructions;
		return d->fn(c, d);
	}
	do {
		fall = rip + d->len;
		if (legacy && fall - 1 > c->cs_limit)
			return sc_gp(c, 0);
		c->next = fall;
		c->run0 = d;
		c->icount0 = v->instructions;
		rc = d->fn(c, d);
		if (!d->threaded) {
			if (rc != SC_OK)
				return rc;
			v->rip = rip = c->next;
			v->instructions++;
			d++;
			if (rip != fall)
				return SC_OK;
			continue;
		}
		/* A fast form: it retired itself and the chain after it,
		 * which may have gone on into another block (sc_chain): the
		 * loop goes on from where that one stopped (run_block). */
		if (c->blk != b)
			return rc;
		d += v->instructions - c->icount0;
		rip = v->rip;
		if (rc != SC_OK || (d < end && rip != rip0 + d->boff))
			return rc;
	} while (d < end && !c->code_written);
	return SC_OK;
}

/*
 * Block chaining.  Most blocks end in a branch to a block of their own
 * page (a loop's back edge, an if's two arms) or fall through into the
 * next one.  Going back to the run loop for it costs the loop's round of
 * looks (the budget, the linear RIP, the debugger, --patch, TF, the code
 * page) and a look-up in the block table, for every block, and the
 * sieve's blocks are six instructions long.  So a block remembers the two
 * blocks that last ran after it in its page (succ[]: a branch's target,
 * the fall-through), and run_block goes on into one directly when
 *   - RIP is still in the code page the loop translated (code_vpn: its
 *     translation holds for the whole run, and a change of mode empties
 *     code_vpn), and TF is still clear (popf, which ends a block, may
 *     have set it);
 *   - the remembered slot still holds the block of that byte (its tag,
 *     code size included: a slot is shared by many blocks), decoded under
 *     the page's present generation: b's own, as b was found valid and
 *     nothing dropped decoded code since (run_block's code_written);
 *   - all of it fits in the instruction budget (the count stays within
 *     limit), as for any block.
 * A pointer that fails is replaced by a look-up in the block table; a
 * block not built yet sends the run back to the loop, which builds it.
 * The successor, or NULL.
 */
static inline struct sc_block *chain_next(struct sc_cpu *c,
					  struct sc_block *b, uint64_t limit,
					  bool legacy)
{
	const struct vcpu *v = c->v;
	uint64_t lin = legacy ? (uint32_t)(v->rip + c->cs_base) : v->rip;
	uint64_t tag = c->code_tag + (lin & (PAGE_4K - 1));
	unsigned k = tag == b->tag + b->bytes; /* the fall-through? */
	struct sc_block *s = b->succ[k];

	if (lin >> PAGE_4K_SHIFT != c->code_vpn || (v->rflags & FL_TF))
		return NULL;
	if (!sc_succ_holds(c, b, s, lin)) {
		if (!(s = sc_block_lookup(c, tag, c->code_gen)))
			return NULL;
		b->succ[k] = s;
	}
	if (!k && !b->taken) /* a jcc's or call's target, maybe */
		sc_block_link(b, s);
	return v->instructions + s->n <= limit ? s : NULL;
}

/*
 * Run block b, then the blocks chained after it (chain_next) while they
 * fit in the budget *n (which counts down).  Each call of run_records
 * may itself cross into further blocks (sc_chain), up to climit: the
 * budget, at most a slice (SC_SLICE); chain_next goes on from the
 * block where that chain stopped (c->blk).  SC_OK, or the handler's
 * SC_STOP, SC_YIELD (RIP stays) or SC_OK after a retired SC_NEWCS (the
 * caller starts over in the new mode, which run_slice() does: *n is set
 * to 0).
 */
static inline int run_block(struct sc_cpu *c, struct sc_block *b,
			    unsigned *n, bool legacy)
{
	struct vcpu *v = c->v;
	uint64_t start = v->instructions, limit = start + *n;
	int rc;

	c->code_written = false;
	c->climit = limit;
	do {
		rc = run_records(c, b, legacy);
	} while (rc == SC_OK && !c->code_written &&
		 (b = chain_next(c, c->blk, limit, legacy)));
	*n -= (unsigned)(v->instructions - start);
	switch (rc) {
	case SC_OK:
	case SC_YIELD: /* RIP stays: the monitor looks */
		return rc;
	case SC_STOP:
		c->stopped++;
		return SC_STOP;
	default: /* SC_NEWCS: retire it; the caller starts over */
		v->rip = c->next;
		v->instructions++;
		*n = 0;
		return SC_OK;
	}
}

/* Compiled four times into run_slice(), once per kind of code and
 * debugger state (below). */
static inline int run_slice_mode(struct sc_cpu *c, unsigned n, bool legacy,
				 bool dbg) __attribute__((always_inline));

/*T:110 softcpu, the software CPU, is the first engine: a CPU that can only do
 * what ring 3 may.  Each instruction is decoded once, into a small record
 * with a handler pointer, and cached by guest-physical address, a block
 * of them for a straight line of code; the loop below finds the record
 * (or the block) and calls its handler, which either does the
 * instruction or stops with the exception a ring-3 CPU would raise (stop
 * 115).  That exception, in a struct vm_exit, is the trap that vm_run()
 * hands to the dispatcher.
 */
/*
 * Run up to n instructions.  SC_STOP when one of them filled c->exit,
 * SC_YIELD when a long rep handed the machine back with RIP on it, SC_OK
 * otherwise, early after an instruction that loaded CS (SC_NEWCS): the
 * loop is compiled once per kind of code, 64-bit code (legacy false:
 * linear RIP = RIP, no limit) and 32/16-bit code (CS.base and CS.limit),
 * so that 64-bit code pays nothing for segmentation, and the next slice
 * runs in the mode the new CS chose.  It is compiled again for a run
 * under the debugger (dbg: breakpoints or watchpoints, c->dbg), so that a
 * run without pays nothing for them.
 */
static inline int run_slice_mode(struct sc_cpu *c, unsigned n, bool legacy,
				 bool dbg)
{
	struct sc_insn scratch;
	struct vcpu *v = c->v;

	while (n) {
		const struct sc_insn *d = NULL;
		uint64_t lin = legacy ? (uint32_t)(v->rip + c->cs_base) : v->rip;
		/*
		 * Blocks, when neither the debugger (which looks before every
		 * instruction), --patch (whose overlay is per fetch) nor TF
		 * (a trap after every instruction) is in force.
		 */
		if (!dbg && !c->patch && !(v->rflags & FL_TF)) {
			bool stop = false;
			struct sc_block *b = NULL;
			if (lin >> PAGE_4K_SHIFT == c->code_vpn)
				b = sc_block_lookup(c, c->code_tag +
						    (lin & (PAGE_4K - 1)),
						    c->code_gen);
			if (!b && !(b = block_at(c, v->rip, lin, &stop)) &&
			    stop)
				return SC_STOP;
			/* Run only a whole block: the fast forms' chain does
			 * not look at the budget (sc_next). */
			if (b && b->n <= n) {
				int rc = run_block(c, b, &n, legacy);
				if (rc != SC_OK)
					return rc;
				continue;
			}
		}
		/*
		 * One instruction.  Still on the code page of the last fetch?
		 * Its translation holds for the whole run(): the shadow only
		 * changes while the monitor has control.
		 */
		n--;
		/* The debugger's breakpoints: compared, never written. */
		if (dbg) {
			c->watch_hit = NULL;
			if (debug_break_at(&c->vm->debug, lin, v->rip,
					   v->instructions))
				return sc_debug_break(c, lin);
		}
		if (lin >> PAGE_4K_SHIFT == c->code_vpn)
			d = sc_cache_lookup(c, c->code_tag +
					    (lin & (PAGE_4K - 1)), c->code_gen);
		if (!d && !(d = fetch(c, v->rip, lin, &scratch)))
			return SC_STOP;
		/* Its last byte must lie within CS.limit. */
		if (legacy && v->rip + d->len - 1 > c->cs_limit)
			return sc_gp(c, 0);
		uint64_t at = v->rip, tf = v->rflags & FL_TF;
		c->next = at + d->len;
		c->run0 = d; /* no block: a fast form runs only d */
		c->icount0 = v->instructions;
		c->base = at;
		c->blk = &c->lone; /* and a taken jcc crosses nowhere */
		int rc = d->fn(c, d);
		if (rc != SC_OK) {
			if (rc == SC_YIELD)
				return SC_YIELD; /* RIP stays: the monitor looks */
			if (rc == SC_STOP) {
				c->stopped++;
				return SC_STOP;
			}
			/* SC_NEWCS: retire it, and on in the new mode. */
			v->rip = c->next;
			v->instructions++;
			if (dbg && c->watch_hit)
				return sc_debug_watch(c);
			return tf ? single_step_trap(c, at) : SC_OK;
		}
		if (!d->threaded) { /* a fast form retired itself */
			v->rip = c->next;
			v->instructions++;
		}
		if (dbg && c->watch_hit)
			return sc_debug_watch(c);
		if (tf)
			return single_step_trap(c, at);
	}
	return SC_OK;
}

static int run_slice(struct sc_cpu *c, unsigned n)
{
	if (c->dbg)
		return c->mode64 ? run_slice_mode(c, n, false, true)
				 : run_slice_mode(c, n, true, true);
	return c->mode64 ? run_slice_mode(c, n, false, false)
			 : run_slice_mode(c, n, true, false);
}

/*
 * The end of a run: the lazy flags into RFLAGS, the count for --stats,
 * and the interrupt shadow of a mov/pop/lss to SS (sc_load_sreg) dropped
 * when the instruction after it has retired within this run; one still in
 * force is the monitor's to end (monitor/run.c), as the one of sti is.
 */
static void end_run(struct sc_cpu *c, uint64_t before)
{
	struct vcpu *v = c->v;

	memcpy(v->regs, c->regs, sizeof(v->regs));
	sc_flags(c);
	c->code_spt_gen = c->vm->spt->gen;
	c->ran += v->instructions - before;
	if (c->ss_shadow && v->instructions >= c->ss_shadow_end)
		v->interrupt_shadow = false;
	c->ss_shadow = false;
}

static void sc_run(struct vm *vm, struct vm_exit *exit)
{
	struct sc_cpu *c = vm->engine_data;
	uint64_t before = vm->vcpu.instructions;
	uint64_t code_vpn = c->code_vpn;
	bool was64 = c->mode64;

	c->exit = exit;
	c->patch = vm->patch; /* --patch: the table, or NULL */
	/* The virtual CPL holds for the whole run (only the monitor changes
	 * it): at CPL 3 under --patch, records of unscanned frames serve. */
	c->tag_keep = c->patch && vm->vcpu.cpl != 0
		      ? ~sc_cache_tag(0, SC_CSZ_UNSCANNED) : ~0ULL;
	c->lz_op = LZ_NONE; /* the monitor may have changed vcpu.rflags */
	c->dbg = vm->debug.nbreaks || vm->debug.nwatches;
	/* ...and CS, the other segments, CR0, EFER: the mode (which
	 * forgets the code page: code_vpn). */
	sc_mode_update(c);
	if (cpu_mode(&vm->vcpu) == CPU_REAL || (vm->vcpu.rflags & FL_VM)) {
		/* 16-bit addressing and the 16-bit instruction set are all
		 * here; what is missing is real mode's segments (base =
		 * selector * 16, no descriptors) and its interrupt table. */
		sc_unsupported(c, "softcpu: real-address and virtual-8086 mode "
			       "code is not implemented");
		return;
	}
	/* The shadow announces every change of root (engine->flush at a
	 * CR3 load, engine->switch_view at a change of view), and the TLB
	 * follows it there; a root changed without a word would make its
	 * entries another space's: empty both then. */
	/*
	 * The code page the last run ended on (code_vpn, its tag and its
	 * page_gen) is kept, when 64-bit code ran then and runs now (no
	 * CS.base or limit, the same code size) and the shadow has not
	 * changed since (spt->gen: no fill, no drop, no change of view; an
	 * engine->flush or switch_view forgets it too).  A trap returns to
	 * the page it came from: the run then goes straight to the block
	 * there, where translating the page again was about 90 host
	 * instructions of a trapped cli (README.md, "third round").
	 */
	if (vm->spt->current != c->root)
		sc_tlb_flush(c, SHADOW_FLUSH_ALL);
	else if (was64 && c->mode64 && c->code_spt_gen == vm->spt->gen)
		c->code_vpn = code_vpn; /* the last run's code page, kept */
	memcpy(c->regs, vm->vcpu.regs, sizeof(c->regs)); /* end_run: back */
	for (;;) {
		struct vcpu *v = &vm->vcpu;
		unsigned n = vm->single_step ? 1 : SC_SLICE;

		/* The monitor wants control back at insn_deadline (a timer
		 * event under --icount, the end of sti's shadow). */
		if (vm->kick || v->instructions >= vm->insn_deadline)
			break;
		if (vm->insn_deadline - v->instructions < n)
			n = (unsigned)(vm->insn_deadline - v->instructions);
		int rc = run_slice(c, n);
		if (rc == SC_STOP) {
			end_run(c, before);
			return;
		}
		if (rc == SC_YIELD || vm->single_step)
			break;
	}
	end_run(c, before);
	exit->reason = EXIT_INTERRUPT;
	exit->rip = vm->vcpu.rip;
}

static int sc_probe(char *why, size_t len)
{
	(void)why;
	(void)len;
	return 0; /* plain C: runs anywhere */
}

static int sc_init(struct vm *vm, char *why, size_t len)
{
	struct sc_cpu *c = calloc(1, sizeof(*c));

	if (!c || sc_cache_init(c, vm->mem.size >> PAGE_4K_SHIFT) < 0) {
		free(c);
		snprintf(why, len, "softcpu: out of memory for its caches");
		return -1;
	}
	c->vm = vm;
	c->v = &vm->vcpu;
	c->tag_keep = ~0ULL;
	c->blk = &c->lone;
	c->ram_base = vm->mem.base;
	for (unsigned i = 0; i < SHADOW_NVIEWS; i++)
		for (unsigned j = 0; j < SC_TLB_SIZE; j++)
			c->views[i].e[j].vpn = c->views[i].e[j].wvpn =
				SC_TLB_EMPTY;
	sc_tlb_flush(c, SHADOW_FLUSH_ALL); /* use the current view's TLB */
	sc_mode_update(c);
	sc_host_probe(&c->host);
	vm->engine_data = c;
	return 0;
}

static void sc_fini(struct vm *vm)
{
	struct sc_cpu *c = vm->engine_data;

	if (!c)
		return;
	sc_cache_fini(c);
	free(c);
	vm->engine_data = NULL;
}

static void sc_flush(struct vm *vm, uint64_t va)
{
	struct sc_cpu *c = vm->engine_data;

	if (!c)
		return;
	sc_tlb_flush(c, va);
	c->code_vpn = SC_TLB_EMPTY; /* not kept into the next run */
}

/* A change of virtual CPL: the other view's TLB, neither one emptied
 * (mmu.c, "The TLBs and the shadow"). */
static void sc_switch_view(struct vm *vm)
{
	struct sc_cpu *c = vm->engine_data;

	if (!c)
		return;
	sc_tlb_switch_view(c);
	c->code_vpn = SC_TLB_EMPTY; /* not kept into the next run */
}

/* The monitor wrote guest-physical [gpa, gpa + len): drop the code it
 * held, by RAM offset; a range that is not all RAM (it spans the PCI
 * hole) drops every record, which is always safe. */
static void sc_ram_written(struct vm *vm, uint64_t gpa, uint64_t len)
{
	struct sc_cpu *c = vm->engine_data;
	uint64_t ram = gm_offset(&vm->mem, gpa, len);

	if (!c)
		return;
	if (ram != GM_NO_RAM)
		sc_cache_invalidate(c, ram, len);
	else
		sc_cache_invalidate(c, 0, c->npages << PAGE_4K_SHIFT);
}

/*
 * --stats: how fast the guest ran, and how well "decode once" worked.
 * Every instruction that completed or stopped a run() was looked up in
 * the cache once; the misses are the decodes (sc_trap's completed traps
 * count twice, a negligible overcount of lookups).
 */
static void sc_print_stats(const struct vm *vm, double secs, FILE *f)
{
	const struct sc_cpu *c = vm->engine_data;
	uint64_t lookups;

	if (!c)
		return;
	lookups = c->ran + c->stopped;
	fprintf(f, "softcpu: %.1f million guest instructions per second "
		"(%" PRIu64 " in %.3f s)\n",
		secs > 0 ? (double)vm->vcpu.instructions / secs / 1e6 : 0.0,
		vm->vcpu.instructions, secs);
	fprintf(f, "softcpu: decoded-instruction cache: %.3f%% hits (%" PRIu64
		" lookups, %" PRIu64 " decodes, %" PRIu64 " of them page-"
		"crossing, never cached)\n",
		lookups ? 100.0 * (double)(lookups - (c->decodes < lookups ?
		c->decodes : lookups)) / (double)lookups : 0.0,
		lookups, c->decodes, c->crossing);
	fprintf(f, "softcpu: pre-decoded blocks: %" PRIu64 " decoded\n",
		c->built);
	fprintf(f, "softcpu: mmio: %" PRIu64 " device accesses\n",
		c->mmio_accesses);
	fprintf(f, "softcpu: tlb: %" PRIu64 " fills, %" PRIu64 " emptied "
		"(%" PRIu64 " entries), %" PRIu64 " changes of view kept, "
		"%" PRIu64 " pages protected as code\n",
		c->tlb_fills, c->tlb_empties, c->tlb_emptied,
		c->view_switches, c->tlb_protects);
}

const struct engine engine_softcpu = {
	.name = "softcpu",
	.counts_instructions = true,
	.handles_mmio = true,
	.probe = sc_probe,
	.init = sc_init,
	.run = sc_run,
	.flush = sc_flush,
	.switch_view = sc_switch_view,
	.ram_written = sc_ram_written,
	.set_debug = sc_set_debug,
	.debug_watchpoints = true,
	.fini = sc_fini,
	.print_stats = sc_print_stats,
};
