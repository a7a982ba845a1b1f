/*
 * tests/unit/test_softcpu.c - the software CPU engine.
 *
 * Each test boots a fresh VM in the state of monitor/boot.h (identity
 * map, CPL 0, the guest kernel really at CPL 3), puts a few hand-encoded
 * instructions at CODE and runs softcpu until something other than a
 * hidden page fault comes back, filling the shadow tables on the way as
 * the dispatcher would.  Snippets end with int3, a trap that leaves RIP
 * after it.
 *
 * On an x86-64 host a test runs a table of ALU, shift, multiply and bit
 * instructions on random operands both natively and on softcpu and
 * compares registers and the flags the SDM defines.
 *
 * The tests after it leave 64-bit mode for 32- and 16-bit code: protected
 * mode with paging off (the shadow then maps linear = physical) or
 * compatibility mode under the boot tables, with segment registers whose
 * hidden parts the tests set as descriptor loads would.  The host cannot
 * run such code in a process, so these compare with the SDM's values
 * worked out by hand, and the decoder's lengths with Capstone's.  The MMIO
 * test links a stand-in devices_mmio() (the Makefile's --wrap).
 */
#include <setjmp.h>
#include <stdio.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <cmocka.h>

#include "isa/arch.h"
#include "isa/decode.h"
#include "engines/softcpu/softcpu.h"
#include "isa/x86.h"
#include "monitor/boot.h"
#include "core/engine.h"
#include "core/exit.h"
#include "monitor/loader.h"
#include "core/vm.h"
#include "monitor/machine.h"
#include "shadowpt/shadowpt.h"
#include "tests/unit/support/shadow.h"

#define CODE 0x200000ULL
#define DATA 0x300000ULL

static struct vm vm;
static struct vcpu *v = &vm.vcpu;

static int setup_isa(enum isa_mode isa)
{
	struct vm_options opt = { .mem_mib = 8, .engine = "softcpu",
				  .isa = isa };
	char why[200];

	if (vm_create(&vm, &opt, -1, why, sizeof(why)) < 0)
		return -1;
	boot_setup(&vm, CODE, "");
	vm.engine = &engine_softcpu;
	return engine_softcpu.init(&vm, why, sizeof(why));
}

static int setup(void **state)
{
	(void)state;
	return setup_isa(ISA_X86);
}

static int setup_strict(void **state)
{
	(void)state;
	return setup_isa(ISA_STRICT);
}

static int teardown(void **state)
{
	(void)state;
	vm_destroy(&vm);
	return 0;
}

/* Put code at CODE and point RIP at it. */
static void load(const uint8_t *code, size_t n)
{
	assert_int_equal(vm_write_phys(&vm, CODE, code, n), 0);
	v->rip = CODE;
}

/* One run() call, nothing filled. */
static struct vm_exit run_once(void)
{
	struct vm_exit x;

	memset(&x, 0, sizeof(x));
	vm.engine->run(&vm, &x);
	return x;
}

/* Run, filling the shadow on hidden faults and resuming after the
 * engine's looks back (a long rep's chunk), until a real exit. */
static struct vm_exit run(void)
{
	for (;;) {
		struct vm_exit x = run_once();
		if (x.reason == EXIT_INTERRUPT && !vm.kick && !vm.single_step &&
		    !vm.stopped && vm.vcpu.instructions < vm.insn_deadline)
			continue; /* a yield: nothing the test asked for */
		if (x.reason == EXIT_EXCEPTION && x.exc.vector == T_PF &&
		    shadowpt_fault(&vm, x.exc.address, x.exc.error) ==
			    SHADOW_FILLED)
			continue;
		return x;
	}
}

/* Run to the int3 at the end of a snippet. */
static void run_to_int3(void)
{
	struct vm_exit x = run();

	assert_int_equal(x.reason, EXIT_EXCEPTION);
	assert_int_equal(x.exc.vector, T_BP);
}

/* Run from RIP with a deadline n instructions after start (--icount's):
 * the run must stop there, with exactly those n retired. */
static void run_until(uint64_t start, uint64_t n)
{
	vm.insn_deadline = start + n;
	struct vm_exit x = run();
	assert_int_equal(x.reason, EXIT_INTERRUPT);
	assert_int_equal(v->instructions - start, n);
	vm.insn_deadline = UINT64_MAX;
}

/* Run a snippet that must fault with vector (and error, if has_error). */
static void expect_fault(const uint8_t *code, size_t n, uint8_t vector,
			 int64_t error)
{
	load(code, n);
	uint64_t before = v->regs[GPR_RSP];
	struct vm_exit x = run();
	assert_int_equal(x.reason, EXIT_EXCEPTION);
	assert_int_equal(x.exc.vector, vector);
	if (error >= 0) {
		assert_true(x.exc.has_error);
		assert_int_equal(x.exc.error, error);
	}
	assert_int_equal(v->rip, CODE);     /* a fault: RIP on the insn */
	assert_int_equal(x.rip, CODE);
	assert_int_equal(v->regs[GPR_RSP], before);
}

/* ------------------------------------------------------------ flags */

/* Run "op rax, rbx; int3" (or the given bytes) and return the flags. */
static uint64_t flags_of(const uint8_t *insn, size_t n, uint64_t a,
			 uint64_t b)
{
	uint8_t code[16];

	memcpy(code, insn, n);
	code[n] = 0xcc;
	load(code, n + 1);
	v->regs[GPR_RAX] = a;
	v->regs[GPR_RBX] = b;
	v->rflags = FL_FIXED1;
	run_to_int3();
	return v->rflags & FL_STATUS;
}

static void test_add_flags(void **state)
{
	static const uint8_t add64[] = { 0x48, 0x01, 0xd8 }; /* add rax,rbx */
	static const uint8_t add8[] = { 0x00, 0xd8 };        /* add al,bl */
	(void)state;

	/* 0x7fff...f + 1: signed overflow, AF, SF; no carry. */
	assert_int_equal(flags_of(add64, 3, INT64_MAX, 1),
			 FL_OF | FL_SF | FL_AF | FL_PF);
	assert_int_equal(v->regs[GPR_RAX], 0x8000000000000000ULL);
	/* ~0 + 1 = 0: CF, ZF, PF, AF. */
	assert_int_equal(flags_of(add64, 3, ~0ULL, 1),
			 FL_CF | FL_ZF | FL_PF | FL_AF);
	/* 8-bit: 0x80 + 0x80 = 0 with CF and OF; RAX's upper bits kept. */
	assert_int_equal(flags_of(add8, 2, 0x1234567880, 0x80),
			 FL_CF | FL_OF | FL_ZF | FL_PF);
	assert_int_equal(v->regs[GPR_RAX], 0x1234567800);
}

static void test_sub_adc_sbb_flags(void **state)
{
	static const uint8_t sub32[] = { 0x29, 0xd8 };        /* sub eax,ebx */
	static const uint8_t stc_adc[] = { 0xf9, 0x48, 0x11, 0xd8 };
	static const uint8_t stc_sbb[] = { 0xf9, 0x48, 0x19, 0xd8 };
	static const uint8_t inc[] = { 0xf9, 0x48, 0xff, 0xc0 }; /* stc; inc */
	static const uint8_t neg[] = { 0x48, 0xf7, 0xd8 };      /* neg rax */
	(void)state;

	/* 0 - 1: borrow, all ones; a 32-bit write clears bits 63:32. */
	assert_int_equal(flags_of(sub32, 2, 0xdead00000000ULL, 1),
			 FL_CF | FL_SF | FL_AF | FL_PF);
	assert_int_equal(v->regs[GPR_RAX], 0xffffffffULL);
	/* INT32_MIN - 1 overflows. */
	assert_int_equal(flags_of(sub32, 2, 0x80000000ULL, 1) & FL_OF, FL_OF);
	/* adc with CF in: ~0 + 0 + 1 = 0, carry out. */
	assert_int_equal(flags_of(stc_adc, 4, ~0ULL, 0) & (FL_CF | FL_ZF),
			 FL_CF | FL_ZF);
	/* sbb with CF in: 5 - 5 - 1 borrows. */
	assert_int_equal(flags_of(stc_sbb, 4, 5, 5) & (FL_CF | FL_ZF), FL_CF);
	assert_int_equal(v->regs[GPR_RAX], ~0ULL);
	/* inc keeps CF. */
	assert_int_equal(flags_of(inc, 4, ~0ULL, 0),
			 FL_CF | FL_ZF | FL_PF | FL_AF);
	/* neg 0: CF clear; neg INT64_MIN: OF. */
	assert_int_equal(flags_of(neg, 3, 0, 0) & (FL_CF | FL_ZF), FL_ZF);
	assert_int_equal(flags_of(neg, 3, 1ULL << 63, 0) & (FL_CF | FL_OF),
			 FL_CF | FL_OF);
}

static void test_shift_rotate(void **state)
{
	static const uint8_t shl1[] = { 0x48, 0xd1, 0xe0 };       /* shl rax,1 */
	static const uint8_t sar_cl[] = { 0x48, 0xd3, 0xf8 };     /* sar rax,cl */
	static const uint8_t rcl8[] = { 0xf9, 0xd0, 0xd0 };       /* stc; rcl al,1 */
	static const uint8_t shld[] = { 0x48, 0x0f, 0xa4, 0xd8, 4 }; /* shld rax,rbx,4 */
	static const uint8_t shl0[] = { 0xc1, 0xe0, 0x00, 0xcc }; /* shl eax,0 */
	(void)state;

	assert_int_equal(flags_of(shl1, 3, 0xc000000000000000ULL, 0) &
				 (FL_CF | FL_OF | FL_SF), FL_CF | FL_SF);
	assert_int_equal(v->regs[GPR_RAX], 0x8000000000000000ULL);
	/* The count is masked to 6 bits: 68 shifts by 4. */
	v->regs[GPR_RCX] = 68;
	flags_of(sar_cl, 3, 0x8000000000000018ULL, 0);
	assert_int_equal(v->regs[GPR_RAX], 0xf800000000000001ULL);
	assert_true(v->rflags & FL_CF); /* bit 3 went out last */
	assert_int_equal(flags_of(rcl8, 3, 0x80, 0) & (FL_CF | FL_OF),
			 FL_CF | FL_OF);
	assert_int_equal(v->regs[GPR_RAX] & 0xff, 1);
	flags_of(shld, 5, 0x0123456789abcdefULL, 0xf000000000000000ULL);
	assert_int_equal(v->regs[GPR_RAX], 0x123456789abcdeffULL);
	/* A zero count keeps the flags but still zero-extends EAX. */
	load(shl0, sizeof(shl0));
	v->regs[GPR_RAX] = 0xffffffff00000005ULL;
	v->rflags = FL_FIXED1 | FL_CF | FL_ZF;
	run_to_int3();
	assert_int_equal(v->regs[GPR_RAX], 5);
	assert_int_equal(v->rflags & FL_STATUS, FL_CF | FL_ZF);
}

/* -------------------------------------------------- multiply, divide */

static void test_mul_div(void **state)
{
	static const uint8_t mul[] = { 0x48, 0xf7, 0xe3, 0xcc };  /* mul rbx */
	static const uint8_t idiv[] = { 0x48, 0xf7, 0xfb, 0xcc }; /* idiv rbx */
	static const uint8_t div0[] = { 0xf7, 0xf3, 0xcc };       /* div ebx */
	static const uint8_t div8[] = { 0xf6, 0xf3, 0xcc };       /* div bl */
	(void)state;

	load(mul, sizeof(mul));
	v->regs[GPR_RAX] = ~0ULL;
	v->regs[GPR_RBX] = ~0ULL;
	run_to_int3();
	assert_int_equal(v->regs[GPR_RAX], 1);
	assert_int_equal(v->regs[GPR_RDX], 0xfffffffffffffffeULL);
	assert_int_equal(v->rflags & (FL_CF | FL_OF), FL_CF | FL_OF);

	load(idiv, sizeof(idiv));
	v->regs[GPR_RAX] = (uint64_t)-7;
	v->regs[GPR_RDX] = ~0ULL;
	v->regs[GPR_RBX] = 2;
	run_to_int3();
	assert_int_equal(v->regs[GPR_RAX], (uint64_t)-3);
	assert_int_equal(v->regs[GPR_RDX], (uint64_t)-1);

	/* Divide by zero and quotient overflow: #DE, nothing changed. */
	v->regs[GPR_RAX] = 10;
	v->regs[GPR_RDX] = 0;
	v->regs[GPR_RBX] = 0;
	expect_fault(div0, sizeof(div0), T_DE, -1);
	assert_int_equal(v->regs[GPR_RAX], 10);
	v->regs[GPR_RAX] = 0x1000; /* 0x1000 / 2 does not fit in AL */
	v->regs[GPR_RBX] = 2;
	expect_fault(div8, sizeof(div8), T_DE, -1);
	assert_int_equal(v->regs[GPR_RAX], 0x1000);
	/* INT64_MIN / -1 overflows too. */
	v->regs[GPR_RAX] = 1ULL << 63;
	v->regs[GPR_RDX] = ~0ULL;
	v->regs[GPR_RBX] = ~0ULL;
	expect_fault(idiv, sizeof(idiv), T_DE, -1);
}

/* ---------------------------------------------------------- strings */

static void test_rep_movs_stos_df(void **state)
{
	/* rep stosb; mov rsi, rdi-ish setup is done from C. */
	static const uint8_t stos[] = { 0xf3, 0xaa, 0xcc };          /* rep stosb */
	static const uint8_t movsq_down[] = { 0xfd, 0xf3, 0x48, 0xa5, 0xfc,
					      0xcc };  /* std; rep movsq; cld */
	static const uint8_t repne_scasb[] = { 0xf2, 0xae, 0xcc };
	uint8_t buf[64];
	(void)state;

	load(stos, sizeof(stos));
	v->regs[GPR_RDI] = DATA;
	v->regs[GPR_RCX] = 5000; /* crosses a page boundary */
	v->regs[GPR_RAX] = 0x5a;
	run_to_int3();
	assert_int_equal(v->regs[GPR_RCX], 0);
	assert_int_equal(v->regs[GPR_RDI], DATA + 5000);
	assert_int_equal(vm.mem.base[DATA + 4999], 0x5a);
	assert_int_equal(vm.mem.base[DATA + 5000], 0);

	/* Copy 4 qwords downwards: RSI/RDI point at the last element. */
	for (int i = 0; i < 32; i++)
		buf[i] = (uint8_t)i;
	assert_int_equal(vm_write_phys(&vm, DATA + 0x100, buf, 32), 0);
	load(movsq_down, sizeof(movsq_down));
	v->regs[GPR_RSI] = DATA + 0x100 + 24;
	v->regs[GPR_RDI] = DATA + 0x200 + 24;
	v->regs[GPR_RCX] = 4;
	run_to_int3();
	assert_memory_equal(vm.mem.base + DATA + 0x200, buf, 32);
	assert_int_equal(v->regs[GPR_RSI], DATA + 0x100 - 8);
	assert_int_equal(v->rflags & FL_DF, 0);

	/* repne scasb finds the first 0x5a-free byte... the first 7. */
	buf[10] = 7;
	assert_int_equal(vm_write_phys(&vm, DATA + 0x300, buf, 32), 0);
	load(repne_scasb, sizeof(repne_scasb));
	v->regs[GPR_RDI] = DATA + 0x300;
	v->regs[GPR_RCX] = 32;
	v->regs[GPR_RAX] = 7;
	run_to_int3();
	assert_int_equal(v->regs[GPR_RDI], DATA + 0x300 + 8); /* buf[7] = 7 */
	assert_int_equal(v->regs[GPR_RCX], 32 - 8);
	assert_true(v->rflags & FL_ZF);
}

/* A rep movs that faults part-way keeps the iterations it completed. */
static void test_rep_fault_midway(void **state)
{
	static const uint8_t movsb[] = { 0xf3, 0xa4, 0xcc };
	(void)state;

	uint64_t absent = 0;
	load(movsb, sizeof(movsb));
	/* The boot map's 2 MiB page right after RAM made not present. */
	assert_int_equal(vm_write_phys(&vm, BOOT_PD + 8 * (vm.mem.size >> 21),
				       &absent, sizeof(absent)), 0);
	v->regs[GPR_RSI] = DATA;
	v->regs[GPR_RDI] = vm.mem.size - 4; /* the page ends 4 bytes later */
	v->regs[GPR_RCX] = 10;
	struct vm_exit x = run();
	/* The guest's tables map nothing there: a true #PF (raised). */
	assert_int_equal(x.reason, EXIT_EXCEPTION);
	assert_int_equal(x.exc.vector, T_PF);
	assert_int_equal(x.exc.address, vm.mem.size);
	assert_int_equal(v->regs[GPR_RCX], 6);
	assert_int_equal(v->regs[GPR_RDI], vm.mem.size);
	assert_int_equal(v->rip, CODE);
}

/*
 * The BIOS area 0xe0000-0xfffff is ROM to the guest (core/guest_mem.h):
 * a read-modify-write there reads the table's bytes and changes nothing,
 * a store that crosses out of it at 1 MiB writes only its RAM half, and
 * reads give the contents; the VGA text buffer below it is memory.
 */
static void test_bios_area_is_rom(void **state)
{
	static const uint8_t code[] = {
		0x83, 0x07, 0x01,       /* add dword [rdi], 1 */
		0x48, 0x89, 0x06,       /* mov [rsi], rax (crosses 1 MiB) */
		0x8b, 0x0f,             /* mov ecx, [rdi] */
		0x89, 0x02,             /* mov [rdx], eax */
		0xcc,
	};
	uint8_t rsdp[8], low[4];
	(void)state;

	memcpy(rsdp, vm.mem.base + 0xf0000, sizeof(rsdp));
	assert_memory_equal(rsdp, "RSD PTR ", 8);
	memcpy(low, vm.mem.base + 0xffffc, sizeof(low));
	load(code, sizeof(code));
	v->regs[GPR_RDI] = 0xf0000;
	v->regs[GPR_RSI] = 0xffffc;
	v->regs[GPR_RDX] = 0xb8000;
	v->regs[GPR_RAX] = 0x1122334455667788ULL;
	run_to_int3();
	assert_memory_equal(vm.mem.base + 0xf0000, "RSD PTR ", 8);
	assert_int_equal((uint32_t)v->regs[GPR_RCX], 0x20445352); /* "RSD " */
	assert_false(v->rflags & FL_ZF); /* the add's flags: its sum */
	assert_memory_equal(vm.mem.base + 0xffffc, low, sizeof(low));
	assert_int_equal(*(uint32_t *)(vm.mem.base + 0x100000), 0x11223344);
	assert_int_equal(*(uint32_t *)(vm.mem.base + 0xb8000), 0x55667788);
}

/* ------------------------------------------------------ cmpxchg etc. */

static void test_cmpxchg_xadd(void **state)
{
	/* lock cmpxchg [rdi], rbx ; int3 */
	static const uint8_t cx[] = { 0xf0, 0x48, 0x0f, 0xb1, 0x1f, 0xcc };
	/* lock cmpxchg16b [rdi] */
	static const uint8_t cx16[] = { 0xf0, 0x48, 0x0f, 0xc7, 0x0f, 0xcc };
	/* lock xadd [rdi], ebx */
	static const uint8_t xadd[] = { 0xf0, 0x0f, 0xc1, 0x1f, 0xcc };
	/* lock cmpxchg rax, rbx (register: #UD) */
	static const uint8_t bad[] = { 0xf0, 0x48, 0x0f, 0xb1, 0xd8 };
	uint64_t m = 42, q[2] = { 1, 2 };
	(void)state;

	vm_write_phys(&vm, DATA, &m, 8);
	load(cx, sizeof(cx));
	v->regs[GPR_RDI] = DATA;
	v->regs[GPR_RAX] = 42;
	v->regs[GPR_RBX] = 99;
	run_to_int3();
	assert_true(v->rflags & FL_ZF);
	memcpy(&m, vm.mem.base + DATA, 8);
	assert_int_equal(m, 99);
	load(cx, sizeof(cx)); /* now it differs: RAX gets memory */
	run_to_int3();
	assert_false(v->rflags & FL_ZF);
	assert_int_equal(v->regs[GPR_RAX], 99);

	vm_write_phys(&vm, DATA + 16, q, 16);
	load(cx16, sizeof(cx16));
	v->regs[GPR_RDI] = DATA + 16;
	v->regs[GPR_RAX] = 1;
	v->regs[GPR_RDX] = 2;
	v->regs[GPR_RBX] = 3;
	v->regs[GPR_RCX] = 4;
	run_to_int3();
	assert_true(v->rflags & FL_ZF);
	memcpy(q, vm.mem.base + DATA + 16, 16);
	assert_int_equal(q[0], 3);
	assert_int_equal(q[1], 4);
	v->regs[GPR_RDI] = DATA + 8; /* misaligned: #GP(0) */
	expect_fault(cx16, sizeof(cx16), T_GP, 0);

	m = 0xfffffffe;
	vm_write_phys(&vm, DATA, &m, 8);
	load(xadd, sizeof(xadd));
	v->regs[GPR_RDI] = DATA;
	v->regs[GPR_RBX] = 3;
	run_to_int3();
	assert_int_equal(v->regs[GPR_RBX], 0xfffffffe);
	memcpy(&m, vm.mem.base + DATA, 8);
	assert_int_equal(m, 1);
	assert_true(v->rflags & FL_CF);

	expect_fault(bad, sizeof(bad), T_UD, -1);
}

/* ------------------------------------------------------ stack, calls */

static void test_push_pop_call_ret(void **state)
{
	/*
	 * 0: push 0x1234       68 34 12 00 00
	 * 5: pop rbx           5b
	 * 6: call +3           e8 03 00 00 00
	 * b: int3              cc
	 * c: nop; nop; nop     90 90 90
	 * f: push rbx          53
	 * 10: pop rcx          59
	 * 11: ret              c3
	 */
	static const uint8_t code[] = { 0x68, 0x34, 0x12, 0, 0, 0x5b, 0xe8, 4,
					0, 0, 0, 0xcc, 0x90, 0x90, 0x90, 0x90,
					0x53, 0x59, 0xc3 };
	/* 0: enter 16, 0; leave; ret 8 */
	static const uint8_t frame[] = { 0xc8, 0x10, 0x00, 0x00, 0xc9, 0xc2,
					 0x08, 0x00 };
	(void)state;

	load(code, sizeof(code));
	uint64_t sp = v->regs[GPR_RSP];
	run_to_int3();
	assert_int_equal(v->regs[GPR_RBX], 0x1234);
	assert_int_equal(v->regs[GPR_RCX], 0x1234);
	assert_int_equal(v->regs[GPR_RSP], sp);
	assert_int_equal(v->rip, CODE + 0xc); /* after the int3 */

	/* enter/leave keep RBP; ret 8 releases 8 more bytes. */
	load(frame, sizeof(frame));
	uint64_t ret_to = CODE + 0x40;
	uint8_t int3 = 0xcc;
	vm_write_phys(&vm, ret_to, &int3, 1);
	v->regs[GPR_RSP] = sp - 16;
	v->regs[GPR_RBP] = 0x777;
	vm_write_phys(&vm, sp - 16, &ret_to, 8);
	run_to_int3();
	assert_int_equal(v->regs[GPR_RBP], 0x777);
	assert_int_equal(v->regs[GPR_RSP], sp - 16 + 16);
	assert_int_equal(v->rip, ret_to + 1);
}

