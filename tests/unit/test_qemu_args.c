/*
 * tests/unit/test_qemu_args.c - trapvisor-qemu's translation of QEMU's
 * command line into struct vm_options (monitor/qemu_args.c): what each
 * accepted spelling becomes, and that every refusal is one line on stderr
 * and status 2 (the parser exits, so a refusal runs in a child process).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "monitor/qemu_args.h"

#define MAX_ARGS 32

/* Parse the NULL-terminated words after the program name into *opt. */
static void parse(struct vm_options *opt, const char *first, ...)
{
	char *argv[MAX_ARGS] = { "trapvisor-qemu" };
	int argc = 1;
	va_list ap;

	va_start(ap, first);
	for (const char *a = first; a; a = va_arg(ap, const char *)) {
		assert_true(argc < MAX_ARGS - 1);
		argv[argc++] = (char *)a;
	}
	va_end(ap);
	qemu_args_parse(argc, argv, opt);
}

static void test_name(void **state)
{
	(void)state;
	assert_true(qemu_args_wanted("trapvisor-qemu"));
	assert_true(qemu_args_wanted("build/trapvisor-qemu"));
	assert_false(qemu_args_wanted("build/trapvisor"));
	assert_false(qemu_args_wanted("trapvisor-qemu-x"));
	assert_false(qemu_args_wanted("/x/trapvisor-qemu/trapvisor"));
}

/* No -accel: QEMU's defaults, TCG and 128 MiB. */
static void test_defaults(void **state)
{
	struct vm_options o;

	(void)state;
	parse(&o, "-kernel", "k.elf", NULL);
	assert_string_equal(o.image, "k.elf");
	assert_string_equal(o.engine, "softcpu");
	assert_int_equal(o.isa, ISA_STRICT);
	assert_int_equal(o.mem_mib, 128);
	assert_true(o.qemu_exit);
	assert_string_equal(o.cmdline, "");
	assert_null(o.disk[0].path);
	free((char *)o.cmdline);
}

static void test_harness_line(void **state)
{
	struct vm_options o;

	(void)state;
	parse(&o, "-accel", "tcg", "-cpu", "qemu64", "-m", "64", "-display",
	      "none", "-serial", "stdio", "-monitor", "none", "-no-reboot",
	      "-device", "isa-debug-exit,iobase=0xf4,iosize=0x4",
	      "-kernel", "g.elf", "-append", "one two", NULL);
	assert_string_equal(o.engine, "softcpu");
	assert_int_equal(o.isa, ISA_STRICT);
	assert_int_equal(o.mem_mib, 64);
	assert_string_equal(o.image, "g.elf");
	assert_string_equal(o.cmdline, "one two");
	free((char *)o.cmdline);
}

/* -initrd: items split at commas, ",," a comma; the last -initrd counts. */
static void test_initrd(void **state)
{
	struct vm_options o;
	char first[] = "m0.bin a=1 b,,c,m1.bin,m2 x";
	char second[] = "only.bin";

	(void)state;
	parse(&o, "-kernel", "k", "-initrd", first, NULL);
	assert_int_equal(o.ninitrd, 3);
	assert_string_equal(o.initrd[0], "m0.bin a=1 b,c");
	assert_string_equal(o.initrd[1], "m1.bin");
	assert_string_equal(o.initrd[2], "m2 x");
	free((char *)o.cmdline);
	strcpy(first, "a,b");
	parse(&o, "-initrd", first, "-kernel", "k", "-initrd", second, NULL);
	assert_int_equal(o.ninitrd, 1);
	assert_string_equal(o.initrd[0], "only.bin");
	free((char *)o.cmdline);
}

static void test_kvm(void **state)
{
	struct vm_options o;

	(void)state;
	parse(&o, "-machine", "accel=kvm", "-kernel", "k", NULL);
	assert_string_equal(o.engine, "kvm");
	assert_int_equal(o.isa, ISA_X86);
	free((char *)o.cmdline);
	parse(&o, "--enable-kvm", "--kernel", "k", "-accel", "tcg", NULL);
	assert_string_equal(o.engine, "softcpu");   /* the last one counts */
	assert_int_equal(o.isa, ISA_STRICT);
	free((char *)o.cmdline);
}

static void test_memory_sizes(void **state)
{
	static const struct { const char *m; uint64_t mib; } t[] = {
		{ "2", 2 }, { "64M", 64 }, { "64m", 64 }, { "1G", 1024 },
		{ "4g", 4096 }, { "size=256M", 256 }, { "size=4096", 4096 },
		{ "5G", 5120 }, { "3584", 3584 }, { "511G", 523264 },
		{ "523264M", 523264 },
	};
	struct vm_options o;

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		parse(&o, "-m", t[i].m, "-kernel", "k", NULL);
		assert_int_equal(o.mem_mib, t[i].mib);
		free((char *)o.cmdline);
	}
}

