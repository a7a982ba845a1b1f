#!/bin/sh
# bench/report.sh - turn bench/run.sh's raw runs into the table, the CSV,
# the chart and RESULTS.md.  Called by run.sh; can be rerun by hand on
# the same raw files:
#
#   TSC_HZ=F REPS=N BUILD=B sh bench/report.sh RAW IPS OUTDIR
#
# RAW holds "ENGINE NAME ITERS CYCLES" per run, IPS "ENGINE MIPS" per
# softcpu compute run.  The figure of a benchmark on an engine is the
# median over its runs.
set -u
RAW=$1; IPS=$2; OUT=$3
mkdir -p "$OUT"
HERE=$(cd "$(dirname "$0")" && pwd)
ROWS="syscall in cr8 call pagefault divzero ptemod forkwait cpuid cli compute signal ptrace sysemu stub xsave"
COLS="host native softcpu kvm kvm-nested qemu-tcg"
MED=$OUT/.medians
# ENGINE NAME MEDIAN MIN MAX RUNS ITERS
awk '
function med(k,   n, i, j, t, v) {
	n = cnt[k]
	for (i = 1; i <= n; i++) v[i] = val[k, i]
	for (i = 2; i <= n; i++) {	# insertion sort: a handful of runs
		t = v[i]
		for (j = i - 1; j >= 1 && v[j] > t; j--) v[j + 1] = v[j]
		v[j + 1] = t
	}
	lo = v[1]; hi = v[n]
	return n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
}
{ k = $1 " " $2; val[k, ++cnt[k]] = $4; it[k] = $3 }
END { for (k in cnt) { m = med(k); print k, m, lo, hi, cnt[k], it[k] } }
' "$RAW" | sort >"$MED"
awk 'BEGIN { m = 0 } $2 > m { m = $2 } END { print m }' "$IPS" >"$OUT/.ips"

# The columns that have data, in order.
cols=""
for c in $COLS; do grep -q "^$c " "$MED" && cols="$cols $c"; done

# ---------------------------------------------------------------- CSV
{
	echo "benchmark,engine,cycles_per_iter_median,min,max,runs,iters,ratio_to_host"
	for r in $ROWS; do for c in $cols; do
		awk -v r="$r" -v c="$c" -v med="$MED" '
		BEGIN { while ((getline l < med) > 0) { split(l, f, " ")
			if (f[2] == r && f[1] == "host") h = f[3]
			if (f[2] == r && f[1] == c) { m = f[3]; lo = f[4]; hi = f[5]; n = f[6]; it = f[7] } }
			if (m == "") exit
			printf "%s,%s,%.1f,%.1f,%.1f,%d,%d,%s\n", r, c, m, lo, hi, n, it,
				h ? sprintf(m / h < 0.1 ? "%.3f" : "%.2f", m / h) : "" }'
	done; done
} >"$OUT/results.csv"

# ---------------------------------------------------------------- table
# cycles (ratio to host) per cell; "-" where the engine has no figure.
table() {
	awk -F, -v cols="$cols" '
	NR == 1 { next }
	{ v[$1, $2] = $3; rt[$1, $2] = $8; if (!($1 in seen)) { seen[$1] = 1; rows[++nr] = $1 } }
	END {
		nc = split(cols, c, " ")
		printf "| benchmark |"; for (i = 1; i <= nc; i++) printf " %s |", c[i]; print ""
		printf "| --- |"; for (i = 1; i <= nc; i++) printf " ---: |"; print ""
		for (j = 1; j <= nr; j++) {
			printf "| %s |", rows[j]
			for (i = 1; i <= nc; i++) {
				k = rows[j] SUBSEP c[i]
				if (!(k in v)) { printf " - |"; continue }
				printf " %s", fmt(v[k])
				if (rt[k] != "" && c[i] != "host") printf " (%sx)", rt[k]
				printf " |"
			}
			print ""
		}
	}
	function fmt(x) { return x >= 100 ? sprintf("%.0f", x) : sprintf("%.1f", x) }
	' "$OUT/results.csv"
}
{
	echo "Cycles per iteration (TSC), median of ${REPS:-?} runs; in parentheses"
	echo "the ratio to the host's own equivalent (Adams and Agesen's \"native\")."
	echo
	table
} >"$OUT/results.md"

