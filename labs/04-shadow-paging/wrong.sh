#!/bin/sh
# labs/04-shadow-paging/wrong.sh - lab 4's planted wrong solutions, each a
# mistake its handout warns of (scripts/lab-wrong.sh says how they are
# checked; `--list` names them).
# shellcheck disable=SC2034 # read by scripts/lab-wrong.sh
LAB=4
# shellcheck disable=SC2034
BUGS='largepage|invlpg in a guest large page forgets only the 4 KiB leaf of the address|shadowpt/shadowpt.c|/^static bool spt_invlpg_view/,/^}/s/if (\*e \& SPT_LARGE) {/if (0) {/|test_shadowpt|test_shadow_invlpg_large
largeflush|invlpg in a large page tells the engine to flush one address, not all|shadowpt/shadowpt.c|/^static bool spt_invlpg_view/,/^}/s/^\([ \t]*\)return true;/\1return false;/|test_shadowpt|test_shadow_invlpg_large
onespace|invlpg forgets the address only in the active address space|shadowpt/shadowpt.c|/^void shadowpt_invlpg/,/^}/s/if (!s->in_use)$/if (!s->in_use + (s != vm->spt->active))/|test_shadowpt|test_cr3_switch_and_back
oneview|invlpg forgets the address in one view (supervisor or user) only|shadowpt/shadowpt.c|/^void shadowpt_invlpg/,/^}/s/for (int v = 0; v < SHADOW_NVIEWS; v++)/for (int v = 0; v < 1; v++)/|test_shadowpt|test_shadow_invlpg
dropglobal|a CR3 write forgets the global leaves too|shadowpt/shadowpt.c|s/if (level == 1 ? !(t\[i\] \& PTE_G) :/if (level == 1 ? true :/|test_shadowpt|test_cr3_keeps_only_global_entries
keepall|a CR3 write forgets nothing: every leaf is taken for global|shadowpt/shadowpt.c|s/if (level == 1 ? !(t\[i\] \& PTE_G) :/if (level == 1 ? false :/|test_shadowpt|test_cr3_keeps_only_global_entries
nocr2|a true fault leaves CR2 as it was|shadowpt/shadowpt.c|/^static.*spt_true_fault/,/^}/s/vm->vcpu.cr2 = [^;]*;/(void)0;/|test_shadowpt|test_shadow_true_fault'
. "$(dirname "$0")/../../scripts/lab-wrong.sh"
