#!/bin/sh
# bench/dom0.sh - the dom0 experiment (issue 15, part 3): the same
# synchronous I/O workload on each kind of disk and each placement of
# its back end, alone and with a CPU-bound host process competing for
# the core the back end runs on.
#
#   sh bench/dom0.sh BUILD [ENGINES [FILE]]
#
# prints a markdown table; with FILE, writes it there as RESULTS.md's
# section "The dom0 experiment", draws the chart next to it (FILE's name
# with .svg for .md) and puts the section into the RESULTS.md beside
# FILE: make bench-dom0 writes bench/dom0.md and bench/dom0.svg and
# updates bench/RESULTS.md (bench/report.sh also puts dom0.md there).
#
# The workload is guests/iobench's randread (bench/io.sh's guest):
# DOM0_SIZE (full: 2000; smoke: 64, the bench suite's) synchronous 4 KiB
# reads at pseudo-random places, each timed by the guest with rdtsc
# (the host's TSC on every engine), polled (no interrupt).  The disks:
#
#   ide       the IDE disk by PIO: the vCPU's exits do the work
#   ide-dma   the same by bus-master DMA, in the vCPU's exit too
#   virtio    virtio-blk, its back end in each --backend placement
#             (vcpu, thread, process)
#   pt        the passed-through disk (if=passthru): a host thread
#             polls its rings, a back end competing for a CPU like any
#
# The table gives the latency a request sees from the guest (p50, p99,
# max) and the throughput (the requests' bytes over the sum of their
# latencies), per engine, disk, placement and load.
#
# "hog" is the competitor: a busy loop (sh -c 'while :; do :; done')
# pinned with taskset to the core the back end runs on.  The whole
# monitor starts on CPU A; a back end of its own (virtio's thread or
# process, pt's polling thread; found by name or as the monitor's second
# thread) is moved to CPU B at once with taskset -p, and the hog goes
# there, which is dom0's situation: blkback waits for the scheduler
# while the guest waits for blkback.  Without a back end of its own
# (ide, ide-dma, virtio's vcpu) the device's work is the vCPU thread's,
# so the hog shares CPU A with the vCPU.  On a machine with one CPU the
# rows still run, but everything shares it.
#
# Microseconds are TSC cycles over the host's TSC rate (bench/host's
# measurement when built, else /proc/cpuinfo's MHz).  Timings vary from
# run to run: no test asserts on them (the bench suite checks the rows'
# shape only).
set -u
B=${1:?usage: sh bench/dom0.sh BUILD [ENGINES [FILE]]}
ENGINES=${2:-softcpu native}
SIZE=${DOM0_SIZE:-full}
HERE=$(dirname "$0")
. "$HERE/lib.sh"
TV=$B/trapvisor
ELF=$B/guests/iobench.elf
case $SIZE in smoke|full) ;; *)
	echo "bench/dom0.sh: no size $SIZE (full or smoke)" >&2; exit 2 ;;
esac
[ -x "$TV" ] && [ -f "$ELF" ] ||
	{ echo "bench/dom0.sh: build first: make BUILD=$B all" >&2; exit 1; }

