/*
 * monitor/console.h - the host side of the guest's serial input: standard
 * input fed to the 16550A's receiver (devices/ns16550a.c).
 *
 * A terminal is put in raw mode (restored on every way out) and has
 * QEMU's escape keys; a pipe or file is read as is, its end meaning "no
 * more input".  The run loop (monitor/run.c) asks console_poll while the
 * guest runs and console_wait while it halts.
 */
#ifndef MONITOR_CONSOLE_H
#define MONITOR_CONSOLE_H

#include <stdbool.h>
#include <stdint.h>

struct vm;

/* The escape key of a terminal console: Ctrl-A, as QEMU's. */
#define CONSOLE_ESCAPE 0x01

/*
 * Take fd (standard input) as the console of vm's COM1, at set-up (before
 * the sandbox): a terminal goes to raw mode, and its mode comes back at
 * exit, on SIGTERM, SIGHUP, SIGQUIT and on a sandbox refusal.  Returns 0,
 * or -1 with why filled when the terminal refused raw mode.
 */
int console_open(struct vm *vm, int fd, char *why, size_t len);

/* May input still come (the console is open and not at its end)? */
bool console_live(void);

/*
 * While the guest runs: at most once a millisecond of host time, move
 * what the host has ready into the UART, without waiting.
 */
void console_poll(struct vm *vm);

/*
 * The vCPU halts: wait for the clock's next event at virtual time t
 * (CLOCK_NEVER: none) or for input, whichever comes first, and move the
 * input into the UART.  Under --icount the clock does not wait for the
 * host: input is taken if it is there, then time jumps to t; only with no
 * event to come does it block until input arrives.
 */
void console_wait(struct vm *vm, uint64_t t);

/* Can input wake the halted guest: the console is live, the UART
 * interrupts on received data and has room for more? */
bool console_can_wake(const struct vm *vm);

/* Put the terminal back as it was (async-signal-safe; idempotent). */
void console_restore(void);

/*
 * One byte typed on a terminal console, through the escape keys: returns
 * the byte for the guest, or -1 when the escape handling took it (and
 * perhaps stopped vm: Ctrl-A x).
 */
int console_key(struct vm *vm, uint8_t c);

#endif /* MONITOR_CONSOLE_H */
