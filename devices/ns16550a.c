/*
 * devices/ns16550a.c - the 16550A UART (PC16550D datasheet).
 *
 * Emulation shortcuts, named as vmd names its own:
 *   - transmission is instantaneous: a byte written to THR is handed to the
 *     host at once, so LSR always reports THRE and TEMT (the guest never
 *     waits) and the FIFOs never fill;
 *   - a received byte is in RBR (or the receiver FIFO) at once: there is
 *     no character time, so the character-timeout interrupt (IIR 0x0c)
 *     is reported as soon as data sits below the FIFO's trigger level;
 *     the host side (monitor/console.c) feeds only what fits
 *     (ns16550a_rx_room), so an overrun comes only from loopback;
 *   - the baud rate (divisor latch) and line format (LCR) are stored for the
 *     guest to read back but change nothing.
 *
 * The host side is buffered, as QEMU's character devices are: one write()
 * per byte made a chatty guest slow, and a write() that blocked on a pipe
 * nobody read froze the monitor past Ctrl-C.  Bytes collect in out_buf and
 * leave in one write() when
 *   - a newline comes and the output is a terminal (a person reads lines),
 *   - the buffer is full, or its oldest byte has waited UART_OUT_AGE_NS
 *     (whoever reads a pipe sees a steady guest within that time),
 *   - ns16550a_flush is called: before the monitor exits (main.c), and
 *     by the run loop when the guest goes idle (hlt);
 *   - the oldest byte has waited UART_OUT_AGE_NS when the devices are next
 *     brought up to date (ns16550a_flush_aged, from devices_update), so
 *     that a guest that never halts (xv6 idles in a loop) is not left
 *     with its last partial line held back.
 * A flush waits in poll() for the host to take the bytes, asking
 * out_give_up ten times a second; after Ctrl-C it writes only what the
 * host takes at once and drops the rest (counted in tx_dropped).
 */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include "core/clock.h"
#include "devices/ns16550a.h"

/* The oldest buffered byte leaves after this long, at the next byte. */
#define UART_OUT_AGE_NS 20000000ULL /* 20 ms */
/* How long a flush waits in poll() before asking out_give_up again. */
#define UART_POLL_MS 100

void ns16550a_init(struct ns16550a *u, int out_fd)
{
	*u = (struct ns16550a){ .out_fd = out_fd,
				.out_lines = out_fd >= 0 && isatty(out_fd) };
}

void ns16550a_set_give_up(struct ns16550a *u, bool (*give_up)(void *arg),
			  void *arg)
{
	u->out_give_up = give_up;
	u->out_give_up_arg = arg;
}

/* Drop the n bytes at the head of out_buf: written, or never will be. */
static void uart_consume(struct ns16550a *u, size_t n, bool dropped)
{
	memmove(u->out_buf, u->out_buf + n, u->out_len - n);
	u->out_len = (uint16_t)(u->out_len - n);
	if (dropped)
		u->tx_dropped += n;
}

/*
 * Wait until out_fd takes bytes: 1 when it will, 0 when the monitor gave up
 * waiting (out_give_up said so and the host takes nothing now).  Errors and
 * hang-ups count as "will": write() then reports them.
 */
static int uart_wait_writable(struct ns16550a *u)
{
	for (;;) {
		bool give_up = u->out_give_up &&
			       u->out_give_up(u->out_give_up_arg);
		struct pollfd p = { .fd = u->out_fd, .events = POLLOUT };
		int r = poll(&p, 1, give_up ? 0 : UART_POLL_MS);

		if (r > 0)
			return 1;
		if (give_up)
			return 0;
		if (r < 0 && errno != EINTR)
			return 1;
	}
}

void ns16550a_flush(struct ns16550a *u)
{
	while (u->out_len > 0) {
		if (u->out_fd < 0 || !uart_wait_writable(u)) {
			uart_consume(u, u->out_len, true);
			break;
		}
		ssize_t n = write(u->out_fd, u->out_buf, u->out_len);

		if (n > 0)
			uart_consume(u, (size_t)n, false);
		else if (n == 0 || (errno != EINTR && errno != EAGAIN))
			uart_consume(u, u->out_len, true); /* EPIPE, EIO... */
	}
}

void ns16550a_flush_aged(struct ns16550a *u)
{
	if (u->out_len && clock_host_ns() - u->out_since_ns >= UART_OUT_AGE_NS)
		ns16550a_flush(u);
}

/* One byte for the host: buffer it, and flush when it is time. */
static void host_put(struct ns16550a *u, uint8_t byte)
{
	uint64_t now = clock_host_ns();

	if (u->out_len == 0)
		u->out_since_ns = now;
	u->out_buf[u->out_len++] = byte;
	if (u->out_len == UART_OUT_BUF || (u->out_lines && byte == '\n') ||
	    now - u->out_since_ns >= UART_OUT_AGE_NS)
		ns16550a_flush(u);
}

static void uart_transmit(struct ns16550a *u, uint8_t byte)
{
	u->tx_bytes++;
	host_put(u, byte);
}

/* As host_put for each byte, a run of bytes at a time (up to a newline
 * when the host is a terminal). */
