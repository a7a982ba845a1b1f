/*
 * shadowpt/walk.c - the guest page-table walker and guest-linear access.
 *
 * This is the CPU's page walker written in C.  The monitor needs it in two
 * places: the shadow page tables are filled from what it finds
 * (shadowpt.c), and the monitor itself reads and writes guest memory by
 * linear address (fetching an instruction to decode, pushing an exception
 * frame, reading the guest's GDT and IDT) through gva_read and gva_write.
 *
 * x86 has three page-table formats (SDM vol. 3, 4.3-4.5), and the vCPU's
 * control registers pick one (paging_mode() in walk.h):
 *
 *   32-bit paging (4.3): 4-byte entries, 1024 to a table, 10 index bits
 *     CR3 -> PDE (level 2) -> PTE (level 1)
 *              |
 *              PS=1 and CR4.PSE: 4 MiB leaf
 *
 *   PAE paging (4.4): 8-byte entries, 512 to a table, 9 index bits; the
 *   top level is four registers the CPU loaded from the table at CR3
 *     PDPTE[va 31:30] (level 3) -> PDE (level 2) -> PTE (level 1)
 *                                    |
 *                                    PS=1: 2 MiB leaf
 *
 *   4-level paging (4.5): 8-byte entries, 9 index bits per level
 *     CR3 -> PML4E (4) -> PDPTE (3) -> PDE (2) -> PTE (1)
 *                           |            |
 *                           PS=1: 1 GiB  PS=1: 2 MiB leaf
 *
 * The rights of a translation are the AND of the rights of every entry
 * used (SDM vol. 3, 4.6): a page is writable only if every level says R/W,
 * user only if every level says U/S, executable only if no level says XD
 * (which exists only in 8-byte entries, and only with EFER.NXE).  PAE's
 * PDPTEs carry no rights at all.
 *
 * The virtual CPU has no 5-level paging, and neither SMEP nor SMAP nor
 * protection keys nor PSE-36 (its CPUID does not advertise them), so those
 * checks do not exist here.
 *
 * What one format has and the others have not (the entry's size, the
 * index bits, where the walk starts, which PS bits make a leaf, the
 * reserved bits, XD) is asked of small functions below, 4-level paging
 * first in each; the walk itself is the same for all three.
 */
#include <stdbool.h>
#include <string.h>

#include "core/engine.h"
#include "core/lab.h"
#include "core/vm.h"
#include "isa/arch.h"
#include "isa/decode.h"
#include "isa/x86.h"
#include "shadowpt/shadowpt.h"
#include "shadowpt/walk.h"

/*
 * Frame bits at and above the virtual CPU's MAXPHYADDR (CPUID 0x80000008:
 * EAX[7:0] = X86_MAXPHYADDR) are reserved in every 8-byte entry (SDM vol.
 * 3, tables 4-8 to 4-19), up to bit 51 in 4-level paging and up to bit 62
 * in PAE paging; so is XD (bit 63) when EFER.NXE is clear.
 *
 *          63 62     52 51      M M-1         12
 * 4-level  XD ignored... reserved   frame
 * PAE      XD reserved............   frame
 */
#define RSVD_PHYS (PTE_ADDR_MASK & ~((1ULL << X86_MAXPHYADDR) - 1))
#define RSVD_PHYS_PAE (RSVD_PHYS | 0x7ff0000000000000ULL)
/* In a large leaf, bit 12 is PAT; the bits from 13 up to the frame are 0. */
#define RSVD_1G (PTE_ADDR_MASK & ~PTE_ADDR_1G_MASK & ~PAGE_4K)
#define RSVD_2M (PTE_ADDR_MASK & ~PTE_ADDR_2M_MASK & ~PAGE_4K)
/*
 * A 32-bit 4 MiB leaf: bits 20:13 would hold physical-address bits 39:32
 * with PSE-36, which the virtual CPU does not have, and bit 21 is always
 * reserved: bits 21:13 must be 0 (SDM vol. 3, 4.3 and table 4-4).
 */
