/*
 * engines/native/native.h - the native engine's private state.
 *
 * The native engine runs guest code on the host CPU, at ring 3, in a child
 * process that the monitor traces with ptrace (README.md in this folder
 * says why ptrace and not seccomp).  Three files share this header:
 *
 *   child.c   the child: fork, empty its address space but for one stub
 *             page, seccomp as a second wall; syscalls injected through
 *             the stub (mmap, munmap) on the monitor's behalf
 *   mirror.c  the child's address space mirrors the shadow page tables:
 *             each shadow leaf is a host mapping of the guest-RAM memfd
 *   space.c   one child per shadow address space and view: a change of
 *             view or of CR3 switches which child runs, not its mappings
 *   clock.c   virtual time: the guest's own CPU time, not the traps'
 *   native.c  the engine: registers in and out of the vCPU, the run loop,
 *             one ptrace stop turned into one struct vm_exit, the timer
 *
 * The child's address space, user half of x86-64 (47 bits):
 *
 *   0 .............................. NAT_LINEAR_LIMIT   guest-linear pages,
 *                                                        mirrored on demand
 *   NAT_STUB_VA .. + 4 KiB                               the stub page:
 *                                                        "syscall; int3;
 *                                                        cli", there only
 *                                                        while the monitor
 *                                                        injects a call
 *   the rest up to NAT_TASK_TOP                          nothing
 */
#ifndef ENGINES_NATIVE_NATIVE_H
#define ENGINES_NATIVE_NATIVE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/user.h>
#include <time.h>

#include "isa/debugreg.h"

struct vm;

/* The stub page; guest-linear addresses must stay below it. */
#define NAT_STUB_VA 0x700000000000ULL
#define NAT_LINEAR_LIMIT NAT_STUB_VA
/* The end of the user half that Linux lets a process map (4-level). */
#define NAT_TASK_TOP 0x7ffffffff000ULL
/* Offsets in the stub page: the gate and where the child parks itself. */
#define NAT_STUB_SYSCALL 0   /* 0f 05: syscall */
#define NAT_STUB_TRAP 2      /* cc: int3, the stop after the syscall */
#define NAT_STUB_GP 3        /* fa: cli, a #GP to time a guest's trap */

/*
 * Linux's code selectors for user space (arch/x86/include/asm/segment.h):
 * __USER_CS, 64-bit mode, which the child always runs guest code in, and
 * __USER32_CS, compatibility mode, which the host kernel loads itself when
 * it runs a 32-bit fast system call (sysenter on an Intel CPU).
 */
#define NAT_USER_CS 0x33
#define NAT_USER32_CS 0x23

/* Pages mapped in the child, by guest-linear page number. */
struct nat_mirror {
	uint64_t *slot;     /* open addressing: vpn << 12 | prot, 0 empty */
	uint64_t *gpa;      /* the guest-physical frame of each slot */
	uint64_t cap;       /* a power of two */
	uint64_t used;
	bool flush_all;     /* unmap everything before the next resume */
	uint64_t pending[64]; /* single pages to unmap before the resume */
	unsigned npending;
	const uint64_t *root; /* the shadow root the mirror follows */
};

/*
 * How many children the engine keeps (space.c): one runs guest code, the
 * others are parked, each with the mappings of one shadow root (a view of
 * one guest address space).  The shadow keeps SHADOW_SPACES spaces of two
 * views; a root beyond these takes the least recently used child.
 */
#ifndef NAT_CHILDREN /* -DNAT_CHILDREN=2 tests the reuse of children */
#define NAT_CHILDREN 4
#endif
_Static_assert(NAT_CHILDREN >= 2, "one child runs, at least one is parked");

/* A parked child: its process, CPU clock and mirror (struct nat holds
 * the running child's). */
struct nat_child {
	pid_t pid;            /* 0: none (or reaped) */
	clockid_t cpu_clock;
	uint64_t mark_cpu;    /* its CPU time when it last stopped, */
	bool cpu_mark_stale;  /* ... unless it ran an injected call since */
	struct nat_mirror mirror; /* mirror.root: the shadow root it follows */
	uint64_t last_used;   /* for least-recently-used reuse */
	bool dr_stale;        /* the debugger changed DR0-DR7 since it ran */
	uint8_t *xsave;       /* its XSAVE state as last read or set, */
	size_t xsave_len;     /* ... so many bytes (0: not known) */
};

/* A #PF the child took: where, in which view, and by what access. */
struct nat_fault {
	uint64_t va;
	const uint64_t *root; /* the shadow root of the view that ran */
	bool write;
};

