/*
 * guests/mb32/longmode.c - section 6: the tables for long mode, then the
 * jump (long64.S).
 *
 * 4-level paging (SDM vol. 3, 4.5): a PML4, one PDPT and one page
 * directory whose 2 MiB pages identity-map the first 8 MiB, where mb32,
 * its stack and its tables live.  Paging is off when this section starts
 * (paging.c turned it off), as the SDM requires before EFER.LME is set.
 */
#include "guests/mb32/mb32.h"

#define NPTE64 512
#define IDENTITY_2M_PAGES 4
#define CPUID_EXT_LM (1u << 29) /* CPUID 0x80000001 EDX: long mode */

static uint64_t pml4[NPTE64] __attribute__((aligned(4096)));
static uint64_t pdpt[NPTE64] __attribute__((aligned(4096)));
static uint64_t pd[NPTE64] __attribute__((aligned(4096)));

void longmode_section(void)
{
	uint32_t r[4];

	section("6. long mode");
	cpuid(0x80000001, r);
	check(r[3] & CPUID_EXT_LM, "CPUID: long mode supported", "EDX %x",
	      r[3]);
	check(!(read_cr0() & CR0_PG), "paging off before EFER.LME", "CR0 %x",
	      read_cr0());
	for (unsigned i = 0; i < IDENTITY_2M_PAGES; i++)
		pd[i] = (uint64_t)i << 21 | PTE_PS | PTE_P | PTE_W;
	pdpt[0] = (uint32_t)pd | PTE_P | PTE_W;
	pml4[0] = (uint32_t)pdpt | PTE_P | PTE_W;
	rt_printf("CR4.PAE, CR3 = PML4, EFER.LME, CR0.PG, far jump to 0x38\n");
	long_mode_enter((uint32_t)pml4);
}
