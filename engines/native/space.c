/*
 * engines/native/space.c - one child per shadow address space and view.
 *
 * The child's address space mirrors one shadow root (mirror.c): the
 * supervisor or the user view of one guest address space.  A guest that
 * makes a system call changes view twice (syscall, sysret), and a guest
 * that switches process loads CR3: with a single child each of these
 * rewrote its mappings through injected munmap and mmap calls, a ptrace
 * round trip or more each.  So the engine keeps NAT_CHILDREN children, as
 * gVisor's ptrace platform keeps one stub process per address space: each
 * follows one root, and a change of view or of CR3 changes *which child
 * runs*.  The guest's registers move to it (PTRACE_GETREGS from the child
 * that stopped, already done at every stop; its x87/SSE/AVX state with
 * PTRACE_GETREGSET NT_X86_XSTATE; both set into the other child, which was
 * parked, stopped, on its last stop).
 *
 *   shadow root           child     mapped
 *   space A, supervisor   pid 101   A's kernel pages
 *   space A, user         pid 102   A's user pages          <- runs
 *   space B, supervisor   pid 103   B's kernel pages          (parked)
 *   ...
 *
 * Invalidation.  The shadow changes while a child is parked: invlpg drops
 * an address in every space, a CR3 load drops the non-global entries of
 * the space it enters, an evicted space's roots are emptied and reused.
 * The engine hears of these (engine->flush) but only the running child's
 * mirror acts on them at once.  A parked child cannot run guest code, so a
 * stale mapping in it harms nobody *until it runs*; before it runs again
 * its mirror is reconciled with its root as the shadow is now
 * (nat_mirror_sync with flush_all: every page it maps is kept only if the
 * shadow still grants it exactly so, same frame, same rights; the rest is
 * unmapped first).  That check is by content, so it holds whatever
 * happened meanwhile, a root freed and reallocated for another space
 * included.  tests/escape/stale_cr3.S unmaps a page in one space and
 * touches it after CR3 went back and forth.
 *
 * Bounded: when no child follows the new root, the least recently used one
 * takes it (the old single-child remap path: its mapping reconciled with
 * the new root, which unmaps everything the new root lacks).  All the
 * children are forked at start-up, before the monitor's sandbox forbids
 * fork; each has PR_SET_PDEATHSIG and PTRACE_O_EXITKILL (child.c) and is
 * killed and reaped at the end (nat_spaces_stop); a parked child killed
 * from outside is seen by nat_wait and ends the VM as the running one's
 * death does.
 */
#if defined(__linux__) && defined(__x86_64__)

#include <elf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>

#include "engines/native/native.h"
#include "engines/native/xsave.h"
#include "core/engine.h"
#include "core/vm.h"
#include "shadowpt/shadowpt.h"

/* The running child's fields and a parked one's trade places. */
static void swap_running(struct nat *n, struct nat_child *c)
{
	struct nat_child run = {
		n->pid, n->cpu_clock, n->mark_cpu, n->cpu_mark_stale,
		n->mirror, n->last_used, n->dr_stale, n->xsave, n->xsave_len
	};

	n->pid = c->pid;
	n->cpu_clock = c->cpu_clock;
	n->mark_cpu = c->mark_cpu;
	n->cpu_mark_stale = c->cpu_mark_stale;
	n->mirror = c->mirror;
	n->last_used = c->last_used;
	n->dr_stale = c->dr_stale;
	n->xsave = c->xsave;
	n->xsave_len = c->xsave_len;
	*c = run;
}