/*
 * enter with a nesting level reads and writes overlapping stack memory;
 * a hidden page fault in its last write (a clean page, mapped read-only)
 * must not leave the earlier copies behind (tests/diff/FINDINGS.md, 1).
 */
static void test_enter_restartable(void **state)
{
	const uint64_t p = DATA + 0x1000; /* a page boundary */
	static const uint8_t code[] = {
		0x88, 0x06,             /* mov [rsi], al: page p now writable */
		0x8a, 0x07,             /* mov al, [rdi]: page p - 4K read-only */
		0xc8, 0x00, 0x00, 0x03, /* enter 0, 3 */
		0xcc,
	};
	uint64_t a = 0xaaaa, b = 0xbbbb, got;
	(void)state;

	vm_write_phys(&vm, p + 0x4, &a, 8);
	vm_write_phys(&vm, p - 0x4, &b, 8);
	load(code, sizeof(code));
	v->regs[GPR_RSI] = p + 0x100;
	v->regs[GPR_RDI] = p - 0x100;
	v->regs[GPR_RSP] = p + 0x1c;
	v->regs[GPR_RBP] = p + 0xc;
	run_to_int3();
	assert_int_equal(v->regs[GPR_RBP], p + 0x14);
	assert_int_equal(v->regs[GPR_RSP], p - 0x4);
	memcpy(&got, vm.mem.base + p + 0x14, 8);
	assert_int_equal(got, p + 0xc);      /* the old RBP */
	memcpy(&got, vm.mem.base + p + 0xc, 8);
	assert_int_equal(got, a);            /* the original [rbp - 8] */
	memcpy(&got, vm.mem.base + p + 0x4, 8);
	assert_int_equal(got, b);            /* the original [rbp - 16] */
	memcpy(&got, vm.mem.base + p - 0x4, 8);
	assert_int_equal(got, p + 0x14);     /* the new frame pointer */
}

/* A push to a non-canonical RSP is #SS(0); a jmp there is #GP(0). */
static void test_noncanonical(void **state)
{
	static const uint8_t push[] = { 0x50 };
	static const uint8_t jmp[] = { 0xff, 0xe0 }; /* jmp rax */
	static const uint8_t load_[] = { 0x48, 0x8b, 0x00 }; /* mov rax,[rax] */
	(void)state;

	v->regs[GPR_RSP] = 0x0000900000000000ULL;
	expect_fault(push, sizeof(push), T_SS, 0);
	v->regs[GPR_RSP] = 0x80000;
	v->regs[GPR_RAX] = 0x0000800000000000ULL;
	expect_fault(jmp, sizeof(jmp), T_GP, 0);
	expect_fault(load_, sizeof(load_), T_GP, 0);
}

/* ------------------------------------------------------ MMU and TLB */

static void test_pf_error_codes(void **state)
{
	static const uint8_t rd[] = { 0x8b, 0x07, 0xcc };       /* mov eax,[rdi] */
	static const uint8_t wr[] = { 0x89, 0x07, 0xcc };       /* mov [rdi],eax */
	struct vm_exit x;
	(void)state;

	/* The shadow is empty: the very first fetch faults. */
	load(rd, sizeof(rd));
	v->regs[GPR_RDI] = DATA + 0x10;
	x = run_once();
	assert_int_equal(x.reason, EXIT_EXCEPTION);
	assert_int_equal(x.exc.vector, T_PF);
	assert_int_equal(x.exc.address, CODE);
	assert_int_equal(x.exc.error, PFEC_U | PFEC_I);
	assert_int_equal(shadowpt_fault(&vm, x.exc.address, x.exc.error),
			 SHADOW_FILLED);
	/* Then the read of DATA: not present, a read, at CPL 3. */
	x = run_once();
	assert_int_equal(x.exc.vector, T_PF);
	assert_int_equal(x.exc.address, DATA + 0x10);
	assert_int_equal(x.exc.error, PFEC_U);
	assert_int_equal(x.rip, CODE);
	assert_int_equal(shadowpt_fault(&vm, x.exc.address, x.exc.error),
			 SHADOW_FILLED);
	x = run_once();
	assert_int_equal(x.exc.vector, T_BP);

	/* A write to the page just mapped read-only (clean): P|W|U. */
	load(wr, sizeof(wr));
	x = run_once();
	assert_int_equal(x.exc.vector, T_PF);
	assert_int_equal(x.exc.address, DATA + 0x10);
	assert_int_equal(x.exc.error, PFEC_P | PFEC_W | PFEC_U);
}

static void test_tlb_flush(void **state)
{
	static const uint8_t rd[] = { 0x8b, 0x07, 0xcc };
	uint32_t a = 0x11111111, b = 0x22222222;
	(void)state;

	vm_write_phys(&vm, DATA, &a, 4);
	vm_write_phys(&vm, DATA + 0x1000, &b, 4);
	load(rd, sizeof(rd));
	v->regs[GPR_RDI] = DATA;
	run_to_int3();
	assert_int_equal(v->regs[GPR_RAX], a);

	/* Point the shadow leaf elsewhere behind the TLB's back... */
	uint64_t *leaf = shadow_leaf_of(vm.spt->current, DATA);
	assert_non_null(leaf);
	*leaf = (*leaf & ~PTE_ADDR_MASK) | (DATA + 0x1000);
	v->rip = CODE;
	run_to_int3();
	assert_int_equal(v->regs[GPR_RAX], a); /* the TLB still says DATA */
	/* ...and flush that one address: now the new mapping shows. */
	vm.engine->flush(&vm, DATA + 0x123);
	v->rip = CODE;
	run_to_int3();
	assert_int_equal(v->regs[GPR_RAX], b);
	/* Flush everything after clearing the leaf: #PF again. */
	*leaf = 0;
	vm.engine->flush(&vm, SHADOW_FLUSH_ALL);
	v->rip = CODE;
	struct vm_exit x = run_once();
	assert_int_equal(x.exc.vector, T_PF);
	assert_int_equal(x.exc.address, DATA);
}

/*
 * A run keeps the last run's code page (cpu.c, sc_run) only while
 * nothing could have moved it: an engine->flush or switch_view, a fill
 * or a drop in the shadow (spt->gen) each make the next run translate
 * RIP's page again.  The shadow's leaf for the code is pointed at
 * another frame holding other code; the old code runs until the
 * engine hears of it.
 */
static void test_code_page_kept_between_runs(void **state)
{
	static const uint8_t one[] = { 0xb8, 1, 0, 0, 0, 0xcc };
	static const uint8_t two[] = { 0xb8, 2, 0, 0, 0, 0xcc };
	struct sc_cpu *c = vm.engine_data;
	uint64_t other = DATA + 0x2000;
	(void)state;

	vm_write_phys(&vm, other, two, sizeof(two));
	load(one, sizeof(one));
	run_to_int3();
	assert_int_equal(v->regs[GPR_RAX], 1);
	/* A run that ends at once (a kick) keeps the page... */
	vm.kick = VM_KICK_EVENT;
	run_once();
	vm.kick = 0;
	assert_int_equal(c->code_vpn, CODE >> PAGE_4K_SHIFT);
	/* ...and so runs the old code through it after a change nobody
	 * was told of, as the TLB does. */
	uint64_t *leaf = shadow_leaf_of(vm.spt->current, CODE);
	assert_non_null(leaf);
	*leaf = (*leaf & ~PTE_ADDR_MASK) | other;
	v->rip = CODE;
	run_to_int3();
	assert_int_equal(v->regs[GPR_RAX], 1);
	/* engine->flush of the page: the new frame's code. */
	vm.engine->flush(&vm, CODE);
	v->rip = CODE;
	run_to_int3();
	assert_int_equal(v->regs[GPR_RAX], 2);
	/* A fill elsewhere in the shadow: the page is translated again. */
	assert_int_equal(c->code_vpn, CODE >> PAGE_4K_SHIFT);
	assert_int_equal(shadowpt_fault(&vm, DATA + 0x5000, PFEC_U),
			 SHADOW_FILLED);
	vm.kick = VM_KICK_EVENT;
	run_once();
	assert_int_equal(c->code_vpn, SC_TLB_EMPTY);
	/* engine->switch_view (the same view here): again. */
	vm.kick = 0;
	v->rip = CODE;
	run_to_int3();
	assert_int_equal(c->code_vpn, CODE >> PAGE_4K_SHIFT);
	vm.engine->switch_view(&vm);
	vm.kick = VM_KICK_EVENT;
	run_once();
	vm.kick = 0;
	assert_int_equal(c->code_vpn, SC_TLB_EMPTY);
}

/* A read that straddles two pages translates both. */
static void test_page_crossing(void **state)
{
	static const uint8_t rd[] = { 0x48, 0x8b, 0x07, 0xcc };
	uint64_t q = 0x8877665544332211ULL;
	(void)state;

	vm_write_phys(&vm, DATA + 0xffc, &q, 8);
	load(rd, sizeof(rd));
	v->regs[GPR_RDI] = DATA + 0xffc;
	run_to_int3();
	assert_int_equal(v->regs[GPR_RAX], q);
}

/* ------------------------------------------- self-modifying code */

static void test_self_modifying_code(void **state)
{
	/*
	 * 0: mov eax, 1                 b8 01 00 00 00
	 * 5: int3                       cc
	 * 6: mov byte [rip - 12], 7     c6 05 f4 ff ff ff 07   (patches 0x1)
	 * d: jmp 0                      e9 ee ff ff ff
	 */
	static const uint8_t code[] = { 0xb8, 1, 0, 0, 0, 0xcc, 0xc6, 0x05,
					0xf4, 0xff, 0xff, 0xff, 7, 0xe9, 0xee,
					0xff, 0xff, 0xff };
	(void)state;

	load(code, sizeof(code));
	run_to_int3();
	assert_int_equal(v->regs[GPR_RAX], 1);
	run_to_int3(); /* the guest patched its own mov, then re-ran it */
	assert_int_equal(v->regs[GPR_RAX], 7);
	/* The monitor patches it too (vm_write_phys -> ram_written). */
	uint8_t nine = 9;
	vm_write_phys(&vm, CODE + 1, &nine, 1);
	v->rip = CODE;
	run_to_int3();
	assert_int_equal(v->regs[GPR_RAX], 9);
}

/*
 * Pre-decoded blocks (cache.c, cpu.c): a store into a later instruction
 * of the same straight line of code takes effect on that instruction, a
 * second time too, when the block holding both was decoded before.
 */
static void test_block_smc_same_block(void **state)
{
	/*
	 * 0: mov byte [rip + 1], bl     88 1d 01 00 00 00  (patches 7)
	 * 6: mov eax, 1                 b8 01 00 00 00
	 * b: int3                       cc
	 */
	static const uint8_t code[] = { 0x88, 0x1d, 1, 0, 0, 0, 0xb8, 1, 0, 0,
					0, 0xcc };
	(void)state;

	load(code, sizeof(code));
	for (uint64_t bl = 7; bl < 10; bl++) {
		v->rip = CODE;
		v->regs[GPR_RBX] = bl;
		run_to_int3();
		assert_int_equal(v->regs[GPR_RAX], bl);
	}
}

/* A block stops at the instruction count's deadline (--icount's timer
 * events) and at a fault, with RIP and the count those of the
 * instruction, in the middle of its straight line. */
static void test_block_deadline_and_fault(void **state)
{
	/*
	 * 0..8: inc rax x3              48 ff c0
	 * 9:    mov [rbx], al           88 03     (#GP: rbx not canonical)
	 * b:    int3                    cc
	 */
	static const uint8_t code[] = { 0x48, 0xff, 0xc0, 0x48, 0xff, 0xc0,
					0x48, 0xff, 0xc0, 0x88, 0x03, 0xcc };
	(void)state;

	load(code, sizeof(code));
	v->regs[GPR_RAX] = 0;
	v->regs[GPR_RBX] = 1ULL << 63;
	uint64_t start = v->instructions;
	vm.insn_deadline = start + 2;
	struct vm_exit x = run();
	assert_int_equal(x.reason, EXIT_INTERRUPT);
	assert_int_equal(v->rip, CODE + 6);
	assert_int_equal(v->instructions - start, 2);
	assert_int_equal(v->regs[GPR_RAX], 2);
	vm.insn_deadline = UINT64_MAX;
	x = run();
	assert_int_equal(x.reason, EXIT_EXCEPTION);
	assert_int_equal(x.exc.vector, T_GP);
	assert_int_equal(x.rip, CODE + 9);
	assert_int_equal(v->rip, CODE + 9);
	assert_int_equal(v->instructions - start, 3);
	assert_int_equal(v->regs[GPR_RAX], 3);
	/* Again, from the blocks now decoded: the same. */
	v->rip = CODE;
	v->regs[GPR_RAX] = 0;
	start = v->instructions;
	x = run();
	assert_int_equal(x.exc.vector, T_GP);
	assert_int_equal(v->rip, CODE + 9);
	assert_int_equal(v->instructions - start, 3);
}

/*
 * Block chaining (cpu.c's chain_next): a block goes on into the block
 * that ran after it last time, through a pointer it keeps, checked
 * against the slot's tag and the page's generation.  block_of() finds a
 * 64-bit block as the run loop would, so that a test can see that the
 * chain is in place (the tests would pass without it, but would then not
 * test it).
 */
static struct sc_block *block_of(uint64_t gpa)
{
	struct sc_cpu *c = vm.engine_data;
	uint64_t ram = gm_offset(&vm.mem, gpa, 1);

	return sc_block_lookup(c, sc_cache_tag(ram, 8),
			       &c->page_gen[ram >> PAGE_4K_SHIFT]);
}

/* A store into the code of a block chained before: the blocks of the
 * page go, their chain pointers fail their check, the new code runs. */
static void test_chain_store_into_successor(void **state)
{
	/*
	 * 00: inc rcx                   48 ff c1
	 * 03: cmp rcx, 3                48 83 f9 03
	 * 07: jne 10                    75 07
	 * 09: mov byte [rip + 1], 5     c6 05 01 00 00 00 05  (patches 11)
	 * 10: mov eax, 1                b8 01 00 00 00
	 * 15: add rdx, rax              48 01 c2
	 * 18: cmp rcx, 5                48 83 f9 05
	 * 1c: jne 00                    75 e2
	 * 1e: int3                      cc
	 */
	static const uint8_t code[] = {
		0x48, 0xff, 0xc1, 0x48, 0x83, 0xf9, 0x03, 0x75, 0x07,
		0xc6, 0x05, 0x01, 0x00, 0x00, 0x00, 0x05,
		0xb8, 0x01, 0x00, 0x00, 0x00, 0x48, 0x01, 0xc2,
		0x48, 0x83, 0xf9, 0x05, 0x75, 0xe2, 0xcc,
	};
	(void)state;

	for (int i = 0; i < 3; i++) { /* load() puts the 1 back */
		v->regs[GPR_RCX] = v->regs[GPR_RDX] = 0;
		uint64_t start = v->instructions;
		load(code, sizeof(code));
		run_to_int3();
		assert_int_equal(v->regs[GPR_RDX], 1 + 1 + 5 + 5 + 5);
		assert_int_equal(v->regs[GPR_RAX], 5);
		assert_int_equal(v->instructions - start, 5 * 7 + 1 + 1);
		assert_ptr_equal(block_of(CODE)->succ[0], block_of(CODE + 0x10));
		assert_ptr_equal(block_of(CODE + 0x10)->succ[0], block_of(CODE));
	}
}

/* A block of fast forms only (one call runs it: sc_block.threaded)
 * whose first store patches a later record of its own: the block stops
 * after the store, and the patched instruction runs as written. */
static void test_chain_store_in_threaded_block(void **state)
{
	/*
	 * 00: mov byte [rip + 4], bl    88 1d 04 00 00 00  (patches 0a)
	 * 06: mov eax, ebx              89 d8
	 * 08: add eax, 1                83 c0 01
	 * 0b: jno 0d                    71 00   (a jump to the next one)
	 * 0d: int3                      cc
	 */
	static const uint8_t code[] = { 0x88, 0x1d, 0x04, 0, 0, 0, 0x89, 0xd8,
					0x83, 0xc0, 0x01, 0x71, 0x00, 0xcc };
	(void)state;

	load(code, sizeof(code));
	for (uint64_t bl = 7; bl < 10; bl++) {
		v->rip = CODE;
		v->regs[GPR_RBX] = bl;
		uint64_t start = v->instructions;
		run_to_int3();
		assert_int_equal(v->regs[GPR_RAX], 2 * bl);
		assert_int_equal(v->instructions - start, 5);
		assert_int_equal(v->rip, CODE + sizeof(code));
	}
	/* Every instruction before the int3 is a fast form: the block of
	 * them ran with one call.  (The block at CODE itself is gone with
	 * the last store; the one the loop built after it is threaded.) */
	for (size_t off = 0; off < sizeof(code) - 1;) {
		struct sc_insn d;
		assert_int_equal(sc_decode(code + off, sizeof(code) - off, 8,
					   &d), SC_DEC_OK);
		assert_true(d.threaded);
		off += d.len;
	}
	assert_true(block_of(CODE + 6)->threaded);
}

/*
 * 00: inc rcx                   48 ff c1
 * 03: mov eax, 1                b8 01 00 00 00
 * 08: add rdx, rax              48 01 c2
 * 0b: cmp rcx, 4                48 83 f9 04
 * 0f: jne 00                    75 ef
 * 11: int3                      cc
 * One block of fast forms only, linked to itself when it is built (a
 * self-loop: its taken pointer).
 */
static const uint8_t self_loop[] = {
	0x48, 0xff, 0xc1, 0xb8, 0x01, 0x00, 0x00, 0x00, 0x48, 0x01, 0xc2,
	0x48, 0x83, 0xf9, 0x04, 0x75, 0xef, 0xcc,
};

/* The monitor rewrites a chained block's code between two runs. */
static void test_chain_rewritten_between_runs(void **state)
{
	(void)state;

	v->regs[GPR_RCX] = v->regs[GPR_RDX] = 0;
	load(self_loop, sizeof(self_loop));
	run_to_int3();
	assert_int_equal(v->regs[GPR_RDX], 4);
	assert_ptr_equal(block_of(CODE)->taken, block_of(CODE));
	for (uint8_t imm = 2; imm < 5; imm++) {
		assert_int_equal(vm_write_phys(&vm, CODE + 4, &imm, 1), 0);
		v->rip = CODE;
		v->regs[GPR_RCX] = v->regs[GPR_RDX] = 0;
		run_to_int3();
		assert_int_equal(v->regs[GPR_RDX], 4 * imm);
		assert_ptr_equal(block_of(CODE)->taken, block_of(CODE));
	}
}

/* --icount's deadline falls inside the third block of a chain: the run
 * stops after exactly that many instructions, mid-block. */
static void test_chain_deadline(void **state)
{
	(void)state;

	for (int i = 0; i < 3; i++) { /* decoded, then chained */
		load(self_loop, sizeof(self_loop));
		v->regs[GPR_RCX] = v->regs[GPR_RDX] = v->regs[GPR_RAX] = 0;
		uint64_t start = v->instructions;
		run_until(start, 12);
		assert_int_equal(v->rip, CODE + 8);
		assert_int_equal(v->regs[GPR_RCX], 3);
		assert_int_equal(v->regs[GPR_RDX], 2);
		run_to_int3();
		assert_int_equal(v->instructions - start, 4 * 5 + 1);
		assert_int_equal(v->regs[GPR_RDX], 4);
	}
}

/* A fault in the second block of a chain: its own RIP, the count of
 * what retired before it, nothing of it done. */
static void test_chain_fault_in_second_block(void **state)
{
	/*
	 * 00: inc rax                   48 ff c0
	 * 03: jmp 08                    eb 03
	 * 05: int3 x3                   cc cc cc   (never reached)
	 * 08: inc rax                   48 ff c0
	 * 0b: mov [rbx], al             88 03      (#GP: rbx not canonical)
	 * 0d: int3                      cc
	 */
	static const uint8_t code[] = { 0x48, 0xff, 0xc0, 0xeb, 0x03, 0xcc,
					0xcc, 0xcc, 0x48, 0xff, 0xc0, 0x88,
					0x03, 0xcc };
	(void)state;

	load(code, sizeof(code));
	for (int i = 0; i < 3; i++) { /* decoded, looked up, chained */
		v->rip = CODE;
		v->regs[GPR_RAX] = 0;
		v->regs[GPR_RBX] = 1ULL << 63;
		uint64_t start = v->instructions;
		struct vm_exit x = run();
		assert_int_equal(x.reason, EXIT_EXCEPTION);
		assert_int_equal(x.exc.vector, T_GP);
		assert_int_equal(x.rip, CODE + 0xb);
		assert_int_equal(v->rip, CODE + 0xb);
		assert_int_equal(v->instructions - start, 3);
		assert_int_equal(v->regs[GPR_RAX], 2);
	}
	assert_ptr_equal(block_of(CODE)->succ[0], block_of(CODE + 8));
}

/*
 * Chaining across blocks (softcpu.h's sc_chain): a taken jcc goes on into
 * the first handler of the block it reaches, without the run loop.
 * cross_loop is two blocks of fast forms that jump to each other:
 * 00: add rcx, 1                48 83 c1 01
 * 04: cmp rcx, 1000             48 81 f9 e8 03 00 00
 * 0b: jne 10                    75 03
 * 0d: int3 x3                   cc cc cc
 * 10: add rdx, rcx              48 01 ca
 * 13: cmp rcx, 0                48 83 f9 00
 * 17: jne 00                    75 e7
 * 19: int3                      cc
 */
static const uint8_t cross_loop[] = {
	0x48, 0x83, 0xc1, 0x01, 0x48, 0x81, 0xf9, 0xe8, 0x03, 0x00, 0x00,
	0x75, 0x03, 0xcc, 0xcc, 0xcc, 0x48, 0x01, 0xca, 0x48, 0x83, 0xf9,
	0x00, 0x75, 0xe7, 0xcc,
};

/* Both blocks of cross_loop are fast forms only and point at each other:
 * the jumps between them cross (without it the tests below would pass
 * but test nothing new). */
static void assert_cross_chained(void)
{
	struct sc_block *a = block_of(CODE), *b = block_of(CODE + 0x10);

	assert_non_null(a);
	assert_non_null(b);
	assert_true(a->threaded && b->threaded);
	assert_ptr_equal(a->succ[0], b);
	assert_ptr_equal(b->succ[0], a);
}

/* cross_loop, loaded at CODE, run whole from there: its 999 rounds,
 * their sum in RDX, and both blocks linked to each other on the way. */
