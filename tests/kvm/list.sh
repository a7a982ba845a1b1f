# tests/kvm/list.sh - the results list that inside.sh and inside-gdb.sh
# write and tests/run.sh's kvm suite reads, sourced by both with RES set:
# one line per check in RES/list, "PASS name" or "FAIL name", and for a
# failure RES/name.log (name's "kvm/" dropped, the other / as -) with
# what explains it.

verdict() { # NAME STATUS: PASS when STATUS is 0
	if [ "$2" = 0 ]; then echo "PASS $1"; else echo "FAIL $1"; fi >>"$RES/list"
}

# tests/gdb/run.sh's sessions report through pass and fail, as the suites
# of tests/run.sh do.
pass() { verdict "$1" 0; }
fail() { # NAME [LOG]
	verdict "$1" 1
	[ -n "${2:-}" ] && cp "$2" "$RES/$(echo "${1#kvm/}" | tr / -).log"
	return 0
}
