/*
 * guests/toyos/toyos.h - the toyos kernel's shared declarations.
 *
 * toyos is a small xv6-like kernel that runs on the guest runtime
 * (guests/runtime): processes with one address space each, a round-robin
 * scheduler preempted by the PIT, system calls, a demand-paged heap, and
 * fault isolation.  The same sources build it for two machines: x86-64
 * (toyos.elf: 4-level paging, system calls by syscall/sysretq) and i386
 * (toyos32.elf, a multiboot kernel: 2-level paging, system calls by int
 * $0x80 through a DPL-3 gate, ring 3 through a 32-bit TSS).  The files:
 *
 *   kernel.c   boot: set up the machine, start init, schedule
 *   vm.c       physical frames, page tables, address spaces, demand paging
 *   proc.c     processes, the scheduler, fork/exit/wait/sleep
 *   trap.c     the PIC and the PIT, the timer, faults from user mode
 *   syscall.c  the system calls, and the copies from and to user memory
 *   disk.c     the disk the kernel's argument asks for (the runtime's
 *              virtio-blk and IDE drivers)
 *   fs.c       toyfs, the tiny flat file system on it (toyfs.h)
 *   user_*.c   the user programs (linked into .user, see guest.ld)
 *
 * and, once for each machine (the Makefile takes the _x86_64 or the _i386
 * file, and toyos.h includes its header):
 *
 *   arch_*.h   the user address range, struct context, the trap frame's
 *              system call registers
 *   arch_*.c   the system call entry's set-up, the kernel stack for traps
 *              from ring 3, a new program's first user registers
 *   entry_*.S  the context switch, the way to user mode (and on x86-64
 *              the syscall entry)
 *
 * Virtual memory of every process (arch_*.h has the numbers):
 *
 *   the boot identity map        the kernel: shared by all address
 *                                spaces, supervisor-only except the .user
 *                                pages
 *   USER_BASE                    top-level slots private to the process:
 *     USER_HEAP_BASE ...         the heap, grown by sbrk, paged on demand
 *     ... USER_STACK_TOP         the user stack, USER_STACK_PAGES pages
 */
#ifndef GUESTS_TOYOS_TOYOS_H
#define GUESTS_TOYOS_TOYOS_H

#include <stdbool.h>
#include <stdint.h>

#include "blk.h"
#include "rt.h"
#include "sysnum.h"
#include "toyfs.h"

#if defined(__x86_64__)
#include "arch_x86_64.h"
#else
#include "arch_i386.h"
#endif

/* ------------------------------------------------------------ limits */
#define NPROC 16                /* slots in the process table */
#define KSTACK_SIZE 8192        /* each process's kernel stack */
#define HZ 100                  /* timer interrupts a second */
#define CPU_BUDGET_TICKS 50     /* CPU time a process may use, in ticks */
#define PROC_NAME_MAX PROG_NAME_MAX

/* ------------------------------------------------------------ user layout */
#define USER_HEAP_BASE USER_BASE
#define USER_HEAP_MAX (256UL << 20)             /* 256 MiB */
#define USER_STACK_TOP (USER_BASE + (1UL << 30)) /* 1 GiB above the base */
#define USER_STACK_PAGES 4

/* The user programs' pages in the image (guest.ld). */
extern char __user_start[], __user_end[];

/* ------------------------------------------------------------ vm.c */
/*
 * An address space is named by the physical address of its top-level
 * table (the PML4 on x86-64, the page directory on i386): its CR3 value,
 * here called a pgdir.  Virtual and physical addresses are uintptr_t: the
 * kernel reaches every frame at its physical address.
 */
/* Take the free physical memory above the image for page frames. */
void vm_init(void);
/* The kernel's own address space: the boot map's table (as a CR3 value). */
uintptr_t vm_kernel_cr3(void);
/* A new address space with only the kernel in it (0: out of memory). */
uintptr_t vm_create(void);
/* Free every user page and table of pgdir, then pgdir itself. */
void vm_destroy(uintptr_t pgdir);
/* Free the user slots of pgdir (exec starts over in the same table). */
void vm_clear_user(uintptr_t pgdir);
/* Map a fresh zeroed user page at va with flags; false when out of memory. */
bool vm_map_zero(uintptr_t pgdir, uintptr_t va, rt_pte_t flags);
/* Copy every user page of src into dst (fork); false when out of memory. */
bool vm_copy_user(uintptr_t dst, uintptr_t src);
struct proc;
/* Map a zero page at p's heap address va if it is below the break and
 * not mapped yet (the first touch); false otherwise. */