void ns16550a_host_write(struct ns16550a *u, const uint8_t *buf, size_t n)
{
	while (n) {
		size_t k = UART_OUT_BUF - u->out_len;
		const uint8_t *nl;

		if (k > n)
			k = n;
		if (u->out_lines && (nl = memchr(buf, '\n', k)) != NULL)
			k = (size_t)(nl - buf); /* the newline goes in last */
		if (k == 0) {
			host_put(u, *buf++);
			n--;
			continue;
		}
		if (u->out_len == 0)
			u->out_since_ns = clock_host_ns();
		memcpy(u->out_buf + u->out_len, buf, k);
		u->out_len = (uint16_t)(u->out_len + k);
		buf += k;
		n -= k;
		ns16550a_flush_aged(u);
		if (u->out_len == UART_OUT_BUF)
			ns16550a_flush(u);
	}
}

/* The receiver holds one byte (the RBR) unless the FIFOs are enabled. */
static unsigned uart_rx_depth(const struct ns16550a *u)
{
	return (u->fcr & UART_FCR_ENABLE) ? UART_RX_FIFO : 1;
}

unsigned ns16550a_rx_room(const struct ns16550a *u)
{
	return uart_rx_depth(u) - u->rx_len;
}

void ns16550a_receive(struct ns16550a *u, uint8_t byte)
{
	if (u->rx_len == uart_rx_depth(u)) {
		u->overrun = true;
		if (!(u->fcr & UART_FCR_ENABLE))
			u->rx_buf[u->rx_head] = byte; /* RBR overwritten */
		return;
	}
	u->rx_buf[(u->rx_head + u->rx_len) % UART_RX_FIFO] = byte;
	u->rx_len++;
}

/* RBR: the oldest received byte; an empty receiver repeats the last. */
static uint8_t uart_read_rbr(struct ns16550a *u)
{
	if (u->rx_len > 0) {
		u->rx_last = u->rx_buf[u->rx_head];
		u->rx_head = (uint8_t)((u->rx_head + 1) % UART_RX_FIFO);
		u->rx_len--;
	}
	return u->rx_last;
}

static void uart_rx_reset(struct ns16550a *u)
{
	u->rx_head = 0;
	u->rx_len = 0;
}

/* FCR bits 7:6: the receiver FIFO's trigger level, 1, 4, 8 or 14 bytes. */
static unsigned uart_rx_trigger(const struct ns16550a *u)
{
	static const uint8_t level[4] = { 1, 4, 8, 14 };

	return (u->fcr & UART_FCR_ENABLE) ? level[u->fcr >> 6] : 1;
}

/* THR written: in loopback the byte comes back to RBR, else it leaves. */
static void uart_write_thr(struct ns16550a *u, uint8_t val)
{
	if (u->mcr & UART_MCR_LOOP) {
		ns16550a_receive(u, val);
	} else {
		uart_transmit(u, val);
	}
	/* THR is empty again at once: raise THRE if it is enabled. */
	u->thre_irq = (u->ier & UART_IER_THRE) != 0;
}

/*
 * The highest-priority interrupt pending, as IIR bits 3:0: line status
 * (an overrun, until LSR is read), then received data (until RBR is read
 * below the level), then THRE.  Each counts only if IER enables it.
 */
static uint8_t uart_pending(const struct ns16550a *u)
{
	if (u->overrun && (u->ier & UART_IER_RLS))
		return UART_IIR_RLS;
	if (u->rx_len > 0 && (u->ier & UART_IER_RDA))
		return u->rx_len >= uart_rx_trigger(u) ? UART_IIR_RDA :
							 UART_IIR_CTI;
	if (u->thre_irq)
		return UART_IIR_THRE;
	return UART_IIR_NONE;
}

/* IIR: the highest-priority pending interrupt; reading it clears THRE
 * when THRE is what it reports (PC16550D table IV). */
static uint8_t uart_read_iir(struct ns16550a *u)
{
	uint8_t fifo = (u->fcr & UART_FCR_ENABLE) ? UART_IIR_FIFO : 0;
	uint8_t id = uart_pending(u);

	if (id == UART_IIR_THRE) {
		u->thre_irq = false;
	}
	return fifo | id;
}

/* LSR: reading it clears the overrun it reports. */
static uint8_t uart_read_lsr(struct ns16550a *u)
{
	uint8_t lsr = UART_LSR_THRE | UART_LSR_TEMT;

	if (u->rx_len > 0)
		lsr |= UART_LSR_DR;
	if (u->overrun)
		lsr |= UART_LSR_OE;
	u->overrun = false;
	return lsr;
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
		return uart_read_rbr(u);
	case UART_IER: /* or DLM */
		return dlab ? u->dlm : u->ier;
	case UART_IIR:
		return uart_read_iir(u);
	case UART_LCR:
		return u->lcr;
	case UART_MCR:
		return u->mcr;
	case UART_LSR:
		return uart_read_lsr(u);
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
		/* Turning the FIFOs on or off empties them too. */
		if ((val & UART_FCR_RX_RESET) ||
		    ((val ^ u->fcr) & UART_FCR_ENABLE))
			uart_rx_reset(u);
		u->fcr = val;
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
	return uart_pending(u) != UART_IIR_NONE;
}
