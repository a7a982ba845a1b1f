/*
 * patch/patch.c - scan-and-patch: the table of scanned frames, the
 * scanner, and the engine's and the dispatcher's hooks (patch/patch.h;
 * patch/README.md explains the design and its costs).
 *
 * The scanner follows the control flow inside one 4 KiB frame, from the
 * entry points the guest shows it (the first RIP there, then every
 * address it reaches that no scan decoded).  VMware's scanner did the
 * same, and for the reason a linear sweep cannot be used on x86: code and
 * data share pages, and instructions have no alignment, so only the path
 * the CPU takes says where an instruction begins.
 */
#include <stdlib.h>
#include <string.h>
#include <inttypes.h>

#include "patch/patch.h"
#include "shadowpt/shadowpt.h"
#include "shadowpt/walk.h"
#include "isa/arch.h"
#include "isa/decode.h"
#include "isa/pgclass.h"
#include "isa/x86.h"
#include "core/clock.h"
#include "core/panic.h"
#include "core/guest_mem.h"
#include "core/lab.h"
#include "core/vm.h"

struct patch *patch_new(uint64_t ram_size)
{
	struct patch *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->npages = (ram_size + PATCH_PAGE - 1) / PATCH_PAGE;
	p->page = calloc(p->npages ? p->npages : 1, sizeof(*p->page));
	p->crossed = calloc(p->npages ? p->npages : 1, sizeof(*p->crossed));
	if (!p->page || !p->crossed) {
		patch_free(p);
		return NULL;
	}
	return p;
}

void patch_free(struct patch *p)
{
	if (!p)
		return;
	for (uint64_t i = 0; p->page && i < p->npages; i++)
		free(p->page[i]);
	free(p->page);
	free(p->crossed);
	free(p);
}

static bool bit(const uint8_t *map, unsigned i)
{
	return map[i / 8] & (1u << (i % 8));
}

static void set_bit(uint8_t *map, unsigned i)
{
	map[i / 8] |= (uint8_t)(1u << (i % 8));
}

static void clear_bit(uint8_t *map, unsigned i)
{
	map[i / 8] &= (uint8_t)~(1u << (i % 8));
}

/* The record of frame, or NULL. */
static struct patch_page *lookup(const struct patch *p, uint64_t frame)
{
	uint64_t n = frame / PATCH_PAGE;

	return n < p->npages ? p->page[n] : NULL;
}

/* Drop frame's record (it must exist).  With the patches in RAM, put the
 * original bytes back, but for those in [keep, keep + nkeep) (offsets in
 * the frame), which the monitor has just written. */
static void drop(struct patch *p, uint64_t frame, unsigned keep,
		 unsigned nkeep)
{
	struct patch_page *pp = p->page[frame / PATCH_PAGE];

	for (unsigned i = 0; p->ram && i < PATCH_PAGE; i++)
		if (i < keep || i - keep >= nkeep)
			p->ram[frame + i] = pp->orig[i];

	if (pp->next_frame != PATCH_NONE)
		p->crossed[pp->next_frame / PATCH_PAGE]--;
	free(pp);
	p->page[frame / PATCH_PAGE] = NULL;
}

/* With the patches in RAM: byte off of pp holds its own value again,
 * unless it is a site's first byte, which an instruction decoded from
 * another offset may cover: a fetch sees the trap there, as softcpu's
 * patch_overlay() shows it to every decode. */
static void make_real(struct patch *p, struct patch_page *pp, unsigned off)
{
	if (bit(pp->site, off))
		return;
	set_bit(pp->real, off);
	p->ram[pp->frame + off] = pp->orig[off];
}

/*
 * With the patches in RAM, a new record keeps the frame's bytes in orig[]
 * and fills the frame with PATCH_TRAP, but for the tails of instructions
 * of other records that cross into it.
 */
