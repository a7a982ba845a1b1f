/*
 * monitor/qemu_args.c - trapvisor-qemu: the subset of qemu-system-x86_64's
 * command line that course Makefiles and test harnesses use, translated
 * into trapvisor's own options (struct vm_options).
 *
 * The same binary runs under both names (the Makefile links
 * build/trapvisor-qemu to build/trapvisor); main() asks qemu_args_wanted()
 * which command line to read.  Everything here is translation: once *opt
 * is filled, the machine is built and run exactly as for trapvisor.
 *
 * Choices a reader should know:
 *   -accel tcg (QEMU's default)  -> --engine=softcpu --isa=strict: TCG
 *        emulates every instruction, so a sensitive-unprivileged one
 *        (pushf, sgdt, smsw, mov from a segment register) sees the
 *        virtual machine; trapvisor's strict mode is the one that gives
 *        the same answers (pgcheck then prints what it prints on QEMU).
 *   -accel kvm                   -> --engine=kvm --isa=x86: the CPU in
 *        guest mode decides what traps.
 *   isa-debug-exit               the value v written to port 0xf4 gives
 *        status ((v << 1) | 1) & 0xff, as QEMU (vm_options.qemu_exit).
 *        trapvisor's own statuses stay: 125 for a guest stopped for
 *        misbehaving (also a triple fault under -no-reboot, where QEMU
 *        exits 0), 130 after Ctrl-C, 1 for an unusable image or disk.
 *   -cpu NAME is accepted and ignored: the CPUID the guest sees is
 *        trapvisor's own on every engine (interp/cpuid.c).
 *   port 0xf4 and COM1 on standard output always exist in trapvisor, so
 *        the -device isa-debug-exit and -serial stdio that the harnesses
 *        give are checked (only those forms are accepted), not required.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "monitor/machine.h"
#include "monitor/qemu_args.h"

#define QEMU_NAME "trapvisor-qemu"
#define EXIT_USAGE 2   /* as trapvisor: a bad command line */
#define MEM_MIN_MIB VM_MEM_MIN_MIB
#define MEM_MAX_MIB VM_MEM_MAX_MIB
#define DEBUG_EXIT_IOBASE 0xf4 /* devices/devices.h PORT_ISA_DEBUG_EXIT */

