/*
 * guests/pgcheck/privileged.c - the privileged group of pgcheck.
 *
 * Each of these instructions faults at CPL 3, so under trapvisor each one
 * traps and its interpreter routine must do exactly what the CPU does at
 * ring 0.  The checks observe results only through honest channels - other
 * privileged instructions (mov from crN, rdmsr), memory, and the frames
 * the CPU pushes on exceptions - never through sensitive-unprivileged ones
 * (pushf, sgdt, mov from a segment register ...), which would lie under
 * --isa=x86.  So this whole group passes under every engine and ISA mode.
 */
#include "cpu.h"
#include "pgcheck.h"

#define UART_SCRATCH 0x3ff  /* COM1 scratch register: a byte of memory */
#define PORT_UNUSED 0x210   /* nothing answers: reads all ones */
#define SEL_ALT_DATA 0x48   /* only in the alternative GDT of check_lgdt */
#define VECTOR_INT 0x80     /* int n through a DPL-0 gate */
#define VECTOR_ABSENT 0x82  /* a gate that is not present */
#define VECTOR_ALT_UD 0x81  /* the stub the alternative IDT sends #UD to */
#define REMAP_VA 0x40200000ULL

/* --------------------------------------------------------------- cli, sti */

static void cli_ud2(void *unused)
{
	(void)unused;
	__asm__ volatile("cli; ud2" : : : "memory");
}

/* sti has a one-instruction interrupt shadow: a nop before the fault. */
static void sti_ud2(void *unused)
{
	(void)unused;
	__asm__ volatile("sti; nop; ud2" : : : "memory");
}

/* Run fn (which ends in ud2) and return the IF its #UD frame shows, or -1. */
static int if_in_ud_frame(void (*fn)(void *))
{
	struct rt_fault f;

	if (!rt_try(fn, NULL, &f) || f.vector != T_UD)
		return -1;
	return (f.rflags & FL_IF) != 0;
}

static const char *check_cli(void)
{
	int iflag;

	sti();
	iflag = if_in_ud_frame(cli_ud2);
	cli();
	if (iflag < 0)
		return "cli; ud2 did not raise #UD";
	return iflag ? "IF=1 in the #UD frame after cli" : NULL;
}

static const char *check_sti(void)
{
	int iflag;

	cli();
	iflag = if_in_ud_frame(sti_ud2);
	cli();
	if (iflag < 0)
		return "sti; nop; ud2 did not raise #UD";
	return iflag ? NULL : "IF=0 in the #UD frame after sti";
}

/* --------------------------------------------------------------- port I/O */

static const char *check_in(void)
{
	outb(UART_SCRATCH, 0x5a);
	if (inb(UART_SCRATCH) != 0x5a)
		return "inb did not read back the UART scratch register";
	if (inw(PORT_UNUSED) != 0xffff)
		return rt_fmt("inw from unused port 0x%x: not 0xffff", PORT_UNUSED);
	if (inl(PORT_UNUSED) != 0xffffffff)
		return rt_fmt("inl from unused port 0x%x: not 0xffffffff",
			      PORT_UNUSED);
	return NULL;
}

static void out_unused(void *unused)
{
	(void)unused;
	outw(PORT_UNUSED, 0x1234);
	outl(PORT_UNUSED, 0x12345678);
}

static const char *check_out(void)
{
	outb(UART_SCRATCH, 0xa5);
	if (inb(UART_SCRATCH) != 0xa5)
		return "outb 0xa5 to the UART scratch register was not kept";
	outb(UART_SCRATCH, 0x3c);
	if (inb(UART_SCRATCH) != 0x3c)
		return "outb 0x3c to the UART scratch register was not kept";
	return pg_expect_no_fault(out_unused, NULL);
}

static const char *check_ins(void)
{
	uint8_t buf[5] = { 0, 0, 0, 0, 0x77 };
	uint8_t *rdi = buf;
	uint64_t rcx = 4;
	uint16_t w = 0;

	outb(UART_SCRATCH, 0xc3);
	__asm__ volatile("rep insb"
			 : "+D"(rdi), "+c"(rcx) : "d"(UART_SCRATCH) : "memory");
	for (int i = 0; i < 4; i++)
		if (buf[i] != 0xc3)
			return rt_fmt("rep insb: byte %d is 0x%x, not 0xc3", i, buf[i]);
	if (buf[4] != 0x77 || rcx != 0 || rdi != buf + 4)
		return "rep insb: wrong count or RDI, or wrote past the end";
	rdi = (uint8_t *)&w;
	__asm__ volatile("insw" : "+D"(rdi) : "d"(PORT_UNUSED) : "memory");
	if (w != 0xffff || rdi != (uint8_t *)&w + 2)
		return "insw from an unused port: not 0xffff, or RDI not +2";
	return NULL;
}

