#!/bin/sh
# labs/03-exceptions/wrong.sh - lab 3's planted wrong solutions, each a
# mistake its handout warns of (scripts/lab-wrong.sh says how they are
# checked; `--list` names them).
# shellcheck disable=SC2034 # read by scripts/lab-wrong.sh
LAB=3
# shellcheck disable=SC2034
BUGS='noalign|the new stack is not aligned to 16 bytes before the frame is pushed|interp/deliver.c|s/^\([ \t]*\)top \&= ~(FRAME_ALIGN - 1);/\1(void)0;/|test_interp|test_deliver_from_user_and_ist
norf|a fault'"'"'s frame saves RFLAGS without RF|interp/deliver.c|s/frame\[n++\] = v->rflags . (is_fault(ev) ? FL_RF : 0);/frame[n++] = v->rflags; (void)is_fault;/|test_interp|test_deliver_same_level
keepif|an interrupt gate leaves IF set|interp/deliver.c|s/if (g->type == DESC_SYS_INT_GATE)$/if (0)/|test_interp|test_deliver_same_level
keepss|a change to ring 0 keeps the old SS instead of a null one|interp/deliver.c|s/if (new_cpl != v->cpl) {/if (0) {/|test_interp|test_deliver_from_user_and_ist
syscallrcx|syscall saves the address of the syscall itself in RCX, not of the next instruction|interp/syscall.c|s/v->regs\[GPR_RCX\] = in->rip + in->size;/v->regs[GPR_RCX] = in->rip;/|test_interp|test_syscall_sysret
sfmask|syscall ignores IA32_FMASK|interp/syscall.c|s/v->rflags = ((v->rflags \& ~v->sfmask) \& ~FL_RF) . FL_FIXED1;/v->rflags = (v->rflags \& ~FL_RF) + 0 * FL_FIXED1;/|test_interp|test_syscall_sysret
sysretcanon|sysretq to a non-canonical RCX is not #GP(0) at CPL 0 (CVE-2012-0217)|interp/syscall.c|s/if (!x86_canonical(v->regs\[GPR_RCX\])) {/if (0) {/|test_interp|test_syscall_sysret'
. "$(dirname "$0")/../../scripts/lab-wrong.sh"
