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
#include <stddef.h>
#include <stdint.h>

#define COM1_BASE 0x3f8
#define UART_NPORTS 8
/* Output waiting for the host: PIPE_BUF, so that one flush is one atomic
 * write to a pipe. */
#define UART_OUT_BUF 4096

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
#define UART_IER_RLS 0x04  /* interrupt on receiver line status */
/* IIR values, highest priority first (PC16550D table IV). */
#define UART_IIR_NONE 0x01 /* no interrupt pending */
#define UART_IIR_RLS 0x06  /* receiver line status: an overrun */
#define UART_IIR_RDA 0x04  /* received data available (trigger level) */
#define UART_IIR_CTI 0x0c  /* character timeout: data below the level */
#define UART_IIR_THRE 0x02 /* transmitter holding register empty */
#define UART_IIR_FIFO 0xc0 /* FIFOs enabled */
#define UART_FCR_ENABLE 0x01
#define UART_FCR_RX_RESET 0x02 /* clear the receiver FIFO */
#define UART_RX_FIFO 16    /* the receiver FIFO's depth */
#define UART_LCR_DLAB 0x80 /* divisor latch access */
#define UART_MCR_LOOP 0x10 /* loopback */
#define UART_LSR_DR 0x01   /* data ready */
#define UART_LSR_OE 0x02   /* overrun error (cleared by reading LSR) */
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
	/* The receiver: the FIFO (one byte deep, the RBR, while FCR's
	 * FIFO enable is clear), oldest byte at rx_head. */
	uint8_t rx_buf[UART_RX_FIFO];
	uint8_t rx_head, rx_len;
	uint8_t rx_last;  /* the byte RBR read last (read again when empty) */
	bool overrun;     /* LSR.OE: a byte came with no room for it */
	bool thre_irq;    /* THRE interrupt pending (until IIR is read) */
	/* The host side of the line (devices/ns16550a.c: when it flushes). */
	int out_fd;       /* where transmitted bytes go; -1: nowhere */
	bool out_lines;   /* out_fd is a terminal: flush at each newline */
	uint16_t out_len; /* bytes waiting in out_buf */
	uint64_t out_since_ns; /* when the oldest of them arrived */
	/* Asked while output waits on a host that does not read it: true
	 * gives up the wait (Ctrl-C), dropping what cannot be written. */
	bool (*out_give_up)(void *arg);
	void *out_give_up_arg;
	uint64_t tx_bytes;   /* bytes the guest transmitted */
	uint64_t tx_dropped; /* of them, bytes the host never took */
	uint8_t out_buf[UART_OUT_BUF];
};

/*
 * Power-on reset; transmitted bytes are written to out_fd (a terminal is
 * line-buffered, anything else block-buffered: see ns16550a_flush).
 */
void ns16550a_init(struct ns16550a *u, int out_fd);
/*
 * Give the UART the question "give up waiting on the host?" (may be NULL
 * for never): while a flush waits for a full pipe or terminal, it asks
 * give_up(arg) about ten times a second and, once told yes, writes only
 * what the host still takes without waiting and drops the rest.
 */
void ns16550a_set_give_up(struct ns16550a *u, bool (*give_up)(void *arg),
			  void *arg);
/*
 * Write every buffered byte to out_fd now, waiting for the host to take
 * them (never past a give-up).  Call it when the guest goes idle (hlt) and
 * before the monitor exits, so that no guest output is held back or lost.
 */
void ns16550a_flush(struct ns16550a *u);
/*
 * Bytes of another device for the same host line (the virtio console,
 * devices/virtio_console.h): buffered and flushed as the UART's own, after
 * what the UART holds, so that the host sees both in the guest's order.
 * They are not the UART's tx_bytes.
 */
void ns16550a_host_write(struct ns16550a *u, const uint8_t *buf, size_t n);
/* Flush if the oldest byte held back has waited long enough (20 ms). */
void ns16550a_flush_aged(struct ns16550a *u);
/*
 * How many bytes the receiver can take now without an overrun: what the
 * host side feeds it at most (QEMU's can_receive), so that input from a
 * pipe is never lost.
 */
unsigned ns16550a_rx_room(const struct ns16550a *u);
/*
 * A byte arrives on the serial line.  With no room it is an overrun
 * (LSR.OE): without FIFOs it replaces the unread RBR, with FIFOs it is
 * lost and the FIFO is kept (PC16550D, LSR bit 1).
 */
void ns16550a_receive(struct ns16550a *u, uint8_t byte);
/* Read the register at offset (0..7). */
uint8_t ns16550a_read(struct ns16550a *u, unsigned offset);
/* Write val to the register at offset (0..7). */
void ns16550a_write(struct ns16550a *u, unsigned offset, uint8_t val);
/* Is the UART's interrupt line (INTR) asserted? */
bool ns16550a_irq(const struct ns16550a *u);

#endif /* DEVICES_NS16550A_H */
