/*
 * guests/toyos/user_lib.c - the user side of the system calls, and printf.
 *
 * Linked into the .user pages with the programs (guest.ld), so it runs at
 * CPL 3 and can reach the kernel only through the system call instruction:
 * `syscall` on x86-64, `int $0x80` on i386.
 */
#include "user.h"

#if defined(__x86_64__)
/*
 * The system call instruction: number in RAX, arguments in RDI, RSI and
 * RDX, result in RAX.  The CPU itself overwrites RCX (the return RIP) and
 * R11 (the RFLAGS), so they are clobbered.
 */
static long syscall3(long n, long a, long b, long c)
{
	long ret;

	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(n), "D"(a), "S"(b), "d"(c)
			 : "rcx", "r11", "memory");
	return ret;
}
#else
/*
 * The system call gate: number in EAX, arguments in EBX, ECX and EDX,
 * result in EAX; the kernel's iret gives every other register back.
 */
static long syscall3(long n, long a, long b, long c)
{
	long ret;

	__asm__ volatile("int %1"
			 : "=a"(ret)
			 : "i"(SYSCALL_VECTOR), "a"(n), "b"(a), "c"(b), "d"(c)
			 : "memory");
	return ret;
}
#endif

long write(const void *buf, size_t len)
{
	return syscall3(SYS_WRITE, (long)buf, (long)len, 0);
}

int getpid(void)
{
	return (int)syscall3(SYS_GETPID, 0, 0, 0);
}

void yield(void)
{
	syscall3(SYS_YIELD, 0, 0, 0);
}

void sleep(unsigned long ticks)
{
	syscall3(SYS_SLEEP, (long)ticks, 0, 0);
}

int fork(void)
{
	return (int)syscall3(SYS_FORK, 0, 0, 0);
}

void exit(int status)
{
	syscall3(SYS_EXIT, status, 0, 0);
	for (;;) /* not reached: the kernel does not return from exit */
		;
}

int wait(int *status)
{
	return (int)syscall3(SYS_WAIT, (long)status, 0, 0);
}

void *sbrk(long bytes)
{
	return (void *)syscall3(SYS_SBRK, bytes, 0, 0);
}

int exec(const char *name)
{
	return (int)syscall3(SYS_EXEC, (long)name, 0, 0);
}

int fsinfo(struct toyfs_info *info)
{
	return (int)syscall3(SYS_FSINFO, (long)info, 0, 0);
}

int flist(unsigned n, struct toyfs_dirent *out)
{
	return (int)syscall3(SYS_FLIST, (long)n, (long)out, 0);
}

long fread(const char *name, void *buf, size_t len)
{
	return syscall3(SYS_FREAD, (long)name, (long)buf, (long)len);
}

long fwrite(const char *name, const void *buf, size_t len)
{
	return syscall3(SYS_FWRITE, (long)name, (long)buf, (long)len);
}

int fsync(void)
{
	return (int)syscall3(SYS_FSYNC, 0, 0, 0);
}

/* Every program starts here (the kernel's exec points the instruction
 * pointer at it, with the program's main as its argument): what main
 * returns is the exit status. */
void ustart(int (*main)(void))
{
	exit(main());
}

/* ------------------------------------------------------------ printf */

/* A buffer being filled, never past its end. */
struct out {
	char *buf;
	size_t len, max;
};

static void put(struct out *o, char c)
{
	if (o->len < o->max)
		o->buf[o->len++] = c;
}

static void put_str(struct out *o, const char *s)
{
	while (*s)
		put(o, *s++);
}

/* v in base 10 or 16, negative when neg. */
static void put_num(struct out *o, unsigned long v, unsigned base, int neg)
{
	char digits[24];
	int n = 0;

	do {
		digits[n++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	if (neg)
		put(o, '-');
	while (n)
		put(o, digits[--n]);
}

/* One conversion after '%' (and an optional 'l'). */
static void put_conv(struct out *o, char conv, int is_long, va_list *ap)
{
	long sv;
	unsigned long uv;

	switch (conv) {
	case 'd':
		sv = is_long ? va_arg(*ap, long) : va_arg(*ap, int);
		put_num(o, sv < 0 ? -(unsigned long)sv : (unsigned long)sv, 10,
			sv < 0);
		break;
	case 'u':
	case 'x':
		uv = is_long ? va_arg(*ap, unsigned long)
			     : va_arg(*ap, unsigned int);
		put_num(o, uv, conv == 'x' ? 16 : 10, 0);
		break;
	case 's':
		put_str(o, va_arg(*ap, const char *));
		break;
	case 'c':
		put(o, (char)va_arg(*ap, int));
		break;
	case '%':
		put(o, '%');
		break;
	default:
		put(o, '%');
		put(o, conv);
	}
}

long printf(const char *fmt, ...)
{
	char buf[WRITE_MAX];
	struct out o = { buf, 0, sizeof(buf) };
	va_list ap;

	va_start(ap, fmt);
	for (; *fmt; fmt++) {
		int is_long = 0;

		if (*fmt != '%') {
			put(&o, *fmt);
			continue;
		}
		if (*++fmt == 'l') {
			is_long = 1;
			fmt++;
		}
		if (!*fmt)
			break;
		put_conv(&o, *fmt, is_long, &ap);
	}
	va_end(ap);
	return write(buf, o.len);
}
