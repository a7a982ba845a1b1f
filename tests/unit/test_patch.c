/*
 * tests/unit/test_patch.c - the scanner of --patch (patch/patch.c).
 *
 * Hand-assembled code pages, scanned from an entry point: what is patched
 * (every sensitive-unprivileged instruction on a path the CPU can take,
 * nothing else: not data that looks like code, not privileged or
 * innocuous instructions), where the scan goes (both edges of a branch,
 * into a call's target, never past a ret or a jmp until an entry point
 * shows the way), an instruction crossing into the next page, what a
 * fetch sees (patch_overlay: the trap byte at a site's first byte only, so
 * a jump into the middle sees the original bytes), and what a write drops.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "patch/patch.h"
#include "isa/arch.h"
#include "isa/decode.h"
#include "isa/x86.h"
#include "core/engine.h"
#include "core/guest_mem.h"
#include "core/vm.h"
#include "monitor/loader.h"
#include "monitor/machine.h"
#include "shadowpt/shadowpt.h"

#define LIN 0x200000ULL  /* the page's linear address */
#define FRAME 0x5000ULL  /* its frame (RAM offset) */
#define NEXT 0x9000ULL   /* the frame of the next linear page */
#define RAM (64ULL << 20)

static uint8_t page[PATCH_PAGE], next[PATCH_PAGE];

static int setup(void **state)
{
	(void)state;
	return isa_init();
}

static int teardown(void **state)
{
	(void)state;
	isa_fini();
	return 0;
}

/* A page of int3 (cc: decodes, innocuous) with code at off. */
static void code_at(unsigned off, const uint8_t *code, size_t len)
{
	memset(page, 0xcc, sizeof(page));
	memcpy(page + off, code, len);
}

static bool site(const struct patch *p, unsigned off)
{
	return patch_site(p, FRAME, off, NULL);
}

/* pushfq; pop %rax; ret after a jmp over data bytes 9c 0f 01: the data
 * is never decoded, so nothing in it is patched (a linear sweep would
 * patch the 9c). */
static void test_follows_flow_not_sweep(void **state)
{
	static const uint8_t code[] = {
		0xeb, 0x03,             /* 0: jmp 5 */
		0x9c, 0x0f, 0x01,       /* 2: data that looks like pushf */
		0x9c, 0x58, 0xc3,       /* 5: pushfq; pop %rax; ret */
		0x9c,                   /* 8: after ret: not reached */
	};
	struct patch *p = patch_new(RAM);
	uint8_t orig;

	(void)state;
	code_at(0, code, sizeof(code));
	assert_int_equal(patch_scan(p, FRAME, page, LIN, 0, 64, NULL,
				    PATCH_NONE), 1);
	assert_false(site(p, 2));
	assert_true(patch_site(p, FRAME, 5, &orig));
	assert_int_equal(orig, 0x9c);
	assert_false(site(p, 8));
	/* The guest reaches 8 (a return lands there): a new entry point. */
	assert_int_equal(patch_scan(p, FRAME, page, LIN, 8, 64, NULL,
				    PATCH_NONE), 1);
	assert_true(site(p, 8));
	assert_int_equal(p->st.patched, 2);
	assert_int_equal(p->st.scans, 2);
	patch_free(p);
}

/* jz over cpuid to sgdt: both edges; call into the page: its target. */
static void test_both_edges_and_calls(void **state)
{
	static const uint8_t code[] = {
		0x74, 0x03,                    /* 0: jz 5 */
		0x0f, 0xa2,                    /* 2: cpuid */
		0xc3,                          /* 4: ret */
		0x0f, 0x01, 0x00,              /* 5: sgdt (%rax) */
		0xe8, 0x01, 0x00, 0x00, 0x00,  /* 8: call 14 */
		0xc3,                          /* 13: ret */
		0x8c, 0xc8,                    /* 14: mov %cs, %eax */
		0x0f, 0xa0,                    /* 16: push %fs */
		0xfa,                          /* 18: cli (privileged) */
		0x48, 0x89, 0xd8,              /* 19: mov %rbx, %rax */
		0x0f, 0x31,                    /* 22: rdtsc */
		0xff, 0xe0,                    /* 24: jmp *%rax */
		0x9c,                          /* 26: not reached */
	};
	struct patch *p = patch_new(RAM);

	(void)state;
	code_at(0, code, sizeof(code));
	assert_int_equal(patch_scan(p, FRAME, page, LIN, 0, 64, NULL,
				    PATCH_NONE), 5);
	assert_true(site(p, 2));
	assert_true(site(p, 5));
	assert_true(site(p, 14));
	assert_true(site(p, 16));
	assert_false(site(p, 18)); /* privileged: it traps by itself */
	assert_false(site(p, 19));
	assert_true(site(p, 22));
	assert_false(site(p, 26));
	patch_free(p);
}