bool vm_demand_page(struct proc *p, uintptr_t va);
/* The physical address of p's user address va (paging a heap page in if
 * need be), or 0 when ring 3 may not access it (or not write, if write). */
uintptr_t vm_user_phys(struct proc *p, uintptr_t va, bool write);
/* Whether va is supervisor-only (mapped, but not for ring 3) in pgdir. */
bool vm_is_kernel_page(uintptr_t pgdir, uintptr_t va);

/* ------------------------------------------------------------ proc.c */
enum proc_state { UNUSED, RUNNABLE, RUNNING, SLEEPING, WAITING, ZOMBIE };

struct proc {
	enum proc_state state;
	int pid;
	char name[PROC_NAME_MAX];
	struct proc *parent;
	uintptr_t pgdir;         /* its top-level page table (CR3) */
	uintptr_t brk;           /* the heap is [USER_HEAP_BASE, brk) */
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
int prog_files(void);

/* Stop with "toyos: panic: why" and exit status 1: a kernel bug. */
void panic(const char *fmt, ...)
	__attribute__((noreturn, format(printf, 1, 2)));

/* ------------------------------------------------------------ trap.c */
/* Remap the PICs, start the PIT, hook the timer and the exceptions. */
void trap_init(void);

/* ------------------------------------------------------------ disk.c */
/* Open the disk args asks for ("disk", "disk=virtio", "disk=ide",
 * "disk=ide-dma", "disk=pt"); NULL when it asks for none or none
 * answers. */
struct rt_blk *disk_open(const char *args);

/* ------------------------------------------------------------ fs.c */
/* A file on its way between the disk and a process (fs_read, fs_write). */
extern uint8_t fs_buf[TOYFS_FILE_MAX];
/* Read b's superblock and directory; false (and no file system) when
 * they are not a toyfs that fits the disk. */
bool fs_mount(struct rt_blk *b);
/* The numbers fsinfo shows; false with no file system. */
bool fs_info(struct toyfs_info *info);
/* The n-th file of the directory; false past the last. */
bool fs_entry(unsigned n, struct toyfs_dirent *out);
/* File name into fs_buf: its size, or -1 (no such file, a disk error). */
int fs_read(const char *name);
/* The first size bytes of fs_buf as file name, created or replaced:
 * size, or -1 (too big, the disk or the directory full, a disk error). */
int fs_write(const char *name, uint32_t size);
/* Everything written so far on stable storage; false on an error. */
bool fs_sync(void);

/* ------------------------------------------------------------ syscall.c */
/* The C side of a system call: the call's number and arguments are read
 * and its result written through arch_*.h's syscall_nr, syscall_arg and
 * syscall_set_result. */
void syscall_dispatch(struct rt_frame *f);

/* ------------------------------------------------------------ arch_*.c */
/* Make the system call instruction reach syscall_dispatch. */
void syscall_init(void);
/* Every handler's first call: a trap came in through an interrupt gate,
 * which cleared IF (i386: the kernel notes it, arch_i386.c). */
void trap_entered(void);
/* Point system calls and interrupts from ring 3 at this kernel stack top. */
void syscall_set_kstack(uintptr_t top);
/* Make f, on p's kernel stack, enter pc(arg) at CPL 3 with interrupts on,
 * on the user stack that ends at USER_STACK_TOP (mapped already). */
void user_frame_init(struct proc *p, struct rt_frame *f, uintptr_t pc,
		     uintptr_t arg);

/* ------------------------------------------------------------ entry_*.S */
/* Save callee-saved registers on this stack, store the stack in *old,
 * resume the context new. */
void swtch(struct context **old, struct context *new);
/* Return to user mode through the struct rt_frame at the stack pointer. */
void trapret(void);

#endif /* GUESTS_TOYOS_TOYOS_H */