static void run_cross_loop(void)
{
	v->rip = CODE;
	v->regs[GPR_RCX] = v->regs[GPR_RDX] = 0;
	uint64_t start = v->instructions;
	run_to_int3();
	assert_int_equal(v->instructions - start, 6 * 999 + 3 + 1);
	assert_int_equal(v->regs[GPR_RDX], 999 * 1000 / 2);
	assert_cross_chained();
}

/* A deadline at each instruction of an iteration, deep inside a chain
 * that crossed between the two blocks hundreds of times: the run stops
 * after exactly that many instructions, with RIP and the registers of
 * that point. */
static void test_chain_cross_deadline(void **state)
{
	static const uint64_t rip_at[6] = { 0x0, 0x4, 0xb, 0x10, 0x13, 0x17 };
	(void)state;

	load(cross_loop, sizeof(cross_loop));
	for (unsigned j = 0; j < 6; j++) {
		v->rip = CODE;
		v->regs[GPR_RCX] = v->regs[GPR_RDX] = 0;
		uint64_t start = v->instructions;
		run_until(start, 6 * 300 + j);
		assert_int_equal(v->rip, CODE + rip_at[j]);
		assert_int_equal(v->regs[GPR_RCX], 300 + (j > 0));
		assert_int_equal(v->regs[GPR_RDX],
				 300 * 301 / 2 + (j > 3 ? 301 : 0));
		run_to_int3();
		assert_int_equal(v->instructions - start, 6 * 999 + 3 + 1);
		assert_int_equal(v->rip, CODE + 0xe); /* after the int3 */
		assert_int_equal(v->regs[GPR_RCX], 1000);
		assert_int_equal(v->regs[GPR_RDX], 999 * 1000 / 2);
		assert_cross_chained();
	}
}

/*
 * The bound on a chain's depth: each crossing is a call, which the
 * sanitizer builds do not make a jump, so that a chain goes back to the
 * run loop at the end of the slice it began in (SC_SLICE instructions at
 * most).  The 6,000 instructions of cross_loop span two slices of the
 * run loop; the chain in force at its end was allowed to go no further
 * than its slice's end, at most SC_SLICE past the end of the run.
 */
static void test_chain_cross_depth(void **state)
{
	struct sc_cpu *c = vm.engine_data;
	(void)state;

	load(cross_loop, sizeof(cross_loop));
	run_cross_loop();
	assert_true(c->climit <= v->instructions + SC_SLICE);
}

/*
 * A store into code that a crossing chain runs: iterations 1 to 4 cross
 * from the block at 0a back to the one at 00; at rcx = 5 the block at 20
 * patches the immediate of the add at 0a, which from then on adds 3.
 * 00: add rcx, 1                48 83 c1 01
 * 04: cmp rcx, 5                48 83 f9 05
 * 08: je 20                     74 16
 * 0a: add rdx, 1                48 83 c2 01   (imm8 at 0d)
 * 0e: cmp rcx, 9                48 83 f9 09
 * 12: jne 00                    75 ec
 * 14: int3 x12                  cc ...
 * 20: mov byte [rip - 0x19], bl 88 1d e7 ff ff ff  (patches 0d)
 * 26: cmp rcx, 0                48 83 f9 00
 * 2a: jne 0a                    75 de
 * 2c: int3                      cc
 */
static void test_chain_cross_store(void **state)
{
	static const uint8_t code[] = {
		0x48, 0x83, 0xc1, 0x01, 0x48, 0x83, 0xf9, 0x05, 0x74, 0x16,
		0x48, 0x83, 0xc2, 0x01, 0x48, 0x83, 0xf9, 0x09, 0x75, 0xec,
		0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc,
		0xcc, 0xcc,
		0x88, 0x1d, 0xe7, 0xff, 0xff, 0xff, 0x48, 0x83, 0xf9, 0x00,
		0x75, 0xde, 0xcc,
	};
	(void)state;

	for (int i = 0; i < 3; i++) { /* load() puts the 1 back */
		load(code, sizeof(code));
		v->regs[GPR_RCX] = v->regs[GPR_RDX] = 0;
		v->regs[GPR_RBX] = 3;
		uint64_t start = v->instructions;
		run_to_int3();
		assert_int_equal(v->regs[GPR_RDX], 4 * 1 + 5 * 3);
		assert_int_equal(v->regs[GPR_RCX], 9);
		assert_int_equal(v->rip, CODE + 0x15); /* after the int3 */
		assert_int_equal(v->instructions - start, 9 * 6 + 3 + 1);
		/* After the store, the blocks decoded anew chained again. */
		assert_ptr_equal(block_of(CODE + 0xa)->succ[0], block_of(CODE));
		assert_true(block_of(CODE + 0xa)->threaded);
	}
}

/*
 * A fault in a block the chain crossed into: its own RIP, the count of
 * what retired before it, nothing of it done.  rbx flips between DATA and
 * a non-canonical address each iteration (rsi = 2^63): the second
 * iteration's store faults, in the block reached by crossing.
 * 00: add rcx, 1                48 83 c1 01
 * 04: cmp rcx, 0                48 83 f9 00
 * 08: jne 10                    75 06
 * 0a: int3 x6                   cc ...
 * 10: add rbx, rsi              48 01 f3
 * 13: add rax, 1                48 83 c0 01
 * 17: mov [rbx], al             88 03     (#GP the second time)
 * 19: cmp rcx, 0                48 83 f9 00
 * 1d: jne 00                    75 e1
 * 1f: int3                      cc
 */
static void test_chain_cross_fault(void **state)
{
	static const uint8_t code[] = {
		0x48, 0x83, 0xc1, 0x01, 0x48, 0x83, 0xf9, 0x00, 0x75, 0x06,
		0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc,
		0x48, 0x01, 0xf3, 0x48, 0x83, 0xc0, 0x01, 0x88, 0x03, 0x48,
		0x83, 0xf9, 0x00, 0x75, 0xe1, 0xcc,
	};
	(void)state;

	load(code, sizeof(code));
	for (int i = 0; i < 3; i++) { /* decoded, looked up, chained */
		v->rip = CODE;
		v->regs[GPR_RAX] = v->regs[GPR_RCX] = 0;
		v->regs[GPR_RSI] = 1ULL << 63;
		v->regs[GPR_RBX] = DATA | 1ULL << 63;
		uint64_t start = v->instructions;
		struct vm_exit x = run();
		assert_int_equal(x.reason, EXIT_EXCEPTION);
		assert_int_equal(x.exc.vector, T_GP);
		assert_int_equal(x.rip, CODE + 0x17);
		assert_int_equal(v->rip, CODE + 0x17);
		assert_int_equal(v->instructions - start, 8 + 3 + 2);
		assert_int_equal(v->regs[GPR_RAX], 2);
		assert_int_equal(v->regs[GPR_RCX], 2);
		assert_int_equal(v->regs[GPR_RBX], DATA | 1ULL << 63);
	}
	assert_true(block_of(CODE)->threaded && block_of(CODE + 0x10)->threaded);
	assert_ptr_equal(block_of(CODE)->succ[0], block_of(CODE + 0x10));
}

/*
 * RIP-relative operands in a block the chain crossed into: a fast form
 * knows its RIP from the block's first byte and its offset in the block
 * (sc_fall), which crossing moves.
 * 00: add rcx, 1                48 83 c1 01
 * 04: cmp rcx, 0                48 83 f9 00
 * 08: jne 10                    75 06
 * 0a: int3 x6                   cc ...
 * 10: lea rax, [rip + 0x10]     48 8d 05 10 00 00 00   (27)
 * 17: mov edx, [rip + 0x20]     8b 15 20 00 00 00      (3d)
 * 1d: cmp rcx, 3                48 83 f9 03
 * 21: jne 00                    75 dd
 * 23: int3 x26                  cc ...
 * 3d: dd 0x12345678
 */
static void test_chain_cross_riprel(void **state)
{
	static const uint8_t code[] = {
		0x48, 0x83, 0xc1, 0x01, 0x48, 0x83, 0xf9, 0x00, 0x75, 0x06,
		0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc,
		0x48, 0x8d, 0x05, 0x10, 0x00, 0x00, 0x00,
		0x8b, 0x15, 0x20, 0x00, 0x00, 0x00,
		0x48, 0x83, 0xf9, 0x03, 0x75, 0xdd,
		0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc,
		0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc,
		0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc,
		0x78, 0x56, 0x34, 0x12,
	};
	(void)state;

	load(code, sizeof(code));
	for (int i = 0; i < 3; i++) { /* decoded, looked up, chained */
		v->rip = CODE;
		v->regs[GPR_RCX] = 0;
		v->regs[GPR_RAX] = v->regs[GPR_RDX] = ~0ULL;
		uint64_t start = v->instructions;
		run_to_int3();
		assert_int_equal(v->regs[GPR_RAX], CODE + 0x27);
		assert_int_equal(v->regs[GPR_RDX], 0x12345678);
		assert_int_equal(v->regs[GPR_RCX], 3);
		assert_int_equal(v->rip, CODE + 0x24); /* after the int3 */
		assert_int_equal(v->instructions - start, 3 * 7 + 1);
	}
	assert_true(block_of(CODE)->threaded && block_of(CODE + 0x10)->threaded);
	assert_ptr_equal(block_of(CODE)->succ[0], block_of(CODE + 0x10));
	assert_ptr_equal(block_of(CODE + 0x10)->succ[0], block_of(CODE));
}

/*
 * The flat memory forms by the shape of their address (softcpu.h's
 * sc_flat): a base and a displacement only (rsp and r12 need a SIB byte
 * for it), and the other shapes (base + index, index without a base),
 * decoded once, then again from their block.
 */
/*
 * call rel32 and ret in their fast forms (branch.c's call64, ret64):
 * a loop that calls a function in its own page a thousand times.  The
 * jmp ends the first block, so that the loop's call is f's one caller
 * (a block is the taken target of one block at most).
 *
 *  0: xor rdx, rdx          48 31 d2
 *  3: mov ecx, 1000         b9 e8 03 00 00
 *  8: jmp a                 eb 00
 *  a: call f (0x17)         e8 08 00 00 00
 *  f: dec ecx               ff c9
 * 11: jnz a                 75 f7
 * 13: int3                  cc
 * 17: f: add rdx, rcx       48 01 ca
 * 1a: ret                   c3
 */
static const uint8_t call_loop[] = {
	0x48, 0x31, 0xd2, 0xb9, 0xe8, 0x03, 0x00, 0x00, 0xeb, 0x00, 0xe8,
	0x08, 0x00, 0x00, 0x00, 0xff, 0xc9, 0x75, 0xf7, 0xcc, 0xcc, 0xcc,
	0xcc, 0x48, 0x01, 0xca, 0xc3,
};

/* The loop's three blocks are fast forms only and go on into one
 * another: the call into f by its taken pointer, f's ret into the block
 * after the call by its last successor, the jnz back to the call. */
static void assert_call_loop_chained(void)
{
	struct sc_block *call = block_of(CODE + 0xa), *f = block_of(CODE + 0x17),
			*after = block_of(CODE + 0xf);

	assert_non_null(call);
	assert_non_null(f);
	assert_non_null(after);
	assert_true(call->threaded && f->threaded && after->threaded);
	assert_ptr_equal(call->taken, f);
	assert_ptr_equal(f->succ[0], after);
	assert_ptr_equal(after->taken, call);
}

static void test_call_ret_chain(void **state)
{
	/* RIP before each instruction of a round: call, add, ret, dec, jnz */
	static const uint64_t rip_at[5] = { 0xa, 0x17, 0x1a, 0xf, 0x11 };
	(void)state;

	load(call_loop, sizeof(call_loop));
	uint64_t sp = v->regs[GPR_RSP], start = v->instructions, ret;
	run_to_int3();
	assert_int_equal(v->instructions - start, 3 + 5 * 1000 + 1);
	assert_int_equal(v->regs[GPR_RDX], 1000 * 1001 / 2);
	assert_int_equal(v->regs[GPR_RCX], 0);
	assert_int_equal(v->regs[GPR_RSP], sp);
	assert_int_equal(v->rip, CODE + 0x14); /* after the int3 */
	assert_call_loop_chained();
	memcpy(&ret, vm.mem.base + (sp - 8), 8); /* the stack: identity-mapped */
	assert_int_equal(ret, CODE + 0xf); /* the last return address */

	/* A deadline before each instruction of round 400, deep in the
	 * chain: RIP, RCX, RDX and RSP of that point exactly. */
	for (unsigned j = 0; j < 5; j++) {
		v->rip = CODE;
		start = v->instructions;
		run_until(start, 3 + 5 * 399 + j);
		assert_int_equal(v->rip, CODE + rip_at[j]);
		assert_int_equal(v->regs[GPR_RSP], j == 1 || j == 2 ? sp - 8 : sp);
		assert_int_equal(v->regs[GPR_RCX], j < 4 ? 601 : 600);
		assert_int_equal(v->regs[GPR_RDX],
				 (1000 + 602) * 399 / 2 + (j >= 2 ? 601 : 0));
		run_to_int3();
		assert_int_equal(v->instructions - start, 3 + 5 * 1000 + 1);
		assert_int_equal(v->regs[GPR_RDX], 1000 * 1001 / 2);
		assert_call_loop_chained();
	}
}

/*
 * A function called from two places: its ret's block went on to the
 * other call site last time, so the fast form must not follow that
 * successor; the sum shows every return went where its call came from.
 *
 *  0: xor edx, edx          31 d2
 *  2: mov ecx, 100          b9 64 00 00 00
 *  7: call f (0x20)         e8 14 00 00 00
 *  c: add edx, 1            83 c2 01
 *  f: call f                e8 0c 00 00 00
 * 14: add edx, 0x100        81 c2 00 01 00 00
 * 1a: dec ecx               ff c9
 * 1c: jnz 7                 75 e9
 * 1e: int3                  cc
 * 20: f: add rdx, 0x10000   48 81 c2 00 00 01 00
 * 27: ret 0                 c2 00 00
 */
static void test_ret_two_callers(void **state)
{
	static const uint8_t code[] = {
		0x31, 0xd2, 0xb9, 0x64, 0x00, 0x00, 0x00, 0xe8, 0x14, 0x00,
		0x00, 0x00, 0x83, 0xc2, 0x01, 0xe8, 0x0c, 0x00, 0x00, 0x00,
		0x81, 0xc2, 0x00, 0x01, 0x00, 0x00, 0xff, 0xc9, 0x75, 0xe9,
		0xcc, 0xcc, 0x48, 0x81, 0xc2, 0x00, 0x00, 0x01, 0x00, 0xc2,
		0x00, 0x00,
	};
	(void)state;

	load(code, sizeof(code));
	uint64_t sp = v->regs[GPR_RSP], start = v->instructions;
	run_to_int3();
	assert_int_equal(v->instructions - start, 2 + 10 * 100 + 1);
	assert_int_equal(v->regs[GPR_RDX], 100 * (2 * 0x10000 + 0x101));
	assert_int_equal(v->regs[GPR_RSP], sp);
	assert_int_equal(v->rip, CODE + 0x1f);
}

/*
 * What the fast forms leave to the general handler, which then faults or
 * writes as the one-instruction path does: a call whose push cannot
 * complete changes nothing (#SS for a non-canonical RSP, #PF for an
 * unmapped page, RIP on the call); a ret to a non-canonical address is
 * #GP(0) on the ret with RSP unchanged, also with the stack's page in
 * the TLB (the fast form read it); and ret imm16 releases its bytes.
 */
static void test_call_ret_general(void **state)
{
	static const uint8_t call0[] = { 0xe8, 0x00, 0x00, 0x00, 0x00, 0xcc };
	static const uint8_t warm[] = { 0x50, 0x58, 0xcc }; /* push; pop */
	static const uint8_t ret[] = { 0xc3 };
	static const uint8_t ret16[] = { 0xc2, 0x10, 0x00 };
	const uint64_t bad = 0x0000800000000000ULL, to = CODE + 0x40;
	const uint8_t int3 = 0xcc;
	(void)state;

	uint64_t sp = v->regs[GPR_RSP];
	v->regs[GPR_RSP] = 0x0000900000000000ULL;
	expect_fault(call0, sizeof(call0), T_SS, 0);
	v->regs[GPR_RSP] = 0x100000000000ULL; /* canonical, not mapped */
	expect_fault(call0, sizeof(call0), T_PF, -1);
	v->regs[GPR_RSP] = sp;

	load(warm, sizeof(warm));
	run_to_int3();
	assert_int_equal(vm_write_phys(&vm, sp, &bad, 8), 0);
	expect_fault(ret, sizeof(ret), T_GP, 0);

	assert_int_equal(vm_write_phys(&vm, to, &int3, 1), 0);
	assert_int_equal(vm_write_phys(&vm, sp, &to, 8), 0);
	load(ret16, sizeof(ret16));
	run_to_int3();
	assert_int_equal(v->rip, to + 1);
	assert_int_equal(v->regs[GPR_RSP], sp + 8 + 0x10);
	v->regs[GPR_RSP] = sp;
}

/*
 * inc and dec of a register in their fast forms (alu.c's incdec_reg)
 * keep CF, here the borrow of the cmp before them in the same block, set
 * the other five from their result, and at 16 and 32 bits write what
 * their size writes.
 *
 *  0: cmp rax, rbx          48 39 d8     (1 - 2: CF set)
 *  3: inc ecx               ff c1        (0xffffffff -> 0, upper half 0)
 *  5: dec si                66 ff ce     (0 -> 0xffff, upper bits kept)
 *  8: dec rdx               48 ff ca     (0x8000000000000000 -> OF, AF)
 *  b: int3                  cc
 */
static void test_incdec_reg_forms(void **state)
{
	static const uint8_t code[] = { 0x48, 0x39, 0xd8, 0xff, 0xc1, 0x66,
					0xff, 0xce, 0x48, 0xff, 0xca, 0xcc };
	(void)state;

	load(code, sizeof(code));
	v->regs[GPR_RAX] = 1;
	v->regs[GPR_RBX] = 2;
	v->regs[GPR_RCX] = 0x12345678ffffffffULL;
	v->regs[GPR_RSI] = 0xabcd0000;
	v->regs[GPR_RDX] = 0x8000000000000000ULL;
	v->rflags = FL_FIXED1;
	run_to_int3();
	assert_int_equal(v->regs[GPR_RCX], 0);
	assert_int_equal(v->regs[GPR_RSI], 0xabcdffff);
	assert_int_equal(v->regs[GPR_RDX], 0x7fffffffffffffffULL);
	assert_int_equal(v->rflags & FL_STATUS,
			 FL_CF | FL_OF | FL_AF | FL_PF);
	/* their fast forms ran, chained from the cmp (the int3 is not one) */
	const struct sc_insn *d = block_of(CODE)->insn;
	assert_true(d[0].chain && d[1].chain && d[2].chain && d[3].threaded);
}

/*
 * push and pop of a register, mov of an immediate to a register and test
 * of registers in their fast forms (stack.c's push_r64 and pop_r64,
 * misc.c's mov_ri, alu.c's test forms), with the stack's page in the TLB:
 *
 *  0: push rbx              53
 *  1: push rsp              54          (the old RSP)
 *  2: pop rsi               5e
 *  3: pop rdi               5f          (RBX back)
 *  4: mov ecx, 0x12345678   b9 78 56 34 12
 *  9: mov dx, 0xbeef        66 ba ef be
 *  d: mov rax, -1           48 c7 c0 ff ff ff ff
 * 14: mov r8, imm64         49 b8 88 77 66 55 44 33 22 11
 * 1e: test rbx, rbx         48 85 db    (ZF clear, SF set)
 * 21: test ecx, 0x80000000  f7 c1 00 00 00 80   (ZF set)
 * 27: int3                  cc
 */
static void test_push_pop_mov_test_forms(void **state)
{
	static const uint8_t warm[] = { 0x50, 0x58, 0xcc }; /* push; pop */
	static const uint8_t code[] = {
		0x53, 0x54, 0x5e, 0x5f, 0xb9, 0x78, 0x56, 0x34, 0x12, 0x66,
		0xba, 0xef, 0xbe, 0x48, 0xc7, 0xc0, 0xff, 0xff, 0xff, 0xff,
		0x49, 0xb8, 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11,
		0x48, 0x85, 0xdb, 0xf7, 0xc1, 0x00, 0x00, 0x00, 0x80, 0xcc,
	};
	static const uint8_t pop_rsp[] = { 0x53, 0x5c, 0xcc }; /* push rbx; pop rsp */
	static const uint8_t pop0[] = { 0x58, 0xcc };          /* pop rax */
	static const uint8_t push0[] = { 0x50, 0xcc };         /* push rax */
	(void)state;

	uint64_t sp = v->regs[GPR_RSP];
	load(warm, sizeof(warm));
	run_to_int3();
	load(code, sizeof(code));
	v->regs[GPR_RBX] = 0x8000000000000123ULL;
	v->regs[GPR_RCX] = ~0ULL;
	v->regs[GPR_RDX] = 0x1111222233334444ULL;
	v->rflags = FL_FIXED1;
	run_to_int3();
	assert_int_equal(v->regs[GPR_RSI], sp - 8);
	assert_int_equal(v->regs[GPR_RDI], 0x8000000000000123ULL);
	assert_int_equal(v->regs[GPR_RSP], sp);
	assert_int_equal(v->regs[GPR_RCX], 0x12345678);
	assert_int_equal(v->regs[GPR_RDX], 0x111122223333beefULL);
	assert_int_equal(v->regs[GPR_RAX], ~0ULL);
	assert_int_equal(v->regs[8], 0x1122334455667788ULL);
	assert_int_equal(v->rflags & FL_STATUS, FL_ZF | FL_PF);
	const struct sc_insn *d = block_of(CODE)->insn;
	for (unsigned i = 0; i < 9; i++)
		assert_true(d[i].chain); /* each a fast form, on to the next */

	/* pop rsp ends with the value popped, not with RSP moved past it. */
	load(pop_rsp, sizeof(pop_rsp));
	v->regs[GPR_RBX] = sp + 0x100;
	run_to_int3();
	assert_int_equal(v->regs[GPR_RSP], sp + 0x100);
	v->regs[GPR_RSP] = sp;

	/* What the fast forms leave to the general handler: faults change
	 * nothing (RIP on the instruction, RSP as it was). */
	v->regs[GPR_RSP] = 0x0000900000000000ULL;
	expect_fault(push0, sizeof(push0), T_SS, 0);
	v->regs[GPR_RSP] = 0x100000000000ULL;
	expect_fault(pop0, sizeof(pop0), T_PF, -1);
	v->regs[GPR_RSP] = sp;
}

