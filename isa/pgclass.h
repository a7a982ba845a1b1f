/*
 * isa/pgclass.h - the Popek-Goldberg classification of x86 (64-, 32- and
 * 16-bit code).
 *
 * Popek and Goldberg (1974) call an instruction
 *   - privileged if it traps in user mode and not in supervisor mode;
 *   - control-sensitive if it changes the configuration of the machine's
 *     resources (the mode, the memory map, interrupt state, I/O);
 *   - behaviour-sensitive if its result depends on that configuration
 *     (the mode it runs in, or where it sits in real memory);
 *   - innocuous if it is neither.
 * Their theorem: a machine is virtualizable by trap-and-emulate if every
 * sensitive instruction is privileged.  x86 fails it: the instructions this
 * table marks PG_SENSITIVE_UNPRIVILEGED are sensitive but do not trap at
 * ring 3 (isa/README.md, "Measured at ring 3", records what this
 * project's host CPUs do).
 */
#ifndef ISA_PGCLASS_H
#define ISA_PGCLASS_H

#include <stdbool.h>

struct insn;

enum pg_class {
	PG_INNOCUOUS,
	PG_PRIVILEGED,              /* traps at CPL 3: the monitor sees it */
	PG_SENSITIVE_UNPRIVILEGED,  /* sensitive, yet runs at CPL 3 */
};

/* Why an instruction is sensitive (a bit set; privileged ones too). */
#define PG_CONTROL 0x1   /* changes the machine's configuration */
#define PG_BEHAVIOUR 0x2 /* result depends on the configuration */

struct pg_entry {
	unsigned id;             /* Capstone X86_INS_* (0 for "the rest") */
	const char *name;        /* the form it covers: "mov to crN" */
	enum pg_class cls;
	unsigned sensitivity;    /* PG_CONTROL | PG_BEHAVIOUR, or 0 */
	const char *rule;        /* the SDM rule that makes it so */
};

/* The class of a decoded instruction; never NULL (innocuous by default). */
const struct pg_entry *pg_classify(const struct insn *in);

/* The whole table, for tests and for documentation. */
extern const struct pg_entry pg_table[];
extern const unsigned pg_table_len;

/* "innocuous", "privileged" or "sensitive-unprivileged". */
const char *pg_class_name(enum pg_class c);

#endif /* ISA_PGCLASS_H */
