/*
 * isa/dcache.c - decode once: the monitor's cache of decoded instructions.
 *
 * A de-privileged kernel traps on the same few instructions again and
 * again: the cli and sti around every critical section, the in and out of
 * a driver's loop, the syscall of every system call.  Each trap used to
 * cost a fresh Capstone decode of bytes decoded a thousand times before,
 * and that decode was the largest single part of a trap.
 *
 * What Capstone returns depends on three things only: the bytes, the
 * address they sit at (a relative branch's target is printed from it) and
 * the code size (16, 32 or 64 bits).  So a decode is kept in a slot of
 * ISA_DCACHE_SIZE, direct-mapped by that address, and handed out again
 * when the three are the same: the slot's tag is the instruction's own
 * bytes.  A cache tagged that way needs no invalidation at all, and is
 * exact on every engine:
 *
 *   - a write that changes the instruction (the guest's own store,
 *     softcpu's or a native child's that the monitor never sees, DMA, the
 *     monitor's gva_write) changes the bytes the next fetch reads: a miss;
 *     a write that leaves them alone leaves the decode right;
 *   - an instruction that crosses a page is compared whole, so a change
 *     of its second page, by a write or by a new mapping, is a miss too;
 *   - a change of mode (32-bit code against 64-bit code) is part of the
 *     tag;
 *   - --patch (patch/): what is decoded is what the fetch gives, and the
 *     fetch of a patched site gives the original bytes (softcpu never
 *     writes patches into RAM; on native patch_original() puts the
 *     original bytes back before the decode).
 *
 * The fetch itself still happens on every trap (shadowpt/walk.c): it must,
 * for the guest to get the #PF or #GP a real fetch would raise.  What is
 * saved is Capstone.  A decoded instruction of n bytes depends on those n
 * bytes alone (a decoder reads no further than the instruction), so a
 * record decoded from 15 bytes serves a fetch that found fewer, as long as
 * the n are there.  A failed decode is never kept: it is rare, and must
 * tell a cut-short instruction from an invalid one each time.
 *
 * softcpu keeps its own cache of its own decoded records, with page
 * generations (engines/softcpu/cache.c): it cannot afford even the fetch
 * per instruction, where the monitor, which fetches per trap, can afford
 * a comparison of at most 15 bytes.
 */
#include <stdbool.h>
#include <string.h>

#include "isa/decode.h"

/* Slots, direct-mapped by RIP: enough for every trapping site of a kernel
 * and its programs (toyos has a few dozen). */
#define ISA_DCACHE_SIZE 512

struct isa_dcache_slot {
	bool valid;
	uint8_t bits;      /* the code size it was decoded as: 16, 32, 64 */
	struct insn in;    /* the decode: in.rip, in.size, in.bytes are the
			      rest of the tag */
};

static struct isa_dcache_slot isa_dcache[ISA_DCACHE_SIZE];
static struct isa_dcache_stats isa_dcache_count;

/* RIP's slot: the low bits, folded with those of the page. */
static struct isa_dcache_slot *isa_dcache_slot(uint64_t rip)
{
	return &isa_dcache[(rip ^ (rip >> 9)) & (ISA_DCACHE_SIZE - 1)];
}

/*
 * Does the slot hold the decode of these bytes at rip in bits-bit code?
 * The bytes are compared in a loop of at most INSN_MAX rounds, most often
 * one to three: a call to memcmp cost more than the compare.
 */
static bool isa_dcache_match(const struct isa_dcache_slot *s,
			     const uint8_t *buf, size_t len, uint64_t rip,
			     unsigned bits)
{
	if (!s->valid || s->bits != bits || s->in.rip != rip ||
	    s->in.size > len)
		return false;
	for (unsigned i = 0; i < s->in.size; i++)
		if (s->in.bytes[i] != buf[i])
			return false;
	return true;
}

/*
 * The decode is handed out by pointer, into its slot: a trap reads its
 * instruction where the cache keeps it, where a copy of the 688-byte
 * record cost a third of the fetch (isa/README.md, "Decode once").
 *
 * Exactness is the same as with a copy, because it never rested on the
 * record: the bytes are compared with what the fetch just read on every
 * call, so a write to guest RAM between two traps, by anyone, is a miss.
 * The pointer is const, so no routine can change what the next trap at
 * that RIP is handed.  What the pointer asks of the caller is a lifetime:
 * the slot is written by the next decode through the cache that lands in
 * it, so the record is good until the caller's next fetch.  The
 * dispatcher fetches once per exit, and nothing it calls for that exit
 * (the routine, --stats, --trace, which decodes apart: insn_peek) decodes
 * through the cache (monitor/dispatch.c).  A failed decode empties its
 * slot: the record was written over.
 */
enum decode_result isa_decode_ref(const uint8_t *buf, size_t len,
				  uint64_t rip, unsigned bits,
				  const struct insn **in)
{
	struct isa_dcache_slot *s = isa_dcache_slot(rip);
	enum decode_result res;

	bits = bits == 16 || bits == 32 ? bits : 64;
	if (isa_dcache_match(s, buf, len, rip, bits)) {
		*in = &s->in;
		isa_dcache_count.hits++;
		return DECODE_OK;
	}
	isa_dcache_count.decodes++;
	/* Decoded into the slot itself: kept when good, dropped if not. */
	res = isa_decode_bytes_mode(buf, len, rip, bits, &s->in);
	s->valid = res == DECODE_OK;
	s->bits = (uint8_t)bits;
	*in = res == DECODE_OK ? &s->in : NULL;
	return res;
}

enum decode_result isa_decode_cached(const uint8_t *buf, size_t len,
				     uint64_t rip, unsigned bits,
				     struct insn *in)
{
	const struct insn *p;
	enum decode_result res = isa_decode_ref(buf, len, rip, bits, &p);

	if (res == DECODE_OK)
		*in = *p;
	return res;
}

void isa_dcache_stats(struct isa_dcache_stats *st)
{
	*st = isa_dcache_count;
}

void isa_dcache_flush(void)
{
	memset(isa_dcache, 0, sizeof(isa_dcache));
	memset(&isa_dcache_count, 0, sizeof(isa_dcache_count));
}
