/*
 * monitor/stats.c - counting traps for --stats.
 */
#include <stdio.h>

#include "monitor/stats.h"

/* Find or add the row of key, called name; the last row absorbs any
 * overflow. */
static struct stats_row *stats_row(struct stats_row *rows, unsigned *n,
				   unsigned max, unsigned key,
				   const char *name)
{
	for (unsigned i = 0; i < *n; i++)
		if (rows[i].key == key)
			return &rows[i];
	if (*n == max) {
		struct stats_row *last = &rows[max - 1];
		snprintf(last->name, sizeof(last->name), "(others)");
		return last;
	}
	struct stats_row *r = &rows[(*n)++];
	r->key = key;
	snprintf(r->name, sizeof(r->name), "%s", name);
	return r;
}

void stats_add_reason(struct vm_stats *s, unsigned key, const char *name,
		      uint64_t ns)
{
	struct stats_row *r = stats_row(s->reason, &s->nreasons,
					STATS_MAX_REASONS, key, name);
	r->count++;
	r->ns += ns;
}

void stats_add_insn(struct vm_stats *s, unsigned key, const char *name,
		    uint64_t ns)
{
	struct stats_row *r = stats_row(s->insn, &s->ninsns, STATS_MAX_INSNS,
					key, name);
	r->count++;
	r->ns += ns;
}
