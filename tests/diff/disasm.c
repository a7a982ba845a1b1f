/*
 * tests/diff/disasm.c - Capstone's view of a generated sequence.
 *
 * Two uses: gen_check() holds the generator to what it meant (every
 * instruction must decode at the offset and with the mnemonic the generator
 * recorded), and gen_print() shows a failing sequence to the reader.
 */
#include <stdio.h>
#include <string.h>

#include <capstone/capstone.h>

#include "tests/diff/diff.h"

/* One Capstone handle for the whole run, opened on first use. */
static csh disasm_handle(void)
{
	static csh handle;
	static bool open;

	if (!open) {
		if (cs_open(CS_ARCH_X86, CS_MODE_64, &handle) != CS_ERR_OK) {
			fprintf(stderr, "difftest: cannot open Capstone\n");
			return 0;
		}
		open = true;
	}
	return handle;
}

/* Does the instruction at insn_off[i] match what Capstone decoded? */
static int check_one(const struct diff_seq *s, size_t i, const cs_insn *ci)
{
	const char *want = s->insn_name[i];
	size_t end = i + 1 < s->ninsns ? s->insn_off[i + 1] : s->len;

	if (ci->address - DIFF_CODE == s->insn_off[i] &&
	    ci->size == end - s->insn_off[i] &&
	    (!want || strstr(ci->mnemonic, want)))
		return 0;
	fprintf(stderr, "gen_check: instruction %zu at +%#x: meant %s "
		"(%zu bytes), Capstone decodes \"%s %s\" (%u bytes)\n", i,
		s->insn_off[i], want ? want : "jcc", end - s->insn_off[i],
		ci->mnemonic, ci->op_str, ci->size);
	return 1;
}

int gen_check(const struct diff_seq *s)
{
	csh h = disasm_handle();
	const uint8_t *code = s->code + s->start;
	size_t left = s->len - s->start, i = 0;
	uint64_t addr = DIFF_CODE + s->start;
	cs_insn *ci;
	int bad = 0;

	if (!h)
		return 1;
	ci = cs_malloc(h);
	while (i < s->ndecodable && cs_disasm_iter(h, &code, &left, &addr, ci))
		bad += check_one(s, i++, ci);
	if (i < s->ndecodable) {
		fprintf(stderr, "gen_check: Capstone stops at instruction %zu "
			"(+%#x)\n", i, s->insn_off[i]);
		bad++;
	}
	cs_free(ci, 1);
	return bad;
}

void gen_print(const struct diff_seq *s)
{
	csh h = disasm_handle();
	const uint8_t *code = s->code + s->start;
	size_t left = s->len - s->start;
	uint64_t addr = DIFF_CODE + s->start;
	cs_insn *ci;

	if (!h)
		return;
	ci = cs_malloc(h);
	while (left && cs_disasm_iter(h, &code, &left, &addr, ci)) {
		printf("  %#10llx: ", (unsigned long long)ci->address);
		for (unsigned k = 0; k < 10; k++)
			printf(k < ci->size ? "%02x" : "  ", ci->bytes[k]);
		printf("%s %s %s\n", ci->size > 10 ? ".." : "  ",
		       ci->mnemonic, ci->op_str);
	}
	if (left)
		printf("  (%zu bytes Capstone cannot decode)\n", left);
	cs_free(ci, 1);
}
