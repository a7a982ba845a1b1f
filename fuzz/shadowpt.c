/*
 * fuzz/shadowpt.c - the shadow page-table fill (shadowpt/) on random guest
 * page tables.
 *
 * The input writes guest page tables into a small guest RAM and takes
 * page faults on them, as an engine's MMU would report them.  It starts
 * with 4 bytes of machine state, then 12-byte records:
 *
 *   header  byte 0: CR0.WP (bit 0), CR4.PGE (1), CR4.SMEP (2),
 *                   CR4.SMAP (3), EFER.NXE (4), CPL 3 (5), CR4.PSE (6)
 *           byte 1: the paging format, modulo 3: 4-level, PAE, 32-bit
 *           bytes 2-3: unused
 *   record  byte 0: the operation (below, modulo 8)
 *           byte 1: a table page (TABLE_FIRST + byte % TABLE_PAGES)
 *           bytes 2-3: an entry in it (modulo 512), or the access kind
 *           bytes 4-11: a value (little-endian)
 *
 *   0  write the value into the entry
 *   1  the same, with the frame field pointing at table page value[1]
 *   2  a page fault at the value (made canonical) for the access kind:
 *      bit 0 write, bit 1 instruction fetch
 *   3  invlpg the value
 *   4  load CR3 with the table page (under PAE paging, with the PDPT
 *      at byte 2 (modulo 128) times 32 in it, and the PDPTE registers
 *      loaded from it unless that fails, as a mov to CR3 would)
 *   5  flush every shadow (a CR0/CR4/EFER change)
 *   6  switch the virtual CPL between 0 and 3
 *   7  fetch the value into the shadow ahead (shadowpt_prefetch, as
 *      a TLB may), then look it up
 *
 * What must hold: after a fill (a hidden fault) the shadow maps the
 * address to a frame below the virtual CPU's MAXPHYADDR (RAM or device
 * memory) with the rights the access needed, else the engine would fault
 * again forever; a page fault is either filled, reflected to the guest
 * with CR2 = the address, or a guest page table is outside its RAM; a
 * prefetch writes no flag into guest RAM (it caches only walks that need
 * no accessed flag set) and caches what a walk of the guest's tables
 * gives at the virtual CPL, with no more rights.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "isa/x86.h"
#include "core/engine.h"
#include "core/vm.h"
#include "devices/devices.h"
#include "monitor/machine.h"
#include "monitor/run.h"
#include "monitor/stats.h"
#include "shadowpt/paging_dot.h"
#include "shadowpt/shadowpt.h"
#include "shadowpt/walk.h"
#include "shadowpt/shadowpt.h"

#define RAM_MIB 2
#define TABLE_FIRST 16   /* table pages: guest-physical 0x10000 ... */
#define TABLE_PAGES 32

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* An engine that keeps no translations: nothing to forget. */
static void no_flush(struct vm *vm, uint64_t va)
{
	(void)vm;
	(void)va;
}

/* Every write of an accessed or dirty flag into guest RAM (walk.c tells
 * the engine of each): a prefetch must make none. */
static unsigned long ram_writes;

static void count_write(struct vm *vm, uint64_t gpa, uint64_t len)
{
	(void)vm;
	(void)gpa;
	(void)len;
	ram_writes++;
}

static const struct engine tables_only = { .name = "fuzz",
					   .flush = no_flush,
					   .ram_written = count_write };

static uint64_t le64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, sizeof(v));
	return v;
}

static uint64_t table_gpa(uint8_t b)
{
	return (uint64_t)(TABLE_FIRST + b % TABLE_PAGES) << 12;
}

/* A page fault the engine's MMU would report, and what must follow. */
static void fault(struct vm *vm, uint64_t va, unsigned kind)
{
	uint32_t error = (kind & 1 ? PFEC_W : 0) | (kind & 2 ? PFEC_I : 0) |
			 (vm->vcpu.cpl == 3 ? PFEC_U : 0);

	va = (uint64_t)((int64_t)(va << 16) >> 16); /* canonical */
	vm->vcpu.exception.pending = false;
	switch (shadowpt_fault(vm, va, error)) {
	case SHADOW_FILLED: {
		uint64_t leaf = shadowpt_lookup(vm, va);
		if (!(leaf & PTE_P) ||
		    (leaf & PTE_ADDR_MASK) >> X86_MAXPHYADDR)
			abort(); /* filled with a frame no CPU can address */
		if (((error & PFEC_W) && !(leaf & PTE_W)) ||
		    ((error & PFEC_I) && (leaf & PTE_NX)))
			abort(); /* filled without the right: a fault loop */
		break;
	}
	case SHADOW_GUEST_FAULT:
		if (!vm->vcpu.exception.pending ||
		    vm->vcpu.exception.vector != T_PF || vm->vcpu.cr2 != va)
			abort(); /* a true fault must reach the guest as #PF */
		break;
	case SHADOW_BAD_PHYS:
		break;
	}
}

/*
 * A prefetch: guest RAM as it was, and the leaf (when there was none
 * before) the frame the guest's tables give, writable only if they allow
 * a write and the page is dirty, executable only if they allow a fetch.
 */