static void test_flat_shapes(void **state)
{
	static const uint8_t code[] = {
		0x89, 0x44, 0x24, 0x08,             /* mov [rsp+8], eax */
		0x8b, 0x4c, 0x24, 0x08,             /* mov ecx, [rsp+8] */
		0x41, 0x89, 0x44, 0x24, 0x10,       /* mov [r12+0x10], eax */
		0x41, 0x8b, 0x54, 0xb4, 0x04,       /* mov edx, [r12+rsi*4+4] */
		/* movzx edi, byte [rsi*4 + 0x300004] (DATA + 4) */
		0x0f, 0xb6, 0x3c, 0xb5, 0x04, 0x00, 0x30, 0x00,
		0xcc,
	};
	(void)state;

	load(code, sizeof(code));
	for (uint32_t i = 0; i < 3; i++) {
		uint32_t x = 0x11223344 + i;
		v->rip = CODE;
		v->regs[GPR_RAX] = x;
		v->regs[GPR_RSP] = v->regs[12] = DATA;
		v->regs[GPR_RSI] = 3;
		v->regs[GPR_RCX] = v->regs[GPR_RDX] = v->regs[GPR_RDI] = ~0ULL;
		run_to_int3();
		assert_int_equal(v->regs[GPR_RCX], x);
		assert_int_equal(v->regs[GPR_RDX], x);
		assert_int_equal(v->regs[GPR_RDI], x & 0xff);
		uint32_t m8, m16;
		assert_int_equal(gm_read(&vm.mem, DATA + 8, &m8, 4), 0);
		assert_int_equal(gm_read(&vm.mem, DATA + 0x10, &m16, 4), 0);
		assert_int_equal(m8, x);
		assert_int_equal(m16, x);
	}
}

/*
 * The flat byte forms take the low byte of regs[] with no test for
 * SC_HIBYTE: AH..BH must go to the general handler (sc_flat_form), and
 * a byte or word load must merge into the register.  Decoded once, then
 * again from the block.
 */
static void test_flat_byte_registers(void **state)
{
	static const uint8_t code[] = {
		0x88, 0x26,             /* mov [rsi], ah */
		0x88, 0x46, 0x01,       /* mov [rsi+1], al */
		0x8a, 0x3e,             /* mov bh, [rsi] */
		0x8a, 0x5e, 0x01,       /* mov bl, [rsi+1] */
		0x40, 0x88, 0x76, 0x02, /* mov [rsi+2], sil */
		0x40, 0x8a, 0x7e, 0x02, /* mov dil, [rsi+2] */
		0x66, 0x8b, 0x0e,       /* mov cx, [rsi] */
		0xcc,
	};
	(void)state;

	load(code, sizeof(code));
	for (unsigned i = 0; i < 3; i++) {
		v->rip = CODE;
		v->regs[GPR_RAX] = 0x1122;
		v->regs[GPR_RSI] = DATA + 0x40;
		v->regs[GPR_RBX] = v->regs[GPR_RCX] = v->regs[GPR_RDI] = ~0ULL;
		run_to_int3();
		uint8_t m[3];
		assert_int_equal(gm_read(&vm.mem, DATA + 0x40, m, 3), 0);
		assert_int_equal(m[0], 0x11);
		assert_int_equal(m[1], 0x22);
		assert_int_equal(m[2], 0x40);
		assert_int_equal(v->regs[GPR_RBX], 0xffffffffffff1122ULL);
		assert_int_equal(v->regs[GPR_RDI], 0xffffffffffffff40ULL);
		assert_int_equal(v->regs[GPR_RCX], 0xffffffffffff2211ULL);
	}
}

/* --------------------------------------- privileged and sensitive */

static void test_privileged_gp(void **state)
{
	static const struct { uint8_t b[4]; size_t n; uint32_t err; } p[] = {
		{ { 0xfa }, 1, 0 },                   /* cli */
		{ { 0xfb }, 1, 0 },                   /* sti */
		{ { 0xf4 }, 1, 0 },                   /* hlt */
		{ { 0xec }, 1, 0 },                   /* in al, dx */
		{ { 0xe6, 0x80 }, 2, 0 },             /* out 0x80, al */
		{ { 0xf3, 0x6e }, 2, 0 },             /* rep outsb */
		{ { 0x0f, 0x22, 0xd8 }, 3, 0 },       /* mov cr3, rax */
		{ { 0x0f, 0x20, 0xc0 }, 3, 0 },       /* mov rax, cr0 */
		{ { 0x0f, 0x23, 0xf8 }, 3, 0 },       /* mov dr7, rax */
		{ { 0x0f, 0x01, 0x10 }, 3, 0 },       /* lgdt [rax] */
		{ { 0x0f, 0x01, 0x38 }, 3, 0 },       /* invlpg [rax] */
		{ { 0x0f, 0x01, 0xf8 }, 3, 0 },       /* swapgs */
		{ { 0x0f, 0x00, 0xd8 }, 3, 0 },       /* ltr ax */
		{ { 0x0f, 0x06 }, 2, 0 },             /* clts */
		{ { 0x0f, 0x30 }, 2, 0 },             /* wrmsr */
		{ { 0x0f, 0x32 }, 2, 0 },             /* rdmsr */
		{ { 0x0f, 0x09 }, 2, 0 },             /* wbinvd */
		{ { 0x48, 0xcf }, 2, 0 },             /* iretq */
		{ { 0x48, 0x0f, 0x07 }, 3, 0 },       /* sysretq */
		{ { 0xcd, 0x80 }, 2, 0x80 * 8 + 2 },  /* int 0x80 */
		{ { 0x8e, 0xd8 }, 2, BOOT_SEL_DATA }, /* mov ds, ax (ring 0) */
	};
	(void)state;

	v->regs[GPR_RAX] = BOOT_SEL_DATA;
	for (size_t i = 0; i < sizeof(p) / sizeof(p[0]); i++)
		expect_fault(p[i].b, p[i].n, T_GP, p[i].err);
}

static void test_traps_and_ud(void **state)
{
	static const uint8_t ud2[] = { 0x0f, 0x0b };
	static const uint8_t sysenter[] = { 0x0f, 0x34 };
	static const uint8_t push_es[] = { 0x06 };  /* invalid in 64-bit */
	static const uint8_t int1[] = { 0xf1 };
	static const uint8_t syscall[] = { 0x0f, 0x05 };
	(void)state;

	expect_fault(ud2, 2, T_UD, -1);
	expect_fault(sysenter, 2, T_UD, -1);
	expect_fault(push_es, 1, T_UD, -1);
	load(int1, 1);
	struct vm_exit x = run();
	assert_int_equal(x.exc.vector, T_DB);
	assert_int_equal(v->rip, CODE + 1); /* a trap */
	assert_int_equal(x.rip, CODE);
	load(syscall, 2);
	x = run();
	assert_int_equal(x.reason, EXIT_SYSCALL);
	assert_int_equal(v->rip, CODE);
}

static const uint8_t pushf_pop[] = { 0x9c, 0x58, 0xcc }; /* pushf; pop rax */

static void test_pushf_x86(void **state)
{
	/* popf of IF=1, IOPL=3, CF=1: only CF changes (real CPL 3). */
	static const uint8_t popf[] = { 0x53, 0x9d, 0xcc }; /* push rbx; popf */
	(void)state;

	load(pushf_pop, sizeof(pushf_pop));
	v->rflags = FL_FIXED1 | FL_ZF | (3UL << FL_IOPL_SHIFT); /* IF = 0 */
	run_to_int3();
	/* The real flags show: IF = 1, IOPL = 0; the guest's ZF. */
	assert_int_equal(v->regs[GPR_RAX], FL_FIXED1 | FL_ZF | FL_IF);
	/* The virtual IF and IOPL are untouched. */
	assert_int_equal(v->rflags, FL_FIXED1 | FL_ZF | (3UL << FL_IOPL_SHIFT));

	load(popf, sizeof(popf));
	v->rflags = FL_FIXED1;
	v->regs[GPR_RBX] = FL_IF | FL_IOPL_MASK | FL_CF | FL_DF;
	run_to_int3();
	assert_int_equal(v->rflags, FL_FIXED1 | FL_CF | FL_DF);
}

static void test_pushf_strict(void **state)
{
	static const uint8_t smsw[] = { 0x0f, 0x01, 0xe0 }; /* smsw eax */
	static const uint8_t cpuid[] = { 0x0f, 0xa2 };
	static const uint8_t mov_sreg[] = { 0x8c, 0xd8 };  /* mov eax, ds */
	(void)state;

	expect_fault(pushf_pop, 1, T_GP, 0);
	expect_fault(smsw, 3, T_GP, 0);
	expect_fault(cpuid, 2, T_GP, 0);
	expect_fault(mov_sreg, 2, T_GP, 0);
}

/*
 * --isa=x86,umip and x86,cpuid-fault: each feature makes exactly its own
 * instructions trap; the other one's, and pushf, still run.
 */
static void test_hw_features(void **state)
{
	static const uint8_t smsw[] = { 0x0f, 0x01, 0xe0 };  /* smsw eax */
	static const uint8_t sgdt[] = { 0x0f, 0x01, 0x00 };  /* sgdt [rax] */
	static const uint8_t sidt[] = { 0x0f, 0x01, 0x08 };  /* sidt [rax] */
	static const uint8_t sldt[] = { 0x0f, 0x00, 0xc1 };  /* sldt ecx */
	static const uint8_t str[] = { 0x0f, 0x00, 0xc9 };   /* str ecx */
	static const uint8_t cpuid[] = { 0x0f, 0xa2 };
	static const uint8_t smsw_run[] = { 0x0f, 0x01, 0xe0, 0xcc };
	static const uint8_t cpuid_run[] = { 0x0f, 0xa2, 0xcc };
	static const uint8_t lar_run[] = { 0x0f, 0x02, 0xd3, 0xcc };
	(void)state;

	vm.opt.isa_hw = ISA_HW_UMIP;
	v->regs[GPR_RAX] = DATA;
	expect_fault(smsw, sizeof(smsw), T_GP, 0);
	expect_fault(sgdt, sizeof(sgdt), T_GP, 0);
	expect_fault(sidt, sizeof(sidt), T_GP, 0);
	expect_fault(sldt, sizeof(sldt), T_GP, 0);
	expect_fault(str, sizeof(str), T_GP, 0);
	load(cpuid_run, sizeof(cpuid_run));
	run_to_int3();                      /* the host's cpuid */
	load(pushf_pop, sizeof(pushf_pop));
	run_to_int3();
	load(lar_run, sizeof(lar_run));     /* lar: UMIP does not cover it */
	v->regs[GPR_RBX] = BOOT_SEL_CODE;
	run_to_int3();
	assert_false(v->rflags & FL_ZF);

	vm.opt.isa_hw = ISA_HW_CPUID_FAULT;
	v->regs[GPR_RAX] = 1;
	expect_fault(cpuid, sizeof(cpuid), T_GP, 0);
	load(smsw_run, sizeof(smsw_run));
	run_to_int3();                      /* the host's CR0 */
	vm.opt.isa_hw = 0;
}

static void test_sensitive_x86(void **state)
{
	static const uint8_t code[] = {
		0x8c, 0xd8,             /* mov eax, ds */
		0x8c, 0xcb,             /* mov ebx, cs */
		0x0f, 0x00, 0xc1,       /* sldt ecx */
		0x0f, 0x02, 0xd3,       /* lar edx, ebx */
		0xcc,
	};
	(void)state;

	load(code, sizeof(code));
	v->regs[GPR_RDX] = 0x5555;
	run_to_int3();
	assert_int_equal(v->regs[GPR_RAX], BOOT_SEL_DATA | 3); /* RPL 3 */
	assert_int_equal(v->regs[GPR_RBX], BOOT_SEL_CODE | 3);
	assert_int_equal(v->regs[GPR_RCX], 0);
	/* The DPL-0 code descriptor is invisible at CPL 3: ZF = 0. */
	assert_false(v->rflags & FL_ZF);
	assert_int_equal(v->regs[GPR_RDX], 0x5555);
}

/* A DPL-3 data descriptor loads from CPL 3; lar sees it. */
static void test_user_selector(void **state)
{
	/* GDT entry 3: a present, writable, DPL-3 data segment, base 0x1000. */
	uint64_t desc = 0x00cff2001000ffffULL;
	static const uint8_t code[] = {
		0x8e, 0xc0,             /* mov es, eax */
		0x8c, 0xc3,             /* mov ebx, es */
		0x0f, 0x02, 0xc8,       /* lar ecx, eax */
		0xcc,
	};
	static const uint8_t mov_ss[] = { 0x8e, 0xd0 }; /* mov ss, eax */
	(void)state;

	vm_write_phys(&vm, BOOT_GDT + 24, &desc, 8);
	v->gdtr.limit = 31;
	load(code, sizeof(code));
	v->regs[GPR_RAX] = 0x1b;
	run_to_int3();
	assert_int_equal(v->seg[SEG_ES].selector, 0x1b);
	assert_int_equal(v->seg[SEG_ES].base, 0x1000);
	assert_int_equal(v->regs[GPR_RBX], 0x1b);
	assert_true(v->rflags & FL_ZF);
	assert_int_equal(v->regs[GPR_RCX], 0x00cff200);
	/* RPL 0 is refused even for a DPL-3 descriptor (the contract). */
	v->regs[GPR_RAX] = 0x18;
	expect_fault(code, 2, T_GP, 0x18);
	/* Null into SS: #GP(0). */
	v->regs[GPR_RAX] = 0;
	expect_fault(mov_ss, 2, T_GP, 0);
}

/* With RFLAGS.TF set each instruction ends in a #DB trap. */
static void test_trap_flag(void **state)
{
	static const uint8_t code[] = { 0x90, 0x90, 0xcc };
	(void)state;

	load(code, sizeof(code));
	v->rflags |= FL_TF;
	struct vm_exit x = run();
	assert_int_equal(x.exc.vector, T_DB);
	assert_int_equal(x.rip, CODE);
	assert_int_equal(v->rip, CODE + 1);
	v->rflags &= ~FL_TF;
	run_to_int3();
}

/* ------------------------------------------- counting and stopping */

static void test_retired_count(void **state)
{
	/* mov ecx, 100; l: dec ecx; jnz l; int3 */
	static const uint8_t code[] = { 0xb9, 100, 0, 0, 0, 0xff, 0xc9, 0x75,
					0xfc, 0xcc };
	(void)state;

	load(code, sizeof(code));
	uint64_t before = v->instructions;
	run_to_int3();
	assert_int_equal(v->instructions - before, 1 + 2 * 100 + 1);
}

/* The loop "jmp $" must still come back when kicked. */
static void test_kick(void **state)
{
	static const uint8_t code[] = { 0x90, 0x90, 0xeb, 0xfe };
	struct vm_exit x;
	(void)state;

	load(code, sizeof(code));
	vm.single_step = true;
	x = run();
	assert_int_equal(x.reason, EXIT_INTERRUPT);
	assert_int_equal(v->rip, CODE + 1);
	x = run();
	assert_int_equal(v->rip, CODE + 2);
	vm.single_step = false;
	vm.kick = 1;
	x = run();
	assert_int_equal(x.reason, EXIT_INTERRUPT);
	assert_int_equal(v->rip, CODE + 2); /* nothing ran */
	vm.kick = 0;
}

/* Run until a stop that is not a hidden page fault: a debugger's stop
 * (vm.debug.stop) included. */
static struct vm_exit run_debug(void)
{
	for (;;) {
		struct vm_exit x = run_once();
		if (vm.debug.stop != DEBUG_STOP_NONE)
			return x;
		if (x.reason == EXIT_INTERRUPT && !vm.kick && !vm.stopped)
			continue;
		if (x.reason == EXIT_EXCEPTION && x.exc.vector == T_PF &&
		    shadowpt_fault(&vm, x.exc.address, x.exc.error) ==
			    SHADOW_FILLED)
			continue;
		return x;
	}
}

/*
 * The debugger's breakpoints (core/debug.h): softcpu stops before the
 * instruction at the address, without writing anything into guest
 * memory; resumed from there (resume_over) it runs the instruction once,
 * and the breakpoint stops the next visit again.
 */
static void test_breakpoint(void **state)
{
	/* nop; nop; dec ecx; jnz -5 (back to the second nop); int3 */
	static const uint8_t code[] = { 0x90, 0x90, 0xff, 0xc9, 0x75, 0xfb,
					0xcc };
	char why[80];
	struct vm_exit x;
	(void)state;

	load(code, sizeof(code));
	v->regs[GPR_RCX] = 2;
	vm.debug = (struct vm_debug){ .nbreaks = 1, .breaks = { CODE + 1 } };
	assert_int_equal(engine_softcpu.set_debug(&vm, why, sizeof(why)), 0);
	x = run_debug();
	assert_int_equal(x.reason, EXIT_INTERRUPT);
	assert_int_equal(vm.debug.stop, DEBUG_STOP_BREAK);
	assert_int_equal(vm.debug.stop_addr, CODE + 1);
	assert_int_equal(v->rip, CODE + 1);
	assert_int_equal(v->instructions, 1);
	assert_int_equal(vm.mem.base[CODE + 1], 0x90); /* no int3 there */
	/* on from the breakpoint: the loop comes back to it once more */
	vm.debug.stop = DEBUG_STOP_NONE;
	vm.debug.resume_over = true;
	vm.debug.resume_rip = v->rip;
	vm.debug.resume_count = v->instructions;
	x = run_debug();
	assert_int_equal(vm.debug.stop, DEBUG_STOP_BREAK);
	assert_int_equal(v->rip, CODE + 1);
	assert_int_equal(v->instructions, 4);
	assert_int_equal(v->regs[GPR_RCX], 1);
	/* without the breakpoint: to the int3 */
	vm.debug = (struct vm_debug){ 0 };
	assert_int_equal(engine_softcpu.set_debug(&vm, why, sizeof(why)), 0);
	run_to_int3();
	assert_int_equal(v->regs[GPR_RCX], 0);
}

/*
 * Watchpoints: a store to a watched range stops the run after the
 * storing instruction (a trap, as x86's data breakpoints), with the value
 * stored; a read watchpoint ignores writes and stops a read.
 */
static void test_watchpoint(void **state)
{
	/* mov [DATA+4], eax; nop; mov edx, [DATA]; nop; int3 */
	static const uint8_t code[] = {
		0x89, 0x04, 0x25, 0x04, 0x00, 0x30, 0x00, 0x90,
		0x8b, 0x14, 0x25, 0x00, 0x00, 0x30, 0x00, 0x90, 0xcc };
	char why[80];
	struct vm_exit x;
	(void)state;

	load(code, sizeof(code));
	v->regs[GPR_RAX] = 0x1234;
	vm.debug = (struct vm_debug){ .nwatches = 1, .watches = {
		{ DATA + 6, 2, WATCH_WRITE } } };
	assert_int_equal(engine_softcpu.set_debug(&vm, why, sizeof(why)), 0);
	x = run_debug();
	assert_int_equal(x.reason, EXIT_INTERRUPT);
	assert_int_equal(vm.debug.stop, DEBUG_STOP_WATCH);
	assert_int_equal(vm.debug.stop_addr, DATA + 6);
	assert_int_equal(vm.debug.stop_kind, WATCH_WRITE);
	assert_int_equal(v->rip, CODE + 7);
	assert_int_equal(vm.mem.base[DATA + 4], 0x34);
	/* a read watchpoint on the same page: the write does not stop */
	load(code, sizeof(code));
	vm.debug = (struct vm_debug){ .nwatches = 1, .watches = {
		{ DATA, 4, WATCH_READ } } };
	assert_int_equal(engine_softcpu.set_debug(&vm, why, sizeof(why)), 0);
	x = run_debug();
	assert_int_equal(vm.debug.stop, DEBUG_STOP_WATCH);
	assert_int_equal(vm.debug.stop_kind, WATCH_READ);
	assert_int_equal(v->rip, CODE + 15);
	vm.debug = (struct vm_debug){ 0 };
	assert_int_equal(engine_softcpu.set_debug(&vm, why, sizeof(why)), 0);
	run_to_int3();
}

static void on_alarm(int sig)
{
	(void)sig;
	vm.kick = 1;
}

/* An endless loop comes back when a timer signal sets vm->kick. */
static void test_kick_endless_loop(void **state)
{
	static const uint8_t code[] = { 0xeb, 0xfe }; /* jmp $ */
	struct itimerval t = { .it_value = { .tv_usec = 20000 } };
	(void)state;

	load(code, sizeof(code));
	signal(SIGALRM, on_alarm);
	setitimer(ITIMER_REAL, &t, NULL);
	struct vm_exit x = run();
	assert_int_equal(x.reason, EXIT_INTERRUPT);
	assert_int_equal(v->rip, CODE);
	assert_true(v->instructions > 1000);
	vm.kick = 0;
}

/* ------------------------------------------ native differential test */

#if defined(__x86_64__)
struct nregs {
	uint64_t rax, rbx, rcx, rdx, flags;
};

/* One instruction to compare, with the flags the SDM defines for it. */
struct dcase {
	const char *name;
	uint8_t b[8];
	uint8_t n;
	uint64_t defined;
};

#define ST FL_STATUS
#define NOAF (FL_STATUS & ~FL_AF)
#define SHF (FL_CF | FL_SF | FL_ZF | FL_PF) /* OF only for count 1 */
#define CO (FL_CF | FL_OF)