/*
 * One instruction of each kind, in a line: only the sensitive-unprivileged
 * ones are sites.  A privileged instruction traps by itself (patching it
 * would only hide which one it was), an innocuous one needs nothing.  The
 * list is isa/README.md's: every form a kernel uses, so that a scanner
 * that names instructions by hand, or patches "anything not innocuous",
 * is caught.  A prefixed site (66 9c, 48 0f 01 e0) is patched at its first
 * byte, the prefix, not at its opcode.
 */
static const struct { uint8_t len, site; uint8_t b[4]; } kinds[] = {
	/* sensitive-unprivileged: sites */
	{ 1, 1, { 0x9c } },                   /* pushfq */
	{ 1, 1, { 0x9d } },                   /* popfq */
	{ 2, 1, { 0x66, 0x9c } },             /* pushfw (prefix first) */
	{ 3, 1, { 0x0f, 0x01, 0x00 } },       /* sgdt (%rax) */
	{ 3, 1, { 0x0f, 0x01, 0x08 } },       /* sidt (%rax) */
	{ 3, 1, { 0x0f, 0x00, 0xc0 } },       /* sldt %eax */
	{ 3, 1, { 0x0f, 0x00, 0xc8 } },       /* str %eax */
	{ 3, 1, { 0x0f, 0x01, 0xe0 } },       /* smsw %eax */
	{ 4, 1, { 0x48, 0x0f, 0x01, 0xe0 } }, /* smsw %rax (REX first) */
	{ 3, 1, { 0x0f, 0x02, 0xc0 } },       /* lar %ax, %eax */
	{ 3, 1, { 0x0f, 0x03, 0xc0 } },       /* lsl %ax, %eax */
	{ 3, 1, { 0x0f, 0x00, 0xe0 } },       /* verr %ax */
	{ 3, 1, { 0x0f, 0x00, 0xe8 } },       /* verw %ax */
	{ 2, 1, { 0x0f, 0xa2 } },             /* cpuid */
	{ 2, 1, { 0x0f, 0x31 } },             /* rdtsc */
	{ 3, 1, { 0x0f, 0x01, 0xf9 } },       /* rdtscp */
	{ 2, 1, { 0x8c, 0xc8 } },             /* mov %cs, %eax */
	{ 2, 1, { 0x8e, 0xd8 } },             /* mov %eax, %ds */
	{ 2, 1, { 0x0f, 0xa8 } },             /* push %gs */
	/* privileged: they trap by themselves */
	{ 1, 0, { 0xfa } },                   /* cli */
	{ 1, 0, { 0xfb } },                   /* sti */
	{ 1, 0, { 0xf4 } },                   /* hlt: the trap byte itself */
	{ 2, 0, { 0xe4, 0x60 } },             /* in $0x60, %al */
	{ 2, 0, { 0xe6, 0x80 } },             /* out %al, $0x80 */
	{ 3, 0, { 0x0f, 0x01, 0x10 } },       /* lgdt (%rax) */
	{ 3, 0, { 0x0f, 0x00, 0xd8 } },       /* ltr %ax */
	{ 3, 0, { 0x0f, 0x01, 0xf0 } },       /* lmsw %ax */
	{ 3, 0, { 0x0f, 0x22, 0xd8 } },       /* mov %rax, %cr3 */
	{ 3, 0, { 0x0f, 0x20, 0xc0 } },       /* mov %cr0, %rax */
	{ 2, 0, { 0x0f, 0x32 } },             /* rdmsr */
	{ 2, 0, { 0x0f, 0x30 } },             /* wrmsr */
	{ 3, 0, { 0x0f, 0x01, 0x38 } },       /* invlpg (%rax) */
	{ 3, 0, { 0x0f, 0x01, 0xf8 } },       /* swapgs */
	{ 2, 0, { 0x0f, 0x06 } },             /* clts */
	{ 2, 0, { 0xcd, 0x80 } },             /* int $0x80 */
	/* innocuous */
	{ 1, 0, { 0x90 } },                   /* nop */
	{ 3, 0, { 0x48, 0x89, 0xd8 } },       /* mov %rbx, %rax */
	{ 1, 0, { 0xcc } },                   /* int3 */
	{ 2, 0, { 0x0f, 0x05 } },             /* syscall */
	{ 1, 0, { 0x50 } },                   /* push %rax */
};

