/*
 * shadowpt/paging_dot.c - the guest's page tables and the shadow ones, drawn.
 *
 * What makes shadow paging click is seeing the two trees at once: the
 * guest's, in its own format, and the monitor's, always 4-level, filled
 * page by page as the guest touches its memory.  This file writes both as
 * a Graphviz graph (DOT): one node per table, one row per run of alike
 * entries, an edge from each table entry to the table it names.
 *
 *   cluster "guest"       CR3 -> PML4 -> PDPT -> PD -> PT   (4-level)
 *                         CR3 -> PD -> PT                    (32-bit)
 *                         PDPTE registers -> PD -> PT        (PAE)
 *   cluster "supervisor"  the shadow view of virtual CPL 0-2
 *   cluster "user"        the shadow view of virtual CPL 3
 *
 * Each leaf row says, for each view, what the shadow holds for its pages
 * (shadowpt.c's rules, from the guest's side and from the shadow's):
 *
 *   filled      the shadow maps the page as the guest's entry says
 *   read-only   the guest allows writes, but the page was filled while
 *               its D bit was clear: the shadow maps it read-only so that
 *               the first write faults and the monitor sets D, as the CPU
 *               would (D may be set since: a large page's D, set through
 *               another of its 4 KiB pieces)
 *   not filled  no shadow entry yet: the next access is a hidden #PF
 *   supervisor  a supervisor page is never in the user view
 *   stale       the shadow disagrees with the guest's entry as it is now:
 *               the guest changed it and has not yet invalidated it
 *               (invlpg, a CR3 write), and keeps, as on a real TLB, the
 *               old translation until it does
 *
 * Everything here only reads: the guest's tables through gm_ptr(), a
 * guest translation through the one page walk as a peek (walk_guest()
 * with ACC_PEEK: no accessed or dirty bit set), the shadow through its
 * roots.  A hostile guest's tables (loops, tables outside RAM, a
 * thousand tables) give a picture of bounded size: runs of entries that
 * differ only by a steadily growing frame are one row, at most
 * DOT_MAX_ROWS rows per table and DOT_MAX_TABLES tables per tree.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "core/engine.h"
#include "core/vm.h"
#include "isa/x86.h"
#include "shadowpt/paging_dot.h"
#include "shadowpt/shadowpt.h"
#include "shadowpt/walk.h"

#define DOT_MAX_TABLES 40 /* tables drawn per tree */
#define DOT_MAX_ROWS 14   /* rows per table, then one "more" row */
#define DOT_MAX_ENTRIES 1024
#define VA48_MASK ((1ULL << 48) - 1)

/* What the shadow holds for one guest page (or shadow leaf), per view. */
enum dot_state { DS_FILLED, DS_READONLY, DS_STALE, DS_NSTATES };

static const char *const state_color[DS_NSTATES + 1] = {
	[DS_FILLED] = "#c6efc6", [DS_READONLY] = "#ffd38a",
	[DS_STALE] = "#ff8c8c", [DS_NSTATES] = "#eeeeee", /* not filled */
};

struct dot {
	struct vm *vm;     /* only read (walk_guest's peek takes it) */
	FILE *f;
	enum paging_mode mode;
	bool shadow;       /* the engine uses the shadow (not nested paging) */
	unsigned id;       /* the next node's number */
	unsigned tables;   /* drawn in the current tree */
};

/* ------------------------------------------------------------------
 * The guest's formats (walk.c has the full rules; these are its shapes).
 */

static unsigned fmt_entries(enum paging_mode m)
{
	return m == PAGING_32BIT ? 1024 : PT_ENTRIES;
}

static unsigned fmt_size(enum paging_mode m)
{
	return m == PAGING_32BIT ? 4 : 8;
}

static int fmt_shift(enum paging_mode m, int level)
{
	return PAGE_4K_SHIFT + (m == PAGING_32BIT ? 10 : 9) * (level - 1);
}

static uint64_t fmt_addr_mask(enum paging_mode m)
{
	return m == PAGING_32BIT ? CR3_32BIT_MASK : PTE_ADDR_MASK;
}

