#!/bin/bash
# tests/gdb/interrupt.sh PORT - gdb's Ctrl-C (0x03) stops a running guest
# (tests/badinput/loop.S: jmp to itself at 0x200000, for ever); monitor
# info registers shows where; k ends the VM.  Prints what it saw
# (tests/gdb/interrupt.expected).
set -u
exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
. "$(dirname "$0")/proto.sh"

packet 'QStartNoAckMode'; answer; answer
packet 'c'                          # the guest runs: no answer yet
sleep 0.3
printf '\003' >&3; answer           # Ctrl-C: stopped with SIGINT
# monitor info registers: O packets of hex text, then OK
packet "qRcmd,$(printf 'info registers' | od -An -tx1 | tr -d ' \n')"
text=""
while receive && [ "$reply" != "[OK]" ] && [ "${reply#\[O}" != "$reply" ]; do
	text+=${reply:2:${#reply}-3}
done
printf '%s\n' "$reply"
printf '%b' "$(printf '%s' "$text" | sed 's/../\\x&/g')" | grep -o '^rip [0-9a-f]*'
packet 'k'
exec 3>&-
