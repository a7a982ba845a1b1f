#!/bin/sh
# bench/samecode.sh - do the host's program and the bench guest run the
# same compute routine?  (bench/compute.h: one object linked into both.)
#
#   sh bench/samecode.sh BUILD
#
# Prints one line: the size of compute_sieve and whether its bytes are
# the same in BUILD/bench/hostbench, BUILD/guests/bench.elf and
# BUILD/guests/bench-pv.elf; exits 0 when they are, 1 when they are not
# (and prints the two disassemblies' first difference), 2 when a binary
# or objdump is missing.  The bytes are compared, not the listing: the
# routine's jumps are relative, so the same object gives the same bytes
# wherever it is linked.
set -u
BUILD=${1:-build}
command -v objdump >/dev/null || { echo "samecode: no objdump" >&2; exit 2; }
bytes() { # BINARY: compute_sieve's bytes, one hex pair a line
	objdump -d --disassemble=compute_sieve "$1" |
		awk -F'\t' '/^ +[0-9a-f]+:/ { print $2 }' | tr ' ' '\n' | grep .
}
ref=""
for f in bench/hostbench guests/bench.elf guests/bench-pv.elf; do
	[ -f "$BUILD/$f" ] || { echo "samecode: no $BUILD/$f: build first" >&2; exit 2; }
	bytes "$BUILD/$f" >"$BUILD/bench/.sieve.$$" 2>/dev/null
	n=$(wc -l <"$BUILD/bench/.sieve.$$")
	if [ "$n" -eq 0 ]; then
		echo "samecode: no compute_sieve in $BUILD/$f"
		rm -f "$BUILD/bench/.sieve.$$" "$BUILD/bench/.sieve.ref.$$"
		exit 1
	fi
	if [ -z "$ref" ]; then
		ref=$f; size=$n
		mv "$BUILD/bench/.sieve.$$" "$BUILD/bench/.sieve.ref.$$"
	elif ! cmp -s "$BUILD/bench/.sieve.ref.$$" "$BUILD/bench/.sieve.$$"; then
		echo "samecode: compute_sieve differs: $ref ($size bytes) and $f ($n bytes)"
		diff "$BUILD/bench/.sieve.ref.$$" "$BUILD/bench/.sieve.$$" | head -5
		rm -f "$BUILD/bench/.sieve.$$" "$BUILD/bench/.sieve.ref.$$"
		exit 1
	fi
done
sum=$(md5sum <"$BUILD/bench/.sieve.ref.$$" | cut -c1-12)
rm -f "$BUILD/bench/.sieve.$$" "$BUILD/bench/.sieve.ref.$$"
echo "samecode: compute_sieve is $size bytes, the same in bench/hostbench, guests/bench.elf and guests/bench-pv.elf (md5 $sum...)"
