/*
 * devices/i8254.c - the 8254 PIT (Intel 8254 datasheet).
 *
 * A counter is never stepped: its value is computed from the virtual time
 * elapsed since the count was loaded, so an idle guest costs nothing.
 * Emulation shortcuts: the gate inputs are always high; modes 1, 4 and 5
 * count like mode 0; BCD counting is not honoured; read-back is not
 * implemented (a read-back command is ignored).
 */
#include "devices/i8254.h"
#include "core/lab.h"

void i8254_init(struct i8254 *pit)
{
	*pit = (struct i8254){ 0 };
}

static uint64_t reload_of(const struct i8254_channel *c)
{
	return c->reload ? c->reload : 65536;
}

/* Input clock ticks between start and now. */
static uint64_t ticks_since(uint64_t start, uint64_t now)
{
	uint64_t ns = now > start ? now - start : 0;

	return (ns / 1000000000ULL) * PIT_HZ +
	       (ns % 1000000000ULL) * PIT_HZ / 1000000000ULL;
}

static bool periodic(const struct i8254_channel *c)
{
	return c->mode == PIT_MODE_RATE || c->mode == PIT_MODE_SQUARE;
}

/* The counting element's value now. */
static uint16_t count_now(const struct i8254_channel *c, uint64_t now)
{
	/* LAB 5 BEGIN: count_now: the count from time elapsed (task 2) */
	uint64_t n = reload_of(c), t = ticks_since(c->start_ns, now);

	if (!c->counting)
		return (uint16_t)c->reload;
	if (c->mode == PIT_MODE_SQUARE) /* counts down by two, twice */
		return (uint16_t)((n - (2 * t) % n) & ~1ULL);
	if (c->mode == PIT_MODE_RATE)
		return (uint16_t)(n - t % n);
	return (uint16_t)(t >= n ? 0 : n - t); /* one-shot: stops at 0 */
	/* LAB 5 END; hole: static bool said; lab_note(&said, 5, "count_now");
	 * (void)c; (void)now; return 0; */
}

/* Control word: program a channel, or latch its count. */
static void pit_control(struct i8254 *pit, uint8_t val, uint64_t now)
{
	unsigned sc = val >> 6, rw = (val >> 4) & 3, mode = (val >> 1) & 7;

	if (sc == 3)
		return; /* read-back: not implemented (see above) */
	struct i8254_channel *c = &pit->ch[sc];
	if (rw == PIT_RW_LATCH) {
		if (!c->latched) {
			c->latch = count_now(c, now);
			c->latched = true;
		}
		return;
	}
	c->rw = (uint8_t)rw;
	c->mode = (uint8_t)(mode > 5 ? mode - 4 : mode);
	c->bcd = val & 1;
	c->write_hi = c->read_hi = false;
	c->counting = false; /* a new mode waits for a new count */
}

/* Load a complete count (0 means 65536): the counter (re)starts now, with
 * no edge of OUT0 counted yet. */
static void pit_load(struct i8254_channel *c, uint16_t count, uint64_t now)
{
	c->reload = count;
	c->counting = true;
	c->start_ns = now;
	c->periods = 0;
}

static void pit_write_count(struct i8254_channel *c, uint8_t val,
			    uint64_t now)
{
	/* LAB 5 BEGIN: pit_write_count: a count, byte by byte (task 1) */
	switch (c->rw) {
	case PIT_RW_LO:
		pit_load(c, val, now);
		break;
	case PIT_RW_HI:
		pit_load(c, (uint16_t)(val << 8), now);
		break;
	default: /* PIT_RW_LOHI */
		if (!c->write_hi) {
			c->partial = val;
			c->write_hi = true;
		} else {
			pit_load(c, (uint16_t)(c->partial | val << 8), now);
			c->write_hi = false;
		}
	}
	/* LAB 5 END; hole: static bool said; lab_note(&said, 5,
	 * "pit_write_count"); (void)c; (void)val; (void)now; (void)pit_load; */
}

static uint8_t pit_read_count(struct i8254_channel *c, uint64_t now)
{
	uint16_t v = c->latched ? c->latch : count_now(c, now);
	uint8_t byte;

	switch (c->rw) {
	case PIT_RW_LO:
		byte = (uint8_t)v;
		c->latched = false;
		break;
	case PIT_RW_HI:
		byte = (uint8_t)(v >> 8);
		c->latched = false;
		break;
	default: /* LOHI: low byte, then high byte (which ends a latch) */
		byte = c->read_hi ? (uint8_t)(v >> 8) : (uint8_t)v;
		if (c->read_hi)
			c->latched = false;
		c->read_hi = !c->read_hi;
	}
	return byte;
}

uint8_t i8254_read(struct i8254 *pit, uint16_t port, uint64_t now)
{
	if (port >= PIT_CH0 && port <= PIT_CH2)
		return pit_read_count(&pit->ch[port - PIT_CH0], now);
	return 0xff; /* the control port cannot be read */
}

void i8254_write(struct i8254 *pit, uint16_t port, uint8_t val, uint64_t now)
{
	if (port == PIT_CMD)
		pit_control(pit, val, now);
	else if (port >= PIT_CH0 && port <= PIT_CH2)
		pit_write_count(&pit->ch[port - PIT_CH0], val, now);
}

/* Rising edges of OUT0 from the load up to now. */
static uint64_t periods_until(const struct i8254_channel *c, uint64_t now)
{
	/* LAB 5 BEGIN: periods_until: the rising edges of OUT0 (task 3) */
	uint64_t t = ticks_since(c->start_ns, now), n = reload_of(c);

	if (periodic(c))
		return t / n;
	return t >= n ? 1 : 0; /* mode 0: OUT goes high once */
	/* LAB 5 END; hole: static bool said; lab_note(&said, 5,
	 * "periods_until"); (void)c; (void)now; (void)ticks_since; return 0; */
}

uint64_t i8254_irq0_edges(struct i8254 *pit, uint64_t now)
{
	struct i8254_channel *c = &pit->ch[0];

	if (!c->counting)
		return 0;
	uint64_t p = periods_until(c, now), edges = p - c->periods;
	c->periods = p;
	return edges;
}

uint64_t i8254_next_irq0(const struct i8254 *pit)
{
	const struct i8254_channel *c = &pit->ch[0];

	if (!c->counting || (!periodic(c) && c->periods > 0))
		return UINT64_MAX;
	/* LAB 5 BEGIN: i8254_next_irq0: when the next tick is due (task 3) */
	uint64_t ticks = (c->periods + 1) * reload_of(c);
	/* The first ns at which ticks_since() reaches that many ticks
	 * (whole seconds apart, so that nothing overflows). */
	return c->start_ns + (ticks / PIT_HZ) * 1000000000ULL +
	       ((ticks % PIT_HZ) * 1000000000ULL + PIT_HZ - 1) / PIT_HZ;
	/* LAB 5 END; hole: static bool said; lab_note(&said, 5,
	 * "i8254_next_irq0"); (void)reload_of; return UINT64_MAX; */
}
