/*
 * monitor/trace.c - the per-trap trace line and the statistics table.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "isa/decode.h"
#include "isa/pgclass.h"
#include "core/engine.h"
#include "monitor/trace.h"
#include "core/vm.h"
#include "monitor/stats.h"
#include "shadowpt/shadowpt.h"

void trace_exit(const struct vm *vm, uint64_t rip, const char *reason,
		const struct insn *in, const struct pg_entry *pg,
		const char *what)
{
	char text[200] = "-";

	if (in)
		snprintf(text, sizeof(text), "%s%s%s", in->mnemonic,
			 in->op_str[0] ? " " : "", in->op_str);
	fprintf(stderr, "[trap] cpl%u rip=%#010" PRIx64 "  %-13s %-28s "
		"%-23s %s\n", vm->vcpu.cpl, rip, reason, text,
		pg ? pg_class_name(pg->cls) : "-", what);
}

/* Rows sorted by time spent, the costliest first. */
static int row_cmp(const void *a, const void *b)
{
	const struct stats_row *x = a, *y = b;

	return x->ns < y->ns ? 1 : x->ns > y->ns ? -1 : 0;
}

static void print_rows(FILE *f, const char *title, const struct stats_row *in,
		       unsigned n, uint64_t total_ns)
{
	struct stats_row rows[STATS_MAX_INSNS > STATS_MAX_REASONS ?
			      STATS_MAX_INSNS : STATS_MAX_REASONS];
	uint64_t count = 0;

	memcpy(rows, in, n * sizeof(rows[0]));
	qsort(rows, n, sizeof(rows[0]), row_cmp);
	fprintf(f, "%-28s %10s %8s %12s %10s\n", title, "count", "count%",
		"time(us)", "avg(ns)");
	for (unsigned i = 0; i < n; i++)
		count += rows[i].count;
	for (unsigned i = 0; i < n; i++)
		fprintf(f, "%-28s %10" PRIu64 " %7.2f%% %12.1f %10" PRIu64 "\n",
			rows[i].name, rows[i].count,
			100.0 * (double)rows[i].count / (double)(count ? count : 1),
			(double)rows[i].ns / 1000.0,
			rows[i].count ? rows[i].ns / rows[i].count : 0);
	fprintf(f, "%-28s %10" PRIu64 "          %12.1f\n\n", "total", count,
		(double)total_ns / 1000.0);
}

void trace_print_stats(const struct vm *vm, FILE *f)
{
	const struct vm_stats *s = vm->stats;
	uint64_t total = 0;
	double secs = (double)(s->end_ns - s->start_ns) / 1e9;

	for (unsigned i = 0; i < s->nreasons; i++)
		total += s->reason[i].ns;
	fprintf(f, "\n--- trapvisor statistics (engine %s, --isa=%s) ---\n",
		vm->engine ? vm->engine->name : "none",
		vm->opt.isa == ISA_STRICT ? "strict" : "x86");
	fprintf(f, "run time %.3f s; monitor time %.3f s", secs,
		(double)total / 1e9);
	if (vm->engine && vm->engine->counts_instructions)
		fprintf(f, "; guest instructions %" PRIu64,
			vm->vcpu.instructions);
	fprintf(f, "\n\n");
	print_rows(f, "exits by reason", s->reason, s->nreasons, total);
	if (s->ninsns)
		print_rows(f, "emulated instructions", s->insn, s->ninsns,
			   total);
	fprintf(f, "interrupts injected into the guest: %" PRIu64 "\n",
		s->injected);
	if (vm->engine && vm->engine->nested_paging) {
		fprintf(f, "no shadow page tables: the CPU walks the guest's "
			"own (nested paging)\n");
	} else {
		fprintf(f, "shadow page faults: %" PRIu64 " hidden (filled by "
			"the monitor), %" PRIu64 " true (reflected to the "
			"guest)\n", vm->spt->hidden_faults,
			vm->spt->true_faults);
		fprintf(f, "shadow address spaces: %" PRIu64 " CR3 loads "
			"found theirs cached, %" PRIu64 " started empty; "
			"%" PRIu64 " shadow tables in use\n",
			vm->spt->space_hits, vm->spt->space_misses,
			vm->spt->tables);
	}
	if (vm->engine && vm->engine->print_stats)
		vm->engine->print_stats(vm, secs, f);
}