static void fill(struct patch *p, struct patch_page *pp)
{
	uint64_t n = pp->frame / PATCH_PAGE;

	memcpy(pp->orig, p->ram + pp->frame, PATCH_PAGE);
	memset(p->ram + pp->frame, PATCH_TRAP, PATCH_PAGE);
	for (uint64_t i = 0; p->crossed[n] && i < p->npages; i++) {
		const struct patch_page *o = p->page[i];
		if (o && o != pp && o->next_frame == pp->frame)
			for (unsigned b = 0; b < o->tail; b++)
				make_real(p, pp, b);
	}
}

/* A new record for frame, scanned as code of bits. */
static struct patch_page *new_page(struct patch *p, uint64_t frame,
				   unsigned bits)
{
	struct patch_page *pp = calloc(1, sizeof(*pp));

	if (!pp)
		panic("patch: out of memory for a scanned page");
	pp->frame = frame;
	pp->next_frame = PATCH_NONE;
	pp->bits = bits;
	p->page[frame / PATCH_PAGE] = pp;
	p->st.pages++;
	if (p->ram)
		fill(p, pp);
	return pp;
}

/* ------------------------------------------------------------------
 * The scanner.
 */

/* How a decoded instruction passes control on. */
enum flow {
	FLOW_NEXT,     /* to the next instruction only */
	FLOW_BRANCH,   /* to its target and to the next (jcc, loop, call) */
	FLOW_JUMP,     /* to its target only (jmp rel) */
	FLOW_END,      /* nowhere the scan can know (ret, jmp *reg, ud2) */
};

static bool is_jcc(unsigned id)
{
	switch (id) {
	case X86_INS_JAE: case X86_INS_JA: case X86_INS_JBE: case X86_INS_JB:
	case X86_INS_JCXZ: case X86_INS_JECXZ: case X86_INS_JRCXZ:
	case X86_INS_JE: case X86_INS_JGE: case X86_INS_JG: case X86_INS_JLE:
	case X86_INS_JL: case X86_INS_JNE: case X86_INS_JNO: case X86_INS_JNP:
	case X86_INS_JNS: case X86_INS_JO: case X86_INS_JP: case X86_INS_JS:
	case X86_INS_LOOP: case X86_INS_LOOPE: case X86_INS_LOOPNE:
		return true;
	default:
		return false;
	}
}

/* The instruction's immediate target, if it has one. */
static bool imm_target(const struct insn *in, uint64_t *target)
{
	if (in->x86.op_count != 1 || in->x86.operands[0].type != X86_OP_IMM)
		return false;
	*target = (uint64_t)in->x86.operands[0].imm;
	return true;
}

/*T:335 The scanner's one decision per instruction, besides "patch it?":
 * where control goes next.  A conditional branch and a call go both ways
 * (a call is assumed to return); a direct jmp only to its target; ret,
 * iret, an indirect jmp, ud2 go where the scan cannot know, and end the
 * path.  Targets on other pages are left to be learnt when the guest
 * reaches them.
 */
static enum flow flow_of(const struct insn *in, uint64_t *target)
{
	/* LAB 7 BEGIN: flow_of: where control goes after in (task 3) */
	switch (in->id) {
	case X86_INS_JMP:
		return imm_target(in, target) ? FLOW_JUMP : FLOW_END;
	case X86_INS_CALL:
		return imm_target(in, target) ? FLOW_BRANCH : FLOW_NEXT;
	case X86_INS_RET: case X86_INS_RETF: case X86_INS_RETFQ:
	case X86_INS_IRET: case X86_INS_IRETD: case X86_INS_IRETQ:
	case X86_INS_SYSRET: case X86_INS_SYSEXIT: case X86_INS_UD2:
	case X86_INS_LJMP:
		return FLOW_END;
	default:
		if (is_jcc(in->id) && imm_target(in, target))
			return FLOW_BRANCH;
		return FLOW_NEXT;
	}
	/* LAB 7 END; hole: static bool said; lab_note(&said, 7,
	 * "flow_of (every path ends after one instruction)"); (void)in;
	 * (void)target; (void)is_jcc; (void)imm_target; return FLOW_END; */
}

