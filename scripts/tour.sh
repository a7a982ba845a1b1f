#!/bin/sh
# scripts/tour.sh - the guided tour of trapvisor, in reading order.
#
# Tour stops are comments in the code that begin with "/*T:NNN" (after
# lguest's "/*H:NNN"): NNN orders them.  This script prints every stop in
# order with the file and line it comes from.
#
#   sh scripts/tour.sh           print the tour
#   sh scripts/tour.sh --check   check it: numbers unique, at least one
#                                stop, and every stop a closed comment
set -eu
cd "$(dirname "$0")/.."
SRC="core isa shadowpt devices interp engines monitor guests"

stops=$(grep -rn --include='*.c' --include='*.h' --include='*.S' -o '/\*T:[0-9][0-9][0-9]' $SRC |
	sed 's|^\(.*\):\([0-9]*\):/\*T:\([0-9]*\)$|\3 \1 \2|' | sort -n)
[ -n "$stops" ] || { echo "tour: no stops found" >&2; exit 1; }

if [ "${1:-}" = --check ]; then
	dups=$(echo "$stops" | awk '{print $1}' | uniq -d)
	[ -z "$dups" ] || { echo "tour: stop numbers used twice: $dups" >&2; exit 1; }
	echo "$stops" | while read -r n file line; do
		awk -v l="$line" 'NR >= l && /\*\// { found = 1; exit } END { exit !found }' "$file" ||
			{ echo "tour: stop $n in $file:$line is not a closed comment" >&2; exit 1; }
	done
	echo "tour: $(echo "$stops" | wc -l) stops in order"
	exit 0
fi

echo "$stops" | while read -r n file line; do
	printf '\n== %s  (%s:%s)\n' "$n" "$file" "$line"
	# The comment itself, without its frame.
	awk -v l="$line" 'NR >= l { print; if (/\*\//) exit }' "$file" |
		sed -e 's|^[[:space:]]*/\*T:[0-9]*[[:space:]]*||' -e 's|[[:space:]]*\*/[[:space:]]*$||' \
		    -e 's|^[[:space:]]*\* \{0,1\}||'
done