static void test_only_sensitive_unprivileged(void **state)
{
	struct patch *p = patch_new(RAM);
	unsigned off[sizeof(kinds) / sizeof(kinds[0])], at = 0, want = 0;
	uint8_t orig;

	(void)state;
	memset(page, 0xcc, sizeof(page));
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		off[i] = at;
		memcpy(page + at, kinds[i].b, kinds[i].len);
		at += kinds[i].len;
		want += kinds[i].site;
	}
	page[at] = 0xc3; /* ret */
	assert_int_equal(patch_scan(p, FRAME, page, LIN, 0, 64, NULL,
				    PATCH_NONE), want);
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		if (kinds[i].site != site(p, off[i]))
			fail_msg("kinds[%zu] (first byte %#x at %u): %s", i,
				 kinds[i].b[0], off[i], kinds[i].site ?
				 "not patched" : "patched, but is no site");
		for (unsigned b = 1; b < kinds[i].len; b++)
			if (site(p, off[i] + b))
				fail_msg("kinds[%zu]: byte %u patched: only an "
					 "instruction's first byte is", i, b);
		if (kinds[i].site) {
			assert_true(patch_site(p, FRAME, off[i], &orig));
			assert_int_equal(orig, kinds[i].b[0]);
		}
	}
	patch_free(p);
}

/*
 * Where paths end and go on.  Each entry is scanned alone; the 9c after
 * each transfer is data unless the transfer can fall through: after a
 * call (assumed to return), a conditional jump and loop it is code, after
 * ret, iretq, ud2, sysretq, a far jmp through memory and jmp *%rax it is
 * not.  A target in the page is scanned (the 9c at a jmp's target).
 */
static void test_where_paths_go(void **state)
{
	static const struct { uint8_t len, falls; uint8_t b[5]; } ends[] = {
		{ 5, 1, { 0xe8, 0x00, 0x01, 0x00, 0x00 } }, /* call +0x100 */
		{ 2, 1, { 0x75, 0x7e } },                   /* jnz +0x7e */
		{ 2, 1, { 0xe2, 0x7e } },                   /* loop +0x7e */
		{ 1, 0, { 0xc3 } },                         /* ret */
		{ 2, 0, { 0x48, 0xcf } },                   /* iretq */
		{ 2, 0, { 0x0f, 0x0b } },                   /* ud2 */
		{ 3, 0, { 0x48, 0x0f, 0x07 } },             /* sysretq */
		{ 2, 0, { 0xff, 0x28 } },                   /* ljmp *(%rax) */
		{ 2, 0, { 0xff, 0xe0 } },                   /* jmp *%rax */
		{ 1, 0, { 0xcb } },                         /* lret */
	};
	const unsigned n = sizeof(ends) / sizeof(ends[0]);

	(void)state;
	for (unsigned i = 0; i < n; i++) {
		struct patch *p = patch_new(RAM);
		unsigned len = ends[i].len;

		memset(page, 0xcc, sizeof(page));
		memcpy(page, ends[i].b, len);
		page[len] = 0x9c;
		page[len + 1] = 0xc3;
		patch_scan(p, FRAME, page, LIN, 0, 64, NULL, PATCH_NONE);
		if (site(p, len) != ends[i].falls)
			fail_msg("ends[%u] (%#x %#x): the byte after it is %s",
				 i, ends[i].b[0], ends[i].b[1], ends[i].falls ?
				 "code, and was not scanned" :
				 "not reached, and was patched");
		patch_free(p);
	}
	/* jmp +0x10 over a 9c: the target is scanned, the byte after not. */
	struct patch *p = patch_new(RAM);
	memset(page, 0xcc, sizeof(page));
	memcpy(page, (const uint8_t[]){ 0xeb, 0x10, 0x9c }, 3);
	page[0x12] = 0x9c;
	page[0x13] = 0xc3;
	assert_int_equal(patch_scan(p, FRAME, page, LIN, 0, 64, NULL,
				    PATCH_NONE), 1);
	assert_false(site(p, 2));
	assert_true(site(p, 0x12));
	patch_free(p);
}

