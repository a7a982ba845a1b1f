#!/bin/sh
# tests/guests/nodataloss.sh - no data lost: a guest that saw a flush
# complete must find its write in the image, however the monitor dies.
#
#   sh tests/guests/nodataloss.sh TRAPVISOR BLKIO_ELF ENGINE DISK
#
# DISK is ide, virtio or pt (the passed-through disk).  The blkio guest's "writer" mode (guests/blkio/)
# writes sector 300 + N - 1 with "tv-writer-seq-N " over and over, flushes,
# and prints "blkio: flushed N" once the flush completed, for N = 1, 2, ...
# to the end of a 4 MiB image (about 7900 writes, seconds of work).  Each
# run here kills the monitor with SIGKILL after one of a few delays (the
# fixed ones below plus a random part), then checks that every sector the
# guest printed as flushed holds its text.  That must hold at any kill
# point: a flush completes only after fsync (devices/ide.c's FLUSH CACHE,
# devices/virtio_blk.c's VIRTIO_BLK_T_FLUSH, devices/ptblk.c's FLUSH
# before its completion entry), and the serial line comes
# after it.  Lines the monitor still held in its buffers die with it,
# which can only make the check ask for less.  The check is shown to
# catch a lost write: each run's image, with its last flushed sector
# zeroed, must fail it.  One line per run; the exit status is 0 when all
# of them pass.
set -u
TV=$1 ELF=$2 ENGINE=$3 DISK=$4
SECTORS=8192 FIRST=300
DELAYS="0.05 0.15 0.3 0.5 0.8"
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT

# The text of sectors 1..$1 of the writer, back to back.
expected() {
	awk -v n="$1" 'BEGIN {
		for (s = 1; s <= n; s++) {
			t = "tv-writer-seq-" s " "; o = ""
			while (length(o) < 512) o = o t
			printf "%s", substr(o, 1, 512)
		} }'
}

# Does image $1 hold the writer's first $2 sectors?
holds() {
	[ "$2" -eq 0 ] && return 0
	expected "$2" >"$T/want"
	dd if="$1" of="$T/got" bs=512 skip=$FIRST count="$2" status=none
	cmp -s "$T/want" "$T/got"
}

case $DISK in
ide) disk=--disk=$T/img; arg="ide writer" ;;
virtio) disk=--disk=$T/img,if=virtio; arg=writer ;;
pt) disk=--disk=$T/img,if=passthru; arg="pt writer" ;;
*) echo "nodataloss.sh: DISK is ide, virtio or pt, not $DISK" >&2; exit 2 ;;
esac

bad=0; run=0
for d in $DELAYS; do
	run=$((run + 1))
	# a random part of up to 50 ms, so that no two runs are the same
	delay=$(awk -v d="$d" -v r="$run" 'BEGIN { srand(); print d + rand() / 20 }')
	rm -f "$T/img"; truncate -s $((SECTORS * 512)) "$T/img"
	# shellcheck disable=SC2086
	"$TV" --engine="$ENGINE" "$disk" "$ELF" -- $arg </dev/null \
		>"$T/out" 2>"$T/err" &
	pid=$!
	sleep "$delay"
	kill -KILL $pid 2>/dev/null
	{ wait $pid; } 2>/dev/null; rc=$?
	n=$(sed -n 's/^blkio: flushed \([0-9][0-9]*\)$/\1/p' "$T/out" | tail -1)
	n=${n:-0}
	how="killed after $delay s"
	[ $rc = 137 ] || how="not killed: exit status $rc"
	if [ $rc != 137 ] && ! grep -qx "blkio: writer done" "$T/out"; then
		echo "FAIL run $run ($how): the writer did not finish"
		bad=1
	elif ! holds "$T/img" "$n"; then
		echo "FAIL run $run ($how): a sector among 1..$n is not in the image"
		bad=1
	elif [ "$n" -gt 0 ] &&
	     dd if=/dev/zero of="$T/img" bs=512 seek=$((FIRST + n - 1)) \
		count=1 conv=notrunc status=none && holds "$T/img" "$n"; then
		echo "FAIL run $run: the check misses a lost sector $n"
		bad=1
	else
		echo "ok run $run ($ENGINE $DISK, $how): sectors 1..$n flushed, all there"
	fi
done
exit $bad