# ---------------------------------------------------------------- chart
# Grouped bars on a log scale: CSV's first three columns are the group
# (a benchmark), the bar (an engine) and the cycles; its first line is a
# header.  BARS lists the bars in order, TITLE heads the chart.
chart() { # CSV BARS TITLE
awk -F, -v cols="$2" -v title="$3" '
NR == 1 { next }
$1 == "signal" || $1 == "ptrace" || $1 == "sysemu" || $1 == "stub" || $1 == "xsave" { next }
{ v[$1, $2] = $3; if (!($1 in seen)) { seen[$1] = 1; rows[++nr] = $1 } }
END {
	nc = split(cols, c, " ")
	split("#4c72b0 #dd8452 #55a868 #c44e52 #8172b3 #937860 #da8bc3 #8c8c8c #ccb974 #64b5cd #1b5e20 #000000", color, " ")
	bw = 12; gap = 18; gw = nc * bw + gap; left = 70; top = 40
	ph = 320; w = left + nr * gw + 20
	per = int((w - left) / 150); if (per < 1) per = 1	# legend entries a line
	h = top + ph + 70 + int((nc + per - 1) / per) * 18
	lo = 0; hi = 8	# decades: 1 to 10^8 cycles
	printf "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" font-family=\"sans-serif\" font-size=\"11\">\n", w, h
	printf "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n"
	printf "<text x=\"%d\" y=\"20\" font-size=\"14\">%s</text>\n", left, title
	for (d = lo; d <= hi; d++) {
		y = top + ph - (d - lo) / (hi - lo) * ph
		printf "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#ddd\"/>\n", left, y, w - 20, y
		printf "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">1e%d</text>\n", left - 6, y + 4, d
	}
	for (j = 1; j <= nr; j++) {
		x0 = left + (j - 1) * gw + gap / 2
		for (i = 1; i <= nc; i++) {
			k = rows[j] SUBSEP c[i]
			if (!(k in v) || v[k] <= 0) continue
			l = log(v[k] < 1 ? 1 : v[k]) / log(10)
			bh = (l - lo) / (hi - lo) * ph
			printf "<rect x=\"%.1f\" y=\"%.1f\" width=\"%d\" height=\"%.1f\" fill=\"%s\"><title>%s on %s: %s cycles</title></rect>\n", x0 + (i - 1) * bw, top + ph - bh, bw - 1, bh, color[i], rows[j], c[i], v[k]
		}
		printf "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>\n", x0 + nc * bw / 2, top + ph + 16, rows[j]
	}
	for (i = 1; i <= nc; i++) {
		lx = left + (i - 1) % per * 150; ly = top + ph + 40 + int((i - 1) / per) * 18
		printf "<rect x=\"%d\" y=\"%d\" width=\"12\" height=\"12\" fill=\"%s\"/>\n", lx, ly, color[i]
		printf "<text x=\"%d\" y=\"%d\">%s</text>\n", lx + 16, ly + 10, c[i]
	}
	print "</svg>"
}' "$1"
}
chart "$OUT/results.csv" "$cols" \
	"Cycles per iteration (log scale), by benchmark and engine" >"$OUT/chart.svg"

# ---------------------------------------------------------------- exits
# Exits (returns to the monitor) per iteration, from the --stats of each
# engine's last run (the first "total" line is that of exits by reason),
# less those of booting and printing (baseline.stats: "call 1").
exits() {
	for r in $ROWS; do
		line="| $r |"; any=0
		for c in $ecols; do
			f=${BUILD:-build}/bench/stats/$c/$r.stats
			n=$(awk -v c="$c" -v r="$r" '$1 == c && $2 == r { print $7 }' "$MED")
			e=$( [ -f "$f" ] && awk '/^total/ { print $2; exit }' "$f")
			z=$(awk '/^total/ { print $2; exit }' "${f%/*}/baseline.stats" 2>/dev/null)
			if [ -n "$e" ] && [ -n "$n" ]; then
				line="$line $(awk -v e="$e" -v z="${z:-0}" -v n="$n" 'BEGIN {
					printf "%.2f", (e > z ? e - z : 0) / n }') |"; any=1
			else
				line="$line - |"
			fi
		done
		[ $any = 1 ] && echo "$line"
	done
}
ecols=""
for c in native softcpu kvm kvm-nested; do
	[ -d "${BUILD:-build}/bench/stats/$c" ] && ecols="$ecols $c"
done
{
	printf "| benchmark |"; for c in $ecols; do printf " %s |" "$c"; done; echo
	printf "| --- |"; for c in $ecols; do printf " ---: |"; done; echo
	exits
} >"$OUT/.exits"

# ---------------------------------------------------------------- devices
# The device workloads (bench/run.sh run_devices): per run, the exits and
# monitor time less those of booting and printing (baseline.stats), over
# the guest time the workload took by the guest's TSC; medians over runs.
DEV=${BUILD:-build}/bench/devices.txt
BOOT=${BUILD:-build}/bench/boot.txt
devices() {
	for e in softcpu native kvm kvm-nested; do
		f=${BUILD:-build}/bench/stats/$e/baseline.stats
		[ -f "$f" ] && echo "$e $(awk '/^total/ { print $2, $3; exit }' "$f")"
	done >"$OUT/.base"
	awk -v hz="$HZ" -v base="$OUT/.base" '
	function med(k,   n, i, j, t, v) {
		n = cnt[k]
		for (i = 1; i <= n; i++) v[i] = val[k, i]
		for (i = 2; i <= n; i++) {
			t = v[i]
			for (j = i - 1; j >= 1 && v[j] > t; j--) v[j + 1] = v[j]
			v[j + 1] = t
		}
		return n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
	}
	function add(k, x) { val[k, ++cnt[k]] = x }
	BEGIN { while ((getline l < base) > 0) { split(l, f, " "); e0[f[1]] = f[2]; m0[f[1]] = f[3] } }
	NF == 6 && hz > 0 {
		k = $2 " " $1
		runs[k]++; iters[k] = $3
		ex = $5 - e0[$1]; us = $6 - m0[$1]; s = $3 * $4 / hz
		add(k SUBSEP "ms", s * 1000); add(k SUBSEP "epi", ex / $3)
		add(k SUBSEP "eps", s > 0 ? ex / s : 0)
		add(k SUBSEP "upe", ex > 0 ? us / ex : 0)
	}
	END {
		print "| workload | engine | runs | iterations | guest time (ms) | exits per iteration | exits per second of guest time | monitor time per exit (us) | reproduce |"
		print "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |"
		nw = split("apictimer ide", wl, " ")
		ne = split("softcpu native kvm kvm-nested", el, " ")
		for (a = 1; a <= nw; a++) for (b = 1; b <= ne; b++) {
			k = wl[a] " " el[b]
			if (!(k in runs)) continue
			split(k, w, " ")
			col = w[2] == "kvm-nested" ? "kvm" : w[2]
			printf "| %s | %s | %d | %d | %.1f | %.2f | %.0f | %.2f | `BENCH_ONLY=%s BENCH_COLUMNS=%s make bench` |\n",
				w[1], w[2], runs[k], iters[k], med(k SUBSEP "ms"),
				med(k SUBSEP "epi"), med(k SUBSEP "eps"),
				med(k SUBSEP "upe"), w[1], col
		}
	}' "$DEV"
	rm -f "$OUT/.base"
}