#define RSVD_4M 0x003fe000ULL

#define PAGE_4M (1ULL << 22)

/* The bits of acc that a #PF error code reports. */
#define ACC_PFEC_BITS (ACC_WRITE | ACC_USER | ACC_FETCH)

/* The entries one walk used, so that A/D are set only once it succeeds. */
struct walk_path {
	enum paging_mode mode;
	unsigned entry_size; /* 4 for 32-bit paging, else 8 */
	void *slot[PT_LEVELS];
	uint64_t gpa[PT_LEVELS];
	int n;
};

/*
 * Does this format have execute protection?  Only 8-byte entries have an
 * XD bit (bit 63), and it means something only while EFER.NXE is set
 * (SDM vol. 3, 4.1.1 and tables 4-8 to 4-11); a 4-byte entry has none.
 */
static bool walk_nx(struct vm *vm, enum paging_mode mode)
{
	if (mode == PAGING_4LEVEL)
		return vm->vcpu.efer & EFER_NXE;
	/* LAB 9 BEGIN: walk_nx: XD in PAE paging, none in 32-bit paging (task 3) */
	return mode == PAGING_PAE && (vm->vcpu.efer & EFER_NXE);
	/* LAB 9 END; hole: lab_todo(vm, 9, "walk_nx"); return false; */
}

/*
 * The #PF error code for an access of kind acc; present tells a protection
 * violation from a not-present entry.  I/D is reported only when execute
 * protection is on (PAE or 4-level paging with EFER.NXE), as the SDM says
 * (vol. 3, 4.7).
 */
static uint32_t walk_error(struct vm *vm, enum paging_mode mode,
			   unsigned acc, bool present)
{
	uint32_t error = acc & ACC_PFEC_BITS;

	if (!walk_nx(vm, mode))
		error &= ~(uint32_t)PFEC_I;
	return error | (present ? PFEC_P : 0);
}

/*
 * Is the entry at this level a leaf (a page, not a table)?  Level 1 always
 * is; above it, PS (bit 7) says so where the format has pages that size.
 */
static bool walk_is_leaf(struct vm *vm, enum paging_mode mode,
			 uint64_t pte, int level)
{
	if (level == 1)
		return true;
	if (!(pte & PTE_PS))
		return false;
	if (mode == PAGING_4LEVEL)
		return level == 2 || level == 3;
	/* LAB 9 BEGIN: walk_is_leaf: 4 MiB pages under CR4.PSE, PAE's 2 MiB pages (tasks 1, 2) */
	if (mode == PAGING_32BIT) /* PS is ignored without CR4.PSE */
		return level == 2 && (vm->vcpu.cr4 & CR4_PSE);
	return level == 2; /* PAE: no 1 GiB pages, its PDPTEs have no PS */
	/* LAB 9 END; hole: lab_todo(vm, 9, "walk_is_leaf"); (void)level; return false; */
}

/*
 * Reserved bits that this entry at this level must not have set.  A
 * 4-byte entry has them only in a 4 MiB leaf; an 8-byte one has the frame
 * bits from MAXPHYADDR up (to bit 62 in PAE paging, bits 62:52 being
 * ignored in 4-level paging), XD without EFER.NXE, and in a large leaf
 * the bits between PAT and the frame.
 */
static uint64_t walk_reserved(struct vm *vm, enum paging_mode mode,
			      uint64_t pte, int level)
{
	uint64_t rsvd = RSVD_PHYS;

	if (mode != PAGING_4LEVEL) {
		/* LAB 9 BEGIN: walk_reserved: a 4 MiB leaf's bits 21:13, PAE's frame bits up to 62 (tasks 1, 2) */
		if (mode == PAGING_32BIT)
			return walk_is_leaf(vm, mode, pte, level) &&
			       level == 2 ? pte & RSVD_4M : 0;
		rsvd = RSVD_PHYS_PAE;
		/* LAB 9 END; hole: lab_todo(vm, 9, "walk_reserved"); return 0; */
	}
	if (!(vm->vcpu.efer & EFER_NXE))
		rsvd |= PTE_NX;
	if (level == 4)
		rsvd |= PTE_PS; /* no 512 GiB pages */
	else if (level == 3 && (pte & PTE_PS))
		rsvd |= RSVD_1G;
	else if (level == 2 && (pte & PTE_PS))
		rsvd |= RSVD_2M;
	return pte & rsvd;
}