/* Targets on another page are not followed; the scan stays in its page. */
static void test_other_pages_not_followed(void **state)
{
	static const uint8_t code[] = {
		0xe9, 0x00, 0x10, 0x00, 0x00,  /* 0: jmp +0x1000 (next page) */
	};
	struct patch *p = patch_new(RAM);

	(void)state;
	code_at(0, code, sizeof(code));
	page[0x1005 - 0x1000] = 0x9c; /* what would be there, by mistake */
	assert_int_equal(patch_scan(p, FRAME, page, LIN, 0, 64, NULL,
				    PATCH_NONE), 0);
	assert_int_equal(p->st.insns, 1);
	patch_free(p);
}

/* smsw %eax (0f 01 e0) from the last byte of the page: scanned only with
 * the next page's bytes, and then the next frame is remembered. */
static void test_crossing(void **state)
{
	static const uint8_t tail[] = { 0x01, 0xe0, 0xc3 };
	struct patch *p = patch_new(RAM);

	(void)state;
	memset(page, 0xcc, sizeof(page));
	page[PATCH_PAGE - 1] = 0x0f;
	memcpy(next, tail, sizeof(tail));
	assert_int_equal(patch_scan(p, FRAME, page, LIN, PATCH_PAGE - 1, 64,
				    NULL, PATCH_NONE), 0);
	assert_int_equal(p->st.insns, 0); /* left for when it is there */
	assert_int_equal(patch_scan(p, FRAME, page, LIN, PATCH_PAGE - 1, 64,
				    next, NEXT), 1);
	assert_true(site(p, PATCH_PAGE - 1));
	assert_int_equal(p->crossed[NEXT / PATCH_PAGE], 1);
	/* A write to the next frame drops this record too. */
	patch_written(p, NEXT + 0x10, NULL, NULL);
	assert_false(site(p, PATCH_PAGE - 1));
	assert_int_equal(p->crossed[NEXT / PATCH_PAGE], 0);
	assert_int_equal(p->st.dropped, 1);
	patch_free(p);
}

static void count_forget(void *arg, uint64_t frame)
{
	uint64_t *seen = arg;

	seen[0]++;
	seen[1] = frame;
}

/* A write to the frame: its record goes and the engine is told. */
static void test_written(void **state)
{
	static const uint8_t code[] = { 0x9c, 0xc3 };
	struct patch *p = patch_new(RAM);
	uint64_t seen[2] = { 0, 0 };

	(void)state;
	code_at(0x100, code, sizeof(code));
	assert_int_equal(patch_scan(p, FRAME, page, LIN, 0x100, 64, NULL,
				    PATCH_NONE), 1);
	patch_written(p, FRAME + 0x800, count_forget, seen); /* any byte */
	assert_int_equal(seen[0], 1);
	assert_int_equal(seen[1], FRAME);
	assert_false(site(p, 0x100));
	/* Scanned again, the new bytes decide: a nop is not patched. */
	page[0x100] = 0x90;
	assert_int_equal(patch_scan(p, FRAME, page, LIN, 0x100, 64, NULL,
				    PATCH_NONE), 0);
	/* A write elsewhere drops nothing. */
	patch_written(p, FRAME + PATCH_PAGE, count_forget, seen);
	assert_int_equal(seen[0], 1);
	patch_free(p);
}

/* What a fetch sees: hlt on the site's first byte, the rest original. */
static void test_overlay(void **state)
{
	static const uint8_t code[] = {
		0x0f, 0x03, 0xc0,   /* 0: lsl %eax, %eax */
		0xc3,               /* 3: ret */
	};
	struct patch *p = patch_new(RAM);
	uint8_t buf[15];
	const uint8_t *b;

	(void)state;
	code_at(0, code, sizeof(code));
	assert_int_equal(patch_scan(p, FRAME, page, LIN, 0, 64, NULL,
				    PATCH_NONE), 1);
	b = patch_overlay(p, FRAME, 0, page, 4, buf);
	assert_ptr_equal(b, buf);
	assert_int_equal(b[0], PATCH_TRAP);
	assert_memory_equal(b + 1, code + 1, 3);
	assert_int_equal(page[0], 0x0f); /* the page itself is untouched */
	/* A jump into the middle fetches the original bytes. */
	assert_ptr_equal(patch_overlay(p, FRAME, 1, page + 1, 3, buf),
			 page + 1);
	/* ...and is a new entry point: 03 c0 is add, not sensitive. */
	assert_int_equal(patch_scan(p, FRAME, page, LIN, 1, 64, NULL,
				    PATCH_NONE), 0);
	assert_false(site(p, 1));
	/* A frame with no record is fetched as it is. */
	assert_ptr_equal(patch_overlay(p, FRAME + PATCH_PAGE, 0, page, 4,
				       buf), page);
	patch_free(p);
}

