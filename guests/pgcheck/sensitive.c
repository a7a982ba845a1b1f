/*
 * guests/pgcheck/sensitive.c - the sensitive-unprivileged group of pgcheck.
 *
 * These instructions read or change the machine's configuration, yet on
 * x86 they do not fault at CPL 3 (without UMIP): a de-privileged kernel
 * that executes them sees the real machine, not its virtual one.  Each
 * check sets the virtual machine up through privileged instructions (which
 * the monitor emulates faithfully) and then asks the sensitive one, so:
 *   real ring 0 (QEMU)        every check passes;
 *   trapvisor --isa=strict    every check passes (they trap, as with UMIP);
 *   trapvisor --isa=x86       every check fails, with the text below.
 */
#include "cpu.h"
#include "pgcheck.h"

#define TEST_TSC_AUX 0x7e57
#define SHORT_IDT_LIMIT (T_NEXC * GATE_SIZE - 1)
#define CPUID_7_ECX_RDPID (1U << 22)

/* --------------------------------------------------------------- flags */

/*
 * Through cpu.h: pushf and popf, or in the PV build the shared page's
 * mask byte.  The read_cs() between a change and its check is an exit in
 * the PV build (a hypercall), so what is read back is the monitor's copy
 * of the virtual IF, folded from the byte and written back, not merely
 * the byte the guest wrote; natively it is one more instruction.
 */
static const char *check_pushf(void)
{
	uintptr_t after_cli, after_sti;

	cli();
	(void)read_cs();
	after_cli = read_flags();
	sti();
	(void)read_cs();
	after_sti = read_flags();
	cli();
	if (after_cli & FL_IF)
		return "IF=1 after cli";
	if (!(after_sti & FL_IF))
		return "IF=0 after sti";
	return NULL;
}

#ifndef PV
/* popf is observed through the frame of a #UD, not through pushf. */
static const char *check_popf(void)
{
	struct rt_fault f;
	int faulted;

	cli();
	write_flags(FL_FIXED1 | FL_IF | FL_IOPL_MASK);
	faulted = rt_try(pg_ud2, NULL, &f);
	write_flags(FL_FIXED1);
	if (!faulted || f.vector != T_UD)
		return "ud2 did not raise #UD";
	if (!(f.rflags & FL_IF))
		return "IF still 0 after popf set it";
	if ((f.rflags & FL_IOPL_MASK) != FL_IOPL_MASK)
		return "IOPL still 0 after popf set it to 3";
	return NULL;
}
#else
/*
 * PV: write_flags changes only IF, through the mask byte; the #UD frame
 * must show it.  The hypercall before the ud2 is the exit at which the
 * monitor takes the byte: under kvm the CPU raises the #UD itself and
 * pushes its own IF, which gets the byte's value only at an exit.
 */
static const char *check_popf(void)
{
	struct rt_fault f;
	int faulted;

	cli();
	write_flags(FL_FIXED1 | FL_IF);
	(void)read_cs();
	faulted = rt_try(pg_ud2, NULL, &f);
	write_flags(FL_FIXED1);
	if (!faulted || f.vector != T_UD)
		return "ud2 did not raise #UD";
	if (!(f.rflags & FL_IF))
		return "IF still 0 after write_flags set it";
	return NULL;
}
#endif

/* --------------------------------------------------------------- descriptor-table registers */

static const char *check_sgdt(void)
{
	struct dt_ptr g;

	sgdt(&g);
	if (g.limit != sizeof(rt_gdt) - 1 || g.base != (uint64_t)rt_gdt)
		return "not the GDTR that lgdt loaded";
	return NULL;
}

/* A distinctive limit, so that a machine's own IDTR cannot match. */
static const char *check_sidt(void)
{
	struct dt_ptr short_idt = { SHORT_IDT_LIMIT, (uint64_t)rt_idt };
	struct dt_ptr full_idt = { RT_IDT_LIMIT, (uint64_t)rt_idt };
	struct dt_ptr i;

	lidt(&short_idt);
	sidt(&i);
	lidt(&full_idt);
	if (i.limit != SHORT_IDT_LIMIT || i.base != (uint64_t)rt_idt)
		return "not the IDTR that lidt loaded";
	return NULL;
}

static const char *check_sldt(void)
{
	uint16_t sel;

	lldt(RT_SEL_LDT);
	sel = read_ldtr();
	lldt(0);
	return sel == RT_SEL_LDT ? NULL : "not the selector that lldt loaded";
}

