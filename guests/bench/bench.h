/*
 * guests/bench/bench.h - the benchmark guest's shared declarations.
 *
 * One guest image holds every nanobenchmark of Adams and Agesen (ASPLOS
 * 2006) plus a few of ours; the guest command line "NAME ITERATIONS"
 * picks one.  Each benchmark times its loop with rdtsc and prints one line
 *
 *   bench name=NAME iters=N cycles_per_iter=C
 *
 * for bench/run.sh to collect.  The files:
 *
 *   bench.c    the command line, the timing, the kernel-mode benchmarks
 *   devices.c  the LAPIC timer and IDE disk workloads (exits per second)
 *   spaces.c   N live address spaces visited in turn ("spaces ITERS N")
 *   uspace.c   a minimal process model: address spaces, ring 3, system
 *              calls, fork/wait/exit (the user-mode benchmarks)
 *   user.S     the system call entry and the ring-3 loops
 *
 * Virtual memory of a process (PML4 slot 1 is private, slot 0 is the
 * boot identity map shared by all, the user.S pages made ring-3 readable):
 *
 *   UPROC_BASE + 0x0000   data page (written by parent and child)
 *   UPROC_BASE + 0x1000   stack page (UPROC_STACK_TOP at its end)
 *   UPROC_BASE + 0x10000  page-fault page A  } never both present
 *   UPROC_BASE + 0x11000  page-fault page B  }
 */
#ifndef GUESTS_BENCH_BENCH_H
#define GUESTS_BENCH_BENCH_H

/* System call numbers (rax), shared with user.S. */
#define SYS_NULL 0 /* return at once: the syscall benchmark */
#define SYS_DONE 1 /* the user loop is over: back to the kernel's main */
#define SYS_FORK 2 /* rax = child pid (1) in the parent, 0 in the child */
#define SYS_WAIT 3 /* run the child until it exits; rax = its status */
#define SYS_EXIT 4 /* rdi = status */

#define UPROC_BASE 0x8000000000  /* PML4 slot 1 */
#define UPROC_DATA UPROC_BASE
#define UPROC_STACK_TOP (UPROC_BASE + 0x2000)
#define UPROC_PF_A (UPROC_BASE + 0x10000)
#define UPROC_PF_B (UPROC_BASE + 0x11000)

/* Size of struct uregs in bytes, for user.S. */
#define UREGS_SIZE (16 * 8)

#ifndef __ASSEMBLER__
#include <stdint.h>

/*
 * A process's user registers as syscall_entry (user.S) pushes them,
 * lowest address first.  rcx and r11 are not kept: syscall overwrites
 * them with rip and rflags.
 */
struct uregs {
	uint64_t r15, r14, r13, r12, r10, r9, r8, rbp;
	uint64_t rdi, rsi, rdx, rbx, rax;
	uint64_t rip, rflags, rsp;
};
_Static_assert(sizeof(struct uregs) == UREGS_SIZE, "user.S frame size");

/* ------------------------------------------------------------ bench.c */
/* Print the benchmark's line: cycles is the total over iters iterations. */
void bench_report(const char *name, uint64_t iters, uint64_t cycles);

/* ------------------------------------------------------------ devices.c */
/* N ticks of the LAPIC timer at 1 kHz; returns the cycles they took. */
uint64_t bench_apictimer(uint64_t iters);
/* N one-sector PIO reads from the primary IDE master; the cycles taken.
 * Without a disk it says so and ends the guest with status 2. */
uint64_t bench_ide(uint64_t iters);

/* ------------------------------------------------------------ spaces.c */
/* iters rounds of loading each of n address spaces' CR3 (1 to 64) and
 * reading its private page; the cycles they took. */
uint64_t bench_spaces(uint64_t iters, uint64_t n);

/* ------------------------------------------------------------ uspace.c */
/* Set up system calls and ring-3 access to the user.S code; once. */
void uspace_init(void);
/*
 * Create a process whose ring-3 code starts at entry(arg0, arg1, arg2),
 * run it until it makes SYS_DONE, and return the rdtsc cycles that took.
 */
uint64_t uspace_run(void (*entry)(void), uint64_t arg0, uint64_t arg1,
		    uint64_t arg2);
/* The C side of the system call: f is the caller's frame, changed in
 * place to the frame to resume (user.S). */
void uspace_syscall(struct uregs *f);

/* ------------------------------------------------------------ user.S */
/* The ring-3 loops: each ends with SYS_DONE. */
void user_syscall_loop(void); /* rdi = iterations */
void user_fault_loop(void);   /* rdi = iterations, rsi = A, rdx = B */
void user_forkwait_loop(void); /* rdi = iterations, rsi = data page */
extern char user_text_start[], user_text_end[];
/* The MSR_LSTAR target. */
void syscall_entry(void);
/* Save the kernel's callee-saved registers and stack, then resume the
 * ring-3 frame at the top of the system call stack; returns when
 * uspace_leave is called. */
void uspace_enter(void);
/* From within a system call: return from uspace_enter. */
void uspace_leave(void) __attribute__((noreturn));
/* The frame syscall_entry builds and uspace_enter resumes. */
struct uregs *uspace_frame(void);

#endif /* __ASSEMBLER__ */
#endif /* GUESTS_BENCH_BENCH_H */
