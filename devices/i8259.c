/*
 * devices/i8259.c - the 8259A PIC pair (8259A datasheet).
 *
 * Emulation shortcuts: fully nested mode only (IRQ 0 has the highest
 * priority, no rotation, no special mask mode); edge-triggered only; no
 * polling command.  These are all a PC's kernel normally uses.
 */
#include "devices/i8259.h"

void i8259_init(struct i8259_pair *p)
{
	*p = (struct i8259_pair){ 0 };
	p->master.imr = 0xff;
	p->slave.imr = 0xff;
}

/*
 * The highest-priority request this chip would raise INTR for: requested,
 * not masked, and more urgent than anything in service.  -1 for none,
 * at once when nothing is requested: the common case, asked about for
 * every line at every update of the devices (devices/devices.c), where
 * the walk over eight priorities was about 350 of the 2,170 host
 * instructions of a trapped in.
 */
static int pic_best(const struct i8259 *c)
{
	uint8_t want = c->irr & (uint8_t)~c->imr;

	if (!want)
		return -1;
	for (int irq = 0; irq < 8; irq++) {
		if (c->isr & (1u << irq))
			return -1; /* a more urgent one is in service */
		if (want & (1u << irq))
			return irq;
	}
	return -1;
}

/* The slave's INTR output is the master's IRQ 2 input. */
static void pic_cascade(struct i8259_pair *p)
{
	bool intr = pic_best(&p->slave) >= 0;
	uint8_t bit = 1u << PIC_CASCADE_IRQ;

	if (intr && !(p->master.lines & bit))
		p->master.irr |= bit;
	p->master.lines = intr ? (p->master.lines | bit) :
				 (p->master.lines & (uint8_t)~bit);
}

static void pic_edge(struct i8259 *c, unsigned line, bool level)
{
	uint8_t bit = (uint8_t)(1u << line);

	if (level && !(c->lines & bit))
		c->irr |= bit;
	c->lines = level ? (c->lines | bit) : (c->lines & (uint8_t)~bit);
}

void i8259_set_irq(struct i8259_pair *p, unsigned irq, bool level)
{
	if (irq < 8)
		pic_edge(&p->master, irq, level);
	else
		pic_edge(&p->slave, irq - 8, level);
	pic_cascade(p);
}

bool i8259_pending(const struct i8259_pair *p)
{
	return pic_best(&p->master) >= 0;
}

/* One chip's half of INTA: IRR -> ISR, and the vector. */
static uint8_t pic_ack_one(struct i8259 *c, int irq)
{
	c->irr &= (uint8_t)~(1u << irq);
	if (!c->auto_eoi)
		c->isr |= (uint8_t)(1u << irq);
	return (uint8_t)(c->vector_base + irq);
}

uint8_t i8259_acknowledge(struct i8259_pair *p)
{
	int irq = pic_best(&p->master);
	uint8_t vector;

	if (irq < 0) /* nothing to give: the 8259A answers IRQ 7 (spurious) */
		return (uint8_t)(p->master.vector_base + 7);
	if (irq != PIC_CASCADE_IRQ || p->master.single) {
		vector = pic_ack_one(&p->master, irq);
	} else {
		int sirq = pic_best(&p->slave);
		pic_ack_one(&p->master, irq);
		vector = sirq < 0 ? (uint8_t)(p->slave.vector_base + 7) :
				    pic_ack_one(&p->slave, sirq);
	}
	pic_cascade(p);
	return vector;
}

/* OCW2: end of interrupt, non-specific (the most urgent) or specific. */
static void pic_eoi(struct i8259 *c, uint8_t val)
{
	if (val & OCW2_SL) {
		c->isr &= (uint8_t)~(1u << (val & 7));
		return;
	}
	for (int irq = 0; irq < 8; irq++) {
		if (c->isr & (1u << irq)) {
			c->isr &= (uint8_t)~(1u << irq);
			return;
		}
	}
}

static void pic_write_cmd(struct i8259 *c, uint8_t val)
{
	if (val & ICW1_INIT) { /* ICW1: start the initialization sequence */
		c->icw_step = 2;
		c->want_icw4 = val & ICW1_IC4;
		c->single = val & ICW1_SNGL;
		c->imr = 0;
		c->isr = 0;
		c->irr = 0;
		c->auto_eoi = false;
		c->read_isr = false;
	} else if (val & OCW3_SEL) {
		if (val & OCW3_RR)
			c->read_isr = val & OCW3_RIS;
	} else if (val & OCW2_EOI) {
		pic_eoi(c, val);
	}
}

/* The data port: ICW2-4 during initialization, OCW1 (the mask) after. */
static void pic_write_data(struct i8259 *c, uint8_t val)
{
	switch (c->icw_step) {
	case 2:
		c->vector_base = val & 0xf8;
		c->icw_step = c->single ? (c->want_icw4 ? 4 : 0) : 3;
		break;
	case 3: /* cascade wiring: fixed on a PC */
		c->icw_step = c->want_icw4 ? 4 : 0;
		break;
	case 4:
		c->auto_eoi = val & ICW4_AEOI;
		c->icw_step = 0;
		break;
	default:
		c->imr = val;
	}
}

uint8_t i8259_read(struct i8259_pair *p, uint16_t port)
{
	struct i8259 *c = (port & 0x80) ? &p->slave : &p->master;

	if (port & 1)
		return c->imr;
	return c->read_isr ? c->isr : c->irr;
}

void i8259_write(struct i8259_pair *p, uint16_t port, uint8_t val)
{
	struct i8259 *c = (port & 0x80) ? &p->slave : &p->master;

	if (port & 1)
		pic_write_data(c, val);
	else
		pic_write_cmd(c, val);
	pic_cascade(p);
}
