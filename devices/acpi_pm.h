/*
 * devices/acpi_pm.h - the ACPI power-management registers of the PIIX4
 * (Intel 82371AB datasheet, function 3; ACPI 6.x section 4.8), as QEMU's
 * pc machine has them once SeaBIOS has put the block at 0xb000 (SeaBIOS's
 * PORT_ACPI_PM_BASE, written to the PIIX4's PMBA; QEMU's q35 has its
 * ICH9 block at 0x600 instead).  trapvisor has no BIOS: the block is
 * simply there.
 *
 *   port            register (the FADT names)
 *   0xb000-0xb001   PM1a_EVT_BLK: PM1 status (write 1 to clear)
 *   0xb002-0xb003   PM1a_EVT_BLK: PM1 enable
 *   0xb004-0xb005   PM1a_CNT_BLK: PM1 control: SCI_EN (0), SLP_TYP
 *                   (12:10), SLP_EN (13, write only)
 *   0xb008-0xb00b   PM_TMR_BLK: the 24-bit PM timer, 3.579545 MHz
 *
 * Writing SLP_EN with SLP_TYP 0, the S5 value of QEMU's DSDT (_S5 = 0),
 * turns the machine off, as QEMU's acpi_pm1_cnt_write() does.  The PM
 * timer's overflow (bit 23 changes) sets TMR_STS; with TMR_EN and SCI_EN
 * the SCI, ISA IRQ 9 on QEMU's pc, is raised.  The SCI is looked at when
 * the devices are brought up to date; it registers no clock deadline of
 * its own, so a guest halted with nothing but the PM timer's overflow to
 * wake it is not woken (OSes use the PM timer as a counter).
 */
#ifndef DEVICES_ACPI_PM_H
#define DEVICES_ACPI_PM_H

#include <stdbool.h>
#include <stdint.h>

#define ACPI_PM_BASE 0xb000
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
