/*
 * tests/unit/test_dcache.c - the dispatcher's decode cache (isa/dcache.c).
 *
 * The cache hands out a decode again only for the same bytes at the same
 * RIP in the same code size.  These tests change each of those behind its
 * back, the ways a guest and the monitor do - a write to the page of a
 * cached instruction (through the monitor, and straight into RAM as a
 * native child's store lands), the second page of an instruction that
 * crosses one (its bytes, then its mapping), the code size, a --patch
 * site whose RAM holds the patch (native) - and check that the fetch
 * decodes what is there now, and that an unchanged instruction is a hit
 * (the counts say which).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/vm.h"
#include "isa/arch.h"
#include "isa/decode.h"
#include "isa/x86.h"
#include "monitor/machine.h"
#include "patch/patch.h"
#include "shadowpt/shadowpt.h"
#include "shadowpt/walk.h"
#include "tests/unit/support/guestpt.h"

#define TABLES_GPA 0x2000ULL  /* further guest tables from here */
#define CODE_VA 0x400000ULL   /* a code page... */
#define CODE_GPA 0x100000ULL  /* ...in this frame */
#define NEXT_GPA 0x108000ULL  /* the frame of the page after it */
#define OTHER_GPA 0x10c000ULL /* another frame for that page */

static struct vm the_vm;

/* Long mode, 64-bit code at CPL 0, and an empty cache. */
static int setup(void **state)
{
	*state = &the_vm;
	if (gpt_vm_make64(&the_vm, NULL, TABLES_GPA) < 0)
		return -1;
	the_vm.vcpu.seg[SEG_CS] = (struct vcpu_segment){
		.selector = 8, .limit = 0xffffffff, .attr = 0x9b | SEG_ATTR_L,
	};
	isa_dcache_flush();
	return 0;
}

static int teardown(void **state)
{
	vm_destroy(*state);
	return 0;
}

/* The guest's 4 KiB leaf for va, tables above it made P | W | U. */
static uint64_t *gpt_leaf(struct vm *vm, uint64_t va)
{
	return gpt_entry64(vm, va, 1, PTE_P | PTE_W | PTE_U);
}

static void map(struct vm *vm, uint64_t va, uint64_t gpa)
{
	*gpt_leaf(vm, va) = gpa | PTE_P | PTE_W;
}

/* The monitor's write (gva_write, DMA: engine->ram_written is told). */
static void put(struct vm *vm, uint64_t gpa, const void *b, size_t n)
{
	assert_int_equal(vm_write_phys(vm, gpa, b, n), 0);
}

/* A store that lands in RAM with nobody told: a native child's. */
static void poke(struct vm *vm, uint64_t gpa, uint8_t b)
{
	uint8_t *p = gm_ptr(&vm->mem, gpa, 1);

	assert_non_null(p);
	*p = b;
}

static struct isa_dcache_stats counts(void)
{
	struct isa_dcache_stats s;

	isa_dcache_stats(&s);
	return s;
}

/* Fetch and decode at rip: the instruction's id; size in *size. */
static unsigned fetch(struct vm *vm, uint64_t rip, unsigned *size)
{
	struct insn in;

	assert_int_equal(insn_fetch(vm, rip, &in), DECODE_OK);
	assert_int_equal(in.rip, rip);
	if (size)
		*size = in.size;
	return in.id;
}

/* A hit is the very decode Capstone gives, and costs no Capstone. */
static void test_hit_is_the_decode(void **state)
{
	static const uint8_t jmp[] = { 0xe9, 0x10, 0x00, 0x00, 0x00 };
	struct insn a, b, c;

	(void)state;
	assert_int_equal(isa_decode_cached(jmp, sizeof(jmp), 0x1000, 64, &a),
			 DECODE_OK);
	assert_int_equal(isa_decode_cached(jmp, sizeof(jmp), 0x1000, 64, &b),
			 DECODE_OK);
	assert_int_equal(counts().decodes, 1);
	assert_int_equal(counts().hits, 1);
	assert_int_equal(isa_decode_bytes_mode(jmp, sizeof(jmp), 0x1000, 64,
					       &c), DECODE_OK);
	assert_int_equal(b.id, c.id);
	assert_int_equal(b.size, c.size);
	assert_string_equal(b.op_str, c.op_str); /* "0x1015" */
	assert_int_equal(b.x86.operands[0].imm, c.x86.operands[0].imm);
	/* The same bytes elsewhere jump elsewhere: rip is in the tag. */
	assert_int_equal(isa_decode_cached(jmp, sizeof(jmp), 0x2000, 64, &b),
			 DECODE_OK);
	assert_int_equal(b.x86.operands[0].imm, 0x2015);
	assert_int_equal(counts().decodes, 2);
	/* Fewer bytes than the cached instruction has: no hit, and the
	 * decode says the bytes ran out. */
	assert_int_equal(isa_decode_cached(jmp, 3, 0x2000, 64, &b),
			 DECODE_FAULT);
	assert_int_equal(counts().hits, 1);
}

