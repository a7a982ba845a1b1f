/*
 * tests/diff/diff.h - the differential test of softcpu against the host CPU.
 *
 * One random instruction sequence runs twice: natively on the host CPU
 * (native.c) and on the software CPU (softrun.c), from the same registers,
 * flags and memory, at the same linear addresses.  difftest.c compares what
 * each side ends with; gen.c writes the sequences.  README.md tells the
 * method.
 *
 * The machine both sides see (guest-physical = linear = host-virtual):
 *
 *   DIFF_CODE              the sequence, then hlt
 *   DIFF_DATA              DIFF_BUF_SIZE bytes that memory operands address
 *   DIFF_DATA + BUF_SIZE   the stack page; RSP starts at DIFF_STACK_TOP
 */
#ifndef TESTS_DIFF_DIFF_H
#define TESTS_DIFF_DIFF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DIFF_CODE 0x10000000ULL
#define DIFF_CODE_SIZE 0x2000ULL
#define DIFF_DATA 0x10100000ULL
#define DIFF_BUF_SIZE 0x1000ULL
#define DIFF_DATA_SIZE 0x2000ULL /* the buffer and the stack page */
#define DIFF_STACK_TOP (DIFF_DATA + DIFF_BUF_SIZE + 0x800)

/* Guest RAM the softcpu side needs: the data region must lie inside it. */
#define DIFF_MEM_MIB 512

/*
 * Registers and flags at the start or at the end of a run.  regs[] is in
 * encoding order, as enum vcpu_reg of core/vcpu.h (which this header
 * leaves out so that native.c sees only what it needs).
 */
#define DIFF_NREGS 16
struct diff_state {
	uint64_t regs[DIFF_NREGS]; /* RAX..R15 */
	uint64_t rip;
	uint64_t rflags;
};

/* How a run ended: normally with #GP(0) at the hlt after the sequence. */
struct diff_result {
	struct diff_state st;
	uint8_t vector;            /* the exception that stopped the run */
	uint32_t error;            /* its error code (0 if it has none) */
	bool ok;                   /* false: the run could not be completed */
	char why[128];             /* when !ok: what went wrong */
	char broken[128];          /* an invariant the run broke, or "" */
	bool left_long_mode;       /* native: sysenter on an Intel host (the
				    * host kernel's 32-bit path; native.c) */
	uint8_t data[DIFF_DATA_SIZE];
	uint8_t code[DIFF_CODE_SIZE]; /* the code region (code may write it) */
};

/* One generated test case. */
#define SEQ_MAX_INSNS 512
struct diff_seq {
	uint8_t code[DIFF_CODE_SIZE]; /* as the code region holds it */
	size_t start;              /* where the sequence starts in code[] */
	size_t len;                /* where it ends, the final hlt included */
	size_t ninsns;
	size_t ndecodable;         /* the first ones Capstone must decode */
	uint16_t insn_off[SEQ_MAX_INSNS];     /* where each instruction starts */
	const char *insn_name[SEQ_MAX_INSNS]; /* the mnemonic it must decode to */
	uint64_t undef_flags;      /* status flags undefined at the end */
	uint64_t end_rip;          /* where the run must stop: the hlt, */
	uint8_t end_vector;        /* with #GP(0), or a fault or trap the */
	uint32_t end_error;        /* sequence ends with on purpose */
	const char *name;          /* a directed case's name, or NULL */
	struct diff_state init;
	uint8_t data[DIFF_DATA_SIZE];
};

/* gen.c: write test case number index of the run seeded by seed. */
void gen_sequence(struct diff_seq *s, uint64_t seed, uint64_t index);

/* gen.c: the directed cases (regressions), run before the random ones. */
size_t gen_ndirected(void);
/* gen.c: write directed case index, with data drawn from seed. */
void gen_directed(struct diff_seq *s, uint64_t seed, size_t index);

/*
 * gen.c: decode s with Capstone and check that every instruction has the
 * length and mnemonic the generator meant.  Prints each mismatch to stderr
 * and returns how many there were.
 */
int gen_check(const struct diff_seq *s);
/* gen.c: print s disassembled, one instruction a line, to stdout. */
void gen_print(const struct diff_seq *s);

/* native.c: map the code and data regions.  Returns 0, or -1 with why. */
int native_init(char *why, size_t len);
/* native.c: run s on the host CPU. */
void native_run(const struct diff_seq *s, struct diff_result *r);
/* native.c: is the host CPU an Intel one (sysenter runs in 64-bit mode)? */
bool native_is_intel(void);

/* softrun.c: create the VM on the software CPU.  Returns 0 or -1 with why. */
int softrun_init(char *why, size_t len);
/* softrun.c: run s on the software CPU. */
void softrun_run(const struct diff_seq *s, struct diff_result *r);
/* softrun.c: release the VM. */
void softrun_fini(void);
/* softrun.c: set *softrun_kick() from a signal handler to stop a run. */
volatile int *softrun_kick(void);

/* native.S: load st (RSP and RFLAGS too) and jump to rip; never returns. */
void native_enter(const struct diff_state *st, uint64_t rip)
	__attribute__((noreturn));

#endif /* TESTS_DIFF_DIFF_H */
