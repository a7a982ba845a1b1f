/*
 * monitor/main.c - the command line: build a VM, load the image, run it.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "isa/arch.h"
#include "isa/decode.h"
#include "patch/patch.h"
#include "monitor/console.h"
#include "monitor/dispatch.h"
#include "monitor/gdbstub.h"
#include "monitor/machine.h"
#include "monitor/run.h"
#include "core/engine.h"
#include "monitor/loader.h"
#include "monitor/qemu_args.h"
#include "monitor/sandbox.h"
#include "monitor/stats.h"
#include "monitor/symbols.h"
#include "monitor/trace.h"
#include "monitor/tracejson.h"
#include "shadowpt/paging_dot.h"
#include "core/vm.h"
#include "devices/devices.h"

#define EXIT_USAGE 2  /* a bad command line */
#define EXIT_SETUP 1  /* the image or the host refused */

static const char usage_text[] =
"usage: trapvisor [options] IMAGE [-- GUEST-ARGS...]\n"
"\n"
"Run the guest kernel IMAGE de-privileged: its sensitive instructions\n"
"trap to the monitor, which decodes each one with Capstone and emulates\n"
"it.  IMAGE is an x86-64 ELF64 file, entered in 64-bit mode, or a\n"
"multiboot kernel (a multiboot header in its first 8 KiB: ELF32, a.out\n"
"kludge, or ELF64 without a PVH note), entered in 32-bit protected mode\n"
"as GRUB and qemu -kernel do.  The guest's serial port (COM1) is standard\n"
"output and standard input; traces and statistics go to standard error.\n"
"\n"
"options:\n"
"  --engine=NAME   who executes guest instructions:\n"
"                    softcpu  a software CPU at ring 3 (any host)\n"
"                    native   the host CPU at ring 3, in a traced child\n"
"                             process (Linux x86-64)\n"
"                    kvm      hardware assist: the CPU's guest mode\n"
"                             through /dev/kvm (Linux with VT-x/AMD-V)\n"
"                    auto     native where it works and the options\n"
"                             and the guest allow, else softcpu (default)\n"
"  --mem=MIB       guest RAM in MiB, 2..523264 (default 64); from 3584 up,\n"
"                  3 GiB lie below the PCI hole and the rest from 4 GiB\n"
"  --isa=MODE      x86     real x86: sensitive-unprivileged instructions\n"
"                          (pushf, sgdt, cpuid, ...) run without trapping\n"
"                          and see the real machine (the default for\n"
"                          trapvisor's own 64-bit guests)\n"
"                  strict  every sensitive instruction traps, the x86\n"
"                          that Popek and Goldberg would accept (the\n"
"                          default for a kernel that starts in 32-bit\n"
"                          mode, such as a multiboot kernel: written for\n"
"                          a real PC, it reads IF with pushf, builds\n"
"                          gates from mov %cs, and would fail on x86)\n"
"                  x86,FEATURE[,FEATURE]\n"
"                          x86 on a CPU with hardware's later, partial\n"
"                          fixes, which the monitor turns on for the\n"
"                          guest: umip (sgdt, sidt, sldt, smsw and str\n"
"                          trap) and cpuid-fault (cpuid traps); the\n"
"                          monitor emulates what traps.  softcpu has\n"
"                          both; native has cpuid-fault where the host\n"
"                          CPU has CPUID faulting\n"
"  --trace[=CLASSES]\n"
"                  one line per trap on standard error: its class, the\n"
"                  guest's RIP and the function it is in (from the\n"
"                  image's symbol table), why it trapped, the\n"
"                  instruction, its Popek-Goldberg class, and what the\n"
"                  monitor did (the port and value, the register and its\n"
"                  new value, the shadow entry filled, the vector\n"
"                  injected).  Under --patch a trap from a patched\n"
"                  site says \"patched\" where the reason goes.\n"
"                  CLASSES, comma-separated, keeps only\n"
"                  those lines (default: all):\n"
"                    io       in, out, ins, outs; device memory (MMIO)\n"
"                    cr       control, debug and extended control\n"
"                             registers; invlpg, wbinvd\n"
"                    msr      rdmsr, wrmsr, cpuid, rdtsc, rdpmc\n"
"                    pf       page faults against the shadow tables\n"
"                    irq      interrupts injected; cli, sti, pushf,\n"
"                             popf, hlt; the monitor's timer exits\n"
"                    syscall  syscall, sysret, sysenter, sysexit,\n"
"                             int n, iret\n"
"                    desc     descriptor tables, segment loads, far\n"
"                             transfers, swapgs\n"
"                    exc      the guest's own exceptions, reflected\n"
"                             to it; shutdown\n"
"  --stats         at exit, traps by reason and by instruction with\n"
"                  counts and time; the monitor's memory beyond guest\n"
"                  RAM, and the shadow page tables'\n"
"  --patch         scan guest kernel code before it first runs from a\n"
"                  page and patch each sensitive-unprivileged instruction\n"
"                  (pushf, sgdt, mov from Sreg, cpuid, ...) with one that\n"
"                  traps, so that the monitor emulates it (VMware's\n"
"                  answer; softcpu and native)\n"
"  --trace-json=FILE\n"
"                  write the run as Chrome/Perfetto trace events (open\n"
"                  FILE in ui.perfetto.dev or chrome://tracing): guest\n"
"                  time, each exit with its reason and cost, interrupts,\n"
"                  the shadow page tables in use\n"
"  --dump-paging=FILE\n"
"                  at the end of the run, write the guest's page tables\n"
"                  for its CR3 beside the shadow tables as a Graphviz\n"
"                  graph (make FILE.svg draws it)\n"
"  --icount[=NS]   virtual time advances NS nanoseconds (default 10) per\n"
"                  guest instruction instead of following the host's\n"
"                  clock, so that a run with timer interrupts repeats\n"
"                  exactly; the guest's TSC then counts virtual ns\n"
"                  where rdtsc traps (--isa=strict)\n"
"  --no-sandbox    do not restrict the monitor's own system calls and\n"
"                  file access after set-up (for strace, gdb)\n"
"  --disk=FILE[,ro][,slot=N][,if=ide|virtio|passthru][,serial=S]\n"
"                  a raw disk image (its size a multiple of 512 bytes) as\n"
"                  an ATA hard disk on the primary IDE channel (ports\n"
"                  0x1f0-0x1f7, 0x3f6, IRQ 14), as QEMU's\n"
"                  -drive file=FILE,format=raw,if=ide; repeat it for a\n"
"                  second disk.  Without slot= the first --disk is the\n"
"                  master (slot 0), the next the slave (slot 1).  ro: the\n"
"                  guest's writes fail with ABRT, the file is opened\n"
"                  read-only.  A file name cannot contain a comma.\n"
"                  if=virtio: a virtio-blk PCI card instead (virtio 1.x,\n"
"                  modern only, INTx#) at 00:02.0, IRQ 10, as QEMU's pc\n"
"                  -nodefaults -drive file=FILE,if=none,id=d -device\n"
"                  virtio-blk-pci,drive=d,disable-legacy=on,vectors=0;\n"
"                  serial=S (at most 20 bytes) is what its GET_ID\n"
"                  answers; one such disk.\n"
"                  if=passthru: a polled disk standing in for a passed-\n"
"                  through one (PCI fffe:0001 at 00:05.0): its doorbells\n"
"                  and queues are in guest RAM, a host thread serves them\n"
"                  and moves the data itself, no exit on the data path\n"
"                  (devices/ptblk.h); QEMU has no such device; one such\n"
"                  disk, not with --icount\n"
"  --backend=vcpu|thread|process\n"
"                  where the virtio disk's requests are processed: in\n"
"                  the vCPU's thread at the notifying write (vcpu, the\n"
"                  default: QEMU's device model), in an I/O thread\n"
"                  (thread: QEMU's iothread, vhost), or in a separate\n"
"                  sandboxed process sharing only guest RAM and the\n"
"                  image (process: Xen's dom0 blkback, vhost-user); not\n"
"                  with --icount\n"
"  --console=virtio\n"
"                  a virtio console card beside COM1 (virtio 1.x, port 0,\n"
"                  INTx#) at the next PCI slot after the virtio disk\n"
"                  (00:02.0, or 00:03.0 with one), as QEMU's -nodefaults\n"
"                  -device virtio-serial-pci,disable-legacy=on,vectors=0\n"
"                  -device virtconsole; its output joins COM1's on\n"
"                  standard output in the order the guest gave both, and\n"
"                  standard input goes to it instead of COM1 (QEMU's mux)\n"
"  --initrd='FILE [ARGS]'\n"
"                  a module for a multiboot kernel, as QEMU's -initrd:\n"
"                  loaded page-aligned above the kernel, its string the\n"
"                  whole value; repeat it for more (up to 32)\n"
"  --gdb[=[HOST:]PORT]\n"
"                  a gdb remote stub on HOST:PORT (default localhost:1234;\n"
"                  port 0: the kernel picks one, printed on stderr); the\n"
"                  guest waits for gdb before its first instruction:\n"
"                  target remote localhost:1234 (every engine; auto\n"
"                  picks softcpu, which has no limit on breakpoints)\n"
"  --gdb-nowait    with --gdb: start running at once; gdb may attach\n"
"                  later, which stops the guest\n"
"  -h, --help      this text\n"
"\n"
"GUEST-ARGS are joined with spaces into the guest's command line; a\n"
"multiboot kernel's is IMAGE, a space, then GUEST-ARGS (as QEMU's).\n"
"\n"
"console input: a terminal on standard input is put in raw mode, as QEMU's\n"
"-nographic does: every key goes to the guest, Ctrl-C included; then\n"
"  Ctrl-A x        quits (status 0)\n"
"  Ctrl-A h        lists these keys\n"
"  Ctrl-A Ctrl-A   sends one Ctrl-A to the guest\n"
"A pipe or file is read as it is; its end is the end of the input.\n"
"\n"
"Started as trapvisor-qemu (build/trapvisor-qemu), it reads the subset of\n"
"qemu-system-x86_64's options that course harnesses use instead\n"
"(trapvisor-qemu --help).\n"
"\n"
"exit status: the value the guest wrote to port 0xf4 (isa-debug-exit), so\n"
"a guest's exit(0) gives 0, and so does a reset through the 8042 (as\n"
"QEMU's -no-reboot); 125 when the guest was stopped for\n"
"misbehaving (a triple fault, memory it does not have, a halt nothing can\n"
"end); 130 after Ctrl-C; 1 when the image, a --disk or an --initrd\n"
"file cannot be used; 2 for a bad command line; 123 for a bug in the\n"
"monitor (a broken invariant, or a system call its sandbox refused).\n";

