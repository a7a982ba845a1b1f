#!/bin/sh
# bench/io-inside.sh - bench/io.sh's kvm rows, run inside the nested
# machine of tests/kvm/nested.sh (AMD SVM as QEMU's TCG models it), for a
# host whose /dev/kvm gives no hardware assist (IO_NESTED=1 sh bench/io.sh).
#
#   KVM_NESTED_SCRIPT=bench/io-inside.sh sh tests/kvm/nested.sh BUILD
#
# nested.sh calls it as "io-inside.sh BUILD RESULTS-DIR".  It reads the
# size, the runs a row, the disks and the workloads from
# BUILD/bench/io-nested.conf (written by bench/io.sh), runs bench/io.sh
# there with the kvm engine alone, and leaves its raw lines, the engine
# named kvm-nested, in RESULTS-DIR/raw.txt, its log in RESULTS-DIR/log.txt.
# The exit counts are the truthful part: every exit of the nested guest
# costs a trip through QEMU's software SVM, so its times are not
# hardware's.
set -u
BUILD=$1; RES=$2
rm -rf "$RES"; mkdir -p "$RES"
SIZE=smoke; REPS=1; DISKS=""; WORKLOADS=""
# shellcheck disable=SC1091
. "$BUILD/bench/io-nested.conf"
IO_ENGINES=kvm IO_REPS=$REPS IO_DISKS=$DISKS IO_WORKLOADS=$WORKLOADS \
	IO_RAW=$RES/raw.kvm sh "$(dirname "$0")/io.sh" "$BUILD" "$SIZE" \
	"$RES/out" >"$RES/log.txt" 2>&1
[ -f "$RES/raw.kvm" ] && awk '$3 == "kvm" { $3 = "kvm-nested" } { print }' \
	"$RES/raw.kvm" >"$RES/raw.txt"
echo done >"$RES/finished"
exit 0
