/*
 * monitor/gdbregs.h - the registers gdb sees: two layouts (i386:x86-64
 * and i386), each described to gdb by a target description generated
 * from the same table that reads and writes them, so that the XML and
 * the g packet cannot disagree.
 */
#ifndef MONITOR_GDBREGS_H
#define MONITOR_GDBREGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vm;

/* The layout, chosen when gdb connects: 64-bit while the vCPU is in long
 * mode (EFER.LMA), else 32-bit. */
enum gdb_layout { GDB_LAYOUT_32, GDB_LAYOUT_64 };

/* Registers in layout l, and the bytes of register n (0 past the end). */
unsigned gdbregs_count(enum gdb_layout l);
unsigned gdbregs_size(enum gdb_layout l, unsigned n);
/* Bytes of all registers (the g packet's payload, halved). */
unsigned gdbregs_total(enum gdb_layout l);

/* Register n, little-endian, into out (gdbregs_size bytes). */
void gdbregs_read(const struct vm *vm, enum gdb_layout l, unsigned n,
		  uint8_t *out);
/*
 * Write register n from in.  Returns 0, or -1 for a register that gdb
 * may read but not change here (segment selectors, whose hidden part a
 * selector alone does not give; CR0, CR4, EFER, whose paging changes
 * belong to the interpreter's mov-to-CR; the x87 registers, which the
 * vCPU does not hold).
 */
int gdbregs_write(struct vm *vm, enum gdb_layout l, unsigned n,
		  const uint8_t *in);

/* The target description "target.xml" for layout l (a static string). */
const char *gdbregs_xml(enum gdb_layout l);

#endif /* MONITOR_GDBREGS_H */