static const struct dcase dcases[] = {
	{ "add rax,rbx", { 0x48, 0x01, 0xd8 }, 3, ST },
	{ "add eax,ebx", { 0x01, 0xd8 }, 2, ST },
	{ "add ax,bx", { 0x66, 0x01, 0xd8 }, 3, ST },
	{ "add ah,bl", { 0x00, 0xdc }, 2, ST },
	{ "adc rax,rbx", { 0x48, 0x11, 0xd8 }, 3, ST },
	{ "adc al,bh", { 0x12, 0xc7 }, 2, ST },
	{ "sub rax,rbx", { 0x48, 0x29, 0xd8 }, 3, ST },
	{ "sbb eax,ebx", { 0x19, 0xd8 }, 2, ST },
	{ "sbb rax,rbx", { 0x48, 0x19, 0xd8 }, 3, ST },
	{ "cmp cx,dx", { 0x66, 0x39, 0xd1 }, 3, ST },
	{ "and rax,rbx", { 0x48, 0x21, 0xd8 }, 3, NOAF },
	{ "or ecx,ebx", { 0x09, 0xd9 }, 2, NOAF },
	{ "xor dl,al", { 0x30, 0xc2 }, 2, NOAF },
	{ "test rax,rdx", { 0x48, 0x85, 0xd0 }, 3, NOAF },
	{ "add rax,-5", { 0x48, 0x83, 0xc0, 0xfb }, 4, ST },
	{ "sub ebx,0x12345678", { 0x81, 0xeb, 0x78, 0x56, 0x34, 0x12 }, 6, ST },
	{ "inc rax", { 0x48, 0xff, 0xc0 }, 3, ST },
	{ "dec bx", { 0x66, 0xff, 0xcb }, 3, ST },
	{ "neg rcx", { 0x48, 0xf7, 0xd9 }, 3, ST },
	{ "neg al", { 0xf6, 0xd8 }, 2, ST },
	{ "not edx", { 0xf7, 0xd2 }, 2, ST },
	{ "shl rax,cl", { 0x48, 0xd3, 0xe0 }, 3, SHF },
	{ "shr eax,cl", { 0xd3, 0xe8 }, 2, SHF },
	{ "sar bx,cl", { 0x66, 0xd3, 0xfb }, 3, SHF },
	{ "shl al,cl", { 0xd2, 0xe0 }, 2, SHF },
	{ "shl rax,1", { 0x48, 0xd1, 0xe0 }, 3, NOAF },
	{ "shr edx,1", { 0xd1, 0xea }, 2, NOAF },
	{ "sar rbx,1", { 0x48, 0xd1, 0xfb }, 3, NOAF },
	{ "rol rax,cl", { 0x48, 0xd3, 0xc0 }, 3, FL_CF },
	{ "ror ebx,cl", { 0xd3, 0xcb }, 2, FL_CF },
	{ "rol al,1", { 0xd0, 0xc0 }, 2, CO },
	{ "ror dx,1", { 0x66, 0xd1, 0xca }, 3, CO },
	{ "rcl rax,cl", { 0x48, 0xd3, 0xd0 }, 3, FL_CF },
	{ "rcr bl,cl", { 0xd2, 0xdb }, 2, FL_CF },
	{ "rcl eax,1", { 0xd1, 0xd0 }, 2, CO },
	{ "rcr rdx,1", { 0x48, 0xd1, 0xda }, 3, CO },
	{ "shld rax,rbx,cl", { 0x48, 0x0f, 0xa5, 0xd8 }, 4, SHF },
	{ "shrd edx,ebx,cl", { 0x0f, 0xad, 0xda }, 3, SHF },
	{ "shrd rax,rbx,1", { 0x48, 0x0f, 0xac, 0xd8, 1 }, 5, NOAF },
	{ "mul rbx", { 0x48, 0xf7, 0xe3 }, 3, CO },
	{ "mul cl", { 0xf6, 0xe1 }, 2, CO },
	{ "imul ebx", { 0xf7, 0xeb }, 2, CO },
	{ "imul rax,rbx", { 0x48, 0x0f, 0xaf, 0xc3 }, 4, CO },
	{ "imul cx,dx,-3", { 0x66, 0x6b, 0xca, 0xfd }, 4, CO },
	{ "bt rax,rbx", { 0x48, 0x0f, 0xa3, 0xd8 }, 4, FL_CF },
	{ "bts ecx,ebx", { 0x0f, 0xab, 0xd9 }, 3, FL_CF },
	{ "btr rdx,rbx", { 0x48, 0x0f, 0xb3, 0xda }, 4, FL_CF },
	{ "btc eax,13", { 0x0f, 0xba, 0xf8, 13 }, 4, FL_CF },
	{ "bsr rcx,rbx", { 0x48, 0x0f, 0xbd, 0xcb }, 4, FL_ZF },
	{ "tzcnt rax,rbx", { 0xf3, 0x48, 0x0f, 0xbc, 0xc3 }, 5, FL_CF | FL_ZF },
	{ "lzcnt ecx,edx", { 0xf3, 0x0f, 0xbd, 0xca }, 4, FL_CF | FL_ZF },
	{ "popcnt rax,rbx", { 0xf3, 0x48, 0x0f, 0xb8, 0xc3 }, 5, ST },
	{ "bswap rax", { 0x48, 0x0f, 0xc8 }, 3, ST },
	{ "movsx eax,bh", { 0x0f, 0xbe, 0xc7 }, 3, ST },
	{ "movzx ecx,dx", { 0x0f, 0xb7, 0xca }, 3, ST },
	{ "movsxd rdx,ebx", { 0x48, 0x63, 0xd3 }, 3, ST },
	{ "cmovl rax,rbx", { 0x48, 0x0f, 0x4c, 0xc3 }, 4, ST },
	{ "cmovbe ecx,edx", { 0x0f, 0x46, 0xca }, 3, ST },
	{ "setg bl", { 0x0f, 0x9f, 0xc3 }, 3, ST },
	{ "setp ah", { 0x0f, 0x9a, 0xc4 }, 3, ST },
	{ "xadd rax,rbx", { 0x48, 0x0f, 0xc1, 0xd8 }, 4, ST },
	{ "cmpxchg ecx,ebx", { 0x0f, 0xb1, 0xd9 }, 3, ST },
	{ "xchg bl,ah", { 0x86, 0xe3 }, 2, ST },
	{ "cqo", { 0x48, 0x99 }, 2, ST },
	{ "cwde", { 0x98 }, 1, ST },
	{ "lahf", { 0x9f }, 1, ST },
	{ "sahf", { 0x9e }, 1, ST },
	{ "cmc", { 0xf5 }, 1, ST },
	/* The register forms with handlers of their own (decode.c's
	 * fast_handler): G <- E, the accumulator, every group-1 operation,
	 * mov both ways, at each operand size. */
	{ "add rcx,rdx (03)", { 0x48, 0x03, 0xca }, 3, ST },
	{ "sub edx,eax (2b)", { 0x2b, 0xd0 }, 2, ST },
	{ "cmp bx,cx (3b)", { 0x66, 0x3b, 0xd9 }, 3, ST },
	{ "and rcx,rbx (23)", { 0x48, 0x23, 0xcb }, 3, NOAF },
	{ "adc edx,ecx (13)", { 0x13, 0xd1 }, 2, ST },
	{ "sbb cx,ax (1b)", { 0x66, 0x1b, 0xc8 }, 3, ST },
	{ "or eax,imm32", { 0x0d, 0x01, 0x00, 0x00, 0x80 }, 5, NOAF },
	{ "xor ax,imm16", { 0x66, 0x35, 0x34, 0x12 }, 4, NOAF },
	{ "adc rax,imm32", { 0x48, 0x15, 0xff, 0xff, 0xff, 0x7f }, 6, ST },
	{ "sbb eax,imm32", { 0x1d, 0x01, 0x00, 0x00, 0x00 }, 5, ST },
	{ "cmp rax,imm32", { 0x48, 0x3d, 0x00, 0x00, 0x00, 0x80 }, 6, ST },
	{ "sub ax,imm16", { 0x66, 0x2d, 0x00, 0x80 }, 4, ST },
	{ "adc cx,-128", { 0x66, 0x83, 0xd1, 0x80 }, 4, ST },
	{ "sbb rdx,1", { 0x48, 0x83, 0xda, 0x01 }, 4, ST },
	{ "xor ecx,imm32", { 0x81, 0xf1, 0xef, 0xbe, 0xad, 0xde }, 6, NOAF },
	{ "or rbx,-2", { 0x48, 0x83, 0xcb, 0xfe }, 4, NOAF },
	{ "and dx,0x7f", { 0x66, 0x83, 0xe2, 0x7f }, 4, NOAF },
	{ "cmp ebx,5", { 0x83, 0xfb, 0x05 }, 3, ST },
	{ "mov rcx,rbx (89)", { 0x48, 0x89, 0xd9 }, 3, ST },
	{ "mov dx,ax (8b)", { 0x66, 0x8b, 0xd0 }, 3, ST },
	{ "mov ecx,edx (8b)", { 0x8b, 0xca }, 2, ST },
	/* A condition read straight after cmp (flags.c's cond_after_sub),
	 * at each size, each condition and its negation. */
	{ "cmp rax,rbx; setb cl", { 0x48, 0x39, 0xd8, 0x0f, 0x92, 0xc1 }, 6, ST },
	{ "cmp rax,rbx; setae cl", { 0x48, 0x39, 0xd8, 0x0f, 0x93, 0xc1 }, 6,
	  ST },
	{ "cmp eax,ebx; sete cl", { 0x39, 0xd8, 0x0f, 0x94, 0xc1 }, 5, ST },
	{ "cmp eax,ebx; setne cl", { 0x39, 0xd8, 0x0f, 0x95, 0xc1 }, 5, ST },
	{ "cmp ax,bx; setbe cl", { 0x66, 0x39, 0xd8, 0x0f, 0x96, 0xc1 }, 6,
	  ST },
	{ "cmp ax,bx; seta cl", { 0x66, 0x39, 0xd8, 0x0f, 0x97, 0xc1 }, 6, ST },
	{ "cmp rax,rbx; setl cl", { 0x48, 0x39, 0xd8, 0x0f, 0x9c, 0xc1 }, 6,
	  ST },
	{ "cmp eax,ebx; setge cl", { 0x39, 0xd8, 0x0f, 0x9d, 0xc1 }, 5, ST },
	{ "cmp ax,bx; setle cl", { 0x66, 0x39, 0xd8, 0x0f, 0x9e, 0xc1 }, 6,
	  ST },
	{ "cmp al,bl; setg cl", { 0x38, 0xd8, 0x0f, 0x9f, 0xc1 }, 5, ST },
	{ "sub rax,rbx; sets cl", { 0x48, 0x29, 0xd8, 0x0f, 0x98, 0xc1 }, 6,
	  ST },
	{ "cmp eax,ebx; seto cl", { 0x39, 0xd8, 0x0f, 0x90, 0xc1 }, 5, ST },
};

static uint64_t rnd_state = 0x9e3779b97f4a7c15ULL;

/* xorshift64, with a bias towards the values where flags are born. */
static uint64_t rnd(void)
{
	static const uint64_t edge[] = { 0, 1, ~0ULL, 0x80, 0x7f, 0x8000,
					 0x7fffffff, 0x80000000, 1ULL << 63,
					 (1ULL << 63) - 1, 0xff, 0xffff };
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	if ((rnd_state & 7) == 0)
		return edge[(rnd_state >> 8) % 12];
	if ((rnd_state & 7) == 1)
		return (rnd_state >> 8) & 0x3f; /* small: shift counts */
	return rnd_state;
}

typedef void native_fn(struct nregs *r);

/* Build: load regs from *rdi, popf, insn, pushf, store regs. */
static native_fn *native_stub(uint8_t *mem, const struct dcase *dc)
{
	static const uint8_t pre[] = {
		0x53, 0x49, 0x89, 0xfb, 0x49, 0x8b, 0x03, 0x49, 0x8b, 0x5b,
		0x08, 0x49, 0x8b, 0x4b, 0x10, 0x49, 0x8b, 0x53, 0x18, 0x41,
		0xff, 0x73, 0x20, 0x9d };
	static const uint8_t post[] = {
		0x9c, 0x41, 0x8f, 0x43, 0x20, 0x49, 0x89, 0x03, 0x49, 0x89,
		0x5b, 0x08, 0x49, 0x89, 0x4b, 0x10, 0x49, 0x89, 0x53, 0x18,
		0x5b, 0xc3 };
	size_t n = 0;

	memcpy(mem + n, pre, sizeof(pre));
	n += sizeof(pre);
	memcpy(mem + n, dc->b, dc->n);
	n += dc->n;
	memcpy(mem + n, post, sizeof(post));
	__builtin___clear_cache((char *)mem, (char *)mem + 64);
	return (native_fn *)(uintptr_t)mem;
}

/* Run dc on softcpu from the same registers. */
static void soft_run(const struct dcase *dc, struct nregs *r)
{
	uint8_t code[16];

	memcpy(code, dc->b, dc->n);
	code[dc->n] = 0xcc;
	load(code, dc->n + 1u);
	v->regs[GPR_RAX] = r->rax;
	v->regs[GPR_RBX] = r->rbx;
	v->regs[GPR_RCX] = r->rcx;
	v->regs[GPR_RDX] = r->rdx;
	v->rflags = r->flags;
	run_to_int3();
	r->rax = v->regs[GPR_RAX];
	r->rbx = v->regs[GPR_RBX];
	r->rcx = v->regs[GPR_RCX];
	r->rdx = v->regs[GPR_RDX];
	r->flags = v->rflags;
}

static void test_native_diff(void **state)
{
	uint8_t *mem = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	bool all = getenv("SOFTCPU_DIFF_UNDEFINED") != NULL;
	unsigned bad = 0;
	(void)state;

	if (mem == MAP_FAILED)
		skip();
	for (size_t i = 0; i < sizeof(dcases) / sizeof(dcases[0]); i++) {
		const struct dcase *dc = &dcases[i];
		native_fn *fn = native_stub(mem, dc);
		unsigned bad_here = 0;
		for (int k = 0; k < 300; k++) {
			struct nregs in = { rnd(), rnd(), rnd(), rnd(),
				FL_FIXED1 | (rnd() & FL_STATUS) };
			struct nregs hw = in, sw = in;
			fn(&hw);
			soft_run(dc, &sw);
			uint64_t mask = all ? FL_STATUS : dc->defined;
			if (hw.rax == sw.rax && hw.rbx == sw.rbx &&
			    hw.rcx == sw.rcx && hw.rdx == sw.rdx &&
			    !((hw.flags ^ sw.flags) & mask))
				continue;
			bad++;
			if (bad_here++ < 3)
				print_message("%s: in %lx %lx %lx %lx fl %lx: "
					      "hw %lx %lx %lx %lx fl %lx, "
					      "softcpu %lx %lx %lx %lx fl %lx\n",
					      dc->name, in.rax, in.rbx, in.rcx,
					      in.rdx, in.flags, hw.rax, hw.rbx,
					      hw.rcx, hw.rdx, hw.flags, sw.rax,
					      sw.rbx, sw.rcx, sw.rdx, sw.flags);
		}
	}
	munmap(mem, 4096);
	if (!all)
		assert_int_equal(bad, 0);
}
#else
static void test_native_diff(void **state)
{
	(void)state;
	skip();
}
#endif

/* ------------------------------------------------ 32- and 16-bit code */

/* Little-endian bytes of a 16- and a 32-bit value, for encodings. */
#define LE16(x) (uint8_t)(x), (uint8_t)((x) >> 8)
#define LE32(x) LE16(x), LE16((x) >> 16)

/* Hidden attributes (descriptor bits 40..55): type, S, DPL, P, D/B, G. */
#define ATTR_CODE32 0xc09b  /* G, D, P, code execute/read, accessed */
#define ATTR_CODE16 0x009b  /* P, code execute/read: 16-bit code */
#define ATTR_XONLY32 0xc099 /* G, D, P, code execute-only */
#define ATTR_DATA32 0xc093  /* G, B, P, data read/write */
#define ATTR_DATA16 0x0093  /* P, data read/write, B = 0: 16-bit stack */
#define ATTR_RODATA 0xc091  /* G, B, P, data read-only */
#define ATTR_DOWN32 0x4097  /* B, P, data read/write expand-down */

/* Load a segment register's hidden part, as a descriptor load would. */
static void set_seg(unsigned sreg, uint64_t base, uint32_t limit,
		    uint16_t attr)
{
	v->seg[sreg].base = base;
	v->seg[sreg].limit = limit;
	v->seg[sreg].attr = attr;
}

/*
 * Leave 64-bit mode for 32-bit (bits 32) or 16-bit code: protected mode
 * with paging off (the shadow then maps linear = physical), or
 * compatibility mode under the boot tables.  Data segments stay flat.
 */
static void enter_mode(enum cpu_mode m, unsigned bits)
{
	uint64_t cr0 = v->cr0, efer = v->efer;

	if (m == CPU_PROT) {
		v->cr0 = CR0_PE | CR0_ET | CR0_NE;
		v->efer = 0;
	} else {
		v->cr0 = CR0_PE | CR0_ET | CR0_NE | CR0_WP | CR0_PG;
		v->efer = EFER_LME | EFER_LMA | EFER_NXE | EFER_SCE;
	}
	if (v->cr0 != cr0 || v->efer != efer)
		shadowpt_flush_all(&vm);
	set_seg(SEG_CS, 0, 0xffffffff,
		bits == 32 ? ATTR_CODE32 : ATTR_CODE16 | 0x8000);
	assert_int_equal(cpu_mode(v), m);
	assert_int_equal(cpu_code_size(v), bits / 8);
}

/* Run a snippet at CODE to its int3. */
static void run_code(const uint8_t *code, size_t n)
{
	load(code, n);
	run_to_int3();
}

static void put32(uint64_t gpa, uint32_t x)
{
	assert_int_equal(vm_write_phys(&vm, gpa, &x, 4), 0);
}

static uint32_t get32(uint64_t gpa)
{
	uint32_t x;

	assert_int_equal(gm_read(&vm.mem, gpa, &x, 4), 0);
	return x;
}

/*
 * The fast forms (decode.c's fast_handler) and their chain (sc_next), run
 * three times: the first run decodes, the others run the block.  The
 * cases they hand to the general handler (AH, an operand across a page)
 * come out the same.
 */
static void test_fast_forms(void **state)
{
	static const uint8_t code[] = {
		0x88, 0x23,                         /* mov [rbx], ah */
		0x0f, 0xb7, 0x0b,                   /* movzx ecx, word [rbx] */
		0x89, 0x83, 0xfe, 0x0f, 0, 0,       /* mov [rbx+0xffe], eax */
		0x8b, 0x93, 0xfe, 0x0f, 0, 0,       /* mov edx, [rbx+0xffe] */
		0x8d, 0x74, 0xfb, 0x05,             /* lea esi, [rbx+rdi*8+5] */
		0x48, 0x39, 0xf8,                   /* cmp rax, rdi */
		0x41, 0x0f, 0x9c, 0xc0,             /* setl r8b */
		0x41, 0x0f, 0x92, 0xc1,             /* setb r9b */
		0xcc,
	};
	(void)state;

	for (int i = 0; i < 3; i++) {
		put32(DATA, 0xaabbccdd);
		v->regs[GPR_RAX] = 0x1122334455667788ULL;
		v->regs[GPR_RBX] = DATA;
		v->regs[GPR_RCX] = ~0ULL;
		v->regs[GPR_RDI] = 0xffffffff00000001ULL;
		v->regs[GPR_RSI] = ~0ULL;
		v->regs[8] = v->regs[9] = 0xffff;
		uint64_t start = v->instructions;
		run_code(code, sizeof(code));
		assert_int_equal(get32(DATA), 0xaabbcc77);
		assert_int_equal(v->regs[GPR_RCX], 0xcc77);
		assert_int_equal(get32(DATA + 0xffe), 0x55667788);
		assert_int_equal(v->regs[GPR_RDX], 0x55667788);
		assert_int_equal(v->regs[GPR_RSI], 0x0030000d);
		assert_int_equal(v->regs[8], 0xff00);  /* not less (signed) */
		assert_int_equal(v->regs[9], 0xff01);  /* below (unsigned) */
		/* int3 is a trap: RIP after it, counted */
		assert_int_equal(v->rip, CODE + sizeof(code));
		assert_int_equal(v->instructions - start, 9);
	}
}

/* 32-bit code: no REX, 66 makes 16 bits, ModRM rm=5 is absolute. */
static void test_code32_decoding(void **state)
{
	static const uint8_t code[] = {
		0x40,                         /* inc eax */
		0x4b,                         /* dec ebx */
		0x66, 0xb9, LE16(0x1234),     /* mov cx, 0x1234 */
		0x8b, 0x15, LE32(DATA),       /* mov edx, [DATA] */
		0x8b, 0x3c, 0xb5, LE32(DATA - 8), /* mov edi, [esi*4 + DATA-8] */
		0xcc,
	};
	/* 67: 16-bit addressing in 32-bit code, [bx + 0x10] wraps at 64K */
	static const uint8_t a16[] = { 0x67, 0x8b, 0x47, 0x10, 0xcc };
	(void)state;

	enter_mode(CPU_PROT, 32);
	put32(DATA, 0xcafef00d);
	v->regs[GPR_RAX] = 0x100000041ULL;
	v->regs[GPR_RBX] = 0;
	v->regs[GPR_RCX] = 0xaaaa5555aaaa5555ULL;
	v->regs[GPR_RSI] = 2;
	run_code(code, sizeof(code));
	assert_int_equal(v->regs[GPR_RAX], 0x42);
	assert_int_equal(v->regs[GPR_RBX], 0xffffffff);
	assert_int_equal(v->regs[GPR_RCX], 0xaaaa5555aaaa1234ULL);
	assert_int_equal(v->regs[GPR_RDX], 0xcafef00d);
	assert_int_equal(v->regs[GPR_RDI], 0xcafef00d);

	set_seg(SEG_DS, DATA, 0xffffffff, ATTR_DATA32);
	v->regs[GPR_RBX] = 0x1234fff8;
	run_code(a16, sizeof(a16));
	assert_int_equal(v->regs[GPR_RAX], get32(DATA + 8));
}

/* Pushes and calls move 4 bytes (2 with 66); ESP is the pointer. */
static void test_code32_stack(void **state)
{
	static const uint8_t code[] = {
		0x50,                 /* push eax */
		0x66, 0x53,           /* push bx */
		0xe8, LE32(1),        /* call +1 */
		0xcc,
		0xcc,
	};
	static const uint8_t ret[] = { 0x58, 0xc3 }; /* pop eax; ret */
	(void)state;

	enter_mode(CPU_COMPAT, 32);
	uint64_t sp = v->regs[GPR_RSP];
	v->regs[GPR_RAX] = 0x11223344;
	v->regs[GPR_RBX] = 0x5566;
	run_code(code, sizeof(code));
	assert_int_equal(v->regs[GPR_RSP], sp - 10);
	assert_int_equal(get32(sp - 10), CODE + 8);
	assert_int_equal(get32(sp - 6) & 0xffff, 0x5566);
	assert_int_equal(get32(sp - 4), 0x11223344);
	assert_int_equal(v->rip, CODE + 10);

	/* ret pops 4 bytes: back to the int3 after the call. */
	v->regs[GPR_RSP] = sp - 10;
	put32(sp - 14, 0x99);
	v->regs[GPR_RSP] = sp - 14;
	load(ret, sizeof(ret));
	run_to_int3();
	assert_int_equal(v->regs[GPR_RAX], 0x99);
	assert_int_equal(v->rip, CODE + 9);
	assert_int_equal(v->regs[GPR_RSP], sp - 6);

	/* A 16-bit stack (SS.B = 0): SP moves, ESP's upper half stays. */
	static const uint8_t push2[] = { 0x50, 0x50, 0xcc };
	set_seg(SEG_SS, 0x70000, 0xffff, ATTR_DATA16);
	v->regs[GPR_RSP] = 0xabcd0004;
	run_code(push2, sizeof(push2));
	assert_int_equal(v->regs[GPR_RSP], 0xabcdfffc);
	assert_int_equal(get32(0x70000), 0x99);
	assert_int_equal(get32(0x7fffc), 0x99);
}

