#!/bin/sh
# bench/lib.sh - what bench/dom0.sh and bench/io.sh share, sourced by
# both: the TSC's rate their microseconds are counted in, the log-scale
# axis and bars of their charts, and the putting of their section into
# RESULTS.md.

# The TSC's rate in MHz: bench/host's measurement (BUILD/bench/hostbench
# tsc) when it is built, else /proc/cpuinfo's "cpu MHz".
tsc_mhz() { # BUILD
	if [ -x "$1/bench/hostbench" ]; then
		"$1/bench/hostbench" tsc | sed 's/tsc_hz=//' |
			awk '{ printf "%.3f", $1 / 1e6 }'
	else
		awk -F: '/^cpu MHz/ { printf "%.3f", $2; exit }' /proc/cpuinfo
	fi
}

# Two awk functions for an SVG chart on a log scale, put before a
# program (awk "$LOG_AXIS_AWK"'...'): log_axis draws the grid and the
# labels of decades lo to hi across x = left to right, the plot y = top
# (hi) to top + ph (lo); log_bar is the height of a bar for v > 0, held
# inside the axis.
# shellcheck disable=SC2034 # used by the scripts that source this
LOG_AXIS_AWK='
function log_axis(lo, hi, left, right, top, ph,   d, y) {
	for (d = lo; d <= hi; d++) {
		y = top + ph - (d - lo) / (hi - lo) * ph
		printf "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#ddd\"/>\n", left, y, right, y
		printf "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">1e%d</text>\n", left - 6, y + 4, d
	}
}
function log_bar(v, lo, hi, ph,   l) {
	l = log(v) / log(10)
	if (l < lo) l = lo
	if (l > hi) l = hi
	return (l - lo) / (hi - lo) * ph
}
'

# Put the section in file SECTION into RESULTS (a markdown file) in
# place of the last one, its heading matching HEAD (an awk regular
# expression) and its end the next "## "; else before the first heading
# that matches BEFORE; else at the end.
results_put() { # RESULTS SECTION HEAD BEFORE
	awk -v sec="$2" -v head="$3" -v before="$4" '
	function put() { while ((getline l < sec) > 0) print l; print ""; done = 1 }
	$0 ~ head { skip = 1; if (!done) put(); next }
	skip && /^## / { skip = 0 }
	skip { next }
	$0 ~ before && !done { put() }
	{ print }
	END { if (!done) { print ""; put() } }' "$1" >"$1.tmp" && mv "$1.tmp" "$1"
}
