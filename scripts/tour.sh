#!/bin/sh
# scripts/tour.sh - the guided tour of trapvisor: the code read as a book,
# in the order a trap travels through it.
#
#   sh scripts/tour.sh              the whole tour: each stop's prose, then
#                                   the code it narrates (make tour)
#   sh scripts/tour.sh NNN...       only these stops
#   sh scripts/tour.sh --prose      the prose alone, without the code
#   sh scripts/tour.sh --list       one line per stop: number, name, file:lines
#   sh scripts/tour.sh --check      check the tour (tests/run.sh build tour)
#   sh scripts/tour.sh --self-test  spoil copies of the tree (a renamed
#                                   function, a duplicate number, a broken
#                                   order...) and expect --check to fail
#   sh scripts/tour.sh --check-docs [FILE]  every path and function()
#                                   docs/ARCHITECTURE.md names exists
#
# After lguest's tour (its /*H:NNN comments), a stop is a comment in the
# code that begins with "/*T:" and three digits, at the start of a line:
#
#     /*T:230 The heart of every monitor is this loop: run the guest
#      * until it traps, interpret the trap, resume.
#      */
#     int vm_run(struct vm *vm)
#     {
#             ...
#     }
#
#   - The number orders the stops; each number is used once.
#   - The comment is the stop's prose.  It is followed at once (no blank
#     line; a contract comment may come between) by the definition it
#     narrates: a function, a struct/union/enum, a table, or in assembly
#     (.S) a label.  The tour prints the prose, then that definition from
#     its first line to its closing brace (in assembly: to the first blank
#     line followed by something at the left margin), with file:lines.
#   - The stop's name is what that definition defines, read from the code
#     itself: "vm_run", "struct vm_exit", "pg_table", "syscall_entry".
#
# docs/tour.order is the narrative: the stops in reading order, one
# "NNN name" line each, and "== Title" lines that head the parts of the
# tour.  --check fails unless
#   - every stop is well formed and followed by a definition whose name it
#     can read, its braces closed;
#   - no number is used twice;
#   - the stops found in the code, in the order of their numbers, are
#     exactly the "NNN name" lines of docs/tour.order, in that order, and
#     docs/tour.order's numbers go up;
#   - "stop NNN" in any stop's prose names a stop that exists, and
#     "name()" a function that exists.
# So a stop whose code moves to another file keeps its place, a stop whose
# function is renamed or deleted fails the check until the tour follows,
# and a new stop must be given its place in the narrative.
set -eu
cd "$(dirname "$0")/.."
ORDER=docs/tour.order
AWK=scripts/tour.awk

# Every stop: "NNN file line", by number.
find_stops() {
	find . \( -name .git -o -name 'build*' \) -prune -o \
		-type f \( -name '*.c' -o -name '*.h' -o -name '*.S' \) -print |
	sed 's|^\./||' | sort |
	xargs grep -n '^[[:space:]]*/\*T:' /dev/null |
	sed 's|^\([^:]*\):\([0-9]*\):[[:space:]]*/\*T:\([0-9]*\).*|\3 \1 \2|' |
	sort -k1,1n -k2,2 -k3,3n
}

# The stops of docs/tour.order, "NNN name", in its order.
order_stops() {
	grep -E '^[0-9]{3} ' "$ORDER"
}

# Is there a definition (or declaration) of function $1 in the code?
defined() {
	find . \( -name .git -o -name 'build*' \) -prune -o -type f \
		\( -name '*.c' -o -name '*.h' \) -print |
		xargs grep -qE "^([A-Za-z_].*[^A-Za-z0-9_])?$1\("
}

# One stop, read by tour.awk: "name<TAB>first<TAB>last" or "error<TAB>why".
stop_info() { # file line
	awk -v start="$2" -v mode=check -v path="$1" -f "$AWK" "$1" || true
}

