/*
 * shadowpt/shadowpt.h - shadow page tables.
 *
 * The guest's page tables map guest-virtual to guest-physical addresses and
 * live in guest RAM; the guest may change them at will.  The monitor cannot
 * let the CPU use them, so it keeps shadow tables in its own memory, in real
 * x86-64 4-level format whatever format the guest's own tables have
 * (32-bit, PAE or 4-level), that the engine's MMU does use:
 *
 *   - a leaf maps a 4 KiB guest-virtual page to a guest-physical frame
 *     (shadow leaves are always 4 KiB: a guest 2 MiB, 4 MiB or 1 GiB page
 *     is shadowed one 4 KiB piece at a time, as it is touched);
 *   - the frame may be guest RAM or not: a frame outside RAM (but, as
 *     every frame, below the virtual CPU's MAXPHYADDR) is device memory,
 *     and the engine sends its accesses to the devices (MMIO) instead of
 *     reading RAM: shadowpt_frame_is_ram() tells the two apart;
 *   - a non-leaf entry holds the monitor address of the next shadow table
 *     (a host user-space address fits in the 40-bit frame field);
 *   - permissions are those the guest's walk grants, reduced where the
 *     monitor must see the access (a clean page is mapped read-only until
 *     the first write sets the guest's dirty bit);
 *   - U is always set: the guest kernel really runs at ring 3.  Pages the
 *     guest reserves for its kernel are simply absent from the user view;
 *   - G is set when the guest's entry is global and CR4.PGE is on: such
 *     entries survive CR3 writes, as global TLB entries do.
 *
 * The shadow starts empty and fills on fault: the engine's MMU reports a
 * #PF, the dispatcher calls shadowpt_fault(), which walks the guest tables.
 * If the guest grants the access the fault was *hidden* (the monitor's own
 * business, the guest never sees it); otherwise it is a *true* fault and is
 * reflected into the guest as the #PF the real CPU would have raised.
 */
#ifndef SHADOWPT_SHADOWPT_H
#define SHADOWPT_SHADOWPT_H

#include <stdbool.h>
#include <stdint.h>

struct vm;

/*
 * The two views of one guest address space: supervisor pages are present
 * only in the view of virtual CPL 0, so that guest user code (really at
 * ring 3, like the guest kernel) cannot reach them.
 */
enum shadow_view { VIEW_SUPERVISOR, VIEW_USER, SHADOW_NVIEWS };

/* How many guest address spaces keep their shadows at once. */
#define SHADOW_SPACES 8

/* The shadows of one guest address space (one guest CR3). */
struct shadow_space {
	bool in_use;
	uint64_t cr3;                  /* CR3's address bits in the format in
					  use: its PML4, PD or PAE's PDPT */
	uint64_t *root[SHADOW_NVIEWS]; /* shadow PML4 of each view */
	uint64_t last_used;            /* for least-recently-used eviction */
};

struct shadowpt {
	struct shadow_space space[SHADOW_SPACES]; /* a bounded cache */
	struct shadow_space *active;   /* the space of the guest's CR3 */
	uint64_t *root[SHADOW_NVIEWS]; /* active->root, kept in step */
	uint64_t *current;             /* root[] of the virtual CPL's view */
	uint64_t clock;                /* ticks at every CR3 load */
	uint64_t tables;               /* shadow table pages in use */
	uint64_t hidden_faults;        /* filled by the monitor */
	uint64_t true_faults;          /* reflected into the guest */
	uint64_t space_hits;           /* CR3 loads that found their space */
	uint64_t space_misses;         /* ... that had to start an empty one */
	/*
	 * Bumped by every change of an entry: a fill (spt_leaf_slot), a
	 * drop (each one tells the engine, and a CR3 load drops:
	 * spt_flush_engine, which also makes root[] another space's).  A
	 * memo of a lookup in a view holds while it does.
	 */
	uint64_t gen;
	struct spt_fetch_memo { /* insn_fetch's last code page (walk.c) */
		uint64_t gen;   /* spt->gen when it was looked up */
		uint64_t vpn;   /* the linear page number */
		uint8_t *page;  /* its frame in guest RAM, or NULL: none */
	} fetch_memo[SHADOW_NVIEWS]; /* one per view: a syscall's and a
					sysret's both hit */
};

/*
 * Available bit 9 of a shadow non-leaf entry (ignored by the MMU): the
 * table below it shadows a guest large page, and invlpg of any address
 * in it drops the whole table.
 */