# ---------------------------------------------------------------- boot
# bench/boot.sh's lines: the median wall time per kernel and engine, and
# softcpu's over QEMU TCG's.
boot() {
	awk '
	function med(k,   n, i, j, t, v) {
		n = cnt[k]
		for (i = 1; i <= n; i++) v[i] = val[k, i]
		for (i = 2; i <= n; i++) {
			t = v[i]
			for (j = i - 1; j >= 1 && v[j] > t; j--) v[j + 1] = v[j]
			v[j + 1] = t
		}
		return n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
	}
	$1 == "boot" {
		split($2, k, "="); split($3, e, "="); split($4, s, "=")
		if (!(k[2] in seen)) { seen[k[2]] = 1; ks[++nk] = k[2] }
		key = k[2] " " e[2]; val[key, ++cnt[key]] = s[2]
	}
	END {
		print "| kernel | softcpu (s) | qemu-tcg (s) | softcpu / qemu-tcg | reproduce |"
		print "| --- | ---: | ---: | ---: | --- |"
		for (i = 1; i <= nk; i++) {
			a = ks[i] " softcpu"; b = ks[i] " qemu-tcg"
			sa = cnt[a] ? sprintf("%.3f (%d runs)", med(a), cnt[a]) : "-"
			sb = cnt[b] ? sprintf("%.3f (%d runs)", med(b), cnt[b]) : "-"
			r = cnt[a] && cnt[b] && med(b) > 0 ? sprintf("%.1fx", med(a) / med(b)) : "-"
			printf "| %s | %s | %s | %s | `BENCH_ONLY=boot BENCH_COLUMNS=\"softcpu qemu\" make bench` |\n", ks[i], sa, sb, r
		}
	}' "$BOOT"
}
boot_ratio() { # KERNEL: softcpu's median over QEMU's, or empty
	awk -v k="$1" '
	function med(e,   n, i, j, t, v) {
		n = 0
		for (i = 1; i <= nv; i++) if (eng[i] == e) v[++n] = sec[i]
		for (i = 2; i <= n; i++) {
			t = v[i]
			for (j = i - 1; j >= 1 && v[j] > t; j--) v[j + 1] = v[j]
			v[j + 1] = t
		}
		if (!n) return ""
		return n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
	}
	$1 == "boot" && $2 == "kernel=" k {
		split($3, e, "="); split($4, s, "="); eng[++nv] = e[2]; sec[nv] = s[2]
	}
	END { a = med("softcpu"); b = med("qemu-tcg")
	      if (a != "" && b != "" && b > 0) printf "%.3f %.3f %.2f\n", a, b, a / b }' "$BOOT"
}

# ---------------------------------------------------------------- answers
# The answers' rows (bench/run.sh run_answers; bench/answer.awk's lines,
# one per run): for each answer, engine and loop, the medians over the
# runs of the cycles per iteration and of the exits per iteration (less
# those of the answer's own baseline run), and under --patch those of the
# pages scanned, the scan's time per page and the instructions patched.
ANS=${BUILD:-build}/bench/answers.txt
ANSWER_ORDER="none umip cpuid-fault patch pv strict assist"
ANSWER_ENGINES="softcpu native kvm kvm-nested"
ANSWER_LOOPS="cli pushf cpuid sidt movcs"
answers_csv() {
	awk -v ao="$ANSWER_ORDER" -v eo="$ANSWER_ENGINES" -v lo="$ANSWER_LOOPS" '
	function med(k,   n, i, j, t, v) {
		n = cnt[k]
		for (i = 1; i <= n; i++) v[i] = val[k, i]
		for (i = 2; i <= n; i++) {
			t = v[i]
			for (j = i - 1; j >= 1 && v[j] > t; j--) v[j + 1] = v[j]
			v[j + 1] = t
		}
		lo_ = v[1]; hi_ = v[n]
		return n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
	}
	function add(k, x) { val[k, ++cnt[k]] = x }
	NF == 10 && $4 > 0 {
		k = $3 SUBSEP $1 SUBSEP $2
		runs[k]++; it[k] = $4
		add(k SUBSEP "c", $5)
		add(k SUBSEP "e", $6 > $7 ? ($6 - $7) / $4 : 0)
		if ($8 != "-") {
			add(k SUBSEP "p", $8); add(k SUBSEP "u", $9)
			add(k SUBSEP "n", $10)
		}
	}
	END {
		print "loop,answer,engine,cycles_per_iter_median,min,max,runs,iters,exits_per_iter,pages_scanned,scan_us_per_page,insns_patched"
		nl = split(lo, L, " "); na = split(ao, A, " "); ne = split(eo, E, " ")
		for (l = 1; l <= nl; l++) for (a = 1; a <= na; a++) for (e = 1; e <= ne; e++) {
			k = L[l] SUBSEP A[a] SUBSEP E[e]
			if (!(k in runs)) continue
			c = med(k SUBSEP "c"); cl = lo_; ch = hi_
			p = (k SUBSEP "p") in cnt
			printf "%s,%s,%s,%.1f,%.1f,%.1f,%d,%d,%.2f,%s,%s,%s\n",
			    L[l], A[a], E[e], c, cl, ch, runs[k], it[k],
			    med(k SUBSEP "e"),
			    p ? med(k SUBSEP "p") : "",
			    p ? sprintf("%.1f", med(k SUBSEP "u")) : "",
			    p ? med(k SUBSEP "n") : ""
		}
	}' "$ANS"
}
# The table: a row per answer and engine, "cycles (exits)" per loop, and
# the scan's figures for --patch.
answers_table() {
	awk -F, -v ao="$ANSWER_ORDER" -v eo="$ANSWER_ENGINES" -v lo="$ANSWER_LOOPS" '
	BEGIN {
		name["none"] = "none (`--isa=x86`)"
		name["umip"] = "hardware: UMIP (`--isa=x86,umip`)"
		name["cpuid-fault"] = "hardware: CPUID faulting (`--isa=x86,cpuid-fault`)"
		name["patch"] = "scan-and-patch (`--patch`)"
		name["pv"] = "paravirtual (`bench-pv.elf`)"
		name["strict"] = "strict (`--isa=strict`)"
		name["assist"] = "hardware assist (VT-x/AMD-V)"
		head["cli"] = "cli/sti pair"; head["pushf"] = "pushf"
		head["cpuid"] = "cpuid"; head["sidt"] = "sidt"
		head["movcs"] = "mov from %cs"
	}
	function fmt(x) { return x >= 100 ? sprintf("%.0f", x) : sprintf("%.1f", x) }
	NR == 1 { next }
	{
		k = $2 SUBSEP $3
		cell[k, $1] = fmt($4) " (" $9 ")"
		if ($10 != "") { pg[k] = $10; us[k] = $11; np[k] = $12 }
		have[k] = 1
	}
	END {
		nl = split(lo, L, " "); na = split(ao, A, " "); ne = split(eo, E, " ")
		printf "| answer | engine |"
		for (l = 1; l <= nl; l++) printf " %s |", head[L[l]]
		print " scan (--patch) |"
		printf "| --- | --- |"
		for (l = 1; l <= nl; l++) printf " ---: |"
		print " --- |"
		for (a = 1; a <= na; a++) for (e = 1; e <= ne; e++) {
			k = A[a] SUBSEP E[e]
			if (!(k in have)) continue
			printf "| %s | %s |", name[A[a]], E[e]
			for (l = 1; l <= nl; l++)
				printf " %s |", (k SUBSEP L[l]) in cell ? cell[k, L[l]] : "-"
			if (k in pg)
				printf " %s pages, %s us per page, %s sites |\n", pg[k], us[k], np[k]
			else
				print " - |"
		}
	}' "$OUT/answers.csv"
}
if [ -s "$ANS" ]; then
	answers_csv >"$OUT/answers.csv"
	answers_table >"$OUT/.answers"
	awk -F, 'NR == 1 { print "loop,config,cycles"; next }
		{ print $1 "," $2 "/" $3 "," $4 }' "$OUT/answers.csv" >"$OUT/.answers.csv"
	bars=$(awk -F, 'NR > 1 && !s[$2 "/" $3]++ {
		printf "%s%s/%s", n++ ? " " : "", $2, $3 }' "$OUT/answers.csv")
	chart "$OUT/.answers.csv" "$bars" \
		"Cycles per iteration (log scale), by loop and answer" >"$OUT/answers.svg"
	rm -f "$OUT/.answers.csv"
