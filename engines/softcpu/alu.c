/*
 * engines/softcpu/alu.c - the eight ALU operations and their relatives.
 *
 * add, or, adc, sbb, and, sub, xor, cmp (the operation number is bits 5:3
 * of opcodes 00-3F and ModRM.reg of 80-83), test, inc, dec, not, neg.
 * Every form funnels into alu(), which computes the result and leaves the
 * flags to flags.c; handler names follow the SDM's operand notation
 * (E: ModRM r/m, G: ModRM reg, I: immediate, A: the accumulator).
 */
#include "engines/softcpu/softcpu.h"

enum { ALU_ADD, ALU_OR, ALU_ADC, ALU_SBB, ALU_AND, ALU_SUB, ALU_XOR, ALU_CMP };

/*
 * a op b at size sz, with the flags recorded unless lazy is false (a
 * dead-flag form's, below: adc and sbb have none); cmp is sub without
 * store.
 */
static inline uint64_t alu_op(struct sc_cpu *c, unsigned op, unsigned sz,
			      uint64_t a, uint64_t b, bool lazy)
{
	uint64_t m = sc_mask(sz), r;
	uint8_t cin;

	a &= m;
	b &= m;
	switch (op) {
	case ALU_ADD:
		r = (a + b) & m;
		if (lazy)
			sc_lazy_set(c, LZ_ADD, sz, a, b, r);
		return r;
	case ALU_ADC:
		cin = sc_cf(c);
		r = (a + b + cin) & m;
		sc_lazy_set_cin(c, LZ_ADC, sz, a, b, r, cin);
		return r;
	case ALU_SBB:
		cin = sc_cf(c);
		r = (a - b - cin) & m;
		sc_lazy_set_cin(c, LZ_SBB, sz, a, b, r, cin);
		return r;
	case ALU_SUB:
	case ALU_CMP:
		r = (a - b) & m;
		if (lazy)
			sc_lazy_set(c, LZ_SUB, sz, a, b, r);
		return r;
	case ALU_OR:
		r = a | b;
		break;
	case ALU_AND:
		r = a & b;
		break;
	default:
		r = a ^ b;
		break;
	}
	if (lazy)
		sc_lazy_set(c, LZ_LOGIC, sz, a, b, r);
	return r;
}

static inline uint64_t alu(struct sc_cpu *c, unsigned op, unsigned sz,
			   uint64_t a, uint64_t b)
{
	return alu_op(c, op, sz, a, b, true);
}

/* E op= src: read-modify-write, or read only for cmp. */
static int alu_e(struct sc_cpu *c, const struct sc_insn *d, unsigned op,
		 uint64_t src)
{
	struct sc_loc l;
	unsigned acc = op == ALU_CMP ? ACC_READ : ACC_WRITE;

	if (sc_loc_e(c, d, d->osz, acc, &l))
		return SC_STOP;
	uint64_t r = alu(c, op, d->osz, sc_loc_get(c, &l, d->osz), src);
	if (op != ALU_CMP)
		sc_loc_put(c, &l, d->osz, r);
	return SC_OK;
}

/* Register reg op= src. */
static void alu_r(struct sc_cpu *c, unsigned reg, unsigned sz, unsigned op,
		  uint64_t src)
{
	uint64_t r = alu(c, op, sz, sc_rget(c, reg, sz), src);

	if (op != ALU_CMP)
		sc_rset(c, reg, sz, r);
}

int op_alu_eg(struct sc_cpu *c, const struct sc_insn *d)
{
	return alu_e(c, d, d->op, sc_rget(c, d->reg, d->osz));
}

int op_alu_ge(struct sc_cpu *c, const struct sc_insn *d)
{
	uint64_t src;

	if (sc_get_e(c, d, d->osz, &src))
		return SC_STOP;
	alu_r(c, d->reg, d->osz, d->op, src);
	return SC_OK;
}

int op_alu_ai(struct sc_cpu *c, const struct sc_insn *d)
{
	alu_r(c, GPR_RAX, d->osz, d->op, d->imm);
	return SC_OK;
}

int op_alu_ei(struct sc_cpu *c, const struct sc_insn *d)
{
	return alu_e(c, d, d->op, d->imm);
}

