/*
 * tests/unit/support/guestpt.h - guest page tables in the three paging
 * formats, built in guest RAM for the tests that walk them
 * (test_shadowpt.c, test_walk.c, test_prefetch.c, test_dcache.c).
 *
 * 32-bit paging (SDM vol. 3, 4.3): a page directory at PD32_GPA, tables
 * of 1024 4-byte entries, 10 index bits a level, 4 MiB pages under
 * CR4.PSE.  PAE paging (4.4): a PDPT at PAE_CR3 whose four entries the
 * CPU loads into registers at a CR3 write, then tables of 512 8-byte
 * entries, 2 MiB pages.  4-level paging (4.5): a PML4 at PML4_GPA, then
 * tables of 512 8-byte entries down to the 4 KiB page.  The tables below
 * the top are taken from gpt_next_table on, which each test's set-up
 * points at free RAM.  An entry's pointer is into guest RAM: a write
 * through it is the guest's, which the monitor does not see (as on the
 * CPU, until a flush).
 */
#ifndef TESTS_UNIT_SUPPORT_GUESTPT_H
#define TESTS_UNIT_SUPPORT_GUESTPT_H

#include <stdint.h>

#include "core/vm.h"

#define PD32_GPA 0x70000ULL       /* the 32-bit page directory */
#define PDPT_GPA 0x71000ULL       /* a page of PDPTs ... */
#define PAE_CR3 (PDPT_GPA + 0x20) /* ... the second of which is used */
#define PML4_GPA 0x1000ULL        /* the 4-level PML4 */
#define PAGE_4M (1ULL << 22)
#define GPT_RAM_MIB 8             /* the RAM of gpt_vm_make's VM */

extern uint64_t gpt_next_table; /* the next free page for a guest table */

/* A page for a new table: gpt_next_table's, which moves on. */
uint64_t gpt_new_table(void);

/*
 * Make vm for a walk test: GPT_RAM_MIB MiB of RAM, the engine e (a fake
 * that hears what the shadow tells an engine, or NULL for none), paging
 * on as a kernel has it (CR0.PE, PG and WP: the test picks the format),
 * its tables taken from tables on.  0, or -1.
 */
int gpt_vm_make(struct vm *vm, const struct engine *e, uint64_t tables);

/* The 8-byte and the 4-byte entry at gpa (a cmocka failure if not RAM). */
uint64_t *gpt_at(struct vm *vm, uint64_t gpa);
uint32_t *gpt32_at(struct vm *vm, uint64_t gpa);

/* 32-bit paging with these CR4 bits (PSE, PGE) and this CR3, as a guest
 * would switch to it, with the flush the interpreter does. */
void use_32bit(struct vm *vm, uint64_t cr4, uint64_t cr3);
/* The PDE of va in the directory at PD32_GPA. */
uint32_t *gpt32_pde(struct vm *vm, uint64_t va);
/* Map va -> gpa with a 4 KiB leaf, the PDE above it P | W | U. */
uint32_t *gpt32_map(struct vm *vm, uint64_t va, uint32_t gpa,
		    uint32_t flags);

/* PAE paging with these CR4 bits and EFER, CR3 = PAE_CR3, as a mov to
 * CR3 would: the PDPTEs loaded (a cmocka failure if they do not), then
 * the address space. */
void use_pae(struct vm *vm, uint64_t cr4, uint64_t efer);
/* Write the four entries of the PDPT at PAE_CR3 (not the registers). */
void gpt_put_pdpt(struct vm *vm, uint64_t e0, uint64_t e1, uint64_t e2,
		  uint64_t e3);
/* The PAE entry for va at level (2: PD, 1: PT), making what is above it
 * P | W | U; a new PDPTE is written to the PDPT and the registers
 * reloaded. */
uint64_t *gpt_pae_entry(struct vm *vm, uint64_t va, int level);
/* Map va -> gpa with a leaf at level (1: 4 KiB, 2: 2 MiB). */
uint64_t *gpt_pae_map(struct vm *vm, uint64_t va, uint64_t gpa, int level,
		      uint64_t flags);

/* gpt_vm_make, then 4-level paging as a 64-bit kernel runs it: CR3 =
 * PML4_GPA, CR4.PAE, EFER.LME, LMA and NXE. */
int gpt_vm_make64(struct vm *vm, const struct engine *e, uint64_t tables);

/* The 4-level entry for va at level (4: PML4E ... 1: PTE) under the PML4
 * at PML4_GPA, making each missing table above it with the flags upper
 * (PTE_P and what else the test wants of a used table entry). */
uint64_t *gpt_entry64(struct vm *vm, uint64_t va, int level, uint64_t upper);

#endif /* TESTS_UNIT_SUPPORT_GUESTPT_H */
