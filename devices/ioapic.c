/*
 * devices/ioapic.c - the I/O APIC (devices/ioapic.h), after the 82093AA
 * datasheet and QEMU's hw/intc/ioapic.c where they leave a choice.
 *
 * A pin with its IRR bit set is serviced: an unmasked entry sends its
 * message to the local APIC.  Edge: the request is consumed.  Level: the
 * entry's remote IRR is set and nothing more is sent for that pin until
 * the local APIC's EOI of the vector clears it; if the line is still high
 * then, the interrupt is sent again.
 */
#include "devices/ioapic.h"

/* Bits software writes in an entry: all but remote IRR and the delivery
 * status, and the reserved bits 55:17. */
#define RTE_WRITABLE ((0x1ffffULL & ~(IOAPIC_RTE_REMOTE_IRR |              \
				      IOAPIC_RTE_PENDING)) |             \
		      (0xffULL << IOAPIC_RTE_DEST_SHIFT))

#define DM_FIXED 0
#define DM_LOWEST 1
#define DM_NMI 4
#define DM_EXTINT 7

void ioapic_init(struct ioapic *io, struct lapic *lapic,
		 struct i8259_pair *pic)
{
	*io = (struct ioapic){ .id = IOAPIC_ID, .lapic = lapic, .pic = pic };
	for (unsigned i = 0; i < IOAPIC_PINS; i++)
		io->redir[i] = IOAPIC_RTE_MASKED;
}

unsigned ioapic_isa_pin(unsigned irq)
{
	return irq == 0 ? 2 : irq;
}

/* The message of entry e reaches the one local APIC, or nobody. */
static void send(struct ioapic *io, uint64_t e)
{
	unsigned dm = (unsigned)(e >> IOAPIC_RTE_DM_SHIFT) & 7;
	uint8_t vector = (uint8_t)(e & IOAPIC_RTE_VECTOR);
	uint32_t dest = (uint32_t)(e >> IOAPIC_RTE_DEST_SHIFT);

	if (!lapic_matches(io->lapic, dest, e & IOAPIC_RTE_LOGICAL, false))
		return;
	switch (dm) {
	case DM_FIXED:
	case DM_LOWEST: /* one CPU: the lowest priority is it */
		lapic_accept(io->lapic, vector, e & IOAPIC_RTE_LEVEL);
		break;
	case DM_NMI:
		io->lapic->nmis++;
		break;
	case DM_EXTINT:
		/* As QEMU: the 8259A is acknowledged now and its vector
		 * delivered like a fixed one. */
		if (i8259_pending(io->pic))
			lapic_accept(io->lapic, i8259_acknowledge(io->pic),
				     false);
		break;
	default: /* SMI, INIT and the reserved modes: nothing here */
		break;
	}
}

static void service(struct ioapic *io)
{
	for (unsigned pin = 0; pin < IOAPIC_PINS; pin++) {
		uint32_t bit = 1u << pin;
		uint64_t *e = &io->redir[pin];

		if (!(io->irr & bit) || (*e & IOAPIC_RTE_MASKED))
			continue;
		if (*e & IOAPIC_RTE_LEVEL) {
			if (*e & IOAPIC_RTE_REMOTE_IRR)
				continue; /* the last one not yet EOIed */
			*e |= IOAPIC_RTE_REMOTE_IRR;
		} else {
			io->irr &= ~bit;
		}
		send(io, *e);
	}
}

void ioapic_set_pin(struct ioapic *io, unsigned pin, bool level)
{
	uint32_t bit;
	bool rising;

	if (pin >= IOAPIC_PINS)
		return;
	bit = 1u << pin;
	rising = level && !(io->lines & bit);
	io->lines = level ? io->lines | bit : io->lines & ~bit;
	if (io->redir[pin] & IOAPIC_RTE_LEVEL) {
		if (level)
			io->irr |= bit;
		else
			io->irr &= ~bit;
	} else if (rising && !(io->redir[pin] & IOAPIC_RTE_MASKED)) {
		io->irr |= bit; /* 82093AA: a masked edge is lost */
	}
	service(io);
}

void ioapic_eoi(struct ioapic *io, uint8_t vector)
{
	for (unsigned pin = 0; pin < IOAPIC_PINS; pin++) {
		uint64_t *e = &io->redir[pin];

		if ((*e & IOAPIC_RTE_LEVEL) &&
		    (*e & IOAPIC_RTE_VECTOR) == vector)
			*e &= ~IOAPIC_RTE_REMOTE_IRR;
	}
	service(io); /* a line still high asks again */
}

static uint32_t read_window(const struct ioapic *io)
{
	unsigned n = (unsigned)(io->regsel - IOAPIC_REG_REDTBL) / 2;

	switch (io->regsel) {
	case IOAPIC_REG_ID:
	case IOAPIC_REG_ARB:
		return (uint32_t)io->id << 24;
	case IOAPIC_REG_VER:
		return IOAPIC_VERSION | (IOAPIC_PINS - 1) << 16;
	}
	if (io->regsel < IOAPIC_REG_REDTBL || n >= IOAPIC_PINS)
		return 0; /* no register there */
	return (uint32_t)(io->redir[n] >> (io->regsel & 1 ? 32 : 0));
}

static void write_window(struct ioapic *io, uint32_t val)
{
	unsigned n = (unsigned)(io->regsel - IOAPIC_REG_REDTBL) / 2;
	uint64_t *e, v;

	if (io->regsel == IOAPIC_REG_ID) {
		io->id = (val >> 24) & 0xf;
		return;
	}
	if (io->regsel < IOAPIC_REG_REDTBL || n >= IOAPIC_PINS)
		return; /* version, arbitration: read only */
	e = &io->redir[n];
	v = io->regsel & 1 ? (*e & 0xffffffffULL) | (uint64_t)val << 32 :
			     (*e & ~0xffffffffULL) | val;
	*e = (v & RTE_WRITABLE) | (*e & IOAPIC_RTE_REMOTE_IRR);
	/* An edge entry has no remote IRR (QEMU: Linux's way to clear it
	 * is to switch the entry to edge and back).  A level entry asks
	 * for as long as its line is high, whenever that began. */
	if (!(*e & IOAPIC_RTE_LEVEL))
		*e &= ~IOAPIC_RTE_REMOTE_IRR;
	else
		io->irr = (io->irr & ~(1u << n)) | (io->lines & 1u << n);
	service(io); /* unmasked: a waiting level goes out now */
}

uint32_t ioapic_read(struct ioapic *io, uint32_t offset, unsigned size)
{
	switch (offset & 0xff) {
	case IOAPIC_IOREGSEL:
		return io->regsel;
	case IOAPIC_IOWIN:
		return size == 4 ? read_window(io) : 0; /* QEMU: dwords only */
	}
	return 0;
}

void ioapic_write(struct ioapic *io, uint32_t offset, unsigned size,
		  uint32_t val)
{
	switch (offset & 0xff) {
	case IOAPIC_IOREGSEL:
		io->regsel = (uint8_t)val;
		break;
	case IOAPIC_IOWIN:
		if (size == 4)
			write_window(io, val);
		break;
	case IOAPIC_EOI:
		if (size == 4)
			ioapic_eoi(io, (uint8_t)val);
		break;
	}
}