check() {
	stops=$(find_stops)
	[ -n "$stops" ] || { echo "tour: no stops found" >&2; return 1; }
	[ -f "$ORDER" ] || { echo "tour: $ORDER is missing" >&2; return 1; }
	bad=0
	bad_numbers=$(echo "$stops" | awk '$1 !~ /^[0-9][0-9][0-9]$/ { print $2 ":" $3 }')
	if [ -n "$bad_numbers" ]; then
		echo "tour: a stop number is not three digits at" $bad_numbers >&2
		bad=1
	fi
	dups=$(echo "$stops" | awk '{ print $1 }' | uniq -d)
	if [ -n "$dups" ]; then
		for n in $dups; do
			echo "tour: stop $n used twice:" $(echo "$stops" |
				awk -v n="$n" '$1 == n { print $2 ":" $3 }') >&2
		done
		bad=1
	fi
	found=$(echo "$stops" | while read -r n file line; do
		info=$(stop_info "$file" "$line")
		case $info in
		error*)	echo "tour: stop $n at $file:$line: ${info#error	}" >&2
			echo "$n ?" ;;
		*)	echo "$n ${info%%	*}" ;;
		esac
	done)
	echo "$found" | grep -q ' ?$' && bad=1
	if ! order_stops | awk '{ print $1 }' | sort -c -n 2>/dev/null ||
	   [ -n "$(order_stops | awk '{ print $1 }' | uniq -d)" ]; then
		echo "tour: the numbers in $ORDER do not go up" >&2
		bad=1
	fi
	if [ "$found" != "$(order_stops)" ]; then
		echo "tour: the stops in the code differ from $ORDER" \
			"(- $ORDER, + the code):" >&2
		tmp=$(mktemp -d)
		order_stops >"$tmp/order"
		echo "$found" >"$tmp/code"
		diff -u "$tmp/order" "$tmp/code" | tail -n +3 | grep '^[-+]' >&2 || true
		rm -rf "$tmp"
		bad=1
	fi
	# "stop 230", "stops 110-120" in the prose must name stops that exist,
	# and "name()" a function that exists: prose must not go stale.
	prose=$(echo "$stops" | while read -r n file line; do
		awk -v start="$line" -v mode=prose -v path="$file" -f "$AWK" "$file" 2>/dev/null |
			tr '\n' ' ' | sed "s|^|$n |"; echo
	done)
	refs=$(echo "$prose" | while read -r n text; do
		echo "$text" | grep -oE 'stops? [0-9]{3}(-[0-9]{3})?' |
			grep -oE '[0-9]{3}' | sed "s|^|$n |" || true
	done)
	for r in $(echo "$prose" | while read -r n text; do
		echo "$text" | grep -oE '[A-Za-z_][A-Za-z0-9_]*\(\)' |
			tr -d '()' | sed "s|^|$n:|" || true
	done | sort -u); do
		if ! defined "${r#*:}"; then
			echo "tour: stop ${r%:*} names ${r#*:}(), which no file defines" >&2
			bad=1
		fi
	done
	numbers=" $(echo "$stops" | awk '{ printf "%s ", $1 }')"
	for r in $(echo "$refs" | awk 'NF { print $1 ":" $2 }'); do
		case $numbers in
		*" ${r#*:} "*) ;;
		*) echo "tour: stop ${r%:*} refers to stop ${r#*:}, which does not exist" >&2
		   bad=1 ;;
		esac
	done
	[ "$bad" = 0 ] || return 1
	echo "tour: $(echo "$stops" | wc -l) stops, numbered once each, each" \
		"naming its definition, in the order of $ORDER"
}

# docs/ARCHITECTURE.md names files (`path/file.c`) and functions (`name()`):
# each must exist, so that the map cannot drift from the code unnoticed.
check_docs() {
	doc=${1:-docs/ARCHITECTURE.md}
	bad=0; nfiles=0; nfuncs=0
	for f in $(grep -oE '`[A-Za-z0-9_.*/-]+/[A-Za-z0-9_.*/-]*`' "$doc" | tr -d '`' | sort -u); do
		# a path, or a glob such as tests/guests/pgcheck.*.out
		set -- $f
		if ! ls -d $f >/dev/null 2>&1; then
			echo "$doc: names $f, which is not in the tree" >&2; bad=1
		fi
		nfiles=$((nfiles + 1))
	done
	for fn in $(grep -oE '`[A-Za-z_][A-Za-z0-9_]*\(\)`' "$doc" | tr -d '`()' | sort -u); do
		if ! defined "$fn"; then
			echo "$doc: names $fn(), which no file defines" >&2; bad=1
		fi
		nfuncs=$((nfuncs + 1))
	done
	[ "$bad" = 0 ] || return 1
	echo "tour: $doc names $nfiles paths and $nfuncs functions, all in the tree"
}

