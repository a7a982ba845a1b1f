/*
 * engines/softcpu/bench/dispatch.c - the floor of threaded dispatch: what
 * a guest instruction costs the host when it is a record whose handler
 * works on guest registers in memory and jumps to the next record's
 * handler, as softcpu's fast forms do (softcpu.h, "Threaded dispatch"),
 * and what a translator, which keeps the registers in host registers,
 * pays for the same work.
 *
 * A standalone program: the records, handlers and register file are
 * shaped like softcpu's, but nothing here is softcpu's code, so that the
 * figures are those of the design, not of one handler's instructions.
 * The guest program is a loop of ALU instructions on registers (add,
 * sub, xor, and, in turn) closed by a jcc: 8 and the jcc (the sieve's
 * inner loops are of 4 to 6), then 16 and the jcc.  It runs as:
 *
 *   records  a 64-byte record per instruction (struct rec, a cache line
 *            like struct sc_insn): the handler pointer fn at byte 0, the
 *            operands, and the hop at byte 56, the next record's fn, as
 *            the builder stores it.  A handler does its instruction and
 *            ends with `return d->hop(c, d + 1)`, which the compiler
 *            makes a load and an indirect jmp (a sibling call): the chain
 *            never returns until the loop is left.  The handlers are
 *            noinline, and each record has a handler function of its own
 *            (four kinds, sixteen copies), so that each jmp always goes
 *            to the same place: the branch predictor's best case, which
 *            a real loop, whose instructions share handlers, need not
 *            get.  The jcc's record (back_edge) counts the loop's passes
 *            and jumps to the first record, as sc_chain_self does.
 *   guest registers  16 words in memory reached through c->v (softcpu's
 *            c->v->regs[]); an ALU handler loads its two operands, stores
 *            the result, and stores the lazy flags as sc_lazy_set does:
 *            lz_kind and both operands for add and sub, lz_kind and the
 *            result for xor and and.  Four or three stores an
 *            instruction, none read back by the loop.
 *
 * The rows, each per guest instruction, in TSC cycles and in core cycles:
 *
 *   1. Only the hop: the handlers do nothing but jump to the next one.
 *      The cost of the dispatch alone: a load of the hop, an indirect
 *      jmp, predicted.  Taken branches are the limit here.
 *   2. Register work, independent: the ALU handlers, on registers chosen
 *      so that no instruction reads what the one before it wrote (rN op=
 *      r(8+M): the sources r8..r15 are never written; each destination
 *      is written again only 8 instructions later).  What the handlers'
 *      loads, stores and hops cost when the core can overlap records as
 *      it likes: the throughput floor.
 *   3. Register work, each on the previous one's result: the same
 *      handlers, the same instructions, but r1 op= r0, r2 op= r1, ...,
 *      r0 op= r7: each instruction's source is the register the one
 *      before wrote, as compiled code's instructions mostly depend on
 *      their neighbours.  Only the register numbers differ from row 2.
 *      The value goes from one handler to the next through memory: a
 *      store, then a load of the same word, which the core forwards from
 *      its store buffer.  That forwarding's latency, plus the operation,
 *      is on the critical path once per instruction.
 *   4. Two instructions per handler: row 3's program, with each pair of
 *      instructions (op1 then op2 on op1's result) one record of a fused
 *      handler, what a superinstruction does or a translator gets for
 *      free: half the hops, the first result kept in a host register
 *      for the second (it is still stored, as guest state), and the
 *      first's lazy flags, dead, not stored.  The forwarding is on the
 *      path once per pair.
 *   5. Straight-line code, registers in host registers: row 3's program
 *      as a translator such as QEMU's TCG emits it, the loop one block
 *      of host code.  The registers the block uses are
 *      loaded at its start and stored at its end, where the block also
 *      stores its lazy flags (TCG's globals are synced at a block's
 *      end), and the loop's jump goes straight back to the block's start
 *      (a chained block).  The critical path is one host operation a
 *      guest instruction, and at most one forwarding a pass of the loop
 *      (r0, stored at the block's end, loaded at its start).
 *   6. Row 3 with the register numbers built into the handlers: a
 *      handler for each place in the loop, whose operands are at
 *      constant offsets from c->v (r[1] += r[0], not r[d->dst] +=
 *      r[d->src]), what a handler specialised to its registers would be.
 *      The same dependence through memory, the same stores; only the
 *      addressing differs, and the two loads of register numbers from
 *      the record are gone.
 *   7. Row 3 with each register's address computed before its access:
 *      the same loads of the register numbers from the record, the same
 *      handlers, but the address c->v->regs + 8 * number is made first
 *      (a lea) and the access is a plain one through it, [reg], where
 *      row 3's compiler folds it into the access, [base + index * 8]
 *      (an empty asm on the pointer keeps it from folding: softcpu.h's
 *      sc_reg).  Only the addressing mode of the loads and stores
 *      differs from row 3.
 *
 * Rows 1 to 3, 6 and 7 take a record an instruction, row 4 one for two,
 * row 5 none.  Rows 3 to 7 do the same guest work on the same dependence
 * chain; what separates them is how a value goes from one instruction
 * to the next (through memory at an index, through memory at a constant
 * offset, in a host register) and how many indirect jumps it takes.  The
 * two loop lengths are there because the hop's own cost is not one
 * figure: how many taken jumps a cycle the core follows depends on how
 * many the loop has.
 *
 * Clocks.  Time is read with rdtsc, which counts at the TSC's constant
 * rate, not the core's.  Core cycles are TSC cycles times the core/TSC
 * ratio, measured before each row's run with a chain of dependent 64-bit
 * imul (100 in a row in a loop, the loop's own instructions off the
 * chain).  The assumption: imul r64, r64 has a latency of 3 core cycles,
 * as on every Intel core since Nehalem and AMD's since Zen (Agner Fog's
 * tables; uops.info).  Each figure is the median of RUNS runs, the rows
 * taken in turn in each run so that a change of the machine's load falls
 * on all of them alike, after one run not counted (it faults the pages
 * in and trains the predictors).
 *
 * Nothing is optimised away, nothing is optimised in that the design
 * cannot have: every handler is called through a pointer the program
 * writes at run time (the compiler cannot know which runs next, nor
 * inline one into another), and it works on memory it reaches through
 * pointers (the registers, the lazy flags), so each load and store is
 * kept.  Row 5's code, whose values the compiler does see, has an empty
 * asm on each result ("+r": the compiler must have the value in a
 * register there and cannot combine or reorder the operations; it emits
 * nothing) and an asm with a memory clobber at the block's end (the jump
 * to a block it cannot see: it must store the registers before and load
 * them after, instead of keeping them in host registers from one pass to
 * the next).
 *
 * The hops must be jumps: a call would push a frame a record and end in
 * a chain of returns, not the design's cost.  gcc and clang make them
 * jumps at -O2 (checked with gcc 12 and clang 14: objdump -d
 * build/bench/dispatch shows each handler ending in an indirect jmp and
 * no call among them).  The program checks it too: the jcc's record
 * notes the stack pointer at the last pass, and the driver compares it
 * with its own; a deeper stack means the hops were calls (an -O0 build:
 * make DEBUG=1), which is said on stderr.  The loop returns to the
 * driver every BATCH passes, so that such a build still runs.
 *
 *   make bench-dispatch && taskset -c 1 build/bench/dispatch [MILLIONS [RUNS]]
 *
 * MILLIONS of guest instructions a row and a run (30), RUNS runs (7);
 * the two tables take about 3 seconds.
 */
