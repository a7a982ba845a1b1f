#!/bin/sh
# scripts/lab-skeleton.sh - write a student's tree for one lab.
#
#   sh scripts/lab-skeleton.sh N DIR      (make lab-skeleton LAB=N OUT=DIR)
#   ONLY=1 sh scripts/lab-skeleton.sh N DIR   (make ... ONLY=1)
#
# Copies the tree (the files git knows, tracked or new, not ignored) into
# DIR and replaces every region of lab N and of every later lab,
#
#   /* LAB N BEGIN: what the hole is for */
#   ... the reference solution ...
#   /* LAB N END; hole: C statements that stand in for it */
#
# by a marked hole: a comment that says what to write and which handout
# (labs/NN-name/README.md) explains it, then the hole's statements, which
# build and stop the guest with one clear line (core/lab.h).  Text files
# mark their regions with <!-- --> or # comments the same way.  Earlier
# labs' regions keep their solutions (and their markers): a course hands
# the labs out in order, and lab N's tree is the monitor as the students
# finished lab N-1, without the answers of the labs still to come.
# ONLY=1, for the instructor, holes lab N alone and keeps every other
# lab's solution (so that one lab can be given on its own, in any order).
#
# A lab may list files that students produce themselves
# (labs/NN-name/remove): the skeleton leaves out those of every holed lab,
# and every lab's planted wrong solutions (labs/*/wrong.sh), whose sed
# scripts quote the reference.  A lab whose tasks need the finished
# monitor before the students have written it lists, in labs/NN-name/ref,
# built files (paths under BUILD, default build) that the skeleton copies
# to DIR/ref/: lab 1 runs pgcheck on a reference trapvisor.  The tree is
# a git repository with one commit, "lab N skeleton", so that students
# see their own changes with git diff.
#
# SEED=1 (the labs suite, which builds a skeleton of every lab) starts
# DIR/build with BUILD's object files, less every one made from a file
# the skeleton changed (the compiler's .d files say which): make then
# compiles only the holed files and those that include them, and links
# everything again.  The untouched files keep their times (cp -p), so
# BUILD's objects of them are up to date as they were in BUILD.  A
# change make cannot follow (a Makefile, a linker script, a source left
# out) seeds nothing.
set -eu
LAB=${1:?usage: lab-skeleton.sh N DIR}
OUT=${2:?usage: lab-skeleton.sh N DIR}
ONLY=${ONLY:-}
SEED=${SEED:-}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-build}
case $LAB in [1-9]|[1-9][0-9]) ;; *)
	echo "lab-skeleton: LAB must be a lab's number, not '$LAB'" >&2; exit 2 ;; esac
labdir() { # N: labs/NN-name, or nothing
	(cd "$ROOT" && ls -d "labs/$(printf %02d "$1")"-* 2>/dev/null | head -1) || true
}
LABDIR=$(labdir "$LAB")
[ -n "$LABDIR" ] || { echo "lab-skeleton: there is no lab $LAB in labs/" >&2; exit 2; }
[ ! -e "$OUT" ] || [ -z "$(ls -A "$OUT")" ] ||
	{ echo "lab-skeleton: $OUT exists and is not empty" >&2; exit 2; }
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
cd "$ROOT"
case $OUT/ in "$ROOT"/*)
	echo "lab-skeleton: DIR must be outside this tree ($ROOT)" >&2; exit 2 ;; esac

# The labs to hole: N, and every later one unless ONLY.
HOLED=$LAB
if [ -z "$ONLY" ]; then
	for d in labs/[0-9][0-9]-*/; do
		m=$(basename "$d" | sed 's/-.*//; s/^0*//')
		[ "$m" -gt "$LAB" ] && HOLED="$HOLED $m"
	done
fi

# The tree: git's files when this is a clone, else everything but builds.
FILES=$(mktemp); trap 'rm -f "$FILES"' EXIT
if git -C "$ROOT" rev-parse >/dev/null 2>&1; then
	git ls-files --cached --others --exclude-standard
else
	find . -type f ! -path './.git/*' ! -path './build*' | sed 's|^\./||'
fi >"$FILES"
while read -r f; do
	[ -f "$f" ] && printf '%s\0' "$f" # not if deleted in the working tree
done <"$FILES" | xargs -0 -r cp -p --parents -t "$OUT"

