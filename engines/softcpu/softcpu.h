/*
 * engines/softcpu/softcpu.h - the software CPU's private interface.
 *
 * softcpu is an interpreter for the user-level (CPL 3) integer subset of
 * x86, in every mode a protected-mode CPU runs code in (cpu_mode() of
 * isa/arch.h): 64-bit code, and 32- or 16-bit code in protected or
 * compatibility mode, with segmentation.  It has the shape of blink:
 * every instruction is decoded once into a compact record (struct
 * sc_insn) that carries a pointer to its handler; records are cached by
 * guest-physical address (cache.c), so a loop is decoded on its first
 * trip only.  Records are decoded a straight line of code at a time into
 * blocks (struct sc_block); the run loop (cpu.c) finds a block and calls
 * its handlers back to back, and the commonest forms jump from one to
 * the next themselves (sc_next); one handler per instruction family, in
 * files named after the families (alu.c, shift.c, muldiv.c, bit.c,
 * string.c, stack.c, branch.c, misc.c, system.c, segment.c, and legacy.c
 * for what exists only outside 64-bit mode).
 *
 * Everything a user-mode CPU may not do faults exactly as the real ring-3
 * CPU would (isa/CONTRACT.md): the monitor, not this engine, emulates
 * privileged instructions.  Memory goes through the segment checks
 * outside 64-bit mode, then the shadow page tables with a TLB in front
 * (mmu.c); a page that is not RAM is a device's (MMIO), reached through
 * devices_mmio() one access at a time.
 *
 * The mode is read once per run() and after every change softcpu makes to
 * CS or another segment register (sc_mode_update): the default sizes, the
 * fetch window CS gives, and which segments are flat, so that accesses
 * through a flat segment (base 0, 4 GiB limit, writable data: what gcc's
 * code and most kernels use) skip the segment checks.
 *
 * Arithmetic flags are lazy (flags.c): an ALU instruction records its
 * operands and result, and CF..OF are computed only when someone reads
 * them (a jcc, a pushf, the end of run()).
 */
#ifndef ENGINES_SOFTCPU_SOFTCPU_H
#define ENGINES_SOFTCPU_SOFTCPU_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "isa/arch.h"
#include "isa/x86.h"
#include "core/exit.h"
#include "core/vcpu.h"
#include "core/debug.h"
#include "patch/patch.h"
#include "shadowpt/shadowpt.h"

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "softcpu copies guest bytes straight into integers: little-endian hosts only"
#endif

struct vm;
struct sc_cpu;
struct sc_insn;

/*
 * A handler executes one decoded instruction.  It returns SC_OK after the
 * instruction completed (the loop then moves RIP to c->next), or SC_STOP
 * after filling c->exit (an exception, syscall, an internal error).  A
 * handler that stops with a fault must not have changed any architectural
 * state: every check and every translation comes before the first write.
 * A repeated string instruction that has done a chunk of its elements
 * returns SC_YIELD: RIP stays on it, and the monitor gets a look (an
 * interrupt, a timer, Ctrl-C) before it goes on, as the CPU takes
 * interrupts between two elements.  An instruction that completed and
 * loaded CS (a far transfer) returns SC_NEWCS: the mode may have changed,
 * and the run loop, which is specialised by mode, starts over.
 */
typedef int sc_fn(struct sc_cpu *c, const struct sc_insn *d);
#define SC_OK 0
#define SC_STOP 1
#define SC_YIELD 2
#define SC_NEWCS 3

/* Special values of the register fields of a record. */
#define SC_NOREG 0xff   /* no base or index register */
#define SC_HIBYTE 0x10  /* byte register AH, CH, DH or BH (reg - 16) */

/* Record flags (sc_insn.flags). */
#define SCI_RIPREL 0x01 /* memory operand is RIP-relative */
#define SCI_STACK 0x02  /* a stack reference, #SS instead of #GP: base RSP
			   or RBP in 64-bit mode, segment SS outside it */
#define SCI_LOCK 0x04   /* lock prefix seen */
#define SCI_REX 0x08    /* a REX prefix was present */
#define SCI_REXW 0x10   /* REX.W */

/* Repeat prefixes (sc_insn.rep). */
#define SC_REP_NONE 0
#define SC_REP_E 1   /* F3: rep / repe / repz */
#define SC_REP_NE 2  /* F2: repne / repnz */

#define SC_NOSEG 0xff

/*
 * One decoded instruction.  Register numbers are already merged with the
 * REX bits; byte registers without REX that mean AH..BH carry SC_HIBYTE.
 */
struct sc_insn {
	_Alignas(64) sc_fn *fn; /* the handler (64: a cache slot is a cache
				   line, indexed by a shift) */
	uint64_t tag;     /* cache tag: offset of byte 0 in guest RAM's block,
			     and csz in bits 56..63 (sc_cache_tag) */
	uint32_t gen;     /* cache tag: generation of that page */
	uint8_t csz;      /* the code size it was decoded for, with
			     SC_CSZ_UNSCANNED under --patch when it was
			     decoded at CPL 3 in a frame never scanned:
			     CPL 0 must not use it (cache.c) */
	uint8_t len;      /* instruction length in bytes */
	uint8_t osz;      /* operand size in bytes: 1, 2, 4, 8 */
	uint8_t asz;      /* address size in bytes: 2, 4 or 8 */
	uint8_t op;       /* sub-operation: ALU op, condition, group index */
	uint8_t reg;      /* ModRM.reg (or the register in the opcode) */
	uint8_t rm;       /* ModRM.rm when mod == 3 */
	uint8_t mod;      /* ModRM.mod; 3 means a register operand */
	uint8_t base;     /* memory operand: base register or SC_NOREG */
	uint8_t index;    /* memory operand: index register or SC_NOREG */
	uint8_t scale;    /* memory operand: log2 of the index scale */
	uint8_t seg;      /* memory operand's segment: in 64-bit mode SEG_FS,
			     SEG_GS or SC_NOSEG (bases 0); outside it always
			     one, the default (DS, or SS) or the override */
	uint8_t rep;      /* SC_REP_* */
	uint8_t flags;    /* SCI_* */
	uint8_t map;      /* opcode map: 1 one-byte, 2 after 0F */
	uint8_t opc;      /* the opcode byte */
	int32_t disp;     /* memory operand displacement */
	uint64_t imm;     /* immediate, sign-extended where the SDM says so;
			     a far pointer (9A, EA): offset | selector << 32 */
	uint8_t imm2;     /* second immediate (enter's nesting level) */
	bool threaded;    /* its handler is a fast form that retires itself
			     and may run the next record (sc_next) */
	bool chain;       /* in a block: the next record is a fast form too,
			     which sc_next may run (cache.c) */
	uint16_t boff;    /* in a block: its offset from the block's start */
	uint16_t acc;     /* access-kind bits of the memory operand: its
			     SC_ACC_SEG, ACC_STACK for a stack reference */
	sc_fn *hop;       /* what sc_next calls with the record after it:
			     that record's handler when chain, else
			     sc_chain_end, which retires (cache.c) */
};

/* A record is one cache line (sc_insn's alignment): the hop (sc_next)
 * reads only d's. */
_Static_assert(sizeof(struct sc_insn) == 64, "an sc_insn is a cache line");

#define SC_CSZ_UNSCANNED 0x80

/*
 * A pre-decoded block (cache.c): the records of up to SC_BLOCK_MAX
 * instructions that follow one another in one page, decoded together the
 * first time the block's first byte is reached, up to and including the
 * first control transfer (or anything else that may leave the straight
 * line: sc_block_ends).  The run loop finds a block once, by the RAM
 * offset of its first byte, and then calls its handlers back to back:
 * no look-up, no tag or page check per instruction.  The block is valid
 * while its page's generation is gen, like a record of the cache.
 */
#define SC_BLOCK_MAX 16
#define SC_NBLOCKS 4096 /* blocks, direct-mapped by RAM offset */
struct sc_block {
	uint64_t tag;     /* sc_cache_tag of its first byte; 0: empty */
	uint32_t gen;     /* the generation of its page it was decoded under */
	uint16_t n;       /* records in insn[], 1..SC_BLOCK_MAX */
	uint16_t bytes;   /* the length of its code: the fall-through's
			     tag is tag + bytes */
	bool threaded;    /* all its records are fast forms, chained from
			     the first to the last (64-bit code): one call
			     runs it (cpu.c's run_records) */
	struct sc_block *succ[2]; /* the blocks last run after it in its
			     page: [0] a branch's target, [1] the
			     fall-through; hints, checked before use
			     (cpu.c's chain_next) */
	struct sc_block *taken; /* the block its jcc's target begins,
			     in its page, of fast forms only: valid by
			     construction, unchecked (sc_chain, cache.c's
			     sc_block_link); itself for a self-loop,
			     linked when built (sc_chain_self); NULL:
			     none known */
	struct sc_block *taken_from; /* the one other block whose taken
			     is this one (NULL: none), to undo that when
			     this slot is built anew */
	struct sc_insn insn[SC_BLOCK_MAX];
};

