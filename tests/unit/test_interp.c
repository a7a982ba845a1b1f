/*
 * tests/unit/test_interp.c - the interpreter routines and exception
 * delivery, one instruction at a time.
 *
 * Each test boots a small VM (vm_create + boot_setup: identity map, CPL 0),
 * lays out a GDT, IDT and TSS of its own in guest RAM, decodes real
 * instruction bytes with isa_decode_bytes, runs the routine interp_lookup
 * gives, and checks the vCPU, guest memory and the devices.
 */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "interp/interp.h"
#include "isa/arch.h"
#include "isa/decode.h"
#include "isa/x86.h"
#include "monitor/boot.h"
#include "monitor/loader.h"
#include "core/vm.h"
#include "devices/devices.h"
#include "monitor/machine.h"
#include "shadowpt/shadowpt.h"

/* ------------------------------------------------------------ the machine */

#define CODE 0x100000ULL      /* RIP of every test instruction */
#define GDT 0x10000ULL
#define IDT 0x11000ULL
#define TSS 0x12000ULL        /* and its I/O bit map after 0x68 */
#define LDT 0x15000ULL
#define DATA 0x20000ULL
#define USER_STACK 0x40000ULL
#define KSTACK 0x50000ULL
#define IST1_TOP 0x60008ULL   /* deliberately not 16-byte aligned */
#define RSP0_TOP 0x70000ULL
#define HANDLER 0x180000ULL   /* handler of vector v: HANDLER + v * 0x10 */
#define UNMAPPED 0x8000000000ULL /* PML4[1]: not present */

#define SEL_KCODE 0x08
#define SEL_KDATA 0x10
#define SEL_UDATA 0x18
#define SEL_UCODE 0x20
#define SEL_TSS 0x28
#define SEL_LDT 0x38
#define SEL_NP_DATA 0x48      /* a data segment marked not present */
#define GDT_LIMIT 0x4f

#define TSS_LIMIT (0x68 + 0x2000)

static struct vm *vm;
static int uart[2]; /* the UART writes to uart[1]; tests read uart[0] */

static uint8_t *phys(uint64_t gpa, uint64_t len)
{
	uint8_t *p = gm_ptr(&vm->mem, gpa, len);

	assert_non_null(p);
	return p;
}

static uint64_t peek64(uint64_t gpa)
{
	uint64_t v;

	memcpy(&v, phys(gpa, 8), 8);
	return v;
}

static void poke64(uint64_t gpa, uint64_t v)
{
	memcpy(phys(gpa, 8), &v, 8);
}

static void poke16(uint64_t gpa, uint16_t v)
{
	memcpy(phys(gpa, 2), &v, 2);
}

static void poke32(uint64_t gpa, uint32_t v)
{
	memcpy(phys(gpa, 4), &v, 4);
}

static uint32_t peek32(uint64_t gpa)
{
	uint32_t v;

	memcpy(&v, phys(gpa, 4), 4);
	return v;
}

static uint16_t peek16(uint64_t gpa)
{
	uint16_t v;

	memcpy(&v, phys(gpa, 2), 2);
	return v;
}

/* A 16-byte system descriptor (TSS or LDT) at GDT slot sel. */
static void gdt_system(uint16_t sel, uint64_t base, uint32_t limit,
		       unsigned type)
{
	uint64_t lo = (limit & 0xffff) | ((base & 0xffffff) << 16) |
		      ((uint64_t)type << DESC_TYPE_SHIFT) | DESC_P |
		      ((uint64_t)((limit >> 16) & 0xf) << 48) |
		      (((base >> 24) & 0xff) << 56);

	poke64(GDT + sel, lo);
	poke64(GDT + sel + 8, base >> 32);
}

/* Vector v's gate: handler HANDLER + v * 0x10 in selector sel. */
static void set_gate(unsigned v, uint16_t sel, unsigned type, unsigned dpl,
		     unsigned ist, bool present)
{
	uint64_t off = HANDLER + v * 0x10;
	uint64_t lo = (off & 0xffff) | ((uint64_t)sel << 16) |
		      ((uint64_t)ist << 32) |
		      ((uint64_t)type << DESC_TYPE_SHIFT) |
		      ((uint64_t)dpl << DESC_DPL_SHIFT) |
		      (present ? DESC_P : 0) | ((off >> 16 & 0xffff) << 48);

	poke64(IDT + v * 16, lo);
	poke64(IDT + v * 16 + 8, off >> 32);
}

/* Let user mode touch all of the identity map (set U at every level). */
static void identity_map_user(void)
{
	poke64(BOOT_PML4, peek64(BOOT_PML4) | PTE_U);
	for (unsigned i = 0; i < 4; i++) {
		poke64(BOOT_PDPT + i * 8, peek64(BOOT_PDPT + i * 8) | PTE_U);
		for (unsigned j = 0; j < PT_ENTRIES; j++) {
			uint64_t pde = BOOT_PD + i * PAGE_4K + j * 8;

			poke64(pde, peek64(pde) | PTE_U);
		}
	}
	shadowpt_flush_all(vm);
}

static void set_cpl(unsigned cpl)
{
	vm->vcpu.cpl = (uint8_t)cpl;
	vm->vcpu.seg[SEG_CS].selector = cpl ? SEL_UCODE | 3 : SEL_KCODE;
	vm->vcpu.seg[SEG_SS].selector = cpl ? SEL_UDATA | 3 : SEL_KDATA;
	shadowpt_switch_view(vm);
}

/* The GDT, IDT (every gate a DPL-0 interrupt gate) and TSS of the tests. */
static void build_tables(void)
{
	struct vcpu *v = &vm->vcpu;

	poke64(GDT + 0x00, 0);
	poke64(GDT + SEL_KCODE, 0x00af9b000000ffffULL);
	poke64(GDT + SEL_KDATA, 0x00cf93000000ffffULL);
	poke64(GDT + SEL_UDATA, 0x00cff3000000ffffULL);
	poke64(GDT + SEL_UCODE, 0x00affb000000ffffULL);
	gdt_system(SEL_TSS, TSS, TSS_LIMIT, DESC_SYS_TSS_AVAIL);
	gdt_system(SEL_LDT, LDT, 0xf, DESC_SYS_LDT);
	poke64(GDT + SEL_NP_DATA, 0x00cf13000000ffffULL);
	v->gdtr = (struct vcpu_dtable){ GDT, GDT_LIMIT };

	for (unsigned i = 0; i < 256; i++)
		set_gate(i, SEL_KCODE, DESC_SYS_INT_GATE, 0, 0, true);
	v->idtr = (struct vcpu_dtable){ IDT, 256 * 16 - 1 };

	memset(phys(TSS, TSS_LIMIT + 1), 0xff, TSS_LIMIT + 1);
	memset(phys(TSS, 0x68), 0, 0x68);
	poke64(TSS + TSS_RSP0, RSP0_TOP);
	poke64(TSS + TSS_IST1, IST1_TOP);
	poke16(TSS + TSS_IOMAP_BASE, 0x68);
	*phys(TSS + 0x68 + 0x80 / 8, 1) &= (uint8_t)~1; /* port 0x80 open */
	v->tr = (struct vcpu_segment){ SEL_TSS, TSS, TSS_LIMIT,
				       DESC_SYS_TSS_BUSY |
				       (DESC_P >> DESC_TYPE_SHIFT) };
	v->rip = CODE;
	v->regs[GPR_RSP] = KSTACK;
}

static int setup(void **state)
{
	struct vm_options opt = { .mem_mib = 16, .engine = "softcpu",
				  .isa = ISA_STRICT };
	char why[128];

	(void)state;
	assert_int_equal(pipe(uart), 0);
	fcntl(uart[0], F_SETFL, O_NONBLOCK);
	vm = calloc(1, sizeof(*vm));
	assert_non_null(vm);
	assert_int_equal(vm_create(vm, &opt, uart[1], why, sizeof(why)), 0);
	boot_setup(vm, CODE, "");
	build_tables();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	vm_destroy(vm);
	free(vm);
	close(uart[0]);
	close(uart[1]);
	return 0;
}

/* ------------------------------------------------ running instructions */

static struct insn last;

/* Decode bytes at the current RIP, in the code size of the vCPU's mode,
 * and run their routine. */
static void run(const uint8_t *bytes, size_t len)
{
	assert_int_equal(isa_decode_bytes_mode(bytes, len, vm->vcpu.rip,
					       cpu_code_size(&vm->vcpu) * 8,
					       &last), DECODE_OK);
	interp_fn *fn = interp_lookup(&last);

	assert_non_null(fn);
	fn(vm, &last);
}

#define RUN(...)                                                     \
	do {                                                         \
		static const uint8_t b_[] = { __VA_ARGS__ };         \
		run(b_, sizeof(b_));                                 \
	} while (0)

/* The instruction completed: no exception, RIP past it. */
static void expect_done(void)
{
	if (vm->vcpu.exception.pending)
		print_error("unexpected exception %u (%#x) from %s %s\n",
			    vm->vcpu.exception.vector,
			    vm->vcpu.exception.error, last.mnemonic,
			    last.op_str);
	else if (vm->vcpu.rip != last.rip + last.size)
		print_error("%s %s: completed, but RIP is %#llx, not past it\n",
			    last.mnemonic, last.op_str,
			    (unsigned long long)vm->vcpu.rip);
	assert_false(vm->vcpu.exception.pending);
	assert_int_equal(vm->vcpu.rip, last.rip + last.size);
	vm->vcpu.rip = CODE;
}

/* The instruction faulted with vector (error): RIP still on it.  A
 * failure names the instruction and what it did instead. */
static void expect_fault(uint8_t vector, int error)
{
	const struct vcpu *v = &vm->vcpu;

	if (!v->exception.pending)
		print_error("%s %s: expected exception %u, but it completed "
			    "(rip %#llx)\n", last.mnemonic, last.op_str, vector,
			    (unsigned long long)v->rip);
	else if (v->exception.vector != vector ||
		 (error >= 0 && (!v->exception.has_error ||
				 v->exception.error != (uint32_t)error)))
		print_error("%s %s: expected exception %u (error %d), got "
			    "%u (error %#x)\n", last.mnemonic, last.op_str,
			    vector, error, v->exception.vector,
			    v->exception.has_error ? v->exception.error : 0);
	else if (v->rip != last.rip)
		print_error("%s %s: faulted, but RIP moved to %#llx\n",
			    last.mnemonic, last.op_str,
			    (unsigned long long)v->rip);
	assert_true(vm->vcpu.exception.pending);
	assert_int_equal(vm->vcpu.exception.vector, vector);
	if (error >= 0) {
		assert_true(vm->vcpu.exception.has_error);
		assert_int_equal(vm->vcpu.exception.error, (uint32_t)error);
	} else {
		assert_false(vm->vcpu.exception.has_error);
	}
	assert_int_equal(vm->vcpu.rip, last.rip);
	vm->vcpu.exception.pending = false;
}

static size_t uart_output(char *buf, size_t len)
{
	ns16550a_flush(&vm->dev->com1); /* a pipe is block-buffered */
	ssize_t n = read(uart[0], buf, len);

	return n < 0 ? 0 : (size_t)n;
}

/* --------------------------------------------------------------- table */

static void test_lookup(void **state)
{
	static const uint8_t mov_rr[] = { 0x48, 0x89, 0xd8 }; /* mov rax,rbx */
	static const uint8_t push_rax[] = { 0x50 };
	static const uint8_t mov_cr3[] = { 0x0f, 0x22, 0xd8 };
	static const uint8_t push_fs[] = { 0x0f, 0xa0 };
	struct insn in;

	(void)state;
	assert_int_equal(isa_decode_bytes(mov_rr, 3, CODE, &in), DECODE_OK);
	assert_null(interp_lookup(&in));
	assert_int_equal(isa_decode_bytes(push_rax, 1, CODE, &in), DECODE_OK);
	assert_null(interp_lookup(&in));
	assert_int_equal(isa_decode_bytes(mov_cr3, 3, CODE, &in), DECODE_OK);
	assert_non_null(interp_lookup(&in));
	assert_int_equal(isa_decode_bytes(push_fs, 2, CODE, &in), DECODE_OK);
	assert_non_null(interp_lookup(&in));
}

/* --------------------------------------------------------------- flags */

static void test_cli_sti(void **state)
{
	struct vcpu *v = &vm->vcpu;

	(void)state;
	v->rflags |= FL_IF;
	RUN(0xfa); /* cli */
	expect_done();
	assert_false(v->rflags & FL_IF);
	RUN(0xfb); /* sti */
	expect_done();
	assert_true(v->rflags & FL_IF);
	if (!v->interrupt_shadow)
		print_error("sti with IF clear: no interrupt shadow, so an "
			    "interrupt pending now would come before the next "
			    "instruction (sti; hlt would sleep for ever)\n");
	assert_true(v->interrupt_shadow);

	identity_map_user();
	set_cpl(3); /* IOPL 0 < CPL 3 */
	RUN(0xfa);
	expect_fault(T_GP, 0);
	assert_true(v->rflags & FL_IF);
	v->rflags |= FL_IOPL_MASK; /* IOPL 3: allowed */
	RUN(0xfa);
	expect_done();
	assert_false(v->rflags & FL_IF);
}

static void test_pushf_popf(void **state)
{
	struct vcpu *v = &vm->vcpu;

	(void)state;
	v->rflags = FL_FIXED1 | FL_IF | FL_RF | FL_CF;
	RUN(0x9c); /* pushfq */
	expect_done();
	assert_int_equal(v->regs[GPR_RSP], KSTACK - 8);
	assert_int_equal(peek64(KSTACK - 8), FL_FIXED1 | FL_IF | FL_CF);

	/* CPL 0: popf sets IOPL and clears IF. */
	poke64(KSTACK - 8, FL_FIXED1 | FL_IOPL_MASK | FL_ZF);
	RUN(0x9d); /* popfq */
	expect_done();
	assert_int_equal(v->rflags, FL_FIXED1 | FL_IOPL_MASK | FL_ZF);

	/* CPL 3, IOPL 0: changes to IF and IOPL vanish, no fault. */
	identity_map_user();
	set_cpl(3);
	v->rflags = FL_FIXED1 | FL_IF;
	v->regs[GPR_RSP] = USER_STACK - 8;
	poke64(USER_STACK - 8, FL_FIXED1 | FL_IOPL_MASK | FL_CF);
	RUN(0x9d);
	expect_done();
	assert_int_equal(v->rflags, FL_FIXED1 | FL_IF | FL_CF);
	assert_int_equal(v->regs[GPR_RSP], USER_STACK);

	/* A user push to a supervisor page: #PF, RSP unchanged. */
	set_cpl(0);
	poke64(BOOT_PD, peek64(BOOT_PD) & ~PTE_U); /* first 2 MiB */
	shadowpt_flush_all(vm);
	set_cpl(3);
	RUN(0x9c);
	expect_fault(T_PF, PFEC_P | PFEC_W | PFEC_U);
	assert_int_equal(v->cr2, USER_STACK - 8);
	assert_int_equal(v->regs[GPR_RSP], USER_STACK);
}

/* ------------------------------------------------------------------ io */