/*
 * The original bytes of the frame and the first 15 of the next one (the
 * records' orig[] over their sites: an engine may hold the patches in
 * RAM), into buf[PATCH_PAGE + INSN_MAX].  Returns the bytes available.
 */
static unsigned original_bytes(const struct patch *p,
			       const struct patch_page *pp,
			       const uint8_t *page, const uint8_t *next,
			       uint64_t next_frame, uint8_t *buf)
{
	const struct patch_page *np = next ? lookup(p, next_frame) : NULL;
	unsigned have = PATCH_PAGE;

	if (p->ram) { /* the whole frame is in orig[] */
		memcpy(buf, pp->orig, PATCH_PAGE);
		if (next)
			memcpy(buf + PATCH_PAGE, np ? np->orig : next,
			       INSN_MAX);
		return next ? have + INSN_MAX : have;
	}
	memcpy(buf, page, PATCH_PAGE);
	for (unsigned i = 0; pp->nsites && i < PATCH_PAGE; i++)
		if (bit(pp->site, i))
			buf[i] = pp->orig[i];
	if (next) {
		memcpy(buf + PATCH_PAGE, next, INSN_MAX);
		for (unsigned i = 0; np && i < INSN_MAX; i++)
			if (bit(np->site, i))
				buf[PATCH_PAGE + i] = np->orig[i];
		have += INSN_MAX;
	}
	return have;
}

/*
 * With the patches in RAM: the bytes of the instruction at off, len long,
 * hold their own values again (but a site's first byte), in this frame and
 * in the next one's record, for an instruction that crosses into it.
 */
static void real_bytes(struct patch *p, struct patch_page *pp, unsigned off,
		       unsigned len, bool site, uint64_t next_frame)
{
	struct patch_page *np = lookup(p, next_frame);

	for (unsigned i = site ? 1 : 0; i < len; i++) {
		if (off + i < PATCH_PAGE)
			make_real(p, pp, off + i);
		else if (np && np != pp)
			make_real(p, np, off + i - PATCH_PAGE);
	}
}

/* Patch the instruction at off: remember its first byte. */
static void patch_at(struct patch *p, struct patch_page *pp, unsigned off,
		     uint8_t first)
{
	/* LAB 7 BEGIN: patch_at: what goes in, and what is kept (task 2) */
	if (bit(pp->site, off))
		return;
	set_bit(pp->site, off);
	pp->orig[off] = first;
	pp->nsites++;
	p->st.patched++;
	if (p->ram) { /* the engine's CPU fetches RAM itself */
		clear_bit(pp->real, off);
		p->ram[pp->frame + off] = PATCH_TRAP;
	}
	/* LAB 7 END; hole: p->todo = "patch_at"; (void)pp; (void)off;
	 * (void)first; (void)clear_bit; */
}

/*T:336 Scan one frame from an entry point: a worklist of offsets, each
 * decoded once (start[] marks it), its successors pushed when they lie in
 * the same frame, and every sensitive-unprivileged instruction (Popek and
 * Goldberg's table, stop 330) patched at its first byte.  An instruction
 * that crosses into the next page is decoded with that page's bytes, and
 * the next frame is remembered: a write there must rescan this one.
 */
