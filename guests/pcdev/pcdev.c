/*
 * guests/pcdev/pcdev.c - the PC's chipset as a kernel finds it: the RTC
 * and CMOS, fw_cfg, PCI configuration space, the 8042, and the reset line.
 *
 * Every line it prints is either a value that is the same on every run of
 * the same machine (memory sizes for -m 64 or -m 5G, IDs, the boot
 * arguments) or a
 * check of a value that is not (the time: its format and that it moves),
 * so that the output is byte for byte the same on QEMU (-m 64 -no-reboot)
 * and on trapvisor.  It ends by pulsing the CPU's reset line through the
 * 8042, which ends the machine with status 0 on both.
 */
#include "cpu.h"
#include "devices/fw_cfg.h"
#include "devices/devices.h"
#include "devices/i8042.h"
#include "devices/i8254.h"
#include "devices/i8259.h"
#include "devices/mc146818.h"
#include "devices/pci.h"
#include "rt.h"

static int failed;

static void check(bool ok, const char *what)
{
	rt_printf("%s %s\n", ok ? "PASS" : "FAIL", what);
	failed += !ok;
}

/* ------------------------------------------------------------ time bound */

/*
 * The waits below (for the RTC to update, for a byte from the 8042) are
 * bounded by a clock that does not depend on the device waited for: the
 * PIT's IRQ 0 at HZ.  The guest sleeps in hlt between two looks, so that
 * virtual time passes as it does for an idle kernel on every engine (the
 * native engine does not count the cost of its traps as guest time, so a
 * loop of port reads alone would take very long to see a second pass).
 */
#define VEC_MASTER 0x20 /* IRQ 0-7 -> vectors 0x20-0x27 */
#define VEC_SLAVE 0x28
#define HZ 100

static volatile unsigned ticks;
static volatile unsigned rtc_irqs; /* IRQ 8s taken */
static volatile uint8_t rtc_c;     /* register C as the IRQ 8 handler read it */

static void on_timer(struct rt_frame *f)
{
	(void)f;
	ticks++;
	outb(PIC_MASTER_CMD, OCW2_EOI);
}

static uint8_t cmos_read(uint8_t reg);

/* IRQ 8: read C, which acknowledges the RTC, and end it at both PICs. */
static void on_rtc(struct rt_frame *f)
{
	(void)f;
	rtc_c = cmos_read(RTC_REG_C);
	rtc_irqs++;
	outb(PIC_SLAVE_CMD, OCW2_EOI);
	outb(PIC_MASTER_CMD, OCW2_EOI);
}

/* PICs moved off the exceptions, IRQ 0 and IRQ 8 (through the cascade)
 * open; PIT channel 0 at HZ. */
static void timer_start(void)
{
	uint16_t count = (uint16_t)(PIT_HZ / HZ);

	rt_set_gate(VEC_MASTER, VEC_MASTER, 0);
	rt_set_handler(VEC_MASTER, on_timer);
	rt_set_gate(VEC_SLAVE, VEC_SLAVE, 0);
	rt_set_handler(VEC_SLAVE, on_rtc);
	rt_pic_init(VEC_MASTER, VEC_SLAVE,
		    (uint8_t)~(1 << 0 | 1 << PIC_CASCADE_IRQ),
		    (uint8_t)~(1 << (IRQ_RTC - 8)));
	outb(PIT_CMD, PIT_RW_LOHI << 4 | PIT_MODE_RATE << 1);
	outb(PIT_CH0, (uint8_t)count);
	outb(PIT_CH0, (uint8_t)(count >> 8));
}

/* Sleep until the next timer tick. */
static void sleep_tick(void)
{
	__asm__ volatile("sti; hlt; cli" ::: "memory");
}

/* ------------------------------------------------------------ RTC, CMOS */

static uint8_t cmos_read(uint8_t reg)
{
	outb(RTC_INDEX_PORT, RTC_NMI_DISABLE | reg);
	return inb(RTC_DATA_PORT);
}

static void cmos_write(uint8_t reg, uint8_t v)
{
	outb(RTC_INDEX_PORT, RTC_NMI_DISABLE | reg);
	outb(RTC_DATA_PORT, v);
}