/*
 * The dispatcher's fetch hands out the cache's own record (no copy): the
 * same record on every hit, Capstone's decode, and still exact - a store
 * to the instruction between two fetches is seen by the next one.  A
 * fetch or a decode that fails hands out nothing, and a failed decode
 * leaves nothing in its slot for the next call to take.
 */
static void test_ref_by_pointer(void **state)
{
	struct vm *vm = *state;
	static const uint8_t jmp[] = { 0xe9, 0x10, 0x00, 0x00, 0x00 };
	uint64_t rip = CODE_VA + 0x20;
	const struct insn *p, *q;
	struct insn c;

	map(vm, CODE_VA, CODE_GPA);
	put(vm, CODE_GPA + 0x20, jmp, sizeof(jmp));
	assert_int_equal(insn_fetch_ref(vm, rip, &p), DECODE_OK);
	assert_int_equal(insn_fetch_ref(vm, rip, &q), DECODE_OK);
	assert_ptr_equal(p, q);
	assert_int_equal(counts().decodes, 1);
	assert_int_equal(counts().hits, 1);
	assert_int_equal(isa_decode_bytes_mode(jmp, sizeof(jmp), rip, 64, &c),
			 DECODE_OK);
	assert_int_equal(q->id, c.id);
	assert_int_equal(q->size, c.size);
	assert_string_equal(q->op_str, c.op_str);
	assert_int_equal(q->x86.operands[0].imm, c.x86.operands[0].imm);
	/* A native child's store nobody tells of: the next fetch sees it. */
	poke(vm, CODE_GPA + 0x20, 0xfa); /* cli */
	assert_int_equal(insn_fetch_ref(vm, rip, &q), DECODE_OK);
	assert_int_equal(q->id, X86_INS_CLI);
	assert_int_equal(q->size, 1);
	assert_int_equal(counts().decodes, 2);
	/* A fetch that faults (nothing mapped there) hands out nothing. */
	q = &c;
	assert_int_equal(insn_fetch_ref(vm, CODE_VA + 2 * PAGE_4K, &q),
			 DECODE_FAULT);
	assert_null(q);
	vm->vcpu.exception.pending = false;
	/* A decode cut short hands out nothing, and empties its slot: the
	 * whole instruction afterwards is decoded again, not taken from a
	 * record the failure wrote over. */
	q = &c;
	assert_int_equal(isa_decode_ref(jmp, 3, 0x5000, 64, &q), DECODE_FAULT);
	assert_null(q);
	assert_int_equal(isa_decode_ref(jmp, sizeof(jmp), 0x5000, 64, &q),
			 DECODE_OK);
	assert_int_equal(q->x86.operands[0].imm, 0x5015);
	assert_int_equal(counts().decodes, 4);
}

/* A write to the page of a cached instruction: the next fetch decodes
 * what is there now, whoever wrote it; a write beside it changes nothing. */
static void test_page_written(void **state)
{
	struct vm *vm = *state;
	uint64_t rip = CODE_VA + 0x10;

	map(vm, CODE_VA, CODE_GPA);
	put(vm, CODE_GPA + 0x10, (const uint8_t[]){ 0xfa }, 1); /* cli */
	assert_int_equal(fetch(vm, rip, NULL), X86_INS_CLI);
	assert_int_equal(fetch(vm, rip, NULL), X86_INS_CLI);
	assert_int_equal(counts().hits, 1);
	/* The monitor writes the instruction (gva_write, DMA). */
	put(vm, CODE_GPA + 0x10, (const uint8_t[]){ 0xfb }, 1); /* sti */
	assert_int_equal(fetch(vm, rip, NULL), X86_INS_STI);
	/* A native child's store: nobody tells the monitor. */
	poke(vm, CODE_GPA + 0x10, 0xf4); /* hlt */
	assert_int_equal(fetch(vm, rip, NULL), X86_INS_HLT);
	assert_int_equal(counts().decodes, 3);
	/* A write to the page that leaves the instruction alone. */
	poke(vm, CODE_GPA + 0x11, 0xcc);
	put(vm, CODE_GPA + 0x0f, (const uint8_t[]){ 0x90 }, 1);
	assert_int_equal(fetch(vm, rip, NULL), X86_INS_HLT);
	assert_int_equal(counts().decodes, 3);
	assert_int_equal(counts().hits, 2);
}