# ---------------------------------------------------------------- chart
# One panel of grouped bars on a log scale (microseconds, 1e0 to 1e5),
# as bench/io.sh and bench/report.sh draw theirs: a group per engine,
# disk and back end, four bars in it: p50 and p99, alone and against the
# hog.  Reads the table's rows on stdin.
chart() {
	awk -F'|' "$LOG_AXIS_AWK"'$2 ~ /^ [a-z]/ && $6 ~ /^ [0-9.]+ $/ {
		for (i = 2; i <= 7; i++) gsub(/ /, "", $i)
		g = $2 "/" $3 ($4 == "-" ? "" : "/" $4)
		if (!(g in seen)) { seen[g] = 1; grp[++ng] = g }
		v[g, $5, "p50"] = $6; v[g, $5, "p99"] = $7
	}
	END {
		split("p50 idle,p50 hog,p99 idle,p99 hog", bar, ",")
		split("#4c72b0 #dd8452 #55a868 #c44e52", color, " ")
		bw = 11; gap = 22; gw = 4 * bw + gap; left = 70; top = 40
		ph = 260; lo = 0; hi = 5; lg = top + ph + 100	# the legend, below the rotated names
		w = left + ng * gw + 20; if (w < 760) w = 760
		printf "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" font-family=\"sans-serif\" font-size=\"11\">\n", w, lg + 24
		print "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>"
		printf "<text x=\"%d\" y=\"20\" font-size=\"14\">Read latency in microseconds (log scale): p50 and p99, alone and against the hog</text>\n", left
		log_axis(lo, hi, left, left + ng * gw, top, ph)
		for (j = 1; j <= ng; j++) {
			x0 = left + (j - 1) * gw + gap / 2
			for (i = 1; i <= 4; i++) {
				split(bar[i], pl, " ")
				k = grp[j] SUBSEP pl[2] SUBSEP pl[1]
				if (!(k in v) || v[k] <= 0) continue
				bh = log_bar(v[k], lo, hi, ph)
				printf "<rect x=\"%.1f\" y=\"%.1f\" width=\"%d\" height=\"%.1f\" fill=\"%s\"><title>%s, %s: %s us</title></rect>\n", x0 + (i - 1) * bw, top + ph - bh, bw - 1, bh, color[i], grp[j], bar[i], v[k]
			}
			printf "<text transform=\"translate(%.1f,%d) rotate(30)\">%s</text>\n", x0 + 2 * bw, top + ph + 14, grp[j]
		}
		for (i = 1; i <= 4; i++) {
			lx = left + (i - 1) * 120; ly = lg
			printf "<rect x=\"%d\" y=\"%d\" width=\"12\" height=\"12\" fill=\"%s\"/>\n", lx, ly, color[i]
			printf "<text x=\"%d\" y=\"%d\">%s</text>\n", lx + 16, ly + 10, bar[i]
		}
		print "</svg>"
	}'
}

if [ -n "${3:-}" ]; then # the section, around this script's own table
	svg=${3%.md}.svg
	{
		echo "## The dom0 experiment: where the back end runs, per disk"
		echo
		echo "Generated by \`make bench-dom0\` (\`sh bench/dom0.sh $B \"$ENGINES\" $3\`)"
		echo "on $(date -u '+%Y-%m-%d %H:%M') UTC; one run per row, on a shared machine."
		echo
		sh "$0" "$B" "$ENGINES" | tee "$3.rows"
		echo
		echo "![p50 and p99 per disk and back end, alone and against the hog]($(basename "$svg"))"
		echo
		cat "$HERE/dom0-explain.md"
	} >"$3.tmp" && mv "$3.tmp" "$3"
	chart <"$3.rows" >"$svg" && rm -f "$3.rows"
	# RESULTS.md beside FILE: this section in place of the last one (up
	# to the next "## "), or before the I/O benchmark's (bench/io.sh's
	# way; bench/report.sh puts it there after every make bench).
	R=$(dirname "$3")/RESULTS.md
	[ -f "$R" ] || exit 0
	results_put "$R" "$3" '^## The dom0 experiment' \
		'^## (The I/O benchmark|How to read the columns)'
	exit
fi
T=${TMPDIR:-/tmp}/dom0.$$; mkdir -p "$T"
HOG=""
cleanup() { [ -n "$HOG" ] && kill "$HOG" 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT INT TERM

ncpu=$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 1)
CPU_A=0
CPU_B=$((ncpu > 1 ? 1 : 0))
MHZ=$(tsc_mhz "$B")

# The image guests/iobench checks its reads against: the byte at offset
# o holds o % 251 (tests/guests/disk.sh's pattern, as bench/io.sh's), 8 MiB.
sh "$HERE/../tests/guests/disk.sh" pattern "$T/disk.img" 8388608

