/*
 * guests/bench/spaces.c - N live address spaces, visited in turn: what
 * shadow paging costs as a guest's address spaces grow in number
 * (bench/run.sh's "spaces" part, bench/README.md).
 *
 * "spaces ITERATIONS N" builds N address spaces (1 to SPACES_MAX), each
 * the boot map in PML4 slot 0 and one private page of its own at
 * UPROC_BASE holding its number; an iteration loads each CR3 in turn
 * and reads the private page, which must hold that space's number.  On
 * hardware (and under nested paging) a CR3 load costs a TLB flush; a
 * shadowing monitor must find the shadows of the new space, or build
 * them again, fault by fault, when its cache of address spaces is full.
 */
#include "bench.h"
#include "cpu.h"
#include "rt.h"

#define SPACES_MAX 64
#define SPACE_FRAMES 5 /* PML4, PDPT, PD, PT, the private page */
#define SPACE_PAGE (PTE_P | PTE_W | PTE_U)

static uint8_t space_pool[SPACES_MAX][SPACE_FRAMES][PAGE_4K]
	__attribute__((aligned(4096)));
static uint64_t space_cr3[SPACES_MAX];

/* Space i: the boot map's PML4 with slot 1 down to its private page. */
static void space_build(unsigned i, uint64_t kernel_cr3)
{
	uint64_t *t[SPACE_FRAMES];

	for (unsigned f = 0; f < SPACE_FRAMES; f++)
		t[f] = memset(space_pool[i][f], 0, PAGE_4K);
	memcpy(t[0], (void *)(uintptr_t)kernel_cr3, PAGE_4K);
	t[0][PT_INDEX(UPROC_BASE, 4)] = (uint64_t)(uintptr_t)t[1] | SPACE_PAGE;
	t[1][PT_INDEX(UPROC_BASE, 3)] = (uint64_t)(uintptr_t)t[2] | SPACE_PAGE;
	t[2][PT_INDEX(UPROC_BASE, 2)] = (uint64_t)(uintptr_t)t[3] | SPACE_PAGE;
	t[3][PT_INDEX(UPROC_BASE, 1)] = (uint64_t)(uintptr_t)t[4] | SPACE_PAGE;
	*(uint64_t *)t[4] = i;
	space_cr3[i] = (uint64_t)(uintptr_t)t[0];
}

uint64_t bench_spaces(uint64_t iters, uint64_t n)
{
	uint64_t kernel_cr3 = read_cr3(), t;

	if (n < 1 || n > SPACES_MAX) {
		rt_printf("bench: spaces takes 1 to %u address spaces, not "
			  "%lu\n", SPACES_MAX, (unsigned long)n);
		rt_exit(2);
	}
	for (unsigned i = 0; i < n; i++)
		space_build(i, kernel_cr3 & PTE_ADDR_MASK);
	t = rdtsc();
	for (uint64_t it = 0; it < iters; it++) {
		for (unsigned i = 0; i < n; i++) {
			write_cr3(space_cr3[i]);
			if (*(volatile uint64_t *)UPROC_BASE != i) {
				write_cr3(kernel_cr3);
				rt_printf("bench: address space %u reads "
					  "another's page\n", i);
				rt_exit(RT_EXIT_UNEXPECTED_TRAP);
			}
		}
	}
	t = rdtsc() - t;
	write_cr3(kernel_cr3);
	return t;
}