/*
 * The register forms at 16, 32 and 64 bits (ModRM.mod 3 or the
 * accumulator, no byte register: sc_decode picks them through
 * sc_alu_reg_form()).  They are the commonest instructions of compiled
 * code, so each operation has handlers of its own, in which alu() is
 * compiled for that one operation: no operand location, no byte-register
 * cases, no switch on the operation.
 */
static inline int alu_reg(struct sc_cpu *c, const struct sc_insn *d,
			  unsigned sz, unsigned op, unsigned dst, uint64_t src,
			  bool lazy)
{
	uint64_t r = alu_op(c, op, sz, sc_rlow(c, dst, sz), src, lazy);

	if (op != ALU_CMP)
		sc_rset(c, dst, sz, r);
	return sc_next(c, d);
}

/* name_eg: E(rm) op= G; name_ge: G op= E(rm); name_ei: E(rm) op= imm;
 * name_ai: the accumulator op= imm; each at operand size sz (2, 4, 8),
 * a constant in it; tail _nf: the dead-flag form (lazy false). */
#define ALU_REG_FORMS(name, op, sz, nf, lazy)				\
static int name##_eg##sz##nf(struct sc_cpu *c, const struct sc_insn *d)	\
{									\
	return alu_reg(c, d, sz, op, d->rm, sc_rlow(c, d->reg, sz), lazy);	\
}									\
static int name##_ge##sz##nf(struct sc_cpu *c, const struct sc_insn *d)	\
{									\
	return alu_reg(c, d, sz, op, d->reg, sc_rlow(c, d->rm, sz), lazy);	\
}									\
static int name##_ei##sz##nf(struct sc_cpu *c, const struct sc_insn *d)	\
{									\
	return alu_reg(c, d, sz, op, d->rm, d->imm, lazy);		\
}									\
static int name##_ai##sz##nf(struct sc_cpu *c, const struct sc_insn *d)	\
{									\
	return alu_reg(c, d, sz, op, GPR_RAX, d->imm, lazy);		\
}
#define ALU_REG_SIZES(name, op, nf, lazy)				\
	ALU_REG_FORMS(name, op, 2, nf, lazy)				\
	ALU_REG_FORMS(name, op, 4, nf, lazy)				\
	ALU_REG_FORMS(name, op, 8, nf, lazy)

ALU_REG_SIZES(add, ALU_ADD, , true)
ALU_REG_SIZES(or, ALU_OR, , true)
ALU_REG_SIZES(adc, ALU_ADC, , true)
ALU_REG_SIZES(sbb, ALU_SBB, , true)
ALU_REG_SIZES(and, ALU_AND, , true)
ALU_REG_SIZES(sub, ALU_SUB, , true)
ALU_REG_SIZES(xor, ALU_XOR, , true)
ALU_REG_SIZES(cmp, ALU_CMP, , true)

