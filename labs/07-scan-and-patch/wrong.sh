#!/bin/sh
# labs/07-scan-and-patch/wrong.sh - lab 7's planted wrong solutions of
# patch/patch.c, each a bug its handout warns of (scripts/lab-wrong.sh
# says how they are checked; `--list` names them).
# shellcheck disable=SC2034 # read by scripts/lab-wrong.sh
LAB=7
# shellcheck disable=SC2034
BUGS='sweep|a jmp falls through: a linear sweep, which decodes the data after it|patch/patch.c|s/return imm_target(in, target) ? FLOW_JUMP : FLOW_END;/return FLOW_NEXT;/|test_patch|test_follows_flow_not_sweep test_where_paths_go
noreturn|a call is taken as a jmp: the code after it is left unscanned|patch/patch.c|s/return imm_target(in, target) ? FLOW_BRANCH : FLOW_NEXT;/return imm_target(in, target) ? FLOW_JUMP : FLOW_NEXT;/|test_patch|test_where_paths_go
privileged|every instruction that is not innocuous is a site, privileged ones too|patch/patch.c|s/bool sens = pg_classify(&in)->cls ==/bool sens = pg_classify(\&in)->cls !=/; s/^\([ \t]*\)PG_SENSITIVE_UNPRIVILEGED;$/\1PG_INNOCUOUS;/|test_patch|test_both_edges_and_calls test_only_sensitive_unprivileged
whole|every byte of a site is replaced, not only the first|patch/patch.c|s/^\([ \t]*\)patch_at(p, pp, at, buf\[at\]);/\1for (unsigned b = 0; b < in.size \&\& at + b < PATCH_PAGE; b++) patch_at(p, pp, at + b, buf[at + b]);/|test_patch|test_overlay test_only_sensitive_unprivileged test_in_ram
ramless|with the patches in RAM (native) the trap byte is not written there|patch/patch.c|s/p->ram\[pp->frame + off\] = PATCH_TRAP;/(void)0;/|test_patch|test_site_inside_another_in_ram
lostbyte|the trap byte is kept in place of the original one|patch/patch.c|s/pp->orig\[off\] = first;/pp->orig[off] = PATCH_TRAP; (void)first;/|test_patch|test_follows_flow_not_sweep test_only_sensitive_unprivileged
csbase|the site is looked up at rip, not at CS.base + rip, in 32-bit code|patch/patch.c|/^bool patch_is_site/,/^}/s/: (uint32_t)(rip + v->seg\[SEG_CS\].base);/: (uint32_t)rip;/|test_patch|test_trap_side
trapbyte|the instruction emulated is what RAM holds at a site: the trap byte|patch/patch.c|/^enum decode_result patch_original/,/^}/s/^\([ \t]*\)unpatch(vm->patch, frame, off, buf, n1);/\1(void)0;/|test_patch|test_original_in_ram
onepage|the original instruction is decoded without the next page it crosses into|patch/patch.c|s/^\([ \t]*\)uint64_t next = (lin + n1) \& mask;/\1return res; uint64_t next = (lin + n1) \& mask;/|test_patch|test_original_in_ram
crossing|the crossing instruction'"'"'s second frame is not remembered|patch/patch.c|s/p->crossed\[next_frame \/ PATCH_PAGE\]++;/(void)0;/; s/pp->next_frame = next_frame;/(void)0;/|test_patch|test_crossing'
. "$(dirname "$0")/../../scripts/lab-wrong.sh"
