/*
 * guests/pciirq/pciirq.c - a PCI card's INTx# through the I/O APIC, as an
 * SMP-era kernel takes it, not through the 8259A pair.
 *
 * The route comes from the firmware's MP table (Intel MultiProcessor
 * Specification 1.4, chapter 4): the floating pointer "_MP_" in the
 * EBDA, the last KiB of base memory or the BIOS ROM; its configuration
 * table's bus entries name the PCI bus; its I/O APIC entry gives the
 * chip's ID and address; and an I/O interrupt entry with source bus PCI
 * and source IRQ (device << 2) | (pin - 1) gives the INTIN pin the
 * card's INTx# drives, with its polarity and trigger mode (flags bits 1:0
 * and 3:2; 00 "conforms to the bus", which for PCI is level and active
 * low, as its INTx# lines are).
 *
 * The guest masks every 8259A line, enables its local APIC (xAPIC, by
 * MMIO), programs the redirection entry of that pin (fixed delivery of
 * one vector to this CPU's APIC ID, with the polarity and trigger the
 * table says: on QEMU's pc, SeaBIOS's flags 1, active high and level)
 * and makes the virtio console card (guests/runtime/vcons.h) complete a
 * transmit buffer with its interrupt enabled.  The card's ISR stays set,
 * and its line high, until the driver reads it (virtio 4.1.4.5), which
 * shows the level semantics of the 82093AA:
 *
 *   1. On the first interrupt the handler ends it at the local APIC (EOI)
 *      without reading the card's ISR.  The redirection entry's remote
 *      IRR was set when the message went out and held the still-high line
 *      back (the local APIC's IRR is clear on entry); the EOI, broadcast
 *      to the I/O APIC for a level-triggered vector (the TMR bit is set),
 *      clears remote IRR, and the line, still high, sends the interrupt
 *      again at once.
 *   2. The second time the handler reads the ISR, which lowers the line,
 *      then EOIs: remote IRR clears and nothing more comes.
 *   3. With the entry masked, another completion raises the line and
 *      nothing is delivered; unmasking the entry delivers it at once (a
 *      level input is sampled, not latched as an edge would be).
 *
 * Each line printed is the same on QEMU (-nodefaults, the card as
 * virtio-serial-pci with disable-legacy=on,vectors=0) and on trapvisor
 * (--console=virtio) with every engine.
 */
#include "cpu.h"
#include "devices/i8259.h"
#include "devices/ioapic.h"
#include "devices/lapic.h"
#include "firmware/mptable.h"
#include "pci.h"
#include "rt.h"
#include "vcons.h"

#define VEC_MASTER 0x20   /* the 8259A pair, every line masked */
#define VEC_SLAVE 0x28
#define VEC_CARD 0x60     /* the card's vector, through the I/O APIC */
#define VEC_SPURIOUS 0xff
#define BDA_EBDA_SEGMENT 0x40e
#define BDA_BASE_KIB 0x413
#define BIOS_ROM 0xf0000u
#define ROM_END 0x100000u

static struct rt_vcons vc;
static int failed;

static void check(bool ok, const char *what)
{
	if (!ok) {
		rt_printf("pciirq: FAIL %s\n", what);
		failed++;
	}
}

/* ------------------------------------------------------------ MP table */

/* What the MP table says about the card's pin. */
struct route {
	uint8_t pci_bus;          /* the bus entry "PCI   " */
	uint8_t ioapic_id, ioapic_version;
	uint32_t ioapic_addr;
	bool found;               /* an I/O interrupt entry for the pin */
	uint8_t irq_type, flags, dst_apic, dst_pin;
};

static uint8_t sum(const uint8_t *p, unsigned n)
{
	uint8_t s = 0;

	while (n--)
		s = (uint8_t)(s + *p++);
	return s;
}

/* The first 16-byte-aligned "_MP_" with a good checksum in [a, a + n). */
static const struct mp_float *scan(uintptr_t a, uintptr_t n)
{
	for (uintptr_t p = a; p + 16 <= a + n; p += 16) {
		const struct mp_float *fp = (const struct mp_float *)p;

		if (!memcmp(fp->signature, MP_FLOAT_SIGNATURE, 4) &&
		    sum((const uint8_t *)fp, fp->length * 16u) == 0)
			return fp;
	}
	return NULL;
}

/* A word of the BIOS data area (the compiler is told nothing of where
 * the pointer came from: address 0x4xx is no object of the program). */
static uintptr_t bda16(uintptr_t a)
{
	const volatile uint16_t *p;

	__asm__("" : "=r"(p) : "0"(a));
	return *p;
}

