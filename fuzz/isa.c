/*
 * fuzz/isa.c - Capstone decoding and the Popek-Goldberg classification
 * (isa/decode.c, isa/pgclass.c) on arbitrary instruction bytes.
 *
 * The input is up to 15 bytes of code at an address chosen by the input's
 * first byte (near the end of the canonical lower half, at 0, ...).  A
 * decoded instruction must have a length within what was given and the
 * architectural limit, and every instruction gets a class with a name.
 * The decode cache (isa/dcache.c) must give what Capstone gives, whatever
 * it decoded before at the same address: each input is decoded through
 * it too, in a code size the first byte also picks, and compared.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "isa/decode.h"
#include "isa/pgclass.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (isa_init() < 0) {
		fprintf(stderr, "fuzz_isa: cannot open Capstone\n");
		exit(1);
	}
	return 0;
}

/* Where the instruction sits: RIP-relative operands and branch targets
 * are computed from it, so wrap-around at both ends gets exercised. */
static const uint64_t rips[] = {
	0x100000, 0, 0x00007ffffffffff0ULL, 0xfffffffffffffff8ULL,
	0xffff800000000000ULL, 0x7fffffff,
};

/* Does the cache's decode of code[0..n) agree with Capstone's? */
static void check_cached(const uint8_t *code, size_t n, uint64_t rip,
			 unsigned bits)
{
	struct insn want, got;
	enum decode_result r = isa_decode_bytes_mode(code, n, rip, bits, &want);

	for (int i = 0; i < 2; i++) { /* a miss or a hit, then a hit */
		if (isa_decode_cached(code, n, rip, bits, &got) != r)
			abort();
		if (r != DECODE_OK)
			continue;
		if (got.id != want.id || got.size != want.size ||
		    got.rip != want.rip ||
		    memcmp(got.bytes, want.bytes, want.size) != 0 ||
		    strcmp(got.mnemonic, want.mnemonic) != 0 ||
		    strcmp(got.op_str, want.op_str) != 0 ||
		    got.x86.op_count != want.x86.op_count ||
		    got.x86.disp != want.x86.disp)
			abort();
		for (unsigned k = 0; k < want.x86.op_count; k++)
			if (got.x86.operands[k].type !=
				    want.x86.operands[k].type ||
			    got.x86.operands[k].size !=
				    want.x86.operands[k].size ||
			    got.x86.operands[k].imm != want.x86.operands[k].imm)
				abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct insn in;

	if (size < 1)
		return 0;
	uint64_t rip = rips[data[0] % (sizeof(rips) / sizeof(rips[0]))];
	size_t n = size - 1 > INSN_MAX ? INSN_MAX : size - 1;
	uint8_t *code = malloc(n ? n : 1); /* ASan sees reads past n */
	if (!code)
		abort();
	memcpy(code, data + 1, n);
	memset(&in, 0xa5, sizeof(in));
	if (isa_decode_bytes(code, n, rip, &in) == DECODE_OK) {
		if (in.size < 1 || in.size > n || in.rip != rip ||
		    !memchr(in.mnemonic, '\0', sizeof(in.mnemonic)) ||
		    !memchr(in.op_str, '\0', sizeof(in.op_str)))
			abort();
		const struct pg_entry *pg = pg_classify(&in);
		if (!pg || !pg->name || !pg_class_name(pg->cls))
			abort();
		if (pg->cls == PG_INNOCUOUS && pg->sensitivity)
			abort(); /* innocuous means not sensitive at all */
	}
	check_cached(code, n, rip, (unsigned[]){ 16, 32, 64 }[data[0] / 64 % 3]);
	free(code);
	return 0;
}
