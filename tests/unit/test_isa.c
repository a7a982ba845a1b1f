/*
 * tests/unit/test_isa.c - the decoder and the Popek-Goldberg table.
 *
 * Decodes known encodings with Capstone (from buffers and from guest memory
 * through the guest's page tables, including an instruction that runs into
 * an unmapped page), and checks the table against what isa/README.md
 * ("Measured at ring 3") records of the real CPU at ring 3.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "isa/debugreg.h"
#include "isa/decode.h"
#include "isa/pgclass.h"
#include "isa/x86.h"
#include "core/vm.h"
#include "shadowpt/walk.h"
#include "monitor/machine.h"

/* An encoding, what it is, and the code size it is decoded in (0: 64). */
struct sample {
	const char *what;
	uint8_t bytes[INSN_MAX];
	size_t len;
	unsigned bits;
};

#define S(what, ...) { what, { __VA_ARGS__ }, \
	sizeof((uint8_t[]){ __VA_ARGS__ }), 0 }
#define S32(what, ...) { what, { __VA_ARGS__ }, \
	sizeof((uint8_t[]){ __VA_ARGS__ }), 32 }
#define S16(what, ...) { what, { __VA_ARGS__ }, \
	sizeof((uint8_t[]){ __VA_ARGS__ }), 16 }

static int setup_isa(void **state)
{
	(void)state;
	return isa_init();
}

static int teardown_isa(void **state)
{
	(void)state;
	isa_fini();
	return 0;
}

static struct insn decode_ok(const struct sample *s)
{
	struct insn in;

	if (isa_decode_bytes_mode(s->bytes, s->len, 0x1000,
				  s->bits ? s->bits : 64, &in) != DECODE_OK)
		fail_msg("%s: does not decode", s->what);
	if (in.size != s->len)
		fail_msg("%s: size %u, expected %zu", s->what, in.size,
			 s->len);
	return in;
}

/* ------------------------------------------------------------------
 * Decoding from buffers.
 */

static void test_decode_cli(void **state)
{
	(void)state;
	struct sample s = S("cli", 0xfa);
	struct insn in = decode_ok(&s);

	assert_int_equal(in.id, X86_INS_CLI);
	assert_string_equal(in.mnemonic, "cli");
	assert_int_equal(in.rip, 0x1000);
	assert_int_equal(in.bytes[0], 0xfa);
}

static void test_decode_mov_cr3(void **state)
{
	(void)state;
	struct sample to = S("mov cr3, rax", 0x0f, 0x22, 0xd8);
	struct sample from = S("mov rax, cr3", 0x0f, 0x20, 0xd8);
	struct insn in = decode_ok(&to);

	assert_int_equal(in.id, X86_INS_MOV);
	assert_string_equal(in.op_str, "cr3, rax");
	assert_int_equal(in.x86.op_count, 2);
	assert_int_equal(in.x86.operands[0].reg, X86_REG_CR3);
	assert_int_equal(in.x86.operands[1].reg, X86_REG_RAX);
	assert_string_equal(pg_classify(&in)->name, "mov to crN");
	in = decode_ok(&from);
	assert_string_equal(pg_classify(&in)->name, "mov from crN");
}

static void test_decode_in_al_dx(void **state)
{
	(void)state;
	struct sample s = S("in al, dx", 0xec);
	struct insn in = decode_ok(&s);

	assert_int_equal(in.id, X86_INS_IN);
	assert_int_equal(in.x86.operands[0].reg, X86_REG_AL);
	assert_int_equal(in.x86.operands[1].reg, X86_REG_DX);
}

static void test_decode_rep_outsb(void **state)
{
	(void)state;
	struct sample s = S("rep outsb", 0xf3, 0x6e);
	struct insn in = decode_ok(&s);

	assert_int_equal(in.id, X86_INS_OUTSB);
	assert_int_equal(in.x86.prefix[0], X86_PREFIX_REP);
}

static void test_decode_lgdt_rip(void **state)
{
	(void)state;
	struct sample s = S("lgdt [rip + 0x10]", 0x0f, 0x01, 0x15,
			    0x10, 0x00, 0x00, 0x00);
	struct insn in = decode_ok(&s);

	assert_int_equal(in.id, X86_INS_LGDT);
	assert_int_equal(in.x86.op_count, 1);
	assert_int_equal(in.x86.operands[0].type, X86_OP_MEM);
	assert_int_equal(in.x86.operands[0].mem.base, X86_REG_RIP);
	assert_int_equal(in.x86.operands[0].mem.disp, 0x10);
}

