/*
 * guests/toyos/kernel.c - toyos boots here: main, the program table, panic.
 *
 * The runtime (guests/runtime, in its x86-64 or its i386 build) has
 * already given us a GDT with user segments and a TSS, an IDT, paging
 * with the boot identity map, and a console.  main sets up what makes a
 * multiprogrammed kernel - physical memory and the user pages (vm.c), the
 * timer and the exception handlers (trap.c), the system call entry
 * (syscall.c) - makes process 1 running the program init, and becomes the
 * scheduler.  It never returns: the machine stops when init ends.
 */
#include "cpu.h"
#include "toyos.h"

/* Programs are not files (toyfs holds only data): exec finds them by
 * name here. */
static const struct program programs[] = {
	{ "init", prog_init },   { "primes", prog_primes },
	{ "heap", prog_heap },   { "snoop", prog_snoop },
	{ "wild", prog_wild },   { "priv", prog_priv },
	{ "hog", prog_hog },     { "sleeper", prog_sleeper },
	{ "files", prog_files },
};

/* The built-in program called name, or NULL. */
const struct program *program_find(const char *name)
{
	for (size_t i = 0; i < sizeof(programs) / sizeof(programs[0]); i++)
		if (strcmp(programs[i].name, name) == 0)
			return &programs[i];
	return NULL;
}

/* A kernel bug: say so and stop the machine with status 1. */
void panic(const char *fmt, ...)
{
	char why[160];
	va_list ap;

	va_start(ap, fmt);
	rt_vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	rt_printf("toyos: panic: %s\n", why);
	rt_exit(1);
}

/*T:820 A guest kernel of our own: toyos.  Everything so far was the
 * monitor's side; toyos is a small xv6-like kernel built to be run by it.
 * Its user programs run at CPL 3 in address spaces of their own, it takes
 * timer interrupts to preempt them, system calls through syscall/sysretq,
 * and page faults both to page in the heap and to kill a process that
 * touches what is not its own.  Under trapvisor every one of its CR3
 * writes, port accesses and iretqs is trapped and emulated - and its
 * output must be byte for byte what it prints on QEMU.  The same sources
 * also make toyos32.elf, an i386 multiboot kernel (system calls by int
 * $0x80, 2-level paging: arch_i386.c).  Boot: set up (with the disk
 * the argument asks for and its file system: disk.c, fs.c), start init,
 * schedule forever.
 */
int main(const char *args)
{
	struct rt_blk *disk;

	rt_printf("toyos: %d process slots, PIT at %d Hz, round robin, "
		  "%d ticks of CPU per process\n",
		  NPROC, HZ, CPU_BUDGET_TICKS);
	disk = disk_open(args);
	if (disk && fs_mount(disk))
		rt_printf("toyos: fs: toyfs mounted\n");
	vm_init();
	trap_init();
	syscall_init();
	proc_start_init("init");
	scheduler();
}
