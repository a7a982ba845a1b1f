/*
 * monitor/trace.h - what --trace and --stats print.
 */
#ifndef MONITOR_TRACE_H
#define MONITOR_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct vm;
struct insn;
struct pg_entry;
struct interp_effect;

/*
 * The classes of --trace=CLASSES.  Every line belongs to exactly one:
 *
 *   io       port I/O (in, out, ins, outs) and device memory (MMIO)
 *   cr       control, debug and extended control registers; the TLB and
 *            caches (invlpg, wbinvd)
 *   msr      rdmsr, wrmsr, and the CPU's identity and counters (cpuid,
 *            rdtsc, rdpmc, rdtscp)
 *   pf       page faults against the shadow page tables
 *   irq      interrupts injected, the virtual IF (cli, sti, pushf,
 *            popf), hlt, and the exits that let the monitor look at its
 *            timers
 *   syscall  system calls and their returns: syscall, sysret, sysenter,
 *            sysexit, int n, int3, iret
 *   desc     descriptor tables and segments: lgdt, lidt, lldt, ltr and
 *            their stores, segment loads, far jumps, calls and returns,
 *            swapgs, the FS and GS bases
 *   exc      the guest's own exceptions, reflected to it, and the ends of
 *            the machine (shutdown, an engine that cannot go on)
 */
enum trace_class {
	TRACE_IO, TRACE_CR, TRACE_MSR, TRACE_PF, TRACE_IRQ, TRACE_SYSCALL,
	TRACE_DESC, TRACE_EXC, TRACE_NCLASSES
};
#define TRACE_ALL ((1u << TRACE_NCLASSES) - 1)

/*
 * The mask of classes that "io,cr,..." names ("all": every one).
 * Returns 0, or -1 with the first unknown name copied into bad.
 */
int trace_parse_classes(const char *s, unsigned *mask, char *bad,
			size_t len);

/* The class names in order, comma-separated (for messages and --help). */
extern const char trace_class_list[];

/* Does --trace print lines of class c? */
bool trace_wants(const struct vm *vm, enum trace_class c);

/* The class of a line for an instruction the dispatcher emulated. */
enum trace_class trace_insn_class(const struct insn *in);

/*
 * One line on stderr for one trap: its class, the guest's virtual CPL
 * and RIP when it trapped and the function RIP is in, why it trapped,
 * the instruction as Capstone prints it, its Popek-Goldberg class, and
 * what the monitor did.  patched: the trap came from a site --patch
 * rewrote (patch_trap()); "patched" then stands for the reason.
 */
void trace_exit(const struct vm *vm, enum trace_class c, unsigned cpl,
		uint64_t rip, const char *reason, const struct insn *in,
		const struct pg_entry *pg, const char *what, bool patched);

/* The line for an interrupt injected at rip (the vCPU now at its
 * handler when the monitor delivered it itself). */
void trace_interrupt(const struct vm *vm, uint64_t rip, unsigned cpl,
		     uint8_t vector, bool delivered);

/* What an interpreter routine reported (interp/interp.h), in words. */
void trace_effect(const struct vm *vm, const struct interp_effect *e,
		  char *buf, size_t len);

/* The shadow entry a hidden #PF filled for va: "va -> frame, rights". */
void trace_shadow_entry(const struct vm *vm, uint64_t va, char *buf,
			size_t len);

/*
 * "0x201234 <main+0x4>": a guest address and the function it is in, by
 * the image's symbol table; the bare address when none holds it.  For
 * the trace and for the messages that end a guest.
 */
char *trace_where(const struct vm *vm, uint64_t va, char *buf, size_t len);

/* How big a buffer trace_where needs. */
#define TRACE_WHERE_LEN 160

/*
 * Word the end of the guest that a lower layer left for the monitor:
 * stop the VM whose vCPU a triple fault shut down (vcpu.shutdown),
 * naming the chain of events, or print the reason vm_kill_at() kept
 * (vm->kill), each with the function its RIP is in; nothing otherwise.
 */
void trace_kill_pending(struct vm *vm);

/* The --stats table: traps by reason and by instruction, with times. */
void trace_print_stats(const struct vm *vm, FILE *f);

#endif /* MONITOR_TRACE_H */
