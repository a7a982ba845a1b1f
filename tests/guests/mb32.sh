#!/bin/sh
# tests/guests/mb32.sh - the disk image of the mb32 guest (guests/mb32/).
#
#   sh tests/guests/mb32.sh make FILE    write a fresh image to FILE
#   sh tests/guests/mb32.sh check FILE   is FILE still the fresh image?
#
# 64 KiB (128 sectors) of zeros whose sector 0 begins with a line of text:
# mb32 IDENTIFYs the disk (the sector count), reads sector 0 and prints its
# first 32 bytes.  It writes nothing.
set -eu
SIZE=65536

make_image() {
	head -c $SIZE /dev/zero >"$1"
	printf 'mb32 disk: sector 0, the first bytes\n' |
		dd of="$1" conv=notrunc status=none
}

case ${1:-} in
make)
	make_image "$2"
	;;
check)
	make_image "$2.expect"
	if cmp "$2.expect" "$2"; then rc=0; else rc=1; fi
	rm -f "$2.expect"
	exit $rc
	;;
*)
	echo "usage: sh tests/guests/mb32.sh make|check FILE" >&2
	exit 2
	;;
esac
