/*
 * guests/bench/uspace.c - just enough of an operating system for the
 * user-mode benchmarks: processes with their own address space, ring 3,
 * system calls through syscall/sysretq, fork, wait and exit, and a page
 * fault handler that resolves faults by mapping pages.
 *
 * Deliberately smaller than toyos (guests/toyos): no scheduler, no kernel
 * stack per process.  There are at most two processes, a parent and its
 * child, and a system call switches between them by rewriting the frame it
 * will resume (wait resumes the child, exit resumes the parent), so the
 * kernel itself never blocks.  What a hypervisor sees is what matters
 * here, and it is the real thing: a fresh PML4 and page tables per fork,
 * pages copied, CR3 loaded on every switch, tables freed at exit.
 *
 * Every page frame and page table comes from a pool in .bss, identity
 * mapped, so a frame's physical address is also a pointer to it.
 */
#include "bench.h"
#include "cpu.h"
#include "rt.h"

#define NFRAMES 24       /* enough for two processes */
#define USER_RFLAGS (FL_IF | 0x2) /* bit 1 always reads as 1 */
#define USER_PAGE (PTE_P | PTE_W | PTE_U)
#define UPROC_PT_INDEX(va) (((va) >> PAGE_4K_SHIFT) & (PT_ENTRIES - 1))

/* One process: its address space and, while another runs, its registers. */
struct uproc {
	bool live;
	uint64_t pml4;          /* CR3 */
	uint64_t *pt;           /* the page table of UPROC_BASE's 2 MiB */
	uint64_t owned[8];      /* every frame it holds, tables included */
	unsigned nowned;
	struct uregs regs;
};

static uint8_t frame_pool[NFRAMES][PAGE_4K] __attribute__((aligned(4096)));
static uint64_t free_frames[NFRAMES];
static unsigned nfree;
static uint64_t kernel_cr3;
static struct uproc procs[2]; /* [0] the parent, [1] its child */
static struct uproc *current;
static uint64_t done_tsc;

/* ------------------------------------------------------------ frames */
static void frames_init(void)
{
	for (unsigned i = 0; i < NFRAMES; i++)
		free_frames[nfree++] = (uint64_t)(uintptr_t)frame_pool[i];
}

/* A zeroed frame owned by p; running out is a bug of this kernel. */
static uint64_t *frame_take(struct uproc *p)
{
	if (nfree == 0 || p->nowned == sizeof(p->owned) / sizeof(p->owned[0])) {
		rt_puts("bench: out of page frames\n");
		rt_exit(RT_EXIT_UNEXPECTED_TRAP);
	}
	uint64_t pa = free_frames[--nfree];

	p->owned[p->nowned++] = pa;
	return memset((void *)(uintptr_t)pa, 0, PAGE_4K);
}

/* ------------------------------------------------------------ address spaces */
/*
 * p gets a PML4 that shares slot 0 (the kernel and the user.S code) with
 * the boot map, and a private slot 1 down to one page table:
 * PML4[1] -> PDPT[0] -> PD[0] -> pt, which maps UPROC_BASE's 2 MiB.
 */
static void aspace_create(struct uproc *p)
{
	uint64_t *pml4 = frame_take(p), *pdpt = frame_take(p);
	uint64_t *pd = frame_take(p);

	p->pt = frame_take(p);
	memcpy(pml4, (void *)(uintptr_t)kernel_cr3, PAGE_4K);
	pml4[PT_INDEX(UPROC_BASE, 4)] = (uint64_t)(uintptr_t)pdpt | USER_PAGE;
	pdpt[0] = (uint64_t)(uintptr_t)pd | USER_PAGE;
	pd[0] = (uint64_t)(uintptr_t)p->pt | USER_PAGE;
	p->pml4 = (uint64_t)(uintptr_t)pml4;
}

/* A fresh data page and stack page for p: copies of from's, or zeroes. */
static void aspace_fill(struct uproc *p, const struct uproc *from)
{
	static const uint64_t pages[] = { UPROC_DATA,
					  UPROC_STACK_TOP - PAGE_4K };

	for (unsigned i = 0; i < sizeof(pages) / sizeof(pages[0]); i++) {
		unsigned idx = UPROC_PT_INDEX(pages[i]);
		uint64_t *page = frame_take(p);

		if (from)
			memcpy(page, (void *)(uintptr_t)(from->pt[idx] &
							 PTE_ADDR_MASK), PAGE_4K);
		p->pt[idx] = (uint64_t)(uintptr_t)page | USER_PAGE;
	}
}

/* Give every frame of p back (p's address space is not the current one). */
static void aspace_destroy(struct uproc *p)
{
	while (p->nowned)
		free_frames[nfree++] = p->owned[--p->nowned];
	p->live = false;
}