/* Capstone 4 calls rdpid rdseed: the decoder puts it right. */
static void test_decode_rdpid(void **state)
{
	(void)state;
	struct sample rdpid = S("rdpid rax", 0xf3, 0x0f, 0xc7, 0xf8);
	struct sample rdpid_r9 = S("rdpid r9", 0xf3, 0x41, 0x0f, 0xc7, 0xf9);
	struct sample rdseed = S("rdseed eax", 0x0f, 0xc7, 0xf8);
	struct insn in = decode_ok(&rdpid);

	assert_int_equal(in.id, ISA_INS_RDPID);
	assert_string_equal(in.mnemonic, "rdpid");
	assert_string_equal(in.op_str, "rax");
	assert_int_equal(in.x86.operands[0].reg, X86_REG_RAX);
	in = decode_ok(&rdpid_r9);
	assert_int_equal(in.id, ISA_INS_RDPID);
	assert_int_equal(in.x86.operands[0].reg, X86_REG_R9);
	in = decode_ok(&rdseed);
	assert_int_equal(in.id, X86_INS_RDSEED);
}

static void test_decode_short_and_invalid(void **state)
{
	(void)state;
	static const uint8_t mov_cr3[] = { 0x0f, 0x22, 0xd8 };
	static const uint8_t push_es[] = { 0x06 }; /* #UD in 64-bit mode */
	static const uint8_t lgdt[] = { 0x0f, 0x01, 0x15, 0x10, 0x00 };
	struct insn in;

	assert_int_equal(isa_decode_bytes(mov_cr3, 2, 0, &in), DECODE_FAULT);
	assert_int_equal(isa_decode_bytes(mov_cr3, 1, 0, &in), DECODE_FAULT);
	assert_int_equal(isa_decode_bytes(lgdt, 5, 0, &in), DECODE_FAULT);
	assert_int_equal(isa_decode_bytes(push_es, 1, 0, &in),
			 DECODE_INVALID);
	assert_int_equal(isa_decode_bytes(mov_cr3, 3, 0, &in), DECODE_OK);
}

/* ------------------------------------------------------------------
 * Decoding from guest memory, through the guest's page tables.
 */

#define PML4_GPA 0x1000
#define PDPT_GPA 0x2000
#define PD_GPA 0x3000
#define PT_GPA 0x4000
#define CODE_VA 0x200000ULL /* PT entries 0.. of the PT at PT_GPA */

static uint64_t *entry(struct vm *vm, uint64_t table, uint64_t va, int lvl)
{
	return gm_ptr(&vm->mem, table + 8 * PT_INDEX(va, lvl), 8);
}

/* A 64-bit guest with 4 KiB pages at CODE_VA + i * 4096 -> gpa[i]. */
static struct vm *guest(const uint64_t *gpa, int n, uint64_t flags)
{
	static struct vm vm;
	struct vm_options opt = { .mem_mib = 4 };
	char why[200];

	if (vm_create(&vm, &opt, 1, why, sizeof(why)) < 0)
		fail_msg("vm_create: %s", why);
	*entry(&vm, PML4_GPA, CODE_VA, 4) = PDPT_GPA | PTE_P | PTE_W | PTE_U;
	*entry(&vm, PDPT_GPA, CODE_VA, 3) = PD_GPA | PTE_P | PTE_W | PTE_U;
	*entry(&vm, PD_GPA, CODE_VA, 2) = PT_GPA | PTE_P | PTE_W | PTE_U;
	for (int i = 0; i < n; i++)
		*entry(&vm, PT_GPA, CODE_VA + i * PAGE_4K, 1) =
			gpa[i] | PTE_P | flags;
	vm.vcpu.cr0 = CR0_PE | CR0_PG | CR0_WP;
	vm.vcpu.cr3 = PML4_GPA;
	vm.vcpu.cr4 = CR4_PAE;
	vm.vcpu.efer = EFER_LME | EFER_LMA | EFER_NXE;
	vm.vcpu.seg[SEG_CS].attr = SEG_ATTR_L; /* 64-bit code */
	return &vm;
}

