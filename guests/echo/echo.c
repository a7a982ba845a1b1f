/*
 * guests/echo/echo.c - console input, end to end: a tiny shell.
 *
 * The UART's receiver raises IRQ 4 (IER.ERBFI) through the 8259A PIC; the
 * handler drains the receiver into a ring while LSR.DR says there is
 * more, and main sleeps in hlt until a line is complete.  Each line is
 * echoed as a terminal's line discipline would (Enter's "\r" becomes
 * "\n"), then obeyed:
 *   echo TEXT   prints TEXT
 *   add A B     prints A + B (signed decimal)
 *   exit N      stops the machine with status N
 * anything else gets "unknown command".
 *
 * The first line is read and thrown away, unechoed: bytes that arrive
 * before the runtime programs the UART (QEMU reads a pipe from the
 * start; the runtime's FIFO reset drops what the RBR held) may be lost,
 * and the rest of the output must not depend on it.  Every line printed
 * depends only on the input, so the output is the same on QEMU, softcpu
 * and native, with stdin from a file or a pipe.
 */
#include "cpu.h"
#include "devices/i8259.h"
#include "devices/ns16550a.h"
#include "rt.h"

#define VEC_MASTER 0x20 /* IRQ 0-7 -> vectors 0x20-0x27 */
#define VEC_SLAVE 0x28
#define VEC_COM1 (VEC_MASTER + 4) /* IRQ 4 */
#define RING 256 /* a power of two */
#define LINE 80

static volatile uint8_t ring[RING];
static volatile unsigned ring_in, ring_out; /* free-running counters */
static volatile bool overrun;               /* LSR.OE or a full ring */

/* IRQ 4: everything the receiver holds goes into the ring. */
static void on_com1(struct rt_frame *f)
{
	(void)f;
	for (;;) {
		uint8_t lsr = inb(COM1_BASE + UART_LSR);
		if (lsr & UART_LSR_OE)
			overrun = true;
		if (!(lsr & UART_LSR_DR))
			break;
		uint8_t c = inb(COM1_BASE + UART_RBR);
		if (ring_in - ring_out == RING)
			overrun = true;
		else
			ring[ring_in++ % RING] = c;
	}
	outb(PIC_MASTER_CMD, OCW2_EOI);
}

/* Vectors off the exceptions; only IRQ 4 unmasked. */
static void pic_init(void)
{
	rt_pic_init(VEC_MASTER, VEC_SLAVE, (uint8_t)~(1u << 4), 0xff);
}

/* The next received byte; sleeps in hlt until IRQ 4 brings one. */
static char getc_irq(void)
{
	char c;

	cli();
	while (ring_in == ring_out)
		__asm__ volatile("sti; hlt; cli" ::: "memory");
	c = (char)ring[ring_out++ % RING];
	sti();
	return c;
}

/* One line without its end ("\n" or "\r"), echoed if echo; truncated to
 * LINE - 1 bytes.  Returns its length. */
static unsigned read_line(char *buf, bool echo)
{
	unsigned n = 0;

	for (;;) {
		char c = getc_irq();
		if (c == '\r' || c == '\n')
			break;
		if (echo)
			rt_putc(c);
		if (n < LINE - 1)
			buf[n++] = c;
	}
	if (echo)
		rt_putc('\n');
	buf[n] = 0;
	return n;
}

/* A signed decimal at *s; *ok false when there is none. */
static long parse_long(const char **s, bool *ok)
{
	const char *p = *s;
	bool neg = false;
	long v = 0;

	while (*p == ' ')
		p++;
	if (*p == '-' || *p == '+')
		neg = *p++ == '-';
	*ok = *p >= '0' && *p <= '9';
	while (*p >= '0' && *p <= '9')
		v = v * 10 + (*p++ - '0');
	*s = p;
	return neg ? -v : v;
}

static bool starts_with(const char *s, const char *word)
{
	while (*word)
		if (*s++ != *word++)
			return false;
	return true;
}

/* Obey one line; returns -1 to go on, or the exit status. */
static int obey(const char *line)
{
	bool ok1, ok2;

	if (!*line)
		return -1;
	if (starts_with(line, "echo ")) {
		rt_printf("%s\n", line + 5);
	} else if (starts_with(line, "add ")) {
		const char *p = line + 4;
		long a = parse_long(&p, &ok1), b = parse_long(&p, &ok2);
		if (ok1 && ok2 && !*p)
			rt_printf("%ld\n", a + b);
		else
			rt_printf("add: give two numbers\n");
	} else if (starts_with(line, "exit ")) {
		const char *p = line + 5;
		long n = parse_long(&p, &ok1);
		if (ok1 && !*p && n >= 0 && n <= 255)
			return (int)n;
		rt_printf("exit: give a status from 0 to 255\n");
	} else {
		rt_printf("unknown command: %s\n", line);
	}
	return -1;
}

int main(const char *args)
{
	char line[LINE];
	int status = -1;

	(void)args;
	rt_set_gate(VEC_COM1, VEC_COM1, 0);
	rt_set_handler(VEC_COM1, on_com1);
	pic_init();
	outb(COM1_BASE + UART_IER, UART_IER_RDA | UART_IER_RLS);
	sti();
	read_line(line, false); /* see the top: may have lost bytes */
	rt_printf("echo: ready\n");
	while (status < 0) {
		rt_puts("> ");
		read_line(line, true);
		status = obey(line);
	}
	if (overrun)
		rt_printf("echo: input was lost (overrun)\n");
	rt_printf("echo: exit %d\n", status);
	return status;
}