/* Print a one-line error about the command line and exit. */
static void usage_error(const char *fmt, const char *arg)
{
	fputs("trapvisor: ", stderr);
	fprintf(stderr, fmt, arg);
	fputs(" (see trapvisor --help)\n", stderr);
	exit(EXIT_USAGE);
}

static uint64_t parse_mem(const char *s)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);

	if (errno || end == s || *end || s[0] == '-' || v < VM_MEM_MIN_MIB ||
	    v > VM_MEM_MAX_MIB)
		usage_error("--mem=%s: give a size in MiB, " VM_MEM_LIMITS, s);
	return v;
}

/* --icount[=NS]: virtual nanoseconds per guest instruction (default 10). */
static uint64_t parse_icount(const char *s)
{
	char *end;
	errno = 0;
	unsigned long long v = s ? strtoull(s, &end, 10) : 10;

	if (s && (errno || end == s || *end || s[0] == '-' || v < 1 ||
		  v > 1000000))
		usage_error("--icount=%s: give nanoseconds per instruction, "
			    "1 to 1000000", s);
	return v;
}

/*
 * --disk=FILE[,ro][,slot=N][,if=ide|virtio|passthru][,serial=S]: an IDE
 * image goes to slot N, or to the first free slot; a virtio one to the one
 * virtio-blk card; a passthru one to the one polled disk.  Whether the file is usable is checked when the machine
 * is built (status 1); here only the syntax and the slots (status 2).
 */
