/*
 * interp/operand.c - the operands of a decoded instruction.
 *
 * Capstone names an instruction's operands (cs_x86_op): a register by its
 * x86_reg id, an immediate, or a memory reference segment:[base + index *
 * scale + disp].  The routines give them meaning against the vCPU here:
 * which slice of which general register "ah" is, what linear address a
 * memory operand denotes, and how the stack is pushed and popped.
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
	vm_kill(vm, VM_EXIT_TRIPLE_FAULT, "guest memory at linear %#llx is "
		"outside its %llu MiB of RAM (rip %#llx)",
		(unsigned long long)va,
		(unsigned long long)(vm->mem.size >> 20),
		(unsigned long long)vm->vcpu.rip);
	return -1;
}

int interp_gva_read(struct vm *vm, uint64_t va, void *buf, size_t len,
		    unsigned acc)
{
	int r = gva_read(vm, va, buf, len, acc);

	return r == GVA_NO_RAM ? interp_no_ram(vm, va) : r;
}

int interp_gva_write(struct vm *vm, uint64_t va, const void *buf, size_t len,
		     unsigned acc)
{
	int r = gva_write(vm, va, buf, len, acc);

	return r == GVA_NO_RAM ? interp_no_ram(vm, va) : r;
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

unsigned interp_opsize(const struct insn *in)
{
	if (in->x86.rex & INSN_REX_W)
		return 8;
	if (in->x86.prefix[2] == X86_PREFIX_OPSIZE)
		return 2;
	return 4;
}

unsigned interp_addrsize(const struct insn *in)
{
	return in->x86.prefix[3] == X86_PREFIX_ADDRSIZE ? 4 : 8;
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

/*
 * In 64-bit mode only FS and GS have a base; CS, DS, ES and SS are flat
 * whatever their descriptors say (SDM vol. 3, 3.2.4).
 */
uint64_t interp_ea(const struct vm *vm, const struct insn *in,
		   const cs_x86_op *op)
{
	const x86_op_mem *m = &op->mem;
	uint64_t ea = address_reg(vm, in, m->base) +
		      address_reg(vm, in, m->index) * (uint64_t)m->scale +
		      (uint64_t)m->disp;

	if (interp_addrsize(in) == 4)
		ea = (uint32_t)ea;
	if (m->segment == X86_REG_FS)
		ea += vm->vcpu.seg[SEG_FS].base;
	else if (m->segment == X86_REG_GS)
		ea += vm->vcpu.seg[SEG_GS].base;
	return ea;
}

/* ------------------------------------------------------------ operands */

int interp_op_read(struct vm *vm, const struct insn *in, const cs_x86_op *op,
		   unsigned size, uint64_t *val)
{
	switch (op->type) {
	case X86_OP_REG:
		*val = interp_reg_get(&vm->vcpu, op->reg) & width_mask(size);
		return 0;
	case X86_OP_IMM:
		*val = (uint64_t)op->imm & width_mask(size);
		return 0;
	case X86_OP_MEM:
		*val = 0; /* little-endian: the low size bytes */
		return interp_gva_read(vm, interp_ea(vm, in, op), val, size, ACC_READ);
	default:
		panic("interp_op_read: operand of no type");
	}
}

int interp_op_write(struct vm *vm, const struct insn *in, const cs_x86_op *op,
		    unsigned size, uint64_t val)
{
	switch (op->type) {
	case X86_OP_REG:
		interp_reg_set(&vm->vcpu, op->reg, val);
		return 0;
	case X86_OP_MEM:
		return interp_gva_write(vm, interp_ea(vm, in, op), &val, size,
				 ACC_WRITE);
	default:
		panic("interp_op_write: not a destination");
	}
}

/* --------------------------------------------------------------- stack */

/*
 * A stack access at a non-canonical address is #SS(0), not #GP(0)
 * (SDM vol. 3, 6.15, "Interrupt 12").
 */
static int stack_check(struct vm *vm, uint64_t va)
{
	if (x86_canonical(va))
		return 0;
	vcpu_raise_error(&vm->vcpu, T_SS, 0);
	return -1;
}

int interp_push(struct vm *vm, uint64_t val, unsigned size)
{
	uint64_t rsp = vm->vcpu.regs[GPR_RSP] - size;

	if (stack_check(vm, rsp) < 0 ||
	    interp_gva_write(vm, rsp, &val, size, ACC_WRITE) < 0)
		return -1;
	vm->vcpu.regs[GPR_RSP] = rsp;
	return 0;
}

int interp_stack_peek(struct vm *vm, uint64_t offset, unsigned size,
		      uint64_t *val)
{
	uint64_t va = vm->vcpu.regs[GPR_RSP] + offset;

	*val = 0;
	if (stack_check(vm, va) < 0)
		return -1;
	return interp_gva_read(vm, va, val, size, ACC_READ);
}

int interp_pop(struct vm *vm, uint64_t *val, unsigned size)
{
	if (interp_stack_peek(vm, 0, size, val) < 0)
		return -1;
	vm->vcpu.regs[GPR_RSP] += size;
	return 0;
}