/* The size of the page a leaf at this level maps. */
static uint64_t walk_page_size(enum paging_mode mode, int level)
{
	if (level == 3)
		return PAGE_1G;
	if (level == 1)
		return PAGE_4K;
	if (mode == PAGING_4LEVEL)
		return PAGE_2M;
	/* LAB 9 BEGIN: walk_page_size: a 32-bit PDE maps 4 MiB, a PAE one 2 MiB (tasks 1, 2) */
	return mode == PAGING_32BIT ? PAGE_4M : PAGE_2M;
	/* LAB 9 END; hole: static bool said; lab_note(&said, 9, "walk_page_size"); return PAGE_4K; */
}

/*
 * The size of an entry, and the index of va's entry in a table at this
 * level: 4-byte entries, 1024 to a table, 10 bits of va per level in
 * 32-bit paging; 8-byte entries, 512 to a table, 9 bits per level in PAE
 * and 4-level paging.
 */
static unsigned walk_entry_size(enum paging_mode mode)
{
	if (mode == PAGING_4LEVEL)
		return 8;
	/* LAB 9 BEGIN: walk_entry_size: 4-byte entries in 32-bit paging (task 1) */
	return mode == PAGING_32BIT ? 4 : 8;
	/* LAB 9 END; hole: static bool said; lab_note(&said, 9, "walk_entry_size"); return 8; */
}

static unsigned walk_index(enum paging_mode mode, uint64_t va, int level)
{
	if (mode == PAGING_4LEVEL)
		return PT_INDEX(va, level);
	/* LAB 9 BEGIN: walk_index: 10 bits of va per level, or 9 (tasks 1, 2) */
	if (mode == PAGING_32BIT)
		return (va >> (PAGE_4K_SHIFT + 10 * (level - 1))) & 0x3ff;
	return PT_INDEX(va, level);
	/* LAB 9 END; hole: static bool said; lab_note(&said, 9, "walk_index"); return 0; */
}

/*
 * Does the translation in r allow access acc?  Supervisor writes ignore
 * R/W unless CR0.WP is set (SDM vol. 3, 4.6.1).
 */
static bool walk_allows(const struct vm *vm, const struct walk_result *r,
			unsigned acc)
{
	bool user = acc & ACC_USER;

	if (user && !r->user)
		return false;
	if ((acc & ACC_WRITE) && !r->writable &&
	    (user || (vm->vcpu.cr0 & CR0_WP)))
		return false;
	if ((acc & ACC_FETCH) && !r->executable)
		return false;
	return true;
}

/* The entry at slot, 4 or 8 bytes wide. */
static uint64_t walk_load(const void *slot, unsigned size)
{
	if (size == 4) {
		uint32_t e;
		memcpy(&e, slot, sizeof(e));
		return e;
	}
	uint64_t e;
	memcpy(&e, slot, sizeof(e));
	return e;
}

/*
 * Set bits in one guest entry if they are not set yet, and tell the engine
 * that guest RAM changed (a page table may share its page with code).  A
 * table in the BIOS area is ROM: the CPU's write of A or D goes nowhere.
 */
static void walk_set_bits(struct vm *vm, const struct walk_path *p, int i,
			  uint64_t bits)
{
	uint64_t e = walk_load(p->slot[i], p->entry_size);

	if ((e & bits) == bits || gm_is_rom(p->gpa[i]))
		return;
	e |= bits;
	memcpy(p->slot[i], &e, p->entry_size); /* x86 is little-endian */
	if (vm->engine && vm->engine->ram_written)
		vm->engine->ram_written(vm, p->gpa[i], p->entry_size);
}

