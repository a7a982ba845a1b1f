#!/bin/sh
# bench/io.sh - the I/O benchmark (make bench-io, issue 15): what a disk
# request costs on each kind of disk, each virtio back-end placement and
# each engine, in exits to the monitor per KiB moved, throughput and the
# latency the guest sees.
#
#   sh bench/io.sh BUILD [SIZE [OUTDIR]]
#
# SIZE is guests/iobench's: full (the default; 2000 requests a workload,
# 500 for syncwrite), smoke (64: the bench suite's) or tiny (8: the
# nested machine's, whose exits cost up to a millisecond each).  Writes,
# in OUTDIR (default bench/):
#
#   io.csv    one row per disk, back end, engine and workload
#   io.md     RESULTS.md's section "The I/O benchmark": the table, the
#             commands, what the rows show (bench/io-explain.md); it is
#             also put into OUTDIR/RESULTS.md in place of the last one,
#             and bench/report.sh puts it there after every make bench
#   io.svg    exits per KiB by workload and disk, and MB/s, both on a
#             log scale
#
# Each row is one guest run under --stats: guests/iobench with one
# workload on one disk.  Its exits are the first "total" line of --stats
# (exits by reason; on kvm "KVM_RUN returned N times" instead, since the
# dispatcher counts each word of a rep insw that KVM hands over in one
# exit) plus, on softcpu, the MMIO accesses it completed
# in-line ("softcpu: mmio: N device accesses": the accesses that are an
# exit on native and kvm, the card's notifications among them), less
# those of the same disk's "none" run (bring-up and the result line,
# which the guest pads to one length), over the KiB the requests moved.
# The device's register accesses (its own --stats line) per KiB likewise:
# the same on every engine (the passthru disk's: those made with requests
# in flight, its data path; its set-up reads a status register until the
# host thread answers, as often as the host's timing makes it).  MB/s and
# IOPS are the requests' bytes and number over the sum of their latencies
# (guest TSC, the host's rate); p50, p99 and max are the guest's, in
# microseconds.  Each row is run IO_REPS times and the run whose total
# time is the median kept whole.
#
# Environment: IO_REPS (3), IO_ENGINES (softcpu native kvm), IO_DISKS
# (below), IO_WORKLOADS (all five).  kvm runs where /dev/kvm gives
# hardware assist; elsewhere the commands say it was skipped and why,
# unless IO_NESTED=1: then its rows run inside the nested machine of
# tests/kvm/nested.sh (bench/io-inside.sh; make bench's kvm-nested
# column), at IO_NESTED_SIZE (tiny), as engine kvm-nested: a minute or
# more of booting, and every exit a trip through QEMU's software SVM, so
# that only its counts mean anything.  IO_RAW=FILE keeps the raw lines
# (io-inside.sh).  Needs only sh and awk; timings are never asserted
# (the bench suite checks counts: tests/run.sh).
set -u
B=${1:?usage: sh bench/io.sh BUILD [full|smoke [OUTDIR]]}
SIZE=${2:-full}
OUT=${3:-bench}
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
TV=$B/trapvisor
ELF=$B/guests/iobench.elf
REPS=${IO_REPS:-3}
ENGINES=${IO_ENGINES:-softcpu native kvm}
WORKLOADS=${IO_WORKLOADS:-seqread randread seqwrite randwrite syncwrite}
# The disks, emulated first: each needs a line in disk_opts and placements.
DISKS=${IO_DISKS:-ide ide-dma virtio pt}
IMAGE_BYTES=8388608 # guests/iobench covers its first 8000 KiB

case $SIZE in smoke|full|tiny) ;; *)
	echo "bench/io.sh: no size $SIZE (full, smoke or tiny)" >&2; exit 2 ;;
esac
[ -x "$TV" ] && [ -f "$ELF" ] ||
	{ echo "bench/io.sh: build first: make BUILD=$B all" >&2; exit 1; }