struct rtc_time {
	uint8_t sec, min, hour, mday, mon, year, century;
};

/* The time as the registers give it, read the way the datasheet asks:
 * not while UIP is set, and twice alike.  false if that does not happen
 * within half a second (UIP lasts 2.2 ms at most). */
static bool rtc_read_time(struct rtc_time *t)
{
	struct rtc_time a, b;

	for (unsigned end = ticks + HZ / 2; ticks < end;) {
		if (cmos_read(RTC_REG_A) & RTC_REG_A_UIP) {
			sleep_tick();
			continue;
		}
		a = (struct rtc_time){ cmos_read(RTC_SECONDS),
			cmos_read(RTC_MINUTES), cmos_read(RTC_HOURS),
			cmos_read(RTC_DAY_OF_MONTH), cmos_read(RTC_MONTH),
			cmos_read(RTC_YEAR), cmos_read(RTC_CENTURY) };
		b = (struct rtc_time){ cmos_read(RTC_SECONDS),
			cmos_read(RTC_MINUTES), cmos_read(RTC_HOURS),
			cmos_read(RTC_DAY_OF_MONTH), cmos_read(RTC_MONTH),
			cmos_read(RTC_YEAR), cmos_read(RTC_CENTURY) };
		if (memcmp(&a, &b, sizeof(a)) == 0) {
			*t = a;
			return true;
		}
	}
	return false;
}

/* A BCD byte with both digits 0..9 and a value in [lo, hi]. */
static bool bcd_ok(uint8_t b, unsigned lo, unsigned hi)
{
	unsigned v = (b >> 4) * 10 + (b & 15);
	return (b >> 4) <= 9 && (b & 15) <= 9 && v >= lo && v <= hi;
}

static unsigned from_bcd(uint8_t b)
{
	return (b >> 4) * 10 + (b & 15);
}

/* Wait for the seconds to change (at most 2.5 s by the PIT); returns the
 * new time, or false. */
static bool rtc_wait_update(const struct rtc_time *t0, struct rtc_time *t1)
{
	for (unsigned end = ticks + HZ * 5 / 2; ticks < end; sleep_tick()) {
		if (!rtc_read_time(t1))
			return false;
		if (t1->sec != t0->sec)
			return true;
	}
	return false;
}

static void test_rtc(void)
{
	struct rtc_time t0, t1;

	rt_printf("rtc: register A 0x%x, B 0x%x, D 0x%x\n",
		  cmos_read(RTC_REG_A) & ~RTC_REG_A_UIP, cmos_read(RTC_REG_B),
		  cmos_read(RTC_REG_D));
	if (!rtc_read_time(&t0)) {
		check(false, "rtc: UIP clears");
		return;
	}
	check(bcd_ok(t0.sec, 0, 59) && bcd_ok(t0.min, 0, 59) &&
	      bcd_ok(t0.hour, 0, 23) && bcd_ok(t0.mday, 1, 31) &&
	      bcd_ok(t0.mon, 1, 12) && bcd_ok(t0.year, 0, 99),
	      "rtc: time and date are valid BCD, 24-hour");
	rt_printf("rtc: century 0x%x\n", t0.century);
	/* An alarm hour that never matches, so that AF never shows in C. */
	cmos_write(RTC_HOURS_ALARM, 0x25);
	(void)cmos_read(RTC_REG_C); /* clear what is pending */
	/* Two updates: the first ends a partial second, the second must
	 * come one second after it. */
	bool ok = rtc_wait_update(&t0, &t1);
	t0 = t1;
	ok = ok && rtc_wait_update(&t0, &t1);
	check(ok && from_bcd(t1.sec) == (from_bcd(t0.sec) + 1) % 60,
	      "rtc: the seconds advance by one at each update");
	uint8_t c1 = cmos_read(RTC_REG_C), c2 = cmos_read(RTC_REG_C);
	rt_printf("rtc: register C after updates 0x%x, read again 0x%x\n",
		  c1, c2);

	/* Just after an update: a whole second to look at other formats. */
	cmos_write(RTC_REG_B, RTC_REG_B_DM | RTC_REG_B_24H);
	uint8_t bin_sec = cmos_read(RTC_SECONDS), bin_hour = cmos_read(RTC_HOURS);
	cmos_write(RTC_REG_B, 0); /* BCD, 12-hour */
	uint8_t h12 = cmos_read(RTC_HOURS);
	cmos_write(RTC_REG_B, RTC_REG_B_24H);
	uint8_t sec = cmos_read(RTC_SECONDS), hour = cmos_read(RTC_HOURS);
	check(bin_sec == from_bcd(sec) && bin_hour == from_bcd(hour),
	      "rtc: binary mode reads the same time");
	unsigned h = from_bcd(hour), want = h % 12 ? h % 12 : 12;
	check(from_bcd(h12 & 0x7f) == want && !!(h12 & RTC_HOURS_PM) == (h >= 12),
	      "rtc: 12-hour mode reads the same hour");

	/* The update-ended interrupt: IRQ 8 within a second and a half. */
	cmos_write(RTC_REG_B, RTC_REG_B_24H | RTC_REG_B_UIE);
	for (unsigned end = ticks + HZ * 3 / 2; !rtc_irqs && ticks < end;)
		sleep_tick();
	cmos_write(RTC_REG_B, RTC_REG_B_24H);
	rt_printf("rtc: update-ended interrupt on IRQ 8: %s, register C 0x%x\n",
		  rtc_irqs ? "yes" : "no", rtc_c);
}