unsigned patch_scan(struct patch *p, uint64_t frame, const uint8_t *page,
		    uint64_t lin, unsigned off, unsigned bits,
		    const uint8_t *next, uint64_t next_frame)
{
	uint8_t buf[PATCH_PAGE + INSN_MAX];
	uint16_t work[PATCH_PAGE + 1];
	unsigned nwork = 0, before = (unsigned)p->st.patched;
	unsigned budget = PATCH_SCAN_BUDGET;
	struct patch_page *pp = lookup(p, frame);
	uint64_t t0 = clock_host_ns();

	if (off >= PATCH_PAGE || frame / PATCH_PAGE >= p->npages)
		return 0;
	if (!pp)
		pp = new_page(p, frame, bits);
	unsigned have = original_bytes(p, pp, page, next, next_frame, buf);
	p->st.scans++;
	work[nwork++] = (uint16_t)off;
	while (nwork) {
		unsigned at = work[--nwork];
		struct insn in;
		uint64_t target;

		while (at < PATCH_PAGE && !bit(pp->start, at) && budget) {
			unsigned avail = have - at < INSN_MAX ? have - at
							      : INSN_MAX;
			if (isa_decode_bytes_mode(buf + at, avail, lin + at,
						  bits, &in) != DECODE_OK)
				break; /* invalid, or needs a page not there */
			p->st.insns++;
			budget--;
			set_bit(pp->start, at);
			/* LAB 7 BEGIN: patch_scan: the crossing insn (task 4) */
			if (at + in.size > PATCH_PAGE &&
			    pp->next_frame == PATCH_NONE &&
			    next_frame / PATCH_PAGE < p->npages) {
				pp->next_frame = next_frame;
				pp->tail = at + in.size - PATCH_PAGE;
				p->crossed[next_frame / PATCH_PAGE]++;
			}
			/* LAB 7 END; hole: p->todo = "patch_scan (the crossing
			 * instruction)"; */
			/* LAB 7 BEGIN: patch_scan: is it a site? (task 1) */
			bool sens = pg_classify(&in)->cls ==
				    PG_SENSITIVE_UNPRIVILEGED;
			if (p->ram)
				real_bytes(p, pp, at, in.size, sens,
					   next_frame);
			if (sens)
				patch_at(p, pp, at, buf[at]);
			/* LAB 7 END; hole: p->todo = "patch_scan (which
			 * instruction is a site)"; (void)real_bytes;
			 * (void)patch_at; */
			enum flow f = flow_of(&in, &target);
			/* Capstone computes a target from the linear address
			 * given; in 16-bit code the CPU wraps IP, not the
			 * linear address, so such a target is not trusted
			 * (the guest shows it when it gets there). */
			if ((f == FLOW_BRANCH || f == FLOW_JUMP) && bits != 16 &&
			    target - lin < PATCH_PAGE &&
			    !bit(pp->start, (unsigned)(target - lin)) &&
			    nwork < PATCH_PAGE)
				work[nwork++] = (uint16_t)(target - lin);
			if (f == FLOW_JUMP || f == FLOW_END)
				break;
			at += in.size;
		}
	}
	p->st.scan_ns += clock_host_ns() - t0;
	return (unsigned)p->st.patched - before;
}

bool patch_site(const struct patch *p, uint64_t frame, unsigned off,
		uint8_t *orig)
{
	const struct patch_page *pp = lookup(p, frame);

	if (!pp || off >= PATCH_PAGE || !bit(pp->site, off))
		return false;
	if (orig)
		*orig = pp->orig[off];
	return true;
}

const uint8_t *patch_overlay(const struct patch *p, uint64_t frame,
			     unsigned off, const uint8_t *src, unsigned n,
			     uint8_t *buf)
{
	const struct patch_page *pp = lookup(p, frame);

	if (!pp || !pp->nsites || off >= PATCH_PAGE || !bit(pp->site, off))
		return src;
	memcpy(buf, src, n);
	buf[0] = PATCH_TRAP;
	return buf;
}

/*
 * Self-modifying code, a module loaded over old code, a page reused for
 * data: any write to a scanned frame may change what its instructions
 * are, so the record goes, and the next run from it scans afresh.  A
 * frame into which another record's last instruction crosses takes that
 * record with it.
 */