static void test_out_uart_and_in_unassigned(void **state)
{
	struct vcpu *v = &vm->vcpu;
	char buf[8];

	(void)state;
	v->regs[GPR_RDX] = 0x3f8;
	v->regs[GPR_RAX] = 'H';
	RUN(0xee); /* out dx, al */
	expect_done();
	assert_int_equal(uart_output(buf, sizeof(buf)), 1);
	assert_int_equal(buf[0], 'H');

	v->regs[GPR_RDX] = 0x1234; /* nothing answers there */
	v->regs[GPR_RAX] = 0x1122334455667700ULL;
	RUN(0xec); /* in al, dx: only AL changes */
	expect_done();
	assert_int_equal(v->regs[GPR_RAX], 0x11223344556677ffULL);
	RUN(0x66, 0xed); /* in ax, dx */
	expect_done();
	assert_int_equal(v->regs[GPR_RAX], 0x112233445566ffffULL);
	RUN(0xed); /* in eax, dx: zero-extends into RAX */
	expect_done();
	assert_int_equal(v->regs[GPR_RAX], 0xffffffffULL);
	RUN(0xe4, 0x99); /* in al, 0x99: nothing there either */
	expect_done();
	assert_int_equal(v->regs[GPR_RAX], 0xffffffffULL);
}

static void test_out_debug_exit(void **state)
{
	(void)state;
	vm->vcpu.regs[GPR_RAX] = 0x21;
	RUN(0xe6, PORT_ISA_DEBUG_EXIT); /* out 0xf4, al */
	expect_done();
	assert_true(vm->stopped);
	assert_int_equal(vm->exit_status, 0x21);
}

static void test_io_permission_bitmap(void **state)
{
	struct vcpu *v = &vm->vcpu;

	(void)state;
	identity_map_user();
	set_cpl(3);
	v->regs[GPR_RAX] = 0;
	RUN(0xe6, 0x80); /* out 0x80, al: its bit is clear in the map */
	expect_done();
	RUN(0xe6, 0x81); /* out 0x81, al: refused */
	expect_fault(T_GP, 0);
	RUN(0x66, 0xe7, 0x7f); /* out 0x7f, ax: 0x7f refused, 0x80 open */
	expect_fault(T_GP, 0);
	v->tr.limit = 0x67; /* no map at all: every port refused */
	RUN(0xe6, 0x80);
	expect_fault(T_GP, 0);
	v->rflags |= FL_IOPL_MASK; /* IOPL 3: the map is not consulted */
	RUN(0xe6, 0x80);
	expect_done();
}

static void test_rep_outs_ins(void **state)
{
	struct vcpu *v = &vm->vcpu;
	char buf[16];

	(void)state;
	memcpy(phys(DATA, 5), "hello", 5);
	v->regs[GPR_RSI] = DATA;
	v->regs[GPR_RCX] = 5;
	v->regs[GPR_RDX] = 0x3f8;
	RUN(0xf3, 0x6e); /* rep outsb */
	expect_done();
	assert_int_equal(uart_output(buf, sizeof(buf)), 5);
	assert_memory_equal(buf, "hello", 5);
	assert_int_equal(v->regs[GPR_RCX], 0);
	assert_int_equal(v->regs[GPR_RSI], DATA + 5);

	/* rep insw downwards (DF = 1) from a port nothing answers. */
	memset(phys(DATA, 16), 0, 16);
	v->rflags |= FL_DF;
	v->regs[GPR_RDX] = 0x1234;
	v->regs[GPR_RDI] = DATA + 6;
	v->regs[GPR_RCX] = 3;
	RUN(0xf3, 0x66, 0x6d); /* rep insw */
	expect_done();
	assert_int_equal(v->regs[GPR_RDI], DATA);
	assert_int_equal(v->regs[GPR_RCX], 0);
	assert_int_equal(peek64(DATA), 0xffffffffffff0000ULL); /* 2..7 */
	assert_int_equal(peek64(DATA + 8), 0);

	/* GNU as puts the operand-size prefix first: 66 f3 6d is still
	 * rep insw (two bytes an element), though Capstone 4 calls it insd. */
	memset(phys(DATA, 16), 0, 16);
	v->rflags &= ~FL_DF;
	v->regs[GPR_RDI] = DATA;
	v->regs[GPR_RCX] = 3;
	RUN(0x66, 0xf3, 0x6d); /* rep insw */
	expect_done();
	assert_int_equal(v->regs[GPR_RDI], DATA + 6);
	assert_int_equal(peek64(DATA), 0x0000ffffffffffffULL);
	memcpy(phys(DATA, 4), "abcd", 4);
	v->regs[GPR_RSI] = DATA;
	v->regs[GPR_RCX] = 1;
	v->regs[GPR_RDX] = 0x3f8;
	RUN(0x66, 0xf3, 0x6f); /* rep outsw: a word, split over THR, IER */
	expect_done();
	assert_int_equal(v->regs[GPR_RSI], DATA + 2);
	assert_int_equal(uart_output(buf, sizeof(buf)), 1);
	assert_int_equal(buf[0], 'a');
	{ uint32_t z = 0; devices_io(vm, 0x3f9, 1, false, &z); } /* IER off */
	v->regs[GPR_RDX] = 0x1234;

	/* A fault stops the loop; RIP stays, RCX and RDI say how far. */
	poke64(BOOT_PD + 2 * 8, 0); /* 0x400000..0x5fffff not present */
	shadowpt_flush_all(vm);
	v->rflags &= ~FL_DF;
	v->regs[GPR_RDI] = 0x400000 - 2;
	v->regs[GPR_RCX] = 4;
	RUN(0xf3, 0x6c); /* rep insb */
	expect_fault(T_PF, PFEC_W);
	assert_int_equal(v->regs[GPR_RCX], 2);
	assert_int_equal(v->regs[GPR_RDI], 0x400000);
	assert_int_equal(v->cr2, 0x400000);
	assert_int_equal(*phys(0x400000 - 1, 1), 0xff);
}

/*
 * A rep outs to isa-debug-exit stops the guest: the loop must stop with
 * it, at the element that stopped it (RCX counted down for that one only),
 * and leave RIP on the instruction; the elements after it never reach
 * their port.
 */
static void test_rep_outs_stops_at_exit(void **state)
{
	struct vcpu *v = &vm->vcpu;

	(void)state;
	memcpy(phys(DATA, 3), "\x21\x22\x23", 3);
	v->regs[GPR_RSI] = DATA;
	v->regs[GPR_RCX] = 3;
	v->regs[GPR_RDX] = PORT_ISA_DEBUG_EXIT;
	RUN(0xf3, 0x6e); /* rep outsb */
	assert_true(vm->stopped);
	if (vm->exit_status != 0x21 || v->regs[GPR_RCX] != 2)
		print_error("rep outsb to isa-debug-exit (RCX 3): the loop "
			    "went on after the guest stopped: status %#x, RCX "
			    "%llu (expected 0x21 and 2)\n", vm->exit_status,
			    (unsigned long long)v->regs[GPR_RCX]);
	assert_int_equal(vm->exit_status, 0x21);
	assert_int_equal(v->regs[GPR_RCX], 2);
	assert_int_equal(v->regs[GPR_RSI], DATA + 1);
	assert_int_equal(v->rip, last.rip);
}

/* ------------------------------------------------------------------ cr */

static void test_mov_cr(void **state)
{
	struct vcpu *v = &vm->vcpu;

	(void)state;
	RUN(0x0f, 0x20, 0xc0); /* mov rax, cr0 */
	expect_done();
	assert_int_equal(v->regs[GPR_RAX], v->cr0);

	v->regs[GPR_RAX] = v->cr0 & ~CR0_PG; /* paging off in long mode */
	RUN(0x0f, 0x22, 0xc0); /* mov cr0, rax */
	expect_fault(T_GP, 0);
	v->regs[GPR_RAX] = v->cr0 | CR0_NW; /* NW without CD */
	RUN(0x0f, 0x22, 0xc0);
	expect_fault(T_GP, 0);
	v->regs[GPR_RAX] = v->cr0 | CR0_TS;
	RUN(0x0f, 0x22, 0xc0);
	expect_done();
	assert_true(v->cr0 & CR0_TS);
	RUN(0x0f, 0x06); /* clts */
	expect_done();
	assert_false(v->cr0 & CR0_TS);

	v->regs[GPR_RAX] = 1ULL << 40; /* above MAXPHYADDR */
	RUN(0x0f, 0x22, 0xd8); /* mov cr3, rax */
	expect_fault(T_GP, 0);
	v->regs[GPR_RAX] = BOOT_PML4;
	RUN(0x0f, 0x22, 0xd8);
	expect_done();

	v->regs[GPR_RAX] = CR4_PAE | CR4_FSGSBASE; /* not in this CPU */
	RUN(0x0f, 0x22, 0xe0); /* mov cr4, rax */
	expect_fault(T_GP, 0);
	v->regs[GPR_RAX] = CR4_PGE; /* PAE off in long mode */
	RUN(0x0f, 0x22, 0xe0);
	expect_fault(T_GP, 0);
	v->regs[GPR_RAX] = CR4_PAE | CR4_PGE;
	RUN(0x0f, 0x22, 0xe0);
	expect_done();
	assert_int_equal(v->cr4, CR4_PAE | CR4_PGE);

	v->regs[GPR_RAX] = 0x1f;
	RUN(0x44, 0x0f, 0x22, 0xc0); /* mov cr8, rax */
	expect_fault(T_GP, 0);
	v->regs[GPR_RAX] = 0x5;
	RUN(0x44, 0x0f, 0x22, 0xc0);
	expect_done();
	RUN(0x44, 0x0f, 0x20, 0xc1); /* mov rcx, cr8 */
	expect_done();
	assert_int_equal(v->regs[GPR_RCX], 5);

	identity_map_user();
	set_cpl(3);
	RUN(0x0f, 0x20, 0xd8); /* mov rax, cr3 */
	expect_fault(T_GP, 0);
}

/*
 * CR1, CR5-CR7 and CR9-CR15 do not exist: #UD, even at CPL 3, where every
 * CR that exists is #GP(0).  The SDM's MOV CR checks the register before
 * the privilege; a routine that checks CPL first gives user code #GP(0).
 */
static void test_mov_cr_ud_before_cpl(void **state)
{
	static const struct { uint8_t b[4]; size_t n; const char *what; } ud[] = {
		{ { 0x0f, 0x20, 0xc8 }, 3, "mov rax, cr1" },
		{ { 0x0f, 0x22, 0xe8 }, 3, "mov cr5, rax" },
		{ { 0x0f, 0x20, 0xf8 }, 3, "mov rax, cr7" },
		{ { 0x44, 0x0f, 0x22, 0xc8 }, 4, "mov cr9, rax" },
	};

	(void)state;
	for (unsigned cpl = 0; cpl <= 3; cpl += 3) {
		if (cpl == 3) {
			identity_map_user();
			set_cpl(3);
		}
		for (size_t i = 0; i < sizeof(ud) / sizeof(ud[0]); i++) {
			run(ud[i].b, ud[i].n);
			if (!vm->vcpu.exception.pending ||
			    vm->vcpu.exception.vector != T_UD)
				print_error("%s at CPL %u: must be #UD (the "
					    "register is checked before the "
					    "privilege)\n", ud[i].what, cpl);
			expect_fault(T_UD, -1);
		}
	}
}

static void test_mov_dr_smsw_lmsw(void **state)
{
	struct vcpu *v = &vm->vcpu;

	(void)state;
	RUN(0x0f, 0x21, 0xf8); /* mov rax, dr7 */
	expect_done();
	assert_int_equal(v->regs[GPR_RAX], DR7_FIXED1);
	v->regs[GPR_RAX] = 1ULL << 32;
	RUN(0x0f, 0x23, 0xf8); /* mov dr7, rax: bits 63:32 reserved */
	expect_fault(T_GP, 0);
	v->regs[GPR_RAX] = 0xdead0000;
	RUN(0x0f, 0x23, 0xc0); /* mov dr0, rax */
	expect_done();
	assert_int_equal(v->dr[0], 0xdead0000);

	v->regs[GPR_RAX] = ~0ULL;
	RUN(0x0f, 0x01, 0xe0); /* smsw eax */
	expect_done();
	assert_int_equal(v->regs[GPR_RAX], (uint32_t)v->cr0);

	v->regs[GPR_RAX] = CR0_MP; /* tries to clear PE: it stays */
	RUN(0x0f, 0x01, 0xf0); /* lmsw ax */
	expect_done();
	assert_true(v->cr0 & CR0_PE);
	assert_true(v->cr0 & CR0_MP);
	assert_true(v->cr0 & CR0_PG);
}

/* ---------------------------------------------------------------- desc */

static void test_lgdt_sgdt_lidt(void **state)
{
	struct vcpu *v = &vm->vcpu;
	uint8_t pd[10];

	(void)state;
	poke16(DATA, 0x27);
	poke64(DATA + 2, 0xffff800000001000ULL);
	v->regs[GPR_RAX] = DATA;
	RUN(0x0f, 0x01, 0x18); /* lidt [rax] */
	expect_done();
	assert_int_equal(v->idtr.base, 0xffff800000001000ULL);
	assert_int_equal(v->idtr.limit, 0x27);

	poke64(DATA + 2, 0x0000900000000000ULL); /* not canonical */
	RUN(0x0f, 0x01, 0x10); /* lgdt [rax] */
	expect_fault(T_GP, 0);
	assert_int_equal(v->gdtr.base, GDT);

	v->regs[GPR_RAX] = DATA + 0x100;
	RUN(0x0f, 0x01, 0x00); /* sgdt [rax] */
	expect_done();
	memcpy(pd, phys(DATA + 0x100, 10), 10);
	assert_int_equal(pd[0] | pd[1] << 8, GDT_LIMIT);
	assert_int_equal(peek64(DATA + 0x102), GDT);

	identity_map_user();
	set_cpl(3);
	v->regs[GPR_RAX] = DATA;
	RUN(0x0f, 0x01, 0x18); /* lidt at CPL 3 */
	expect_fault(T_GP, 0);
	v->regs[GPR_RAX] = DATA + 0x200;
	RUN(0x0f, 0x01, 0x08); /* sidt [rax]: allowed at CPL 3 (no UMIP) */
	expect_done();
	assert_int_equal(peek64(DATA + 0x202), 0xffff800000001000ULL);
}

static void test_ltr_lldt_str_sldt(void **state)
{
	struct vcpu *v = &vm->vcpu;

	(void)state;
	v->tr = (struct vcpu_segment){ 0 };
	v->regs[GPR_RAX] = SEL_KDATA;
	RUN(0x0f, 0x00, 0xd8); /* ltr ax: not a TSS */
	expect_fault(T_GP, SEL_KDATA);
	v->regs[GPR_RAX] = SEL_TSS;
	RUN(0x0f, 0x00, 0xd8);
	expect_done();
	assert_int_equal(v->tr.base, TSS);
	assert_int_equal(v->tr.limit, TSS_LIMIT);
	assert_int_equal((peek64(GDT + SEL_TSS) >> DESC_TYPE_SHIFT) & 0xf,
			 DESC_SYS_TSS_BUSY);
	RUN(0x0f, 0x00, 0xd8); /* now busy: #GP(sel) */
	expect_fault(T_GP, SEL_TSS);

	v->regs[GPR_RAX] = SEL_LDT;
	RUN(0x0f, 0x00, 0xd0); /* lldt ax */
	expect_done();
	assert_int_equal(v->ldtr.base, LDT);
	assert_int_equal(v->ldtr.limit, 0xf);

	v->regs[GPR_RCX] = ~0ULL;
	RUN(0x48, 0x0f, 0x00, 0xc9); /* str rcx */
	expect_done();
	assert_int_equal(v->regs[GPR_RCX], SEL_TSS);
	RUN(0x0f, 0x00, 0xc1); /* sldt ecx */
	expect_done();
	assert_int_equal(v->regs[GPR_RCX], SEL_LDT);

	v->regs[GPR_RAX] = SEL_NP_DATA | 4; /* TI set: #GP(sel) */
	RUN(0x0f, 0x00, 0xd0);
	expect_fault(T_GP, SEL_NP_DATA | 4);
}

