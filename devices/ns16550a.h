/*
 * devices/ns16550a.h - the National Semiconductor 16550A UART.
 *
 * Register names and bits from the PC16550D datasheet.  Eight ports from
 * base; the divisor latch (DLL, DLM) shares offsets 0 and 1 while LCR.DLAB
 * is set.
 */
#ifndef DEVICES_NS16550A_H
#define DEVICES_NS16550A_H

#include <stdbool.h>
#include <stdint.h>

#define COM1_BASE 0x3f8
#define UART_NPORTS 8

/* Register offsets from the base port. */
#define UART_RBR 0 /* receiver buffer (read, DLAB = 0) */
#define UART_THR 0 /* transmitter holding (write, DLAB = 0) */
#define UART_DLL 0 /* divisor latch, low byte (DLAB = 1) */
#define UART_IER 1 /* interrupt enable (DLAB = 0) */
#define UART_DLM 1 /* divisor latch, high byte (DLAB = 1) */
#define UART_IIR 2 /* interrupt identification (read) */
#define UART_FCR 2 /* FIFO control (write) */
#define UART_LCR 3 /* line control */
#define UART_MCR 4 /* modem control */
#define UART_LSR 5 /* line status */
#define UART_MSR 6 /* modem status */
#define UART_SCR 7 /* scratch */

#define UART_IER_RDA 0x01  /* interrupt on received data available */
#define UART_IER_THRE 0x02 /* interrupt on transmitter holding empty */
#define UART_IIR_NONE 0x01 /* no interrupt pending */
#define UART_IIR_THRE 0x02 /* transmitter holding register empty */
#define UART_IIR_FIFO 0xc0 /* FIFOs enabled */
#define UART_FCR_ENABLE 0x01
#define UART_LCR_DLAB 0x80 /* divisor latch access */
#define UART_MCR_LOOP 0x10 /* loopback */
#define UART_LSR_DR 0x01   /* data ready */
#define UART_LSR_THRE 0x20 /* transmitter holding register empty */
#define UART_LSR_TEMT 0x40 /* transmitter empty */
#define UART_MSR_CTS 0x10
#define UART_MSR_DSR 0x20
#define UART_MSR_DCD 0x80

struct ns16550a {
	uint8_t ier;      /* interrupt enable */
	uint8_t lcr;      /* line control */
	uint8_t mcr;      /* modem control */
	uint8_t scr;      /* scratch */
	uint8_t fcr;      /* FIFO control as last written */
	uint8_t dll, dlm; /* divisor latch */
	uint8_t loop_rbr; /* a byte sent to itself in loopback */
	bool loop_ready;  /* loop_rbr holds a byte */
	bool thre_irq;    /* THRE interrupt pending (until IIR is read) */
	int out_fd;       /* where transmitted bytes go */
	uint64_t tx_bytes;
};

/* Power-on reset; transmitted bytes are written to out_fd. */
void ns16550a_init(struct ns16550a *u, int out_fd);
/* Read the register at offset (0..7). */
uint8_t ns16550a_read(struct ns16550a *u, unsigned offset);
/* Write val to the register at offset (0..7). */
void ns16550a_write(struct ns16550a *u, unsigned offset, uint8_t val);
/* Is the UART's interrupt line (INTR) asserted? */
bool ns16550a_irq(const struct ns16550a *u);

#endif /* DEVICES_NS16550A_H */