static const char help_text[] =
"usage: trapvisor-qemu [options]\n"
"\n"
"trapvisor under a qemu-system-x86_64 command line: the subset that course\n"
"Makefiles and test harnesses use.  Anything else is refused with one line\n"
"and status 2.  (trapvisor --help describes the machine itself.)\n"
"\n"
"  -kernel FILE        the guest image (ELF64 or a multiboot kernel),\n"
"                      required\n"
"  -append STR         the guest's command line (a multiboot kernel's is\n"
"                      FILE, a space, then STR, as QEMU gives it)\n"
"  -initrd 'F1 ARGS,F2,...'\n"
"                      modules for a multiboot kernel, each string the\n"
"                      whole item (a file name, then its arguments after\n"
"                      a space); ',,' is a comma in an item; the last\n"
"                      -initrd counts\n"
"  -m N[M|G], -m size=N[M|G]\n"
"                      guest RAM, MiB by default, 2 MiB to 511 GiB\n"
"  -smp 1              one vCPU (the only number)\n"
"  -accel tcg|kvm, -machine accel=tcg|kvm, -enable-kvm\n"
"                      tcg (the default): --engine=softcpu --isa=strict,\n"
"                      whose sensitive instructions answer as on TCG;\n"
"                      kvm: --engine=kvm --isa=x86\n"
"  -cpu NAME           accepted and ignored: the guest sees trapvisor's\n"
"                      own CPUID (vendor TrapvisorVMM, interp/cpuid.c)\n"
"                      on softcpu and kvm alike, whatever NAME is\n"
"  -drive file=F[,index=0|1][,media=disk][,format=raw][,if=ide][,readonly=on|off]\n"
"                      a raw disk on the primary IDE channel, slot index\n"
"                      (--disk=F,slot=N); F cannot contain a comma\n"
"  -hda F, -hdb F      the same, slot 0 and slot 1\n"
"  -drive file=F,if=none,id=ID[,format=raw][,readonly=on|off]\n"
"  -device virtio-blk-pci,drive=ID,disable-legacy=on,vectors=0[,serial=S]\n"
"                      a virtio-blk card on F (--disk=F,if=virtio,serial=S):\n"
"                      modern only and without MSI-X, as trapvisor's card\n"
"                      is; -drive if=virtio is refused (QEMU's is\n"
"                      transitional, with MSI-X)\n"
"  -serial stdio|mon:stdio   COM1 (always standard output in trapvisor)\n"
"  -chardev stdio,id=ID,mux=on  -serial chardev:ID\n"
"  -device virtio-serial-pci,disable-legacy=on,vectors=0\n"
"  -device virtconsole,chardev=ID\n"
"                      a virtio console beside COM1, both on standard\n"
"                      output (--console=virtio): modern only, without\n"
"                      MSI-X; after -device virtio-blk-pci when both are\n"
"                      given, so that the cards take QEMU's slots\n"
"  -device isa-debug-exit,iobase=0xf4[,iosize=1|2|4]\n"
"                      the exit port (always present at 0xf4)\n"
"  -display none, -nographic, -nodefaults, -no-reboot, -monitor none,\n"
"  -vnc none           accepted: trapvisor has no display, monitor or\n"
"                      reset (a triple fault stops the guest)\n"
"  -gdb tcp:[HOST]:PORT  a gdb stub on HOST:PORT (HOST: localhost); the\n"
"                      guest runs at once and gdb may attach later\n"
"                      (--gdb-nowait), unless -S\n"
"  -s                  -gdb tcp::1234\n"
"  -S                  with -s or -gdb: wait for gdb before the first\n"
"                      instruction (--gdb); gdb's continue starts it\n"
"  -h, -help, --help   this text;  -version  the version line\n"
"\n"
"Refused with one line: -S without a gdb stub (trapvisor has no monitor\n"
"to start the CPU), a -gdb other than tcp, any other value of the\n"
"options above.\n"
"\n"
"exit status: as QEMU, ((v << 1) | 1) & 0xff for the value v the guest\n"
"writes to isa-debug-exit; trapvisor's own otherwise: 125 guest stopped\n"
"for misbehaving (a triple fault, memory it does not have, a halt nothing\n"
"can end), 130 Ctrl-C, 1 an unusable image or disk, 2 a bad command line,\n"
"123 a bug in the monitor.\n";

/* One line naming what is refused, then status 2. */
static _Noreturn void refuse(const char *opt, const char *val, const char *why)
{
	fprintf(stderr, QEMU_NAME ": %s%s%s: %s\n", opt, val ? " " : "",
		val ? val : "", why);
	exit(EXIT_USAGE);
}

bool qemu_args_wanted(const char *argv0)
{
	const char *base = strrchr(argv0, '/');

	return strcmp(base ? base + 1 : argv0, QEMU_NAME) == 0;
}

/* N[M|G] (MiB without a suffix, as QEMU) -> MiB, or 0 if malformed. */
static uint64_t mem_mib(const char *s)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);

	if (errno || end == s || s[0] == '-')
		return 0;
	if ((*end == 'G' || *end == 'g') && v <= MEM_MAX_MIB / 1024)
		v *= 1024, end++;
	else if (*end == 'M' || *end == 'm')
		end++;
	return *end || v < MEM_MIN_MIB || v > MEM_MAX_MIB ? 0 : v;
}

static void parse_m(const char *s, struct vm_options *opt)
{
	const char *n = strncmp(s, "size=", 5) == 0 ? s + 5 : s;

	opt->mem_mib = mem_mib(n);
	if (!opt->mem_mib)
		refuse("-m", s, "give N, NM or NG (MiB, GiB), 2 MiB to 511 GiB, "
		       "optionally as size=N; nothing else of -m is supported");
}

