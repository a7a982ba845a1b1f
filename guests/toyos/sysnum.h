/*
 * guests/toyos/sysnum.h - the system call interface of toyos, shared by
 * the kernel (syscall.c) and the user library (user_lib.c).
 *
 * On x86-64 a user program puts the call's number in RAX and its
 * arguments in RDI, RSI and RDX, and executes `syscall`; the result comes
 * back in RAX, and RCX and R11 are lost (the CPU keeps the return RIP and
 * RFLAGS there).  On i386 the number goes in EAX and the arguments in
 * EBX, ECX and EDX, and the instruction is `int $0x80` (SYSCALL_VECTOR);
 * the result comes back in EAX and every other register is kept.
 * A negative result is an error.
 */
#ifndef GUESTS_TOYOS_SYSNUM_H
#define GUESTS_TOYOS_SYSNUM_H

#define SYS_WRITE 1  /* write(buf, len): to the console; bytes written */
#define SYS_GETPID 2 /* getpid(): the caller's process id */
#define SYS_YIELD 3  /* yield(): let the next runnable process run */
#define SYS_SLEEP 4  /* sleep(ticks): wait that many timer ticks */
#define SYS_FORK 5   /* fork(): the child's pid to the parent, 0 to it */
#define SYS_EXIT 6   /* exit(status): never returns */
#define SYS_WAIT 7   /* wait(&status): a child's pid once it has ended */
#define SYS_SBRK 8   /* sbrk(bytes): grow the heap; the old break */
#define SYS_EXEC 9   /* exec(name): run a built-in program instead */
#define SYS_FSINFO 10 /* fsinfo(&info): the file system's numbers */
#define SYS_FLIST 11  /* flist(n, &dirent): the n-th file of the directory */
#define SYS_FREAD 12  /* fread(name, buf, len): a file from its start; its
		       * bytes copied (at most len), or -1 */
#define SYS_FWRITE 13 /* fwrite(name, buf, len): a file's new contents,
		       * created if need be; len, or -1 */
#define SYS_FSYNC 14  /* fsync(): what was written is on stable storage */
#define SYS_NCALLS 15

#define SYSCALL_VECTOR 0x80 /* i386: the int $0x80 gate, DPL 3 */

#define SYS_ERROR (-1)      /* every failing call returns this */
#define EXIT_KILLED (-1)    /* wait's status for a process the kernel killed */
#define WRITE_MAX 256       /* the most one write may send */
#define PROG_NAME_MAX 16    /* a program's name, NUL included */

#endif /* GUESTS_TOYOS_SYSNUM_H */
