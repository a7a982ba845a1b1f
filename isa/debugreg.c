/*
 * isa/debugreg.c - breakpoints and watchpoints in DR0-DR3 and DR7
 * (isa/debugreg.h; SDM vol. 3, 18.2).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "isa/debugreg.h"

#define DR7_L(i) (1ULL << (2 * (i)))          /* local enable of slot i */
#define DR7_RW_SHIFT(i) (16 + 4 * (i))
#define DR7_LEN_SHIFT(i) (18 + 4 * (i))
#define DR7_RW_EXEC 0ULL    /* an instruction breakpoint (a fault) */
#define DR7_RW_WRITE 1ULL   /* data writes (a trap) */
#define DR7_RW_ACCESS 3ULL  /* data reads and writes (a trap) */

/* DR7's LEN field for a watch of len bytes: 1, 2, 8, 4 bytes are 0-3. */
static int dr7_len(uint64_t len)
{
	switch (len) {
	case 1: return 0;
	case 2: return 1;
	case 4: return 3;
	case 8: return 2;
	default: return -1;
	}
}

int dr_plan(const struct vm_debug *d, struct dr_plan *p, const char *engine,
	    char *why, size_t len)
{
	unsigned k = 0;

	memset(p, 0, sizeof(*p));
	if (d->nbreaks + d->nwatches > 4) {
		snprintf(why, len, "%s: x86 has 4 debug registers, and %u "
			 "breakpoints and watchpoints were asked for", engine,
			 d->nbreaks + d->nwatches);
		return -1;
	}
	for (unsigned i = 0; i < d->nbreaks; i++, k++) {
		p->addr[k] = d->breaks[i];
		p->dr7 |= DR7_L(k) | DR7_RW_EXEC << DR7_RW_SHIFT(k);
	}
	for (unsigned i = 0; i < d->nwatches; i++, k++) {
		const struct debug_watch *w = &d->watches[i];
		int l = dr7_len(w->len);

		if (w->kind == WATCH_READ || l < 0 || w->addr % w->len) {
			snprintf(why, len, "%s: x86 cannot watch %s of %"
				 PRIu64 " bytes at %#" PRIx64, engine,
				 w->kind == WATCH_READ ? "reads alone" :
				 "a range", w->len, w->addr);
			return -1;
		}
		p->is_watch[k] = true;
		p->watch[k] = i;
		p->addr[k] = w->addr;
		p->dr7 |= DR7_L(k) |
			  (w->kind == WATCH_WRITE ? DR7_RW_WRITE : DR7_RW_ACCESS)
			  << DR7_RW_SHIFT(k) | (uint64_t)l << DR7_LEN_SHIFT(k);
	}
	return 0;
}

bool dr_stop(struct vm_debug *d, const struct dr_plan *p, uint64_t dr6,
	     uint64_t rip)
{
	for (int i = 0; i < 4; i++) {
		if (!(dr6 & (1ULL << i)) || !(p->dr7 & DR7_L(i)))
			continue;
		if (p->is_watch[i]) {
			const struct debug_watch *w = &d->watches[p->watch[i]];

			d->stop = DEBUG_STOP_WATCH;
			d->stop_addr = w->addr;
			d->stop_kind = w->kind;
		} else {
			d->stop = DEBUG_STOP_BREAK;
			d->stop_addr = rip;
		}
		return true;
	}
	return false;
}