/* The walk succeeded: A on every entry used, D on the leaf for a write. */
static void walk_mark(struct vm *vm, const struct walk_path *p, unsigned acc)
{
	for (int i = 0; i < p->n; i++)
		walk_set_bits(vm, p, i, PTE_A);
	if (acc & ACC_WRITE)
		walk_set_bits(vm, p, p->n - 1, PTE_D);
}

/*
 * Paging is off: the linear address is the physical address, with every
 * right.  The leaf reported is the entry an identity map would hold, so
 * that callers need no special case.
 */
static int walk_identity(uint64_t va, struct walk_result *r)
{
	*r = (struct walk_result){
		.gpa = va,
		.pte = (va & PTE_ADDR_MASK) | PTE_P | PTE_W | PTE_U | PTE_A |
		       PTE_D,
		.page_size = PAGE_4K,
		.level = 1,
		.writable = true, .user = true, .executable = true,
		.accessed = true,
	};
	return 0;
}

/* A not-present entry or one with reserved bits set ends the walk. */
static int walk_entry_usable(struct vm *vm, const struct walk_path *p,
			     uint64_t pte, int level, unsigned acc,
			     struct walk_result *r)
{
	if (!(pte & PTE_P)) {
		r->error = walk_error(vm, p->mode, acc, false);
		return -1;
	}
	if (walk_reserved(vm, p->mode, pte, level)) {
		r->error = walk_error(vm, p->mode, acc, true) | PFEC_RSVD;
		return -1;
	}
	return 0;
}

/*
 * Where the walk of va begins: the table at CR3 and the level it is at,
 * or for PAE paging the page directory that va's PDPTE register names
 * (the register was checked for reserved bits when it was loaded).
 * Returns that level, or 0 with r->error when the PDPTE is not present.
 */
static int walk_start(struct vm *vm, const struct walk_path *p,
		      uint64_t va, unsigned acc, uint64_t *table,
		      struct walk_result *r)
{
	const struct vcpu *v = &vm->vcpu;

	if (p->mode == PAGING_4LEVEL) {
		*table = v->cr3 & CR3_ADDR_MASK;
		return PT_LEVELS;
	}
	/* LAB 9 BEGIN: walk_start: the page directory at CR3, or va's PDPTE register (tasks 1, 2) */
	if (p->mode == PAGING_32BIT) {
		*table = v->cr3 & CR3_32BIT_MASK;
		return 2;
	}
	uint64_t pdpte = v->pdpte[(va >> 30) & 3];
	if (!(pdpte & PTE_P)) {
		r->error = walk_error(vm, p->mode, acc, false);
		return 0;
	}
	*table = pdpte & PTE_ADDR_MASK;
	return 2;
	/* LAB 9 END; hole: lab_todo(vm, 9, "walk_start"); (void)v; (void)va; (void)acc; (void)table; r->error = PFEC_RSVD; return 0; */
}

/*
 * Follow the tables down to the leaf for va, collecting the rights of
 * every level.  Returns 0 with the leaf's level in r, or -1 with r->error.
 */
static int walk_tables(struct vm *vm, uint64_t va, unsigned acc,
		       struct walk_path *p, struct walk_result *r)
{
	bool nx = walk_nx(vm, p->mode);
	uint64_t table;
	int level = walk_start(vm, p, va, acc, &table, r);

	if (level == 0)
		return -1; /* a PAE PDPTE that is not present (r->error is set) */
	p->entry_size = walk_entry_size(p->mode);
	r->writable = r->user = r->executable = r->accessed = true;
	for (; level >= 1; level--) {
		uint64_t gpa = table +
			       p->entry_size * walk_index(p->mode, va, level);
		void *slot = gm_ptr(&vm->mem, gpa, p->entry_size);

		if (!slot) {
			r->error = PFEC_RSVD; /* the table is not in RAM */
			return -1;
		}
		uint64_t pte = walk_load(slot, p->entry_size);
		if (walk_entry_usable(vm, p, pte, level, acc, r) < 0)
			return -1;
		r->writable &= !!(pte & PTE_W);
		r->user &= !!(pte & PTE_U);
		r->executable &= !(nx && (pte & PTE_NX));
		r->accessed &= !!(pte & PTE_A);
		p->slot[p->n] = slot;
		p->gpa[p->n++] = gpa;
		if (walk_is_leaf(vm, p->mode, pte, level)) {
			r->level = level;
			return 0;
		}
		table = pte & PTE_ADDR_MASK;
	}
	return -1; /* not reached: an entry at level 1 is a leaf */
}