static void put(struct vm *vm, uint64_t gpa, const void *b, size_t n)
{
	assert_int_equal(vm_write_phys(vm, gpa, b, n), 0);
}

/* "mov cr3, rax" split 2 + 1 across two pages mapped out of order. */
static void test_decode_across_pages(void **state)
{
	(void)state;
	const uint64_t gpa[] = { 0x100000, 0x0a0000 };
	struct vm *vm = guest(gpa, 2, 0);
	const uint8_t head[] = { 0x0f, 0x22 }, tail[] = { 0xd8 };
	struct insn in;

	put(vm, 0x100000 + PAGE_4K - 2, head, 2);
	put(vm, 0x0a0000, tail, 1);
	assert_int_equal(insn_fetch(vm, CODE_VA + PAGE_4K - 2, &in),
			 DECODE_OK);
	assert_int_equal(in.size, 3);
	assert_string_equal(in.op_str, "cr3, rax");
	assert_false(vm->vcpu.exception.pending);
	vm_destroy(vm);
}

/* The same instruction with the second page unmapped: #PF on its address. */
static void test_decode_fault_second_page(void **state)
{
	(void)state;
	const uint64_t gpa[] = { 0x100000 };
	struct vm *vm = guest(gpa, 1, 0);
	const uint8_t head[] = { 0x0f, 0x22 };
	struct insn in;

	put(vm, 0x100000 + PAGE_4K - 2, head, 2);
	assert_int_equal(insn_fetch(vm, CODE_VA + PAGE_4K - 2, &in),
			 DECODE_FAULT);
	assert_true(vm->vcpu.exception.pending);
	assert_int_equal(vm->vcpu.exception.vector, T_PF);
	assert_int_equal(vm->vcpu.exception.error, PFEC_I);
	assert_int_equal(vm->vcpu.cr2, CODE_VA + PAGE_4K);
	vm_destroy(vm);
}

/* An instruction that ends on the page boundary needs no second page. */
static void test_decode_ends_at_page_end(void **state)
{
	(void)state;
	const uint64_t gpa[] = { 0x100000 };
	struct vm *vm = guest(gpa, 1, 0);
	const uint8_t cli[] = { 0xfa };
	struct insn in;

	put(vm, 0x100000 + PAGE_4K - 1, cli, 1);
	assert_int_equal(insn_fetch(vm, CODE_VA + PAGE_4K - 1, &in),
			 DECODE_OK);
	assert_int_equal(in.id, X86_INS_CLI);
	assert_false(vm->vcpu.exception.pending);
	vm_destroy(vm);
}

/* At virtual CPL 3 a supervisor page cannot be fetched from. */
static void test_decode_user_fetch_supervisor(void **state)
{
	(void)state;
	const uint64_t gpa[] = { 0x100000 };
	struct vm *vm = guest(gpa, 1, 0); /* U clear */
	const uint8_t cli[] = { 0xfa };
	struct insn in;

	put(vm, 0x100000, cli, 1);
	vm->vcpu.cpl = 3;
	assert_int_equal(insn_fetch(vm, CODE_VA, &in), DECODE_FAULT);
	assert_int_equal(vm->vcpu.exception.vector, T_PF);
	assert_int_equal(vm->vcpu.exception.error, PFEC_P | PFEC_U | PFEC_I);
	assert_int_equal(vm->vcpu.cr2, CODE_VA);
	vm->vcpu.cpl = 0;
	vm->vcpu.exception.pending = false;
	assert_int_equal(insn_fetch(vm, CODE_VA, &in), DECODE_OK);
	vm_destroy(vm);
}

/* ------------------------------------------------------------------
 * The table against the real CPU (isa/README.md, "Measured at ring 3").
 */

static void expect_class(const struct sample *s, size_t n, enum pg_class c)
{
	for (size_t i = 0; i < n; i++) {
		struct insn in = decode_ok(&s[i]);
		const struct pg_entry *e = pg_classify(&in);

		if (e->cls != c)
			fail_msg("%s classifies %s (%s), expected %s",
				 s[i].what, pg_class_name(e->cls), e->name,
				 pg_class_name(c));
	}
}