static void test_lar_lsl_verr_verw(void **state)
{
	struct vcpu *v = &vm->vcpu;

	(void)state;
	identity_map_user();
	set_cpl(3);
	v->regs[GPR_RCX] = SEL_UCODE | 3;
	RUN(0x0f, 0x02, 0xc1); /* lar eax, ecx */
	expect_done();
	assert_true(v->rflags & FL_ZF);
	assert_int_equal(v->regs[GPR_RAX], 0x00a0fb00);
	RUN(0x48, 0x0f, 0x03, 0xc1); /* lsl rax, rcx */
	expect_done();
	assert_int_equal(v->regs[GPR_RAX], 0xffffffff);

	/* A DPL-0 segment is invisible at CPL 3: ZF = 0, RAX kept. */
	v->regs[GPR_RCX] = SEL_KCODE;
	v->regs[GPR_RAX] = 0x1234;
	RUN(0x0f, 0x02, 0xc1);
	expect_done();
	assert_false(v->rflags & FL_ZF);
	assert_int_equal(v->regs[GPR_RAX], 0x1234);

	v->regs[GPR_RAX] = SEL_UDATA | 3;
	RUN(0x0f, 0x00, 0xe8); /* verw ax: writable user data */
	expect_done();
	assert_true(v->rflags & FL_ZF);
	v->regs[GPR_RAX] = SEL_UCODE | 3;
	RUN(0x0f, 0x00, 0xe8); /* verw: code is never writable */
	expect_done();
	assert_false(v->rflags & FL_ZF);
	RUN(0x0f, 0x00, 0xe0); /* verr: readable code */
	expect_done();
	assert_true(v->rflags & FL_ZF);
	v->regs[GPR_RAX] = 0x400; /* beyond the GDT limit */
	RUN(0x0f, 0x00, 0xe0);
	expect_done();
	assert_false(v->rflags & FL_ZF);

	set_cpl(0); /* the TSS is visible to the kernel: lsl gives its limit */
	v->regs[GPR_RCX] = SEL_TSS;
	RUN(0x0f, 0x03, 0xc1); /* lsl eax, ecx */
	expect_done();
	assert_true(v->rflags & FL_ZF);
	assert_int_equal(v->regs[GPR_RAX], TSS_LIMIT);
}

/* ----------------------------------------------------------------- msr */

static void wrmsr(uint32_t msr, uint64_t val)
{
	vm->vcpu.regs[GPR_RCX] = msr;
	vm->vcpu.regs[GPR_RAX] = (uint32_t)val;
	vm->vcpu.regs[GPR_RDX] = val >> 32;
	RUN(0x0f, 0x30);
}

static uint64_t rdmsr(uint32_t msr)
{
	vm->vcpu.regs[GPR_RCX] = msr;
	RUN(0x0f, 0x32);
	return (vm->vcpu.regs[GPR_RDX] << 32) | (uint32_t)vm->vcpu.regs[GPR_RAX];
}

static void test_msr(void **state)
{
	struct vcpu *v = &vm->vcpu;
	uint64_t t;

	(void)state;
	rdmsr(0x12345678);
	expect_fault(T_GP, 0);
	wrmsr(0x12345678, 0);
	expect_fault(T_GP, 0);

	wrmsr(MSR_LSTAR, 0x0000800000000000ULL); /* not canonical */
	expect_fault(T_GP, 0);
	wrmsr(MSR_LSTAR, 0xffffffff81000000ULL);
	expect_done();
	assert_int_equal(rdmsr(MSR_LSTAR), 0xffffffff81000000ULL);
	expect_done();

	wrmsr(MSR_EFER, v->efer | (1ULL << 20)); /* reserved bit */
	expect_fault(T_GP, 0);
	wrmsr(MSR_EFER, v->efer & ~EFER_LME); /* LME off with paging on */
	expect_fault(T_GP, 0);
	wrmsr(MSR_EFER, (v->efer & ~EFER_SCE) & ~EFER_LMA); /* LMA ignored */
	expect_done();
	assert_int_equal(v->efer, EFER_LME | EFER_LMA | EFER_NXE);

	wrmsr(MSR_IA32_PAT, 0x0007040600070402ULL); /* type 2 is reserved */
	expect_fault(T_GP, 0);
	wrmsr(MSR_IA32_PAT, 0x0007010600070406ULL);
	expect_done();
	assert_int_equal(v->pat, 0x0007010600070406ULL);

	wrmsr(MSR_IA32_TSC, 1000000);
	expect_done();
	t = rdmsr(MSR_IA32_TSC);
	expect_done();
	assert_true(t >= 1000000 && t < 1000000 + (1ULL << 40));

	wrmsr(MSR_GS_BASE, 0x1000);
	expect_done();
	assert_int_equal(v->seg[SEG_GS].base, 0x1000);

	identity_map_user();
	set_cpl(3);
	rdmsr(MSR_EFER);
	expect_fault(T_GP, 0);
}

/*
 * rdmsr writes EAX and EDX, and in 64-bit mode a 32-bit register write
 * clears bits 63:32: the old upper halves of RAX and RDX must not survive.
 * wrmsr ignores them.
 */
static void test_rdmsr_zero_extends(void **state)
{
	struct vcpu *v = &vm->vcpu;

	(void)state;
	v->regs[GPR_RCX] = MSR_LSTAR;
	v->regs[GPR_RAX] = 0xaaaaaaaa81000000ULL;
	v->regs[GPR_RDX] = 0x55555555ffffffffULL;
	RUN(0x0f, 0x30); /* wrmsr: only EDX:EAX count */
	expect_done();
	assert_int_equal(v->lstar, 0xffffffff81000000ULL);
	v->regs[GPR_RAX] = 0xdeadbeef00000000ULL;
	v->regs[GPR_RDX] = 0xdeadbeef00000000ULL;
	RUN(0x0f, 0x32); /* rdmsr */
	expect_done();
	if (v->regs[GPR_RAX] != 0x81000000ULL ||
	    v->regs[GPR_RDX] != 0xffffffffULL)
		print_error("rdmsr of LSTAR: RAX %#llx, RDX %#llx; expected "
			    "0x81000000 and 0xffffffff (bits 63:32 of both "
			    "cleared)\n", (unsigned long long)v->regs[GPR_RAX],
			    (unsigned long long)v->regs[GPR_RDX]);
	assert_int_equal(v->regs[GPR_RAX], 0x81000000ULL);
	assert_int_equal(v->regs[GPR_RDX], 0xffffffffULL);
}

/* ------------------------------------------------ cpuid, time, xcr, hlt */

/*
 * The guest's own CR4.UMIP: the virtual CPU has UMIP only where the real
 * CPU under the guest traps sgdt & co. at CPL 3 (strict, x86 with the
 * umip feature); then user code (virtual CPL 3) gets #GP(0) and the
 * kernel does not.
 */
static void test_guest_umip(void **state)
{
	struct vcpu *v = &vm->vcpu;
	uint32_t out[4];

	(void)state;
	interp_cpuid_values(vm, 7, 0, out);          /* strict: has it */
	assert_true(out[2] & CPUID_7_ECX_UMIP);

	vm->opt.isa = ISA_X86;                       /* plain x86: not */
	interp_cpuid_values(vm, 7, 0, out);
	assert_false(out[2] & CPUID_7_ECX_UMIP);
	v->regs[GPR_RAX] = CR4_PAE | CR4_UMIP;
	RUN(0x0f, 0x22, 0xe0);                       /* mov cr4, rax */
	expect_fault(T_GP, 0);

	vm->opt.isa_hw = ISA_HW_UMIP;                /* x86,umip: has it */
	interp_cpuid_values(vm, 7, 0, out);
	assert_true(out[2] & CPUID_7_ECX_UMIP);
	RUN(0x0f, 0x22, 0xe0);
	expect_done();
	assert_int_equal(v->cr4, CR4_PAE | CR4_UMIP);
	v->regs[GPR_RAX] = DATA;
	RUN(0x0f, 0x01, 0x00);                       /* sgdt [rax] at CPL 0 */
	expect_done();
	RUN(0x0f, 0x01, 0xe0);                       /* smsw eax at CPL 0 */
	expect_done();

	identity_map_user();
	set_cpl(3);
	v->regs[GPR_RAX] = DATA;
	RUN(0x0f, 0x01, 0x08);                       /* sidt [rax] */
	expect_fault(T_GP, 0);
	RUN(0x0f, 0x00, 0xc8);                       /* str eax */
	expect_fault(T_GP, 0);
	RUN(0x0f, 0x01, 0xe0);                       /* smsw eax */
	expect_fault(T_GP, 0);
	vm->opt.isa = ISA_STRICT;
	vm->opt.isa_hw = 0;
}

static void test_cpuid(void **state)
{
	struct vcpu *v = &vm->vcpu;
	uint32_t out[4];
	char vendor[13] = { 0 };

	(void)state;
	v->regs[GPR_RAX] = 0;
	RUN(0x0f, 0xa2);
	expect_done();
	assert_int_equal(v->regs[GPR_RAX], 0xd);
	memcpy(vendor, &v->regs[GPR_RBX], 4);
	memcpy(vendor + 4, &v->regs[GPR_RDX], 4);
	memcpy(vendor + 8, &v->regs[GPR_RCX], 4);
	assert_string_equal(vendor, "TrapvisorVMM");

	interp_cpuid_values(vm, 1, 0, out);
	assert_false(out[2] & CPUID_1_ECX_OSXSAVE);
	assert_true(out[2] & CPUID_1_ECX_HYPERVISOR);
	assert_true(out[3] & CPUID_1_EDX_PAE);
	v->cr4 |= CR4_OSXSAVE;
	interp_cpuid_values(vm, 1, 0, out);
	assert_true(out[2] & CPUID_1_ECX_OSXSAVE);

	interp_cpuid_values(vm, 0x80000001, 0, out);
	assert_int_equal(out[3], CPUID_80000001_EDX_SYSCALL |
			 CPUID_80000001_EDX_NX | CPUID_80000001_EDX_PDPE1GB |
			 CPUID_80000001_EDX_LM);
	interp_cpuid_values(vm, 0x80000008, 0, out);
	assert_int_equal(out[0], 0x3027);
	interp_cpuid_values(vm, 0x40000000, 0, out);
	assert_int_equal(out[0], 0x40000000);
	assert_memory_equal(&out[1], "TrapvisorVMM", 12);
	interp_cpuid_values(vm, 0xe, 0, out); /* above the maximum */
	assert_int_equal(out[0] | out[1] | out[2] | out[3], 0);
	interp_cpuid_values(vm, 0x80000009, 0, out);
	assert_int_equal(out[0] | out[1] | out[2] | out[3], 0);
}

static void test_time(void **state)
{
	struct vcpu *v = &vm->vcpu;

	(void)state;
	v->regs[GPR_RDX] = ~0ULL;
	RUN(0x0f, 0x31); /* rdtsc */
	expect_done();
	assert_true(v->regs[GPR_RDX] <= 0xffffffffULL);
	RUN(0x0f, 0x33); /* rdpmc at CPL 0: no counters in this CPU */
	expect_fault(T_UD, -1);
	RUN(0x0f, 0x01, 0xf9); /* rdtscp: not in this CPU */
	expect_fault(T_UD, -1);
	RUN(0xf3, 0x0f, 0xc7, 0xf8); /* rdpid rax */
	expect_fault(T_UD, -1);

	identity_map_user();
	set_cpl(3);
	RUN(0x0f, 0x31);
	expect_done();
	v->cr4 |= CR4_TSD;
	RUN(0x0f, 0x31);
	expect_fault(T_GP, 0);
	RUN(0x0f, 0x33); /* rdpmc */
	expect_fault(T_GP, 0);
}

/*
 * Under --icount the guest's TSC counts virtual nanoseconds (interp/time.c):
 * rdtsc, rdmsr IA32_TSC and a wrmsr to it follow the instruction count, so
 * that a run repeats to the tick.
 */
static void test_time_icount(void **state)
{
	struct vcpu *v = &vm->vcpu;
	uint64_t saved = vm->clock.icount_ns, t;

	(void)state;
	vm->clock.icount_ns = 10;
	v->instructions = 1000;
	v->tsc_offset = 0;
	RUN(0x0f, 0x31); /* rdtsc */
	expect_done();
	t = (v->regs[GPR_RDX] << 32) | (uint32_t)v->regs[GPR_RAX];
	assert_int_equal(t, clock_now(vm)); /* "rdtsc: virtual ns" */
	wrmsr(MSR_IA32_TSC, 5000000);
	expect_done();
	v->instructions += 7;
	t = rdmsr(MSR_IA32_TSC);
	expect_done();
	assert_int_equal(t, 5000000 + 7 * 10); /* "IA32_TSC: set, then 7 insns" */
	vm->clock.icount_ns = saved;
	v->tsc_offset = 0;
}

static void test_xcr(void **state)
{
	struct vcpu *v = &vm->vcpu;

	(void)state;
	v->regs[GPR_RCX] = 0;
	RUN(0x0f, 0x01, 0xd0); /* xgetbv without CR4.OSXSAVE */
	expect_fault(T_UD, -1);
	v->cr4 |= CR4_OSXSAVE;
	RUN(0x0f, 0x01, 0xd0);
	expect_done();
	assert_int_equal(v->regs[GPR_RAX], XCR0_X87);
	v->regs[GPR_RAX] = XCR0_SSE; /* without x87 */
	v->regs[GPR_RDX] = 0;
	RUN(0x0f, 0x01, 0xd1); /* xsetbv */
	expect_fault(T_GP, 0);
	v->regs[GPR_RAX] = XCR0_X87 | XCR0_SSE;
	RUN(0x0f, 0x01, 0xd1);
	expect_done();
	RUN(0x0f, 0x01, 0xd0);
	expect_done();
	assert_int_equal(v->regs[GPR_RAX], XCR0_X87 | XCR0_SSE);
	v->regs[GPR_RCX] = 1;
	RUN(0x0f, 0x01, 0xd0);
	expect_fault(T_GP, 0);
}

static void test_hlt_invlpg_wbinvd(void **state)
{
	(void)state;
	RUN(0xf4); /* hlt */
	expect_done();
	assert_true(vm->vcpu.halted);
	vm->vcpu.regs[GPR_RAX] = DATA;
	RUN(0x0f, 0x01, 0x38); /* invlpg [rax] */
	expect_done();
	RUN(0x0f, 0x09); /* wbinvd */
	expect_done();

	vm->vcpu.halted = false;
	identity_map_user();
	set_cpl(3);
	RUN(0xf4);
	expect_fault(T_GP, 0);
	assert_false(vm->vcpu.halted);
	RUN(0x0f, 0x01, 0x38);
	expect_fault(T_GP, 0);
	RUN(0x0f, 0x08); /* invd */
	expect_fault(T_GP, 0);
}

/* ----------------------------------------------------------------- seg */

