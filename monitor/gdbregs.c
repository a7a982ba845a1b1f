/*
 * monitor/gdbregs.c - the registers gdb sees, and the target description
 * that names them.
 *
 * gdb learns the register file from the stub's "target.xml" (the GDB
 * manual, "Target Descriptions"): features, each a list of registers
 * with a name, a size, a type and a number, the number being the one p/P
 * use and the order the one of the g packet.  gdb's i386 and amd64 code
 * require the feature org.gnu.gdb.i386.core to hold the general
 * registers, the instruction pointer, eflags, the six selectors and the
 * x87 registers, under their usual names; org.gnu.gdb.i386.segments adds
 * the FS and GS bases.  The rest of what a kernel debugger wants (the
 * control registers, EFER, the swapgs base) is trapvisor's own feature,
 * which gdb shows under its names (info registers cr3, p $cr0).
 *
 * gdb's i386 code also wants org.gnu.gdb.i386.sse (xmm0-7 or xmm0-15 and
 * mxcsr).  The vCPU keeps no x87 or SSE state (softcpu has neither; the
 * guests are built -mgeneral-regs-only): those registers read as after
 * reset (FNINIT's control word 0x37f, MXCSR 0x1f80, the rest zero) and
 * writes to them change nothing.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/vm.h"
#include "isa/x86.h"
#include "monitor/gdbregs.h"

/* What a table entry stands for. */
enum reg_what {
	W_GPR,      /* vcpu.regs[arg] */
	W_RIP, W_FLAGS,
	W_SEL,      /* vcpu.seg[arg].selector */
	W_X87,      /* st0-7 (arg 0..7), then fctrl.. fop (arg 8..15) */
	W_SSE,      /* xmm0-15 (arg 0..15), mxcsr (arg 16) */
	W_FS_BASE, W_GS_BASE, W_KGS_BASE,
	W_CR0, W_CR2, W_CR3, W_CR4, W_CR8, W_EFER,
};

enum reg_feature { F_CORE, F_SSE, F_SEGMENTS, F_SYS };

struct reg {
	const char *name;
	unsigned bits;
	const char *type;
	enum reg_feature feature;
	enum reg_what what;
	unsigned arg;
};

#define X87_REGS(fbits) \
	{ "st0", 80, "i387_ext", F_CORE, W_X87, 0 }, \
	{ "st1", 80, "i387_ext", F_CORE, W_X87, 1 }, \
	{ "st2", 80, "i387_ext", F_CORE, W_X87, 2 }, \
	{ "st3", 80, "i387_ext", F_CORE, W_X87, 3 }, \
	{ "st4", 80, "i387_ext", F_CORE, W_X87, 4 }, \
	{ "st5", 80, "i387_ext", F_CORE, W_X87, 5 }, \
	{ "st6", 80, "i387_ext", F_CORE, W_X87, 6 }, \
	{ "st7", 80, "i387_ext", F_CORE, W_X87, 7 }, \
	{ "fctrl", fbits, "int", F_CORE, W_X87, 8 }, \
	{ "fstat", fbits, "int", F_CORE, W_X87, 9 }, \
	{ "ftag", fbits, "int", F_CORE, W_X87, 10 }, \
	{ "fiseg", fbits, "int", F_CORE, W_X87, 11 }, \
	{ "fioff", fbits, "int", F_CORE, W_X87, 12 }, \
	{ "foseg", fbits, "int", F_CORE, W_X87, 13 }, \
	{ "fooff", fbits, "int", F_CORE, W_X87, 14 }, \
	{ "fop", fbits, "int", F_CORE, W_X87, 15 }

/* xmm0-7; the 64-bit layout adds xmm8-15; mxcsr (arg 16) follows. */
#define SSE_REGS \
	{ "xmm0", 128, "uint128", F_SSE, W_SSE, 0 }, \
	{ "xmm1", 128, "uint128", F_SSE, W_SSE, 1 }, \
	{ "xmm2", 128, "uint128", F_SSE, W_SSE, 2 }, \
	{ "xmm3", 128, "uint128", F_SSE, W_SSE, 3 }, \
	{ "xmm4", 128, "uint128", F_SSE, W_SSE, 4 }, \
	{ "xmm5", 128, "uint128", F_SSE, W_SSE, 5 }, \
	{ "xmm6", 128, "uint128", F_SSE, W_SSE, 6 }, \
	{ "xmm7", 128, "uint128", F_SSE, W_SSE, 7 }

