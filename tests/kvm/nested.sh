#!/bin/sh
# tests/kvm/nested.sh - run the kvm engine's tests on a machine that has
# hardware virtualization, even where this one has none.
#
#   sh tests/kvm/nested.sh BUILD
#
# How to give a test a working /dev/kvm on a machine that has none: QEMU
# emulates an AMD CPU with SVM and nested paging in software (TCG), Debian's
# own kernel boots in it and loads kvm_amd, and tests/kvm/inside.sh runs there
# against BUILD/trapvisor --engine=kvm.  This one machine is the same on
# every host, so what the tests see is SVM as QEMU models it, not whatever
# the host's /dev/kvm happens to be.
#
# The host's / is mounted read-only inside (so host-built programs run
# unchanged) and BUILD read-write; the results come back in
# BUILD/kvm-nested/results/list (one PASS or FAIL line per check, a
# NAME.log beside it for each).  The kernel is cached in BUILD/kvm-nested/kroot.
#
# exit: 0 when the nested machine ran inside.sh to the end (whatever the
# checks said), 125 when it never did (the console's tail on stderr).
# needs: qemu-system-x86 (its seabios) busybox-static cpio kmod libaio1, and
# apt-get download of linux-image-amd64 and of bookworm-backports' QEMU the
# first time (both cached in BUILD/kvm-nested).
set -eu
REPO=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=$(cd "$1" && pwd)
WORK=$BUILD/kvm-nested
# KVM_NESTED_SCRIPT: another script to run inside (same arguments): the
# gdb sessions (tests/kvm/inside-gdb.sh), or one to
# explore the nested machine by hand; tests/kvm/repeat.sh runs one case
# KVM_REPEAT_N times (those two variables are passed through).
SCRIPT=${KVM_NESTED_SCRIPT:-$REPO/tests/kvm/inside.sh}
SCRIPT=$(cd "$(dirname "$SCRIPT")" && pwd)/$(basename "$SCRIPT") # for chroot
REPEAT="KVM_REPEAT_CASE=${KVM_REPEAT_CASE:-paging} KVM_REPEAT_N=${KVM_REPEAT_N:-20}"
mkdir -p "$WORK"
# phys-bits=40: one physical-address bit more than the virtual CPU's 39
# (CPUID 0x80000008), as nearly every real CPU has more, and said
# explicitly so that the machine is the same with every QEMU.  Under NPT
# the CPU, not KVM, decides which frame bits are reserved, so the kvm engine
# must tell the guest the CPU's MAXPHYADDR (engines/kvm/cpuid.c); the paging
# guest's rsvd checks fail here if it does not (bit 39, reserved for a
# 39-bit CPU, is an address bit for this one: the access reads
# guest-physical 0x8000121040, outside RAM, as MMIO instead of faulting).
CPU=${KVM_NESTED_CPU:-qemu64,+svm,+npt,phys-bits=40}

die() { echo "kvm-nested: $*" >&2; exit 125; }