static void set_accel(const char *opt_name, const char *val,
		      struct vm_options *opt)
{
	if (strcmp(val, "tcg") == 0) {
		opt->engine = "softcpu";
		opt->isa = ISA_STRICT;
	} else if (strcmp(val, "kvm") == 0) {
		opt->engine = "kvm";
		opt->isa = ISA_X86;
	} else {
		refuse(opt_name, val, "the accelerators are tcg and kvm");
	}
}

/* -machine accel=tcg|kvm: the only property supported. */
static void parse_machine(const char *s, struct vm_options *opt)
{
	if (strncmp(s, "accel=", 6) != 0 || strchr(s, ','))
		refuse("-machine", s, "only accel=tcg and accel=kvm are "
		       "supported");
	set_accel("-machine", s + 6, opt);
}

/*
 * The IDE slot for a disk: slot (0 master, 1 slave), or for -1 the first
 * free one.  A refusal names the option as given: optname shown.
 */
static int disk_slot(const char *optname, const char *shown, int slot,
		     const struct vm_options *opt)
{
	for (int i = 0; slot < 0 && i < VM_MAX_DISKS; i++)
		if (!opt->disk[i].path)
			slot = i;
	if (slot < 0)
		refuse(optname, shown, "the primary IDE channel holds two disks "
		       "(index 0 and 1)");
	if (opt->disk[slot].path)
		refuse(optname, shown, "that IDE slot already has a disk");
	return slot;
}

/*
 * The virtio disk: a -drive if=none,id=ID that a -device virtio-blk-pci,
 * drive=ID puts on the bus, in either order (QEMU creates the drives
 * first); matched once the whole command line is read.
 */
static struct {
	char *id;               /* the -drive's id, into argv */
	struct vm_disk disk;    /* its file and readonly */
	const char *want;       /* the -device's drive=, into argv */
	const char *serial;     /* the -device's serial=, into argv */
} vdrive;

/*
 * The virtio console: QEMU's virtio-serial-pci card with a virtconsole
 * port on a stdio chardev that COM1 shares (mux=on); all four pieces,
 * matched once the whole command line is read.
 */
static struct {
	char *chardev;          /* -chardev stdio,id=ID,mux=on's ID */
	const char *serial;     /* -serial chardev:ID's ID */
	bool card;              /* -device virtio-serial-pci,... */
	const char *port;       /* -device virtconsole,chardev=ID's ID */
} vcons;

/* -chardev stdio,id=ID,mux=on, keys in any order; s is cut in place. */
static void parse_chardev(char *s)
{
	char *all = strdup(s), *rest = s, *kv, *id = NULL;
	bool stdio = false, mux = false;

	if (!all) {
		perror(QEMU_NAME ": strdup");
		exit(EXIT_USAGE);
	}
	while ((kv = strsep(&rest, ",")) != NULL) {
		if (strcmp(kv, "stdio") == 0 && !stdio)
			stdio = true;
		else if (strncmp(kv, "id=", 3) == 0 && kv[3] && !id)
			id = kv + 3;
		else if (strcmp(kv, "mux=on") == 0)
			mux = true;
		else
			stdio = false, id = NULL; /* refused below */
	}
	if (!stdio || !id || !mux || vcons.chardev)
		refuse("-chardev", all, "only one stdio,id=ID,mux=on is "
		       "supported (COM1 and the virtio console share it)");
	vcons.chardev = id;
	free(all);
}

/* -device virtio-serial-pci,disable-legacy=on,vectors=0 (s[17] on). */
static void parse_virtio_serial(const char *s)
{
	if (strcmp(s + 17, ",disable-legacy=on,vectors=0") != 0 &&
	    strcmp(s + 17, ",vectors=0,disable-legacy=on") != 0)
		refuse("-device", s, "virtio-serial-pci needs disable-legacy=on "
		       "and vectors=0, nothing else (trapvisor's card is modern "
		       "only, without MSI-X)");
	if (vcons.card)
		refuse("-device", s, "one virtio-serial-pci card only");
	vcons.card = true;
}

/* -device virtconsole,chardev=ID: port 0 of the card. */
static void parse_virtconsole(const char *s)
{
	if (strncmp(s + 11, ",chardev=", 9) != 0 || !s[20] ||
	    strchr(s + 20, ','))
		refuse("-device", s, "virtconsole takes chardev=ID only");
	if (vcons.port)
		refuse("-device", s, "one virtconsole only (port 0)");
	vcons.port = s + 20;
}