/* The floating pointer where MP 1.4 section 4 says to look. */
static const struct mp_float *mp_find(void)
{
	uintptr_t ebda = bda16(BDA_EBDA_SEGMENT) << 4;
	uintptr_t base = bda16(BDA_BASE_KIB) * 1024;
	const struct mp_float *fp = NULL;

	if (ebda)
		fp = scan(ebda, 1024);
	if (!fp && base >= 1024)
		fp = scan(base - 1024, 1024);
	return fp ? fp : scan(BIOS_ROM, ROM_END - BIOS_ROM);
}

/* One entry of the configuration table; its length, 0 if unknown. */
static unsigned mp_entry(const uint8_t *e, uint8_t src_irq, struct route *r)
{
	const struct mp_bus *bus = (const void *)e;
	const struct mp_ioapic *io = (const void *)e;
	const struct mp_intr *in = (const void *)e;

	switch (e[0]) {
	case MP_PROC:
		return sizeof(struct mp_proc);
	case MP_BUS:
		if (!memcmp(bus->bus_type, "PCI   ", 6))
			r->pci_bus = bus->bus_id;
		return sizeof(*bus);
	case MP_IOAPIC:
		if ((io->flags & MP_IOAPIC_EN) && !r->ioapic_addr) {
			r->ioapic_id = io->id;
			r->ioapic_version = io->version;
			r->ioapic_addr = io->addr;
		}
		return sizeof(*io);
	case MP_IOINTR:
		/* the buses come before the entries that name them (4.3) */
		if (in->src_bus == r->pci_bus && in->src_irq == src_irq &&
		    !r->found) {
			r->found = true;
			r->irq_type = in->irq_type;
			r->flags = (uint8_t)in->flags;
			r->dst_apic = in->dst_apic;
			r->dst_pin = in->dst_pin;
		}
		return sizeof(*in);
	case MP_LINTR:
		return sizeof(*in);
	}
	return 0;
}

/* Walk the configuration table for the pin (dev, pin) of bus 0. */
static bool mp_route(unsigned dev, unsigned pin, struct route *r)
{
	const struct mp_float *fp = mp_find();
	const struct mp_conf *ct;
	const uint8_t *e, *end;

	memset(r, 0, sizeof(*r));
	r->pci_bus = 0xff;
	if (!fp || !fp->physaddr) {
		rt_printf("pciirq: no MP configuration table\n");
		return false;
	}
	ct = (const struct mp_conf *)(uintptr_t)fp->physaddr;
	if (memcmp(ct->signature, MP_CONF_SIGNATURE, 4) ||
	    sum((const uint8_t *)ct, ct->length) != 0) {
		rt_printf("pciirq: the MP configuration table is broken\n");
		return false;
	}
	e = (const uint8_t *)(ct + 1);
	end = (const uint8_t *)ct + ct->length;
	for (unsigned i = 0; i < ct->entry_count && e < end; i++) {
		unsigned len = mp_entry(e, (uint8_t)(dev << 2 | (pin - 1)), r);

		if (!len)
			break;
		e += len;
	}
	return r->ioapic_addr && r->found;
}

/* Polarity (bits 1:0) and trigger (bits 3:2); "conforms" on PCI is
 * active low and level. */
static bool active_low(uint8_t flags)
{
	return (flags & 3) == 0 || (flags & 3) == 3;
}

static bool level(uint8_t flags)
{
	return ((flags >> 2) & 3) == 0 || ((flags >> 2) & 3) == 3;
}

/* ------------------------------------------------------------ the chips */

static volatile uint32_t *ioapic; /* IOREGSEL at 0, IOWIN at 0x10 */
static volatile uint32_t *lapic;
static unsigned pin;              /* the card's INTIN */

static uint32_t ioapic_rd(unsigned reg)
{
	ioapic[IOAPIC_IOREGSEL / 4] = reg;
	return ioapic[IOAPIC_IOWIN / 4];
}

static void ioapic_wr(unsigned reg, uint32_t v)
{
	ioapic[IOAPIC_IOREGSEL / 4] = reg;
	ioapic[IOAPIC_IOWIN / 4] = v;
}

static uint32_t entry_lo(void)
{
	return ioapic_rd(IOAPIC_REG_REDTBL + 2 * pin);
}

static uint32_t lapic_rd(unsigned reg)
{
	return lapic[reg * 4]; /* register r at offset 16 r */
}

static void lapic_wr(unsigned reg, uint32_t v)
{
	lapic[reg * 4] = v;
}

/* Bit vector of the local APIC's ISR, TMR or IRR (8 registers of 32). */
static unsigned lapic_bit(unsigned first, unsigned vector)
{
	return lapic_rd(first + vector / 32) >> (vector % 32) & 1;
}

/* ------------------------------------------------------------ interrupts */

