/*
 * guests/mb32/devices.c - section 5: the PC's devices as a multiboot
 * kernel finds them, with paging off.
 *
 * The 8259A pair stays masked (protmode.c): interrupts come through the
 * APICs, as in xv6.  The local APIC (Intel SDM vol. 3, chapter 11) at
 * 0xfee00000: ID, version, the spurious-vector register's enable bit, its
 * timer one-shot and periodic with a divider, EOI clearing the ISR bit,
 * and the TPR holding back an interrupt of its priority class.  The
 * IOAPIC (82093AA datasheet): its version, and ISA IRQ 0 routed from pin 2
 * (the MADT's override) to a vector while the 8254 PIT runs.  Then CMOS
 * memory sizes, the ACPI PM timer at the FADT's port, an ATA IDENTIFY and a
 * sector read on the primary master, and the 8042's status.
 *
 * Interrupts are counted, never timed: every line is the same whatever
 * the speed of the machine.
 */
#include "devices/i8042.h"
#include "devices/i8254.h"
#include "devices/i8259.h"
#include "devices/ide.h"
#include "devices/mc146818.h"
#include "guests/mb32/mb32.h"

/* Local APIC registers (SDM vol. 3, table 11-1). */
#define LAPIC 0xfee00000u
#define LAPIC_ID 0x20
#define LAPIC_VERSION 0x30
#define LAPIC_TPR 0x80
#define LAPIC_EOI 0xb0
#define LAPIC_SVR 0xf0
#define LAPIC_ISR 0x100
#define LAPIC_IRR 0x200
#define LAPIC_LVT_TIMER 0x320
#define LAPIC_TIMER_INITIAL 0x380
#define LAPIC_TIMER_CURRENT 0x390
#define LAPIC_TIMER_DIVIDE 0x3e0
#define SVR_ENABLE 0x100
#define LVT_MASKED (1u << 16)
#define LVT_PERIODIC (1u << 17)
#define DIVIDE_BY_16 0x3
#define TIMER_COUNT 20000
#define PERIODIC_TICKS 5

/* IOAPIC registers, reached through IOREGSEL (+0) and IOWIN (+0x10). */
#define IOAPIC_IOWIN 0x10
#define IOAPIC_VER 0x01
#define IOAPIC_REDTBL(pin) (0x10 + 2 * (pin))
#define IOAPIC_PIN_PIT 2
#define PIT_TICKS 5
#define PIT_DIVISOR 11932 /* 100 Hz */

/* CMOS memory size registers (IBM PC AT). */
#define CMOS_EXT_LOW 0x17  /* KiB above 1 MiB, low byte (also 0x30) */
#define CMOS_EXT_HIGH 0x18
#define CMOS_EXT16_LOW 0x34 /* 64 KiB blocks above 16 MiB */
#define CMOS_EXT16_HIGH 0x35

#define PM_TIMER_MASK 0xffffff
#define SPIN_LIMIT 10000000u
#define SECTOR_WORDS 256

static uint32_t lapic_read(uint32_t reg) { return mmio_read(LAPIC + reg); }
static void lapic_write(uint32_t reg, uint32_t v) { mmio_write(LAPIC + reg, v); }

/* Is vector's bit set in the ISR or IRR (eight 32-bit registers)? */
static bool lapic_bit(uint32_t reg, unsigned vector)
{
	return lapic_read(reg + 0x10 * (vector / 32)) >> (vector % 32) & 1;
}

static void ioapic_write(uint32_t reg, uint32_t v)
{
	mmio_write(ioapic_address, reg);
	mmio_write(ioapic_address + IOAPIC_IOWIN, v);
}
static uint32_t ioapic_read(uint32_t reg)
{
	mmio_write(ioapic_address, reg);
	return mmio_read(ioapic_address + IOAPIC_IOWIN);
}

/* ------------------------------------------------------------ handlers */
static volatile unsigned lapic_ticks, pit_ticks;
static volatile bool isr_in_handler;

