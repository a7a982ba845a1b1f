/*
 * interp/cr.c - control and debug registers: mov to/from CRn and DRn,
 * clts, smsw, lmsw.
 *
 * The control registers configure the machine itself: protection and
 * paging (CR0), the page-table root (CR3), paging features (CR4), the task
 * priority (CR8).  The guest's values live in the vCPU; what the engine
 * really uses is the monitor's own configuration and shadow page tables.
 * So a write that changes how guest addresses translate (CR3, CR0.PG/WP,
 * CR4's paging bits) must drop the shadow tables built from the old ones.
 */
#include "interp/internal.h"
#include "core/lab.h"
#include "shadowpt/shadowpt.h"

/* CR0 bits the virtual CPU implements; the other low 32 are ignored. */
#define CR0_VALID (CR0_PE | CR0_MP | CR0_EM | CR0_TS | CR0_ET | CR0_NE | \
		   CR0_WP | CR0_AM | CR0_NW | CR0_CD | CR0_PG)
/* CR0 bits that change address translation. */
#define CR0_PAGING (CR0_PE | CR0_PG | CR0_WP)

/*
 * CR4 bits the virtual CPU implements, those its CPUID enumerates
 * (interp/cpuid.c): PSE, PAE, PGE with their leaf-1 bits, TSD with TSC,
 * OSFXSR and OSXMMEXCPT with FXSR and SSE, PCE always, and OSXSAVE, which
 * the sensitive-instruction contract lets the guest set for xgetbv;
 * UMIP too where the virtual CPU has it (interp_vcpu_has_umip).
 * Setting any other bit is #GP(0), as on a CPU without the feature.
 */
#define CR4_VALID (CR4_TSD | CR4_PSE | CR4_PAE | CR4_PGE | CR4_PCE | \
		   CR4_OSFXSR | CR4_OSXMMEXCPT | CR4_OSXSAVE)
/* CR4 bits that change address translation. */
#define CR4_PAGING (CR4_PSE | CR4_PAE | CR4_PGE)

/* CR3 bits above the physical-address width are reserved. */
#define CR3_RESERVED (~0ULL << X86_MAXPHYADDR)

static bool long_mode(const struct vcpu *v)
{
	return v->efer & EFER_LMA;
}

/*
 * PAE paging outside IA-32e mode: the CPU loads the four PDPTEs from CR3
 * into registers of its own (vcpu.pdpte), on a CR3 write and on a CR0 or
 * CR4 write that changes how it translates (SDM vol. 3, 4.4.1), and a
 * PDPTE with a reserved bit set makes that write fail with #GP(0):
 * shadowpt_load_pdptes() loads and checks them (nothing outside PAE).
 */

/* After a write that changed translation: drop the shadows, reload the
 * PDPTEs.  False when they are invalid (the caller restores and #GPs). */
static bool paging_changed(struct vm *vm)
{
	if (shadowpt_load_pdptes(vm) < 0)
		return false;
	shadowpt_flush_all(vm);
	return true;
}

/*
 * The checks of MOV to CR0 (SDM vol. 2, MOV CR, and vol. 3, 9.8.5):
 * bits 63:32 zero; PG needs PE; NW needs CD; paging cannot be turned off
 * in 64-bit mode (only from compatibility mode, which leaves IA-32e
 * mode); and turning it on with EFER.LME, which activates IA-32e mode,
 * needs CR4.PAE.
 */
static bool cr0_valid(const struct vcpu *v, uint64_t val)
{
	if (val >> 32)
		return false;
	if ((val & CR0_PG) && !(val & CR0_PE))
		return false;
	if ((val & CR0_NW) && !(val & CR0_CD))
		return false;
	if (cpu_mode(v) == CPU_LONG && !(val & CR0_PG))
		return false;
	if ((val & CR0_PG) && !(v->cr0 & CR0_PG) && (v->efer & EFER_LME) &&
	    !(v->cr4 & CR4_PAE))
		return false;
	return true;
}

/*
 * IA-32e mode is active while paging is on with EFER.LME (SDM vol. 3,
 * 9.8.5): setting CR0.PG sets EFER.LMA, clearing it clears LMA.  The code
 * keeps running in compatibility mode until a far jump loads a 64-bit CS.
 */
static void update_lma(struct vcpu *v)
{
	if ((v->cr0 & CR0_PG) && (v->efer & EFER_LME))
		v->efer |= EFER_LMA;
	else
		v->efer &= ~EFER_LMA;
}

