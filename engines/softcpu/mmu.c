/*
 * engines/softcpu/mmu.c - the software MMU: segments, shadow page walk,
 * TLB, and the way to the devices (MMIO).
 *
 * Outside 64-bit mode an access first goes through its segment (SDM vol.
 * 3, 5.3 and 5.4.1): the offset must lie within the limit (above it for
 * an expand-down data segment), a write needs writable data, a read of
 * code needs a readable code segment, and a segment register holding the
 * null selector cannot be used at all; every failure is #GP(0), or #SS(0)
 * through SS.  The linear address, base + offset, wraps at 4 GiB.  Flat
 * segments (cpu.c's sc_mode_update) skip these checks on the fast path.
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
 * address with its three rights (read, write, fetch) computed in one walk,
 * and a tag for a read's and one for a store's fast path (softcpu.h's
 * struct sc_tlb; "Stores and decoded code" below).
 * There are two, one per view of the shadow (the supervisor and the user
 * view of the current address space): a change of virtual CPL switches
 * the shadow's view and softcpu's TLB with it, and empties neither, as a
 * CPU with PCIDs keeps the entries of two address spaces apart instead of
 * flushing them.  What a CPU without PCIDs empties is still emptied: a CR3
 * load or a change of paging bits empties both, invlpg drops its page from
 * both.  See "The TLBs and the shadow" below for why no entry can outlive
 * the shadow entry it was filled from.
 *
 * A missing or forbidding entry stops the instruction with #PF and the
 * error code computed against the shadow: P when an entry was present but
 * refused the access, W for a write, U always (the real CPU is at CPL 3),
 * I for an instruction fetch.  The dispatcher gives it to shadowpt_fault(),
 * which fills the shadow (a hidden fault) or reflects it to the guest.
 * The TLB forgets the faulting page first, as the CPU's does (SDM vol. 3,
 * 4.10.4.1): the fault may replace its shadow leaf.
 *
 * A shadow leaf whose frame lies beyond RAM maps a device's page (the
 * LAPIC, the IOAPIC, a frame buffer).  It never enters the TLB and gives
 * no host pointer: the operand becomes a struct sc_mmio, and its bytes
 * come from devices_mmio() when the instruction reads them and go there
 * when it stores them, one call per access, in program order, as the bus
 * would see them.  An access that crosses from or into such a page, or
 * one that is not 1, 2, 4 or 8 bytes wide (sgdt, lds, pusha, cmpxchg16b),
 * stops the guest with sc_unsupported: no device register is laid out
 * for that.
 *
 * The BIOS area (0xe0000-0xfffff) is RAM the guest may read and run but
 * not change: its TLB entries never carry TLB_W (nor a write tag), and a
 * write that the shadow allows lands in a copy of the page (rom_sink)
 * that is forgotten, so the guest's store is dropped as QEMU's ROM drops
 * it.
 */
#include <inttypes.h>
#include <stdio.h>

#include "engines/softcpu/softcpu.h"
#include "core/engine.h"
#include "core/vm.h"
#include "devices/devices.h"
#include "shadowpt/shadowpt.h"

