# tests/fuzz/run.sh - the fuzz suite.  Sourced by tests/run.sh (pass, fail,
# $BUILD, $TV, $OUT, $HERE come from there).
#
# 1. Replay: every libFuzzer target (BUILD/fuzz/fuzz_NAME, make fuzz-bins)
#    runs, without fuzzing, over its seed corpus fuzz/corpus/NAME and the
#    inputs that once failed, fuzz/regress/NAME, each input 12 times in
#    the same process (state one run leaves behind for the next is a bug,
#    as fuzz/regress/monitor/same-fill-in-every-vm showed).  Any crash,
#    sanitizer report or broken check fails it.
# 2. The native engine's random-code campaign: tests/fuzz/mkimage.c makes
#    FUZZ_IMAGES images (400) of random code from seed FUZZ_SEED (1), the
#    same images on every run; each runs on --engine=native for at most a
#    second (then Ctrl-C), inside an empty scratch directory.  The monitor
#    must never die: its status is a guest's (0..125) or 130 after Ctrl-C,
#    with at most one line on stderr and no sanitizer report; and nothing
#    the guest code tried (it calls open("f", O_CREAT) through syscall,
#    int 0x80 and sysenter) may happen on the host: the scratch directory
#    stays empty.
# 3. What the campaign found: each tests/fuzz/NAME.S is a small guest,
#    reduced from a failing image, that must exit with status 42 and
#    nothing on stderr on native and on softcpu alike.

ROOT=$(cd "$HERE/.." && pwd)
TVABS=$(cd "$(dirname "$TV")" && pwd)/$(basename "$TV")

# Can clang link a libFuzzer binary here?  Only then may replay SKIP.
fuzzer_runtime() {
	printf 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n)\n{ (void)d; (void)n; return 0; }\n' >"$OUT/probe.c"
	${FUZZ_CC:-clang} -fsanitize=fuzzer -o "$OUT/probe" "$OUT/probe.c" \
		>/dev/null 2>&1
}

fuzz_replay() {
	for src in "$ROOT"/fuzz/*.c; do
		t=$(basename "$src" .c)
		bin=$BUILD/fuzz/fuzz_$t
		if [ ! -x "$bin" ]; then
			if ! fuzzer_runtime; then
				echo "SKIP fuzz/replay-$t: clang cannot link -fsanitize=fuzzer here (sh scripts/deps.sh test installs clang and libclang-rt-dev)"
			else
				echo "$bin is missing: make fuzz-bins" >"$OUT/log"
				fail "fuzz/replay-$t" "$OUT/log"
			fi
			continue
		fi
		set -- "$ROOT/fuzz/corpus/$t"/*
		[ -d "$ROOT/fuzz/regress/$t" ] && set -- "$@" "$ROOT/fuzz/regress/$t"/*
		if [ ! -f "$1" ]; then
			echo "no seed corpus in fuzz/corpus/$t" >"$OUT/log"
			fail "fuzz/replay-$t" "$OUT/log"
		elif "$bin" -runs=12 -close_fd_mask=3 "$@" >"$OUT/log" 2>&1; then
			pass "fuzz/replay-$t ($# inputs)"
		else
			fail "fuzz/replay-$t" "$OUT/log"
		fi
	done
}

# One image of the campaign; prints why it failed, or nothing.
native_one() { # IMAGE
	(cd "$OUT/scratch" && timeout --preserve-status -s INT 1 \
		"$TVABS" --engine=native "$1" </dev/null >/dev/null 2>"$OUT/err")
	rc=$?
	lines=$(wc -l <"$OUT/err")
	if [ "$rc" -gt 125 ] && [ "$rc" != 130 ]; then
		echo "$(basename "$1"): status $rc: the monitor died"
	elif [ "$lines" -gt 1 ] || grep -q -e Sanitizer -e "runtime error" "$OUT/err"; then
		echo "$(basename "$1"): status $rc, $lines lines on stderr"
	elif [ -n "$(ls -A "$OUT/scratch")" ]; then
		echo "$(basename "$1"): the host saw it: $(ls -A "$OUT/scratch")"
		rm -rf "${OUT:?}/scratch"/* "${OUT:?}/scratch"/.[!.]*
	else
		return 0
	fi
	head -3 "$OUT/err" | sed 's/^/    /'
}

fuzz_native() {
	if ! "$TV" --engine=native /dev/null 2>&1 | grep -q "not a regular"; then
		echo "SKIP fuzz/native-random-code: the native engine cannot run here"
		return
	fi
	seed=${FUZZ_SEED:-1} n=${FUZZ_IMAGES:-400}
	rm -rf "$OUT/images" "$OUT/scratch"
	mkdir -p "$OUT/images" "$OUT/scratch"
	if ! "$BUILD/tests/mkimage" "$seed" "$n" "$OUT/images" >"$OUT/log" 2>&1; then
		fail fuzz/native-random-code "$OUT/log"
		return
	fi
	: >"$OUT/bad"
	i=0
	while [ $i -lt "$n" ]; do
		native_one "$OUT/images/$seed-$i.elf" >>"$OUT/bad"
		i=$((i + 1))
	done
	if [ -s "$OUT/bad" ]; then
		echo "seed $seed (sh tests/run.sh with FUZZ_SEED=$seed; images from $BUILD/tests/mkimage $seed $n DIR):" |
			cat - "$OUT/bad" >"$OUT/log"
		fail "fuzz/native-random-code (seed $seed, $n images)" "$OUT/log"
	else
		pass "fuzz/native-random-code (seed $seed, $n images)"
	fi
}

fuzz_found() {
	for src in "$HERE"/fuzz/*.S; do
		n=$(basename "$src" .S)
		gcc -nostdlib -static -no-pie -Wl,--build-id=none \
			-Wl,-Ttext=0x200000 -o "$OUT/$n.elf" "$src" || {
			fail "fuzz/found-$n"; continue; }
		for e in softcpu native; do
			if [ $e = native ] &&
			   ! "$TV" --engine=native /dev/null 2>&1 | grep -q "not a regular"; then
				echo "SKIP fuzz/found-$n-$e: the native engine cannot run here"
				continue
			fi
			timeout 20 "$TV" --engine=$e "$OUT/$n.elf" </dev/null \
				>"$OUT/out" 2>"$OUT/err"
			rc=$?
			if [ $rc = 42 ] && [ ! -s "$OUT/err" ]; then
				pass "fuzz/found-$n-$e"
			else
				echo "status $rc (want 42), stderr:" | cat - "$OUT/err" >"$OUT/log"
				fail "fuzz/found-$n-$e" "$OUT/log"
			fi
		done
	done
}

fuzz_replay
fuzz_found
fuzz_native
