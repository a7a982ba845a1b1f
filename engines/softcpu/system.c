/*
 * engines/softcpu/system.c - what a CPL-3 program may not do, and the
 * sensitive instructions it may (isa/CONTRACT.md).
 *
 * Privileged instructions raise #GP(0), as they do at the real ring 3:
 * the dispatcher decodes them and Popek and Goldberg's interpreter
 * routines emulate them against the virtual CPU.
 *
 * Sensitive but unprivileged instructions do not fault on x86.  With
 * --isa=x86 softcpu executes them as the real ring-3 CPU would, showing
 * the real machine's state (that is the point: the guest can tell it is
 * not at ring 0).  With --isa=strict they raise #GP(0), as UMIP makes
 * sgdt and friends do, and the monitor emulates them faithfully.
 *
 * "The real machine" is the host when it is x86-64: sc_host_probe() asks
 * it once, in a child process so that a host with UMIP (where sgdt may
 * kill the asker) costs only default values.  cpuid, rdtsc, rdtscp,
 * rdpid and xgetbv run natively.  Other hosts get fixed plausible values.
 */
#include <stdio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "engines/softcpu/softcpu.h"
#include "monitor/vm.h"

/* Sensitive: in the strict ISA, #GP(0) so that the monitor emulates. */
static bool strict(const struct sc_cpu *c)
{
	return c->vm->opt.isa == ISA_STRICT;
}

int op_priv(struct sc_cpu *c, const struct sc_insn *d)
{
	(void)d;
	return sc_gp(c, 0);
}

/* int3: #BP is a trap, RIP after the instruction. */
int op_int3(struct sc_cpu *c, const struct sc_insn *d)
{
	(void)d;
	return sc_trap(c, T_BP);
}

int op_int1(struct sc_cpu *c, const struct sc_insn *d)
{
	(void)d;
	return sc_trap(c, T_DB);
}

/*
 * int n: the real IDT's gates have DPL 0 except vector 3's, so from CPL 3
 * "int n" faults with #GP(n * 8 + 2) (the IDT bit of the error code), and
 * "int 3" gives #BP like int3.
 */
int op_int(struct sc_cpu *c, const struct sc_insn *d)
{
	uint8_t n = (uint8_t)d->imm;

	if (n == T_BP)
		return sc_trap(c, T_BP);
	return sc_gp(c, (uint32_t)n * 8 + ERRC_IDT);
}

/* syscall: the monitor performs it (interp); RIP stays on it. */
int op_syscall(struct sc_cpu *c, const struct sc_insn *d)
{
	(void)d;
	c->exit->reason = EXIT_SYSCALL;
	c->exit->rip = c->v->rip;
	return SC_STOP;
}

/* sysenter is #UD in 64-bit mode on the AMD-like model. */
int op_sysenter(struct sc_cpu *c, const struct sc_insn *d)
{
	(void)d;
	return sc_ud(c);
}

/* ------------------------------------------------------- descriptors */

/*
 * Read the descriptor of selector sel from the guest's GDT or LDT.
 * SC_OK, or SC_STOP after #GP(sel) for a selector beyond the table's
 * limit (when gp is true) or a #PF; *found tells which when gp is false.
 */
static int read_desc(struct sc_cpu *c, uint16_t sel, uint64_t *desc,
		     bool *found)
{
	uint64_t base = c->v->gdtr.base, limit = c->v->gdtr.limit;

	if (sel & SEL_TI) {
		base = c->v->ldtr.base;
		limit = c->v->ldtr.selector ? c->v->ldtr.limit : 0;
		if (!c->v->ldtr.selector) {
			*found = false;
			return SC_OK;
		}
	}
	*found = (uint64_t)(sel | 7) <= limit;
	if (!*found)
		return SC_OK;
	return sc_read(c, base + (sel & ~7u), 8, desc, SC_ACC_READ);
}