static const char *check_outs(void)
{
	static const char src[] = "pgc";
	const char *rsi = src;
	uint64_t rcx = 3;

	__asm__ volatile("rep outsb"
			 : "+S"(rsi), "+c"(rcx) : "d"(UART_SCRATCH) : "memory");
	if (rcx != 0 || rsi != src + 3)
		return "rep outsb: wrong RCX or RSI afterwards";
	if (inb(UART_SCRATCH) != 'c')
		return "rep outsb: the scratch register does not hold the last byte";
	return NULL;
}

/* --------------------------------------------------------------- mov crN */

static const char *check_mov_cr0(void)
{
	uint64_t cr0 = read_cr0();

	if (cr0 != (CR0_PE | CR0_ET | CR0_NE | CR0_WP | CR0_PG))
		return "CR0 is not PE|ET|NE|WP|PG at boot";
	write_cr0(cr0 | CR0_TS);
	if (read_cr0() != (cr0 | CR0_TS))
		return "CR0.TS set by mov to cr0 does not read back";
	write_cr0(cr0);
	if (read_cr0() != cr0)
		return "CR0.TS cleared by mov to cr0 does not read back";
	return NULL;
}

static void touch_unmapped(void *unused)
{
	(void)unused;
	(void)*(volatile uint8_t *)0x8000001234ULL; /* PML4[1]: not present */
}

static const char *check_mov_cr2(void)
{
	struct rt_fault f;

	write_cr2(0x123456789000ULL);
	if (read_cr2() != 0x123456789000ULL)
		return "CR2 does not read back what mov to cr2 wrote";
	if (!rt_try(touch_unmapped, NULL, &f) || f.vector != T_PF)
		return "reading an unmapped address did not raise #PF";
	if (read_cr2() != 0x8000001234ULL || f.error != 0)
		return "#PF did not load CR2 with the address, or error code not 0";
	return NULL;
}

/* Two frames that a test page is switched between. */
static uint64_t frame_a[PAGE_4K / 8] __attribute__((aligned(4096)));
static uint64_t frame_b[PAGE_4K / 8] __attribute__((aligned(4096)));

/* Point REMAP_VA at frame by writing its PTE, then flush with flush(). */
static uint64_t remap_and_read(uint64_t *frame, void (*flush)(void))
{
	uint64_t *pte = rt_pte(REMAP_VA);

	*pte = (uint64_t)(uintptr_t)frame | PTE_P | PTE_W;
	flush();
	return *(volatile uint64_t *)REMAP_VA;
}

static void flush_cr3(void)
{
	write_cr3(read_cr3());
}

static void flush_invlpg(void)
{
	invlpg(REMAP_VA);
}

static const char *check_mov_cr3(void)
{
	if ((read_cr3() & CR3_ADDR_MASK) != BOOT_PML4)
		return "CR3 is not BOOT_PML4 at boot";
	frame_a[0] = 0xaaaa;
	frame_b[0] = 0xbbbb;
	if (remap_and_read(frame_a, flush_cr3) != 0xaaaa ||
	    remap_and_read(frame_b, flush_cr3) != 0xbbbb)
		return "after a PTE change and a CR3 reload, the old frame is read";
	if ((read_cr3() & CR3_ADDR_MASK) != BOOT_PML4)
		return "CR3 does not read back what mov to cr3 wrote";
	return NULL;
}

static const char *check_mov_cr4(void)
{
	uint64_t cr4 = read_cr4();

	if (cr4 != CR4_PAE)
		return "CR4 is not PAE at boot";
	write_cr4(cr4 | CR4_PGE);
	if (read_cr4() != (cr4 | CR4_PGE))
		return "CR4.PGE set by mov to cr4 does not read back";
	write_cr4(cr4);
	if (read_cr4() != cr4)
		return "CR4.PGE cleared by mov to cr4 does not read back";
	return NULL;
}