/* Is this present entry a leaf (a page, not a table)? */
static bool fmt_leaf(const struct dot *d, uint64_t pte, int level)
{
	if (level == 1)
		return true;
	if (!(pte & PTE_PS))
		return false;
	if (d->mode == PAGING_32BIT)
		return level == 2 && (d->vm->vcpu.cr4 & CR4_PSE);
	return level == 2 || (level == 3 && d->mode == PAGING_4LEVEL);
}

/* The first frame of the page a leaf maps (a large page's PAT bit and
 * reserved bits left out). */
static uint64_t fmt_frame(const struct dot *d, uint64_t pte, int level)
{
	uint64_t size = 1ULL << fmt_shift(d->mode, level);

	return pte & fmt_addr_mask(d->mode) & ~(size - 1);
}

static bool fmt_nx(const struct dot *d)
{
	return d->mode != PAGING_32BIT && (d->vm->vcpu.efer & EFER_NXE);
}

/* A 48-bit linear address as software writes it (bit 47 copied up). */
static uint64_t canonical(uint64_t va)
{
	return (va & (1ULL << 47)) ? va | ~VA48_MASK : va;
}

/* Read a guest table of n entries at gpa into e; false outside RAM. */
static bool load_table(const struct dot *d, uint64_t gpa, unsigned n,
		       uint64_t *e)
{
	unsigned size = fmt_size(d->mode);
	const uint8_t *p = gm_ptr(&d->vm->mem, gpa, (uint64_t)n * size);

	if (!p)
		return false;
	for (unsigned i = 0; i < n; i++) {
		uint32_t e32;
		if (size == 4) {
			memcpy(&e32, p + 4 * i, 4);
			e[i] = e32;
		} else {
			memcpy(&e[i], p + 8 * i, 8);
		}
	}
	return true;
}

/*
 * How a shadow leaf s for va in view v stands against the guest's entry
 * now: the rules of spt_make_leaf() read backwards.
 */
static enum dot_state classify(const struct dot *d, uint64_t va, uint64_t s,
			       enum shadow_view v)
{
	const struct vcpu *c = &d->vm->vcpu;
	struct walk_result g;

	if (walk_guest(d->vm, va, ACC_READ | ACC_PEEK, &g) < 0 ||
	    (v == VIEW_USER && !g.user) ||
	    (s & PTE_ADDR_MASK) != (g.gpa & PAGE_4K_MASK))
		return DS_STALE;
	bool may_write = g.writable ||
			 (v == VIEW_SUPERVISOR && !(c->cr0 & CR0_WP));
	bool no_exec = !g.executable && (c->efer & EFER_NXE);
	if (!!(s & PTE_NX) != no_exec)
		return DS_STALE;
	if (s & PTE_W)
		return may_write && (g.pte & PTE_D) ? DS_FILLED : DS_STALE;
	return may_write ? DS_READONLY : DS_FILLED;
}

/* The host table a shadow non-leaf entry names. */
static const uint64_t *shadow_child(uint64_t e)
{
	return (const uint64_t *)(uintptr_t)(e & PTE_ADDR_MASK);
}

/*
 * Count by state the shadow leaves of view v in [lo, hi) (48-bit linear
 * addresses) below table t at level, which covers from base.  Only
 * present entries are visited, so the work is bounded by the shadow's
 * size whatever range is asked.
 */
static void shadow_count(const struct dot *d, enum shadow_view v,
			 const uint64_t *t, int level, uint64_t base,
			 uint64_t lo, uint64_t hi, unsigned *n)
{
	int shift = PAGE_4K_SHIFT + 9 * (level - 1);
	uint64_t first = lo > base ? (lo - base) >> shift : 0;
	uint64_t last = (hi - 1 - base) >> shift;

	if (hi <= base || last < first)
		return;
	if (last >= PT_ENTRIES)
		last = PT_ENTRIES - 1;
	for (uint64_t i = first; i <= last; i++) {
		uint64_t at = base + (i << shift);
		if (!(t[i] & PTE_P))
			continue;
		if (level == 1)
			n[classify(d, canonical(at), t[i], v)]++;
		else
			shadow_count(d, v, shadow_child(t[i]), level - 1, at,
				     lo, hi, n);
	}
}

