# bench/answer.awk - one run of an "answers" row of make bench, as one
# line of BUILD/bench/answers.txt (bench/run.sh, bench/kvm-inside.sh):
#
#   awk -v answer=A -v engine=E -v base=B -v stats=FILE -f bench/answer.awk OUT
#
# OUT is the bench guest's output, FILE the run's --stats, B the exits of
# the same answer's baseline run ("call 1": booting and printing alone).
# Prints
#
#   ANSWER ENGINE LOOP ITERS CYCLES EXITS BASE PAGES US_PER_PAGE PATCHED
#
# EXITS is the run's first "total" line (exits by reason); PAGES,
# US_PER_PAGE and PATCHED come from the "patch:" line of --patch (pages
# scanned, the scan's time per page, instructions patched), "-" without.
BEGIN {
	exits = "-"; pages = "-"; uspp = "-"; patched = "-"
	while ((getline l < stats) > 0) {
		split(l, f, " ")
		if (f[1] == "total" && exits == "-")
			exits = f[2]
		if (f[1] == "patch:") {
			pages = f[2]
			if (match(l, /[0-9.]+ us per page/))
				uspp = substr(l, RSTART, RLENGTH - 12)
			if (match(l, /; [0-9]+ instructions patched/))
				patched = substr(l, RSTART + 2, RLENGTH - 23)
		}
	}
}
$1 == "bench" {
	split($2, a, "="); split($3, i, "="); split($4, c, "=")
	print answer, engine, a[2], i[2], c[2], exits, base, pages, uspp, patched
}