static const char *check_mov_cr8(void)
{
	if (read_cr8() != 0)
		return "CR8 is not 0 at boot";
	write_cr8(5);
	if (read_cr8() != 5)
		return "CR8 does not read back 5";
	write_cr8(0);
	return read_cr8() == 0 ? NULL : "CR8 does not read back 0";
}

/* --------------------------------------------------------------- mov drN */

static const char *check_mov_dr(void)
{
	uint64_t dr0, dr7;

	__asm__ volatile("mov %2, %%dr0\n\t"
			 "mov %3, %%dr7\n\t"
			 "mov %%dr0, %0\n\t"
			 "mov %%dr7, %1"
			 : "=r"(dr0), "=r"(dr7)
			 : "r"(0x123000ULL), "r"(0x400ULL) : "memory");
	__asm__ volatile("mov %0, %%dr0" : : "r"(0ULL));
	if (dr0 != 0x123000)
		return "DR0 does not read back what mov to dr0 wrote";
	if (dr7 != 0x400)
		return "DR7 does not read back 0x400";
	return NULL;
}

/* --------------------------------------------------------------- tables */

static const char *check_lgdt(void)
{
	static uint64_t alt_gdt[RT_GDT_ENTRIES + 1] __attribute__((aligned(16)));
	struct dt_ptr alt = { sizeof(alt_gdt) - 1, (uint64_t)alt_gdt };
	struct dt_ptr old = { sizeof(rt_gdt) - 1, (uint64_t)rt_gdt };
	const char *why;

	memcpy(alt_gdt, rt_gdt, sizeof(rt_gdt));
	alt_gdt[SEL_ALT_DATA >> 3] = RT_DESC_KDATA;
	lgdt(&alt);
	why = pg_expect_no_fault(pg_load_ds, (void *)SEL_ALT_DATA);
	pg_load_ds((void *)RT_SEL_KDATA);
	lgdt(&old);
	if (why)
		return rt_fmt("selector 0x%x of the new GDT: %s", SEL_ALT_DATA, why);
	why = pg_expect_fault(pg_load_ds, (void *)SEL_ALT_DATA, T_GP, true,
			      SEL_ALT_DATA);
	return why ? rt_fmt("selector 0x%x after the old GDT is back: %s",
			    SEL_ALT_DATA, why) : NULL;
}

static const char *check_lidt(void)
{
	static uint64_t alt_idt[256 * 2] __attribute__((aligned(16)));
	struct dt_ptr alt = { RT_IDT_LIMIT, (uint64_t)alt_idt };
	struct dt_ptr old = { RT_IDT_LIMIT, (uint64_t)rt_idt };
	struct rt_fault f;
	int faulted;

	memcpy(alt_idt, rt_idt, sizeof(alt_idt));
	rt_gate_encode(&alt_idt[2 * T_UD], VECTOR_ALT_UD, 0);
	lidt(&alt);
	faulted = rt_try(pg_ud2, NULL, &f);
	lidt(&old);
	if (!faulted || f.vector != VECTOR_ALT_UD)
		return "#UD did not go through the gate of the new IDT";
	if (!rt_try(pg_ud2, NULL, &f) || f.vector != T_UD)
		return "#UD did not go through the old IDT once it was back";
	return NULL;
}

static void do_lldt(void *sel)
{
	lldt((uint16_t)(uintptr_t)sel);
}

static const char *check_lldt(void)
{
	const char *why;

	/* After reset LDTR's hidden part is usable (base 0, limit 0xffff):
	 * only lldt of the null selector makes every LDT reference fault. */
	lldt(0);
	why = pg_expect_fault(pg_load_ds, (void *)RT_LDT_SEL_DATA, T_GP, true,
			      RT_LDT_SEL_DATA & ~SEL_RPL_MASK);
	if (why)
		return rt_fmt("LDT selector with a null LDTR: %s", why);
	lldt(RT_SEL_LDT);
	why = pg_expect_no_fault(pg_load_ds, (void *)RT_LDT_SEL_DATA);
	pg_load_ds((void *)RT_SEL_KDATA);
	lldt(0);
	if (why)
		return rt_fmt("LDT selector after lldt: %s", why);
	why = pg_expect_fault(do_lldt, (void *)RT_SEL_KDATA, T_GP, true,
			      RT_SEL_KDATA);
	return why ? rt_fmt("lldt of a data descriptor: %s", why) : NULL;
}

static void do_ltr(void *sel)
{
	ltr((uint16_t)(uintptr_t)sel);
}

