/*
 * guests/toyos/user.h - what a toyos user program can call: the system
 * calls (user_lib.c turns each into a system call instruction) and a printf
 * on top of write.
 *
 * User code lives in the .user pages (guest.ld) and runs at CPL 3: it may
 * call only what is in user_*.c, never the kernel or the runtime.  It must
 * keep its state in locals or on the heap - a writable global would be
 * shared by every process, and the link refuses it.
 */
#ifndef GUESTS_TOYOS_USER_H
#define GUESTS_TOYOS_USER_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "sysnum.h"
#include "toyfs.h"

#define UPAGE_SIZE 4096

#define KERNEL_IMAGE 0x100000UL /* BOOT_IMAGE_BASE: supervisor-only */
/* An address nothing maps: on x86-64 outside the kernel's 4 GiB and the
 * user's slot; on i386, whose kernel maps every address outside the user
 * range, a hole in the user range between the heap's limit and the stack
 * (arch_i386.h). */
#if defined(__x86_64__)
#define WILD_ADDRESS 0xdeadbeef000UL
#else
#define WILD_ADDRESS 0xbeef0000UL
#endif

/* The system calls (sysnum.h has what each one does). */
long write(const void *buf, size_t len);
int getpid(void);
void yield(void);
void sleep(unsigned long ticks);
int fork(void);
void exit(int status) __attribute__((noreturn));
int wait(int *status);
void *sbrk(long bytes);
int exec(const char *name);
int fsinfo(struct toyfs_info *info);
int flist(unsigned n, struct toyfs_dirent *out);
long fread(const char *name, void *buf, size_t len);
long fwrite(const char *name, const void *buf, size_t len);
int fsync(void);

/* Format into one write: %d %u %x %s %c %%, with the l modifier; at most
 * WRITE_MAX bytes.  Returns what write returned. */
long printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif /* GUESTS_TOYOS_USER_H */
