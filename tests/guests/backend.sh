# tests/guests/backend.sh - --backend=thread|process (devices/virtio_backend.h),
# sourced by tests/run.sh's guests suite (pass, fail, disk_make, $TV, $OUT).
#
# 1. What --stats says of each placement on each engine: blkio's 22
#    requests in 16 notifications and its one interrupt, as in the vCPU's
#    thread; every notification one kick down the pipe, answered by at
#    most as many wake-ups (one wake-up takes every kick waiting).  The
#    register accesses are not fixed here: blkio's hostile step reads the
#    status until the back end has seen the loop, however long it takes.
# 2. The back-end process holds three descriptors (its kick pipe, its
#    answer pipe, the image) and runs under a seccomp filter; killed
#    with SIGKILL, the monitor says so in one
#    line and ends the VM with status 125, on the next look (here the
#    guest, echo, halts for input; the input wakes it and the look).

backend_stats() { # ENGINE PLACEMENT
	img=$(disk_make blkio.img)
	timeout 120 "$TV" --engine="$1" --backend="$2" --stats \
		--disk="$img",if=virtio,serial=blkio \
		"$BUILD/guests/blkio.elf" </dev/null >"$OUT/out" 2>"$OUT/err"
	rc=$?
	w=$(sed -n "s/^virtio-blk back end: $2; kicks 16 (one pipe write each), wake-ups \([0-9]*\) (one answer each), vCPU waits [0-9]*\$/\1/p" "$OUT/err")
	if [ $rc = 0 ] && cmp -s "$OUT/out" "$HERE/guests/blkio.out" &&
	   grep -qE '^virtio-blk: requests 22, notifications 16 \(one register write each\), interrupts 1, register accesses [0-9]+ in all$' "$OUT/err" &&
	   [ -n "$w" ] && [ "$w" -ge 1 ] && [ "$w" -le 16 ] &&
	   sh "$HERE/guests/blkio.sh" check "$img"; then
		pass "guests/backend-stats-$1-$2"
	else
		echo "exit status $rc, wake-ups '$w'" >>"$OUT/err"
		fail "guests/backend-stats-$1-$2" "$OUT/err"
	fi
}

backend_kill() { # ENGINE
	img=$(disk_make blkio.img)
	rm -f "$OUT/in"
	mkfifo "$OUT/in"
	"$TV" --engine="$1" --backend=process --disk="$img",if=virtio \
		"$BUILD/guests/echo.elf" <"$OUT/in" >"$OUT/out" 2>"$OUT/err" &
	tv=$!
	exec 7>"$OUT/in"
	be=""; i=0
	while [ -z "$be" ] && [ $i -lt 200 ]; do
		be=$(pgrep -P $tv -x tv-backend); i=$((i + 1)); sleep 0.05
	done
	walled=no
	[ -n "$be" ] && [ "$(ls "/proc/$be/fd" | sort | tr '\n' ' ')" = "0 1 2 " ] &&
		[ "$(readlink "/proc/$be/fd/2")" = "$img" ] &&
		grep -q '^Seccomp:[[:space:]]*2$' "/proc/$be/status" && walled=yes
	[ -n "$be" ] && kill -KILL "$be"
	sleep 0.2
	echo x >&7
	exec 7>&-
	wait $tv; rc=$?
	sed "s/(process $be)/(process PID)/" "$OUT/err" >"$OUT/err.n"
	echo "trapvisor: virtio-blk back end (process PID) is gone: its answer pipe closed (killed, or it crashed)" >"$OUT/want"
	if [ -n "$be" ] && [ $walled = yes ] && [ $rc = 125 ] && [ ! -s "$OUT/out" ] &&
	   cmp -s "$OUT/want" "$OUT/err.n"; then
		pass "guests/backend-killed-$1"
	else
		echo "exit status $rc (want 125), back end '$be', walled in: $walled" >>"$OUT/err"
		fail "guests/backend-killed-$1" "$OUT/err"
	fi
}

for e in softcpu native; do
	backend_stats $e thread
	backend_stats $e process
	backend_kill $e
done