/* 16-bit code: its ModRM table, SS for BP, CS.base, SP, IP wrapping. */
static void test_code16(void **state)
{
	static const uint8_t code[] = {
		0x8b, 0x00,             /* mov ax, [bx+si] */
		0x8b, 0x4e, 0x02,       /* mov cx, [bp+2]: SS */
		0x8b, 0x16, LE16(0x40), /* mov dx, [0x40] */
		0x3e, 0x8b, 0x7e, 0x00, /* mov di, ds:[bp] */
		0x50,                   /* push ax */
		0x66, 0x50,             /* push eax */
		0x66, 0xbb, LE32(0x89abcdef), /* mov ebx, 0x89abcdef */
		0xcc,
	};
	static const uint8_t wrap[] = { 0xeb, 0x1e }; /* jmp +0x1e at fff0 */
	static const uint8_t loop[] = {
		0xb9, LE16(3),          /* mov cx, 3 */
		0x40,                   /* l: inc ax */
		0xe2, 0xfd,             /* loop l */
		0xe3, 0x01,             /* jcxz +1 */
		0xcc, 0xcc,
	};
	static const uint8_t movs[] = { 0xf3, 0xa4, 0xcc }; /* rep movsb */
	uint8_t int3 = 0xcc;
	(void)state;

	enter_mode(CPU_PROT, 16);
	set_seg(SEG_CS, CODE, 0xffff, ATTR_CODE16);
	set_seg(SEG_SS, 0x70000, 0xffff, ATTR_DATA16);
	set_seg(SEG_DS, DATA, 0xffff, ATTR_DATA16);
	set_seg(SEG_ES, DATA + 0x1000, 0xffff, ATTR_DATA16);
	put32(DATA + 0x30, 0xbeef);
	put32(0x78000, 0x5a5a);
	put32(DATA + 0x40, 0x4444);
	put32(DATA + 0x7ffe, 0x7777);
	v->regs[GPR_RAX] = 0xffff0000;
	v->regs[GPR_RBX] = 0x10;
	v->regs[GPR_RSI] = 0x20;
	v->regs[GPR_RBP] = 0x7ffe;
	v->regs[GPR_RSP] = 0x12348000;
	load(code, sizeof(code));
	v->rip = 0;
	run_to_int3();
	assert_int_equal(v->regs[GPR_RAX], 0xffffbeef);
	assert_int_equal(v->regs[GPR_RCX] & 0xffff, 0x5a5a);
	assert_int_equal(v->regs[GPR_RDX] & 0xffff, 0x4444);
	assert_int_equal(v->regs[GPR_RDI] & 0xffff, 0x7777);
	assert_int_equal(v->regs[GPR_RSP], 0x12347ffa);
	assert_int_equal(get32(0x77ffa), 0xffffbeef);
	assert_int_equal(get32(0x77ffe) & 0xffff, 0xbeef);
	assert_int_equal(v->regs[GPR_RBX], 0x89abcdef);
	assert_int_equal(v->rip, sizeof(code));

	/* IP wraps at 64 KiB: fff2 + 1e = 0010. */
	set_seg(SEG_CS, CODE - 0xfff0, 0xffff, ATTR_CODE16);
	vm_write_phys(&vm, CODE - 0xfff0 + 0x10, &int3, 1);
	load(wrap, sizeof(wrap));
	v->rip = 0xfff0;
	run_to_int3();
	assert_int_equal(v->rip, 0x11);

	/* loop and jcxz count CX only. */
	set_seg(SEG_CS, CODE, 0xffff, ATTR_CODE16);
	v->regs[GPR_RAX] = 0;
	v->regs[GPR_RCX] = 0xffff0000;
	load(loop, sizeof(loop));
	v->rip = 0;
	run_to_int3();
	assert_int_equal(v->regs[GPR_RAX], 3);
	assert_int_equal(v->regs[GPR_RCX], 0xffff0000);
	assert_int_equal(v->rip, sizeof(loop));

	/* rep movsb: DS:SI to ES:DI, the upper halves of ESI, EDI, ECX
	 * untouched. */
	put32(DATA + 0x10, 0x44332211);
	v->regs[GPR_RSI] = 0x50010;
	v->regs[GPR_RDI] = 0x60020;
	v->regs[GPR_RCX] = 0x70004;
	load(movs, sizeof(movs));
	v->rip = 0;
	run_to_int3();
	assert_int_equal(get32(DATA + 0x1020), 0x44332211);
	assert_int_equal(v->regs[GPR_RSI], 0x50014);
	assert_int_equal(v->regs[GPR_RDI], 0x60024);
	assert_int_equal(v->regs[GPR_RCX], 0x70000);
}

/* Limits, types and null segments: #GP(0), #SS(0) through SS. */
static void test_segment_faults(void **state)
{
	static const uint8_t rd[] = { 0x8b, 0x03, 0xcc };       /* [ebx] */
	static const uint8_t wr[] = { 0x89, 0x03, 0xcc };
	static const uint8_t rd_bp[] = { 0x8b, 0x45, 0x00, 0xcc }; /* [ebp] */
	static const uint8_t cs_rd[] = { 0x2e, 0x8b, 0x03, 0xcc };
	static const uint8_t cs_wr[] = { 0x2e, 0x89, 0x03, 0xcc };
	static const uint8_t es_rd[] = { 0x26, 0x8b, 0x03, 0xcc };
	static const uint8_t push[] = { 0x50, 0xcc };
	static const uint8_t nops[] = { 0x90, 0x90, 0x90, 0xcc };
	(void)state;

	enter_mode(CPU_PROT, 32);
	put32(DATA, 0x600dcafe);
	/* A byte-granular limit of 0xfff: the last dword is 0xffc. */
	set_seg(SEG_DS, 0, 0xfff, ATTR_DATA32 & ~0x8000);
	v->regs[GPR_RBX] = 0xffc;
	run_code(rd, sizeof(rd));
	v->regs[GPR_RBX] = 0xffd;
	expect_fault(rd, sizeof(rd), T_GP, 0);
	/* The same through SS is #SS(0). */
	set_seg(SEG_DS, 0, 0xffffffff, ATTR_DATA32);
	set_seg(SEG_SS, 0, 0xfff, ATTR_DATA32 & ~0x8000);
	v->regs[GPR_RBP] = 0x1000;
	expect_fault(rd_bp, sizeof(rd_bp), T_SS, 0);
	v->regs[GPR_RSP] = 0x1002;
	expect_fault(push, sizeof(push), T_SS, 0);
	set_seg(SEG_SS, 0, 0xffffffff, ATTR_DATA32);
	v->regs[GPR_RSP] = BOOT_STACK_TOP;
	/* Read-only data: reads work, writes fault. */
	set_seg(SEG_DS, 0, 0xffffffff, ATTR_RODATA);
	v->regs[GPR_RBX] = DATA;
	run_code(rd, sizeof(rd));
	assert_int_equal(v->regs[GPR_RAX], 0x600dcafe);
	expect_fault(wr, sizeof(wr), T_GP, 0);
	/* Code: never written; read only when readable. */
	expect_fault(cs_wr, sizeof(cs_wr), T_GP, 0);
	run_code(cs_rd, sizeof(cs_rd));
	set_seg(SEG_CS, 0, 0xffffffff, ATTR_XONLY32);
	expect_fault(cs_rd, sizeof(cs_rd), T_GP, 0);
	set_seg(SEG_CS, 0, 0xffffffff, ATTR_CODE32);
	/* A null selector makes the register unusable. */
	v->seg[SEG_ES] = (struct vcpu_segment){ .selector = 0 };
	expect_fault(es_rd, sizeof(es_rd), T_GP, 0);
	/* Expand-down, limit 0xfff: valid offsets are 0x1000..4 GiB-1. */
	set_seg(SEG_DS, 0, 0xfff, ATTR_DOWN32);
	v->regs[GPR_RBX] = 0x800;
	expect_fault(rd, sizeof(rd), T_GP, 0);
	v->regs[GPR_RBX] = DATA;
	v->regs[GPR_RAX] = 0;
	run_code(rd, sizeof(rd));
	assert_int_equal(v->regs[GPR_RAX], 0x600dcafe);
	/* Base + offset wraps at 4 GiB. */
	set_seg(SEG_DS, 0xffff0000, 0xffffffff, ATTR_DATA32);
	v->regs[GPR_RBX] = DATA + 0x10000;
	v->regs[GPR_RAX] = 0;
	run_code(rd, sizeof(rd));
	assert_int_equal(v->regs[GPR_RAX], 0x600dcafe);
	/* A flat segment still ends at 4 GiB - 1. */
	set_seg(SEG_DS, 0, 0xffffffff, ATTR_DATA32);
	v->regs[GPR_RBX] = 0xfffffffe;
	expect_fault(rd, sizeof(rd), T_GP, 0);

	/* Fetching beyond CS.limit: #GP(0) on the instruction there. */
	set_seg(SEG_CS, 0, CODE + 1, ATTR_CODE32);
	load(nops, sizeof(nops));
	struct vm_exit x = run();
	assert_int_equal(x.reason, EXIT_EXCEPTION);
	assert_int_equal(x.exc.vector, T_GP);
	assert_int_equal(x.exc.error, 0);
	assert_int_equal(v->rip, CODE + 2);
	/* ...and a near branch beyond it. */
	static const uint8_t jmp[] = { 0xeb, 0x10 };
	set_seg(SEG_CS, 0, CODE + 0x10, ATTR_CODE32);
	expect_fault(jmp, sizeof(jmp), T_GP, 0);
}

/* The GDT of the selector tests: ring-3 and ring-0 descriptors. */
static void selector_gdt(void)
{
	static const uint64_t gdt[] = {
		[3] = 0x00cff2001000ffffULL, /* 0x18: DPL-3 data, base 0x1000 */
		[4] = 0x00cf92000000ffffULL, /* 0x20: DPL-0 data */
		[5] = 0x00cf72000000ffffULL, /* 0x28: DPL-3 data, not present */
		[6] = 0x00cffa000000ffffULL, /* 0x30: DPL-3 32-bit code */
		[7] = 0x00affa000000ffffULL, /* 0x38: DPL-3 64-bit code */
	};

	vm_write_phys(&vm, BOOT_GDT + 24, &gdt[3], sizeof(gdt) - 24);
	v->gdtr.limit = sizeof(gdt) - 1;
}

/* mov/pop/lds/lss at CPL 3 in 32-bit code, and their faults. */
static void test_segment_loads32(void **state)
{
	static const uint8_t mov_ds[] = { 0x8e, 0xd8, 0x8b, 0x03, 0xcc };
	static const uint8_t pop_es[] = { 0x07, 0x06, 0xcc }; /* pop/push es */
	static const uint8_t pop_ss[] = { 0x17, 0xcc };
	static const uint8_t lds[] = { 0xc5, 0x1e, 0xcc };   /* lds ebx, [esi] */
	/* lss esp, [esi]; ud2 (a fault: the instruction after it has not
	 * completed); then lss; nop; int3 */
	static const uint8_t lss[] = { 0x0f, 0xb2, 0x26, 0x0f, 0x0b };
	static const uint8_t lss_nop[] = { 0x0f, 0xb2, 0x26, 0x90, 0xcc };
	(void)state;

	enter_mode(CPU_PROT, 32);
	selector_gdt();
	put32(DATA, 0x5eed5eed);
	/* A ring-3 data segment loads; its base applies. */
	v->regs[GPR_RAX] = 0x1b;
	v->regs[GPR_RBX] = DATA - 0x1000;
	run_code(mov_ds, sizeof(mov_ds));
	assert_int_equal(v->seg[SEG_DS].selector, 0x1b);
	assert_int_equal(v->seg[SEG_DS].base, 0x1000);
	assert_int_equal(v->regs[GPR_RAX], 0x5eed5eed);
	/* The guest kernel's descriptor: #GP(sel), for the monitor. */
	v->regs[GPR_RAX] = 0x23;
	expect_fault(mov_ds, sizeof(mov_ds), T_GP, 0x20);
	/* Not present: #NP(sel); through SS: #SS(sel). */
	v->regs[GPR_RAX] = 0x2b;
	expect_fault(mov_ds, sizeof(mov_ds), T_NP, 0x28);
	uint64_t sp = v->regs[GPR_RSP] - 8;
	v->regs[GPR_RSP] = sp;
	put32(sp, 0x2b);
	expect_fault(pop_ss, sizeof(pop_ss), T_SS, 0x28);
	/* pop es takes 4 bytes; push es pushes them back. */
	put32(sp, 0x1b);
	run_code(pop_es, sizeof(pop_es));
	assert_int_equal(v->seg[SEG_ES].selector, 0x1b);
	assert_int_equal(v->seg[SEG_ES].base, 0x1000);
	assert_int_equal(v->regs[GPR_RSP], sp);
	assert_int_equal(get32(sp), 0x1b);
	/* Null into DS loads; using it then is #GP(0). */
	v->regs[GPR_RAX] = 0;
	v->regs[GPR_RBX] = DATA;
	load(mov_ds, sizeof(mov_ds));
	struct vm_exit x = run();
	assert_int_equal(v->seg[SEG_DS].selector, 0);
	assert_int_equal(x.exc.vector, T_GP);
	assert_int_equal(x.exc.error, 0);
	assert_int_equal(x.rip, CODE + 2);
	/* lds: offset then selector; lss loads SS and holds off interrupts. */
	set_seg(SEG_DS, 0, 0xffffffff, ATTR_DATA32);
	put32(DATA + 0x10, 0x12345678);
	put32(DATA + 0x14, 0x1b);
	v->regs[GPR_RSI] = DATA + 0x10;
	run_code(lds, sizeof(lds));
	assert_int_equal(v->regs[GPR_RBX], 0x12345678);
	assert_int_equal(v->seg[SEG_DS].selector, 0x1b);
	v->seg[SEG_DS].base = 0;
	put32(DATA + 0x10, 0x7000);
	v->interrupt_shadow = false;
	load(lss, sizeof(lss));
	x = run();
	assert_int_equal(x.exc.vector, T_UD);
	assert_int_equal(v->regs[GPR_RSP], 0x7000);
	assert_int_equal(v->seg[SEG_SS].selector, 0x1b);
	assert_true(v->interrupt_shadow);
	/* Over once the next instruction has run. */
	v->interrupt_shadow = false;
	run_code(lss_nop, sizeof(lss_nop));
	assert_false(v->interrupt_shadow);
}

/* Far jmp/call/ret in 32-bit code, and between 64-bit and 32-bit code. */
static void test_far_transfers(void **state)
{
	static const uint8_t jmp[] = { 0xea, LE32(CODE + 7), LE16(0x33),
				       0xcc };
	static const uint8_t call[] = { 0x9a, LE32(CODE + 8), LE16(0x33),
					0xcc, 0xcb };
	static const uint8_t to_ring0[] = { 0xea, LE32(CODE), LE16(0x08) };
	static const uint8_t to_data[] = { 0xea, LE32(CODE), LE16(0x23) };
	/* compat: jmp far 0x3b:CODE+7; then inc rax in 64-bit code */
	static const uint8_t to64[] = { 0xea, LE32(CODE + 7), LE16(0x3b),
					0x48, 0xff, 0xc0, 0xcc };
	/* 64-bit: jmp far [DATA] (m16:32); then dec eax in 32-bit code */
	static const uint8_t to32[] = { 0xff, 0x2c, 0x25, LE32(DATA),
					0x48, 0xcc };
	(void)state;

	selector_gdt();
	enter_mode(CPU_PROT, 32);
	v->seg[SEG_CS].selector = 0x33;
	run_code(jmp, sizeof(jmp));
	assert_int_equal(v->seg[SEG_CS].selector, 0x33);
	assert_int_equal(v->rip, CODE + 8);
	uint64_t sp = v->regs[GPR_RSP];
	run_code(call, sizeof(call));
	assert_int_equal(v->rip, CODE + 8);
	assert_int_equal(v->regs[GPR_RSP], sp);
	assert_int_equal(get32(sp - 8), CODE + 7); /* return EIP, then CS */
	assert_int_equal(get32(sp - 4), 0x33);
	expect_fault(to_ring0, sizeof(to_ring0), T_GP, 0x08);
	expect_fault(to_data, sizeof(to_data), T_GP, 0x20);

	/* Compatibility mode to 64-bit code and back. */
	enter_mode(CPU_COMPAT, 32);
	v->seg[SEG_CS].selector = 0x33;
	v->regs[GPR_RAX] = 0xffffffff;
	run_code(to64, sizeof(to64));
	assert_int_equal(cpu_mode(v), CPU_LONG);
	assert_int_equal(v->regs[GPR_RAX], 0x100000000ULL);
	put32(DATA, CODE + 7);
	put32(DATA + 4, 0x33);
	run_code(to32, sizeof(to32));
	assert_int_equal(cpu_mode(v), CPU_COMPAT);
	assert_int_equal(v->regs[GPR_RAX], 0xffffffff);
}

/* A record decoded as 64-bit code is not reused for 32-bit code. */
static void test_icache_code_size(void **state)
{
	/* 64-bit: inc rax; 32-bit: dec eax; inc eax */
	static const uint8_t code[] = { 0x48, 0xff, 0xc0, 0xcc };
	(void)state;

	v->regs[GPR_RAX] = 5;
	run_code(code, sizeof(code));
	assert_int_equal(v->regs[GPR_RAX], 6);
	enter_mode(CPU_COMPAT, 32);
	run_code(code, sizeof(code));
	assert_int_equal(v->regs[GPR_RAX], 6);
	enter_mode(CPU_COMPAT, 16);
	run_code(code, sizeof(code));
	assert_int_equal(v->regs[GPR_RAX], 6);
}

/* The flags of a snippet's end, after it ran from AX = ax. */
static uint64_t run_ax(const uint8_t *code, size_t n, uint64_t ax)
{
	v->regs[GPR_RAX] = ax;
	v->rflags = FL_FIXED1;
	run_code(code, n);
	return v->rflags;
}

/* daa das aaa aas aam aad salc pusha popa bound arpl into, 0x82. */
static void test_legacy_opcodes(void **state)
{
	static const uint8_t daa[] = { 0x04, 0x35, 0x27, 0xcc };  /* add; daa */
	static const uint8_t das[] = { 0x2c, 0x47, 0x2f, 0xcc };  /* sub; das */
	static const uint8_t aaa[] = { 0x04, 0x08, 0x37, 0xcc };
	static const uint8_t aas[] = { 0x2c, 0x05, 0x3f, 0xcc };
	static const uint8_t aam[] = { 0xd4, 0x0a, 0xcc };
	static const uint8_t aam0[] = { 0xd4, 0x00, 0xcc };
	static const uint8_t aad[] = { 0xd5, 0x0a, 0xcc };
	static const uint8_t salc[] = { 0xf9, 0xd6, 0xcc };
	static const uint8_t pusha[] = { 0x60, 0xcc };
	static const uint8_t popa[] = { 0x61, 0xcc };
	static const uint8_t bound[] = { 0x62, 0x03, 0xcc };   /* eax, [ebx] */
	static const uint8_t arpl[] = { 0x63, 0xc8, 0xcc };    /* ax, cx */
	static const uint8_t into[] = { 0x04, 0x01, 0xce, 0xcc };
	static const uint8_t alu82[] = { 0x82, 0xc0, 0x05, 0xcc }; /* add al */
	static const uint8_t only32[] = { 0x06, 0x27, 0x60, 0xce, 0xd6, 0x82 };
	(void)state;

	/* Outside 64-bit mode these opcodes are #UD. */
	for (size_t i = 0; i < sizeof(only32); i++)
		expect_fault(&only32[i], 1, T_UD, -1);

	enter_mode(CPU_COMPAT, 32);
	uint64_t f = run_ax(daa, sizeof(daa), 0x79);      /* 79 + 35 = 114 */
	assert_int_equal(v->regs[GPR_RAX], 0x14);
	assert_true(f & FL_CF);
	f = run_ax(das, sizeof(das), 0x35);               /* 35 - 47 = -12 */
	assert_int_equal(v->regs[GPR_RAX], 0x88);
	assert_true(f & FL_CF);
	f = run_ax(aaa, sizeof(aaa), 0x09);               /* 9 + 8 = 17 */
	assert_int_equal(v->regs[GPR_RAX], 0x0107);
	assert_int_equal(f & (FL_CF | FL_AF), FL_CF | FL_AF);
	f = run_ax(aas, sizeof(aas), 0x0102);             /* 12 - 5 = 7 */
	assert_int_equal(v->regs[GPR_RAX], 0x0007);
	assert_true(f & FL_CF);
	run_ax(aam, sizeof(aam), 0x3f);                   /* 63 */
	assert_int_equal(v->regs[GPR_RAX], 0x0603);
	run_ax(aad, sizeof(aad), 0x0603);
	assert_int_equal(v->regs[GPR_RAX], 0x3f);
	f = run_ax(aad, sizeof(aad), 0);
	assert_true(f & FL_ZF);
	v->regs[GPR_RAX] = 0x3f;
	expect_fault(aam0, sizeof(aam0), T_DE, -1);
	run_ax(salc, sizeof(salc), 0x1234);
	assert_int_equal(v->regs[GPR_RAX], 0x12ff);
	run_ax(alu82, sizeof(alu82), 0x10);
	assert_int_equal(v->regs[GPR_RAX], 0x15);

	/* pusha: EDI lowest, the ESP from before in the middle; popa. */
	uint64_t sp = v->regs[GPR_RSP];
	for (unsigned r = 0; r < 8; r++)
		if (r != GPR_RSP)
			v->regs[r] = 0x1000 + r;
	run_code(pusha, sizeof(pusha));
	assert_int_equal(v->regs[GPR_RSP], sp - 32);
	assert_int_equal(get32(sp - 32), 0x1000 + GPR_RDI);
	assert_int_equal(get32(sp - 20), sp);
	assert_int_equal(get32(sp - 4), 0x1000 + GPR_RAX);
	for (unsigned r = 0; r < 8; r++)
		if (r != GPR_RSP)
			v->regs[r] = 0;
	run_code(popa, sizeof(popa));
	assert_int_equal(v->regs[GPR_RSP], sp);
	for (unsigned r = 0; r < 8; r++)
		if (r != GPR_RSP)
			assert_int_equal(v->regs[r], 0x1000 + r);

	/* bound: -5 <= index <= 10, else #BR. */
	put32(DATA, (uint32_t)-5);
	put32(DATA + 4, 10);
	v->regs[GPR_RBX] = DATA;
	v->regs[GPR_RAX] = 10;
	run_code(bound, sizeof(bound));
	v->regs[GPR_RAX] = 11;
	expect_fault(bound, sizeof(bound), T_BR, -1);
	v->regs[GPR_RAX] = (uint32_t)-6;
	expect_fault(bound, sizeof(bound), T_BR, -1);

	/* arpl raises RPL (ZF = 1), or leaves it (ZF = 0). */
	v->regs[GPR_RCX] = 3;
	f = run_ax(arpl, sizeof(arpl), 0x10);
	assert_int_equal(v->regs[GPR_RAX], 0x13);
	assert_true(f & FL_ZF);
	f = run_ax(arpl, sizeof(arpl), 0x13);
	assert_false(f & FL_ZF);

	/* into: #OF as a trap when 0x7f + 1 overflowed; else nothing. */
	load(into, sizeof(into));
	v->regs[GPR_RAX] = 0x7f;
	struct vm_exit x = run();
	assert_int_equal(x.exc.vector, T_OF);
	assert_int_equal(v->rip, CODE + 3);
	run_ax(into, sizeof(into), 0);
}