/* The whole page rewritten, as a loader or an exec writes a program over
 * the last one: what is at rip now is decoded, whatever was cached; the
 * same code written again is still a hit. */
static void test_page_rewritten(void **state)
{
	struct vm *vm = *state;
	static uint8_t page[PAGE_4K];
	uint64_t rip = CODE_VA + 0x80;
	unsigned size;

	map(vm, CODE_VA, CODE_GPA);
	memset(page, 0x90, sizeof(page));
	page[0x80] = 0xfa; /* cli */
	put(vm, CODE_GPA, page, sizeof(page));
	assert_int_equal(fetch(vm, rip, &size), X86_INS_CLI);
	assert_int_equal(fetch(vm, rip, &size), X86_INS_CLI);
	/* Another program: in al, 0x60 where the cli was. */
	memset(page, 0xcc, sizeof(page));
	page[0x80] = 0xe4;
	page[0x81] = 0x60;
	put(vm, CODE_GPA, page, sizeof(page));
	assert_int_equal(fetch(vm, rip, &size), X86_INS_IN);
	assert_int_equal(size, 2);
	/* The same program again: nothing at rip changed. */
	put(vm, CODE_GPA, page, sizeof(page));
	assert_int_equal(fetch(vm, rip, &size), X86_INS_IN);
	assert_int_equal(counts().decodes, 2);
	assert_int_equal(counts().hits, 2);
}

/* An instruction across two pages depends on both frames: a write to the
 * second, a new mapping of it, its going away. */
static void test_crossing(void **state)
{
	struct vm *vm = *state;
	static const uint8_t mov[] = { /* movabs rax, 0x0807060504030201 */
		0x48, 0xb8, 1, 2, 3, 4, 5, 6, 7, 8,
	};
	uint64_t rip = CODE_VA + PAGE_4K - 4; /* 4 bytes here, 6 there */
	struct insn in;

	map(vm, CODE_VA, CODE_GPA);
	map(vm, CODE_VA + PAGE_4K, NEXT_GPA);
	put(vm, CODE_GPA + PAGE_4K - 4, mov, 4);
	put(vm, NEXT_GPA, mov + 4, 6);
	put(vm, OTHER_GPA, (const uint8_t[]){ 5, 6, 7, 8, 9, 10 }, 6);
	assert_int_equal(insn_fetch(vm, rip, &in), DECODE_OK);
	assert_int_equal(in.size, 10);
	assert_int_equal(in.x86.operands[1].imm, 0x0807060504030201ULL);
	assert_int_equal(insn_fetch(vm, rip, &in), DECODE_OK);
	assert_int_equal(counts().hits, 1);
	/* The last byte, in the second frame, is written. */
	poke(vm, NEXT_GPA + 5, 0x80);
	assert_int_equal(insn_fetch(vm, rip, &in), DECODE_OK);
	assert_int_equal(in.x86.operands[1].imm, 0x8007060504030201ULL);
	/* The second page is mapped to another frame. */
	map(vm, CODE_VA + PAGE_4K, OTHER_GPA);
	assert_int_equal(insn_fetch(vm, rip, &in), DECODE_OK);
	assert_int_equal(in.x86.operands[1].imm, 0x0a09080706050201ULL);
	assert_int_equal(counts().decodes, 3);
	assert_int_equal(counts().hits, 1);
	/* The second page goes: #PF at its address, no stale decode. */
	*gpt_leaf(vm, CODE_VA + PAGE_4K) = 0;
	assert_int_equal(insn_fetch(vm, rip, &in), DECODE_FAULT);
	assert_true(vm->vcpu.exception.pending);
	assert_int_equal(vm->vcpu.exception.vector, T_PF);
	assert_int_equal(vm->vcpu.cr2, CODE_VA + PAGE_4K);
	vm->vcpu.exception.pending = false;
}

/* The same bytes at the same RIP in 64-bit and in 32-bit code (a change
 * of CS.L, as a far jump into compatibility mode makes). */
