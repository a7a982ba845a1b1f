/*
 * monitor/stats.h - what --stats counts: traps by reason and by instruction.
 *
 * In the spirit of `perf kvm stat`: every exit is counted with the time the
 * monitor spent handling it (from the engine's return to the next run).
 * The time is counted in the host's ticks (clock_host_ticks: the TSC,
 * one instruction, where a read of the monotonic clock is a call into the
 * vDSO, twice an exit) and turned into ns when printed, at the rate the
 * ticks ran over the whole run (stats_ns).
 */
#ifndef MONITOR_STATS_H
#define MONITOR_STATS_H

#include <stdint.h>
#include <stdio.h>

#define STATS_MAX_INSNS 64 /* distinct trapping instructions tracked */
#define STATS_MAX_REASONS 32
#define STATS_HINTS 64     /* stats_row's memo of where a key's row is */

struct stats_row {
	unsigned key;        /* the caller's number for the row */
	char name[40];       /* "#GP", "cli", "in dx" ... */
	uint64_t count;
	uint64_t ticks;      /* total handling time (clock_host_ticks) */
};

struct vm_stats {
	struct stats_row reason[STATS_MAX_REASONS];
	unsigned nreasons;
	struct stats_row insn[STATS_MAX_INSNS];
	unsigned ninsns;
	/* The row a key was last found in, by the key's low bits (a hint:
	 * checked against the row's key before it is believed). */
	uint8_t reason_hint[STATS_HINTS], insn_hint[STATS_HINTS];
	uint64_t start_ns, end_ns; /* wall time of the run */
	uint64_t start_ticks, end_ticks; /* the same in clock_host_ticks */
	uint64_t injected;         /* interrupts delivered into the guest */
	int status_fd, smaps_fd;   /* /proc/self/status and smaps, opened
				      before the sandbox (stats_open_proc) */
};

/*
 * Count one exit of kind key, handled in ticks; name is the row's name,
 * the same for every key (monitor/dispatch.c numbers them).  Rows are
 * found by key, a compare of two numbers: this runs on every exit.
 */
void stats_add_reason(struct vm_stats *s, unsigned key, const char *name,
		      uint64_t ticks);
/* Count one emulated instruction of kind key called name, handled in
 * ticks. */
void stats_add_insn(struct vm_stats *s, unsigned key, const char *name,
		    uint64_t ticks);
/* ticks of this run (start_ticks to end_ticks) as ns. */
uint64_t stats_ns(const struct vm_stats *s, uint64_t ticks);

struct vm;

/*
 * --stats' memory line: open /proc/self/status and /proc/self/smaps now,
 * while files can be opened (the sandbox forbids it later; pread is
 * allowed), and at exit print the monitor's resident memory less the
 * guest RAM it maps, and the shadow tables' (stats_print_memory).
 */
void stats_open_proc(struct vm_stats *s);
void stats_print_memory(const struct vm *vm, FILE *f);
void stats_close_proc(struct vm_stats *s);

#endif /* MONITOR_STATS_H */
