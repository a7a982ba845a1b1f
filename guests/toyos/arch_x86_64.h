/*
 * guests/toyos/arch_x86_64.h - what toyos's C code needs to know about
 * x86-64: where user memory is, what swtch saves, and which registers of
 * the trap frame carry a system call.  Included by toyos.h (C) and by
 * entry_x86_64.S (the constants at the top).
 */
#ifndef GUESTS_TOYOS_ARCH_X86_64_H
#define GUESTS_TOYOS_ARCH_X86_64_H

/* struct cpu (arch_x86_64.c), for entry_x86_64.S: where syscall_entry
 * finds the kernel stack, and where it keeps the user's RSP meanwhile. */
#define CPU_KSTACK_TOP 0
#define CPU_USER_RSP 8
/* struct rt_frame's vector for a frame built by syscall_entry. */
#define FRAME_SYSCALL 0x100
/* User code and stack selectors, RPL 3 (RT_SEL_UCODE, RT_SEL_UDATA in
 * rt.h, which entry_x86_64.S cannot include; arch_x86_64.c checks they
 * agree). */
#define USER_CS (0x20 | 3)
#define USER_SS (0x18 | 3)

#ifndef __ASSEMBLER__
/*
 * User memory is PML4 slot 1, 512 GiB from 0x8000000000; slot 0 is the
 * kernel's boot identity map of the first 4 GiB, in which all RAM lies.
 */
#define USER_BASE (1ULL << 39) /* 0x8000000000 */
#define USER_SLOT_FIRST 1      /* top-level slots private to a process */
#define USER_SLOTS 1
/* RAM the kernel can reach in every address space: the boot map. */
#define KERNEL_RAM_END BOOT_IDMAP_SIZE
/* Rights of a user data page: present, writable, user, never executed. */
#define USER_DATA_FLAGS (PTE_P | PTE_W | PTE_U | PTE_NX)

/* Only the lower half of the canonical address space belongs to users. */
static inline bool is_user_va(uintptr_t va)
{
	return va < (1ULL << 47);
}

/* Callee-saved registers, as swtch (entry_x86_64.S) leaves them on a
 * stack; its ret pops rip. */
struct context {
	uint64_t r15, r14, r13, r12, rbp, rbx, rip;
};

/* Make a context that swtch resumes at pc. */
static inline void context_init(struct context *c, void (*pc)(void))
{
	c->rip = (uintptr_t)pc;
}

/* A system call (sysnum.h): number in RAX, arguments in RDI, RSI, RDX,
 * result in RAX. */
static inline uintptr_t syscall_nr(const struct rt_frame *f)
{
	return f->rax;
}

static inline uintptr_t syscall_arg(const struct rt_frame *f, int n)
{
	return n == 0 ? f->rdi : n == 1 ? f->rsi : f->rdx;
}

static inline void syscall_set_result(struct rt_frame *f, uintptr_t v)
{
	f->rax = v;
}

/* The LSTAR target (entry_x86_64.S). */
void syscall_entry(void);
#endif /* __ASSEMBLER__ */

#endif /* GUESTS_TOYOS_ARCH_X86_64_H */
