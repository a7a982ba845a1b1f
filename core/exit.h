/*
 * core/exit.h - why an engine stopped running guest code.
 *
 * engine->run() returns one of these to the dispatcher.  The trap-and-emulate
 * engines (softcpu, native) mostly report exceptions: the guest kernel runs
 * at ring 3, so its privileged instructions fault with #GP(0) and the
 * dispatcher decodes the instruction to learn what it was.  The kvm engine
 * reports what the hardware tells it: port I/O, HLT, shutdown.
 */
#ifndef CORE_EXIT_H
#define CORE_EXIT_H

#include <stdbool.h>
#include <stdint.h>

enum exit_reason {
	EXIT_NONE,       /* not an exit: used by tables */
	EXIT_EXCEPTION,  /* the CPU raised an exception at ring 3 */
	EXIT_SYSCALL,    /* the guest executed syscall (a ring-3 -> 0 entry) */
	EXIT_IO,         /* port I/O already decoded by hardware (kvm) */
	EXIT_HLT,        /* hlt already decoded by hardware (kvm) */
	EXIT_SHUTDOWN,   /* the guest triple-faulted (kvm) */
	EXIT_MMIO,       /* a memory access outside RAM, decoded by hardware
			    (kvm): the device model answers it */
	EXIT_INTERRUPT,  /* the engine was asked to stop (timer, signal) */
	EXIT_INTERNAL,   /* the engine cannot go on; text in .why */
	EXIT_NREASONS
};

/*T:200 The whole conversation between an engine and the monitor: engine->run()
 * returns one of these.  It says why the engine stopped and at which guest
 * RIP, with the details of an exception (vector, error code, and for a #PF
 * the faulting address) or of a port access that the hardware already
 * decoded (kvm).  The trap-and-emulate engines mostly report exceptions: a
 * #GP(0) tells the dispatcher only that *some* privileged instruction
 * faulted, and the dispatcher decodes it to learn which.
 */
struct vm_exit {
	enum exit_reason reason;
	uint64_t rip;             /* guest RIP of the instruction concerned */
	union {
		struct {          /* EXIT_EXCEPTION */
			uint8_t vector;
			bool has_error;
			uint32_t error;
			uint64_t address;   /* the faulting address for #PF */
		} exc;
		struct {          /* EXIT_IO */
			uint16_t port;
			uint8_t size;       /* 1, 2 or 4 */
			bool in;
			uint32_t data;      /* out: the value; in: filled in */
		} io;
		struct {          /* EXIT_MMIO */
			uint64_t gpa;       /* guest-physical address */
			uint8_t size;       /* 1, 2, 4 or 8 */
			bool write;
			uint64_t data;      /* write: the value; read: filled in */
		} mmio;
		const char *why;  /* EXIT_INTERNAL */
	};
};

/* The name of an exit reason, for trace and statistics. */
const char *exit_reason_name(enum exit_reason r);

#endif /* CORE_EXIT_H */
