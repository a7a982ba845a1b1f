/*
 * devices/ns16550a.c - the 16550A UART (PC16550D datasheet).
 *
 * Emulation shortcuts, named as vmd names its own:
 *   - transmission is instantaneous: a byte written to THR goes straight to
 *     the output file, so LSR always reports THRE and TEMT (the guest never
 *     waits) and the FIFOs never fill;
 *   - there is no input yet: RBR holds a byte only in loopback mode;
 *   - the baud rate (divisor latch) and line format (LCR) are stored for the
 *     guest to read back but change nothing.
 */
#include <errno.h>
#include <unistd.h>

#include "devices/ns16550a.h"

void ns16550a_init(struct ns16550a *u, int out_fd)
{
	*u = (struct ns16550a){ .out_fd = out_fd };
}

/* Send one byte to the host, retrying short writes; errors drop the byte. */
static void uart_transmit(struct ns16550a *u, uint8_t byte)
{
	ssize_t n;

	do
		n = write(u->out_fd, &byte, 1);
	while (n < 0 && errno == EINTR);
	u->tx_bytes++;
}

/* THR written: in loopback the byte comes back to RBR, else it leaves. */
static void uart_write_thr(struct ns16550a *u, uint8_t val)
{
	if (u->mcr & UART_MCR_LOOP) {
		u->loop_rbr = val;
		u->loop_ready = true;
	} else {
		uart_transmit(u, val);
	}
	/* THR is empty again at once: raise THRE if it is enabled. */
	u->thre_irq = (u->ier & UART_IER_THRE) != 0;
}

/* IIR: the highest-priority pending interrupt; reading it clears THRE. */
static uint8_t uart_read_iir(struct ns16550a *u)
{
	uint8_t fifo = (u->fcr & UART_FCR_ENABLE) ? UART_IIR_FIFO : 0;

	if (u->thre_irq) {
		u->thre_irq = false;
		return fifo | UART_IIR_THRE;
	}
	return fifo | UART_IIR_NONE;
}

/* MSR: in loopback the modem outputs (MCR) feed the modem inputs. */
static uint8_t uart_read_msr(const struct ns16550a *u)
{
	if (u->mcr & UART_MCR_LOOP)
		return (uint8_t)((u->mcr & 0x0f) << 4);
	return UART_MSR_DCD | UART_MSR_DSR | UART_MSR_CTS;
}

uint8_t ns16550a_read(struct ns16550a *u, unsigned offset)
{
	bool dlab = u->lcr & UART_LCR_DLAB;

	switch (offset) {
	case UART_RBR: /* or DLL */
		if (dlab)
			return u->dll;
		u->loop_ready = false;
		return u->loop_rbr;
	case UART_IER: /* or DLM */
		return dlab ? u->dlm : u->ier;
	case UART_IIR:
		return uart_read_iir(u);
	case UART_LCR:
		return u->lcr;
	case UART_MCR:
		return u->mcr;
	case UART_LSR:
		return UART_LSR_THRE | UART_LSR_TEMT |
		       (u->loop_ready ? UART_LSR_DR : 0);
	case UART_MSR:
		return uart_read_msr(u);
	case UART_SCR:
		return u->scr;
	}
	return 0xff;
}

void ns16550a_write(struct ns16550a *u, unsigned offset, uint8_t val)
{
	bool dlab = u->lcr & UART_LCR_DLAB;

	switch (offset) {
	case UART_THR: /* or DLL */
		if (dlab)
			u->dll = val;
		else
			uart_write_thr(u, val);
		break;
	case UART_IER: /* or DLM */
		if (dlab) {
			u->dlm = val;
		} else {
			/* Enabling THRE while THR is empty raises it at once. */
			if ((val & UART_IER_THRE) && !(u->ier & UART_IER_THRE))
				u->thre_irq = true;
			u->ier = val & 0x0f;
		}
		break;
	case UART_FCR:
		u->fcr = val;
		if (val & 0x02) /* receiver FIFO reset */
			u->loop_ready = false;
		break;
	case UART_LCR:
		u->lcr = val;
		break;
	case UART_MCR:
		u->mcr = val & 0x1f;
		break;
	case UART_LSR:
	case UART_MSR:
		break; /* read-only on the 16550A; writes are ignored */
	case UART_SCR:
		u->scr = val;
		break;
	}
}

bool ns16550a_irq(const struct ns16550a *u)
{
	return u->thre_irq || (u->loop_ready && (u->ier & UART_IER_RDA));
}
