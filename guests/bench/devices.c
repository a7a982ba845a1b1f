/*
 * guests/bench/devices.c - two device workloads, for counting the exits a
 * device costs the monitor (bench/run.sh runs them under --stats).
 *
 *   bench.elf -- apictimer N   N ticks of the local APIC timer, periodic
 *                              at 1 kHz, the guest asleep in hlt between
 *                              them: N ms of guest time
 *   bench.elf -- ide N         N READ SECTORS commands of one sector each,
 *                              by PIO from the primary master (--disk=FILE,
 *                              tests/guests/disk.sh's image), polled
 *
 * They are what a 32-bit course kernel (xv6) costs a monitor when its clock
 * ticks and when its file system reads: the LAPIC is driven through its
 * xAPIC page at 0xfee00000 (MMIO, as such kernels do, not the x2APIC MSRs),
 * the disk through the task file, one sector per command, with rep insl.
 * The disk is polled (nIEN set): the IRQ path is the timer's to measure.
 * Each prints the usual line; cycles_per_iter is TSC cycles per tick or
 * per sector.
 */
#include "bench.h"
#include "cpu.h"
#include "devices/ide.h"
#include "devices/lapic.h"
#include "rt.h"

#define VEC_TICK 0x40
#define VEC_SPURIOUS 0xff
#define TICK_COUNT 1000000 /* 1 ms: the count runs at 1 GHz at divide by 1 */
#define LAPIC_DIVIDE_BY_1 0xb

#define DISK_PATTERN 251 /* tests/guests/disk.sh: byte o of the disk is o % 251 */
#define POLL_LIMIT 10000000

/* ------------------------------------------------------------ APIC timer */

static volatile uint32_t *lapic_reg(enum lapic_reg r)
{
	return (volatile uint32_t *)(uintptr_t)(LAPIC_DEFAULT_BASE + r * 16u);
}

static volatile uint64_t ticks, ticks_wanted;

/* One tick: count it, stop the timer at the last one (so that a machine
 * whose exits are slow takes no extra tick), EOI. */
static void on_tick(struct rt_frame *f)
{
	(void)f;
	if (++ticks == ticks_wanted)
		*lapic_reg(LAPIC_TIMER_ICR) = 0;
	*lapic_reg(LAPIC_EOI) = 0;
}

uint64_t bench_apictimer(uint64_t iters)
{
	uint64_t t;

	rt_set_gate(VEC_TICK, VEC_TICK, 0);
	rt_set_handler(VEC_TICK, on_tick);
	*lapic_reg(LAPIC_SVR) = LAPIC_SVR_ENABLE | VEC_SPURIOUS;
	*lapic_reg(LAPIC_TIMER_DCR) = LAPIC_DIVIDE_BY_1;
	*lapic_reg(LAPIC_LVT_TIMER) = LAPIC_TIMER_PERIODIC <<
				      LAPIC_TIMER_MODE_SHIFT | VEC_TICK;
	ticks = 0;
	ticks_wanted = iters;
	t = rdtsc();
	*lapic_reg(LAPIC_TIMER_ICR) = TICK_COUNT;
	while (ticks < iters)
		__asm__ volatile("sti; hlt; cli" ::: "memory");
	t = rdtsc() - t;
	*lapic_reg(LAPIC_LVT_TIMER) = LAPIC_MASKED | VEC_TICK;
	rt_set_handler(VEC_TICK, NULL);
	return t;
}

/* ------------------------------------------------------------ IDE disk */

#define REG(r) ((uint16_t)(IDE0_BASE + (r)))

static uint32_t sector[ATA_SECTOR / 4];

static void ide_fail(const char *what)
{
	rt_printf("bench: ide: %s\n", what);
	rt_exit(RT_EXIT_UNEXPECTED_TRAP);
}

/* Poll Status until BSY clears, then want DRQ without ERR (xv6's
 * idewait does the same). */
static void wait_drq(void)
{
	for (unsigned i = 0; i < POLL_LIMIT; i++) {
		uint8_t st = inb(REG(ATA_STATUS));

		if (st & ATA_SR_BSY)
			continue;
		if ((st & (ATA_SR_DRQ | ATA_SR_ERR)) != ATA_SR_DRQ)
			ide_fail(rt_fmt("status %02x error %02x, no data", st,
					inb(REG(ATA_ERROR))));
		return;
	}
	ide_fail("BSY never cleared");
}

static void insl(uint16_t port, void *buf, uint64_t dwords)
{
	__asm__ volatile("rep insl" : "+D"(buf), "+c"(dwords) : "d"(port)
			 : "memory");
}

/* The master's LBA28 sector count, from IDENTIFY DEVICE; 0 without one. */
static uint32_t ide_sectors(void)
{
	const uint16_t *w = (const uint16_t *)sector;

	outb(IDE0_CTRL, ATA_CTL_NIEN);
	outb(REG(ATA_DEVICE), ATA_DEV_OBS);
	outb(REG(ATA_COMMAND), ATA_CMD_IDENTIFY);
	if (inb(REG(ATA_STATUS)) == 0) /* nobody answers: no disk */
		return 0;
	wait_drq();
	insl(REG(ATA_DATA), sector, ATA_SECTOR / 4);
	return (uint32_t)w[61] << 16 | w[60];
}

/* One READ SECTORS of one sector at lba into sector[]. */
static void read_sector(uint32_t lba)
{
	outb(REG(ATA_DEVICE), (uint8_t)(ATA_DEV_OBS | ATA_DEV_LBA |
					 (lba >> 24 & 0x0f)));
	outb(REG(ATA_COUNT), 1);
	outb(REG(ATA_LBA_LOW), (uint8_t)lba);
	outb(REG(ATA_LBA_MID), (uint8_t)(lba >> 8));
	outb(REG(ATA_LBA_HIGH), (uint8_t)(lba >> 16));
	outb(REG(ATA_COMMAND), ATA_CMD_READ_SECTORS);
	wait_drq();
	insl(REG(ATA_DATA), sector, ATA_SECTOR / 4);
}

/* The first and last bytes of the sector are the image's: a read that
 * moved no data, or the wrong sector's, is caught. */
static void check_sector(uint32_t lba)
{
	const uint8_t *b = (const uint8_t *)sector;
	uint64_t o = (uint64_t)lba * ATA_SECTOR;

	if (b[0] != o % DISK_PATTERN ||
	    b[ATA_SECTOR - 1] != (o + ATA_SECTOR - 1) % DISK_PATTERN)
		ide_fail(rt_fmt("lba %u holds %02x..%02x, not the pattern of "
				"tests/guests/disk.sh", (unsigned)lba, b[0],
				b[ATA_SECTOR - 1]));
}

uint64_t bench_ide(uint64_t iters)
{
	uint32_t n = ide_sectors();
	uint64_t t;

	if (n == 0) {
		rt_printf("bench: ide needs a disk on the primary IDE channel "
			  "(--disk=FILE, made by tests/guests/disk.sh make)\n");
		rt_exit(2);
	}
	t = rdtsc();
	for (uint64_t i = 0; i < iters; i++) {
		read_sector((uint32_t)(i % n));
		check_sector((uint32_t)(i % n));
	}
	return rdtsc() - t;
}