/* 32-bit code: 9c is pushfd, 40 is inc (no REX), 0f 00 c8 is str. */
static void test_32bit(void **state)
{
	static const uint8_t code[] = {
		0x40,               /* 0: inc %eax */
		0x9c,               /* 1: pushfd */
		0x0f, 0x00, 0xc8,   /* 2: str %eax */
		0x1e,               /* 5: push %ds (no such thing in 64-bit) */
		0xc3,               /* 6: ret */
	};
	struct patch *p = patch_new(RAM);

	(void)state;
	code_at(0, code, sizeof(code));
	assert_int_equal(patch_scan(p, FRAME, page, LIN, 0, 32, NULL,
				    PATCH_NONE), 3);
	assert_false(site(p, 0));
	assert_true(site(p, 1));
	assert_true(site(p, 2));
	assert_true(site(p, 5));
	patch_free(p);
}

/* 16-bit code: a branch target is not followed (the CPU wraps IP, not
 * the linear address Capstone adds to), the fall-through is. */
static void test_16bit(void **state)
{
	static const uint8_t code[] = {
		0x74, 0x01,   /* 0: jz 3 */
		0x9c,         /* 2: pushf */
		0x9c,         /* 3: pushf: only as a jump target */
		0xc3,
	};
	struct patch *p = patch_new(RAM);

	(void)state;
	code_at(0, code, sizeof(code));
	assert_int_equal(patch_scan(p, FRAME, page, LIN, 0, 16, NULL,
				    PATCH_NONE), 2); /* 2, then 3 falling through */
	memcpy(page, (const uint8_t[]){ 0xeb, 0x01, 0xcc, 0x9c }, 4);
	patch_written(p, FRAME, NULL, NULL);
	assert_int_equal(patch_scan(p, FRAME, page, LIN, 0, 16, NULL,
				    PATCH_NONE), 0); /* jmp 3: not followed */
	assert_false(site(p, 3));
	patch_free(p);
}

/* With the patches in RAM (native): the frame becomes hlt but for the
 * bytes of the decoded instructions, a site's first byte stays hlt, the
 * tail of an instruction crossing into a scanned frame is real there, and
 * a write puts every original byte back but those the monitor wrote. */
static void test_in_ram(void **state)
{
	static uint8_t ram[4 * PATCH_PAGE];
	static const uint8_t code[] = {
		0x0f, 0x03, 0xc0,   /* 0: lsl %eax, %eax */
		0xc3,               /* 3: ret */
		0x9c,               /* 4: not reached */
	};
	const uint64_t a = 0, b = PATCH_PAGE; /* frames */
	struct patch *p = patch_new(sizeof(ram));
	uint8_t want[2 * PATCH_PAGE];

	(void)state;
	memset(ram, 0x90, sizeof(ram));
	memcpy(ram + a, code, sizeof(code));
	ram[a + PATCH_PAGE - 1] = 0x0f;          /* smsw %eax across a|b */
	memcpy(ram + b, (const uint8_t[]){ 0x01, 0xe0, 0xc3 }, 3);
	memcpy(want, ram, sizeof(want));
	p->ram = ram;
	/* b scanned first (its entry at 2), then a from 0 and from its end */
	assert_int_equal(patch_scan(p, b, ram + b, LIN + PATCH_PAGE, 2, 64,
				    NULL, PATCH_NONE), 0);
	assert_int_equal(ram[b + 2], 0xc3);     /* real */
	assert_int_equal(ram[b + 0], PATCH_TRAP); /* not decoded yet */
	assert_int_equal(ram[b + 3], PATCH_TRAP);
	assert_int_equal(patch_scan(p, a, ram + a, LIN, 0, 64, ram + b, b), 1);
	assert_int_equal(ram[a + 0], PATCH_TRAP); /* the site */
	assert_memory_equal(ram + a + 1, code + 1, 3);
	assert_int_equal(ram[a + 4], PATCH_TRAP); /* after ret: not scanned */
	assert_int_equal(patch_scan(p, a, ram + a, LIN, PATCH_PAGE - 1, 64,
				    ram + b, b), 1);
	assert_int_equal(ram[a + PATCH_PAGE - 1], PATCH_TRAP);
	assert_int_equal(ram[b + 0], 0x01);     /* the tail, real in b */
	assert_int_equal(ram[b + 1], 0xe0);
	/* The monitor writes byte 4 of a: kept; the rest comes back, and b
	 * goes with a (a's crossing instruction ends there)... */
	ram[a + 4] = 0x55;
	want[a + 4] = 0x55;
	assert_true(patch_ram_written(p, a + 4, 1));
	assert_memory_equal(ram + a, want + a, PATCH_PAGE);
	assert_false(patch_scanned(p, a));
	assert_true(patch_scanned(p, b));
	/* ...and the guest's write to b (before it lands) restores b. */
	patch_written(p, b, NULL, NULL);
	assert_memory_equal(ram + b, want + b, PATCH_PAGE);
	assert_false(patch_guards(p, b));
	patch_free(p);
}