static unsigned tss_type(void)
{
	return (rt_gdt[RT_SEL_TSS >> 3] & DESC_TYPE_MASK) >> DESC_TYPE_SHIFT;
}

static const char *check_ltr(void)
{
	const char *why;

	if (tss_type() != DESC_SYS_TSS_BUSY)
		return "the runtime's ltr did not mark its TSS busy";
	why = pg_expect_fault(do_ltr, (void *)RT_SEL_TSS, T_GP, true, RT_SEL_TSS);
	if (why)
		return rt_fmt("ltr of a busy TSS: %s", why);
	rt_gdt[RT_SEL_TSS >> 3] &= ~DESC_TYPE_MASK;
	rt_gdt[RT_SEL_TSS >> 3] |= (uint64_t)DESC_SYS_TSS_AVAIL << DESC_TYPE_SHIFT;
	why = pg_expect_no_fault(do_ltr, (void *)RT_SEL_TSS);
	if (why)
		return rt_fmt("ltr of an available TSS: %s", why);
	return tss_type() == DESC_SYS_TSS_BUSY ? NULL
					      : "ltr did not mark the TSS busy";
}

/* --------------------------------------------------------------- CR0.TS */

static void lmsw(uint16_t msw)
{
	__asm__ volatile("lmsw %0" : : "r"(msw) : "memory");
}

static const char *check_lmsw(void)
{
	uint64_t cr0 = read_cr0();

	lmsw((uint16_t)(cr0 | CR0_TS));
	if (read_cr0() != (cr0 | CR0_TS))
		return "lmsw did not set CR0.TS alone";
	lmsw(0);
	if (read_cr0() != (cr0 & ~(CR0_MP | CR0_EM | CR0_TS)))
		return "lmsw 0 cleared CR0.PE or touched bits above 3";
	write_cr0(cr0);
	return NULL;
}

static const char *check_clts(void)
{
	uint64_t cr0 = read_cr0();

	write_cr0(cr0 | CR0_TS);
	__asm__ volatile("clts" : : : "memory");
	if (read_cr0() != (cr0 & ~CR0_TS))
		return "clts did not clear CR0.TS alone";
	write_cr0(cr0);
	return NULL;
}

/* --------------------------------------------------------------- MSRs */

/*
 * A real CPU raises #GP(0) for an MSR it does not implement; QEMU's TCG
 * reads 0 and ignores writes, so the reference machine cannot check that.
 */
static const char *check_rdmsr(void)
{
	if (rdmsr(MSR_EFER) != (EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE))
		return "EFER is not SCE|LME|LMA|NXE";
	if (rdmsr(MSR_IA32_APIC_BASE) !=
	    (APIC_BASE_DEFAULT | APIC_BASE_ENABLE | APIC_BASE_BSP))
		return "IA32_APIC_BASE is not 0xfee00900";
	if (rdmsr(MSR_IA32_PAT) != PAT_DEFAULT)
		return "IA32_PAT is not its power-on value";
	return NULL;
}

/* Write msr and read it back: 0 when they agree. */
static int msr_roundtrip(uint32_t msr, uint64_t v)
{
	wrmsr(msr, v);
	return rdmsr(msr) != v;
}

static const char *check_wrmsr(void)
{
	if (msr_roundtrip(MSR_STAR, PG_STAR) ||
	    msr_roundtrip(MSR_LSTAR, (uint64_t)pg_syscall_entry) ||
	    msr_roundtrip(MSR_SFMASK, PG_SFMASK) ||
	    msr_roundtrip(MSR_KERNEL_GS_BASE, 0xffff800000001000ULL) ||
	    msr_roundtrip(MSR_KERNEL_GS_BASE, 0))
		return "STAR, LSTAR, SFMASK or KERNEL_GS_BASE does not read back";
	return NULL;
}

/* --------------------------------------------------------------- rdpmc */

static void rdpmc0(void *unused)
{
	uint32_t lo, hi;

	(void)unused;
	__asm__ volatile("rdpmc" : "=a"(lo), "=d"(hi) : "c"(0));
}

/*
 * At CPL 0 rdpmc passes the privilege test whatever CR4.PCE says; then
 * the SDM gives #GP(0) when ECX names no supported counter (the virtual
 * CPU has none) - and QEMU's TCG, which implements no counters, gives
 * #UD instead.  So: a read, #GP(0) or #UD, never another fault.
 */
