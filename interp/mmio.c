/*
 * interp/mmio.c - a guest instruction that touches a device's memory, for
 * an engine whose MMU cannot reach devices.
 *
 * A device register mapped in memory (the LAPIC's page at 0xfee00000, the
 * IOAPIC's window at 0xfec00000) is no RAM: there is nothing to map in its
 * place.  softcpu's MMU sends such accesses to devices_mmio() itself, and
 * kvm hears of them from the hardware already decoded (KVM_EXIT_MMIO).  The
 * native engine can do neither: the host CPU runs the guest's instruction,
 * and the host MMU has no page to give it.  So the page stays unmapped in
 * the child, every access to it faults, and the monitor does what QEMU's
 * and KVM's instruction emulators do for MMIO: decode the instruction,
 * perform its memory access against the device, and complete it.
 *
 * Device registers are read and written with mov, by C code through
 * volatile pointers: mov in both directions (from a register or an
 * immediate), movzx and movsx are emulated.  Anything else on device
 * memory stops the guest with one line naming the instruction.
 *
 * The same path drops a native guest's mov to the BIOS area, which is RAM
 * mapped read-only in the child because it is ROM to the guest
 * (core/guest_mem.h): the store goes nowhere, as on QEMU's ROM.
 */
#include <inttypes.h>

#include "core/vm.h"
#include "devices/devices.h"
#include "interp/internal.h"
#include "interp/interp.h"
#include "isa/arch.h"
#include "shadowpt/walk.h"

/* The memory operand of in, or NULL. */
static const cs_x86_op *mem_operand(const struct insn *in)
{
	for (unsigned i = 0; i < in->x86.op_count; i++)
		if (in->x86.operands[i].type == X86_OP_MEM)
			return &in->x86.operands[i];
	return NULL;
}

/* Sign-extend the low size bytes of x. */
static uint64_t sext(uint64_t x, unsigned size)
{
	unsigned sh = 64 - 8 * size;

	return (uint64_t)((int64_t)(x << sh) >> sh);
}

/*
 * Translate the memory operand m of size bytes for an access acc to a
 * linear and a guest-physical address, with the checks the CPU makes
 * (segment, page rights).  Returns 0, or -1 after raising the fault in
 * the vCPU.
 */
static int operand_gpa(struct vm *vm, const struct insn *in,
		       const cs_x86_op *m, unsigned size, unsigned acc,
		       uint64_t *la_out, uint64_t *gpa)
{
	struct walk_result w;
	uint64_t la;

	if (interp_mem_linear(vm, in, m, size, acc, &la) < 0)
		return -1;
	*la_out = la;
	if (vm->vcpu.cpl == CPL_USER)
		acc |= ACC_USER;
	if (walk_guest(vm, la, acc, &w) < 0) {
		vm->vcpu.cr2 = la;
		vcpu_raise_error(&vm->vcpu, T_PF, w.error);
		return -1;
	}
	*gpa = w.gpa;
	return 0;
}

bool interp_mmio(struct vm *vm, const struct insn *in)
{
	const cs_x86_op *m = mem_operand(in);
	const cs_x86_op *other = NULL;
	uint64_t la, gpa, val = 0;

	if (!m || in->x86.op_count != 2)
		return false;
	other = &in->x86.operands[m == &in->x86.operands[0] ? 1 : 0];
	unsigned size = m->size;
	bool store = m == &in->x86.operands[0];

	if (size != 1 && size != 2 && size != 4 && size != 8)
		return false;
	switch (in->id) {
	case X86_INS_MOV:
		break;
	case X86_INS_MOVZX:
	case X86_INS_MOVSX:
		if (store)
			return false;
		break;
	default:
		return false;
	}
	if (operand_gpa(vm, in, m, size, store ? ACC_WRITE : ACC_READ,
			&la, &gpa) < 0)
		return true; /* the fault is the instruction's outcome */
	if (store)
		val = other->type == X86_OP_IMM ? (uint64_t)other->imm
						 : interp_reg_get(&vm->vcpu,
								  other->reg);
	if (gm_ptr(&vm->mem, gpa, size)) {
		/* RAM after all: not this routine's business, unless it is a
		 * store into the BIOS area, ROM to the guest: gva_write drops
		 * its bytes there and writes those that cross out of it. */
		if (!store || (!gm_is_rom(gpa) && !gm_is_rom(gpa + size - 1)))
			return false;
		if (interp_gva_write(vm, la, &val, size, ACC_WRITE) == 0)
			interp_advance(vm, in);
		return true;
	}
	if (store) {
		devices_mmio(vm, gpa, size, true, &val);
	} else {
		devices_mmio(vm, gpa, size, false, &val);
		if (in->id == X86_INS_MOVSX)
			val = sext(val, size);
		interp_reg_set(&vm->vcpu, other->reg, val);
	}
	interp_advance(vm, in);
	return true;
}
