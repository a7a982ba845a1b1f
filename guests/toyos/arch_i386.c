/*
 * guests/toyos/arch_i386.c - toyos on i386: the system call gate, the
 * kernel stack for entries from ring 3, and a new program's first user
 * registers; and two habits of kernels written for a real PC.
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
 *
 * The habits are xv6's (spinlock.c, switchuvm in vm.c), and most PC
 * kernels of its age have them, because on a PC they are right:
 *
 *   1. pushcli()/popcli(): nested "interrupts off" sections.  pushcli
 *      remembers whether interrupts were on before the outermost one by
 *      reading IF with pushfl, and popcli panics if IF is set where it
 *      must be clear ("popcli - interruptible"): a cheap check that
 *      catches a lock released twice or an sti in the wrong place.  The
 *      TSS's ESP0 changes inside one, as xv6's switchuvm does it.
 *   2. IDT gates built with the code selector the kernel runs in, read
 *      with `mov %cs`.
 *
 * pushfl and mov from CS are sensitive but unprivileged (isa/README.md):
 * de-privileged to ring 3 on the plain x86 (--isa=x86) they do not trap,
 * and show the real IF (set: the monitor runs the guest with interrupts
 * on) and the real selector (RPL 3).  So toyos32.elf panics there at its
 * first popcli (tests/guests/toyos32.x86.out), as xv6 does.  Three builds
 * of this file make it right (labs/10-real-os/README.md):
 *
 *   toyos32-nohabits.elf  -DNOHABITS: the guest alone; the kernel keeps
 *                         the interrupt-enable state in its own per-CPU
 *                         variable, and takes its code selector from the
 *                         GDT it built
 *   toyos32-pv.elf        -DPV: the same operations through the
 *                         paravirtual interface (core/hypercall.h)
 *   toyos32.elf --patch   the monitor patches the two instructions to
 *                         trap (patch/), and emulates them
 *
 * and on kvm (and QEMU) the kernel runs at a real ring 0, where the habits
 * are right as they are.  The 64-bit toyos has neither habit.
 */
#include "cpu.h"
#include "toyos.h"

/* ------------------------------------------------------------ CPU state */
/*
 * What the kernel asks of the CPU about itself: are interrupts on, turn
 * them off or on, the trap that just came in through an interrupt gate
 * (which cleared IF), and the code selector of the kernel.  toyos has one
 * CPU, so "per-CPU" is one struct.
 */
static struct cpu {
	int ncli;    /* depth of pushcli */
	bool intena; /* were interrupts on before the outermost pushcli? */
	bool intr;   /* -DNOHABITS: the interrupt-enable state, as the
			kernel keeps it */
} cpu;

#if defined(PV)
/* The paravirtual kernel: the operations through the interface. */
static bool intr_enabled(void)
{
	/* LAB 10 BEGIN: intr_enabled (PV): IF from the shared page (task 3) */
	return !(rt_pv_shared.irq_mask & HC_MASK_MASKED);
	/* LAB 10 END; hole: rt_lab_todo(10, "intr_enabled (PV)", "labs/10-real-os/README.md"); return false; */
}

static void intr_off(void)
{
	cli(); /* cpu.h: the mask byte */
}

static void intr_on(void)
{
	sti(); /* cpu.h: the mask byte, and a hypercall if an interrupt waits */
}

/* A gate cleared IF; on kvm the CPU did that with no exit, and the byte
 * still says what it said at the last one. */
static void intr_entered(void)
{
	/* LAB 10 BEGIN: intr_entered (PV): the gate masked interrupts (task 3) */
	cli();
	/* LAB 10 END; hole: rt_lab_todo(10, "intr_entered (PV)", "labs/10-real-os/README.md"); */
}

static uint16_t kernel_cs(void)
{
	/* LAB 10 BEGIN: kernel_cs (PV): the virtual CS, by a hypercall (task 3) */
	return (uint16_t)hypercall(HC_READ_SELECTOR, HC_SEL_CS, 0, 0, NULL);
	/* LAB 10 END; hole: rt_lab_todo(10, "kernel_cs (PV)", "labs/10-real-os/README.md"); return 0; */
}
#elif defined(NOHABITS)
/* The guest alone: the kernel asks the CPU nothing it could lie about. */
static bool intr_enabled(void)
{
	/* LAB 10 BEGIN: intr_enabled: the kernel's own record (task 2) */
	return cpu.intr;
	/* LAB 10 END; hole: rt_lab_todo(10, "intr_enabled", "labs/10-real-os/README.md"); return false; */
}