/* The console's pieces, once the command line is read. */
static void virtio_console(struct vm_options *opt)
{
	if (!vcons.chardev && !vcons.serial && !vcons.card && !vcons.port)
		return;
	if (!vcons.chardev || !vcons.serial || !vcons.card || !vcons.port ||
	    strcmp(vcons.serial, vcons.chardev) ||
	    strcmp(vcons.port, vcons.chardev))
		refuse("-device", "virtconsole", "the virtio console needs "
		       "-chardev stdio,id=ID,mux=on, -serial chardev:ID, "
		       "-device virtio-serial-pci,disable-legacy=on,vectors=0 "
		       "and -device virtconsole,chardev=ID, one ID");
	opt->vconsole = true;
}

/* One key=value of -drive; *file, *slot, *ro, *none and *id collect the
 * answer. */
static void drive_key(const char *all, char *kv, char **file, int *slot,
		      bool *ro, bool *none, char **id)
{
	char *v = strchr(kv, '=');

	if (!v)
		refuse("-drive", all, "every property is key=value");
	*v++ = '\0';
	if (strcmp(kv, "file") == 0 && *v)
		*file = v;
	else if (strcmp(kv, "index") == 0 && (!strcmp(v, "0") || !strcmp(v, "1")))
		*slot = v[0] - '0';
	else if (strcmp(kv, "if") == 0 && strcmp(v, "ide") == 0)
		;
	else if (strcmp(kv, "if") == 0 && strcmp(v, "none") == 0)
		*none = true;
	else if (strcmp(kv, "id") == 0 && *v)
		*id = v;
	else if (strcmp(kv, "if") == 0 && strcmp(v, "virtio") == 0)
		refuse("-drive", all, "if=virtio makes QEMU's transitional card "
		       "with MSI-X; trapvisor's is modern only, without: give "
		       "if=none,id=ID and -device virtio-blk-pci,drive=ID,"
		       "disable-legacy=on,vectors=0");
	else if (strcmp(kv, "media") == 0 && strcmp(v, "disk") == 0)
		;
	else if (strcmp(kv, "format") == 0 && strcmp(v, "raw") == 0)
		;
	else if (strcmp(kv, "readonly") == 0 &&
		 (!strcmp(v, "on") || !strcmp(v, "off")))
		*ro = strcmp(v, "on") == 0;
	else
		refuse("-drive", all, "supported: file=F, index=0|1, "
		       "if=ide|none, id=ID, media=disk, format=raw, "
		       "readonly=on|off");
}

/*
 * -drive file=F,...: a raw image on the primary IDE channel.  The
 * properties are read from a copy, cut up in place, so that a refusal can
 * still show s whole; once all is well, F is cut out of s itself (like
 * every string in *opt, the disk's path points into argv).
 */
static void parse_drive(char *s, struct vm_options *opt)
{
	char *copy = strdup(s), *rest = copy, *kv, *file = NULL, *id = NULL;
	int slot = -1;
	bool ro = false, none = false;

	if (!copy) {
		perror(QEMU_NAME ": strdup");
		exit(EXIT_USAGE);
	}
	while ((kv = strsep(&rest, ",")) != NULL)
		drive_key(s, kv, &file, &slot, &ro, &none, &id);
	if (!file)
		refuse("-drive", s, "give file=F (a raw image)");
	if (none && (!id || slot >= 0))
		refuse("-drive", s, "if=none takes id=ID, and no index");
	if (!none && id)
		refuse("-drive", s, "id= is for if=none (a -device's drive)");
	if (none && vdrive.id)
		refuse("-drive", s, "one if=none drive only (for the one "
		       "virtio-blk card)");
	if (!none)
		slot = disk_slot("-drive", s, slot, opt);
	size_t at = (size_t)(file - copy), len = strlen(file);
	size_t id_at = id ? (size_t)(id - copy) : 0, id_len = id ? strlen(id) : 0;
	free(copy);
	s[at + len] = '\0';
	if (none) {
		s[id_at + id_len] = '\0';
		vdrive.id = s + id_at;
		vdrive.disk = (struct vm_disk){ .path = s + at, .read_only = ro };
		return;
	}
	opt->disk[slot] = (struct vm_disk){ .path = s + at, .read_only = ro };
}