/* The linear address as the vCPU's mode has it: 32 bits outside long
 * mode (SDM vol. 3, 3.3.6 and 3.3.7). */
static uint64_t walk_linear(const struct vm *vm, uint64_t va)
{
	return (vm->vcpu.efer & EFER_LMA) ? va : (uint32_t)va;
}

/*T:510 The guest's page walk, as the CPU's page walker does it: the levels
 * of the vCPU's paging format from CR3, rights ANDed along the way, the
 * access checked against them, and only then the accessed and dirty bits
 * written back into the guest's entries.  A peek (ACC_PEEK: gdb reading
 * memory, `monitor info tlb`, the trace decoding an instruction) is the
 * same walk without that last step: looking must not change the guest.
 */
int walk_guest(struct vm *vm, uint64_t va, unsigned acc,
	       struct walk_result *r)
{
	struct walk_path path = { .mode = paging_mode(&vm->vcpu), .n = 0 };

	va = walk_linear(vm, va);
	if (path.mode == PAGING_NONE)
		return walk_identity(va, r);
	memset(r, 0, sizeof(*r));
	if (walk_tables(vm, va, acc, &path, r) < 0)
		return -1;
	if (!walk_allows(vm, r, acc)) {
		r->error = walk_error(vm, path.mode, acc, true);
		return -1;
	}
	if (!(acc & ACC_PEEK))
		walk_mark(vm, &path, acc);
	r->pte = walk_load(path.slot[path.n - 1], path.entry_size);
	r->page_size = walk_page_size(path.mode, r->level);
	r->gpa = (r->pte & PTE_ADDR_MASK & ~(r->page_size - 1)) |
		 (va & (r->page_size - 1));
	return 0;
}

/* ------------------------------------------------------------------
 * Guest-linear access for the monitor.
 */

/* The rights the access is checked with: the virtual CPL's, unless implicit. */
static unsigned gva_access(const struct vm *vm, unsigned acc)
{
	if (!(acc & ACC_IMPLICIT) && vm->vcpu.cpl == CPL_USER)
		acc |= ACC_USER;
	return acc & ~(unsigned)ACC_IMPLICIT;
}

/*
 * The host pointer for [va, va + len), which lies within one page, or NULL
 * with *res set: GVA_FAULT after raising the fault the CPU would raise
 * (#GP(0) for a non-canonical address, #PF for a refused walk), or
 * GVA_NO_RAM when the guest's tables lead outside its RAM, which no real
 * CPU fault describes: nothing is raised, and the caller decides what the
 * guest deserves.
 */
static void *gva_page(struct vm *vm, uint64_t va, size_t len, unsigned acc,
		      int *res)
{
	struct walk_result r;
	void *p;

	if (!x86_canonical(va)) {
		vcpu_raise_error(&vm->vcpu, T_GP, 0);
		*res = GVA_FAULT;
		return NULL;
	}
	if (walk_guest(vm, va, acc, &r) < 0) {
		if (r.error == PFEC_RSVD) { /* a table outside guest RAM */
			*res = GVA_NO_RAM;
			return NULL;
		}
		vm->vcpu.cr2 = va;
		vcpu_raise_error(&vm->vcpu, T_PF, r.error);
		*res = GVA_FAULT;
		return NULL;
	}
	p = gm_ptr(&vm->mem, r.gpa, len);
	if (!p)
		*res = GVA_NO_RAM;
	return p;
}

