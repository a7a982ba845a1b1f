/*
 * shadowpt/walk.c - the guest page-table walker and guest-linear access.
 *
 * This is the CPU's page walker written in C.  The monitor needs it in two
 * places: the shadow page tables are filled from what it finds
 * (shadowpt.c), and the monitor itself reads and writes guest memory by
 * linear address (fetching an instruction to decode, pushing an exception
 * frame, reading the guest's GDT and IDT) through gva_read and gva_write.
 *
 * A 4-level walk (SDM vol. 3, 4.5), one 9-bit index per level:
 *
 *   CR3 -> PML4E (level 4) -> PDPTE (level 3) -> PDE (level 2) -> PTE (1)
 *                                  |                  |
 *                                  PS=1: 1 GiB leaf   PS=1: 2 MiB leaf
 *
 * The rights of a translation are the AND of the rights of every entry
 * used (SDM vol. 3, 4.6): a page is writable only if every level says R/W,
 * user only if every level says U/S, executable only if no level says XD.
 *
 * Only 4-level paging is walked: trapvisor's guests run in long mode
 * (CR4.PAE, EFER.LMA), and the virtual CPU has no 5-level paging.
 * The virtual CPU has neither SMEP nor SMAP nor protection keys (its CPUID
 * does not advertise them), so those checks do not exist here.
 */
#include <stdbool.h>
#include <string.h>

#include "core/engine.h"
#include "core/vm.h"
#include "isa/arch.h"
#include "isa/decode.h"
#include "isa/x86.h"
#include "shadowpt/walk.h"

/*
 * The virtual CPU's MAXPHYADDR is 39 bits (CPUID 0x80000008: EAX[7:0] =
 * 0x27).  Frame bits above it are reserved in every entry (SDM vol. 3,
 * 4.5, "reserved bits"), and so is XD when EFER.NXE is clear.
 *
 *  51      39 38           12
 * +----------+---------------+
 * | reserved | frame         |
 * +----------+---------------+
 */
#define WALK_MAXPHYADDR 39
#define RSVD_PHYS (PTE_ADDR_MASK & ~((1ULL << WALK_MAXPHYADDR) - 1))
/* In a large leaf, bit 12 is PAT; the bits from 13 up to the frame are 0. */
#define RSVD_1G (PTE_ADDR_MASK & ~PTE_ADDR_1G_MASK & ~PAGE_4K)
#define RSVD_2M (PTE_ADDR_MASK & ~PTE_ADDR_2M_MASK & ~PAGE_4K)

/* The bits of acc that a #PF error code reports. */
#define ACC_PFEC_BITS (ACC_WRITE | ACC_USER | ACC_FETCH)

/* The entries one walk used, so that A/D are set only once it succeeds. */
struct walk_path {
	uint64_t *slot[PT_LEVELS];
	uint64_t gpa[PT_LEVELS];
	int n;
};

/*
 * The #PF error code for an access of kind acc; present tells a protection
 * violation from a not-present entry.  I/D is reported only when execute
 * protection is on (EFER.NXE), as the SDM says (vol. 3, 4.7).
 */
static uint32_t walk_error(const struct vm *vm, unsigned acc, bool present)
{
	uint32_t error = acc & ACC_PFEC_BITS;

	if (!(vm->vcpu.efer & EFER_NXE))
		error &= ~(uint32_t)PFEC_I;
	return error | (present ? PFEC_P : 0);
}