#define SEL_REGS \
	{ "cs", 32, "int32", F_CORE, W_SEL, SEG_CS }, \
	{ "ss", 32, "int32", F_CORE, W_SEL, SEG_SS }, \
	{ "ds", 32, "int32", F_CORE, W_SEL, SEG_DS }, \
	{ "es", 32, "int32", F_CORE, W_SEL, SEG_ES }, \
	{ "fs", 32, "int32", F_CORE, W_SEL, SEG_FS }, \
	{ "gs", 32, "int32", F_CORE, W_SEL, SEG_GS }

/* amd64's order (gdb's amd64_register_names): rax rbx rcx rdx rsi rdi
 * rbp rsp, not the encoding's. */
static const struct reg regs64[] = {
	{ "rax", 64, "int64", F_CORE, W_GPR, GPR_RAX },
	{ "rbx", 64, "int64", F_CORE, W_GPR, GPR_RBX },
	{ "rcx", 64, "int64", F_CORE, W_GPR, GPR_RCX },
	{ "rdx", 64, "int64", F_CORE, W_GPR, GPR_RDX },
	{ "rsi", 64, "int64", F_CORE, W_GPR, GPR_RSI },
	{ "rdi", 64, "int64", F_CORE, W_GPR, GPR_RDI },
	{ "rbp", 64, "data_ptr", F_CORE, W_GPR, GPR_RBP },
	{ "rsp", 64, "data_ptr", F_CORE, W_GPR, GPR_RSP },
	{ "r8", 64, "int64", F_CORE, W_GPR, GPR_R8 },
	{ "r9", 64, "int64", F_CORE, W_GPR, GPR_R9 },
	{ "r10", 64, "int64", F_CORE, W_GPR, GPR_R10 },
	{ "r11", 64, "int64", F_CORE, W_GPR, GPR_R11 },
	{ "r12", 64, "int64", F_CORE, W_GPR, GPR_R12 },
	{ "r13", 64, "int64", F_CORE, W_GPR, GPR_R13 },
	{ "r14", 64, "int64", F_CORE, W_GPR, GPR_R14 },
	{ "r15", 64, "int64", F_CORE, W_GPR, GPR_R15 },
	{ "rip", 64, "code_ptr", F_CORE, W_RIP, 0 },
	{ "eflags", 32, "i386_eflags", F_CORE, W_FLAGS, 0 },
	SEL_REGS,
	X87_REGS(32),
	SSE_REGS,
	{ "xmm8", 128, "uint128", F_SSE, W_SSE, 8 },
	{ "xmm9", 128, "uint128", F_SSE, W_SSE, 9 },
	{ "xmm10", 128, "uint128", F_SSE, W_SSE, 10 },
	{ "xmm11", 128, "uint128", F_SSE, W_SSE, 11 },
	{ "xmm12", 128, "uint128", F_SSE, W_SSE, 12 },
	{ "xmm13", 128, "uint128", F_SSE, W_SSE, 13 },
	{ "xmm14", 128, "uint128", F_SSE, W_SSE, 14 },
	{ "xmm15", 128, "uint128", F_SSE, W_SSE, 15 },
	{ "mxcsr", 32, "int", F_SSE, W_SSE, 16 },
	{ "fs_base", 64, "int64", F_SEGMENTS, W_FS_BASE, 0 },
	{ "gs_base", 64, "int64", F_SEGMENTS, W_GS_BASE, 0 },
	{ "k_gs_base", 64, "int64", F_SYS, W_KGS_BASE, 0 },
	{ "cr0", 64, "tv_cr0", F_SYS, W_CR0, 0 },
	{ "cr2", 64, "int64", F_SYS, W_CR2, 0 },
	{ "cr3", 64, "int64", F_SYS, W_CR3, 0 },
	{ "cr4", 64, "tv_cr4", F_SYS, W_CR4, 0 },
	{ "cr8", 64, "int64", F_SYS, W_CR8, 0 },
	{ "efer", 64, "tv_efer", F_SYS, W_EFER, 0 },
};

