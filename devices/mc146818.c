/*
 * devices/mc146818.c - the MC146818 RTC and CMOS RAM (devices/mc146818.h),
 * as QEMU's `pc` machine answers it (hw/rtc/mc146818rtc.c).
 *
 * Time.  The clock is never stepped: the time registers are computed from
 * virtual time (core/clock.h) when they are read, in the format register B
 * asks for at that moment.  At reset the monitor gives the wall-clock time
 * (the host's, UTC, like QEMU's default -rtc base=utc; under --icount the
 * fixed RTC_ICOUNT_EPOCH, so that runs repeat).  Setting the time (with
 * SET, or by writing a time register while the clock runs) moves that
 * base; the fraction of a second is kept, so updates stay on the same
 * boundaries.  While SET is on, or the divider is not at 32.768 kHz, the
 * clock stands still: the time registers are plain bytes then.
 *
 * Events.  Updates happen at each whole second: UIP reads 1 during the
 * last RTC_UIP_HOLD_NS before one, UF is set in register C by each, and
 * with UIE an update-ended interrupt is IRQ 8, held until C is read.
 * NOT modelled: the periodic interrupt (PF, rate RS in A) and the alarm
 * (AF): register C never shows PF or AF and PIE/AIE raise nothing;
 * daylight saving (DSE) and the square wave (SQWE) are stored only.
 */
#include <string.h>
#include <time.h>

#include "core/guest_mem.h"
#include "devices/mc146818.h"

#define NS_PER_S 1000000000ULL

/* ------------------------------------------------------------ time */

static bool running(const struct mc146818 *rtc)
{
	return !(rtc->cmos[RTC_REG_B] & RTC_REG_B_SET) &&
	       (rtc->cmos[RTC_REG_A] & RTC_REG_A_DV) == RTC_REG_A_DV_32KHZ;
}

/* Whole seconds since 1970 (UTC) at virtual time now. */
static int64_t now_second(const struct mc146818 *rtc, uint64_t now)
{
	return rtc->base_s + (int64_t)((rtc->base_ns + now) / NS_PER_S);
}

/* Nanoseconds into the current second. */
static uint64_t now_fraction(const struct mc146818 *rtc, uint64_t now)
{
	return (rtc->base_ns + now) % NS_PER_S;
}

/* Make second t the current one at virtual time now, keeping the fraction. */
static void set_second(struct mc146818 *rtc, int64_t t, uint64_t now)
{
	rtc->base_s = t - (int64_t)((rtc->base_ns + now) / NS_PER_S);
	rtc->uf_second = t; /* setting the time is no update */
}

/* ------------------------------------------------------------ format */

static bool binary(const struct mc146818 *rtc)
{
	return rtc->cmos[RTC_REG_B] & RTC_REG_B_DM;
}

/* A value 0..99 in the register format. */
static uint8_t to_reg(const struct mc146818 *rtc, int v)
{
	if (v < 0)
		v = 0;
	v %= 100;
	return binary(rtc) ? (uint8_t)v : (uint8_t)((v / 10) << 4 | v % 10);
}

/* A register byte back to a number (BCD digits above 9 are taken as the
 * hardware would add them: a nibble's value times its weight). */
static int from_reg(const struct mc146818 *rtc, uint8_t b)
{
	return binary(rtc) ? b : (b >> 4) * 10 + (b & 0x0f);
}

static uint8_t hours_to_reg(const struct mc146818 *rtc, int h)
{
	if (rtc->cmos[RTC_REG_B] & RTC_REG_B_24H)
		return to_reg(rtc, h);
	uint8_t r = to_reg(rtc, h % 12 ? h % 12 : 12);
	return h >= 12 ? r | RTC_HOURS_PM : r;
}

static int hours_from_reg(const struct mc146818 *rtc, uint8_t b)
{
	if (rtc->cmos[RTC_REG_B] & RTC_REG_B_24H)
		return from_reg(rtc, b);
	int h = from_reg(rtc, b & (uint8_t)~RTC_HOURS_PM) % 12;
	return b & RTC_HOURS_PM ? h + 12 : h;
}

