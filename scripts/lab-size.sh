#!/bin/sh
# scripts/lab-size.sh - the size of each lab's reference, beside the
# hours its handout estimates.
#
#   sh scripts/lab-size.sh           a line per lab: regions, lines of C, hours
#   sh scripts/lab-size.sh --check   and fail where a handout's "regions
#                                    are N lines" is more than 10% off
#
# The lines counted are those between a lab's LAB N BEGIN and END markers
# in C files that are neither blank nor comments: what a student writes.
# Each handout's "Time:" paragraph states that number, so that its estimate
# of hours is checked against the work it stands for (labs/README.md).
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 2
bad=0
for d in labs/[0-9][0-9]-*/; do
	d=${d%/}
	n=$(basename "$d" | sed 's/-.*//; s/^0*//')
	files=$(grep -rl --include='*.c' "LAB $n BEGIN" . 2>/dev/null | grep -v '^./build')
	regions=0; lines=0
	for f in $files; do
		# shellcheck disable=SC2046 # two numbers
		set -- $(awk -v b="LAB $n BEGIN" -v e="LAB $n END" '
			index($0, b) { on = 1; r++; next }
			index($0, e) { on = 0; next }
			on && NF && $0 !~ /^[ \t]*(\/\*|\*)/ { l++ }
			END { print r + 0, l + 0 }' "$f")
		regions=$((regions + $1)); lines=$((lines + $2))
	done
	hours=$(sed -n 's/^Time: about \([0-9]*\) hours.*/\1/p' "$d/README.md" | head -1)
	said=$(tr '\n' ' ' <"$d/README.md" | sed -n 's/.*regions\{0,1\} \(are\|is\) \(only \)\{0,1\}\([0-9]*\) lines\{0,1\}.*/\3/p' | head -1)
	printf 'lab %s: %s hours; %d regions, %d lines of C' "$n" "${hours:-?}" "$regions" "$lines"
	[ -n "$said" ] && printf ' (the handout says %s)' "$said"
	echo
	if [ "${1:-}" = --check ] && [ "$lines" -gt 0 ]; then
		if [ -z "$said" ]; then
			echo "  $d/README.md: its Time paragraph does not give the regions' size (not checked)" >&2
		elif [ $((said * 10)) -lt $((lines * 9)) ] || [ $((said * 10)) -gt $((lines * 11)) ]; then
			echo "  $d/README.md says $said lines; the regions have $lines: update its estimate" >&2; bad=1
		fi
	fi
done
exit $bad
