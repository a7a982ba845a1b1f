/*
 * tests/unit/support/shadow.h - the shadow page tables read as the MMU
 * reads them, for the tests that look at (or change behind an engine's
 * back) what the shadow holds (test_shadowpt.c, test_softcpu.c,
 * test_softcpu_tlb.c).
 *
 * The shadow is 4-level whatever the guest's format, and a table entry
 * holds the host address of the table below it (shadowpt.c's
 * spt_child): the walk follows those, as the engine's MMU does.
 */
#ifndef TESTS_UNIT_SUPPORT_SHADOW_H
#define TESTS_UNIT_SUPPORT_SHADOW_H

#include <stdint.h>

/* The 4 KiB shadow leaf of va under the shadow PML4 root (a view's
 * root[], or current), or NULL where a table above it is not present. */
uint64_t *shadow_leaf_of(uint64_t *root, uint64_t va);

#endif /* TESTS_UNIT_SUPPORT_SHADOW_H */
