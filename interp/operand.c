/*
 * interp/operand.c - the operands of a decoded instruction.
 *
 * Capstone names an instruction's operands (cs_x86_op): a register by its
 * x86_reg id, an immediate, or a memory reference segment:[base + index *
 * scale + disp].  The routines give them meaning against the vCPU here:
 * which slice of which general register "ah" is, what linear address a
 * memory operand denotes, and how the stack is pushed and popped.
 *
 * How wide things are depends on the mode (cpu_mode(), isa/arch.h): in
 * 64-bit mode addresses are 64 bits and only FS and GS have a base; in
 * 32- and 16-bit code (protected and compatibility mode) an address is an
 * offset in a segment - its base added, its limit and type checked, the
 * sum wrapping at 4 GiB - and the stack pointer is ESP or SP as SS.B says:
 *
 *   offset = base + index * scale + disp   (in the address size)
 *   linear = segment.base + offset          (mod 2^32 outside 64-bit mode)
 *

 * Where it sits: every interpreter routine reads and writes its operands
 * through these helpers; memory goes through gva_read/gva_write
 * (shadowpt/walk.h), which walk the guest's page tables with the virtual
 * CPL's rights and raise #PF as the CPU would.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "interp/internal.h"
#include "shadowpt/shadowpt.h"
#include "shadowpt/walk.h"

bool interp_require_cpl0(struct vm *vm)
{
	if (vm->vcpu.cpl == CPL_KERNEL)
		return true;
	interp_gp(vm, 0);
	return false;
}

void interp_set_cpl(struct vm *vm, unsigned cpl)
{
	if (vm->vcpu.cpl == cpl)
		return;
	vm->vcpu.cpl = (uint8_t)cpl;
	shadowpt_switch_view(vm);
}

/* The guest's tables lead outside its RAM at va: stop it. */
static int interp_no_ram(struct vm *vm, uint64_t va)
{
	vm_kill_at(vm, VM_EXIT_TRIPLE_FAULT, vm->vcpu.rip, "guest memory at "
		   "linear %#llx is outside its %llu MiB of RAM",
		   (unsigned long long)va,
		   (unsigned long long)(vm->mem.size >> 20));
	return -1;
}

/*
 * Outside long mode linear addresses are 32 bits wide: an access that
 * starts below 4 GiB and runs past it continues at 0 (SDM vol. 3, 5.3,
 * "the processor wraps around").  Split it there.
 */
#define LINEAR_32 (1ULL << 32)

static size_t wrap_split(const struct vm *vm, uint64_t va, size_t len)
{
	if ((vm->vcpu.efer & EFER_LMA) || va + len <= LINEAR_32)
		return len;
	return (size_t)(LINEAR_32 - va);
}

static int gva_read_checked(struct vm *vm, uint64_t va, void *buf,
			    size_t len, unsigned acc)
{
	int r = gva_read(vm, va, buf, len, acc);

	return r == GVA_NO_RAM ? interp_no_ram(vm, va) : r;
}

int interp_gva_read(struct vm *vm, uint64_t va, void *buf, size_t len,
		    unsigned acc)
{
	size_t first = wrap_split(vm, va, len);

	if (gva_read_checked(vm, va, buf, first, acc) < 0)
		return -1;
	if (first == len)
		return 0;
	return gva_read_checked(vm, 0, (uint8_t *)buf + first, len - first,
				acc);
}

static int gva_write_checked(struct vm *vm, uint64_t va, const void *buf,
			     size_t len, unsigned acc)
{
	int r = gva_write(vm, va, buf, len, acc);

	return r == GVA_NO_RAM ? interp_no_ram(vm, va) : r;
}

