/*
 * guests/toyos/toyos.h - the toyos kernel's shared declarations.
 *
 * toyos is a small xv6-like kernel that runs on the guest runtime
 * (guests/runtime): processes with one address space each, a round-robin
 * scheduler preempted by the PIT, system calls through syscall/sysretq, a
 * demand-paged heap, and fault isolation.  The files:
 *
 *   kernel.c   boot: set up the machine, start init, schedule
 *   vm.c       physical frames, page tables, address spaces, demand paging
 *   proc.c     processes, the scheduler, fork/exit/wait/sleep
 *   trap.c     the PIC and the PIT, the timer, faults from user mode
 *   syscall.c  syscall/sysretq set-up and the system calls
 *   entry.S    the syscall entry, the context switch, the way to user mode
 *   user_*.c   the user programs (linked into .user, see guest.ld)
 *
 * Virtual memory of every process:
 *
 *   0x0000000000 - 0xffffffff    the kernel: the boot identity map, PML4
 *                                slot 0, shared by all address spaces and
 *                                supervisor-only except the .user pages
 *   0x8000000000 (USER_BASE)     PML4 slot 1, private to the process:
 *     USER_HEAP_BASE ...         the heap, grown by sbrk, paged on demand
 *     ... USER_STACK_TOP         the user stack, USER_STACK_PAGES pages
 */
#ifndef GUESTS_TOYOS_TOYOS_H
#define GUESTS_TOYOS_TOYOS_H

/* struct cpu (syscall.c), for entry.S: where syscall_entry finds the
 * kernel stack, and where it keeps the user's RSP meanwhile. */
#define CPU_KSTACK_TOP 0
#define CPU_USER_RSP 8
/* struct rt_frame's vector for a frame built by syscall_entry. */
#define FRAME_SYSCALL 0x100
/* User code and stack selectors, RPL 3 (RT_SEL_UCODE, RT_SEL_UDATA in
 * rt.h, which entry.S cannot include; syscall.c checks they agree). */
#define USER_CS (0x20 | 3)
#define USER_SS (0x18 | 3)

#ifndef __ASSEMBLER__
#include <stdbool.h>
#include <stdint.h>

#include "rt.h"
#include "sysnum.h"

/* ------------------------------------------------------------ limits */
#define NPROC 16                /* slots in the process table */
#define KSTACK_SIZE 8192        /* each process's kernel stack */
#define HZ 100                  /* timer interrupts a second */
#define CPU_BUDGET_TICKS 50     /* CPU time a process may use, in ticks */
#define PROC_NAME_MAX PROG_NAME_MAX

/* ------------------------------------------------------------ user layout */
#define USER_PML4_SLOT 1
#define USER_BASE (1ULL << 39)                 /* 0x8000000000 */
#define USER_HEAP_BASE USER_BASE
#define USER_HEAP_MAX (256ULL << 20)            /* 256 MiB */
#define USER_STACK_TOP (USER_BASE + (1ULL << 30))
#define USER_STACK_PAGES 4
/* Rights of a user data page: present, writable, user, never executed. */
#define USER_DATA_FLAGS (PTE_P | PTE_W | PTE_U | PTE_NX)

/* The user programs' pages in the image (guest.ld). */
extern char __user_start[], __user_end[];

/* ------------------------------------------------------------ vm.c */
/* Take the free physical memory above the image for page frames. */
void vm_init(void);
/* The kernel's own address space: the boot PML4 (as a CR3 value). */
uint64_t vm_kernel_cr3(void);
/* A new address space with only the kernel in it (0: out of memory). */
uint64_t vm_create(void);
/* Free every user page and table of pml4, then pml4 itself. */
void vm_destroy(uint64_t pml4);
/* Free the user half of pml4 (exec starts over in the same PML4). */
void vm_clear_user(uint64_t pml4);
/* Map a fresh zeroed user page at va with flags; false when out of memory. */
bool vm_map_zero(uint64_t pml4, uint64_t va, uint64_t flags);
/* Copy every user page of src into dst (fork); false when out of memory. */
bool vm_copy_user(uint64_t dst, uint64_t src);
struct proc;
/* Map a zero page at p's heap address va if it is below the break and
 * not mapped yet (the first touch); false otherwise. */