static unsigned desc_dpl(uint64_t desc)
{
	return (desc & DESC_DPL_MASK) >> DESC_DPL_SHIFT;
}

static unsigned desc_type(uint64_t desc)
{
	return (desc & DESC_TYPE_MASK) >> DESC_TYPE_SHIFT;
}

/* The hidden part of a segment register loaded from desc. */
static struct vcpu_segment desc_segment(uint16_t sel, uint64_t desc)
{
	uint32_t limit = (desc & 0xffff) | ((desc >> 32) & 0xf0000);

	if (desc & DESC_G)
		limit = (limit << 12) | 0xfff;
	return (struct vcpu_segment){
		.selector = sel,
		.base = ((desc >> 16) & 0xffffff) | ((desc >> 32) & 0xff000000),
		.limit = limit,
		.attr = (uint16_t)((desc >> 40) & 0xf0ff),
	};
}

int sc_far_transfer(struct sc_cpu *c, uint16_t sel, uint64_t rip)
{
	uint64_t desc = 0;
	bool found;
	uint32_t err = sel & 0xfffc;

	if (!err)
		return sc_gp(c, 0);
	if ((sel & SEL_RPL_MASK) < CPL_USER)
		return sc_gp(c, err); /* a ring-0 target: the monitor's job */
	if (read_desc(c, sel, &desc, &found))
		return SC_STOP;
	if (!found || !(desc & DESC_S) || !(desc_type(desc) & DESC_TYPE_CODE))
		return sc_gp(c, err);
	bool conforming = desc_type(desc) & DESC_TYPE_EC;
	if (!conforming && desc_dpl(desc) != CPL_USER)
		return sc_gp(c, err);
	if (!(desc & DESC_P))
		return sc_fault(c, T_NP, true, err);
	if (!(desc & DESC_L))
		return sc_internal(c, "softcpu: far transfer to 32-bit code");
	if (!sc_canonical(rip))
		return sc_gp(c, 0);
	c->v->seg[SEG_CS] = desc_segment(sel, desc);
	c->v->seg[SEG_CS].base = 0;
	c->next = rip;
	return SC_OK;
}

/*
 * mov Sreg / pop Sreg at CPL 3 (contract): null is allowed except for SS;
 * a selector with RPL < 3 or a descriptor with DPL < 3 is #GP(sel); DS,
 * ES, FS, GS take data or readable code, SS writable data; not present is
 * #NP (#SS for SS).  FS and GS bases come from the descriptor (Intel also
 * zeroes them for a null selector).
 */
static int load_sreg(struct sc_cpu *c, unsigned sreg, uint16_t sel)
{
	uint64_t desc = 0;
	bool found;
	uint32_t err = sel & 0xfffc;

	if (!err) {
		if (sreg == SEG_SS)
			return sc_gp(c, 0);
		c->v->seg[sreg] = (struct vcpu_segment){ .selector = sel };
		return SC_OK;
	}
	if ((sel & SEL_RPL_MASK) < CPL_USER)
		return sc_gp(c, err);
	if (read_desc(c, sel, &desc, &found))
		return SC_STOP;
	if (!found || !(desc & DESC_S) || desc_dpl(desc) < CPL_USER)
		return sc_gp(c, err);
	unsigned type = desc_type(desc);
	bool code = type & DESC_TYPE_CODE, rw = type & DESC_TYPE_RW;
	if (sreg == SEG_SS ? (code || !rw) : (code && !rw))
		return sc_gp(c, err);
	if (!(desc & DESC_P))
		return sc_fault(c, sreg == SEG_SS ? T_SS : T_NP, true, err);
	c->v->seg[sreg] = desc_segment(sel, desc);
	return SC_OK;
}

int op_mov_sreg_e(struct sc_cpu *c, const struct sc_insn *d)
{
	unsigned sreg = d->reg & 7;
	uint64_t sel;

	if (sreg == SEG_CS || sreg >= VCPU_NSEGS)
		return sc_ud(c);
	if (sc_get_e(c, d, 2, &sel))
		return SC_STOP;
	return load_sreg(c, sreg, (uint16_t)sel);
}