/*
 * The TLBs and the shadow.  Every TLB entry is a copy of the shadow leaf
 * it was filled from (sc_tlb_fill walks spt->current, and fills the TLB of
 * the view that root belongs to), and it must never outlive that leaf:
 * once the leaf is gone or changed the entry must be gone too.  The shadow
 * changes a leaf in three ways, and each reaches every TLB that may hold a
 * copy of it:
 *
 *   - invlpg (shadowpt_invlpg), in both views of every address space:
 *     engine->flush(va), and sc_tlb_flush drops va from both TLBs (all of
 *     both when a large page's table went);
 *   - a CR3 load, a change of paging bits, an evicted address space:
 *     engine->flush(SHADOW_FLUSH_ALL), which empties both TLBs, since the
 *     roots of either view may now hold another address space;
 *   - a fill by shadowpt_fault(), in the current view only, for the page
 *     this MMU just reported a #PF at: page_fault() dropped the current
 *     TLB's entry of that page before reporting it, and the other view's
 *     TLB copies the other view's leaves, which the fill does not touch
 *     (--patch also fills a page ahead of a fetch, one the shadow does
 *     not map as RAM, which no TLB holds: patch.c's frame_of).
 *
 * A change of view (shadowpt_switch_view, engine->switch_view) changes
 * no leaf: it only makes spt->current the other root, and the TLB in use
 * follows it.  The entries of the TLB set aside stay copies of leaves that
 * still exist, and invalidations keep reaching them, so when the view
 * comes back they are as good as when it left.
 *
 * Stores and decoded code.  A store's fast path (sc_map, sc_flat) tests
 * an entry's write tag only, so that tag must say everything the store
 * needs: the right to write, not ROM, and no decoded code on the page to
 * drop.  The invariant: an entry of either view's table whose wvpn is
 * not SC_TLB_EMPTY has wvpn == vpn, TLB_W, no TLB_ROM, and the RAM page
 * it maps has page_code[] clear.  It holds because
 *
 *   - only two places give an entry a write tag, each when the page holds
 *     no code: sc_tlb_fill, which reads page_code[] as it fills (and
 *     neither a device's page nor a watched one, which are not in a
 *     table), and sc_map_slow, right after a store through the entry
 *     ran sc_code_write, which cleared the mark (the entry had TLB_W, or
 *     sc_translate would have refilled it, and was not ROM);
 *   - page_code[] is set in one place, sc_code_mark (for sc_cache_put,
 *     sc_block_build and the watch[] frames of sc_patch_fetch), and when
 *     it goes from 0 to 1 sc_tlb_protect takes the write tag from every
 *     entry of both views that maps the page, under any linear address:
 *     every entry with a write tag is on its table's filled[] list
 *     (tlb_slot listed it before the fill gave it one; tlb_empty takes
 *     the tag as it takes an entry off the list);
 *   - TLB_W and the page an entry maps change only by a fill, which
 *     computes the tag anew, and tlb_drop and tlb_empty take the tag with
 *     the vpn.
 *
 * A store to a page with code therefore misses the fast path and reaches
 * sc_map_slow, whose sc_code_write drops the code and tells the run loop
 * (code_written), as it did when the fast path read page_code[] itself.
 * While the mark stays, the first store to the page is the only one that
 * finds code on it; after it, the entry gets its tag back.
 */

/* Take linear va's page out of TLB t, if t holds it: it matches no tag
 * any more, but stays on the list. */
static void tlb_drop(struct sc_tlb_view *t, uint64_t va)
{
	struct sc_tlb *e = &t->e[(va >> PAGE_4K_SHIFT) & (SC_TLB_SIZE - 1)];

	if (e->vpn == va >> PAGE_4K_SHIFT)
		e->vpn = e->wvpn = SC_TLB_EMPTY;
}

/* Empty TLB t: only the slots its list says were filled, not all 1024
 * (a CR3 load at every process switch leaves few filled). */
static void tlb_empty(struct sc_cpu *c, struct sc_tlb_view *t)
{
	c->tlb_empties++;
	c->tlb_emptied += t->nfilled;
	for (unsigned i = 0; i < t->nfilled; i++) {
		struct sc_tlb *e = &t->e[t->filled[i]];
		e->vpn = e->wvpn = SC_TLB_EMPTY;
		e->frame = 0; /* off the list */
	}
	t->nfilled = 0;
}

/* Use the TLB of the shadow's current view. */
static void tlb_follow(struct sc_cpu *c)
{
	const struct shadowpt *spt = c->vm->spt;

	c->view = spt->current == spt->root[VIEW_USER] ? VIEW_USER
						       : VIEW_SUPERVISOR;
	c->tlb = c->views[c->view].e;
	c->root = spt->current;
}

void sc_tlb_flush(struct sc_cpu *c, uint64_t va)
{
	for (unsigned v = 0; v < SHADOW_NVIEWS; v++) {
		if (va == SHADOW_FLUSH_ALL)
			tlb_empty(c, &c->views[v]);
		else
			tlb_drop(&c->views[v], va);
	}
	if (va == SHADOW_FLUSH_ALL)
		tlb_follow(c);
}

void sc_tlb_switch_view(struct sc_cpu *c)
{
	c->view_switches++;
	tlb_follow(c);
}

/* Stop with #PF at linear va with error code err, forgetting va's entry
 * (see "The TLBs and the shadow" above). */
static int page_fault(struct sc_cpu *c, uint64_t va, uint32_t err)
{
	tlb_drop(&c->views[c->view], va);
	sc_fault(c, T_PF, true, err);
	c->exit->exc.address = va;
	return SC_STOP;
}

/* The slot of linear va in the TLB in use, to be filled: listed, so that
 * emptying the TLB reaches it. */
static struct sc_tlb *tlb_slot(struct sc_cpu *c, uint64_t va)
{
	struct sc_tlb_view *t = &c->views[c->view];
	unsigned i = (va >> PAGE_4K_SHIFT) & (SC_TLB_SIZE - 1);

	c->tlb_fills++;
	if (!(t->e[i].frame & TLB_LISTED)) {
		t->e[i].frame |= TLB_LISTED;
		t->filled[t->nfilled++] = (uint16_t)i;
	}
	return &t->e[i];
}

