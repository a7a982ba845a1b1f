/*
 * core/panic.h - the three tiers of errors, and panic().
 *
 * Every error in trapvisor is one of three kinds, and each kind ends in one
 * way only:
 *
 *   1. The monitor is wrong: an invariant of trapvisor itself broke (a
 *      shadow fill that does not take, an engine that cannot go on, a
 *      state the code never produces).  The guest did nothing wrong, and
 *      the monitor must not go on running it.  The message is "trapvisor:
 *      monitor bug: function: reason" and the status VM_EXIT_MONITOR_BUG
 *      (123), never 125 and never "triple fault": a guest must not be
 *      blamed for the monitor's bug.  Where the caller can return (the
 *      dispatcher, an engine's exit), vm_bug(vm, "function: reason")
 *      stops the VM and the run loop ends normally; deep inside code that
 *      cannot go on (a table with no memory, an operand of no type),
 *      panic("function: reason") exits at once.
 *
 *   2. The guest misbehaves: a triple fault, memory it does not have, a
 *      halt that nothing can end.  A real machine would reset or hang; the
 *      monitor stops the guest with a reason, vm_kill(vm, status, ...) in
 *      core/vm.h: one line on stderr, status VM_EXIT_TRIPLE_FAULT (125)
 *      (130 for Ctrl-C), and the run loop returns normally, so that every
 *      resource is released.  Below monitor/ it is vm_kill_at(vm, status,
 *      rip, ...), whose line the run loop prints with the function rip
 *      is in.
 *
 *   3. Set-up fails: an image that cannot be loaded, an engine that cannot
 *      run here, memory that cannot be had before the guest starts.  The
 *      function unwinds what it took and returns an error (-1 with a reason
 *      in a caller's buffer); main() prints it and exits with status 1.
 *
 * Out of memory has one policy: before the guest's first instruction it
 * is tier 3 (unwind, status 1); while the guest runs (a shadow table, a
 * slot of the native engine's mirror) the monitor cannot keep the guest's
 * state whole without the memory, and it is tier 1: panic().
 */
#ifndef CORE_PANIC_H
#define CORE_PANIC_H

/* The status of tier 1: trapvisor itself is wrong. */
#define VM_EXIT_MONITOR_BUG 123

/*
 * Tier 1: print "trapvisor: monitor bug: " and the message on stderr as
 * one line (after flushing the guest's output), and exit with status
 * VM_EXIT_MONITOR_BUG.  By convention the message begins with the name of
 * the function whose invariant broke.
 */
_Noreturn void panic(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

#endif /* CORE_PANIC_H */