/*
 * -device virtio-blk-pci,drive=ID,disable-legacy=on,vectors=0[,serial=S]:
 * only the card trapvisor has, modern-only and without MSI-X; s is cut
 * in place (drive and serial point into it).
 */
static void parse_virtio_blk(char *s)
{
	char *all = strdup(s), *rest = s[14] ? s + 15 : NULL, *kv;
	bool modern = false, no_msix = false;

	if (!all) {
		perror(QEMU_NAME ": strdup");
		exit(EXIT_USAGE);
	}
	if (vdrive.want)
		refuse("-device", all, "one virtio-blk-pci card only");
	if (vcons.card)
		refuse("-device", all, "give virtio-blk-pci before "
		       "virtio-serial-pci: trapvisor's console card takes the "
		       "slot after the disk's");
	while ((kv = strsep(&rest, ",")) != NULL) {
		if (strncmp(kv, "drive=", 6) == 0 && kv[6])
			vdrive.want = kv + 6;
		else if (strcmp(kv, "disable-legacy=on") == 0)
			modern = true;
		else if (strcmp(kv, "vectors=0") == 0)
			no_msix = true;
		else if (strncmp(kv, "serial=", 7) == 0 && strlen(kv + 7) <= 20)
			vdrive.serial = kv + 7;
		else
			refuse("-device", all, "virtio-blk-pci takes drive=ID, "
			       "disable-legacy=on, vectors=0 and serial=S (at "
			       "most 20 bytes)");
	}
	if (!vdrive.want || !modern || !no_msix)
		refuse("-device", all, "virtio-blk-pci needs drive=ID, "
		       "disable-legacy=on and vectors=0 (trapvisor's card is "
		       "modern only, without MSI-X)");
	free(all);
}

/* The virtio card and its drive, once the command line is read. */
static void virtio_disk(struct vm_options *opt)
{
	if (vdrive.want && (!vdrive.id || strcmp(vdrive.want, vdrive.id)))
		refuse("-device", vdrive.want, "no -drive if=none with that id");
	if (vdrive.id && !vdrive.want)
		refuse("-drive", vdrive.id, "an if=none drive needs a -device "
		       "virtio-blk-pci,drive=ID");
	if (vdrive.want) {
		opt->vdisk = vdrive.disk;
		opt->vdisk.serial = vdrive.serial;
	}
}

/*
 * -initrd "file1 args,file2": multiboot modules, split at commas, where
 * ",," is a comma (QEMU's get_opt_value).  The items are cut out of s in
 * place; like QEMU, a later -initrd replaces an earlier one.
 */
static void parse_initrd(char *s, struct vm_options *opt)
{
	char *item = s, *out = s;

	opt->ninitrd = 0;
	for (const char *p = s; ; p++) {
		if (*p == ',' && p[1] == ',') {
			*out++ = *p++;
			continue;
		}
		if (*p && *p != ',') {
			*out++ = *p;
			continue;
		}
		bool last = !*p;
		*out++ = '\0';
		if (!*item || *item == ' ')
			refuse("-initrd", NULL, "every module needs a file name");
		if (opt->ninitrd == VM_MAX_INITRD)
			refuse("-initrd", NULL, "more modules than the 32 a "
			       "multiboot kernel can be given");
		opt->initrd[opt->ninitrd++] = item;
		item = out;
		if (last)
			break;
	}
}

/* -device isa-debug-exit,iobase=0xf4[,iosize=1|2|4], or
 * virtio-blk-pci (parse_virtio_blk). */
