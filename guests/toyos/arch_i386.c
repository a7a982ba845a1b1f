/*
 * guests/toyos/arch_i386.c - toyos on i386: the system call gate, the
 * kernel stack for entries from ring 3, and a new program's first user
 * registers.
 *
 * i386 has no syscall instruction that every CPU runs in 32-bit mode, so
 * a user program raises a software interrupt, int $0x80 (as Linux and
 * xv6 do).  Its IDT gate has DPL 3 - the only one ring 3 may raise with
 * int n; every other gate has DPL 0, and int n on one of them from ring 3
 * is a #GP.  The CPU switches to TSS.SS0:ESP0, the process's kernel stack,
 * and the runtime's stub (vectors_i386.S) saves the registers as a struct
 * rt_frame, as for any interrupt, and calls the handler below.  It is an
 * interrupt gate, so IF is clear in the kernel, as SFMASK makes it on
 * x86-64.
 */
#include "cpu.h"
#include "toyos.h"

/* int $0x80 from ring 3: the frame is at the top of the kernel stack. */
static void on_syscall(struct rt_frame *f)
{
	syscall_dispatch(f);
}

void syscall_init(void)
{
	rt_set_gate(VEC_SYSCALL, VEC_SYSCALL, 3);
	rt_set_handler(VEC_SYSCALL, on_syscall);
}

/* Every way into the kernel from ring 3 - int $0x80, an interrupt, an
 * exception - lands on the stack the TSS names. */
void syscall_set_kstack(uintptr_t top)
{
	rt_tss.esp0 = top;
}

/*
 * iret to pc at CPL 3.  The i386 C ABI passes arguments on the stack, so
 * the stack is made to look as if pc(arg) had just been called: arg above
 * a (never used) return address.  The data segment registers come from
 * the frame too (vectors_i386.S), and are the user's.
 */
void user_frame_init(struct proc *p, struct rt_frame *f, uintptr_t pc,
		     uintptr_t arg)
{
	uintptr_t top = USER_STACK_TOP - sizeof(uint32_t);
	uintptr_t pa = vm_user_phys(p, top, true);

	if (!pa)
		panic("user_frame_init: the user stack is not mapped");
	*(uint32_t *)pa = arg;
	memset(f, 0, sizeof(*f));
	f->eip = pc;
	f->cs = USER_CS;
	f->ds = f->es = f->ss = USER_SS;
	f->esp = top - sizeof(uint32_t);
	f->eflags = FL_FIXED1 | FL_IF;
}
