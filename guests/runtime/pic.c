/*
 * guests/runtime/pic.c - the 8259A pair, initialized as a PC kernel does
 * (rt.h).
 */
#include "cpu.h"
#include "devices/i8259.h"
#include "rt.h"

#define ICW4_8086 0x01 /* 8086/8088 mode (not MCS-80/85) */

void rt_pic_init(uint8_t vec_master, uint8_t vec_slave, uint8_t master_mask,
		 uint8_t slave_mask)
{
	outb(PIC_MASTER_CMD, ICW1_INIT | ICW1_IC4);
	outb(PIC_SLAVE_CMD, ICW1_INIT | ICW1_IC4);
	outb(PIC_MASTER_DATA, vec_master);            /* ICW2: vector base */
	outb(PIC_SLAVE_DATA, vec_slave);
	outb(PIC_MASTER_DATA, 1 << PIC_CASCADE_IRQ);  /* ICW3: slave on IRQ 2 */
	outb(PIC_SLAVE_DATA, PIC_CASCADE_IRQ);        /* ICW3: its cascade id */
	outb(PIC_MASTER_DATA, ICW4_8086);
	outb(PIC_SLAVE_DATA, ICW4_8086);
	outb(PIC_MASTER_DATA, master_mask);           /* OCW1 */
	outb(PIC_SLAVE_DATA, slave_mask);
}