/* int n, iret, sysenter: as at ring 3, for the monitor. */
static void test_interrupts32(void **state)
{
	static const uint8_t int80[] = { 0xcd, 0x80 };
	static const uint8_t iret[] = { 0xcf };
	static const uint8_t iret16[] = { 0x66, 0xcf };
	static const uint8_t sysenter[] = { 0x0f, 0x34 };
	static const uint8_t int3[] = { 0xcc };
	static const uint8_t swapgs[] = { 0x0f, 0x01, 0xf8 };
	(void)state;

	enter_mode(CPU_PROT, 32);
	expect_fault(swapgs, sizeof(swapgs), T_UD, -1);
	expect_fault(int80, sizeof(int80), T_GP, 0x80 * 8 + ERRC_IDT);
	expect_fault(iret, sizeof(iret), T_GP, 0);
	expect_fault(iret16, sizeof(iret16), T_GP, 0);
	expect_fault(sysenter, sizeof(sysenter), T_GP, 0);
	run_code(int3, sizeof(int3));
	assert_int_equal(v->rip, CODE + 1);
	enter_mode(CPU_COMPAT, 32);
	expect_fault(sysenter, sizeof(sysenter), T_UD, -1);
}

/* Sensitive instructions in 32-bit code keep the contract. */
static void test_sensitive32_x86(void **state)
{
	static const uint8_t push_cs[] = { 0x0e, 0x8c, 0xd8, 0xcc };
	(void)state;

	enter_mode(CPU_PROT, 32);
	uint64_t sp = v->regs[GPR_RSP];
	v->regs[GPR_RAX] = 0xffffffff;
	run_code(push_cs, sizeof(push_cs));
	assert_int_equal(get32(sp - 4), BOOT_SEL_CODE | 3);
	assert_int_equal(v->regs[GPR_RAX], BOOT_SEL_DATA | 3);
}

static void test_sensitive32_strict(void **state)
{
	static const uint8_t push_cs[] = { 0x0e };
	static const uint8_t pushf[] = { 0x9c };
	static const uint8_t popf[] = { 0x66, 0x9d };
	static const uint8_t mov_sreg[] = { 0x8c, 0xd8 };
	/* pop ss and lss load SS as mov to ss does: sensitive, trapped
	 * before they read their operand */
	static const uint8_t pop_ss[] = { 0x17 };
	static const uint8_t lss[] = { 0x0f, 0xb2, 0x05, 0x00, 0x00, 0x30, 0x00 };
	(void)state;

	enter_mode(CPU_PROT, 32);
	expect_fault(push_cs, sizeof(push_cs), T_GP, 0);
	expect_fault(pushf, sizeof(pushf), T_GP, 0);
	expect_fault(popf, sizeof(popf), T_GP, 0);
	expect_fault(mov_sreg, sizeof(mov_sreg), T_GP, 0);
	/* real selectors (not null, which gives #GP(0) anyway): the #GP(0)
	 * is the strict ISA's, before the descriptor is even read */
	put32(v->regs[GPR_RSP], BOOT_SEL_DATA | 3);
	expect_fault(pop_ss, sizeof(pop_ss), T_GP, 0);
	put32(DATA, 0x1000);
	put32(DATA + 4, BOOT_SEL_DATA | 3);
	expect_fault(lss, sizeof(lss), T_GP, 0);
}

/* Real-address mode is refused with a reason, not run wrongly. */
static void test_real_mode_refused(void **state)
{
	static const uint8_t code[] = { 0x90, 0xcc };
	(void)state;

	load(code, sizeof(code));
	v->cr0 = 0;
	struct vm_exit x = run_once();
	assert_int_equal(x.reason, EXIT_INTERRUPT);
	assert_true(vm.stopped);
	assert_int_equal(v->rip, CODE);
}

/*
 * softcpu's decoder and Capstone agree on the length of every instruction
 * softcpu executes in 32- and 16-bit code: random prefixes, opcodes,
 * ModRM/SIB and displacement bytes, both maps.
 */
static uint64_t byte_state = 0x2545f4914f6cdd1dULL;

/* xorshift64: plain random bytes for the decoder test. */
static unsigned rnd_byte(void)
{
	byte_state ^= byte_state << 13;
	byte_state ^= byte_state >> 7;
	byte_state ^= byte_state << 17;
	return (unsigned)(byte_state >> 24) & 0xff;
}

static void test_decode_lengths32(void **state)
{
	static const uint8_t prefixes[] = { 0x66, 0x67, 0xf3, 0x26, 0x2e,
					    0x36, 0x3e, 0x64, 0x65 };
	unsigned checked = 0;
	(void)state;

	assert_int_equal(isa_init(), 0);
	for (unsigned csz = 2; csz <= 4; csz += 2) {
		for (unsigned i = 0; i < 40000; i++) {
			uint8_t buf[15];
			unsigned n = 0;
			struct sc_insn d;
			struct insn in;

			for (unsigned k = 0; k < sizeof(buf); k++)
				buf[k] = (uint8_t)rnd_byte();
			while (n < 2 && (rnd_byte() & 1))
				buf[n++] = prefixes[rnd_byte() % sizeof(prefixes)];
			if (rnd_byte() % 4 == 0)
				buf[n] = 0x0f;
			if (sc_decode(buf, sizeof(buf), csz, &d) != SC_DEC_OK ||
			    d.fn == op_ud || d.fn == op_priv)
				continue;
			/* C4, C5, 62 with a register operand: VEX and EVEX
			 * prefixes (AVX), #UD in softcpu's handlers. */
			if (d.map == 1 && d.mod == 3 &&
			    (d.opc == 0xc4 || d.opc == 0xc5 || d.opc == 0x62))
				continue;
			/* Capstone 4 drops a 66 prefix of a near branch
			 * after F2 or F3 (MPX's bnd): the CPU does not. */
			bool branch = d.fn == op_call_rel ||
				      d.fn == op_jmp_rel || d.fn == op_jcc;
			if (d.rep != SC_REP_NONE && branch)
				continue;
			if (isa_decode_bytes_mode(buf, sizeof(buf), 0, csz * 8,
						  &in) != DECODE_OK)
				continue;
			if (d.len != in.size)
				print_error("%u-bit code: %02x %02x %02x %02x "
					    "%02x %02x: softcpu %u bytes, "
					    "Capstone %u (%s %s)\n", csz * 8,
					    buf[0], buf[1], buf[2], buf[3],
					    buf[4], buf[5], d.len, in.size,
					    in.mnemonic, in.op_str);
			assert_int_equal(d.len, in.size);
			checked++;
		}
	}
	isa_fini();
	assert_true(checked > 20000);
}

/*
 * Random bytes as 32- and 16-bit code, from random registers and with
 * random segment limits and types: whatever they do must end in a clean
 * exit (a fault, a stop, the instruction budget), never a crash; run
 * under the sanitizers in CI.
 */
static void test_random_code32(void **state)
{
	static const uint16_t attrs[] = { ATTR_DATA32, ATTR_DATA16,
					  ATTR_RODATA, ATTR_DOWN32, 0 };
	uint8_t code[64];
	(void)state;

	enter_mode(CPU_PROT, 32);
	uint64_t start = v->instructions;
	for (unsigned i = 0; i < 4000; i++) {
		for (unsigned k = 0; k < sizeof(code); k++)
			code[k] = (uint8_t)rnd_byte();
		load(code, sizeof(code));
		for (unsigned r = 0; r < 8; r++)
			v->regs[r] = rnd_byte() & 1 ? DATA + rnd_byte() * 16
						   : (uint64_t)rnd_byte() << 24 |
						     rnd_byte();
		v->regs[GPR_RSP] = BOOT_STACK_TOP - rnd_byte();
		for (unsigned sreg = 0; sreg < VCPU_NSEGS; sreg++) {
			if (sreg == SEG_CS)
				continue;
			bool odd = rnd_byte() < 32;
			set_seg(sreg, odd ? rnd_byte() << 12 : 0,
				odd ? rnd_byte() << 16 | 0xffff : 0xffffffff,
				odd ? attrs[rnd_byte() % 5] : ATTR_DATA32);
		}
		set_seg(SEG_CS, 0, 0xffffffff,
			rnd_byte() & 1 ? ATTR_CODE32 : ATTR_CODE16 | 0x8000);
		v->rflags = FL_FIXED1 | (rnd_byte() & 1 ? FL_DF : 0);
		vm.stopped = false;
		vm.insn_deadline = v->instructions + 200;
		run();
	}
	vm.insn_deadline = UINT64_MAX;
	vm.stopped = false;
	assert_true(v->instructions - start > 4000);
}

/* --------------------------------------------------------------- MMIO */

/*
 * devices_mmio, replaced for this test program (the Makefile links it
 * with --wrap=devices_mmio): it logs each access and reads a pattern.
 */
#define MMIO_FRAME 0xfee00000ULL /* far beyond the test VM's 8 MiB */
static struct mmio_log {
	unsigned n;
	uint64_t gpa[8], data[8];
	unsigned size[8];
	bool write[8];
} mmio_log;

void __wrap_devices_mmio(struct vm *vm, uint64_t gpa, unsigned size,
			 bool write, uint64_t *data);
void __wrap_devices_mmio(struct vm *vm, uint64_t gpa, unsigned size,
			 bool write, uint64_t *data)
{
	struct mmio_log *l = &mmio_log;

	(void)vm;
	if (!write)
		*data = 0x8877665544332211ULL &
			(size == 8 ? ~0ULL : (1ULL << (8 * size)) - 1);
	if (l->n < 8) {
		l->gpa[l->n] = gpa;
		l->size[l->n] = size;
		l->write[l->n] = write;
		l->data[l->n] = *data;
		l->n++;
	}
}

static void expect_mmio(unsigned i, uint64_t gpa, unsigned size, bool write,
			uint64_t data)
{
	assert_true(i < mmio_log.n);
	assert_int_equal(mmio_log.gpa[i], gpa);
	assert_int_equal(mmio_log.size[i], size);
	assert_int_equal(mmio_log.write[i], write);
	assert_int_equal(mmio_log.data[i], data);
}

/* Map the page of DATA to MMIO_FRAME in the shadow, as shadowpt fills a
 * guest page that maps no RAM. */
static void map_data_to_mmio(void)
{
	static const uint8_t touch[] = { 0x8b, 0x07, 0xcc };

	v->regs[GPR_RDI] = DATA;
	run_code(touch, sizeof(touch));
	uint64_t *leaf = shadow_leaf_of(vm.spt->current, DATA);
	assert_non_null(leaf);
	*leaf = (*leaf & ~PTE_ADDR_MASK) | MMIO_FRAME | PTE_W;
	vm.engine->flush(&vm, SHADOW_FLUSH_ALL);
	memset(&mmio_log, 0, sizeof(mmio_log));
}

static void test_mmio(void **state)
{
	static const uint8_t rd[] = { 0x8b, 0x47, 0x10, 0xcc };  /* eax,[rdi+10] */
	static const uint8_t wr[] = { 0x89, 0x47, 0x20, 0xcc };  /* [rdi+20],eax */
	static const uint8_t rmw[] = { 0x01, 0x47, 0x30, 0xcc }; /* add */
	static const uint8_t rd16[] = { 0x66, 0x8b, 0x47, 0x08, 0xcc };
	static const uint8_t crossing[] = { 0x8b, 0x87, LE32(0xffe), 0xcc };
	uint32_t ram = 0x0badf00d;
	(void)state;

	vm_write_phys(&vm, DATA + 0x20, &ram, 4);
	map_data_to_mmio();
	run_code(rd, sizeof(rd));
	assert_int_equal(v->regs[GPR_RAX], 0x44332211);
	expect_mmio(0, MMIO_FRAME + 0x10, 4, false, 0x44332211);
	/* A store goes to the device only, with no read before it. */
	v->regs[GPR_RAX] = 0xabcd;
	run_code(wr, sizeof(wr));
	assert_int_equal(mmio_log.n, 2);
	expect_mmio(1, MMIO_FRAME + 0x20, 4, true, 0xabcd);
	assert_int_equal(get32(DATA + 0x20), ram);
	/* Read-modify-write: one read, then one write. */
	v->regs[GPR_RAX] = 1;
	run_code(rmw, sizeof(rmw));
	assert_int_equal(mmio_log.n, 4);
	expect_mmio(2, MMIO_FRAME + 0x30, 4, false, 0x44332211);
	expect_mmio(3, MMIO_FRAME + 0x30, 4, true, 0x44332212);
	/* Nothing of the page went into the TLB as host memory: again. */
	run_code(rd, sizeof(rd));
	assert_int_equal(mmio_log.n, 5);

	/* In 32-bit code too, at the operand size. */
	enter_mode(CPU_COMPAT, 32);
	run_code(rd16, sizeof(rd16));
	expect_mmio(5, MMIO_FRAME + 0x08, 2, false, 0x2211);

	/* --stats counts the device accesses. */
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	assert_non_null(f);
	vm.engine->print_stats(&vm, 1.0, f);
	fclose(f);
	assert_non_null(strstr(text, "mmio: 6 device accesses"));
	free(text);

	/* An access that runs out of the device's page stops the guest. */
	load(crossing, sizeof(crossing));
	struct vm_exit x = run();
	assert_int_equal(x.reason, EXIT_INTERRUPT);
	assert_true(vm.stopped);
	assert_int_equal(mmio_log.n, 6);
}

/*
 * A taken pointer (softcpu.h's sc_chain follows it unchecked) into a
 * slot that was built anew for another block: cache.c's block_unlink
 * undoes it.  The block table is direct-mapped by
 * (tag ^ tag >> 12) & (SC_NBLOCKS - 1), so the block at CODE + 0x1011
 * (page 0x201, offset 0x011) takes the slot of cross_loop's block at
 * CODE + 0x10 (page 0x200, offset 0x010).  Its code adds 100 to rdx
 * where cross_loop's adds rcx: a jcc still pointing into the slot would
 * run it in the second loop.
 * 00: add rdx, 100              48 83 c2 64
 * 04: int3                      cc
 */
static void test_chain_taken_slot_reused(void **state)
{
	static const uint8_t other[] = { 0x48, 0x83, 0xc2, 0x64, 0xcc };
	const uint64_t at = CODE + 0x1011;
	(void)state;

	for (int i = 0; i < 2; i++) {
		load(cross_loop, sizeof(cross_loop));
		run_cross_loop();
		struct sc_block *b = block_of(CODE + 0x10);
		assert_ptr_equal(block_of(CODE)->taken, b);
		assert_ptr_equal(b->taken, block_of(CODE));

		/* The other block into b's slot: b is gone. */
		assert_int_equal(vm_write_phys(&vm, at, other, sizeof(other)),
				 0);
		v->rip = at;
		v->regs[GPR_RDX] = 0;
		run_to_int3();
		assert_int_equal(v->regs[GPR_RDX], 100);
		assert_ptr_equal(block_of(at), b);
		assert_null(block_of(CODE + 0x10));
		assert_null(block_of(CODE)->taken);

		/* cross_loop again: the jcc at 0b goes through the loop,
		 * which builds the block at 10 anew, and links it again. */
		run_cross_loop();
		assert_int_equal(v->rip, CODE + 0xe); /* after the int3 */
		assert_int_equal(v->regs[GPR_RCX], 1000);
		assert_ptr_equal(block_of(CODE)->taken, block_of(CODE + 0x10));
	}
}

/*
 * cmp and jne or jbe at a block's end run with one handler (branch.c's
 * cmp_jcc): every register form of cmp at 2, 4 and 8 bytes, each
 * condition, taken and not, with operands whose bits above the size
 * must not count.  The flags after the pair are cmp's, computed here
 * from the SDM's definitions; the jump is to the int3 after the one
 * that the fall-through reaches.
 *   cmp ...; jcc +1; int3; int3
 */
static uint64_t cmp_flags(uint64_t a, uint64_t b, unsigned sz)
{
	uint64_t m = sz == 8 ? ~0ULL : (1ULL << (8 * sz)) - 1;
	uint64_t sign = 1ULL << (8 * sz - 1), r = (a - b) & m, f = 0;

	a &= m;
	b &= m;
	f |= a < b ? FL_CF : 0;
	f |= r == 0 ? FL_ZF : 0;
	f |= r & sign ? FL_SF : 0;
	f |= (a ^ b) & (a ^ r) & sign ? FL_OF : 0;
	f |= __builtin_parity((unsigned)(r & 0xff)) ? 0 : FL_PF;
	f |= (a ^ b ^ r) & 0x10 ? FL_AF : 0;
	return f;
}

static void test_cmp_jcc_fused(void **state)
{
	static const uint64_t vals[] = {
		0, 1, 2, 0x7f, 0xff, 0x7fff, 0x8000, 0xffff, 0x7fffffff,
		0x80000000, 0xffffffff, 0x123456789abcdef0,
		0xffffffff00000000, 0x8000000000000000, ~0ULL,
	};
	static const uint8_t sizes[] = { 2, 4, 8 };
	const size_t nv = sizeof(vals) / sizeof(*vals);
	(void)state;

	for (unsigned form = 0; form < 4; form++)
	for (unsigned si = 0; si < 3; si++)
	for (unsigned cc = 5; cc <= 6; cc++)
	for (size_t i = 0; i < nv; i++)
	for (size_t j = 0; j < nv; j++) {
		unsigned sz = sizes[si], n = 0;
		uint64_t m = sz == 8 ? ~0ULL : (1ULL << (8 * sz)) - 1;
		uint64_t a = vals[i], b = vals[j];
		uint8_t code[16];

		if (sz == 2)
			code[n++] = 0x66;
		if (sz == 8)
			code[n++] = 0x48;
		switch (form) {
		case 0: /* cmp rbx, rcx (39 /r) */
			code[n++] = 0x39, code[n++] = 0xcb;
			break;
		case 1: /* cmp rbx, rcx (3B /r) */
			code[n++] = 0x3b, code[n++] = 0xd9;
			break;
		case 2: /* cmp rbx, imm8 (83 /7 ib) */
			code[n++] = 0x83, code[n++] = 0xfb;
			code[n++] = (uint8_t)b;
			b = (uint64_t)(int64_t)(int8_t)b;
			break;
		default: /* cmp rax, imm16/32 (3D) */
			code[n++] = 0x3d;
			code[n++] = (uint8_t)b, code[n++] = (uint8_t)(b >> 8);
			if (sz != 2) {
				code[n++] = (uint8_t)(b >> 16);
				code[n++] = (uint8_t)(b >> 24);
				b = (uint64_t)(int64_t)(int32_t)b;
			}
			break;
		}
		unsigned at = n; /* the jcc */
		code[n++] = (uint8_t)(0x70 + cc), code[n++] = 1;
		code[n++] = 0xcc, code[n++] = 0xcc;
		load(code, n);
		v->regs[GPR_RBX] = v->regs[GPR_RAX] = a;
		v->regs[GPR_RCX] = b;
		run_to_int3();

		bool taken = cc == 5 ? (a & m) != (b & m) : (a & m) <= (b & m);
		assert_int_equal(v->rip, CODE + at + 3 + taken);
		assert_int_equal(v->rflags & FL_STATUS, cmp_flags(a, b, sz));
		assert_int_equal(v->regs[GPR_RBX], a);
		assert_int_equal(v->regs[GPR_RCX], b);
		/* It ran fused: the block's cmp has the fused handler. */
		struct sc_block *blk = block_of(CODE);
		struct sc_insn cmp;
		assert_non_null(blk);
		assert_int_equal(sc_decode(code, n, 8, &cmp), SC_DEC_OK);
		assert_non_null(sc_cmp_jcc_form(&cmp, &blk->insn[1]));
		assert_ptr_equal(blk->insn[0].fn,
				 sc_cmp_jcc_form(&cmp, &blk->insn[1]));
	}
}

/*
 * A self-loop: a block whose jcc jumps back to its own first byte
 * (compiled code's innermost loops; softcpu.h's sc_chain_self).  The
 * builder links it to itself (cache.c's sc_block_link), and a taken jcc
 * there only counts the block's instructions and runs its first record
 * again.  block_self() says the block at gpa is such a block, so that
 * the tests below test that path (they would pass through the run loop
 * too).
 */
static void assert_self_linked(uint64_t gpa)
{
	struct sc_block *b = block_of(gpa);

	assert_non_null(b);
	assert_true(b->threaded);
	assert_ptr_equal(b->taken, b);
}

/*
 * Two self-loops, one ending in cmp and jne (the fused form,
 * branch.c's cmp_jcc), one in sub and jne (jcc_5 alone):
 * self_fused:
 * 00: add rcx, 1                48 83 c1 01
 * 04: add rdx, rcx              48 01 ca
 * 07: cmp rcx, 1000             48 81 f9 e8 03 00 00
 * 0e: jne 00                    75 f0
 * 10: int3                      cc
 * self_plain (from rcx = 1000 down):
 * 00: add rdx, rcx              48 01 ca
 * 03: sub rcx, 1                48 83 e9 01
 * 07: jne 00                    75 f7
 * 09: int3                      cc
 */
static const uint8_t self_fused[] = {
	0x48, 0x83, 0xc1, 0x01, 0x48, 0x01, 0xca,
	0x48, 0x81, 0xf9, 0xe8, 0x03, 0x00, 0x00, 0x75, 0xf0, 0xcc,
};
static const uint8_t self_plain[] = {
	0x48, 0x01, 0xca, 0x48, 0x83, 0xe9, 0x01, 0x75, 0xf7, 0xcc,
};

/* A deadline at each instruction of the 300th iteration of a self-loop,
 * deep in a chain that went round it hundreds of times: the run stops
 * after exactly that many instructions, with RIP and the registers of
 * that point; the rest of the loop then runs to its end. */
static void test_chain_self_deadline(void **state)
{
	static const uint64_t fused_at[4] = { 0x0, 0x4, 0x7, 0xe };
	static const uint64_t plain_at[3] = { 0x0, 0x3, 0x7 };
	(void)state;

	load(self_fused, sizeof(self_fused));
	for (unsigned j = 0; j < 4; j++) {
		v->rip = CODE;
		v->regs[GPR_RCX] = v->regs[GPR_RDX] = 0;
		uint64_t start = v->instructions;
		run_until(start, 4 * 300 + j);
		assert_int_equal(v->rip, CODE + fused_at[j]);
		assert_int_equal(v->regs[GPR_RCX], 300 + (j > 0));
		assert_int_equal(v->regs[GPR_RDX],
				 300 * 301 / 2 + (j > 1 ? 301 : 0));
		run_to_int3();
		assert_int_equal(v->instructions - start, 4 * 1000 + 1);
		assert_int_equal(v->rip, CODE + 0x11); /* after the int3 */
		assert_int_equal(v->regs[GPR_RDX], 1000 * 1001 / 2);
		assert_self_linked(CODE);
	}

	load(self_plain, sizeof(self_plain));
	for (unsigned j = 0; j < 3; j++) {
		v->rip = CODE;
		v->regs[GPR_RCX] = 1000;
		v->regs[GPR_RDX] = 0;
		uint64_t start = v->instructions;
		run_until(start, 3 * 300 + j);
		assert_int_equal(v->rip, CODE + plain_at[j]);
		assert_int_equal(v->regs[GPR_RCX], 700 - (j > 1));
		assert_int_equal(v->regs[GPR_RDX],
				 (1000 * 1001 - 700 * 701) / 2 +
				 (j > 0 ? 700 : 0));
		run_to_int3();
		assert_int_equal(v->instructions - start, 3 * 1000 + 1);
		assert_int_equal(v->rip, CODE + 0xa); /* after the int3 */
		assert_int_equal(v->regs[GPR_RDX], 1000 * 1001 / 2);
		assert_self_linked(CODE);
	}
}