int op_pop_sreg(struct sc_cpu *c, const struct sc_insn *d)
{
	uint64_t sel;

	if (sc_read(c, c->v->regs[GPR_RSP], d->osz, &sel, SC_ACC_STACK))
		return SC_STOP;
	if (load_sreg(c, d->op, (uint16_t)sel))
		return SC_STOP;
	c->v->regs[GPR_RSP] += d->osz;
	return SC_OK;
}

/*
 * What a selector read shows at the real CPL 3: ring compression leaves
 * RPL 3 in every non-null selector, whatever the guest loaded.
 */
static uint16_t real_selector(const struct sc_cpu *c, unsigned sreg)
{
	uint16_t sel = c->v->seg[sreg].selector;

	return (sel & 0xfffc) ? sel | CPL_USER : sel;
}

/* mov E, Sreg: a register gets it zero-extended, memory 16 bits. */
int op_mov_e_sreg(struct sc_cpu *c, const struct sc_insn *d)
{
	unsigned sreg = d->reg & 7;

	if (sreg >= VCPU_NSEGS)
		return sc_ud(c);
	if (strict(c))
		return sc_gp(c, 0);
	if (d->mod == 3) {
		sc_rset(c, d->rm, d->osz, real_selector(c, sreg));
		return SC_OK;
	}
	return sc_write(c, sc_ea(c, d), 2, real_selector(c, sreg),
			sc_acc(d, SC_ACC_WRITE));
}

int op_push_sreg(struct sc_cpu *c, const struct sc_insn *d)
{
	if (strict(c))
		return sc_gp(c, 0);
	return sc_push(c, d->osz, real_selector(c, d->op));
}

/* --------------------------------------------- lar, lsl, verr, verw */

/*
 * Is the descriptor of sel visible at CPL 3 for lar (lsl when limit)?
 * System types valid in 64-bit mode: LDT and TSS for both, call gates
 * for lar only.  Privilege: DPL >= max(CPL, RPL) = 3, except for
 * conforming code.
 */
static bool desc_visible(uint64_t desc, bool limit)
{
	unsigned type = desc_type(desc);

	if (!(desc & DESC_S)) {
		bool ok = type == DESC_SYS_LDT || type == DESC_SYS_TSS_AVAIL ||
			  type == DESC_SYS_TSS_BUSY ||
			  (!limit && type == DESC_SYS_CALL_GATE);
		return ok && desc_dpl(desc) == CPL_USER;
	}
	if ((type & DESC_TYPE_CODE) && (type & DESC_TYPE_EC))
		return true;
	return desc_dpl(desc) == CPL_USER;
}

/* lar (limit false) or lsl (limit true) G, Ew. */
static int lar_lsl(struct sc_cpu *c, const struct sc_insn *d, bool limit)
{
	uint64_t sel, desc = 0;
	bool found;

	if (strict(c))
		return sc_gp(c, 0);
	if (sc_get_e(c, d, 2, &sel))
		return SC_STOP;
	found = false;
	if ((sel & 0xfffc) && read_desc(c, (uint16_t)sel, &desc, &found))
		return SC_STOP;
	if (!found || !desc_visible(desc, limit)) {
		sc_set_flags(c, FL_ZF, 0);
		return SC_OK;
	}
	uint64_t x = limit ? desc_segment(0, desc).limit
			   : (desc >> 32) & 0x00ffff00;
	sc_rset(c, d->reg, d->osz, x);
	sc_set_flags(c, FL_ZF, FL_ZF);
	return SC_OK;
}

int op_lar(struct sc_cpu *c, const struct sc_insn *d)
{
	return lar_lsl(c, d, false);
}

int op_lsl(struct sc_cpu *c, const struct sc_insn *d)
{
	return lar_lsl(c, d, true);
}