static void test_segments(void **state)
{
	struct vcpu *v = &vm->vcpu;

	(void)state;
	v->regs[GPR_RAX] = SEL_UDATA | 3;
	RUN(0x8e, 0xd8); /* mov ds, eax: DPL 3 data at CPL 0 is fine */
	expect_done();
	assert_int_equal(v->seg[SEG_DS].selector, SEL_UDATA | 3);
	assert_true(peek64(GDT + SEL_UDATA) & (1ULL << DESC_TYPE_SHIFT));
	RUN(0x8e, 0xd0); /* mov ss, eax: RPL 3 != CPL 0 */
	expect_fault(T_GP, SEL_UDATA);
	v->regs[GPR_RAX] = SEL_NP_DATA;
	RUN(0x8e, 0xc0); /* mov es, eax: not present */
	expect_fault(T_NP, SEL_NP_DATA);
	v->regs[GPR_RAX] = SEL_KCODE;
	RUN(0x8e, 0xe0); /* mov fs, eax: code, readable: allowed */
	expect_done();

	v->regs[GPR_RAX] = ~0ULL;
	RUN(0x48, 0x8c, 0xd8); /* mov rax, ds */
	expect_done();
	assert_int_equal(v->regs[GPR_RAX], SEL_UDATA | 3);

	v->seg[SEG_GS].base = 0x1111;
	v->kernel_gs_base = 0x2222;
	RUN(0x0f, 0x01, 0xf8); /* swapgs */
	expect_done();
	assert_int_equal(v->seg[SEG_GS].base, 0x2222);
	assert_int_equal(v->kernel_gs_base, 0x1111);

	RUN(0x0f, 0xa0); /* push fs */
	expect_done();
	assert_int_equal(peek64(KSTACK - 8), SEL_KCODE);
	poke64(KSTACK - 8, 0); /* a null GS is allowed */
	RUN(0x0f, 0xa9); /* pop gs */
	expect_done();
	assert_int_equal(v->regs[GPR_RSP], KSTACK);
	assert_int_equal(v->seg[SEG_GS].selector, 0);
	assert_int_equal(v->seg[SEG_GS].base, 0x2222); /* base survives */

	RUN(0xf3, 0x48, 0x0f, 0xae, 0xc0); /* rdfsbase rax: no FSGSBASE */
	expect_fault(T_UD, -1);
	v->cr4 |= CR4_FSGSBASE; /* as if the CPU had it */
	v->regs[GPR_RAX] = 0x0000800000000000ULL;
	RUN(0xf3, 0x48, 0x0f, 0xae, 0xd0); /* wrfsbase rax: not canonical */
	expect_fault(T_GP, 0);
	v->regs[GPR_RAX] = 0x7000;
	RUN(0xf3, 0x48, 0x0f, 0xae, 0xd0);
	expect_done();
	assert_int_equal(v->seg[SEG_FS].base, 0x7000);

	identity_map_user();
	set_cpl(3);
	RUN(0x0f, 0x01, 0xf8); /* swapgs at CPL 3 */
	expect_fault(T_GP, 0);
	v->regs[GPR_RAX] = SEL_KDATA;
	RUN(0x8e, 0xd8); /* mov ds, eax: DPL 0 < CPL 3 */
	expect_fault(T_GP, SEL_KDATA);
}

/* ------------------------------------------------------------ delivery */

/* The frame at rsp: error code (when has_error), RIP, CS, RFLAGS, RSP, SS */
static void expect_frame(uint64_t rsp, bool has_error, uint64_t err,
			 uint64_t rip, uint64_t cs, uint64_t rflags,
			 uint64_t old_rsp, uint64_t ss)
{
	if (has_error) {
		assert_int_equal(peek64(rsp), err);
		rsp += 8;
	}
	assert_int_equal(peek64(rsp), rip);
	assert_int_equal(peek64(rsp + 8), cs);
	assert_int_equal(peek64(rsp + 16), rflags);
	assert_int_equal(peek64(rsp + 24), old_rsp);
	assert_int_equal(peek64(rsp + 32), ss);
}

static void test_deliver_same_level(void **state)
{
	struct vcpu *v = &vm->vcpu;

	(void)state;
	v->rflags = FL_FIXED1 | FL_IF | FL_TF;
	v->regs[GPR_RSP] = KSTACK - 8; /* aligned down to KSTACK - 16 */
	vcpu_raise_error(v, T_GP, 0x10);
	interp_deliver(vm);
	assert_false(v->exception.pending);
	assert_int_equal(v->rip, HANDLER + T_GP * 0x10);
	assert_int_equal(v->regs[GPR_RSP], KSTACK - 16 - 48);
	/* A fault pushes RF = 1; the handler runs with IF, TF clear. */
	expect_frame(v->regs[GPR_RSP], true, 0x10, CODE, SEL_KCODE,
		     FL_FIXED1 | FL_IF | FL_TF | FL_RF, KSTACK - 8, SEL_KDATA);
	assert_int_equal(v->rflags, FL_FIXED1);
	assert_int_equal(v->cpl, 0);
	assert_int_equal(v->seg[SEG_CS].selector, SEL_KCODE);
	assert_int_equal(v->seg[SEG_SS].selector, SEL_KDATA);

	/* A trap gate keeps IF; #BP (a trap) pushes no error, no RF. */
	set_gate(T_BP, SEL_KCODE, DESC_SYS_TRAP_GATE, 0, 0, true);
	v->rflags = FL_FIXED1 | FL_IF;
	v->regs[GPR_RSP] = KSTACK;
	v->rip = CODE + 1;
	vcpu_raise(v, T_BP);
	interp_deliver(vm);
	assert_int_equal(v->rip, HANDLER + T_BP * 0x10);
	assert_int_equal(v->regs[GPR_RSP], KSTACK - 40);
	expect_frame(KSTACK - 40, false, 0, CODE + 1, SEL_KCODE,
		     FL_FIXED1 | FL_IF, KSTACK, SEL_KDATA);
	assert_true(v->rflags & FL_IF);
}

static void test_deliver_from_user_and_ist(void **state)
{
	struct vcpu *v = &vm->vcpu;

	(void)state;
	identity_map_user();
	set_cpl(3);
	v->rflags = FL_FIXED1 | FL_IF;
	v->regs[GPR_RSP] = USER_STACK - 4;
	v->cr2 = 0;
	vcpu_raise_error(v, T_GP, 0);
	interp_deliver(vm);
	/* The stack switched to TSS.RSP0. */
	assert_int_equal(v->cpl, 0);
	assert_int_equal(v->regs[GPR_RSP], RSP0_TOP - 48);
	expect_frame(RSP0_TOP - 48, true, 0, CODE, SEL_UCODE | 3,
		     FL_FIXED1 | FL_IF | FL_RF, USER_STACK - 4, SEL_UDATA | 3);
	assert_int_equal(v->seg[SEG_SS].selector, 0); /* null, RPL 0 */
	assert_int_equal(v->seg[SEG_CS].selector, SEL_KCODE);
	assert_false(v->rflags & FL_IF);

	/* An IST gate always switches, even at the same level. */
	set_gate(T_NMI, SEL_KCODE, DESC_SYS_INT_GATE, 0, 1, true);
	v->rip = CODE;
	vcpu_raise(v, T_NMI);
	interp_deliver(vm);
	assert_int_equal(v->regs[GPR_RSP], (IST1_TOP & ~0xfULL) - 40);
	assert_int_equal(v->rip, HANDLER + T_NMI * 0x10);
}

static void test_double_fault(void **state)
{
	struct vcpu *v = &vm->vcpu;

	(void)state;
	/* #GP's gate not present: #NP, contributory after #GP: #DF. */
	set_gate(T_GP, SEL_KCODE, DESC_SYS_INT_GATE, 0, 0, false);
	set_gate(T_DF, SEL_KCODE, DESC_SYS_INT_GATE, 0, 1, true);
	vcpu_raise_error(v, T_GP, 0);
	interp_deliver(vm);
	assert_false(vm->stopped);
	assert_int_equal(v->rip, HANDLER + T_DF * 0x10);
	assert_int_equal(v->regs[GPR_RSP], (IST1_TOP & ~0xfULL) - 48);
	assert_int_equal(peek64(v->regs[GPR_RSP]), 0); /* #DF's error */

	/* #PF, then #PF pushing the frame (stack unmapped): #DF. */
	v->rip = CODE;
	v->regs[GPR_RSP] = UNMAPPED + 0x100;
	vcpu_raise_error(v, T_PF, PFEC_W);
	interp_deliver(vm);
	assert_int_equal(v->rip, HANDLER + T_DF * 0x10);
	assert_int_equal(v->cr2, UNMAPPED + 0x100 - 48);

	/* A benign #BP, then a #PF pushing: the #PF is delivered alone. */
	v->rip = CODE;
	v->regs[GPR_RSP] = UNMAPPED + 0x100;
	set_gate(T_PF, SEL_KCODE, DESC_SYS_INT_GATE, 0, 1, true);
	vcpu_raise(v, T_BP);
	interp_deliver(vm);
	assert_int_equal(v->rip, HANDLER + T_PF * 0x10);
	assert_int_equal(peek64(v->regs[GPR_RSP]), PFEC_W);
}

/*
 * The vCPU shut down (a triple fault) after exactly the events whose
 * vectors are given, in order; the run loop, not the interpreter, stops
 * the VM.  Clears the shutdown for the next case.
 */
static void assert_chain(const uint8_t *vectors, unsigned n)
{
	struct vcpu_shutdown *sd = &vm->vcpu.shutdown;

	assert_true(sd->pending);
	assert_false(vm->stopped);
	assert_int_equal(sd->n, n);
	for (unsigned i = 0; i < n; i++)
		assert_int_equal(sd->ev[i].vector, vectors[i]);
	sd->pending = false;
}

static void test_triple_fault(void **state)
{
	struct vcpu *v = &vm->vcpu;
	struct vcpu_shutdown *sd = &v->shutdown;

	(void)state;
	v->idtr.limit = 0; /* every vector is beyond the IDT */
	v->rip = CODE;
	vcpu_raise(v, T_UD);
	interp_deliver(vm);
	/* #UD, then #GP(IDT 6, EXT) delivering it (served alone after a
	 * benign one), #GP(IDT 13, EXT) delivering that (contributory
	 * twice: #DF), and #GP(IDT 8, EXT) delivering the #DF. */
	assert_int_equal(sd->rip, CODE);
	assert_false(sd->ev[0].has_error);
	assert_int_equal(sd->ev[1].error, 6 * 8 + ERRC_IDT + ERRC_EXT);
	assert_int_equal(sd->ev[2].error, 13 * 8 + ERRC_IDT + ERRC_EXT);
	assert_int_equal(sd->ev[3].error, 0);
	assert_int_equal(sd->ev[4].error, 8 * 8 + ERRC_IDT + ERRC_EXT);
	assert_chain((const uint8_t[]){ T_UD, T_GP, T_GP, T_DF, T_GP }, 5);
}

/* -------------------------------------------------------- iret, syscall */

/* Lay out an iretq frame at rsp. */
static void iret_frame(uint64_t rsp, uint64_t rip, uint64_t cs,
		       uint64_t rflags, uint64_t old_rsp, uint64_t ss)
{
	poke64(rsp, rip);
	poke64(rsp + 8, cs);
	poke64(rsp + 16, rflags);
	poke64(rsp + 24, old_rsp);
	poke64(rsp + 32, ss);
}

static void test_iretq(void **state)
{
	struct vcpu *v = &vm->vcpu;

	(void)state;
	identity_map_user();
	/* To CPL 3: SS:RSP from the frame, DS (DPL 0) nulled. */
	iret_frame(KSTACK, 0x400000, SEL_UCODE | 3, FL_FIXED1 | FL_IF |
		   FL_IOPL_MASK, USER_STACK, SEL_UDATA | 3);
	RUN(0x48, 0xcf); /* iretq */
	assert_false(v->exception.pending);
	assert_int_equal(v->rip, 0x400000);
	assert_int_equal(v->cpl, 3);
	assert_int_equal(v->regs[GPR_RSP], USER_STACK);
	assert_int_equal(v->seg[SEG_CS].selector, SEL_UCODE | 3);
	assert_int_equal(v->seg[SEG_SS].selector, SEL_UDATA | 3);
	assert_int_equal(v->rflags, FL_FIXED1 | FL_IF | FL_IOPL_MASK);
	assert_int_equal(v->seg[SEG_DS].selector, 0);

	/* At CPL 3 an iretq to ring 0 is #GP(selector). */
	v->rip = CODE;
	iret_frame(USER_STACK, CODE, SEL_KCODE, FL_FIXED1, KSTACK, SEL_KDATA);
	RUN(0x48, 0xcf);
	expect_fault(T_GP, SEL_KCODE);

	/* Back at CPL 0: to the same level, with a null SS (RPL 0). */
	set_cpl(0);
	v->rflags = FL_FIXED1;
	v->regs[GPR_RSP] = KSTACK;
	iret_frame(KSTACK, 0x123456, SEL_KCODE, FL_FIXED1 | FL_CF,
		   KSTACK + 0x100, 0);
	RUN(0x48, 0xcf);
	assert_false(v->exception.pending);
	assert_int_equal(v->rip, 0x123456);
	assert_int_equal(v->cpl, 0);
	assert_int_equal(v->regs[GPR_RSP], KSTACK + 0x100);
	assert_int_equal(v->rflags, FL_FIXED1 | FL_CF);

	/* A non-canonical return RIP: #GP(0). */
	v->rip = CODE;
	v->regs[GPR_RSP] = KSTACK;
	iret_frame(KSTACK, 0x0000800000000000ULL, SEL_KCODE, FL_FIXED1,
		   KSTACK, SEL_KDATA);
	RUN(0x48, 0xcf);
	expect_fault(T_GP, 0);
}

static void test_deliver_then_iretq(void **state)
{
	struct vcpu *v = &vm->vcpu;

	(void)state;
	identity_map_user();
	set_cpl(3);
	v->rflags = FL_FIXED1 | FL_IF | FL_CF;
	v->regs[GPR_RSP] = USER_STACK;
	vcpu_raise(v, T_UD);
	interp_deliver(vm);
	assert_int_equal(v->cpl, 0);
	RUN(0x48, 0xcf); /* iretq from the handler */
	assert_false(v->exception.pending);
	assert_int_equal(v->cpl, 3);
	assert_int_equal(v->rip, CODE);
	assert_int_equal(v->regs[GPR_RSP], USER_STACK);
	assert_int_equal(v->rflags, FL_FIXED1 | FL_IF | FL_CF | FL_RF);
}

static void test_syscall_sysret(void **state)
{
	struct vcpu *v = &vm->vcpu;

	(void)state;
	identity_map_user();
	set_cpl(3);
	v->star = ((uint64_t)SEL_KDATA << 48) | ((uint64_t)SEL_KCODE << 32);
	v->lstar = 0xffffffff81000000ULL;
	v->sfmask = FL_IF | FL_DF;
	v->rflags = FL_FIXED1 | FL_IF | FL_DF | FL_CF;
	RUN(0x0f, 0x05); /* syscall */
	assert_false(v->exception.pending);
	assert_int_equal(v->cpl, 0);
	assert_int_equal(v->rip, 0xffffffff81000000ULL);
	assert_int_equal(v->regs[GPR_RCX], CODE + 2);
	assert_int_equal(v->regs[GPR_R11], FL_FIXED1 | FL_IF | FL_DF | FL_CF);
	assert_int_equal(v->rflags, FL_FIXED1 | FL_CF);
	assert_int_equal(v->seg[SEG_CS].selector, SEL_KCODE);
	assert_int_equal(v->seg[SEG_SS].selector, SEL_KDATA);

	v->rip = CODE;
	v->regs[GPR_RCX] = 0x0000800000000000ULL;
	RUN(0x48, 0x0f, 0x07); /* sysretq: non-canonical RCX, #GP at CPL 0 */
	expect_fault(T_GP, 0);
	assert_int_equal(v->cpl, 0);
	v->regs[GPR_RCX] = 0x400000;
	v->regs[GPR_R11] = FL_FIXED1 | FL_IF | FL_VM;
	RUN(0x48, 0x0f, 0x07);
	assert_false(v->exception.pending);
	assert_int_equal(v->cpl, 3);
	assert_int_equal(v->rip, 0x400000);
	assert_int_equal(v->rflags, FL_FIXED1 | FL_IF); /* VM not restored */
	assert_int_equal(v->seg[SEG_CS].selector, (SEL_KDATA + 16) | 3);
	assert_int_equal(v->seg[SEG_SS].selector, (SEL_KDATA + 8) | 3);

	v->rip = CODE;
	RUN(0x48, 0x0f, 0x07); /* sysretq at CPL 3 */
	expect_fault(T_GP, 0);
	v->efer &= ~EFER_SCE;
	RUN(0x0f, 0x05); /* syscall without EFER.SCE */
	expect_fault(T_UD, -1);
}