# 1. The kernel and its modules: extract the package, do not install it
#    (installing runs update-initramfs, which costs minutes).
fetch_kernel() {
	pkg=$(apt-cache depends linux-image-amd64 2>/dev/null |
	      awk '/Depends: linux-image-[0-9]/{print $2; exit}')
	[ -n "$pkg" ] || die "apt-cache knows no linux-image-amd64 (apt-get update?)"
	rm -rf "$WORK/kroot" "$WORK"/*.deb
	(cd "$WORK" && apt-get download -qq "$pkg" >/dev/null &&
	 dpkg-deb -x "$pkg"_*.deb kroot && rm -f "$pkg"_*.deb) ||
		die "cannot download and unpack $pkg"
}
[ -d "$WORK/kroot/lib/modules" ] || fetch_kernel
KVER=$(ls "$WORK/kroot/lib/modules" | sort -V | tail -1)
depmod -b "$WORK/kroot" "$KVER"

# 2. The QEMU that plays the machine.  Two QEMUs model SVM well enough for
#    different parts of the suite, and neither for all of it:
#    - Debian 12's own (7.2), the default, loads the guest's DR7 from the
#      VMCB at VMRUN without arming its breakpoints (fixed in QEMU 9.1,
#      "disable/enable breakpoints on vmentry/vmexit"), so a breakpoint or
#      watchpoint that KVM_SET_GUEST_DEBUG puts into the CPU never fires
#      there, though it does on every real AMD and Intel CPU;
#    - bookworm-backports' (10.0), KVM_NESTED_QEMU=backports, arms them,
#      but lets the guest read CR4 although KVM intercepts CR4 reads (the
#      guest reads the VMCB's CR4, with the MCE bit KVM adds for the host,
#      and pgcheck's mov_cr4 check fails).
#    So the gdb sessions (tests/kvm/inside-gdb.sh) run on 10.0 and
#    everything else on 7.2.  10.0 is extracted here with its data files,
#    not installed: the qemu suite keeps comparing with the system's QEMU.
#    KVM_NESTED_QEMU=PATH names any other QEMU binary.
fetch_qemu() {
	A=$WORK/apt
	rm -rf "$A" "$WORK/qroot"; mkdir -p "$A/lists/partial" "$A/cache/archives/partial"
	echo "deb http://deb.debian.org/debian bookworm-backports main" >"$A/sources.list"
	set -- -o Dir::Etc::SourceList="$A/sources.list" \
		-o Dir::Etc::SourceParts=/nonexistent -o Dir::State::Lists="$A/lists" \
		-o Dir::Cache="$A/cache" -o Debug::NoLocking=1
	apt-get "$@" -qq update >/dev/null 2>&1 ||
		die "cannot read bookworm-backports' package list"
	(cd "$A" && apt-get "$@" -qq download qemu-system-x86 qemu-system-common \
		qemu-system-data >/dev/null 2>&1 && for d in ./*.deb; do
		dpkg-deb -x "$d" "$WORK/qroot" || exit 1; done) ||
		die "cannot download and unpack QEMU from bookworm-backports"
	rm -rf "$A"
}
case ${KVM_NESTED_QEMU:-system} in
system)	QEMU=qemu-system-x86_64 QEMU_DATA="" ;;
backports)
	[ -x "$WORK/qroot/usr/bin/qemu-system-x86_64" ] || fetch_qemu
	QEMU=$WORK/qroot/usr/bin/qemu-system-x86_64
	QEMU_DATA="-L $WORK/qroot/usr/share/qemu -L /usr/share/seabios" ;;
*)	QEMU=$KVM_NESTED_QEMU QEMU_DATA="" ;;
esac

# The misbehaving guests of tests/badinput, built here: the nested machine
# only runs programs.
mkdir -p "$WORK/images"
for n in triple:0x200000 wild:0x200000 loop:0x200000; do
	gcc -nostdlib -static -no-pie -Wl,--build-id=none -Wl,-Ttext="${n#*:}" \
		-o "$WORK/images/${n%%:*}.elf" "$REPO/tests/badinput/${n%%:*}.S"
done

# 3. An initramfs: static busybox, the modules in dependency order, an /init
#    that mounts the host and runs inside.sh.
R=$WORK/initramfs.d
rm -rf "$R"; mkdir -p "$R/bin" "$R/proc" "$R/sys" "$R/dev" "$R/mnt" "$R/mods"
cp /bin/busybox "$R/bin/"
for a in $(/bin/busybox --list | grep -vx busybox); do ln -s busybox "$R/bin/$a"; done
i=0
for f in $(modprobe -d "$WORK/kroot" -S "$KVER" --show-depends -a kvm_amd \
	   virtio_pci 9pnet_virtio 9p | awk '$1=="insmod"{print $2}' |
	   awk '!seen[$0]++'); do
	i=$((i + 1)); n=$(printf %02d $i)_$(basename "${f%%.ko*}").ko
	case $f in
	*.xz) xz -dc "$f" >"$R/mods/$n" ;;
	*.zst) zstd -dc "$f" >"$R/mods/$n" ;;
	*) cp "$f" "$R/mods/$n" ;;
	esac
done
cat >"$R/init" <<INIT
#!/bin/sh
export PATH=/bin
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
for m in /mods/*.ko; do insmod \$m || echo "=== insmod \$m failed"; done
ip link set lo up # gdb reaches the stub on localhost (tests/gdb)
echo "=== kvm_amd npt=\$(cat /sys/module/kvm_amd/parameters/npt)"
mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144,ro hostroot /mnt ||
	echo "=== 9p mount failed"
mount -t devtmpfs dev /mnt/dev; mount -t proc proc /mnt/proc
mount -t sysfs sys /mnt/sys
mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 build /mnt$BUILD
# Scratch space lives in the writable build folder, not on a tmpfs over
# /tmp: that would hide a checkout that itself lives under /tmp.
mkdir -p /mnt$WORK/tmp
chroot /mnt /usr/bin/env TMPDIR=$WORK/tmp $REPEAT /bin/sh $SCRIPT $BUILD $WORK/results
echo \$? >/mnt$WORK/nested-rc
poweroff -f
INIT
chmod +x "$R/init"
(cd "$R" && find . | cpio -o -H newc --quiet | gzip -1) >"$WORK/initramfs.gz"
rm -rf "$R"

# 4. Boot.  QEMU exits 0 even when the kernel inside panics: trust only
#    the nested-rc file that the end of /init writes.  The bound is for a
#    hang; a busy host (the list of kvm.cases grew to 26 guests) took
#    more than 900 s for a run that passed every case it reached.
rm -rf "$WORK/nested-rc" "$WORK/results"
timeout 1800 "$QEMU" $QEMU_DATA -accel tcg -cpu "$CPU" -m 1024 -smp 1 \
	-nographic -no-reboot -net none \
	-kernel "$WORK/kroot/boot/vmlinuz-$KVER" -initrd "$WORK/initramfs.gz" \
	-virtfs local,path="$BUILD",mount_tag=build,security_model=none,id=build \
	-virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap,id=hostroot \
	-append 'console=ttyS0 panic=-1 quiet' </dev/null >"$WORK/console.log" 2>&1 || true
if [ -f "$WORK/nested-rc" ]; then
	rm -f "$WORK/nested-rc"
	exit 0
fi
tail -20 "$WORK/console.log" >&2
exit 125