/* Write second t into the time registers, in the current format. */
static void fill_time(struct mc146818 *rtc, int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!gmtime_r(&tt, &tm))
		memset(&tm, 0, sizeof(tm));
	int year = tm.tm_year + 1900;
	rtc->cmos[RTC_SECONDS] = to_reg(rtc, tm.tm_sec);
	rtc->cmos[RTC_MINUTES] = to_reg(rtc, tm.tm_min);
	rtc->cmos[RTC_HOURS] = hours_to_reg(rtc, tm.tm_hour);
	rtc->cmos[RTC_DAY_OF_WEEK] = to_reg(rtc, tm.tm_wday + 1);
	rtc->cmos[RTC_DAY_OF_MONTH] = to_reg(rtc, tm.tm_mday);
	rtc->cmos[RTC_MONTH] = to_reg(rtc, tm.tm_mon + 1);
	rtc->cmos[RTC_YEAR] = to_reg(rtc, year % 100);
	/* QEMU keeps the century in BCD whatever DM says. */
	int c = year < 0 ? 0 : year / 100 % 100;
	rtc->cmos[RTC_CENTURY] = (uint8_t)((c / 10) << 4 | c % 10);
}

/* The second the time registers hold (the day of week is ignored, as the
 * date fixes it). */
static int64_t time_of_regs(const struct mc146818 *rtc)
{
	uint8_t c = rtc->cmos[RTC_CENTURY];
	struct tm tm = {
		.tm_sec = from_reg(rtc, rtc->cmos[RTC_SECONDS]),
		.tm_min = from_reg(rtc, rtc->cmos[RTC_MINUTES]),
		.tm_hour = hours_from_reg(rtc, rtc->cmos[RTC_HOURS]),
		.tm_mday = from_reg(rtc, rtc->cmos[RTC_DAY_OF_MONTH]),
		.tm_mon = from_reg(rtc, rtc->cmos[RTC_MONTH]) - 1,
		.tm_year = from_reg(rtc, rtc->cmos[RTC_YEAR]) +
			   ((c >> 4) * 10 + (c & 0x0f)) * 100 - 1900,
	};
	return (int64_t)timegm(&tm);
}

static bool is_time_reg(unsigned r)
{
	return (r <= RTC_YEAR && r != RTC_SECONDS_ALARM &&
		r != RTC_MINUTES_ALARM && r != RTC_HOURS_ALARM) ||
	       r == RTC_CENTURY;
}

/* ------------------------------------------------------------ registers */

void mc146818_init(struct mc146818 *rtc, int64_t wall_s, uint32_t wall_ns,
		   uint64_t now)
{
	memset(rtc, 0, sizeof(*rtc));
	rtc->cmos[RTC_REG_A] = RTC_REG_A_INIT;
	rtc->cmos[RTC_REG_B] = RTC_REG_B_INIT;
	rtc->cmos[RTC_REG_D] = RTC_REG_D_VRT;
	/* (base_ns + now) % 1 s is wall_ns, and whole seconds wall_s. */
	rtc->base_ns = (wall_ns % NS_PER_S + NS_PER_S - now % NS_PER_S) % NS_PER_S;
	rtc->base_s = wall_s - (int64_t)((rtc->base_ns + now) / NS_PER_S);
	rtc->uf_second = now_second(rtc, now);
	fill_time(rtc, rtc->uf_second);
}

/* Stop the clock: the time registers keep the time it had. */
static void stop(struct mc146818 *rtc, uint64_t now)
{
	fill_time(rtc, now_second(rtc, now));
}

/* Start it again from what the time registers hold. */
static void start(struct mc146818 *rtc, uint64_t now)
{
	set_second(rtc, time_of_regs(rtc), now);
}

/* Register C: the flags since the last read, which it clears. */
static uint8_t read_c(struct mc146818 *rtc, uint64_t now)
{
	uint8_t c = 0;

	if (running(rtc) && now_second(rtc, now) > rtc->uf_second) {
		c |= RTC_REG_C_UF;
		if (rtc->cmos[RTC_REG_B] & RTC_REG_B_UIE)
			c |= RTC_REG_C_IRQF;
	}
	rtc->uf_second = now_second(rtc, now);
	return c;
}

static uint8_t read_reg(struct mc146818 *rtc, unsigned r, uint64_t now)
{
	switch (r) {
	case RTC_REG_A: {
		uint8_t a = rtc->cmos[RTC_REG_A];
		if (running(rtc) &&
		    now_fraction(rtc, now) >= NS_PER_S - RTC_UIP_HOLD_NS)
			a |= RTC_REG_A_UIP;
		return a;
	}
	case RTC_REG_C:
		return read_c(rtc, now);
	case RTC_IBM_PS2_CENTURY_BYTE: /* QEMU answers it with the century */
		r = RTC_CENTURY;
		break;
	}
	if (is_time_reg(r) && running(rtc))
		fill_time(rtc, now_second(rtc, now));
	return rtc->cmos[r];
}