else
	rm -f "$OUT/answers.csv" "$OUT/answers.svg" # not this run's
fi

# ---------------------------------------------------------------- targets
# best NAME ENGINE: the fastest run, or empty.  The targets compare best
# runs: on a shared, noisy machine the fastest run is the least disturbed.
best() { awk -v c="$2" -v r="$1" '$1 == c && $2 == r { print $4 }' "$MED"; }
HZ=${TSC_HZ:-0}
mips=$(cat "$OUT/.ips")
sc_cli=$(best cli softcpu); nat_cli=$(best cli native)
nat_comp=$(best compute native); host_comp=$(best compute host)
ptr=$(best ptrace host); sig=$(best signal host)
semu=$(best sysemu host); stub=$(best stub host); xs=$(best xsave host)
targets() {
	awk -v mips="$mips" -v sc="$sc_cli" -v nc="$nat_cli" -v ncomp="$nat_comp" \
	    -v hcomp="$host_comp" -v ptr="$ptr" -v sig="$sig" -v hz="$HZ" '
	function v(ok) { return ok ? "met" : "**not met**" }
	BEGIN {
		print "| target | measured | verdict |"
		print "| --- | --- | --- |"
		printf "| 1. softcpu runs compute at >= 100 million guest instructions/s | %.1f million/s (`--stats`, best run) | %s |\n", mips, v(mips >= 100)
		if (ncomp != "" && hcomp != "")
			printf "| 2. native runs compute within 5%% of the host | %.0f vs %.0f cycles: %+.1f%% | %s |\n", ncomp, hcomp, (ncomp / hcomp - 1) * 100, v(ncomp <= hcomp * 1.05)
		else
			print "| 2. native runs compute within 5% of the host | no figure (native did not run) | **not met** |"
		if (nc != "" && ptr != "")
			printf "| 3. a native trap costs <= 1.5x the bare ptrace round trip | %.0f cycles per trap (cli/sti / 2) vs ptrace %.0f, signal %.0f: %.1fx ptrace | %s |\n", nc / 2, ptr, sig, nc / 2 / ptr, v(nc / 2 <= 1.5 * ptr)
		else
			print "| 3. a native trap costs <= 1.5x the bare ptrace round trip | no figure | **not met** |"
		if (sc != "" && hz > 0)
			printf "| 4. a softcpu trap (cli) costs < 1 us | %.0f cycles = %.2f us (cli/sti / 2, TSC %.2f GHz) | %s |\n", sc / 2, sc / 2 / hz * 1e6, hz / 1e9, v(sc / 2 / hz * 1e6 < 1)
	}'
	br=$(boot_ratio mb32)
	[ -n "$br" ] && echo "$br" | awk '{
		printf "| 5. softcpu boots a multiboot kernel within 3x QEMU TCG'"'"'s time (issue 12 names xv6, which is not in the tree: mb32 stands in) | mb32: %.3f s vs %.3f s (medians): %.1fx | %s |\n", $1, $2, $3, $3 <= 3 ? "met" : "**not met**" }'
}
targets >"$OUT/.targets"