static void write_cr0(struct vm *vm, uint64_t val)
{
	struct vcpu *v = &vm->vcpu;
	uint64_t old = v->cr0;

	if (!cr0_valid(v, val)) {
		interp_gp(vm, 0);
		return;
	}
	uint64_t old_efer = v->efer;

	v->cr0 = (val & CR0_VALID) | CR0_ET; /* ET is hard-wired to 1 */
	if ((old ^ v->cr0) & CR0_PG)
		update_lma(v);
	if (((old ^ v->cr0) & CR0_PAGING) && !paging_changed(vm)) {
		v->cr0 = old;
		v->efer = old_efer;
		interp_gp(vm, 0);
	}
}

/* MOV to CR4: only implemented bits, and PAE stays on in IA-32e mode. */
static void write_cr4(struct vm *vm, uint64_t val)
{
	struct vcpu *v = &vm->vcpu;
	uint64_t old = v->cr4;

	uint64_t valid = CR4_VALID |
			 (interp_vcpu_has_umip(vm) ? CR4_UMIP : 0);

	if ((val & ~valid) || (long_mode(v) && !(val & CR4_PAE))) {
		interp_gp(vm, 0);
		return;
	}
	v->cr4 = val;
	if (((old ^ val) & CR4_PAGING) && !paging_changed(vm)) {
		v->cr4 = old;
		interp_gp(vm, 0);
	}
}

/*T:430 MOV to CR3: a new address space.  Every non-global shadow entry
 * was built from the old guest tables, so each is now stale; the shadow
 * code keeps a cache of address spaces and their global entries (and,
 * under PAE paging, loads the four PDPTEs).
 */
static void write_cr3(struct vm *vm, uint64_t val)
{
	if (val & CR3_RESERVED) {
		interp_gp(vm, 0);
		return;
	}
	uint64_t old = vm->vcpu.cr3;

	vm->vcpu.cr3 = val;
	if (shadowpt_load_pdptes(vm) < 0) {
		vm->vcpu.cr3 = old;
		interp_gp(vm, 0);
		return;
	}
	shadowpt_load_cr3(vm);
}

/* MOV to CR8: the task priority, bits 3:0; the rest are reserved. */
static void write_cr8(struct vm *vm, uint64_t val)
{
	if (val & ~CR8_TPR_MASK) {
		interp_gp(vm, 0);
		return;
	}
	vm->vcpu.cr8 = val;
}

/* The value of CRn, or false for a register that does not exist. */
static bool read_cr(const struct vcpu *v, x86_reg cr, uint64_t *val)
{
	switch (cr) {
	case X86_REG_CR0: *val = v->cr0; return true;
	case X86_REG_CR2: *val = v->cr2; return true;
	case X86_REG_CR3: *val = v->cr3; return true;
	case X86_REG_CR4: *val = v->cr4; return true;
	case X86_REG_CR8: *val = v->cr8; return true;
	default: return false;
	}
}

/*
 * Write CRn; returns false for a register that does not exist.  True
 * does not mean the write took: the write_crN() helper raises #GP(0) for a
 * value the register refuses (vcpu.exception.pending), and then nothing
 * changed.
 */
static bool write_cr(struct vm *vm, x86_reg cr, uint64_t val)
{
	switch (cr) {
	case X86_REG_CR0: write_cr0(vm, val); return true;
	case X86_REG_CR2: vm->vcpu.cr2 = val; return true;
	case X86_REG_CR3: write_cr3(vm, val); return true;
	case X86_REG_CR4: write_cr4(vm, val); return true;
	case X86_REG_CR8: write_cr8(vm, val); return true;
	default: return false;
	}
}

/* The name of a control register mov can reach, for --trace. */
static const char *cr_name(x86_reg cr)
{
	static const char *const names[] = {
		[0] = "cr0", [2] = "cr2", [3] = "cr3", [4] = "cr4", [8] = "cr8",
	};
	unsigned n = (unsigned)(cr - X86_REG_CR0);

	return n < sizeof(names) / sizeof(names[0]) && names[n] ? names[n] :
	       "cr?";
}

/*
 * mov crN, r64 and mov r64, crN (r32 outside 64-bit mode).  CR1, CR5-CR7
 * and CR9-CR15 do not exist: #UD, checked before the privilege (SDM, MOV
 * CR: "#UD If an attempt is made to access CR1, CR5, CR6, or CR7").
 */
void interp_mov_cr(struct vm *vm, const struct insn *in)
{
	/* LAB 2 BEGIN: interp_mov_cr: mov to and from CRn (task 3) */
	const cs_x86_op *dst = &in->x86.operands[0];
	const cs_x86_op *src = &in->x86.operands[1];
	bool to_cr = !interp_is_gpr(dst->reg);
	x86_reg cr = to_cr ? dst->reg : src->reg;
	uint64_t val;

	if (!read_cr(&vm->vcpu, cr, &val)) {
		interp_ud(vm);
		return;
	}
	if (!interp_require_cpl0(vm))
		return;
	if (!to_cr)
		interp_reg_set(&vm->vcpu, dst->reg, val);
	else
		write_cr(vm, cr, interp_reg_get(&vm->vcpu, src->reg));
	if (to_cr)
		read_cr(&vm->vcpu, cr, &val); /* what the guest now reads */
	interp_report_reg(vm, cr_name(cr), to_cr, val);
	if (!vm->vcpu.exception.pending)
		interp_advance(vm, in);
	/* LAB 2 END; hole: lab_todo(vm, 2, "interp_mov_cr"); (void)in;
	 * (void)read_cr; (void)write_cr; (void)cr_name; */
}