static void parse_device(char *s)
{
	static const char name[] = "isa-debug-exit";
	size_t n = strlen(name);
	bool base_ok = false;

	if (strncmp(s, "virtio-blk-pci", 14) == 0 && (!s[14] || s[14] == ',')) {
		parse_virtio_blk(s);
		return;
	}
	if (strncmp(s, "virtio-serial-pci", 17) == 0 && (!s[17] || s[17] == ',')) {
		parse_virtio_serial(s);
		return;
	}
	if (strncmp(s, "virtconsole", 11) == 0 && (!s[11] || s[11] == ',')) {
		parse_virtconsole(s);
		return;
	}
	if (strncmp(s, name, n) != 0 || (s[n] && s[n] != ','))
		refuse("-device", s, "the devices are isa-debug-exit, "
		       "virtio-blk-pci, virtio-serial-pci and virtconsole");
	for (const char *p = s + n; *p == ','; ) {
		p++;
		char *end;
		if (strncmp(p, "iobase=", 7) == 0) {
			base_ok = strtoul(p + 7, &end, 0) == DEBUG_EXIT_IOBASE;
		} else if (strncmp(p, "iosize=", 7) == 0) {
			unsigned long v = strtoul(p + 7, &end, 0);
			if (v != 1 && v != 2 && v != 4)
				refuse("-device", s, "iosize is 1, 2 or 4");
		} else {
			refuse("-device", s, "isa-debug-exit takes iobase= and "
			       "iosize= only");
		}
		if (end == p + 7 || (*end && *end != ','))
			refuse("-device", s, "a property's value is a number");
		p = end;
	}
	if (!base_ok)
		refuse("-device", s, "isa-debug-exit is at iobase=0xf4 only");
}

/* The value of option argv[*i] (the next argument), or one line and 2. */
static char *value(int argc, char **argv, int *i)
{
	if (*i + 1 >= argc)
		refuse(argv[*i], NULL, "needs a value");
	return argv[++*i];
}

/* An option whose only accepted value is one word (-monitor none, ...). */
static void only(const char *optname, const char *val, const char *a,
		 const char *b)
{
	if (strcmp(val, a) != 0 && (!b || strcmp(val, b) != 0)) {
		char why[80];
		snprintf(why, sizeof(why), "only %s%s%s is supported", a,
			 b ? " or " : "", b ? b : "");
		refuse(optname, val, why);
	}
}

/* -S: the CPU waits (for gdb: trapvisor has no monitor to start it). */
static bool freeze;

/*
 * -gdb tcp:[HOST]:PORT -> --gdb=HOST:PORT (QEMU's empty HOST means every
 * address; trapvisor's stub listens on localhost then, the safer choice
 * for a machine that lets its debugger write guest memory).
 */
static void parse_gdb(const char *val, struct vm_options *opt)
{
	const char *hp = strncmp(val, "tcp:", 4) == 0 ? val + 4 : NULL;
	unsigned long port;
	char *end;

	if (!hp || !strchr(hp, ':'))
		refuse("-gdb", val, "only tcp:[HOST]:PORT is supported");
	errno = 0;
	port = strtoul(strrchr(hp, ':') + 1, &end, 10);
	if (errno || *end || end == strrchr(hp, ':') + 1 || port > 65535)
		refuse("-gdb", val, "give a port from 0 to 65535");
	opt->gdb = hp[0] == ':' ? hp + 1 : hp; /* PORT alone: localhost */
}

/* The options without a value; false if name is none of them. */
static bool flag(const char *name, struct vm_options *opt)
{
	if (!strcmp(name, "-h") || !strcmp(name, "-help")) {
		fputs(help_text, stdout);
		exit(0);
	}
	if (!strcmp(name, "-version")) {
		puts(QEMU_NAME ": trapvisor, the teaching hypervisor, under "
		     "a subset of qemu-system-x86_64's command line (not QEMU)");
		exit(0);
	}
	if (!strcmp(name, "-enable-kvm"))
		set_accel(name, "kvm", opt);
	else if (!strcmp(name, "-s"))
		opt->gdb = "localhost:1234";
	else if (!strcmp(name, "-S"))
		freeze = true;
	else if (strcmp(name, "-nographic") && strcmp(name, "-nodefaults") &&
		 strcmp(name, "-no-reboot"))
		return false;
	return true;
}