int interp_gva_write(struct vm *vm, uint64_t va, const void *buf, size_t len,
		     unsigned acc)
{
	size_t first = wrap_split(vm, va, len);
	uint8_t probe[16];

	if (first == len)
		return gva_write_checked(vm, va, buf, len, acc);
	/* Probe the part at 0 first: a fault there must change nothing. */
	for (size_t at = 0; at < len - first; at += sizeof(probe)) {
		size_t n = len - first - at;

		if (gva_read_checked(vm, at, probe, n < sizeof(probe) ?
				     n : sizeof(probe), acc) < 0)
			return -1;
	}
	if (gva_write_checked(vm, va, buf, first, acc) < 0)
		return -1;
	return gva_write_checked(vm, 0, (const uint8_t *)buf + first,
				 len - first, acc);
}

/* ------------------------------------------------- general registers */

/*
 * Where a Capstone register lives in vcpu.regs[]: its width in bytes and,
 * for ah/ch/dh/bh, a shift of 8.  Width 0 marks "not a general register".
 *
 *  63                  32 31         16 15     8 7      0
 * +----------------------+-------------+--------+--------+
 * |                      |             |   ah   |   al   |
 * |                      |             +--------+--------+
 * |                      |             |        ax       |
 * |                      +-------------+-----------------+
 * |                      |            eax                |
 * +----------------------+-------------------------------+
 * |                         rax                          |
 * +------------------------------------------------------+
 */
struct gpr_slot {
	uint8_t width;
	uint8_t index;
	uint8_t shift;
};

