/*
 * tests/diff/difftest.c - the differential test: softcpu against the host.
 *
 *   difftest [--seed=N] [--count=N] [--start=N] [--verbose] [--native-only]
 *
 * For each of count sequences (numbered from start) of the run seeded by
 * seed: generate it (gen.c), check its encoding with Capstone (disasm.c),
 * run it on the host CPU (native.c) and on softcpu (softrun.c), and compare
 * every general register, RIP at the end, the status flags the SDM defines
 * at that point, DF, the exception that ended the run, and every byte of
 * the data region.  A mismatch is printed with the seed and index that
 * regenerate it, the disassembly and both register sets.  The last line is
 * always "N passed, M failed"; the exit status is 0 only when all agree.
 *
 * --native-only runs the host CPU twice instead: a check of the harness
 * itself (the generator must never write a sequence whose result depends
 * on anything but its inputs).
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "isa/x86.h"
#include "tests/diff/diff.h"

#define DEFAULT_SEED 0x7472617076697372ULL /* "trapvisr" */
#define DEFAULT_COUNT 3000
#define WATCHDOG_SECONDS 5 /* one sequence on softcpu takes microseconds */
#define COMPARED_FLAGS (FL_STATUS | FL_DF)

struct options {
	uint64_t seed, count, start;
	bool verbose, native_only;
};

static const char *const reg_names[DIFF_NREGS] = {
	"rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
	"r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15",
};

/* ------------------------------------------------------------- options */

static bool parse_u64(const char *arg, const char *name, uint64_t *v)
{
	size_t n = strlen(name);
	char *end;

	if (strncmp(arg, name, n) != 0)
		return false;
	errno = 0;
	*v = strtoull(arg + n, &end, 0);
	if (errno || end == arg + n || *end) {
		fprintf(stderr, "difftest: bad number in %s\n", arg);
		exit(2);
	}
	return true;
}

static void parse_options(int argc, char **argv, struct options *o)
{
	*o = (struct options){ .seed = DEFAULT_SEED, .count = DEFAULT_COUNT };
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (parse_u64(a, "--seed=", &o->seed) ||
		    parse_u64(a, "--count=", &o->count) ||
		    parse_u64(a, "--start=", &o->start))
			continue;
		if (!strcmp(a, "--verbose"))
			o->verbose = true;
		else if (!strcmp(a, "--native-only"))
			o->native_only = true;
		else {
			fprintf(stderr, "usage: difftest [--seed=N] "
				"[--count=N] [--start=N] [--verbose] "
				"[--native-only]\n");
			exit(2);
		}
	}
}

/* ------------------------------------------------------------- watchdog */

/* A softcpu that never stops is a failure to report, not a hang. */
static void watchdog_fire(int sig)
{
	(void)sig;
	*softrun_kick() = 1;
}

static void watchdog_set(unsigned seconds)
{
	struct itimerval t = { .it_value = { .tv_sec = seconds } };

	setitimer(ITIMER_REAL, &t, NULL);
}

static void watchdog_init(void)
{
	struct sigaction sa = { .sa_handler = watchdog_fire };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);
}

/* ------------------------------------------------------------- comparing */

/*
 * Does the run end where the generator says: #GP(0) at the final hlt, or
 * the fault or trap the sequence ends with on purpose?  (Nothing faults
 * before.)
 */
static bool ended_as_meant(const struct diff_seq *s,
			   const struct diff_result *r)
{
	return r->ok && r->vector == s->end_vector &&
	       r->error == s->end_error && r->st.rip == s->end_rip;
}

static uint64_t flags_mask(const struct diff_seq *s)
{
	return COMPARED_FLAGS & ~s->undef_flags;
}

/*
 * Did the run end with the one documented divergence of the host CPU: an
 * Intel CPU took the sysenter the sequence ends with into Linux's 32-bit
 * system call path (native.c), where the #UD that softcpu and AMD CPUs
 * raise never happens?  Only for that instruction, and only on Intel.
 */
static bool sysenter_on_intel(const struct diff_seq *s,
			      const struct diff_result *r)
{
	size_t at = s->end_rip - DIFF_CODE;

	return r->ok && r->left_long_mode && native_is_intel() &&
	       s->end_vector == T_UD && at + 2 <= DIFF_CODE_SIZE &&
	       s->code[at] == 0x0f && s->code[at + 1] == 0x34;
}

/* The registers that path keeps: all but RAX (its result), RSP (the
 * kernel loads the old RBP) and RBP (read from [(u32)RBP]). */
static bool lost_reg(int i)
{
	return i == 0 || i == 4 || i == 5; /* encoding order: RAX, RSP, RBP */
}

/* Do the two runs agree on the registers both can report? */
static bool regs_agree(const struct diff_result *a,
		       const struct diff_result *b)
{
	bool lost = a->left_long_mode || b->left_long_mode;

	for (int i = 0; i < DIFF_NREGS; i++)
		if (a->st.regs[i] != b->st.regs[i] && !(lost && lost_reg(i)))
			return false;
	return true;
}

/* Do the two runs agree on everything the architecture defines?  A run
 * that lost its sysenter on Intel is held to the rest: the registers the
 * kernel keeps, the status flags, every byte of memory. */
static bool agree(const struct diff_seq *s, const struct diff_result *a,
		  const struct diff_result *b)
{
	return (ended_as_meant(s, a) || sysenter_on_intel(s, a)) &&
	       (ended_as_meant(s, b) || sysenter_on_intel(s, b)) &&
	       !a->broken[0] && !b->broken[0] && regs_agree(a, b) &&
	       !((a->st.rflags ^ b->st.rflags) & flags_mask(s)) &&
	       !memcmp(a->data, b->data, DIFF_DATA_SIZE) &&
	       !memcmp(a->code, b->code, DIFF_CODE_SIZE);
}