#define SPT_LARGE 0x200ULL

enum shadow_result {
	SHADOW_FILLED,      /* hidden fault: the shadow now maps the page */
	SHADOW_GUEST_FAULT, /* true fault: #PF raised in the vCPU */
	SHADOW_BAD_PHYS,    /* a guest page table is not in its RAM */
};

/* Create empty shadows.  Returns 0, or -1 when out of memory. */
int shadowpt_init(struct vm *vm);
/* Free every shadow table. */
void shadowpt_fini(struct vm *vm);

/*
 * The engine's MMU found no usable shadow entry for linear address va;
 * error is the page-fault error code it computed against the shadow.
 * Walk the guest's tables with the virtual CPL and either fill the shadow
 * or raise the guest's #PF (with CR2 and the guest's error code).
 */
enum shadow_result shadowpt_fault(struct vm *vm, uint64_t va, uint32_t error);

/*
 * What an engine's MMU finds for linear address va in the current view:
 * the shadow leaf with W and U ANDed and NX ORed over every level, or 0
 * when va is not mapped.  softcpu's TLB and native's mirror both read the
 * shadow through this one walk.
 */
uint64_t shadowpt_lookup(const struct vm *vm, uint64_t va);

/*
 * Fill the current view's shadow leaf for va before the guest touches it,
 * as a TLB may cache a translation ahead of any access (a prefetch), but
 * only when the guest's tables map va at the virtual CPL with the
 * accessed flag already set in every entry the walk uses: the walk then
 * writes nothing into guest RAM, and the leaf is the one a hidden fault
 * on a read would make (writable only once D is set).  A leaf already
 * there is left as it is.  Returns the leaf as shadowpt_lookup finds it,
 * or 0 (not mapped, not at this CPL, an accessed flag clear, a table
 * outside RAM).  The native engine uses it to keep a page mapped across
 * a CR3 load that dropped it (engines/native/mirror.c).
 */
uint64_t shadowpt_prefetch(struct vm *vm, uint64_t va);

/*
 * Is the frame of guest-physical address gpa guest RAM?  A shadow leaf
 * whose frame is not maps device memory: an engine must send those
 * accesses to devices_mmio(), never map the frame as RAM.
 */
bool shadowpt_frame_is_ram(const struct vm *vm, uint64_t gpa);

/* invlpg va: drop the shadow entry of va in both views. */
void shadowpt_invlpg(struct vm *vm, uint64_t va);
/*
 * The guest wrote CR3: switch to the shadows of that address space, from
 * the cache when they are there, and drop their non-global entries, as a
 * CR3 write drops the TLB's.  The address space is named by CR3's address
 * bits in the paging format in use: bits 31:12 under 32-bit paging, bits
 * 31:5 under PAE paging (two PDPTs in one page are two address spaces),
 * bits 51:12 under 4-level paging.
 */
void shadowpt_load_cr3(struct vm *vm);
/* A change to CR0/CR4 paging bits or EFER (a change of paging format
 * among them): drop every shadow entry of every address space, global
 * ones too. */
void shadowpt_flush_all(struct vm *vm);
/*
 * Load PAE's four PDPTE registers (vcpu.pdpte) from the PDPT at CR3 bits
 * 31:5, as the CPU does (SDM vol. 3, 4.4.1), when PAE paging is in use
 * (CR0.PG, CR4.PAE, EFER.LMA = 0); otherwise do nothing and return 0.
 * Returns -1, loading nothing, when a present PDPTE has a reserved bit set
 * (a PDPT outside guest RAM reads as all ones and so fails too): the
 * instruction then raises #GP(0) and changes nothing.  The interpreter
 * calls it with the new values already in the vCPU, and restores the old
 * ones on -1:
 *   - mov to CR3: set cr3, shadowpt_load_pdptes(), then shadowpt_load_cr3();
 *   - mov to CR0 or CR4 that changes CR0.CD, NW or PG, or CR4.PAE, PGE or
 *     PSE: set the register, shadowpt_load_pdptes(), then
 *     shadowpt_flush_all() when paging bits changed, as before.
 */
int shadowpt_load_pdptes(struct vm *vm);
/*
 * The virtual CPL changed: switch to the view that matches it.  No entry
 * changes, and the engine is told so (engine->switch_view) when it keeps
 * each view's translations apart; otherwise it is told to flush all.
 */
void shadowpt_switch_view(struct vm *vm);

#endif /* SHADOWPT_SHADOWPT_H */
