/*
 * isa/decode.h - decode the instruction at a guest RIP with Capstone.
 *
 * The monitor learns what trapped by decoding the bytes at the guest's RIP,
 * fetched through the guest's own page tables by insn_fetch()
 * (shadowpt/walk.h; an instruction of up to 15 bytes may cross into the
 * next page).  Capstone is a disassembler, not a CPU: it tells the
 * instruction and its operands; the interpreter routines give them
 * meaning.
 */
#ifndef ISA_DECODE_H
#define ISA_DECODE_H

#include <stdint.h>

#include <capstone/capstone.h>

#define INSN_MAX 15 /* the architectural limit on an instruction's length */

/*
 * Capstone 4 does not know rdpid (F3 0F C7 /7) and decodes it as rdseed;
 * isa_decode_bytes gives it this id, after Capstone's last X86_INS_*.
 */
#define ISA_INS_RDPID (X86_INS_ENDING + 1)

/* One decoded instruction, with Capstone's x86 operand detail. */
struct insn {
	uint64_t rip;          /* where it was fetched */
	unsigned id;           /* Capstone's X86_INS_* */
	uint8_t size;          /* bytes */
	uint8_t bytes[INSN_MAX];
	char mnemonic[32];     /* as Capstone prints it: "mov" */
	char op_str[160];      /* "cr3, rax" */
	cs_x86 x86;            /* prefixes, operands, ModRM ... */
};

/* Open Capstone for 64-bit x86 with detail.  Returns 0 or -1. */
int isa_init(void);
/* Close Capstone. */
void isa_fini(void);

enum decode_result {
	DECODE_OK,
	DECODE_FAULT,   /* fetching the bytes faulted: #PF raised in the vCPU */
	DECODE_INVALID, /* Capstone knows no instruction there */
	DECODE_NO_RAM,  /* the code is mapped to memory the guest lacks:
			   nothing raised, the caller decides */
};

/* Decode a 64-bit-mode instruction from a buffer (tests, the tracer). */
enum decode_result isa_decode_bytes(const uint8_t *buf, size_t len,
				    uint64_t rip, struct insn *in);
/*
 * The same for code of default size bits (16, 32 or 64: cpu_code_size()
 * times 8), as the CPU decodes it in that mode: in 32-bit code 0x40-0x4f
 * are inc and dec, not REX prefixes.
 */
enum decode_result isa_decode_bytes_mode(const uint8_t *buf, size_t len,
					 uint64_t rip, unsigned bits,
					 struct insn *in);

/*
 * isa_decode_bytes_mode through the decode cache (dcache.c), for the
 * dispatcher's fetch of a trapping instruction: the decode of the same
 * bytes at the same rip in the same code size is handed out again
 * without Capstone.  Exact without invalidation: the bytes are the tag.
 */
enum decode_result isa_decode_cached(const uint8_t *buf, size_t len,
				     uint64_t rip, unsigned bits,
				     struct insn *in);

/*
 * The same decode, handed out by pointer into the cache: no copy of the
 * record.  On DECODE_OK *in points at the cache's own record, good until
 * the next isa_decode_ref or isa_decode_cached (which may reuse its
 * slot); on anything else *in is NULL.  Equally exact: the bytes are
 * compared on every call.
 */
enum decode_result isa_decode_ref(const uint8_t *buf, size_t len,
				  uint64_t rip, unsigned bits,
				  const struct insn **in);

/* What the decode cache did since the start (or the last flush). */
struct isa_dcache_stats {
	uint64_t hits;     /* decodes handed out again */
	uint64_t decodes;  /* misses: Capstone ran */
};
void isa_dcache_stats(struct isa_dcache_stats *st);
/* Empty the cache and zero its counts (tests). */
void isa_dcache_flush(void);

#endif /* ISA_DECODE_H */
