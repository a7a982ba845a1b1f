/*
 * devices/acpi_pm.h - the ACPI power-management registers of the PIIX4
 * (Intel 82371AB datasheet, function 3; ACPI 6.x section 4.8), where QEMU's
 * pc machine has them once its firmware has set the PIIX4's PM base: at
 * 0x600 (QEMU 7.2's `info mtree` on `-M pc`: acpi-evt 0x600-0x603,
 * acpi-cnt 0x604-0x605, acpi-tmr 0x608-0x60b).  trapvisor has no BIOS:
 * the block is simply there.
 *
 *   port            register (the FADT names)
 *   0x600-0x601     PM1a_EVT_BLK: PM1 status (write 1 to clear)
 *   0x602-0x603     PM1a_EVT_BLK: PM1 enable
 *   0x604-0x605     PM1a_CNT_BLK: PM1 control: SCI_EN (0), SLP_TYP
 *                   (12:10), SLP_EN (13, write only)
 *   0x608-0x60b     PM_TMR_BLK: the 24-bit PM timer, 3.579545 MHz
 *
 * Writing SLP_EN with SLP_TYP 0, the S5 value of QEMU's DSDT (_S5 = 0),
 * or 2, the PIIX4's S4 value, turns the machine off, as QEMU's
 * acpi_pm1_cnt_write() does.  The PM
 * timer's overflow (bit 23 changes) sets TMR_STS; with TMR_EN and SCI_EN
 * the SCI, ISA IRQ 9 on QEMU's pc, is raised.  The SCI is looked at when
 * the devices are brought up to date; it registers no clock deadline of
 * its own: a guest that halts with nothing but the PM timer's overflow
 * to wake it has nothing to wake it (OSes read the PM timer as a
 * counter, and keep a timer interrupt of their own).
 */
#ifndef DEVICES_ACPI_PM_H
#define DEVICES_ACPI_PM_H

#include <stdbool.h>
#include <stdint.h>

#define ACPI_PM_BASE 0x600
#define ACPI_PM1_EVT_BLK (ACPI_PM_BASE + 0)   /* 4 bytes */
#define ACPI_PM1_EVT_LEN 4
#define ACPI_PM1_CNT_BLK (ACPI_PM_BASE + 4)   /* 2 bytes */
#define ACPI_PM1_CNT_LEN 2
#define ACPI_PM_TMR_BLK (ACPI_PM_BASE + 8)    /* 4 bytes */
#define ACPI_PM_TMR_LEN 4
#define ACPI_PM_NPORTS 12
#define ACPI_PM_TMR_HZ 3579545ULL
#define ACPI_SCI_IRQ 9                        /* QEMU's pc: ISA IRQ 9 */
#define ACPI_S5_SLP_TYP 0                     /* QEMU's DSDT _S5 */
#define ACPI_S4_SLP_TYP 2                     /* QEMU's PIIX4 s4_val */

#define ACPI_PM1_TMR_STS 0x0001u   /* status and enable bits */
#define ACPI_PM1_GBL_STS 0x0020u
#define ACPI_PM1_PWRBTN_STS 0x0100u
#define ACPI_PM1_RTC_STS 0x0400u
#define ACPI_PM1_WAK_STS 0x8000u
#define ACPI_PM1_SCI_EN 0x0001u    /* control */
#define ACPI_PM1_SLP_TYP_SHIFT 10
#define ACPI_PM1_SLP_TYP (7u << ACPI_PM1_SLP_TYP_SHIFT)
#define ACPI_PM1_SLP_EN 0x2000u

struct acpi_pm {
	uint16_t en;             /* PM1 enable */
	uint16_t cnt;            /* PM1 control (SLP_EN reads 0) */
	uint64_t tmr_cleared;    /* timer's bit-23 phase when TMR_STS was
				    last cleared */
	bool poweroff;           /* the guest asked for S5 */
};

/*
 * Reset.  SCI_EN starts set: with no SMI command port to switch the
 * chipset into ACPI mode (the FADT's SMI_CMD is 0), the hardware is in
 * ACPI mode from the start (ACPI 6.x, 4.8.2.5).
 */
void acpi_pm_init(struct acpi_pm *pm);
/* One byte of the block at offset (0..ACPI_PM_NPORTS-1) at time now. */
uint8_t acpi_pm_read(const struct acpi_pm *pm, unsigned offset, uint64_t now);
void acpi_pm_write(struct acpi_pm *pm, unsigned offset, uint8_t val,
		   uint64_t now);
/* The PM timer's 24-bit count at virtual time now (ns). */
uint32_t acpi_pm_timer(uint64_t now);
/* The SCI line's level. */
bool acpi_pm_sci(const struct acpi_pm *pm, uint64_t now);

#endif /* DEVICES_ACPI_PM_H */
