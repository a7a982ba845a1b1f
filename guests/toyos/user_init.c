/*
 * guests/toyos/user_init.c - init, process 1: it runs the other programs,
 * each in a process of its own made by fork and exec, and reports how
 * each one ended.
 *
 * The output must not depend on timing, so init decides what may run at
 * the same time: the first programs one after another (it waits for each
 * before it starts the next), then the hog and the sleeper together, whose
 * lines come in an order the scheduler guarantees: the sleeper's every few
 * ticks, the hog's end only after its whole CPU budget.
 *
 * With a file system (the kernel was given a disk: disk.c) init runs only
 * files, the disk's test, which is the same program on every disk.
 */
#include "user.h"

/* Start program name in a child process; the child's pid. */
static int spawn(const char *name)
{
	int pid = fork();

	if (pid == 0) {
		exec(name);
		printf("init: cannot exec %s\n", name);
		exit(127);
	}
	return pid;
}

/* Wait for one child and say how it ended; the pid it waited for. */
static int reap(int pid_a, const char *name_a, int pid_b, const char *name_b)
{
	int status, pid = wait(&status);
	const char *name = pid == pid_a ? name_a : pid == pid_b ? name_b : "?";

	if (status == EXIT_KILLED)
		printf("init: process %d (%s) was killed\n", pid, name);
	else
		printf("init: process %d (%s) exited with status %d\n", pid,
		       name, status);
	return pid;
}

/* Run name alone: start it and wait for it. */
static void run_alone(const char *name)
{
	int pid = spawn(name);

	reap(pid, name, -1, "");
}

int prog_init(void)
{
	struct toyfs_info info;
	int hog, sleeper;

	printf("init: process %d, starting the programs one by one\n",
	       getpid());
	if (fsinfo(&info) == 0) {
		run_alone("files");
		printf("init: all children done\n");
		return 0;
	}
	run_alone("primes");
	run_alone("heap");
	run_alone("snoop");
	run_alone("wild");
	run_alone("priv");

	printf("init: now the hog and the sleeper together\n");
	hog = spawn("hog");
	sleeper = spawn("sleeper");
	reap(hog, "hog", sleeper, "sleeper");
	reap(hog, "hog", sleeper, "sleeper");

	if (wait(0) != SYS_ERROR)
		printf("init: an unexpected child\n");
	printf("init: all children done\n");
	return 0;
}
