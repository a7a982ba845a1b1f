#!/bin/sh
# bench/boot.sh - how long a multiboot kernel takes to boot to its end, on
# softcpu and on QEMU's software emulation (TCG), with one command line.
#
#   sh bench/boot.sh BUILD [REPS]
#
# The kernels are those of BUILD/guests that carry a multiboot header (the
# magic 0x1BADB002 and its checksum in the first 8 KiB): mb32.elf, and any
# other that is added.  A kernel's first case in tests/guests/qemu.cases
# gives its machine (disk, module, arguments, expected output and status),
# and both engines run it with the command line that case has on QEMU:
#
#   qemu-system-x86_64 -accel tcg ...        QEMU's TCG
#   BUILD/trapvisor-qemu -accel tcg ...      trapvisor, which reads it as
#                                            --engine=softcpu --isa=strict
#
# Each boot is timed on the wall clock, from the start of the process to its
# exit (what a student waits for), REPS times (default 5), the engines taking
# turns so that a change in the machine's load falls on both.  A fresh disk
# image is made before each boot, outside the timing.  Prints one line per
# boot, and the command lines as comments:
#
#   # softcpu: build/trapvisor-qemu -accel tcg ...
#   boot kernel=mb32 engine=softcpu seconds=4.512
#
# A boot whose output or status is not the case's gives a line on stderr,
# no figure, and status 1 at the end.  BOOT_ENGINES (default "softcpu
# qemu-tcg") picks the engines; qemu-tcg is left out when QEMU is absent.
# Timings are never asserted (the bench suite of tests/run.sh only checks
# that the lines are well formed).
set -u
BUILD=${1:-build}
REPS=${2:-5}
REPO=$(cd "$(dirname "$0")/.." && pwd)
CASES=$REPO/tests/guests
TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT
status=0

# Does FILE carry a multiboot header: the magic, then flags and a checksum
# that make the three 32-bit words sum to 0, 4-aligned in the first 8 KiB?
is_multiboot() {
	od -An -tu4 -v -N8192 "$1" 2>/dev/null | awk '
	{ for (i = 1; i <= NF; i++) w[n++] = $i }
	END {
		for (i = 0; i + 2 < n; i++)
			if (w[i] == 464367618 &&	# 0x1BADB002
			    (w[i] + w[i + 1] + w[i + 2]) % 4294967296 == 0)
				exit 0
		exit 1
	}'
}

# The kernel's first case in qemu.cases: NAME EXPECTED STATUS IMAGE ARGS.
case_of() { # KERNEL.elf
	grep -v '^#' "$CASES/qemu.cases" |
		awk -v k="$1" 'index($4, k) == 1 { print; exit }'
}

# The QEMU command line of a case (tests/run.sh qemu_cases: IMAGE is
# KERNEL.elf[+X.img][@MODULE]; X.img is made by tests/guests/X.sh).
# Sets kernel, expect, want_status, disk_script and the positional
# arguments after PROGRAM.
case_args() { # CASE-LINE
	set -f
	# shellcheck disable=SC2086
	set -- $1
	set +f
	expect=$CASES/$2; want_status=$3; image=$4; shift 4
	append=$*
	initrd=""; disk_script=""
	case $image in *@*) initrd=$CASES/${image#*@}; image=${image%%@*} ;; esac
	case $image in *+*.img)
		disk_script=$CASES/${image#*+}; disk_script=${disk_script%.img}.sh
		image=${image%%+*} ;;
	esac
	kernel=$BUILD/guests/$image
	qargs="-accel tcg -cpu qemu64 -m 64 -display none -serial stdio"
	qargs="$qargs -monitor none -no-reboot"
	qargs="$qargs -device isa-debug-exit,iobase=0xf4,iosize=0x4"
	[ -z "$disk_script" ] ||
		qargs="$qargs -drive file=$TMP/disk.img,format=raw,if=ide,index=0"
	qargs="$qargs -kernel $kernel"
	[ -z "$initrd" ] || qargs="$qargs -initrd $initrd"
}

# One boot: its wall time in seconds on stdout, or a line on stderr.
boot_once() { # ENGINE PROGRAM
	[ -z "$disk_script" ] || sh "$disk_script" make "$TMP/disk.img"
	t0=$(date +%s%N)
	# shellcheck disable=SC2086
	"$2" $qargs ${append:+-append "$append"} </dev/null \
		>"$TMP/out" 2>"$TMP/err"
	rc=$?
	t1=$(date +%s%N)
	if [ "$rc" != "$want_status" ] || ! cmp -s "$expect" "$TMP/out"; then
		echo "boot: $kname on $1: status $rc (expected $want_status)," \
		     "output $(cmp -s "$expect" "$TMP/out" && echo as expected ||
				echo differs from "${expect#"$REPO"/}")" >&2
		sed 's/^/    /' "$TMP/err" | head -5 >&2
		return 1
	fi
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f\n", (b - a) / 1e9 }'
}

engines=""
for e in ${BOOT_ENGINES:-softcpu qemu-tcg}; do
	case $e in
	softcpu) [ -x "$BUILD/trapvisor-qemu" ] && engines="$engines $e" ;;
	qemu-tcg) command -v qemu-system-x86_64 >/dev/null && engines="$engines $e" ;;
	*) echo "boot: no engine $e (softcpu, qemu-tcg)" >&2; exit 2 ;;
	esac
done
[ -n "$engines" ] || { echo "boot: no engine to run (build first?)" >&2; exit 1; }

found=0
for k in "$BUILD"/guests/*.elf; do
	[ -f "$k" ] && is_multiboot "$k" || continue
	kname=$(basename "$k" .elf)
	line=$(case_of "$kname.elf")
	if [ -z "$line" ]; then
		echo "boot: $kname.elf is a multiboot kernel without a case in tests/guests/qemu.cases: skipped" >&2
		continue
	fi
	found=1
	case_args "$line"
	# the command lines, with the image and module named as in the tree
	shown=$(echo "$qargs${append:+ -append '$append'}" | sed \
		-e "s|$TMP/disk.img|$kname.img|" -e "s|$REPO/||g")
	for e in $engines; do
		case $e in
		softcpu) echo "# softcpu: $BUILD/trapvisor-qemu $shown" ;;
		qemu-tcg) echo "# qemu-tcg: qemu-system-x86_64 $shown" ;;
		esac
	done
	[ -z "$disk_script" ] ||
		echo "# $kname.img: sh ${disk_script#"$REPO"/} make $kname.img"
	r=0
	while [ $r -lt "$REPS" ]; do
		r=$((r + 1))
		for e in $engines; do
			case $e in
			softcpu) prog=$BUILD/trapvisor-qemu ;;
			qemu-tcg) prog=qemu-system-x86_64 ;;
			esac
			if s=$(boot_once "$e" "$prog"); then
				echo "boot kernel=$kname engine=$e seconds=$s"
			else
				status=1
			fi
		done
	done
done
[ $found = 1 ] || { echo "boot: no multiboot kernel in $BUILD/guests" >&2; exit 1; }
exit $status
