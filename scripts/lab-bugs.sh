#!/bin/sh
# scripts/lab-bugs.sh - the command line of a lab's wrong.sh, sourced by
# scripts/lab-wrong.sh (the labs whose planted bugs unit tests catch) and
# by labs/10-real-os/wrong.sh (whose guest runs catch them):
#
#   sh labs/NN-name/wrong.sh --list          the lab's planted bugs
#   sh labs/NN-name/wrong.sh BUILD NAME      check one of them
#
# The sourcing script has set BUGS, one bug a line, its fields split by
# |, the bug's name first and what the mistake is second (the others are
# the script's own), and ME, its name for messages.  --list prints the
# names and exits; else BUILD and NAME are set from the arguments, line
# is NAME's line of BUGS, what its second field, and bug_field N prints
# its field N.  Bad use exits with status 2.
# shellcheck disable=SC2034 # BUILD and what: the sourcing script's
if [ "${1:-}" = --list ]; then
	printf "%s\n" "$BUGS" | cut -d'|' -f1
	exit 0
fi
if [ -z "${1:-}" ] || [ -z "${2:-}" ]; then
	echo "usage: $ME BUILD NAME | --list" >&2
	exit 2
fi
BUILD=$1
NAME=$2
line=$(printf "%s\n" "$BUGS" | grep "^$NAME|") || {
	echo "$ME: no planted bug $NAME (--list names them)" >&2; exit 2; }
bug_field() { # N
	printf "%s\n" "$line" | cut -d'|' -f"$1"
}
what=$(bug_field 2)
