/*
 * guests/runtime/printf.c - formatted output for guests.
 *
 * One formatter, rt_vsnprintf, writes into a buffer; rt_printf formats into
 * a stack buffer and sends it to the UART.  Conversions: %d %i %u %x %p %s
 * %c %%, with the l and ll length modifiers, a field width and the 0 flag:
 * what a kernel's diagnostics need, nothing more.
 */
#include "rt.h"

#define RT_PRINTF_BUF 512

/* An output buffer that counts what it could not hold. */
struct out {
	char *buf;
	size_t size; /* room, including the final NUL */
	size_t len;  /* bytes produced so far */
};

static void out_char(struct out *o, char c)
{
	if (o->len + 1 < o->size)
		o->buf[o->len] = c;
	o->len++;
}

/* Emit s padded on the left to width with pad. */
static void out_padded(struct out *o, const char *s, size_t n, int width,
		       char pad)
{
	for (int i = (int)n; i < width; i++)
		out_char(o, pad);
	while (n--)
		out_char(o, *s++);
}

/*
 * v / base into v, the remainder returned; base is at most 16.  Long
 * division by 16-bit digits, so that only 32-bit divisions are needed: the
 * i386 build has no 64-bit divide instruction, and guests link no libgcc
 * that would provide one.  Each partial dividend (r << 16 | digit) is
 * below base << 16, so each quotient digit fits in 16 bits.
 */
static unsigned divmod(uint64_t *v, unsigned base)
{
	uint32_t r = 0;
	uint64_t q = 0;

	for (int shift = 48; shift >= 0; shift -= 16) {
		uint32_t part = (r << 16) | ((uint32_t)(*v >> shift) & 0xffff);

		q |= (uint64_t)(part / base) << shift;
		r = part % base;
	}
	*v = q;
	return r;
}

/*
 * Emit an integer in base 10 or 16.  A minus sign goes before zero padding
 * ("-0042"), after space padding ("  -42"), as C's printf does.
 */
static void out_number(struct out *o, uint64_t v, bool negative,
		       unsigned base, int width, char pad)
{
	char digits[24];
	size_t n = 0;

	do {
		unsigned d = divmod(&v, base);

		digits[sizeof(digits) - 1 - n++] = "0123456789abcdef"[d];
	} while (v);
	if (negative && pad == '0') {
		out_char(o, '-');
		width--;
	} else if (negative) {
		digits[sizeof(digits) - 1 - n++] = '-';
	}
	out_padded(o, digits + sizeof(digits) - n, n, width, pad);
}

/* Fetch the next integer argument of the given length (0, 1 = l, 2 = ll). */
static uint64_t arg_unsigned(va_list *ap, int lmod)
{
	if (lmod == 2)
		return va_arg(*ap, unsigned long long);
	if (lmod == 1)
		return va_arg(*ap, unsigned long);
	return va_arg(*ap, unsigned int);
}

static int64_t arg_signed(va_list *ap, int lmod)
{
	if (lmod == 2)
		return va_arg(*ap, long long);
	if (lmod == 1)
		return va_arg(*ap, long);
	return va_arg(*ap, int);
}

/* Format one conversion spec (after '%' and its flags); ap advances. */
static void out_conversion(struct out *o, char conv, int lmod, int width,
			   char pad, va_list *ap)
{
	const char *s;
	int64_t sv;
	char c;

	switch (conv) {
	case 'd':
	case 'i':
		sv = arg_signed(ap, lmod);
		out_number(o, sv < 0 ? -(uint64_t)sv : (uint64_t)sv, sv < 0,
			   10, width, pad);
		break;
	case 'u':
		out_number(o, arg_unsigned(ap, lmod), false, 10, width, pad);
		break;
	case 'x':
		out_number(o, arg_unsigned(ap, lmod), false, 16, width, pad);
		break;
	case 'p':
		out_char(o, '0');
		out_char(o, 'x');
		out_number(o, (uintptr_t)va_arg(*ap, void *), false, 16,
			   width, pad);
		break;
	case 's':
		s = va_arg(*ap, const char *);
		s = s ? s : "(null)";
		out_padded(o, s, strlen(s), width, ' ');
		break;
	case 'c':
		c = (char)va_arg(*ap, int);
		out_padded(o, &c, 1, width, ' ');
		break;
	default: /* "%%" and anything unknown print themselves */
		out_char(o, conv);
		break;
	}
}

/* vsnprintf: the formatter behind rt_printf and rt_snprintf. */
int rt_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct out o = { buf, size, 0 };
	va_list args;

	va_copy(args, ap);
	while (*fmt) {
		if (*fmt != '%') {
			out_char(&o, *fmt++);
			continue;
		}
		fmt++;
		char pad = ' ';
		int width = 0, lmod = 0;

		if (*fmt == '0')
			pad = '0', fmt++;
		while (*fmt >= '0' && *fmt <= '9')
			width = width * 10 + (*fmt++ - '0');
		while (*fmt == 'l' && lmod < 2)
			lmod++, fmt++;
		if (!*fmt)
			break;
		out_conversion(&o, *fmt++, lmod, width, pad, &args);
	}
	va_end(args);
	if (size)
		buf[o.len < size ? o.len : size - 1] = '\0';
	return (int)o.len;
}

/* snprintf into buf. */
int rt_snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = rt_vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}

/* printf to the console; longer lines are cut at RT_PRINTF_BUF - 1 bytes. */
int rt_printf(const char *fmt, ...)
{
	char buf[RT_PRINTF_BUF];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = rt_vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	rt_puts(buf);
	return n;
}

const char *rt_fmt(const char *fmt, ...)
{
	static char bufs[4][160];
	static unsigned next;
	char *buf = bufs[next++ % 4];
	va_list ap;

	va_start(ap, fmt);
	rt_vsnprintf(buf, sizeof(bufs[0]), fmt, ap);
	va_end(ap);
	return buf;
}
