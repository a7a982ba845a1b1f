/*
 * tests/diff32/harness.c - the guest that runs the generated sequences.
 *
 * For each sequence (seqs.S, written by gen.c): fill the buffer, the
 * sequence's stack and the two sides of the 64 KiB wrap (layout.h) with
 * bytes from a PRNG seeded per sequence, call it
 * (it loads its own registers and flags, runs, and stores the eight
 * registers and EFLAGS in diff32_state), then print one line to COM1:
 *
 *   N eax=... ecx=... edx=... ebx=... esp=... ebp=... esi=... edi=... fl=F/M mem=C
 *
 * F is EFLAGS & M, M the status flags and DF less those the SDM leaves
 * undefined at the end of that sequence; C a checksum of all that memory.  The line is the same on any correct x86: the runner
 * (run.sh) compares QEMU's lines with trapvisor's.  A line that ends in
 * generator-expected-esp=... shows a bug of the generator, which follows
 * ESP through the sequence.  At the end the guest writes 0 to
 * isa-debug-exit (port 0xf4).
 */
#include <stdint.h>

#include "tests/diff32/layout.h"

/* the status flags and DF (EFLAGS bits 0, 2, 4, 6, 7, 10, 11) */
#define FLAGS_COMPARED 0xcd5u

#define COM1 0x3f8
#define LSR_THRE 0x20 /* 16550 line status: transmit holding register empty */
#define DEBUG_EXIT 0xf4

struct seq {
	void (*run)(void);
	const uint32_t *undef; /* the status flags undefined at its end */
	const uint32_t *fill;  /* the seed of the memory's contents */
	const uint32_t *esp;   /* ESP at its end, as the generator counted */
};

extern const struct seq diff32_seqs[];
extern const uint32_t diff32_seed, diff32_count;

/* written by each sequence's epilogue: EAX ECX EDX EBX ESP EBP ESI EDI EFLAGS */
uint32_t diff32_state[9];
/* the harness's ESP while a sequence runs on its own stack */
uint32_t diff32_harness_esp;

void diff32_main(void);

static inline void outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
	uint8_t v;

	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static void putc_serial(char c)
{
	while (!(inb(COM1 + 5) & LSR_THRE))
		;
	outb(COM1, (uint8_t)c);
}

static void puts_serial(const char *s)
{
	while (*s)
		putc_serial(*s++);
}

static void put_hex(uint32_t v, int digits)
{
	while (digits--)
		putc_serial("0123456789abcdef"[(v >> (4 * digits)) & 0xf]);
}

static void put_dec(uint32_t v)
{
	char buf[12];
	int i = 0;

	do
		buf[i++] = (char)('0' + v % 10);
	while (v /= 10);
	while (i--)
		putc_serial(buf[i]);
}

/* xorshift32 (Marsaglia 2003): the buffer's contents, from a known seed. */
static uint32_t xorshift32(uint32_t x)
{
	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return x;
}

/* The memory the sequences may write: the buffer and the stack page (one
 * range), and both sides of the 64 KiB wrap. */
static const struct { uint32_t base, size; } regions[] = {
	{ DATA, DATA_SIZE + STK_SIZE },
	{ WRAP_LOW, WRAP_LOW_SIZE },
	{ WRAP_HIGH, WRAP_HIGH_SIZE },
};
#define NREGIONS (sizeof(regions) / sizeof(regions[0]))

/* A pointer to guest-physical address a, 0 included: the empty asm hides
 * the value, so the compiler cannot take it for a null pointer. */
static volatile uint32_t *at(uint32_t a)
{
	__asm__("" : "+r"(a));
	return (volatile uint32_t *)a;
}

static void fill(uint32_t seed)
{
	for (uint32_t r = 0; r < NREGIONS; r++) {
		volatile uint32_t *p = at(regions[r].base);

		for (uint32_t i = 0; i < regions[r].size / 4; i++)
			p[i] = seed = xorshift32(seed);
	}
}

/* FNV-1a over 32-bit words, with a rotation so that order matters. */
static uint32_t checksum(void)
{
	uint32_t h = 2166136261u;

	for (uint32_t r = 0; r < NREGIONS; r++) {
		volatile const uint32_t *p = at(regions[r].base);

		for (uint32_t i = 0; i < regions[r].size / 4; i++) {
			h = (h ^ p[i]) * 16777619u;
			h = h << 7 | h >> 25;
		}
	}
	return h;
}

static void report(uint32_t n, uint32_t undef, uint32_t esp)
{
	static const char *const names[] = { "eax", "ecx", "edx", "ebx",
					     "esp", "ebp", "esi", "edi" };
	uint32_t mask = FLAGS_COMPARED & ~undef;

	put_dec(n);
	for (int r = 0; r < 8; r++) {
		putc_serial(' ');
		puts_serial(names[r]);
		putc_serial('=');
		put_hex(diff32_state[r], 8);
	}
	puts_serial(" fl=");
	put_hex(diff32_state[8] & mask, 3);
	putc_serial('/');
	put_hex(mask, 3);
	puts_serial(" mem=");
	put_hex(checksum(), 8);
	if (diff32_state[4] != esp) { /* the generator lost track of ESP */
		puts_serial(" generator-expected-esp=");
		put_hex(esp, 8);
	}
	putc_serial('\n');
}

void diff32_main(void)
{
	puts_serial("diff32: seed ");
	put_dec(diff32_seed);
	puts_serial(", ");
	put_dec(diff32_count);
	puts_serial(" sequences\n");
	for (uint32_t n = 0; n < diff32_count; n++) {
		const struct seq *s = &diff32_seqs[n];

		fill(*s->fill);
		s->run();
		report(n, *s->undef, *s->esp);
	}
	puts_serial("diff32: done\n");
	outb(DEBUG_EXIT, 0);
}
