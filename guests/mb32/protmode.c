/*
 * guests/mb32/protmode.c - section 3: mb32's own GDT, TSS and IDT, the
 * exceptions, ring 3 and system calls.
 *
 * The tables are the 32-bit ones of SDM vol. 3: 8-byte segment
 * descriptors (3.4.5), a 104-byte TSS whose ESP0/SS0 give the stack for an
 * entry from ring 3 (7.2.1), and 8-byte interrupt and trap gates (6.11):
 * an interrupt gate clears IF on entry, a trap gate leaves it.  Every
 * exception and device vector is an interrupt gate of DPL 0; int $0x80 is a
 * trap gate of DPL 3, the only vector ring 3 may raise with int n.
 *
 * The exceptions checked here are #DE, #UD and #GP, with the error codes
 * the SDM gives (6.13); #PF needs paging and is checked in section 4.
 *
 * trap() is the one C handler: a vector with a handler goes there; an
 * exception inside try_run() is recorded and ends the try; anything else
 * is a bug in mb32 or in the machine, printed before exiting with 3.
 */
#include "devices/i8259.h"
#include "guests/mb32/mb32.h"

#define GATE32_INT 0xe  /* 32-bit interrupt gate */
#define GATE32_TRAP 0xf /* 32-bit trap gate */
#define TSS32_SIZE 104
#define EXIT_UNEXPECTED_TRAP 3

/* The 32-bit TSS (SDM vol. 3, 7.2.1); only ESP0, SS0 and the I/O map base
 * are used. */
struct __attribute__((packed)) tss32 {
	uint32_t link, esp0, ss0, esp1, ss1, esp2, ss2;
	uint32_t cr3, eip, eflags, eax, ecx, edx, ebx, esp, ebp, esi, edi;
	uint32_t es, cs, ss, ds, fs, gs, ldt;
	uint16_t trap, iomap_base;
};
_Static_assert(sizeof(struct tss32) == TSS32_SIZE, "32-bit TSS layout");

/* A flat code or data descriptor: base 0, limit 4 GiB (G), present. */
#define FLAT(type_dpl, flags) (0x000f00000000ffffULL | \
	((uint64_t)(type_dpl) << 40) | ((uint64_t)(flags) << 52))
#define ACC_CODE0 0x9a /* P, DPL 0, S, code execute/read */
#define ACC_DATA0 0x92 /* P, DPL 0, S, data read/write */
#define ACC_CODE3 0xfa
#define ACC_DATA3 0xf2
#define FLAGS_32 0xc   /* G, D/B */
#define FLAGS_64 0xa   /* G, L */

static uint64_t gdt[GDT_ENTRIES] __attribute__((aligned(8))) = {
	[SEL_KCODE >> 3] = FLAT(ACC_CODE0, FLAGS_32),
	[SEL_KDATA >> 3] = FLAT(ACC_DATA0, FLAGS_32),
	[SEL_UCODE >> 3] = FLAT(ACC_CODE3, FLAGS_32),
	[SEL_UDATA >> 3] = FLAT(ACC_DATA3, FLAGS_32),
	[SEL_KCODE2 >> 3] = FLAT(ACC_CODE0, FLAGS_32),
	[SEL_KCODE64 >> 3] = FLAT(ACC_CODE0, FLAGS_64),
};
static struct tss32 tss;
static uint64_t idt[256] __attribute__((aligned(8)));
static handler_fn *handlers[256];

/* The stack ring 3 enters on (TSS.ESP0), and ring 3's own. */
static uint8_t syscall_stack[4096] __attribute__((aligned(16)));
static uint8_t user_stack[4096] __attribute__((aligned(16)));

/* user.S */
extern char user_main[], user_hlt[], user_int_dpl0[];
/* Instructions below that are expected to fault. */
extern char de_insn[], ud_insn[], gp_insn[];

static uint64_t system_descriptor(uint32_t base, uint32_t limit,
				  unsigned type)
{
	return (limit & 0xffff) | (uint64_t)(base & 0xffffff) << 16 |
	       (uint64_t)(type | 0x80) << 40 | (uint64_t)(limit >> 16) << 48 |
	       (uint64_t)(base >> 24) << 56;
}

static uint64_t gate(uint32_t offset, unsigned type, unsigned dpl)
{
	return (offset & 0xffff) | (uint64_t)SEL_KCODE << 16 |
	       (uint64_t)(0x80 | dpl << 5 | type) << 40 |
	       (uint64_t)(offset >> 16) << 48;
}

void set_handler(unsigned vector, handler_fn *h)
{
	handlers[vector] = h;
}

/* ------------------------------------------------------------ try_run */
static struct fault *try_fault; /* non-NULL while a try_run is running */

int try_run(void (*fn)(void *), void *arg, struct fault *f)
{
	memset(f, 0, sizeof *f);
	try_fault = f;
	int r = try_enter(fn, arg);
	try_fault = NULL;
	return r;
}

