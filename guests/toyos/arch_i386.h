/*
 * guests/toyos/arch_i386.h - what toyos's C code needs to know about
 * i386: where user memory is, what swtch saves, and which registers of the
 * trap frame carry a system call.  Included by toyos.h.
 */
#ifndef GUESTS_TOYOS_ARCH_I386_H
#define GUESTS_TOYOS_ARCH_I386_H

/* User code and stack selectors, RPL 3: the runtime's GDT has them at the
 * same places as on x86-64. */
#define USER_CS (RT_SEL_UCODE | 3)
#define USER_SS (RT_SEL_UDATA | 3)
/* The system call gate (sysnum.h): int $0x80, as on Linux and xv6. */
#define VEC_SYSCALL SYSCALL_VECTOR

/*
 * A 32-bit address space has room for both in one table: user memory is
 * the 1 GiB from 0x80000000 (page-directory slots 512 to 767), where the
 * kernel's own address space maps nothing it uses; the rest is the
 * kernel's boot identity map, in which all RAM the kernel uses must lie.
 */
#define USER_BASE 0x80000000UL
#define USER_SLOT_FIRST 512 /* top-level slots private to a process */
#define USER_SLOTS 256
#define KERNEL_RAM_END USER_BASE
/* Rights of a user data page: present, writable, user.  32-bit paging has
 * no NX bit: the stack and heap are executable, as on any i386 without
 * PAE. */
#define USER_DATA_FLAGS (PTE_P | PTE_W | PTE_U)

/* Every 32-bit address is one ring 3 may name; the page tables say which
 * it may touch. */
static inline bool is_user_va(uintptr_t va)
{
	(void)va;
	return true;
}

/* Callee-saved registers of the i386 C ABI, as swtch (entry_i386.S)
 * leaves them on a stack; its ret pops eip. */
struct context {
	uint32_t edi, esi, ebx, ebp, eip;
};

/* Make a context that swtch resumes at pc. */
static inline void context_init(struct context *c, void (*pc)(void))
{
	c->eip = (uintptr_t)pc;
}

/* A system call (sysnum.h): number in EAX, arguments in EBX, ECX, EDX,
 * result in EAX. */
static inline uintptr_t syscall_nr(const struct rt_frame *f)
{
	return f->eax;
}

static inline uintptr_t syscall_arg(const struct rt_frame *f, int n)
{
	return n == 0 ? f->ebx : n == 1 ? f->ecx : f->edx;
}

static inline void syscall_set_result(struct rt_frame *f, uintptr_t v)
{
	f->eax = v;
}

#endif /* GUESTS_TOYOS_ARCH_I386_H */