static void parse_disk(char *s, struct vm_options *opt)
{
	char *file = strsep(&s, ","), *o;
	const char *serial = NULL;
	int slot = -1;
	bool ro = false, virtio = false, passthru = false;

	if (!*file)
		usage_error("--disk=%s: give an image file", file);
	while ((o = strsep(&s, ",")) != NULL) {
		if (strcmp(o, "ro") == 0)
			ro = true;
		else if (strcmp(o, "slot=0") == 0 || strcmp(o, "slot=1") == 0)
			slot = o[5] - '0';
		else if (strcmp(o, "if=ide") == 0 || strcmp(o, "if=virtio") == 0)
			virtio = o[3] == 'v', passthru = false;
		else if (strcmp(o, "if=passthru") == 0)
			passthru = true, virtio = false;
		else if (strncmp(o, "serial=", 7) == 0 && strlen(o + 7) <= 20)
			serial = o + 7;
		else
			usage_error("--disk: unknown option '%s' (the options "
				    "are ro, slot=0, slot=1, if=ide, if=virtio, "
				    "if=passthru and serial=S, S at most 20 "
				    "bytes)", o);
	}
	if (passthru) {
		if (slot >= 0 || serial)
			usage_error("--disk=%s: slot= and serial= are not for "
				    "if=passthru", file);
		if (opt->ptdisk.path)
			usage_error("--disk=%s: there is one passthru disk only",
				    file);
		opt->ptdisk = (struct vm_disk){ .path = file, .read_only = ro };
		return;
	}
	if (virtio) {
		if (slot >= 0)
			usage_error("--disk=%s: slot= is for if=ide", file);
		if (opt->vdisk.path)
			usage_error("--disk=%s: there is one virtio disk only",
				    file);
		opt->vdisk = (struct vm_disk){ .path = file, .read_only = ro,
					       .serial = serial };
		return;
	}
	if (serial)
		usage_error("--disk=%s: serial= is for if=virtio", file);
	for (int i = 0; slot < 0 && i < VM_MAX_DISKS; i++)
		if (!opt->disk[i].path)
			slot = i;
	if (slot < 0)
		usage_error("--disk=%s: the primary channel holds two disks",
			    file);
	if (opt->disk[slot].path)
		usage_error("--disk=%s: that slot already has a disk", file);
	opt->disk[slot] = (struct vm_disk){ .path = file, .read_only = ro };
}

