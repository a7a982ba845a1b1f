/*
 * tests/unit/support/shadow.c - the shadow page tables read as the MMU
 * reads them (shadow.h).  Linked into every unit test.
 */
#include <stddef.h>
#include <stdint.h>

#include "isa/x86.h"
#include "tests/unit/support/shadow.h"

uint64_t *shadow_leaf_of(uint64_t *root, uint64_t va)
{
	uint64_t *t = root;

	for (int level = PT_LEVELS; level > 1; level--) {
		uint64_t e = t[PT_INDEX(va, level)];

		if (!(e & PTE_P))
			return NULL;
		t = (uint64_t *)(uintptr_t)(e & PTE_ADDR_MASK);
	}
	return &t[PT_INDEX(va, 1)];
}