/* ---------------------------------------------------------------- int n */

static void test_int_n(void **state)
{
	struct vcpu *v = &vm->vcpu;

	(void)state;
	identity_map_user();
	set_cpl(3);
	v->regs[GPR_RSP] = USER_STACK;
	RUN(0xcd, 0x80); /* int 0x80 through a DPL-0 gate */
	/* #GP(0x80 * 8 + 2) delivered instead, RIP on the int. */
	assert_false(v->exception.pending);
	assert_int_equal(v->rip, HANDLER + T_GP * 0x10);
	expect_frame(RSP0_TOP - 48, true, 0x80 * 8 + 2, CODE, SEL_UCODE | 3,
		     FL_FIXED1 | FL_RF, USER_STACK, SEL_UDATA | 3);

	/* A DPL-3 gate: delivered, the frame's RIP after the int. */
	set_cpl(3);
	v->rip = CODE;
	v->regs[GPR_RSP] = USER_STACK;
	v->rflags = FL_FIXED1;
	set_gate(0x80, SEL_KCODE, DESC_SYS_TRAP_GATE, 3, 0, true);
	RUN(0xcd, 0x80);
	assert_int_equal(v->rip, HANDLER + 0x80 * 0x10);
	assert_int_equal(v->cpl, 0);
	expect_frame(RSP0_TOP - 40, false, 0, CODE + 2, SEL_UCODE | 3,
		     FL_FIXED1, USER_STACK, SEL_UDATA | 3);
}

/* ---------------------------------------------------------- far transfers */

static void test_far_call_ret_jmp(void **state)
{
	struct vcpu *v = &vm->vcpu;

	(void)state;
	/* lcall [rax]: m16:32 = 0x08:0x200000 */
	memcpy(phys(DATA, 4), &(uint32_t){ 0x200000 }, 4);
	poke16(DATA + 4, SEL_KCODE);
	v->regs[GPR_RAX] = DATA;
	RUN(0xff, 0x18); /* lcall [rax] */
	assert_false(v->exception.pending);
	assert_int_equal(v->rip, 0x200000);
	assert_int_equal(v->regs[GPR_RSP], KSTACK - 8);
	assert_int_equal(peek64(KSTACK - 8), ((uint64_t)SEL_KCODE << 32) |
			 (CODE + 2));
	RUN(0xcb); /* lret */
	assert_false(v->exception.pending);
	assert_int_equal(v->rip, CODE + 2);
	assert_int_equal(v->regs[GPR_RSP], KSTACK);

	/* ljmp to a user code segment from CPL 0: #GP(selector). */
	v->rip = CODE;
	poke16(DATA + 4, SEL_UCODE | 3);
	RUN(0xff, 0x28); /* ljmp [rax] */
	expect_fault(T_GP, SEL_UCODE);
	poke16(DATA + 4, SEL_KCODE);
	RUN(0xff, 0x28);
	assert_false(v->exception.pending);
	assert_int_equal(v->rip, 0x200000);

	/* lretq to CPL 3 pops SS:RSP too. */
	identity_map_user();
	v->regs[GPR_RSP] = KSTACK;
	poke64(KSTACK, 0x400000);
	poke64(KSTACK + 8, SEL_UCODE | 3);
	poke64(KSTACK + 16, USER_STACK);
	poke64(KSTACK + 24, SEL_UDATA | 3);
	RUN(0x48, 0xcb); /* lretq */
	assert_false(v->exception.pending);
	assert_int_equal(v->cpl, 3);
	assert_int_equal(v->rip, 0x400000);
	assert_int_equal(v->regs[GPR_RSP], USER_STACK);
}

/* ---------------------------------------------------- more fault cases */

static void test_more_faults(void **state)
{
	struct vcpu *v = &vm->vcpu;

	(void)state;
	RUN(0x66, 0x0f, 0x38, 0x82, 0x04, 0x25, 0x00, 0x00, 0x02, 0x00);
	expect_fault(T_UD, -1); /* invpcid: not in this CPU */
	RUN(0x0f, 0x34); /* sysenter: #UD in long mode (AMD-like) */
	expect_fault(T_UD, -1);
	poke64(KSTACK - 8, 0x50); /* beyond the GDT */
	v->regs[GPR_RSP] = KSTACK - 8;
	RUN(0x0f, 0xa9); /* pop gs */
	expect_fault(T_GP, 0x50);
	assert_int_equal(v->regs[GPR_RSP], KSTACK - 8);

	identity_map_user();
	set_cpl(3);
	RUN(0x0f, 0x06); /* clts */
	expect_fault(T_GP, 0);
	v->regs[GPR_RAX] = 0;
	RUN(0x0f, 0x01, 0xf0); /* lmsw ax */
	expect_fault(T_GP, 0);
	v->cr4 |= CR4_OSXSAVE;
	v->regs[GPR_RCX] = 0;
	v->regs[GPR_RAX] = XCR0_X87;
	RUN(0x0f, 0x01, 0xd1); /* xsetbv at CPL 3 */
	expect_fault(T_GP, 0);
	RUN(0x0f, 0x01, 0xd0); /* xgetbv is fine at CPL 3 */
	expect_done();
}

static void test_int3_int1_and_interrupt(void **state)
{
	struct vcpu *v = &vm->vcpu;

	(void)state;
	identity_map_user();
	set_cpl(3);
	v->regs[GPR_RSP] = USER_STACK;
	RUN(0xcc); /* int3 through a DPL-0 gate: #GP(3 * 8 + 2) */
	assert_int_equal(v->rip, HANDLER + T_GP * 0x10);
	assert_int_equal(peek64(v->regs[GPR_RSP]), T_BP * 8 + 2);

	set_cpl(3);
	v->rip = CODE;
	v->regs[GPR_RSP] = USER_STACK;
	RUN(0xf1); /* int1: #DB, no DPL check, RIP after */
	assert_int_equal(v->rip, HANDLER + T_DB * 0x10);
	assert_int_equal(peek64(v->regs[GPR_RSP]), CODE + 1);

	/* A device's interrupt with its gate not present: #NP with EXT. */
	set_cpl(0);
	v->rip = CODE;
	v->regs[GPR_RSP] = KSTACK;
	v->halted = true;
	set_gate(0x20, SEL_KCODE, DESC_SYS_INT_GATE, 0, 0, false);
	interp_deliver_interrupt(vm, 0x20);
	assert_int_equal(v->rip, HANDLER + T_NP * 0x10);
	assert_int_equal(peek64(v->regs[GPR_RSP]),
			 0x20 * 8 + ERRC_IDT + ERRC_EXT);
	assert_false(v->halted);
	set_gate(0x20, SEL_KCODE, DESC_SYS_INT_GATE, 0, 0, true);
	v->regs[GPR_RSP] = KSTACK;
	interp_deliver_interrupt(vm, 0x20);
	assert_int_equal(v->rip, HANDLER + 0x20 * 0x10);
	assert_int_equal(peek64(v->regs[GPR_RSP]), HANDLER + T_NP * 0x10);
}

/* ------------------------------------------ protected mode: the machine */

/*
 * A 32-bit protected-mode vCPU without paging (linear = physical): its
 * own GDT of 8-byte descriptors, an IDT of 8-byte gates and a 32-bit TSS,
 * at the addresses the 64-bit tests use.
 */
#define P_KCODE 0x08      /* 32-bit ring-0 code, flat */
#define P_KDATA 0x10
#define P_UCODE 0x18      /* 32-bit ring-3 code, flat */
#define P_UDATA 0x20
#define P_TSS 0x28        /* a 32-bit available TSS */
#define P_CODE16 0x30     /* 16-bit ring-0 code, limit 0xffff */
#define P_DATA16 0x38     /* 16-bit ring-0 data (B = 0), limit 0xffff */
#define P_CODE64 0x40     /* 64-bit ring-0 code */
#define P_NP_DATA 0x48    /* a data segment not present */
#define P_SMALL 0x50      /* ring-0 data at DATA, limit 0xfff */
#define P_HIGH 0x58       /* ring-0 data at 0xffff0000, limit 4 GiB */
#define P_NP_CODE 0x60    /* a code segment not present */
#define P_CGATE 0x68      /* a 32-bit call gate */
#define P_CONF 0x70       /* conforming ring-0 code (set by a test) */
#define P_LDT 0x78        /* an LDT (set by a test) */
#define P_GDT_LIMIT 0x7f
#define P_TSS_LIMIT (0x68 + 0x2000)

#define GATE_INT16 0x6
#define GATE_TRAP16 0x7
#define GATE_TASK 0x5

/* A code or data descriptor from base, limit and vcpu_segment.attr. */
static uint64_t desc_bits(uint32_t base, uint32_t limit, uint16_t attr)
{
	return (limit & 0xffff) | ((uint64_t)(base & 0xffffff) << 16) |
	       ((uint64_t)attr << DESC_TYPE_SHIFT) |
	       ((uint64_t)((limit >> 16) & 0xf) << 48) |
	       ((uint64_t)(base >> 24) << 56);
}

/* Load segment register s from GDT slot sel, as the CPU would. */
static void load_seg(enum vcpu_sreg s, uint16_t sel)
{
	uint64_t d = peek64(GDT + (sel & ~7));

	vm->vcpu.seg[s] = (struct vcpu_segment){ sel, x86_desc_base(d),
						 x86_desc_limit(d),
						 x86_desc_attr(d) };
}

/* Vector v's 8-byte gate: handler HANDLER + v * 0x10 in selector sel. */
static void set_gate32(unsigned v, uint16_t sel, unsigned type, unsigned dpl,
		       bool present)
{
	uint64_t off = HANDLER + v * 0x10;

	poke64(IDT + v * 8, (off & 0xffff) | ((uint64_t)sel << 16) |
	       ((uint64_t)type << DESC_TYPE_SHIFT) |
	       ((uint64_t)dpl << DESC_DPL_SHIFT) | (present ? DESC_P : 0) |
	       ((off >> 16 & 0xffff) << 48));
}

static void prot_setup(void)
{
	struct vcpu *v = &vm->vcpu;

	poke64(GDT, 0);
	poke64(GDT + P_KCODE, desc_bits(0, 0xfffff, 0xc09b));
	poke64(GDT + P_KDATA, desc_bits(0, 0xfffff, 0xc093));
	poke64(GDT + P_UCODE, desc_bits(0, 0xfffff, 0xc0fb));
	poke64(GDT + P_UDATA, desc_bits(0, 0xfffff, 0xc0f3));
	poke64(GDT + P_TSS, desc_bits(TSS, P_TSS_LIMIT, 0x0089));
	poke64(GDT + P_CODE16, desc_bits(0, 0xffff, 0x009b));
	poke64(GDT + P_DATA16, desc_bits(0, 0xffff, 0x0093));
	poke64(GDT + P_CODE64, desc_bits(0, 0xfffff, 0xa09b));
	poke64(GDT + P_NP_DATA, desc_bits(0, 0xfffff, 0xc013));
	poke64(GDT + P_SMALL, desc_bits(DATA, 0xfff, 0x4093));
	poke64(GDT + P_HIGH, desc_bits(0xffff0000, 0xfffff, 0xc093));
	poke64(GDT + P_NP_CODE, desc_bits(0, 0xfffff, 0xc01b));
	poke64(GDT + P_CGATE, P_KCODE << 16 | (uint64_t)0x8c << 40);
	poke64(GDT + P_CONF, 0);
	poke64(GDT + P_LDT, 0);
	v->gdtr = (struct vcpu_dtable){ GDT, P_GDT_LIMIT };

	for (unsigned i = 0; i < 256; i++)
		set_gate32(i, P_KCODE, DESC_SYS_INT_GATE, 0, true);
	v->idtr = (struct vcpu_dtable){ IDT, 256 * 8 - 1 };

	memset(phys(TSS, 0x68), 0, 0x68);
	poke32(TSS + 4, RSP0_TOP);    /* ESP0 */
	poke16(TSS + 8, P_KDATA);     /* SS0 */
	poke16(TSS + TSS_IOMAP_BASE, 0x68);
	v->tr = (struct vcpu_segment){ P_TSS, TSS, P_TSS_LIMIT, 0x008b };
	v->ldtr = (struct vcpu_segment){ 0, 0, 0, 0 };

	v->cr0 = CR0_PE | CR0_ET;
	v->cr4 = 0;
	v->efer = 0;
	load_seg(SEG_CS, P_KCODE);
	load_seg(SEG_SS, P_KDATA);
	load_seg(SEG_DS, P_KDATA);
	load_seg(SEG_ES, P_KDATA);
	v->seg[SEG_FS] = (struct vcpu_segment){ 0, 0, 0, 0 };
	v->seg[SEG_GS] = (struct vcpu_segment){ 0, 0, 0, 0 };
	v->cpl = 0;
	v->rip = CODE;
	v->regs[GPR_RSP] = KSTACK;
	v->rflags = FL_FIXED1;
	shadowpt_flush_all(vm);
	shadowpt_switch_view(vm);
	assert_int_equal(cpu_mode(v), CPU_PROT);
	assert_int_equal(cpu_code_size(v), 4);
}

/* Become ring-3 code on the user stack. */
static void prot_user(void)
{
	struct vcpu *v = &vm->vcpu;

	load_seg(SEG_CS, P_UCODE | 3);
	load_seg(SEG_SS, P_UDATA | 3);
	load_seg(SEG_DS, P_UDATA | 3);
	load_seg(SEG_ES, P_UDATA | 3);
	v->cpl = 3;
	v->rip = CODE;
	v->regs[GPR_RSP] = USER_STACK;
	shadowpt_switch_view(vm);
}

#define LE32(x) (uint8_t)(x), (uint8_t)((x) >> 8), (uint8_t)((x) >> 16), \
		(uint8_t)((x) >> 24)

/* ---------------------------------- protected mode: operands, tables */

