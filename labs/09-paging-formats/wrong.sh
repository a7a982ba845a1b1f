#!/bin/sh
# labs/09-paging-formats/wrong.sh - lab 9's planted wrong solutions, each a
# mistake its handout warns of (scripts/lab-wrong.sh says how they are
# checked; `--list` names them).
# shellcheck disable=SC2034 # read by scripts/lab-wrong.sh
LAB=9
# shellcheck disable=SC2034
BUGS='index9|32-bit paging indexed with 9 bits per level, as the 8-byte formats are|shadowpt/walk.c|/^static unsigned walk_index/,/^}/s/) \& 0x3ff;/) \& 0x1ff;/|test_walk|test_walk32_entries
entry8|32-bit paging read with 8-byte entries|shadowpt/walk.c|/^static unsigned walk_entry_size/,/^}/s/return mode == PAGING_32BIT ? 4 : 8;/return 8;/|test_walk|test_walk32_entries test_walk32_cr3
nopse|a 32-bit PDE with PS=1 taken for a 4 MiB page without CR4.PSE|shadowpt/walk.c|/^static bool walk_is_leaf/,/^}/s/return level == 2 \&\& (vm->vcpu.cr4 \& CR4_PSE);/return level == 2;/|test_walk|test_walk32_4m_pse
rsvd4m|a 4 MiB leaf with bits 21:13 set is not a reserved-bit fault|shadowpt/walk.c|/^static uint64_t walk_reserved/,/^}/s/pte \& RSVD_4M/0/|test_walk|test_walk32_4m_reserved
pdptersvd|the PDPTE load takes a present PDPTE with reserved bits set|shadowpt/shadowpt.c|/^int shadowpt_load_pdptes/,/^}/s/(pdpte\[i\] \& PTE_P) \&\& (pdpte\[i\] \& RSVD_PDPTE)/0/|test_walk|test_pae_pdpte_load
pdptehalf|a PDPTE load that fails has already changed the registers|shadowpt/shadowpt.c|/^int shadowpt_load_pdptes/,/^}/s/^\([ \t]*\)memcpy(pdpte, pdpt, sizeof(pdpte));/\1memcpy(v->pdpte, pdpt, sizeof(pdpte));\n\1memcpy(pdpte, pdpt, sizeof(pdpte));/|test_walk|test_pae_pdpte_load
pdptmem|the PAE walk reads the PDPT in memory, not the PDPTE registers|shadowpt/walk.c|/^static int walk_start/,/^}/s/uint64_t pdpte = v->pdpte\[\(.*\)\];/uint64_t pdpte = ((const uint64_t *)gm_ptr(\&vm->mem, v->cr3 \& CR3_PAE_MASK, 32))[\1];/|test_walk|test_pae_walk_registers
pdptenp|a not-present PDPTE is followed when it holds an address|shadowpt/walk.c|/^static int walk_start/,/^}/s/if (!(pdpte \& PTE_P)) {/if (!pdpte) {/|test_walk|test_pae_walk_registers
paepse|PAE 2 MiB pages taken only under CR4.PSE|shadowpt/walk.c|/^static bool walk_is_leaf/,/^}/s/return level == 2; \/\*/return level == 2 \&\& (vm->vcpu.cr4 \& CR4_PSE); \/*/|test_walk|test_pae_indices_and_2m
paersvd|PAE entries checked with 4-level paging reserved bits (62:52 ignored)|shadowpt/walk.c|/^static uint64_t walk_reserved/,/^}/s/rsvd = RSVD_PHYS_PAE;/rsvd = RSVD_PHYS;/|test_walk|test_pae_reserved
noxd|XD ignored in PAE paging, as if only 4-level paging had it|shadowpt/walk.c|/^static bool walk_nx/,/^}/s/return mode == PAGING_PAE \&\& (vm->vcpu.efer \& EFER_NXE);/return false;/|test_walk|test_pae_xd
nx32|execute protection taken for on in 32-bit paging when EFER.NXE is set|shadowpt/walk.c|/^static bool walk_nx/,/^}/s/return mode == PAGING_PAE \&\& /return /|test_walk|test_walk32_no_xd'
. "$(dirname "$0")/../../scripts/lab-wrong.sh"