static const char *check_rdpmc(void)
{
	struct rt_fault f;

	if (!rt_try(rdpmc0, NULL, &f) || f.vector == T_UD ||
	    (f.vector == T_GP && f.error == 0))
		return NULL;
	return rt_fmt("rdpmc of counter 0: %s(0x%lx)", rt_vector_name(f.vector),
		      f.error);
}

/* --------------------------------------------------------------- TLB and caches */

static const char *check_invlpg(void)
{
	frame_a[0] = 0xaaaa;
	frame_b[0] = 0xbbbb;
	if (remap_and_read(frame_a, flush_invlpg) != 0xaaaa ||
	    remap_and_read(frame_b, flush_invlpg) != 0xbbbb)
		return "after a PTE change and invlpg, the old frame is read";
	return NULL;
}

struct invpcid_desc {
	uint64_t pcid;
	uint64_t va;
};

static void invpcid_type(void *type)
{
	static const struct invpcid_desc d = { 0, 0 };

	__asm__ volatile("invpcid %0, %1"
			 : : "m"(d), "r"((uint64_t)(uintptr_t)type) : "memory");
}

/* Without INVPCID (the virtual CPU and qemu64) #UD; with it, type 2 works
 * and the undefined type 4 is #GP(0). */
static const char *check_invpcid(void)
{
	struct rt_fault f;

	if (!rt_try(invpcid_type, (void *)2, &f))
		return pg_expect_fault(invpcid_type, (void *)4, T_GP, true, 0);
	return f.vector == T_UD ? NULL
				: rt_fmt("invpcid type 2: %s(0x%lx)",
					 rt_vector_name(f.vector), f.error);
}

static void do_wbinvd(void *unused)
{
	(void)unused;
	__asm__ volatile("wbinvd" : : : "memory");
}

/* invd drops dirty cache lines on real hardware: write them back first. */
static void do_invd(void *unused)
{
	(void)unused;
	__asm__ volatile("wbinvd; invd" : : : "memory");
}

static const char *check_wbinvd(void)
{
	return pg_expect_no_fault(do_wbinvd, NULL);
}

static const char *check_invd(void)
{
	return pg_expect_no_fault(do_invd, NULL);
}

/* --------------------------------------------------------------- swapgs, xsetbv */

static const char *check_swapgs(void)
{
	uint64_t gs, kgs;

	wrmsr(MSR_GS_BASE, 0x1000);
	wrmsr(MSR_KERNEL_GS_BASE, 0x2000);
	__asm__ volatile("swapgs" : : : "memory");
	gs = rdmsr(MSR_GS_BASE);
	kgs = rdmsr(MSR_KERNEL_GS_BASE);
	__asm__ volatile("swapgs" : : : "memory");
	if (gs != 0x2000 || kgs != 0x1000)
		return "GS_BASE and KERNEL_GS_BASE were not exchanged";
	if (rdmsr(MSR_GS_BASE) != 0x1000 || rdmsr(MSR_KERNEL_GS_BASE) != 0x2000)
		return "a second swapgs did not exchange them back";
	wrmsr(MSR_GS_BASE, 0);
	wrmsr(MSR_KERNEL_GS_BASE, 0);
	return NULL;
}

static void do_xsetbv(void *unused)
{
	(void)unused;
	__asm__ volatile("xsetbv" : : "c"(0), "a"(1), "d"(0) : "memory");
}

static const char *check_xsetbv(void)
{
	return pg_expect_fault(do_xsetbv, NULL, T_UD, false, 0);
}

/* --------------------------------------------------------------- sysretq, sysexit */

static void sysret_touch(void *unused)
{
	(void)unused;
	pg_sysret_to_user(PG_USER_VA + PG_USER_TOUCH, FL_FIXED1);
}

static const char *check_sysretq(void)
{
	struct rt_fault f;
	uint64_t rcx;

	pg_user_setup();
	rcx = pg_sysret_to_user(PG_USER_VA + PG_USER_SYSCALL, FL_FIXED1);
	if (rcx != PG_USER_VA + PG_USER_SYSCALL + 2 || pg_syscall_r11 != FL_FIXED1)
		return "the user code's syscall did not come back with its RIP and RFLAGS";
	if (!rt_try(sysret_touch, NULL, &f) || f.vector != T_PF)
		return "user code reading a supervisor page did not raise #PF";
	if (f.error != (PFEC_P | PFEC_U) || f.cr2 != PG_USER_TOUCH_ADDR ||
	    f.rip != PG_USER_VA + PG_USER_TOUCH ||
	    f.cs != (RT_SEL_UCODE | CPL_USER))
		return "the #PF from user code does not show CPL 3";
	return NULL;
}