static void on_lapic_timer(struct frame *f)
{
	(void)f;
	if (!lapic_ticks)
		isr_in_handler = lapic_bit(LAPIC_ISR, VEC_LAPIC_TIMER);
	lapic_ticks++;
	lapic_write(LAPIC_EOI, 0);
}

static void on_pit(struct frame *f)
{
	(void)f;
	pit_ticks++;
	lapic_write(LAPIC_EOI, 0);
}

/* sti; hlt until *count reaches n; interrupts are off again after. */
static void wait_for(volatile unsigned *count, unsigned n)
{
	while (*count < n)
		sti_hlt();
	cli();
}

/* ------------------------------------------------------------ checks */
static void check_pic(void)
{
	uint8_t m = inb(PIC_MASTER_DATA), s = inb(PIC_SLAVE_DATA);

	check(m == 0xff && s == 0xff, "8259A: every IRQ masked",
	      "IMR %x %x", m, s);
}

static void check_lapic(void)
{
	uint32_t base = (uint32_t)rdmsr(MSR_IA32_APIC_BASE);

	check((base & ~0xfffu) == LAPIC && (base & APIC_BASE_ENABLE) &&
		      (base & APIC_BASE_BSP),
	      "IA32_APIC_BASE: 0xfee00000, enabled, BSP", "%x", base);
	rt_printf("LAPIC: id %u, version 0x%x\n", lapic_read(LAPIC_ID) >> 24,
		lapic_read(LAPIC_VERSION));
	lapic_write(LAPIC_SVR, SVR_ENABLE | VEC_SPURIOUS);
	check((lapic_read(LAPIC_SVR) & 0x1ff) == (SVR_ENABLE | VEC_SPURIOUS),
	      "LAPIC: SVR enabled, spurious vector 0xff", "SVR %x",
	      lapic_read(LAPIC_SVR));
	lapic_write(LAPIC_TPR, 0);

	set_handler(VEC_LAPIC_TIMER, on_lapic_timer);
	lapic_write(LAPIC_TIMER_DIVIDE, DIVIDE_BY_16);
	check((lapic_read(LAPIC_TIMER_DIVIDE) & 0xb) == DIVIDE_BY_16,
	      "LAPIC timer: divide configuration 16 reads back", "%x",
	      lapic_read(LAPIC_TIMER_DIVIDE));
	lapic_write(LAPIC_LVT_TIMER, VEC_LAPIC_TIMER);
	lapic_write(LAPIC_TIMER_INITIAL, TIMER_COUNT);
	wait_for(&lapic_ticks, 1);
	check(lapic_read(LAPIC_TIMER_CURRENT) == 0,
	      "LAPIC timer: one-shot interrupt, current count 0",
	      "current %u", lapic_read(LAPIC_TIMER_CURRENT));
	check(isr_in_handler && !lapic_bit(LAPIC_ISR, VEC_LAPIC_TIMER),
	      "LAPIC: ISR bit set in the handler, clear after EOI",
	      "in handler %d", isr_in_handler);

	lapic_ticks = 0;
	lapic_write(LAPIC_LVT_TIMER, VEC_LAPIC_TIMER | LVT_PERIODIC);
	lapic_write(LAPIC_TIMER_INITIAL, TIMER_COUNT);
	wait_for(&lapic_ticks, PERIODIC_TICKS);
	rt_printf("LAPIC timer: periodic, %u ticks from one arming\n",
		PERIODIC_TICKS);
	/* SDM vol. 3, 11.5.4: an initial count of 0 stops the timer */
	lapic_write(LAPIC_TIMER_INITIAL, 0);
	lapic_write(LAPIC_LVT_TIMER, VEC_LAPIC_TIMER | LVT_MASKED);
	check(lapic_read(LAPIC_TIMER_CURRENT) == 0,
	      "LAPIC timer: initial count 0 stops it, current count 0",
	      "current %u", lapic_read(LAPIC_TIMER_CURRENT));
	/* a tick that came after the last counted one is taken now */
	__asm__ volatile("sti; nop; cli" ::: "memory");

	/* TPR class 4 holds back vector 0x40 (class 4) in the IRR */
	lapic_ticks = 0;
	lapic_write(LAPIC_TPR, VEC_LAPIC_TIMER);
	lapic_write(LAPIC_LVT_TIMER, VEC_LAPIC_TIMER);
	lapic_write(LAPIC_TIMER_INITIAL, TIMER_COUNT);
	unsigned spins = 0;
	while (!lapic_bit(LAPIC_IRR, VEC_LAPIC_TIMER) && ++spins < SPIN_LIMIT)
		;
	sti();
	__asm__ volatile("nop; nop; nop; nop");
	cli();
	check(lapic_bit(LAPIC_IRR, VEC_LAPIC_TIMER) && lapic_ticks == 0,
	      "LAPIC: TPR 0x40 holds vector 0x40 pending in the IRR",
	      "IRR %d ticks %u", lapic_bit(LAPIC_IRR, VEC_LAPIC_TIMER),
	      lapic_ticks);
	lapic_write(LAPIC_TPR, 0);
	wait_for(&lapic_ticks, 1);
	check(!lapic_bit(LAPIC_IRR, VEC_LAPIC_TIMER),
	      "LAPIC: TPR 0 lets it in", "IRR still set");
}

