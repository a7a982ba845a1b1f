/*
 * engines/softcpu/mmu.c - the software MMU: shadow page walk and TLB.
 *
 * softcpu translates linear addresses the way the real CPU would if the
 * monitor's shadow tables (shadowpt/) were loaded in its CR3: a 4-level
 * walk from vm->spt->current with the real CPL 3, so every level must grant
 * U, writes need W at every level and fetches need NX clear at every level
 * (when EFER.NXE is on).  Shadow non-leaf entries hold the monitor's host
 * address of the next table; shadow leaves are always 4 KiB and hold a
 * guest-physical frame, which gm_ptr() turns into a host pointer.
 *
 * A direct-mapped TLB of SC_TLB_SIZE entries caches each page's host
 * address with its three rights (read, write, fetch) computed in one walk.
 * It is emptied by engine->flush (the shadow changed) and whenever run()
 * finds a different shadow root than the one it was filled from.
 *
 * A missing or forbidding entry stops the instruction with #PF and the
 * error code computed against the shadow: P when an entry was present but
 * refused the access, W for a write, U always (the real CPU is at CPL 3),
 * I for an instruction fetch.  The dispatcher gives it to shadowpt_fault(),
 * which fills the shadow (a hidden fault) or reflects it to the guest.
 */
#include <inttypes.h>
#include <stdio.h>

#include "engines/softcpu/softcpu.h"
#include "core/engine.h"
#include "core/vm.h"
#include "shadowpt/shadowpt.h"

void sc_tlb_flush(struct sc_cpu *c, uint64_t va)
{
	if (va == SHADOW_FLUSH_ALL) {
		for (unsigned i = 0; i < SC_TLB_SIZE; i++)
			c->tlb[i].vpn = SC_TLB_EMPTY;
		return;
	}
	struct sc_tlb *e =
		&c->tlb[(va >> PAGE_4K_SHIFT) & (SC_TLB_SIZE - 1)];
	if (e->vpn == va >> PAGE_4K_SHIFT)
		e->vpn = SC_TLB_EMPTY;
}

/* Stop with #PF at linear va with error code err. */
static int page_fault(struct sc_cpu *c, uint64_t va, uint32_t err)
{
	sc_fault(c, T_PF, true, err);
	c->exit->exc.address = va;
	return SC_STOP;
}

/*T:120 softcpu's MMU never sees the guest's page tables: it walks the shadow
 * (shadowpt_lookup), as a real CPU of the monitor's would, and caches what
 * it found in a TLB.  A miss in the shadow is a #PF at ring 3: the
 * dispatcher's shadowpt_fault() (stop 500) decides whether it was hidden
 * or true.
 */
const struct sc_tlb *sc_tlb_fill(struct sc_cpu *c, uint64_t va, unsigned acc)
{
	struct sc_tlb *e =
		&c->tlb[(va >> PAGE_4K_SHIFT) & (SC_TLB_SIZE - 1)];
	uint32_t err = PFEC_U | (acc & (PFEC_W | PFEC_I));
	uint64_t pte = shadowpt_lookup(c->vm, va);
	uint8_t rights;

	if (!pte) {
		page_fault(c, va, err);
		return NULL;
	}
	rights = 0;
	if (pte & PTE_U) {
		rights = TLB_R;
		rights |= (pte & PTE_W) ? TLB_W : 0;
		bool nx = (c->v->efer & EFER_NXE) && (pte & PTE_NX);
		rights |= nx ? 0 : TLB_X;
	}
	uint64_t gpa = pte & PTE_ADDR_MASK;
	uint8_t *host = gm_ptr(&c->vm->mem, gpa, PAGE_4K);
	if (!host) {
		/* Device memory (MMIO), which this MMU does not reach: the
		 * guest is stopped (tier 2 of core/panic.h). */
		vm_kill(c->vm, VM_EXIT_TRIPLE_FAULT, "guest maps linear %#"
			PRIx64 " to memory outside its %" PRIu64 " MiB of RAM "
			"(rip %#" PRIx64 ")", va, c->vm->mem.size >> 20,
			c->v->rip);
		c->exit->reason = EXIT_INTERRUPT; /* nothing left to do */
		c->exit->rip = c->v->rip;
		return NULL;
	}
	e->vpn = va >> PAGE_4K_SHIFT;
	e->host = host;
	e->gpa = gpa;
	e->rights = rights;
	if (!(rights & sc_right(acc))) {
		page_fault(c, va, err | PFEC_P);
		return NULL;
	}
	return e;
}

/* #GP(0), or #SS(0) for a stack reference, for a non-canonical address. */
static int noncanonical(struct sc_cpu *c, unsigned acc)
{
	return sc_fault(c, (acc & ACC_STACK) ? T_SS : T_GP, true, 0);
}

int sc_map_slow(struct sc_cpu *c, uint64_t va, unsigned len, unsigned acc,
		struct sc_mem *m)
{
	const struct sc_tlb *e;
	unsigned off = va & (PAGE_4K - 1);

	if (!x86_canonical(va) || !x86_canonical(va + len - 1))
		return noncanonical(c, acc);
	if (!(e = sc_translate(c, va, acc)))
		return SC_STOP;
	m->p1 = e->host + off;
	m->p2 = NULL;
	m->n1 = len;
	if (acc & ACC_WRITE)
		sc_code_write(c, e->gpa);
	if (off + len <= PAGE_4K)
		return SC_OK;
	/* Crossing: translate the second page too, before any write. */
	m->n1 = PAGE_4K - off;
	if (!(e = sc_translate(c, va + m->n1, acc)))
		return SC_STOP;
	m->p2 = e->host;
	if (acc & ACC_WRITE)
		sc_code_write(c, e->gpa);
	return SC_OK;
}

void sc_mem_read_bytes(const struct sc_mem *m, void *buf, unsigned len)
{
	if (!m->p2) {
		memcpy(buf, m->p1, len);
		return;
	}
	memcpy(buf, m->p1, m->n1);
	memcpy((uint8_t *)buf + m->n1, m->p2, len - m->n1);
}

void sc_mem_write_bytes(const struct sc_mem *m, const void *buf,
			unsigned len)
{
	if (!m->p2) {
		memcpy(m->p1, buf, len);
		return;
	}
	memcpy(m->p1, buf, m->n1);
	memcpy(m->p2, (const uint8_t *)buf + m->n1, len - m->n1);
}
