/*
 * devices/acpi_pm.c - the PIIX4's ACPI PM1 registers and PM timer
 * (devices/acpi_pm.h).
 *
 * The PM timer is virtual time counted at 3.579545 MHz: ticks since reset
 * = ns * 3579545 / 10^9, worked out in whole seconds and the rest so that
 * no product overflows 64 bits; the register shows the low 24 bits.
 */
#include "devices/acpi_pm.h"

#define NS_PER_S 1000000000ULL

void acpi_pm_init(struct acpi_pm *pm)
{
	*pm = (struct acpi_pm){ .cnt = ACPI_PM1_SCI_EN };
}

static uint64_t ticks(uint64_t now)
{
	return now / NS_PER_S * ACPI_PM_TMR_HZ +
	       now % NS_PER_S * ACPI_PM_TMR_HZ / NS_PER_S;
}

uint32_t acpi_pm_timer(uint64_t now)
{
	return (uint32_t)(ticks(now) & 0xffffff);
}

/* PM1 status.  TMR_STS: bit 23 of the count changed since software last
 * cleared it; the other events (power button, RTC alarm, wake) do not
 * happen on this machine. */
static uint16_t status(const struct acpi_pm *pm, uint64_t now)
{
	return (ticks(now) >> 23) != pm->tmr_cleared ? ACPI_PM1_TMR_STS : 0;
}

bool acpi_pm_sci(const struct acpi_pm *pm, uint64_t now)
{
	return (pm->cnt & ACPI_PM1_SCI_EN) && (status(pm, now) & pm->en);
}

uint8_t acpi_pm_read(const struct acpi_pm *pm, unsigned offset, uint64_t now)
{
	unsigned shift = 8 * (offset & 1);

	switch (offset) {
	case 0: case 1: return (uint8_t)(status(pm, now) >> shift);
	case 2: case 3: return (uint8_t)(pm->en >> shift);
	case 4: case 5: return (uint8_t)(pm->cnt >> shift);
	case 8: case 9: case 10: case 11:
		return (uint8_t)(acpi_pm_timer(now) >> (8 * (offset - 8)));
	}
	return 0xff; /* 6, 7: nothing there */
}

/* PM1 control: SLP_EN starts the sleep SLP_TYP names.  As QEMU's
 * acpi_pm1_cnt_write(): S5 turns the machine off, and so does S4 (QEMU
 * reports a suspend to disk, then shuts down); S3 and the rest do nothing
 * here (QEMU's S3 needs its firmware to resume).  SLP_EN reads 0. */
static void write_cnt(struct acpi_pm *pm, uint16_t val)
{
	unsigned typ = (val & ACPI_PM1_SLP_TYP) >> ACPI_PM1_SLP_TYP_SHIFT;

	pm->cnt = val & (uint16_t)~ACPI_PM1_SLP_EN;
	if ((val & ACPI_PM1_SLP_EN) &&
	    (typ == ACPI_S5_SLP_TYP || typ == ACPI_S4_SLP_TYP))
		pm->poweroff = true;
}

void acpi_pm_write(struct acpi_pm *pm, unsigned offset, uint8_t val,
		   uint64_t now)
{
	unsigned shift = 8 * (offset & 1);
	uint16_t lane = (uint16_t)(0xffu << shift), v = (uint16_t)(val << shift);

	switch (offset) {
	case 0: case 1: /* write 1 to clear */
		if (v & ACPI_PM1_TMR_STS)
			pm->tmr_cleared = ticks(now) >> 23;
		break;
	case 2: case 3:
		pm->en = (uint16_t)((pm->en & ~lane) | v);
		break;
	case 4: case 5:
		write_cnt(pm, (uint16_t)((pm->cnt & ~lane) | v));
		break;
	}
}