/* i386's order (gdb's i386_register_names): the encoding's. */
static const struct reg regs32[] = {
	{ "eax", 32, "int32", F_CORE, W_GPR, GPR_RAX },
	{ "ecx", 32, "int32", F_CORE, W_GPR, GPR_RCX },
	{ "edx", 32, "int32", F_CORE, W_GPR, GPR_RDX },
	{ "ebx", 32, "int32", F_CORE, W_GPR, GPR_RBX },
	{ "esp", 32, "data_ptr", F_CORE, W_GPR, GPR_RSP },
	{ "ebp", 32, "data_ptr", F_CORE, W_GPR, GPR_RBP },
	{ "esi", 32, "int32", F_CORE, W_GPR, GPR_RSI },
	{ "edi", 32, "int32", F_CORE, W_GPR, GPR_RDI },
	{ "eip", 32, "code_ptr", F_CORE, W_RIP, 0 },
	{ "eflags", 32, "i386_eflags", F_CORE, W_FLAGS, 0 },
	SEL_REGS,
	X87_REGS(32),
	SSE_REGS,
	{ "mxcsr", 32, "int", F_SSE, W_SSE, 16 },
	/* in trapvisor's feature: gdb's bare i386 (no OS ABI) has no
	 * room for org.gnu.gdb.i386.segments */
	{ "fs_base", 32, "int32", F_SYS, W_FS_BASE, 0 },
	{ "gs_base", 32, "int32", F_SYS, W_GS_BASE, 0 },
	{ "cr0", 32, "tv_cr0", F_SYS, W_CR0, 0 },
	{ "cr2", 32, "int32", F_SYS, W_CR2, 0 },
	{ "cr3", 32, "int32", F_SYS, W_CR3, 0 },
	{ "cr4", 32, "tv_cr4", F_SYS, W_CR4, 0 },
	{ "efer", 64, "tv_efer", F_SYS, W_EFER, 0 },
};

#define NREGS(t) (sizeof(t) / sizeof((t)[0]))

static const struct reg *table(enum gdb_layout l, unsigned *n)
{
	*n = l == GDB_LAYOUT_64 ? NREGS(regs64) : NREGS(regs32);
	return l == GDB_LAYOUT_64 ? regs64 : regs32;
}

unsigned gdbregs_count(enum gdb_layout l)
{
	unsigned n;

	table(l, &n);
	return n;
}

unsigned gdbregs_size(enum gdb_layout l, unsigned i)
{
	unsigned n;
	const struct reg *t = table(l, &n);

	return i < n ? t[i].bits / 8 : 0;
}

unsigned gdbregs_total(enum gdb_layout l)
{
	unsigned total = 0;

	for (unsigned i = 0; i < gdbregs_count(l); i++)
		total += gdbregs_size(l, i);
	return total;
}

/* An x87 that FNINIT left: control word 0x37f, every register empty. */
static uint64_t x87_value(unsigned arg)
{
	return arg == 8 ? 0x37f : arg == 10 ? 0xffff : 0;
}

static uint64_t reg_value(const struct vm *vm, const struct reg *r)
{
	const struct vcpu *v = &vm->vcpu;

	switch (r->what) {
	case W_GPR: return v->regs[r->arg];
	case W_RIP: return v->rip;
	case W_FLAGS: return v->rflags;
	case W_SEL: return v->seg[r->arg].selector;
	case W_X87: return r->arg < 8 ? 0 : x87_value(r->arg);
	case W_SSE: return r->arg == 16 ? 0x1f80 : 0; /* MXCSR at reset */
	case W_FS_BASE: return v->seg[SEG_FS].base;
	case W_GS_BASE: return v->seg[SEG_GS].base;
	case W_KGS_BASE: return v->kernel_gs_base;
	case W_CR0: return v->cr0;
	case W_CR2: return v->cr2;
	case W_CR3: return v->cr3;
	case W_CR4: return v->cr4;
	case W_CR8: return v->cr8;
	case W_EFER: return v->efer;
	}
	return 0;
}