# A disk's configurations, "DISK/PLACEMENT" ("-": no back end of its own).
CONFIGS="ide/- ide-dma/- virtio/vcpu virtio/thread virtio/process pt/-"

# The configuration's back end, if it has one of its own: how to find it.
backend_of() { # DISK PLACEMENT
	case $1/$2 in
	virtio/thread|pt/-) echo thread ;;  # the monitor's second thread
	virtio/process) echo process ;;
	*) echo none ;;
	esac
}

disk_opts() { # DISK
	case $1 in
	ide|ide-dma) echo "--disk=$T/disk.img" ;;
	virtio) echo "--disk=$T/disk.img,if=virtio" ;;
	pt) echo "--disk=$T/disk.img,if=passthru" ;;
	esac
}

# The back end's thread or process, pinned to CPU_B once it exists.
pin_backend() { # MONITOR-PID thread|process
	i=0
	while [ $i -lt 100 ]; do
		case $2 in
		thread)  # the monitor's second thread
			t=$(ls "/proc/$1/task" 2>/dev/null | sort -n | sed -n 2p) ;;
		process) t=$(pgrep -P "$1" -x tv-backend) ;;
		esac
		if [ -n "$t" ]; then
			taskset -pc "$CPU_B" "$t" >/dev/null 2>&1
			return
		fi
		i=$((i + 1)); sleep 0.01
	done
}

# One run: prints "requests bytes failed cycles p50 p99 max", or nothing.
run_one() { # ENGINE DISK PLACEMENT
	bk=""; [ "$3" = - ] || bk="--backend=$3"
	# shellcheck disable=SC2046,SC2086 # options: words
	taskset -c "$CPU_A" "$TV" --engine="$1" $bk $(disk_opts "$2") \
		"$ELF" -- "$2" randread "$SIZE" </dev/null >"$T/out" 2>"$T/err" &
	pid=$!
	be=$(backend_of "$2" "$3")
	[ "$be" = none ] || pin_backend $pid "$be"
	wait $pid
	awk '$1 == "iobench:" && $3 == "workload=randread" {
		for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
		print v["requests"], v["bytes"], v["failed"], v["cycles"],
		      v["p50"], v["p99"], v["max"] }' "$T/out"
}

start_hog() { # CPU
	taskset -c "$1" sh -c 'while :; do :; done' &
	HOG=$!
}

stop_hog() {
	[ -n "$HOG" ] && kill "$HOG" 2>/dev/null
	wait "$HOG" 2>/dev/null
	HOG=""
}

echo "| engine | disk | back end | host load | p50 (us) | p99 (us) | max (us) | MB/s | IOPS |"
echo "|---|---|---|---|---:|---:|---:|---:|---:|"
for e in $ENGINES; do
	for c in $CONFIGS; do
		d=${c%/*}; p=${c#*/}
		# the hog goes where the device's work is done
		hc=$CPU_B; [ "$(backend_of "$d" "$p")" = none ] && hc=$CPU_A
		for load in idle hog; do
			[ "$load" = hog ] && start_hog "$hc"
			r=$(run_one "$e" "$d" "$p")
			[ "$load" = hog ] && stop_hog
			echo "${r:-x}" | awk -v e="$e" -v d="$d" -v p="$p" \
				-v l="$load" -v mhz="$MHZ" '{
				if (NF != 7 || $3 != 0 || $4 == 0) { # no run, or a read failed
					printf "| %s | %s | %s | %s | - | - | - | - | - |\n", e, d, p, l
					next
				}
				us = $4 / mhz
				printf "| %s | %s | %s | %s | %.2f | %.2f | %.2f | %.1f | %d |\n",
				       e, d, p, l, $5 / mhz, $6 / mhz, $7 / mhz,
				       $2 / us, $1 * 1e6 / us
			}'
		done
	done
done
echo
echo "TSC ${MHZ} MHz; ${ncpu} CPUs; guests/iobench randread, size $SIZE; monitor on CPU $CPU_A, a back end of its own on CPU $CPU_B; the hog on the CPU the device's work runs on"
