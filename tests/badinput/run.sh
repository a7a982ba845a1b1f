# tests/badinput/run.sh - bad input gives one line on stderr and a
# non-zero status, never a crash.  Sourced by tests/run.sh (pass, fail,
# $TV, $OUT, $HERE come from there).

# Build a tiny ELF64 image from tests/badinput/NAME.S linked at ADDR.
mkimage() { # NAME ADDR
	gcc -nostdlib -static -no-pie -Wl,--build-id=none -Wl,-Ttext="$2" \
		-o "$OUT/$1.elf" "$HERE/badinput/$1.S"
}

# One case: the status must be STATUS, stderr exactly one line matching
# PATTERN, stdout empty.
bad() { # NAME STATUS PATTERN COMMAND...
	n=$1; st=$2; pat=$3; shift 3
	"$@" </dev/null >"$OUT/out" 2>"$OUT/err"; rc=$?
	lines=$(wc -l <"$OUT/err")
	if [ "$rc" = "$st" ] && [ "$lines" = 1 ] && grep -q -- "$pat" "$OUT/err" &&
	   [ ! -s "$OUT/out" ]; then
		pass "badinput/$n"
	else
		echo "status $rc (want $st), $lines stderr lines (want 1 matching '$pat'):" >"$OUT/why"
		cat "$OUT/err" "$OUT/out" >>"$OUT/why"
		fail "badinput/$n" "$OUT/why"
	fi
}

mkimage triple 0x200000
mkimage wild 0x200000
mkimage loop 0x200000
mkimage far 0x40000000
printf 'this is not an ELF file\n' >"$OUT/text"
# An ELF32 header: 7f 'E' 'L' 'F', class 1, little-endian, version 1.
printf '\177ELF\001\001\001\000\000\000\000\000\000\000\000\000' >"$OUT/elf32"
head -c 36 /dev/zero >>"$OUT/elf32"

bad missing-file 1 "cannot open .*No such file" "$TV" "$OUT/nonexistent.elf"
bad not-elf 1 "not an ELF file" "$TV" "$OUT/text"
bad elf32 1 "32-bit ELF" "$TV" "$OUT/elf32"
bad outside-ram 1 "outside guest RAM" "$TV" --mem=64 "$OUT/far.elf"
bad unknown-option 2 "unknown option '--frobnicate'" "$TV" --frobnicate "$OUT/text"
bad mem-zero 2 "--mem=0: give a size" "$TV" --mem=0 "$OUT/triple.elf"
bad mem-huge 2 "--mem=99999: give a size" "$TV" --mem=99999 "$OUT/triple.elf"
bad mem-text 2 "--mem=lots: give a size" "$TV" --mem=lots "$OUT/triple.elf"
bad no-image 2 "no guest image" "$TV"
bad bad-engine 2 "--engine=qemu: the engines are" "$TV" --engine=qemu "$OUT/triple.elf"
bad bad-isa 2 "--isa=arm: the modes" "$TV" --isa=arm "$OUT/triple.elf"
head -c 1000 /dev/zero >"$OUT/odd.img"
head -c 1024 /dev/zero >"$OUT/ok.img"
: >"$OUT/empty.img"
bad disk-missing 1 "disk .*nonexistent.img: No such file" "$TV" --disk="$OUT/nonexistent.img" "$OUT/triple.elf"
bad disk-directory 1 "disk .*: not a regular file" "$TV" --disk="$OUT" "$OUT/triple.elf"
bad disk-odd-size 1 "1000 bytes, is not a positive multiple of 512" "$TV" --disk="$OUT/odd.img" "$OUT/triple.elf"
bad disk-empty 1 "0 bytes, is not a positive multiple of 512" "$TV" --disk="$OUT/empty.img,ro" "$OUT/triple.elf"
bad disk-option 2 "--disk: unknown option 'rw'" "$TV" --disk="$OUT/ok.img,rw" "$OUT/triple.elf"
bad disk-slot 2 "--disk: unknown option 'slot=2'" "$TV" --disk="$OUT/ok.img,slot=2" "$OUT/triple.elf"
bad disk-three 2 "the primary channel holds two disks" "$TV" --disk="$OUT/ok.img" --disk="$OUT/ok.img" --disk="$OUT/ok.img" "$OUT/triple.elf"
bad disk-slot-taken 2 "that slot already has a disk" "$TV" --disk="$OUT/ok.img" --disk="$OUT/ok.img,slot=0" "$OUT/triple.elf"
bad triple-fault 125 "triple fault" "$TV" --engine=softcpu "$OUT/triple.elf"
bad wild-memory 125 "outside its 64 MiB of RAM" "$TV" --engine=softcpu --mem=64 "$OUT/wild.elf"
bad endless-loop 130 "interrupted at rip" timeout --preserve-status -s INT 2 "$TV" --engine=softcpu "$OUT/loop.elf"

# Guests that once crashed an engine: the whole output (OUTPUT, printf
# style) and the status must be STATUS on every engine that runs here,
# with nothing on stderr.
same() { # NAME STATUS OUTPUT
	n=$1; st=$2; printf "$3" >"$OUT/want"
	mkimage "$n" 0x200000 || { fail "badinput/$n"; return; }
	for e in softcpu native; do
		if [ "$e" = native ] &&
		   ! "$TV" --engine=native /dev/null 2>&1 | grep -q "not a regular"; then
			echo "SKIP badinput/$n-$e: the native engine cannot run here"
			continue
		fi
		"$TV" --engine=$e "$OUT/$n.elf" </dev/null >"$OUT/out" 2>"$OUT/err"; rc=$?
		if [ "$rc" = "$st" ] && [ ! -s "$OUT/err" ] && cmp -s "$OUT/want" "$OUT/out"; then
			pass "badinput/$n-$e"
		else
			echo "status $rc (want $st), output and stderr:" >"$OUT/why"
			cat "$OUT/out" "$OUT/err" >>"$OUT/why"
			fail "badinput/$n-$e" "$OUT/why"
		fi
	done
}

# A store at the storing instruction's own address, and one into the page
# right after a short instruction: not instruction fetches (native once
# looped on them and aborted).
same selfwrite 42 'ok ok\n'
# Kernel-half FS, GS and KERNEL_GS bases, set, swapped and read back (as
# every real kernel does; native once refused them in PTRACE_SETREGS).
same kbase 42 'bases ok\n'