# Files the holed labs ask students to produce themselves
# (labs/NN-name/remove, one path a line, # comments), and every lab's
# planted wrong solutions: the skeleton does not ship them.
rm -f "$OUT"/labs/*/wrong.sh
for m in $HOLED; do
	d=$(labdir "$m")
	[ -f "$d/remove" ] || continue
	grep -v '^#' "$d/remove" | while read -r f; do
		[ -n "$f" ] && rm -f "$OUT/$f"
	done
done

# Built files a lab's tasks need before the students have written them.
if [ -f "$LABDIR/ref" ]; then
	if grep -v '^#' "$LABDIR/ref" | while read -r f; do
		[ -z "$f" ] && continue
		[ -f "$BUILD/$f" ] || exit 1
		mkdir -p "$OUT/ref/$(dirname "$f")"
		cp -p "$BUILD/$f" "$OUT/ref/$f"
	done; then
		echo "lab $LAB: built reference files in $OUT/ref/ ($LABDIR/ref)"
	else
		echo "lab-skeleton: $LABDIR/ref names files of $BUILD/ that are not built (make BUILD=$BUILD all first)" >&2
		exit 1
	fi
fi

# Replace the holed labs' regions in every file that has one.
# (The handouts and the guide show markers as examples: not regions.)
for m in $HOLED; do
	holes=0
	for f in $(grep -rl --exclude-dir=.git "LAB $m BEGIN" "$OUT" || true); do
		case $f in "$OUT"/labs/README.md|"$OUT"/labs/*/README.md) continue ;; esac
		awk -v lab="$m" -v doc="$(labdir "$m")/README.md" \
			-f "$ROOT/scripts/lab-holes.awk" "$f" >"$f.tmp"
		mv "$f.tmp" "$f"
		holes=$((holes + $(grep -c "LAB $m: your" "$f" || true)))
	done
	[ "$m" != "$LAB" ] || [ "$holes" -gt 0 ] ||
		{ echo "lab-skeleton: lab $LAB has no regions" >&2; exit 1; }
	[ "$m" = "$LAB" ] && nholes=$holes
done

# One commit: the students' starting point.
if command -v git >/dev/null 2>&1; then
	(cd "$OUT" && git init -q && git add -A &&
	 git -c user.name=trapvisor -c user.email=labs@trapvisor.invalid \
		commit -qm "lab $LAB skeleton") ||
		{ echo "lab-skeleton: git could not commit the tree in $OUT" >&2; exit 1; }
fi
# SEED=1: BUILD's compiled files, less those made from a changed file.
seed() {
	changed=$(while read -r f; do
		[ -f "$f" ] || continue
		cmp -s "$f" "$OUT/$f" 2>/dev/null || echo "$f"
	done <"$FILES")
	for f in $changed; do
		case $f in
		Makefile|*.mk|*.ld|*/Makefile)
			echo "lab $LAB: $f changed: build/ not seeded"; return ;;
		*.c|*.h|*.S) [ -f "$OUT/$f" ] ||
			{ echo "lab $LAB: $f left out: build/ not seeded"; return; } ;;
		esac
	done
	[ -d "$BUILD/obj" ] || { echo "lab $LAB: $BUILD is not built: build/ not seeded"; return; }
	mkdir "$OUT/build"
	# The compiled objects only: whatever is linked from them (the
	# library, the monitor, the tests, the guests) is linked again,
	# and nothing a run left in BUILD (bench results, fuzz corpora,
	# grades) comes along.
	for e in cflags obj gobj g32obj gpvobj g32pvobj fuzz/obj; do
		[ -e "$BUILD/$e" ] || continue
		mkdir -p "$OUT/build/$(dirname "$e")"
		cp -a "$BUILD/$e" "$OUT/build/$e"
	done
	# Every file made from a changed one goes: its .d (beside it, named
	# after it: x.o's x.d, a test's test.d) names the changed file.
	printf "%s\n" "$changed" >"$FILES.changed"
	[ -s "$FILES.changed" ] && find "$OUT/build" -name '*.d' -exec awk '
		function norm(p) { while (sub(/^\.\//, "", p)) ; gsub(/\/\.\//, "/", p)
			while (sub(/[^\/.][^\/]*\/\.\.\//, "", p)) ; return p }
		FNR == NR { changed[$0] = 1; next }
		FNR == 1 { rule = ""; hit = 0 }
		{ rule = rule " " $0 }
		/\\$/ { sub(/\\$/, "", rule); next }
		{ sub(/^[^:]*:/, "", rule); n = split(rule, w, /[ \t]+/)
		  for (i = 1; i <= n; i++)
			if (!hit && w[i] != "" && (norm(w[i]) in changed)) { hit = 1; print FILENAME }
		  rule = "" }' "$FILES.changed" {} + |
	while read -r d; do
		rm -f "$d" "${d%.d}.o" "${d%.d}"
	done
	rm -f "$FILES.changed"
	echo "lab $LAB: build/ seeded from $BUILD but for what was made from the $(echo "$changed" | grep -c .) files the skeleton changed"
}
[ -z "$SEED" ] || seed

echo "lab $LAB skeleton in $OUT: $nholes holes (see $LABDIR/README.md)${ONLY:+; ONLY=1: no other lab holed}$([ -z "$ONLY" ] && [ "$HOLED" != "$LAB" ] && echo "; later labs holed too:${HOLED#$LAB}")"