static unsigned cmos16(uint8_t reg)
{
	return cmos_read(reg) | (unsigned)cmos_read(reg + 1) << 8;
}

static void test_cmos(void)
{
	rt_printf("cmos: base memory %u KiB\n", cmos16(0x15));
	rt_printf("cmos: extended memory %u KiB (0x17), %u KiB (0x30)\n",
		  cmos16(0x17), cmos16(0x30));
	rt_printf("cmos: memory above 16 MiB %u x 64 KiB\n", cmos16(0x34));
	rt_printf("cmos: memory above 4 GiB %u x 64 KiB\n",
		  cmos16(0x5b) | (unsigned)cmos_read(0x5d) << 16);
	cmos_write(0x70, 0x5a);
	cmos_write(0x71, 0xa5);
	rt_printf("cmos: nvram 0x70, 0x71 read back 0x%x 0x%x\n",
		  cmos_read(0x70), cmos_read(0x71));
}

/* ------------------------------------------------------------ memory map */

/*
 * The PC's memory map as a kernel finds it.  The BIOS area 0xe0000-0xfffff
 * is ROM: a store there goes nowhere (its bytes differ between QEMU's
 * SeaBIOS and trapvisor's tables, so only that they do not change is
 * printed).  The VGA text buffer is memory.  With 3.5 GiB of RAM or more,
 * the part the CMOS counts above 4 GiB is RAM at 4 GiB and up: its first
 * and last pages are mapped, written and read back.  Stores are plain
 * movs, which every engine carries out on ROM (native emulates no other
 * instruction there: engines/native/README.md).
 */
#define BIOS_AREA 0xe0000ULL
#define BIOS_AREA_END 0x100000ULL
#define VGA_TEXT_SPARE 0xb8fa0ULL   /* just past an 80x25 screen */
#define HIGH_RAM 0x100000000ULL

static bool rom_write_dropped(uint64_t pa)
{
	volatile uint8_t *b = (volatile uint8_t *)(uintptr_t)pa;
	volatile uint32_t *w = (volatile uint32_t *)(uintptr_t)(pa + 4);
	uint8_t before = *b;
	uint32_t wbefore = *w;

	*b = (uint8_t)~before;
	*w = ~wbefore;
	return *b == before && *w == wbefore;
}

/* The RSDP, found as a kernel finds it: on a 16-byte boundary. */
static volatile char *find_rsdp(void)
{
	for (uint64_t pa = BIOS_AREA; pa < BIOS_AREA_END; pa += 16)
		if (memcmp((const void *)(uintptr_t)pa, "RSD PTR ", 8) == 0)
			return (volatile char *)(uintptr_t)pa;
	return NULL;
}

static bool high_page_works(uint64_t pa)
{
	volatile uint64_t *q = (volatile uint64_t *)(uintptr_t)pa;

	rt_map_page(pa, pa, PTE_P | PTE_W);
	q[0] = 0x0123456789abcdefULL ^ pa;
	q[511] = ~pa;
	return q[0] == (0x0123456789abcdefULL ^ pa) && q[511] == ~pa;
}