/* Bytes from va to the end of its page, at most len. */
static size_t gva_chunk(uint64_t va, size_t len)
{
	size_t left = PAGE_4K - (va & (PAGE_4K - 1));

	return len < left ? len : left;
}

/*
 * A data access the monitor made for the guest is one the debugger's
 * watchpoints see, as x86's data breakpoints see the CPU's (a store into
 * an operand, a frame pushed, a descriptor read).  A fetch is no data
 * access, a peek is the debugger's own, and a read with ACC_WRITE is the
 * probe of a write to come, which reports itself.
 */
static void gva_watch(struct vm *vm, uint64_t va, size_t len, unsigned acc)
{
	if (acc & (ACC_FETCH | ACC_PEEK))
		return;
	debug_watch_note(&vm->debug, walk_linear(vm, va), len,
			 (acc & ACC_WRITE) ? WATCH_WRITE : WATCH_READ);
}

int gva_read(struct vm *vm, uint64_t va, void *buf, size_t len, unsigned acc)
{
	uint8_t *out = buf;
	uint64_t first = va;
	size_t all = len;

	acc = gva_access(vm, acc);
	while (len > 0) {
		va = walk_linear(vm, va); /* wraps at 4 GiB outside long mode */
		size_t n = gva_chunk(va, len);
		int res;
		const void *p = gva_page(vm, va, n, acc, &res);

		if (!p)
			return res;
		memcpy(out, p, n);
		out += n;
		va += n;
		len -= n;
	}
	if (!(acc & ACC_WRITE))
		gva_watch(vm, first, all, acc);
	return 0;
}

/*
 * Check every page of [va, va + len) for a write before writing any: a
 * push that straddles a page boundary faults without changing memory.
 */
static int gva_probe_write(struct vm *vm, uint64_t va, size_t len,
			   unsigned acc)
{
	while (len > 0) {
		va = walk_linear(vm, va); /* wraps at 4 GiB outside long mode */
		size_t n = gva_chunk(va, len);
		int res;

		if (!gva_page(vm, va, n, acc, &res))
			return res;
		va += n;
		len -= n;
	}
	return 0;
}

int gva_write(struct vm *vm, uint64_t va, const void *buf, size_t len,
	      unsigned acc)
{
	const uint8_t *in = buf;
	struct walk_result r;
	uint64_t first = va;
	size_t all = len;

	acc = gva_access(vm, acc) | ACC_WRITE;
	int res = gva_probe_write(vm, va, len, acc);
	if (res < 0)
		return res;
	while (len > 0) {
		va = walk_linear(vm, va); /* wraps at 4 GiB outside long mode */
		size_t n = gva_chunk(va, len);

		/* Cannot fail: the probe walked the same pages.  The BIOS
		 * area is ROM to the guest: its bytes are dropped. */
		walk_guest(vm, va, acc, &r);
		if (!gm_is_rom(r.gpa)) {
			memcpy(gm_ptr(&vm->mem, r.gpa, n), in, n);
			if (vm->engine && vm->engine->ram_written)
				vm->engine->ram_written(vm, r.gpa, n);
		}
		in += n;
		va += n;
		len -= n;
	}
	gva_watch(vm, first, all, acc);
	return 0;
}

/* ------------------------------------------------------------------
 * Instruction fetch.
 */

/*
 * Fetch [va, va + len), which lies within one page, without raising
 * anything: the bytes, or 0 when the guest's tables refuse the fetch.
 */
static size_t fetch_quietly(struct vm *vm, uint64_t va, uint8_t *buf,
				size_t len, unsigned acc)
{
	struct walk_result r;
	const void *p;

	if (!x86_canonical(va))
		return 0; /* past the canonical hole: gva_read gives #GP */
	if (walk_guest(vm, va, acc, &r) < 0)
		return 0;
	p = gm_ptr(&vm->mem, r.gpa, len);
	if (!p)
		return 0;
	memcpy(buf, p, len);
	return len;
}