#if defined(__x86_64__) && defined(__GNUC__)

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <x86intrin.h>

#define NOINLINE __attribute__((noinline))

#define NALU 16       /* ALU instructions in the longer loop */
#define BATCH 512     /* passes of the loop between two returns */
#define CAL_LOOPS 100000 /* 100 imuls each */

/* softcpu's lz_kind values, in spirit: the operation and its size. */
enum { K_ADD = 1 | 8 << 8, K_SUB = 2 | 8 << 8, K_LOGIC = 3 | 8 << 8 };

struct vcpu {
	uint64_t regs[16];
};

struct cpu {
	struct vcpu *v;
	uint64_t lz_a;     /* the lazy flags, laid out as sc_cpu's */
	uint32_t lz_kind;
	uint64_t lz_b, lz_res;
	uint64_t left;     /* passes of the loop left in this batch */
	const struct rec *ring; /* the loop's first record */
	uintptr_t sp;      /* the stack pointer at the batch's last jcc */
};

struct rec;
typedef int fn_t(struct cpu *c, const struct rec *d);

struct rec {
	_Alignas(64) fn_t *fn;
	uint8_t dst, src; /* dst op= src */
	uint8_t dst2;     /* a fused record: then dst2 op2= dst */
	uint8_t unused[45];
	fn_t *hop;        /* the next record's fn (sc_insn's hop) */
};
_Static_assert(sizeof(struct rec) == 64, "a record is a cache line");