static void test_prot_operands(void **state)
{
	struct vcpu *v = &vm->vcpu;

	(void)state;
	prot_setup();
	/* lgdt m: a 16-bit limit and a 32-bit base, 6 bytes. */
	poke16(DATA, 0x1234);
	poke32(DATA + 2, 0x89abcdef);
	poke16(DATA + 6, 0xffff);
	RUN(0x0f, 0x01, 0x15, LE32(DATA)); /* lgdt [DATA] */
	expect_done();
	assert_int_equal(v->gdtr.base, 0x89abcdef);
	assert_int_equal(v->gdtr.limit, 0x1234);
	RUN(0x66, 0x0f, 0x01, 0x15, LE32(DATA)); /* o16: 24 bits of base */
	expect_done();
	assert_int_equal(v->gdtr.base, 0xabcdef);
	v->gdtr = (struct vcpu_dtable){ GDT, P_GDT_LIMIT };

	/* sgdt m stores 6 bytes, the byte after them untouched. */
	poke64(DATA + 0x10, 0xaaaaaaaaaaaaaaaaULL);
	RUN(0x0f, 0x01, 0x05, LE32(DATA + 0x10)); /* sgdt [DATA+0x10] */
	expect_done();
	assert_int_equal(peek64(DATA + 0x10),
			 0xaaaa000000000000ULL | GDT << 16 | P_GDT_LIMIT);

	/* DS with base DATA, limit 0xfff: [0x20] is DATA + 0x20. */
	load_seg(SEG_DS, P_SMALL);
	poke16(DATA + 0x20, 0x77);
	poke32(DATA + 0x22, 0x5000);
	RUN(0x0f, 0x01, 0x1d, LE32(0x20)); /* lidt [0x20] */
	expect_done();
	assert_int_equal(v->idtr.base, 0x5000);
	assert_int_equal(v->idtr.limit, 0x77);
	RUN(0x0f, 0x01, 0x1d, LE32(0xffc)); /* 6 bytes past the limit */
	expect_fault(T_GP, 0);
	RUN(0x0f, 0x01, 0x05, LE32(0xffa)); /* sgdt ending at the limit */
	expect_done();

	/* [ebp + disp] goes through SS: beyond its limit is #SS(0). */
	load_seg(SEG_SS, P_SMALL);
	v->regs[GPR_RBP] = 0xff0;
	RUN(0x0f, 0x01, 0x95, LE32(0xc)); /* lidt [ebp+0xc] */
	expect_fault(T_SS, 0);
	/* fs: override with FS null (unusable): #GP(0). */
	RUN(0x64, 0x0f, 0x01, 0x1d, LE32(0x20)); /* lidt fs:[0x20] */
	expect_fault(T_GP, 0);
	/* A write through a read-only segment: DS = code (readable). */
	load_seg(SEG_DS, P_KCODE);
	RUN(0x0f, 0x01, 0x05, LE32(DATA)); /* sgdt [DATA] */
	expect_fault(T_GP, 0);

	/* Linear addresses wrap at 4 GiB: 0xffff0000 + 0x10000 + DATA. */
	load_seg(SEG_DS, P_HIGH);
	RUN(0x0f, 0x01, 0x1d, LE32(0x10000 + DATA + 0x20)); /* lidt */
	expect_done();
	assert_int_equal(v->idtr.base, 0x5000);

	/* 16-bit addressing (67): [bx + si] wraps at 64 KiB. */
	load_seg(SEG_DS, P_SMALL);
	v->regs[GPR_RBX] = 0xfff00010;
	v->regs[GPR_RSI] = 0x10;
	poke16(DATA + 0x20, 0x99);
	RUN(0x67, 0x0f, 0x01, 0x18); /* lidt [bx+si] */
	expect_done();
	assert_int_equal(v->idtr.limit, 0x99);
}

static void test_prot_tables_and_segments(void **state)
{
	struct vcpu *v = &vm->vcpu;

	(void)state;
	prot_setup();
	/* ltr: the 8-byte 32-bit TSS descriptor, marked busy. */
	v->tr = (struct vcpu_segment){ 0, 0, 0, 0 };
	v->regs[GPR_RAX] = P_TSS;
	RUN(0x0f, 0x00, 0xd8); /* ltr ax */
	expect_done();
	assert_int_equal(v->tr.base, TSS);
	assert_int_equal(v->tr.limit, P_TSS_LIMIT);
	assert_int_equal((peek64(GDT + P_TSS) >> DESC_TYPE_SHIFT) & 0xf,
			 DESC_SYS_TSS_BUSY);
	assert_int_equal(peek64(GDT + P_TSS + 8), desc_bits(0, 0xffff, 0x009b));
	RUN(0x0f, 0x00, 0xd8); /* busy now */
	expect_fault(T_GP, P_TSS);
	/* lsl on the TSS: 8-byte descriptors in protected mode. */
	v->regs[GPR_RBX] = P_TSS;
	RUN(0x0f, 0x03, 0xc3); /* lsl eax, ebx */
	expect_done();
	assert_int_equal(v->regs[GPR_RAX], P_TSS_LIMIT);

	/* lldt: an 8-byte LDT descriptor; a TI selector then loads from it. */
	poke64(GDT + P_LDT, desc_bits(LDT, 0xf, 0x0082));
	poke64(LDT + 8, desc_bits(0x1000, 0xffff, 0x4093));
	v->regs[GPR_RAX] = P_LDT;
	RUN(0x0f, 0x00, 0xd0); /* lldt ax */
	expect_done();
	assert_int_equal(v->ldtr.base, LDT);
	v->regs[GPR_RAX] = 0x8 | SEL_TI;
	RUN(0x8e, 0xe0); /* mov fs, ax */
	expect_done();
	assert_int_equal(v->seg[SEG_FS].base, 0x1000);
	assert_int_equal(v->seg[SEG_FS].limit, 0xffff);

	/* mov ds, ax: a ring-3 data segment loads at CPL 0. */
	v->regs[GPR_RAX] = P_UDATA | 3;
	RUN(0x8e, 0xd8);
	expect_done();
	assert_int_equal(v->seg[SEG_DS].selector, P_UDATA | 3);
	/* mov ss, ax: SS's DPL must be the CPL; null SS is #GP(0). */
	RUN(0x8e, 0xd0);
	expect_fault(T_GP, P_UDATA);
	v->regs[GPR_RAX] = 0;
	RUN(0x8e, 0xd0);
	expect_fault(T_GP, 0);
	v->regs[GPR_RAX] = P_NP_DATA;
	RUN(0x8e, 0xc0); /* mov es, ax: not present */
	expect_fault(T_NP, P_NP_DATA);
	RUN(0x8e, 0xd0); /* mov ss, ax: not present is #SS */
	expect_fault(T_SS, P_NP_DATA);

	/* push cs / pop ds, 4-byte slots. */
	RUN(0x0e); /* push cs */
	expect_done();
	assert_int_equal(v->regs[GPR_RSP], KSTACK - 4);
	assert_int_equal(peek32(KSTACK - 4), P_KCODE);
	poke32(KSTACK - 4, P_KDATA);
	RUN(0x1f); /* pop ds */
	expect_done();
	assert_int_equal(v->seg[SEG_DS].selector, P_KDATA);
	assert_int_equal(v->regs[GPR_RSP], KSTACK);
	v->regs[GPR_RSP] = KSTACK - 4;
	RUN(0x17); /* pop ss: interrupts held for one instruction */
	expect_done();
	assert_int_equal(v->regs[GPR_RSP], KSTACK);
	assert_true(v->interrupt_shadow);

	/* lss esp, [m16:32]: ESP and SS at once (no interrupt shadow, which
	 * only mov ss and pop ss set). */
	poke32(DATA, 0x7000);
	poke16(DATA + 4, P_DATA16);
	v->interrupt_shadow = false;
	RUN(0x0f, 0xb2, 0x25, LE32(DATA));
	expect_done();
	assert_int_equal(v->regs[GPR_RSP], 0x7000);
	assert_int_equal(v->seg[SEG_SS].selector, P_DATA16);
	assert_false(v->interrupt_shadow);
	/* lds eax, [m]: a bad selector leaves EAX alone. */
	poke16(DATA + 4, P_NP_DATA);
	v->regs[GPR_RAX] = 0x1234;
	RUN(0xc5, 0x05, LE32(DATA));
	expect_fault(T_NP, P_NP_DATA);
	assert_int_equal(v->regs[GPR_RAX], 0x1234);

	/* A 16-bit stack (SS.B = 0): SP moves, ESP's upper half stays. */
	v->regs[GPR_RSP] = 0x12340008;
	RUN(0x9c); /* pushfd */
	expect_done();
	assert_int_equal(v->regs[GPR_RSP], 0x12340004);
	assert_int_equal(peek32(4), v->rflags);
	RUN(0x66, 0x9c); /* pushfw */
	expect_done();
	assert_int_equal(v->regs[GPR_RSP], 0x12340002);
	v->regs[GPR_RSP] = 0x12340000;
	RUN(0x0e); /* push cs at SP 0: wraps to 0xfffc */
	expect_done();
	assert_int_equal(v->regs[GPR_RSP], 0x1234fffc);
	assert_int_equal(peek32(0xfffc), P_KCODE);

	/* An expand-down stack (B = 1, limit 0x7fff): offsets 0x8000 and
	 * up are in it; a push below them is #SS(0), RSP unchanged. */
	poke64(GDT + P_SMALL, desc_bits(0, 0x7fff, 0x4097));
	load_seg(SEG_SS, P_SMALL);
	v->regs[GPR_RSP] = 0x8004;
	RUN(0x0e);
	expect_done();
	assert_int_equal(v->regs[GPR_RSP], 0x8000);
	RUN(0x0e);
	expect_fault(T_SS, 0);
	assert_int_equal(v->regs[GPR_RSP], 0x8000);

	/* ltr of a 16-bit TSS: valid, but not emulated: the guest stops. */
	poke64(GDT + P_CONF, desc_bits(TSS, 0x2b, 0x0081));
	v->regs[GPR_RAX] = P_CONF;
	RUN(0x0f, 0x00, 0xd8);
	assert_true(vm->stopped);
}

/* -------------------------------------- protected mode: event delivery */

static void test_prot_deliver(void **state)
{
	struct vcpu *v = &vm->vcpu;

	(void)state;
	prot_setup();
	/* int 0x40 at CPL 0: EFLAGS, CS, EIP on the same stack, IF off. */
	v->rflags = FL_FIXED1 | FL_IF | FL_TF;
	RUN(0xcd, 0x40);
	assert_false(v->exception.pending);
	assert_int_equal(v->rip, HANDLER + 0x40 * 0x10);
	assert_int_equal(v->regs[GPR_RSP], KSTACK - 12);
	assert_int_equal(peek32(KSTACK - 12), CODE + 2);
	assert_int_equal(peek32(KSTACK - 8), P_KCODE);
	assert_int_equal(peek32(KSTACK - 4), FL_FIXED1 | FL_IF | FL_TF);
	assert_int_equal(v->rflags, FL_FIXED1);

	/* xv6's system call: int $64 from CPL 3 through a DPL-3 trap gate
	 * switches to SS0:ESP0 of the TSS and keeps IF. */
	set_gate32(0x40, P_KCODE, DESC_SYS_TRAP_GATE, 3, true);
	identity_map_user();
	prot_user();
	v->rflags = FL_FIXED1 | FL_IF;
	RUN(0xcd, 0x40);
	assert_false(v->exception.pending);
	assert_int_equal(v->cpl, 0);
	assert_int_equal(v->rip, HANDLER + 0x40 * 0x10);
	assert_int_equal(v->seg[SEG_CS].selector, P_KCODE);
	assert_int_equal(v->seg[SEG_SS].selector, P_KDATA);
	assert_int_equal(v->seg[SEG_SS].attr, 0xc093);
	assert_int_equal(v->regs[GPR_RSP], RSP0_TOP - 20);
	assert_int_equal(peek32(RSP0_TOP - 20), CODE + 2);
	assert_int_equal(peek32(RSP0_TOP - 16), P_UCODE | 3);
	assert_int_equal(peek32(RSP0_TOP - 12), FL_FIXED1 | FL_IF);
	assert_int_equal(peek32(RSP0_TOP - 8), USER_STACK);
	assert_int_equal(peek32(RSP0_TOP - 4), P_UDATA | 3);
	assert_true(v->rflags & FL_IF);

	/* int 0x41 from CPL 3 through a DPL-0 gate: #GP(0x41 * 8 + 2),
	 * delivered with its error code, EIP on the int. */
	prot_user();
	RUN(0xcd, 0x41);
	assert_int_equal(v->rip, HANDLER + T_GP * 0x10);
	assert_int_equal(v->regs[GPR_RSP], RSP0_TOP - 24);
	assert_int_equal(peek32(RSP0_TOP - 24), 0x41 * 8 + ERRC_IDT);
	assert_int_equal(peek32(RSP0_TOP - 20), CODE);

	/* A 16-bit interrupt gate: 2-byte slots and a 16-bit offset. */
	prot_setup();
	set_gate32(0x42, P_KCODE, GATE_INT16, 0, true);
	RUN(0xcd, 0x42);
	assert_int_equal(v->rip, (HANDLER + 0x42 * 0x10) & 0xffff);
	assert_int_equal(v->regs[GPR_RSP], KSTACK - 6);
	assert_int_equal(peek16(KSTACK - 6), (CODE + 2) & 0xffff);
	assert_int_equal(peek16(KSTACK - 4), P_KCODE);
	assert_int_equal(peek16(KSTACK - 2), FL_FIXED1);

	/* Beyond the IDT's limit: #GP(vector * 8 + 2). */
	prot_setup();
	v->idtr.limit = 0x43 * 8 + 6;
	RUN(0xcd, 0x43);
	assert_int_equal(v->rip, HANDLER + T_GP * 0x10);
	assert_int_equal(peek32(v->regs[GPR_RSP]), 0x43 * 8 + ERRC_IDT);
	/* Not present: #NP(vector * 8 + 2). */
	prot_setup();
	set_gate32(0x44, P_KCODE, DESC_SYS_INT_GATE, 0, false);
	RUN(0xcd, 0x44);
	assert_int_equal(v->rip, HANDLER + T_NP * 0x10);
	assert_int_equal(peek32(v->regs[GPR_RSP]), 0x44 * 8 + ERRC_IDT);

	/* A fault raised by a routine: the error code, RF in EFLAGS. */
	prot_setup();
	vcpu_raise_error(v, T_GP, P_UDATA);
	interp_deliver(vm);
	assert_int_equal(v->rip, HANDLER + T_GP * 0x10);
	assert_int_equal(v->regs[GPR_RSP], KSTACK - 16);
	assert_int_equal(peek32(KSTACK - 16), P_UDATA);
	assert_int_equal(peek32(KSTACK - 12), CODE);
	assert_int_equal(peek32(KSTACK - 4), FL_FIXED1 | FL_RF);

	/* A device's interrupt at CPL 0 with the stack's limit too low:
	 * #SS(EXT), then the #SS handler on the same stack faults too: #DF,
	 * which faults again: triple fault. */
	prot_setup();
	load_seg(SEG_SS, P_SMALL); /* ESP KSTACK is beyond 0xfff */
	interp_deliver_interrupt(vm, 0x20);
	assert_true(v->shutdown.ev[0].external);
	assert_chain((const uint8_t[]){ 0x20, T_SS, T_SS, T_DF, T_SS }, 5);
}

