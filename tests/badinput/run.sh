# tests/badinput/run.sh - bad input gives one line on stderr and a
# non-zero status, never a crash.  Sourced by tests/run.sh (pass, fail,
# $TV, $OUT, $HERE come from there).

# Build a tiny ELF64 image from tests/badinput/NAME.S linked at ADDR.
mkimage() { # NAME ADDR
	gcc -nostdlib -static -no-pie -Wl,--build-id=none -Wl,-Ttext="$2" \
		-o "$OUT/$1.elf" "$HERE/badinput/$1.S"
}

# Build the multiboot kernel tests/badinput/mb32.S as $OUT/NAME.elf, an
# ELF32 image linked at ADDR, with the gcc options that follow (-D knobs).
mkmb() { # NAME ADDR [OPTION...]
	n=$1; a=$2; shift 2
	gcc -m32 -nostdlib -static -no-pie -Wl,--build-id=none -Wl,-N \
		-Wl,--no-warn-rwx-segments -Wl,-Ttext="$a" "$@" \
		-o "$OUT/$n.elf" "$HERE/badinput/mb32.S"
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

# A copy of IMAGE whose program headers sit at an odd offset (appended
# after one byte of padding, e_phoff patched): legal ELF, and a misaligned
# read for a loader that casts instead of copying (UBSan catches it).
misalign() { # IMAGE OUT
	phnum=$(od -An -tu2 -j56 -N2 "$1" | tr -d ' ')
	size=$(wc -c <"$1")
	off=$((size + 1 + (size + 1) % 2))
	{ cat "$1"; head -c $((off - size)) /dev/zero
	  dd if="$1" bs=1 skip=64 count=$((phnum * 56)) 2>/dev/null; } >"$2"
	le=""; v=$off
	for i in 1 2 3 4 5 6 7 8; do
		le="$le$(printf '\\%03o' $((v & 255)))"; v=$((v >> 8)); done
	printf "$le" | dd of="$2" bs=1 seek=32 conv=notrunc 2>/dev/null
}

mkimage triple 0x200000
mkimage loop 0x200000
mkimage repout 0x200000
mkimage far 0x40000000
mkimage chatty 0x200000
printf 'this is not an ELF file\n' >"$OUT/text"
# An ELF32 header: 7f 'E' 'L' 'F', class 1, little-endian, version 1.
printf '\177ELF\001\001\001\000\000\000\000\000\000\000\000\000' >"$OUT/elf32"
head -c 36 /dev/zero >>"$OUT/elf32"

bad missing-file 1 "cannot open .*No such file" "$TV" "$OUT/nonexistent.elf"
bad not-elf 1 "not an ELF file" "$TV" "$OUT/text"
bad elf32 1 "32-bit ELF" "$TV" "$OUT/elf32"
# A FIFO nobody writes to: refused at once, not waited on (the timeout
# turns a regression into a failure instead of a hang).
mkfifo "$OUT/fifo"
bad fifo 1 "fifo: not a regular file" timeout 10 "$TV" "$OUT/fifo"
bad directory 1 "not a regular file" "$TV" "$OUT"
: >"$OUT/empty"
bad empty-file 1 "empty: an empty file" "$TV" "$OUT/empty"
bad outside-ram 1 "outside guest RAM" "$TV" --mem=64 "$OUT/far.elf"
bad unknown-option 2 "unknown option '--frobnicate'" "$TV" --frobnicate "$OUT/text"
bad mem-zero 2 "--mem=0: give a size" "$TV" --mem=0 "$OUT/triple.elf"
bad mem-huge 2 "--mem=523265: give a size in MiB, 2 to 523264 MiB (RAM must end below 2^39, the virtual CPU.s MAXPHYADDR)" "$TV" --mem=523265 "$OUT/triple.elf"
bad mem-text 2 "--mem=lots: give a size" "$TV" --mem=lots "$OUT/triple.elf"
bad no-image 2 "no guest image" "$TV"
bad bad-engine 2 "--engine=qemu: the engines are" "$TV" --engine=qemu "$OUT/triple.elf"
bad bad-isa 2 "--isa=arm: the modes" "$TV" --isa=arm "$OUT/triple.elf"
bad bad-isa-feature 2 "--isa=x86,smep: the features are umip and cpuid-fault" "$TV" --isa=x86,smep "$OUT/triple.elf"
bad isa-strict-feature 2 "--isa=strict,umip: strict already traps" "$TV" --isa=strict,umip "$OUT/triple.elf"
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
bad vdisk-missing 1 "disk .*nonexistent.img: No such file" "$TV" --disk="$OUT/nonexistent.img,if=virtio" "$OUT/triple.elf"
bad vdisk-odd-size 1 "not a regular file whose size is a positive multiple of 512" "$TV" --disk="$OUT/odd.img,if=virtio" "$OUT/triple.elf"
bad vdisk-two 2 "there is one virtio disk only" "$TV" --disk="$OUT/ok.img,if=virtio" --disk="$OUT/ok.img,if=virtio" "$OUT/triple.elf"
bad vdisk-slot 2 "slot= is for if=ide" "$TV" --disk="$OUT/ok.img,if=virtio,slot=0" "$OUT/triple.elf"
bad vdisk-serial-ide 2 "serial= is for if=virtio" "$TV" --disk="$OUT/ok.img,serial=x" "$OUT/triple.elf"
bad vdisk-serial-long 2 "--disk: unknown option 'serial=123456789012345678901'" "$TV" --disk="$OUT/ok.img,if=virtio,serial=123456789012345678901" "$OUT/triple.elf"
bad ptdisk-missing 1 "disk .*nonexistent.img: No such file" "$TV" --disk="$OUT/nonexistent.img,if=passthru" "$OUT/triple.elf"
bad ptdisk-odd-size 1 "not a regular file whose size is a positive multiple of 512" "$TV" --disk="$OUT/odd.img,if=passthru" "$OUT/triple.elf"
bad ptdisk-fifo 1 "disk .*fifo: not a regular file" timeout 10 "$TV" --disk="$OUT/fifo,if=passthru,ro" "$OUT/triple.elf"
bad ptdisk-two 2 "there is one passthru disk only" "$TV" --disk="$OUT/ok.img,if=passthru" --disk="$OUT/ok.img,if=passthru" "$OUT/triple.elf"
bad ptdisk-slot 2 "slot= and serial= are not for if=passthru" "$TV" --disk="$OUT/ok.img,if=passthru,slot=0" "$OUT/triple.elf"
bad ptdisk-spelling 2 "--disk: unknown option 'if=passthrough'" "$TV" --disk="$OUT/ok.img,if=passthrough" "$OUT/triple.elf"
bad ptdisk-icount 2 "if=passthru: not with --icount" "$TV" --disk="$OUT/ok.img,if=passthru" --icount "$OUT/triple.elf"
bad backend-unknown 2 "--backend=dom0: give vcpu, thread or process" "$TV" --backend=dom0 "$OUT/triple.elf"
bad backend-icount 2 "--backend=thread: not with --icount" "$TV" --backend=thread --icount "$OUT/triple.elf"
bad console-serial 2 "--console=serial: the only console beside COM1 is virtio" "$TV" --console=serial "$OUT/triple.elf"
bad console-empty 2 "--console=: the only console beside COM1 is virtio" "$TV" --console= "$OUT/triple.elf"
bad vdisk-if 2 "--disk: unknown option 'if=scsi'" "$TV" --disk="$OUT/ok.img,if=scsi" "$OUT/triple.elf"
# Multiboot kernels the loader must refuse (monitor/multiboot.c).
mkmb mb 0x100000
mkmb mb-checksum 0x100000 -DMB_CHECKSUM_ERR=1
mkmb mb-video 0x100000 -DMB_FLAGS=7
mkmb mb-flag5 0x100000 -DMB_FLAGS=0x23
mkmb mb-bios 0xa0000
mkmb mb-ebda 0x9fc00
mkmb mb-low 0x9000
mkmb mb-far 0x8000000
mkmb mb-entry 0x100000 -Wl,-e,0x300000
mkmb mb-noaddr 0x100000
objcopy -O binary "$OUT/mb-noaddr.elf" "$OUT/mb-noaddr.bin"
head -c 100 "$OUT/mb.elf" >"$OUT/mb-truncated.elf"
printf 'module\n' >"$OUT/module.txt"
bad mb-bad-checksum 1 "multiboot header at offset 0x54 has a bad checksum" "$TV" "$OUT/mb-checksum.elf"
bad mb-video-mode 1 "requires a video mode (flag 2)" "$TV" "$OUT/mb-video.elf"
bad mb-unknown-flag 1 "requires feature flag 5" "$TV" "$OUT/mb-flag5.elf"
bad mb-bios-area 1 "segment 0 at \[0xa0000, .*overlaps the EBDA and BIOS area" "$TV" "$OUT/mb-bios.elf"
bad mb-ebda 1 "segment 0 at \[0x9fc00, .*overlaps the EBDA and BIOS area" "$TV" "$OUT/mb-ebda.elf"
bad mb-low-memory 1 "overlaps the loader's structures below 0x10000" "$TV" "$OUT/mb-low.elf"
bad mb-outside-ram 1 "segment 0 at \[0x8000000, .*outside the available guest RAM" "$TV" --mem=64 "$OUT/mb-far.elf"
bad mb-entry-outside 1 "entry point 0x300000 is not inside a loaded segment" "$TV" "$OUT/mb-entry.elf"
bad mb-truncated 1 "mb-truncated.elf: segment 0: malformed sizes or offset" "$TV" "$OUT/mb-truncated.elf"
bad mb-not-elf-no-addresses 1 "not an ELF file must give its load addresses" "$TV" "$OUT/mb-noaddr.bin"
bad initrd-missing 1 "cannot open .*nonexistent.bin: No such file" "$TV" --initrd="$OUT/nonexistent.bin arg" "$OUT/mb.elf"
bad initrd-directory 1 "not a regular file" "$TV" --initrd="$OUT" "$OUT/mb.elf"
# A kernel that starts in 32-bit mode: native runs 64-bit guest code only,
# and says so in one line (auto picks softcpu: guests/mb32-auto).
if "$TV" --engine=native /dev/null 2>&1 | grep -q "not a regular"; then
	bad native-32bit 1 "native engine runs 64-bit guest code only" "$TV" --engine=native "$BUILD/guests/mb32.elf"
else
	echo "SKIP badinput/native-32bit: the native engine cannot run here"
fi
bad initrd-not-multiboot 1 "hello.elf: not a multiboot kernel, so it takes no modules" "$TV" --initrd="$OUT/module.txt" "$BUILD/guests/hello.elf"
bad initrd-empty 2 "--initrd='': give a module file" "$TV" --initrd= "$OUT/mb.elf"
# The whole chain, and the function the first fault was in (triple.S).
chain="#UD, then #GP(0x33) while delivering it, then #GP(0x6b) while delivering it, then #DF(0) (double fault), then #GP(0x43) while delivering the #DF"
bad triple-fault 125 "^trapvisor: triple fault at rip 0x200000 <_start>: $chain\$" "$TV" --engine=softcpu "$OUT/triple.elf"
if "$TV" --engine=native /dev/null 2>&1 | grep -q "not a regular"; then
	bad triple-fault-native 125 "^trapvisor: triple fault at rip 0x200000 <_start>: $chain\$" "$TV" --engine=native "$OUT/triple.elf"
fi
# Stripped of its symbols, the same guest is named by address alone.
strip -o "$OUT/triple-stripped.elf" "$OUT/triple.elf"
bad triple-fault-stripped 125 "^trapvisor: triple fault at rip 0x200000: #UD, then" "$TV" --engine=softcpu "$OUT/triple-stripped.elf"
# A kill from below monitor/ (interp/: the #UD's gate outside RAM,
# noram.S) names the function too, on every engine.
mkimage noram 0x200000
noram="^trapvisor: guest memory at linear 0x80000060 is outside its 64 MiB of RAM (rip 0x200007 <fault>)\$"
bad noram-kill-names-function 125 "$noram" "$TV" --engine=softcpu "$OUT/noram.elf"
if "$TV" --engine=native /dev/null 2>&1 | grep -q "not a regular"; then
	bad noram-kill-names-function-native 125 "$noram" "$TV" --engine=native "$OUT/noram.elf"
fi
# And from an engine (softcpu's MMIO store across a page, mmiocross.S).
mkimage mmiocross 0x200000
bad mmio-cross-kill-names-function 125 "^trapvisor: softcpu: an access that crosses into or out of an MMIO page (rip 0x20000a <_start+0xa>)\$" "$TV" --engine=softcpu "$OUT/mmiocross.elf"
bad trace-unknown-class 2 "^trapvisor: --trace=io,bogus: unknown class 'bogus' (the classes are io, cr, msr, pf, irq, syscall, desc, exc)\$" "$TV" --trace=io,bogus "$OUT/triple.elf"
bad trace-empty-class 2 "^trapvisor: --trace=: unknown class ''" "$TV" --trace= "$OUT/triple.elf"
misalign "$OUT/triple.elf" "$OUT/misaligned.elf"
bad misaligned-phdrs 125 "triple fault" "$TV" --engine=softcpu "$OUT/misaligned.elf"
bad endless-loop 130 "interrupted at rip 0x200000 <_start>$" timeout --preserve-status -s INT 2 "$TV" --engine=softcpu "$OUT/loop.elf"
# One emulated instruction that would never end: interrupts (and Ctrl-C)
# are taken between its elements.  A monitor deaf to SIGINT is killed 5 s
# later and fails the case.
for e in softcpu native; do
	bad endless-rep-outs-$e 130 "interrupted at rip" timeout -k 5 --preserve-status -s INT 2 "$TV" --engine=$e --mem=1024 "$OUT/repout.elf"
done

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
# Unassigned guest-physical memory reads all ones, writes vanish (wild.S).
same wild 42 ''
# The BIOS area is ROM: a mov there is dropped on every engine (rom.S).
same rom 42 ''
# An add there: softcpu drops it too; native emulates only mov there and
# says so in one line.
gcc -nostdlib -static -no-pie -Wl,--build-id=none -Wl,-Ttext=0x200000 \
	-DRMW -o "$OUT/romadd.elf" "$HERE/badinput/rom.S"
"$TV" --engine=softcpu "$OUT/romadd.elf" </dev/null >"$OUT/out" 2>&1
if [ $? = 42 ] && [ ! -s "$OUT/out" ]; then
	pass badinput/romadd-softcpu
else
	fail badinput/romadd-softcpu "$OUT/out"
fi
# A mov that crosses out of the ROM at 1 MiB writes only its RAM half,
# on both engines (native emulates it: interp/mmio.c).
gcc -nostdlib -static -no-pie -Wl,--build-id=none -Wl,-Ttext=0x200000 \
	-DCROSS -o "$OUT/romcross.elf" "$HERE/badinput/rom.S"
for e in softcpu native; do
	if [ "$e" = native ] &&
	   ! "$TV" --engine=native /dev/null 2>&1 | grep -q "not a regular"; then
		echo "SKIP badinput/romcross-$e: the native engine cannot run here"
		continue
	fi
	"$TV" --engine=$e "$OUT/romcross.elf" </dev/null >"$OUT/out" 2>&1
	if [ $? = 42 ] && [ ! -s "$OUT/out" ]; then
		pass badinput/romcross-$e
	else
		fail badinput/romcross-$e "$OUT/out"
	fi
done
if "$TV" --engine=native /dev/null 2>&1 | grep -q "not a regular"; then
	bad romadd-native 125 "add qword ptr \[rax\], 1 on the BIOS area (ROM) at linear 0xf0000 .*: the native engine emulates only mov, movzx and movsx there" \
		"$TV" --engine=native "$OUT/romadd.elf"
else
	echo "SKIP badinput/romadd-native: the native engine cannot run here"
fi

# Standard output is a pipe whose reader never reads: once it is full the
# UART's output waits, and Ctrl-C must still stop the run within a couple
# of seconds (status 130, --stats printed).  A frozen monitor is killed
# after 5 s and fails the case.
stuck_output() { # ENGINE
	rm -f "$OUT/stuck"; mkfifo "$OUT/stuck"
	sleep 30 <"$OUT/stuck" & reader=$!
	"$TV" --engine="$1" --stats "$OUT/chatty.elf" </dev/null \
		>"$OUT/stuck" 2>"$OUT/err" & pid=$!
	sleep 1
	kill -INT $pid
	t=0
	while kill -0 $pid 2>/dev/null && [ $t -lt 50 ]; do
		sleep 0.1; t=$((t + 1)); done
	kill -KILL $pid 2>/dev/null
	wait $pid; rc=$?
	kill $reader 2>/dev/null; wait $reader 2>/dev/null
	if [ $t -lt 50 ] && [ $rc = 130 ] && grep -q "interrupted" "$OUT/err" &&
	   grep -q "^--- trapvisor statistics (engine $1" "$OUT/err"; then
		pass "badinput/stuck-output-$1"
	else
		echo "status $rc (want 130) after $t tenths of a second; stderr:" >"$OUT/why"
		cat "$OUT/err" >>"$OUT/why"
		fail "badinput/stuck-output-$1" "$OUT/why"
	fi
}
stuck_output softcpu
if "$TV" --engine=native /dev/null 2>&1 | grep -q "not a regular"; then
	stuck_output native
else
	echo "SKIP badinput/stuck-output-native: the native engine cannot run here"
fi

# The sandbox (monitor/sandbox.c): on by default and said so by --stats;
# --no-sandbox turns it off.  The guest's output is the same either way.
for mode in on off; do
	if [ $mode = on ]; then flag=; want="^sandbox: on; seccomp: [0-9][0-9]* calls allowed; landlock: \(ABI [0-9]\|not available\)"
	else flag=--no-sandbox; want="^sandbox: off (--no-sandbox)$"; fi
	# shellcheck disable=SC2086
	"$TV" --engine=softcpu --stats $flag "$BUILD/guests/hello.elf" \
		</dev/null >"$OUT/out" 2>"$OUT/err"; rc=$?
	if [ $rc = 0 ] && grep -q "$want" "$OUT/err" &&
	   cmp -s "$OUT/out" "$HERE/guests/hello.out"; then
		pass "badinput/sandbox-$mode"
	else
		echo "status $rc, stderr (want a line matching '$want'):" >"$OUT/why"
		cat "$OUT/err" >>"$OUT/why"
		fail "badinput/sandbox-$mode" "$OUT/why"
	fi
done