bool vm_demand_page(struct proc *p, uint64_t va);
/* The physical address of p's user address va (paging a heap page in if
 * need be), or 0 when ring 3 may not access it (or not write, if write). */
uint64_t vm_user_phys(struct proc *p, uint64_t va, bool write);
/* Whether va is supervisor-only (mapped, but not for ring 3) in pml4. */
bool vm_is_kernel_page(uint64_t pml4, uint64_t va);

/* ------------------------------------------------------------ proc.c */
enum proc_state { UNUSED, RUNNABLE, RUNNING, SLEEPING, WAITING, ZOMBIE };

/* Callee-saved registers, as swtch (entry.S) leaves them on a stack. */
struct context {
	uint64_t r15, r14, r13, r12, rbp, rbx, rip;
};

struct proc {
	enum proc_state state;
	int pid;
	char name[PROC_NAME_MAX];
	struct proc *parent;
	uint64_t pml4;           /* physical address of its PML4 (CR3) */
	uint64_t brk;            /* the heap is [USER_HEAP_BASE, brk) */
	uint64_t wake_tick;      /* SLEEPING: until ticks reaches this */
	unsigned cpu_ticks;      /* timer ticks it was running at CPL 3 */
	int exit_status;         /* ZOMBIE: for the parent's wait */
	struct context *context; /* where swtch left its kernel stack */
	struct rt_frame *frame;  /* its user registers, top of kstack */
	uint8_t *kstack;         /* KSTACK_SIZE bytes */
};

extern volatile uint64_t ticks;

/* The process running now, NULL in the scheduler. */
struct proc *proc_current(void);
/* Make the first process: program name, pid 1. */
void proc_start_init(const char *prog);
/* Run processes round robin forever (on the boot stack). */
void scheduler(void) __attribute__((noreturn));
/* Give up the CPU; the caller stays runnable. */
void proc_yield(void);
/* Sleep n timer ticks. */
void proc_sleep(uint64_t n);
/* The timer ticked: wake the sleepers whose time has come. */
void proc_wake_sleepers(void);
/* fork: copy the caller; the child's pid, or -1. */
int proc_fork(void);
/* End the caller with status; its parent can wait for it. */
void proc_exit(int status) __attribute__((noreturn));
/* Report why, then end the caller with EXIT_KILLED. */
void proc_kill(const char *fmt, ...)
	__attribute__((noreturn, format(printf, 1, 2)));
/* Wait for a child to end: its pid and *status, or -1 with no child. */
int proc_wait(int *status);
/* Replace the caller's program with the built-in program name. */
int proc_exec(const char *name);

/* ------------------------------------------------------------ kernel.c */
/* A built-in user program: a name and its main (in .user). */
struct program {
	const char *name;
	int (*main)(void);
};
/* The program called name, or NULL. */
const struct program *program_find(const char *name);
/* The user-side start of every program: calls main, then exit (user_lib.c). */
void ustart(int (*main)(void));
/* The programs (user_*.c). */
int prog_init(void);
int prog_primes(void);
int prog_heap(void);
int prog_snoop(void);
int prog_wild(void);
int prog_priv(void);
int prog_hog(void);
int prog_sleeper(void);

/* Stop with "toyos: panic: why" and exit status 1: a kernel bug. */
void panic(const char *fmt, ...)
	__attribute__((noreturn, format(printf, 1, 2)));

/* ------------------------------------------------------------ trap.c */
/* Remap the PICs, start the PIT, hook the timer and the exceptions. */
void trap_init(void);

/* ------------------------------------------------------------ syscall.c */
/* Program STAR, LSTAR, SFMASK and KERNEL_GS_BASE. */
void syscall_init(void);
/* Point syscalls and interrupts from ring 3 at this kernel stack top. */
void syscall_set_kstack(uint64_t top);
/* The C side of a system call: the result goes into f->rax. */
void syscall_dispatch(struct rt_frame *f);

/* ------------------------------------------------------------ entry.S */
/* Save callee-saved registers on this stack, store the stack in *old,
 * resume the context new. */
void swtch(struct context **old, struct context *new);
/* Return to user mode through the struct rt_frame at the stack pointer. */
void trapret(void);
/* The LSTAR target. */
void syscall_entry(void);

#endif /* __ASSEMBLER__ */
#endif /* GUESTS_TOYOS_TOYOS_H */