/*
 * With the patches in RAM, a site found inside bytes an earlier scan made
 * real (mov $0x9c, %eax entered at its immediate: pushfq) gets the trap
 * byte in RAM too, so on native the mov loads 0xf4.  softcpu's overlay
 * shows the trap only to a decode that starts on the site: the mov loads
 * 0x9c, and the pushfq entered in the middle traps (the handout's question
 * on overlapping instructions).
 */
static void test_site_inside_another_in_ram(void **state)
{
	static uint8_t ram[2 * PATCH_PAGE];
	static const uint8_t code[] = {
		0xb8, 0x9c, 0x00, 0x00, 0x00,   /* 0: mov $0x9c, %eax */
		0xc3,                           /* 5: ret */
	};
	struct patch *p = patch_new(sizeof(ram));
	uint8_t buf[15];

	(void)state;
	memset(ram, 0x90, sizeof(ram));
	memcpy(ram, code, sizeof(code));
	p->ram = ram;
	assert_int_equal(patch_scan(p, 0, ram, LIN, 0, 64, NULL, PATCH_NONE),
			 0);
	assert_memory_equal(ram, code, sizeof(code)); /* all real */
	assert_int_equal(patch_scan(p, 0, ram, LIN, 1, 64, NULL, PATCH_NONE),
			 1);
	assert_int_equal(ram[1], PATCH_TRAP);
	assert_memory_equal(ram + 2, code + 2, sizeof(code) - 2);
	/* softcpu's view of the same bytes: the mov as it is, the trap for
	 * the pushfq */
	p->ram = NULL;
	memcpy(page, code, sizeof(code));
	assert_ptr_equal(patch_overlay(p, 0, 0, page, 6, buf), page);
	assert_int_equal(patch_overlay(p, 0, 1, page + 1, 5, buf)[0],
			 PATCH_TRAP);
	patch_free(p);
}

/*
 * The trap side, in a VM (softcpu, booted, identity-mapped): a #GP at rip
 * is the patch's only on a site's first byte, found from rip through CS's
 * base (32-bit code) and the shadow; and with the patches in RAM the
 * instruction to emulate is the original one, its first byte back, also
 * when it crosses into the next page.
 */
#define CODE 0x100100ULL        /* guest-virtual = guest-physical */
#define EDGE 0x101fffULL        /* the last byte of a page */

static void vm_with_code(struct vm *vm)
{
	static const uint8_t lsl[] = { 0x0f, 0x03, 0xc0, 0xc3 };
	struct vm_options opt = { .mem_mib = 4, .engine = "softcpu" };
	char why[200];
	uint8_t *ram;

	assert_int_equal(vm_create(vm, &opt, -1, why, sizeof(why)), 0);
	boot_setup(vm, CODE, "");
	assert_int_equal(engine_softcpu.init(vm, why, sizeof(why)), 0);
	vm->engine = &engine_softcpu;
	ram = gm_ptr(&vm->mem, 0, 4 << 20);
	memcpy(ram + CODE, lsl, sizeof(lsl));
	ram[EDGE] = 0x0f;                     /* smsw %eax across the edge */
	memcpy(ram + EDGE + 1, (const uint8_t[]){ 0x01, 0xe0, 0xc3 }, 3);
	/* the shadow's leaves for both pages, as the first fetches make them */
	assert_int_equal(shadowpt_fault(vm, CODE, PFEC_I), SHADOW_FILLED);
	assert_int_equal(shadowpt_fault(vm, EDGE, PFEC_I), SHADOW_FILLED);
	assert_int_equal(shadowpt_fault(vm, EDGE + 1, PFEC_I), SHADOW_FILLED);
	assert_non_null(vm->patch = patch_new(vm->mem.size));
}

