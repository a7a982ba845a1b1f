/*
 * monitor/console.c - standard input into the guest's UART, or into the
 * virtio console under --console=virtio (QEMU's stdio mux gives the
 * input to its last front end, the virtconsole, not to the serial port).
 *
 * What is read.  Only as many bytes as the UART's receiver has room for
 * (ns16550a_rx_room, QEMU's can_receive): the rest waits in the host's
 * pipe or terminal, so input is never lost to an overrun however slowly
 * the guest reads.  Standard input keeps its blocking mode (it is shared
 * with the shell); poll() says when a read() will not block.
 *
 * A terminal is put in raw mode as QEMU's -nographic does: no echo, no
 * line editing, no signals from the keyboard (Ctrl-C, Ctrl-Z, Ctrl-\ are
 * bytes for the guest), output post-processing kept (the guest's "\n"
 * still starts a new line).  Its mode is restored at exit (atexit: normal
 * exit, guest stopped, Ctrl-A x, a panic's exit), on SIGTERM, SIGHUP and
 * SIGQUIT (restore, then die of the signal as before), and by the
 * sandbox's SIGSYS handler.  The escape keys, typed on a terminal only:
 *   Ctrl-A x       quit, status 0 (as QEMU)
 *   Ctrl-A h       print them
 *   Ctrl-A Ctrl-A  send one Ctrl-A to the guest
 *   Ctrl-A other   nothing (QEMU drops it too)
 *
 * A pipe or file: read() returning 0 is the end of the input, not an
 * error; the guest simply receives nothing more.
 *
 * When input is seen.  While the guest runs, console_poll() looks once a
 * millisecond of host time, from the run loop (the engines return at
 * least every HOST_POLL_INSNS instructions while the console is live, or
 * at their next trap or timer event for native and kvm).  While the guest
 * halts, console_wait() sleeps in ppoll() on standard input with the
 * timer's timeout, so a key wakes it at once.  Under --icount virtual time
 * follows instructions, not the host, so *when* input arrives (at which
 * instruction) depends on the host: a run with input repeats exactly only
 * if the guest's output does not depend on that timing.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/vm.h"
#include "devices/devices.h"
#include "monitor/console.h"

/* How often a running guest's input is looked for, in host ns. */
#define CONSOLE_POLL_NS 1000000ULL /* 1 ms */

static int in_fd = -1;            /* -1: closed, or at its end */
static bool is_tty;               /* in_fd is a terminal in raw mode */
static struct termios saved_mode; /* the terminal's mode before */
static volatile sig_atomic_t mode_changed; /* saved_mode must come back */
static bool escape_seen;          /* the last key was Ctrl-A */
static uint64_t last_poll_ns;     /* console_poll's last look */

static const char escape_help[] =
	"\n"
	"C-a h    print this help\n"
	"C-a x    exit trapvisor (status 0)\n"
	"C-a C-a  send C-a to the guest\n";

void console_restore(void)
{
	if (mode_changed) {
		tcsetattr(in_fd >= 0 ? in_fd : STDIN_FILENO, TCSANOW,
			  &saved_mode);
		mode_changed = 0;
	}
}

static void restore_at_exit(void)
{
	console_restore();
}

/* SIGTERM, SIGHUP, SIGQUIT: give the terminal back, then die of it. */
static void on_fatal_signal(int sig)
{
	console_restore();
	signal(sig, SIG_DFL);
	raise(sig);
}

/* Raw mode as QEMU's stdio character device sets it (tty_serial_init). */
static int enter_raw_mode(int fd, char *why, size_t len)
{
	struct termios t;

	if (tcgetattr(fd, &saved_mode) < 0) {
		snprintf(why, len, "standard input: tcgetattr: %s",
			 strerror(errno));
		return -1;
	}
	t = saved_mode;
	t.c_iflag &= ~(tcflag_t)(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR |
				 IGNCR | ICRNL | IXON);
	t.c_oflag |= OPOST;
	t.c_lflag &= ~(tcflag_t)(ECHO | ECHONL | ICANON | IEXTEN | ISIG);
	t.c_cflag = (t.c_cflag & ~(tcflag_t)(CSIZE | PARENB)) | CS8;
	t.c_cc[VMIN] = 1;
	t.c_cc[VTIME] = 0;
	atexit(restore_at_exit);
	mode_changed = 1;
	if (tcsetattr(fd, TCSANOW, &t) < 0) {
		mode_changed = 0;
		snprintf(why, len, "standard input: raw mode: %s",
			 strerror(errno));
		return -1;
	}
	signal(SIGTERM, on_fatal_signal);
	signal(SIGHUP, on_fatal_signal);
	signal(SIGQUIT, on_fatal_signal);
	return 0;
}

int console_open(struct vm *vm, int fd, char *why, size_t len)
{
	(void)vm;
	in_fd = fd;
	is_tty = isatty(fd);
	if (is_tty && enter_raw_mode(fd, why, len) < 0)
		return -1;
	return 0;
}

