/*
 * tests/unit/support/guestpt.c - guest page tables in the three paging
 * formats (guestpt.h).  Linked into every unit test; only the
 * tests that build guest tables use it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "isa/x86.h"
#include "monitor/machine.h"
#include "shadowpt/shadowpt.h"
#include "tests/unit/support/guestpt.h"

uint64_t gpt_next_table;

int gpt_vm_make(struct vm *vm, const struct engine *e, uint64_t tables)
{
	struct vm_options opt = { .mem_mib = GPT_RAM_MIB };
	char why[200];

	if (vm_create(vm, &opt, 1, why, sizeof(why)) < 0)
		return -1;
	vm->engine = e;
	vm->vcpu.cr0 = CR0_PE | CR0_PG | CR0_WP;
	gpt_next_table = tables;
	return 0;
}

uint64_t gpt_new_table(void)
{
	uint64_t t = gpt_next_table;

	gpt_next_table += PAGE_4K;
	return t;
}

uint64_t *gpt_at(struct vm *vm, uint64_t gpa)
{
	uint64_t *p = gm_ptr(&vm->mem, gpa, 8);

	assert_non_null(p);
	return p;
}

uint32_t *gpt32_at(struct vm *vm, uint64_t gpa)
{
	uint32_t *p = gm_ptr(&vm->mem, gpa, 4);

	assert_non_null(p);
	return p;
}

/* ------------------------------------------------------------------
 * 32-bit paging: tables of 1024 4-byte entries.
 */

void use_32bit(struct vm *vm, uint64_t cr4, uint64_t cr3)
{
	vm->vcpu.cr4 = cr4;
	vm->vcpu.efer = EFER_NXE; /* no effect without PAE */
	vm->vcpu.cr3 = cr3;
	shadowpt_flush_all(vm);
	shadowpt_load_cr3(vm);
}

uint32_t *gpt32_pde(struct vm *vm, uint64_t va)
{
	return gpt32_at(vm, PD32_GPA + 4 * ((va >> 22) & 0x3ff));
}

uint32_t *gpt32_map(struct vm *vm, uint64_t va, uint32_t gpa,
		    uint32_t flags)
{
	uint32_t *pde = gpt32_pde(vm, va);

	if (!(*pde & PTE_P))
		*pde = (uint32_t)gpt_new_table() | PTE_P | PTE_W | PTE_U;
	uint32_t *pte = gpt32_at(vm, (*pde & 0xfffff000U) +
				 4 * ((va >> 12) & 0x3ff));
	*pte = gpa | PTE_P | flags;
	return pte;
}

/* ------------------------------------------------------------------
 * PAE paging: four PDPTE registers, then tables of 512 8-byte entries.
 */

void use_pae(struct vm *vm, uint64_t cr4, uint64_t efer)
{
	vm->vcpu.cr4 = CR4_PAE | cr4;
	vm->vcpu.efer = efer;
	vm->vcpu.cr3 = PAE_CR3;
	shadowpt_flush_all(vm);
	if (shadowpt_load_pdptes(vm) < 0)
		fail_msg("PAE: loading the PDPTEs of a good PDPT at %#llx "
			 "failed", (unsigned long long)PAE_CR3);
	shadowpt_load_cr3(vm);
}

void gpt_put_pdpt(struct vm *vm, uint64_t e0, uint64_t e1, uint64_t e2,
		  uint64_t e3)
{
	uint64_t pdpt[4] = { e0, e1, e2, e3 };

	assert_int_equal(vm_write_phys(vm, PAE_CR3, pdpt, sizeof(pdpt)), 0);
}

uint64_t *gpt_pae_entry(struct vm *vm, uint64_t va, int level)
{
	uint64_t *pdpte = gpt_at(vm, PAE_CR3 + 8 * ((va >> 30) & 3));

	if (!(*pdpte & PTE_P)) {
		*pdpte = gpt_new_table() | PTE_P;
		assert_int_equal(shadowpt_load_pdptes(vm), 0);
	}
	uint64_t table = *pdpte & PTE_ADDR_MASK;
	if (level == 1) {
		uint64_t *pde = gpt_at(vm, table + 8 * PT_INDEX(va, 2));
		if (!(*pde & PTE_P))
			*pde = gpt_new_table() | PTE_P | PTE_W | PTE_U;
		table = *pde & PTE_ADDR_MASK;
	}
	return gpt_at(vm, table + 8 * PT_INDEX(va, level));
}

uint64_t *gpt_pae_map(struct vm *vm, uint64_t va, uint64_t gpa, int level,
		      uint64_t flags)
{
	uint64_t *e = gpt_pae_entry(vm, va, level);

	*e = gpa | PTE_P | flags | (level == 2 ? PTE_PS : 0);
	return e;
}

/* ------------------------------------------------------------------
 * 4-level paging: a PML4, then PDPT, PD and PT, 512 8-byte entries each.
 */

int gpt_vm_make64(struct vm *vm, const struct engine *e, uint64_t tables)
{
	if (gpt_vm_make(vm, e, tables) < 0)
		return -1;
	vm->vcpu.cr3 = PML4_GPA;
	vm->vcpu.cr4 = CR4_PAE;
	vm->vcpu.efer = EFER_LME | EFER_LMA | EFER_NXE;
	return 0;
}

uint64_t *gpt_entry64(struct vm *vm, uint64_t va, int level, uint64_t upper)
{
	uint64_t table = PML4_GPA;

	for (int l = PT_LEVELS; l > level; l--) {
		uint64_t *e = gpt_at(vm, table + 8 * PT_INDEX(va, l));

		if (!(*e & PTE_P))
			*e = gpt_new_table() | upper;
		table = *e & PTE_ADDR_MASK;
	}
	return gpt_at(vm, table + 8 * PT_INDEX(va, level));
}