/* verr (write false) / verw (write true): ZF = 1 when accessible. */
static int verify(struct sc_cpu *c, const struct sc_insn *d, bool write)
{
	uint64_t sel, desc = 0;
	bool found = false, ok;

	if (sc_get_e(c, d, 2, &sel))
		return SC_STOP;
	if ((sel & 0xfffc) && read_desc(c, (uint16_t)sel, &desc, &found))
		return SC_STOP;
	unsigned type = desc_type(desc);
	bool code = type & DESC_TYPE_CODE, rw = type & DESC_TYPE_RW;
	ok = found && (desc & DESC_S);
	if (write)
		ok = ok && !code && rw && desc_dpl(desc) == CPL_USER;
	else
		ok = ok && (!code || rw) &&
		     ((code && (type & DESC_TYPE_EC)) ||
		      desc_dpl(desc) == CPL_USER);
	sc_set_flags(c, FL_ZF, ok ? FL_ZF : 0);
	return SC_OK;
}

/* 0F 00: sldt, str, lldt, ltr, verr, verw. */
int op_grp6(struct sc_cpu *c, const struct sc_insn *d)
{
	unsigned op = d->reg & 7;

	if (op == 2 || op == 3)
		return sc_gp(c, 0);          /* lldt, ltr */
	if (op > 5)
		return sc_ud(c);
	if (strict(c))
		return sc_gp(c, 0);
	if (op >= 4)
		return verify(c, d, op == 5);
	uint16_t x = op == 0 ? c->host.ldtr : c->host.tr;
	if (d->mod == 3) {
		sc_rset(c, d->rm, d->osz, x);
		return SC_OK;
	}
	return sc_write(c, sc_ea(c, d), 2, x, sc_acc(d, SC_ACC_WRITE));
}

/* --------------------------------------------------- 0F 01: group 7 */

/* sgdt/sidt m: the host's 10-byte pseudo-descriptor. */
static int store_dtr(struct sc_cpu *c, const struct sc_insn *d,
		     const uint8_t *dtr)
{
	struct sc_mem m;

	if (strict(c))
		return sc_gp(c, 0);
	if (sc_map(c, sc_ea(c, d), 10, sc_acc(d, SC_ACC_WRITE), &m))
		return SC_STOP;
	sc_mem_write_bytes(&m, dtr, 10);
	return SC_OK;
}

/* smsw: the host's CR0; 16 bits to memory. */
static int smsw(struct sc_cpu *c, const struct sc_insn *d)
{
	if (strict(c))
		return sc_gp(c, 0);
	if (d->mod == 3) {
		sc_rset(c, d->rm, d->osz, c->host.msw);
		return SC_OK;
	}
	return sc_write(c, sc_ea(c, d), 2, c->host.msw,
			sc_acc(d, SC_ACC_WRITE));
}

static int xgetbv(struct sc_cpu *c);
static int rdtscp(struct sc_cpu *c);

/* 0F 01 with a register operand: the instruction is in reg and rm. */
static int grp7_reg(struct sc_cpu *c, const struct sc_insn *d)
{
	unsigned op = d->reg & 7, rm = d->rm & 7;

	switch (op) {
	case 2:
		if (rm == 0)
			return xgetbv(c);
		return rm == 1 ? sc_gp(c, 0) : sc_ud(c);   /* xsetbv */
	case 4:
		return smsw(c, d);
	case 6:
		return sc_gp(c, 0);                        /* lmsw */
	case 7:
		if (rm == 0)
			return sc_gp(c, 0);                /* swapgs */
		return rm == 1 ? rdtscp(c) : sc_ud(c);
	default:
		/* vmcall & co., monitor/mwait, clac/stac, SVM: #UD at CPL 3 */
		return sc_ud(c);
	}
}