void try_abandon(struct frame *f)
{
	f->eip = (uint32_t)try_landing;
	f->cs = SEL_KCODE;
	f->eflags = 0x2;
}

void trap(struct frame *f)
{
	if (handlers[f->vector]) {
		handlers[f->vector](f);
		return;
	}
	if (try_fault && f->vector < 32) {
		try_fault->vector = f->vector;
		try_fault->error = f->error;
		try_fault->cr2 = f->vector == T_PF ? read_cr2() : 0;
		try_fault->eip = f->eip;
		try_fault->cs = f->cs;
		try_abandon(f);
		return;
	}
	rt_printf("unexpected trap: vector %u error %x at %x:%x (CR2 %x)\n",
		f->vector, f->error, f->cs, f->eip, read_cr2());
	mb_exit(EXIT_UNEXPECTED_TRAP);
}

/* ------------------------------------------------------------ set-up */
static void load_tables(void)
{
	struct dt_ptr32 gdtr = { sizeof gdt - 1, (uint32_t)gdt };
	struct dt_ptr32 idtr = { sizeof idt - 1, (uint32_t)idt };

	tss.ss0 = SEL_KDATA;
	tss.esp0 = (uint32_t)syscall_stack + sizeof syscall_stack;
	tss.iomap_base = TSS32_SIZE; /* no I/O bitmap: CPL 3 gets no port */
	gdt[SEL_TSS >> 3] = system_descriptor((uint32_t)&tss, TSS32_SIZE - 1,
					      DESC_SYS_TSS_AVAIL);
	for (unsigned v = 0; v < 256; v++)
		idt[v] = gate(vector_stubs[v], GATE32_INT, 0);
	idt[VEC_SYSCALL] = gate(vector_stubs[VEC_SYSCALL], GATE32_TRAP, 3);

	/* the IDT right after the GDT: a fault from here on is reported */
	__asm__ volatile("lgdt %0" : : "m"(gdtr));
	__asm__ volatile("movw %w0, %%ds; movw %w0, %%es; movw %w0, %%ss;"
			 "movw %w0, %%fs; movw %w0, %%gs"
			 : : "r"(SEL_KDATA) : "memory");
	__asm__ volatile("lidt %0" : : "m"(idtr));
	far_jump_to(SEL_KCODE); /* ends on CS = SEL_KCODE */
	__asm__ volatile("ltr %w0" : : "r"(SEL_TSS));
}

/* Both 8259As off the exception vectors and every line masked: mb32 takes
 * device interrupts through the IOAPIC and the LAPIC only. */
static void pic_mask_all(void)
{
	outb(PIC_MASTER_CMD, ICW1_INIT | ICW1_IC4);
	outb(PIC_SLAVE_CMD, ICW1_INIT | ICW1_IC4);
	outb(PIC_MASTER_DATA, VEC_PIC_BASE);
	outb(PIC_SLAVE_DATA, VEC_PIC_BASE + 8);
	outb(PIC_MASTER_DATA, 1 << PIC_CASCADE_IRQ);
	outb(PIC_SLAVE_DATA, PIC_CASCADE_IRQ);
	outb(PIC_MASTER_DATA, 0x01); /* ICW4: 8086 mode */
	outb(PIC_SLAVE_DATA, 0x01);
	outb(PIC_MASTER_DATA, 0xff);
	outb(PIC_SLAVE_DATA, 0xff);
}

static void check_tables(void)
{
	uint16_t cs = read_cs(), tr;

	__asm__ volatile("str %w0" : "=r"(tr));
	check(cs == SEL_KCODE, "GDT: CS reloaded to 0x08", "CS %x", cs);
	check(tr == SEL_TSS, "TSS: str reads 0x28", "TR %x", tr);
	unsigned type = (unsigned)(gdt[SEL_TSS >> 3] >> 40) & 0xf;
	check(type == DESC_SYS_TSS_BUSY, "TSS: ltr marked the descriptor busy",
	      "type %x", type);
	uint16_t sel = far_jump_to(SEL_KCODE2);
	check(sel == SEL_KCODE2 && read_cs() == SEL_KCODE,
	      "far jump: CS 0x30, then back to 0x08", "CS was %x", sel);
}

/* ------------------------------------------------------------ exceptions */
__attribute__((noinline)) void divide_by_zero(void *arg);
__attribute__((noinline)) void undefined_opcode(void *arg);
__attribute__((noinline)) void bad_selector(void *arg);

void divide_by_zero(void *arg)
{
	(void)arg;
	__asm__ volatile("xorl %%ecx, %%ecx\n.globl de_insn\nde_insn: divl %%ecx"
			 : : "a"(1), "d"(0) : "ecx");
}

void undefined_opcode(void *arg)
{
	(void)arg;
	__asm__ volatile(".globl ud_insn\nud_insn: ud2");
}

