#!/bin/sh
# scripts/deps.sh - install what trapvisor needs, when it is missing.
#
#   sh scripts/deps.sh          build dependencies: a C compiler, make,
#                               pkg-config, Capstone, cmocka
#   sh scripts/deps.sh test     the same, plus what the tests use: QEMU
#                               (the reference machine), what the
#                               nested-KVM machine is built from, gdb
#                               (the gdb suite), clang with its
#                               libFuzzer runtime (make fuzz),
#                               Graphviz and Python 3 (the tools suite
#                               draws --dump-paging's graphs and checks
#                               --trace-json's files), valgrind
#                               (bench/insns.sh's counts)
#
# On Debian and Ubuntu the missing packages are installed with apt-get
# (through sudo when not root).  Elsewhere the script names them and stops.
set -eu

want=""
need() { # need PACKAGE: add a Debian package to the list
	case " $want " in *" $1 "*) ;; *) want="$want $1" ;; esac
}
command -v cc >/dev/null 2>&1 || need gcc
command -v make >/dev/null 2>&1 || need make
command -v pkg-config >/dev/null 2>&1 || need pkg-config
pkg-config --exists capstone 2>/dev/null || need libcapstone-dev
pkg-config --exists cmocka 2>/dev/null || need libcmocka-dev
if [ "${1:-}" = test ]; then
	command -v qemu-system-x86_64 >/dev/null 2>&1 || need qemu-system-x86
	# The gdb suite (tests/gdb): gdb against the stub (--gdb).
	command -v gdb >/dev/null 2>&1 || need gdb
	# The nested-KVM test machine (tests/kvm): a static busybox for its
	# initramfs, cpio to pack it, kmod's depmod for its modules.
	[ -x /bin/busybox ] || need busybox-static
	command -v cpio >/dev/null 2>&1 || need cpio
	command -v depmod >/dev/null 2>&1 || [ -x /sbin/depmod ] || need kmod
	# ... and the QEMU that plays it, from bookworm-backports, extracted
	# there by tests/kvm/nested.sh, needs one library Debian 12's does not
	[ -e /usr/lib/x86_64-linux-gnu/libaio.so.1 ] || need libaio1
	# make fuzz: clang, and its runtime libraries (libFuzzer, ASan,
	# UBSan), which Debian's clang only recommends.
	# the tools suite: dot reads --dump-paging's graphs (and make
	# FILE.svg draws them), python3 parses --trace-json's files
	command -v dot >/dev/null 2>&1 || need graphviz
	# the bench suite's bench/insns.sh counts host instructions
	command -v valgrind >/dev/null 2>&1 || need valgrind
	command -v python3 >/dev/null 2>&1 || need python3
	command -v clang >/dev/null 2>&1 || need clang
	fuzzer_ok=no
	if command -v clang >/dev/null 2>&1; then
		probe=$(mktemp -d)
		printf 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n)\n{ (void)d; (void)n; return 0; }\n' >"$probe/p.c"
		clang -fsanitize=fuzzer,address,undefined -o "$probe/p" \
			"$probe/p.c" >/dev/null 2>&1 && fuzzer_ok=yes
		rm -rf "$probe"
	fi
	[ $fuzzer_ok = yes ] || need libclang-rt-dev
fi
[ -z "$want" ] && exit 0

if ! command -v apt-get >/dev/null 2>&1; then
	echo "trapvisor needs these packages (Debian names):$want" >&2
	echo "install them with your system's package manager, then run make again" >&2
	exit 1
fi
sudo=""
if [ "$(id -u)" != 0 ]; then
	command -v sudo >/dev/null 2>&1 || {
		echo "trapvisor needs:$want; run as root: apt-get install$want" >&2
		exit 1
	}
	sudo=sudo
fi
echo "installing:$want"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends $want