T=${TMPDIR:-/tmp}/bench-io.$$; mkdir -p "$T" "$OUT"
trap 'rm -rf "$T"' EXIT
trap 'exit 130' INT TERM
RAW=$T/raw.txt; : >"$RAW"
LOG=$T/log.txt; : >"$LOG"
say() { echo "bench-io: $*"; echo "$*" >>"$LOG"; }

# The monitor's options that give the guest disk $1, the image $2.
disk_opts() { # DISK IMAGE
	case $1 in
	ide|ide-dma) echo "--disk=$2" ;;
	virtio) echo "--disk=$2,if=virtio" ;;
	pt) echo "--disk=$2,if=passthru" ;;
	esac
}

# The back-end placements of disk $1 ("-": it has no choice).
placements() { # DISK
	case $1 in
	virtio) echo "vcpu thread process" ;;
	*) echo - ;;
	esac
}

MHZ=$(tsc_mhz "$B")

# One run's line of figures, from the guest's line and --stats:
# "requests bytes failed cycles p50 p99 max exits accesses", or nothing.
figures() { # OUT-FILE STATS-FILE
	awk -v stats="$2" '
	BEGIN {
		while ((getline l < stats) > 0) {
			n = split(l, f, " ")
			if (f[1] == "total" && ex == "") ex = f[2]
			# kvm: the first total counts each port access of a
			# string instruction; the returns of KVM_RUN are the exits
			if (l ~ /^kvm: KVM_RUN returned [0-9]+ times/) kvm = f[4]
			if (l ~ /^softcpu: mmio: [0-9]+ device accesses/) mmio = f[3]
			for (i = 1; i + 4 <= n; i++)   # a device'"'"'s own line
				if (f[i] == "register" && f[i + 1] == "accesses" &&
				    f[i + 3] == "in" && f[i + 4] ~ /^all,?$/)
					all = f[i + 2]
			# the passthru disk says which of them came with
			# requests in flight, the data path (the rest are
			# set-up, whose status reads depend on the host timing)
			for (i = 1; i + 5 <= n; i++)
				if (f[i + 1] == "of" && f[i + 2] == "them" &&
				    f[i + 3] == "with" && f[i + 4] == "requests" &&
				    f[i + 5] == "in")
					all = f[i]
			if (all != "") { acc += all; all = "" }
		}
	}
	$1 == "iobench:" && $3 ~ /^workload=/ {
		for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
		line = v["requests"] " " v["bytes"] " " v["failed"] " " \
		       v["cycles"] " " v["p50"] " " v["p99"] " " v["max"]
	}
	END {
		if (kvm != "") ex = kvm
		if (line != "" && ex != "") print line, ex + mmio, acc + 0
	}
	' "$1"
}

# Every workload (and none) of one disk, back end and engine, REPS times:
# "disk backend engine workload rep figures..." lines to $RAW.
run_config() { # DISK BACKEND ENGINE
	opts="--engine=$3 --stats $(disk_opts "$1" "$T/disk.img")"
	[ "$2" = - ] || opts="--engine=$3 --backend=$2 --stats $(disk_opts "$1" "$T/disk.img")"
	label="$1 $2 $3"; [ "$2" = - ] && label="$1 $3"
	say "$label: $(echo "$TV $opts" | sed "s|$T/disk.img|io.img|") $ELF -- $1 WORKLOAD $SIZE"
	for w in none $WORKLOADS; do
		r=0
		while [ $r -lt "$REPS" ]; do
			r=$((r + 1))
			# shellcheck disable=SC2086 # opts: words
			timeout 300 "$TV" $opts "$ELF" -- "$1" "$w" "$SIZE" \
				</dev/null >"$T/out" 2>"$T/err"; rc=$?
			f=$(figures "$T/out" "$T/err")
			if [ $rc != 0 ] || [ -z "$f" ]; then
				say "$label $w failed (exit status $rc): $(cat "$T/out" "$T/err" | grep -m1 -E '^(iobench|trapvisor):')"
				return
			fi
			echo "$1 $2 $3 $w $r $f" >>"$RAW"
			[ "$w" = none ] && break # a count: once is enough
		done
	done
}