static void do_sysexit(void *unused)
{
	(void)unused;
	__asm__ volatile("sysexitq"
			 : : "c"(0), "d"(PG_USER_VA) : "memory");
}

/* With IA32_SYSENTER_CS = 0, sysexit is #GP(0) (Intel); in long mode on
 * AMD and on QEMU's AMD-like qemu64 it is #UD.  Either way: no transfer. */
static const char *check_sysexit(void)
{
	struct rt_fault f;

	wrmsr(MSR_IA32_SYSENTER_CS, 0);
	if (!rt_try(do_sysexit, NULL, &f))
		return "sysexit returned";
	if (f.vector == T_UD || (f.vector == T_GP && f.error == 0))
		return NULL;
	return rt_fmt("sysexit: %s(0x%lx)", rt_vector_name(f.vector), f.error);
}

/* --------------------------------------------------------------- iretq, far transfers */

static const char *check_iretq(void)
{
	uint8_t cf, zf;

	__asm__ volatile("movq %%rsp, %%rax\n\t"
			 "pushq %[ss]\n\t"
			 "pushq %%rax\n\t"
			 "pushq %[fl]\n\t"
			 "pushq %[cs]\n\t"
			 "leaq 1f(%%rip), %%rax\n\t"
			 "pushq %%rax\n\t"
			 "testq %%rsp, %%rsp\n\t" /* CF = ZF = 0 before */
			 "iretq\n"
			 "1:\tsetc %0\n\t"
			 "setz %1"
			 : "=q"(cf), "=q"(zf)
			 : [ss] "i"(RT_SEL_KDATA), [cs] "i"(RT_SEL_KCODE),
			   [fl] "i"(FL_FIXED1 | FL_CF | FL_ZF)
			 : "rax", "memory", "cc");
	return cf && zf ? NULL : "CF and ZF were not loaded from the frame";
}

static void lretq_to(void *sel)
{
	__asm__ volatile("pushq %0\n\t"
			 "leaq 1f(%%rip), %%rax\n\t"
			 "pushq %%rax\n\t"
			 "lretq\n"
			 "1:"
			 : : "r"((uint64_t)(uintptr_t)sel) : "rax", "memory");
}

static const char *check_lret(void)
{
	const char *why = pg_expect_no_fault(lretq_to, (void *)RT_SEL_KCODE);

	if (why)
		return rt_fmt("lretq to 0x%x: %s", RT_SEL_KCODE, why);
	why = pg_expect_fault(lretq_to, (void *)SEL_BEYOND_GDT, T_GP, true,
			      SEL_BEYOND_GDT);
	return why ? rt_fmt("lretq to 0x%x: %s", SEL_BEYOND_GDT, why) : NULL;
}

/* A far pointer m16:32, the form every x86-64 CPU accepts. */
struct __attribute__((packed)) far32 {
	uint32_t offset;
	uint16_t selector;
};

static void ljmp_to(void *sel)
{
	static struct far32 target;

	target.selector = (uint16_t)(uintptr_t)sel;
	__asm__ volatile("leaq 1f(%%rip), %%rax\n\t"
			 "movl %%eax, %0\n\t"
			 "ljmpl *%0\n"
			 "1:"
			 : "+m"(target) : : "rax", "memory");
}

static const char *check_ljmp(void)
{
	const char *why = pg_expect_no_fault(ljmp_to, (void *)RT_SEL_KCODE);

	if (why)
		return rt_fmt("ljmp to 0x%x: %s", RT_SEL_KCODE, why);
	why = pg_expect_fault(ljmp_to, (void *)RT_SEL_KDATA, T_GP, true,
			      RT_SEL_KDATA);
	return why ? rt_fmt("ljmp to data segment 0x%x: %s", RT_SEL_KDATA, why)
		   : NULL;
}

/* lcall with 32-bit operands pushes CS and EIP as 4 bytes each; the callee
 * reads the pushed CS and returns with lretl. */