/* One option with a value (name is one of with_value[]). */
static void option(const char *name, char *val, struct vm_options *opt)
{
	if (!strcmp(name, "-kernel"))
		opt->image = val;
	else if (!strcmp(name, "-append"))
		opt->cmdline = val;
	else if (!strcmp(name, "-initrd"))
		parse_initrd(val, opt);
	else if (!strcmp(name, "-gdb"))
		parse_gdb(val, opt);
	else if (!strcmp(name, "-m"))
		parse_m(val, opt);
	else if (!strcmp(name, "-smp"))
		only(name, val, "1", "cpus=1");
	else if (!strcmp(name, "-accel"))
		set_accel(name, val, opt);
	else if (!strcmp(name, "-machine") || !strcmp(name, "-M"))
		parse_machine(val, opt);
	else if (!strcmp(name, "-cpu"))
		; /* ignored: see the help text */
	else if (!strcmp(name, "-drive"))
		parse_drive(val, opt);
	else if (!strcmp(name, "-hda") || !strcmp(name, "-hdb"))
		opt->disk[disk_slot(name, val, name[3] - 'a', opt)] =
			(struct vm_disk){ .path = val };
	else if (!strcmp(name, "-serial") && !strncmp(val, "chardev:", 8) &&
		 val[8])
		vcons.serial = val + 8;
	else if (!strcmp(name, "-serial"))
		only(name, val, "stdio", "mon:stdio");
	else if (!strcmp(name, "-chardev"))
		parse_chardev(val);
	else if (!strcmp(name, "-device"))
		parse_device(val);
	else if (!strcmp(name, "-display"))
		only(name, val, "none", NULL);
	else if (!strcmp(name, "-monitor") || !strcmp(name, "-vnc"))
		only(name, val, "none", NULL);
}

static const char *const with_value[] = {
	"-kernel", "-append", "-initrd", "-gdb", "-m", "-smp", "-accel",
	"-machine", "-M", "-cpu", "-drive", "-hda", "-hdb", "-serial",
	"-device", "-display", "-monitor", "-vnc", "-chardev", NULL,
};

static bool takes_value(const char *name)
{
	for (int i = 0; with_value[i]; i++)
		if (strcmp(name, with_value[i]) == 0)
			return true;
	return false;
}

void qemu_args_parse(int argc, char **argv, struct vm_options *opt)
{
	int serials = 0;

	freeze = false;
	memset(&vdrive, 0, sizeof(vdrive));
	memset(&vcons, 0, sizeof(vcons));
	*opt = (struct vm_options){ .engine = "softcpu", .isa = ISA_STRICT,
				    .isa_given = true,
				    .mem_mib = 128, .qemu_exit = true };
	for (int i = 1; i < argc; i++) {
		/* QEMU takes --opt as -opt. */
		const char *name = argv[i][0] == '-' && argv[i][1] == '-' &&
				   argv[i][2] ? argv[i] + 1 : argv[i];
		if (!strcmp(name, "-help"))
			name = "-h";
		if (name[0] != '-')
			refuse(argv[i], NULL, "not supported: give the guest "
			       "with -kernel (a bare name is a disk in QEMU)");
		if (flag(name, opt))
			continue;
		if (!takes_value(name))
			refuse(argv[i], NULL, "not supported (see "
			       QEMU_NAME " --help)");
		char *val = value(argc, argv, &i);
		if (!strcmp(name, "-serial") && ++serials > 1)
			refuse(name, val, "trapvisor has one serial port, COM1");
		option(name, val, opt);
	}
	virtio_disk(opt);
	virtio_console(opt);
	if (!opt->image)
		refuse("-kernel FILE", NULL, "required: trapvisor boots an ELF64 "
		       "or a multiboot kernel, not a disk or firmware");
	if (freeze && !opt->gdb)
		refuse("-S", NULL, "needs -s or -gdb: trapvisor has no monitor "
		       "to start the CPU, gdb's continue does");
	opt->gdb_nowait = opt->gdb && !freeze;
	opt->cmdline = strdup(opt->cmdline ? opt->cmdline : "");
	if (!opt->cmdline) {
		perror(QEMU_NAME ": strdup");
		exit(EXIT_USAGE);
	}
}