#define GPR(q, d, w, b, idx)                                          \
	[X86_REG_##q] = { 8, idx, 0 }, [X86_REG_##d] = { 4, idx, 0 }, \
	[X86_REG_##w] = { 2, idx, 0 }, [X86_REG_##b] = { 1, idx, 0 }

static const struct gpr_slot gpr_slots[X86_REG_ENDING] = {
	GPR(RAX, EAX, AX, AL, GPR_RAX),
	GPR(RCX, ECX, CX, CL, GPR_RCX),
	GPR(RDX, EDX, DX, DL, GPR_RDX),
	GPR(RBX, EBX, BX, BL, GPR_RBX),
	GPR(RSP, ESP, SP, SPL, GPR_RSP),
	GPR(RBP, EBP, BP, BPL, GPR_RBP),
	GPR(RSI, ESI, SI, SIL, GPR_RSI),
	GPR(RDI, EDI, DI, DIL, GPR_RDI),
	GPR(R8, R8D, R8W, R8B, GPR_R8),
	GPR(R9, R9D, R9W, R9B, GPR_R9),
	GPR(R10, R10D, R10W, R10B, GPR_R10),
	GPR(R11, R11D, R11W, R11B, GPR_R11),
	GPR(R12, R12D, R12W, R12B, GPR_R12),
	GPR(R13, R13D, R13W, R13B, GPR_R13),
	GPR(R14, R14D, R14W, R14B, GPR_R14),
	GPR(R15, R15D, R15W, R15B, GPR_R15),
	[X86_REG_AH] = { 1, GPR_RAX, 8 },
	[X86_REG_CH] = { 1, GPR_RCX, 8 },
	[X86_REG_DH] = { 1, GPR_RDX, 8 },
	[X86_REG_BH] = { 1, GPR_RBX, 8 },
};

/* A mask of the low width bytes. */
static uint64_t width_mask(unsigned width)
{
	return width >= 8 ? ~0ULL : (1ULL << (8 * width)) - 1;
}

static const struct gpr_slot *gpr_slot(x86_reg r)
{
	if (r <= X86_REG_INVALID || r >= X86_REG_ENDING ||
	    gpr_slots[r].width == 0)
		panic("gpr_slot: not a general register");
	return &gpr_slots[r];
}

bool interp_is_gpr(x86_reg r)
{
	return r > X86_REG_INVALID && r < X86_REG_ENDING &&
	       gpr_slots[r].width != 0;
}

uint64_t interp_reg_get(const struct vcpu *v, x86_reg r)
{
	const struct gpr_slot *s = gpr_slot(r);

	return (v->regs[s->index] >> s->shift) & width_mask(s->width);
}

void interp_reg_set(struct vcpu *v, x86_reg r, uint64_t val)
{
	const struct gpr_slot *s = gpr_slot(r);
	uint64_t mask = width_mask(s->width) << s->shift;

	if (s->width == 4) {
		v->regs[s->index] = (uint32_t)val; /* zero-extends */
		return;
	}
	v->regs[s->index] &= ~mask;
	v->regs[s->index] |= (val << s->shift) & mask;
}

/* ------------------------------------------------- sizes and addresses */

/*
 * The operand size (SDM vol. 1, 3.6): the code's default (CS.D in 32- and
 * 16-bit code, 4 in 64-bit mode), which a 66 prefix toggles between 4 and
 * 2, and which REX.W makes 8.
 */
unsigned interp_opsize(const struct vm *vm, const struct insn *in)
{
	unsigned code = cpu_code_size(&vm->vcpu);
	bool o16 = in->x86.prefix[2] == X86_PREFIX_OPSIZE;

	if (in->x86.rex & INSN_REX_W)
		return 8;
	if (code == 8)
		return o16 ? 2 : 4;
	return o16 ? 6 - code : code;
}

/*
 * The size of a push or pop: in 64-bit mode 8, or 2 with a 66 prefix
 * (there is no 32-bit push there); elsewhere the operand size, 4 or 2.
 */
unsigned interp_stack_opsize(const struct vm *vm, const struct insn *in)
{
	unsigned size = interp_opsize(vm, in);

	return cpu_mode(&vm->vcpu) == CPU_LONG && size != 2 ? 8 : size;
}

/* Capstone computed it from the mode it decoded in and the 67 prefix. */
unsigned interp_addrsize(const struct insn *in)
{
	return in->x86.addr_size;
}

/* A base or index register's value: RIP means the next instruction. */
static uint64_t address_reg(const struct vm *vm, const struct insn *in,
			    x86_reg r)
{
	if (r == X86_REG_INVALID || r == X86_REG_RIZ || r == X86_REG_EIZ)
		return 0;
	if (r == X86_REG_RIP || r == X86_REG_EIP)
		return in->rip + in->size;
	return interp_reg_get(&vm->vcpu, r);
}

/* Capstone's segment register to the vCPU's, or -1. */
int interp_sreg_index(x86_reg r)
{
	switch (r) {
	case X86_REG_ES: return SEG_ES;
	case X86_REG_CS: return SEG_CS;
	case X86_REG_SS: return SEG_SS;
	case X86_REG_DS: return SEG_DS;
	case X86_REG_FS: return SEG_FS;
	case X86_REG_GS: return SEG_GS;
	default: return -1;
	}
}

/*
 * The segment a memory operand goes through: its override, else SS when
 * the base register is the stack or frame pointer, else DS (SDM vol. 1,
 * 3.7.4, table 3-5).  Capstone names the override, and the fixed ES of
 * the string instructions' destination.
 */
enum vcpu_sreg interp_op_sreg(const cs_x86_op *op)
{
	int s = interp_sreg_index(op->mem.segment);

	if (s >= 0)
		return (enum vcpu_sreg)s;
	switch (op->mem.base) {
	case X86_REG_ESP: case X86_REG_EBP: case X86_REG_SP: case X86_REG_BP:
	case X86_REG_RSP: case X86_REG_RBP:
		return SEG_SS;
	default:
		return SEG_DS;
	}
}

/* The effective address: base + index * scale + disp, in address size. */
uint64_t interp_ea_offset(const struct vm *vm, const struct insn *in,
			  const cs_x86_op *op)
{
	const x86_op_mem *m = &op->mem;
	uint64_t ea = address_reg(vm, in, m->base) +
		      address_reg(vm, in, m->index) * (uint64_t)m->scale +
		      (uint64_t)m->disp;

	return ea & width_mask(interp_addrsize(in));
}

/*
 * In 64-bit mode only FS and GS have a base; CS, DS, ES and SS are flat
 * whatever their descriptors say (SDM vol. 3, 3.2.4).  Elsewhere every
 * segment adds its base, and the linear address wraps at 4 GiB.
 */
static uint64_t linear(const struct vcpu *v, enum vcpu_sreg s, uint64_t off)
{
	if (cpu_mode(v) == CPU_LONG)
		return (s == SEG_FS || s == SEG_GS) ? off + v->seg[s].base : off;
	return (uint32_t)(v->seg[s].base + off);
}

uint64_t interp_ea(const struct vm *vm, const struct insn *in,
		   const cs_x86_op *op)
{
	return linear(&vm->vcpu, interp_op_sreg(op),
		      interp_ea_offset(vm, in, op));
}

/* ------------------------------------------------- segment checks */

/* Bits of vcpu_segment.attr (descriptor bits 40..55). */
#define ATTR_TYPE_MASK 0xfU
#define ATTR_S (uint16_t)(DESC_S >> DESC_TYPE_SHIFT)
#define ATTR_P (uint16_t)(DESC_P >> DESC_TYPE_SHIFT)

/*
 * Do bytes offset..offset+size-1 lie inside s (SDM vol. 3, 5.3)?  An
 * expand-up segment holds offsets 0..limit; an expand-down data segment
 * (a stack that grows down) holds limit+1 up to 0xffff or, with B set,
 * 0xffffffff.  An access that runs past the end faults: it does not wrap.
 */
bool interp_seg_within(const struct vcpu_segment *s, uint64_t offset,
		       unsigned size)
{
	uint64_t last = offset + size - 1;
	unsigned type = s->attr & ATTR_TYPE_MASK;

	if ((s->attr & ATTR_S) && !(type & DESC_TYPE_CODE) &&
	    (type & DESC_TYPE_EC))
		return offset > s->limit &&
		       last <= ((s->attr & SEG_ATTR_DB) ? 0xffffffffULL :
				0xffffULL);
	return last <= s->limit;
}

/*
 * May s be read (or, with ACC_WRITE, written)?  It must be usable (loaded
 * with a non-null selector: present), a data segment for a write, a data
 * or readable code segment for a read (SDM vol. 3, 5.4).
 */
static bool seg_allows(const struct vcpu_segment *s, unsigned acc)
{
	unsigned type = s->attr & ATTR_TYPE_MASK;
	bool code = type & DESC_TYPE_CODE;

	if (!(s->attr & ATTR_P) || !(s->attr & ATTR_S))
		return false;
	if (acc & ACC_WRITE)
		return !code && (type & DESC_TYPE_RW);
	return !code || (type & DESC_TYPE_RW);
}

int interp_seg_linear(struct vm *vm, enum vcpu_sreg sreg, uint64_t offset,
		      unsigned size, unsigned acc, uint64_t *la)
{
	const struct vcpu_segment *s = &vm->vcpu.seg[sreg];

	*la = linear(&vm->vcpu, sreg, offset);
	if (cpu_mode(&vm->vcpu) == CPU_LONG)
		return 0; /* gva_* check the canonical form */
	if (seg_allows(s, acc) && interp_seg_within(s, offset, size))
		return 0;
	/* A fault about the stack segment is #SS(0), the others #GP(0). */
	vcpu_raise_error(&vm->vcpu, sreg == SEG_SS ? T_SS : T_GP, 0);
	return -1;
}

int interp_mem_linear(struct vm *vm, const struct insn *in,
		      const cs_x86_op *op, unsigned size, unsigned acc,
		      uint64_t *la)
{
	return interp_seg_linear(vm, interp_op_sreg(op),
				 interp_ea_offset(vm, in, op), size, acc, la);
}

/* ------------------------------------------------------------ operands */

int interp_op_read(struct vm *vm, const struct insn *in, const cs_x86_op *op,
		   unsigned size, uint64_t *val)
{
	uint64_t la;

	switch (op->type) {
	case X86_OP_REG:
		*val = interp_reg_get(&vm->vcpu, op->reg) & width_mask(size);
		return 0;
	case X86_OP_IMM:
		*val = (uint64_t)op->imm & width_mask(size);
		return 0;
	case X86_OP_MEM:
		*val = 0; /* little-endian: the low size bytes */
		if (interp_mem_linear(vm, in, op, size, ACC_READ, &la) < 0)
			return -1;
		return interp_gva_read(vm, la, val, size, ACC_READ);
	default:
		panic("interp_op_read: operand of no type");
	}
}

int interp_op_write(struct vm *vm, const struct insn *in, const cs_x86_op *op,
		    unsigned size, uint64_t val)
{
	uint64_t la;

	switch (op->type) {
	case X86_OP_REG:
		interp_reg_set(&vm->vcpu, op->reg, val);
		return 0;
	case X86_OP_MEM:
		if (interp_mem_linear(vm, in, op, size, ACC_WRITE, &la) < 0)
			return -1;
		return interp_gva_write(vm, la, &val, size, ACC_WRITE);
	default:
		panic("interp_op_write: not a destination");
	}
}

/* --------------------------------------------------------------- stack */

/*
 * The stack pointer is RSP in 64-bit mode, else ESP or SP as SS.B says;
 * a push or pop moves only that part, so a 16-bit stack wraps within 64
 * KiB and leaves ESP's upper half alone.
 */
uint64_t interp_sp(const struct vcpu *v)
{
	return v->regs[GPR_RSP] & width_mask(cpu_stack_size(v));
}

void interp_sp_set(struct vcpu *v, uint64_t sp)
{
	uint64_t mask = width_mask(cpu_stack_size(v));

	v->regs[GPR_RSP] = (v->regs[GPR_RSP] & ~mask) | (sp & mask);
}

uint64_t interp_rsp_after(const struct vcpu *v, uint64_t delta)
{
	uint64_t mask = width_mask(cpu_stack_size(v));

	return (v->regs[GPR_RSP] & ~mask) | ((v->regs[GPR_RSP] + delta) & mask);
}

/*
 * The linear address of a stack access at offset sp.  In 64-bit mode a
 * non-canonical one is #SS(0), not #GP(0) (SDM vol. 3, 6.15, "Interrupt
 * 12"); elsewhere SS's limit and type decide, also with #SS(0).
 */
static int stack_linear(struct vm *vm, uint64_t sp, unsigned size,
			unsigned acc, uint64_t *la)
{
	if (cpu_mode(&vm->vcpu) != CPU_LONG)
		return interp_seg_linear(vm, SEG_SS, sp, size, acc, la);
	*la = sp;
	if (x86_canonical(sp))
		return 0;
	vcpu_raise_error(&vm->vcpu, T_SS, 0);
	return -1;
}

int interp_push(struct vm *vm, uint64_t val, unsigned size)
{
	uint64_t sp = (interp_sp(&vm->vcpu) - size) &
		      width_mask(cpu_stack_size(&vm->vcpu));
	uint64_t la;

	if (stack_linear(vm, sp, size, ACC_WRITE, &la) < 0 ||
	    interp_gva_write(vm, la, &val, size, ACC_WRITE) < 0)
		return -1;
	interp_sp_set(&vm->vcpu, sp);
	return 0;
}

int interp_stack_peek(struct vm *vm, uint64_t offset, unsigned size,
		      uint64_t *val)
{
	uint64_t sp = (interp_sp(&vm->vcpu) + offset) &
		      width_mask(cpu_stack_size(&vm->vcpu));
	uint64_t la;

	*val = 0;
	if (stack_linear(vm, sp, size, ACC_READ, &la) < 0)
		return -1;
	return interp_gva_read(vm, la, val, size, ACC_READ);
}

int interp_pop(struct vm *vm, uint64_t *val, unsigned size)
{
	if (interp_stack_peek(vm, 0, size, val) < 0)
		return -1;
	interp_sp_set(&vm->vcpu, interp_sp(&vm->vcpu) + size);
	return 0;
}
