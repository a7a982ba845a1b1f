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
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "core/vm.h"
#include "isa/x86.h"
#include "monitor/gdbregs.h"

enum reg_feature { F_CORE, F_SSE, F_SEGMENTS, F_SYS };

/* What gdb may do to a register (gdbregs_write). */
enum reg_write {
	RW_NO,     /* read only: the same value back is no change */
	RW_YES,    /* a new value (a 32-bit one replaces the low half) */
	RW_FLAGS,  /* RFLAGS: the bits a debugger may set */
	RW_NONE,   /* not in the vCPU (x87, SSE): a write changes nothing */
};

/*
 * One register of a layout: its name, size and type for gdb, and where
 * it is in struct vcpu (the single source of truth for guest state), or
 * NOWHERE and the value it has after reset.
 */
struct reg {
	const char *name;
	unsigned bits;
	const char *type;
	enum reg_feature feature;
	size_t where, size;   /* offset and bytes in struct vcpu */
	enum reg_write write;
	uint64_t reset;       /* where == NOWHERE: the value read */
	const char *group;    /* gdb's register group, or NULL */
};

#define NOWHERE ((size_t)-1)
/* A field of struct vcpu: its offset and size. */
#define VCPU(field) offsetof(struct vcpu, field), \
	sizeof(((struct vcpu *)NULL)->field)

#define GPR(name, bits, type, r) \
	{ name, bits, type, F_CORE, VCPU(regs[r]), RW_YES, 0, NULL }
#define SEL(name, s) \
	{ name, 32, "int32", F_CORE, VCPU(seg[s].selector), RW_NO, 0, NULL }
#define SYS(name, bits, type, field, write) \
	{ name, bits, type, F_SYS, VCPU(field), write, 0, NULL }
/* The x87 as FNINIT leaves it (control word 0x37f, every register
 * empty) and SSE as at reset (MXCSR 0x1f80): the vCPU has neither. */
#define FPU(name, bits, type, reset) \
	{ name, bits, type, F_CORE, NOWHERE, 0, RW_NONE, reset, "float" }
#define XMM(name) \
	{ name, 128, "uint128", F_SSE, NOWHERE, 0, RW_NONE, 0, "vector" }

#define X87_REGS \
	FPU("st0", 80, "i387_ext", 0), FPU("st1", 80, "i387_ext", 0), \
	FPU("st2", 80, "i387_ext", 0), FPU("st3", 80, "i387_ext", 0), \
	FPU("st4", 80, "i387_ext", 0), FPU("st5", 80, "i387_ext", 0), \
	FPU("st6", 80, "i387_ext", 0), FPU("st7", 80, "i387_ext", 0), \
	FPU("fctrl", 32, "int", 0x37f), FPU("fstat", 32, "int", 0), \
	FPU("ftag", 32, "int", 0xffff), FPU("fiseg", 32, "int", 0), \
	FPU("fioff", 32, "int", 0), FPU("foseg", 32, "int", 0), \
	FPU("fooff", 32, "int", 0), FPU("fop", 32, "int", 0)

/* xmm0-7; the 64-bit layout adds xmm8-15; mxcsr follows. */
#define SSE_REGS \
	XMM("xmm0"), XMM("xmm1"), XMM("xmm2"), XMM("xmm3"), \
	XMM("xmm4"), XMM("xmm5"), XMM("xmm6"), XMM("xmm7")
#define MXCSR \
	{ "mxcsr", 32, "int", F_SSE, NOWHERE, 0, RW_NONE, 0x1f80, "vector" }

#define SEL_REGS \
	SEL("cs", SEG_CS), SEL("ss", SEG_SS), SEL("ds", SEG_DS), \
	SEL("es", SEG_ES), SEL("fs", SEG_FS), SEL("gs", SEG_GS)

/* amd64's order (gdb's amd64_register_names): rax rbx rcx rdx rsi rdi
 * rbp rsp, not the encoding's. */