static void test_disks(void **state)
{
	struct vm_options o;

	(void)state;
	/* -drive values are cut short in place: writable copies */
	char d1[] = "index=1,file=b.img,media=disk,format=raw,if=ide,readonly=on";
	char d2[] = "file=a.img";

	parse(&o, "-drive", d1, "-drive", d2, "-kernel", "k", NULL);
	assert_string_equal(o.disk[0].path, "a.img");
	assert_false(o.disk[0].read_only);
	assert_string_equal(o.disk[1].path, "b.img");
	assert_true(o.disk[1].read_only);
	free((char *)o.cmdline);
	parse(&o, "-hdb", "y.img", "-hda", "x.img", "-kernel", "k", NULL);
	assert_string_equal(o.disk[0].path, "x.img");
	assert_string_equal(o.disk[1].path, "y.img");
	assert_null(o.vdisk.path);
	free((char *)o.cmdline);
	/* the virtio card, its -device before or after its -drive */
	char v1[] = "virtio-blk-pci,drive=vd,disable-legacy=on,vectors=0,"
		    "serial=sn1";
	char v2[] = "file=v.img,format=raw,if=none,id=vd,readonly=on";
	parse(&o, "-device", v1, "-drive", v2, "-kernel", "k", NULL);
	assert_string_equal(o.vdisk.path, "v.img");
	assert_true(o.vdisk.read_only);
	assert_string_equal(o.vdisk.serial, "sn1");
	assert_null(o.disk[0].path);
	free((char *)o.cmdline);
}

/*
 * Run the parser on argv in a child: it must exit with status 2 after
 * exactly one line on stderr that begins "trapvisor-qemu: " and names
 * the option (word).
 */
static void refused(const char *word, char *const argv[])
{
	int fd[2], status, argc = 0;
	char buf[512] = "";

	while (argv[argc])
		argc++;
	assert_int_equal(pipe(fd), 0);
	fflush(NULL);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct vm_options o;
		dup2(fd[1], STDERR_FILENO);
		dup2(fd[1], STDOUT_FILENO);
		qemu_args_parse(argc, (char **)argv, &o);
		_exit(0);
	}
	close(fd[1]);
	size_t n = 0;
	ssize_t r;
	while (n < sizeof(buf) - 1 &&
	       (r = read(fd[0], buf + n, sizeof(buf) - 1 - n)) > 0)
		n += (size_t)r;
	buf[n] = '\0';
	close(fd[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 2 ||
	    strncmp(buf, "trapvisor-qemu: ", 16) != 0 || !strstr(buf, word) ||
	    strchr(buf, '\n') != buf + n - 1)
		fail_msg("%s: status %#x, output '%s'", word, status, buf);
}

#define REFUSED(word, ...) \
	refused(word, (char *const[]){ "trapvisor-qemu", __VA_ARGS__, NULL })

/* -s, -S and -gdb: QEMU's gdb stub options, trapvisor's --gdb. */
static void test_gdb(void **state)
{
	struct vm_options o;

	(void)state;
	parse(&o, "-kernel", "k", NULL);
	assert_null(o.gdb);
	free((char *)o.cmdline);
	parse(&o, "-s", "-kernel", "k", NULL);
	assert_string_equal(o.gdb, "localhost:1234");
	assert_true(o.gdb_nowait); /* QEMU runs at once without -S */
	free((char *)o.cmdline);
	parse(&o, "-kernel", "k", "-S", "-s", NULL);
	assert_string_equal(o.gdb, "localhost:1234");
	assert_false(o.gdb_nowait);
	free((char *)o.cmdline);
	parse(&o, "-gdb", "tcp::4321", "-S", "-kernel", "k", NULL);
	assert_string_equal(o.gdb, "4321");
	assert_false(o.gdb_nowait);
	free((char *)o.cmdline);
	parse(&o, "-gdb", "tcp:127.0.0.1:0", "-kernel", "k", NULL);
	assert_string_equal(o.gdb, "127.0.0.1:0");
	assert_true(o.gdb_nowait);
	free((char *)o.cmdline);
}