static void test_memory(void)
{
	volatile uint16_t *vga = (volatile uint16_t *)(uintptr_t)VGA_TEXT_SPARE;
	volatile char *rsdp = find_rsdp();
	uint64_t above = (cmos16(0x5b) | (uint64_t)cmos_read(0x5d) << 16) << 16;

	check(rom_write_dropped(BIOS_AREA), "bios area: a store at 0xe0000 "
	      "does not stick");
	check(rom_write_dropped(0xffff0), "bios area: a store at 0xffff0 "
	      "does not stick");
	check(rsdp != NULL, "bios area: the RSDP is there");
	if (rsdp) {
		rsdp[0] = 'X';
		check(rsdp[0] == 'R', "bios area: the RSDP survives a store");
	}
	vga[0] = 0x1f41;
	check(vga[0] == 0x1f41, "vga: the text buffer keeps what is stored");
	if (!above) {
		rt_printf("memory above 4 GiB: none\n");
		return;
	}
	rt_printf("memory above 4 GiB: %u MiB\n", (unsigned)(above >> 20));
	check(high_page_works(HIGH_RAM), "memory above 4 GiB: its first "
	      "page keeps what is stored");
	check(high_page_works(HIGH_RAM + above - 4096), "memory above 4 GiB: "
	      "its last page keeps what is stored");
}

/* ------------------------------------------------------------ fw_cfg */

static void fw_cfg_select(uint16_t key)
{
	outw(FW_CFG_PORT_SEL, key);
}

static uint64_t fw_cfg_le(uint16_t key, unsigned n)
{
	uint64_t v = 0;

	fw_cfg_select(key);
	for (unsigned i = 0; i < n; i++)
		v |= (uint64_t)inb(FW_CFG_PORT_DATA) << (8 * i);
	return v;
}

static void test_fw_cfg(const char *args)
{
	char sig[5] = { 0 }, cl[128];

	fw_cfg_select(FW_CFG_SIGNATURE);
	for (int i = 0; i < 4; i++)
		sig[i] = (char)inb(FW_CFG_PORT_DATA);
	rt_printf("fw_cfg: signature \"%s\"\n", sig);
	/* Bit 0 only: QEMU adds DMA (bit 1), which trapvisor has not. */
	rt_printf("fw_cfg: id bit 0 (traditional interface) %u\n",
		  (unsigned)(fw_cfg_le(FW_CFG_ID, 4) & 1));
	rt_printf("fw_cfg: ram size %llu bytes\n",
		  (unsigned long long)fw_cfg_le(FW_CFG_RAM_SIZE, 8));
	rt_printf("fw_cfg: %u cpu(s)\n", (unsigned)fw_cfg_le(FW_CFG_NB_CPUS, 2));
	unsigned n = (unsigned)fw_cfg_le(FW_CFG_CMDLINE_SIZE, 4);
	fw_cfg_select(FW_CFG_CMDLINE_DATA);
	for (unsigned i = 0; i < sizeof(cl); i++)
		cl[i] = (char)(i < n ? inb(FW_CFG_PORT_DATA) : 0);
	cl[sizeof(cl) - 1] = 0;
	rt_printf("fw_cfg: command line \"%s\", %u bytes with its NUL\n", cl, n);
	check(strcmp(cl, args) == 0, "fw_cfg: the command line is the boot's");
	rt_printf("fw_cfg: unknown item 0x7fff reads %llu\n",
		  (unsigned long long)fw_cfg_le(0x7fff, 4));
}

/* ------------------------------------------------------------ PCI */

static uint32_t pci_read(unsigned bus, unsigned dev, unsigned fn, unsigned reg)
{
	outl(PCI_CONFIG_ADDRESS, PCI_ADDR(bus, dev, fn, reg));
	return inl(PCI_CONFIG_DATA);
}