/* isa/README.md: "They fault with SIGSEGV". */
static const struct sample faulting[] = {
	S("cli", 0xfa), S("sti", 0xfb), S("hlt", 0xf4),
	S("in al, dx", 0xec), S("in al, 0x80", 0xe4, 0x80),
	S("in eax, dx", 0xed), S("out dx, al", 0xee),
	S("out 0x80, al", 0xe6, 0x80), S("out dx, ax", 0x66, 0xef),
	S("insb", 0x6c), S("insw", 0x66, 0x6d), S("insd", 0x6d),
	S("rep insb", 0xf3, 0x6c), S("outsb", 0x6e), S("outsw", 0x66, 0x6f),
	S("outsd", 0x6f), S("rep outsd", 0xf3, 0x6f),
	S("mov cr0, rax", 0x0f, 0x22, 0xc0),
	S("mov rax, cr0", 0x0f, 0x20, 0xc0),
	S("mov cr2, rax", 0x0f, 0x22, 0xd0),
	S("mov rax, cr2", 0x0f, 0x20, 0xd0),
	S("mov cr3, rax", 0x0f, 0x22, 0xd8),
	S("mov cr4, rax", 0x0f, 0x22, 0xe0),
	S("mov cr8, rax", 0x44, 0x0f, 0x22, 0xc0),
	S("mov rax, cr8", 0x44, 0x0f, 0x20, 0xc0),
	S("mov dr7, rax", 0x0f, 0x23, 0xf8),
	S("mov rax, dr6", 0x0f, 0x21, 0xf0),
	S("lgdt [rax]", 0x0f, 0x01, 0x10), S("lidt [rax]", 0x0f, 0x01, 0x18),
	S("lldt ax", 0x0f, 0x00, 0xd0), S("ltr ax", 0x0f, 0x00, 0xd8),
	S("lmsw ax", 0x0f, 0x01, 0xf0), S("clts", 0x0f, 0x06),
	S("wrmsr", 0x0f, 0x30), S("rdmsr", 0x0f, 0x32), S("rdpmc", 0x0f, 0x33),
	S("invlpg [rax]", 0x0f, 0x01, 0x38), S("wbinvd", 0x0f, 0x09),
	S("invd", 0x0f, 0x08), S("swapgs", 0x0f, 0x01, 0xf8),
	S("xsetbv", 0x0f, 0x01, 0xd1), S("sysretq", 0x48, 0x0f, 0x07),
	S("iretq", 0x48, 0xcf),
	/* and the rest of the contract's privileged list */
	S("invpcid rax, [rax]", 0x66, 0x0f, 0x38, 0x82, 0x00),
	S("sysexit", 0x0f, 0x35), S("iretd", 0xcf), S("lret", 0xcb),
	S("lretq", 0x48, 0xcb), S("ljmp [rax]", 0xff, 0x28),
	S("lcall [rax]", 0xff, 0x18), S("int 0x80", 0xcd, 0x80),
	S("pop fs", 0x0f, 0xa1), S("pop gs", 0x0f, 0xa9),
};

/* isa/README.md: "They run silently and reveal the host". */
static const struct sample silent[] = {
	S("pushfq", 0x9c), S("pushf", 0x66, 0x9c), S("popfq", 0x9d),
	S("popf", 0x66, 0x9d), S("sgdt [rax]", 0x0f, 0x01, 0x00),
	S("sidt [rax]", 0x0f, 0x01, 0x08), S("sldt ax", 0x0f, 0x00, 0xc0),
	S("str ax", 0x0f, 0x00, 0xc8), S("smsw ax", 0x0f, 0x01, 0xe0),
	S("mov eax, cs", 0x8c, 0xc8), S("mov eax, ss", 0x8c, 0xd0),
	S("mov [rax], ds", 0x8c, 0x18), S("push fs", 0x0f, 0xa0),
	S("push gs", 0x0f, 0xa8), S("lar eax, ecx", 0x0f, 0x02, 0xc1),
	S("lsl eax, ecx", 0x0f, 0x03, 0xc1), S("verr ax", 0x0f, 0x00, 0xe0),
	S("verw ax", 0x0f, 0x00, 0xe8), S("cpuid", 0x0f, 0xa2),
	S("rdtsc", 0x0f, 0x31), S("rdtscp", 0x0f, 0x01, 0xf9),
	S("rdpid rax", 0xf3, 0x0f, 0xc7, 0xf8),
	/* and the rest of the contract's sensitive-unprivileged list */
	S("xgetbv", 0x0f, 0x01, 0xd0),
	S("rdfsbase rax", 0xf3, 0x48, 0x0f, 0xae, 0xc0),
	S("wrgsbase rax", 0xf3, 0x48, 0x0f, 0xae, 0xd8),
	/* a ring-3 selector loads at CPL 3 where CPL 0 would refuse it
	 * (Robin and Irvine: mov to segment registers) */
	S("mov ds, ax", 0x8e, 0xd8), S("mov ss, [rdi]", 0x8e, 0x17),
};