/*
 * A self-loop of 3 million instructions: it spans hundreds of the run
 * loop's slices (SC_SLICE, 4,096 instructions, which its 3-instruction
 * iterations do not divide), so that the budget ends the chain at every
 * point of an iteration in turn: the count and the sum come out exact,
 * and the chain in force at its end was allowed no further than its
 * slice's end.
 */
static void test_chain_self_depth(void **state)
{
	struct sc_cpu *c = vm.engine_data;
	(void)state;

	load(self_plain, sizeof(self_plain));
	v->regs[GPR_RCX] = 1 << 20;
	v->regs[GPR_RDX] = 0;
	uint64_t start = v->instructions;
	run_to_int3();
	assert_int_equal(v->instructions - start, 3 * (1 << 20) + 1);
	assert_int_equal(v->regs[GPR_RDX], (1ULL << 20) * ((1 << 20) + 1) / 2);
	assert_self_linked(CODE);
	assert_true(c->climit <= v->instructions + SC_SLICE);
}

/*
 * A self-loop that rewrites its own code from its 300th iteration on:
 * each iteration stores the counter's low byte at rbp - ((rcx + rdi) &
 * rsi), which is DATA + 3 while rcx + rdi (rdi = 2^20 - 300) has bit 20
 * clear and then CODE + 3, the immediate of the add at the loop's start.
 * Until then the loop goes round its self-link; from then on the store
 * drops the page's code and stops the chain (code_written), and the next
 * iteration must add what the one before stored (an imm8, sign-extended),
 * not the old 1.
 * 00: add rdx, 1                48 83 c2 01   (imm8 at 03)
 * 04: add rcx, 1                48 83 c1 01
 * 08: lea rbx, [rcx + rdi]      48 8d 1c 39
 * 0c: and rbx, rsi              48 21 f3     (rsi = 2^20)
 * 0f: mov rax, rbp              48 89 e8     (rbp = DATA + 3)
 * 12: sub rax, rbx              48 29 d8
 * 15: mov [rax], cl             88 08
 * 17: cmp rcx, 1000             48 81 f9 e8 03 00 00
 * 1e: jne 00                    75 e0
 * 20: int3                      cc
 */
static void test_chain_self_rewrites(void **state)
{
	static const uint8_t code[] = {
		0x48, 0x83, 0xc2, 0x01, 0x48, 0x83, 0xc1, 0x01,
		0x48, 0x8d, 0x1c, 0x39, 0x48, 0x21, 0xf3, 0x48, 0x89, 0xe8,
		0x48, 0x29, 0xd8, 0x88, 0x08,
		0x48, 0x81, 0xf9, 0xe8, 0x03, 0x00, 0x00, 0x75, 0xe0, 0xcc,
	};
	uint64_t sum = 300; /* iterations 1 to 300 add 1 */
	(void)state;

	for (uint64_t i = 301; i <= 1000; i++)
		sum += (uint64_t)(int8_t)(i - 1); /* what iteration i - 1
						     stored, sign-extended */
	for (int i = 0; i < 3; i++) { /* load() puts the 1 back */
		load(code, sizeof(code));
		v->regs[GPR_RCX] = v->regs[GPR_RDX] = 0;
		v->regs[GPR_RDI] = (1ULL << 20) - 300;
		v->regs[GPR_RSI] = 1ULL << 20;
		v->regs[GPR_RBP] = DATA + 3;
		assert_int_equal(CODE + 3, DATA + 3 - (1ULL << 20));
		uint64_t start = v->instructions;
		/* Half way to the rewrite: on the self-link. */
		vm.insn_deadline = start + 9 * 200 + 4;
		struct vm_exit x = run();
		assert_int_equal(x.reason, EXIT_INTERRUPT);
		assert_int_equal(v->rip, CODE + 0xf);
		assert_self_linked(CODE);
		vm.insn_deadline = UINT64_MAX;
		run_to_int3();
		assert_int_equal(v->regs[GPR_RDX], sum);
		assert_int_equal(v->regs[GPR_RCX], 1000);
		assert_int_equal(v->rip, CODE + 0x21); /* after the int3 */
		assert_int_equal(v->instructions - start, 1000 * 9 + 1);
	}
}

/*
 * A fault on the 300th iteration of a self-loop: its own RIP, the count
 * of what retired before it, nothing of it done.  The store's address is
 * DATA plus the counter's low byte while rcx + rdi (rdi = 2^63 - 300)
 * has bit 63 clear, and not canonical from rcx = 300 on.
 * 00: add rcx, 1                48 83 c1 01
 * 04: lea rbx, [rcx + rdi]      48 8d 1c 39
 * 08: and rbx, rsi              48 21 f3     (rsi = 2^63 | 0xff)
 * 0b: add rbx, rbp              48 01 eb     (rbp = DATA)
 * 0e: mov [rbx], cl             88 0b        (#GP at rcx = 300)
 * 10: cmp rcx, 1000             48 81 f9 e8 03 00 00
 * 17: jne 00                    75 e7
 * 19: int3                      cc
 */
static void test_chain_self_fault(void **state)
{
	static const uint8_t code[] = {
		0x48, 0x83, 0xc1, 0x01, 0x48, 0x8d, 0x1c, 0x39,
		0x48, 0x21, 0xf3, 0x48, 0x01, 0xeb, 0x88, 0x0b,
		0x48, 0x81, 0xf9, 0xe8, 0x03, 0x00, 0x00, 0x75, 0xe7, 0xcc,
	};
	(void)state;

	load(code, sizeof(code));
	for (int i = 0; i < 3; i++) { /* decoded, then from its block */
		uint8_t byte;
		v->rip = CODE;
		v->regs[GPR_RCX] = 0;
		v->regs[GPR_RDI] = (1ULL << 63) - 300;
		v->regs[GPR_RSI] = 1ULL << 63 | 0xff;
		v->regs[GPR_RBP] = DATA;
		uint64_t start = v->instructions;
		struct vm_exit x = run();
		assert_int_equal(x.reason, EXIT_EXCEPTION);
		assert_int_equal(x.exc.vector, T_GP);
		assert_int_equal(x.rip, CODE + 0xe);
		assert_int_equal(v->rip, CODE + 0xe);
		assert_int_equal(v->instructions - start, 299 * 7 + 4);
		assert_int_equal(v->regs[GPR_RCX], 300);
		assert_int_equal(v->regs[GPR_RBX], 1ULL << 63 | DATA);
		/* iteration 299's store: at DATA + 0xff, its counter */
		assert_int_equal(gm_read(&vm.mem, DATA + 0xff, &byte, 1), 0);
		assert_int_equal(byte, 299 % 256);
		assert_self_linked(CODE);
	}
}

/*
 * A self-loop's slot built anew for another block, while another block's
 * taken pointer leads into it: the self-link goes with the slot, and so
 * does the other block's pointer (cache.c's block_unlink, which must not
 * lose the second when it undoes the first).  The block table is
 * direct-mapped by (tag ^ tag >> 12) & (SC_NBLOCKS - 1), so the block at
 * CODE + 0x1011 takes the slot of the block at CODE + 0x10.  Its code
 * adds 100 to rdx: the jcc at 08 still pointing into the slot would run
 * it in the second loop.
 * 00: add rcx, 1                48 83 c1 01
 * 04: cmp rcx, 0                48 83 f9 00
 * 08: jne 10                    75 06        (always: into the loop)
 * 0a: int3 x6                   cc ...
 * 10: add rdx, 1                48 83 c2 01
 * 14: cmp rdx, 100              48 83 fa 64
 * 18: jne 10                    75 f6        (the self-loop)
 * 1a: xor edx, edx              31 d2
 * 1c: cmp rcx, 5                48 83 f9 05
 * 20: jne 00                    75 de
 * 22: int3                      cc
 */
static void test_chain_self_slot_reused(void **state)
{
	static const uint8_t code[] = {
		0x48, 0x83, 0xc1, 0x01, 0x48, 0x83, 0xf9, 0x00, 0x75, 0x06,
		0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc,
		0x48, 0x83, 0xc2, 0x01, 0x48, 0x83, 0xfa, 0x64, 0x75, 0xf6,
		0x31, 0xd2, 0x48, 0x83, 0xf9, 0x05, 0x75, 0xde, 0xcc,
	};
	static const uint8_t other[] = { 0x48, 0x83, 0xc2, 0x64, 0xcc };
	const uint64_t at = CODE + 0x1011;
	(void)state;

	load(code, sizeof(code));
	for (int i = 0; i < 2; i++) {
		v->rip = CODE;
		v->regs[GPR_RCX] = v->regs[GPR_RDX] = 0;
		uint64_t start = v->instructions;
		run_to_int3();
		assert_int_equal(v->instructions - start, 5 * (3 + 3 * 100 + 3) + 1);
		assert_int_equal(v->rip, CODE + 0x23); /* after the int3 */
		assert_int_equal(v->regs[GPR_RCX], 5);
		assert_int_equal(v->regs[GPR_RDX], 0);
		struct sc_block *b = block_of(CODE + 0x10);
		assert_self_linked(CODE + 0x10);
		assert_ptr_equal(block_of(CODE)->taken, b);
		assert_ptr_equal(block_of(CODE + 0x1a)->taken, block_of(CODE));

		/* The other block into b's slot: b is gone, and with it
		 * the pointer into it. */
		assert_int_equal(vm_write_phys(&vm, at, other, sizeof(other)),
				 0);
		v->rip = at;
		v->regs[GPR_RDX] = 0;
		run_to_int3();
		assert_int_equal(v->regs[GPR_RDX], 100);
		assert_ptr_equal(block_of(at), b);
		assert_ptr_equal(b->taken, NULL);
		assert_null(block_of(CODE + 0x10));
		assert_null(block_of(CODE)->taken);
	}
}

/*
 * Dead flags (cache.c's block_dead_flags): a register form of add, or,
 * and, sub, xor or cmp whose flags a later one of its block overwrites,
 * with only register moves and lea between, stores no lazy state.
 * Everywhere else its flags must stay visible: to a reader between the
 * two, to the frame of a fault between them, past adc, sbb, inc and dec
 * (which are no killers), at a deadline or a single step that stops
 * between them (the one-instruction path, the cache's records).
 */
#define ADD_ONES_ONE (FL_CF | FL_ZF | FL_PF | FL_AF) /* ~0 + 1 at 64 bits */

/* The handler sc_decode gives the first instruction of code. */
static struct sc_insn decoded(const uint8_t *code, size_t n)
{
	struct sc_insn d;

	assert_int_equal(sc_decode(code, n, 8, &d), SC_DEC_OK);
	return d;
}

/* run_once, filling the shadow for the code's own page. */
static struct vm_exit run_once_code(void)
{
	for (;;) {
		struct vm_exit x = run_once();
		if (x.reason == EXIT_EXCEPTION && x.exc.vector == T_PF &&
		    x.exc.address >> PAGE_4K_SHIFT == CODE >> PAGE_4K_SHIFT) {
			assert_int_equal(shadowpt_fault(&vm, x.exc.address,
							x.exc.error),
					 SHADOW_FILLED);
			continue;
		}
		return x;
	}
}

/*
 * 00: add rax, rbx              48 01 d8   (dead: the cmp sets them all)
 * 03: mov rcx, rax              48 89 c1
 * 06: cmp rcx, rbx              48 39 d9   (dead: the sub sets them all)
 * 09: lea rdx, [rax + 1]        48 8d 50 01
 * 0d: sub rsi, rbx              48 29 de   (seen: the block ends)
 * 10: int3                      cc
 */
static const uint8_t dead_code[] = {
	0x48, 0x01, 0xd8, 0x48, 0x89, 0xc1, 0x48, 0x39, 0xd9,
	0x48, 0x8d, 0x50, 0x01, 0x48, 0x29, 0xde, 0xcc,
};

static void dead_regs(void)
{
	v->rip = CODE;
	v->regs[GPR_RAX] = ~0ULL;
	v->regs[GPR_RBX] = 1;
	v->regs[GPR_RCX] = v->regs[GPR_RDX] = 7;
	v->regs[GPR_RSI] = 5;
	v->rflags = FL_FIXED1 | FL_SF | FL_OF; /* none of them the answer */
}

static void test_dead_flags_unseen(void **state)
{
	struct sc_insn add = decoded(dead_code, sizeof(dead_code));
	struct sc_insn cmp = decoded(dead_code + 6, sizeof(dead_code) - 6);
	struct sc_insn sub = decoded(dead_code + 13, sizeof(dead_code) - 13);
	(void)state;

	load(dead_code, sizeof(dead_code));
	for (int i = 0; i < 3; i++) { /* decoded, then from the block */
		dead_regs();
		uint64_t start = v->instructions;
		run_to_int3();
		assert_int_equal(v->regs[GPR_RAX], 0);
		assert_int_equal(v->regs[GPR_RCX], 0);
		assert_int_equal(v->regs[GPR_RDX], 1);
		assert_int_equal(v->regs[GPR_RSI], 4);
		assert_int_equal(v->rflags & FL_STATUS, 0); /* 5 - 1: sub's */
		assert_int_equal(v->rip, CODE + sizeof(dead_code));
		assert_int_equal(v->instructions - start, 6);
	}
	/* The mechanism is in place: add and cmp have dead-flag forms,
	 * the sub before the int3 does not. */
	struct sc_block *b = block_of(CODE);
	assert_non_null(b);
	assert_non_null(sc_alu_dead_form(&add));
	assert_ptr_equal(b->insn[0].fn, sc_alu_dead_form(&add));
	assert_ptr_equal(b->insn[2].fn, sc_alu_dead_form(&cmp));
	assert_ptr_equal(b->insn[4].fn, sub.fn);
}

/* A deadline or a single step between the add and the cmp, with the
 * block built: they run the cache's records, and see add's flags. */
static void test_dead_flags_stop_between(void **state)
{
	(void)state;

	load(dead_code, sizeof(dead_code));
	dead_regs();
	run_to_int3();
	assert_non_null(block_of(CODE));
	for (unsigned k = 1; k <= 3; k++) {
		dead_regs();
		uint64_t start = v->instructions;
		vm.insn_deadline = start + k;
		struct vm_exit x = run();
		vm.insn_deadline = UINT64_MAX;
		assert_int_equal(x.reason, EXIT_INTERRUPT);
		assert_int_equal(v->instructions - start, k);
		/* after add and mov: add's; after cmp 0, 1: cmp's */
		assert_int_equal(v->rflags & FL_STATUS,
				 k < 3 ? ADD_ONES_ONE
				       : FL_CF | FL_SF | FL_PF | FL_AF);
	}
	dead_regs();
	vm.single_step = true;
	struct vm_exit x = run_once();
	vm.single_step = false;
	assert_int_equal(x.reason, EXIT_INTERRUPT);
	assert_int_equal(v->rip, CODE + 3);
	assert_int_equal(v->rflags & FL_STATUS, ADD_ONES_ONE);
	/* and from there on, the rest runs to the sub's flags */
	run_to_int3();
	assert_int_equal(v->rflags & FL_STATUS, 0);
}

/*
 * Where the add's flags are seen before another sets them all, its
 * record keeps the lazy state: each snippet is "add rax, rbx" (~0 + 1:
 * CF, ZF, PF, AF), then what sees them, then an int3.
 */
static void test_dead_flags_seen(void **state)
{
	static const struct {
		uint8_t code[12];
		uint8_t n;
		uint8_t reg;      /* the register that shows them... */
		uint64_t want;    /* ...and its value */
		uint64_t flags;   /* the status flags at the int3 */
	} cases[] = {
		/* setc cl; sub rsi, rbx: the reader between */
		{ { 0x48, 0x01, 0xd8, 0x0f, 0x92, 0xc1, 0x48, 0x29, 0xde,
		    0xcc }, 10, GPR_RCX, 1, 0 },
		/* adc rdx, 0: sets them all, but reads CF first */
		{ { 0x48, 0x01, 0xd8, 0x48, 0x83, 0xd2, 0x00, 0xcc }, 8,
		  GPR_RDX, 8, 0 },
		/* sbb rdx, 0; sub rsi, rbx: likewise */
		{ { 0x48, 0x01, 0xd8, 0x48, 0x83, 0xda, 0x00, 0x48, 0x29,
		    0xde, 0xcc }, 11, GPR_RDX, 6, 0 },
		/* inc rcx: keeps CF (7 + 1 = 8: one bit, PF clear) */
		{ { 0x48, 0x01, 0xd8, 0x48, 0xff, 0xc1, 0xcc }, 7,
		  GPR_RCX, 8, FL_CF },
		/* dec rcx: keeps CF (7 - 1 = 6: two bits, PF) */
		{ { 0x48, 0x01, 0xd8, 0x48, 0xff, 0xc9, 0xcc }, 7,
		  GPR_RCX, 6, FL_CF | FL_PF },
		/* mov rcx, rax: the block's end sees them */
		{ { 0x48, 0x01, 0xd8, 0x48, 0x89, 0xc1, 0xcc }, 7,
		  GPR_RCX, 0, ADD_ONES_ONE },
	};
	(void)state;

	for (size_t k = 0; k < sizeof(cases) / sizeof(*cases); k++) {
		struct sc_insn add = decoded(cases[k].code, cases[k].n);
		load(cases[k].code, cases[k].n);
		for (int i = 0; i < 3; i++) {
			dead_regs();
			run_to_int3();
			assert_int_equal(v->regs[cases[k].reg], cases[k].want);
			assert_int_equal(v->rflags & FL_STATUS, cases[k].flags);
		}
		assert_non_null(block_of(CODE));
		assert_ptr_equal(block_of(CODE)->insn[0].fn, add.fn);
	}
}

/*
 * A store between the add and the sub that sets them all again, which
 * faults (#PF: the shadow does not map DATA yet): the exception's frame
 * gets the add's flags, so the add must have stored them.
 * 00: add rax, rbx              48 01 d8
 * 03: mov [rdi], al             88 07      (a flat fast form: may fault)
 * 05: sub rsi, rbx              48 29 de
 * 08: int3                      cc
 */
static void test_dead_flags_fault_between(void **state)
{
	static const uint8_t code[] = {
		0x48, 0x01, 0xd8, 0x88, 0x07, 0x48, 0x29, 0xde, 0xcc,
	};
	struct sc_insn add = decoded(code, sizeof(code));
	(void)state;

	load(code, sizeof(code));
	dead_regs();
	v->regs[GPR_RDI] = DATA + 0x10;
	struct vm_exit x = run_once_code();
	assert_int_equal(x.reason, EXIT_EXCEPTION);
	assert_int_equal(x.exc.vector, T_PF);
	assert_int_equal(x.exc.address, DATA + 0x10);
	assert_int_equal(x.rip, CODE + 3);
	assert_int_equal(v->rip, CODE + 3);
	assert_int_equal(v->regs[GPR_RAX], 0);
	assert_int_equal(v->rflags & FL_STATUS, ADD_ONES_ONE);
	/* It ran from its block, whose add kept its flags. */
	assert_non_null(block_of(CODE));
	assert_ptr_equal(block_of(CODE)->insn[0].fn, add.fn);
	assert_int_equal(shadowpt_fault(&vm, x.exc.address, x.exc.error),
			 SHADOW_FILLED);
	run_to_int3();
	assert_int_equal(v->rflags & FL_STATUS, 0);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
#define TS(fn) cmocka_unit_test_setup_teardown(fn, setup_strict, teardown)
	const struct CMUnitTest tests[] = {
		T(test_add_flags),
		T(test_sub_adc_sbb_flags),
		T(test_shift_rotate),
		T(test_mul_div),
		T(test_rep_movs_stos_df),
		T(test_rep_fault_midway),
		T(test_bios_area_is_rom),
		T(test_cmpxchg_xadd),
		T(test_push_pop_call_ret),
		T(test_enter_restartable),
		T(test_noncanonical),
		T(test_pf_error_codes),
		T(test_tlb_flush),
		T(test_code_page_kept_between_runs),
		T(test_page_crossing),
		T(test_self_modifying_code),
		T(test_block_smc_same_block),
		T(test_fast_forms),
		T(test_block_deadline_and_fault),
		T(test_chain_store_into_successor),
		T(test_chain_rewritten_between_runs),
		T(test_chain_deadline),
		T(test_chain_fault_in_second_block),
		T(test_chain_store_in_threaded_block),
		T(test_chain_cross_deadline),
		T(test_chain_cross_depth),
		T(test_chain_cross_store),
		T(test_chain_cross_fault),
		T(test_chain_cross_riprel),
		T(test_call_ret_chain),
		T(test_ret_two_callers),
		T(test_call_ret_general),
		T(test_incdec_reg_forms),
		T(test_push_pop_mov_test_forms),
		T(test_flat_shapes),
		T(test_flat_byte_registers),
		T(test_privileged_gp),
		T(test_traps_and_ud),
		T(test_pushf_x86),
		TS(test_pushf_strict),
		T(test_hw_features),
		T(test_sensitive_x86),
		T(test_user_selector),
		T(test_trap_flag),
		T(test_retired_count),
		T(test_kick),
		T(test_kick_endless_loop),
		T(test_breakpoint),
		T(test_watchpoint),
		T(test_native_diff),
		T(test_code32_decoding),
		T(test_code32_stack),
		T(test_code16),
		T(test_segment_faults),
		T(test_segment_loads32),
		T(test_far_transfers),
		T(test_icache_code_size),
		T(test_legacy_opcodes),
		T(test_interrupts32),
		T(test_sensitive32_x86),
		TS(test_sensitive32_strict),
		T(test_real_mode_refused),
		T(test_mmio),
		T(test_decode_lengths32),
		T(test_random_code32),
		T(test_chain_taken_slot_reused),
		T(test_cmp_jcc_fused),
		T(test_chain_self_deadline),
		T(test_chain_self_depth),
		T(test_chain_self_rewrites),
		T(test_chain_self_fault),
		T(test_chain_self_slot_reused),
		T(test_dead_flags_unseen),
		T(test_dead_flags_stop_between),
		T(test_dead_flags_seen),
		T(test_dead_flags_fault_between),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