/* The lazy-flag operations (flags.c). */
enum sc_lazy {
	LZ_NONE,  /* status flags are up to date in vcpu.rflags */
	LZ_ADD, LZ_ADC, LZ_SUB, LZ_SBB, LZ_LOGIC, LZ_INC, LZ_DEC,
};

/*
 * One TLB entry: a linear page, its host address and what it allows, in
 * 32 bytes, so that an entry's offset in its table is the page number's
 * low bits shifted by 5 (sc_tlb_at).  The fast paths (sc_map, sc_flat)
 * read three of its words, as QEMU's softmmu reads its CPUTLBEntry: a
 * tag per kind of access, which does not match at all where that access
 * must go the general way, compared against the page of the access's
 * last byte (so that an access which runs into the next page misses
 * too: that page's number differs from every vpn of its slot in the low
 * bits), and the addend that turns the linear address into the host one.
 *
 *   - vpn, the tag of a read (and the page number for everything else):
 *     every entry of a TLB's table grants TLB_R (sc_tlb_fill faults
 *     before filling one that does not, and a user page is readable), so
 *     that a read's fast path compares nothing more.
 *   - wvpn, the tag of a store: vpn when a store may go straight to the
 *     host page, SC_TLB_EMPTY when it must take sc_map_slow: the page is
 *     not writable (the shadow leaf lacks W: a clean page, whose first
 *     write the shadow must see to set D), it is the BIOS area (ROM), or
 *     it holds decoded code (page_code[]), which a store must drop
 *     (sc_code_write).  sc_code_mark takes the write tag from every
 *     entry of a page as it begins to hold code; mmu.c's "Stores and
 *     decoded code" argues that no entry keeps one stale.
 *   - addend, the host address of the page less its linear address, so
 *     that linear va in the page is at host addend + va (sc_tlb_host).
 *   - frame, the page's guest-physical address, whose low 12 bits (zero
 *     in a page's address) hold the entry's flags: its rights (TLB_R,
 *     TLB_W, TLB_X: what sc_translate checks), TLB_ROM, TLB_LISTED.
 */
struct sc_tlb {
	uint64_t vpn;     /* linear address >> 12, or SC_TLB_EMPTY */
	uint64_t wvpn;    /* vpn when a store may take the fast path, or
			     SC_TLB_EMPTY */
	uintptr_t addend; /* host address of the page less its linear
			     address (mod 2^64) */
	uint64_t frame;   /* guest-physical address of the page | flags */
};
#define SC_TLB_EMPTY (~0ULL)  /* no linear page number: matches none */
#define SC_TLB_SIZE 1024 /* entries, direct-mapped by vpn */
#define SC_TLB_SHIFT 5   /* log2(sizeof(struct sc_tlb)) */
#define TLB_R 0x1
#define TLB_W 0x2
#define TLB_X 0x4
#define TLB_ROM 0x8     /* the BIOS area, which the shadow lets the guest
			   write: TLB_W is off, and writes are dropped */
#define TLB_LISTED 0x10 /* its slot is on its TLB's filled[] list */
_Static_assert(sizeof(struct sc_tlb) == 1u << SC_TLB_SHIFT,
	       "sc_tlb_at indexes by shifting: an entry is 32 bytes");

/* The host address of TLB entry e's page (NULL: a device's page). */
static inline uint8_t *sc_tlb_host(const struct sc_tlb *e)
{
	return (uint8_t *)(e->addend + (e->vpn << PAGE_4K_SHIFT));
}

/* The guest-physical address of TLB entry e's page. */
static inline uint64_t sc_tlb_gpa(const struct sc_tlb *e)
{
	return e->frame & ~(uint64_t)(PAGE_4K - 1);
}

/*
 * The TLB of one view of the shadow (shadowpt.h's enum shadow_view):
 * softcpu keeps one for the supervisor view and one for the user view of
 * the current address space, as a CPU with PCIDs keeps entries of two
 * address spaces apart, so that a change of virtual CPL only selects the
 * other (mmu.c).  filled[] names each slot of e[] filled since the TLB was
 * last emptied, once, so that emptying it touches only those.
 */
struct sc_tlb_view {
	struct sc_tlb e[SC_TLB_SIZE];
	uint16_t filled[SC_TLB_SIZE];
	unsigned nfilled;
};

/* The decoded-instruction cache (cache.c). */
#define SC_ICACHE_SIZE 32768 /* records, direct-mapped by RAM offset */

/*
 * An access to a device's page (MMIO), not RAM: the device is asked when
 * the instruction reads the operand (once: a read-modify-write reads, then
 * writes) and again when it stores it.  An instruction has at most two
 * memory operands (movs, push of memory), so two of these per CPU.
 */
struct sc_mmio {
	struct sc_cpu *c;
	uint64_t gpa;     /* guest-physical address of the access */
	unsigned len;     /* 1..8 bytes */
	bool have;        /* data holds what the device returned */
	uint64_t data;
};

/*
 * A memory operand translated for an access: one or two host pieces, or
 * a device.  For a device p1 and p2 both point at io->data, so that the
 * inline copies below, which only take p1 when p2 is NULL, always go to
 * sc_mem_read_bytes/sc_mem_write_bytes, which ask the device.
 */
struct sc_mem {
	uint8_t *p1, *p2; /* p2 is the second page when the access crosses */
	unsigned n1;      /* bytes in the first page */
	struct sc_mmio *io; /* NULL for RAM */
};

/*
 * An operand that is either a register or translated memory (ModRM's E),
 * so that one handler serves both forms.
 */
struct sc_loc {
	int reg;          /* register number (maybe SC_HIBYTE), or -1 */
	struct sc_mem m;
};

/* What the host machine's system registers held (learned at init). */
struct sc_host {
	uint8_t gdtr[10], idtr[10];
	uint16_t ldtr, tr;
	uint64_t msw;     /* CR0 as smsw reports it */
	bool native;      /* x86-64 host: cpuid, rdtsc run natively */
	bool has_rdtscp, has_rdpid, has_xgetbv;
};

/* The engine's state: one per VM, in vm->engine_data. */
struct sc_cpu {
	struct vm *vm;
	struct vcpu *v;
	struct vm_exit *exit;   /* where the current run() reports */
	uint64_t next;          /* RIP of the next instruction */
	/* The general registers while a run lasts: copied from struct vcpu
	 * when run() starts and back when it ends (cpu.c's sc_run and
	 * end_run), as KVM's registers live in the kernel during KVM_RUN
	 * and come back at the exit.  vcpu.h's stay the truth at every
	 * exit, which is the only place the monitor looks; during the run
	 * the handlers reach these at constant offsets from c, with no
	 * load of c->v first (sc_reg). */
	uint64_t regs[VCPU_NREGS];

	/* Lazy flags: the last flag-setting operation, masked to its size. */
	uint64_t lz_a;          /* what the operation needs of them: */
	union {
		struct {
			uint8_t lz_op;  /* enum sc_lazy */
			uint8_t lz_sz;  /* operand size in bytes */
			uint8_t lz_cin; /* carry in (adc/sbb) or the old CF
					   (inc/dec); 0 for the others */
		};
		uint32_t lz_kind; /* the three at once (sc_lz_kind): one
				     store of an immediate, where op and
				     size are constants */
	};
	uint64_t lz_b, lz_res;  /* (sc_lazy_set, sc_lz_res); lz_kind
				   between lz_a and lz_b, so that the
				   compiler does not pair their two stores
				   into one of a vector register it must
				   first assemble from two (SLP) */

	/* MMU */
	struct sc_tlb *tlb;     /* the TLB in use: views[view].e, that of
				   the shadow's current view */
	const uint64_t *root;   /* the shadow PML4 it follows (spt->current) */
	uint64_t code_vpn;      /* the page RIP was last fetched from... */
	uint64_t code_tag;      /* ...the cache tag of its first byte (its
				   offset in guest RAM, the code size)...
				   (code_vpn is SC_TLB_EMPTY after a change
				   of mode: sc_mode_update) */
	const uint32_t *code_gen; /* ...and its page_gen[] entry */
	uint64_t code_spt_gen;  /* the shadow's generation (spt->gen) when
				   the last run ended: the code page is
				   kept into the next run while it holds */
	unsigned view;          /* VIEW_SUPERVISOR or VIEW_USER */
	struct sc_tlb_view views[SHADOW_NVIEWS];
	uint64_t tlb_fills;     /* --stats: walks of the shadow into a TLB */
	uint64_t tlb_empties;   /* --stats: whole TLBs emptied... */
	uint64_t tlb_emptied;   /* ...and the entries that held */
	uint64_t view_switches; /* --stats: TLBs kept at a change of view */
	uint64_t tlb_protects;  /* --stats: pages that began to hold code
				   (sc_tlb_protect) */