static const struct sample plain[] = {
	S("add rax, rbx", 0x48, 0x01, 0xd8),
	S("mov rax, rbx", 0x48, 0x89, 0xd8),
	S("mov rax, [rbx]", 0x48, 0x8b, 0x03), S("push rax", 0x50),
	S("pop rax", 0x58), S("nop", 0x90), S("syscall", 0x0f, 0x05),
	S("int3", 0xcc), S("int 3", 0xcd, 0x03), S("int1", 0xf1),
	S("ud2", 0x0f, 0x0b),
	S("sysenter", 0x0f, 0x34), S("rdseed eax", 0x0f, 0xc7, 0xf8),
};

/*
 * 32- and 16-bit code (isa/README.md, "32-bit and 16-bit code"): from the
 * SDM, since this host runs no 32-bit code at ring 3.  Capstone decodes
 * 9C as pushfd there, an id of its own: before it had a row, --trace
 * called a 32-bit kernel's pushfd innocuous.
 */
static const struct sample faulting32[] = {
	S32("cli", 0xfa), S32("hlt", 0xf4), S32("in al, dx", 0xec),
	S32("rep insd", 0xf3, 0x6d), S32("mov cr0, eax", 0x0f, 0x22, 0xc0),
	S32("mov eax, cr3", 0x0f, 0x20, 0xd8), S32("lgdt [eax]", 0x0f, 0x01, 0x10),
	S32("iretd", 0xcf), S32("iretw", 0x66, 0xcf), S16("iret", 0xcf),
	S32("retf", 0xcb), S32("retf 4", 0xca, 0x04, 0x00),
	S32("lcall 0x08:0x1000", 0x9a, 0x00, 0x10, 0x00, 0x00, 0x08, 0x00),
	S32("ljmp 0x08:0x1000", 0xea, 0x00, 0x10, 0x00, 0x00, 0x08, 0x00),
	S32("lcall [eax]", 0xff, 0x18), S32("ljmp [eax]", 0xff, 0x28),
	S32("int 0x40", 0xcd, 0x40), S32("sysexit", 0x0f, 0x35),
	S32("pop es", 0x07), S32("pop ds", 0x1f), S32("pop fs", 0x0f, 0xa1),
	S32("lds eax, [ebx]", 0xc5, 0x03), S32("les eax, [ebx]", 0xc4, 0x03),
	S32("lfs eax, [ebx]", 0x0f, 0xb4, 0x03),
	S32("lgs eax, [ebx]", 0x0f, 0xb5, 0x03),
	S("lfs eax, [rbx]", 0x0f, 0xb4, 0x03),
	S("lgs eax, [rbx]", 0x0f, 0xb5, 0x03),
};

static const struct sample silent32[] = {
	S32("pushfd", 0x9c), S32("popfd", 0x9d), S32("pushfw", 0x66, 0x9c),
	S32("popfw", 0x66, 0x9d), S16("pushf", 0x9c), S16("pushfd", 0x66, 0x9c),
	S16("popfd", 0x66, 0x9d),
	S32("push es", 0x06), S32("push cs", 0x0e), S32("push ss", 0x16),
	S32("push ds", 0x1e), S32("push gs", 0x0f, 0xa8),
	S32("pop ss", 0x17), S32("lss esp, [ebx]", 0x0f, 0xb2, 0x23),
	S("lss esp, [rbx]", 0x0f, 0xb2, 0x23),
	S32("mov ss, ax", 0x8e, 0xd0), S32("mov eax, cs", 0x8c, 0xc8),
	S32("sgdt [eax]", 0x0f, 0x01, 0x00), S32("smsw eax", 0x0f, 0x01, 0xe0),
	S32("lar eax, ecx", 0x0f, 0x02, 0xc1),
	S32("lsl eax, ecx", 0x0f, 0x03, 0xc1), S32("cpuid", 0x0f, 0xa2),
	S32("rdtsc", 0x0f, 0x31),
};