static void written(struct patch *p, uint64_t frame, unsigned keep,
		    unsigned nkeep, void (*forget)(void *arg, uint64_t frame),
		    void *arg)
{
	uint64_t n = frame / PATCH_PAGE;

	if (n >= p->npages)
		return;
	frame = n * PATCH_PAGE;
	if (p->crossed[n]) {
		for (uint64_t i = 0; i < p->npages && p->crossed[n]; i++) {
			struct patch_page *pp = p->page[i];
			if (pp && pp->next_frame == frame && i != n) {
				drop(p, pp->frame, 0, 0);
				p->st.dropped++;
				if (forget)
					forget(arg, i * PATCH_PAGE);
			}
		}
	}
	if (p->page[n]) {
		drop(p, frame, keep, nkeep);
		p->st.dropped++;
		if (forget)
			forget(arg, frame);
	}
}

void patch_written(struct patch *p, uint64_t frame,
		   void (*forget)(void *arg, uint64_t frame), void *arg)
{
	written(p, frame, 0, 0, forget, arg);
}

bool patch_ram_written(struct patch *p, uint64_t ram, uint64_t len)
{
	uint64_t before = p->st.dropped;

	for (uint64_t f = ram & ~(uint64_t)(PATCH_PAGE - 1);
	     len && f < ram + len && f / PATCH_PAGE < p->npages;
	     f += PATCH_PAGE) {
		uint64_t lo = ram > f ? ram - f : 0;
		uint64_t hi = ram + len - f < PATCH_PAGE ? ram + len - f
							 : PATCH_PAGE;
		written(p, f, (unsigned)lo, (unsigned)(hi - lo), NULL, NULL);
	}
	return p->st.dropped != before;
}

bool patch_scanned(const struct patch *p, uint64_t frame)
{
	return lookup(p, frame) != NULL;
}

bool patch_guards(const struct patch *p, uint64_t frame)
{
	uint64_t n = frame / PATCH_PAGE;

	return n < p->npages && (p->page[n] || p->crossed[n]);
}

/* ------------------------------------------------------------------
 * The hooks.
 */

/* The RAM offset of the frame holding linear address lin in the current
 * shadow view, and its bytes; PATCH_NONE when not mapped or not RAM. */
static uint64_t frame_of(struct vm *vm, uint64_t lin, const uint8_t **bytes)
{
	uint64_t leaf = shadowpt_lookup(vm, lin);
	uint64_t gpa = leaf & PTE_ADDR_MASK;
	uint64_t ram;

	if (!(leaf & PTE_P))
		return PATCH_NONE;
	ram = gm_offset(&vm->mem, gpa, PATCH_PAGE);
	if (ram == GM_NO_RAM)
		return PATCH_NONE;
	*bytes = gm_ptr(&vm->mem, gpa, PATCH_PAGE);
	return ram;
}

bool patch_enter(struct vm *vm, uint64_t lin, uint64_t gpa,
		 uint64_t watch[2])
{
	struct patch *p = vm->patch;
	unsigned bits = cpu_code_size(&vm->vcpu) * 8;
	uint64_t mask = bits == 64 ? ~0ULL : 0xffffffffULL;
	uint64_t base = lin & ~(uint64_t)(PATCH_PAGE - 1);
	uint64_t frame = gm_offset(&vm->mem, gpa & ~(uint64_t)(PATCH_PAGE - 1),
				   PATCH_PAGE);
	const uint8_t *page, *next = NULL;
	struct patch_page *pp;
	bool changed = false;

	watch[0] = watch[1] = PATCH_NONE;
	if (frame == GM_NO_RAM || frame / PATCH_PAGE >= p->npages)
		return false;
	pp = lookup(p, frame);
	if (pp && pp->bits != bits) { /* the same bytes in another mode */
		drop(p, frame, 0, 0);
		pp = NULL;
		changed = true;
	}
	if (!pp && vm->vcpu.cpl != 0)
		return changed;
	if (!pp) {
		pp = new_page(p, frame, bits);
		changed = true; /* what was decoded at CPL 3 was not scanned */
	}
	watch[0] = frame;
	if (bit(pp->start, lin & (PATCH_PAGE - 1))) {
		watch[1] = pp->next_frame;
		return changed;
	}
	page = gm_ptr(&vm->mem, gpa & ~(uint64_t)(PATCH_PAGE - 1), PATCH_PAGE);
	/* The next page, for an instruction crossing into it: none past the
	 * canonical hole, where the fetch itself faults. */
	uint64_t next_lin = (base + PATCH_PAGE) & mask;
	uint64_t next_frame = bits == 64 && !x86_canonical(next_lin)
			      ? PATCH_NONE : frame_of(vm, next_lin, &next);
	if (patch_scan(p, frame, page, base, lin & (PATCH_PAGE - 1), bits,
		       next_frame == PATCH_NONE ? NULL : next, next_frame))
		changed = true;
	if (p->todo) /* a student's tree: a hole of lab 7 (core/lab.h) */
		lab_todo(vm, 7, p->todo);
	watch[1] = pp->next_frame;
	return changed;
}