/* Load DS with a selector past the GDT's limit: #GP(selector). */
void bad_selector(void *arg)
{
	(void)arg;
	__asm__ volatile(".globl gp_insn\ngp_insn: movw %w0, %%ds"
			 : : "r"(GDT_ENTRIES * 8) : "memory");
}

static void expect_fault(void (*fn)(void *), const char *name,
			 unsigned vector, uint32_t error, const char *insn)
{
	struct fault f;
	int r = try_run(fn, NULL, &f);

	check(r && f.vector == vector && f.error == error &&
		      f.eip == (uint32_t)insn && f.cs == SEL_KCODE,
	      name, "r=%d vector %u error %x at %x:%x", r, f.vector, f.error,
	      f.cs, f.eip);
}

static void check_pushf_popf(void)
{
	cli();
	bool clear = !(read_eflags() & EFLAGS_IF);
	sti();
	bool set = read_eflags() & EFLAGS_IF;
	write_eflags(read_eflags() & ~EFLAGS_IF); /* popf clears IF at CPL 0 */
	bool popf_cleared = !(read_eflags() & EFLAGS_IF);
	check(clear && set && popf_cleared,
	      "pushf/popf at CPL 0: IF follows cli, sti and popf",
	      "cli %d sti %d popf %d", clear, set, popf_cleared);
}

/* ------------------------------------------------------------ ring 3 */
static int user_exit_status = -1;

/* int $0x80: the system calls of user.S. */
static void on_syscall(struct frame *f)
{
	bool from_ring3 = (f->cs & 3) == 3 && (f->ss & 3) == 3;
	bool on_esp0 = (uint32_t)f >= (uint32_t)syscall_stack &&
		       (uint32_t)f < (uint32_t)syscall_stack + sizeof syscall_stack;
	bool if_kept = read_eflags() & EFLAGS_IF; /* a trap gate leaves IF */

	switch (f->eax) {
	case SYS_WRITE:
		check(from_ring3 && on_esp0,
		      "int $0x80: from CPL 3, on the TSS's ESP0 stack",
		      "CS %x SS %x frame at %x", f->cs, f->ss, (uint32_t)f);
		check(if_kept, "int $0x80: a trap gate leaves IF set",
		      "EFLAGS %x", read_eflags());
		rt_printf("user says: \"");
		for (uint32_t i = 0; i < f->ecx; i++)
			rt_putc(((const char *)f->ebx)[i]);
		rt_printf("\"\n");
		f->eax = f->ecx;
		return;
	case SYS_FLAGS:
		check(f->ebx & EFLAGS_IF,
		      "popf at CPL 3, IOPL 0: IF unchanged, no fault",
		      "EFLAGS %x", f->ebx);
		return;
	case SYS_EXIT:
		user_exit_status = (int)f->ebx;
		try_abandon(f);
		return;
	}
	rt_printf("unknown system call %u\n", f->eax);
	mb_exit(EXIT_UNEXPECTED_TRAP);
}

static void enter_user(void *eip)
{
	user_iret((uint32_t)eip, (uint32_t)user_stack + sizeof user_stack,
		  EFLAGS_IF | 0x2);
}

int run_user(void *eip, struct fault *f)
{
	return try_run(enter_user, eip, f);
}

static void check_ring3(void)
{
	struct fault f;

	set_handler(VEC_SYSCALL, on_syscall);
	int r = try_run(enter_user, user_main, &f);
	check(r && f.vector == 0 && user_exit_status == 42,
	      "ring 3: exit(42) through int $0x80", "r=%d vector %u status %d",
	      r, f.vector, user_exit_status);

	r = try_run(enter_user, user_hlt, &f);
	check(r && f.vector == T_GP && f.error == 0 && (f.cs & 3) == 3 &&
		      f.eip == (uint32_t)user_hlt,
	      "ring 3: hlt raises #GP(0)", "vector %u error %x at %x:%x",
	      f.vector, f.error, f.cs, f.eip);

	/* error code: IDT index, IDT bit (bit 1) set (SDM vol. 3, 6.13) */
	r = try_run(enter_user, user_int_dpl0, &f);
	uint32_t want = VEC_KERNEL_ONLY << 3 | 2;
	check(r && f.vector == T_GP && f.error == want && (f.cs & 3) == 3,
	      "ring 3: int $0x81 through a DPL-0 gate raises #GP(0x40a)",
	      "vector %u error %x", f.vector, f.error);
}

void protmode_section(void)
{
	section("3. protected mode");
	pic_mask_all();
	load_tables();
	check_tables();
	expect_fault(divide_by_zero, "#DE: div by 0 faults on the div", T_DE,
		     0, de_insn);
	expect_fault(undefined_opcode, "#UD: ud2", T_UD, 0, ud_insn);
	expect_fault(bad_selector,
		     "#GP: DS past the GDT limit, error code = selector 0x40",
		     T_GP, GDT_ENTRIES * 8, gp_insn);
	check_pushf_popf();
	check_ring3();
}
