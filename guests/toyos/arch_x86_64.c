/*
 * guests/toyos/arch_x86_64.c - toyos on x86-64: the syscall/sysretq
 * set-up, the kernel stack for entries from ring 3, and a new program's
 * first user registers.
 *
 * A user program executes `syscall`; the CPU jumps to syscall_entry
 * (entry_x86_64.S, through MSR_LSTAR) at CPL 0 on the user's stack.  The
 * entry needs the kernel stack before it has one: it finds it through GS,
 * which swapgs points at struct cpu below for the moment it takes.
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

_Static_assert(offsetof(struct cpu, kstack_top) == CPU_KSTACK_TOP, "entry");
_Static_assert(offsetof(struct cpu, user_rsp) == CPU_USER_RSP, "entry");
_Static_assert(USER_CS == (RT_SEL_UCODE | 3) && USER_SS == (RT_SEL_UDATA | 3),
	       "entry_x86_64.S");

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

/* The 64-bit kernel never asks the CPU whether interrupts are on (the
 * i386 build's habits, arch_i386.c): nothing to note. */
void trap_entered(void)
{
}

/* Both ways into the kernel from ring 3 land on the stack ending at top. */
void syscall_set_kstack(uintptr_t top)
{
	cpu.kstack_top = top;
	rt_tss.rsp[0] = top; /* for interrupts and exceptions from ring 3 */
}

/* iretq to pc at CPL 3 with the argument in RDI (the C ABI's first
 * register) and RSP as if pc had been called. */
void user_frame_init(struct proc *p, struct rt_frame *f, uintptr_t pc,
		     uintptr_t arg)
{
	(void)p;
	memset(f, 0, sizeof(*f));
	f->rip = pc;
	f->rdi = arg;
	f->cs = USER_CS;
	f->ss = USER_SS;
	f->rsp = USER_STACK_TOP - 8; /* where a call leaves it: misaligned */
	f->rflags = FL_FIXED1 | FL_IF;
}