int op_grp7(struct sc_cpu *c, const struct sc_insn *d)
{
	if (d->mod == 3)
		return grp7_reg(c, d);
	switch (d->reg & 7) {
	case 0:
		return store_dtr(c, d, c->host.gdtr);
	case 1:
		return store_dtr(c, d, c->host.idtr);
	case 4:
		return smsw(c, d);
	case 5:
		return sc_ud(c);
	default:
		return sc_gp(c, 0); /* lgdt, lidt, lmsw, invlpg */
	}
}

/* ------------------------------------------------ the host's answers */

static void set_edx_eax(struct sc_cpu *c, uint64_t x)
{
	c->v->regs[GPR_RAX] = (uint32_t)x;
	c->v->regs[GPR_RDX] = x >> 32;
}

#if defined(__x86_64__)
static void host_cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
	__asm__ volatile("cpuid"
			 : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3])
			 : "a"(leaf), "c"(sub));
}

static uint64_t host_rdtsc(void)
{
	uint32_t lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
}
#else
static void host_cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
	(void)leaf;
	(void)sub;
	r[0] = r[1] = r[2] = r[3] = 0;
}

static uint64_t host_rdtsc(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}
#endif

int op_cpuid(struct sc_cpu *c, const struct sc_insn *d)
{
	uint32_t r[4];

	(void)d;
	if (strict(c))
		return sc_gp(c, 0);
	host_cpuid((uint32_t)c->v->regs[GPR_RAX], (uint32_t)c->v->regs[GPR_RCX],
		   r);
	c->v->regs[GPR_RAX] = r[0];
	c->v->regs[GPR_RBX] = r[1];
	c->v->regs[GPR_RCX] = r[2];
	c->v->regs[GPR_RDX] = r[3];
	return SC_OK;
}

int op_rdtsc(struct sc_cpu *c, const struct sc_insn *d)
{
	(void)d;
	if (strict(c))
		return sc_gp(c, 0);
	set_edx_eax(c, host_rdtsc());
	return SC_OK;
}

static int rdtscp(struct sc_cpu *c)
{
	uint32_t aux = 0;
	uint64_t tsc;

	if (!c->host.has_rdtscp)
		return sc_ud(c);
	if (strict(c))
		return sc_gp(c, 0);
#if defined(__x86_64__)
	uint32_t lo, hi;
	__asm__ volatile("rdtscp" : "=a"(lo), "=d"(hi), "=c"(aux));
	tsc = (uint64_t)hi << 32 | lo;
#else
	tsc = host_rdtsc();
#endif
	set_edx_eax(c, tsc);
	c->v->regs[GPR_RCX] = aux;
	return SC_OK;
}

/* F3 0F C7 /7 with a register: rdpid (without F3: rdseed, not offered). */
int op_rdpid(struct sc_cpu *c, const struct sc_insn *d)
{
	uint64_t aux = 0;

	if (d->mod != 3 || d->rep != SC_REP_E || !c->host.has_rdpid)
		return sc_ud(c);
	if (strict(c))
		return sc_gp(c, 0);
#if defined(__x86_64__)
	__asm__ volatile("rdpid %0" : "=r"(aux));
#endif
	c->v->regs[d->rm] = aux;
	return SC_OK;
}

static int xgetbv(struct sc_cpu *c)
{
	uint32_t lo = 0, hi = 0, ecx = (uint32_t)c->v->regs[GPR_RCX];

	if (!c->host.has_xgetbv)
		return sc_ud(c);
	if (strict(c))
		return sc_gp(c, 0);
	if (ecx != 0)
		return sc_gp(c, 0);
#if defined(__x86_64__)
	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(ecx));
#endif
	set_edx_eax(c, (uint64_t)hi << 32 | lo);
	return SC_OK;
}

/*
 * F3 0F AE /0../3 with a register: rdfsbase, rdgsbase, wrfsbase,
 * wrgsbase, on the guest's FS/GS base (the real CR4.FSGSBASE is 1).
 * Without F3 these are fxsave & co.: softcpu has no x87/SSE state, #UD.
 */