static void test_trap_side(void **state)
{
	static struct vm vm;
	struct vcpu *v = &vm.vcpu;
	uint64_t watch[2];

	(void)state;
	vm_with_code(&vm);
	patch_enter(&vm, CODE, CODE, watch);
	assert_true(patch_is_site(&vm, CODE));
	assert_false(patch_is_site(&vm, CODE + 1));  /* the middle */
	assert_false(patch_is_site(&vm, CODE + 3));  /* ret */
	assert_false(patch_is_site(&vm, CODE + PATCH_PAGE)); /* elsewhere */
	assert_true(patch_trap(&vm, CODE));
	assert_false(patch_trap(&vm, CODE + 3));
	assert_int_equal(vm.patch->st.traps, 1);
	/* 32-bit code: rip is an offset in CS, the site's linear address is
	 * CS.base + rip. */
	uint16_t attr = v->seg[SEG_CS].attr;
	v->seg[SEG_CS].attr = (uint16_t)((attr & ~SEG_ATTR_L) | SEG_ATTR_DB);
	v->seg[SEG_CS].base = CODE - 0x100;
	assert_true(patch_is_site(&vm, 0x100));
	assert_false(patch_is_site(&vm, CODE));
	v->seg[SEG_CS].attr = attr;
	v->seg[SEG_CS].base = 0;
	patch_free(vm.patch);
	vm_destroy(&vm);
}

static void test_original_in_ram(void **state)
{
	static struct vm vm;
	struct insn in;
	uint64_t watch[2];
	uint8_t *ram;

	(void)state;
	vm_with_code(&vm);
	ram = gm_ptr(&vm.mem, 0, 4 << 20);
	vm.patch->ram = ram;
	patch_enter(&vm, CODE, CODE, watch);
	patch_enter(&vm, EDGE + 1, EDGE + 1, watch); /* the next page first */
	patch_enter(&vm, EDGE, EDGE, watch);
	assert_int_equal(ram[CODE], PATCH_TRAP);
	assert_int_equal(ram[EDGE], PATCH_TRAP);
	assert_int_equal(patch_original(&vm, CODE, &in), DECODE_OK);
	assert_int_equal(in.id, X86_INS_LSL);
	assert_int_equal(in.size, 3);
	assert_int_equal(patch_original(&vm, EDGE, &in), DECODE_OK);
	assert_int_equal(in.id, X86_INS_SMSW);
	assert_int_equal(in.size, 3);
	patch_free(vm.patch);
	vm_destroy(&vm);
}

/* Undecodable bytes end a path, frames outside RAM are refused. */
static void test_bad_input(void **state)
{
	struct patch *p = patch_new(RAM);

	(void)state;
	memset(page, 0xff, sizeof(page)); /* ff ff: invalid */
	assert_int_equal(patch_scan(p, FRAME, page, LIN, 0, 64, NULL,
				    PATCH_NONE), 0);
	assert_int_equal(patch_scan(p, RAM, page, LIN, 0, 64, NULL,
				    PATCH_NONE), 0);
	assert_int_equal(patch_scan(p, FRAME, page, LIN, PATCH_PAGE, 64,
				    NULL, PATCH_NONE), 0);
	assert_false(patch_site(p, RAM + 5, 0, NULL));
	patch_written(p, RAM * 2, NULL, NULL);
	patch_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_follows_flow_not_sweep),
		cmocka_unit_test(test_both_edges_and_calls),
		cmocka_unit_test(test_only_sensitive_unprivileged),
		cmocka_unit_test(test_where_paths_go),
		cmocka_unit_test(test_other_pages_not_followed),
		cmocka_unit_test(test_crossing),
		cmocka_unit_test(test_written),
		cmocka_unit_test(test_overlay),
		cmocka_unit_test(test_32bit),
		cmocka_unit_test(test_16bit),
		cmocka_unit_test(test_in_ram),
		cmocka_unit_test(test_site_inside_another_in_ram),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_trap_side),
		cmocka_unit_test(test_original_in_ram),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
