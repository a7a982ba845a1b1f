#!/bin/sh
# labs/01-classify/wrong.sh - lab 1's planted wrong solutions of
# pg_classify_mov() (scripts/lab-wrong.sh says how they are checked;
# `--list` names them).  A wrong class in answers.txt loses its own 2
# points by construction (scripts/grade.sh, lab1_answers).
# shellcheck disable=SC2034 # read by scripts/lab-wrong.sh
LAB=1
# shellcheck disable=SC2034
BUGS='sregpriv|mov to Sreg is given the row of pop Sreg (privileged): the SS rule makes it sensitive-unprivileged|isa/pgclass.c|/^static const struct pg_entry \*pg_classify_mov/,/^}/s/return \&pg_table\[PGF_MOV_TO_SREG\];/return \&pg_table[PGF_POP_SREG];/|test_isa|test_table_sensitive_unprivileged
crswap|operand 0 is taken for the source: mov cr3, rax becomes mov from crN|isa/pgclass.c|/^static const struct pg_entry \*pg_classify_mov/,/^}/s/x86_reg dst = pg_reg(in, 0), src = pg_reg(in, 1);/x86_reg dst = pg_reg(in, 1), src = pg_reg(in, 0);/|test_isa|test_decode_mov_cr3
nodr|the debug-register forms fall through to an ordinary mov (innocuous)|isa/pgclass.c|/^static const struct pg_entry \*pg_classify_mov/,/^}/s/if (pg_is_dr([ds][sr][tc]))/if (0)/|test_isa|test_table_privileged
nosreg|mov from Sreg falls through to an ordinary mov (innocuous)|isa/pgclass.c|/^static const struct pg_entry \*pg_classify_mov/,/^}/s/if (pg_is_sreg(src))/if (0)/|test_isa|test_table_sensitive_unprivileged'
. "$(dirname "$0")/../../scripts/lab-wrong.sh"
