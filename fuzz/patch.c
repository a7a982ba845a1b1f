/*
 * fuzz/patch.c - the scanner of --patch (patch/patch.c) on random code
 * pages.
 *
 * The input's first byte picks the code size (16, 32 or 64 bits), whether
 * the next page is there (bit 7) and whether the patches go into RAM, as
 * on native (bit 6), the next two the entry offset, the
 * rest fills the page and the next (zeros after the input ends).  The
 * page is scanned from the entry and from every byte the input's last
 * bytes name as further entry points, as a guest reaching them would.
 * Must hold: every patched site is an instruction the scan decoded, which
 * decodes (from the original bytes) as a sensitive-unprivileged one; a
 * fetch sees PATCH_TRAP exactly at the sites and the original bytes
 * elsewhere (in RAM: each byte is its own or the trap, each site the
 * trap); a write to the frame, then to the next one, drops every record,
 * leaves no crossing counted and, in RAM, both pages as they were.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "isa/decode.h"
#include "isa/pgclass.h"
#include "patch/patch.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FRAME 0x3000ULL
#define NEXT 0x7000ULL
#define LIN 0x7ffffff000ULL

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (isa_init() < 0) {
		fprintf(stderr, "fuzz_patch: cannot open Capstone\n");
		exit(1);
	}
	return 0;
}

static uint8_t page[2 * PATCH_PAGE];
static uint8_t ram[1 << 20]; /* the patches in RAM: frames FRAME, NEXT */

/* In RAM: every byte of the frame is its own or the trap; sites trap. */
static void check_ram(const struct patch *p)
{
	for (unsigned i = 0; i < PATCH_PAGE; i++) {
		uint8_t b = ram[FRAME + i];
		if (b != page[i] && b != PATCH_TRAP)
			abort();
		if (patch_site(p, FRAME, i, NULL) && b != PATCH_TRAP)
			abort();
	}
}

/* Every site decodes, from the original bytes, as sensitive-unprivileged;
 * the overlay puts the trap on a decode that starts there, and changes no
 * other byte of any decode. */
static void check_sites(const struct patch *p, unsigned bits, bool have_next)
{
	const struct patch_page *pp = p->page[FRAME / PATCH_PAGE];
	uint8_t buf[INSN_MAX];

	for (unsigned off = 0; pp && off < PATCH_PAGE; off++) {
		bool site = patch_site(p, FRAME, off, NULL);
		unsigned n = PATCH_PAGE - off < INSN_MAX ? PATCH_PAGE - off
							 : INSN_MAX;
		const uint8_t *b = patch_overlay(p, FRAME, off, page + off, n,
						 buf);
		if ((b[0] == PATCH_TRAP) != (site || page[off] == PATCH_TRAP))
			abort();
		for (unsigned i = 1; i < n; i++)
			if (b[i] != page[off + i])
				abort();
		if (!site)
			continue;
		if (!(pp->start[off / 8] & (1u << (off % 8))))
			abort();
		struct insn in;
		size_t avail = have_next ? INSN_MAX
					 : (PATCH_PAGE - off < INSN_MAX ?
					    PATCH_PAGE - off : INSN_MAX);
		if (isa_decode_bytes_mode(page + off, avail, LIN + off, bits,
					  &in) != DECODE_OK ||
		    pg_classify(&in)->cls != PG_SENSITIVE_UNPRIVILEGED)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned modes[] = { 16, 32, 64 };
	struct patch *p;

	if (size < 3)
		return 0;
	unsigned bits = modes[data[0] % 3];
	bool have_next = data[0] & 0x80;
	unsigned entry = (data[1] | data[2] << 8) % PATCH_PAGE;
	memset(page, 0, sizeof(page));
	memcpy(page, data + 3, size - 3 < sizeof(page) ? size - 3
						       : sizeof(page));
	bool in_ram = data[0] & 0x40;
	if (!(p = patch_new(sizeof(ram))))
		abort();
	const uint8_t *code = page, *next = page + PATCH_PAGE;
	if (in_ram) {
		memcpy(ram + FRAME, page, PATCH_PAGE);
		memcpy(ram + NEXT, page + PATCH_PAGE, PATCH_PAGE);
		p->ram = ram;
		code = ram + FRAME;
		next = ram + NEXT;
	}
	patch_scan(p, FRAME, code, LIN, entry, bits,
		   have_next ? next : NULL, have_next ? NEXT : PATCH_NONE);
	/* Up to 8 further entry points, from the input's last bytes. */
	for (size_t i = 0; i < 8 && 2 * i + 5 <= size; i++) {
		unsigned off = (data[size - 2 * i - 1] |
				data[size - 2 * i - 2] << 8) % PATCH_PAGE;
		patch_scan(p, FRAME, code, LIN, off, bits,
			   have_next ? next : NULL,
			   have_next ? NEXT : PATCH_NONE);
	}
	if (in_ram)
		check_ram(p);
	else
		check_sites(p, bits, have_next);
	if (p->st.patched > p->st.insns)
		abort();
	patch_written(p, FRAME, NULL, NULL);
	patch_written(p, NEXT, NULL, NULL);
	if (p->page[FRAME / PATCH_PAGE] || p->crossed[NEXT / PATCH_PAGE])
		abort();
	if (in_ram && (memcmp(ram + FRAME, page, PATCH_PAGE) ||
		       memcmp(ram + NEXT, page + PATCH_PAGE, PATCH_PAGE)))
		abort();
	patch_free(p);
	return 0;
}
