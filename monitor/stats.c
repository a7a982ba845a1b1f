/*
 * monitor/stats.c - counting traps for --stats.
 */
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/vm.h"
#include "monitor/stats.h"
#include "shadowpt/shadowpt.h"

/*
 * Find or add the row of key, called name; the last row absorbs any
 * overflow.  This runs on every exit, twice: a row is found first by
 * hint, the row the same key's low bits led to last time (one compare
 * of keys, where a scan of the rows cost a tenth of a softcpu trap);
 * only a key whose hint is stale scans.  The rows keep the order they
 * were added in (--trace-json reads them by place).
 */
static struct stats_row *stats_row(struct stats_row *rows, unsigned *n,
				   unsigned max, uint8_t *hints, unsigned key,
				   const char *name)
{
	uint8_t *hint = &hints[key % STATS_HINTS];

	if (*hint < *n && rows[*hint].key == key)
		return &rows[*hint];
	for (unsigned i = 0; i < *n; i++)
		if (rows[i].key == key) {
			*hint = (uint8_t)i;
			return &rows[i];
		}
	if (*n == max) {
		struct stats_row *last = &rows[max - 1];
		snprintf(last->name, sizeof(last->name), "(others)");
		return last;
	}
	*hint = (uint8_t)*n;
	struct stats_row *r = &rows[(*n)++];
	r->key = key;
	snprintf(r->name, sizeof(r->name), "%s", name);
	return r;
}

void stats_add_reason(struct vm_stats *s, unsigned key, const char *name,
		      uint64_t ticks)
{
	struct stats_row *r = stats_row(s->reason, &s->nreasons,
					STATS_MAX_REASONS, s->reason_hint,
					key, name);
	r->count++;
	r->ticks += ticks;
}

void stats_add_insn(struct vm_stats *s, unsigned key, const char *name,
		    uint64_t ticks)
{
	struct stats_row *r = stats_row(s->insn, &s->ninsns, STATS_MAX_INSNS,
					s->insn_hint, key, name);
	r->count++;
	r->ticks += ticks;
}

uint64_t stats_ns(const struct vm_stats *s, uint64_t ticks)
{
	return clock_ticks_to_ns(ticks, s->end_ticks - s->start_ticks,
				 s->end_ns - s->start_ns);
}

/* ------------------------------------------------------------------
 * Memory (issue 16: the monitor's resident memory beyond guest RAM).
 */
void stats_open_proc(struct vm_stats *s)
{
	s->status_fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
	s->smaps_fd = open("/proc/self/smaps", O_RDONLY | O_CLOEXEC);
}

/* The whole of a /proc file through its descriptor (pread: the sandbox
 * allows it), NUL-terminated, in a malloc'd buffer; NULL when unread. */
static char *read_proc(int fd)
{
	size_t len = 0, cap = 65536;
	char *buf = malloc(cap);
	ssize_t n;

	if (fd < 0 || !buf) {
		free(buf);
		return NULL;
	}
	while ((n = pread(fd, buf + len, cap - len - 1, (off_t)len)) > 0) {
		len += (size_t)n;
		if (cap - len - 1 == 0) {
			char *more = realloc(buf, cap * 2);
			if (!more)
				break;
			buf = more;
			cap *= 2;
		}
	}
	buf[len] = '\0';
	return buf;
}

/* "VmRSS:   1234 kB" -> 1234 (KiB), or 0. */
static uint64_t status_kib(const char *status, const char *field)
{
	const char *p = status ? strstr(status, field) : NULL;

	return p ? strtoull(p + strlen(field), NULL, 10) : 0;
}

/*
 * The resident KiB of the mappings that lie in [lo, hi): smaps gives each
 * mapping a header line "start-end perms ..." and then "Rss: N kB".
 */
static uint64_t smaps_rss_kib(const char *smaps, uint64_t lo, uint64_t hi)
{
	uint64_t kib = 0;
	bool inside = false;

	for (const char *l = smaps; l && *l; l = strchr(l, '\n'), l += !!l) {
		char *end;
		uint64_t start = strtoull(l, &end, 16);

		if (*end == '-') { /* a mapping's header */
			inside = start >= lo && start < hi;
			continue;
		}
		if (inside && strncmp(l, "Rss:", 4) == 0)
			kib += strtoull(l + 4, NULL, 10);
	}
	return kib;
}

/*
 * The line: the monitor's resident set (now, and its peak), the part of
 * it that is guest RAM, the rest (the monitor's own: its code, heap,
 * Capstone, the device models, the shadow page tables), and the shadow
 * tables with the address spaces they cache (shadowpt/).
 */
void stats_print_memory(const struct vm *vm, FILE *f)
{
	const struct vm_stats *s = vm->stats;
	char *status = read_proc(s->status_fd), *smaps = read_proc(s->smaps_fd);
	uint64_t rss = status_kib(status, "VmRSS:");
	uint64_t hwm = status_kib(status, "VmHWM:");
	uint64_t base = (uint64_t)(uintptr_t)vm->mem.base;
	uint64_t ram = smaps_rss_kib(smaps, base, base + vm->mem.size);

	if (rss && smaps)
		fprintf(f, "monitor: memory: resident %" PRIu64 " KiB (peak %"
			PRIu64 " KiB), of which guest RAM %" PRIu64 " KiB (of %"
			PRIu64 " KiB): the monitor's own %" PRIu64 " KiB\n",
			rss, hwm, ram, vm->mem.size >> 10,
			rss > ram ? rss - ram : 0);
	if (vm->spt)
		fprintf(f, "monitor: shadow page tables: %" PRIu64 " pages (%"
			PRIu64 " KiB); CR3 loads %" PRIu64 " that found their "
			"address space's shadows, %" PRIu64 " that started "
			"empty (%d address spaces cached at most)\n",
			vm->spt->tables, vm->spt->tables * 4,
			vm->spt->space_hits, vm->spt->space_misses,
			SHADOW_SPACES);
	free(status);
	free(smaps);
}

void stats_close_proc(struct vm_stats *s)
{
	if (s->status_fd >= 0)
		close(s->status_fd);
	if (s->smaps_fd >= 0)
		close(s->smaps_fd);
	s->status_fd = s->smaps_fd = -1;
}
