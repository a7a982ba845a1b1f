/*
 * interp/io.c - port I/O: in, out, ins, outs.
 *
 * A PC's devices sit in a 64 KiB port space reached only by these
 * instructions.  At ring 3 with IOPL 0 each of them traps, and the monitor
 * sends the access to the device model (devices_io, devices/devices.c):
 * this is "trap and emulate" for devices, the costliest exit of all.
 *
 * The guest's right to a port follows the CPU (SDM vol. 1, 19.5): at
 * CPL <= IOPL every port; otherwise only the ports whose bits are clear in
 * the I/O permission bit map of the guest's TSS.
 */
#include "interp/internal.h"
#include "core/hypercall.h"
#include "devices/devices.h"
#include "core/lab.h"
#include "shadowpt/walk.h"

/*
 * The TSS's I/O permission bit map, one bit per port, 1 = refused:
 *
 *   TSS + 0x66: 16-bit offset of the map ---+
 *                                            v
 *   +--------------------+-----------------------------+
 *   | TSS fields         | bit map: port p is bit p%8  |
 *   |                    | of byte p/8                 |
 *   +--------------------+-----------------------------+
 *                                   TR.limit ends the map: ports beyond
 *                                   it are refused.
 * An access of size bytes needs the bits of ports port..port+size-1,
 * which may straddle two bytes, so two bytes are read.
 */
static int iomap_check(struct vm *vm, uint16_t port, unsigned size)
{
	const struct vcpu_segment *tr = &vm->vcpu.tr;
	uint16_t map, bits;
	uint64_t byte;

	if (tr->limit < TSS_IOMAP_BASE + 1)
		goto refuse;
	if (interp_gva_read(vm, tr->base + TSS_IOMAP_BASE, &map, sizeof(map),
		     ACC_IMPLICIT) < 0)
		return -1;
	byte = (uint64_t)map + port / 8;
	if (byte + 1 > tr->limit)
		goto refuse;
	if (interp_gva_read(vm, tr->base + byte, &bits, sizeof(bits),
		     ACC_IMPLICIT) < 0)
		return -1;
	if (!(bits & (((1U << size) - 1) << (port % 8))))
		return 0;
refuse:
	interp_gp(vm, 0);
	return -1;
}

/*T:420 May the guest touch port..port+size-1?  The CPU's answer: yes at
 * CPL <= IOPL, else ask the TSS's bit map.  0, or -1 with the fault raised.
 */
static int io_check(struct vm *vm, uint16_t port, unsigned size)
{
	if (vm->vcpu.cpl <= interp_iopl(&vm->vcpu))
		return 0;
	return iomap_check(vm, port, size);
}

/* The port operand: an imm8, or DX. */
static uint16_t io_port(const struct vm *vm, const cs_x86_op *op)
{
	if (op->type == X86_OP_IMM)
		return (uint8_t)op->imm;
	return (uint16_t)vm->vcpu.regs[GPR_RDX];
}

/* in al/ax/eax, imm8 or dx */
void interp_in(struct vm *vm, const struct insn *in)
{
	const cs_x86_op *dst = &in->x86.operands[0];
	uint16_t port = io_port(vm, &in->x86.operands[1]);
	uint32_t data = 0;

	if (io_check(vm, port, dst->size) < 0)
		return;
	devices_io(vm, port, dst->size, true, &data);
	interp_reg_set(&vm->vcpu, dst->reg, data);
	interp_report(vm, &(struct interp_effect){ .kind = EFFECT_PORT,
		      .name = "in", .reg = port, .size = dst->size,
		      .value = data, .count = 1 });
	interp_advance(vm, in);
}

/* out imm8 or dx, al/ax/eax */
void interp_out(struct vm *vm, const struct insn *in)
{
	const cs_x86_op *src = &in->x86.operands[1];
	uint16_t port = io_port(vm, &in->x86.operands[0]);
	uint32_t data = (uint32_t)interp_reg_get(&vm->vcpu, src->reg);

	if (io_check(vm, port, src->size) < 0)
		return;
	if (port == HC_PORT) { /* a hypercall (core/hypercall.h) */
		if (interp_hypercall(vm))
			interp_advance(vm, in);
		return;
	}
	devices_io(vm, port, src->size, false, &data);
	interp_report(vm, &(struct interp_effect){ .kind = EFFECT_PORT,
		      .name = "out", .write = true, .reg = port,
		      .size = src->size, .value = data, .count = 1 });
	interp_advance(vm, in);
}

/* ------------------------------------------------------------ string I/O */

/* What one ins or outs works with. */
struct string_io {
	uint16_t port;
	unsigned size;      /* 1, 2 or 4 bytes an element */
	bool rep;           /* repeat RCX times */
	uint64_t amask;     /* the address size: all of RSI, RDI, RCX, their
			       low 32 bits (ESI, ...) or low 16 (SI, ...) */
};

/*
 * The element size, from the opcode (SDM vol. 2: 6C/6E move bytes, 6D/6F
 * words with the operand-size prefix 66, else doublewords; REX.W does
 * not widen them) rather than from Capstone's operand: Capstone 4
 * decodes 66 F3 6D, which is how GNU as encodes "rep insw", as insd.
 * In 16-bit code the 66 prefix makes doublewords of the words.
 */
static unsigned string_io_size(const struct vm *vm, const struct insn *in)
{
	if (in->x86.opcode[0] == 0x6c || in->x86.opcode[0] == 0x6e)
		return 1;
	return interp_opsize(vm, in) == 2 ? 2 : 4;
}

/* The port (DX), element size, rep prefix and address-size mask of one
 * ins or outs: what string_run() needs before its first element. */