static const struct sample plain32[] = {
	S32("inc eax", 0x40), S32("push eax", 0x50), S32("pop eax", 0x58),
	S32("pushad", 0x60), S32("popad", 0x61), S32("pushaw", 0x66, 0x60),
	S32("popaw", 0x66, 0x61), S32("arpl ax, cx", 0x63, 0xc8),
	S32("bound eax, [ebx]", 0x62, 0x03), S32("into", 0xce),
	S32("aaa", 0x37), S32("aas", 0x3f), S32("daa", 0x27), S32("das", 0x2f),
	S32("aam", 0xd4, 0x0a), S32("aad", 0xd5, 0x0a),
	S32("sysenter", 0x0f, 0x34), S32("syscall", 0x0f, 0x05),
	S32("int3", 0xcc), S32("ud2", 0x0f, 0x0b),
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

static void test_table_privileged(void **state)
{
	(void)state;
	expect_class(faulting, N(faulting), PG_PRIVILEGED);
	expect_class(faulting32, N(faulting32), PG_PRIVILEGED);
}

static void test_table_sensitive_unprivileged(void **state)
{
	(void)state;
	expect_class(silent, N(silent), PG_SENSITIVE_UNPRIVILEGED);
	expect_class(silent32, N(silent32), PG_SENSITIVE_UNPRIVILEGED);
}

static void test_table_innocuous(void **state)
{
	(void)state;
	expect_class(plain, N(plain), PG_INNOCUOUS);
	expect_class(plain32, N(plain32), PG_INNOCUOUS);
}

/* The rows a 32-bit kernel's traps are named by, by name: pushfd is not
 * pushf's row, pop ss is not pop Sreg's. */
static void test_table_rows_32(void **state)
{
	static const struct { struct sample s; const char *row; } want[] = {
		{ S32("pushfd", 0x9c), "pushfd" },
		{ S32("popfd", 0x9d), "popfd" },
		{ S32("pushfw", 0x66, 0x9c), "pushf" },
		{ S32("pop ss", 0x17), "pop ss" },
		{ S32("pop ds", 0x1f), "pop Sreg" },
		{ S32("push cs", 0x0e), "push Sreg" },
		{ S32("lss esp, [ebx]", 0x0f, 0xb2, 0x23), "lss" },
		{ S32("iretd", 0xcf), "iretd" },
		{ S32("retf", 0xcb), "lret" },
		{ S32("ljmp 0x08:0x1000", 0xea, 0x00, 0x10, 0x00, 0x00, 0x08,
		      0x00), "ljmp" },
		{ S32("pushad", 0x60), "pushad" },
		{ S32("mov ss, ax", 0x8e, 0xd0), "mov to Sreg" },
	};
	(void)state;
	for (size_t i = 0; i < N(want); i++) {
		struct insn in = decode_ok(&want[i].s);

		if (strcmp(pg_classify(&in)->name, want[i].row))
			fail_msg("%s: row %s, expected %s", want[i].s.what,
				 pg_classify(&in)->name, want[i].row);
	}
}

/* Every row is well formed, and the sensitive ones say why. */
static void test_table_rows(void **state)
{
	(void)state;
	const struct pg_entry *rest = &pg_table[pg_table_len - 1];

	assert_int_equal(rest->id, 0);
	assert_int_equal(rest->cls, PG_INNOCUOUS);
	for (unsigned i = 0; i < pg_table_len; i++) {
		const struct pg_entry *e = &pg_table[i];

		assert_non_null(e->name);
		/* Each rule cites the manual, except "everything else". */
		if (i < pg_table_len - 1 && !strstr(e->rule, "SDM") &&
		    !strstr(e->rule, "APM"))
			fail_msg("row %s cites no manual", e->name);
		if (e->cls != PG_INNOCUOUS)
			assert_true(e->sensitivity != 0);
		for (unsigned j = 0; j < i; j++)
			if (!strcmp(pg_table[j].name, e->name))
				fail_msg("row %s appears twice", e->name);
	}
	assert_string_equal(pg_class_name(PG_INNOCUOUS), "innocuous");
	assert_string_equal(pg_class_name(PG_PRIVILEGED), "privileged");
	assert_string_equal(pg_class_name(PG_SENSITIVE_UNPRIVILEGED),
			    "sensitive-unprivileged");
}

/* ------------------------------------------------------------------
 * isa/README.md shows the same table: a row "| `name` | class | ...".
 */

static char *readme(void)
{
	static const char *paths[] = { "isa/README.md",
				       "../isa/README.md",
				       "../../isa/README.md" };
	static char text[65536];

	for (size_t i = 0; i < N(paths); i++) {
		FILE *f = fopen(paths[i], "r");
		if (!f)
			continue;
		size_t n = fread(text, 1, sizeof(text) - 1, f);
		fclose(f);
		text[n] = '\0';
		return text;
	}
	fail_msg("cannot open isa/README.md (run from the repository root)");
	return NULL;
}

static void test_readme_matches_table(void **state)
{
	(void)state;
	const char *text = readme();
	char row[128];

	/* Every table row is in the README, with its class. */
	for (unsigned i = 0; i < pg_table_len; i++) {
		snprintf(row, sizeof(row), "| `%s` | %s |", pg_table[i].name,
			 pg_class_name(pg_table[i].cls));
		if (!strstr(text, row))
			fail_msg("isa/README.md lacks the row \"%s\"", row);
	}
	/* Every README row is in the table. */
	for (const char *p = strstr(text, "\n| `"); p;
	     p = strstr(p + 1, "\n| `")) {
		const char *name = p + 4, *end = strchr(name, '`');
		unsigned i;

		assert_non_null(end);
		for (i = 0; i < pg_table_len; i++)
			if (strlen(pg_table[i].name) == (size_t)(end - name) &&
			    !strncmp(pg_table[i].name, name, end - name))
				break;
		if (i == pg_table_len)
			fail_msg("isa/README.md row \"%.*s\" is not in "
				 "pg_table", (int)(end - name), name);
	}
}

/*
 * pg_classify finds a single-form instruction's row through an index by
 * Capstone id (isa/pgclass.c): for every id, and ids past the last, the
 * row is the first the table has for it past the forms, as a search of
 * the table finds it, or the last row ("everything else").
 */
static void test_table_index(void **state)
{
	static const unsigned forms[] = {
		X86_INS_MOV, X86_INS_POP, X86_INS_PUSH, X86_INS_INT,
	};
	unsigned first_single = 0;

	(void)state;
	/* The forms: the rows at the table's start that share an id. */
	while (first_single < pg_table_len &&
	       (pg_table[first_single].id == X86_INS_MOV ||
		pg_table[first_single].id == X86_INS_POP ||
		pg_table[first_single].id == X86_INS_PUSH))
		first_single++;
	assert_true(first_single > 0);
	for (unsigned id = 0; id < ISA_INS_RDPID + 16; id++) {
		struct insn in = { .id = id }; /* no operands */
		const struct pg_entry *want = &pg_table[pg_table_len - 1];
		bool form = false;

		for (size_t f = 0; f < sizeof(forms) / sizeof(forms[0]); f++)
			form |= id == forms[f];
		if (form)
			continue; /* chosen by operand: test_table_rows */
		for (unsigned i = first_single; i < pg_table_len - 1; i++)
			if (pg_table[i].id == id) {
				want = &pg_table[i];
				break;
			}
		if (pg_classify(&in) != want)
			fail_msg("id %u: row \"%s\", the table says \"%s\"",
				 id, pg_classify(&in)->name, want->name);
	}
}

/*
 * The debugger's breakpoints and watchpoints in DR0-DR3 and DR7, as native
 * and kvm hand them to the CPU (SDM vol. 3, 18.2.4): slot by slot, L bit
 * 2i, R/W at 16+4i (00 execute, 01 write, 11 read or write), LEN at
 * 18+4i (00 1 byte, 01 2, 11 4, 10 8).
 */
static void test_debugreg_plan(void **state)
{
	struct vm_debug d = { .nbreaks = 1, .breaks = { 0x1001d0 },
		.nwatches = 2, .watches = {
			{ 0x108000, 8, WATCH_WRITE },
			{ 0x108010, 2, WATCH_ACCESS } } };
	struct dr_plan p;
	char why[160];

	(void)state;
	assert_int_equal(dr_plan(&d, &p, "test", why, sizeof(why)), 0);
	assert_int_equal(p.addr[0], 0x1001d0);
	assert_int_equal(p.addr[1], 0x108000);
	assert_int_equal(p.addr[2], 0x108010);
	assert_int_equal(p.dr7, 0x1ULL | 0x4ULL | 0x10ULL |
			 (0x1ULL << 20 | 0x2ULL << 22) |   /* slot 1: W, 8 */
			 (0x3ULL << 24 | 0x1ULL << 26));   /* slot 2: RW, 2 */
	assert_false(p.is_watch[0]);
	assert_true(p.is_watch[1] && p.watch[1] == 0);
	assert_true(p.is_watch[2] && p.watch[2] == 1);

	/* B2 in DR6: the second watchpoint, with its address and kind */
	assert_true(dr_stop(&d, &p, 0x4, 0x100500));
	assert_int_equal(d.stop, DEBUG_STOP_WATCH);
	assert_int_equal(d.stop_addr, 0x108010);
	assert_int_equal(d.stop_kind, WATCH_ACCESS);
	/* B0: the breakpoint, at RIP */
	assert_true(dr_stop(&d, &p, 0x1 | DR6_BS, 0x1001d0));
	assert_int_equal(d.stop, DEBUG_STOP_BREAK);
	assert_int_equal(d.stop_addr, 0x1001d0);
	/* BS alone, or a B bit of a slot not planned: no stop of ours */
	d.stop = DEBUG_STOP_NONE;
	assert_false(dr_stop(&d, &p, DR6_BS, 0x1001d0));
	assert_false(dr_stop(&d, &p, 0x8, 0x1001d0));
	assert_int_equal(d.stop, DEBUG_STOP_NONE);
}

/* What x86's debug registers cannot do is refused, with the reason. */
static void test_debugreg_refused(void **state)
{
	struct vm_debug d = { .nbreaks = 5 };
	struct dr_plan p;
	char why[160];

	(void)state;
	assert_int_equal(dr_plan(&d, &p, "kvm", why, sizeof(why)), -1);
	assert_string_equal(why, "kvm: x86 has 4 debug registers, and 5 "
			    "breakpoints and watchpoints were asked for");
	d = (struct vm_debug){ .nwatches = 1,
			       .watches = { { 0x2000, 4, WATCH_READ } } };
	assert_int_equal(dr_plan(&d, &p, "kvm", why, sizeof(why)), -1);
	assert_string_equal(why, "kvm: x86 cannot watch reads alone of 4 "
			    "bytes at 0x2000");
	d.watches[0] = (struct debug_watch){ 0x2002, 4, WATCH_WRITE };
	assert_int_equal(dr_plan(&d, &p, "native", why, sizeof(why)), -1);
	assert_string_equal(why, "native: x86 cannot watch a range of 4 "
			    "bytes at 0x2002");
	d.watches[0] = (struct debug_watch){ 0x2000, 3, WATCH_WRITE };
	assert_int_equal(dr_plan(&d, &p, "native", why, sizeof(why)), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decode_cli),
		cmocka_unit_test(test_decode_mov_cr3),
		cmocka_unit_test(test_decode_in_al_dx),
		cmocka_unit_test(test_decode_rep_outsb),
		cmocka_unit_test(test_decode_lgdt_rip),
		cmocka_unit_test(test_decode_rdpid),
		cmocka_unit_test(test_decode_short_and_invalid),
		cmocka_unit_test(test_decode_across_pages),
		cmocka_unit_test(test_decode_fault_second_page),
		cmocka_unit_test(test_decode_ends_at_page_end),
		cmocka_unit_test(test_decode_user_fetch_supervisor),
		cmocka_unit_test(test_table_privileged),
		cmocka_unit_test(test_table_sensitive_unprivileged),
		cmocka_unit_test(test_table_innocuous),
		cmocka_unit_test(test_table_rows),
		cmocka_unit_test(test_table_rows_32),
		cmocka_unit_test(test_readme_matches_table),
		cmocka_unit_test(test_table_index),
		cmocka_unit_test(test_debugreg_plan),
		cmocka_unit_test(test_debugreg_refused),
	};

	return cmocka_run_group_tests(tests, setup_isa, teardown_isa);
}
