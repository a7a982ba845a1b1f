/*
 * core/vm.h - one virtual machine: the allocator's view.
 *
 * Popek and Goldberg's allocator owns the machine's resources; here they are
 * guest RAM, the vCPU, virtual time, the devices and the shadow page tables,
 * gathered in one struct that every part of the monitor receives.
 *
 * The core (core/) depends on nothing else in trapvisor, so the parts that
 * belong to upper layers (the shadow page tables, the devices, the
 * statistics) are held by pointer to a type this header does not know;
 * monitor/machine.c allocates and wires them (vm_create).
 */
#ifndef CORE_VM_H
#define CORE_VM_H

#include <stdbool.h>
#include <stdint.h>

#include "core/clock.h"
#include "core/debug.h"
#include "core/guest_mem.h"
#include "core/panic.h"
#include "core/vcpu.h"

struct engine;
struct devices;     /* devices/devices.h */
struct shadowpt;    /* shadowpt/shadowpt.h */
struct vm_stats;    /* monitor/stats.h */
struct symtab;      /* monitor/symbols.h */
struct interp_effect; /* interp/interp.h */
struct gdbstub;     /* monitor/gdbstub.h */
struct patch;       /* patch/patch.h */

/* The ISA that the trap-and-emulate engines present to the guest. */
enum isa_mode {
	ISA_X86,    /* real x86: sensitive-unprivileged insns do not trap */
	ISA_STRICT, /* every sensitive instruction traps (Popek-Goldberg) */
};

/*
 * Hardware's partial answers to x86's sensitive-unprivileged instructions
 * (--isa=x86,umip,cpuid-fault): features of the *real* CPU the
 * de-privileged guest runs on, which the monitor switches on for it.  They
 * are not the virtual CPU's CR4.UMIP, which belongs to the guest
 * (vcpu.cr4; interp_vcpu_has_umip says when the virtual CPU offers it).
 */
#define ISA_HW_UMIP 0x1u        /* CR4.UMIP: sgdt, sidt, sldt, smsw, str
				   at CPL > 0 raise #GP(0) */
#define ISA_HW_CPUID_FAULT 0x2u /* MISC_FEATURES_ENABLES bit 0: cpuid
				   at CPL > 0 raises #GP(0) */

/* A disk image on the primary IDE channel (--disk). */
#define VM_MAX_DISKS 2 /* slot 0: primary master, slot 1: primary slave */
#define VM_MAX_INITRD 32 /* multiboot modules (monitor/boot.h MB_MAX_MODS) */
struct vm_disk {
	const char *path;       /* raw image file; NULL: no device */
	bool read_only;         /* ",ro": the guest's writes abort */
	const char *serial;     /* if=virtio: what GET_ID answers (NULL:
				   none, as QEMU's) */
};

struct vm_options {
	const char *image;      /* path of the guest image: ELF64, or a
				   multiboot kernel */
	const char *engine;     /* softcpu, native, kvm or auto */
	uint64_t mem_mib;       /* --mem */
	enum isa_mode isa;      /* --isa */
	unsigned isa_hw;        /* --isa=x86,FEATURE...: ISA_HW_* */
	bool isa_given;         /* --isa was given: the guest's kind does not
				   choose it (monitor/main.c) */
	unsigned trace;         /* --trace: a line per trap on stderr, of
				   the classes in this mask (monitor/trace.h;
				   0: no trace) */
	bool stats;             /* --stats: a table at exit on stderr */
	const char *cmdline;    /* the guest's arguments, after "--" */
	uint64_t icount_ns;     /* --icount: virtual ns per guest instruction
				   (0: time is the host's clock) */
	struct vm_disk disk[VM_MAX_DISKS]; /* --disk, by slot */
	struct vm_disk vdisk;   /* --disk=FILE,if=virtio: a virtio-blk card */
	struct vm_disk ptdisk;  /* --disk=FILE,if=passthru: the polled disk
				   (devices/ptblk.h) */
	bool vconsole;          /* --console=virtio: a virtio console card */
	const char *initrd[VM_MAX_INITRD]; /* --initrd: multiboot modules,
				   each "FILE [ARGS]" (QEMU's -initrd) */
	unsigned ninitrd;
	const char *gdb;        /* --gdb=[HOST:]PORT: listen for gdb there
				   (NULL: no stub) */
	bool gdb_nowait;        /* --gdb-nowait: run without waiting */
	bool qemu_exit;         /* trapvisor-qemu: isa-debug-exit gives
				   status (v << 1) | 1 as QEMU's does */
	bool patch;             /* --patch: scan guest kernel code and patch
				   its sensitive-unprivileged instructions */
	int backend;            /* --backend: where the virtio back end
				   runs (enum virtio_backend_kind; 0 vcpu) */
};

