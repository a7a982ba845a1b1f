/*
 * devices/mc146818.h - the Motorola MC146818 real-time clock and CMOS RAM.
 *
 * 128 bytes behind an index port: the clock's 14 registers, then 114
 * bytes of battery-backed RAM in which the PC BIOS keeps its settings.
 *
 *   0x70  write: index (bits 6..0); bit 7 set masks NMI on a PC
 *   0x71  the selected byte
 *
 *   0x00 seconds  0x01 seconds alarm  0x02 minutes  0x03 minutes alarm
 *   0x04 hours    0x05 hours alarm    0x06 day of week (1 = Sunday)
 *   0x07 day of month  0x08 month  0x09 year (00-99)
 *   0x0a register A:  UIP | DV2 DV1 DV0 | RS3..RS0
 *        UIP: an update of the time registers is about to happen (read
 *        only); DV = 010: the 32.768 kHz time base runs; RS: periodic rate
 *   0x0b register B:  SET | PIE | AIE | UIE | SQWE | DM | 24/12 | DSE
 *        SET stops the updates so that software can set the time; DM 1:
 *        binary, 0: BCD; 24/12 1: 24-hour; PIE/AIE/UIE enable IRQ 8 for
 *        the periodic, alarm and update-ended events
 *   0x0c register C:  IRQF | PF | AF | UF | 0000   (read clears it)
 *   0x0d register D:  VRT (battery good) | 0000000
 *   0x0e-0x7f         RAM; IBM's PC AT fixed what the BIOS keeps where
 *                     (0x15-0x18, 0x30-0x31 memory sizes, 0x32 century)
 *
 * In 12-hour mode bit 7 of the hours is PM.  The format (DM, 24/12)
 * applies to every time and alarm register alike.
 */
#ifndef DEVICES_MC146818_H
#define DEVICES_MC146818_H

#include <stdbool.h>
#include <stdint.h>

#define RTC_INDEX_PORT 0x70
#define RTC_DATA_PORT 0x71
#define RTC_NMI_DISABLE 0x80 /* index port bit 7 */

#define RTC_SECONDS 0x00
#define RTC_SECONDS_ALARM 0x01
#define RTC_MINUTES 0x02
#define RTC_MINUTES_ALARM 0x03
#define RTC_HOURS 0x04
#define RTC_HOURS_ALARM 0x05
#define RTC_DAY_OF_WEEK 0x06
#define RTC_DAY_OF_MONTH 0x07
#define RTC_MONTH 0x08
#define RTC_YEAR 0x09
#define RTC_REG_A 0x0a
#define RTC_REG_B 0x0b
#define RTC_REG_C 0x0c
#define RTC_REG_D 0x0d
#define RTC_CENTURY 0x32             /* IBM PC AT: the century, in BCD */
#define RTC_IBM_PS2_CENTURY_BYTE 0x37 /* PS/2 machines kept it here */
#define RTC_NREGS 128

#define RTC_REG_A_UIP 0x80
#define RTC_REG_A_DV 0x70      /* divider select */
#define RTC_REG_A_DV_32KHZ 0x20 /* the time base runs */
#define RTC_REG_B_SET 0x80
#define RTC_REG_B_PIE 0x40
#define RTC_REG_B_AIE 0x20
#define RTC_REG_B_UIE 0x10
#define RTC_REG_B_SQWE 0x08
#define RTC_REG_B_DM 0x04      /* binary, not BCD */
#define RTC_REG_B_24H 0x02
#define RTC_REG_B_DSE 0x01
#define RTC_REG_C_IRQF 0x80
#define RTC_REG_C_PF 0x40
#define RTC_REG_C_AF 0x20
#define RTC_REG_C_UF 0x10
#define RTC_REG_D_VRT 0x80
#define RTC_HOURS_PM 0x80      /* 12-hour mode */

/* QEMU's power-on values of A and B: 32.768 kHz, 1024 Hz rate; 24-hour,
 * BCD. */
#define RTC_REG_A_INIT 0x26
#define RTC_REG_B_INIT RTC_REG_B_24H

/* UIP rises this long before each update: 8 periods of 32.768 kHz. */
#define RTC_UIP_HOLD_NS 244140

/* The epoch under --icount: 2000-01-01 00:00:00 UTC, in Unix seconds. */
#define RTC_ICOUNT_EPOCH 946684800LL

struct mc146818 {
	uint8_t index;       /* register selected at 0x70 (bits 6..0) */
	bool nmi_masked;     /* bit 7 of the last index write (a PC has no
				NMI source here, so it only records it) */
	uint8_t cmos[RTC_NREGS]; /* registers and RAM; the time registers
				    hold the time only while it is stopped */
	/* The time: base_s seconds plus (base_ns + virtual now) ns,
	 * UTC seconds since 1970; kept in two parts so that no year a guest
	 * can write overflows. */
	int64_t base_s;
	uint64_t base_ns;    /* < 1e9 */
	int64_t uf_second;   /* updates up to this second are in C */
};

/*
 * Power-on: A, B, C, D as QEMU sets them, RAM zero, the time
 * wall_s + wall_ns at virtual time now (UTC).
 */
void mc146818_init(struct mc146818 *rtc, int64_t wall_s, uint32_t wall_ns,
		   uint64_t now);

/*
 * Fill in the bytes a PC BIOS finds in CMOS, as QEMU's `pc` machine does
 * (hw/i386/pc.c, pc_cmos_init): memory sizes for ram_bytes of RAM (below
 * 4 GiB as far as QEMU puts it there), the number of CPUs, the century.
 */
void mc146818_pc_bios_bytes(struct mc146818 *rtc, uint64_t ram_bytes,
			    unsigned ncpus, uint64_t now);

/* Read port 0x70 or 0x71 at virtual time now. */
uint8_t mc146818_read(struct mc146818 *rtc, uint16_t port, uint64_t now);
/* Write port 0x70 or 0x71 at virtual time now. */
void mc146818_write(struct mc146818 *rtc, uint16_t port, uint8_t val,
		    uint64_t now);

/* Is IRQ 8 asserted (an update-ended event with UIE, C not yet read)? */
bool mc146818_irq8(const struct mc146818 *rtc, uint64_t now);
/* Virtual time of the next event that could assert IRQ 8, or UINT64_MAX. */
uint64_t mc146818_next_event(const struct mc146818 *rtc, uint64_t now);

#endif /* DEVICES_MC146818_H */
