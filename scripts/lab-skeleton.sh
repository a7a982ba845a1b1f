#!/bin/sh
# scripts/lab-skeleton.sh - write a student's tree for one lab.
#
#   sh scripts/lab-skeleton.sh N DIR      (make lab-skeleton LAB=N OUT=DIR)
#
# Copies the tree (the files git knows, tracked or new, not ignored) into
# DIR and replaces every region of lab N,
#
#   /* LAB N BEGIN: what the hole is for */
#   ... the reference solution ...
#   /* LAB N END; hole: C statements that stand in for it */
#
# by a marked hole: a comment that says what to write and where the
# handout explains it, then the hole's statements, which build and stop
# the guest with one clear line (core/lab.h).  Text files mark their
# regions with <!-- --> or # comments the same way.  The other labs'
# regions keep their solutions (and their markers), so every lab can be
# done on its own, in any order.  A lab may also list files that students
# produce themselves (labs/NN-name/remove): the skeleton leaves them out.
set -eu
LAB=${1:?usage: lab-skeleton.sh N DIR}
OUT=${2:?usage: lab-skeleton.sh N DIR}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
LABDIR=$(cd "$ROOT" && ls -d labs/0"$LAB"-* 2>/dev/null | head -1 || true)
[ -n "$LABDIR" ] || { echo "lab-skeleton: there is no lab $LAB in labs/" >&2; exit 2; }
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
cd "$ROOT"
case $OUT/ in "$ROOT"/*)
	echo "lab-skeleton: DIR must be outside this tree ($ROOT)" >&2; exit 2 ;; esac

# The tree: git's files when this is a clone, else everything but builds.
if git -C "$ROOT" rev-parse >/dev/null 2>&1; then
	git ls-files --cached --others --exclude-standard
else
	find . -type f ! -path './.git/*' ! -path './build*' | sed 's|^\./||'
fi | while read -r f; do
	[ -f "$f" ] || continue # deleted in the working tree
	mkdir -p "$OUT/$(dirname "$f")"
	cp -p "$f" "$OUT/$f"
done

# Files the lab asks students to produce themselves (labs/NN-name/remove,
# one path a line, # comments): the skeleton does not ship them.
if [ -f "$LABDIR/remove" ]; then
	grep -v '^#' "$LABDIR/remove" | while read -r f; do
		[ -n "$f" ] && rm -f "$OUT/$f"
	done
fi

# Replace lab N's regions in every file that has one.
holes=0
# (The handouts and the guide show markers as examples: not regions.)
for f in $(grep -rl --exclude-dir=.git "LAB $LAB BEGIN" "$OUT" || true); do
	case $f in "$OUT"/labs/README.md|"$OUT"/labs/*/README.md) continue ;; esac
	awk -v lab="$LAB" -v doc="$LABDIR/README.md" -f "$ROOT/scripts/lab-holes.awk" \
		"$f" >"$f.tmp"
	mv "$f.tmp" "$f"
	holes=$((holes + $(grep -c "LAB $LAB: your" "$f" || true)))
done
[ "$holes" -gt 0 ] || { echo "lab-skeleton: lab $LAB has no regions" >&2; exit 1; }
echo "lab $LAB skeleton in $OUT: $holes holes (see $LABDIR/README.md)"