static const char *check_str(void)
{
	uint16_t sel = read_tr();

	return sel == RT_SEL_TSS ? NULL : "not the selector that ltr loaded";
}

static const char *check_smsw(void)
{
	uint64_t cr0 = read_cr0();
	uint16_t msw;

	write_cr0(cr0 | CR0_TS);
	msw = smsw();
	write_cr0(cr0);
	return msw == (uint16_t)(cr0 | CR0_TS) ? NULL
					      : "not CR0[15:0] (with CR0.TS set)";
}

/* --------------------------------------------------------------- segment registers */

static const char *check_mov_from_sreg(void)
{
	uint16_t cs = read_cs(), ss = read_ss(), ds = read_ds();

	if (cs != RT_SEL_KCODE || ss != RT_SEL_KDATA || ds != RT_SEL_KDATA)
		return rt_fmt("read cs=0x%x ss=0x%x ds=0x%x, not 0x8 0x10 0x10",
			      cs, ss, ds);
	return NULL;
}

static const char *check_push_sreg(void)
{
	uint64_t v;

	__asm__ volatile("movw %1, %%fs\n\t"
			 "pushq $-1\n\t"     /* a known slot, then push over it */
			 "popq %0\n\t"
			 "pushq %%fs\n\t"
			 "popq %0\n\t"
			 "movw %2, %%fs"
			 : "=&r"(v)
			 : "r"((uint16_t)RT_SEL_KDATA), "r"((uint16_t)0)
			 : "memory");
	if ((v & 0xffff) != RT_SEL_KDATA)
		return rt_fmt("push fs pushed 0x%lx, not 0x10", v & 0xffff);
	return NULL;
}

/* --------------------------------------------------------------- descriptor queries */

static const char *check_lar(void)
{
	uint32_t ar = 0;
	uint8_t zf;

	__asm__ volatile("larl %k2, %0\n\t"
			 "setz %1"
			 : "+r"(ar), "=q"(zf) : "r"((uint32_t)RT_SEL_KCODE) : "cc");
	if (!zf)
		return "ZF=0: descriptor 0x8 not visible";
	/* Bits 23:8 of the descriptor's high dword, 19:16 undefined (SDM). */
	if ((ar & 0x00f0ff00) != ((RT_DESC_KCODE >> 32) & 0x00f0ff00))
		return "wrong access rights for 0x8";
	return NULL;
}

static const char *check_lsl(void)
{
	uint32_t limit = 0;
	uint8_t zf;

	__asm__ volatile("lsll %k2, %0\n\t"
			 "setz %1"
			 : "+r"(limit), "=q"(zf) : "r"((uint32_t)RT_SEL_KDATA) : "cc");
	if (!zf)
		return "ZF=0: descriptor 0x10 not visible";
	return limit == 0xffffffff ? NULL : "limit of 0x10 is not 0xffffffff";
}

static const char *check_verr(void)
{
	uint8_t zf;

	__asm__ volatile("verr %w1\n\t"
			 "setz %0"
			 : "=q"(zf) : "r"((uint16_t)RT_SEL_KCODE) : "cc");
	return zf ? NULL : "ZF=0: code segment 0x8 not readable";
}

static const char *check_verw(void)
{
	uint8_t zf;

	__asm__ volatile("verw %w1\n\t"
			 "setz %0"
			 : "=q"(zf) : "r"((uint16_t)RT_SEL_KDATA) : "cc");
	return zf ? NULL : "ZF=0: data segment 0x10 not writable";
}

/* --------------------------------------------------------------- identification, time */

static const char *check_cpuid(void)
{
	uint32_t r[4];
	bool osxsave = (read_cr4() & CR4_OSXSAVE) != 0;

	cpuid(1, 0, r);
	if (((r[2] & CPUID_1_ECX_OSXSAVE) != 0) != osxsave)
		return osxsave ? "CPUID.1:ECX.OSXSAVE=0 but CR4.OSXSAVE=1"
			       : "CPUID.1:ECX.OSXSAVE=1 but CR4.OSXSAVE=0";
	return NULL;
}

static void user_rdtsc(void *unused)
{
	(void)unused;
	pg_sysret_to_user(PG_USER_VA + PG_USER_RDTSC, FL_FIXED1);
}

/*
 * CR4.TSD ("time stamp disable") reserves rdtsc for CPL 0: user code gets
 * #GP(0).  (A wrmsr to IA32_TSC would be the other test, but QEMU's TCG
 * ignores it.)
 */