int op_fsgsbase(struct sc_cpu *c, const struct sc_insn *d)
{
	unsigned sreg = (d->op & 1) ? SEG_GS : SEG_FS;
	unsigned sz = d->osz == 8 ? 8 : 4;

	if (d->mod != 3 || d->rep != SC_REP_E)
		return sc_ud(c);
	if (strict(c))
		return sc_gp(c, 0);
	if (d->op < 2) {
		sc_rset(c, d->rm, sz, c->v->seg[sreg].base);
		return SC_OK;
	}
	uint64_t x = sc_rget(c, d->rm, sz);
	if (!sc_canonical(x))
		return sc_gp(c, 0);
	c->v->seg[sreg].base = x;
	return SC_OK;
}

/* ------------------------------------------------------- host probe */

#if defined(__x86_64__)
/* Executed in a child: the host's sgdt, sidt, sldt, str, smsw. */
static void probe_tables(struct sc_host *h)
{
	__asm__ volatile("sgdt %0" : "=m"(h->gdtr));
	__asm__ volatile("sidt %0" : "=m"(h->idtr));
	__asm__ volatile("sldt %0" : "=m"(h->ldtr));
	__asm__ volatile("str %0" : "=m"(h->tr));
	__asm__ volatile("smsw %0" : "=r"(h->msw));
}

/* Run probe_tables in a child; returns 0 if it reported back. */
static int probe_in_child(struct sc_host *h)
{
	int fd[2];
	struct sc_host got;

	if (pipe(fd) < 0)
		return -1;
	pid_t pid = fork();
	if (pid < 0) {
		close(fd[0]);
		close(fd[1]);
		return -1;
	}
	if (pid == 0) {
		close(fd[0]);
		probe_tables(h);
		ssize_t n = write(fd[1], h, sizeof(*h));
		_exit(n == (ssize_t)sizeof(*h) ? 0 : 1);
	}
	close(fd[1]);
	ssize_t n = read(fd[0], &got, sizeof(got));
	close(fd[0]);
	waitpid(pid, NULL, 0);
	if (n != (ssize_t)sizeof(got))
		return -1;
	*h = got;
	return 0;
}
#endif

/*
 * Defaults for hosts that cannot tell: a Linux-like layout (GDT and IDT
 * in the kernel half, TR = 0x40, no LDT, CR0 = PG|AM|WP|NE|ET|MP|PE).
 */
static void host_defaults(struct sc_host *h)
{
	static const uint8_t gdtr[10] = { 0x7f, 0, 0, 0, 0x60, 0x8e, 0xff,
					  0xff, 0xff, 0xff };
	static const uint8_t idtr[10] = { 0xff, 0x0f, 0, 0, 0, 0, 0xe0,
					  0xff, 0xff, 0xff };

	memcpy(h->gdtr, gdtr, sizeof(gdtr));
	memcpy(h->idtr, idtr, sizeof(idtr));
	h->ldtr = 0;
	h->tr = 0x40;
	h->msw = 0x80050033;
}

void sc_host_probe(struct sc_host *h)
{
	memset(h, 0, sizeof(*h));
	host_defaults(h);
#if defined(__x86_64__)
	uint32_t r[4];

	fflush(NULL); /* the child must not flush our buffers twice */
	probe_in_child(h);
	h->native = true;
	host_cpuid(0x80000000, 0, r);
	uint32_t maxext = r[0];
	if (maxext >= 0x80000001) {
		host_cpuid(0x80000001, 0, r);
		h->has_rdtscp = r[3] & CPUID_80000001_EDX_RDTSCP;
	}
	host_cpuid(0, 0, r);
	if (r[0] >= 7) {
		host_cpuid(7, 0, r);
		h->has_rdpid = r[2] & (1u << 22);
	}
	host_cpuid(1, 0, r);
	h->has_xgetbv = r[2] & CPUID_1_ECX_OSXSAVE;
#endif
}