static void string_io_init(const struct vm *vm, const struct insn *in,
			   struct string_io *s)
{
	unsigned asize = interp_addrsize(in);

	s->port = (uint16_t)vm->vcpu.regs[GPR_RDX];
	s->size = string_io_size(vm, in);
	s->rep = in->x86.prefix[0] == X86_PREFIX_REP;
	s->amask = asize == 8 ? ~0ULL : (1ULL << (8 * asize)) - 1;
}

/*
 * Write RSI, RDI or RCX in the address size: a 32-bit write zero-extends
 * as every 32-bit register write does; a 16-bit one keeps the upper bits.
 */
static void string_set(struct vcpu *v, enum vcpu_reg r, uint64_t val,
		       const struct string_io *s)
{
	if (s->amask == 0xffff)
		v->regs[r] = (v->regs[r] & ~s->amask) | (val & s->amask);
	else
		v->regs[r] = val & s->amask;
}

/* Move RSI or RDI one element on, down when DF is set. */
static void string_step(struct vcpu *v, enum vcpu_reg r,
			const struct string_io *s)
{
	uint64_t delta = (v->rflags & FL_DF) ? -(uint64_t)s->size : s->size;

	string_set(v, r, v->regs[r] + delta, s);
}

/*
 * One element of ins: port -> ES:[RDI] (ES takes no override; in 64-bit
 * mode it has no base).  0 when the element is done and RDI moved on; -1
 * when it faulted (the exception raised, RDI and RCX as they were).  The destination is checked and probed for a
 * write (gva_read with ACC_WRITE) before the device is read, so a fault
 * does not swallow a byte from the device: the restarted instruction
 * reads it again.
 */
static int ins_one(struct vm *vm, const struct string_io *s)
{
	uint64_t va;
	uint32_t data = 0, probe;

	if (interp_seg_linear(vm, SEG_ES, vm->vcpu.regs[GPR_RDI] & s->amask,
			      s->size, ACC_WRITE, &va) < 0 ||
	    interp_gva_read(vm, va, &probe, s->size, ACC_WRITE) < 0)
		return -1;
	devices_io(vm, s->port, s->size, true, &data);
	if (interp_gva_write(vm, va, &data, s->size, ACC_WRITE) < 0)
		return -1;
	string_step(&vm->vcpu, GPR_RDI, s);
	return 0;
}

/* One element of outs: DS:[RSI] (or a segment override) -> port.  0 when
 * done and RSI moved on; -1 when the read faulted (the exception raised,
 * nothing sent to the port).  The port may stop the guest (vm->stopped). */
static int outs_one(struct vm *vm, const struct insn *in,
		    const cs_x86_op *mem, const struct string_io *s)
{
	uint32_t data = 0;
	uint64_t va;

	if (interp_mem_linear(vm, in, mem, s->size, ACC_READ, &va) < 0 ||
	    interp_gva_read(vm, va, &data, s->size, ACC_READ) < 0)
		return -1;
	devices_io(vm, s->port, s->size, false, &data);
	string_step(&vm->vcpu, GPR_RSI, s);
	return 0;
}

/*
 * The rep loop, as the CPU runs it: RCX counts down after each element,
 * so a fault in the middle leaves RCX, RSI and RDI telling how far it got,
 * and RIP on the instruction to resume it.  Each element is one call of
 * devices_io(): a disk sector read with rep insw is 256 calls.  A bulk
 * path (a device handing over a whole block for the pages it covers)
 * would go here, once this correct element-by-element one is measured.
 *
 * The CPU also takes interrupts between two elements, and so does the
 * monitor: after STRING_CHUNK elements it returns with RIP still on the
 * instruction, and the guest traps on it again at the next run.  A guest
 * with RCX = 2^32 would otherwise hold the monitor inside one emulation
 * for seconds, deaf to its timer and to Ctrl-C.
 */
#define STRING_CHUNK 256 /* elements per trap: one sector of rep insw */

static void string_run(struct vm *vm, const struct insn *in,
		       const cs_x86_op *mem, bool is_in)
{
	/* LAB 2 BEGIN: string_run: the rep loop of ins and outs (task 5) */
	struct vcpu *v = &vm->vcpu;
	struct string_io s;

	string_io_init(vm, in, &s);
	if (io_check(vm, s.port, s.size) < 0)
		return;
	for (unsigned n = 0; !s.rep || (v->regs[GPR_RCX] & s.amask) != 0; n++) {
		if (n == STRING_CHUNK)
			return; /* RIP stays: the rest after a look around */
		if ((is_in ? ins_one(vm, &s) : outs_one(vm, in, mem, &s)) < 0)
			return;
		interp_report(vm, &(struct interp_effect){
			      .kind = EFFECT_PORT, .name = is_in ? "ins" :
			      "outs", .write = !is_in, .reg = s.port,
			      .size = s.size, .count = n + 1ULL });
		if (!s.rep)
			break;
		string_set(v, GPR_RCX, v->regs[GPR_RCX] - 1, &s);
		if (vm->stopped)
			return; /* the guest wrote to isa-debug-exit */
	}
	interp_advance(vm, in);
	/* LAB 2 END; hole: lab_todo(vm, 2, "string_run (ins, outs)");
	 * (void)in; (void)mem; (void)is_in; (void)string_io_init;
	 * (void)ins_one; (void)outs_one; */
}

/* insb/insw/insd [rdi], dx */
void interp_ins(struct vm *vm, const struct insn *in)
{
	string_run(vm, in, &in->x86.operands[0], true);
}

/* outsb/outsw/outsd dx, [rsi] */
void interp_outs(struct vm *vm, const struct insn *in)
{
	string_run(vm, in, &in->x86.operands[1], false);
}