# kvm's rows inside the nested machine (tests/kvm/nested.sh, bench/
# io-inside.sh): the same disks and workloads at IO_NESTED_SIZE, their
# raw lines added to $RAW as engine kvm-nested.
run_nested() {
	{
		echo "SIZE=${IO_NESTED_SIZE:-tiny}"
		echo "REPS=1"
		echo "DISKS='$DISKS'"
		echo "WORKLOADS='$WORKLOADS'"
	} >"$B/bench/io-nested.conf"
	say "kvm-nested: KVM_NESTED_SCRIPT=bench/io-inside.sh sh tests/kvm/nested.sh $B (bench/io.sh with IO_ENGINES=kvm, size ${IO_NESTED_SIZE:-tiny}, inside)"
	res=$B/kvm-nested/results
	if KVM_NESTED_SCRIPT=$HERE/io-inside.sh sh "$HERE/../tests/kvm/nested.sh" \
		"$B" >>"$T/nested.log" 2>&1 && [ -f "$res/finished" ] &&
	   [ -s "$res/raw.txt" ]; then
		cat "$res/raw.txt" >>"$RAW"
		sed -n 's/^bench-io: \(.*failed.*\)/kvm-nested: \1/p' "$res/log.txt" |
			while read -r l; do say "$l"; done
	else
		say "kvm-nested: no figures came back ($(tail -1 "$T/nested.log" 2>/dev/null))"
	fi
}

# Which engines run here; kvm only with hardware assist, else in the
# nested machine when IO_NESTED=1.
engines=""; nested=0
mkdir -p "$B/bench"
for e in $ENGINES; do
	if "$TV" --engine="$e" "$B/guests/hello.elf" </dev/null >/dev/null 2>"$T/err"; then
		engines="$engines $e"
	elif [ "$e" = kvm ] && [ "${IO_NESTED:-0}" = 1 ]; then
		nested=1
	elif [ "$e" = kvm ]; then
		say "kvm: skipped: $(sed -n 's/^trapvisor: //p' "$T/err" | head -1); IO_NESTED=1 runs its rows in the nested machine of tests/kvm/nested.sh (QEMU's software SVM: some minutes more, exit counts real, times not hardware's)"
	else
		say "$e: skipped: $(sed -n 's/^trapvisor: //p' "$T/err" | head -1)"
	fi
done
sh "$HERE/../tests/guests/disk.sh" pattern "$T/disk.img" $IMAGE_BYTES
say "TSC $MHZ MHz; size $SIZE; $REPS runs a row, the median kept"
say "io.img: $IMAGE_BYTES bytes, the byte at offset o holding o % 251 (tests/guests/disk.sh pattern)"
for d in $DISKS; do
	for p in $(placements "$d"); do
		for e in $engines; do
			run_config "$d" "$p" "$e"
		done
	done
done
[ -n "${IO_RAW:-}" ] && cp "$RAW" "$IO_RAW"
[ $nested = 1 ] && run_nested

# ---------------------------------------------------------------- CSV
# Per row: the run of median total time among its REPS; its figures
# against the none run of the same disk, back end and engine.
awk -v mhz="$MHZ" -v wl="$WORKLOADS" '
{ k = $1 " " $2 " " $3 " " $4; n[k]++; run[k, n[k]] = $0; cyc[k, n[k]] = $9
  if ($4 == "none") { ex0[$1 " " $2 " " $3] = $13; acc0[$1 " " $2 " " $3] = $14 }
  if (!(k in seen)) { seen[k] = 1; keys[++nk] = k } }
