/*
 * guests/mb32/console.c - mb32's console on COM1, its printf, its checks
 * and its exit.
 *
 * Output goes to the 16550A at 0x3f8, polled (wait for LSR.THRE, write
 * THR), with "\n" sent alone so that the bytes compare exactly with a file.
 * kprintf knows %d %u %x %s %c %% with a field width and the 0 flag, and
 * %llx; 32-bit code has no 64-bit division without libgcc, so 64-bit
 * numbers are printed in hex only.
 */
#include "devices/ns16550a.h"
#include "guests/mb32/mb32.h"

#define PORT_ISA_DEBUG_EXIT 0xf4 /* QEMU: exit status (v << 1) | 1 */
#define UART_LCR_8N1 0x03
#define UART_MCR_DTR_RTS 0x03
#define UART_FCR_CLEAR 0x06

unsigned failures;

/* 115200 8N1, FIFOs on, no interrupts. */
void con_init(void)
{
	outb(COM1_BASE + UART_IER, 0);
	outb(COM1_BASE + UART_LCR, UART_LCR_DLAB);
	outb(COM1_BASE + UART_DLL, 1);
	outb(COM1_BASE + UART_DLM, 0);
	outb(COM1_BASE + UART_LCR, UART_LCR_8N1);
	outb(COM1_BASE + UART_FCR, UART_FCR_ENABLE | UART_FCR_CLEAR);
	outb(COM1_BASE + UART_MCR, UART_MCR_DTR_RTS);
}

void con_putc(char c)
{
	while (!(inb(COM1_BASE + UART_LSR) & UART_LSR_THRE))
		;
	outb(COM1_BASE + UART_THR, (uint8_t)c);
}

struct out {
	char *buf;
	size_t size, len;
};

static void out_char(struct out *o, char c)
{
	if (o->len + 1 < o->size)
		o->buf[o->len] = c;
	o->len++;
}

/* The digits of v in base (10 or 16), padded on the left to width. */
static void out_number(struct out *o, uint64_t v, unsigned base, bool neg,
		       int width, char pad)
{
	char tmp[24];
	int n = 0;

	do {
		unsigned d = base == 16 ? (unsigned)(v & 15)
					: (unsigned)((uint32_t)v % 10);
		tmp[n++] = (char)(d < 10 ? '0' + d : 'a' + d - 10);
		v = base == 16 ? v >> 4 : (uint32_t)v / 10;
	} while (v);
	if (neg && pad == '0')
		out_char(o, '-');
	for (int i = n + (neg ? 1 : 0); i < width; i++)
		out_char(o, pad);
	if (neg && pad != '0')
		out_char(o, '-');
	while (n)
		out_char(o, tmp[--n]);
}

int kvsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct out o = { buf, size, 0 };

	for (; *fmt; fmt++) {
		if (*fmt != '%') {
			out_char(&o, *fmt);
			continue;
		}
		fmt++;
		char pad = ' ';
		int width = 0, longs = 0;
		if (*fmt == '0')
			pad = '0', fmt++;
		while (*fmt >= '0' && *fmt <= '9')
			width = width * 10 + (*fmt++ - '0');
		while (*fmt == 'l')
			longs++, fmt++;
		switch (*fmt) {
		case 'd': {
			int v = va_arg(ap, int);
			uint32_t mag = v < 0 ? 0u - (uint32_t)v : (uint32_t)v;
			out_number(&o, mag, 10, v < 0, width, pad);
			break;
		}
		case 'u':
			out_number(&o, va_arg(ap, unsigned), 10, false, width,
				   pad);
			break;
		case 'x':
			out_number(&o, longs == 2 ? va_arg(ap, uint64_t)
						  : va_arg(ap, unsigned),
				   16, false, width, pad);
			break;
		case 's':
			for (const char *s = va_arg(ap, const char *); *s; s++)
				out_char(&o, *s);
			break;
		case 'c':
			out_char(&o, (char)va_arg(ap, int));
			break;
		default:
			out_char(&o, *fmt);
			break;
		}
	}
	if (size)
		buf[o.len < size ? o.len : size - 1] = 0;
	return (int)o.len;
}

int kprintf(const char *fmt, ...)
{
	char buf[256];
	va_list ap;

	va_start(ap, fmt);
	int n = kvsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	for (const char *s = buf; *s; s++)
		con_putc(*s);
	return n;
}

void section(const char *title)
{
	kprintf("== %s ==\n", title);
}

void check(bool ok, const char *name, const char *why_fmt, ...)
{
	char why[160];
	va_list ap;

	if (ok) {
		kprintf("%s: ok\n", name);
		return;
	}
	va_start(ap, why_fmt);
	kvsnprintf(why, sizeof why, why_fmt, ap);
	va_end(ap);
	kprintf("%s: FAIL (%s)\n", name, why);
	failures++;
}

void mb_exit(int code)
{
	outb(PORT_ISA_DEBUG_EXIT, (uint8_t)code);
	for (;;)
		__asm__ volatile("cli; hlt");
}

void *memset(void *d, int c, size_t n)
{
	unsigned char *p = d;
	while (n--)
		*p++ = (unsigned char)c;
	return d;
}

void *memcpy(void *d, const void *s, size_t n)
{
	unsigned char *p = d;
	const unsigned char *q = s;
	while (n--)
		*p++ = *q++;
	return d;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const unsigned char *p = a, *q = b;
	for (; n; n--, p++, q++)
		if (*p != *q)
			return *p - *q;
	return 0;
}

size_t strlen(const char *s)
{
	size_t n = 0;
	while (s[n])
		n++;
	return n;
}