/*
 * --initrd='FILE [ARGS]': one more multiboot module.  Whether FILE can be
 * read, and whether the image is a multiboot kernel at all, is checked
 * when it is loaded (status 1); here only the count (status 2).
 */
static void add_initrd(const char *s, struct vm_options *opt)
{
	if (!*s || *s == ' ')
		usage_error("--initrd='%s': give a module file", s);
	if (opt->ninitrd == VM_MAX_INITRD)
		usage_error("--initrd=%s: more modules than the 32 a multiboot "
			    "kernel can be given", s);
	opt->initrd[opt->ninitrd++] = s;
}

/* --gdb[=[HOST:]PORT]: checked here, resolved and bound in main(). */
static const char *parse_gdb(const char *s)
{
	char host[256];
	unsigned port;

	if (!s)
		return GDBSTUB_DEFAULT;
	if (gdbstub_parse_address(s, host, sizeof(host), &port) < 0)
		usage_error("--gdb=%s: give [HOST:]PORT, a port from 0 to "
			    "65535", s);
	return s;
}

/* Join argv[from..] with spaces into one string (never NULL). */
static char *join_args(int argc, char **argv, int from)
{
	size_t len = 1;
	for (int i = from; i < argc; i++)
		len += strlen(argv[i]) + 1;
	char *s = calloc(1, len);
	if (!s) {
		perror("trapvisor: calloc");
		exit(EXIT_SETUP);
	}
	for (int i = from; i < argc; i++) {
		if (i > from)
			strcat(s, " ");
		strcat(s, argv[i]);
	}
	return s;
}

/* --trace[=CLASSES]: every class, or those named. */
static unsigned parse_trace(const char *s)
{
	unsigned mask = TRACE_ALL;
	char bad[32];

	if (s && trace_parse_classes(s, &mask, bad, sizeof(bad)) < 0) {
		fprintf(stderr, "trapvisor: --trace=%s: unknown class '%s' "
			"(the classes are %s)\n", s, bad, trace_class_list);
		exit(EXIT_USAGE);
	}
	return mask;
}

static bool no_sandbox; /* --no-sandbox */
/*
 * --isa=MODE[,FEATURE...]: x86 or strict, then for x86 the features of
 * the real CPU the guest runs on that the monitor switches on (core/vm.h,
 * ISA_HW_*).  strict already traps everything they would.
 */
static void parse_isa(const char *arg, struct vm_options *opt)
{
	char buf[64], *save = NULL, *tok;

	if (strlen(arg) >= sizeof(buf))
		usage_error("--isa=%s: too long", arg);
	strcpy(buf, arg);
	tok = strtok_r(buf, ",", &save);
	opt->isa_given = true;
	opt->isa_hw = 0;
	if (tok && strcmp(tok, "x86") == 0)
		opt->isa = ISA_X86;
	else if (tok && strcmp(tok, "strict") == 0)
		opt->isa = ISA_STRICT;
	else
		usage_error("--isa=%s: the modes are x86 and strict", arg);
	while ((tok = strtok_r(NULL, ",", &save))) {
		if (strcmp(tok, "umip") == 0)
			opt->isa_hw |= ISA_HW_UMIP;
		else if (strcmp(tok, "cpuid-fault") == 0)
			opt->isa_hw |= ISA_HW_CPUID_FAULT;
		else
			usage_error("--isa=%s: the features are umip and "
				    "cpuid-fault", arg);
	}
	if (opt->isa == ISA_STRICT && opt->isa_hw)
		usage_error("--isa=%s: strict already traps every sensitive "
			    "instruction; the features go with x86", arg);
}

