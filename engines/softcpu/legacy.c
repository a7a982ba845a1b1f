/*
 * engines/softcpu/legacy.c - the instructions that exist only outside
 * 64-bit mode (their opcodes are #UD or mean something else there):
 * the decimal adjustments daa, das, aaa, aas, aam, aad; salc; into;
 * pusha and popa; bound; arpl.  decode.c's legacy[] table points here.
 *
 * Where the SDM leaves a flag undefined, softcpu does what QEMU's pc
 * machine does (target/i386's helpers), so that the two can be compared
 * instruction for instruction: daa/das clear OF; aaa/aas keep OF, SF, ZF
 * and PF; aam/aad clear CF, OF and AF.
 */
#include "engines/softcpu/softcpu.h"

/* AL, zero-extended. */
static uint64_t al(const struct sc_cpu *c)
{
	return c->regs[GPR_RAX] & 0xff;
}

/*
 * daa (op 0) / das (op 1): after adding (subtracting) two packed BCD
 * bytes, fix each nibble of AL that left 0..9 (SDM vol. 2, DAA, DAS).
 */
int op_daa_das(struct sc_cpu *c, const struct sc_insn *d)
{
	uint64_t f = sc_flags(c), old = al(c), a = old, nf = 0;
	bool sub = d->op == 1, cf = f & FL_CF;

	if ((a & 0xf) > 9 || (f & FL_AF)) {
		nf |= FL_AF;
		if (sub && (a < 6 || cf))
			nf |= FL_CF;
		a = (sub ? a - 6 : a + 6) & 0xff;
	}
	if (old > 0x99 || cf) {
		a = (sub ? a - 0x60 : a + 0x60) & 0xff;
		nf |= FL_CF;
	}
	sc_rset(c, GPR_RAX, 1, a);
	sc_set_flags(c, FL_STATUS, nf | sc_szp(a, 1));
	return SC_OK;
}

/*
 * aaa (op 0) / aas (op 1): after adding (subtracting) two unpacked BCD
 * digits, carry into (borrow from) AH when AL left 0..9; AL keeps its low
 * nibble.  AX +/- 0x106 is the SDM's formulation of AL +/- 6 with the
 * carry into AH, plus AH +/- 1.
 */
int op_aaa_aas(struct sc_cpu *c, const struct sc_insn *d)
{
	uint64_t f = sc_flags(c), ax = c->regs[GPR_RAX] & 0xffff;
	bool adjust = (ax & 0xf) > 9 || (f & FL_AF);

	if (adjust)
		ax = d->op == 0 ? ax + 0x106 : ax - 0x106;
	ax = (ax & 0xff00) | (ax & 0xf);
	sc_rset(c, GPR_RAX, 2, ax);
	sc_set_flags(c, FL_CF | FL_AF, adjust ? FL_CF | FL_AF : 0);
	return SC_OK;
}

/* aam imm8: AH = AL / imm8, AL = AL % imm8; imm8 = 0 is #DE. */
int op_aam(struct sc_cpu *c, const struct sc_insn *d)
{
	uint64_t base = d->imm & 0xff, a = al(c);

	if (!base)
		return sc_fault(c, T_DE, false, 0);
	uint64_t r = a % base;
	sc_rset(c, GPR_RAX, 2, (a / base) << 8 | r);
	sc_set_flags(c, FL_STATUS, sc_szp(r, 1));
	return SC_OK;
}

/* aad imm8: AL = AL + AH * imm8 (8 bits), AH = 0. */
int op_aad(struct sc_cpu *c, const struct sc_insn *d)
{
	uint64_t ax = c->regs[GPR_RAX];
	uint64_t r = ((ax & 0xff) + ((ax >> 8) & 0xff) * (d->imm & 0xff)) &
		     0xff;

	sc_rset(c, GPR_RAX, 2, r);
	sc_set_flags(c, FL_STATUS, sc_szp(r, 1));
	return SC_OK;
}

/* salc (undocumented D6): AL = CF ? 0xff : 0, flags untouched. */
int op_salc(struct sc_cpu *c, const struct sc_insn *d)
{
	(void)d;
	sc_rset(c, GPR_RAX, 1, sc_cf(c) ? 0xff : 0);
	return SC_OK;
}