static const char *check_rdtsc(void)
{
	uint64_t cr4 = read_cr4(), t0, t1;
	const char *why;

	pg_user_setup();
	write_cr4(cr4 | CR4_TSD);
	t0 = rdtsc();
	t1 = rdtsc();
	why = pg_expect_fault(user_rdtsc, NULL, T_GP, true, 0);
	write_cr4(cr4);
	if (t1 <= t0)
		return "the TSC did not advance between two reads at CPL 0";
	return why ? "no #GP(0) at CPL 3 with CR4.TSD=1" : NULL;
}

struct tsc_read {
	uint64_t tsc;
	uint32_t aux;
};

static void do_rdtscp(void *out)
{
	struct tsc_read *r = out;
	uint32_t lo, hi;

	__asm__ volatile("rdtscp" : "=a"(lo), "=d"(hi), "=c"(r->aux));
	r->tsc = (uint64_t)hi << 32 | lo;
}

static void do_rdpid(void *out)
{
	struct tsc_read *r = out;
	uint64_t v;

	__asm__ volatile("rdpid %0" : "=r"(v));
	r->aux = (uint32_t)v;
}

/* The feature bit decides: #UD without it, the TSC_AUX wrmsr set with it. */
static const char *check_tsc_aux(void (*fn)(void *), bool present)
{
	struct tsc_read r = { 0, 0 };
	struct rt_fault f;

	if (!present)
		return pg_expect_fault(fn, &r, T_UD, false, 0) ?
			"no #UD although CPUID does not report it" : NULL;
	wrmsr(MSR_TSC_AUX, TEST_TSC_AUX);
	if (rt_try(fn, &r, &f))
		return "a fault although CPUID reports it";
	return r.aux == TEST_TSC_AUX ? NULL : "not the TSC_AUX that wrmsr set";
}

static const char *check_rdtscp(void)
{
	uint32_t r[4];

	cpuid(0x80000001, 0, r);
	return check_tsc_aux(do_rdtscp, r[3] & CPUID_80000001_EDX_RDTSCP);
}

static const char *check_rdpid(void)
{
	uint32_t r[4];
	bool present = false;

	cpuid(0, 0, r);
	if (r[0] >= 7) {
		cpuid(7, 0, r);
		present = r[2] & CPUID_7_ECX_RDPID;
	}
	return check_tsc_aux(do_rdpid, present);
}

/* --------------------------------------------------------------- CR4-gated instructions */

static void do_xgetbv(void *unused)
{
	uint32_t lo, hi;

	(void)unused;
	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
}

static void do_rdfsbase(void *unused)
{
	uint64_t v;

	(void)unused;
	__asm__ volatile("rdfsbase %0" : "=r"(v));
}

static void do_rdgsbase(void *unused)
{
	uint64_t v;

	(void)unused;
	__asm__ volatile("rdgsbase %0" : "=r"(v));
}

static void do_wrfsbase(void *unused)
{
	(void)unused;
	__asm__ volatile("wrfsbase %0" : : "r"(0ULL) : "memory");
}

static void do_wrgsbase(void *unused)
{
	(void)unused;
	__asm__ volatile("wrgsbase %0" : : "r"(0ULL) : "memory");
}

static const char *expect_ud(void (*fn)(void *), const char *why)
{
	return pg_expect_fault(fn, NULL, T_UD, false, 0) ? why : NULL;
}

static const char *check_xgetbv(void)
{
	return expect_ud(do_xgetbv, "no #UD with CR4.OSXSAVE=0");
}

static const char *check_rdfsbase(void)
{
	return expect_ud(do_rdfsbase, "no #UD with CR4.FSGSBASE=0");
}

static const char *check_rdgsbase(void)
{
	return expect_ud(do_rdgsbase, "no #UD with CR4.FSGSBASE=0");
}

static const char *check_wrfsbase(void)
{
	return expect_ud(do_wrfsbase, "no #UD with CR4.FSGSBASE=0");
}

static const char *check_wrgsbase(void)
{
	return expect_ud(do_wrgsbase, "no #UD with CR4.FSGSBASE=0");
}

/*
 * mov to Sreg: the selectors a kernel loads (ring 0) fault at CPL 3 and
 * are emulated; but a ring-3 selector loads at CPL 3 without a fault,
 * where at CPL 0 SS must have RPL = DPL = 0: mov of 0x1b to ss is #GP(0x18)
 * at ring 0 and a silent load at ring 3.
 */
