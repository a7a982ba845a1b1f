#!/bin/sh
# labs/02-trap-and-emulate/wrong.sh - lab 2's planted wrong solutions, each
# a mistake its handout warns of (scripts/lab-wrong.sh says how they are
# checked; `--list` names them).
# shellcheck disable=SC2034 # read by scripts/lab-wrong.sh
LAB=2
# shellcheck disable=SC2034
BUGS='cplfirst|mov crN checks CPL before the register: CR1/CR5 at CPL 3 give #GP, not #UD|interp/cr.c|/^void interp_mov_cr/,/^}/s/^\([ \t]*\)if (!read_cr(&vm->vcpu, cr, &val)) {/\1if (!interp_require_cpl0(vm)) return; if (!read_cr(\&vm->vcpu, cr, \&val)) {/|test_interp|test_mov_cr_ud_before_cpl
crfault|mov crN advances RIP even when the write faulted|interp/cr.c|s/^\([ \t]*\)if (!vm->vcpu.exception.pending)$/\1if (1)/|test_interp|test_mov_cr
rdmsrhigh|rdmsr keeps the upper half of RAX|interp/msr.c|s/v->regs\[GPR_RAX\] = (uint32_t)val;/v->regs[GPR_RAX] ^= (uint32_t)v->regs[GPR_RAX] ^ (uint32_t)val;/|test_interp|test_rdmsr_zero_extends
wrmsrhigh|wrmsr takes all of RAX, not EAX|interp/msr.c|s/uint64_t val = (v->regs\[GPR_RDX\] << 32) . (uint32_t)v->regs\[GPR_RAX\];/uint64_t val = (v->regs[GPR_RDX] << 32) + v->regs[GPR_RAX];/|test_interp|test_rdmsr_zero_extends
repexit|the rep outs loop goes on after the guest wrote to isa-debug-exit|interp/io.c|/^static void string_run/,/^}/s/^\([ \t]*\)if (vm->stopped)$/\1if (0)/|test_interp|test_rep_outs_stops_at_exit
clinoiopl|cli at CPL 3 ignores IOPL|interp/flags.c|/^void interp_cli/,/^}/s/if (!may_change_if(vm))/if (0)/|test_interp|test_cli_sti
stinoshadow|sti enables interrupts at once, without the one-instruction shadow|interp/flags.c|s/vm->vcpu.interrupt_shadow = true;/(void)0;/|test_interp|test_cli_sti
hltcpl|hlt at CPL 3 halts instead of #GP(0)|interp/hlt.c|s/if (!interp_require_cpl0(vm))/if (0)/|test_interp|test_hlt_invlpg_wbinvd'
. "$(dirname "$0")/../../scripts/lab-wrong.sh"