bool console_live(void)
{
	return in_fd >= 0;
}

/* Room for input in the device that takes it (virtio_console.h holds
 * what the driver has no buffer for yet). */
static unsigned input_room(const struct vm *vm)
{
	if (vm->dev->vcons)
		return virtio_console_rx_room(vm->dev->vcons);
	return ns16550a_rx_room(&vm->dev->com1);
}

bool console_can_wake(const struct vm *vm)
{
	if (!console_live() || input_room(vm) == 0)
		return false;
	if (vm->dev->vcons)
		return virtio_console_rx_live(vm->dev->vcons);
	return vm->dev->com1.ier & UART_IER_RDA;
}

/* Ctrl-A x: stop the machine as the guest's exit(0) would. */
static void quit_by_key(struct vm *vm)
{
	fputs("\ntrapvisor: terminated (C-a x)\n", stderr);
	vm->stopped = true;
	vm->exit_status = 0;
}

int console_key(struct vm *vm, uint8_t c)
{
	if (!escape_seen) {
		if (c != CONSOLE_ESCAPE)
			return c;
		escape_seen = true;
		return -1;
	}
	escape_seen = false;
	switch (c) {
	case CONSOLE_ESCAPE:
		return c;
	case 'x':
		quit_by_key(vm);
		return -1;
	case 'h':
		fputs(escape_help, stderr);
		return -1;
	}
	return -1;
}

/* Read what fits into the UART now; the end of a pipe closes the input. */
static void take_input(struct vm *vm)
{
	struct ns16550a *u = &vm->dev->com1;
	uint8_t buf[VIRTIO_CONSOLE_RX_HOLD];
	unsigned room = input_room(vm), k = 0;

	if (room == 0 || in_fd < 0)
		return;
	ssize_t n = read(in_fd, buf, room < sizeof(buf) ? room : sizeof(buf));

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) { /* the end of a pipe or file; an error ends it too */
		in_fd = -1;
		return;
	}
	for (ssize_t i = 0; i < n && !vm->stopped; i++) {
		int c = is_tty ? console_key(vm, buf[i]) : buf[i];
		if (c >= 0 && vm->dev->vcons)
			buf[k++] = (uint8_t)c; /* in place: k <= i */
		else if (c >= 0)
			ns16550a_receive(u, (uint8_t)c);
	}
	if (vm->dev->vcons)
		virtio_console_receive(vm->dev->vcons, buf, k);
}

/*
 * Wait up to timeout_ns (-1: for ever) for input the UART has room for,
 * and take it.  A signal that stops the run (Ctrl-C, SIGTERM, SIGHUP)
 * ends the wait early.  It must not come between the run loop's last
 * look at vm->kick and the sleep, or the sleep would never end (a lost
 * wake-up): the signals are blocked while kick is looked at once more,
 * and ppoll() lets them in only while it sleeps, in one step.
 */
static void wait_input(struct vm *vm, int64_t timeout_ns)
{
	struct pollfd p = { .fd = in_fd, .events = POLLIN };
	struct timespec ts = { (time_t)(timeout_ns / 1000000000),
			       (long)(timeout_ns % 1000000000) };
	sigset_t stop, old;

	if (input_room(vm) == 0 || in_fd < 0) {
		if (timeout_ns > 0)
			nanosleep(&ts, NULL);
		return;
	}
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGHUP);
	sigprocmask(SIG_BLOCK, &stop, &old);
	if (vm->kick != VM_KICK_STOP &&
	    ppoll(&p, 1, timeout_ns < 0 ? NULL : &ts, &old) > 0)
		take_input(vm);
	sigprocmask(SIG_SETMASK, &old, NULL);
}

void console_poll(struct vm *vm)
{
	bool held = vm->dev->vcons && vm->dev->vcons->rx_len;
	uint64_t now;

	if (in_fd < 0 && !held)
		return;
	now = clock_host_ns();
	if (now - last_poll_ns < CONSOLE_POLL_NS)
		return;
	last_poll_ns = now;
	/* held input, for receive buffers lent without a notification */
	if (held)
		virtio_console_receive(vm->dev->vcons, NULL, 0);
	if (in_fd >= 0)
		wait_input(vm, 0);
}

void console_wait(struct vm *vm, uint64_t t)
{
	if (in_fd < 0) {
		clock_advance_to(vm, t);
		return;
	}
	if (vm->clock.icount_ns) {
		wait_input(vm, t == CLOCK_NEVER ? -1 : 0);
		if (t != CLOCK_NEVER)
			clock_advance_to(vm, t);
		return;
	}
	if (t == CLOCK_NEVER) {
		wait_input(vm, -1);
		return;
	}
	uint64_t due = clock_next_host_deadline(vm), now = clock_host_ns();
	wait_input(vm, due > now ? (int64_t)(due - now) : 0);
}
