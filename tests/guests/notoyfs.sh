#!/bin/sh
# tests/guests/notoyfs.sh - a disk that holds no toyfs (disk.sh's image:
# the byte at offset o holds o % 251), for toyos given it as its disk: it
# must refuse to mount it and leave it as it was.
#
#   sh tests/guests/notoyfs.sh make FILE    write a fresh image to FILE
#   sh tests/guests/notoyfs.sh check FILE   is FILE still that image?
set -u
HERE=$(dirname "$0")

case ${1:-} in
make|check) ;;
*)
	echo "usage: sh tests/guests/notoyfs.sh make|check FILE" >&2
	exit 2
	;;
esac
sh "$HERE/disk.sh" make "$2.fresh" || exit 1
[ "$1" = check ] || exec mv "$2.fresh" "$2"
cmp "$2.fresh" "$2"; rc=$?
rm -f "$2.fresh"
exit $rc