/*
 * --backend=vcpu|thread|process: where the virtio back end runs
 * (devices/virtio_backend.h).
 */
static int parse_backend(const char *s)
{
	for (int k = VIRTIO_BACKEND_VCPU; k <= VIRTIO_BACKEND_PROCESS; k++)
		if (strcmp(s, virtio_backend_kind_name(k)) == 0)
			return k;
	usage_error("--backend=%s: give vcpu, thread or process", s);
	return VIRTIO_BACKEND_VCPU;
}

static const char *trace_json_path; /* --trace-json */
static const char *dump_paging_path; /* --dump-paging */

static void parse_args(int argc, char **argv, struct vm_options *opt)
{
	static const struct option longopts[] = {
		{ "engine", required_argument, NULL, 'e' },
		{ "mem", required_argument, NULL, 'm' },
		{ "isa", required_argument, NULL, 'i' },
		{ "trace", optional_argument, NULL, 't' },
		{ "stats", no_argument, NULL, 's' },
		{ "patch", no_argument, NULL, 'P' },
		{ "icount", optional_argument, NULL, 'c' },
		{ "no-sandbox", no_argument, NULL, 'S' },
		{ "disk", required_argument, NULL, 'd' },
		{ "console", required_argument, NULL, 'C' },
		{ "initrd", required_argument, NULL, 'r' },
		{ "trace-json", required_argument, NULL, 'j' },
		{ "dump-paging", required_argument, NULL, 'p' },
		{ "gdb", optional_argument, NULL, 'g' },
		{ "gdb-nowait", no_argument, NULL, 'W' },
		{ "backend", required_argument, NULL, 'B' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	*opt = (struct vm_options){ .engine = "auto", .mem_mib = 64 };
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+h", longopts, NULL)) != -1) {
		switch (c) {
		case 'e': opt->engine = optarg; break;
		case 'm': opt->mem_mib = parse_mem(optarg); break;
		case 't': opt->trace = parse_trace(optarg); break;
		case 's': opt->stats = true; break;
		case 'P': opt->patch = true; break;
		case 'c': opt->icount_ns = parse_icount(optarg); break;
		case 'S': no_sandbox = true; break;
		case 'd': parse_disk(optarg, opt); break;
		case 'C':
			if (strcmp(optarg, "virtio") != 0)
				usage_error("--console=%s: the only console "
					    "beside COM1 is virtio", optarg);
			opt->vconsole = true;
			break;
		case 'r': add_initrd(optarg, opt); break;
		case 'j': trace_json_path = optarg; break;
		case 'p': dump_paging_path = optarg; break;
		case 'g': opt->gdb = parse_gdb(optarg); break;
		case 'W': opt->gdb_nowait = true; break;
		case 'B': opt->backend = parse_backend(optarg); break;
		case 'h': fputs(usage_text, stdout); exit(0);
		case 'i': parse_isa(optarg, opt); break;
		case ':':
			usage_error("option %s needs a value", argv[optind - 1]);
			break;
		default:
			usage_error("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (opt->gdb_nowait && !opt->gdb)
		usage_error("--gdb-nowait needs --gdb%s", "");
	if (opt->ptdisk.path && opt->icount_ns)
		usage_error("--disk=%s,if=passthru: not with --icount (its "
			    "device thread answers when the host gets to it, "
			    "so the guest's polling does not repeat)",
			    opt->ptdisk.path);
	if (opt->backend != VIRTIO_BACKEND_VCPU && opt->icount_ns)
		usage_error("--backend=%s: not with --icount (the back end's "
			    "interrupt comes when the host finishes, not at a "
			    "repeatable instruction)",
			    virtio_backend_kind_name(opt->backend));
	if (optind >= argc)
		usage_error("no guest image given%s", "");
	opt->image = argv[optind++];
	if (optind < argc && strcmp(argv[optind], "--") == 0)
		optind++;
	else if (optind < argc)
		usage_error("unexpected argument '%s': guest arguments go "
			    "after --", argv[optind]);
	opt->cmdline = join_args(argc, argv, optind);
}

/*
 * A kernel that starts in 32-bit protected mode (a multiboot kernel) was
 * written for a real PC, not for trapvisor: it reads IF with pushf (xv6's
 * popcli panics when it sees IF set), builds its IDT gates from mov %cs,
 * and counts on every sensitive instruction telling it the truth about
 * its virtual CPU.  On x86 they do not trap (--isa=x86): unless --isa
 * says otherwise, such a kernel gets the ISA on which they all trap.
 * trapvisor's own 64-bit guests keep --isa=x86, the real x86, whose
 * failures they were written to show.  Under kvm the CPU itself decides,
 * and --isa is not the monitor's to choose.
 */
static void fit_isa_to_guest(struct vm *vm)
{
	/* Under kvm the CPU, not the monitor, decides what traps: there is
	 * no ISA to choose. */
	if (!vm->opt.isa_given && cpu_mode(&vm->vcpu) != CPU_LONG &&
	    strcmp(vm->opt.engine, "kvm") != 0)
		vm->opt.isa = ISA_STRICT;
}

/*
 * The engine --engine names.  auto takes native where it works here and
 * the options and the guest allow it (--isa=strict, --isa=x86,umip and
 * --icount need softcpu, and native runs 64-bit code only), else softcpu.
 * auto never
 * picks kvm: hardware assist is asked for by name.
 */
static const struct engine *pick_engine_by_name(const char *name)
{
	char why[200];
	const struct engine *e = engine_find(name);

	if (!e && strcmp(name, "kvm") == 0) {
		fprintf(stderr, "trapvisor: engine kvm cannot run here: it was "
			"not built (no <linux/kvm.h> on the build host)\n");
		exit(EXIT_SETUP);
	}
	if (!e)
		usage_error("--engine=%s: the engines are softcpu, native, kvm "
			    "and auto", name);
	if (e->probe && e->probe(why, sizeof(why)) < 0) {
		fprintf(stderr, "trapvisor: engine %s cannot run here: %s\n",
			name, why);
		exit(EXIT_SETUP);
	}
	return e;
}

static const struct engine *pick_engine(const struct vm *vm)
{
	const struct vm_options *opt = &vm->opt;
	char why[200];

	if (strcmp(opt->engine, "auto") != 0)
		return pick_engine_by_name(opt->engine);
	if (opt->gdb)
		return &engine_softcpu; /* any number of breakpoints */
	if (opt->isa == ISA_X86 && !(opt->isa_hw & ISA_HW_UMIP) &&
	    !opt->icount_ns && !opt->patch &&
	    cpu_mode(&vm->vcpu) == CPU_LONG &&
	    engine_native.probe(why, sizeof(why)) == 0)
		return &engine_native;
	return &engine_softcpu;
}

/*
 * Open the files --trace-json and --dump-paging name (before the sandbox
 * takes file access away); returns the dump's stream, or NULL.  A file
 * that cannot be created is a set-up error (status 1).
 */
static FILE *open_outputs(const struct vm_options *opt)
{
	static char dump_buf[64 * 1024];
	char why[256];
	FILE *dump = NULL;

	if (trace_json_path &&
	    tracejson_open(trace_json_path, opt->image, why, sizeof(why)) < 0) {
		fprintf(stderr, "trapvisor: %s\n", why);
		exit(EXIT_SETUP);
	}
	if (dump_paging_path && !(dump = fopen(dump_paging_path, "w"))) {
		fprintf(stderr, "trapvisor: --dump-paging=%s: %s\n",
			dump_paging_path, strerror(errno));
		exit(EXIT_SETUP);
	}
	/* A buffer of our own: stdio would fstat() the file to size one
	 * at the first write, a call the sandbox refuses. */
	if (dump)
		setvbuf(dump, dump_buf, _IOFBF, sizeof(dump_buf));
	return dump;
}

/*
 * --patch: the table of scanned frames, for an engine that patches.
 * softcpu lays the patches over what it decodes; the native engine's CPU
 * fetches guest RAM itself, so there the patches are written into it
 * (patch/README.md); kvm has no sensitive-unprivileged instruction left
 * to patch.
 */
static int patch_setup(struct vm *vm, const struct engine *e, char *why,
		       size_t len)
{
	if (e != &engine_softcpu && e != &engine_native) {
		snprintf(why, len, "--patch: engine %s does not patch guest "
			 "code (softcpu and native do)", e->name);
		return -1;
	}
	if (!(vm->patch = patch_new(vm->mem.size))) {
		snprintf(why, len, "--patch: out of memory for its table");
		return -1;
	}
	if (e == &engine_native) {
		/* Its CPU fetches guest RAM: the patches go there. */
		vm->patch->ram = vm->mem.base;
		fprintf(stderr, "trapvisor: note: --patch on native: the guest "
			"reads the trap byte (hlt) where its code is patched "
			"or not yet scanned (patch/README.md)\n");
	}
	return 0;
}

static struct vm *interrupted_vm;
static volatile sig_atomic_t interrupted;

/* Ctrl-C: ask the engine to come back; the main loop stops the VM. */
static void on_sigint(int sig)
{
	(void)sig;
	interrupted = 1;
	if (interrupted_vm)
		interrupted_vm->kick = VM_KICK_STOP;
}

/*
 * SIGTERM and SIGHUP (kill, timeout, a terminal gone) end the run as
 * Ctrl-C does, so that what is written at the end of a run is written
 * (--dump-paging's picture of the last CR3, --stats); main() then dies
 * of the signal, as the default action would have (status 128 + n to a
 * shell).  Another one changes nothing: timeout(1) sends its signal
 * twice, to the command and to its process group.
 */
static volatile sig_atomic_t ending_signal;

static void on_ending_signal(int sig)
{
	if (!ending_signal)
		ending_signal = sig;
	on_sigint(sig);
}

/* The run is over and written: die of the signal that ended it. */
static void die_of_ending_signal(void)
{
	if (!ending_signal)
		return;
	console_restore();
	signal(ending_signal, SIG_DFL);
	raise(ending_signal);
}

/*
 * Without SA_RESTART: a system call that blocks (a write() to a terminal
 * nobody reads, a waitpid) returns EINTR at Ctrl-C, so that the monitor
 * gets back to its loop and stops; signal() would restart it.
 */
static void catch_sigint(void)
{
	struct sigaction sa = { .sa_handler = on_sigint };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = on_ending_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

/*
 * The sandbox's extra calls: the engine's, then the gdb stub's (a list
 * ended by -1, or NULL), into calls (SANDBOX_MAX_CALLS entries; a list
 * too long is cut, and sandbox_enter then refuses a call, loudly).
 */
static const int *join_calls(int *calls, const int *a, const int *b)
{
	unsigned n = 0;

	for (; a && *a >= 0 && n < SANDBOX_MAX_CALLS - 1; a++)
		calls[n++] = *a;
	for (; b && *b >= 0 && n < SANDBOX_MAX_CALLS - 1; b++)
		calls[n++] = *b;
	calls[n] = -1;
	return calls;
}

/* The UART's question while the host does not take its output. */
static bool uart_give_up(void *arg)
{
	(void)arg;
	return interrupted;
}

/*
 * The guest's last output, held in the UART's buffer, goes out before the
 * monitor exits.  A Ctrl-C that cut that wait short (a host that does not
 * read) makes the run an interrupted one: status 130 and one line.  One
 * that came after the guest had stopped, with nothing lost, changes
 * nothing: the guest's own status and its one line stand.
 */
static int flush_output(struct vm *vm, int status)
{
	uint64_t dropped = vm->dev->com1.tx_dropped;

	ns16550a_flush(&vm->dev->com1);
	dropped = vm->dev->com1.tx_dropped - dropped;
	if (status != VM_EXIT_INTERRUPTED && interrupted && dropped) {
		fprintf(stderr, "trapvisor: interrupted while the guest's "
			"output waited (%" PRIu64 " bytes dropped)\n", dropped);
		return VM_EXIT_INTERRUPTED;
	}
	return status;
}

/*T:010 The tour starts where a student's command starts, and then follows one
 * trap through the monitor: the engine that runs guest code until it
 * traps, the core structures every part shares, the dispatcher, the
 * interpreter routines, the shadow page tables, and the devices.
 *
 * trapvisor is a Popek-Goldberg virtual machine monitor.  main() plays the
 * part of their *allocator*: it creates the virtual machine (guest RAM, a
 * vCPU, devices, empty shadow page tables), loads the guest image into RAM
 * and sets up the state the guest expects at boot, and picks an engine to
 * execute guest instructions.  Then, set-up over, the monitor takes away
 * its own rights (monitor/sandbox.c: no files, only the system calls it
 * was measured to need), so that even a guest that broke the monitor would
 * hold little, and hands over to vm_run() (stop 230).
 */
int main(int argc, char **argv)
{
	static struct vm vm;
	static struct symtab symbols; /* the image's (monitor/symbols.h) */
	struct vm_options opt;
	char why[256];

	/* Started as trapvisor-qemu: QEMU's command line (qemu_args.c). */
	if (argc > 0 && qemu_args_wanted(argv[0]))
		qemu_args_parse(argc, argv, &opt);
	else
		parse_args(argc, argv, &opt);
	if (strcmp(opt.engine, "auto") != 0)
		(void)pick_engine_by_name(opt.engine);
	if (isa_init() < 0) {
		fprintf(stderr, "trapvisor: cannot open Capstone\n");
		return EXIT_SETUP;
	}
	if (vm_create(&vm, &opt, STDOUT_FILENO, why, sizeof(why)) < 0) {
		fprintf(stderr, "trapvisor: %s\n", why);
		return EXIT_SETUP;
	}
	vm.symbols = &symbols; /* loader_boot reads them from the image */
	if (loader_boot(&vm, &opt, why, sizeof(why)) < 0) {
		fprintf(stderr, "trapvisor: %s\n", why);
		return EXIT_SETUP;
	}
	fit_isa_to_guest(&vm);
	const struct engine *e = pick_engine(&vm);
	if (vm.opt.isa_hw && strcmp(e->name, "kvm") == 0) {
		/* VT-x gives the guest its own CPL 0: nothing to trap. */
		fprintf(stderr, "trapvisor: engine kvm: --isa=x86,FEATURE: with "
			"hardware assist the CPU, not the monitor, decides what "
			"traps; use --isa=x86\n");
		return EXIT_SETUP;
	}
	if (opt.patch && patch_setup(&vm, e, why, sizeof(why)) < 0) {
		fprintf(stderr, "trapvisor: %s\n", why);
		return EXIT_SETUP;
	}
	if (e->init(&vm, why, sizeof(why)) < 0) {
		fprintf(stderr, "trapvisor: engine %s: %s\n", e->name, why);
		return EXIT_SETUP;
	}
	vm.engine = e;
	if (console_open(&vm, STDIN_FILENO, why, sizeof(why)) < 0) {
		fprintf(stderr, "trapvisor: %s\n", why);
		return EXIT_SETUP;
	}
	if (opt.gdb && gdbstub_open(&vm, why, sizeof(why)) < 0) {
		fprintf(stderr, "trapvisor: %s\n", why);
		return EXIT_SETUP;
	}
	interrupted_vm = &vm;
	catch_sigint();
	ns16550a_set_give_up(&vm.dev->com1, uart_give_up, NULL);
	/* The files of --trace-json and --dump-paging, while files can
	 * still be opened. */
	FILE *dump = open_outputs(&opt);
	if (opt.stats)
		stats_open_proc(vm.stats);
	/* Set-up is over: from here on the monitor opens no file and makes
	 * only the system calls it needs (monitor/sandbox.c). */
	struct sandbox_state sandbox;
	int calls[SANDBOX_MAX_CALLS];
	if (!no_sandbox &&
	    sandbox_enter(join_calls(calls, e->sandbox_syscalls,
				     opt.gdb ? gdbstub_sandbox_calls : NULL),
			  &sandbox, why, sizeof(why)) < 0) {
		fprintf(stderr, "trapvisor: sandbox: %s (--no-sandbox runs "
			"without it)\n", why);
		return EXIT_SETUP;
	}
	tracejson_catch_signals();

	int status = flush_output(&vm, vm_run(&vm));
	if (ending_signal) /* what the shell will see */
		status = 128 + ending_signal;
	tracejson_close(status);
	if (dump) {
		paging_dot(&vm, dump);
		if (fclose(dump) != 0)
			fprintf(stderr, "trapvisor: --dump-paging=%s: %s\n",
				dump_paging_path, strerror(errno));
	}
	if (opt.stats) {
		trace_print_stats(&vm, stderr);
		dispatch_print_stats(stderr);
		stats_print_memory(&vm, stderr);
		if (vm.patch)
			patch_print_stats(vm.patch, stderr);
		devices_print_stats(&vm, stderr);
		sandbox_print(no_sandbox ? NULL : &sandbox, stderr);
	}
	gdbstub_close(&vm);
	vm_destroy(&vm);
	patch_free(vm.patch);
	symtab_free(&symbols);
	isa_fini();
	free((char *)opt.cmdline);
	die_of_ending_signal();
	return status;
}