# ---------------------------------------------------------------- memory
# run.sh's run_memory: toyos's --stats memory line per run ("ENGINE RSS
# PEAK GUEST_RAM OWN", KiB); medians per engine.
MEM=${BUILD:-build}/bench/memory.txt
median_awk='
function med(k,   n, i, j, t, v) {
	n = cnt[k]
	for (i = 1; i <= n; i++) v[i] = val[k, i]
	for (i = 2; i <= n; i++) {
		t = v[i]
		for (j = i - 1; j >= 1 && v[j] > t; j--) v[j + 1] = v[j]
		v[j + 1] = t
	}
	return n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
}
function add(k, x) { val[k, ++cnt[k]] = x }'
memory_rows() { # "ENGINE RUNS RSS PEAK GUEST_RAM OWN" (medians, KiB)
	awk "$median_awk"'
	NF == 5 { if (!($1 in runs)) order[++ne] = $1; runs[$1]++
		  add($1 SUBSEP "r", $2); add($1 SUBSEP "p", $3)
		  add($1 SUBSEP "g", $4); add($1 SUBSEP "o", $5) }
	END { for (i = 1; i <= ne; i++) { e = order[i]
		printf "%s %d %d %d %d %d\n", e, runs[e], med(e SUBSEP "r"),
			med(e SUBSEP "p"), med(e SUBSEP "g"), med(e SUBSEP "o") } }' "$MEM"
}
memory_table() {
	echo "| engine | runs | resident (KiB) | peak (KiB) | guest RAM resident (KiB) | the monitor's own (KiB) |"
	echo "| --- | ---: | ---: | ---: | ---: | ---: |"
	memory_rows | awk '{ printf "| %s | %d | %d | %d | %d | %d |\n", $1, $2, $3, $4, $5, $6 }'
}

# ---------------------------------------------------------------- spaces
# run.sh's run_spaces: per engine and number of address spaces N, the
# medians of cycles per CR3 load, shadow faults and their monitor time
# (ns) per CR3 load, and the shadow tables at the end (KiB).
SPC=${BUILD:-build}/bench/spaces.txt
spaces_csv() {
	awk "$median_awk"'
	NF == 7 && $3 > 0 && $2 > 0 {
		k = $1 SUBSEP $2
		if (!(k in runs)) { keys[++nk] = k }
		runs[k]++; loads = $3 * $2
		add(k SUBSEP "c", $4 / $2); add(k SUBSEP "f", $5 / loads)
		add(k SUBSEP "u", $6 * 1000 / loads); add(k SUBSEP "t", $7 * 4)
	}
	END {
		print "engine,spaces,runs,cycles_per_cr3_load,shadow_faults_per_load,fill_ns_per_load,shadow_tables_kib"
		for (i = 1; i <= nk; i++) { split(keys[i], e, SUBSEP)
			printf "%s,%d,%d,%.0f,%.2f,%.0f,%d\n", e[1], e[2], runs[keys[i]],
				med(keys[i] SUBSEP "c"), med(keys[i] SUBSEP "f"),
				med(keys[i] SUBSEP "u"), med(keys[i] SUBSEP "t") } }' "$SPC"
}
spaces_table() {
	echo "| engine | live address spaces | runs | cycles per CR3 load | shadow faults per load | monitor time filling, per load (ns) | shadow tables (KiB) |"
	echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"
	awk -F, 'NR > 1 { printf "| %s | %d | %d | %d | %.2f | %d | %d |\n", $1, $2, $3, $4, $5, $6, $7 }' "$OUT/spaces.csv"
}
if [ -s "$SPC" ]; then
	spaces_csv >"$OUT/spaces.csv"
	spaces_table >"$OUT/.spaces"
	# the chart: a group per N, two bars per engine (tables, fill time)
	awk -F, 'NR == 1 { print "spaces,bar,value"; next }
		{ print $2 "," $1 " tables KiB," $7
		  print $2 "," $1 " refill ns," $6 }' \
		"$OUT/spaces.csv" >"$OUT/.spaces.csv"
	bars=$(awk -F, 'NR > 1 && !s[$2]++ { printf "%s%s", n++ ? "|" : "", $2 }' "$OUT/.spaces.csv")
	# chart() splits its bars at spaces: name them without
	sed 's/ /_/g' "$OUT/.spaces.csv" >"$OUT/.spaces2.csv"
	chart "$OUT/.spaces2.csv" "$(echo "$bars" | sed 's/ /_/g; s/|/ /g')" \
		"Shadow tables (KiB), refill time per CR3 load (ns), by address spaces" |
		sed 's/_/ /g; s/ cycles<\/title>/<\/title>/' >"$OUT/spaces.svg"
	rm -f "$OUT/.spaces.csv" "$OUT/.spaces2.csv"
else
	rm -f "$OUT/spaces.csv" "$OUT/spaces.svg" # not this run's
fi
[ -s "$MEM" ] && memory_table >"$OUT/.memory"