struct nat {
	struct vm *vm;
	pid_t pid;            /* the running child, stopped whenever we look */
	int reaped;           /* its wait status once an injected call
				 found it dead and reaped it, else -1 */
	struct user_regs_struct regs; /* the child's registers, last read */
	bool regs_valid;      /* ... and not changed since */
	pid_t regs_of;        /* ... read from this child (after a switch
				 they are the guest's, not the new child's) */
	int memfd;            /* guest RAM, the same number in the child */
	int cpu;              /* the one CPU the monitor's thread and the
				 children share (nat_bind_cpu), or -1 */
	int stubfd;           /* the stub page's memfd (child.c), monitor only */
	bool cpuid_fault;     /* the child turns CPUID faulting on
				 (--isa=x86,cpuid-fault; child.c) */
	struct nat_mirror mirror;
	bool interrupt_sent;  /* a PTRACE_INTERRUPT is on its way */
	bool inject_open;     /* a batch of injected calls: the stub open, */
	struct user_regs_struct inject_saved; /* ... the child's registers
				 before it (child.c, nat_inject) */
	uint64_t parked_asked; /* host ns when nat_wait last asked about the
				 parked children */
	struct nat_fault last_pf; /* the last #PF reported */
	bool last_pf_valid;
	/* The guest's own #PF, waiting for its retry (mirror.c,
	 * nat_mirror_retry), and whether another view has run since. */
	struct nat_fault retry_pf;
	enum { RETRY_NONE, RETRY_FAULTED, RETRY_AWAY } retry;
	char why[160];        /* EXIT_INTERNAL text */
	/* Virtual time (native.c, "time"): the child's CPU clock. */
	clockid_t cpu_clock;
	uint64_t mark_host;   /* start of the host time not yet accounted */
	uint64_t mark_cpu;    /* the child's CPU time at the last stop */
	bool cpu_mark_stale;  /* ... but it ran an injected call since */
	uint64_t stop_base;   /* the child's CPU ns for one bare stop */
	uint64_t stop_cost;   /* ... as it is now */
	/* The debugger's debug registers (debug.c): what each DRn holds. */
	struct dr_plan dr;    /* what DR0-DR3 and DR7 hold */
	/* The other children (space.c); the running one's own fields are
	 * pid, cpu_clock, mark_cpu, cpu_mark_stale, mirror above and these. */
	struct nat_child parked[NAT_CHILDREN - 1];
	uint64_t last_used, use_clock;
	bool dr_stale;
	uint8_t *xsave;
	size_t xsave_len;
	/* Counters for the README's figures and for curiosity. */
	uint64_t stops, injected, mapped, unmapped, mirror_fills, switches;
	uint64_t batches;      /* batches of injected calls: stub openings */
	uint64_t retry_maps;  /* pages mapped ahead of a #PF's retry */
	uint64_t xsets;        /* switches that had to set the XSAVE state */
	uint64_t prefetched;   /* pages kept at a reconcile by a prefetch */
};

/* debug.c: engine->set_debug, on the child's DR0-DR3 and DR7. */
int nat_set_debug(struct vm *vm, char *why, size_t len);
/* debug.c: give the running child the debug registers of n->dr.  0, or
 * -1 with errno. */
int nat_debug_apply(struct nat *n);
/* debug.c: a SIGTRAP, TRAP_HWBKPT: which debug register fired, into
 * vm->debug.stop and an EXIT_INTERRUPT.  False when none did. */
struct vm_exit;
bool nat_debug_stop(struct nat *n, struct vm_exit *x);

/* child.c */
/*
 * Fork the child, empty its address space but for the stub page, seize it
 * with ptrace; it is left stopped at the stub's int3, the stub closed.
 * n->memfd is guest RAM's memfd.  0 or -1 with why.
 */
int nat_child_start(struct nat *n, char *why, size_t len);
/* Kill the child and reap it; close the stub's memfd. */
void nat_child_stop(struct nat *n);
/*
 * One more child, into n->pid, set up as nat_child_start's (the stub's
 * memfd already made): stopped at the stub's int3, the stub closed.  0, or
 * -1 with why (n->pid 0).
 */
int nat_child_spawn(struct nat *n, char *why, size_t len);
/* Kill a child and reap it. */
void nat_child_kill(pid_t pid);
/*
 * Run one system call in the stopped child through the stub page and
 * return its result (a negative errno on failure, -EIO when the child
 * could not be driven).  The child is left at the stub: nat_inject_end
 * puts its registers back.
 */
long nat_inject(struct nat *n, long nr, uint64_t a1, uint64_t a2,
		uint64_t a3, uint64_t a4, uint64_t a5, uint64_t a6);