	/* Decoded-instruction cache */
	uint8_t *ram_base;      /* guest RAM's block (vm->mem.base): RAM
				   offsets are host addresses less this */
	struct sc_insn *icache; /* SC_ICACHE_SIZE records */
	uint32_t *page_gen;     /* per guest-physical page: generation */
	uint8_t *page_code;     /* per page: 1 when cached records exist */
	uint64_t npages;
	struct patch *patch;    /* --patch: the scanned frames, or NULL */
	bool patch_unscanned;   /* --patch: the last sc_patch_fetch() was in
				   a frame never scanned (at CPL 3) */
	uint64_t tag_keep;      /* what sc_cache_lookup() compares of a
				   record's tag: all of it, or at CPL 3
				   under --patch all but SC_CSZ_UNSCANNED */
	/* --stats, counted off the hot path: lookups = ran + stopped */
	struct sc_block *blocks; /* SC_NBLOCKS pre-decoded blocks */
	bool code_written;      /* sc_code_write dropped a page's code since
				   the running block began (cpu.c) */
	const struct sc_insn *run0; /* the record the run loop called last,
				   and vcpu.instructions then: where a chain
				   began (sc_retire); a taken jcc into the
				   next block moves both there (sc_chain) */
	uint64_t icount0;
	uint64_t base;          /* the RIP of the first byte of run0's block
				   (of run0 itself outside blocks): record
				   d's RIP is base + d->boff (sc_fall) */
	struct sc_block *blk;   /* the block the chain is in (lone: none) */
	uint64_t climit;        /* the chain may cross into a block that
				   ends at this count at most: the budget,
				   at most SC_SLICE past where it began */
	struct sc_block lone;   /* the one-instruction path's block: no
				   successors, so that nothing crosses */
	uint64_t built;         /* --stats: blocks decoded */
	uint64_t decodes;       /* cache misses: instructions decoded */
	uint64_t crossing;      /* of which page-crossing (never cached) */
	uint64_t ran;           /* instructions completed inside run() */
	uint64_t stopped;       /* instructions that ended a run() */
	/* --isa=x86: the guest kernel was told, once, what pushf hid */
	bool noted_pushf;

	/* The mode (sc_mode_update), for the run and its instructions */
	bool mode64;            /* 64-bit mode: no segments but FS/GS bases */
	uint8_t csz;            /* code size: default operand/address size */
	uint8_t ssz;            /* stack size: RSP, ESP or SP (8, 4, 2) */
	uint64_t lin_mask;      /* linear addresses: 64 bits, or 32 */
	uint64_t cs_base;       /* linear RIP = cs_base + RIP (0 in 64-bit) */
	uint64_t cs_limit;      /* last byte of code: CS.limit, or all ones */
	uint32_t segchk;        /* SC_ACC_SEG of each segment that is not flat */
	bool ss_shadow;         /* this run loaded SS: interrupts held off... */
	uint64_t ss_shadow_end; /* ...until vcpu.instructions reaches this */

	/* MMIO */
	struct sc_mmio mmio[2];
	unsigned mmio_next;     /* the slot the next device access takes */
	uint8_t rom_sink[2][PAGE_4K]; /* where a write to the BIOS area goes
				    (copies of its pages, then forgotten) */
	struct sc_tlb mmio_page; /* what sc_translate returns for a device
				    page: host NULL, never in the TLB */
	uint64_t mmio_accesses; /* --stats: devices_mmio calls */

	/* The debugger (core/debug.h, debug.c) */
	bool dbg;               /* breakpoints or watchpoints in force */
	struct sc_tlb watch_page; /* what sc_translate returns for a page
				    with a watchpoint: never in the TLB, so
				    that every access to it reaches
				    sc_map_slow and sc_watch_check */
	const struct debug_watch *watch_hit; /* this instruction's */

	struct sc_host host;
};

/*
 * softcpu's own access-kind bits, above those of isa/arch.h: the segment
 * register an access goes through (none: a linear address, such as a
 * descriptor-table read).  Outside 64-bit mode the MMU checks the access
 * against that segment's limit and type unless the segment is flat.
 */
#define SC_ACC_SEG(s) (0x1000u << (s))
#define SC_ACC_SEGS (0x3fu << 12)

/* Bits of struct vcpu_segment's attr (descriptor bits 40..55). */
#define SC_ATTR_S (uint16_t)(DESC_S >> DESC_TYPE_SHIFT)
#define SC_ATTR_P (uint16_t)(DESC_P >> DESC_TYPE_SHIFT)

/* -------------------------------------------------------------- cpu.c */
/* Stop with an exception fault (RIP stays on the instruction). */
int sc_fault(struct sc_cpu *c, uint8_t vector, bool has_error, uint32_t err);
/* Recompute the mode fields of c from the vCPU: at the start of run(),
 * and after softcpu changed a segment register. */
void sc_mode_update(struct sc_cpu *c);
/* Stop with #GP(err), #UD and friends: shorthands of sc_fault. */
int sc_gp(struct sc_cpu *c, uint32_t err);
int sc_ud(struct sc_cpu *c);
/* Stop with a trap-type exception: the instruction completed. */
int sc_trap(struct sc_cpu *c, uint8_t vector);
/*
 * Move to near branch target t of operand size osz: in 64-bit mode #GP(0)
 * when t is not canonical; outside it t is cut to osz (IP wraps in 16-bit
 * code) and must lie within CS.limit, else #GP(0).
 */
static inline int sc_branch(struct sc_cpu *c, uint64_t t, unsigned osz)
{
	if (osz == 8) {
		if (!x86_canonical(t))
			return sc_gp(c, 0);
	} else {
		t &= (1ULL << (8 * osz)) - 1;
		if (t > c->cs_limit)
			return sc_gp(c, 0);
	}
	c->next = t;
	return SC_OK;
}
/*
 * The run loop (cpu.c) runs the guest in slices of at most SC_SLICE
 * instructions and looks at vm->kick between two, which bounds the time
 * a timer signal waits for the engine to come back; a slice is also the
 * budget that bounds a chain (below).
 */
#define SC_SLICE 4096

/*
 * Threaded dispatch.  The fast forms (the handlers decode.c's
 * fast_handler chooses: record flag threaded) end with sc_next() instead
 * of returning SC_OK to the run loop: the instruction of record d has
 * completed and did not branch; when the block's builder marked d chain
 * (the next record of the block is a fast form too, in 64-bit code), run
 * the next record directly, with no trip through the loop.  The chain
 * stops at the block's end, at a record that is not a fast form, after a
 * write that dropped decoded code (the next record may be stale: only a
 * fast form's general handler can write such a page, and it looks), and
 * at a taken branch (jcc) that does not go on into the block of its
 * target (sc_chain, below); the loop then takes over (cpu.c's run_block,
 * which finds where the chain stopped by the instruction count).  The
 * loop runs a block only when its whole length fits in the instruction
 * budget, so that --icount's deadlines stay exact.  A chain is
 * SC_SLICE calls deep at most, even where the compiler does not make
 * them jumps.
 *
 * A chain's instructions retire once, where it stops (sc_retire): RIP
 * and the instruction count are needed only where something stops,
 * faults or looks, and they follow from the record reached.  The loop
 * notes the record it called (run0), the count then (icount0) and the
 * RIP of its block's first byte (base); the instruction of record d is
 * the (d - run0)th of the chain, its RIP is base + d->boff, and the
 * next one's base + d->boff + d->len (sc_fall), so that nothing moves
 * along the chain but the record.  A fast form that hands its
 * instruction to the general handler, which may fault, trap or ask a
 * device, first brings RIP, the count and c->next to the instruction's
 * own (sc_sync): that handler and whatever it calls see exactly the
 * state of the one-instruction path.
 */
static inline uint64_t sc_fall(const struct sc_cpu *c, const struct sc_insn *d)
{
	return c->base + d->boff + d->len;
}

/* Retire the chain up to record d, which went on to rip. */
static inline int sc_retire_at(struct sc_cpu *c, const struct sc_insn *d,
			       uint64_t rip)
{
	c->v->rip = rip;
	c->v->instructions = c->icount0 + (uint64_t)(d + 1 - c->run0);
	return SC_OK;
}

static inline int sc_retire(struct sc_cpu *c, const struct sc_insn *d)
{
	return sc_retire_at(c, d, sc_fall(c, d));
}

static inline void sc_sync(struct sc_cpu *c, const struct sc_insn *d)
{
	c->v->rip = c->base + d->boff;
	c->v->instructions = c->icount0 + (uint64_t)(d - c->run0);
	c->next = c->v->rip + d->len;
}