int nat_spaces_start(struct nat *n, char *why, size_t len)
{
	/* The one question to CPUID the switches ask, asked now and kept
	 * (its cache is this file's): under --isa=x86,cpuid-fault the
	 * monitor's own cpuid faults from the end of nat_init on. */
	xsave_tiledata_at();
	for (int i = 0; i < NAT_CHILDREN - 1; i++) {
		struct nat_child *c = &n->parked[i];
		int r;

		swap_running(n, c); /* spawn works on the running fields */
		r = nat_mirror_init(&n->mirror);
		if (r < 0)
			snprintf(why, len, "out of memory");
		else if ((r = nat_child_spawn(n, why, len)) == 0 &&
			 clock_getcpuclockid(n->pid, &n->cpu_clock) != 0) {
			snprintf(why, len, "cannot read a child's CPU clock");
			r = -1;
		}
		n->cpu_mark_stale = true; /* never read yet */
		swap_running(n, c);
		if (r < 0)
			return -1; /* nat_spaces_stop cleans up */
	}
	return 0;
}

void nat_spaces_stop(struct nat *n)
{
	for (int i = 0; i < NAT_CHILDREN - 1; i++) {
		struct nat_child *c = &n->parked[i];

		nat_child_kill(c->pid);
		c->pid = 0;
		if (c->mirror.slot)
			nat_mirror_fini(&c->mirror);
		free(c->xsave);
		c->xsave = NULL;
	}
	free(n->xsave);
	n->xsave = NULL;
}

bool nat_space_lost(struct nat *n, int *status)
{
	for (int i = 0; i < NAT_CHILDREN - 1; i++) {
		struct nat_child *c = &n->parked[i];
		if (c->pid > 0 &&
		    waitpid(c->pid, status, __WALL | WNOHANG) == c->pid &&
		    !WIFSTOPPED(*status)) {
			c->pid = 0; /* reaped */
			return true;
		}
	}
	return false;
}

void nat_space_invalidate(struct nat *n, uint64_t va)
{
	nat_mirror_flush(&n->mirror, va);
	for (int i = 0; i < NAT_CHILDREN - 1; i++)
		nat_mirror_flush(&n->parked[i].mirror, va);
}

/* The parked child that follows root, else the least recently used one;
 * NULL when none is left (then the running child takes the root). */
static struct nat_child *child_for(struct nat *n, const uint64_t *root)
{
	struct nat_child *lru = NULL;

	for (int i = 0; i < NAT_CHILDREN - 1; i++) {
		struct nat_child *c = &n->parked[i];
		if (c->pid <= 0)
			continue;
		if (c->mirror.root == root)
			return c;
		if (!lru || c->last_used < lru->last_used)
			lru = c;
	}
	return lru;
}

/* The x87/SSE/AVX state moves in this.  The kernel takes it back only
 * whole, as big as every feature XCR0 enables makes it (11,008 bytes
 * here: AVX-512 and AMX's tiles), and GETREGSET says how much that is. */
static uint8_t xstate[65536] __attribute__((aligned(64)));

/* Remember what a child's XSAVE state is: len bytes of xstate. */
static int keep_xsave(uint8_t **keep, size_t *keep_len, size_t len)
{
	if (*keep_len != len) {
		free(*keep);
		*keep_len = 0;
		if (!(*keep = malloc(len)))
			return -1;
	}
	memcpy(*keep, xstate, len);
	*keep_len = len;
	return 0;
}

/*
 * Does the state in xstate have its tile data in the initial state?  A
 * child never asks for AMX (arch_prctl ARCH_REQ_XCOMP_PERM), so this is
 * every switch, and the tile data need not move (xsave.h).
 */
static bool tiles_zero(void)
{
	uint64_t bv;

	memcpy(&bv, xstate + XSAVE_XSTATE_BV, sizeof(bv));
	return !((bv >> XFEATURE_TILEDATA) & 1);
}

/* How many bytes of a state (len in xstate) say all of it: without the
 * tile data when that is in its initial state. */
static size_t xsave_known(size_t len)
{
	size_t at = xsave_tiledata_at();

	return at && len > at && tiles_zero() ? at : len;
}

/* The whole XSAVE state of pid into xstate: its length, or 0 with
 * errno.  (SETREGSET takes it only whole.) */