void sc_tlb_protect(struct sc_cpu *c, uint64_t ram)
{
	const uint8_t *host = c->ram_base + (ram & ~(uint64_t)(PAGE_4K - 1));

	c->tlb_protects++;
	for (unsigned v = 0; v < SHADOW_NVIEWS; v++) {
		struct sc_tlb_view *t = &c->views[v];
		for (unsigned i = 0; i < t->nfilled; i++) {
			struct sc_tlb *e = &t->e[t->filled[i]];
			if (e->wvpn != SC_TLB_EMPTY && sc_tlb_host(e) == host)
				e->wvpn = SC_TLB_EMPTY;
		}
	}
}

/*T:120 softcpu's MMU never sees the guest's page tables: it walks the shadow
 * (shadowpt_lookup), as a real CPU of the monitor's would, and caches what
 * it found in a TLB.  A miss in the shadow is a #PF at ring 3: the
 * dispatcher's shadowpt_fault() (stop 500) decides whether it was hidden
 * or true.
 */
const struct sc_tlb *sc_tlb_fill(struct sc_cpu *c, uint64_t va, unsigned acc)
{
	struct sc_tlb *e;
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
	if (!(rights & sc_right(acc))) {
		page_fault(c, va, err | PFEC_P);
		return NULL;
	}
	uint64_t gpa = pte & PTE_ADDR_MASK, vpn = va >> PAGE_4K_SHIFT;
	uint8_t *host = gm_ptr(&c->vm->mem, gpa, PAGE_4K);
	bool fast = true;
	/* Not RAM: a device's page, kept out of the TLB; so is a page
	 * the debugger watches (debug.c). */
	if (!host) {
		e = &c->mmio_page;
		fast = false;
	} else if (c->dbg && sc_watch_page(c, va)) {
		e = &c->watch_page;
		fast = false;
	} else {
		e = tlb_slot(c, va);
	}
	/* The BIOS area is ROM: the TLB never lets a write through to it. */
	if (host && gm_is_rom(gpa) && (rights & TLB_W))
		rights = (rights & ~TLB_W) | TLB_ROM;
	/* The write tag: see "Stores and decoded code" above. */
	fast = fast && (rights & TLB_W) &&
	       !c->page_code[(host - c->ram_base) >> PAGE_4K_SHIFT];
	e->vpn = vpn;
	e->wvpn = fast ? vpn : SC_TLB_EMPTY;
	e->addend = (uintptr_t)host - (vpn << PAGE_4K_SHIFT);
	e->frame = gpa | rights | (e->frame & TLB_LISTED);
	return e;
}

/*
 * #GP(0), or #SS(0) for a stack reference: for a non-canonical address,
 * or an access its segment refuses.
 */
static int bad_address(struct sc_cpu *c, unsigned acc)
{
	return sc_fault(c, (acc & ACC_STACK) ? T_SS : T_GP, true, 0);
}

/*
 * May segment sg be used for len bytes at offset off, for acc?  attr P
 * clear means the segment register is unusable (a null selector).
 */
static bool segment_allows(const struct vcpu_segment *sg, uint64_t off,
			   unsigned len, unsigned acc)
{
	unsigned type = sg->attr & 0xf;
	uint64_t last = off + len - 1;

	if (!(sg->attr & SC_ATTR_P))
		return false;
	if (type & DESC_TYPE_CODE) {
		if ((acc & ACC_WRITE) || !(type & DESC_TYPE_RW))
			return false; /* code: never written, read if R */
		return last <= sg->limit;
	}
	if ((acc & ACC_WRITE) && !(type & DESC_TYPE_RW))
		return false;
	if (type & DESC_TYPE_EC) {
		/* Expand-down: valid offsets run from limit + 1 to the top,
		 * 64 KiB or 4 GiB by the B flag. */
		uint64_t top = (sg->attr & SEG_ATTR_DB) ? 0xffffffff : 0xffff;
		return off > sg->limit && last <= top;
	}
	return last <= sg->limit;
}

/* The segment checks of an access at linear va (64-bit mode: canonical
 * only).  SC_OK or SC_STOP. */
static int check_address(struct sc_cpu *c, uint64_t va, unsigned len,
			 unsigned acc)
{
	if (c->mode64) {
		if (!x86_canonical(va) || !x86_canonical(va + len - 1))
			return bad_address(c, acc);
		return SC_OK;
	}
	if (!(acc & SC_ACC_SEGS))
		return SC_OK; /* a linear address: GDT, LDT */
	const struct vcpu_segment *sg =
		&c->v->seg[__builtin_ctz((acc & SC_ACC_SEGS) >> 12)];
	if (!segment_allows(sg, (uint32_t)(va - sg->base), len, acc))
		return bad_address(c, acc);
	return SC_OK;
}