/* What the handler saw, for each interrupt. */
struct seen {
	uint32_t entry;           /* the redirection entry, low half */
	unsigned in_service, tmr, irr; /* the vector's bits at entry */
	int isr;                  /* the card's ISR read, -1: not read */
	uint32_t entry_after;     /* after the EOI */
	unsigned irr_after;
};
static struct seen seen[4];
static volatile unsigned nirq;

static void on_card(struct rt_frame *f)
{
	struct seen *s = &seen[nirq < 3 ? nirq : 3];

	(void)f;
	s->entry = entry_lo();
	s->in_service = lapic_bit(LAPIC_ISR, VEC_CARD);
	s->tmr = lapic_bit(LAPIC_TMR, VEC_CARD);
	s->irr = lapic_bit(LAPIC_IRR, VEC_CARD);
	s->isr = -1;
	if (nirq != 0) /* the first: EOI with the line still high */
		s->isr = rt_virtio_isr(&vc.v);
	lapic_wr(LAPIC_EOI, 0);
	s->entry_after = entry_lo();
	s->irr_after = lapic_bit(LAPIC_IRR, VEC_CARD);
	nirq++;
}

static void show(unsigned i)
{
	const struct seen *s = &seen[i];

	rt_printf("pciirq: interrupt %u: entry %08x (remote IRR %u), ISR %u "
		  "TMR %u IRR %u; card ISR %s; after EOI entry %08x "
		  "(remote IRR %u), IRR %u\n", i + 1, s->entry,
		  (unsigned)(s->entry >> 14 & 1), s->in_service, s->tmr, s->irr,
		  s->isr < 0 ? "not read" : rt_fmt("%02x", s->isr),
		  s->entry_after, (unsigned)(s->entry_after >> 14 & 1),
		  s->irr_after);
}

/* Sleep until n interrupts were taken (interrupts off around the look). */
static void wait_irqs(unsigned n)
{
	cli();
	while (nirq < n) {
		safe_halt();
		cli();
	}
	sti();
}

/* One transmit buffer with its completion interrupt wanted. */
static void send(const char *s)
{
	check(rt_vcons_queue(&vc, s, strlen(s), NULL, 0) == 0, "queue");
	rt_vcons_kick(&vc);
	check(rt_vcons_sync(&vc) == 0, "the buffer used");
}

/* ------------------------------------------------------------ set-up */

static bool find_card(struct rt_pci_dev *d, unsigned *intpin)
{
	static const uint16_t ids[] = { RT_VCONS_DEVICE_MODERN };

	if (!rt_pci_find(VIRTIO_PCI_VENDOR_ID, ids, 1, d)) {
		rt_printf("pciirq: no virtio console card on bus 0\n");
		return false;
	}
	*intpin = rt_pci_read(d, PCI_INTERRUPT_PIN, 1);
	rt_printf("pciirq: virtio console at %02x:%02x.%x, INT%c#, interrupt "
		  "line %u\n", d->bus, d->dev, d->fn, 'A' + *intpin - 1,
		  rt_pci_read(d, PCI_INTERRUPT_LINE, 1));
	return *intpin >= 1 && *intpin <= 4;
}

static bool find_route(const struct rt_pci_dev *d, unsigned intpin,
		       struct route *r)
{
	if (!mp_route(d->dev, intpin, r)) {
		rt_printf("pciirq: the MP table has no route for the card\n");
		return false;
	}
	rt_printf("pciirq: MP table: PCI bus %u; I/O APIC %u version 0x%02x "
		  "at 0x%08x\n", r->pci_bus, r->ioapic_id, r->ioapic_version,
		  r->ioapic_addr);
	rt_printf("pciirq: MP I/O interrupt: type %u, PCI bus %u device %u "
		  "INT%c# -> I/O APIC %u INTIN %u, flags 0x%02x: %s, %s\n",
		  r->irq_type, r->pci_bus, d->dev, 'A' + intpin - 1,
		  r->dst_apic, r->dst_pin, r->flags,
		  level(r->flags) ? "level" : "edge",
		  active_low(r->flags) ? "active low" : "active high");
	return true;
}

