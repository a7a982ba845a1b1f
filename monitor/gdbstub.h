/*
 * monitor/gdbstub.h - a gdb remote stub: gdb attached to the guest as to
 * a remote target (target remote localhost:1234), as QEMU's -s offers.
 *
 * The stub listens before the sandbox closes the door (main.c), then the
 * run loop (monitor/run.c) calls it at three points: at the top of every
 * turn (a gdb to wait for or that just connected, a single step that has
 * ended, a Ctrl-C from gdb), when the engine stopped for a breakpoint or
 * a watchpoint (vm->debug.stop), and when the guest has stopped for good
 * (gdb is told its exit status).  While the guest is stopped, the stub
 * answers gdb's packets (monitor/gdbpkt.c) until gdb resumes, detaches
 * or kills it.
 */
#ifndef MONITOR_GDBSTUB_H
#define MONITOR_GDBSTUB_H

#include <stdbool.h>
#include <stddef.h>

struct vm;

/* Host time between two looks at gdb's socket while the guest runs. */
#define GDBSTUB_POLL_NS 10000000ULL /* 10 ms */

/* The default of --gdb and of QEMU's -s. */
#define GDBSTUB_DEFAULT "localhost:1234"

/*
 * Split "[HOST:]PORT" (HOST defaults to localhost; PORT 0 lets the
 * kernel choose one, which the stub prints).  Returns 0, or -1 when the
 * port is not a number from 0 to 65535 or the host is too long.
 */
int gdbstub_parse_address(const char *spec, char *host, size_t hostlen,
			  unsigned *port);

/*
 * Listen at vm->opt.gdb for gdb, and say where on stderr ("trapvisor:
 * gdb: waiting for gdb on localhost:1234", or "listening on" with
 * --gdb-nowait).  Returns 0, or -1 with a one-line reason in why (the
 * port in use, a host that does not resolve, an engine that cannot be
 * debugged).  Call it after the engine's init, before the sandbox.
 */
int gdbstub_open(struct vm *vm, char *why, size_t len);
/* Close the sockets and free the stub (vm->gdb NULL: nothing). */
void gdbstub_close(struct vm *vm);

/* The system calls the stub makes once the sandbox is on: a list ended
 * by -1 (monitor/sandbox.c adds it when --gdb is given). */
extern const int gdbstub_sandbox_calls[];

/* The run loop's three points (monitor/run.c). */
void gdbstub_check(struct vm *vm);
void gdbstub_engine_stop(struct vm *vm);
void gdbstub_guest_exit(struct vm *vm);

#endif /* MONITOR_GDBSTUB_H */
