#!/bin/sh
# tests/guests/blkio.sh - the disk image of the blkio guest (guests/blkio/).
#
#   sh tests/guests/blkio.sh make FILE    write a fresh image to FILE
#   sh tests/guests/blkio.sh check FILE   is FILE the fresh image with
#                                         sectors 200-201 written as the
#                                         guest writes them?
#
# The image is disk.sh's: 1024 sectors, the byte at offset o holds o % 251.
# The guest fills sector N (200, 201) with "tv-blkio-sect-N " over and over.
set -eu
HERE=$(dirname "$0")

# Sector $1's text, 512 bytes of it.
sector_text() {
	t="tv-blkio-sect-$1 "; s=""
	while [ ${#s} -lt 512 ]; do s="$s$t"; done
	printf %s "$s" | head -c 512
}

case ${1:-} in
make)
	sh "$HERE/disk.sh" make "$2"
	;;
check)
	sh "$HERE/disk.sh" make "$2.expect"
	{ sector_text 200; sector_text 201; } |
		dd of="$2.expect" bs=512 seek=200 conv=notrunc status=none
	if cmp "$2.expect" "$2"; then rc=0; else rc=1; fi
	rm -f "$2.expect"
	exit $rc
	;;
*)
	echo "usage: sh tests/guests/blkio.sh make|check FILE" >&2
	exit 2
	;;
esac