static void test_pci(void)
{
	uint32_t id = pci_read(0, 0, 0, PCI_VENDOR_ID);
	uint32_t class = pci_read(0, 0, 0, PCI_REVISION_ID);
	uint32_t hdr = pci_read(0, 0, 0, PCI_CACHE_LINE_SIZE);

	rt_printf("pci: 00:00.0 vendor 0x%x device 0x%x class 0x%x rev 0x%x "
		  "header type 0x%x\n", id & 0xffff, id >> 16, class >> 16,
		  class & 0xff, (hdr >> 16) & 0xff);
	outl(PCI_CONFIG_ADDRESS, PCI_ADDR(0, 0, 0, PCI_VENDOR_ID));
	rt_printf("pci: 00:00.0 device ID by word 0x%x, by byte 0x%x\n",
		  inw(PCI_CONFIG_DATA + 2), inb(PCI_CONFIG_DATA + 3));
	rt_printf("pci: 00:1f.0 reads 0x%x (nothing there)\n",
		  pci_read(0, 31, 0, PCI_VENDOR_ID));
	outl(PCI_CONFIG_ADDRESS, PCI_ADDR(0, 0, 0, 0) & ~PCI_CONFIG_ENABLE);
	rt_printf("pci: with the enable bit clear, data reads 0x%x\n",
		  inl(PCI_CONFIG_DATA));
	outl(PCI_CONFIG_ADDRESS, 0);
}

/* ------------------------------------------------------------ 8042 */

/* The next byte from the 8042, or -1 if none comes within 3 ticks. */
static int kbc_byte(void)
{
	for (unsigned end = ticks + 3; ticks < end; sleep_tick())
		if (inb(I8042_STATUS) & I8042_STR_OBF)
			return inb(I8042_DATA);
	return -1;
}

/* Empty the output buffer of whatever firmware left there. */
static void kbc_drain(void)
{
	for (unsigned i = 0; i < 64 && (inb(I8042_STATUS) & I8042_STR_OBF); i++)
		(void)inb(I8042_DATA);
}

static void test_i8042(void)
{
	kbc_drain();
	outb(I8042_COMMAND, I8042_CMD_CTL_TEST);
	rt_printf("i8042: self test 0x%x\n", kbc_byte());
	outb(I8042_COMMAND, I8042_CMD_KBD_TEST);
	rt_printf("i8042: keyboard interface test 0x%x\n", kbc_byte());
	/* Translation on, interrupts off: the guest polls. */
	outb(I8042_COMMAND, I8042_CMD_CTL_WCTR);
	outb(I8042_DATA, I8042_CTR_XLATE | I8042_CTR_SYS);
	outb(I8042_COMMAND, I8042_CMD_CTL_RCTR);
	rt_printf("i8042: command byte written 0x44, read 0x%x\n", kbc_byte());
	outb(I8042_DATA, KBD_CMD_RESET);
	int a = kbc_byte(), b = kbc_byte();
	rt_printf("i8042: keyboard reset 0x%x 0x%x\n", a, b);
	outb(I8042_DATA, KBD_CMD_GET_ID);
	a = kbc_byte(), b = kbc_byte();
	rt_printf("i8042: keyboard identify 0x%x 0x%x 0x%x\n", a, b, kbc_byte());
	outb(I8042_DATA, KBD_CMD_SET_LEDS);
	a = kbc_byte();
	outb(I8042_DATA, 0x00);
	rt_printf("i8042: set LEDs 0x%x 0x%x\n", a, kbc_byte());
	outb(I8042_DATA, KBD_CMD_ENABLE);
	rt_printf("i8042: enable 0x%x\n", kbc_byte());
	rt_printf("i8042: nothing more: %d\n", kbc_byte());
}

int main(const char *args)
{
	rt_printf("pcdev: the PC's devices as a kernel finds them\n");
	timer_start();
	test_rtc();
	test_cmos();
	test_memory();
	test_fw_cfg(args);
	test_pci();
	test_i8042();
	if (failed) {
		rt_printf("pcdev: %d check(s) failed\n", failed);
		return 1;
	}
	rt_printf("pcdev: resetting through the 8042\n");
	outb(I8042_COMMAND, 0xfe); /* pulse the reset line */
	/* The machine should be gone; wait a second to be sure it is not. */
	for (unsigned end = ticks + HZ; ticks < end;)
		sleep_tick();
	rt_printf("FAIL the reset pulse did not end the machine\n");
	return 1;
}