/*
 * The hop: d->hop is d[1].fn where the builder marked d chain, and
 * sc_chain_end everywhere else (sc_decode's default), which retires the
 * chain up to the record before the one it is given.  So the hop tests
 * no flag: one load from d's own cache line and a jump.  The record
 * after d is then never read unless it is in d's block: sc_chain_end
 * looks only at d, one before the pointer it is given, which may be one
 * past the end of the block's records or a neighbour slot of the record
 * cache.
 */
int sc_chain_end(struct sc_cpu *c, const struct sc_insn *next);

static inline int sc_next(struct sc_cpu *c, const struct sc_insn *d)
{
	return d->hop(c, d + 1);
}

/*
 * Chaining across blocks.  A taken jcc (the sieve's loops' back edges)
 * goes straight on into the first handler of the block it reaches,
 * without returning to the run loop (cpu.c's run_block and chain_next),
 * when its block has a taken pointer: the block that begins at the jcc's
 * target, in the same page, made of fast forms only (so that its chain
 * stops only at its end, at a taken branch, a write to decoded code or a
 * stop: where the loop can go on from), of the generation the jcc's own
 * block was decoded under.  cache.c's sc_block_link sets it, and the
 * pointer stays true by construction (its comment argues it), so that a
 * crossing checks one thing only: that all of the successor fits under
 * climit.  That is the instruction budget, so that --icount's deadlines
 * stay exact: the run loop's slice, at most SC_SLICE instructions past
 * where the loop called the chain.  Each hop is a call, which the
 * compiler makes a jump only when it optimises sibling calls; a build
 * that keeps the frames (the sanitizer's, -O0) keeps at most SC_SLICE
 * of them, a few hundred KiB of the main thread's stack.
 * A call rel32 goes the same way into the block of its target (its
 * block's taken pointer, linked as a jcc's); a ret, whose target is
 * known only when it runs, into the block its own went on to last time
 * (succ[0]), after chain_next's checks (branch.c's ret64: sc_chain_to,
 * with the address popped).
 * The successor's instructions are counted from its first record on:
 * run0, icount0 and base move there, so that sc_retire and sc_sync stay
 * true.  Over the budget, the chain retires at the jump to t, and the
 * loop goes on.  A jcc back to its own block's first byte, a self-loop,
 * moves only icount0 (sc_chain_self, below).
 */
static inline int sc_chain_to(struct sc_cpu *c, const struct sc_insn *d,
			      struct sc_block *s, uint64_t t)
{
	uint64_t count = c->icount0 + (uint64_t)(d + 1 - c->run0);

	if (count + s->n > c->climit)
		return sc_retire_at(c, d, t);
	c->blk = s;
	c->run0 = s->insn;
	c->icount0 = count;
	c->base = t;
	return s->insn[0].fn(c, s->insn);
}

/* Is s, a block that b went on to before (b->succ[]), still the block
 * at linear lin: in the code page, its slot's tag that byte's, decoded
 * under b's generation of the page (cpu.c's chain_next argues why that
 * is the page's present one)?  chain_next's test of a successor, and
 * ret64's (branch.c). */
static inline bool sc_succ_holds(const struct sc_cpu *c,
				 const struct sc_block *b,
				 const struct sc_block *s, uint64_t lin)
{
	return s && lin >> PAGE_4K_SHIFT == c->code_vpn &&
	       s->tag == c->code_tag + (lin & (PAGE_4K - 1)) &&
	       s->gen == b->gen;
}

/* On into s, the block of a relative branch's target (a jcc's, a
 * call's). */
static inline int sc_chain(struct sc_cpu *c, const struct sc_insn *d,
			   struct sc_block *s)
{
	return sc_chain_to(c, d, s, sc_fall(c, d) + d->imm);
}

/*
 * A self-loop: block b's jcc, record d, jumps back to b's own first byte
 * (compiled code's innermost loops), and b->taken is b.  Crossing there
 * changes nothing but the count: the chain stays in b (blk), counted
 * from b's first record (run0) and at b's first byte's RIP (base), so
 * that only icount0 moves, by b->n.  That is the count sc_chain would
 * compute, because only a block of fast forms is linked to itself
 * (cache.c's sc_block_link), and such a block's records run only as one
 * chain from its first record, with run0 on it (cpu.c's run_records,
 * sc_chain and this): its jcc, the last record, is b->n records past
 * run0.  The budget's test is sc_chain's.
 */
static inline int sc_chain_self(struct sc_cpu *c, const struct sc_insn *d,
				struct sc_block *b)
{
	uint64_t count = c->icount0 + b->n;

	if (count + b->n > c->climit)
		return sc_retire_at(c, d, c->base);
	c->icount0 = count;
	return b->insn[0].fn(c, b->insn);
}

/*
 * A fast form's way out to the general handler fn: RIP and the count
 * those of d (sc_sync), then on along the chain unless fn stopped or
 * dropped decoded code.  Never inlined: called last, it is a jump, and
 * the fast form's own path then saves no registers for it.
 */
static int sc_general(struct sc_cpu *c, const struct sc_insn *d, sc_fn *fn)
	__attribute__((noinline, unused));
static int sc_general(struct sc_cpu *c, const struct sc_insn *d, sc_fn *fn)
{
	int rc;

	sc_sync(c, d);
	if ((rc = fn(c, d)) != SC_OK)
		return rc;
	return c->code_written ? sc_retire(c, d) : sc_next(c, d);
}

/* Stop because the engine cannot go on (a monitor bug). */
int sc_internal(struct sc_cpu *c, const char *why);
/*
 * Stop because the guest asks for what this engine does not implement
 * (real-address mode, virtual-8086 mode, MMIO it cannot split): the
 * guest is stopped with the reason (tier 2 of core/panic.h), not the
 * monitor.
 */
int sc_unsupported(struct sc_cpu *c, const char *why);
/* The handler for every invalid opcode. */
sc_fn op_ud;

/* -------------------------------------------------------------- regs */
/* All ones in the low sz bytes (the operand-size mask). */
static inline uint64_t sc_mask(unsigned sz)
{
	return sz == 8 ? ~0ULL : (1ULL << (8 * sz)) - 1;
}

/* The sign bit of an sz-byte operand. */
static inline uint64_t sc_sign(unsigned sz)
{
	return 1ULL << (8 * sz - 1);
}

/* Sign-extend the low sz bytes of x to 64 bits. */
static inline int64_t sc_sext(uint64_t x, unsigned sz)
{
	unsigned sh = 64 - 8 * sz;
	return (int64_t)(x << sh) >> sh;
}

/*
 * An address the compiler may not fold into the access that uses it: the
 * empty asm says the value could have changed, so that the load or store
 * through it is a plain [reg] access, not [base + index * 8] (a register
 * of the file, its number loaded from the record) or [addend + va] (a
 * guest operand's host address).  Same work, a lea more; but on this
 * machine's core (a Sapphire Rapids class Xeon) a handler that reads
 * what the one before it stored costs no more than one that does not
 * when the two accesses are plain, and three times as much when they are
 * indexed: bench/dispatch.c, rows 2, 3 and 7, the same handlers, 2.4
 * core cycles an instruction independent, 7.0 dependent and indexed,
 * 2.4 dependent and plain.  Compiled code's instructions mostly read
 * what the one before wrote, through the register file.
 */
static inline uintptr_t sc_plain(uintptr_t a)
{
	__asm__("" : "+r"(a));
	return a;
}

/* The word of register r in the register file (c->regs), as a plain
 * address (sc_plain).  Every handler that reads or writes a register
 * named by its record goes through here: sc_reg to write, sc_reg_ro (or
 * sc_rlow) to read. */
static inline uint64_t *sc_reg(struct sc_cpu *c, unsigned r)
{
	return (uint64_t *)sc_plain((uintptr_t)&c->regs[r]);
}

static inline const uint64_t *sc_reg_ro(const struct sc_cpu *c, unsigned r)
{
	return (const uint64_t *)sc_plain((uintptr_t)&c->regs[r]);
}

/*
 * Read the low sz bytes of register r (not AH..BH), zero-extended, with a
 * load of sz bytes and not of the whole word.  A register lives in
 * memory (c->regs), and an 8- or 16-bit write to it is a store of that
 * size (the compiler narrows sc_rset_low's merge to one): a wider load
 * of the same word right after cannot take its value from the store
 * buffer, and waits until the store has reached the cache (a failed
 * store forwarding).  A load of the written size is forwarded.  It is
 * the host's form of the guest CPU's own partial-register stall: setcc
 * into SIL then a byte store of SIL (the sieve's first loop) forwards,
 * setcc then a 64-bit read of RSI still waits, here as on the hardware.
 * The host is little-endian: the low bytes come first.
 */
