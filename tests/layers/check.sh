#!/bin/sh
# tests/layers/check.sh - the monitor's folders form layers, without cycles.
#
# The allowed order, lowest first.  A file may include headers of its own
# folder and of any folder *below* it, never of one above it nor of another
# folder on the same level (engines/softcpu, engines/native and engines/kvm
# are one level, and none may include another):
#
#   core       the vCPU, the VM, exits, the engine interface, guest RAM,
#              virtual time, panic: depends on nothing else
#   isa        x86 constants, Capstone decoding, Popek-Goldberg classes
#   shadowpt   the guest page-table walk, instruction fetch, shadow tables
#   devices    the chips and the port map
#   firmware   what a BIOS leaves in RAM: BIOS data area, memory map, MP
#              and ACPI tables
#   interp     one routine per sensitive instruction; exception delivery
#   patch      --patch: the scanner and the table of patched sites
#   engines/*  softcpu, native, kvm
#   monitor    the front end: main, loader, trace, stats, dispatch, run loop
#
# Folders outside the list (tests, bench, fuzz, guests) may include any of
# them; nothing in the list may include them.  Run from anywhere:
#
#   sh tests/layers/check.sh [ROOT]   prints one line per violation and a
#                                     summary; exit status 1 on any
#                                     violation or cycle.  ROOT is the tree
#                                     to check (default: this one).
set -u
cd "${1:-$(dirname "$0")/../..}"
LAYERS="core isa shadowpt devices firmware interp patch engines monitor"

# Every quoted include in the listed folders, as "FROMDIR TODIR FILE:LINE".
edges() {
	for d in $LAYERS; do
		find "$d" -name '*.[ch]' 2>/dev/null
	done | sort | while read -r f; do
		awk -v f="$f" '
		/^[ \t]*#[ \t]*include[ \t]*"/ {
			inc = $0
			sub(/^[^"]*"/, "", inc); sub(/".*/, "", inc)
			print f, inc, NR
		}' "$f"
	done | awk '
	function folder(p,   a, n) {
		n = split(p, a, "/")
		if (n < 2) return "."        # a header beside the file: same folder
		if (a[1] == "engines" && n >= 3) return "engines/" a[2]
		return a[1]
	}
	{ from = folder($1); to = ($2 ~ /\//) ? folder($2) : from
	  print from, to, $1 ":" $3 }'
}

edges | awk -v layers="$LAYERS" '
function level(d,   base) {
	base = d; sub(/\/.*/, "", base)
	return (base in rank) ? rank[base] : -1
}
BEGIN { n = split(layers, l, " "); for (i = 1; i <= n; i++) rank[l[i]] = i }
$1 == $2 { next }
{
	if (!(($1 " " $2) in seen)) ndeps++
	seen[$1 " " $2] = 1
	lf = level($1); lt = level($2)
	if (lt < 0) {
		printf "layers: %s includes from %s, which is outside the layers\n", $3, $2
		bad++
	} else if (lt >= lf) {
		printf "layers: %s (%s) includes from %s, which is not below it\n", $3, $1, $2
		bad++
	}
}
END {
	# A cycle between folders, found by closing the "includes" relation.
	for (e in seen) { split(e, p, " "); reach[p[1] " " p[2]] = 1; node[p[1]]; node[p[2]] }
	changed = 1
	while (changed) {
		changed = 0
		for (a in node) for (b in node) if ((a " " b) in reach)
			for (c in node) if ((b " " c) in reach && !((a " " c) in reach)) {
				reach[a " " c] = 1; changed = 1
			}
	}
	for (a in node) if ((a " " a) in reach) {
		printf "layers: folder %s is on an include cycle\n", a
		bad++
	}
	if (bad) { printf "layers: %d violation(s)\n", bad; exit 1 }
	printf "layers: %d folder dependencies, all downward, no cycle\n", length(seen)
}'