/* ------------------------------------------------------------------
 * Rows: a run of present entries that differ only by a frame that grows
 * by one page (or one table) per entry, and hold the same states.
 */

struct row {
	unsigned first, last;
	uint64_t e;              /* the first entry */
	bool leaf;
	unsigned n[SHADOW_NVIEWS][DS_NSTATES]; /* each entry's states */
};

/* The flag letters of entry e. */
static const char *flags(char *out, size_t len, uint64_t e, bool leaf,
			 bool nx)
{
	snprintf(out, len, "%s%s%s%s%s%s%s%s%s", (e & PTE_W) ? "W " : "R ",
		 (e & PTE_U) ? "U " : "S ", (e & PTE_PWT) ? "PWT " : "",
		 (e & PTE_PCD) ? "PCD " : "", (e & PTE_A) ? "A " : "",
		 leaf && (e & PTE_D) ? "D " : "",
		 leaf && (e & PTE_PS) ? "PS " : "",
		 leaf && (e & PTE_G) ? "G " : "",
		 nx && (e & PTE_NX) ? "NX" : "");
	return out;
}

static void node_begin(const struct dot *d, unsigned id, const char *title,
		       const char *sub)
{
	fprintf(d->f, "  n%u [label=<<TABLE BORDER=\"0\" CELLBORDER=\"1\" "
		"CELLSPACING=\"0\" CELLPADDING=\"3\">\n    <TR><TD COLSPAN="
		"\"4\" BGCOLOR=\"#cfe0f5\"><B>%s</B><BR/>%s</TD></TR>\n", id,
		title, sub);
}

static void node_end(const struct dot *d)
{
	fputs("  </TABLE>>];\n", d->f);
}

/* A row that tells what was left out. */
static void node_note(const struct dot *d, const char *text)
{
	fprintf(d->f, "    <TR><TD COLSPAN=\"4\"><I>%s</I></TD></TR>\n", text);
}

/* Close a table's node: how many entries were left out, or what an
 * empty table means (empty), then the end. */
static void node_tail(const struct dot *d, unsigned nrows, unsigned more,
		      const char *empty)
{
	char text[64];

	if (more) {
		snprintf(text, sizeof(text), "... and %u more present "
			 "entries", more);
		node_note(d, text);
	}
	if (!nrows && !more)
		node_note(d, empty);
	node_end(d);
}

/* A table being drawn: what its rows and its children need of it. */
struct parent {
	enum paging_mode mode;  /* its format (the shadow's: 4-level) */
	int level;
	uint64_t base;          /* the first linear address it maps */
	bool user;              /* guest: every level above allows user */
	bool pdpte;             /* guest: it is PAE's PDPTE registers */
	enum shadow_view view;  /* shadow: the view it belongs to */
};

/* Draw the table row r of parent p names, as node id. */
typedef void child_drawer(struct dot *d, const struct parent *p,
			  const struct row *r, unsigned id);

/*
 * After a table's node is closed: the edge from each row that got a
 * child's number (child_id[i], 0 for none) to that child, and the child,
 * drawn by draw (depth first, so that numbers go in drawing order).
 */
static void node_edges(struct dot *d, unsigned id, const struct row *rows,
		       const unsigned *child_id, unsigned nrows,
		       child_drawer *draw, const struct parent *p)
{
	for (unsigned i = 0; i < nrows; i++) {
		if (!child_id[i])
			continue;
		fprintf(d->f, "  n%u:r%u -> n%u;\n", id, rows[i].first,
			child_id[i]);
		draw(d, p, &rows[i], child_id[i]);
	}
}

static child_drawer guest_child, shadow_child_table;

static void index_text(char *out, size_t len, const struct row *r)
{
	if (r->first == r->last)
		snprintf(out, len, "%u", r->first);
	else
		snprintf(out, len, "%u-%u", r->first, r->last);
}