void gdbregs_read(const struct vm *vm, enum gdb_layout l, unsigned i,
		  uint8_t *out)
{
	unsigned n;
	const struct reg *t = table(l, &n);
	uint64_t x;

	if (i >= n)
		return;
	x = reg_value(vm, &t[i]);
	memset(out, 0, t[i].bits / 8);
	memcpy(out, &x, t[i].bits / 8 < 8 ? t[i].bits / 8 : 8);
}

/* The value of a register of bits bits (up to 64) from little-endian in. */
static uint64_t le_value(const uint8_t *in, unsigned bits)
{
	uint64_t x = 0;

	memcpy(&x, in, bits / 8 < 8 ? bits / 8 : 8);
	return x;
}

/*
 * A value written into a 32-bit register of the i386 layout replaces
 * the low half: in 32-bit code the upper half is not there to see.
 */
static uint64_t merge(uint64_t old, uint64_t x, unsigned bits)
{
	return bits >= 64 ? x : (old & ~((1ULL << bits) - 1)) | x;
}

int gdbregs_write(struct vm *vm, enum gdb_layout l, unsigned i,
		  const uint8_t *in)
{
	unsigned n;
	const struct reg *t = table(l, &n);
	struct vcpu *v = &vm->vcpu;

	if (i >= n)
		return -1;
	const struct reg *r = &t[i];
	uint64_t x = le_value(in, r->bits);

	switch (r->what) {
	case W_GPR:
		v->regs[r->arg] = merge(v->regs[r->arg], x, r->bits);
		return 0;
	case W_RIP:
		v->rip = merge(v->rip, x, r->bits);
		return 0;
	case W_FLAGS:
		/* bit 1 is always 1; VM and the reserved bits are not
		 * the debugger's to set */
		v->rflags = (x & (FL_CF | FL_PF | FL_AF | FL_ZF | FL_SF |
				  FL_TF | FL_IF | FL_DF | FL_OF | FL_IOPL_MASK |
				  FL_NT | FL_RF | FL_AC | FL_ID)) | FL_FIXED1;
		return 0;
	case W_FS_BASE:
		v->seg[SEG_FS].base = merge(v->seg[SEG_FS].base, x, r->bits);
		return 0;
	case W_GS_BASE:
		v->seg[SEG_GS].base = merge(v->seg[SEG_GS].base, x, r->bits);
		return 0;
	case W_KGS_BASE:
		v->kernel_gs_base = x;
		return 0;
	case W_CR2:
		v->cr2 = merge(v->cr2, x, r->bits);
		return 0;
	default:
		/* the same value back is no change (gdb's G writes all) */
		return reg_value(vm, r) == x || r->what == W_X87 ||
		       r->what == W_SSE ? 0 : -1;
	}
}

/* ------------------------------------------------------------------
 * The target description.
 */

/* Field names of a flags type, by bit (NULL: none). */
struct flag_type {
	const char *id;
	unsigned size; /* bytes */
	const char *const *names;
	unsigned nnames;
};

static const char *const eflags_names[] = {
	"CF", "", "PF", NULL, "AF", NULL, "ZF", "SF", "TF", "IF", "DF", "OF",
	NULL, NULL, "NT", NULL, "RF", "VM", "AC", "VIF", "VIP", "ID",
};
static const char *const cr0_names[] = {
	"PE", "MP", "EM", "TS", "ET", "NE", NULL, NULL, NULL, NULL, NULL,
	NULL, NULL, NULL, NULL, NULL, "WP", NULL, "AM", NULL, NULL, NULL,
	NULL, NULL, NULL, NULL, NULL, NULL, NULL, "NW", "CD", "PG",
};
static const char *const cr4_names[] = {
	"VME", "PVI", "TSD", "DE", "PSE", "PAE", "MCE", "PGE", "PCE",
	"OSFXSR", "OSXMMEXCPT", "UMIP", "LA57", "VMXE", "SMXE", NULL,
	"FSGSBASE", "PCIDE", NULL, "OSXSAVE", NULL, "SMEP", "SMAP", "PKE",
};
static const char *const efer_names[] = {
	"SCE", NULL, NULL, NULL, NULL, NULL, NULL, NULL, "LME", NULL, "LMA",
	"NXE", "SVME", "LMSLE", "FFXSR", "TCE",
};