static void test_refusals(void **state)
{
	(void)state;
	REFUSED("-m 0", "-m", "0", "-kernel", "k");
	REFUSED("-m 1", "-m", "1", "-kernel", "k");
	REFUSED("-m 523265", "-m", "523265", "-kernel", "k");
	REFUSED("-m 512G", "-m", "512G", "-kernel", "k");
	REFUSED("-m 64K", "-m", "64K", "-kernel", "k");
	REFUSED("-m size=64M,slots=2", "-m", "size=64M,slots=2", "-kernel", "k");
	REFUSED("-smp 2", "-smp", "2", "-kernel", "k");
	REFUSED("-accel hax", "-accel", "hax", "-kernel", "k");
	REFUSED("-machine q35", "-machine", "q35", "-kernel", "k");
	REFUSED("-drive file=a,index=2", "-drive", "file=a,index=2", "-kernel", "k");
	REFUSED("-drive index=0", "-drive", "index=0", "-kernel", "k");
	REFUSED("-drive file=a,media=cdrom", "-drive", "file=a,media=cdrom", "-kernel", "k");
	REFUSED("-hda b", "-hda", "a", "-hda", "b", "-kernel", "k");
	char vd1[] = "file=a,if=virtio", vd2[] = "file=a,if=none",
	     vd3[] = "file=a,if=none,id=x", vd4[] = "file=a,if=none,id=x",
	     vd5[] = "virtio-blk-pci,drive=x", vd6[] = "file=a,id=x",
	     vd7[] = "virtio-blk-pci,drive=y,disable-legacy=on,vectors=0",
	     vd8[] = "virtio-blk-pci,drive=x,disable-legacy=on,vectors=2";
	REFUSED("if=virtio makes QEMU's transitional card", "-drive", vd1,
		"-kernel", "k");
	REFUSED("if=none takes id=ID", "-drive", vd2, "-kernel", "k");
	REFUSED("needs a -device virtio-blk-pci", "-drive", vd3, "-kernel",
		"k");
	REFUSED("needs drive=ID, disable-legacy=on and vectors=0", "-drive",
		vd4, "-device", vd5, "-kernel", "k");
	REFUSED("id= is for if=none", "-drive", vd6, "-kernel", "k");
	REFUSED("no -drive if=none with that id", "-drive", vd3, "-device", vd7,
		"-kernel", "k");
	REFUSED("virtio-blk-pci takes drive=ID", "-drive", vd4, "-device", vd8,
		"-kernel", "k");
	REFUSED("-drive file=c", "-hda", "a", "-hdb", "b", "-drive", "file=c", "-kernel", "k");
	REFUSED("-serial stdio", "-serial", "stdio", "-serial", "stdio", "-kernel", "k");
	REFUSED("-device isa-debug-exit,iobase=0xf4,iosize=3",
		"-device", "isa-debug-exit,iobase=0xf4,iosize=3", "-kernel", "k");
	REFUSED("-device isa-debug-exit,iobase=0xf4x",
		"-device", "isa-debug-exit,iobase=0xf4x", "-kernel", "k");
	REFUSED("-display gtk", "-display", "gtk", "-kernel", "k");
	REFUSED("-monitor stdio", "-monitor", "stdio", "-kernel", "k");
	REFUSED("-S: needs -s or -gdb", "-S", "-kernel", "k");
	REFUSED("-gdb unix:/g: only tcp", "-gdb", "unix:/g", "-kernel", "k");
	REFUSED("-gdb tcp:1234: only tcp", "-gdb", "tcp:1234", "-kernel", "k");
	REFUSED("-gdb tcp::65536: give a port", "-gdb", "tcp::65536",
		"-kernel", "k");
	REFUSED("-gdb tcp::: give a port", "-gdb", "tcp::", "-kernel", "k");
	REFUSED("-append: needs a value", "-kernel", "k", "-append");
	REFUSED("disk.img", "disk.img");
	REFUSED("-kernel FILE", "-m", "64");
	/* the parser cuts -initrd's value in place: writable copies */
	char trailing[] = "a,", empty[] = "", spaced[] = " a";
	char many[2 * (VM_MAX_INITRD + 1)]; /* "m,m,...,m": 33 items */
	for (int i = 0; i <= VM_MAX_INITRD; i++)
		memcpy(many + 2 * i, "m,", 2);
	many[sizeof(many) - 1] = '\0';
	REFUSED("-initrd: every module needs a file name", "-kernel", "k",
		"-initrd", trailing);
	REFUSED("-initrd: every module needs a file name", "-kernel", "k",
		"-initrd", empty);
	REFUSED("-initrd: every module needs a file name", "-kernel", "k",
		"-initrd", spaced);
	REFUSED("-initrd: more modules than the 32", "-kernel", "k",
		"-initrd", many);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_name),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_harness_line),
		cmocka_unit_test(test_initrd),
		cmocka_unit_test(test_kvm),
		cmocka_unit_test(test_memory_sizes),
		cmocka_unit_test(test_disks),
		cmocka_unit_test(test_gdb),
		cmocka_unit_test(test_refusals),
	};
	return cmocka_run_group_tests_name("qemu_args", tests, NULL, NULL);
}
