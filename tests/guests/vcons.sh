#!/bin/sh
# tests/guests/vcons.sh - the disk beside the vcons guest's console
# (guests/vcons/): the virtio disk is there only to move the console card
# to the next PCI slot, and the guest never touches it.
#
#   sh tests/guests/vcons.sh make FILE    write a fresh image to FILE
#   sh tests/guests/vcons.sh check FILE   is FILE still the fresh image?
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
	echo "usage: sh tests/guests/vcons.sh make|check FILE" >&2
	exit 2
	;;
esac
