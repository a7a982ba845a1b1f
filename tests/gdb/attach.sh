#!/bin/bash
# tests/gdb/attach.sh PORT - a gdb that connects to a guest already
# running (--gdb-nowait) finds it stopped: '?' answers a stop, the
# registers show where it was (tests/badinput/loop.S at 0x200000), and
# k ends the VM.  Prints what it saw (tests/gdb/attach.expected).
set -u
exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
. "$(dirname "$0")/proto.sh"

packet '?'; answer; answer
packet 'p10'; answer; answer        # rip, little-endian
packet 'k'
exec 3>&-
