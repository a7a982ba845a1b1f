#!/bin/sh
# tests/kvm/repeat.sh - run one guest case of kvm.cases many times inside
# one boot of the nested machine, to measure how often it fails.
#
#   KVM_NESTED_SCRIPT=tests/kvm/repeat.sh KVM_REPEAT_CASE=paging \
#   KVM_REPEAT_N=20 sh tests/kvm/nested.sh BUILD
#
# (nested.sh passes KVM_REPEAT_CASE and KVM_REPEAT_N through to here.)
# RESULTS-DIR/list gets "PASS i" or "FAIL i" per run and a last line
# "CASE: P of N passed"; RESULTS-DIR/i.log the diff, status and stderr of
# each failed run; RESULTS-DIR/cpu the nested CPU's address sizes.
set -u
BUILD=$1; RES=$2
HERE=$(cd "$(dirname "$0")/.." && pwd) # tests/
CASE=${KVM_REPEAT_CASE:-paging}; N=${KVM_REPEAT_N:-20}
T=${TMPDIR:-/tmp}/kvm-repeat; mkdir -p "$T"
rm -rf "$RES"; mkdir -p "$RES"; : >"$RES/list"
grep -m1 'address sizes' /proc/cpuinfo >"$RES/cpu"

line=$(grep -v '^#' "$HERE/kvm/kvm.cases" | awk -v c="$CASE" '$1 == c')
[ -n "$line" ] || { echo "no case $CASE in kvm.cases" >"$RES/list"; exit 0; }
# shellcheck disable=SC2086 # the fields of the line, split
set -- $line
exp=$HERE/guests/$2; st=$3; shift 3
a=""; fed=/dev/null; for x in "$@"; do
	case $x in
	*.elf) x=$BUILD/guests/$x ;;
	'<'*) fed=$HERE/guests/${x#<}; continue ;; # standard input
	esac; a="$a $x"; done
i=0; pass=0
while [ $i -lt "$N" ]; do
	i=$((i + 1))
	# shellcheck disable=SC2086
	timeout 120 "$BUILD/trapvisor" --engine=kvm $a <"$fed" >"$T/out" 2>"$T/err"
	rc=$?
	if [ "$rc" = "$st" ] && cmp -s "$exp" "$T/out"; then
		pass=$((pass + 1)); echo "PASS $i" >>"$RES/list"
	else
		echo "FAIL $i" >>"$RES/list"
		{ echo "exit status $rc, expected $st"; diff -u "$exp" "$T/out"
		  cat "$T/err"; } >"$RES/$i.log"
	fi
done
echo "$CASE: $pass of $N passed" >>"$RES/list"
exit 0