static void check_ioapic(void)
{
	if (!ioapic_address) {
		check(false, "IOAPIC", "the MADT named none");
		return;
	}
	rt_printf("IOAPIC: version register 0x%x\n", ioapic_read(IOAPIC_VER));
	set_handler(VEC_IOAPIC_PIT, on_pit);
	/* fixed delivery, physical destination LAPIC 0, edge, active high */
	ioapic_write(IOAPIC_REDTBL(IOAPIC_PIN_PIT) + 1, 0);
	ioapic_write(IOAPIC_REDTBL(IOAPIC_PIN_PIT), VEC_IOAPIC_PIT);
	outb(PIT_CMD, 0 << 6 | PIT_RW_LOHI << 4 | PIT_MODE_RATE << 1);
	outb(PIT_CH0, PIT_DIVISOR & 0xff);
	outb(PIT_CH0, PIT_DIVISOR >> 8);
	wait_for(&pit_ticks, PIT_TICKS);
	ioapic_write(IOAPIC_REDTBL(IOAPIC_PIN_PIT), LVT_MASKED | VEC_IOAPIC_PIT);
	rt_printf("IOAPIC: pin 2 (ISA IRQ 0): %u PIT interrupts seen\n",
		PIT_TICKS);
}

static uint8_t cmos_read(uint8_t reg)
{
	outb(RTC_INDEX_PORT, reg);
	return inb(RTC_DATA_PORT);
}

/*
 * The count from 1 MiB (0x17/0x18) stops at 65535 KiB, as QEMU's does;
 * above 64 MiB only the count from 16 MiB (0x34/0x35) tells the RAM below
 * 4 GiB, which is what mem_upper counts too.
 */
static void check_cmos(const struct mb_info *mbi)
{
	uint32_t ext = cmos_read(CMOS_EXT_LOW) | cmos_read(CMOS_EXT_HIGH) << 8;
	uint32_t ext16 = cmos_read(CMOS_EXT16_LOW) |
			 cmos_read(CMOS_EXT16_HIGH) << 8;
	uint32_t ram_kib = 16 * 1024 + ext16 * 64;
	bool capped = ext == 0xffff;
	uint32_t upper = capped ? ram_kib - 1024 : ext;

	rt_printf("CMOS: %u KiB above 1 MiB, %u x 64 KiB above 16 MiB\n", ext,
		ext16);
	check(capped ? ram_kib > ext + 1024 : ext + 1024 == ram_kib,
	      "CMOS: both sizes say the same RAM", "%u and %u KiB",
	      ext + 1024, ram_kib);
	check(mbi->mem_upper <= upper && upper - mbi->mem_upper < 1024,
	      "CMOS: multiboot mem_upper is that RAM less under 1 MiB",
	      "mem_upper %u", mbi->mem_upper);
}

