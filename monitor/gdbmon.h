/*
 * monitor/gdbmon.h - the monitor commands gdb sends with "monitor ..."
 * (qRcmd): a look at what the guest cannot show about itself.
 */
#ifndef MONITOR_GDBMON_H
#define MONITOR_GDBMON_H

#include <stdio.h>

struct vm;

/*
 * Run monitor command cmd, writing its output to out:
 *   help
 *   info registers          every register, system ones included
 *   info tlb ADDR [LEN]     the guest's mapping of each page of
 *   info shadow ADDR [LEN]  [ADDR, ADDR + LEN) next to the shadow one
 *   info traps              the --stats tables so far
 *   info devices            the interrupt controllers, timers, UART, disks
 *   info paging             the guest's page tables beside the shadow's,
 *                           as Graphviz DOT (shadowpt/paging_dot.c)
 * An unknown command prints a line saying so, and the list.
 */
void gdbmon_run(struct vm *vm, const char *cmd, FILE *out);

#endif /* MONITOR_GDBMON_H */