static void test_mode_change(void **state)
{
	struct vm *vm = *state;
	uint64_t rip = CODE_VA + 0x40;
	unsigned size;

	map(vm, CODE_VA, CODE_GPA);
	put(vm, CODE_GPA + 0x40, (const uint8_t[]){ 0x48, 0xff, 0xc0 }, 3);
	assert_int_equal(fetch(vm, rip, &size), X86_INS_INC); /* inc rax */
	assert_int_equal(size, 3);
	vm->vcpu.seg[SEG_CS].attr = 0x9b | SEG_ATTR_DB; /* compatibility */
	assert_int_equal(cpu_code_size(&vm->vcpu), 4);
	assert_int_equal(fetch(vm, rip, &size), X86_INS_DEC); /* dec eax */
	assert_int_equal(size, 1);
	vm->vcpu.seg[SEG_CS].attr = 0x9b | SEG_ATTR_L;
	assert_int_equal(fetch(vm, rip, &size), X86_INS_INC);
	assert_int_equal(size, 3);
	assert_int_equal(counts().decodes, 3);
	assert_int_equal(counts().hits, 0);
}

/* mov with an immediate is 5 bytes in 32- and 64-bit code and 3 in 16-bit
 * code: each code size at one rip is its own decode, and coming back to a
 * size whose slot was taken by another decodes again. */
static void test_code_sizes(void **state)
{
	struct vm *vm = *state;
	uint64_t rip = CODE_VA + 0x60;
	static const struct { uint16_t attr; unsigned size; } modes[] = {
		{ 0x9b | SEG_ATTR_L, 5 },  /* 64-bit: mov eax, 0x04030201 */
		{ 0x9b | SEG_ATTR_DB, 5 }, /* 32-bit: the same */
		{ 0x9b, 3 },               /* 16-bit: mov ax, 0x0201 */
		{ 0x9b | SEG_ATTR_L, 5 },
		{ 0x9b | SEG_ATTR_L, 5 },  /* unchanged: a hit */
	};
	unsigned size;

	map(vm, CODE_VA, CODE_GPA);
	put(vm, CODE_GPA + 0x60, (const uint8_t[]){ 0xb8, 1, 2, 3, 4 }, 5);
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		vm->vcpu.seg[SEG_CS].attr = modes[i].attr;
		assert_int_equal(fetch(vm, rip, &size), X86_INS_MOV);
		assert_int_equal(size, modes[i].size);
	}
	assert_int_equal(counts().decodes, 4);
	assert_int_equal(counts().hits, 1);
}

/*
 * --patch with the patches in RAM (native): the fetch at a site sees the
 * patch (hlt), which is what the CPU ran; patch_original() decodes the
 * instruction the site stands for.  The two alternate at one RIP, each
 * decoded once, neither ever handed out for the other.
 */
static void test_patched_site(void **state)
{
	struct vm *vm = *state;
	uint64_t rip = CODE_VA + 0x20;
	struct insn in;

	map(vm, CODE_VA, CODE_GPA);
	put(vm, CODE_GPA + 0x20, (const uint8_t[]){ 0x9c, 0xc3 }, 2);
	/* The kernel's fetch at ring 3 fills the shadow (frame_of finds the
	 * frame through it). */
	assert_int_equal(shadowpt_fault(vm, CODE_VA, PFEC_U | PFEC_I),
			 SHADOW_FILLED);
	/* Decoded before the patch: pushfq. */
	assert_int_equal(fetch(vm, rip, NULL), X86_INS_PUSHFQ);
	vm->patch = patch_new(vm->mem.size);
	assert_non_null(vm->patch);
	vm->patch->ram = vm->mem.base;
	assert_int_equal(patch_scan(vm->patch, CODE_GPA,
				    gm_ptr(&vm->mem, CODE_GPA, PAGE_4K),
				    CODE_VA, 0x20, 64, NULL, PATCH_NONE), 1);
	/* A trap at the site: the original, decoded before. */
	for (int i = 0; i < 2; i++) {
		assert_int_equal(patch_original(vm, rip, &in), DECODE_OK);
		assert_int_equal(in.id, X86_INS_PUSHFQ);
		assert_int_equal(in.size, 1);
	}
	assert_int_equal(counts().decodes, 1);
	assert_int_equal(counts().hits, 2);
	/* What the CPU fetches there is the patch, never the original... */
	assert_int_equal(fetch(vm, rip, NULL), X86_INS_HLT);
	/* ...and the original is never the patch. */
	assert_int_equal(patch_original(vm, rip, &in), DECODE_OK);
	assert_int_equal(in.id, X86_INS_PUSHFQ);
	assert_int_equal(counts().decodes, 3); /* one slot per RIP */
	patch_free(vm->patch);
	vm->patch = NULL;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_hit_is_the_decode, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_ref_by_pointer, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_page_written, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_crossing, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_mode_change, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_page_rewritten, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_code_sizes, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_patched_site, setup,
						teardown),
	};

	if (isa_init() < 0)
		return 1;
	int failed = cmocka_run_group_tests(tests, NULL, NULL);
	isa_fini();
	return failed;
}