/* Reserved bits that this entry at this level must not have set. */
static uint64_t walk_reserved(const struct vm *vm, uint64_t pte, int level)
{
	uint64_t rsvd = RSVD_PHYS;

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

/* Is the entry at this level a leaf (a page, not a table)? */
static bool walk_is_leaf(uint64_t pte, int level)
{
	return level == 1 || ((level == 2 || level == 3) && (pte & PTE_PS));
}

/* The size of the page a leaf at this level maps. */
static uint64_t walk_page_size(int level)
{
	return level == 3 ? PAGE_1G : level == 2 ? PAGE_2M : PAGE_4K;
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

/*
 * Set bits in one guest entry if they are not set yet, and tell the engine
 * that guest RAM changed (a page table may share its page with code).
 */
static void walk_set_bits(struct vm *vm, uint64_t *slot, uint64_t gpa,
			  uint64_t bits)
{
	if ((*slot & bits) == bits)
		return;
	*slot |= bits;
	if (vm->engine && vm->engine->ram_written)
		vm->engine->ram_written(vm, gpa, sizeof(*slot));
}

/* The walk succeeded: A on every entry used, D on the leaf for a write. */
static void walk_mark(struct vm *vm, struct walk_path *p, unsigned acc,
		      struct walk_result *r)
{
	for (int i = 0; i < p->n; i++)
		walk_set_bits(vm, p->slot[i], p->gpa[i], PTE_A);
	if (acc & ACC_WRITE)
		walk_set_bits(vm, p->slot[p->n - 1], p->gpa[p->n - 1], PTE_D);
	r->pte = *p->slot[p->n - 1];
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
	};
	return 0;
}

/* A not-present entry or one with reserved bits set ends the walk. */
static int walk_entry_usable(const struct vm *vm, uint64_t pte, int level,
			     unsigned acc, struct walk_result *r)
{
	if (!(pte & PTE_P)) {
		r->error = walk_error(vm, acc, false);
		return -1;
	}
	if (walk_reserved(vm, pte, level)) {
		r->error = walk_error(vm, acc, true) | PFEC_RSVD;
		return -1;
	}
	return 0;
}

/*
 * Follow the tables from CR3 down to the leaf for va, collecting the rights
 * of every level.  Returns 0 with the leaf's level in r, or -1 with r->error.
 */
static int walk_tables(struct vm *vm, uint64_t va, unsigned acc,
		       struct walk_path *p, struct walk_result *r)
{
	uint64_t table = vm->vcpu.cr3 & CR3_ADDR_MASK;
	bool nxe = vm->vcpu.efer & EFER_NXE;

	r->writable = r->user = r->executable = true;
	for (int level = PT_LEVELS; level >= 1; level--) {
		uint64_t gpa = table + 8 * PT_INDEX(va, level);
		uint64_t *slot = gm_ptr(&vm->mem, gpa, sizeof(*slot));

		if (!slot) {
			r->error = PFEC_RSVD; /* the table is not in RAM */
			return -1;
		}
		uint64_t pte = *slot;
		if (walk_entry_usable(vm, pte, level, acc, r) < 0)
			return -1;
		r->writable &= !!(pte & PTE_W);
		r->user &= !!(pte & PTE_U);
		r->executable &= !(nxe && (pte & PTE_NX));
		p->slot[p->n] = slot;
		p->gpa[p->n++] = gpa;
		if (walk_is_leaf(pte, level)) {
			r->level = level;
			return 0;
		}
		table = pte & PTE_ADDR_MASK;
	}
	return -1; /* not reached: level 1 is always a leaf */
}

/*T:510 The guest's page walk, as the CPU's page walker does it: four
 * levels from CR3, rights ANDed along the way, the access checked against
 * them, and only then the accessed and dirty bits written back into the
 * guest's entries.
 */
int walk_guest(struct vm *vm, uint64_t va, unsigned acc,
	       struct walk_result *r)
{
	struct walk_path path = { .n = 0 };

	if (!(vm->vcpu.cr0 & CR0_PG))
		return walk_identity(va, r);
	memset(r, 0, sizeof(*r));
	if (walk_tables(vm, va, acc, &path, r) < 0)
		return -1;
	if (!walk_allows(vm, r, acc)) {
		r->error = walk_error(vm, acc, true);
		return -1;
	}
	walk_mark(vm, &path, acc, r);
	r->page_size = walk_page_size(r->level);
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

int gva_read(struct vm *vm, uint64_t va, void *buf, size_t len, unsigned acc)
{
	uint8_t *out = buf;

	acc = gva_access(vm, acc);
	while (len > 0) {
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

	acc = gva_access(vm, acc) | ACC_WRITE;
	int res = gva_probe_write(vm, va, len, acc);
	if (res < 0)
		return res;
	while (len > 0) {
		size_t n = gva_chunk(va, len);

		/* Cannot fail: the probe walked the same pages. */
		walk_guest(vm, va, acc, &r);
		memcpy(gm_ptr(&vm->mem, r.gpa, n), in, n);
		if (vm->engine && vm->engine->ram_written)
			vm->engine->ram_written(vm, r.gpa, n);
		in += n;
		va += n;
		len -= n;
	}
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

/*T:320 A #GP at ring 3 says only that *some* instruction faulted, so the
 * dispatcher must read the instruction at RIP - and reading it is the
 * guest's own fetch: through its page tables, with the rights of its
 * virtual CPL, which is why this lives with the page walk and not in isa/.
 * An instruction may straddle two pages; if the second is not mapped, only
 * an instruction that really needs its bytes faults, and then with the #PF
 * the CPU would raise (CR2 = the missing page).  The bytes then go to
 * isa_decode_bytes() (stop 325).
 */
enum decode_result insn_fetch(struct vm *vm, uint64_t rip, struct insn *in)
{
	uint8_t buf[INSN_MAX];
	size_t first = PAGE_4K - (rip & (PAGE_4K - 1));
	size_t have;
	unsigned acc = ACC_FETCH | (vm->vcpu.cpl == CPL_USER ? ACC_USER : 0);
	enum decode_result res;

	if (first > INSN_MAX)
		first = INSN_MAX;
	/* The first byte must be fetchable: gva_read raises the #PF if not. */
	int r = gva_read(vm, rip, buf, first, ACC_FETCH);
	if (r < 0)
		return r == GVA_NO_RAM ? DECODE_NO_RAM : DECODE_FAULT;
	have = first;
	if (first < INSN_MAX)
		have += fetch_quietly(vm, rip + first, buf + first,
					  INSN_MAX - first, acc);
	res = isa_decode_bytes(buf, have, rip, in);
	if (res != DECODE_FAULT)
		return res;
	/* The instruction goes on into the next page: fetch it for real,
	 * so that the guest gets the #PF the CPU would raise. */
	r = gva_read(vm, rip + have, buf, 1, ACC_FETCH);
	if (r == 0)
		panic("insn_fetch: a refused fetch succeeded");
	return r == GVA_NO_RAM ? DECODE_NO_RAM : DECODE_FAULT;
}