static inline uint64_t sc_rlow(const struct sc_cpu *c, unsigned r,
			       unsigned sz)
{
	const uint64_t *p = sc_reg_ro(c, r);
	uint8_t b;
	uint16_t w;
	uint32_t l;

	switch (sz) {
	case 1:
		memcpy(&b, p, 1);
		return b;
	case 2:
		memcpy(&w, p, 2);
		return w;
	case 4:
		memcpy(&l, p, 4);
		return l;
	default:
		return *p;
	}
}

/* Read register r (SC_HIBYTE for AH..BH) at size sz, zero-extended. */
static inline uint64_t sc_rget(const struct sc_cpu *c, unsigned r, unsigned sz)
{
	if (sz == 1 && (r & SC_HIBYTE))
		return (*sc_reg_ro(c, r - SC_HIBYTE) >> 8) & 0xff;
	return sc_rlow(c, r, sz);
}

/* Write x at size sz into register word *p, not AH..BH: a 32-bit write
 * zero-extends, 8 and 16 bits keep the rest. */
static inline void sc_rset_low(uint64_t *p, unsigned sz, uint64_t x)
{
	if (sz == 4)
		*p = (uint32_t)x;
	else if (sz == 8)
		*p = x;
	else
		*p = (*p & ~sc_mask(sz)) | (x & sc_mask(sz));
}

/*
 * Write register r at size sz: 8- and 16-bit writes merge into the old
 * value, a 32-bit write zero-extends to 64 bits (SDM vol. 1, 3.4.1.1).
 */
static inline void sc_rset(struct sc_cpu *c, unsigned r, unsigned sz,
			   uint64_t x)
{
	uint64_t *p;

	if (sz == 1 && (r & SC_HIBYTE)) {
		p = sc_reg(c, r - SC_HIBYTE);
		*p = (*p & ~0xff00ULL) | ((x & 0xff) << 8);
		return;
	}
	sc_rset_low(sc_reg(c, r), sz, x);
}

/* -------------------------------------------------------------- flags.c */
/* lz_op, lz_sz and lz_cin as the one word lz_kind holds them in. */
static inline uint32_t sc_lz_kind(enum sc_lazy op, unsigned sz, unsigned cin)
{
	return (uint32_t)op | sz << 8 | cin << 16;
}

/*
 * Record an arithmetic result for lazy flags (a, b, res already masked):
 * only what its flags need, which sc_lz_res() completes.  A logic
 * operation's flags need only its result (CF, OF and AF are clear); the
 * others' result follows from their operands (and the carry in of adc and
 * sbb, the CF that inc and dec keep: sc_lazy_set_cin), so that it is not
 * stored.  The operation, its size and the carry in are one word
 * (lz_kind), so that with op and sz constants where this is inlined an
 * ALU operation costs three stores, its operands and one immediate (not
 * a 16-bit constant loaded and stored, which is what a compiler makes of
 * two adjacent bytes), and cmp no subtraction at all.
 */
static inline void sc_lazy_set_cin(struct sc_cpu *c, enum sc_lazy op,
				   unsigned sz, uint64_t a, uint64_t b,
				   uint64_t res, unsigned cin)
{
	c->lz_kind = sc_lz_kind(op, sz, cin);
	if (op == LZ_LOGIC) {
		c->lz_res = res;
		return;
	}
	c->lz_a = a;
	c->lz_b = b;
}

/* sc_lazy_set_cin for what has no carry in: add, sub, cmp, logic. */
static inline void sc_lazy_set(struct sc_cpu *c, enum sc_lazy op, unsigned sz,
			       uint64_t a, uint64_t b, uint64_t res)
{
	sc_lazy_set_cin(c, op, sz, a, b, res, 0);
}

/* The result of the last flag-setting operation (not LZ_NONE). */
static inline uint64_t sc_lz_res(const struct sc_cpu *c)
{
	uint64_t a = c->lz_a, b = c->lz_b, m = sc_mask(c->lz_sz);

	switch (c->lz_op) {
	case LZ_ADD:
	case LZ_INC: /* b = 1; lz_cin is the CF kept, not a carry in */
		return (a + b) & m;
	case LZ_ADC:
		return (a + b + c->lz_cin) & m;
	case LZ_SUB:
	case LZ_DEC:
		return (a - b) & m;
	case LZ_SBB:
		return (a - b - c->lz_cin) & m;
	default: /* LZ_LOGIC */
		return c->lz_res;
	}
}

/* The status flags, each derived from the lazy state when read. */
static inline bool sc_cf(const struct sc_cpu *c)
{
	switch (c->lz_op) {
	case LZ_ADD:
		return sc_lz_res(c) < c->lz_a;
	case LZ_ADC:
		return sc_lz_res(c) < c->lz_a ||
		       (c->lz_cin && sc_lz_res(c) == c->lz_a);
	case LZ_SUB:
		return c->lz_a < c->lz_b;
	case LZ_SBB:
		return c->lz_a < c->lz_b || (c->lz_cin && c->lz_a == c->lz_b);
	case LZ_LOGIC:
		return false;
	case LZ_INC:
	case LZ_DEC:
		return c->lz_cin;
	default:
		return c->v->rflags & FL_CF;
	}
}

static inline bool sc_zf(const struct sc_cpu *c)
{
	if (c->lz_op == LZ_NONE)
		return c->v->rflags & FL_ZF;
	return sc_lz_res(c) == 0;
}

static inline bool sc_sf(const struct sc_cpu *c)
{
	if (c->lz_op == LZ_NONE)
		return c->v->rflags & FL_SF;
	return sc_lz_res(c) & sc_sign(c->lz_sz);
}

/* OF and PF from the lazy state (flags.c). */
bool sc_of(const struct sc_cpu *c);
bool sc_pf(const struct sc_cpu *c);
/* Materialize the lazy flags into vcpu.rflags; returns rflags. */
uint64_t sc_flags(struct sc_cpu *c);
/*
 * Set the status flags in mask to the values in bits (others kept):
 * materializes first, so it is safe whatever the lazy state.
 */
void sc_set_flags(struct sc_cpu *c, uint64_t mask, uint64_t bits);
/* The six status flags of a result: ZF, SF and PF (CF, OF, AF clear). */
uint64_t sc_szp(uint64_t res, unsigned sz);
/* Evaluate condition code cc (0..15, as in jcc/setcc/cmovcc). */
bool sc_cond(const struct sc_cpu *c, unsigned cc);

/*
 * sc_cond() for a condition cc that is a constant where it is inlined
 * (the handlers of one condition: jcc, setcc), where it is quick: after
 * a cmp or sub (the lazy state LZ_SUB, what a compiler's loop ends with)
 * it is one comparison of the recorded operands, and after a test or and
 * (LZ_LOGIC) "equal" is a look at the result.  1 or 0, or -1 for every
 * other state, which sc_cond() computes (a fast form calls it out of
 * line, so that its quick path saves no registers).
 */
static inline int sc_cond_quick(const struct sc_cpu *c, unsigned cc)
{
	uint64_t a = c->lz_a, b = c->lz_b;
	bool r;

	if (c->lz_op == LZ_SUB) {
		switch (cc >> 1) {
		case 1: r = a < b; break;
		case 2: r = a == b; break;
		case 3: r = a <= b; break;
		case 6: r = sc_sext(a, c->lz_sz) < sc_sext(b, c->lz_sz); break;
		case 7: r = sc_sext(a, c->lz_sz) <= sc_sext(b, c->lz_sz); break;
		default: return -1;
		}
		return r ^ (cc & 1);
	}
	if (c->lz_op == LZ_LOGIC && cc >> 1 == 2)
		return (c->lz_res == 0) ^ (cc & 1);
	return -1;
}

/* -------------------------------------------------------------- mmu.c */
/* Access kinds for translation: ACC_* of isa/arch.h. */

/* Flush the TLBs of both views: every entry, or those of linear va. */
void sc_tlb_flush(struct sc_cpu *c, uint64_t va);
/* The shadow changed its current view: use that view's TLB. */
void sc_tlb_switch_view(struct sc_cpu *c);
/* Walk the shadow and fill the TLB entry of va (the TLB missed). */
const struct sc_tlb *sc_tlb_fill(struct sc_cpu *c, uint64_t va, unsigned acc);

/* The entry of TLB slot va's page in the TLB in use. */
static inline struct sc_tlb *sc_tlb_at(const struct sc_cpu *c, uint64_t va)
{
	return (struct sc_tlb *)((char *)c->tlb +
		((va >> (PAGE_4K_SHIFT - SC_TLB_SHIFT)) &
		 ((SC_TLB_SIZE - 1) << SC_TLB_SHIFT)));
}

/* The offset in guest RAM of TLB entry e's page (RAM: host not NULL),
 * the decoded-instruction cache's key. */
static inline uint64_t sc_tlb_ram(const struct sc_cpu *c,
				  const struct sc_tlb *e)
{
	return (uint64_t)(sc_tlb_host(e) - c->ram_base);
}