/* ------------------------------------------------------------ page faults */
/*
 * The page-fault benchmark's two pages share one frame and are never
 * present together: a touch of the absent one maps it and unmaps the
 * other, so the loop A, B, A, B ... faults on every access, and every
 * fault is resolved by the guest kernel (a PTE write and an invlpg).
 */
static void pf_handler(struct rt_frame *f)
{
	uint64_t va = read_cr2() & PAGE_4K_MASK;
	uint64_t *pt = current ? current->pt : NULL;

	if (!pt || (va != UPROC_PF_A && va != UPROC_PF_B)) {
		rt_printf("bench: unexpected #PF at %lx, rip %lx\n",
			  (unsigned long)read_cr2(), (unsigned long)f->rip);
		rt_exit(RT_EXIT_UNEXPECTED_TRAP);
	}
	uint64_t other = va == UPROC_PF_A ? UPROC_PF_B : UPROC_PF_A;

	pt[UPROC_PT_INDEX(va)] |= PTE_P;
	pt[UPROC_PT_INDEX(other)] &= ~PTE_P;
	invlpg(other);
}

/* ------------------------------------------------------------ system calls */
static void sys_fork(struct uregs *f)
{
	struct uproc *child = &procs[1];

	if (current != &procs[0] || child->live) {
		f->rax = (uint64_t)-1;
		return;
	}
	aspace_create(child);
	aspace_fill(child, current);
	child->regs = *f;
	child->regs.rax = 0;
	child->live = true;
	f->rax = 1;
}

static void sys_wait(struct uregs *f)
{
	struct uproc *child = &procs[1];

	if (current != &procs[0] || !child->live) {
		f->rax = (uint64_t)-1;
		return;
	}
	current->regs = *f;
	current = child;
	write_cr3(child->pml4);
	*f = child->regs;
}

static void sys_exit(struct uregs *f)
{
	struct uproc *parent = &procs[0];
	uint64_t status = f->rdi;

	if (current != &procs[1]) {
		rt_puts("bench: the first process exited\n");
		rt_exit(RT_EXIT_UNEXPECTED_TRAP);
	}
	write_cr3(parent->pml4);
	aspace_destroy(current);
	current = parent;
	*f = parent->regs;
	f->rax = status;
}

/* The system call dispatcher: f is rewritten with what to resume. */
void uspace_syscall(struct uregs *f)
{
	switch (f->rax) {
	case SYS_NULL:
		f->rax = 0;
		break;
	case SYS_DONE:
		done_tsc = rdtsc();
		uspace_leave();
	case SYS_FORK:
		sys_fork(f);
		break;
	case SYS_WAIT:
		sys_wait(f);
		break;
	case SYS_EXIT:
		sys_exit(f);
		break;
	default:
		f->rax = (uint64_t)-1;
		break;
	}
}

/* ------------------------------------------------------------ set-up */
/* syscall's MSRs, ring-3 access to user.S's pages, the #PF handler. */
void uspace_init(void)
{
	kernel_cr3 = read_cr3() & PTE_ADDR_MASK;
	frames_init();
	wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SCE);
	wrmsr(MSR_STAR, (uint64_t)RT_STAR_SYSRET_BASE << 48 |
		       (uint64_t)RT_SEL_KCODE << 32);
	wrmsr(MSR_LSTAR, (uint64_t)(uintptr_t)syscall_entry);
	wrmsr(MSR_SFMASK, FL_IF | FL_TF | FL_DF);
	for (char *va = user_text_start; va < user_text_end; va += PAGE_4K)
		rt_map_page((uint64_t)(uintptr_t)va, (uint64_t)(uintptr_t)va,
			    PTE_P | PTE_U);
	rt_set_handler(T_PF, pf_handler);
}

/* A fresh process runs entry at ring 3 until SYS_DONE; its cycles. */
uint64_t uspace_run(void (*entry)(void), uint64_t arg0, uint64_t arg1,
		    uint64_t arg2)
{
	struct uproc *p = &procs[0];
	struct uregs *f = uspace_frame();
	uint64_t start;

	aspace_create(p);
	aspace_fill(p, NULL);
	/* The page-fault pages: one frame, both absent. */
	uint64_t pf = (uint64_t)(uintptr_t)frame_take(p) | PTE_W | PTE_U;

	p->pt[UPROC_PT_INDEX(UPROC_PF_A)] = pf;
	p->pt[UPROC_PT_INDEX(UPROC_PF_B)] = pf;
	p->live = true;
	current = p;
	memset(f, 0, sizeof(*f));
	f->rip = (uint64_t)(uintptr_t)entry;
	f->rflags = USER_RFLAGS;
	f->rsp = UPROC_STACK_TOP;
	f->rdi = arg0;
	f->rsi = arg1;
	f->rdx = arg2;
	write_cr3(p->pml4);
	start = rdtsc();
	uspace_enter();
	write_cr3(kernel_cr3);
	current = NULL;
	aspace_destroy(p);
	return done_tsc - start;
}