function median_run(k,   i, j, t, ix) {
	for (i = 1; i <= n[k]; i++) ix[i] = i
	for (i = 2; i <= n[k]; i++) {	# by total time; a handful of runs
		t = ix[i]
		for (j = i - 1; j >= 1 && cyc[k, ix[j]] > cyc[k, t]; j--) ix[j + 1] = ix[j]
		ix[j + 1] = t
	}
	return run[k, ix[int((n[k] + 1) / 2)]]
}
function us(c) { return sprintf("%.1f", c / mhz) }
END {
	print "disk,backend,engine,workload,requests,bytes,failed,runs,exits,exits_per_kib,accesses_per_kib,mb_per_s,iops,p50_us,p99_us,max_us"
	for (i = 1; i <= nk; i++) {
		split(keys[i], kk, " ")
		if (kk[4] == "none") continue
		split(median_run(keys[i]), f, " ")
		c = kk[1] " " kk[2] " " kk[3]
		kib = f[7] / 1024; s = f[9] / mhz / 1e6
		if (!(c in ex0) || kib <= 0 || s <= 0) continue
		ex = f[13] - ex0[c]
		printf "%s,%s,%s,%s,%d,%d,%d,%d,%d,%.3f,%.2f,%.2f,%.0f,%s,%s,%s\n",
		       f[1], f[2], f[3], f[4], f[6], f[7], f[8], n[keys[i]], ex,
		       ex / kib, (f[14] - acc0[c]) / kib, f[7] / s / 1e6,
		       f[6] / s, us(f[10]), us(f[11]), us(f[12])
	}
}' "$RAW" >"$OUT/io.csv"

# ---------------------------------------------------------------- table
table() {
	echo "| disk | back end | engine | workload | requests | exits per KiB | device accesses per KiB | MB/s | IOPS | p50 (us) | p99 (us) | max (us) |"
	echo "| --- | --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
	awk -F, 'NR > 1 {
		printf "| %s | %s | %s | %s | %d%s | %s | %s | %s | %s | %s | %s | %s |\n",
		       $1, $2, $3, $4, $5, ($7 > 0 ? " (" $7 " failed)" : ""),
		       $10, $11, $12, $13, $14, $15, $16 }' "$OUT/io.csv"
}