# The tour itself.  mode is print or prose; the rest are stop numbers.
show() {
	mode=$1; shift
	stops=$(find_stops)
	[ -n "$stops" ] || { echo "tour: no stops found" >&2; return 1; }
	if [ $# = 0 ]; then
		cat <<-EOF
		trapvisor: a guided tour of the code
		====================================

		The code read as a book, in the order one trap travels through the
		monitor.  Each stop is a /*T:NNN comment in the code, printed with
		the definition it narrates and the file and lines it comes from.
		docs/ARCHITECTURE.md draws the map; docs/tour.order lists the stops.
		EOF
	fi
	# The part headings go just before the stop that follows them.
	{
		echo "$stops" | awk '{ print $1, "S", $2, $3 }'
		[ -f "$ORDER" ] && awk '
			/^== / { h[++nh] = substr($0, 4); next }
			/^[0-9][0-9][0-9] / { for (; i < nh; ) print $1, "H", h[++i] }
		' "$ORDER"
	} | sort -k1,1n -k2,2 | while read -r n kind file line; do
		if [ $# -gt 0 ]; then
			case " $* " in *" $n "*) ;; *) continue ;; esac
		fi
		if [ "$kind" = H ]; then
			[ $# -gt 0 ] && continue
			title="$file${line:+ $line}"
			printf '\n\n%s\n%s\n' "$title" \
				"$(echo "$title" | sed 's/./=/g')"
			continue
		fi
		info=$(stop_info "$file" "$line")
		case $info in
		error*)	where="$file:$line"; name="(malformed: ${info#error	})" ;;
		*)	name=${info%%	*}; rest=${info#*	}
			where="$file:${rest%%	*}-${rest#*	}" ;;
		esac
		printf '\n\nT:%s  %s  --  %s\n\n' "$n" "$name" "$where"
		awk -v start="$line" -v mode="$mode" -v path="$file" -f "$AWK" "$file" || true
	done
	if [ $# = 0 ]; then
		cat <<-EOF


		The end of the tour
		===================

		That is one trap, from the guest's instruction to its return, on
		three engines, and the machine around it.  To go on: the labs
		(labs/README.md) take these same functions apart one at a time;
		docs/ARCHITECTURE.md says how to add an instruction, a device or an
		engine; isa/README.md is Popek and Goldberg's classification of
		x86-64, row by row.
		EOF
	fi
}

# Run --check on copies of the tree spoiled on purpose: each must fail,
# with the message that names the fault.
self_test() {
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	here=$(pwd)
	ok=0; bad=0
	copy() {
		rm -rf "$tmp/t"; mkdir "$tmp/t"
		(cd "$here" && find . \( -name .git -o -name 'build*' \) -prune -o \
			-type f \( -name '*.[chS]' -o -path ./docs/tour.order \
			-o -path './scripts/tour.*' \) -print | tar cf - -T -) |
			tar xf - -C "$tmp/t"
	}
	# The first stop that narrates a function (name followed by "(").
	victim() {
		(cd "$tmp/t" && sh scripts/tour.sh --list) |
			awk '$2 ~ /^[a-z_][a-z0-9_]*$/ && $2 != "main" { print; exit }'
	}
	expect() { # what message
		if (cd "$tmp/t" && sh scripts/tour.sh --check) >"$tmp/log" 2>&1; then
			echo "FAIL: --check passed a tree with $1"; bad=$((bad + 1))
		elif ! grep -q "$2" "$tmp/log"; then
			echo "FAIL: --check failed a tree with $1, but not saying \"$2\":"
			sed 's/^/    /' "$tmp/log"; bad=$((bad + 1))
		else
			echo "ok: $1 fails the check"; ok=$((ok + 1))
		fi
	}

	copy
	if (cd "$tmp/t" && sh scripts/tour.sh --check) >"$tmp/log" 2>&1; then
		echo "ok: the unspoiled copy passes"; ok=$((ok + 1))
	else
		echo "FAIL: the unspoiled copy fails:"; sed 's/^/    /' "$tmp/log"
		return 1
	fi
	set -- $(victim)   # number name file:first-last
	n=$1 name=$2 file=${3%%:*} first=${3#*:}; first=${first%-*}

	# 1. The narrated function renamed: the stop names what is not there.
	copy
	sed -i "${first},\$ s/\\b$name(/${name}_renamed(/" "$tmp/t/$file"
	expect "$name renamed" "differ from"
	# 2. A blank line between a stop and its definition.
	copy
	sed -i "$((first - 1))a\\
" "$tmp/t/$file"
	expect "a blank line after stop $n" "a blank line between"
	# 3. Two stops with one number.
	copy
	set -- $(cd "$tmp/t" && sh scripts/tour.sh --list |
		awk -v n="$n" '$1 != n { sub(/:[0-9-]*$/, "", $NF); print $1, $NF; exit }')
	sed -i "s|^\\([[:space:]]*\\)/\\*T:$1|\\1/*T:$n|" "$tmp/t/$2"
	expect "stop $1 renumbered $n" "used twice"
	# 4. Two stops swapped: the narrative order is broken.
	copy
	a=$(sed -n 's/^\([0-9]\{3\}\) .*/\1/p' "$tmp/t/$ORDER" | sed -n 1p)
	b=$(sed -n 's/^\([0-9]\{3\}\) .*/\1/p' "$tmp/t/$ORDER" | sed -n 2p)
	(cd "$tmp/t" && sed -i "s|^\\([[:space:]]*\\)/\\*T:$a|\\1/*T:XXX|; s|^\\([[:space:]]*\\)/\\*T:$b|\\1/*T:$a|; s|^\\([[:space:]]*\\)/\\*T:XXX|\\1/*T:$b|" \
		$(grep -rl '/\*T:' --include='*.[chS]' .))
	expect "stops $a and $b swapped" "differ from"
	# 5. A stop missing from docs/tour.order.
	copy
	sed -i "/^$n /d" "$tmp/t/$ORDER"
	expect "stop $n left out of $ORDER" "differ from"
	# 6. A stop followed by a declaration only.
	copy
	sed -i "$((first - 1))a\\
void tour_self_test_declaration(void);" "$tmp/t/$file"
	expect "a declaration after stop $n" "a declaration"
	# 7. An unclosed stop comment at the end of a file.
	copy
	printf '/*T:999 never closed\n' >>"$tmp/t/$file"
	expect "an unclosed stop" "never closed"

	# 8. A stop's prose that points at a stop that does not exist.
	copy
	sed -i "$((first - 2))s|\$| (stop 998)|" "$tmp/t/$file"
	expect "stop $n pointing at stop 998" "does not exist"
	# 9. A stop's prose that names a function that is gone.
	copy
	sed -i "$((first - 2))s|\$| (see gone_function())|" "$tmp/t/$file"
	expect "stop $n naming gone_function()" "gone_function(), which no file"
	# 10. A stop moved, with its function, to another file: it keeps its
	#     place, and the check still passes.
	copy
	last=$(cd "$tmp/t" && sh scripts/tour.sh --list |
		awk -v n="$n" '$1 == n { sub(/.*-/, "", $NF); print $NF }')
	at=$(grep -n "^[[:space:]]*/\*T:$n" "$tmp/t/$file" | cut -d: -f1)
	mkdir -p "$tmp/t/moved"
	sed -n "${at},${last}p" "$tmp/t/$file" >"$tmp/t/moved/elsewhere.c"
	sed -i "${at},${last}d" "$tmp/t/$file"
	if (cd "$tmp/t" && sh scripts/tour.sh --check) >"$tmp/log" 2>&1 &&
	   (cd "$tmp/t" && sh scripts/tour.sh --list) | grep -q "^$n $name moved/elsewhere.c:"; then
		echo "ok: stop $n moved to another file keeps its place"; ok=$((ok + 1))
	else
		echo "FAIL: stop $n moved to another file:"; sed 's/^/    /' "$tmp/log"
		bad=$((bad + 1))
	fi
	# 11. --check-docs: a map that names a file or a function that is gone.
	printf '%s\n' 'See `scripts/tour.sh` and `main()`.' >"$tmp/good.md"
	printf '%s\n' 'See `monitor/no_such_file.c` and `no_such_function()`.' >"$tmp/bad.md"
	if check_docs "$tmp/good.md" >"$tmp/log" 2>&1 &&
	   ! check_docs "$tmp/bad.md" >"$tmp/log" 2>&1 &&
	   grep -q 'no_such_file.c, which is not' "$tmp/log" &&
	   grep -q 'no_such_function(), which no file' "$tmp/log"; then
		echo "ok: --check-docs passes a true map and fails a stale one"; ok=$((ok + 1))
	else
		echo "FAIL: --check-docs:"; sed 's/^/    /' "$tmp/log"; bad=$((bad + 1))
	fi

	# Every change above was made to the copy: the tree itself still passes.
	if check >"$tmp/log" 2>&1; then
		echo "ok: the tree itself still passes"; ok=$((ok + 1))
	else
		echo "FAIL: the tree itself fails now:"; sed 's/^/    /' "$tmp/log"
		bad=$((bad + 1))
	fi
	echo "tour self-test: $ok passed, $bad failed"
	[ "$bad" = 0 ]
}

case ${1:-} in
--check)	check ;;
--self-test)	self_test ;;
--check-docs)	shift; check_docs "$@" ;;
--prose)	shift; show prose "$@" ;;
--list)
	find_stops | while read -r n file line; do
		info=$(stop_info "$file" "$line")
		case $info in
		error*)	echo "$n ? $file:$line" ;;
		*)	rest=${info#*	}
			echo "$n ${info%%	*} $file:${rest%%	*}-${rest#*	}" ;;
		esac
	done ;;
-*)	sed -n '2,/^set -eu/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
*)	show print "$@" ;;
esac
