/*
 * guests/toyos/proc.c - processes and the scheduler.
 *
 * A process is a slot in procs[]: an address space (vm.c), a kernel stack,
 * and a state.  The kernel runs with interrupts off; it gives the CPU away
 * only in sched(), by swtch()ing from the process's kernel stack to the
 * scheduler's (the boot stack), which picks the next runnable process
 * round robin and swtch()es to its stack.  Where a process left the CPU -
 * in a system call, or in the timer interrupt that preempted it - it
 * carries on when it is picked again, and returns to user mode from there.
 *
 *            fork                    sched
 *   UNUSED -------> RUNNABLE <=================> RUNNING
 *                      ^  ^     scheduler()       |  |  |
 *            the timer |  | a child exits  sleep  |  |  | exit or killed
 *                      |  +--- WAITING <-- wait --+  |  v
 *                      +------ SLEEPING <------------+ ZOMBIE --wait--> UNUSED
 */
#include "cpu.h"
#include "toyos.h"

volatile uint64_t ticks;

static struct proc procs[NPROC];
static uint8_t kstacks[NPROC][KSTACK_SIZE] __attribute__((aligned(16)));
static struct proc *current;
static struct context *scheduler_context;
static int next_pid = 1;

/* The process on the CPU; NULL while the scheduler runs. */
struct proc *proc_current(void)
{
	return current;
}

/* ------------------------------------------------------------ creation */

/*T:840 A process's kernel stack is where it is when it is not running.
 * A free slot with a new pid, an empty address space and a kernel stack
 * prepared for the first swtch to it:
 *
 *   kstack + KSTACK_SIZE -> +----------------+
 *                           | struct rt_frame|  p->frame: the user state
 *                           +----------------+
 *                           | struct context |  p->context: ret goes to trapret
 *                           +----------------+
 */
static struct proc *proc_alloc(void)
{
	for (unsigned i = 0; i < NPROC; i++) {
		struct proc *p = &procs[i];

		if (p->state != UNUSED)
			continue;
		/* It stays UNUSED until the caller makes it RUNNABLE. */
		memset(p, 0, sizeof(*p));
		p->pgdir = vm_create();
		if (!p->pgdir)
			return NULL;
		p->pid = next_pid++;
		p->kstack = kstacks[i];
		p->frame = (struct rt_frame *)(p->kstack + KSTACK_SIZE) - 1;
		p->context = (struct context *)p->frame - 1;
		memset(p->context, 0, sizeof(*p->context));
		context_init(p->context, trapret);
		return p;
	}
	return NULL;
}

static void set_name(struct proc *p, const char *name)
{
	size_t n = strlen(name);

	if (n >= PROC_NAME_MAX)
		n = PROC_NAME_MAX - 1;
	memcpy(p->name, name, n);
	p->name[n] = '\0';
}

/*
 * Load prog into p: an empty user half but for a fresh stack, an empty
 * heap, and a frame that enters ustart(prog->main) at CPL 3 with
 * interrupts on.  False when memory runs out.
 */
static bool load_program(struct proc *p, const struct program *prog)
{
	vm_clear_user(p->pgdir);
	for (uintptr_t i = 1; i <= USER_STACK_PAGES; i++)
		if (!vm_map_zero(p->pgdir, USER_STACK_TOP - i * PAGE_4K,
				 USER_DATA_FLAGS))
			return false;
	p->brk = USER_HEAP_BASE;
	set_name(p, prog->name);
	user_frame_init(p, p->frame, (uintptr_t)ustart,
			(uintptr_t)prog->main);
	return true;
}

/* Process 1, the ancestor of all others, running prog. */
void proc_start_init(const char *prog)
{
	struct proc *p = proc_alloc();
	const struct program *main = program_find(prog);

	if (!p || !main || !load_program(p, main))
		panic("proc_start_init: cannot start %s", prog);
	p->state = RUNNABLE;
}

/* ------------------------------------------------------------ scheduling */

/* The next RUNNABLE slot after the last one that ran, round robin. */
static struct proc *pick_next(void)
{
	static unsigned last;

	for (unsigned n = 1; n <= NPROC; n++) {
		unsigned i = (last + n) % NPROC;

		if (procs[i].state == RUNNABLE) {
			last = i;
			return &procs[i];
		}
	}
	return NULL;
}

/* Run p until it gives the CPU back. */
static void run(struct proc *p)
{
	current = p;
	p->state = RUNNING;
	syscall_set_kstack((uintptr_t)(p->kstack + KSTACK_SIZE));
	write_cr3(p->pgdir);
	swtch(&scheduler_context, p->context);
	/* Off p's address space, which may be gone already if p exited. */
	write_cr3(vm_kernel_cr3());
	current = NULL;
}

/* Round robin forever; with nothing to run, wait for an interrupt with
 * interrupts on (the only place the kernel takes one). */
