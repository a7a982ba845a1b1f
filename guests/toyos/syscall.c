/*
 * guests/toyos/syscall.c - system calls: the machine set-up for syscall
 * and sysretq, and the calls themselves.
 *
 * A user program executes `syscall` with the call's number in RAX (see
 * sysnum.h); syscall_entry (entry.S) saves its registers as a struct
 * rt_frame on the process's kernel stack and calls syscall_dispatch, which
 * finds the call in a table and leaves its result in the frame's RAX.
 * Arguments that point into user memory are never dereferenced as they
 * are: copy_from_user and copy_to_user translate them through the
 * process's page tables, page for page, and refuse what ring 3 itself
 * could not touch - so a bad pointer costs the caller an error, never the
 * kernel a page fault.
 */
#include <stddef.h>

#include "cpu.h"
#include "toyos.h"

/* What syscall_entry needs before it has a stack: reached through GS
 * after swapgs (MSR_KERNEL_GS_BASE points here). */
struct cpu {
	uint64_t kstack_top; /* of the current process */
	uint64_t user_rsp;   /* parked here during the stack switch */
};

_Static_assert(offsetof(struct cpu, kstack_top) == CPU_KSTACK_TOP, "entry.S");
_Static_assert(offsetof(struct cpu, user_rsp) == CPU_USER_RSP, "entry.S");
_Static_assert(USER_CS == (RT_SEL_UCODE | 3) && USER_SS == (RT_SEL_UDATA | 3),
	       "entry.S");

static struct cpu cpu;

/*
 * STAR: syscall loads CS from 47:32 (SS is the next slot); sysretq to
 * 64-bit mode loads CS = 63:48 + 16 and SS = 63:48 + 8, with RPL 3.
 *
 *  63          48 47          32 31                      0
 * +--------------+--------------+-------------------------+
 * | sysret base  | syscall CS   | (32-bit target, unused)  |
 * +--------------+--------------+-------------------------+
 *
 * SFMASK clears IF (the kernel runs with interrupts off), TF, DF (the C
 * ABI wants it clear) and AC on the way in.
 */
void syscall_init(void)
{
	wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SCE);
	wrmsr(MSR_STAR, (uint64_t)RT_STAR_SYSRET_BASE << 48 |
				(uint64_t)RT_SEL_KCODE << 32);
	wrmsr(MSR_LSTAR, (uint64_t)(uintptr_t)syscall_entry);
	wrmsr(MSR_SFMASK, FL_IF | FL_TF | FL_DF | FL_AC);
	wrmsr(MSR_GS_BASE, 0);
	wrmsr(MSR_KERNEL_GS_BASE, (uint64_t)(uintptr_t)&cpu);
}

/* Both ways into the kernel from ring 3 land on the stack ending at top. */
void syscall_set_kstack(uint64_t top)
{
	cpu.kstack_top = top;
	rt_tss.rsp[0] = top; /* for interrupts and exceptions from ring 3 */
}

/* ------------------------------------------------------------ user memory */

/* Copy n bytes between kernel buffer k and user address u (to the user
 * when to_user); false if ring 3 could not access all of them. */
static bool copy_user(void *k, uint64_t u, size_t n, bool to_user)
{
	uint8_t *kp = k;

	while (n) {
		uint64_t pa = vm_user_phys(proc_current(), u, to_user);
		size_t chunk = PAGE_4K - (u & (PAGE_4K - 1));
		void *up = (void *)(uintptr_t)pa;

		if (!pa)
			return false;
		if (chunk > n)
			chunk = n;
		if (to_user)
			memcpy(up, kp, chunk);
		else
			memcpy(kp, up, chunk);
		kp += chunk;
		u += chunk;
		n -= chunk;
	}
	return true;
}

/* A NUL-ended user string of at most max bytes into buf. */
static bool copy_string_from_user(char *buf, uint64_t u, size_t max)
{
	for (size_t i = 0; i < max; i++) {
		if (!copy_user(&buf[i], u + i, 1, false))
			return false;
		if (!buf[i])
			return true;
	}
	return false;
}

/* ------------------------------------------------------------ the calls */

/* write(buf, len): send up to WRITE_MAX bytes to the console at once, so
 * that one call's output is never cut by another process's. */
static int64_t sys_write(struct rt_frame *f)
{
	char buf[WRITE_MAX];
	size_t len = f->rsi < WRITE_MAX ? f->rsi : WRITE_MAX;

	if (!copy_user(buf, f->rdi, len, false))
		return SYS_ERROR;
	for (size_t i = 0; i < len; i++)
		rt_putc(buf[i]);
	return (int64_t)len;
}

static int64_t sys_getpid(struct rt_frame *f)
{
	(void)f;
	return proc_current()->pid;
}

static int64_t sys_yield(struct rt_frame *f)
{
	(void)f;
	proc_yield();
	return 0;
}

static int64_t sys_sleep(struct rt_frame *f)
{
	proc_sleep(f->rdi);
	return 0;
}

static int64_t sys_fork(struct rt_frame *f)
{
	(void)f;
	return proc_fork();
}

static int64_t sys_exit(struct rt_frame *f)
{
	proc_exit((int)f->rdi);
}

/* wait(&status): status may be 0; a bad pointer fails before waiting. */
static int64_t sys_wait(struct rt_frame *f)
{
	int status = 0, pid;

	if (f->rdi && !copy_user(&status, f->rdi, sizeof(status), true))
		return SYS_ERROR;
	pid = proc_wait(&status);
	if (pid > 0 && f->rdi)
		copy_user(&status, f->rdi, sizeof(status), true);
	return pid;
}

/* sbrk(n): move the break up by n bytes and return the old one.  No page
 * is mapped: the page fault handler does it on the first touch.  The
 * heap only grows. */
static int64_t sys_sbrk(struct rt_frame *f)
{
	struct proc *p = proc_current();
	uint64_t old = p->brk, n = f->rdi;

	if (n > USER_HEAP_BASE + USER_HEAP_MAX - old)
		return SYS_ERROR;
	p->brk = old + n;
	return (int64_t)old;
}

/* exec(name): on success the frame now starts the new program. */
static int64_t sys_exec(struct rt_frame *f)
{
	char name[PROG_NAME_MAX];

	if (!copy_string_from_user(name, f->rdi, sizeof(name)))
		return SYS_ERROR;
	return proc_exec(name);
}

typedef int64_t syscall_fn(struct rt_frame *f);

static syscall_fn *const syscalls[SYS_NCALLS] = {
	[SYS_WRITE] = sys_write, [SYS_GETPID] = sys_getpid,
	[SYS_YIELD] = sys_yield, [SYS_SLEEP] = sys_sleep,
	[SYS_FORK] = sys_fork,   [SYS_EXIT] = sys_exit,
	[SYS_WAIT] = sys_wait,   [SYS_SBRK] = sys_sbrk,
	[SYS_EXEC] = sys_exec,
};

/* Call the system call named by f->rax; its result goes into f->rax. */
void syscall_dispatch(struct rt_frame *f)
{
	uint64_t n = f->rax;

	if (n < SYS_NCALLS && syscalls[n])
		f->rax = (uint64_t)syscalls[n](f);
	else
		f->rax = (uint64_t)(int64_t)SYS_ERROR;
}
