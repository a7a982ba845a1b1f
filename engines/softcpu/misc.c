/*
 * engines/softcpu/misc.c - data movement and everything small: mov (all
 * forms), lea, movzx, movsx, movsxd, xchg, cmpxchg, cmpxchg8b/16b, xadd,
 * setcc, cmovcc, cbw/cwde/cdqe, cwd/cdq/cqo, lahf, sahf, the flag
 * instructions (cmc clc stc cld std), xlat, nops, fences and clflush.
 *
 * The lock prefix is accepted where the SDM allows it (decode.c checks);
 * softcpu has one vCPU, so every instruction is atomic anyway.
 */
#include "engines/softcpu/softcpu.h"

int op_mov_eg(struct sc_cpu *c, const struct sc_insn *d)
{
	uint64_t x = sc_rget(c, d->reg, d->osz);

	if (d->mod == 3) {
		sc_rset(c, d->rm, d->osz, x);
		return SC_OK;
	}
	return sc_write(c, sc_ea(c, d), d->osz, x, sc_acc(d, ACC_WRITE));
}

/*
 * The register forms of mov, setcc and lea with the operand size (and
 * the condition) constant in the handler, chosen at decode time
 * (sc_reg_form), as the ALU's are (alu.c).
 */
#define MOV_RR(sz)							\
	static int mov_rr##sz(struct sc_cpu *c, const struct sc_insn *d) \
	{								\
		sc_rset(c, d->rm, sz, sc_rlow(c, d->reg, sz));		\
		return sc_next(c, d);					\
	}								\
	static int mov_rr_g##sz(struct sc_cpu *c, const struct sc_insn *d) \
	{								\
		sc_rset(c, d->reg, sz, sc_rlow(c, d->rm, sz));		\
		return sc_next(c, d);					\
	}
MOV_RR(2) MOV_RR(4) MOV_RR(8)

/* mov of an immediate to a register (B8+r, and C7 /0 with ModRM.mod 3;
 * sc_decode puts B8+r's register in rm too). */
#define MOV_RI(sz)							\
	static int mov_ri##sz(struct sc_cpu *c, const struct sc_insn *d) \
	{								\
		sc_rset(c, d->rm, sz, d->imm);				\
		return sc_next(c, d);					\
	}
MOV_RI(2) MOV_RI(4) MOV_RI(8)

/* setcc of a condition the lazy state does not make quick: out of line,
 * as jcc's (branch.c), so that the quick path saves no registers. */
static int setcc_cond(struct sc_cpu *c, const struct sc_insn *d)
	__attribute__((noinline));
static int setcc_cond(struct sc_cpu *c, const struct sc_insn *d)
{
	sc_rset(c, d->rm, 1, sc_cond(c, d->op));
	return sc_next(c, d);
}

#define SETCC(cc)							\
	static int setcc_##cc(struct sc_cpu *c, const struct sc_insn *d) \
	{								\
		int r = sc_cond_quick(c, cc);				\
		if (r < 0)						\
			return setcc_cond(c, d);			\
		sc_rset(c, d->rm, 1, (uint64_t)r);			\
		return sc_next(c, d);					\
	}
SETCC(0) SETCC(1) SETCC(2) SETCC(3) SETCC(4) SETCC(5) SETCC(6) SETCC(7)
SETCC(8) SETCC(9) SETCC(10) SETCC(11) SETCC(12) SETCC(13) SETCC(14)
SETCC(15)

/* lea with 64-bit addressing: no cut to the address size; by shape, a
 * base and a displacement (_bd), those and an index (_bid: the two
 * commonest of compiled code) or any other. */
#define LEA_SHAPE(name, sz, shape)					\
	static int name(struct sc_cpu *c, const struct sc_insn *d)	\
	{								\
		sc_rset(c, d->reg, sz, sc_ea64(c, d, shape));		\
		return sc_next(c, d);					\
	}