static const struct reg regs64[] = {
	GPR("rax", 64, "int64", GPR_RAX), GPR("rbx", 64, "int64", GPR_RBX),
	GPR("rcx", 64, "int64", GPR_RCX), GPR("rdx", 64, "int64", GPR_RDX),
	GPR("rsi", 64, "int64", GPR_RSI), GPR("rdi", 64, "int64", GPR_RDI),
	GPR("rbp", 64, "data_ptr", GPR_RBP),
	GPR("rsp", 64, "data_ptr", GPR_RSP),
	GPR("r8", 64, "int64", GPR_R8), GPR("r9", 64, "int64", GPR_R9),
	GPR("r10", 64, "int64", GPR_R10), GPR("r11", 64, "int64", GPR_R11),
	GPR("r12", 64, "int64", GPR_R12), GPR("r13", 64, "int64", GPR_R13),
	GPR("r14", 64, "int64", GPR_R14), GPR("r15", 64, "int64", GPR_R15),
	{ "rip", 64, "code_ptr", F_CORE, VCPU(rip), RW_YES, 0, NULL },
	{ "eflags", 32, "i386_eflags", F_CORE, VCPU(rflags), RW_FLAGS, 0,
	  NULL },
	SEL_REGS,
	X87_REGS,
	SSE_REGS,
	XMM("xmm8"), XMM("xmm9"), XMM("xmm10"), XMM("xmm11"),
	XMM("xmm12"), XMM("xmm13"), XMM("xmm14"), XMM("xmm15"),
	MXCSR,
	{ "fs_base", 64, "int64", F_SEGMENTS, VCPU(seg[SEG_FS].base), RW_YES,
	  0, NULL },
	{ "gs_base", 64, "int64", F_SEGMENTS, VCPU(seg[SEG_GS].base), RW_YES,
	  0, NULL },
	SYS("k_gs_base", 64, "int64", kernel_gs_base, RW_YES),
	SYS("cr0", 64, "tv_cr0", cr0, RW_NO),
	SYS("cr2", 64, "int64", cr2, RW_YES),
	SYS("cr3", 64, "int64", cr3, RW_NO),
	SYS("cr4", 64, "tv_cr4", cr4, RW_NO),
	SYS("cr8", 64, "int64", cr8, RW_NO),
	SYS("efer", 64, "tv_efer", efer, RW_NO),
};

/* i386's order (gdb's i386_register_names): the encoding's. */
static const struct reg regs32[] = {
	GPR("eax", 32, "int32", GPR_RAX), GPR("ecx", 32, "int32", GPR_RCX),
	GPR("edx", 32, "int32", GPR_RDX), GPR("ebx", 32, "int32", GPR_RBX),
	GPR("esp", 32, "data_ptr", GPR_RSP),
	GPR("ebp", 32, "data_ptr", GPR_RBP),
	GPR("esi", 32, "int32", GPR_RSI), GPR("edi", 32, "int32", GPR_RDI),
	{ "eip", 32, "code_ptr", F_CORE, VCPU(rip), RW_YES, 0, NULL },
	{ "eflags", 32, "i386_eflags", F_CORE, VCPU(rflags), RW_FLAGS, 0,
	  NULL },
	SEL_REGS,
	X87_REGS,
	SSE_REGS,
	MXCSR,
	/* in trapvisor's feature: gdb's bare i386 (no OS ABI) has no
	 * room for org.gnu.gdb.i386.segments */
	SYS("fs_base", 32, "int32", seg[SEG_FS].base, RW_YES),
	SYS("gs_base", 32, "int32", seg[SEG_GS].base, RW_YES),
	SYS("cr0", 32, "tv_cr0", cr0, RW_NO),
	SYS("cr2", 32, "int32", cr2, RW_YES),
	SYS("cr3", 32, "int32", cr3, RW_NO),
	SYS("cr4", 32, "tv_cr4", cr4, RW_NO),
	SYS("efer", 64, "tv_efer", efer, RW_NO),
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

/* The register's whole field in struct vcpu (x86 is little-endian). */
static uint64_t reg_value(const struct vm *vm, const struct reg *r)
{
	uint64_t x = 0;

	if (r->where == NOWHERE)
		return r->reset;
	memcpy(&x, (const uint8_t *)&vm->vcpu + r->where, r->size);
	return x;
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

/* RFLAGS from gdb: bit 1 is always 1; VM and the reserved bits are not
 * the debugger's to set. */
#define FL_DEBUGGER (FL_CF | FL_PF | FL_AF | FL_ZF | FL_SF | FL_TF | FL_IF | \
		     FL_DF | FL_OF | FL_IOPL_MASK | FL_NT | FL_RF | FL_AC | \
		     FL_ID)

int gdbregs_write(struct vm *vm, enum gdb_layout l, unsigned i,
		  const uint8_t *in)
{
	unsigned n;
	const struct reg *t = table(l, &n);

	if (i >= n)
		return -1;
	const struct reg *r = &t[i];
	uint64_t x = le_value(in, r->bits);

	switch (r->write) {
	case RW_YES:
		x = merge(reg_value(vm, r), x, r->bits);
		break;
	case RW_FLAGS:
		x = (x & FL_DEBUGGER) | FL_FIXED1;
		break;
	case RW_NONE:
		return 0;
	case RW_NO:
		/* the same value back is no change (gdb's G writes all) */
		return reg_value(vm, r) == x ? 0 : -1;
	}
	memcpy((uint8_t *)&vm->vcpu + r->where, &x, r->size);
	return 0;
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
		const char *group = feat == F_SYS ? "system" : t[i].group;

		if (t[i].feature != feat)
			continue;
		at = put(buf, at, cap, "<reg name=\"%s\" bitsize=\"%u\" "
			 "type=\"%s\" regnum=\"%u\"", t[i].name, t[i].bits,
			 t[i].type, i);
		if (group)
			at = put(buf, at, cap, " group=\"%s\"", group);
		at = put(buf, at, cap, "/>");
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