bool patch_trap(struct vm *vm, uint64_t rip)
{
	if (!patch_is_site(vm, rip))
		return false;
	vm->patch->st.traps++;
	return true;
}

bool patch_is_site(struct vm *vm, uint64_t rip)
{
	/* LAB 7 BEGIN: patch_is_site: is this #GP the patch's? (task 5) */
	struct vcpu *v = &vm->vcpu;
	uint64_t lin = cpu_code_size(v) == 8 ? rip
			: (uint32_t)(rip + v->seg[SEG_CS].base);
	const uint8_t *bytes;
	uint64_t frame = frame_of(vm, lin, &bytes);

	return frame != PATCH_NONE &&
	       patch_site(vm->patch, frame, lin & (PATCH_PAGE - 1), NULL);
	/* LAB 7 END; hole: lab_todo(vm, 7, "patch_is_site"); (void)rip;
	 * return false; */
}

bool patch_owns(struct vm *vm, uint64_t rip)
{
	struct vcpu *v = &vm->vcpu;
	uint64_t lin = cpu_code_size(v) == 8 ? rip
			: (uint32_t)(rip + v->seg[SEG_CS].base);
	const uint8_t *bytes;
	uint64_t frame = frame_of(vm, lin, &bytes);
	const struct patch_page *pp = frame == PATCH_NONE ? NULL
				      : lookup(vm->patch, frame);
	unsigned off = lin & (PATCH_PAGE - 1);

	return pp && (bit(pp->site, off) ||
		      (vm->patch->ram && !bit(pp->real, off)));
}

bool patch_learn(struct vm *vm, uint64_t rip)
{
	struct patch *p = vm->patch;
	struct vcpu *v = &vm->vcpu;
	unsigned bits = cpu_code_size(v) * 8;
	uint64_t lin = bits == 64 ? rip : (uint32_t)(rip + v->seg[SEG_CS].base);
	const uint8_t *bytes;
	uint64_t frame = frame_of(vm, lin, &bytes);
	unsigned off = lin & (PATCH_PAGE - 1);
	struct patch_page *pp;
	uint64_t watch[2];

	if (!p->ram || frame == PATCH_NONE || !(pp = lookup(p, frame)) ||
	    pp->bits != bits || bit(pp->site, off) || bit(pp->real, off) ||
	    p->ram[frame + off] != PATCH_TRAP)
		return false;
	uint64_t gpa = (shadowpt_lookup(vm, lin) & PTE_ADDR_MASK) | off;
	patch_enter(vm, lin, gpa, watch);
	if (bit(pp->real, off) || bit(pp->site, off))
		return true; /* scanned from here: resume */
	/* Not decoded: it runs into a page the shadow lacks, which the CPU
	 * would fetch (a hidden fill, or the guest's #PF)... */
	uint64_t next = ((lin | (PATCH_PAGE - 1)) + 1) &
			(bits == 64 ? ~0ULL : 0xffffffffULL);
	if (off > PATCH_PAGE - INSN_MAX && frame_of(vm, next, &bytes) ==
	    PATCH_NONE && (bits != 64 || x86_canonical(next))) {
		if (shadowpt_fault(vm, next, PFEC_U | PFEC_I) != SHADOW_FILLED)
			return true; /* the guest's #PF is raised */
		patch_enter(vm, lin, gpa, watch);
		if (bit(pp->real, off) || bit(pp->site, off))
			return true;
	}
	/* ...or it is no instruction: the CPU gets the original bytes and
	 * raises what it raises for them. */
	for (unsigned i = off; i < PATCH_PAGE && i < off + INSN_MAX; i++)
		make_real(p, pp, i);
	return true;
}