/*
 * After one or more nat_inject: put the child's registers back as they
 * were before the first (restore; not needed when every one is set
 * before the resume anyway) and close the stub.  Before the child runs
 * guest code again.  0, or -1 with errno.
 */
int nat_inject_end(struct nat *n, bool restore);
/* Let the stopped child run the stub's cli and stop again (#GP, SIGSEGV):
 * the bare cost of a trap.  0, or -1 when the child could not be driven. */
int nat_bare_stop(struct nat *n);
/*
 * Wait for the next stop of the child.  Returns 0 with the waitpid status,
 * or -1 when the child is gone.  While waiting, when stop_at_ns (host
 * monotonic time) passes or vm->kick is set, the child is interrupted.
 */
int nat_wait(struct nat *n, uint64_t stop_at_ns, int *status);
/*
 * Does the child still run with the selectors the engine gave it (CS the
 * host's 64-bit user code, DS, ES, FS, GS null)?  0, or -1 with why when
 * the guest loaded one of the host's ring-3 selectors (child.c says why
 * that cannot be caught when it happens).
 */
int nat_child_segments(const struct user_regs_struct *r, char *why,
		       size_t len);
/* Could this host run the engine at all?  0, or -1 with why. */
int nat_child_probe(char *why, size_t len);
/* Can this host make a process's cpuid fault (--isa=x86,cpuid-fault)?
 * 0, or -1 with why (one line). */
int nat_cpuid_fault_probe(char *why, size_t len);
/* child.c: CPUID faulting for the monitor's own thread as well (after
 * this, the thread executes no cpuid).  0, or -1 with errno. */
int nat_cpuid_fault_self(void);

/* space.c: one child per shadow root */
/* Fork the parked children (before the sandbox: forking is not allowed
 * after).  0, or -1 with why. */
int nat_spaces_start(struct nat *n, char *why, size_t len);
/* Kill and reap every parked child; free their mirrors. */
void nat_spaces_stop(struct nat *n);
/*
 * Before a resume: make the child that follows the current shadow root the
 * running one, moving the guest's registers to it.  0, or -1 with n->why
 * (the child that should run may be gone: child_gone tells).
 */
int nat_space_select(struct nat *n);
/* engine->flush: the shadow dropped va (or everything), so the mappings
 * of va (or all) may be stale in every child: each unmaps them before it
 * runs again.  (A change of view is engine->switch_view, which changes
 * no mapping: it changes which child runs.) */
void nat_space_invalidate(struct nat *n, uint64_t va);
/* Has a parked child died (killed from outside)?  Then it is reaped, its
 * wait status in *status: true. */
bool nat_space_lost(struct nat *n, int *status);

/* clock.c: virtual time, the guest's own CPU time (see there) */
/* Host monotonic time in ns. */
uint64_t nat_host_ns(void);
/* Open the child's CPU clock, measure a bare stop.  0, or -1. */
int nat_clock_init(struct nat *n);
/* Just before the child resumes: the engine's time since the mark is
 * taken off the virtual clock. */
void nat_clock_resume(struct nat *n);
/* Just after it stopped: only its CPU time beyond a bare stop's stays. */
void nat_clock_stop(struct nat *n);
/* run() returns: hold the clock while the dispatcher works, unless the
 * exit is a hlt (its sleep must pass on the clock). */
void nat_clock_hold(struct nat *n, bool halting);
/* run() is entered again: the clock goes on from where it was held. */
void nat_clock_release(struct nat *n);
/* Host monotonic time at which the next device event is due. */
uint64_t nat_event_deadline(struct vm *vm);

/* mirror.c */
/* An empty mirror.  0 or -1 when out of memory. */
int nat_mirror_init(struct nat_mirror *m);
void nat_mirror_fini(struct nat_mirror *m);
/* The shadow dropped va (or everything): unmap it before the child of m
 * runs again. */
void nat_mirror_flush(struct nat_mirror *m, uint64_t va);
/* Carry out the unmaps that flushes asked for; after a flush of everything
 * map the new view's working set ahead.  0, or -1 with n->why. */
int nat_mirror_sync(struct nat *n);
/*
 * The child faulted at va: if the shadow grants more than the child has
 * mapped there, map the page as the shadow says and return 1; return 0
 * when the fault is the shadow's (the dispatcher must see it); -1 with
 * n->why when the shadow maps something the child cannot mirror.
 */
int nat_mirror_fault(struct nat *n, uint64_t va);
/* mirror.c: the page of the guest's last #PF, fetched and mapped ahead
 * of its retry when the view that faulted runs again.  0, or -1 as
 * nat_mirror_fault. */
int nat_mirror_retry(struct nat *n);

#endif /* ENGINES_NATIVE_NATIVE_H */
