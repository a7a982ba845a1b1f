#!/bin/sh
# tests/kvm/inside-gdb.sh - gdb against the kvm engine, inside the nested
# machine that tests/kvm/nested.sh boots with KVM_NESTED_QEMU=backports
# (the QEMU whose SVM arms the guest's debug registers: nested.sh says why).
#
#   sh tests/kvm/inside-gdb.sh BUILD RESULTS-DIR
#
# The sessions every engine passes (tests/gdb/run.sh): a breakpoint by
# name, registers and memory read and written, a single step across a
# trapping in, a watchpoint, monitor info tlb, detach and the guest's own
# end.  Here the CPU's debug registers and its single step do the work
# (engines/kvm/debug.c).  RESULTS-DIR/list as inside.sh writes it.
set -u
BUILD=$1; RES=$2
HERE=$(cd "$(dirname "$0")/.." && pwd) # tests/
TV=$BUILD/trapvisor
rm -rf "$RES"; mkdir -p "$RES"; : >"$RES/list"
OUT=${TMPDIR:-/tmp}/kvm-gdb; mkdir -p "$OUT"

. "$HERE/kvm/list.sh"       # pass, fail
. "$HERE/gdb/run.sh"
suite_gdb_sessions kvm
exit 0