/*
 * into: #OF when OF is set, a trap (RIP after it), as int3 gives #BP
 * (isa/CONTRACT.md): Linux's IDT, the real machine's, has a DPL-3 gate for
 * vector 4 as for vector 3, so that into reaches it from ring 3.
 */
int op_into(struct sc_cpu *c, const struct sc_insn *d)
{
	(void)d;
	return sc_of(c) ? sc_trap(c, T_OF) : SC_OK;
}

/*
 * pusha: push AX, CX, DX, BX, the SP from before, BP, SI, DI at the
 * operand size; popa pops them back, skipping SP.  All eight slots are
 * translated before the first byte moves.
 */
int op_pusha(struct sc_cpu *c, const struct sc_insn *d)
{
	unsigned sz = d->osz;
	uint64_t sp = (sc_sp(c) - 8 * sz) & sc_mask(c->ssz);
	uint8_t buf[32];
	struct sc_mem m;

	if (sc_stack_map(c, sp, 8 * sz, ACC_WRITE, &m))
		return SC_STOP;
	/* DI is lowest in memory, AX highest. */
	for (unsigned r = 0; r < 8; r++) {
		uint64_t x = r == GPR_RSP ? sc_sp(c) : c->regs[r];
		memcpy(buf + (7 - r) * sz, &x, sz);
	}
	sc_mem_write_bytes(&m, buf, 8 * sz);
	sc_sp_set(c, sp);
	return SC_OK;
}

int op_popa(struct sc_cpu *c, const struct sc_insn *d)
{
	unsigned sz = d->osz;
	uint64_t sp = sc_sp(c);
	uint8_t buf[32];
	struct sc_mem m;

	if (sc_stack_map(c, sp, 8 * sz, ACC_READ, &m))
		return SC_STOP;
	sc_mem_read_bytes(&m, buf, 8 * sz);
	for (unsigned r = 0; r < 8; r++) {
		uint64_t x = 0;
		memcpy(&x, buf + (7 - r) * sz, sz);
		if (r != GPR_RSP)
			sc_rset(c, r, sz, x);
	}
	sc_sp_set(c, sp + 8 * sz);
	return SC_OK;
}

/*
 * bound G, M: the signed index in G must lie within the pair of bounds
 * at M (lower, then upper, each of the operand size), else #BR, a fault.
 * A register operand is #UD.
 */
int op_bound(struct sc_cpu *c, const struct sc_insn *d)
{
	unsigned sz = d->osz;
	uint8_t buf[8];
	uint64_t lo = 0, hi = 0;
	struct sc_mem m;

	if (d->mod == 3)
		return sc_ud(c);
	if (sc_map(c, sc_ea(c, d), 2 * sz, sc_acc(d, ACC_READ), &m))
		return SC_STOP;
	sc_mem_read_bytes(&m, buf, 2 * sz);
	memcpy(&lo, buf, sz);
	memcpy(&hi, buf + sz, sz);
	int64_t i = sc_sext(sc_rget(c, d->reg, sz), sz);
	if (i < sc_sext(lo, sz) || i > sc_sext(hi, sz))
		return sc_fault(c, T_BR, false, 0);
	return SC_OK;
}

/*
 * arpl Ew, Gw: raise the RPL field of the selector in E to that of G's
 * (ZF = 1), or leave it (ZF = 0).  It only compares bits: not sensitive.
 */
int op_arpl(struct sc_cpu *c, const struct sc_insn *d)
{
	struct sc_loc l;

	if (sc_loc_e(c, d, 2, ACC_WRITE, &l))
		return SC_STOP;
	uint64_t dst = sc_loc_get(c, &l, 2);
	uint64_t rpl = sc_rget(c, d->reg, 2) & SEL_RPL_MASK;
	bool raise = (dst & SEL_RPL_MASK) < rpl;
	if (raise)
		sc_loc_put(c, &l, 2, (dst & ~(uint64_t)SEL_RPL_MASK) | rpl);
	sc_set_flags(c, FL_ZF, raise ? FL_ZF : 0);
	return SC_OK;
}
