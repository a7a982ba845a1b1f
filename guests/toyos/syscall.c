/*
 * guests/toyos/syscall.c - the system calls.
 *
 * A user program makes a system call with the call's number and up to
 * three arguments in registers (sysnum.h; which registers is the
 * machine's: arch_*.h).  The entry (syscall_entry on x86-64, the int $0x80
 * gate on i386) saves its registers as a struct rt_frame on the process's
 * kernel stack and calls syscall_dispatch, which finds the call in a table
 * and leaves its result in the frame.
 * Arguments that point into user memory are never dereferenced as they
 * are: copy_from_user and copy_to_user translate them through the
 * process's page tables, page for page, and refuse what ring 3 itself
 * could not touch - so a bad pointer costs the caller an error, never the
 * kernel a page fault.  The file calls (fsinfo ... fsync) go to fs.c
 * through kernel buffers the same way: a user pointer never reaches the
 * file system or the disk driver.
 */
#include <stddef.h>

#include "cpu.h"
#include "toyos.h"

/* ------------------------------------------------------------ user memory */

/* Copy n bytes between kernel buffer k and user address u (to the user
 * when to_user); false if ring 3 could not access all of them. */
static bool copy_user(void *k, uintptr_t u, size_t n, bool to_user)
{
	uint8_t *kp = k;

	while (n) {
		uintptr_t pa = vm_user_phys(proc_current(), u, to_user);
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
static bool copy_string_from_user(char *buf, uintptr_t u, size_t max)
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
static intptr_t sys_write(struct rt_frame *f)
{
	char buf[WRITE_MAX];
	uintptr_t want = syscall_arg(f, 1);
	size_t len = want < WRITE_MAX ? want : WRITE_MAX;

	if (!copy_user(buf, syscall_arg(f, 0), len, false))
		return SYS_ERROR;
	for (size_t i = 0; i < len; i++)
		rt_putc(buf[i]);
	return (intptr_t)len;
}

static intptr_t sys_getpid(struct rt_frame *f)
{
	(void)f;
	return proc_current()->pid;
}

static intptr_t sys_yield(struct rt_frame *f)
{
	(void)f;
	proc_yield();
	return 0;
}

static intptr_t sys_sleep(struct rt_frame *f)
{
	proc_sleep(syscall_arg(f, 0));
	return 0;
}

static intptr_t sys_fork(struct rt_frame *f)
{
	(void)f;
	return proc_fork();
}

static intptr_t sys_exit(struct rt_frame *f)
{
	proc_exit((int)syscall_arg(f, 0));
}

/* wait(&status): status may be 0; a bad pointer fails before waiting. */
static intptr_t sys_wait(struct rt_frame *f)
{
	uintptr_t where = syscall_arg(f, 0);
	int status = 0, pid;

	if (where && !copy_user(&status, where, sizeof(status), true))
		return SYS_ERROR;
	pid = proc_wait(&status);
	if (pid > 0 && where)
		copy_user(&status, where, sizeof(status), true);
	return pid;
}

/* sbrk(n): move the break up by n bytes and return the old one.  No page
 * is mapped: the page fault handler does it on the first touch.  The
 * heap only grows. */
static intptr_t sys_sbrk(struct rt_frame *f)
{
	struct proc *p = proc_current();
	uintptr_t old = p->brk, n = syscall_arg(f, 0);

	if (n > USER_HEAP_BASE + USER_HEAP_MAX - old)
		return SYS_ERROR;
	p->brk = old + n;
	return (intptr_t)old;
}

/* exec(name): on success the frame now starts the new program. */
static intptr_t sys_exec(struct rt_frame *f)
{
	char name[PROG_NAME_MAX];

	if (!copy_string_from_user(name, syscall_arg(f, 0), sizeof(name)))
		return SYS_ERROR;
	return proc_exec(name);
}

/* ------------------------------------------------------------ files */

/* fsinfo(&info): the numbers are copied out whole, or not at all. */
static intptr_t sys_fsinfo(struct rt_frame *f)
{
	struct toyfs_info info;

	if (!fs_info(&info) ||
	    !copy_user(&info, syscall_arg(f, 0), sizeof(info), true))
		return SYS_ERROR;
	return 0;
}

/* flist(n, &dirent): 0, or -1 past the last file (or a bad pointer). */
static intptr_t sys_flist(struct rt_frame *f)
{
	struct toyfs_dirent e;

	if (!fs_entry((unsigned)syscall_arg(f, 0), &e) ||
	    !copy_user(&e, syscall_arg(f, 1), sizeof(e), true))
		return SYS_ERROR;
	return 0;
}

/* fread(name, buf, len): the file into the kernel's buffer, then as much
 * of it as fits into the caller's; a bad buf fails after the disk read,
 * but only ever the caller's pages are written. */
static intptr_t sys_fread(struct rt_frame *f)
{
	char name[TOYFS_NAME_MAX];
	uintptr_t want = syscall_arg(f, 2);
	int size;

	if (!copy_string_from_user(name, syscall_arg(f, 0), sizeof(name)))
		return SYS_ERROR;
	size = fs_read(name);
	if (size < 0)
		return SYS_ERROR;
	if (want > (uintptr_t)size)
		want = (uintptr_t)size;
	if (!copy_user(fs_buf, syscall_arg(f, 1), want, true))
		return SYS_ERROR;
	return (intptr_t)want;
}

/* fwrite(name, buf, len): the whole of buf is copied in before anything
 * goes to the disk, so a bad pointer leaves the file as it was. */
static intptr_t sys_fwrite(struct rt_frame *f)
{
	char name[TOYFS_NAME_MAX];
	uintptr_t len = syscall_arg(f, 2);

	if (!copy_string_from_user(name, syscall_arg(f, 0), sizeof(name)) ||
	    len > TOYFS_FILE_MAX ||
	    !copy_user(fs_buf, syscall_arg(f, 1), len, false))
		return SYS_ERROR;
	return fs_write(name, (uint32_t)len);
}

static intptr_t sys_fsync(struct rt_frame *f)
{
	(void)f;
	return fs_sync() ? 0 : SYS_ERROR;
}

typedef intptr_t syscall_fn(struct rt_frame *f);

static syscall_fn *const syscalls[SYS_NCALLS] = {
	[SYS_WRITE] = sys_write, [SYS_GETPID] = sys_getpid,
	[SYS_YIELD] = sys_yield, [SYS_SLEEP] = sys_sleep,
	[SYS_FORK] = sys_fork,   [SYS_EXIT] = sys_exit,
	[SYS_WAIT] = sys_wait,   [SYS_SBRK] = sys_sbrk,
	[SYS_EXEC] = sys_exec,
	[SYS_FSINFO] = sys_fsinfo, [SYS_FLIST] = sys_flist,
	[SYS_FREAD] = sys_fread, [SYS_FWRITE] = sys_fwrite,
	[SYS_FSYNC] = sys_fsync,
};

/* Call the system call the frame names; its result goes into the frame. */
void syscall_dispatch(struct rt_frame *f)
{
	uintptr_t n = syscall_nr(f);

	if (n < SYS_NCALLS && syscalls[n])
		syscall_set_result(f, (uintptr_t)syscalls[n](f));
	else
		syscall_set_result(f, (uintptr_t)(intptr_t)SYS_ERROR);
}