/* Put back the original bytes of the sites of frame among buf[0..n),
 * which hold the frame's bytes from offset off. */
static void unpatch(const struct patch *p, uint64_t frame, unsigned off,
		    uint8_t *buf, unsigned n)
{
	const struct patch_page *pp = lookup(p, frame);

	for (unsigned i = 0; pp && i < n && off + i < PATCH_PAGE; i++)
		if (bit(pp->site, off + i))
			buf[i] = pp->orig[off + i];
}

enum decode_result patch_original(struct vm *vm, uint64_t rip,
				  struct insn *in)
{
	/* LAB 7 BEGIN: patch_original: the insn a site hides (task 6) */
	struct vcpu *v = &vm->vcpu;
	unsigned bits = cpu_code_size(v) * 8;
	uint64_t mask = bits == 64 ? ~0ULL : 0xffffffffULL;
	uint64_t lin = bits == 64 ? rip : (uint32_t)(rip + v->seg[SEG_CS].base);
	unsigned off = lin & (PATCH_PAGE - 1);
	unsigned n1 = PATCH_PAGE - off < INSN_MAX ? PATCH_PAGE - off
						  : INSN_MAX;
	uint8_t buf[INSN_MAX];
	const uint8_t *bytes;
	uint64_t frame = frame_of(vm, lin, &bytes);
	struct walk_result r;

	if (frame == PATCH_NONE) /* the child just ran it: cannot be */
		return insn_fetch(vm, rip, in);
	memcpy(buf, bytes + off, n1);
	unpatch(vm->patch, frame, off, buf, n1);
	enum decode_result res = isa_decode_cached(buf, n1, rip, bits, in);
	if (res != DECODE_FAULT || n1 == INSN_MAX)
		return res;
	/* It goes on into the next page: read it as the CPU would. */
	uint64_t next = (lin + n1) & mask;
	int g = gva_read(vm, next, buf + n1, INSN_MAX - n1, ACC_FETCH);
	if (g < 0 || walk_guest(vm, next, ACC_FETCH, &r) < 0) {
		/* Fewer bytes there: insn_fetch() raises what the CPU would. */
		return insn_fetch(vm, rip, in);
	}
	uint64_t nf = gm_offset(&vm->mem, r.gpa & PTE_ADDR_MASK, PATCH_PAGE);
	if (nf != GM_NO_RAM)
		unpatch(vm->patch, nf, 0, buf + n1, INSN_MAX - n1);
	return isa_decode_cached(buf, INSN_MAX, rip, bits, in);
	/* LAB 7 END; hole: lab_todo(vm, 7, "patch_original"); (void)rip;
	 * (void)in; (void)unpatch; return DECODE_INVALID; */
}

void patch_print_stats(const struct patch *p, FILE *f)
{
	const struct patch_stats *s = &p->st;

	fprintf(f, "patch: %" PRIu64 " pages scanned (%" PRIu64 " entry "
		"points, %" PRIu64 " instructions decoded, %.1f us per "
		"page); %" PRIu64 " instructions patched; %" PRIu64 " traps "
		"from patched sites; %" PRIu64 " pages dropped by a write\n",
		s->pages, s->scans, s->insns,
		s->pages ? (double)s->scan_ns / 1e3 / (double)s->pages : 0.0,
		s->patched, s->traps, s->dropped);
}