# ---------------------------------------------------------------- issue 16
# Issue 16's targets, each a ratio inside this run: native's cycles per
# exit against the host's ptrace round trip (exits per iteration from
# --stats, less booting's), softcpu's compute against QEMU TCG's, a
# softcpu trap in microseconds by the TSC, and the monitor's memory
# beyond guest RAM for toyos.  Best runs, as above, but for compute:
# the median ratio of run.sh's back-to-back pairs (compute_pairs) when
# it ran them.
epi() { # ENGINE ROW: exits per iteration, or empty
	f=${BUILD:-build}/bench/stats/$1/$2.stats
	n=$(awk -v c="$1" -v r="$2" '$1 == c && $2 == r { print $7 }' "$MED")
	[ -f "$f" ] && [ -n "$n" ] || return 0
	e=$(awk '/^total/ { print $2; exit }' "$f")
	z=$(awk '/^total/ { print $2; exit }' "${f%/*}/baseline.stats" 2>/dev/null)
	[ -n "$e" ] && awk -v e="$e" -v z="${z:-0}" -v n="$n" 'BEGIN {
		printf "%.3f", (e > z ? e - z : 0) / n }'
}
# The native engine's round trips per iteration of ROW, from the --stats
# line "native: round trips:" and the exits by reason less booting's:
# "STOPS INJECTED BATCHES SWITCHES SYSCALLS" (SYSCALLS: the stops that
# were the guest's system calls), or empty.
nat_trips() { # ROW
	f=${BUILD:-build}/bench/stats/native/$1.stats
	n=$(awk -v r="$1" '$1 == "native" && $2 == r { print $7 }' "$MED")
	[ -f "$f" ] && [ -n "$n" ] || return 0
	awk -v n="$n" -v row="$f" -v base="${f%/*}/baseline.stats" '
	function grab(file, a,   l, w, reasons) {
		a[5] = 0
		while ((getline l < file) > 0) {
			if (l ~ /^exits by reason/)
				reasons = 1
			else if (l ~ /^total/)
				reasons = 0
			else if (reasons && l ~ /^syscall /) {
				split(l, w, " ")
				a[5] = w[2]
			} else if (l ~ /^native: round trips:/) {
				gsub(/[^0-9]+/, " ", l)	# its numbers, in order
				split(l, w, " ")
				a[1] = w[1]; a[2] = w[2]; a[3] = w[3]; a[4] = w[4]
				return 1
			}
		}
		return 0
	}
	BEGIN {
		if (!grab(row, r)) exit
		grab(base, z)
		for (i = 1; i <= 5; i++) {
			d = r[i] - z[i]
			printf "%s%.3f", (i > 1 ? " " : ""), (d > 0 ? d : 0) / n
		}
		print ""
	}'
}
# The compute target's pairs (bench/run.sh, run_compute_pairs): PAIRS
# holds "K ENGINE CYCLES CPU_MS WALL_MS" per run.  Each pair's ratio is
# QEMU's cycles over softcpu's, both runs back to back; the pairs kept are
# those whose runs both had a CPU to themselves, or all if none did.  One
# line: "pairs MEDIAN KEPT PAIRS LO HI SOFTCPU QEMU" (the median pair's
# cycles per iteration).
compute_pairs() { # PAIRS
	awk '
	{ c[$1, $2] = $3; sh[$1, $2] = $5 > 0 ? $4 / $5 : 0; k[$1] = 1 }
	END {
		for (p in k) {
			if (!((p, "softcpu") in c) || !((p, "qemu-tcg") in c) || c[p, "softcpu"] <= 0)
				continue
			n++
			r = c[p, "qemu-tcg"] / c[p, "softcpu"]
			all[n] = r; allp[n] = p
			if (sh[p, "softcpu"] >= 0.9 && sh[p, "qemu-tcg"] >= 0.9) {
				m++; kept[m] = r; keptp[m] = p
			}
		}
		if (!n) exit
		if (!m) { m = n; for (i = 1; i <= n; i++) { kept[i] = all[i]; keptp[i] = allp[i] }; none = 1 }
		for (i = 2; i <= m; i++) {	# insertion sort, ratio and pair
			t = kept[i]; tp = keptp[i]
			for (j = i - 1; j >= 1 && kept[j] > t; j--) { kept[j + 1] = kept[j]; keptp[j + 1] = keptp[j] }
			kept[j + 1] = t; keptp[j + 1] = tp
		}
		mid = int((m + 1) / 2)	# the lower median: a real pair
		p = keptp[mid]
		printf "pairs %.4f %d %d %.4f %.4f %s %s\n", kept[mid], none ? 0 : m, n,
			kept[1], kept[m], c[p, "softcpu"], c[p, "qemu-tcg"]
	}' "$1"
}
targets16() {
	{
		for r in syscall pagefault forkwait cli; do
			echo "native $r $(best "$r" native) $(epi native "$r") $(nat_trips "$r")"
		done
		if [ -s "${PAIRS:-}" ]; then
			compute_pairs "$PAIRS"
		else
			echo "compute $(best compute softcpu) $(best compute qemu-tcg)"
		fi
		echo "trap $(best cli softcpu) $(epi softcpu cli)"
		memory_rows 2>/dev/null | sed 's/^/memory /'
	} | awk -v ptr="$ptr" -v sig="$sig" -v hz="$HZ" -v semu="$semu" -v stub="$stub" -v xs="$xs" '
	function v(ok) { return ok ? "met" : "**not met**" }
	BEGIN {
		print "| target (issue 16) | measured in this run | verdict |"
		print "| --- | --- | --- |"
	}
	$1 == "native" {
		t = "| native: an exit costs <= 1.5 ptrace round trips (" $2 ") |"
		if ($3 == "" || $4 == "" || $4 <= 0 || ptr == "")
			{ print t " no figure | **not met** |"; next }
		pe = $3 / $4
		printf "%s %.0f cycles per iteration / %.2f exits = %.0f cycles per exit = %.2f ptrace round trips", t, $3, $4, pe, pe / ptr
		# The floor: what the mechanism alone costs an exit, each
		# stop and injected call one bare round trip (a system call
		# stop the cheaper sysemu one), each stub opening and XSAVE
		# read as the host timed them.
		fl = ""
		if ($9 != "" && semu != "" && stub != "" && xs != "") {
			fl = (($5 - $9) * ptr + $9 * semu + $6 * ptr + $7 * stub + $8 * xs) / $4 / ptr
			printf "; its floor, per iteration %.2f stops (%.2f of them system calls, %.0f cycles each) and %.2f injected calls (a round trip each), %.2f stub openings (%.0f cycles each), %.2f changes of child (an XSAVE read, %.0f cycles): %.2f round trips an exit", $5, $9, semu, $6, $7, stub, $8, xs, fl
		}
		ok = pe <= 1.5 * ptr
		above = !ok && fl != "" && (fl > 1.5)
		printf " | %s%s |\n", v(ok), (above ? ", its floor above 1.5" : "")
	}
	$1 == "compute" {
		t = "| softcpu: compute at >= 0.33x QEMU TCG |"
		if ($2 == "" || $3 == "") { print t " no figure | **not met** |"; next }
		printf "%s %.0f cycles (softcpu) vs %.0f (qemu-tcg), best runs timed apart: %.3fx | %s |\n", t, $2, $3, $3 / $2, v($3 / $2 >= 0.33)
	}
	$1 == "pairs" {
		t = "| softcpu: compute at >= 0.33x QEMU TCG |"
		basis = $3 > 0 ? sprintf("%d of %d back-to-back pairs, those whose two runs had a CPU to themselves (CPU time >= 90%% of wall time)", $3, $4) : sprintf("all %d back-to-back pairs (none had a CPU to itself: a loaded machine)", $4)
		printf "%s %.3fx, the median ratio of %s; ratios %.3f-%.3f; in the median pair %.0f cycles (softcpu) vs %.0f (qemu-tcg) | %s |\n", t, $2, basis, $5, $6, $7, $8, v($2 >= 0.33)
	}
	$1 == "trap" {
		t = "| softcpu: a trapped instruction under 0.3 us |"
		if ($2 == "" || hz <= 0) { print t " no figure | **not met** |"; next }
		us = $2 / 2 / hz * 1e6
		printf "%s cli/sti pair %.0f cycles / 2 trapped instructions (%s exits) = %.3f us (TSC %.2f GHz) | %s |\n", t, $2, $3 == "" ? "?" : $3, us, hz / 1e9, v(us < 0.3)
	}
	$1 == "memory" {
		mib = $7 / 1024
		printf "| monitor: resident memory beyond guest RAM under 16 MiB for toyos (%s) | %.1f MiB (resident %.1f MiB, of which guest RAM %.1f MiB; median of %d) | %s |\n", $2, mib, $4 / 1024, $6 / 1024, $3, v(mib < 16)
		mem = 1
	}
	END {
		if (!mem)
			print "| monitor: resident memory beyond guest RAM under 16 MiB for toyos | no figure (BENCH_ONLY without memory) | **not met** |"
	}'
}
floors() {
	[ -n "$ptr" ] && [ "${HZ:-0}" != 0 ] || return 0
	awk -v p="$ptr" -v s="${sig:-0}" -v hz="$HZ" 'BEGIN {
		printf "Floors measured in this run (host, best run): a ptrace round trip %.0f cycles (%.2f us), a signal round trip %.0f cycles (%.2f us).", p, p / hz * 1e6, s, s / hz * 1e6 }'
	[ -n "$semu" ] && [ -n "$stub" ] && [ -n "$xs" ] &&
		awk -v se="$semu" -v st="$stub" -v x="$xs" -v hz="$HZ" 'BEGIN {
		printf " The native engine'"'"'s other fixed costs: a system call stop'"'"'s round trip %.0f cycles (%.2f us), the stub page opened and closed %.0f cycles (%.2f us), an XSAVE read %.0f cycles (%.2f us).", se, se / hz * 1e6, st, st / hz * 1e6, x, x / hz * 1e6 }'
	echo
}
{ floors; echo; targets16; } >"$OUT/.targets16"
[ -s "$DEV" ] && devices >"$OUT/.devices"
[ -s "$BOOT" ] && boot >"$OUT/.boot"