/* A view's state for one entry of count pages: the cell's words. */
static void state_text(char *out, size_t len, const unsigned *n,
		       uint64_t pages, bool absent_ok)
{
	unsigned filled = n[DS_FILLED] + n[DS_READONLY] + n[DS_STALE];

	if (!filled) {
		snprintf(out, len, "%s", absent_ok ? "none: supervisor page" :
			 "not filled");
	} else if (pages == 1) {
		snprintf(out, len, "%s", n[DS_STALE] ? "STALE" :
			 n[DS_READONLY] ? "read-only (for D)" : "filled");
	} else {
		int at = snprintf(out, len, "%u of %" PRIu64 " filled",
				  filled, pages);
		if (n[DS_READONLY])
			at += snprintf(out + at, len - (size_t)at,
				       ", %u read-only", n[DS_READONLY]);
		if (n[DS_STALE])
			snprintf(out + at, len - (size_t)at, ", %u STALE",
				 n[DS_STALE]);
	}
}

/* The most telling state of a view, for the cell's colour. */
static const char *state_colour(const unsigned *n)
{
	for (int s = DS_STALE; s >= DS_FILLED; s--)
		if (n[s])
			return state_color[s];
	return state_color[DS_NSTATES];
}

/* ------------------------------------------------------------------
 * The guest's tree.
 */

/* The states, per view, of the pages of one guest leaf at va. */
static void guest_states(const struct dot *d, uint64_t va, uint64_t size,
			 unsigned n[SHADOW_NVIEWS][DS_NSTATES])
{
	memset(n, 0, sizeof(unsigned) * SHADOW_NVIEWS * DS_NSTATES);
	if (!d->shadow)
		return;
	for (int v = 0; v < SHADOW_NVIEWS; v++)
		shadow_count(d, (enum shadow_view)v, d->vm->spt->root[v],
			     PT_LEVELS, 0, va & VA48_MASK,
			     (va & VA48_MASK) + size, n[v]);
}

/* Does entry e at index i of a table of p continue row r? */
static bool row_continues(const struct parent *p, const struct row *r,
			  uint64_t e, unsigned i, bool leaf,
			  unsigned n[SHADOW_NVIEWS][DS_NSTATES])
{
	uint64_t mask = fmt_addr_mask(p->mode);
	uint64_t step = leaf ? 1ULL << fmt_shift(p->mode, p->level) : PAGE_4K;
	unsigned k = i - r->first;

	return i == r->last + 1 && leaf == r->leaf &&
	       (e & ~mask) == (r->e & ~mask) &&
	       (e & mask) == (r->e & mask) + k * step &&
	       memcmp(n, r->n, sizeof(r->n)) == 0;
}

/* What the present entry e at index i of p's table is: a leaf or not;
 * for a leaf, the states of its pages in each view, into n. */
typedef bool entry_reader(const struct dot *d, const struct parent *p,
			  unsigned i, uint64_t e,
			  unsigned n[SHADOW_NVIEWS][DS_NSTATES]);

/*
 * The present entries of a table of p (n of them, at e) as rows, runs
 * of alike entries in one (a leaf's pages all in the same states; the
 * shadow's tables, whose addresses are the host's, never), at most
 * DOT_MAX_ROWS.  Returns the rows; *more counts the entries left out.
 */
static unsigned group_rows(const struct dot *d, const struct parent *p,
			   const uint64_t *e, unsigned n, entry_reader *read,
			   bool merge_tables, struct row *rows,
			   unsigned *more)
{
	struct row r = { 0 };
	unsigned nrows = 0;
	bool open = false;

	*more = 0;
	for (unsigned i = 0; i < n; i++) {
		unsigned st[SHADOW_NVIEWS][DS_NSTATES] = { { 0 } };
		if (!(e[i] & PTE_P))
			continue;
		if (nrows == DOT_MAX_ROWS) {
			(*more)++;
			continue;
		}
		bool leaf = read(d, p, i, e[i], st);
		if (open && (leaf || merge_tables) &&
		    row_continues(p, &r, e[i], i, leaf, st)) {
			r.last = i;
			continue;
		}
		if (open)
			rows[nrows++] = r;
		if (nrows == DOT_MAX_ROWS) {
			open = false;
			(*more)++;
			continue;
		}
		r = (struct row){ .first = i, .last = i, .e = e[i],
				  .leaf = leaf };
		memcpy(r.n, st, sizeof(r.n));
		open = true;
	}
	if (open)
		rows[nrows++] = r;
	return nrows;
}