static void test_prot_deliver_tss_and_task_gate(void **state)
{
	struct vcpu *v = &vm->vcpu;

	(void)state;
	/* #TS goes to conforming code: its handler runs at CPL 3 on the
	 * user stack, which needs no TSS, and shows the error code. */
	prot_setup();
	identity_map_user();
	poke64(GDT + P_CONF, desc_bits(0, 0xfffff, 0xc09f));
	set_gate32(T_TS, P_CONF, DESC_SYS_INT_GATE, 0, true);
	set_gate32(0x40, P_KCODE, DESC_SYS_TRAP_GATE, 3, true);

	/* The TSS too short for SS0: #TS(TR). */
	v->tr.limit = 8;
	prot_user();
	RUN(0xcd, 0x40);
	assert_false(vm->stopped);
	assert_int_equal(v->cpl, 3);
	assert_int_equal(v->rip, HANDLER + T_TS * 0x10);
	assert_int_equal(v->seg[SEG_CS].selector, P_CONF | 3);
	assert_int_equal(v->regs[GPR_RSP], USER_STACK - 16);
	assert_int_equal(peek32(USER_STACK - 16), P_TSS);
	assert_int_equal(peek32(USER_STACK - 12), CODE);

	/* SS0 a code segment: #TS(SS0). */
	v->tr.limit = P_TSS_LIMIT;
	poke16(TSS + 8, P_KCODE);
	prot_user();
	RUN(0xcd, 0x40);
	assert_int_equal(v->rip, HANDLER + T_TS * 0x10);
	assert_int_equal(peek32(USER_STACK - 16), P_KCODE);
	/* SS0 with RPL 3: #TS(SS0) as well. */
	poke16(TSS + 8, P_KDATA | 3);
	prot_user();
	RUN(0xcd, 0x40);
	assert_int_equal(peek32(USER_STACK - 16), P_KDATA);
	/* SS0 not present: #SS(SS0). */
	set_gate32(T_SS, P_CONF, DESC_SYS_INT_GATE, 0, true);
	poke16(TSS + 8, P_NP_DATA);
	poke64(GDT + P_NP_DATA, desc_bits(0, 0xfffff, 0x4013));
	prot_user();
	RUN(0xcd, 0x40);
	assert_int_equal(v->rip, HANDLER + T_SS * 0x10);
	assert_int_equal(peek32(USER_STACK - 16), P_NP_DATA);

	/* With the #TS handler in ring 0 too, the TSS fault repeats while
	 * delivering it: #DF, and again: a triple fault. */
	set_gate32(T_TS, P_KCODE, DESC_SYS_INT_GATE, 0, true);
	v->tr.limit = 8;
	prot_user();
	RUN(0xcd, 0x40);
	assert_true(v->shutdown.ev[0].software);
	assert_chain((const uint8_t[]){ 0x40, T_TS, T_TS, T_DF, T_TS }, 5);

	/* A task gate stops the guest: task switches are not emulated. */
	prot_setup();
	set_gate32(0x45, P_TSS, GATE_TASK, 0, true);
	RUN(0xcd, 0x45);
	assert_true(vm->stopped);
	assert_int_equal(vm->exit_status, VM_EXIT_TRIPLE_FAULT);
}

/* ------------------------------------------------ protected mode: iret */

static void test_prot_iret(void **state)
{
	struct vcpu *v = &vm->vcpu;

	(void)state;
	prot_setup();
	/* iretd to the same level: EIP, CS, EFLAGS. */
	v->regs[GPR_RSP] = KSTACK - 12;
	poke32(KSTACK - 12, 0x1234);
	poke32(KSTACK - 8, P_KCODE);
	poke32(KSTACK - 4, FL_FIXED1 | FL_CF | FL_IOPL_MASK);
	RUN(0xcf);
	assert_false(v->exception.pending);
	assert_int_equal(v->rip, 0x1234);
	assert_int_equal(v->regs[GPR_RSP], KSTACK);
	assert_int_equal(v->rflags, FL_FIXED1 | FL_CF | FL_IOPL_MASK);

	/* iretw: 2-byte slots; EFLAGS' upper half stays. */
	v->rip = CODE;
	v->rflags = FL_FIXED1 | FL_AC;
	v->regs[GPR_RSP] = KSTACK - 6;
	poke16(KSTACK - 6, 0x4321);
	poke16(KSTACK - 4, P_KCODE);
	poke16(KSTACK - 2, FL_FIXED1 | FL_ZF);
	RUN(0x66, 0xcf);
	assert_false(v->exception.pending);
	assert_int_equal(v->rip, 0x4321);
	assert_int_equal(v->regs[GPR_RSP], KSTACK);
	assert_int_equal(v->rflags, FL_FIXED1 | FL_AC | FL_ZF);

	/* iretd to CPL 3: also ESP and SS; a ring-0 DS is nulled. */
	identity_map_user();
	v->rip = CODE;
	v->regs[GPR_RSP] = KSTACK - 20;
	poke32(KSTACK - 20, 0x5678);
	poke32(KSTACK - 16, P_UCODE | 3);
	poke32(KSTACK - 12, FL_FIXED1 | FL_IF);
	poke32(KSTACK - 8, USER_STACK);
	poke32(KSTACK - 4, P_UDATA | 3);
	load_seg(SEG_ES, P_UDATA | 3);
	RUN(0xcf);
	assert_false(v->exception.pending);
	assert_int_equal(v->cpl, 3);
	assert_int_equal(v->rip, 0x5678);
	assert_int_equal(v->seg[SEG_CS].selector, P_UCODE | 3);
	assert_int_equal(v->seg[SEG_SS].selector, P_UDATA | 3);
	assert_int_equal(v->regs[GPR_RSP], USER_STACK);
	assert_int_equal(v->seg[SEG_DS].selector, 0);
	assert_int_equal(v->seg[SEG_ES].selector, P_UDATA | 3);
	assert_true(v->rflags & FL_IF);

	/* The CPU's checks, each with its fault; nothing changes. */
	prot_setup();
	v->regs[GPR_RSP] = KSTACK - 20;
	poke32(KSTACK - 20, 0x5678);
	poke32(KSTACK - 12, FL_FIXED1);
	poke32(KSTACK - 8, USER_STACK);
	poke32(KSTACK - 16, 0);
	RUN(0xcf);
	expect_fault(T_GP, 0);         /* null CS */
	poke32(KSTACK - 16, P_KDATA);
	RUN(0xcf);
	expect_fault(T_GP, P_KDATA);   /* not code */
	poke32(KSTACK - 16, P_UCODE);
	RUN(0xcf);
	expect_fault(T_GP, P_UCODE);   /* DPL 3 != RPL 0 */
	poke32(KSTACK - 16, P_NP_CODE);
	RUN(0xcf);
	expect_fault(T_NP, P_NP_CODE);
	poke32(KSTACK - 16, P_UCODE | 3);
	poke32(KSTACK - 4, P_KDATA | 3);
	RUN(0xcf);
	expect_fault(T_GP, P_KDATA);   /* SS DPL 0 for CPL 3 */
	poke32(KSTACK - 4, 0);
	RUN(0xcf);
	expect_fault(T_GP, 0);         /* null SS */
	poke32(KSTACK - 4, P_NP_DATA | 3);
	poke64(GDT + P_NP_DATA, desc_bits(0, 0xfffff, 0xc073));
	RUN(0xcf);
	expect_fault(T_SS, P_NP_DATA); /* SS not present */
	poke32(KSTACK - 16, P_CODE16);
	poke32(KSTACK - 20, 0x10000);
	RUN(0xcf);
	expect_fault(T_GP, 0);         /* EIP beyond CS's limit */
	assert_int_equal(v->cpl, 0);
	assert_int_equal(v->regs[GPR_RSP], KSTACK - 20);

	/* NT set: a return to another task, not emulated. */
	v->rflags |= FL_NT;
	RUN(0xcf);
	assert_true(vm->stopped);
}

static void test_prot_deliver_then_iret(void **state)
{
	struct vcpu *v = &vm->vcpu;

	(void)state;
	prot_setup();
	identity_map_user();
	set_gate32(0x40, P_KCODE, DESC_SYS_INT_GATE, 3, true);
	prot_user();
	v->rflags = FL_FIXED1 | FL_IF | FL_CF;
	v->regs[GPR_RAX] = 7;
	RUN(0xcd, 0x40);
	assert_int_equal(v->cpl, 0);
	assert_false(v->rflags & FL_IF);
	v->rip = CODE; /* the handler's iretd */
	RUN(0xcf);
	assert_false(v->exception.pending);
	assert_int_equal(v->cpl, 3);
	assert_int_equal(v->rip, CODE + 2);
	assert_int_equal(v->regs[GPR_RSP], USER_STACK);
	assert_int_equal(v->seg[SEG_SS].selector, P_UDATA | 3);
	assert_int_equal(v->rflags, FL_FIXED1 | FL_IF | FL_CF);
}

/* ---------------------------- protected mode: far transfers, long mode */

static void test_prot_far_transfers(void **state)
{
	struct vcpu *v = &vm->vcpu;

	(void)state;
	prot_setup();
	/* ljmp $0x8, $0x2000: the kernel's reload of CS after lgdt. */
	RUN(0xea, LE32(0x2000), P_KCODE, 0);
	assert_false(v->exception.pending);
	assert_int_equal(v->rip, 0x2000);
	assert_int_equal(v->seg[SEG_CS].attr, 0xc09b);
	/* Into 16-bit code, and back with a 16-bit ptr16:16. */
	RUN(0xea, LE32(0x1234), P_CODE16, 0);
	assert_false(v->exception.pending);
	assert_int_equal(v->rip, 0x1234);
	assert_int_equal(cpu_code_size(v), 2);
	RUN(0xea, 0x00, 0x30, P_KCODE, 0); /* ljmp $0x8, $0x3000 */
	assert_false(v->exception.pending);
	assert_int_equal(v->rip, 0x3000);
	assert_int_equal(cpu_code_size(v), 4);

	/* The checks: data, another ring, beyond the limit, not present. */
	v->rip = CODE;
	RUN(0xea, LE32(0x2000), P_KDATA, 0);
	expect_fault(T_GP, P_KDATA);
	RUN(0xea, LE32(0x2000), P_UCODE | 3, 0);
	expect_fault(T_GP, P_UCODE);
	RUN(0xea, LE32(0x10000), P_CODE16, 0);
	expect_fault(T_GP, 0);
	RUN(0xea, LE32(0x2000), P_NP_CODE, 0);
	expect_fault(T_NP, P_NP_CODE);

	/* lcall pushes CS and EIP (4 bytes each); lret $4 pops them. */
	RUN(0x9a, LE32(0x3000), P_KCODE, 0);
	assert_false(v->exception.pending);
	assert_int_equal(v->rip, 0x3000);
	assert_int_equal(v->regs[GPR_RSP], KSTACK - 8);
	assert_int_equal(peek32(KSTACK - 8), CODE + 7);
	assert_int_equal(peek32(KSTACK - 4), P_KCODE);
	RUN(0xca, 0x04, 0x00); /* lret $4 */
	assert_false(v->exception.pending);
	assert_int_equal(v->rip, CODE + 7);
	assert_int_equal(v->regs[GPR_RSP], KSTACK + 4);

	/* ljmp m16:32 through DS. */
	v->rip = CODE;
	poke32(DATA, 0x4000);
	poke16(DATA + 4, P_KCODE);
	RUN(0xff, 0x2d, LE32(DATA)); /* ljmp [DATA] */
	assert_false(v->exception.pending);
	assert_int_equal(v->rip, 0x4000);

	/* lret to CPL 3: pops ESP and SS too. */
	identity_map_user();
	v->regs[GPR_RSP] = KSTACK;
	poke32(KSTACK, 0x400000);
	poke32(KSTACK + 4, P_UCODE | 3);
	poke32(KSTACK + 8, USER_STACK);
	poke32(KSTACK + 12, P_UDATA | 3);
	RUN(0xcb);
	assert_false(v->exception.pending);
	assert_int_equal(v->cpl, 3);
	assert_int_equal(v->rip, 0x400000);
	assert_int_equal(v->regs[GPR_RSP], USER_STACK);
	assert_int_equal(v->seg[SEG_SS].selector, P_UDATA | 3);

	/* A call gate stops the guest: not emulated. */
	prot_setup();
	RUN(0x9a, LE32(0), P_CGATE, 0);
	assert_true(vm->stopped);
}

static void test_prot_long_mode_switch(void **state)
{
	struct vcpu *v = &vm->vcpu;

	(void)state;
	prot_setup();
	/* PG with EFER.LME but without CR4.PAE: #GP(0). */
	v->regs[GPR_RCX] = MSR_EFER;
	v->regs[GPR_RAX] = EFER_LME;
	v->regs[GPR_RDX] = 0;
	RUN(0x0f, 0x30); /* wrmsr */
	expect_done();
	assert_int_equal(v->efer, EFER_LME);
	v->regs[GPR_RAX] = CR0_PE | CR0_ET | CR0_PG;
	RUN(0x0f, 0x22, 0xc0); /* mov cr0, eax */
	expect_fault(T_GP, 0);
	v->regs[GPR_RAX] = CR0_PE | CR0_ET;
	RUN(0x0f, 0x22, 0xc0); /* PG without PE ... */
	expect_done();
	v->regs[GPR_RAX] = CR0_ET | CR0_PG;
	RUN(0x0f, 0x22, 0xc0); /* ... is #GP(0) */
	expect_fault(T_GP, 0);

	/* CR4.PAE, CR3 = the PML4, then PG: IA-32e mode, still 32-bit code
	 * (compatibility mode). */
	v->regs[GPR_RAX] = CR4_PAE;
	RUN(0x0f, 0x22, 0xe0); /* mov cr4, eax */
	expect_done();
	v->regs[GPR_RAX] = BOOT_PML4;
	RUN(0x0f, 0x22, 0xd8); /* mov cr3, eax */
	expect_done();
	v->regs[GPR_RAX] = CR0_PE | CR0_ET | CR0_PG;
	RUN(0x0f, 0x22, 0xc0);
	expect_done();
	assert_true(v->efer & EFER_LMA);
	assert_int_equal(cpu_mode(v), CPU_COMPAT);
	v->regs[GPR_RAX] = 0;
	RUN(0x0f, 0x22, 0xe0); /* PAE off in IA-32e mode */
	expect_fault(T_GP, 0);
	v->regs[GPR_RCX] = MSR_EFER;
	v->regs[GPR_RAX] = 0;
	RUN(0x0f, 0x30); /* LME off while paging */
	expect_fault(T_GP, 0);
	RUN(0x0f, 0x32); /* rdmsr EFER: LME | LMA in EDX:EAX */
	expect_done();
	assert_int_equal(v->regs[GPR_RAX], EFER_LME | EFER_LMA);
	assert_int_equal(v->regs[GPR_RDX], 0);

	/* An interrupt in compatibility mode goes through the 64-bit IDT
	 * (16-byte gates) to 64-bit code, with 8-byte slots; iretq returns
	 * to 32-bit code, where an SS must not be null. */
	for (unsigned i = 0; i < 256; i++)
		set_gate(i, P_CODE64, DESC_SYS_INT_GATE, 0, 0, true);
	v->idtr = (struct vcpu_dtable){ IDT, 256 * 16 - 1 };
	v->rflags = FL_FIXED1 | FL_IF;
	RUN(0xcd, 0x40);
	assert_false(v->exception.pending);
	assert_int_equal(cpu_mode(v), CPU_LONG);
	assert_int_equal(v->rip, HANDLER + 0x40 * 0x10);
	assert_int_equal(v->regs[GPR_RSP], KSTACK - 40);
	assert_int_equal(peek64(KSTACK - 40), CODE + 2);
	assert_int_equal(peek64(KSTACK - 32), P_KCODE);
	assert_int_equal(peek64(KSTACK - 8), P_KDATA);
	poke64(KSTACK - 8, 0);
	RUN(0x48, 0xcf); /* iretq with a null SS to 32-bit code */
	expect_fault(T_GP, 0);
	poke64(KSTACK - 8, P_KDATA);
	RUN(0x48, 0xcf);
	assert_false(v->exception.pending);
	assert_int_equal(cpu_mode(v), CPU_COMPAT);
	assert_int_equal(v->rip, CODE + 2);
	assert_int_equal(v->regs[GPR_RSP], KSTACK);
	v->rip = CODE;

	/* ljmp to a 64-bit code segment: 64-bit mode. */
	RUN(0xea, LE32(0x102000), P_CODE64, 0);
	assert_false(v->exception.pending);
	assert_int_equal(cpu_mode(v), CPU_LONG);
	assert_int_equal(v->rip, 0x102000);
	/* Paging cannot be turned off in 64-bit mode. */
	v->regs[GPR_RAX] = CR0_PE | CR0_ET;
	RUN(0x0f, 0x22, 0xc0); /* mov cr0, rax */
	expect_fault(T_GP, 0);
	/* ljmp m16:32 back to 32-bit code: compatibility mode ... */
	poke32(DATA, 0x3000);
	poke16(DATA + 4, P_KCODE);
	RUN(0xff, 0x2c, 0x25, LE32(DATA)); /* ljmp [DATA] */
	assert_false(v->exception.pending);
	assert_int_equal(cpu_mode(v), CPU_COMPAT);
	assert_int_equal(v->rip, 0x3000);
	/* ... where clearing PG leaves IA-32e mode. */
	RUN(0x0f, 0x22, 0xc0);
	expect_done();
	assert_false(v->efer & EFER_LMA);
	assert_int_equal(cpu_mode(v), CPU_PROT);
	/* mov eax, cr3 in 32-bit code. */
	v->regs[GPR_RAX] = ~0ULL;
	RUN(0x0f, 0x20, 0xd8);
	expect_done();
	assert_int_equal(v->regs[GPR_RAX], BOOT_PML4);
}