static const char *check_mov_to_sreg(void)
{
	const char *why;

	if ((why = pg_expect_no_fault(pg_load_ds, (void *)RT_SEL_KDATA)) ||
	    (why = pg_expect_no_fault(pg_load_ss, (void *)RT_SEL_KDATA)))
		return rt_fmt("mov 0x10 to ds or ss: %s", why);
	wrmsr(MSR_FS_BASE, TEST_FS_BASE);
	pg_load_fs((void *)RT_SEL_KDATA);
	if (rdmsr(MSR_FS_BASE) != 0)
		return "mov 0x10 to fs did not load the descriptor's base 0";
	pg_load_fs((void *)0);
	why = pg_expect_fault(pg_load_ds, (void *)SEL_BEYOND_GDT, T_GP, true,
			      SEL_BEYOND_GDT);
	if (why)
		return rt_fmt("mov 0x%x to ds: %s", SEL_BEYOND_GDT, why);
	why = pg_expect_fault(pg_load_ss, (void *)RT_SEL_KCODE, T_GP, true,
			      RT_SEL_KCODE);
	if (why)
		return rt_fmt("mov code segment 0x%x to ss: %s", RT_SEL_KCODE,
			      why);
	why = pg_expect_fault(pg_load_ss, (void *)(RT_SEL_UDATA | 3), T_GP,
			      true, RT_SEL_UDATA);
	return why ? rt_fmt("mov ring-3 0x%x to ss at CPL 0: %s",
			    RT_SEL_UDATA | 3, why) : NULL;
}

/* --------------------------------------------------------------- the group */

const struct pg_check pg_sensitive[] = {
	{ "pushf", "IF=0 after cli, IF=1 after sti", check_pushf },
#ifndef PV
	{ "popf", "IF=1 and IOPL=3 set by popf show in a #UD frame", check_popf },
#else
	{ "popf", "IF=1 set through the mask byte shows in a #UD frame", check_popf },
#endif
	{ "sgdt", "returns the GDTR that lgdt loaded", check_sgdt },
	{ "sidt", "returns the IDTR that lidt loaded (limit 0x1ff)", check_sidt },
	{ "sldt", "returns 0x38 after lldt 0x38", check_sldt },
	{ "str", "returns 0x28 after ltr 0x28", check_str },
	{ "smsw", "returns CR0[15:0] with CR0.TS set", check_smsw },
	{ "mov_from_sreg", "cs=0x8 ss=0x10 ds=0x10 (RPL 0)", check_mov_from_sreg },
	{ "push_sreg", "push fs pushes 0x10 after mov 0x10 to fs", check_push_sreg },
	{ "mov_to_sreg", "ds, ss and fs load 0x10; beyond the GDT #GP(0x50); a code segment or ring-3 0x1b into ss #GP", check_mov_to_sreg },
	{ "lar", "ZF=1 and the access rights of 0x8", check_lar },
	{ "lsl", "ZF=1 and limit 0xffffffff for 0x10", check_lsl },
	{ "verr", "ZF=1 for code segment 0x8", check_verr },
	{ "verw", "ZF=1 for data segment 0x10", check_verw },
	{ "cpuid", "CPUID.1:ECX.OSXSAVE mirrors CR4.OSXSAVE", check_cpuid },
	{ "rdtsc", "advances at CPL 0; #GP(0) at CPL 3 with CR4.TSD=1", check_rdtsc },
	{ "rdtscp", "#UD when CPUID.80000001:EDX.RDTSCP=0, else TSC_AUX as wrmsr set", check_rdtscp },
	{ "rdpid", "#UD when CPUID.7:ECX.RDPID=0, else TSC_AUX as wrmsr set", check_rdpid },
	{ "xgetbv", "#UD with CR4.OSXSAVE=0", check_xgetbv },
	{ "rdfsbase", "#UD with CR4.FSGSBASE=0", check_rdfsbase },
	{ "rdgsbase", "#UD with CR4.FSGSBASE=0", check_rdgsbase },
	{ "wrfsbase", "#UD with CR4.FSGSBASE=0", check_wrfsbase },
	{ "wrgsbase", "#UD with CR4.FSGSBASE=0", check_wrgsbase },
};

const unsigned pg_sensitive_count = sizeof(pg_sensitive) / sizeof(pg_sensitive[0]);