static const char *const level_name[2][5] = {
	{ "", "PT", "PD", "PDPT", "PML4" },
	{ "", "PT", "PD", "PDPTE registers", "" },
};

/* One row of a guest table: its cells, and its child drawn. */
static void guest_row(struct dot *d, const struct row *r, int level,
		      uint64_t base, bool user)
{
	char idx[24], fl[64], what[160], sv[64], uv[64];
	int shift = fmt_shift(d->mode, level);
	uint64_t count = r->last - r->first + 1;
	uint64_t va = base + ((uint64_t)r->first << shift);
	uint64_t end = va + (count << shift) - 1;
	uint64_t mask = fmt_addr_mask(d->mode);

	index_text(idx, sizeof(idx), r);
	flags(fl, sizeof(fl), r->e, r->leaf, fmt_nx(d));
	if (r->leaf) {
		uint64_t frame = fmt_frame(d, r->e, level);
		uint64_t pages = 1ULL << (shift - PAGE_4K_SHIFT);
		bool u = user && (r->e & PTE_U);
		snprintf(what, sizeof(what), "va %#" PRIx64 "-%#" PRIx64
			 "<BR/>pa %#" PRIx64 "-%#" PRIx64, canonical(va),
			 canonical(end), frame, frame + (count << shift) - 1);
		if (!d->shadow) {
			fprintf(d->f, "    <TR><TD>%s</TD><TD>%s</TD><TD>%s"
				"</TD><TD>-</TD></TR>\n", idx, what, fl);
			return;
		}
		state_text(sv, sizeof(sv), r->n[VIEW_SUPERVISOR], pages, false);
		state_text(uv, sizeof(uv), r->n[VIEW_USER], pages, !u);
		fprintf(d->f, "    <TR><TD>%s</TD><TD>%s</TD><TD>%s</TD>"
			"<TD BGCOLOR=\"%s\">S: %s</TD></TR>\n"
			"    <TR><TD COLSPAN=\"3\"></TD><TD BGCOLOR=\"%s\">"
			"U: %s</TD></TR>\n", idx, what, fl,
			state_colour(r->n[VIEW_SUPERVISOR]), sv,
			state_colour(r->n[VIEW_USER]), uv);
		return;
	}
	uint64_t child = r->e & mask;
	const char *note = "";
	if (count > 1)
		note = " (the first drawn)";
	snprintf(what, sizeof(what), "va %#" PRIx64 "-%#" PRIx64 "<BR/>%"
		 PRIu64 " %s%s at %#" PRIx64 "%s", canonical(va),
		 canonical(end), count, level_name[0][level - 1],
		 count > 1 ? "s" : "", child, note);
	if (!gm_ptr(&d->vm->mem, child, PAGE_4K))
		note = "<BR/>table outside RAM";
	else if (d->tables >= DOT_MAX_TABLES)
		note = "<BR/>(not drawn: the picture's limit)";
	else
		note = NULL;
	fprintf(d->f, "    <TR><TD PORT=\"r%u\">%s</TD><TD>%s%s</TD><TD>%s"
		"</TD><TD></TD></TR>\n", r->first, idx, what, note ? note : "",
		fl);
	if (note)
		return;
	/* The child is drawn once this table's node is closed
	 * (guest_table); here it only gets its number. */
	d->id++;
	d->tables++;
}

/* A guest entry (an entry_reader): a leaf's states from the shadow's
 * side of each of its pages.  PAE's PDPTE registers are never leaves. */