/*
 * Where the bytes of the instruction at rip are: its linear address, and
 * in *most how many of them the code segment lets the CPU fetch.  In
 * 64-bit mode rip is linear and CS has neither base nor limit; in any other
 * mode rip is EIP, the linear address is CS.base + EIP, wrapping at 4 GiB,
 * and a byte past CS.limit is #GP(0) (SDM vol. 3, 3.4.3 and 5.3; code
 * segments are never expand-down).  Returns -1 when the first byte is
 * already past the limit (#GP(0), which the caller raises or not).
 */
static int fetch_where(struct vm *vm, uint64_t rip, uint64_t *lin,
		       size_t *most)
{
	const struct vcpu_segment *cs = &vm->vcpu.seg[SEG_CS];

	*most = INSN_MAX;
	if (cpu_mode(&vm->vcpu) == CPU_LONG) {
		*lin = rip;
		return 0;
	}
	if (rip > cs->limit)
		return -1;
	if ((uint64_t)cs->limit - rip + 1 < *most)
		*most = (size_t)(cs->limit - rip + 1);
	*lin = (uint32_t)(cs->base + rip);
	return 0;
}

/* The linear address n bytes after lin, in the mode the code runs in. */
static uint64_t fetch_next(const struct vm *vm, uint64_t lin, size_t n)
{
	return cpu_mode(&vm->vcpu) == CPU_LONG ? lin + n : (uint32_t)(lin + n);
}

/*
 * The code page as the engine ran it.  Where the shadow's current view
 * maps the instruction's page (present, open to ring 3, executable, on
 * guest RAM), the guest's walk was made, and its accessed bits set, when
 * that entry was filled, and invlpg, a CR3 load or a paging change would
 * have dropped it: reading the bytes through it is the CPU's TLB hit,
 * and spares insn_fetch a walk of the guest's tables on every trap (a
 * sixth of a softcpu trap's cost, engines/softcpu/README.md).  NULL: walk.
 *
 * The last page found that way in each view is kept (spt->fetch_memo): a
 * kernel traps again and again in the same few pages, and the shadow's
 * own lookup, four levels and the frame's check, was about 90 of the
 * 1,060 host instructions of a trapped cli.  A view's memo holds while
 * the shadow's generation does (a fill, a drop, a CR3 load all move it:
 * shadowpt.h), so it never says more than a lookup now would; a change
 * of view moves nothing, and a syscall's fetch and its sysret's both
 * hit.
 */
static const void *fetch_shadowed(const struct vm *vm, uint64_t lin)
{
	struct shadowpt *spt = vm->spt;
	struct spt_fetch_memo *m;
	uint64_t leaf, gpa;

	if (!spt || !spt->current || !x86_canonical(lin))
		return NULL;
	m = &spt->fetch_memo[spt->current == spt->root[VIEW_USER] ?
			     VIEW_USER : VIEW_SUPERVISOR];
	if (m->page && m->gen == spt->gen && m->vpn == lin >> PAGE_4K_SHIFT)
		return m->page + (lin & (PAGE_4K - 1));
	leaf = shadowpt_lookup(vm, lin);
	if (!(leaf & PTE_P) || !(leaf & PTE_U) || (leaf & PTE_NX))
		return NULL;
	gpa = leaf & PTE_ADDR_MASK;
	if (!shadowpt_frame_is_ram(vm, gpa))
		return NULL;
	m->gen = spt->gen;
	m->vpn = lin >> PAGE_4K_SHIFT;
	m->page = gm_ptr(&vm->mem, gpa, PAGE_4K);
	return m->page + (lin & (PAGE_4K - 1));
}

/*T:320 A #GP at ring 3 says only that *some* instruction faulted, so the
 * dispatcher must read the instruction at RIP - and reading it is the
 * guest's own fetch: through its page tables, with the rights of its
 * virtual CPL, which is why this lives with the page walk and not in isa/.
 * Outside 64-bit mode the fetch goes through CS first: its base makes EIP
 * a linear address, its limit bounds the bytes.  An instruction may
 * straddle two pages; if the second is not mapped, only an instruction
 * that really needs its bytes faults, and then with the #PF the CPU would
 * raise (CR2 = the missing page), or #GP(0) when it runs past CS.limit.
 * The bytes then go to isa_decode_bytes_mode() (stop 325), in the width of
 * the code, through the decode cache (isa/dcache.c): the same bytes at
 * the same RIP were decoded by Capstone the first time only, and the
 * decode is handed out where the cache keeps it (*in, const), good until
 * the next fetch.
 */