/* ------------------------- protected mode: I/O, flags, sysenter, cpuid */

static void test_prot_io_flags_sysenter(void **state)
{
	struct vcpu *v = &vm->vcpu;
	char buf[16];

	(void)state;
	prot_setup();
	/* rep outsb from DS:[ESI], DS based at DATA. */
	load_seg(SEG_DS, P_SMALL);
	memcpy(phys(DATA + 0x10, 5), "hello", 5);
	v->regs[GPR_RSI] = 0x10;
	v->regs[GPR_RCX] = 5;
	v->regs[GPR_RDX] = 0x3f8;
	RUN(0xf3, 0x6e);
	expect_done();
	assert_int_equal(uart_output(buf, sizeof(buf)), 5);
	assert_memory_equal(buf, "hello", 5);
	assert_int_equal(v->regs[GPR_RSI], 0x15);
	/* 16-bit addressing (67): SI and CX, their upper halves kept. */
	v->regs[GPR_RSI] = 0xabcd0010;
	v->regs[GPR_RCX] = 0x55550002;
	RUN(0x67, 0xf3, 0x6e);
	expect_done();
	assert_int_equal(uart_output(buf, sizeof(buf)), 2);
	assert_memory_equal(buf, "he", 2);
	assert_int_equal(v->regs[GPR_RSI], 0xabcd0012);
	assert_int_equal(v->regs[GPR_RCX], 0x55550000);
	/* Past DS's limit: #GP(0). */
	v->regs[GPR_RSI] = 0x1000;
	v->regs[GPR_RCX] = 1;
	RUN(0xf3, 0x6e);
	expect_fault(T_GP, 0);
	/* rep insb into ES:[EDI]; ES read-only (a code segment): #GP(0). */
	v->regs[GPR_RDI] = DATA + 0x100;
	v->regs[GPR_RDX] = 0x1234; /* nothing there: all ones */
	v->regs[GPR_RCX] = 2;
	RUN(0xf3, 0x6c);
	expect_done();
	assert_int_equal(peek16(DATA + 0x100), 0xffff);
	load_seg(SEG_ES, P_KCODE);
	v->regs[GPR_RCX] = 1;
	RUN(0xf3, 0x6c);
	expect_fault(T_GP, 0);

	/* pushfd / popfd; at CPL 3 popfd keeps IF and IOPL. */
	prot_setup();
	identity_map_user();
	prot_user();
	v->rflags = FL_FIXED1 | FL_IF;
	poke32(USER_STACK - 4, FL_FIXED1 | FL_IOPL_MASK | FL_CF);
	v->regs[GPR_RSP] = USER_STACK - 4;
	RUN(0x9d); /* popfd */
	expect_done();
	assert_int_equal(v->rflags, FL_FIXED1 | FL_IF | FL_CF);
	RUN(0xfa); /* cli at CPL 3, IOPL 0 */
	expect_fault(T_GP, 0);

	/* The SYSENTER MSRs by wrmsr (EDX:EAX) in 32-bit code at CPL 0. */
	v->cpl = 0;
	v->regs[GPR_RDX] = 0;
	v->regs[GPR_RCX] = MSR_IA32_SYSENTER_CS;
	v->regs[GPR_RAX] = P_KCODE;
	RUN(0x0f, 0x30);
	expect_done();
	v->regs[GPR_RCX] = MSR_IA32_SYSENTER_ESP;
	v->regs[GPR_RAX] = 0x9000;
	RUN(0x0f, 0x30);
	expect_done();
	v->regs[GPR_RCX] = MSR_IA32_SYSENTER_EIP;
	v->regs[GPR_RAX] = 0x4000;
	RUN(0x0f, 0x30);
	expect_done();
	v->regs[GPR_RAX] = v->regs[GPR_RDX] = ~0ULL;
	RUN(0x0f, 0x32); /* rdmsr: EAX = 0x4000, EDX = 0 */
	expect_done();
	assert_int_equal(v->regs[GPR_RAX], 0x4000);
	assert_int_equal(v->regs[GPR_RDX], 0);
	/* sysenter from CPL 3 and sysexit back. */
	v->cpl = 3;
	RUN(0x0f, 0x34);
	assert_false(v->exception.pending);
	assert_int_equal(v->cpl, 0);
	assert_int_equal(v->rip, 0x4000);
	assert_int_equal(v->regs[GPR_RSP], 0x9000);
	assert_int_equal(v->seg[SEG_CS].selector, P_KCODE);
	assert_int_equal(v->seg[SEG_SS].selector, P_KDATA);
	assert_false(v->rflags & FL_IF);
	v->regs[GPR_RDX] = 0x5000;
	v->regs[GPR_RCX] = 0x6000;
	RUN(0x0f, 0x35);
	assert_false(v->exception.pending);
	assert_int_equal(v->cpl, 3);
	assert_int_equal(v->rip, 0x5000);
	assert_int_equal(v->regs[GPR_RSP], 0x6000);
	assert_int_equal(v->seg[SEG_CS].selector, P_UCODE | 3);
	assert_int_equal(v->seg[SEG_SS].selector, P_UDATA | 3);
	v->rip = CODE;
	RUN(0x0f, 0x35); /* sysexit at CPL 3 */
	expect_fault(T_GP, 0);
	v->sysenter_cs = 0;
	RUN(0x0f, 0x34); /* no SYSENTER_CS */
	expect_fault(T_GP, 0);
	RUN(0x0f, 0x05); /* syscall: only in 64-bit mode */
	expect_fault(T_UD, -1);
	v->cpl = 0;
	v->efer = EFER_SCE;
	RUN(0x0f, 0x07); /* sysret: the same */
	expect_fault(T_UD, -1);
	RUN(0x0f, 0x01, 0xf8); /* swapgs: #UD outside 64-bit mode */
	expect_fault(T_UD, -1);
}

/* ------------------------------------- protected mode: PAE's PDPTEs */

static void test_prot_pae_pdptes(void **state)
{
	struct vcpu *v = &vm->vcpu;
	const uint64_t pdpt = DATA + 0x1000, pd = DATA + 0x2000;

	(void)state;
	prot_setup();
	/* A PDPT whose entry 0 maps the first 2 MiB through a PD. */
	memset(phys(pdpt, 32), 0, 32);
	memset(phys(pd, PAGE_4K), 0, PAGE_4K);
	poke64(pdpt, pd | PTE_P);
	poke64(pd, PTE_P | PTE_W | PTE_PS);
	v->regs[GPR_RAX] = CR4_PAE;
	RUN(0x0f, 0x22, 0xe0); /* mov cr4, eax */
	expect_done();
	v->regs[GPR_RAX] = pdpt;
	RUN(0x0f, 0x22, 0xd8); /* mov cr3, eax: not paging yet */
	expect_done();
	/* mov cr0 with PG loads the PDPTEs; a reserved bit is #GP(0) and
	 * leaves CR0 alone. */
	poke64(pdpt + 8, PTE_P | (1ULL << 1)); /* bit 1 is reserved */
	v->regs[GPR_RAX] = CR0_PE | CR0_ET | CR0_PG;
	RUN(0x0f, 0x22, 0xc0);
	expect_fault(T_GP, 0);
	assert_false(v->cr0 & CR0_PG);
	poke64(pdpt + 8, 0);
	RUN(0x0f, 0x22, 0xc0);
	expect_done();
	assert_int_equal(v->pdpte[0], pd | PTE_P);
	assert_false(v->efer & EFER_LMA);
	/* mov cr3 reloads them: a bad PDPT is #GP(0), CR3 kept. */
	poke64(pdpt + 32 + 16, PTE_P | (1ULL << 2));
	poke64(pdpt + 32, pd | PTE_P);
	v->regs[GPR_RAX] = pdpt + 32;
	RUN(0x0f, 0x22, 0xd8);
	expect_fault(T_GP, 0);
	assert_int_equal(v->cr3, pdpt);
	poke64(pdpt + 32 + 16, 0);
	RUN(0x0f, 0x22, 0xd8);
	expect_done();
	assert_int_equal(v->cr3, pdpt + 32);
	/* mov cr4 that changes PGE reloads them too: #GP(0), CR4 kept. */
	poke64(pdpt + 32 + 24, PTE_P | (1ULL << 5));
	v->regs[GPR_RAX] = CR4_PAE | CR4_PGE;
	RUN(0x0f, 0x22, 0xe0);
	expect_fault(T_GP, 0);
	assert_int_equal(v->cr4, CR4_PAE);
	poke64(pdpt + 32 + 24, 0);
	/* An access through the new tables: lidt [DATA + 0x20]. */
	poke16(DATA + 0x20, 0x55);
	RUN(0x0f, 0x01, 0x1d, LE32(DATA + 0x20));
	expect_done();
	assert_int_equal(v->idtr.limit, 0x55);
}

/* ---------------------------------------------- protected mode: 16-bit */

static void test_prot_16bit_code(void **state)
{
	struct vcpu *v = &vm->vcpu;

	(void)state;
	prot_setup();
	load_seg(SEG_CS, P_CODE16);
	load_seg(SEG_SS, P_DATA16);
	assert_int_equal(cpu_code_size(v), 2);
	v->rip = 0x1000;
	v->regs[GPR_RSP] = 0x8000;
	/* pushf: 2 bytes by default, pushfd with 66. */
	v->rflags = FL_FIXED1 | FL_IF | FL_AC;
	RUN(0x9c);
	expect_done();
	assert_int_equal(v->regs[GPR_RSP], 0x7ffe);
	assert_int_equal(peek16(0x7ffe), FL_FIXED1 | FL_IF);
	v->rip = 0x1000;
	RUN(0x66, 0x9c);
	expect_done();
	assert_int_equal(v->regs[GPR_RSP], 0x7ffa);
	assert_int_equal(peek32(0x7ffa), FL_FIXED1 | FL_IF | FL_AC);

	/* lgdt [bx]: the default 16-bit operand size keeps 24 bits of base;
	 * 66 makes it 32. */
	v->rip = 0x1000;
	poke16(DATA, 0x10);
	poke32(DATA + 2, 0x12345678);
	load_seg(SEG_DS, P_SMALL); /* based at DATA: [bx] with BX 0 */
	v->regs[GPR_RBX] = 0;
	RUN(0x0f, 0x01, 0x17);
	expect_done();
	assert_int_equal(v->gdtr.base, 0x345678);
	v->rip = 0x1000;
	RUN(0x66, 0x0f, 0x01, 0x17);
	expect_done();
	assert_int_equal(v->gdtr.base, 0x12345678);
	v->gdtr = (struct vcpu_dtable){ GDT, P_GDT_LIMIT };

	/* int 0x40 through a 32-bit gate from 16-bit code: 4-byte slots,
	 * then iretd (66 cf in 16-bit code) back. */
	v->rip = 0x1000;
	v->regs[GPR_RSP] = 0x8000;
	RUN(0xcd, 0x40);
	assert_int_equal(v->rip, HANDLER + 0x40 * 0x10);
	assert_int_equal(v->regs[GPR_RSP], 0x8000 - 12);
	assert_int_equal(peek32(0x8000 - 12), 0x1002);
	assert_int_equal(peek32(0x8000 - 8), P_CODE16);
	assert_int_equal(cpu_code_size(v), 4);
	RUN(0xcf); /* the handler's iretd */
	assert_false(v->exception.pending);
	assert_int_equal(v->rip, 0x1002);
	assert_int_equal(v->regs[GPR_RSP], 0x8000);
	assert_int_equal(cpu_code_size(v), 2);
	/* iret in 16-bit code: 2-byte slots. */
	v->regs[GPR_RSP] = 0x7ffa;
	poke16(0x7ffa, 0x2000);
	poke16(0x7ffc, P_CODE16);
	poke16(0x7ffe, FL_FIXED1 | FL_CF);
	RUN(0xcf);
	assert_false(v->exception.pending);
	assert_int_equal(v->rip, 0x2000);
	assert_int_equal(v->regs[GPR_RSP], 0x8000);
	assert_true(v->rflags & FL_CF);
	/* lcall in 16-bit code: pushes CS and IP, 2 bytes each. */
	RUN(0x9a, 0x00, 0x30, P_CODE16, 0x00);
	assert_false(v->exception.pending);
	assert_int_equal(v->rip, 0x3000);
	assert_int_equal(v->regs[GPR_RSP], 0x7ffc);
	assert_int_equal(peek16(0x7ffc), 0x2005);
	assert_int_equal(peek16(0x7ffe), P_CODE16);
	RUN(0xcb); /* lret */
	assert_false(v->exception.pending);
	assert_int_equal(v->rip, 0x2005);
	assert_int_equal(v->regs[GPR_RSP], 0x8000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(test_lookup),
		T(test_cli_sti),
		T(test_pushf_popf),
		T(test_out_uart_and_in_unassigned),
		T(test_out_debug_exit),
		T(test_io_permission_bitmap),
		T(test_rep_outs_ins),
		T(test_rep_outs_stops_at_exit),
		T(test_mov_cr),
		T(test_mov_cr_ud_before_cpl),
		T(test_mov_dr_smsw_lmsw),
		T(test_lgdt_sgdt_lidt),
		T(test_ltr_lldt_str_sldt),
		T(test_lar_lsl_verr_verw),
		T(test_msr),
		T(test_rdmsr_zero_extends),
		T(test_cpuid),
		T(test_guest_umip),
		T(test_time),
		T(test_time_icount),
		T(test_xcr),
		T(test_hlt_invlpg_wbinvd),
		T(test_segments),
		T(test_deliver_same_level),
		T(test_deliver_from_user_and_ist),
		T(test_double_fault),
		T(test_triple_fault),
		T(test_iretq),
		T(test_deliver_then_iretq),
		T(test_syscall_sysret),
		T(test_int_n),
		T(test_far_call_ret_jmp),
		T(test_more_faults),
		T(test_int3_int1_and_interrupt),
		T(test_prot_operands),
		T(test_prot_tables_and_segments),
		T(test_prot_deliver),
		T(test_prot_deliver_tss_and_task_gate),
		T(test_prot_iret),
		T(test_prot_deliver_then_iret),
		T(test_prot_far_transfers),
		T(test_prot_long_mode_switch),
		T(test_prot_io_flags_sysenter),
		T(test_prot_16bit_code),
		T(test_prot_pae_pdptes),
#undef T
	};

	if (isa_init() < 0)
		return 1;
	int failed = cmocka_run_group_tests(tests, NULL, NULL);
	isa_fini();
	return failed;
}