static void prefetch(struct vm *vm, uint64_t va)
{
	unsigned long writes = ram_writes;
	unsigned user = vm->vcpu.cpl == 3 ? ACC_USER : 0;
	struct walk_result r;
	uint64_t leaf;
	bool had;

	va = (uint64_t)((int64_t)(va << 16) >> 16); /* canonical */
	had = shadowpt_lookup(vm, va) != 0;
	leaf = shadowpt_prefetch(vm, va);
	if (ram_writes != writes)
		abort(); /* the guest would see a flag it did not earn */
	if (!leaf || had)
		return;
	if (walk_guest(vm, va, ACC_READ | ACC_PEEK | user, &r) < 0 ||
	    !r.accessed || (leaf & PTE_ADDR_MASK) != (r.gpa & PTE_ADDR_MASK))
		abort(); /* cached what the tables do not give */
	if (((leaf & PTE_W) &&
	     (!(r.pte & PTE_D) || walk_guest(vm, va, ACC_WRITE | ACC_PEEK |
					     user, &r) < 0)) ||
	    (!(leaf & PTE_NX) &&
	     walk_guest(vm, va, ACC_FETCH | ACC_PEEK | user, &r) < 0))
		abort(); /* cached with a right the tables refuse */
}

/* mov to CR3: a PDPT whose entries have reserved bits is #GP, no load. */
static void load_cr3(struct vm *vm, uint64_t cr3)
{
	uint64_t old = vm->vcpu.cr3;

	vm->vcpu.cr3 = cr3;
	if (shadowpt_load_pdptes(vm) < 0) {
		vm->vcpu.cr3 = old;
		return;
	}
	shadowpt_load_cr3(vm);
}

/* CR4 and EFER for paging format f (modulo 3): 4-level, PAE, 32-bit. */
static void set_format(struct vcpu *v, uint8_t f, uint8_t flags)
{
	v->cr4 = (flags & 2 ? CR4_PGE : 0) | (flags & 4 ? CR4_SMEP : 0) |
		 (flags & 8 ? CR4_SMAP : 0) | (flags & 64 ? CR4_PSE : 0);
	v->efer = flags & 16 ? EFER_NXE : 0;
	switch (f % 3) {
	case 0:
		v->cr4 |= CR4_PAE;
		v->efer |= EFER_LME | EFER_LMA;
		break;
	case 1:
		v->cr4 |= CR4_PAE;
		break;
	}
}

static void record(struct vm *vm, const uint8_t *r)
{
	uint64_t value = le64(r + 4);
	uint64_t entry = table_gpa(r[1]) + ((r[2] | r[3] << 8) % 512) * 8;

	switch (r[0] % 8) {
	case 1:
		value = (value & ~PTE_ADDR_MASK) | table_gpa(r[5]);
		/* fall through */
	case 0:
		if (vm_write_phys(vm, entry, &value, sizeof(value)) < 0)
			abort();
		break;
	case 2: fault(vm, value, r[2]); break;
	case 3: shadowpt_invlpg(vm, value); break;
	case 4:
		load_cr3(vm, table_gpa(r[1]) | (uint64_t)(r[2] % 128) << 5);
		break;
	case 5: shadowpt_flush_all(vm); break;
	case 6:
		vm->vcpu.cpl = vm->vcpu.cpl ? 0 : 3;
		shadowpt_switch_view(vm);
		break;
	case 7:
		prefetch(vm, value);
		(void)shadowpt_lookup(vm, value);
		break;
	}
}

/*
 * The picture of whatever tables the input built (--dump-paging): whole
 * (a graph that ends), bounded in size however many tables and loops
 * the guest made, and invisible to the guest (not one byte of its RAM
 * changed: no accessed or dirty bit set).
 */
static void draw(struct vm *vm)
{
	static uint8_t before[RAM_MIB << 20];
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	memcpy(before, vm->mem.base, sizeof(before));
	if (!f || paging_dot(vm, f) < 0 || fclose(f) != 0)
		abort();
	if (len > 1000000 || strncmp(text, "digraph paging {", 16) != 0 ||
	    strcmp(text + len - 2, "}\n") != 0)
		abort();
	if (memcmp(before, vm->mem.base, sizeof(before)) != 0)
		abort();
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct vm vm;
	struct vm_options opt = { .mem_mib = RAM_MIB };
	char why[200];

	if (size < 4)
		return 0;
	memset(&vm, 0, sizeof(vm));
	if (vm_create(&vm, &opt, -1, why, sizeof(why)) < 0) {
		fprintf(stderr, "fuzz_shadowpt: %s\n", why);
		exit(1);
	}
	vm.engine = &tables_only;
	struct vcpu *v = &vm.vcpu;
	v->cr0 = CR0_PE | CR0_PG | (data[0] & 1 ? CR0_WP : 0);
	set_format(v, data[1], data[0]);
	v->cpl = data[0] & 32 ? 3 : 0;
	shadowpt_flush_all(&vm);
	load_cr3(&vm, table_gpa(0));
	shadowpt_switch_view(&vm);
	for (size_t i = 4; i + 12 <= size; i += 12)
		record(&vm, data + i);
	draw(&vm);
	vm_destroy(&vm);
	return 0;
}