/* The page at RAM offset ram begins to hold decoded code: no TLB entry
 * may let a store to it through the fast path any more (mmu.c). */
void sc_tlb_protect(struct sc_cpu *c, uint64_t ram);

/* The TLB right an access kind needs. */
static inline unsigned sc_right(unsigned acc)
{
	if (acc & ACC_WRITE)
		return TLB_W;
	return (acc & ACC_FETCH) ? TLB_X : TLB_R;
}

/*
 * Translate the linear page of va for acc: returns the TLB entry, or NULL
 * after stopping with #PF (or an internal error).  The hit is inline.
 */
static inline const struct sc_tlb *sc_translate(struct sc_cpu *c, uint64_t va,
						unsigned acc)
{
	const struct sc_tlb *e = sc_tlb_at(c, va);

	if (e->vpn == va >> PAGE_4K_SHIFT && (e->frame & sc_right(acc)))
		return e;
	return sc_tlb_fill(c, va, acc);
}

/* The fast paths' one test (struct sc_tlb): entry e, va's slot, holds the
 * page of the access's last byte with the tag of its kind, a store's or a
 * read's, so that len bytes at va lie within one page the access may
 * reach directly, at e->addend + va. */
static inline bool sc_tlb_hit(const struct sc_tlb *e, uint64_t va,
			      unsigned len, bool write)
{
	return (write ? e->wvpn : e->vpn) == (va + len - 1) >> PAGE_4K_SHIFT;
}

/* The host address of va, in entry e's page, as a plain address
 * (sc_plain): a guest store then a load of the same bytes (a spill, a
 * push and its pop) pass the value as the register file's words do. */
static inline uint8_t *sc_tlb_addr(const struct sc_tlb *e, uint64_t va)
{
	return (uint8_t *)sc_plain(e->addend + va);
}

/* sc_map for an access that is not the simple case below. */
int sc_map_slow(struct sc_cpu *c, uint64_t va, unsigned len, unsigned acc,
		struct sc_mem *m);

/*
 * Translate [va, va + len) (len <= PAGE_4K) for acc into *m, both pages when
 * it crosses one, before anything is written.  Returns SC_OK or SC_STOP.
 * Inline for the common case: an access inside one page whose translation
 * the TLB holds, through a flat segment (or in 64-bit mode, where the TLB
 * only holds canonical pages), and no decoded code on the page to drop:
 * the tag of the access's kind (struct sc_tlb) matches the page of its
 * last byte.  A fetch is not the common case (the run loop translates
 * code with sc_translate): it always takes sc_map_slow.
 */
static inline int sc_map(struct sc_cpu *c, uint64_t va, unsigned len,
			 unsigned acc, struct sc_mem *m)
{
	const struct sc_tlb *e = sc_tlb_at(c, va);

	if (sc_tlb_hit(e, va, len, acc & ACC_WRITE) &&
	    !(acc & (c->segchk | ACC_FETCH))) {
		m->p1 = sc_tlb_addr(e, va);
		m->p2 = NULL;
		m->n1 = len;
		m->io = NULL;
		return SC_OK;
	}
	return sc_map_slow(c, va, len, acc, m);
}

/* Copy len bytes out of or into a translated operand (any len <= 16; a
 * device's operand is read once, from the device, and written to it). */
void sc_mem_read_bytes(const struct sc_mem *m, void *buf, unsigned len);
void sc_mem_write_bytes(const struct sc_mem *m, const void *buf,
			unsigned len);

/* Fixed-size copies, so that the compiler turns them into one move. */
static inline uint64_t sc_mem_get(const struct sc_mem *m, unsigned sz)
{
	uint64_t x = 0;

	if (m->p2) {
		sc_mem_read_bytes(m, &x, sz);
		return x;
	}
	switch (sz) {
	case 1: return *m->p1;
	case 2: { uint16_t y; memcpy(&y, m->p1, 2); return y; }
	case 4: { uint32_t y; memcpy(&y, m->p1, 4); return y; }
	default: memcpy(&x, m->p1, 8); return x;
	}
}

static inline void sc_mem_put(const struct sc_mem *m, unsigned sz, uint64_t x)
{
	if (m->p2) {
		sc_mem_write_bytes(m, &x, sz);
		return;
	}
	switch (sz) {
	case 1: *m->p1 = (uint8_t)x; break;
	case 2: { uint16_t y = (uint16_t)x; memcpy(m->p1, &y, 2); break; }
	case 4: { uint32_t y = (uint32_t)x; memcpy(m->p1, &y, 4); break; }
	default: memcpy(m->p1, &x, 8); break;
	}
}
/*
 * The linear address of offset off in segment seg: the base added, and
 * outside 64-bit mode cut to 32 bits (linear addresses wrap at 4 GiB).
 * SC_NOSEG: off is linear already (64-bit mode without fs/gs).
 */
static inline uint64_t sc_lin(const struct sc_cpu *c, unsigned seg,
			      uint64_t off)
{
	if (seg == SC_NOSEG)
		return off;
	return (off + c->v->seg[seg].base) & c->lin_mask;
}

/*
 * The segment of an implicit reference through seg (SS for the stack, ES
 * for a string destination): none in 64-bit mode, where their base is 0.
 */
static inline unsigned sc_implicit(const struct sc_cpu *c, unsigned seg)
{
	return c->mode64 ? SC_NOSEG : seg;
}

/* The access kind of an implicit reference through seg. */
static inline unsigned sc_acc_seg(unsigned seg, unsigned acc)
{
	acc |= SC_ACC_SEG(seg);
	return seg == SEG_SS ? acc | ACC_STACK : acc;
}

/*
 * The shapes of a memory operand's address that fast forms are made for
 * (a constant of each form): a base register and a displacement only
 * (SC_SHAPE_BD: compiled code's commonest, the only one of compute's
 * loads and stores), those and an index (SC_SHAPE_BID: lea's), or any
 * other (base, index, RIP).
 */
enum sc_shape { SC_SHAPE_ANY, SC_SHAPE_BD, SC_SHAPE_BID };
static inline bool sc_shape_bd(const struct sc_insn *d)
{
	return d->base != SC_NOREG && d->index == SC_NOREG &&
	       !(d->flags & SCI_RIPREL);
}

/* A base, an index and a displacement (lea's forms: misc.c). */
static inline bool sc_shape_bid(const struct sc_insn *d)
{
	return d->base != SC_NOREG && d->index != SC_NOREG &&
	       !(d->flags & SCI_RIPREL);
}

/*
 * The effective address of d with 64-bit addressing (d->asz 8: no cut),
 * for a shape the form was chosen for: a base and a displacement, those
 * and an index, or any (each part the record names; sc_ea_off is this
 * cut to the address size).
 */
static inline uint64_t sc_ea64(const struct sc_cpu *c, const struct sc_insn *d,
			       enum sc_shape shape)
{
	uint64_t a = (uint64_t)(int64_t)d->disp;

	if (shape == SC_SHAPE_BD)
		return a + *sc_reg_ro(c, d->base);
	if (shape == SC_SHAPE_BID)
		return a + *sc_reg_ro(c, d->base) +
		       (*sc_reg_ro(c, d->index) << d->scale);
	if (d->base != SC_NOREG)
		a += *sc_reg_ro(c, d->base);
	if (d->index != SC_NOREG)
		a += *sc_reg_ro(c, d->index) << d->scale;
	if (d->flags & SCI_RIPREL)
		a += sc_fall(c, d);
	return a;
}

/* The offset (effective address) of d's memory operand, cut to its
 * address size: 16-bit addressing wraps at 64 KiB. */
static inline uint64_t sc_ea_off(const struct sc_cpu *c,
				 const struct sc_insn *d)
{
	uint64_t a = sc_ea64(c, d, SC_SHAPE_ANY);

	return d->asz == 8 ? a : a & sc_mask(d->asz);
}

/* The linear address of the memory operand of d. */
static inline uint64_t sc_ea(const struct sc_cpu *c, const struct sc_insn *d)
{
	return sc_lin(c, d->seg, sc_ea_off(c, d));
}

/* The access kind of d's memory operand: its segment, and ACC_STACK for
 * a stack reference. */
static inline unsigned sc_acc(const struct sc_insn *d, unsigned acc)
{
	return acc | d->acc;
}

/* Read or write sz bytes at linear va. */
static inline int sc_read(struct sc_cpu *c, uint64_t va, unsigned sz,
			  uint64_t *x, unsigned acc)
{
	struct sc_mem m;

	if (sc_map(c, va, sz, acc & ~ACC_WRITE, &m))
		return SC_STOP;
	*x = sc_mem_get(&m, sz);
	return SC_OK;
}