#define HOP(c, d) return (d)->hop((c), (d) + 1)

/*
 * The handlers, one for each instruction of the loop (the suffix is its
 * place), so that each jmp always goes to the same handler; the empty
 * asm (a comment; it emits nothing and clobbers nothing) keeps functions
 * of the same body distinct, which gcc would otherwise merge into one,
 * or into jumps to one (-fipa-icf).
 */
#define TAG(name) __asm__ volatile("# " #name ::)

/* Row 1: only the hop. */
#define HOP_ONLY(name)                                                   \
	static NOINLINE int name(struct cpu *c, const struct rec *d)     \
	{                                                                \
		TAG(name);                                               \
		HOP(c, d);                                               \
	}

/* Rows 2 and 3: one instruction, dst op= src, with its lazy flags. */
#define ALU(name, OP, LAZY)                                              \
	static NOINLINE int name(struct cpu *c, const struct rec *d)     \
	{                                                                \
		uint64_t *r = c->v->regs;                                \
		TAG(name);                                               \
		uint64_t a = r[d->dst], b = r[d->src], res = a OP b;     \
		LAZY;                                                    \
		r[d->dst] = res;                                         \
		HOP(c, d);                                               \
	}
#define LAZY_ARITH(k) (c->lz_kind = (k), c->lz_a = a, c->lz_b = b)
#define LAZY_LOGIC (c->lz_kind = K_LOGIC, c->lz_res = res)

/* Row 4: dst op1= src, then dst2 op2= dst, in one handler; only the
 * second's lazy flags are stored (the first's are dead). */
#define FUSED(name, OP1, OP2, LAZY)                                      \
	static NOINLINE int name(struct cpu *c, const struct rec *d)     \
	{                                                                \
		uint64_t *r = c->v->regs;                                \
		TAG(name);                                               \
		uint64_t x = r[d->dst] OP1 r[d->src];                    \
		r[d->dst] = x;                                           \
		uint64_t a = r[d->dst2], b = x, res = a OP2 b;           \
		LAZY;                                                    \
		r[d->dst2] = res;                                        \
		HOP(c, d);                                               \
	}

/* Row 6: row 3's instruction with its registers built in, src the
 * place's r(n % 8), dst r((n + 1) % 8): constant offsets from c->v. */
#define FIXED(name, n, OP, LAZY)                                         \
	static NOINLINE int name(struct cpu *c, const struct rec *d)     \
	{                                                                \
		uint64_t *r = c->v->regs;                                \
		TAG(name);                                               \
		uint64_t a = r[((n) + 1) % 8], b = r[(n) % 8];           \
		uint64_t res = a OP b;                                   \
		LAZY;                                                    \
		r[((n) + 1) % 8] = res;                                  \
		HOP(c, d);                                               \
	}

/* Row 7: row 3's instruction, each register's address made apart from
 * its access (the asm: a plain [reg] load and store, no index). */
#define PLAIN(name, OP, LAZY)                                            \
	static NOINLINE int name(struct cpu *c, const struct rec *d)     \
	{                                                                \
		uint64_t *pd = &c->v->regs[d->dst];                      \
		uint64_t *ps = &c->v->regs[d->src];                      \
		TAG(name);                                               \
		__asm__("" : "+r"(pd));                                  \
		__asm__("" : "+r"(ps));                                  \
		uint64_t a = *pd, b = *ps, res = a OP b;                 \
		LAZY;                                                    \
		*pd = res;                                               \
		HOP(c, d);                                               \
	}

