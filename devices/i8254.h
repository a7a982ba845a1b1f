/*
 * devices/i8254.h - the Intel 8254 programmable interval timer.
 *
 * Three 16-bit down-counters clocked at 1.193182 MHz.  On a PC, channel 0's
 * output is IRQ 0 (the timer interrupt), channel 2 drives the speaker.  The
 * guest programs a channel by writing a control word to port 0x43 and then
 * the count to the channel's port:
 *
 *   control word (port 0x43):
 *     7   6   5   4   3   2   1   0
 *   +-------+-------+-----------+---+
 *   |  SC   |  RW   |   mode    |BCD|
 *   +-------+-------+-----------+---+
 *   SC: channel (3 = read-back); RW: 0 latch, 1 low byte, 2 high byte,
 *   3 low then high byte; mode 0..5 (6, 7 alias 2, 3).
 *
 * Time is not the host's: the monitor passes "now" in nanoseconds of
 * virtual time (host clock or instruction count, see --icount).
 */
#ifndef DEVICES_I8254_H
#define DEVICES_I8254_H

#include <stdbool.h>
#include <stdint.h>

#define PIT_HZ 1193182ULL
#define PIT_CH0 0x40
#define PIT_CH1 0x41
#define PIT_CH2 0x42
#define PIT_CMD 0x43

#define PIT_RW_LATCH 0
#define PIT_RW_LO 1
#define PIT_RW_HI 2
#define PIT_RW_LOHI 3
#define PIT_MODE_TERMINAL 0  /* interrupt on terminal count */
#define PIT_MODE_RATE 2      /* rate generator */
#define PIT_MODE_SQUARE 3    /* square wave */

struct i8254_channel {
	uint32_t reload;     /* count written (0 means 65536) */
	uint8_t mode;        /* 0..5 */
	uint8_t rw;          /* PIT_RW_*: how the count is accessed */
	bool bcd;            /* count in BCD (stored, not honoured) */
	bool write_hi;       /* LOHI: the next write is the high byte */
	bool read_hi;        /* LOHI: the next read is the high byte */
	bool latched;        /* a latch command froze the count */
	uint16_t latch;      /* the frozen count */
	uint16_t partial;    /* LOHI: the low byte written so far */
	bool counting;       /* a count was loaded */
	uint64_t start_ns;   /* when it was loaded */
	uint64_t periods;    /* output periods already reported (ch 0) */
};

struct i8254 {
	struct i8254_channel ch[3];
};

/* Power-on state: no channel counting. */
void i8254_init(struct i8254 *pit);
uint8_t i8254_read(struct i8254 *pit, uint16_t port, uint64_t now);
void i8254_write(struct i8254 *pit, uint16_t port, uint8_t val, uint64_t now);
/*
 * How many IRQ 0 rising edges channel 0 produced since the last call (the
 * PIC is edge-triggered, so the caller raises IRQ 0 once if any).
 */
uint64_t i8254_irq0_edges(struct i8254 *pit, uint64_t now);
/* Virtual time of channel 0's next rising edge, or UINT64_MAX if none. */
uint64_t i8254_next_irq0(const struct i8254 *pit);

#endif /* DEVICES_I8254_H */
