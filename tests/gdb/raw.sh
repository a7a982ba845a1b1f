#!/bin/bash
# tests/gdb/raw.sh PORT - the GDB remote protocol by hand, against a
# stub waiting on localhost:PORT: what gdb would never send, and what
# the stub must answer (tests/gdb/raw.expected), then a disconnect.
# bash for /dev/tcp; run by tests/gdb/run.sh.
set -u
exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1

. "$(dirname "$0")/proto.sh"

packet '?'; answer; answer
printf 'noise between packets' >&3
printf '$g#00' >&3; answer                  # a bad checksum
packet 'm0,zz'; answer; answer              # not an address range
packet 'm7fff00000000,4'; answer; answer    # nothing mapped there
packet 'Z9,100000,1'; answer; answer        # no such breakpoint type
packet 'qXfer:features:read:other.xml:0,10'; answer; answer
packet 'p9999'; answer; answer              # no such register
packet 'vMustReplyEmpty'; answer; answer
packet 'X100000,4:ab'; answer; answer       # 2 bytes where 4 are said
packet "$(printf 'a%.0s' $(seq 5000))"; answer  # longer than PacketSize
packet 'QStartNoAckMode'; answer; answer
packet 'qAttached'; answer                  # no ack any more
packet 'Z0,100000,1'; answer
exec 3>&-                                   # gone, mid-session
