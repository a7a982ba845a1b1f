/*
 * devices/i8259.h - the Intel 8259A programmable interrupt controller pair.
 *
 * Names from the 8259A datasheet.  A PC has two: the master at 0x20/0x21
 * takes IRQ 0-7, the slave at 0xa0/0xa1 takes IRQ 8-15 and is cascaded into
 * the master's IRQ 2.  Each has three 8-bit registers, one bit per IRQ line:
 *
 *   IRR  interrupt request: lines that went high and wait to be served
 *   ISR  in service: delivered to the CPU, waiting for an EOI
 *   IMR  interrupt mask: lines the guest has switched off
 */
#ifndef DEVICES_I8259_H
#define DEVICES_I8259_H

#include <stdbool.h>
#include <stdint.h>

#define PIC_MASTER_CMD 0x20
#define PIC_MASTER_DATA 0x21
#define PIC_SLAVE_CMD 0xa0
#define PIC_SLAVE_DATA 0xa1
#define PIC_CASCADE_IRQ 2

#define ICW1_IC4 0x01   /* ICW4 follows */
#define ICW1_SNGL 0x02  /* single PIC, no ICW3 */
#define ICW1_LTIM 0x08  /* level-triggered (not modelled: always edge) */
#define ICW1_INIT 0x10  /* this command byte is ICW1 */
#define ICW4_AEOI 0x02  /* automatic end of interrupt */
#define OCW2_EOI 0x20   /* end of interrupt (non-specific) */
#define OCW2_SL 0x40    /* specific: the level is in bits 2:0 */
#define OCW3_SEL 0x08   /* this command byte is OCW3 (and not OCW2) */
#define OCW3_RR 0x02    /* read register command ... */
#define OCW3_RIS 0x01   /* ... of ISR (1) or IRR (0) */

/* One 8259A. */
struct i8259 {
	uint8_t irr;        /* interrupt request register */
	uint8_t isr;        /* in-service register */
	uint8_t imr;        /* interrupt mask register */
	uint8_t vector_base;/* ICW2: the vector of IRQ 0 (low 3 bits zero) */
	uint8_t icw_step;   /* 0: operating; 2..4: next ICW expected */
	bool want_icw4;     /* ICW1 said IC4 */
	bool single;        /* ICW1 said SNGL */
	bool auto_eoi;      /* ICW4 said AEOI */
	bool read_isr;      /* OCW3: command-port reads give ISR, not IRR */
	uint8_t lines;      /* input line levels, for edge detection */
};

struct i8259_pair {
	struct i8259 master, slave;
};

/* Power-on state: everything masked until the guest initializes it. */
void i8259_init(struct i8259_pair *p);
/* A port access from the guest: port is one of PIC_*_CMD / _DATA. */
uint8_t i8259_read(struct i8259_pair *p, uint16_t port);
void i8259_write(struct i8259_pair *p, uint16_t port, uint8_t val);
/* Drive IRQ line irq (0..15) to level; a rising edge sets its IRR bit. */
void i8259_set_irq(struct i8259_pair *p, unsigned irq, bool level);
/* Is an interrupt waiting that the CPU should take (the INTR line)? */
bool i8259_pending(const struct i8259_pair *p);
/*
 * The CPU acknowledges the interrupt (INTA cycles): the highest-priority
 * request moves from IRR to ISR and its vector is returned.
 */
uint8_t i8259_acknowledge(struct i8259_pair *p);

#endif /* DEVICES_I8259_H */