/* Register A or B changes; the clock stops or starts with SET and DV. */
static void write_control(struct mc146818 *rtc, unsigned r, uint8_t val,
			  uint64_t now)
{
	bool was = running(rtc);

	if (r == RTC_REG_A)
		val &= (uint8_t)~RTC_REG_A_UIP; /* read only */
	else if (val & RTC_REG_B_SET)
		val &= (uint8_t)~RTC_REG_B_UIE; /* QEMU: SET clears UIE */
	if (was)
		stop(rtc, now); /* registers in the old format */
	rtc->cmos[r] = val;
	if (was && running(rtc))
		return; /* still running: nothing to move */
	if (running(rtc))
		start(rtc, now);
}

static void write_reg(struct mc146818 *rtc, unsigned r, uint8_t val,
		      uint64_t now)
{
	switch (r) {
	case RTC_REG_A: case RTC_REG_B:
		write_control(rtc, r, val, now);
		return;
	case RTC_REG_C: case RTC_REG_D:
		return; /* read only */
	}
	if (!is_time_reg(r) || !running(rtc)) {
		rtc->cmos[r] = val; /* RAM, an alarm, or a stopped clock */
		return;
	}
	/* Setting one field of a running clock: the others stay. */
	fill_time(rtc, now_second(rtc, now));
	rtc->cmos[r] = val;
	start(rtc, now);
}

uint8_t mc146818_read(struct mc146818 *rtc, uint16_t port, uint64_t now)
{
	if (port == RTC_INDEX_PORT)
		return 0xff; /* the index cannot be read back (QEMU: 0xff) */
	return read_reg(rtc, rtc->index, now);
}

void mc146818_write(struct mc146818 *rtc, uint16_t port, uint8_t val,
		    uint64_t now)
{
	if (port == RTC_INDEX_PORT) {
		rtc->index = val & (RTC_NREGS - 1);
		rtc->nmi_masked = val & RTC_NMI_DISABLE;
		return;
	}
	write_reg(rtc, rtc->index, val, now);
}

bool mc146818_irq8(const struct mc146818 *rtc, uint64_t now)
{
	return (rtc->cmos[RTC_REG_B] & RTC_REG_B_UIE) && running(rtc) &&
	       now_second(rtc, now) > rtc->uf_second;
}

uint64_t mc146818_next_event(const struct mc146818 *rtc, uint64_t now)
{
	if (!(rtc->cmos[RTC_REG_B] & RTC_REG_B_UIE) || !running(rtc) ||
	    mc146818_irq8(rtc, now))
		return UINT64_MAX;
	return now + (NS_PER_S - now_fraction(rtc, now));
}

/* ------------------------------------------------------------ the PC's bytes */

#define KIB 1024ULL
#define MIB (1024 * KIB)

static void put16(struct mc146818 *rtc, unsigned r, uint64_t v)
{
	rtc->cmos[r] = (uint8_t)v;
	rtc->cmos[r + 1] = (uint8_t)(v >> 8);
}

void mc146818_pc_bios_bytes(struct mc146818 *rtc, uint64_t ram_bytes,
			    unsigned ncpus, uint64_t now)
{
	/* RAM as QEMU's pc lays it out (core/guest_mem.h): with 3.5 GiB or
	 * more, 3 GiB below the PCI hole and the rest from 4 GiB up. */
	uint64_t below = gm_low_size(ram_bytes);
	uint64_t above = ram_bytes - below, v;

	/* 0x15/0x16: base memory in KiB, up to 640. */
	v = below / KIB < 640 ? below / KIB : 640;
	put16(rtc, 0x15, v);
	/* 0x17/0x18 and 0x30/0x31: extended memory (from 1 MiB) in KiB,
	 * at most 65535. */
	v = below > MIB ? (below - MIB) / KIB : 0;
	v = v > 65535 ? 65535 : v;
	put16(rtc, 0x17, v);
	put16(rtc, 0x30, v);
	/* 0x34/0x35: memory from 16 MiB to 4 GiB in 64 KiB blocks. */
	v = below > 16 * MIB ? (below - 16 * MIB) / (64 * KIB) : 0;
	v = v > 65535 ? 65535 : v;
	put16(rtc, 0x34, v);
	/* 0x5b-0x5d: memory above 4 GiB in 64 KiB blocks. */
	v = above / (64 * KIB);
	put16(rtc, 0x5b, v);
	rtc->cmos[0x5d] = (uint8_t)(v >> 16);
	/* 0x5f: CPUs less one. */
	rtc->cmos[0x5f] = (uint8_t)(ncpus - 1);
	/* The century, as the time registers hold it. */
	fill_time(rtc, now_second(rtc, now));
}
