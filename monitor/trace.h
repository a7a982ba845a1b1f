/*
 * monitor/trace.h - what --trace and --stats print.
 */
#ifndef MONITOR_TRACE_H
#define MONITOR_TRACE_H

#include <stdint.h>
#include <stdio.h>

struct vm;
struct insn;
struct pg_entry;

/*
 * One line on stderr for one trap: guest RIP, why it trapped, the
 * instruction as Capstone prints it, its Popek-Goldberg class, and what
 * the monitor did.
 */
void trace_exit(const struct vm *vm, uint64_t rip, const char *reason,
		const struct insn *in, const struct pg_entry *pg,
		const char *what);

/* The --stats table: traps by reason and by instruction, with times. */
void trace_print_stats(const struct vm *vm, FILE *f);

#endif /* MONITOR_TRACE_H */
