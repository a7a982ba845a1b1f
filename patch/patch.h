/*
 * patch/patch.h - scan-and-patch (--patch): VMware's answer to x86's
 * sensitive-unprivileged instructions, the ancestor of binary translation.
 *
 * Before guest kernel code (virtual CPL 0) first runs from a page, the
 * monitor scans the page with Capstone, following the control flow from
 * the entry points it learns as the guest runs (not a linear sweep, which
 * would take data for code), and replaces the first byte of every
 * sensitive-unprivileged instruction (isa/pgclass.c: pushf, popf, sgdt,
 * mov from Sreg, cpuid ...) with PATCH_TRAP, hlt, which faults at CPL 3.
 * When the guest reaches a patched site, the #GP comes to the dispatcher,
 * which finds the site in this table (by guest-physical address) and
 * emulates the *original* instruction, as if it had trapped by itself.
 *
 * The table is keyed by the frame's offset in guest RAM (gm_offset() of
 * its guest-physical address: the same numbers below 3.5 GiB), one record
 * per scanned frame.  The engine decides where the patch lives:
 *   - softcpu keeps guest RAM unchanged and lays the patches over the
 *     bytes it decodes (patch_overlay()): the guest's data reads see the
 *     original bytes, its instruction fetches the patched ones;
 *   - native, whose CPU fetches guest RAM itself, has them written there
 *     (struct patch's ram), with every byte no scan has decoded a trap
 *     too, so that reaching unscanned code traps (patch_learn()); the
 *     guest's reads of its code see the traps.
 * A write to a scanned frame drops its record (patch_written()): the code
 * is scanned again when it next runs.
 */
#ifndef PATCH_PATCH_H
#define PATCH_PATCH_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "isa/decode.h"

struct vm;
struct insn;

/*
 * The byte laid over a patched instruction's first byte: hlt.  One byte,
 * because pushf and popf are one byte long and the bytes after the site
 * must stay the original ones (a jump into the middle of the instruction
 * runs them as the real CPU would); privileged, so that it faults at CPL 3
 * on every engine with *fault* semantics (#GP(0), RIP on the site), as the
 * original would under --isa=strict; and never itself patched (hlt is
 * privileged, not sensitive-unprivileged), so a #GP on a site is always the
 * patch's.  int3 would be a trap (RIP after it) going through the guest's
 * own vector 3, and ud2 is two bytes long.
 */
#define PATCH_TRAP 0xf4

#define PATCH_NONE UINT64_MAX

/*
 * A scan decodes at most this many instructions; what it leaves is
 * scanned when the guest gets there (a new entry point).  Without the
 * bound a guest that rewrites its own code at every instruction would
 * make each of them cost a whole page's scan (fuzz/regress/monitor).
 */
#define PATCH_SCAN_BUDGET 64

/* What --stats shows. */
struct patch_stats {
	uint64_t pages;    /* frames scanned (a record made) */
	uint64_t scans;    /* scans: one per entry point learnt */
	uint64_t insns;    /* instructions decoded by the scanner */
	uint64_t patched;  /* sites patched */
	uint64_t traps;    /* traps from patched sites */
	uint64_t dropped;  /* records dropped by a write to their frame */
	uint64_t scan_ns;  /* host time spent scanning */
};

/*
 * One scanned frame.  start marks every instruction the scan decoded (an
 * entry point that is not marked is new: patch_enter() scans from it);
 * site marks the patched ones; orig keeps their first bytes.
 */
#define PATCH_PAGE 4096
struct patch_page {
	uint64_t frame;      /* RAM offset of the frame */
	uint64_t next_frame; /* the frame an instruction crossing the end
				reached when it was decoded, or PATCH_NONE */
	unsigned bits;       /* code size it was scanned as: 16, 32, 64 */
	unsigned nsites;
	unsigned tail;       /* bytes of that crossing instruction there */
	uint8_t start[PATCH_PAGE / 8];
	uint8_t site[PATCH_PAGE / 8];
	/* With the patches in RAM (struct patch's ram): the bytes that hold
	 * their own value there, the bytes of decoded instructions but the
	 * sites' first; every other byte holds PATCH_TRAP, so that the CPU
	 * stops where no scan has been (patch_learn()). */
	uint8_t real[PATCH_PAGE / 8];
	uint8_t orig[PATCH_PAGE]; /* original first bytes of the sites; the
				     whole frame with the patches in RAM */
};

struct patch {
	uint8_t *ram;             /* guest RAM's block when the patches are
				     written into it (native), NULL when the
				     engine lays them over its fetches
				     (softcpu) */
	struct patch_page **page; /* by frame number: RAM offset >> 12 */
	uint32_t *crossed;        /* by frame number: how many records end
				     in an instruction crossing into it */
	uint64_t npages;
	struct patch_stats st;
	const char *todo;         /* in a student's tree, the lab 7 hole
				     the scanner met (labs/07-scan-and-patch:
				     patch_enter() stops the guest); always
				     NULL in this one */
};