static void intr_off(void)
{
	/* LAB 10 BEGIN: intr_off: cli, recorded (task 2) */
	cli();
	cpu.intr = false;
	/* LAB 10 END; hole: rt_lab_todo(10, "intr_off", "labs/10-real-os/README.md"); */
}

static void intr_on(void)
{
	/* LAB 10 BEGIN: intr_on: sti, recorded (task 2) */
	cpu.intr = true;
	sti();
	/* LAB 10 END; hole: rt_lab_todo(10, "intr_on", "labs/10-real-os/README.md"); */
}

static void intr_entered(void)
{
	/* LAB 10 BEGIN: intr_entered: the gate cleared IF (task 2) */
	cpu.intr = false;
	/* LAB 10 END; hole: rt_lab_todo(10, "intr_entered", "labs/10-real-os/README.md"); */
}

static uint16_t kernel_cs(void)
{
	/* LAB 10 BEGIN: kernel_cs: the selector of the GDT's kernel code (task 2) */
	return RT_SEL_KCODE; /* rt_gdt[1], as desc.c built it */
	/* LAB 10 END; hole: rt_lab_todo(10, "kernel_cs", "labs/10-real-os/README.md"); return 0; */
}
#else
/* A PC kernel: ask the CPU (xv6's x86.h, readeflags() and friends). */
static bool intr_enabled(void)
{
	uint32_t fl;

	__asm__ volatile("pushfl; popl %0" : "=r"(fl) : : "memory");
	return fl & FL_IF;
}

static void intr_off(void)
{
	__asm__ volatile("cli" : : : "memory");
}

static void intr_on(void)
{
	__asm__ volatile("sti" : : : "memory");
}

/* The CPU cleared IF itself: nothing to note. */
static void intr_entered(void)
{
}

static uint16_t kernel_cs(void)
{
	uint16_t cs;

	__asm__ volatile("movw %%cs, %0" : "=r"(cs));
	return cs;
}
#endif

/* xv6's pushcli/popcli: nested "interrupts off" sections.  It takes two
 * popcli to undo two pushcli; interrupts come back on only if they were on
 * before the first. */
static void pushcli(void)
{
	bool on = intr_enabled();

	intr_off();
	if (cpu.ncli++ == 0)
		cpu.intena = on;
}

static void popcli(void)
{
	if (intr_enabled())
		panic("popcli - interruptible");
	if (--cpu.ncli < 0)
		panic("popcli");
	if (cpu.ncli == 0 && cpu.intena)
		intr_on();
}

void trap_entered(void)
{
	intr_entered();
}

/* ------------------------------------------------------------ system calls */

/* int $0x80 from ring 3: the frame is at the top of the kernel stack. */
static void on_syscall(struct rt_frame *f)
{
	trap_entered();
	syscall_dispatch(f);
}

/* The kernel's IDT, the runtime's gates but each pointing at the code
 * segment the kernel runs in.  The system call gate has DPL 3. */
void syscall_init(void)
{
	uint16_t cs = kernel_cs();

	rt_set_gate(VEC_SYSCALL, VEC_SYSCALL, 3);
	rt_set_handler(VEC_SYSCALL, on_syscall);
	for (unsigned v = 0; v < 256; v++) {
		uint64_t *g = &rt_idt[v * RT_GATE_WORDS];

		if (*g & DESC_P)
			*g = (*g & ~(0xffffULL << 16)) | (uint64_t)cs << 16;
	}
}

/* Every way into the kernel from ring 3 - int $0x80, an interrupt, an
 * exception - lands on the stack the TSS names.  It changes with
 * interrupts off, as in xv6's switchuvm. */
void syscall_set_kstack(uintptr_t top)
{
	pushcli();
	rt_tss.esp0 = top;
	popcli();
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