# ---------------------------------------------------------------- RESULTS.md
{
	echo "# Benchmark results"
	echo
	echo "Generated by \`make bench\` (bench/run.sh, bench/report.sh) on"
	echo "$(date -u '+%Y-%m-%d %H:%M UTC'). Regenerate with the same command; the"
	echo "numbers of every run differ, the shape should not."
	[ "${REPS:-5}" -lt 5 ] &&
		printf '\nThis run used BENCH_REPS=%s, fewer than the default 5: each\nfigure is a median of %s runs on a shared machine, so expect noise.\n' \
			"$REPS" "$REPS"
	echo
	echo "## The machine"
	echo
	echo "- CPU: $(lscpu 2>/dev/null | awk -F: '/^Model name/ { sub(/^ +/, "", $2); print $2; exit }'), $(nproc) cores"
	echo "- kernel: $(uname -sr); TSC: $(awk -v h="$HZ" 'BEGIN { printf "%.3f GHz", h / 1e9 }')"
	echo "- /dev/kvm: $(if [ -c /dev/kvm ]; then echo present; else echo absent; fi); QEMU: $(qemu-system-x86_64 --version 2>/dev/null | head -1)"
	echo "- This machine is itself a virtual machine: absolute times are"
	echo "  noisy; compare ratios within one run."
	echo
	echo "## The commands"
	echo
	echo '```'
	echo "make BUILD=${BUILD:-build} bench      # = sh bench/run.sh ${BUILD:-build}"
	sed 's/^/# /' "${BUILD:-build}/bench/log.txt" 2>/dev/null
	echo '```'
	echo
	if [ -s "$RAW" ]; then
	echo "## The table"
	echo
	cat "$OUT/results.md"
	echo
	echo "Also in \`results.csv\` (with min, max and runs) and \`chart.svg\`:"
	echo
	echo "![cycles per iteration](chart.svg)"
	echo
	echo "## Exits per iteration"
	echo
	echo "How often each engine gave control to trapvisor (\`--stats\`: exits by"
	echo "reason, less those of booting and printing, divided by the iterations)."
	echo "On kvm these are returns from KVM_RUN only: what KVM handles inside the"
	echo "kernel (cpuid, for one) never reaches trapvisor and is not counted."
	echo
	cat "$OUT/.exits"
	echo
	fi
	if [ -s "$OUT/.answers" ]; then
		echo "## The three answers: what each costs"
		echo
		echo "The bench guest's loops of one instruction that x86 lets a"
		echo "de-privileged kernel run without a trap (\`cli\`/\`sti\` trap; the other"
		echo "four do not), under each answer to that flaw (the commands above:"
		echo "\`BENCH_ONLY=answers make bench\`). A cell is the cycles per iteration"
		echo "(median of ${REPS:-?} runs) and, in parentheses, the exits per iteration"
		echo "(\`--stats\`, less those of the same answer's run of \`call 1\`: booting"
		echo "and printing). The last column is the \`patch:\` line of \`--stats\`:"
		echo "pages of guest code scanned, the scanner's time per page, instructions"
		echo "patched (medians). Which of pgcheck's checks each answer passes is"
		echo "\`make bench-answers\` (isa/README.md, \"The three answers, side by"
		echo "side\"). Also in \`answers.csv\` (with min, max and runs) and"
		echo "\`answers.svg\`:"
		echo
		cat "$OUT/.answers"
		echo
		echo "![cycles per iteration under each answer](answers.svg)"
		echo
	fi
	if [ -s "$OUT/.boot" ]; then
		echo "## Boot time of a multiboot kernel"
		echo
		echo "Wall time from the start of the process to its exit, booting each"
		echo "multiboot kernel of \`${BUILD:-build}/guests\` to its end with the machine"
		echo "its case in \`tests/guests/qemu.cases\` gives it (\`bench/boot.sh\`);"
		echo "both columns run the same QEMU command line (the commands above),"
		echo "softcpu as \`trapvisor-qemu -accel tcg\` (\`--engine=softcpu"
		echo "--isa=strict\`). Median of ${REPS:-?} runs each, the engines taking turns."
		echo
		cat "$OUT/.boot"
		echo
	fi
	if [ -s "$OUT/.devices" ]; then
		echo "## What the LAPIC timer and the IDE disk cost"
		echo
		echo "The bench guest's device workloads under \`--stats\` (the commands"
		echo "above): \`apictimer N\`, N ticks of the LAPIC timer at 1 kHz through"
		echo "the xAPIC page, the guest in \`hlt\` between them; \`ide N\`, N polled"
		echo "one-sector READ SECTORS from the IDE master. Exits and monitor time less"
		echo "those of booting and printing; guest time by the guest's TSC around"
		echo "the workload. Medians of ${REPS:-?} runs."
		echo
		cat "$OUT/.devices"
		echo
	fi
	if [ -s "$RAW" ]; then
	echo "## The target figures"
	echo
	echo "Each figure compares the best of the ${REPS:-?} runs on each side (the"
	echo "machine is shared: the fastest run is the least disturbed one)."
	echo
	cat "$OUT/.targets"
	echo
	fi
	if [ -s "$OUT/.memory" ] || [ -s "$OUT/.spaces" ]; then
		echo "## Memory: the monitor's own, and the shadow tables'"
		echo
		echo "The \`--stats\` line \"monitor: memory\" of toyos run to its end (the"
		echo "commands above): the monitor's resident memory (VmRSS), the guest RAM"
		echo "in it (the Rss of the guest RAM mapping, /proc/self/smaps), and the"
		echo "rest: the monitor's code, heap, Capstone, the devices and the shadow"
		echo "page tables. Medians of ${REPS:-?} runs."
		echo
		[ -s "$OUT/.memory" ] && cat "$OUT/.memory" && echo
		if [ -s "$OUT/.spaces" ]; then
			echo "The bench guest's \`spaces ITERS N\`: N live address spaces, each"
			echo "with a page of its own, loaded in turn (a CR3 load and a read of"
			echo "that page). shadowpt keeps the shadows of at most 8 address spaces"
			echo "(\`SHADOW_SPACES\`) and drops their non-global entries at every CR3"
			echo "load, as the TLB does: the faults per load are the refills, the"
			echo "monitor time theirs (\`--stats\`' #PF row less booting's), the tables"
			echo "those in use at the end. Also in \`spaces.csv\` and \`spaces.svg\`:"
			echo
			cat "$OUT/.spaces"
			echo
			echo "![shadow tables and fill time by address spaces](spaces.svg)"
			echo
		fi
	fi
	if [ -s "$RAW" ] || [ -s "$MEM" ]; then
		echo "## Issue 16's targets"
		echo
		cat "$OUT/.targets16"
		echo
	fi
	[ -f "$HERE/insns.md" ] && cat "$HERE/insns.md" && echo # make bench-insns
	[ -f "$HERE/dom0.md" ] && cat "$HERE/dom0.md" && echo # make bench-dom0
	[ -f "$HERE/io.md" ] && cat "$HERE/io.md" && echo # make bench-io
	cat "$HERE/explain.md"
} >"$OUT/RESULTS.md"
rm -f "$OUT/.targets" "$OUT/.ips" "$OUT/.exits" "$OUT/.devices" "$OUT/.boot" \
	"$OUT/.answers" "$OUT/.memory" "$OUT/.spaces" "$MED"
if [ -s "$ANS" ]; then
	echo "bench: wrote $OUT/results.csv $OUT/results.md $OUT/chart.svg $OUT/answers.csv $OUT/answers.svg $OUT/RESULTS.md"
else
	echo "bench: wrote $OUT/results.csv $OUT/results.md $OUT/chart.svg $OUT/RESULTS.md"
fi
# The target table of issue 16, last, where a reader of make bench looks.
echo
echo "bench: issue 16's targets (also in $OUT/RESULTS.md):"
echo
cat "$OUT/.targets16"
rm -f "$OUT/.targets16"