#define ALU_REG_ROW(name, sz, nf)					\
	{ name##_eg##sz##nf, name##_ge##sz##nf, name##_ei##sz##nf,	\
	  name##_ai##sz##nf }
#define ALU_REG_OP(name, nf)						\
	{ [0] = ALU_REG_ROW(name, 2, nf), [1] = ALU_REG_ROW(name, 4, nf), \
	  [2] = ALU_REG_ROW(name, 8, nf) }
static sc_fn *const alu_reg_forms[8][3][4] = {
	[ALU_ADD] = ALU_REG_OP(add, ), [ALU_OR] = ALU_REG_OP(or, ),
	[ALU_ADC] = ALU_REG_OP(adc, ), [ALU_SBB] = ALU_REG_OP(sbb, ),
	[ALU_AND] = ALU_REG_OP(and, ), [ALU_SUB] = ALU_REG_OP(sub, ),
	[ALU_XOR] = ALU_REG_OP(xor, ), [ALU_CMP] = ALU_REG_OP(cmp, ),
};

/* The tables' index of operand size osz (2, 4, 8), or -1. */
static int reg_form_size(unsigned osz)
{
	return osz == 2 ? 0 : osz == 4 ? 1 : osz == 8 ? 2 : -1;
}

sc_fn *sc_alu_reg_form(sc_fn *fn, unsigned op, unsigned osz)
{
	int form = fn == op_alu_eg ? 0 : fn == op_alu_ge ? 1 :
		   fn == op_alu_ei ? 2 : fn == op_alu_ai ? 3 : -1;
	int size = reg_form_size(osz);

	return form < 0 || size < 0 ? fn : alu_reg_forms[op & 7][size][form];
}

/*
 * The dead-flag forms: the register forms above without the lazy state's
 * stores, for an instruction whose flags no one can see (cache.c's
 * block_dead_flags proves it, and its comment argues why).  Those of cmp
 * do nothing but go on.  adc and sbb have none: they read CF, and the
 * builder treats them as readers.
 */
ALU_REG_SIZES(add, ALU_ADD, _nf, false)
ALU_REG_SIZES(or, ALU_OR, _nf, false)
ALU_REG_SIZES(and, ALU_AND, _nf, false)
ALU_REG_SIZES(sub, ALU_SUB, _nf, false)
ALU_REG_SIZES(xor, ALU_XOR, _nf, false)
ALU_REG_SIZES(cmp, ALU_CMP, _nf, false)

static sc_fn *const alu_reg_dead[8][3][4] = {
	[ALU_ADD] = ALU_REG_OP(add, _nf), [ALU_OR] = ALU_REG_OP(or, _nf),
	[ALU_AND] = ALU_REG_OP(and, _nf), [ALU_SUB] = ALU_REG_OP(sub, _nf),
	[ALU_XOR] = ALU_REG_OP(xor, _nf), [ALU_CMP] = ALU_REG_OP(cmp, _nf),
};

sc_fn *sc_alu_dead_form(const struct sc_insn *d)
{
	int size = reg_form_size(d->osz);

	if (size < 0)
		return NULL;
	for (int form = 0; form < 4; form++)
		if (d->fn == alu_reg_forms[d->op & 7][size][form])
			return alu_reg_dead[d->op & 7][size][form];
	return NULL;
}

/*
 * test's register forms at 16, 32 and 64 bits (85 with ModRM.mod 3, A9,
 * F7 /0 with mod 3): an and that keeps its result to the flags only;
 * "test reg, reg" before a jcc is compiled code's commonest question.
 */
static inline int test_reg(struct sc_cpu *c, const struct sc_insn *d,
			   unsigned sz, uint64_t a, uint64_t b)
{
	(void)alu_op(c, ALU_AND, sz, a, b, true);
	return sc_next(c, d);
}

#define TEST_REG(sz)							\
static int test_eg##sz(struct sc_cpu *c, const struct sc_insn *d)	\
{									\
	return test_reg(c, d, sz, sc_rlow(c, d->rm, sz),		\
			sc_rlow(c, d->reg, sz));			\
}									\
static int test_ai##sz(struct sc_cpu *c, const struct sc_insn *d)	\
{									\
	return test_reg(c, d, sz, sc_rlow(c, GPR_RAX, sz), d->imm);	\
}									\
static int test_ei##sz(struct sc_cpu *c, const struct sc_insn *d)	\
{									\
	return test_reg(c, d, sz, sc_rlow(c, d->rm, sz), d->imm);	\
}
TEST_REG(2)
TEST_REG(4)
TEST_REG(8)

sc_fn *sc_test_reg_form(sc_fn *fn, const struct sc_insn *d)
{
	static sc_fn *const forms[3][3] = {
		{ test_eg2, test_eg4, test_eg8 },
		{ test_ai2, test_ai4, test_ai8 },
		{ test_ei2, test_ei4, test_ei8 },
	};
	int form = fn == op_test_eg ? 0 : fn == op_test_ai ? 1 :
		   fn == op_test_ei ? 2 : -1;
	int size = reg_form_size(d->osz);

	if (form < 0 || size < 0 || (form != 1 && d->mod != 3))
		return NULL;
	return forms[form][size];
}

int op_test_eg(struct sc_cpu *c, const struct sc_insn *d)
{
	uint64_t a;

	if (sc_get_e(c, d, d->osz, &a))
		return SC_STOP;
	alu(c, ALU_AND, d->osz, a, sc_rget(c, d->reg, d->osz));
	return SC_OK;
}

int op_test_ai(struct sc_cpu *c, const struct sc_insn *d)
{
	alu(c, ALU_AND, d->osz, c->regs[GPR_RAX], d->imm);
	return SC_OK;
}

int op_test_ei(struct sc_cpu *c, const struct sc_insn *d)
{
	uint64_t a;

	if (sc_get_e(c, d, d->osz, &a))
		return SC_STOP;
	alu(c, ALU_AND, d->osz, a, d->imm);
	return SC_OK;
}

/* inc and dec are add and sub of 1 that leave CF alone: a's result at
 * size sz, its flags recorded (the CF kept read before they change). */
static inline uint64_t incdec_op(struct sc_cpu *c, enum sc_lazy op,
				 unsigned sz, uint64_t a)
{
	uint64_t r = (op == LZ_INC ? a + 1 : a - 1) & sc_mask(sz);

	sc_lazy_set_cin(c, op, sz, a, 1, r, sc_cf(c));
	return r;
}

static int incdec(struct sc_cpu *c, const struct sc_insn *d, enum sc_lazy op)
{
	struct sc_loc l;

	if (sc_loc_e(c, d, d->osz, ACC_WRITE, &l))
		return SC_STOP;
	sc_loc_put(c, &l, d->osz,
		   incdec_op(c, op, d->osz, sc_loc_get(c, &l, d->osz)));
	return SC_OK;
}

int op_inc_e(struct sc_cpu *c, const struct sc_insn *d)
{
	return incdec(c, d, LZ_INC);
}

int op_dec_e(struct sc_cpu *c, const struct sc_insn *d)
{
	return incdec(c, d, LZ_DEC);
}

/*
 * inc and dec of a 16-, 32- or 64-bit register (FF /0 and /1 with
 * ModRM.mod 3; 32-bit code's 40-4F): incdec with the size and the
 * operation constants, no operand location.  A loop's counter (dec, jnz)
 * is the commonest.
 */
static inline int incdec_reg(struct sc_cpu *c, const struct sc_insn *d,
			     unsigned sz, enum sc_lazy op)
{
	sc_rset(c, d->rm, sz, incdec_op(c, op, sz, sc_rlow(c, d->rm, sz)));
	return sc_next(c, d);
}

#define INCDEC_REG(sz)							\
static int inc_r##sz(struct sc_cpu *c, const struct sc_insn *d)	\
{									\
	return incdec_reg(c, d, sz, LZ_INC);				\
}									\
static int dec_r##sz(struct sc_cpu *c, const struct sc_insn *d)	\
{									\
	return incdec_reg(c, d, sz, LZ_DEC);				\
}
INCDEC_REG(2)
INCDEC_REG(4)
INCDEC_REG(8)

sc_fn *sc_incdec_reg_form(sc_fn *fn, const struct sc_insn *d)
{
	static sc_fn *const forms[2][3] = {
		{ inc_r2, inc_r4, inc_r8 }, { dec_r2, dec_r4, dec_r8 },
	};
	int size = reg_form_size(d->osz);

	if ((fn != op_inc_e && fn != op_dec_e) || d->mod != 3 || size < 0)
		return NULL;
	return forms[fn == op_dec_e][size];
}

int op_not_e(struct sc_cpu *c, const struct sc_insn *d)
{
	struct sc_loc l;

	if (sc_loc_e(c, d, d->osz, ACC_WRITE, &l))
		return SC_STOP;
	sc_loc_put(c, &l, d->osz, ~sc_loc_get(c, &l, d->osz));
	return SC_OK;
}

/* neg is 0 - E: CF is set unless the operand was 0. */
int op_neg_e(struct sc_cpu *c, const struct sc_insn *d)
{
	struct sc_loc l;

	if (sc_loc_e(c, d, d->osz, ACC_WRITE, &l))
		return SC_STOP;
	uint64_t a = sc_loc_get(c, &l, d->osz);
	sc_loc_put(c, &l, d->osz, alu(c, ALU_SUB, d->osz, 0, a));
	return SC_OK;
}