/* The operand is a device's: [gpa, gpa + len) inside the page at off. */
static int map_mmio(struct sc_cpu *c, uint64_t gpa, unsigned off,
		    unsigned len, struct sc_mem *m)
{
	struct sc_mmio *io = &c->mmio[c->mmio_next++ & 1];

	if (off + len > PAGE_4K)
		return sc_unsupported(c, "softcpu: an access that crosses "
				      "into or out of an MMIO page");
	if (len & (len - 1) || len > 8)
		return sc_unsupported(c, "softcpu: an MMIO access that is "
				      "not 1, 2, 4 or 8 bytes wide");
	*io = (struct sc_mmio){ .c = c, .gpa = gpa, .len = len };
	m->p1 = m->p2 = (uint8_t *)&io->data;
	m->n1 = len;
	m->io = io;
	return SC_OK;
}

/*
 * A write to the BIOS area, which is ROM to the guest (core/guest_mem.h):
 * the operand is a copy of the page in one of the two sinks, so that a
 * read-modify-write reads the ROM's bytes and its store goes nowhere, as
 * on QEMU's ROM, whatever the instruction and its width.
 */
static uint8_t *rom_sink(struct sc_cpu *c, const struct sc_tlb *e,
			 unsigned which)
{
	memcpy(c->rom_sink[which], sc_tlb_host(e), PAGE_4K);
	return c->rom_sink[which];
}

/*
 * A store through entry e (TLB_W, not ROM) of linear va's page: drop the
 * page's code, if any; then the page holds none, and e, if it is the
 * table's entry of va (not a watched page's), gets its write tag back
 * (see "Stores and decoded code" above).
 */
static void code_write(struct sc_cpu *c, const struct sc_tlb *e, uint64_t va)
{
	struct sc_tlb *t = sc_tlb_at(c, va);

	sc_code_write(c, sc_tlb_ram(c, e));
	if (t == e)
		t->wvpn = t->vpn;
}

int sc_map_slow(struct sc_cpu *c, uint64_t va, unsigned len, unsigned acc,
		struct sc_mem *m)
{
	const struct sc_tlb *e;
	unsigned off = va & (PAGE_4K - 1);

	if (check_address(c, va, len, acc))
		return SC_STOP;
	if (c->dbg)
		sc_watch_check(c, va, len, acc);
	if (!(e = sc_translate(c, va, acc)))
		return SC_STOP;
	if (!sc_tlb_host(e))
		return map_mmio(c, sc_tlb_gpa(e) + off, off, len, m);
	bool rom = (acc & ACC_WRITE) && (e->frame & TLB_ROM);
	m->p1 = (rom ? rom_sink(c, e, 0) : sc_tlb_host(e)) + off;
	m->p2 = NULL;
	m->n1 = len;
	m->io = NULL;
	if ((acc & ACC_WRITE) && !rom)
		code_write(c, e, va);
	if (off + len <= PAGE_4K)
		return SC_OK;
	/* Crossing: translate the second page too, before any write. */
	m->n1 = PAGE_4K - off;
	va = (va + m->n1) & c->lin_mask;
	if (!(e = sc_translate(c, va, acc)))
		return SC_STOP;
	if (!sc_tlb_host(e))
		return map_mmio(c, sc_tlb_gpa(e), PAGE_4K, len, m);
	rom = (acc & ACC_WRITE) && (e->frame & TLB_ROM);
	m->p2 = rom ? rom_sink(c, e, 1) : sc_tlb_host(e);
	if ((acc & ACC_WRITE) && !rom)
		code_write(c, e, va);
	return SC_OK;
}

/* The device's answer to a read of io (asked once per operand). */
static void mmio_read(struct sc_mmio *io)
{
	if (io->have)
		return;
	devices_mmio(io->c->vm, io->gpa, io->len, false, &io->data);
	io->c->mmio_accesses++;
	io->have = true;
}

void sc_mem_read_bytes(const struct sc_mem *m, void *buf, unsigned len)
{
	if (m->io) {
		mmio_read(m->io);
		memcpy(buf, &m->io->data, len);
		return;
	}
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
	if (m->io) {
		uint64_t x = 0;
		memcpy(&x, buf, len);
		devices_mmio(m->io->c->vm, m->io->gpa, len, true, &x);
		m->io->c->mmio_accesses++;
		m->io->data = x;
		m->io->have = true;
		return;
	}
	if (!m->p2) {
		memcpy(m->p1, buf, len);
		return;
	}
	memcpy(m->p1, buf, m->n1);
	memcpy(m->p2, (const uint8_t *)buf + m->n1, len - m->n1);
}