/* The 8259A pair masked; this CPU's local APIC on; the entry set. */
static void program(const struct route *r)
{
	uintptr_t base = (uintptr_t)(rdmsr(MSR_IA32_APIC_BASE) &
				     ~(uint64_t)(LAPIC_PAGE_SIZE - 1)) &
			 0xffffffffu;
	uint32_t id, lo;

	rt_pic_init(VEC_MASTER, VEC_SLAVE, 0xff, 0xff);
	lapic = (volatile uint32_t *)base;
	lapic_wr(LAPIC_SVR, LAPIC_SVR_ENABLE | VEC_SPURIOUS);
	lapic_wr(LAPIC_TPR, 0);
	id = lapic_rd(LAPIC_ID) >> 24;
	ioapic = (volatile uint32_t *)(uintptr_t)r->ioapic_addr;
	pin = r->dst_pin;
	rt_printf("pciirq: I/O APIC version register %08x; local APIC %u at "
		  "0x%08x, 8259A lines all masked\n",
		  ioapic_rd(IOAPIC_REG_VER), id, (unsigned)base);
	lo = VEC_CARD | (level(r->flags) ? IOAPIC_RTE_LEVEL : 0) |
	     (active_low(r->flags) ? IOAPIC_RTE_POLARITY_LOW : 0);
	rt_set_gate(VEC_CARD, VEC_CARD, 0);
	rt_set_handler(VEC_CARD, on_card);
	ioapic_wr(IOAPIC_REG_REDTBL + 2 * pin + 1, id << 24);
	ioapic_wr(IOAPIC_REG_REDTBL + 2 * pin, lo);
	rt_printf("pciirq: INTIN %u: entry %08x %08x (vector 0x%02x, fixed, "
		  "physical, to APIC %u)\n", pin,
		  ioapic_rd(IOAPIC_REG_REDTBL + 2 * pin + 1), entry_lo(),
		  VEC_CARD, id);
}

/* ------------------------------------------------------------ the steps */

/* 1 and 2: EOI with the line high brings the interrupt back. */
static void step_level(void)
{
	send("pciirq: a buffer whose completion comes through the I/O APIC\n");
	wait_irqs(2);
	show(0);
	show(1);
	check(seen[0].entry >> 14 & 1, "remote IRR set while in service");
	check(seen[0].irr == 0, "remote IRR holds the high line back");
	check(seen[0].tmr == 1, "the vector is level-triggered at the APIC");
	check(seen[0].irr_after == 1, "EOI with the line high: again");
	check(!(seen[1].entry_after >> 14 & 1), "EOI clears remote IRR");
}

/* 3: a masked level entry delivers nothing, unmasking delivers at once. */
static void step_masked(void)
{
	uint32_t lo = entry_lo();
	unsigned before;

	ioapic_wr(IOAPIC_REG_REDTBL + 2 * pin, lo | IOAPIC_RTE_MASKED);
	send("pciirq: a buffer completed while the entry is masked\n");
	before = nirq;
	rt_printf("pciirq: masked, line high: entry %08x, interrupts %u, "
		  "IRR %u\n", entry_lo(), before - 2,
		  lapic_bit(LAPIC_IRR, VEC_CARD));
	cli();
	ioapic_wr(IOAPIC_REG_REDTBL + 2 * pin, lo);
	rt_printf("pciirq: unmasked: IRR %u\n", lapic_bit(LAPIC_IRR, VEC_CARD));
	sti();
	wait_irqs(3);
	show(2);
	check(before == 2, "nothing delivered while masked");
	check(seen[2].isr == VIRTIO_ISR_QUEUE, "the card's ISR");
}

int main(const char *args)
{
	struct rt_pci_dev d;
	struct route r;
	unsigned intpin;

	(void)args;
	if (!find_card(&d, &intpin) || !find_route(&d, intpin, &r))
		return 2;
	if (rt_vcons_open(&vc, &d) < 0) {
		rt_printf("pciirq: the card did not come up\n");
		return 2;
	}
	/*
	 * QEMU kicks every queue of the card once when the driver sets
	 * DRIVER_OK (to serve buffers queued before), from its main loop and
	 * so at a time of its own; the pass ends in a notification, which
	 * raises INTx# if the ring lets it then (virtio allows spurious
	 * interrupts).  If that came after the interrupt is turned on below
	 * and before the entry is programmed, the line would go high while
	 * the entry is still masked and edge-triggered (its reset state),
	 * and QEMU's I/O APIC, which looks at a level input only when it
	 * changes, would never deliver it; an 82093AA samples the pin, and
	 * so does trapvisor's, when the entry is unmasked as level.  One
	 * buffer sent and used with the interrupt still off comes after that
	 * pass, so no notification is left to come.
	 */
	static const char first[] =
		"pciirq: a buffer sent with the interrupt off\n";

	check(rt_vcons_write(&vc, first, sizeof(first) - 1) == 0,
	      "the first buffer used");
	rt_virtq_interrupts(&vc.tx, true);
	program(&r);
	step_level();
	step_masked();
	ioapic_wr(IOAPIC_REG_REDTBL + 2 * pin, IOAPIC_RTE_MASKED);
	rt_printf("pciirq: %u interrupts; %d failed\n", nirq, failed);
	return failed ? 1 : 0;
}
