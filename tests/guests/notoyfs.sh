#!/bin/sh
# tests/guests/notoyfs.sh - a disk that holds no toyfs (disk.sh's image:
# the byte at offset o holds o % 251), for toyos given it as its disk: it
# must refuse to mount it and leave it as it was.
#
#   sh tests/guests/notoyfs.sh make FILE    write a fresh image to FILE
#   sh tests/guests/notoyfs.sh check FILE   is FILE still that image?
set -eu
HERE=$(dirname "$0")

case ${1:-} in
make)
	sh "$HERE/disk.sh" make "$2"
	;;
check)
	sh "$HERE/disk.sh" make "$2.expect"
	if cmp "$2.expect" "$2"; then rc=0; else rc=1; fi
	rm -f "$2.expect"
	exit $rc
	;;
*)
	echo "usage: sh tests/guests/notoyfs.sh make|check FILE" >&2
	exit 2
	;;
esac
