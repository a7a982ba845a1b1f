#!/bin/sh
# scripts/grade-class.sh - grade a class's submissions of one lab.
#
#   sh scripts/grade-class.sh N DIR [CSV]
#
# DIR holds one folder per submission (a student's tree: the skeleton of
# lab N with the student's work, e.g. unpacked from Gradescope or cloned
# from each student's repository).  Each is copied to a scratch folder,
# given this tree's graders and tests (scripts/grade.sh, tests/: a
# submission cannot grade itself with edited tests), built and graded
# (scripts/grade.sh N), JOBS at a time (default 2), each within LIMIT
# seconds (default 900: a build and every guest run).  Writes CSV
# (default DIR/grades.csv): submission,score,seconds,status, and beside
# each submission's row its full report and Gradescope results.json in
# DIR/grades/NAME.txt and NAME.json.  Exit status 0 when every
# submission was graded (whatever its score), 1 otherwise, 2 on bad use.
set -u
LAB=${1:?usage: grade-class.sh N DIR [CSV]}
DIR=${2:?usage: grade-class.sh N DIR [CSV]}
[ -d "$DIR" ] || { echo "grade-class: $DIR is not a folder" >&2; exit 2; }
DIR=$(cd "$DIR" && pwd)
CSV=${3:-$DIR/grades.csv}
JOBS=${JOBS:-2}
LIMIT=${LIMIT:-900}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
case $LAB in [1-9]|[1-9][0-9]) ;; *)
	echo "grade-class: N must be a lab's number, not '$LAB'" >&2; exit 2 ;; esac
REPORTS=$DIR/grades
mkdir -p "$REPORTS"
if [ -z "${GRADE_CLASS_ONE:-}" ]; then
	SCRATCH=$(mktemp -d); trap 'rm -rf "$SCRATCH"' EXIT
fi

# Grade one submission (run by xargs, JOBS at a time): one CSV row.
one() { # name
	name=$1; src=$DIR/$name; work=$SCRATCH/$name
	start=$(date +%s)
	cp -a "$src" "$work" 2>/dev/null || { echo "$name,0,0,cannot copy"; return; }
	rm -rf "$work/build" "$work/tests"
	cp -a "$ROOT/tests" "$work/tests"
	mkdir -p "$work/scripts"
	cp "$ROOT/scripts/grade.sh" "$work/scripts/grade.sh"
	RESULTS=$REPORTS/$name.json timeout -k 10 "$LIMIT" \
		sh "$work/scripts/grade.sh" "$LAB" build >"$REPORTS/$name.txt" 2>&1
	rc=$?
	secs=$(($(date +%s) - start))
	score=$(sed -n 's|^score: \([0-9]*\)/100$|\1|p' "$REPORTS/$name.txt" | tail -1)
	case $rc in
	0|1) status=graded ;;
	124|137) status="timed out after $LIMIT s"; score=0 ;;
	*) status="grader failed (status $rc)"; score=0 ;;
	esac
	echo "$name,${score:-0},$secs,$status"
	rm -rf "$work"
}

if [ "${GRADE_CLASS_ONE:-}" ]; then one "$GRADE_CLASS_ONE"; exit 0; fi

echo "submission,score,seconds,status" >"$CSV"
find "$DIR" -mindepth 1 -maxdepth 1 -type d ! -name grades -printf '%f\n' |
	sort | grep -v '[,[:space:]]' |
	xargs -r -P "$JOBS" -I{} env GRADE_CLASS_ONE={} SCRATCH="$SCRATCH" \
		sh "$0" "$LAB" "$DIR" "$CSV" >"$SCRATCH/rows"
sort "$SCRATCH/rows" >>"$CSV"
skipped=$(find "$DIR" -mindepth 1 -maxdepth 1 -type d ! -name grades -printf '%f\n' | grep -c '[,[:space:]]')
[ "$skipped" -eq 0 ] || echo "grade-class: $skipped submission folder(s) with a comma or space in the name not graded: rename them" >&2
n=$(($(wc -l <"$CSV") - 1))
echo "graded $n submissions of lab $LAB: $CSV"
! grep -q ',\(timed out\|grader failed\|cannot copy\)' "$CSV" && [ "$skipped" -eq 0 ]
