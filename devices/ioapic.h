/*
 * devices/ioapic.h - the I/O APIC (Intel 82093AA datasheet), as QEMU's pc
 * machine has it: one chip with 24 input pins at 0xfec00000.
 *
 * Each pin has a 64-bit redirection entry that turns a rising edge or a
 * high level on the pin into a message to the local APIC(s):
 *
 *   63..56  destination (physical: APIC ID, 0xff all; logical: LDR bits)
 *   16      mask           15  trigger mode: 1 level, 0 edge
 *   14      remote IRR (ro): a level interrupt was accepted, no EOI yet
 *   13      polarity: 1 active low (kept, not applied: QEMU's lines are
 *           asserted/deasserted, and so are trapvisor's)
 *   12      delivery status (ro, always idle here)
 *   11      destination mode: 1 logical
 *   10..8   delivery mode: 000 fixed, 001 lowest priority, 100 NMI,
 *           111 ExtINT (the vector comes from the 8259A)
 *   7..0    vector
 *
 * Software reaches the registers through a window: write the register's
 * index to IOREGSEL (offset 0x00), then read or write it at IOWIN (0x10).
 *
 *   index   register
 *   0x00    ID (bits 27:24)
 *   0x01    version: 0x20 (QEMU's default), highest entry 23 in 23:16
 *   0x02    arbitration ID (reads as the ID, as in QEMU)
 *   0x10+2n entry n, bits 31:0; 0x11+2n its bits 63:32
 *
 * Version 0x20 also has an EOI register at offset 0x40: writing a vector
 * there clears the remote IRR of the level entries with that vector, as
 * the local APIC's EOI broadcast does.
 *
 * The ISA interrupt lines reach the pins as on QEMU's pc: IRQ 0 (the
 * PIT) to pin 2, every other IRQ n to pin n; pin 0, where a PC's 8259A
 * output would go in ExtINT mode, is not driven (QEMU drives it neither).
 */
#ifndef DEVICES_IOAPIC_H
#define DEVICES_IOAPIC_H

#include <stdbool.h>
#include <stdint.h>

#include "devices/i8259.h"
#include "devices/lapic.h"

#define IOAPIC_BASE 0xfec00000u
#define IOAPIC_SIZE 0x1000u    /* QEMU's region; the registers repeat
				  every 256 bytes in it */
#define IOAPIC_PINS 24
#define IOAPIC_ID 0            /* QEMU's pc: the MADT's I/O APIC ID 0 */
#define IOAPIC_VERSION 0x20

#define IOAPIC_IOREGSEL 0x00
#define IOAPIC_IOWIN 0x10
#define IOAPIC_EOI 0x40

#define IOAPIC_REG_ID 0x00
#define IOAPIC_REG_VER 0x01
#define IOAPIC_REG_ARB 0x02
#define IOAPIC_REG_REDTBL 0x10

#define IOAPIC_RTE_VECTOR 0xffULL
#define IOAPIC_RTE_DM_SHIFT 8
#define IOAPIC_RTE_LOGICAL (1ULL << 11)
#define IOAPIC_RTE_PENDING (1ULL << 12)
#define IOAPIC_RTE_POLARITY_LOW (1ULL << 13)
#define IOAPIC_RTE_REMOTE_IRR (1ULL << 14)
#define IOAPIC_RTE_LEVEL (1ULL << 15)
#define IOAPIC_RTE_MASKED (1ULL << 16)
#define IOAPIC_RTE_DEST_SHIFT 56

struct ioapic {
	uint8_t id;
	uint8_t regsel;                /* IOREGSEL */
	uint32_t irr;                  /* pins waiting to be delivered */
	uint32_t lines;                /* input levels, for edge detection */
	uint64_t redir[IOAPIC_PINS];
	struct lapic *lapic;           /* where messages go */
	struct i8259_pair *pic;        /* ExtINT entries take its vector */
};

/* Reset: every entry masked, ID IOAPIC_ID; messages go to lapic, ExtINT
 * vectors come from pic. */
void ioapic_init(struct ioapic *io, struct lapic *lapic,
		 struct i8259_pair *pic);
/* An access at offset (0..IOAPIC_SIZE-1) of size 1, 2, 4 bytes. */
uint32_t ioapic_read(struct ioapic *io, uint32_t offset, unsigned size);
void ioapic_write(struct ioapic *io, uint32_t offset, unsigned size,
		  uint32_t val);
/* Drive pin to level (asserted or not). */
void ioapic_set_pin(struct ioapic *io, unsigned pin, bool level);
/* The pin ISA IRQ irq (0-15) is wired to. */
unsigned ioapic_isa_pin(unsigned irq);
/* A local APIC's EOI of a level-triggered vector. */
void ioapic_eoi(struct ioapic *io, uint8_t vector);

#endif /* DEVICES_IOAPIC_H */
