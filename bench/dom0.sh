#!/bin/sh
# bench/dom0.sh - the dom0 experiment (issue 15, part 3): the same
# synchronous I/O workload with the virtio back end in each placement
# (--backend=vcpu|thread|process), alone and with a CPU-bound host
# process competing for the back end's core.
#
#   sh bench/dom0.sh BUILD [ENGINES]   # a markdown table on stdout
#   (make bench-dom0 writes it into bench/RESULTS.md's section)
#
# The workload is guests/iolat: 2000 synchronous 4 KiB reads of a virtio
# disk at pseudo-random places, each timed by the guest with rdtsc (the
# host's TSC on every engine), polled (no interrupt).  The table gives
# the latency a request sees from the guest (p50, p99, max) and the
# throughput of the loop, per engine, placement and load.
#
# "hog" is the competitor: a busy loop (sh -c 'while :; do :; done')
# pinned with taskset to the core the back end is pinned to; the
# monitor (vCPU thread) is pinned to the other core.  With vcpu the
# back end is the vCPU thread itself, so the hog shares the vCPU's
# core; with thread and process only the back end's core is contended,
# which is dom0's situation: blkback waits for the scheduler while the
# guest waits for blkback.  Pinning: the whole monitor starts on CPU A;
# the back end (thread tid or process pid, found by name) is moved to
# CPU B at once with taskset -p.  On a machine with one CPU the
# placements still run, but both sides share it.
#
# Microseconds are TSC cycles over the host's TSC rate (bench/host's
# measurement when built, else /proc/cpuinfo's MHz).  Timings vary from
# run to run: no test asserts on them (the bench suite checks the rows'
# shape only).
set -u
B=${1:?usage: sh bench/dom0.sh BUILD [ENGINES]}
ENGINES=${2:-softcpu native}
TV=$B/trapvisor
T=${TMPDIR:-/tmp}/dom0.$$; mkdir -p "$T"
HOG=""
cleanup() { [ -n "$HOG" ] && kill "$HOG" 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT INT TERM

ncpu=$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 1)
CPU_A=0
CPU_B=$((ncpu > 1 ? 1 : 0))
if [ -x "$B/bench/hostbench" ]; then
	MHZ=$("$B/bench/hostbench" tsc | sed 's/tsc_hz=//' |
	      awk '{ printf "%.3f", $1 / 1e6 }')
else
	MHZ=$(awk -F: '/^cpu MHz/ { printf "%.3f", $2; exit }' /proc/cpuinfo)
fi
truncate -s 8M "$T/disk.img"

# The back end's thread or process, pinned to CPU_B once it exists.
pin_backend() { # MONITOR-PID PLACEMENT
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

# One run: prints "p50 p99 max total failed" in cycles, or "-".
run_one() { # ENGINE PLACEMENT
	taskset -c "$CPU_A" "$TV" --engine="$1" --backend="$2" \
		--disk="$T/disk.img",if=virtio "$B/guests/iolat.elf" \
		</dev/null >"$T/out" 2>"$T/err" &
	pid=$!
	[ "$2" = vcpu ] || pin_backend $pid "$2"
	wait $pid
	sed -n 's/^iolat: [0-9]* reads of 4 KiB in TSC cycles: p50 \([0-9]*\), p99 \([0-9]*\), max \([0-9]*\), total \([0-9]*\); \([0-9]*\) failed$/\1 \2 \3 \4 \5/p' "$T/out"
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

echo "| engine | back end | host load | p50 (us) | p99 (us) | max (us) | MB/s | IOPS |"
echo "|---|---|---|---:|---:|---:|---:|---:|"
for e in $ENGINES; do
	for p in vcpu thread process; do
		for load in idle hog; do
			# vcpu: the back end is the vCPU thread, on CPU_A
			hc=$CPU_B; [ "$p" = vcpu ] && hc=$CPU_A
			[ "$load" = hog ] && start_hog "$hc"
			r=$(run_one "$e" "$p")
			[ "$load" = hog ] && stop_hog
			if [ -z "$r" ]; then
				echo "| $e | $p | $load | - | - | - | - | - |"
				continue
			fi
			echo "$r" | awk -v e="$e" -v p="$p" -v l="$load" \
				-v mhz="$MHZ" '{
				n = 2000; us = $4 / mhz
				if ($5 != 0) { # a read failed: no figures
					printf "| %s | %s | %s | - | - | - | - | - |\n", e, p, l
					next
				}
				printf "| %s | %s | %s | %.2f | %.2f | %.2f | %.1f | %d |\n",
				       e, p, l, $1 / mhz, $2 / mhz, $3 / mhz,
				       n * 4096 / us, n * 1e6 / us
			}'
		done
	done
done
echo
echo "TSC ${MHZ} MHz; ${ncpu} CPUs; monitor on CPU $CPU_A, back end on CPU $CPU_B; the hog on the back end's CPU"