/* An empty table for ram_size bytes of guest RAM; NULL out of memory. */
struct patch *patch_new(uint64_t ram_size);
void patch_free(struct patch *p);

/*
 * The scanner.  Scan frame (RAM offset, its bytes page[0..4096)), whose
 * linear address is lin (page-aligned), from entry offset off, as code of
 * bits (16, 32, 64), making its record if it has none.  next is the next linear page's bytes and next_frame
 * its RAM offset, or NULL and PATCH_NONE when it is not mapped: an
 * instruction running into it is then left unscanned (not marked), so
 * that reaching it again scans it once the page is there.  Follows jumps,
 * conditional branches and calls inside the page, stops a path at an
 * unconditional transfer (jmp, ret, iret, ud2 ...) or an undecodable byte.
 * Returns the number of sites patched.
 */
unsigned patch_scan(struct patch *p, uint64_t frame, const uint8_t *page,
		    uint64_t lin, unsigned off, unsigned bits,
		    const uint8_t *next, uint64_t next_frame);

/* Is frame+off a patched site?  Its original byte in *orig. */
bool patch_site(const struct patch *p, uint64_t frame, unsigned off,
		uint8_t *orig);

/*
 * What the decode of the instruction at offset off of frame sees, given the
 * n bytes src from there: when off is a patched site, a copy in buf with
 * PATCH_TRAP as its first byte; otherwise src itself.  Only the first
 * byte: a site further on lies inside the instruction decoded here (mov
 * $0x9c, %eax, whose immediate is also run as pushfq), and the CPU sees
 * its real byte unless it starts there.
 */
const uint8_t *patch_overlay(const struct patch *p, uint64_t frame,
			     unsigned off, const uint8_t *src, unsigned n,
			     uint8_t *buf);

/*
 * The guest wrote frame (RAM offset): drop its record and those of frames
 * whose last instruction crosses into it.  forget(arg, f) is called for
 * each frame dropped, so that the engine forgets what it decoded there.
 * With the patches in RAM (p->ram) their original bytes are put back
 * first: the guest's write, retried, lands on its own code.
 */
void patch_written(struct patch *p, uint64_t frame,
		   void (*forget)(void *arg, uint64_t frame), void *arg);
/*
 * The same after the monitor wrote RAM offsets [ram, ram + len) itself
 * (DMA, an emulated store): the bytes it wrote are new and stay; the other
 * sites of the frames get their original bytes back.  True when a record
 * was dropped.
 */
bool patch_ram_written(struct patch *p, uint64_t ram, uint64_t len);

/* Does frame have a record (its code was scanned)?  Does a write to it
 * change scanned code (its record, or another's crossing instruction)? */
bool patch_scanned(const struct patch *p, uint64_t frame);
bool patch_guards(const struct patch *p, uint64_t frame);

/* ------------------------------------------ the monitor's side (hooks) */

/*
 * The engine's one call: the vCPU is about to run code at linear address
 * lin, guest-physical gpa (a decode miss: the first time, or the first
 * time since the frame changed).  At virtual CPL 0 an unscanned entry is
 * scanned from; at CPL 3 only in a frame already scanned (so that user
 * code decoded there cannot later run unscanned at CPL 0).  watch[0..1]
 * get the frames the engine must watch for writes (PATCH_NONE: none).
 * Returns true when the frame's patches changed: the engine forgets what
 * it decoded from it.
 */
bool patch_enter(struct vm *vm, uint64_t lin, uint64_t gpa,
		 uint64_t watch[2]);

/*
 * The dispatcher's look-up on a #GP at rip: true (and counted) when rip is
 * a patched site, the #GP is the patch's and the original instruction is
 * what to emulate.
 */
bool patch_trap(struct vm *vm, uint64_t rip);
/* The same question, not counted. */
bool patch_is_site(struct vm *vm, uint64_t rip);
/* Is the byte at rip one the patch put there (a site, or with the patches
 * in RAM a byte no scan has decoded)?  The native engine's clock asks:
 * such a #GP is no hlt. */
bool patch_owns(struct vm *vm, uint64_t rip);

/*
 * With the patches in RAM: a #GP at rip on a byte of a scanned frame that
 * no scan has decoded (it holds PATCH_TRAP) is a new entry point.  Scan
 * from it, which puts its bytes back, and return true: the guest resumes
 * at rip, nothing emulated.
 */
bool patch_learn(struct vm *vm, uint64_t rip);

/*
 * With the patches in RAM: decode the original instruction at rip, a
 * patched site (its bytes from RAM, every site among them given its
 * original byte back, the next page through the guest's tables).  As
 * insn_fetch() (shadowpt/walk.h), which it replaces for such a site.
 */
enum decode_result patch_original(struct vm *vm, uint64_t rip,
				  struct insn *in);

/* --stats: the table's counters, a few lines on f. */
void patch_print_stats(const struct patch *p, FILE *f);

#endif /* PATCH_PATCH_H */
