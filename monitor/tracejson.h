/*
 * monitor/tracejson.h - the run as a picture: --trace-json=FILE.
 *
 * Writes the run in the Trace Event Format that chrome://tracing and
 * ui.perfetto.dev open (the JSON Object Format: {"traceEvents": [...]}),
 * one process with two tracks:
 *
 *   guest     a slice for every stretch of guest code the engine ran, and
 *             for every stretch the vCPU sat halted; an instant for every
 *             interrupt injected;
 *   monitor   a slice for every exit, from the engine's return to the end
 *             of dispatch(): its reason, the instruction, and its cost;
 *
 * and a counter track of the shadow page tables in use.
 *
 * The file is valid JSON however the monitor ends: the normal return of
 * vm_run(), exit() (a panic), and the signals that end it (SIGTERM,
 * SIGHUP, SIGQUIT, SIGPIPE, and the sandbox's SIGSYS) all close the
 * array.  Only SIGKILL leaves it unfinished.
 */
#ifndef MONITOR_TRACEJSON_H
#define MONITOR_TRACEJSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vm;
struct vm_exit;

/*
 * Create FILE and write the head of the trace.  Call before the sandbox
 * (which takes away file access).  Returns 0, or -1 with a reason.
 */
int tracejson_open(const char *path, const char *image, char *why,
		   size_t len);

/*
 * Finish the file also when a signal ends the monitor.  Call once every
 * other handler is in place (the console's, the sandbox's SIGSYS): each
 * is called after the file is finished.
 */
void tracejson_catch_signals(void);

/* Is a trace open?  The run loop calls its hooks only then. */
bool tracejson_on(void);

/* The run loop's hooks; each does nothing when no trace is open.
 * Around engine->run(): */
void tracejson_run_begin(const struct vm *vm);
void tracejson_run_end(const struct vm *vm);
/* After dispatch() interpreted exit x: */
void tracejson_exit(const struct vm *vm, const struct vm_exit *x);
/* An interrupt with this vector entered the guest. */
void tracejson_interrupt(const struct vm *vm, uint8_t vector);

/* The run is over with this status: write its last event, finish the
 * file and close it. */
void tracejson_close(int status);

#endif /* MONITOR_TRACEJSON_H */