static void print_end(const char *side, const struct diff_seq *s,
		      const struct diff_result *r)
{
	if (!r->ok && r->why[0])
		printf("  %-7s did not finish: %s\n", side, r->why);
	if (r->broken[0])
		printf("  %-7s broke an invariant: %s\n", side, r->broken);
	if (r->left_long_mode)
		printf("  %-7s left 64-bit mode (sysenter on an Intel host "
		       "enters Linux's 32-bit system call path)%s\n", side,
		       sysenter_on_intel(s, r) ? ": the documented divergence" :
		       "");
	printf("  %-7s stopped by vector %u error %#x at rip %#" PRIx64
	       "%s\n", side, r->vector, r->error, r->st.rip,
	       ended_as_meant(s, r) ? " (as meant)" : "");
}

static void print_regs(const struct diff_seq *s, const struct diff_result *a,
		       const struct diff_result *b, const char *bname)
{
	uint64_t m = flags_mask(s);

	printf("  %-5s %-18s %-18s %s\n", "", "initial", "native", bname);
	for (int i = 0; i < DIFF_NREGS; i++)
		printf("  %-5s %016" PRIx64 "   %016" PRIx64 "   %016" PRIx64
		       "%s\n", reg_names[i], s->init.regs[i], a->st.regs[i],
		       b->st.regs[i],
		       a->st.regs[i] != b->st.regs[i] ? "   <--" : "");
	printf("  %-5s %016" PRIx64 "   %016" PRIx64 "   %016" PRIx64
	       "%s (compared bits %#" PRIx64 ")\n", "flags", s->init.rflags,
	       a->st.rflags, b->st.rflags,
	       (a->st.rflags ^ b->st.rflags) & m ? "   <--" : "", m);
}

/* The bytes of one region where the two runs differ (16 at most). */
static void print_bytes(const char *what, uint64_t base, const uint8_t *a,
			const uint8_t *b, size_t n, const char *bname)
{
	size_t shown = 0;

	for (size_t i = 0; i < n; i++) {
		if (a[i] == b[i])
			continue;
		if (shown++ < 16)
			printf("  %s %#llx: native %02x, %s %02x\n", what,
			       (unsigned long long)(base + i), a[i], bname,
			       b[i]);
	}
	if (shown > 16)
		printf("  ... %zu bytes of %s differ in all\n", shown, what);
}

/* Which case failed, and how to run it alone. */
static void report_title(const struct options *o, uint64_t index,
			 const struct diff_seq *s)
{
	if (s->name) {
		printf("FAIL directed case %" PRIu64 ": %s\n", index, s->name);
		return;
	}
	printf("FAIL seed %#" PRIx64 " sequence %" PRIu64 " (rerun: difftest "
	       "--seed=%#" PRIx64 " --start=%" PRIu64 " --count=1%s)\n",
	       o->seed, index, o->seed, index,
	       o->native_only ? " --native-only" : "");
}

static void report(const struct options *o, uint64_t index,
		   const struct diff_seq *s, const struct diff_result *a,
		   const struct diff_result *b)
{
	const char *bname = o->native_only ? "again" : "softcpu";

	report_title(o, index, s);
	gen_print(s);
	print_end("native", s, a);
	print_end(bname, s, b);
	print_regs(s, a, b, bname);
	print_bytes("data", DIFF_DATA, a->data, b->data, DIFF_DATA_SIZE, bname);
	print_bytes("code", DIFF_CODE, a->code, b->code, DIFF_CODE_SIZE, bname);
}

/* ------------------------------------------------------------- main */

/* Run the generated case s both ways; true when both sides agree. */
static bool test_one(const struct options *o, uint64_t index,
		     const struct diff_seq *s, struct diff_result *a,
		     struct diff_result *b)
{
	if (gen_check(s)) {
		report_title(o, index, s);
		printf("  the generator's encoding is wrong\n");
		gen_print(s);
		return false;
	}
	native_run(s, a);
	if (o->native_only) {
		native_run(s, b);
	} else {
		watchdog_set(WATCHDOG_SECONDS);
		softrun_run(s, b);
		watchdog_set(0);
	}
	if (agree(s, a, b)) {
		if (o->verbose) {
			printf("ok %s %" PRIu64 "\n", s->name ? "directed case" :
			       "sequence", index);
			gen_print(s);
		}
		return true;
	}
	report(o, index, s, a, b);
	return false;
}

int main(int argc, char **argv)
{
	static struct diff_seq seq;
	static struct diff_result native, other;
	struct options o;
	uint64_t passed = 0, failed = 0;
	char why[256];

	parse_options(argc, argv, &o);
	if (native_init(why, sizeof(why)) < 0 ||
	    (!o.native_only && softrun_init(why, sizeof(why)) < 0)) {
		fprintf(stderr, "difftest: %s\n", why);
		printf("0 passed, 1 failed\n");
		return 1;
	}
	watchdog_init();
	for (size_t i = 0; o.start == 0 && i < gen_ndirected(); i++) {
		gen_directed(&seq, o.seed, i);
		*(test_one(&o, i, &seq, &native, &other) ? &passed : &failed) += 1;
	}
	for (uint64_t i = o.start; i < o.start + o.count; i++) {
		gen_sequence(&seq, o.seed, i);
		*(test_one(&o, i, &seq, &native, &other) ? &passed : &failed) += 1;
		fflush(stdout);
	}
	if (!o.native_only)
		softrun_fini();
	printf("%" PRIu64 " passed, %" PRIu64 " failed\n", passed, failed);
	return failed ? 1 : 0;
}