#define FLAGS(id, size, names) { id, size, names, NREGS(names) }

static size_t put(char *buf, size_t at, size_t cap, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static size_t put(char *buf, size_t at, size_t cap, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (at >= cap)
		return at;
	va_start(ap, fmt);
	n = vsnprintf(buf + at, cap - at, fmt, ap);
	va_end(ap);
	return n < 0 ? at : at + (size_t)n;
}

static size_t put_flags(char *buf, size_t at, size_t cap,
			const struct flag_type *f)
{
	at = put(buf, at, cap, "<flags id=\"%s\" size=\"%u\">", f->id,
		 f->size);
	for (unsigned b = 0; b < f->nnames; b++)
		if (f->names[b])
			at = put(buf, at, cap, "<field name=\"%s\" start=\"%u\" "
				 "end=\"%u\"/>", f->names[b], b, b);
	return put(buf, at, cap, "</flags>");
}

static size_t put_feature(char *buf, size_t at, size_t cap,
			  const struct reg *t, unsigned n,
			  enum reg_feature feat, const char *name,
			  unsigned bits)
{
	static const struct flag_type eflags =
		FLAGS("i386_eflags", 4, eflags_names);
	const struct flag_type sys[] = {
		FLAGS("tv_cr0", bits / 8, cr0_names),
		FLAGS("tv_cr4", bits / 8, cr4_names),
		FLAGS("tv_efer", 8, efer_names),
	};

	unsigned regs = 0;

	for (unsigned i = 0; i < n; i++)
		regs += t[i].feature == feat;
	if (!regs)
		return at; /* an empty feature would fail gdb's checks */
	at = put(buf, at, cap, "<feature name=\"%s\">", name);
	if (feat == F_CORE)
		at = put_flags(buf, at, cap, &eflags);
	if (feat == F_SYS)
		for (unsigned i = 0; i < NREGS(sys); i++)
			at = put_flags(buf, at, cap, &sys[i]);
	for (unsigned i = 0; i < n; i++) {
		if (t[i].feature != feat)
			continue;
		at = put(buf, at, cap, "<reg name=\"%s\" bitsize=\"%u\" "
			 "type=\"%s\" regnum=\"%u\"%s/>", t[i].name, t[i].bits,
			 t[i].type, i, feat == F_SYS ? " group=\"system\"" :
			 t[i].what == W_X87 ? " group=\"float\"" :
			 t[i].what == W_SSE ? " group=\"vector\"" : "");
	}
	return put(buf, at, cap, "</feature>");
}

static void build_xml(char *buf, size_t cap, enum gdb_layout l)
{
	unsigned n;
	const struct reg *t = table(l, &n);
	unsigned bits = l == GDB_LAYOUT_64 ? 64 : 32;
	size_t at = 0;

	at = put(buf, at, cap, "<?xml version=\"1.0\"?><!DOCTYPE target "
		 "SYSTEM \"gdb-target.dtd\"><target><architecture>%s"
		 "</architecture>", l == GDB_LAYOUT_64 ? "i386:x86-64" :
		 "i386");
	at = put_feature(buf, at, cap, t, n, F_CORE, "org.gnu.gdb.i386.core",
			 bits);
	at = put_feature(buf, at, cap, t, n, F_SSE, "org.gnu.gdb.i386.sse",
			 bits);
	at = put_feature(buf, at, cap, t, n, F_SEGMENTS,
			 "org.gnu.gdb.i386.segments", bits);
	at = put_feature(buf, at, cap, t, n, F_SYS,
			 "org.trapvisor.gdb.i386.sys", bits);
	put(buf, at, cap, "</target>");
}

const char *gdbregs_xml(enum gdb_layout l)
{
	static char xml[2][8192];
	char *buf = xml[l == GDB_LAYOUT_64];

	if (!buf[0])
		build_xml(buf, sizeof(xml[0]), l);
	return buf;
}
