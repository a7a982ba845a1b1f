/*
 * monitor/dispatch.h - Popek and Goldberg's dispatcher.
 *
 * Every exit from an engine comes here.  The dispatcher decides what it was
 * (a privileged instruction to emulate, a shadow page-table fill, a fault
 * that belongs to the guest, port I/O) and sends it to the one routine that
 * handles it.
 */
#ifndef MONITOR_DISPATCH_H
#define MONITOR_DISPATCH_H

#include <stdio.h>

struct vm;
struct vm_exit;

/*
 * Interpret one exit: on return the vCPU holds its effect (an exception
 * raised for the guest is left pending for the run loop to deliver), or
 * vm->stopped.  For port I/O in, the value read is stored in
 * exit->io.data.
 */
void dispatch(struct vm *vm, struct vm_exit *exit);

/* --stats: what the decode cache (isa/dcache.c) saved the dispatcher. */
void dispatch_print_stats(FILE *f);

#endif /* MONITOR_DISPATCH_H */