static inline int sc_write(struct sc_cpu *c, uint64_t va, unsigned sz,
			   uint64_t x, unsigned acc)
{
	struct sc_mem m;

	if (sc_map(c, va, sz, acc | ACC_WRITE, &m))
		return SC_STOP;
	sc_mem_put(&m, sz, x);
	return SC_OK;
}

/* Locate ModRM's E operand of d for access acc (register or memory). */
static inline int sc_loc_e(struct sc_cpu *c, const struct sc_insn *d,
			   unsigned sz, unsigned acc, struct sc_loc *l)
{
	if (d->mod == 3) {
		l->reg = d->rm;
		return SC_OK;
	}
	l->reg = -1;
	return sc_map(c, sc_ea(c, d), sz, sc_acc(d, acc), &l->m);
}

static inline uint64_t sc_loc_get(const struct sc_cpu *c,
				  const struct sc_loc *l, unsigned sz)
{
	if (l->reg >= 0)
		return sc_rget(c, (unsigned)l->reg, sz);
	return sc_mem_get(&l->m, sz);
}

static inline void sc_loc_put(struct sc_cpu *c, const struct sc_loc *l,
			      unsigned sz, uint64_t x)
{
	if (l->reg >= 0)
		sc_rset(c, (unsigned)l->reg, sz, x);
	else
		sc_mem_put(&l->m, sz, x);
}

/*
 * The flat fast path of a memory operand (the forms of sc_flat_form):
 * in 64-bit code, through no FS or GS override, with 64-bit addressing,
 * the operand's linear address is its effective address.  True, with
 * the host address of its sz bytes in *p, when the TLB holds the page
 * with the tag of the access's kind (struct sc_tlb: for a store, the page
 * is writable and holds no decoded code) and the operand lies within the
 * page: exactly sc_map()'s inline case, one compare.  False otherwise:
 * the caller then runs the general handler, which takes every other case
 * (a miss, a fault, a device, a page-crossing operand, code to drop).
 * (A bool and *p, not a pointer or NULL: the host address is a sum the
 * compiler cannot prove non-NULL, and would test again.)
 * The shape of the address is a constant of each form (enum sc_shape):
 * a base register and a displacement only, or any other.
 * sc_tlb_fast is that one compare for a linear address already made: a
 * flat operand's, or in 64-bit code a stack slot's (SS is flat there;
 * branch.c's call and ret, stack.c's push and pop).
 */
static inline bool sc_tlb_fast(struct sc_cpu *c, uint64_t va, unsigned sz,
			       bool write, uint8_t **p)
{
	const struct sc_tlb *e = sc_tlb_at(c, va);

	if (!sc_tlb_hit(e, va, sz, write))
		return false;
	*p = sc_tlb_addr(e, va);
	return true;
}

static inline bool sc_flat(struct sc_cpu *c, const struct sc_insn *d,
			   unsigned sz, bool write, enum sc_shape shape,
			   uint8_t **p)
{
	/* asz 8 (sc_flat_form): the effective address is the linear one */
	return sc_tlb_fast(c, sc_ea64(c, d, shape), sz, write, p);
}

/* Read the E operand at size sz. */
static inline int sc_get_e(struct sc_cpu *c, const struct sc_insn *d,
			   unsigned sz, uint64_t *x)
{
	if (d->mod == 3) {
		*x = sc_rget(c, d->rm, sz);
		return SC_OK;
	}
	return sc_read(c, sc_ea(c, d), sz, x, sc_acc(d, ACC_READ));
}

/* ------------------------------------------------------------ stack.c */
/* The stack pointer at the stack size: RSP, ESP or SP. */
static inline uint64_t sc_sp(const struct sc_cpu *c)
{
	return c->regs[GPR_RSP] & sc_mask(c->ssz);
}

/* Set the stack pointer at the stack size (SP: ESP's upper half kept). */
static inline void sc_sp_set(struct sc_cpu *c, uint64_t sp)
{
	sc_rset(c, GPR_RSP, c->ssz, sp);
}

/* Translate len bytes at stack offset sp (SS:sp) for acc. */
int sc_stack_map(struct sc_cpu *c, uint64_t sp, unsigned len, unsigned acc,
		 struct sc_mem *m);
/* Read or write sz bytes at stack offset sp (SS:sp). */
int sc_stack_read(struct sc_cpu *c, uint64_t sp, unsigned sz, uint64_t *x);
int sc_stack_write(struct sc_cpu *c, uint64_t sp, unsigned sz, uint64_t x);
/* Push sz bytes of x; pop sz bytes into *x (RSP moves on success only). */
int sc_push(struct sc_cpu *c, unsigned sz, uint64_t x);
int sc_pop(struct sc_cpu *c, unsigned sz, uint64_t *x);

/* ---------------------------------------------------------- segment.c */
/*
 * A far jmp/call/ret at CPL 3 to selector sel, offset rip: check the
 * target code segment as the CPU does, load CS and branch.  A far call
 * first checks, then pushes (push: the return CS and RIP, at operand size
 * osz, written only once the target is known good), then loads CS.  Both
 * return SC_NEWCS, or SC_STOP after a fault.
 */
int sc_far_transfer(struct sc_cpu *c, uint16_t sel, uint64_t rip);
int sc_far_call(struct sc_cpu *c, uint16_t sel, uint64_t rip, unsigned osz);
/*
 * Load segment register sreg with selector sel at CPL 3 (mov, pop, lds
 * and friends), with the protected-mode checks and faults.
 */
int sc_load_sreg(struct sc_cpu *c, unsigned sreg, uint16_t sel);
/* Read d's memory operand as a far pointer: offset of the operand size,
 * then a 16-bit selector (ljmp/lcall m, lds and friends). */
int sc_read_far_ptr(struct sc_cpu *c, const struct sc_insn *d, uint64_t *off,
		    uint16_t *sel);

/* ------------------------------------------------------------ debug.c */
/* Does the page of linear va hold a watched byte?  (Kept out of the TLB.) */
bool sc_watch_page(const struct sc_cpu *c, uint64_t va);
/* An access of len bytes at linear va for acc: note a watchpoint hit. */
void sc_watch_check(struct sc_cpu *c, uint64_t va, unsigned len,
		    unsigned acc);
/* Stop for the debugger: a breakpoint at RIP (not executed), or the
 * watchpoint the last instruction hit (it completed).  SC_STOP. */
int sc_debug_break(struct sc_cpu *c, uint64_t lin);
int sc_debug_watch(struct sc_cpu *c);
/* engine->set_debug */
int sc_set_debug(struct vm *vm, char *why, size_t len);

/* ------------------------------------------------------------ cache.c */
/*
 * The cache is keyed by the offset of an instruction in guest RAM's block
 * (gm_offset(), core/guest_mem.h), not by its guest-physical address:
 * the block is one range from 0, where guest-physical RAM has the PCI
 * hole in the middle.
 */
/* Allocate the cache for a VM with npages of RAM.  0 or -1. */
int sc_cache_init(struct sc_cpu *c, uint64_t npages);
void sc_cache_fini(struct sc_cpu *c);
/*
 * A record's tag: its RAM offset, and the code size it was decoded for in
 * the top byte (RAM offsets are far below 2^56), so that one comparison
 * checks both.  An empty slot's tag, 0, matches no lookup: no code size
 * is 0.  The tag of byte off of a page is the page's tag plus off.
 */
static inline uint64_t sc_cache_tag(uint64_t ram, unsigned csz)
{
	return ram | (uint64_t)csz << 56;
}
/* The record of tag (sc_cache_tag) whose page's generation is *gen, or
 * NULL when not cached. */
static inline struct sc_insn *sc_cache_lookup(struct sc_cpu *c, uint64_t tag,
					      const uint32_t *gen)
{
	struct sc_insn *d = &c->icache[tag & (SC_ICACHE_SIZE - 1)];

	if (((d->tag ^ tag) & c->tag_keep) == 0 && d->gen == *gen)
		return d;
	return NULL;
}
/* The record at RAM offset ram for the current code size, or NULL. */
static inline struct sc_insn *sc_cache_find(struct sc_cpu *c, uint64_t ram)
{
	return sc_cache_lookup(c, sc_cache_tag(ram, c->csz),
			       &c->page_gen[ram >> PAGE_4K_SHIFT]);
}
/* Store a freshly decoded record for RAM offset ram; returns the copy.
 * unscanned: tag it SC_CSZ_UNSCANNED (--patch, see cache.c). */
struct sc_insn *sc_cache_put(struct sc_cpu *c, uint64_t ram,
			     const struct sc_insn *d, bool unscanned);
/*
 * The block for tag (sc_cache_tag) in the page whose generation is *gen,
 * or NULL when not built.
 */