/*
 * The last shadow fill the dispatcher made: the same fault again, with not
 * one instruction retired in between, means the fill did not take.
 */
struct fill_tracker {
	uint64_t rip, addr, retired;
	unsigned repeats;
};

/*
 * Why vm_kill_at() ended the guest, kept for monitor/ to print: only it
 * has the image's symbols to name the function rip is in.
 */
struct vm_kill_note {
	bool pending;           /* set, not printed yet */
	uint64_t rip;           /* the guest instruction it happened at */
	char why[256];
};

/*T:220 The one structure every part of the monitor receives: the options, the
 * vCPU, guest RAM, the virtual clock, and by pointer the parts that belong
 * to upper layers (shadow page tables, devices, statistics), so that core/
 * depends on nothing above it; then the engine with its private state. The
 * last fields belong to the run loop and the dispatcher: kick, set from a
 * signal handler to make the engine return; insn_deadline, the instruction
 * count at which an engine must come back (the next timer event under
 * --icount, the end of an interrupt shadow); last_fill, the dispatcher's
 * proof that a shadow fill took (stop 340); stopped and exit_status, which
 * end the loop, and kill, the reason a lower layer left for the monitor
 * to print.
 */
struct vm {
	struct vm_options opt;
	struct vcpu vcpu;
	struct guest_mem mem;
	struct vm_clock clock;
	struct shadowpt *spt;
	struct devices *dev;
	struct vm_stats *stats;
	struct patch *patch;    /* --patch: the scanned frames (patch/), or
				   NULL */
	struct symtab *symbols; /* the image's, for --trace and messages
				   (NULL: none read) */
	/* Where an interpreter routine reports what it did, for --trace;
	 * NULL while nobody asks (monitor/dispatch.c sets it). */
	struct interp_effect *effect;
	const struct engine *engine;
	void *engine_data;      /* the engine's private state */

	volatile int kick;      /* set from a signal handler: engine, return */
	bool single_step;       /* engines stop after one instruction */
	struct vm_debug debug;  /* breakpoints and watchpoints (gdb) */
	struct gdbstub *gdb;    /* --gdb: the stub (monitor/gdbstub.c) */
	/*
	 * Engines return EXIT_INTERRUPT once vcpu.instructions reaches this
	 * count (the next timer event under --icount, the end of an
	 * interrupt shadow); UINT64_MAX for no limit.
	 */
	uint64_t insn_deadline;
	struct fill_tracker last_fill;
	bool stopped;           /* the guest asked to stop or must stop */
	int exit_status;        /* the status trapvisor exits with */
	struct vm_kill_note kill; /* vm_kill_at's reason, not yet printed */
};

/* Values of vm->kick: why the engine was asked to come back. */
#define VM_KICK_EVENT 1 /* an event for the guest (timer, device) */
#define VM_KICK_STOP 2  /* Ctrl-C: stop the VM */
#define VM_EXIT_INTERRUPTED 130

/* Status when the guest triple-faults (and for other fatal guest errors). */
#define VM_EXIT_TRIPLE_FAULT 125

/* Status when the monitor finds itself wrong (a bug, not the guest's):
 * distinct from 125 so that tests and users can tell them apart. */
#define VM_EXIT_MONITOR_BUG 123

/*
 * Tier 2 of the errors (core/panic.h).
 * End the guest (never the host) because it misbehaved: print
 * "trapvisor: <reason>" on stderr as one line and stop the VM with status.
 */
void vm_kill(struct vm *vm, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * vm_kill for the layers below monitor/ (interp/, engines/): the guest
 * misbehaved at the instruction at rip.  Nothing is printed here; the
 * reason waits in vm->kill until the run loop prints "trapvisor:
 * <reason> (rip <address> <function+offset>)" (monitor/trace.c), since
 * no lower layer may know the image's symbols.
 */
void vm_kill_at(struct vm *vm, int status, uint64_t rip, const char *fmt,
		...) __attribute__((format(printf, 4, 5)));

/*
 * Tier 1 of the errors (core/panic.h) where a VM is at hand and the caller
 * can return: print "trapvisor: monitor bug: <reason>" and stop the VM
 * with VM_EXIT_MONITOR_BUG (123); the run loop then ends normally and
 * everything is released.  Where the code cannot go on, panic() instead.
 */
void vm_bug(struct vm *vm, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif /* CORE_VM_H */

#ifndef CORE_VM_H_API
#define CORE_VM_H_API
#include <stddef.h>
/*
 * The monitor writes guest-physical memory: copy and tell the engine
 * (engine->ram_written), so that no stale decoded code survives.
 * Returns 0, or -1 when [gpa, gpa + len) is not all RAM.
 */
int vm_write_phys(struct vm *vm, uint64_t gpa, const void *buf, size_t len);
#endif
