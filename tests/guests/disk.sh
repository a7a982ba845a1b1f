#!/bin/sh
# tests/guests/disk.sh - the disk image of the disk guest (guests/disk/).
#
#   sh tests/guests/disk.sh make FILE    write a fresh image to FILE
#   sh tests/guests/disk.sh check FILE   is FILE the fresh image with sector
#                                        100 written as the guest writes it?
#   sh tests/guests/disk.sh pattern FILE BYTES
#                                        the same pattern, BYTES long (the
#                                        I/O benchmarks' images: bench/io.sh,
#                                        bench/dom0.sh)
#
# The image is 512 KiB (1024 sectors); the byte at offset o holds o % 251,
# so that every sector differs from the others (251 is prime, sectors are
# 512 bytes).  The guest writes sector 100 with "tv-disk-sect-100" 32 times.
set -eu
SIZE=524288
SECTOR=100

# The 251-byte block 0, 1, ..., 250, then doubled until it covers BYTES.
make_image() { # FILE [BYTES]
	bytes=${2:-$SIZE}
	i=0; fmt=""
	while [ $i -lt 251 ]; do
		fmt="$fmt\\$(printf %o $i)"; i=$((i + 1))
	done
	printf "$fmt" >"$1.blk"
	n=251
	while [ $n -lt $bytes ]; do
		cat "$1.blk" "$1.blk" >"$1.tmp"; mv "$1.tmp" "$1.blk"
		n=$((n * 2))
	done
	head -c $bytes "$1.blk" >"$1"
	rm -f "$1.blk"
}

case ${1:-} in
make)
	make_image "$2"
	;;
pattern)
	make_image "$2" "$3"
	;;
check)
	make_image "$2.expect"
	i=0
	while [ $i -lt 32 ]; do printf tv-disk-sect-100; i=$((i + 1)); done |
		dd of="$2.expect" bs=512 seek=$SECTOR conv=notrunc status=none
	if cmp "$2.expect" "$2"; then rc=0; else rc=1; fi
	rm -f "$2.expect"
	exit $rc
	;;
*)
	echo "usage: sh tests/guests/disk.sh make|check FILE, or pattern FILE BYTES" >&2
	exit 2
	;;
esac
