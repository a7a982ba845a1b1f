/*
 * guests/pgcheck/pgcheck.h - the checks of pgcheck and the helpers they share.
 *
 * pgcheck runs, at CPL 0, every instruction of the sensitive-instruction
 * contract (isa/CONTRACT.md) and compares what it did with what the SDM
 * says a real CPU does at ring 0.  Each check is one function that returns
 * NULL when the instruction behaved, or a short text saying what differed.
 * That text never holds a host-dependent value (a host's GDT base, a TSC),
 * so that the output is the same on every machine.
 */
#ifndef GUESTS_PGCHECK_PGCHECK_H
#define GUESTS_PGCHECK_PGCHECK_H

#include <stdint.h>

#include "rt.h"

struct pg_check {
	const char *name; /* the instruction: "mov_cr0", "lgdt" ... */
	const char *what; /* what a PASS has shown */
	const char *(*run)(void);
};

/* The two groups, in the order they run (privileged.c, sensitive.c). */
extern const struct pg_check pg_privileged[];
extern const unsigned pg_privileged_count;
extern const struct pg_check pg_sensitive[];
extern const unsigned pg_sensitive_count;
/* The PV build's third group: the interface itself (pv.c). */
extern const struct pg_check pg_pv[];
extern const unsigned pg_pv_count;

/* Run fn(arg), which must fault with vector (and, if has_error, error):
 * NULL if it did, else what happened instead. */
const char *pg_expect_fault(void (*fn)(void *), void *arg, unsigned vector,
			    bool has_error, uint64_t error);
/* Run fn(arg), which must not fault: NULL, or the fault it raised. */
const char *pg_expect_no_fault(void (*fn)(void *), void *arg);

/* Load DS, FS or SS with sel (fns for rt_try: arg is the selector);
 * pg_load_ss puts the kernel's 0x10 back in SS afterwards. */
void pg_load_ds(void *sel);
void pg_load_fs(void *sel);
void pg_load_ss(void *sel);

#define SEL_BEYOND_GDT 0x50 /* past the runtime GDT's limit (0x47) */
#define TEST_FS_BASE 0x12345000ULL
/* ud2: a fault whose frame shows RFLAGS (a fn for rt_try). */
void pg_ud2(void *unused);

/* ---------------------------------------------------------------- asm.S */
/* The page of user-mode code, mapped at PG_USER_VA with PTE_U. */
extern const uint8_t pg_user_page[];
#define PG_USER_SYSCALL 0x00 /* offset: syscall */
#define PG_USER_TOUCH 0x10   /* offset: read a supervisor page */
#define PG_USER_TOUCH_ADDR 0x100000ULL /* what it reads (the image) */
#define PG_USER_VA 0x40000000ULL

#define PG_USER_RDTSC 0x20  /* offset: rdtsc, then back with syscall */
#define PG_USER_HYPERCALL 0x30 /* offset (PV build): a hypercall, back */
#define PG_STAR ((uint64_t)RT_STAR_SYSRET_BASE << 48 | (uint64_t)RT_SEL_KCODE << 32)
#define PG_SFMASK (FL_IF | FL_TF | FL_DF | FL_AC)

/* Map the user page at PG_USER_VA and point STAR/LSTAR/SFMASK at
 * pg_syscall_entry, so that pg_sysret_to_user can be used. */
void pg_user_setup(void);

/* sysretq to rip with rflags at CPL 3; returns the RCX that the user
 * code's syscall delivered to pg_syscall_entry; its R11 lands here. */
uint64_t pg_sysret_to_user(uint64_t rip, uint64_t rflags);
void pg_syscall_entry(void);
extern uint64_t pg_syscall_r11;

#endif /* GUESTS_PGCHECK_PGCHECK_H */