#define LEA(sz)								\
	LEA_SHAPE(lea##sz, sz, SC_SHAPE_ANY)				\
	LEA_SHAPE(lea##sz##_bd, sz, SC_SHAPE_BD)			\
	LEA_SHAPE(lea##sz##_bid, sz, SC_SHAPE_BID)
LEA(4) LEA(8)

sc_fn *sc_reg_form(sc_fn *fn, const struct sc_insn *d)
{
	static sc_fn *const setcc[16] = {
		setcc_0, setcc_1, setcc_2, setcc_3, setcc_4, setcc_5,
		setcc_6, setcc_7, setcc_8, setcc_9, setcc_10, setcc_11,
		setcc_12, setcc_13, setcc_14, setcc_15,
	};
	int size = d->osz == 2 ? 0 : d->osz == 4 ? 1 : d->osz == 8 ? 2 : -1;

	if (fn == op_lea && d->mod != 3 && d->asz == 8 && d->osz >= 4) {
		static sc_fn *const lea[3][2] = {
			[SC_SHAPE_ANY] = { lea4, lea8 },
			[SC_SHAPE_BD] = { lea4_bd, lea8_bd },
			[SC_SHAPE_BID] = { lea4_bid, lea8_bid },
		};
		enum sc_shape shape = sc_shape_bd(d) ? SC_SHAPE_BD
				      : sc_shape_bid(d) ? SC_SHAPE_BID
				      : SC_SHAPE_ANY;
		return lea[shape][d->osz == 8];
	}
	if (d->mod != 3)
		return NULL;
	if (fn == op_setcc)
		return setcc[d->op & 15];
	if (fn == op_mov_eg && size >= 0)
		return (sc_fn *const[]){ mov_rr2, mov_rr4, mov_rr8 }[size];
	if (fn == op_mov_ge && size >= 0)
		return (sc_fn *const[]){ mov_rr_g2, mov_rr_g4, mov_rr_g8 }[size];
	if ((fn == op_mov_ri || fn == op_mov_ei) && size >= 0)
		return (sc_fn *const[]){ mov_ri2, mov_ri4, mov_ri8 }[size];
	return NULL;
}

int op_mov_ge(struct sc_cpu *c, const struct sc_insn *d)
{
	uint64_t x;

	if (sc_get_e(c, d, d->osz, &x))
		return SC_STOP;
	sc_rset(c, d->reg, d->osz, x);
	return SC_OK;
}

int op_mov_ei(struct sc_cpu *c, const struct sc_insn *d)
{
	if (d->mod == 3) {
		sc_rset(c, d->rm, d->osz, d->imm);
		return SC_OK;
	}
	return sc_write(c, sc_ea(c, d), d->osz, d->imm,
			sc_acc(d, ACC_WRITE));
}

int op_mov_ri(struct sc_cpu *c, const struct sc_insn *d)
{
	sc_rset(c, d->reg, d->osz, d->imm);
	return SC_OK;
}

/*
 * The memory forms of mov and movzx in 64-bit code's flat addressing
 * (sc_flat), one handler per size, chosen at decode time: the
 * commonest memory accesses of compiled code.  Each tries the inline
 * case and otherwise runs the general handler from the start: nothing
 * was changed yet (sc_general).  Like every fast form, each ends with
 * sc_next().  Each is made twice: name for any address, name_bd for a
 * base and a displacement only (sc_shape_bd), whose effective address
 * is one addition.  A byte register here is never AH..BH (sc_flat_form
 * leaves those to the general handler, compiled code hardly uses them):
 * it is the low byte of regs[d->reg], with no test for SC_HIBYTE.
 */
#define FLAT_STORE_SHAPE(name, shape, sz, T, general, value)		\
	static int name(struct sc_cpu *c, const struct sc_insn *d)	\
	{								\
		uint8_t *p;						\
		T x = (T)(value);					\
		if (!sc_flat(c, d, sz, true, shape, &p))		\
			return sc_general(c, d, general);		\
		memcpy(p, &x, sz);					\
		return sc_next(c, d);					\
	}
#define FLAT_LOAD_SHAPE(name, shape, sz, T, general, osz)		\
	static int name(struct sc_cpu *c, const struct sc_insn *d)	\
	{								\
		uint8_t *p;						\
		uint64_t *r = sc_reg(c, d->reg);			\
		if (!sc_flat(c, d, sz, false, shape, &p))		\
			return sc_general(c, d, general);		\
		T x;							\
		memcpy(&x, p, sz);					\
		sc_rset_low(r, osz, x);					\
		return sc_next(c, d);					\
	}
#define FLAT_STORE(name, ...)						\
	FLAT_STORE_SHAPE(name, SC_SHAPE_ANY, __VA_ARGS__)		\
	FLAT_STORE_SHAPE(name##_bd, SC_SHAPE_BD, __VA_ARGS__)
#define FLAT_LOAD(name, ...)						\
	FLAT_LOAD_SHAPE(name, SC_SHAPE_ANY, __VA_ARGS__)		\
	FLAT_LOAD_SHAPE(name##_bd, SC_SHAPE_BD, __VA_ARGS__)

FLAT_STORE(st_g1, 1, uint8_t, op_mov_eg, sc_rlow(c, d->reg, 1))
FLAT_STORE(st_g2, 2, uint16_t, op_mov_eg, sc_rlow(c, d->reg, 2))
FLAT_STORE(st_g4, 4, uint32_t, op_mov_eg, sc_rlow(c, d->reg, 4))
FLAT_STORE(st_g8, 8, uint64_t, op_mov_eg, sc_rlow(c, d->reg, 8))
FLAT_STORE(st_i1, 1, uint8_t, op_mov_ei, d->imm)
FLAT_STORE(st_i2, 2, uint16_t, op_mov_ei, d->imm)
FLAT_STORE(st_i4, 4, uint32_t, op_mov_ei, d->imm)
FLAT_STORE(st_i8, 8, uint64_t, op_mov_ei, d->imm)
FLAT_LOAD(ld_1, 1, uint8_t, op_mov_ge, 1)
FLAT_LOAD(ld_2, 2, uint16_t, op_mov_ge, 2)
FLAT_LOAD(ld_4, 4, uint32_t, op_mov_ge, 4)
FLAT_LOAD(ld_8, 8, uint64_t, op_mov_ge, 8)
FLAT_LOAD(ldzx_1_4, 1, uint8_t, op_movzx, 4)
FLAT_LOAD(ldzx_1_8, 1, uint8_t, op_movzx, 8)
FLAT_LOAD(ldzx_2_4, 2, uint16_t, op_movzx, 4)
FLAT_LOAD(ldzx_2_8, 2, uint16_t, op_movzx, 8)

/* The forms, by shape (SC_SHAPE_ANY, SC_SHAPE_BD) and size. */
static sc_fn *const st_g[2][9] = {
	{ [1] = st_g1, [2] = st_g2, [4] = st_g4, [8] = st_g8 },
	{ [1] = st_g1_bd, [2] = st_g2_bd, [4] = st_g4_bd, [8] = st_g8_bd },
};
static sc_fn *const st_i[2][9] = {
	{ [1] = st_i1, [2] = st_i2, [4] = st_i4, [8] = st_i8 },
	{ [1] = st_i1_bd, [2] = st_i2_bd, [4] = st_i4_bd, [8] = st_i8_bd },
};
static sc_fn *const ld[2][9] = {
	{ [1] = ld_1, [2] = ld_2, [4] = ld_4, [8] = ld_8 },
	{ [1] = ld_1_bd, [2] = ld_2_bd, [4] = ld_4_bd, [8] = ld_8_bd },
};
/* movzx: [shape][source size 1 or 2][destination size 4 or 8] */
static sc_fn *const ldzx[2][2][2] = {
	{ { ldzx_1_4, ldzx_1_8 }, { ldzx_2_4, ldzx_2_8 } },
	{ { ldzx_1_4_bd, ldzx_1_8_bd }, { ldzx_2_4_bd, ldzx_2_8_bd } },
};

sc_fn *sc_flat_form(sc_fn *fn, const struct sc_insn *d)
{
	unsigned shape = sc_shape_bd(d) ? SC_SHAPE_BD : SC_SHAPE_ANY;

	if (d->mod == 3 || d->seg != SC_NOSEG || d->asz != 8 ||
	    (d->flags & SCI_LOCK) || d->osz > 8)
		return NULL;
	/* AH..BH: the general handler (the forms take the low byte) */
	if (d->osz == 1 && (d->reg & SC_HIBYTE) &&
	    (fn == op_mov_eg || fn == op_mov_ge))
		return NULL;
	if (fn == op_mov_eg)
		return st_g[shape][d->osz];
	if (fn == op_mov_ei)
		return st_i[shape][d->osz];
	if (fn == op_mov_ge)
		return ld[shape][d->osz];
	if (fn == op_movzx && d->osz >= 4)
		return ldzx[shape][d->op != 1][d->osz == 8];
	return NULL;
}

/* mov between the accumulator and an absolute address (A0-A3), an
 * offset of the address size. */
int op_mov_moffs(struct sc_cpu *c, const struct sc_insn *d)
{
	uint64_t va = sc_lin(c, d->seg, d->imm), x;

	if (d->op == 1)
		return sc_write(c, va, d->osz, c->regs[GPR_RAX],
				sc_acc(d, ACC_WRITE));
	if (sc_read(c, va, d->osz, &x, sc_acc(d, ACC_READ)))
		return SC_STOP;
	sc_rset(c, GPR_RAX, d->osz, x);
	return SC_OK;
}

/* lea: the effective address (no segment base), cut or zero-extended
 * from the address size to the operand size. */
int op_lea(struct sc_cpu *c, const struct sc_insn *d)
{
	if (d->mod == 3)
		return sc_ud(c);
	sc_rset(c, d->reg, d->osz, sc_ea_off(c, d));
	return SC_OK;
}

/* movzx/movsx: op is the source size (1 or 2). */
int op_movzx(struct sc_cpu *c, const struct sc_insn *d)
{
	uint64_t x;

	if (sc_get_e(c, d, d->op, &x))
		return SC_STOP;
	sc_rset(c, d->reg, d->osz, x);
	return SC_OK;
}

int op_movsx(struct sc_cpu *c, const struct sc_insn *d)
{
	uint64_t x;

	if (sc_get_e(c, d, d->op, &x))
		return SC_STOP;
	sc_rset(c, d->reg, d->osz, (uint64_t)sc_sext(x, d->op));
	return SC_OK;
}

/* movsxd: sign-extends 32 bits with REX.W; otherwise a plain mov. */
int op_movsxd(struct sc_cpu *c, const struct sc_insn *d)
{
	unsigned src = d->osz == 8 ? 4 : d->osz;
	uint64_t x;

	if (sc_get_e(c, d, src, &x))
		return SC_STOP;
	sc_rset(c, d->reg, d->osz, (uint64_t)sc_sext(x, src));
	return SC_OK;
}

int op_xchg(struct sc_cpu *c, const struct sc_insn *d)
{
	struct sc_loc l;

	if (sc_loc_e(c, d, d->osz, ACC_WRITE, &l))
		return SC_STOP;
	uint64_t a = sc_loc_get(c, &l, d->osz);
	sc_loc_put(c, &l, d->osz, sc_rget(c, d->reg, d->osz));
	sc_rset(c, d->reg, d->osz, a);
	return SC_OK;
}

/* 90+r: xchg with the accumulator; 90 itself (no REX.B) is nop. */
int op_xchg_ra(struct sc_cpu *c, const struct sc_insn *d)
{
	if (d->reg == GPR_RAX)
		return SC_OK;
	uint64_t a = sc_rget(c, GPR_RAX, d->osz);
	sc_rset(c, GPR_RAX, d->osz, sc_rget(c, d->reg, d->osz));
	sc_rset(c, d->reg, d->osz, a);
	return SC_OK;
}

/*
 * cmpxchg E, G: compare the accumulator with E (flags as cmp); equal:
 * E = G; different: accumulator = E.  A memory E is written either way.
 */
int op_cmpxchg(struct sc_cpu *c, const struct sc_insn *d)
{
	struct sc_loc l;
	unsigned sz = d->osz;

	if (sc_loc_e(c, d, sz, ACC_WRITE, &l))
		return SC_STOP;
	uint64_t e = sc_loc_get(c, &l, sz);
	uint64_t a = sc_rget(c, GPR_RAX, sz);
	sc_lazy_set(c, LZ_SUB, sz, a, e, (a - e) & sc_mask(sz));
	if (a == e) {
		sc_loc_put(c, &l, sz, sc_rget(c, d->reg, sz));
	} else {
		if (l.reg < 0)
			sc_loc_put(c, &l, sz, e);
		sc_rset(c, GPR_RAX, sz, e);
	}
	return SC_OK;
}

/*
 * cmpxchg8b m64 / cmpxchg16b m128 (REX.W): compare EDX:EAX (RDX:RAX)
 * with memory; equal: store ECX:EBX (RCX:RBX), ZF = 1; different: load
 * memory into EDX:EAX, ZF = 0.  cmpxchg16b wants a 16-byte aligned
 * operand (#GP(0)).  Only ZF changes.
 */
int op_cmpxchg8b(struct sc_cpu *c, const struct sc_insn *d)
{
	unsigned half = (d->flags & SCI_REXW) ? 8 : 4;
	uint64_t va, m[2] = { 0, 0 }, *r = c->regs;
	struct sc_mem mem;

	if (d->mod == 3)
		return sc_ud(c);
	va = sc_ea(c, d);
	if (half == 8 && (va & 15))
		return sc_gp(c, 0);
	if (sc_map(c, va, 2 * half, sc_acc(d, ACC_WRITE), &mem))
		return SC_STOP;
	sc_mem_read_bytes(&mem, m, 2 * half);
	if (half == 4) {
		m[1] = m[0] >> 32;
		m[0] &= 0xffffffff;
	}
	uint64_t hm = sc_mask(half);
	bool eq = m[0] == (r[GPR_RAX] & hm) && m[1] == (r[GPR_RDX] & hm);
	if (eq) {
		uint64_t n[2] = { r[GPR_RBX] & hm, r[GPR_RCX] & hm };
		if (half == 4)
			n[0] |= n[1] << 32;
		sc_mem_write_bytes(&mem, n, 2 * half);
	} else {
		sc_rset(c, GPR_RAX, half, m[0]);
		sc_rset(c, GPR_RDX, half, m[1]);
	}
	sc_set_flags(c, FL_ZF, eq ? FL_ZF : 0);
	return SC_OK;
}

/* xadd E, G: G = E, E = E + G, flags as add. */
int op_xadd(struct sc_cpu *c, const struct sc_insn *d)
{
	struct sc_loc l;
	unsigned sz = d->osz;

	if (sc_loc_e(c, d, sz, ACC_WRITE, &l))
		return SC_STOP;
	uint64_t a = sc_loc_get(c, &l, sz), b = sc_rget(c, d->reg, sz);
	uint64_t r = (a + b) & sc_mask(sz);
	sc_rset(c, d->reg, sz, a);
	sc_loc_put(c, &l, sz, r);
	sc_lazy_set(c, LZ_ADD, sz, a, b, r);
	return SC_OK;
}

int op_setcc(struct sc_cpu *c, const struct sc_insn *d)
{
	uint64_t x = sc_cond(c, d->op);

	if (d->mod == 3) {
		sc_rset(c, d->rm, 1, x);
		return SC_OK;
	}
	return sc_write(c, sc_ea(c, d), 1, x, sc_acc(d, ACC_WRITE));
}

/*
 * cmovcc reads its source whatever the condition (so it can fault), and
 * a 32-bit destination is zero-extended even when nothing moves.
 */
int op_cmovcc(struct sc_cpu *c, const struct sc_insn *d)
{
	uint64_t x;

	if (sc_get_e(c, d, d->osz, &x))
		return SC_STOP;
	if (!sc_cond(c, d->op))
		x = sc_rget(c, d->reg, d->osz);
	sc_rset(c, d->reg, d->osz, x);
	return SC_OK;
}

/* cbw / cwde / cdqe: sign-extend the lower half of the accumulator. */
int op_cbw(struct sc_cpu *c, const struct sc_insn *d)
{
	unsigned half = d->osz / 2;

	sc_rset(c, GPR_RAX, d->osz, (uint64_t)sc_sext(c->regs[GPR_RAX], half));
	return SC_OK;
}

/* cwd / cdq / cqo: fill rDX with the accumulator's sign. */
int op_cwd(struct sc_cpu *c, const struct sc_insn *d)
{
	bool neg = c->regs[GPR_RAX] & sc_sign(d->osz);

	sc_rset(c, GPR_RDX, d->osz, neg ? ~0ULL : 0);
	return SC_OK;
}

int op_nop(struct sc_cpu *c, const struct sc_insn *d)
{
	(void)c;
	(void)d;
	return SC_OK;
}

/* The low byte of RFLAGS: SF ZF 0 AF 0 PF 1 CF. */
#define FL_LAHF (FL_SF | FL_ZF | FL_AF | FL_PF | FL_CF)

int op_lahf(struct sc_cpu *c, const struct sc_insn *d)
{
	(void)d;
	uint64_t f = (sc_flags(c) & FL_LAHF) | FL_FIXED1;
	sc_rset(c, GPR_RAX | SC_HIBYTE, 1, f);
	return SC_OK;
}

int op_sahf(struct sc_cpu *c, const struct sc_insn *d)
{
	(void)d;
	sc_set_flags(c, FL_LAHF, (c->regs[GPR_RAX] >> 8) & FL_LAHF);
	return SC_OK;
}

/* cmc (op 0), clc, stc, cld, std. */
int op_flag(struct sc_cpu *c, const struct sc_insn *d)
{
	switch (d->op) {
	case 0: sc_set_flags(c, FL_CF, sc_cf(c) ? 0 : FL_CF); break;
	case 1: sc_set_flags(c, FL_CF, 0); break;
	case 2: sc_set_flags(c, FL_CF, FL_CF); break;
	case 3: c->v->rflags &= ~FL_DF; break;
	default: c->v->rflags |= FL_DF; break;
	}
	return SC_OK;
}

/* xlat: AL = [seg:rBX + AL], rBX at the address size. */
int op_xlat(struct sc_cpu *c, const struct sc_insn *d)
{
	uint64_t off = c->regs[GPR_RBX] + (c->regs[GPR_RAX] & 0xff), x;

	off &= sc_mask(d->asz);
	if (sc_read(c, sc_lin(c, d->seg, off), 1, &x, sc_acc(d, ACC_READ)))
		return SC_STOP;
	sc_rset(c, GPR_RAX, 1, x);
	return SC_OK;
}

/* 0F AE /5, /6 with mod = 3: lfence, mfence.  Memory forms: #UD. */
int op_fence(struct sc_cpu *c, const struct sc_insn *d)
{
	return d->mod == 3 ? SC_OK : sc_ud(c);
}

/*
 * 0F AE /7: sfence (mod = 3), or clflush m8, which faults like a read of
 * its byte and otherwise does nothing visible (there is no cache).
 */
int op_clflush(struct sc_cpu *c, const struct sc_insn *d)
{
	uint64_t x;

	if (d->mod == 3)
		return SC_OK;
	return sc_read(c, sc_ea(c, d), 1, &x, sc_acc(d, ACC_READ));
}