void scheduler(void)
{
	for (;;) {
		struct proc *p = pick_next();

		if (p) {
			run(p);
		} else { /* idle: sleep until an interrupt, look again */
			safe_halt();
			cli();
		}
	}
}

/* Back to the scheduler; the caller has set current's new state. */
static void sched(void)
{
	swtch(&current->context, scheduler_context);
}

/* Stay runnable, but let the others have their turn first. */
void proc_yield(void)
{
	current->state = RUNNABLE;
	sched();
}

/* Not runnable until n more ticks have come (at least the next one). */
void proc_sleep(uint64_t n)
{
	current->wake_tick = ticks + n;
	current->state = SLEEPING;
	sched();
}

/* On every tick: sleepers whose time has come are runnable again. */
void proc_wake_sleepers(void)
{
	for (unsigned i = 0; i < NPROC; i++)
		if (procs[i].state == SLEEPING && ticks >= procs[i].wake_tick)
			procs[i].state = RUNNABLE;
}

/* ------------------------------------------------------------ fork, exec */

/* A copy of current that returns 0 from the same fork; its pid, or -1. */
int proc_fork(void)
{
	struct proc *parent = current, *child = proc_alloc();

	if (!child)
		return SYS_ERROR;
	if (!vm_copy_user(child->pgdir, parent->pgdir)) {
		vm_destroy(child->pgdir);
		child->state = UNUSED;
		return SYS_ERROR;
	}
	set_name(child, parent->name);
	child->parent = parent;
	child->brk = parent->brk;
	*child->frame = *parent->frame; /* it returns from the same syscall */
	syscall_set_result(child->frame, 0); /* ... with 0 */
	child->state = RUNNABLE;
	return child->pid;
}

/* current runs program name from its start, in a fresh user half;
 * -1 (and nothing changed) if there is no such program. */
int proc_exec(const char *name)
{
	const struct program *prog = program_find(name);

	if (!prog)
		return SYS_ERROR;
	if (!load_program(current, prog))
		proc_kill("out of memory in exec");
	return 0;
}

/* ------------------------------------------------------------ exit, wait */

static struct proc *init_proc(void)
{
	return &procs[0]; /* pid 1 is made first, in slot 0 */
}

/* Wake p if it waits for a child. */
static void wake_waiter(struct proc *p)
{
	if (p && p->state == WAITING)
		p->state = RUNNABLE;
}

/* How many processes exist, zombies included. */
static unsigned count_procs(void)
{
	unsigned n = 0;

	for (unsigned i = 0; i < NPROC; i++)
		n += procs[i].state != UNUSED;
	return n;
}

/* init has ended: so has the system. */
static void halt(int status)
{
	unsigned left = count_procs() - 1;

	if (left || status)
		rt_printf("toyos: init ended with status %d, %u processes "
			  "left; halting\n", status, left);
	else
		rt_printf("toyos: all processes done, halting\n");
	rt_exit(status == 0 && !left ? 0 : 1);
}

/* current ends: its memory goes back, its children to init, and it waits
 * as a zombie for its parent to collect status. */
void proc_exit(int status)
{
	struct proc *p = current;

	if (p == init_proc())
		halt(status);
	/* Off p's address space before it is freed. */
	write_cr3(vm_kernel_cr3());
	vm_destroy(p->pgdir);
	p->pgdir = 0;
	for (unsigned i = 0; i < NPROC; i++) { /* orphans go to init */
		if (procs[i].parent != p)
			continue;
		procs[i].parent = init_proc();
		if (procs[i].state == ZOMBIE)
			wake_waiter(init_proc());
	}
	p->exit_status = status;
	p->state = ZOMBIE;
	wake_waiter(p->parent);
	sched();
	panic("proc_exit: a zombie ran");
}

/* current ends because of what it did: one line says what. */
void proc_kill(const char *fmt, ...)
{
	char why[128];
	va_list ap;

	va_start(ap, fmt);
	rt_vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	rt_printf("toyos: killed process %d (%s): %s\n", current->pid,
		  current->name, why);
	proc_exit(EXIT_KILLED);
}

/* A zombie child of current (reaped: its slot is freed), NULL if none;
 * *any tells whether current has children at all. */
static struct proc *reap_child(bool *any)
{
	*any = false;
	for (unsigned i = 0; i < NPROC; i++) {
		struct proc *q = &procs[i];

		if (q->state == UNUSED || q->parent != current)
			continue;
		*any = true;
		if (q->state == ZOMBIE) {
			q->state = UNUSED;
			return q;
		}
	}
	return NULL;
}

/* Block until a child of current has ended; its pid and exit status, or
 * -1 at once if current has no children. */
int proc_wait(int *status)
{
	for (;;) {
		bool any;
		struct proc *q = reap_child(&any);

		if (q) {
			*status = q->exit_status;
			return q->pid;
		}
		if (!any)
			return SYS_ERROR;
		current->state = WAITING;
		sched();
	}
}