static bool guest_entry(const struct dot *d, const struct parent *p,
			unsigned i, uint64_t e,
			unsigned n[SHADOW_NVIEWS][DS_NSTATES])
{
	int shift = fmt_shift(d->mode, p->level);

	if (p->pdpte || !fmt_leaf(d, e, p->level))
		return false;
	guest_states(d, p->base + ((uint64_t)i << shift), 1ULL << shift, n);
	return true;
}

/*
 * Draw one guest table (or PAE's four PDPTE registers, pdpte != NULL):
 * its node, then the edges to its children, then the children.  user:
 * every level above allows user access (PAE's PDPTEs carry no rights).
 */
static void guest_table(struct dot *d, unsigned id, uint64_t gpa,
			const uint64_t *pdpte, int level, uint64_t base,
			bool user)
{
	static const char *const mode_name[] = {
		[PAGING_32BIT] = "32-bit", [PAGING_PAE] = "PAE",
		[PAGING_4LEVEL] = "4-level",
	};
	uint64_t e[DOT_MAX_ENTRIES] = { 0 };
	unsigned n = pdpte ? 4 : fmt_entries(d->mode);
	struct row rows[DOT_MAX_ROWS];
	unsigned nrows, more;
	char title[64], sub[96];
	const struct parent p = { .mode = d->mode, .level = level,
				  .base = base, .user = user,
				  .pdpte = pdpte != NULL };

	if (pdpte)
		memcpy(e, pdpte, 4 * sizeof(*e));
	else if (!load_table(d, gpa, n, e))
		n = 0; /* the caller checked: never outside RAM */
	nrows = group_rows(d, &p, e, n, guest_entry, true, rows, &more);

	snprintf(title, sizeof(title), "%s", level_name[!!pdpte][level]);
	if (pdpte)
		snprintf(sub, sizeof(sub), "loaded from CR3 %#" PRIx64,
			 (uint64_t)(d->vm->vcpu.cr3 & CR3_PAE_MASK));
	else
		snprintf(sub, sizeof(sub), "%s at %#" PRIx64 ", va from %#"
			 PRIx64, mode_name[d->mode], gpa, canonical(base));
	node_begin(d, id, title, sub);
	unsigned child_id[DOT_MAX_ROWS] = { 0 };
	for (unsigned i = 0; i < nrows; i++) {
		unsigned before = d->id;
		guest_row(d, &rows[i], level, base, user);
		if (d->id != before)
			child_id[i] = before;
	}
	node_tail(d, nrows, more, "no entry present");
	node_edges(d, id, rows, child_id, nrows, guest_child, &p);
}

/* The guest table a row of p names (a child_drawer). */
static void guest_child(struct dot *d, const struct parent *p,
			const struct row *r, unsigned id)
{
	int shift = fmt_shift(d->mode, p->level);

	guest_table(d, id, r->e & fmt_addr_mask(d->mode), NULL, p->level - 1,
		    p->base + ((uint64_t)r->first << shift),
		    p->user && (p->pdpte || (r->e & PTE_U)));
}

/* ------------------------------------------------------------------
 * The shadow's trees.
 */

/* A shadow entry (an entry_reader): only a PT's entries are leaves,
 * each in the state it stands in against the guest's entry now. */
static bool shadow_entry(const struct dot *d, const struct parent *p,
			 unsigned i, uint64_t e,
			 unsigned n[SHADOW_NVIEWS][DS_NSTATES])
{
	int shift = PAGE_4K_SHIFT + 9 * (p->level - 1);

	if (p->level != 1)
		return false;
	n[p->view][classify(d, canonical(p->base + ((uint64_t)i << shift)), e,
			    p->view)] = 1;
	return true;
}

