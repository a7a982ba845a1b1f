# tests/gdb/proto.sh - the GDB remote protocol by hand, in bash (for
# /dev/tcp): sourced by tests/gdb/raw.sh and tests/gdb/interrupt.sh, with
# the stub's connection on file descriptor 3.

# Send payload as a packet with its checksum.
packet() {
	local p=$1 sum=0 i c
	for ((i = 0; i < ${#p}; i++)); do
		printf -v c '%d' "'${p:i:1}"
		sum=$(((sum + c) & 255))
	done
	printf '$%s#%02x' "$p" "$sum" >&3
}

getc() {
	IFS= read -r -n1 -t5 ch <&3 || { echo "(no answer)"; exit 1; }
}

# One answer into $reply: an ack ('+' or '-'), or a packet's payload in
# brackets.
receive() {
	local data=""
	getc
	case $ch in
	'+' | '-') reply=$ch; return ;;
	'$') ;;
	*) printf 'unexpected %q\n' "$ch"; exit 1 ;;
	esac
	while getc && [ "$ch" != '#' ]; do data+=$ch; done
	getc; getc
	reply="[$data]"
}

# One answer, printed on a line.
answer() {
	receive
	printf '%s\n' "$reply"
}
