#!/bin/sh
# tests/guests/toyfs.sh - the disk image of toyos's file system tests
# (guests/toyos/toyfs.h, the program files: guests/toyos/user_files.c).
#
#   sh tests/guests/toyfs.sh make FILE    write a fresh toyfs to FILE
#   sh tests/guests/toyfs.sh check FILE   is FILE the toyfs that files
#                                         leaves, sector for sector?
#
# 1024 sectors (512 KiB).  The fresh one holds two files made here:
# "readme" (one line, sector 2) and "pattern" (2000 bytes, byte i = i % 251,
# sectors 3-6); sectors 7 up are free.  files then writes "notes" (30
# lines, sectors 7-9), rewrites "readme" bigger (16 lines: it moves to
# sectors 10-11, sector 2 keeps the old text), lets its child write
# "child" (sector 12), and rewrites "notes" with its first 10 lines
# (440 bytes, in place: sectors 8-9 keep the old lines).  Every sector's
# tail past a file's end is zeros.
set -eu
SECTORS=1024

# A little-endian uint32_t: four octal escapes, a format made to be one.
# shellcheck disable=SC2059
le32() {
	printf "$(printf '\\%03o\\%03o\\%03o\\%03o' $(($1 & 255)) \
		$(($1 >> 8 & 255)) $(($1 >> 16 & 255)) $(($1 >> 24 & 255)))"
}

# The superblock's fields (toyfs.h): next_free $1.
super() {
	printf 'toyfs v1'; le32 $SECTORS; le32 1; le32 16; le32 "$1"
}

# A directory entry: name $1 (at most 19 bytes), start, sectors, size.
dirent() {
	printf %s "$1"; head -c $((20 - ${#1})) /dev/zero
	le32 "$2"; le32 "$3"; le32 "$4"
}

# Write stdin at sector $2 of image $1, padded with zeros to whole sectors.
put() {
	cat >"$1.part"
	n=$(wc -c <"$1.part")
	head -c $(((512 - n % 512) % 512)) /dev/zero >>"$1.part"
	dd if="$1.part" of="$1" bs=512 seek="$2" conv=notrunc status=none
	rm -f "$1.part"
}

readme_text() { printf 'This toyfs was made on the host by tests/guests/toyfs.sh.\n'; }

# shellcheck disable=SC2059 # the 251 bytes' escapes are the format
pattern_text() {
	i=0; fmt=""
	while [ $i -lt 251 ]; do
		fmt="$fmt\\$(printf %o $i)"; i=$((i + 1))
	done
	for i in 1 2 3 4 5 6 7 8; do printf "$fmt"; done | head -c 2000
}

# $1 lines of format $2, whose one conversion is the line's number from 0.
# shellcheck disable=SC2059
lines() {
	i=0
	while [ $i -lt "$1" ]; do
		printf "$2" $i
		i=$((i + 1))
	done
}

notes_text() { lines 30 'toyfs line %02d: the same bytes on every disk\n'; }
readme2_text() { lines 16 'readme line %02d, rewritten by files\n'; }

child_text() { printf 'written by process 3\n'; }

size() { "$@" | wc -c | tr -d ' '; }

make_image() {
	head -c $((SECTORS * 512)) /dev/zero >"$1"
	super 7 | put "$1" 0
	{ dirent readme 2 1 "$(size readme_text)"
	  dirent pattern 3 4 2000; } | put "$1" 1
	readme_text | put "$1" 2
	pattern_text | put "$1" 3
}

case ${1:-} in
make)
	make_image "$2"
	;;
check)
	make_image "$2.expect"
	super 13 | put "$2.expect" 0
	{ dirent readme 10 2 "$(size readme2_text)"
	  dirent pattern 3 4 2000
	  dirent notes 7 3 440
	  dirent child 12 1 "$(size child_text)"; } | put "$2.expect" 1
	notes_text | put "$2.expect" 7
	notes_text | head -c 440 | put "$2.expect" 7
	readme2_text | put "$2.expect" 10
	child_text | put "$2.expect" 12
	if cmp "$2.expect" "$2"; then rc=0; else rc=1; fi
	rm -f "$2.expect"
	exit $rc
	;;
*)
	echo "usage: sh tests/guests/toyfs.sh make|check FILE" >&2
	exit 2
	;;
esac