static void shadow_table(struct dot *d, enum shadow_view v, unsigned id,
			 const uint64_t *t, int level, uint64_t base)
{
	static const char *const what_state[] = {
		[DS_FILLED] = "agrees with the guest",
		[DS_READONLY] = "read-only: a write faults first, for D",
		[DS_STALE] = "STALE: the guest's entry changed",
	};
	struct row rows[DOT_MAX_ROWS];
	unsigned nrows, more;
	int shift = PAGE_4K_SHIFT + 9 * (level - 1);
	char idx[24], fl[64], what[160], sub[96];
	const struct parent p = { .mode = PAGING_4LEVEL, .level = level,
				  .base = base, .view = v };

	nrows = group_rows(d, &p, t, PT_ENTRIES, shadow_entry, false, rows,
			   &more);

	snprintf(sub, sizeof(sub), "va from %#" PRIx64, canonical(base));
	node_begin(d, id, level_name[0][level], sub);
	unsigned child_id[DOT_MAX_ROWS] = { 0 };
	for (unsigned i = 0; i < nrows; i++) {
		const struct row *w = &rows[i];
		uint64_t count = w->last - w->first + 1;
		uint64_t va = base + ((uint64_t)w->first << shift);
		index_text(idx, sizeof(idx), w);
		flags(fl, sizeof(fl), w->e, w->leaf, true);
		if (w->leaf) {
			int s = 0;
			while (s < DS_NSTATES && !w->n[v][s])
				s++;
			snprintf(what, sizeof(what), "va %#" PRIx64 "-%#"
				 PRIx64 "<BR/>pa %#" PRIx64 "-%#" PRIx64,
				 canonical(va),
				 canonical(va + (count << shift) - 1),
				 (uint64_t)(w->e & PTE_ADDR_MASK),
				 (uint64_t)(w->e & PTE_ADDR_MASK) +
				 (count << shift) - 1);
			fprintf(d->f, "    <TR><TD>%s</TD><TD>%s</TD><TD>%s"
				"</TD><TD BGCOLOR=\"%s\">%s</TD></TR>\n", idx,
				what, fl, state_color[s], what_state[s]);
			continue;
		}
		const char *note = d->tables >= DOT_MAX_TABLES ?
			"<BR/>(not drawn: the picture's limit)" : "";
		snprintf(what, sizeof(what), "va %#" PRIx64 "-%#" PRIx64
			 "<BR/>%s%s", canonical(va),
			 canonical(va + (1ULL << shift) - 1),
			 level_name[0][level - 1], note);
		fprintf(d->f, "    <TR><TD PORT=\"r%u\">%s</TD><TD>%s</TD>"
			"<TD>%s%s</TD><TD></TD></TR>\n", w->first, idx, what,
			fl, (w->e & SPT_LARGE) ? "<BR/>shadows a large page" :
			"");
		if (!*note) {
			child_id[i] = d->id++;
			d->tables++;
		}
	}
	node_tail(d, nrows, more, "empty: nothing filled yet");
	node_edges(d, id, rows, child_id, nrows, shadow_child_table, &p);
}

/* The shadow table a row of p names (a child_drawer). */
static void shadow_child_table(struct dot *d, const struct parent *p,
			       const struct row *r, unsigned id)
{
	int shift = PAGE_4K_SHIFT + 9 * (p->level - 1);

	shadow_table(d, p->view, id, shadow_child(r->e), p->level - 1,
		     p->base + ((uint64_t)r->first << shift));
}

/* ------------------------------------------------------------------
 * The picture.
 */

static void legend(const struct dot *d)
{
	fprintf(d->f, "  legend [label=<<TABLE BORDER=\"0\" CELLBORDER=\"1\" "
		"CELLSPACING=\"0\" CELLPADDING=\"3\">\n"
		"    <TR><TD BGCOLOR=\"%s\">filled: the shadow maps the page "
		"as the guest's entry says</TD></TR>\n"
		"    <TR><TD BGCOLOR=\"%s\">read-only: writable for the guest, "
		"but filled while its D bit was clear: the first write faults "
		"and the monitor sets D</TD></TR>\n"
		"    <TR><TD BGCOLOR=\"%s\">STALE: the guest changed the entry "
		"and has not invalidated it yet</TD></TR>\n"
		"    <TR><TD BGCOLOR=\"%s\">not filled: the next access is a "
		"hidden page fault; a supervisor page is never in the user "
		"view</TD></TR>\n  </TABLE>>];\n",
		state_color[DS_FILLED], state_color[DS_READONLY],
		state_color[DS_STALE], state_color[DS_NSTATES]);
}

