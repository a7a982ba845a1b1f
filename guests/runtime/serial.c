/*
 * guests/runtime/serial.c - the console: COM1, a 16550A UART at 0x3f8.
 *
 * Polled output only: for each byte wait until the transmitter holding
 * register is empty (LSR.THRE), then write it.  A "\n" goes out alone, with
 * no CR, so that the guest's bytes compare exactly with a file on the host.
 * Register names from the PC16550D datasheet (devices/ns16550a.h).
 */
#include "cpu.h"
#include "devices/ns16550a.h"
#include "rt.h"

#define UART_LCR_8N1 0x03  /* 8 data bits, no parity, 1 stop bit */
#define UART_MCR_DTR_RTS 0x03
#define UART_FCR_CLEAR 0x06 /* clear both FIFOs */
#define UART_DIVISOR_115200 1

/* Program COM1 for 115200 8N1 with FIFOs and no interrupts. */
void rt_serial_init(void)
{
	outb(COM1_BASE + UART_IER, 0);
	outb(COM1_BASE + UART_LCR, UART_LCR_DLAB);
	outb(COM1_BASE + UART_DLL, UART_DIVISOR_115200 & 0xff);
	outb(COM1_BASE + UART_DLM, UART_DIVISOR_115200 >> 8);
	outb(COM1_BASE + UART_LCR, UART_LCR_8N1);
	outb(COM1_BASE + UART_FCR, UART_FCR_ENABLE | UART_FCR_CLEAR);
	outb(COM1_BASE + UART_MCR, UART_MCR_DTR_RTS);
}

/* Send one byte, waiting for room in the transmitter. */
void rt_putc(char c)
{
	while (!(inb(COM1_BASE + UART_LSR) & UART_LSR_THRE))
		;
	outb(COM1_BASE + UART_THR, (uint8_t)c);
}

/* Send a NUL-ended string. */
void rt_puts(const char *s)
{
	while (*s)
		rt_putc(*s++);
}