static size_t read_whole_xsave(pid_t pid)
{
	struct iovec iov = { xstate, sizeof(xstate) };

	if (ptrace(PTRACE_GETREGSET, pid, NT_X86_XSTATE, &iov) < 0)
		return 0;
	if (iov.iov_len == sizeof(xstate)) { /* may not be all of it */
		errno = EMSGSIZE;
		return 0;
	}
	return iov.iov_len;
}

/* The XSAVE state of pid into xstate, without the tile data when that is
 * zeros: how many bytes say it all (xsave_known), or 0 with errno. */
static size_t read_xsave(pid_t pid)
{
	size_t at = xsave_tiledata_at(), len;
	struct iovec iov = { xstate, at };

	if (at) {
		if (ptrace(PTRACE_GETREGSET, pid, NT_X86_XSTATE, &iov) < 0)
			return 0;
		if (iov.iov_len == at && at >= XSAVE_XSTATE_BV + 8 &&
		    tiles_zero())
			return at; /* the rest is zeros: not read */
	}
	len = read_whole_xsave(pid);
	return len ? xsave_known(len) : 0;
}

/*
 * Make c the running child: the guest's registers go from the child that
 * stopped last to c.  n->regs holds its general registers (regs_out puts
 * them in c, as it does at every resume); the XSAVE state moves here.
 * Setting it costs 3-10 us (reading it 1-5, the more the bigger), and
 * guest kernels rarely touch the FPU, so each child's state is
 * remembered as last read or set, read without the tile data when that is
 * zeros (xsave_known), and c's is set only when it differs from what the
 * guest has now; then the whole state is read, as SETREGSET wants it.
 */
static int switch_to(struct nat *n, struct nat_child *c)
{
	size_t len;

	if (!n->regs_valid) {
		if (ptrace(PTRACE_GETREGS, n->pid, 0, &n->regs) < 0)
			goto fail;
		n->regs_of = n->pid;
	}
	if (!(len = read_xsave(n->pid)) ||
	    keep_xsave(&n->xsave, &n->xsave_len, len) < 0)
		goto fail;
	swap_running(n, c); /* its pending unmaps wait till it runs again */
	n->regs_valid = true; /* the guest's, for regs_out */
	/* c's CPU clock and its mark came along: a parked child's CPU time
	 * stands still, so the reading at its last stop (clock.c) is the
	 * mark for its next run, unless it ran an injected call since
	 * (cpu_mark_stale came along too). */
	n->switches++;
	if (n->xsave_len != len || memcmp(n->xsave, xstate, len) != 0) {
		/* c->pid: the child that stopped last, not run since */
		struct iovec iov = { xstate, read_whole_xsave(c->pid) };

		if (!iov.iov_len ||
		    ptrace(PTRACE_SETREGSET, n->pid, NT_X86_XSTATE, &iov) < 0 ||
		    keep_xsave(&n->xsave, &n->xsave_len,
			       xsave_known(iov.iov_len)) < 0)
			goto fail;
		n->xsets++;
	}
	if (n->dr_stale && nat_debug_apply(n) < 0)
		goto fail;
	return 0;
fail:
	snprintf(n->why, sizeof(n->why), "native: moving the guest's "
		 "registers to another child failed (%s)", strerror(errno));
	return -1;
}

int nat_space_select(struct nat *n)
{
	const uint64_t *root = n->vm->spt->current;
	struct nat_child *c;

	n->last_used = ++n->use_clock;
	if (n->mirror.root == root)
		return 0;
	c = child_for(n, root);
	if (!c)
		return 0; /* the running child follows root: a remap */
	if (switch_to(n, c) < 0)
		return -1;
	/* Another root than c followed: nat_mirror_sync sees the change and
	 * unmaps all that root lacks, as it did with a single child. */
	n->last_used = n->use_clock;
	return 0;
}

#endif /* __linux__ && __x86_64__ */