static const char *check_lcall(void)
{
	static struct far32 target;
	uint32_t pushed_cs;

	target.selector = RT_SEL_KCODE;
	__asm__ volatile("leaq 2f(%%rip), %%rax\n\t"
			 "movl %%eax, %1\n\t"
			 "lcalll *%1\n\t"
			 "jmp 3f\n"
			 "2:\tmovl 4(%%rsp), %0\n\t"
			 "lretl\n"
			 "3:"
			 : "=r"(pushed_cs), "+m"(target) : : "rax", "memory");
	return (pushed_cs & 0xffff) == RT_SEL_KCODE
		       ? NULL : "lcall did not push CS 0x8";
}

/* --------------------------------------------------------------- int n */

static uint64_t int_rip, int_cs;

static void on_int(struct rt_frame *f)
{
	int_rip = f->rip;
	int_cs = f->cs;
}

static void int_absent(void *unused)
{
	(void)unused;
	__asm__ volatile("int %0" : : "i"(VECTOR_ABSENT) : "memory");
}

/*
 * A gate must be an interrupt or trap gate (else #GP) and present (else
 * #NP), the error code naming the IDT entry (ERRC_IDT).  The absent gate
 * keeps its type so that the P check is what fails.  The SDM's error code
 * is vector * 8 + 2 (0x412); QEMU 7.2 reports vector * 16 + 2 (0x822), so
 * only the vector and the IDT flag are compared.
 */
static const char *check_int_n(void)
{
	struct rt_fault f;
	uint64_t after;

	rt_set_gate(VECTOR_ABSENT, VECTOR_ABSENT, 0);
	rt_idt[2 * VECTOR_ABSENT] &= ~DESC_P;
	rt_set_gate(VECTOR_INT, VECTOR_INT, 0);
	rt_set_handler(VECTOR_INT, on_int);
	__asm__ volatile("int %1\n"
			 "1:\tleaq 1b(%%rip), %0"
			 : "=r"(after) : "i"(VECTOR_INT) : "memory");
	rt_set_handler(VECTOR_INT, NULL);
	if (int_rip != after || int_cs != RT_SEL_KCODE)
		return "int 0x80 did not reach its handler with RIP after it, CS 0x8";
	if (!rt_try(int_absent, NULL, &f))
		return "int 0x82 on a gate not present did not fault";
	if (f.vector != T_NP || (f.error & (ERRC_IDT | ERRC_EXT)) != ERRC_IDT)
		return rt_fmt("int 0x82 on a gate not present: %s(0x%lx)",
			      rt_vector_name(f.vector), f.error);
	return NULL;
}

/* --------------------------------------------------------------- segment loads */

static void pop_gs(void *sel)
{
	__asm__ volatile("pushq %0\n\t"
			 "popq %%gs"
			 : : "r"((uint64_t)(uintptr_t)sel) : "memory");
}

static void pop_fs(void *sel)
{
	__asm__ volatile("pushq %0\n\t"
			 "popq %%fs"
			 : : "r"((uint64_t)(uintptr_t)sel) : "memory");
}

/*
 * pop Sreg is privileged, and mov to Sreg is not, though both load a
 * segment register by the SDM's same checks: only mov can load SS, whose
 * rule (RPL = DPL = CPL) refuses at CPL 0 a ring-3 selector that CPL 3
 * accepts.  For DS, ES, FS and GS a data segment only needs DPL >= CPL
 * and RPL <= DPL: a ring-3 selector loads at CPL 0 as at CPL 3, so no use
 * of pop fs runs at ring 0 and silently differs at ring 3.  The ring-3
 * load below is that case (isa/README.md, the classes).
 */
static const char *check_pop_sreg(void)
{
	const char *why;

	wrmsr(MSR_FS_BASE, TEST_FS_BASE);
	__asm__ volatile("pushq %0\n\t"
			 "popq %%fs"
			 : : "r"((uint64_t)RT_SEL_KDATA) : "memory");
	if (rdmsr(MSR_FS_BASE) != 0)
		return "pop fs of 0x10 did not load the descriptor's base 0";
	pg_load_fs((void *)0);
	why = pg_expect_no_fault(pop_fs, (void *)(RT_SEL_UDATA | 3));
	pg_load_fs((void *)0);
	if (why)
		return rt_fmt("pop fs of ring-3 0x%x at CPL 0: %s",
			      RT_SEL_UDATA | 3, why);
	why = pg_expect_fault(pop_gs, (void *)SEL_BEYOND_GDT, T_GP, true,
			      SEL_BEYOND_GDT);
	return why ? rt_fmt("pop gs of 0x%x: %s", SEL_BEYOND_GDT, why) : NULL;
}

