/*
 * monitor/stats.h - what --stats counts: traps by reason and by instruction.
 *
 * In the spirit of `perf kvm stat`: every exit is counted with the time the
 * monitor spent handling it (from the engine's return to the next run).
 */
#ifndef MONITOR_STATS_H
#define MONITOR_STATS_H

#include <stdint.h>
#include <stdio.h>

#define STATS_MAX_INSNS 64 /* distinct trapping instructions tracked */
#define STATS_MAX_REASONS 32

struct stats_row {
	char name[40];       /* "#GP(0)", "cli", "in dx" ... */
	uint64_t count;
	uint64_t ns;         /* total handling time */
};

struct vm_stats {
	struct stats_row reason[STATS_MAX_REASONS];
	unsigned nreasons;
	struct stats_row insn[STATS_MAX_INSNS];
	unsigned ninsns;
	uint64_t start_ns, end_ns; /* wall time of the run */
	uint64_t injected;         /* interrupts delivered into the guest */
};

/* Count one exit of kind name, handled in ns. */
void stats_add_reason(struct vm_stats *s, const char *name, uint64_t ns);
/* Count one emulated instruction called name, handled in ns. */
void stats_add_insn(struct vm_stats *s, const char *name, uint64_t ns);

#endif /* MONITOR_STATS_H */
