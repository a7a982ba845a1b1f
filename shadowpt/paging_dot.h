/*
 * shadowpt/paging_dot.h - the guest's page tables beside the shadow ones,
 * as a Graphviz graph (--dump-paging, and the gdb stub's monitor command).
 */
#ifndef SHADOWPT_PAGING_DOT_H
#define SHADOWPT_PAGING_DOT_H

#include <stdio.h>

struct vm;

/*
 * Write, in Graphviz's DOT language, the tree of guest page tables that
 * the vCPU's CR3 names (in the format its CR0, CR4 and EFER select:
 * 32-bit, PAE or 4-level) and the two views of the shadow tables of that
 * address space (supervisor and user), one cluster each.  Every guest leaf
 * says how the shadow holds its pages in each view: filled and agreeing,
 * read-only until a write sets the guest's D bit, not filled yet, absent
 * from the user view (a supervisor page), or stale (the guest changed its
 * entry and has not invalidated it yet); every shadow leaf says the same from
 * its side.  Runs of alike entries are one row, and the number of tables
 * and rows drawn is bounded, so a large guest gives a picture of bounded
 * size.  Reads only: no accessed or dirty bit is set (the page walk is a
 * peek, ACC_PEEK), nothing is filled.
 * Returns 0, or -1 when writing to f failed.
 */
int paging_dot(struct vm *vm, FILE *f);

#endif /* SHADOWPT_PAGING_DOT_H */