/* --------------------------------------------------------------- the group */

const struct pg_check pg_privileged[] = {
	{ "cli", "IF=0 in the #UD frame after sti; cli", check_cli },
	{ "sti", "IF=1 in the #UD frame after cli; sti", check_sti },
	{ "in", "inb reads the UART scratch register; inw/inl of an unused port read all ones", check_in },
	{ "out", "outb values are kept by the UART scratch register; outw/outl to an unused port are ignored", check_out },
	{ "ins", "rep insb fills 4 bytes from the scratch register; insw of an unused port reads 0xffff", check_ins },
	{ "outs", "rep outsb sends 3 bytes, RSI and RCX advance", check_outs },
	{ "mov_cr0", "CR0 = PE|ET|NE|WP|PG at boot; CR0.TS set and cleared", check_mov_cr0 },
	{ "mov_cr2", "CR2 written and read back; #PF loads CR2 with the address", check_mov_cr2 },
	{ "mov_cr3", "CR3 = BOOT_PML4; a CR3 reload makes a changed PTE visible", check_mov_cr3 },
	{ "mov_cr4", "CR4 = PAE at boot; CR4.PGE set and cleared", check_mov_cr4 },
	{ "mov_cr8", "CR8 = 0 at boot; 5 and 0 written and read back", check_mov_cr8 },
	{ "mov_dr", "DR0 and DR7 written and read back", check_mov_dr },
	{ "lgdt", "a selector beyond the old GDT's limit loads from the new GDT, and #GP once the old one is back", check_lgdt },
	{ "lidt", "#UD goes through the new IDT's gate, and the old one once it is back", check_lidt },
	{ "lldt", "an LDT selector is #GP with a null LDTR, loads after lldt 0x38; lldt of a data descriptor is #GP", check_lldt },
	{ "ltr", "the TSS is busy after ltr; ltr of a busy TSS is #GP(0x28); of an available one marks it busy", check_ltr },
	{ "lmsw", "lmsw sets CR0.TS; lmsw 0 leaves CR0.PE set", check_lmsw },
	{ "clts", "clts clears CR0.TS only", check_clts },
	{ "rdmsr", "EFER = SCE|LME|LMA|NXE; APIC_BASE and PAT at their power-on values", check_rdmsr },
	{ "wrmsr", "STAR, LSTAR, SFMASK and KERNEL_GS_BASE read back", check_wrmsr },
	{ "rdpmc", "counter 0 at CPL 0: read, #GP(0) (no such counter) or #UD (QEMU)", check_rdpmc },
	{ "invlpg", "after a PTE change and invlpg the new frame is read", check_invlpg },
	{ "invpcid", "#UD without INVPCID (else type 2 works and type 4 is #GP(0))", check_invpcid },
	{ "wbinvd", "executes at CPL 0", check_wbinvd },
	{ "invd", "executes at CPL 0", check_invd },
	{ "swapgs", "exchanges GS_BASE and KERNEL_GS_BASE, twice", check_swapgs },
	{ "xsetbv", "#UD with CR4.OSXSAVE=0", check_xsetbv },
	{ "sysretq", "reaches CPL 3 code that comes back with syscall and faults with PFEC_U", check_sysretq },
	{ "sysexit", "faults with IA32_SYSENTER_CS=0", check_sysexit },
	{ "iretq", "returns to CPL 0 with CF and ZF from the frame", check_iretq },
	{ "lret", "lretq to 0x8 works; to a selector beyond the GDT is #GP(0x50)", check_lret },
	{ "ljmp", "ljmp to 0x8 works; to a data segment is #GP(0x10)", check_ljmp },
	{ "lcall", "lcall to 0x8 pushes CS 0x8 and returns with lretl", check_lcall },
	{ "int_n", "int 0x80 through a DPL-0 gate reaches its handler; a gate not present is #NP with the IDT flag", check_int_n },
	{ "pop_sreg", "pop fs loads 0x10 with the descriptor's base, and ring-3 0x1b; pop gs beyond the GDT is #GP(0x50)", check_pop_sreg },
};

const unsigned pg_privileged_count = sizeof(pg_privileged) / sizeof(pg_privileged[0]);