/* ------------------------------------------------------ debug registers */

/*
 * Which slot of vcpu.dr a DRn names: without CR4.DE (not implemented here)
 * DR4 and DR5 are aliases of DR6 and DR7.  -1 for DR8-DR15 (#UD).
 */
static int dr_slot(x86_reg dr)
{
	int n = (int)dr - X86_REG_DR0;

	if (n < 0 || n > 7)
		return -1;
	return n == 4 || n == 5 ? n + 2 : n;
}

/* DR6 and DR7 read with their fixed-1 bits; their bits 63:32 are zero. */
static uint64_t read_dr(const struct vcpu *v, int n)
{
	if (n == 6)
		return v->dr[6] | DR6_FIXED1;
	if (n == 7)
		return v->dr[7] | DR7_FIXED1;
	return v->dr[n];
}

static const char *const dr_names[8] = {
	"dr0", "dr1", "dr2", "dr3", "dr6", "dr7", "dr6", "dr7",
};

/*
 * mov drN, r64 and mov r64, drN.  The values are kept for the guest to
 * read back; the engines do not yet raise #DB from them.
 */
void interp_mov_dr(struct vm *vm, const struct insn *in)
{
	const cs_x86_op *dst = &in->x86.operands[0];
	const cs_x86_op *src = &in->x86.operands[1];
	bool to_dr = !interp_is_gpr(dst->reg);
	int n = dr_slot(to_dr ? dst->reg : src->reg);

	if (n < 0) {
		interp_ud(vm);
		return;
	}
	if (!interp_require_cpl0(vm))
		return;
	if (!to_dr) {
		interp_reg_set(&vm->vcpu, dst->reg, read_dr(&vm->vcpu, n));
	} else {
		uint64_t val = interp_reg_get(&vm->vcpu, src->reg);

		if (n >= 6 && (val >> 32)) {
			interp_gp(vm, 0);
			return;
		}
		vm->vcpu.dr[n] = val;
	}
	interp_report_reg(vm, dr_names[n], to_dr, read_dr(&vm->vcpu, n));
	interp_advance(vm, in);
}

/* ------------------------------------------------------- clts, msw */

/* clts: clear CR0.TS (the lazy-FPU flag). */
void interp_clts(struct vm *vm, const struct insn *in)
{
	if (!interp_require_cpl0(vm))
		return;
	vm->vcpu.cr0 &= ~CR0_TS;
	interp_report_reg(vm, "cr0", true, vm->vcpu.cr0);
	interp_advance(vm, in);
}

/*
 * smsw: the machine status word, CR0's low 16 bits, at any CPL unless
 * CR4.UMIP.  Into a register the CPU stores all of CR0 (truncated to the
 * operand size); into memory 16 bits.
 */
void interp_smsw(struct vm *vm, const struct insn *in)
{
	const cs_x86_op *dst = &in->x86.operands[0];
	unsigned size = dst->type == X86_OP_REG ? dst->size : 2;

	if ((vm->vcpu.cr4 & CR4_UMIP) && vm->vcpu.cpl > 0) {
		interp_gp(vm, 0);
		return;
	}
	if (interp_op_write(vm, in, dst, size, vm->vcpu.cr0) < 0)
		return;
	interp_report_reg(vm, "cr0", false, vm->vcpu.cr0);
	interp_advance(vm, in);
}

/* The four CR0 bits that lmsw loads. */
#define CR0_MSW_LOADABLE (CR0_PE | CR0_MP | CR0_EM | CR0_TS)

/* lmsw r/m16: load PE, MP, EM, TS; PE can be set but never cleared. */
void interp_lmsw(struct vm *vm, const struct insn *in)
{
	struct vcpu *v = &vm->vcpu;
	uint64_t msw;

	if (!interp_require_cpl0(vm) ||
	    interp_op_read(vm, in, &in->x86.operands[0], 2, &msw) < 0)
		return;
	msw &= CR0_MSW_LOADABLE;
	v->cr0 = (v->cr0 & ~(CR0_MSW_LOADABLE & ~CR0_PE)) | msw;
	interp_report_reg(vm, "cr0", true, v->cr0);
	interp_advance(vm, in);
}