/* The guest's tree, from CR3 (or PAE's PDPTE registers). */
static void guest_tree(struct dot *d)
{
	static const char *const mode_name[] = {
		[PAGING_NONE] = ("paging off (CR0.PG = 0): linear addresses "
				 "are physical"),
		[PAGING_32BIT] = "32-bit paging", [PAGING_PAE] = "PAE paging",
		[PAGING_4LEVEL] = "4-level paging",
	};
	const struct vcpu *v = &d->vm->vcpu;
	unsigned root = d->id++;
	uint64_t gpa;

	fprintf(d->f, " subgraph cluster_guest {\n  label=\"the guest's page "
		"tables: %s, CR3 %#" PRIx64 "\";\n", mode_name[d->mode],
		v->cr3);
	d->tables = 1;
	switch (d->mode) {
	case PAGING_NONE:
		fprintf(d->f, "  n%u [shape=note, label=\"no page tables: "
			"the shadow maps each page to itself\"];\n", root);
		break;
	case PAGING_PAE:
		guest_table(d, root, 0, v->pdpte, 3, 0, true);
		break;
	default:
		gpa = v->cr3 & fmt_addr_mask(d->mode);
		if (!gm_ptr(&d->vm->mem, gpa, PAGE_4K))
			fprintf(d->f, "  n%u [shape=note, label=\"CR3 names "
				"a table outside RAM\"];\n", root);
		else
			guest_table(d, root, gpa, NULL, d->mode == PAGING_32BIT
				    ? 2 : PT_LEVELS, 0, true);
	}
	fputs(" }\n", d->f);
}

/* One view of the shadow of the current address space. */
static void shadow_tree(struct dot *d, enum shadow_view v)
{
	static const char *const view_name[] = {
		[VIEW_SUPERVISOR] = "supervisor view (virtual CPL 0-2)",
		[VIEW_USER] = "user view (virtual CPL 3)",
	};
	const struct shadowpt *spt = d->vm->spt;
	unsigned root = d->id++;

	fprintf(d->f, " subgraph cluster_%s {\n  label=\"the shadow tables, "
		"%s%s\";\n", v == VIEW_USER ? "user" : "supervisor",
		view_name[v], spt->current == spt->root[v] ? ", in use" : "");
	d->tables = 1;
	if (!d->shadow)
		fprintf(d->f, "  n%u [shape=note, label=\"none: the %s "
			"engine's CPU walks the guest's tables itself (nested "
			"paging)\"];\n", root, d->vm->engine->name);
	else
		shadow_table(d, v, root, spt->root[v], PT_LEVELS, 0);
	fputs(" }\n", d->f);
}

int paging_dot(struct vm *vm, FILE *f)
{
	struct dot d = {
		.vm = vm, .f = f, .mode = paging_mode(&vm->vcpu),
		.shadow = !(vm->engine && vm->engine->nested_paging) &&
			  vm->spt && vm->spt->root[VIEW_SUPERVISOR],
	};

	fprintf(f, "digraph paging {\n graph [rankdir=LR, fontname="
		"\"Helvetica\", label=\"CR0 %#" PRIx64 "  CR4 %#" PRIx64
		"  EFER %#" PRIx64 "  CPL %u  shadow tables in use: %" PRIu64
		"\", labelloc=t];\n node [shape=plaintext, fontname="
		"\"Helvetica\", fontsize=10];\n", (uint64_t)vm->vcpu.cr0,
		(uint64_t)vm->vcpu.cr4, (uint64_t)vm->vcpu.efer, vm->vcpu.cpl,
		vm->spt ? vm->spt->tables : 0);
	legend(&d);
	guest_tree(&d);
	shadow_tree(&d, VIEW_SUPERVISOR);
	shadow_tree(&d, VIEW_USER);
	fputs("}\n", f);
	return ferror(f) || fflush(f) ? -1 : 0;
}
