/*
 * monitor/run.h - the machine's loop.
 */
#ifndef MONITOR_RUN_H
#define MONITOR_RUN_H

struct vm;

/*
 * Run the VM with its engine until it stops; returns vm->exit_status.
 * Each turn of the loop, in the order lguest's run_guest() reads: deliver
 * pending events, inject interrupts, wait while halted, set the next
 * deadline, run the engine, dispatch the exit.
 */
int vm_run(struct vm *vm);

#endif /* MONITOR_RUN_H */
