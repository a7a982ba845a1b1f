#!/bin/sh
# bench/answers.sh - the three historical answers to x86's
# sensitive-unprivileged instructions, side by side on one check guest.
#
#   sh bench/answers.sh BUILD            # a markdown table on stdout
#
# pgcheck (guests/pgcheck) runs every privileged and every
# sensitive-unprivileged instruction at the guest kernel's virtual CPL 0
# and says which behave as on a real ring 0.  Each row runs it under one
# answer on one engine:
#   none          --isa=x86: the real x86, nothing done (the problem)
#   hardware      --isa=x86,umip / cpuid-fault: what later CPUs can make
#                 trap (isa/README.md, "Hardware's answer")
#   scan-and-patch  --patch: VMware's answer, the guest's code rewritten
#                 before it runs (patch/README.md)
#   paravirtual   pgcheck-pv.elf: Xen's and lguest's, the guest changed
#                 to ask the monitor (guests/runtime/README.md)
#   strict        --isa=strict: the x86 Popek and Goldberg would accept
#                 (softcpu only: no real CPU is one)
# The kvm engine (VT-x/AMD-V, the answer that won) needs the nested
# machine: tests/kvm runs pgcheck there, and every check passes.
# Columns: the checks that pass of each group, the sensitive-unprivileged
# ones still failing, and the cost: exits to the monitor and wall time of
# the whole run (--stats).  A row whose engine cannot run here says why.
set -u
B=${1:?usage: sh bench/answers.sh BUILD}
TV=$B/trapvisor
T=${TMPDIR:-/tmp}/answers.$$; mkdir -p "$T"; trap 'rm -rf "$T"' EXIT

rows='none|softcpu|pgcheck.elf|--isa=x86
none|native|pgcheck.elf|--isa=x86
hardware: umip|softcpu|pgcheck.elf|--isa=x86,umip
hardware: cpuid-fault|softcpu|pgcheck.elf|--isa=x86,cpuid-fault
hardware: cpuid-fault|native|pgcheck.elf|--isa=x86,cpuid-fault
hardware: both|softcpu|pgcheck.elf|--isa=x86,umip,cpuid-fault
scan-and-patch|softcpu|pgcheck.elf|--patch
scan-and-patch|native|pgcheck.elf|--patch
paravirtual|softcpu|pgcheck-pv.elf|
paravirtual|native|pgcheck-pv.elf|
strict (P&G)|softcpu|pgcheck.elf|--isa=strict'

echo "| answer | engine | privileged passed | sensitive-unprivileged passed | still failing | exits | run time |"
echo "| --- | --- | ---: | ---: | --- | ---: | ---: |"
echo "$rows" | while IFS='|' read -r answer engine img args; do
	# shellcheck disable=SC2086 # args: several options or none
	"$TV" --engine="$engine" --stats $args "$B/guests/$img" \
		</dev/null >"$T/out" 2>"$T/err"
	if ! grep -q '^pgcheck: ' "$T/out"; then
		why=$(grep -m1 '^trapvisor:' "$T/err" | cut -c1-90)
		echo "| $answer | $engine | - | - | ${why:-no pgcheck line} | - | - |"
		continue
	fi
	awk -v answer="$answer" -v engine="$engine" -v err="$T/err" '
		/^== privileged/ { g = "p"; next }
		/^== sensitive-unprivileged/ { g = "s"; next }
		/^== / { g = ""; next }
		/^PASS / { pass[g]++; all[g]++ }
		/^FAIL / { all[g]++; if (g == "s") { sub(":", "", $2); bad = bad " " $2 } }
		END {
			while ((getline l < err) > 0) {
				split(l, f, " ")
				if (f[1] == "total" && exits == "") exits = f[2]
				if (f[1] == "run" && f[2] == "time") t = f[3] " s"
			}
			printf "| %s | %s | %d of %d | %d of %d | %s | %s | %s |\n",
			    answer, engine, pass["p"], all["p"], pass["s"],
			    all["s"], bad == "" ? "none" : substr(bad, 2),
			    exits, t
		}' "$T/out"
done