static inline struct sc_block *sc_block_lookup(struct sc_cpu *c, uint64_t tag,
					       const uint32_t *gen)
{
	struct sc_block *b = &c->blocks[(tag ^ tag >> 12) & (SC_NBLOCKS - 1)];

	if (b->tag == tag && b->gen == *gen)
		return b;
	return NULL;
}
/*
 * Decode the block whose first byte is at offset off of the code page e
 * (RAM offset sc_tlb_ram(c, e) + off, code size c->csz) into its slot.
 * NULL when not even the first instruction lies whole within the page or
 * decodes: the run loop then takes the one-instruction path, which
 * reports it.
 */
struct sc_block *sc_block_build(struct sc_cpu *c, const struct sc_tlb *e,
				unsigned off);
/* Block b's jcc went to block s (chain_next): make it b's taken. */
void sc_block_link(struct sc_block *b, struct sc_block *s);
/* Does the instruction of record d end a block? */
bool sc_block_ends(const struct sc_insn *d);
/* RAM offsets [ram, ram + len) are about to change: drop their code. */
void sc_cache_invalidate(struct sc_cpu *c, uint64_t ram, uint64_t len);
/*
 * --patch (cache.c): the bytes of the instruction at linear lin, offset
 * off of the frame of TLB entry e, as a fetch sees them (n of them, within
 * the frame), after patch_enter() has scanned them if need be.
 */
const uint8_t *sc_patch_fetch(struct sc_cpu *c, const struct sc_tlb *e,
			      uint64_t lin, unsigned off, unsigned n,
			      uint8_t *buf);
/* patch_written()'s callback: forget the code decoded from frame. */
void sc_patch_forget(void *cpu, uint64_t frame);
/* The page at RAM offset ram begins to hold decoded code (or, under
 * --patch, patches): mark it, so that the first write drops them, and
 * take its write tag from every TLB entry (the first time only: while
 * the mark stays no entry gets one back, mmu.c). */
static inline void sc_code_mark(struct sc_cpu *c, uint64_t ram)
{
	uint64_t pg = ram >> PAGE_4K_SHIFT;

	if (!c->page_code[pg]) {
		c->page_code[pg] = 1;
		sc_tlb_protect(c, ram);
	}
}

/* The page at RAM offset ram is written: drop its code if it holds any,
 * and under --patch the patches of its frame (patch_written()). */
static inline void sc_code_write(struct sc_cpu *c, uint64_t ram)
{
	uint64_t pg = ram >> PAGE_4K_SHIFT;

	if (c->page_code[pg]) {
		c->page_code[pg] = 0;
		c->page_gen[pg]++;
		c->code_written = true;
		if (c->patch)
			patch_written(c->patch, ram, sc_patch_forget, c);
	}
}

/* ----------------------------------------------------------- decode.c */
enum sc_decode {
	SC_DEC_OK,
	SC_DEC_MORE,    /* ran out of bytes: fetch up to 15 and retry */
	SC_DEC_LONG,    /* longer than 15 bytes: #GP(0) */
};
/* Decode the instruction in buf[0..avail) into *d, as code of code size
 * csz (8: 64-bit code, 4: 32-bit, 2: 16-bit). */
enum sc_decode sc_decode(const uint8_t *buf, unsigned avail, unsigned csz,
			 struct sc_insn *d);

/* ------------------------------------------------ the handlers, by file */
/* alu.c */
sc_fn op_alu_eg, op_alu_ge, op_alu_ai, op_alu_ei, op_test_eg, op_test_ai,
	op_inc_e, op_dec_e, op_not_e, op_neg_e, op_test_ei;
/*
 * alu.c: the handler of op_alu_eg, op_alu_ge, op_alu_ei or op_alu_ai (fn)
 * made for operation op with register operands of osz = 2, 4 or 8 bytes (what
 * decode.c's fast_handler asks for); any other fn is returned as is.
 */
sc_fn *sc_alu_reg_form(sc_fn *fn, unsigned op, unsigned osz);
/*
 * alu.c: when record d's handler is one of those register forms of add,
 * or, and, sub, xor or cmp (which set all six status flags, read none,
 * and cannot fault), the same form without the lazy state's stores, for
 * a record whose flags no one can see (cache.c's sc_block_build); NULL
 * for every other handler (adc and sbb's included: they read CF).
 */
sc_fn *sc_alu_dead_form(const struct sc_insn *d);
/* alu.c: the handler of inc or dec (fn: op_inc_e, op_dec_e) of a 16-,
 * 32- or 64-bit register made for d's operand size, or NULL. */
sc_fn *sc_incdec_reg_form(sc_fn *fn, const struct sc_insn *d);
/* alu.c: the handler of test with register operands (fn: op_test_eg,
 * op_test_ai, op_test_ei) made for d's operand size, or NULL. */
sc_fn *sc_test_reg_form(sc_fn *fn, const struct sc_insn *d);
/*
 * misc.c: the handler of mov (88/89, 8A/8B, C6/C7) or movzx with a memory
 * operand of the flat fast path (sc_flat) made for d's sizes, or NULL.
 */
sc_fn *sc_flat_form(sc_fn *fn, const struct sc_insn *d);
/*
 * misc.c: the handler of a register form (ModRM.mod 3) of mov (89, 8B,
 * B8+r, C7 /0), setcc or a lea with 64-bit addressing made for d's
 * operand size and condition, or NULL.
 */
sc_fn *sc_reg_form(sc_fn *fn, const struct sc_insn *d);
/* shift.c */
sc_fn op_shift_e, op_shift_cl, op_shld, op_shrd;
/* muldiv.c */
sc_fn op_mul1, op_imul1, op_div, op_idiv, op_imul_gei, op_imul_ge;
/* bit.c */
sc_fn op_bt_eg, op_bt_ei, op_bsf, op_bsr, op_tzcnt, op_lzcnt, op_popcnt,
	op_bswap;
/* string.c */
sc_fn op_movs, op_stos, op_lods, op_cmps, op_scas;
/* stack.c */
sc_fn op_push_r, op_pop_r, op_push_i, op_push_e, op_pop_e, op_enter,
	op_leave, op_pushf, op_popf;
/* stack.c: the handler of push or pop of a register (fn: op_push_r,
 * op_pop_r) at the operand size 8, which only 64-bit code has, or
 * NULL. */
sc_fn *sc_push_pop_form(sc_fn *fn, const struct sc_insn *d);
/* branch.c */
sc_fn op_jcc, op_jmp_rel, op_call_rel, op_ret, op_jmp_e, op_call_e, op_loop,
	op_jrcxz, op_far_e, op_far_ptr, op_lret;
/* branch.c: jcc's handler for condition cc (0..15) */
sc_fn *sc_jcc_form(unsigned cc);
/* branch.c: the handler of call rel32 (fn: op_call_rel) or ret (op_ret)
 * at operand size 8, which only 64-bit code has, or NULL. */
sc_fn *sc_callret_form(sc_fn *fn, const struct sc_insn *d);
/* branch.c: the handler of record cmp that runs it and the jcc of the
 * next record, jcc, together, or NULL when there is none for them */
sc_fn *sc_cmp_jcc_form(const struct sc_insn *cmp, const struct sc_insn *jcc);
/* branch.c: the self form of jcc handler fn (a jcc_N or a fused cmp_jcc
 * form) for the end of a block linked to itself (sc_chain_self), or
 * NULL when fn is neither */
sc_fn *sc_self_form(sc_fn *fn);
/* legacy.c: what exists only outside 64-bit mode */
sc_fn op_daa_das, op_aaa_aas, op_aam, op_aad, op_salc, op_into, op_pusha,
	op_popa, op_bound, op_arpl;
/* misc.c */
sc_fn op_mov_eg, op_mov_ge, op_mov_ei, op_mov_ri, op_mov_moffs, op_lea,
	op_movzx, op_movsx, op_movsxd, op_xchg, op_xchg_ra, op_cmpxchg,
	op_cmpxchg8b, op_xadd, op_setcc, op_cmovcc, op_cbw, op_cwd, op_nop,
	op_lahf, op_sahf, op_flag, op_xlat, op_clflush, op_fence;
/* system.c, segment.c */
sc_fn op_priv, op_int3, op_int, op_int1, op_syscall, op_sysenter, op_grp6,
	op_grp7, op_lar, op_lsl, op_mov_e_sreg, op_mov_sreg_e, op_push_sreg,
	op_pop_sreg, op_load_far, op_cpuid, op_rdtsc, op_rdpid, op_fsgsbase;
/* segment.c: verr (write false) / verw (write true), ZF = accessible. */
int sc_verify(struct sc_cpu *c, const struct sc_insn *d, bool write);
/* host.c: the host's system registers, learned once at init. */
void sc_host_probe(struct sc_host *h);
/* host.c: the real machine's cpuid and time-stamp counter. */
void sc_host_cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4]);
uint64_t sc_host_rdtsc(void);

#endif /* ENGINES_SOFTCPU_SOFTCPU_H */
