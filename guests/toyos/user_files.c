/*
 * guests/toyos/user_files.c - files: a process reads and writes toyfs
 * (toyfs.h) through the file system calls, the same program whatever the
 * disk under it (virtio-blk, IDE by PIO or by DMA: disk.c).
 *
 * The disk is tests/guests/toyfs.sh's image, which holds two files made
 * on the host, "readme" and "pattern".  files lists the directory, reads
 * both, writes a new file, flushes and reads it back, rewrites one file
 * bigger (it moves to fresh sectors) and one smaller (it stays), lets a
 * child process write a file of its own, and then makes the calls a
 * kernel must refuse: a missing file, a name too long, a file too big,
 * and pointers that are not the caller's to give (the kernel's pages, an
 * unmapped address, memory past the heap's break).  Every one of them
 * must fail with -1 and change nothing; the last listing shows it.
 * toyfs.sh checks the image afterwards, sector for sector.
 */
#include "user.h"

#define NOTES_LINES 30  /* "notes": toyfs.sh's notes_text */
#define NOTES_SHORT 440 /* its first 10 lines, written over it at the end */
#define README_LINES 16 /* the new "readme": toyfs.sh's readme2_text */
#define PATTERN_SIZE 2000

/* ------------------------------------------------------------ text */

/* dst + n, where the bytes of s now end (no NUL). */
static unsigned put_str(char *dst, unsigned n, const char *s)
{
	while (*s)
		dst[n++] = *s++;
	return n;
}

/* Two decimal digits of v (0-99). */
static unsigned put_2dig(char *dst, unsigned n, unsigned v)
{
	dst[n++] = (char)('0' + v / 10);
	dst[n++] = (char)('0' + v % 10);
	return n;
}

/* count lines "HEAD NN TAIL" for NN = 00 up, into p; their length. */
static unsigned lines_text(char *p, unsigned count, const char *head,
			   const char *tail)
{
	unsigned n = 0;

	for (unsigned i = 0; i < count; i++) {
		n = put_str(p, n, head);
		n = put_2dig(p, n, i);
		n = put_str(p, n, tail);
	}
	return n;
}

/* "notes": "toyfs line NN: the same bytes on every disk\n" */
static unsigned notes_text(char *p)
{
	return lines_text(p, NOTES_LINES, "toyfs line ",
			  ": the same bytes on every disk\n");
}

/* The new "readme": "readme line NN, rewritten by files\n" */
static unsigned readme2_text(char *p)
{
	return lines_text(p, README_LINES, "readme line ",
			  ", rewritten by files\n");
}

static int same(const char *a, const char *b, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (a[i] != b[i])
			return 0;
	return 1;
}

/* ------------------------------------------------------------ steps */

static void show_fs(void)
{
	struct toyfs_info info;
	struct toyfs_dirent e;

	if (fsinfo(&info) < 0) {
		printf("files: fsinfo failed\n");
		return;
	}
	printf("files: toyfs of %u sectors, %u used, %u of %u entries in "
	       "use:\n", info.sectors, info.next_free, info.files,
	       info.entries);
	for (unsigned i = 0; flist(i, &e) == 0; i++)
		printf("files:   %s: %u bytes, sectors %u-%u\n", e.name, e.size,
		       e.start, e.start + e.sectors - 1);
}

/* The host's two files. */
static void read_host_files(char *buf)
{
	long n = fread("readme", buf, TOYFS_FILE_MAX);
	unsigned bad = 0;

	if (n > 0 && n < 200) {
		buf[n] = 0;
		printf("files: readme, %ld bytes: %s", n, buf);
	} else {
		printf("files: fread(readme) returned %ld\n", n);
	}
	n = fread("pattern", buf, TOYFS_FILE_MAX);
	for (long i = 0; i < n; i++)
		bad += (unsigned char)buf[i] != i % 251;
	printf("files: pattern, %ld bytes, %u of them not i %% 251\n", n, bad);
}

/* Write name with n bytes of text, flush, read it back into back. */
static void write_back(const char *name, const char *text, unsigned n,
		       char *back)
{
	long w = fwrite(name, text, n);
	int s = fsync();
	long r = fread(name, back, TOYFS_FILE_MAX);

	printf("files: fwrite(%s, %u bytes) = %ld, fsync = %d, fread = %ld, "
	       "%s\n", name, n, w, s, r,
	       r == (long)n && same(text, back, n) ? "the same bytes" : "DIFFERENT");
}

/* A child writes a file of its own; the parent reads it once it ended. */
static void child_file(char *buf)
{
	int pid = fork(), status = 0;
	long r;

	if (pid == 0) {
		unsigned n = put_str(buf, 0, "written by process ");

		buf[n++] = (char)('0' + getpid());
		buf[n++] = '\n';
		exit(fwrite("child", buf, n) == (long)n && fsync() == 0 ? 0 : 1);
	}
	wait(&status);
	r = fread("child", buf, 100);
	if (r > 0) {
		buf[r] = 0;
		printf("files: child %d exited with %d; its file: %s", pid,
		       status, buf);
	} else {
		printf("files: child %d exited with %d; fread = %ld\n", pid,
		       status, r);
	}
}

/* What the kernel must refuse, each with -1. */
static void refusals(char *buf, char *heap_end)
{
	const char *kernel = (const char *)KERNEL_IMAGE;
	char *wild = (char *)WILD_ADDRESS;

	printf("files: fread of a missing file: %ld\n",
	       fread("nosuch", buf, 10));
	printf("files: fwrite of a name too long: %ld\n",
	       fwrite("a-name-of-twenty-bytes", buf, 10));
	printf("files: fwrite of %d bytes: %ld\n", TOYFS_FILE_MAX + 1,
	       fwrite("big", buf, TOYFS_FILE_MAX + 1));
	printf("files: fread into the kernel: %ld\n",
	       fread("readme", (void *)kernel, 100));
	printf("files: fwrite from the kernel: %ld\n",
	       fwrite("readme", kernel, 16));
	printf("files: fwrite from an unmapped address: %ld\n",
	       fwrite("wild", wild, 16));
	printf("files: fread with a kernel name: %ld\n",
	       fread(kernel, buf, 10));
	printf("files: fread across the heap's break: %ld\n",
	       fread("notes", heap_end - 100, NOTES_SHORT));
	printf("files: fsinfo into the kernel: %d, flist to an unmapped "
	       "address: %d\n", fsinfo((void *)kernel), flist(0, (void *)wild));
}

int prog_files(void)
{
	char *buf = sbrk(3 * TOYFS_FILE_MAX);
	char *text = buf + TOYFS_FILE_MAX, *back = text + TOYFS_FILE_MAX;
	unsigned n;

	printf("files: process %d\n", getpid());
	show_fs();
	read_host_files(buf);
	n = notes_text(text);
	write_back("notes", text, n, back);
	write_back("readme", back, readme2_text(back), buf);
	child_file(buf);
	write_back("notes", text, NOTES_SHORT, back);
	refusals(buf, back + TOYFS_FILE_MAX);
	show_fs();
	return 0;
}