/* Four instructions of the loop: add, sub, xor, and. */
#define FOUR(n0, n1, n2, n3)                                             \
	HOP_ONLY(hop_##n0) HOP_ONLY(hop_##n1)                            \
	HOP_ONLY(hop_##n2) HOP_ONLY(hop_##n3)                            \
	ALU(add_##n0, +, LAZY_ARITH(K_ADD))                              \
	ALU(sub_##n1, -, LAZY_ARITH(K_SUB))                              \
	ALU(xor_##n2, ^, LAZY_LOGIC)                                     \
	ALU(and_##n3, &, LAZY_LOGIC)                                     \
	FUSED(add_sub_##n0, +, -, LAZY_ARITH(K_SUB))                     \
	FUSED(xor_and_##n2, ^, &, LAZY_LOGIC)                            \
	FIXED(fixed_add_##n0, n0, +, LAZY_ARITH(K_ADD))                  \
	FIXED(fixed_sub_##n1, n1, -, LAZY_ARITH(K_SUB))                  \
	FIXED(fixed_xor_##n2, n2, ^, LAZY_LOGIC)                         \
	FIXED(fixed_and_##n3, n3, &, LAZY_LOGIC)                         \
	PLAIN(plain_add_##n0, +, LAZY_ARITH(K_ADD))                      \
	PLAIN(plain_sub_##n1, -, LAZY_ARITH(K_SUB))                      \
	PLAIN(plain_xor_##n2, ^, LAZY_LOGIC)                             \
	PLAIN(plain_and_##n3, &, LAZY_LOGIC)
FOUR(0, 1, 2, 3)
FOUR(4, 5, 6, 7)
FOUR(8, 9, 10, 11)
FOUR(12, 13, 14, 15)

static fn_t *const hop_fn[16] = {
	hop_0, hop_1, hop_2, hop_3, hop_4, hop_5, hop_6, hop_7,
	hop_8, hop_9, hop_10, hop_11, hop_12, hop_13, hop_14, hop_15,
};
static fn_t *const alu_fn[16] = {
	add_0, sub_1, xor_2, and_3, add_4, sub_5, xor_6, and_7,
	add_8, sub_9, xor_10, and_11, add_12, sub_13, xor_14, and_15,
};
static fn_t *const fixed_fn[16] = {
	fixed_add_0, fixed_sub_1, fixed_xor_2, fixed_and_3,
	fixed_add_4, fixed_sub_5, fixed_xor_6, fixed_and_7,
	fixed_add_8, fixed_sub_9, fixed_xor_10, fixed_and_11,
	fixed_add_12, fixed_sub_13, fixed_xor_14, fixed_and_15,
};
static fn_t *const plain_fn[16] = {
	plain_add_0, plain_sub_1, plain_xor_2, plain_and_3,
	plain_add_4, plain_sub_5, plain_xor_6, plain_and_7,
	plain_add_8, plain_sub_9, plain_xor_10, plain_and_11,
	plain_add_12, plain_sub_13, plain_xor_14, plain_and_15,
};
static fn_t *const fused_fn[8] = {
	add_sub_0, xor_and_2, add_sub_4, xor_and_6,
	add_sub_8, xor_and_10, add_sub_12, xor_and_14,
};

/* The jcc that closes the loop: another pass, or back to the driver. */
static NOINLINE int back_edge(struct cpu *c, const struct rec *d)
{
	(void)d;
	if (--c->left)
		return c->ring->fn(c, c->ring);
	__asm__ volatile("mov %%rsp, %0" : "=r"(c->sp));
	return 0;
}

/* Row 5: the loop as one block of host code, registers in host
 * registers (see the header for the two kinds of asm); eights times the
 * eight instructions r1 += r0 ... r0 &= r7. */
#define KEEP(x) __asm__("" : "+r"(x))
static NOINLINE void translated(struct cpu *c, uint64_t passes, int eights)
{
	uint64_t *r = c->v->regs;

	for (uint64_t p = 0; p < passes; p++) {
		uint64_t r0 = r[0], r1 = r[1], r2 = r[2], r3 = r[3];
		uint64_t r4 = r[4], r5 = r[5], r6 = r[6], r7 = r[7];

		for (int k = 0; k < eights; k++) {
			r1 += r0; KEEP(r1); r2 -= r1; KEEP(r2);
			r3 ^= r2; KEEP(r3); r4 &= r3; KEEP(r4);
			r5 += r4; KEEP(r5); r6 -= r5; KEEP(r6);
			r7 ^= r6; KEEP(r7); r0 &= r7; KEEP(r0);
		}
		c->lz_kind = K_LOGIC;
		c->lz_res = r0;
		r[0] = r0; r[1] = r1; r[2] = r2; r[3] = r3;
		r[4] = r4; r[5] = r5; r[6] = r6; r[7] = r7;
		__asm__ volatile("" ::: "memory");
	}
}

enum row { HOP_ONLY, INDEPENDENT, DEPENDENT, FUSED, TRANSLATED, FIXED_REGS,
	   PLAIN_ADDR, NROWS };

static const char *const row_name[NROWS] = {
	"1 only the hop",
	"2 register work, independent",
	"3 register work, on the previous result",
	"4 as 3, two instructions a handler",
	"5 as 3, straight-line code, host registers",
	"6 as 3, the register numbers in the handlers",
	"7 as 3, plain accesses, no index",
};
static const char *const row_what[NROWS] = {
	"handlers that only jump to the next record's handler: dispatch alone",
	"load, op, store of guest registers, no instruction needing the last",
	"the same handlers; each source is the last result, through memory",
	"a fused handler per pair: half the hops and the forwardings",
	"what a translator emits: a host op a guest one, no indirect jumps",
	"a handler per place, its registers at constant offsets, no index",
	"row 3's loads of register numbers, the address made apart: [reg]",
};

/*
 * Where things are, fixed, so that no two runs differ by it: each row's
 * records at the start of a page of their own, the CPU and its registers
 * in the middle of another.  A load and an earlier store whose addresses
 * agree in their low 12 bits are taken for dependent until the full
 * addresses are known (4K aliasing); with the CPU on the stack and the
 * records static, where they fell varied from run to run, and rows 2
 * and 6 moved by up to a quarter between runs.  Here the records' loads
 * (bytes 0 to 1087 of their pages) never share low bits with the
 * stores to the CPU and the registers (bytes 2048 to 2239).
 */
static struct {
	_Alignas(4096) struct rec rec[NALU + 1];
} ring[NROWS];
static struct {
	_Alignas(4096) uint8_t below[2048];
	struct cpu c;
	struct vcpu v;
} state;
_Static_assert(sizeof(struct rec) * (NALU + 1) <= 2048,
	       "the records stay below the CPU's bytes");
static bool deep; /* a hop was a call */

/* The loop of a row, nalu instructions and the jcc, as records chained
 * as softcpu's builder chains a block: each record's hop is the next
 * one's fn. */
static void build(enum row row, int nalu)
{
	struct rec *q = ring[row].rec;
	int n = 0;

	for (int i = 0; i < nalu; i++) {
		struct rec *d = &q[n];

		d->dst = (uint8_t)((i + 1) % 8);
		d->src = (uint8_t)(i % 8);
		switch (row) {
		case HOP_ONLY:
			d->fn = hop_fn[i];
			break;
		case INDEPENDENT:
			d->src = (uint8_t)(8 + i % 8);
			d->fn = alu_fn[i];
			break;
		case DEPENDENT:
			d->fn = alu_fn[i];
			break;
		case FIXED_REGS:
			d->fn = fixed_fn[i];
			break;
		case PLAIN_ADDR:
			d->fn = plain_fn[i];
			break;
		case FUSED: /* instructions i and i + 1 */
			d->dst2 = (uint8_t)((i + 2) % 8);
			d->fn = fused_fn[i / 2];
			i++;
			break;
		default:
			return;
		}
		n++;
	}
	q[n++].fn = back_edge;
	for (int i = 0; i + 1 < n; i++)
		q[i].hop = q[i + 1].fn;
}

/* TSC cycles for passes of the loop of a row. */
static uint64_t run(struct cpu *c, enum row row, uint64_t passes, int nalu)
{
	uintptr_t sp;
	uint64_t t0 = __rdtsc();

	if (row == TRANSLATED) {
		translated(c, passes, nalu / 8);
		return __rdtsc() - t0;
	}
	__asm__ volatile("mov %%rsp, %0" : "=r"(sp));
	c->ring = ring[row].rec;
	for (uint64_t done = 0; done < passes; done += BATCH) {
		c->left = BATCH;
		c->ring->fn(c, c->ring);
	}
	uint64_t t = __rdtsc() - t0;
	if (sp - c->sp > 4096)
		deep = true;
	return t;
}

/* Core cycles a TSC cycle: CAL_LOOPS x 100 dependent imuls, 3 each. */
static double core_per_tsc(void)
{
	uint64_t x = 3, t0 = __rdtsc();

	for (int i = 0; i < CAL_LOOPS; i++)
		__asm__ volatile(".rept 100\n\timul %0, %0\n\t.endr" : "+r"(x));
	return 300.0 * CAL_LOOPS / (double)(__rdtsc() - t0);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(v[0]), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* The table for loops of nalu instructions and the jcc. */
static void table(struct cpu *c, int nalu, long millions, int runs)
{
	int ninsn = nalu + 1;
	uint64_t passes = ((uint64_t)millions * 1000000 / (uint64_t)ninsn
			   + BATCH - 1) / BATCH * BATCH;
	uint64_t insns = passes * (uint64_t)ninsn;
	double tsc[NROWS][99], core[NROWS][99], ratio[NROWS * 99];
	int nratio = 0;

	for (int row = 0; row < NROWS; row++)
		build((enum row)row, nalu);
	for (int k = -1; k < runs; k++) {
		for (int row = 0; row < NROWS; row++) {
			double q = core_per_tsc();
			double t = (double)run(c, (enum row)row, passes, nalu)
				   / (double)insns;

			if (k < 0)
				continue;
			ratio[nratio++] = q;
			tsc[row][k] = t;
			core[row][k] = t * q;
		}
	}
	printf("a loop of %d instructions (%d records in rows 1-3, %d in "
	       "row 4), %.0fM of them a run\n", ninsn, ninsn, nalu / 2 + 1,
	       (double)insns / 1e6);
	printf("cycles per guest instruction, median of %d runs; core/TSC "
	       "%.2f (dependent imul at 3 cycles)\n", runs,
	       median(ratio, nratio));
	printf("%-44s %6s %6s\n", "", "TSC", "core");
	for (int row = 0; row < NROWS; row++) {
		printf("%-44s %6.2f %6.2f\n", row_name[row],
		       median(tsc[row], runs), median(core[row], runs));
		printf("    %s\n", row_what[row]);
	}
}

int main(int argc, char **argv)
{
	long millions = argc > 1 ? atol(argv[1]) : 30;
	int runs = argc > 2 ? atoi(argv[2]) : 7;
	struct cpu *c = &state.c;

	if (millions < 1 || runs < 1 || runs > 99) {
		fprintf(stderr, "usage: dispatch [MILLIONS [RUNS]]: "
				"a positive count, 1 to 99 runs\n");
		return 2;
	}
	c->v = &state.v;
	for (int i = 0; i < 16; i++)
		state.v.regs[i] = (uint64_t)i + 1;
	table(c, 8, millions, runs);
	printf("\n");
	table(c, NALU, millions, runs);
	fflush(stdout);
	if (deep)
		fprintf(stderr, "dispatch: the hops were calls, not jumps "
				"(an unoptimised build?): these figures are "
				"not the design's\n");
	return 0;
}

#else
#include <stdio.h>
int main(void)
{
	fprintf(stderr, "dispatch: x86-64 and gcc or clang only\n");
	return 1;
}
#endif