enum decode_result insn_fetch_ref(struct vm *vm, uint64_t rip,
				  const struct insn **in)
{
	uint8_t buf[INSN_MAX];
	uint64_t lin;
	size_t most, first, have;
	unsigned acc = ACC_FETCH | (vm->vcpu.cpl == CPL_USER ? ACC_USER : 0);
	unsigned bits = cpu_code_size(&vm->vcpu) * 8;
	enum decode_result res;

	*in = NULL;
	if (fetch_where(vm, rip, &lin, &most) < 0) {
		vcpu_raise_error(&vm->vcpu, T_GP, 0);
		return DECODE_FAULT;
	}
	first = PAGE_4K - (lin & (PAGE_4K - 1));
	if (first > most)
		first = most;
	/* The first byte must be fetchable: gva_read raises the #PF if not. */
	const void *code = fetch_shadowed(vm, lin); /* first bytes, on its page */
	int r = 0;
	if (code && first == INSN_MAX) /* the common case: a copy of a */
		memcpy(buf, code, INSN_MAX); /* constant size, two moves */
	else if (code)
		memcpy(buf, code, first);
	else
		r = gva_read(vm, lin, buf, first, ACC_FETCH);
	if (r < 0)
		return r == GVA_NO_RAM ? DECODE_NO_RAM : DECODE_FAULT;
	have = first;
	if (first < most)
		have += fetch_quietly(vm, fetch_next(vm, lin, first),
				      buf + first, most - first, acc);
	res = isa_decode_ref(buf, have, rip, bits, in);
	if (res != DECODE_FAULT)
		return res;
	/* The instruction goes on past the bytes fetched: past CS.limit... */
	if (have == most && most < INSN_MAX) {
		vcpu_raise_error(&vm->vcpu, T_GP, 0);
		return DECODE_FAULT;
	}
	/* ... or into the next page: fetch it for real, so that the guest
	 * gets the #PF the CPU would raise. */
	r = gva_read(vm, fetch_next(vm, lin, have), buf, 1, ACC_FETCH);
	if (r == 0)
		panic("insn_fetch: a refused fetch succeeded");
	return r == GVA_NO_RAM ? DECODE_NO_RAM : DECODE_FAULT;
}

enum decode_result insn_fetch(struct vm *vm, uint64_t rip, struct insn *in)
{
	const struct insn *p;
	enum decode_result res = insn_fetch_ref(vm, rip, &p);

	if (res == DECODE_OK)
		*in = *p;
	return res;
}

/*
 * The bytes insn_fetch would fetch, looked at and decoded for the trace:
 * through the same walk with ACC_PEEK, so that nothing is raised and no
 * accessed bit is set.  A trace must not change the run it describes.
 */
bool insn_peek(struct vm *vm, uint64_t rip, struct insn *in)
{
	uint8_t buf[INSN_MAX];
	uint64_t lin;
	size_t most, first, have;
	unsigned acc = ACC_FETCH | ACC_PEEK |
		       (vm->vcpu.cpl == CPL_USER ? ACC_USER : 0);

	if (fetch_where(vm, rip, &lin, &most) < 0)
		return false;
	first = PAGE_4K - (lin & (PAGE_4K - 1));
	if (first > most)
		first = most;
	have = fetch_quietly(vm, lin, buf, first, acc);
	if (have == first && first < most)
		have += fetch_quietly(vm, fetch_next(vm, lin, first),
				      buf + first, most - first, acc);
	return have > 0 && isa_decode_bytes_mode(buf, have, rip,
				cpu_code_size(&vm->vcpu) * 8, in) == DECODE_OK;
}