# ---------------------------------------------------------------- chart
# Two panels of grouped bars on a log scale, as bench/report.sh draws its
# charts: groups are the workloads, bars the disks (exits per KiB, from
# the first engine that ran: the count barely depends on it) or the disk,
# back end and engine (MB/s).  lo and hi are the decades of the axis.
panel() { # CSV-OF-GROUP,BAR,VALUE TITLE LO HI Y0 UNIT
	awk -F, -v title="$2" -v lo="$3" -v hi="$4" -v y0="$5" -v unit="$6" \
		"$LOG_AXIS_AWK"'
	{ v[$1, $2] = $3
	  if (!($1 in sg)) { sg[$1] = 1; rows[++nr] = $1 }
	  if (!($2 in sb)) { sb[$2] = 1; c[++nc] = $2 } }
	END {
		split("#4c72b0 #dd8452 #55a868 #c44e52 #8172b3 #937860 #da8bc3 #8c8c8c #ccb974 #64b5cd #1b5e20 #000000 #e377c2 #17becf #bcbd22", color, " ")
		bw = 10; gap = 18; gw = nc * bw + gap; left = 70; top = y0 + 40
		ph = 240; per = 4	# legend entries a line
		printf "<text x=\"%d\" y=\"%d\" font-size=\"14\">%s</text>\n", left, y0 + 20, title
		log_axis(lo, hi, left, left + nr * gw, top, ph)
		for (j = 1; j <= nr; j++) {
			x0 = left + (j - 1) * gw + gap / 2
			for (i = 1; i <= nc; i++) {
				k = rows[j] SUBSEP c[i]
				if (!(k in v) || v[k] <= 0) continue
				bh = log_bar(v[k], lo, hi, ph)
				printf "<rect x=\"%.1f\" y=\"%.1f\" width=\"%d\" height=\"%.1f\" fill=\"%s\"><title>%s, %s: %s %s</title></rect>\n", x0 + (i - 1) * bw, top + ph - bh, bw - 1, bh, color[i], rows[j], c[i], v[k], unit
			}
			printf "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>\n", x0 + nc * bw / 2, top + ph + 16, rows[j]
		}
		for (i = 1; i <= nc; i++) {
			lx = left + (i - 1) % per * 170; ly = top + ph + 36 + int((i - 1) / per) * 18
			printf "<rect x=\"%d\" y=\"%d\" width=\"12\" height=\"12\" fill=\"%s\"/>\n", lx, ly, color[i]
			printf "<text x=\"%d\" y=\"%d\">%s</text>\n", lx + 16, ly + 10, c[i]
		}
	}' "$1"
}
chart() {
	first=$(awk -F, 'NR == 2 { print $3 }' "$OUT/io.csv")
	awk -F, -v e="$first" 'NR > 1 && $3 == e && ($2 == "-" || $2 == "vcpu") {
		print $4 "," $1 "," $10 }' "$OUT/io.csv" >"$T/exits.csv"
	awk -F, 'NR > 1 { print $4 "," $1 ($2 == "-" ? "" : "/" $2) "/" $3 "," $12 }' \
		"$OUT/io.csv" >"$T/mbs.csv"
	nbars=$(cut -d, -f2 "$T/mbs.csv" | sort -u | wc -l)
	w=$((70 + 5 * (nbars * 10 + 18) + 20)); [ $w -lt 760 ] && w=760
	h2=$((340 + (nbars + 3) / 4 * 18))
	echo "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"$w\" height=\"$((340 + h2))\" font-family=\"sans-serif\" font-size=\"11\">"
	echo '<rect width="100%" height="100%" fill="white"/>'
	panel "$T/exits.csv" "Exits per KiB (log scale), by workload and disk ($first)" -2 2 0 "exits per KiB"
	panel "$T/mbs.csv" "MB/s (log scale), by workload and disk/back end/engine" -1 4 340 MB/s
	echo '</svg>'
}

# ---------------------------------------------------------------- io.md
section() {
	echo "## The I/O benchmark: exits per KiB, MB/s and latency per disk"
	echo
	env=""
	for v in IO_REPS IO_ENGINES IO_DISKS IO_WORKLOADS IO_NESTED IO_NESTED_SIZE; do
		eval "x=\${$v-}"
		[ -n "$x" ] && env="$env$v='$x' "
	done
	echo "Generated by \`${env}make bench-io\` (\`${env}sh bench/io.sh $B $SIZE\`) on"
	echo "$(date -u '+%Y-%m-%d %H:%M') UTC; guests/iobench, one workload a run,"
	echo "each row the median of $REPS runs (by total time) on a shared machine."
	echo "TSC $MHZ MHz, $(getconf _NPROCESSORS_ONLN 2>/dev/null || echo ?) CPUs. The commands:"
	echo
	echo '```'
	sed 's/^/# /' "$LOG"
	echo '```'
	echo
	table
	echo
	echo "Also in \`io.csv\` and \`io.svg\`:"
	echo
	echo "![exits per KiB and MB/s per disk](io.svg)"
	echo
	cat "$HERE/io-explain.md"
}

chart >"$OUT/io.svg"
section >"$OUT/io.md"
# RESULTS.md: this section in place of the last one (up to the next
# "## "), or before the explanations (explain.md's first heading).
[ -f "$OUT/RESULTS.md" ] &&
	results_put "$OUT/RESULTS.md" "$OUT/io.md" '^## The I/O benchmark' \
		'^## How to read the columns'
table
echo "bench-io: wrote $OUT/io.csv $OUT/io.md $OUT/io.svg$([ -f "$OUT/RESULTS.md" ] && echo " and its section of $OUT/RESULTS.md")"