static void check_pm_timer(void)
{
	if (!acpi_pm_timer_port) {
		check(false, "ACPI PM timer", "the FADT named no port");
		return;
	}
	uint32_t first = inl(acpi_pm_timer_port) & PM_TIMER_MASK;
	unsigned spins = 0;
	while ((inl(acpi_pm_timer_port) & PM_TIMER_MASK) == first &&
	       ++spins < SPIN_LIMIT)
		;
	check(spins < SPIN_LIMIT, "ACPI PM timer: advances", "stuck at %x",
	      first);
}

/* Wait for BSY to clear; the status after. */
static uint8_t ata_wait(void)
{
	uint8_t st;
	unsigned spins = 0;

	while (((st = inb(IDE0_BASE + ATA_STATUS)) & ATA_SR_BSY) &&
	       ++spins < SPIN_LIMIT)
		;
	return st;
}

static bool ata_read_block(uint16_t buf[SECTOR_WORDS])
{
	uint8_t st = ata_wait();

	if ((st & (ATA_SR_ERR | ATA_SR_DRQ)) != ATA_SR_DRQ)
		return false;
	for (unsigned i = 0; i < SECTOR_WORDS; i++)
		buf[i] = inw(IDE0_BASE + ATA_DATA);
	return true;
}

static void check_ide(void)
{
	uint16_t id[SECTOR_WORDS], sector[SECTOR_WORDS];

	outb(IDE0_CTRL, ATA_CTL_NIEN);
	outb(IDE0_BASE + ATA_DEVICE, ATA_DEV_OBS);
	outb(IDE0_BASE + ATA_COMMAND, ATA_CMD_IDENTIFY);
	if (inb(IDE0_BASE + ATA_STATUS) == 0 || !ata_read_block(id)) {
		rt_printf("IDE primary master: no disk\n");
		return;
	}
	rt_printf("IDE primary master: ATA disk, %u sectors\n",
		id[60] | (uint32_t)id[61] << 16);
	outb(IDE0_BASE + ATA_COUNT, 1);
	outb(IDE0_BASE + ATA_LBA_LOW, 0);
	outb(IDE0_BASE + ATA_LBA_MID, 0);
	outb(IDE0_BASE + ATA_LBA_HIGH, 0);
	outb(IDE0_BASE + ATA_DEVICE, ATA_DEV_OBS | ATA_DEV_LBA);
	outb(IDE0_BASE + ATA_COMMAND, ATA_CMD_READ_SECTORS);
	bool ok = ata_read_block(sector);
	check(ok, "IDE: read sector 0", "status %x",
	      inb(IDE0_BASE + ATA_STATUS));
	if (!ok)
		return;
	rt_printf("sector 0 begins: \"");
	for (unsigned i = 0; i < 32; i++) {
		char c = (char)(sector[i / 2] >> (8 * (i % 2)));
		rt_putc(c >= ' ' && c < 127 ? c : '.');
	}
	rt_printf("\"\n");
}

static void check_8042(void)
{
	uint8_t st = inb(I8042_STATUS);

	check(!(st & (I8042_STR_OBF | I8042_STR_IBF)),
	      "8042: input and output buffers empty", "status %x", st);
	check(st & I8042_STR_SYS, "8042: system flag set (POST passed)",
	      "status %x", st);
	outb(I8042_COMMAND, I8042_CMD_CTL_TEST);
	unsigned spins = 0;
	while (!(inb(I8042_STATUS) & I8042_STR_OBF) && ++spins < SPIN_LIMIT)
		;
	uint8_t r = inb(I8042_DATA);
	check(r == I8042_CTL_TEST_OK, "8042: self test answers 0x55",
	      "answer %x", r);
}

void devices_section(const struct mb_info *mbi)
{
	section("5. devices");
	check_pic();
	check_lapic();
	check_ioapic();
	check_cmos(mbi);
	check_pm_timer();
	check_ide();
	check_8042();
}
