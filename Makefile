# trapvisor - a teaching hypervisor.
#
#   make          build build/trapvisor (also as build/trapvisor-qemu, which
#                 reads QEMU's command line) and every guest as
#                 build/guests/NAME.elf (and NAME32.elf for its i386 build,
#                 build/guests/toyos32.elf)
#   make run      install what is missing, build, boot the demo guest
#   make test     install what is missing, build, run every test
#   make tour     print the guided tour of the code, in reading order
#   make bench    the nanobenchmarks on every engine, QEMU and the host
#                 (bench/RESULTS.md)
#   make bench-insns host instructions per trap and per guest
#                 instruction on softcpu (callgrind; bench/insns.md)
#   make bench-io the I/O benchmark: exits per KiB, MB/s and latency per
#                 disk, back end and engine (bench/io.csv, bench/io.svg)
#   make grade LAB=N [TEST=name]   grade lab N of the coursework
#                 (labs/README.md); BUILD=build-san grades with ASan
#   make lab-skeleton LAB=N OUT=DIR [ONLY=1]   a student's tree for lab N
#   make DEBUG=1  the same build for gdb: -O0 -g3 (when the flags change,
#                 everything is rebuilt: $(BUILD)/cflags remembers them)
#   make install [PREFIX=/usr/local] [DESTDIR=]
#                 trapvisor, trapvisor-qemu and the man page trapvisor.1
#   make FILE.svg draw FILE.dot (trapvisor --dump-paging=FILE.dot) with
#                 Graphviz
#   make SANITIZE=1 BUILD=build-san test-unit test-guests
#                 the same tests under AddressSanitizer and UBSan
#   make fuzz [FUZZ_TIME=S] [FUZZ_TARGETS="loader isa ..."]
#                 every libFuzzer target for S seconds each (fuzz/README.md)
#   make fuzz-regress     replay the fuzzers' corpora and found inputs
#
# Sources are found by folder: every .c under core/, isa/, shadowpt/,
# devices/, interp/, patch/, engines/*/ and monitor/ goes into the monitor; every
# folder under guests/ except runtime/ is one guest, linked by its own
# guest.ld if it has one, and built for i386 too if it has a guest32.ld
# (see "guests" below).

BUILD ?= build
CC ?= cc
GUEST_CC ?= gcc
GUEST_LD ?= ld

CAPSTONE_CFLAGS := $(shell pkg-config --cflags capstone 2>/dev/null)
CAPSTONE_LIBS := $(shell pkg-config --libs capstone 2>/dev/null || echo -lcapstone)
CMOCKA_LIBS := $(shell pkg-config --libs cmocka 2>/dev/null || echo -lcmocka)

ifeq ($(DEBUG),1)
CFLAGS ?= -O0 -g3
else
CFLAGS ?= -O2 -g
endif
CFLAGS += -std=c11 -Wall -Wextra -Werror -D_GNU_SOURCE -I. $(CAPSTONE_CFLAGS)
LDLIBS += $(CAPSTONE_LIBS) -lm
ifeq ($(SANITIZE),1)
CFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDFLAGS += -fsanitize=address,undefined
endif

# ---------------------------------------------------------------- monitor
ENGINE_DIRS := $(wildcard engines/*)
MON_SRC := $(wildcard core/*.c devices/*.c firmware/*.c) \
	$(filter-out monitor/main.c,$(wildcard monitor/*.c)) \
	$(wildcard isa/*.c interp/*.c shadowpt/*.c patch/*.c) \
	$(foreach d,$(ENGINE_DIRS),$(wildcard $(d)/*.c))
MON_OBJ := $(MON_SRC:%.c=$(BUILD)/obj/%.o)
LIB := $(BUILD)/libtrapvisor.a

# ---------------------------------------------------------------- guests
# Every folder under guests/ but runtime/ is an x86-64 guest linked with
# the runtime, by its own guest.ld if it has one.  A folder with a
# guest32.ld is built for i386 (gcc -m32, ld -m elf_i386) as well:
#   - with a guest.ld too (guests/toyos), the same sources make both
#     NAME.elf (x86-64) and NAME32.elf (i386, a multiboot kernel linked with
#     the runtime's i386 build);
#   - alone (guests/mb32), NAME.elf is an i386 kernel with its own entry,
#     descriptor tables and traps, linked with RT32_LIB_OBJ only.
# Within a folder, and in guests/runtime, a file whose name ends in _i386
# goes only into i386 builds, one ending in _x86_64 only into x86-64 ones.
GUEST32_LDS := $(wildcard guests/*/guest32.ld)
GUEST_DUAL_NAMES := $(patsubst guests/%/guest.ld,%,$(wildcard $(GUEST32_LDS:guest32.ld=guest.ld)))
GUEST32_NAMES := $(filter-out $(GUEST_DUAL_NAMES),$(patsubst guests/%/guest32.ld,%,$(GUEST32_LDS)))
GUEST_NAMES := $(filter-out runtime $(GUEST32_NAMES),$(notdir $(patsubst %/,%,$(wildcard guests/*/))))
RT_SRC := $(filter-out %_i386.c %_i386.S,$(wildcard guests/runtime/*.c guests/runtime/*.S))
RT_OBJ := $(patsubst %,$(BUILD)/gobj/%.o,$(basename $(RT_SRC)))
RT32_SRC := $(filter-out %_x86_64.c %_x86_64.S,$(wildcard guests/runtime/*.c guests/runtime/*.S))
RT32_OBJ := $(patsubst %,$(BUILD)/g32obj/%.o,$(basename $(RT32_SRC)))
# The runtime's library half, which needs none of its machine set-up: the
# console, printf and the string functions.  An i386 kernel with a machine
# of its own (guests/mb32) links only these.
RT32_LIB_OBJ := $(patsubst %,$(BUILD)/g32obj/guests/runtime/%.o,serial printf string)
GUESTS := $(GUEST_NAMES:%=$(BUILD)/guests/%.elf)
GUESTS32 := $(GUEST32_NAMES:%=$(BUILD)/guests/%.elf)
GUESTS_DUAL32 := $(GUEST_DUAL_NAMES:%=$(BUILD)/guests/%32.elf)
# The object files of guest folder $(1): for x86-64 (guest_src, under
# BUILD/gobj) and for i386 (guest32_src, under BUILD/g32obj).
guest_src = $(addprefix $(BUILD)/gobj/,$(addsuffix .o,$(basename $(filter-out %_i386.c %_i386.S,$(wildcard guests/$(1)/*.c guests/$(1)/*.S)))))
guest32_src = $(addprefix $(BUILD)/g32obj/,$(addsuffix .o,$(basename $(filter-out %_x86_64.c %_x86_64.S,$(wildcard guests/$(1)/*.c guests/$(1)/*.S)))))
GUEST_CFLAGS := -std=c11 -Wall -Wextra -Werror -O2 -g -I. -Iguests/runtime \
	-ffreestanding -fno-pic -fno-pie -fno-stack-protector -mno-red-zone \
	-mgeneral-regs-only -fno-asynchronous-unwind-tables -fcf-protection=none
GUEST32_CFLAGS := -m32 -march=i686 $(filter-out -mno-red-zone,$(GUEST_CFLAGS))
GUEST_LDFLAGS := -nostdlib -static -no-pie \
	-Wl,--build-id=none -Wl,-z,max-page-size=4096 -Wl,-z,noexecstack
# The paravirtualized builds: the guests of PV_GUESTS, runtime included,
# compiled again from the same sources with -DPV (guests/runtime/cpu.h,
# core/hypercall.h) into BUILD/gpvobj (i386: g32pvobj), linked as
# NAME-pv.elf; toyos's i386 build as toyos32-pv.elf.  bench-pv.elf is
# the paravirtual answer's row of make bench (bench/README.md).
PV_GUESTS := toyos pgcheck bench
PV_GUESTS64 := $(PV_GUESTS:%=$(BUILD)/guests/%-pv.elf)
PV_GUESTS32 := $(BUILD)/guests/toyos32-pv.elf
RT_PV_OBJ := $(RT_OBJ:$(BUILD)/gobj/%=$(BUILD)/gpvobj/%)
RT32_PV_OBJ := $(RT32_OBJ:$(BUILD)/g32obj/%=$(BUILD)/g32pvobj/%)
pv_src = $(patsubst $(BUILD)/gobj/%,$(BUILD)/gpvobj/%,$(call guest_src,$(1)))
pv32_src = $(patsubst $(BUILD)/g32obj/%,$(BUILD)/g32pvobj/%,$(call guest32_src,$(1)))
# toyos's i386 build with a PC kernel's habits fixed in the guest alone
# (guests/toyos/arch_i386.c, -DNOHABITS; labs/10-real-os): the same
# objects but that one file's, toyos32-nohabits.elf.
NOHABITS32 := $(BUILD)/guests/toyos32-nohabits.elf
NOHABITS32_OBJ := $(BUILD)/g32obj/guests/toyos/arch_i386-nohabits.o

# ---------------------------------------------------------------- tests
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
TEST_SUPPORT := $(wildcard tests/unit/support/*.c)
TEST_SUPPORT_OBJ := $(TEST_SUPPORT:%.c=$(BUILD)/obj/%.o)
DIFF_SRC := $(wildcard tests/diff/*.c tests/diff/*.S)

.PHONY: all deps run test test-layers test-unit test-guests test-qemu test-qemucli test-badinput test-trace \
	test-escape test-gdb test-diff test-kvm test-tools tour clean bench-trapcost \
	grade lab-skeleton
all: $(BUILD)/trapvisor $(BUILD)/trapvisor-qemu $(GUESTS) $(GUESTS32) \
	$(GUESTS_DUAL32) $(PV_GUESTS64) $(PV_GUESTS32) $(NOHABITS32)

deps:
	@sh scripts/deps.sh

# make gdb GUEST=NAME [GDBPORT=1234] [ARGS="guest args"] [TVFLAGS=
# "--isa=x86"]: the guest
# build/guests/NAME.elf under --gdb, and gdb attached to it with the image's
# symbols (.gdbinit); quitting gdb kills the guest.  GDBFLAGS adds gdb
# options (the gdb suite passes -batch and its commands).
GDBPORT ?= 1234
.PHONY: gdb bench-answers
gdb: all
	@test -n "$(GUEST)" || { echo "make gdb: say which guest: GUEST=NAME, one of: $(notdir $(basename $(wildcard $(BUILD)/guests/*.elf)))" >&2; exit 2; }
	@test -f $(BUILD)/guests/$(GUEST).elf || { echo "make gdb: no guest $(BUILD)/guests/$(GUEST).elf" >&2; exit 2; }
	@$(BUILD)/trapvisor --gdb=localhost:$(GDBPORT) $(TVFLAGS) $(BUILD)/guests/$(GUEST).elf $(if $(ARGS),-- $(ARGS)) & tv=$$!; \
	gdb -q -nx -ex 'set $$gdbport = $(GDBPORT)' -x .gdbinit $(GDBFLAGS) $(BUILD)/guests/$(GUEST).elf; \
	kill $$tv 2>/dev/null; wait $$tv 2>/dev/null; true

run: deps
	@$(MAKE) --no-print-directory all
	$(BUILD)/trapvisor $(BUILD)/guests/toyos.elf

test:
	@sh scripts/deps.sh test
	@$(MAKE) --no-print-directory all unit-bins fuzz-bins $(BUILD)/bench/hostbench
	@sh tests/run.sh $(BUILD)

test-layers test-unit test-guests test-qemu test-qemucli test-badinput test-trace test-escape test-gdb test-diff test-kvm test-bench test-tools: all unit-bins
	@sh tests/run.sh $(BUILD) $(@:test-%=%)
test-bench: $(BUILD)/bench/hostbench

unit-bins: $(UNIT_BIN) $(BUILD)/tests/difftest $(BUILD)/tests/escape-seccomp \
	$(BUILD)/tests/mkimage $(BUILD)/tests/ptydrive

# a pager that quits early (make tour | less) ends the tour with SIGPIPE
# (status 141): not an error
tour:
	@sh scripts/tour.sh || [ $$? -eq 141 ]

# the coursework (labs/README.md): grade builds the tree itself, so that a
# tree that does not compile still gets its score line
grade:
	@TEST="$(TEST)" sh scripts/grade.sh "$(LAB)" "$(BUILD)"

lab-skeleton:
	@ONLY="$(ONLY)" BUILD="$(BUILD)" sh scripts/lab-skeleton.sh "$(LAB)" "$(OUT)"

# The compiler's flags of the last build: objects built with others (a
# make DEBUG=1 after a make) are rebuilt.  The file changes only when the
# flags do.
CFLAGS_NOW := $(CC) $(CFLAGS) $(LDFLAGS)
$(BUILD)/cflags: FORCE
	@mkdir -p $(dir $@)
	@echo '$(CFLAGS_NOW)' | cmp -s - $@ || echo '$(CFLAGS_NOW)' >$@
.PHONY: FORCE
FORCE:

$(BUILD)/obj/%.o: %.c $(BUILD)/cflags
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

$(LIB): $(MON_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/trapvisor: $(BUILD)/obj/monitor/main.o $(LIB)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# the same binary under a qemu-system-x86_64 command line
# (monitor/qemu_args.c): main() looks at the name it was started under
$(BUILD)/trapvisor-qemu: $(BUILD)/trapvisor
	ln -sf trapvisor $@

# the dom0 experiment: a synchronous I/O guest per disk and back-end
# placement, with and without a CPU hog on the back end's core
# (bench/dom0.sh: bench/dom0.md, bench/dom0.svg, and the table into
# bench/RESULTS.md)
.PHONY: bench-dom0
bench-dom0: all $(BUILD)/bench/hostbench
	sh bench/dom0.sh $(BUILD) "softcpu native" bench/dom0.md

# the I/O benchmark: guests/iobench's five workloads on every disk kind,
# virtio back-end placement and engine, under --stats (bench/io.sh; writes
# bench/io.csv, io.md, io.svg and RESULTS.md's I/O section; a few minutes)
.PHONY: bench-io
bench-io: all $(BUILD)/bench/hostbench
	sh bench/io.sh $(BUILD) full bench

# what a trap and a guest instruction cost softcpu in host instructions,
# counted by callgrind: steady on a busy machine (bench/insns.sh; writes
# bench/insns.md, RESULTS.md's section; about two minutes)
.PHONY: bench-insns
bench-insns: all
	sh bench/insns.sh $(BUILD) bench/insns.md

# the three answers to x86's sensitive-unprivileged instructions, side by
# side on pgcheck (bench/answers.sh)
bench-answers: all
	sh bench/answers.sh $(BUILD)

# what one trap costs by each mechanism (engines/native/README.md)
bench-trapcost: $(BUILD)/bench/trapcost
$(BUILD)/bench/trapcost: bench/trapcost.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $<

# gVisor's systrap against ptrace, per kind of exit (engines/native/README.md)
bench-systrap: $(BUILD)/bench/systrap
$(BUILD)/bench/systrap: engines/native/bench/systrap.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $<
# what a native stop costs beyond the round trip (engines/native/README.md)
bench-xstate: $(BUILD)/bench/xstate
$(BUILD)/bench/xstate: engines/native/bench/xstate.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $<
# what threaded dispatch costs a guest instruction at best, and a
# translator's code (engines/softcpu/bench/dispatch.c)
bench-dispatch: $(BUILD)/bench/dispatch
$(BUILD)/bench/dispatch: engines/softcpu/bench/dispatch.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $<

# the benchmarks on every engine, QEMU and the host (bench/RESULTS.md);
# never part of make test: timings are not asserted
.PHONY: bench
bench: all $(BUILD)/bench/hostbench
	sh bench/run.sh $(BUILD)
# the compute kernel: one object, built as the guests' code is, linked
# into the bench guest and the host's program alike (bench/compute.h)
BENCH_COMPUTE_OBJ := $(BUILD)/gobj/bench/compute.o
$(BUILD)/guests/bench.elf $(BUILD)/guests/bench-pv.elf: $(BENCH_COMPUTE_OBJ)
$(BUILD)/bench/hostbench: bench/host/hostbench.c bench/compute.h $(BENCH_COMPUTE_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(BENCH_COMPUTE_OBJ)

# the differential test of softcpu against the host CPU (tests/diff/)
$(BUILD)/tests/difftest: $(DIFF_SRC) $(wildcard tests/diff/*.h) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(DIFF_SRC) $(LIB) $(LDLIBS)

# the differential test of 32- and 16-bit code, softcpu against QEMU
# (tests/diff32/): the generator runs on the host; its sequences, the
# harness and the multiboot entry make one ELF32 guest per seed and count,
# $(BUILD)/diff32/SEED-COUNT/diff32.elf
DIFF32_SEED ?= 1
DIFF32_COUNT ?= 600
DIFF32_CFLAGS := -m32 -std=c11 -Wall -Wextra -Werror -O2 -I. -ffreestanding \
	-fno-pic -fno-pie -fno-stack-protector -mgeneral-regs-only \
	-fno-asynchronous-unwind-tables -fcf-protection=none
DIFF32_OBJ := $(BUILD)/diff32/entry.o $(BUILD)/diff32/harness.o
.PHONY: diff32-image test-diff32
diff32-image: $(BUILD)/diff32/$(DIFF32_SEED)-$(DIFF32_COUNT)/diff32.elf
test-diff32: all
	@sh tests/run.sh $(BUILD) diff32
$(BUILD)/diff32/gen: tests/diff32/gen.c tests/diff32/layout.h tests/diff/rng.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $<
$(BUILD)/diff32/%.o: tests/diff32/%.c tests/diff32/layout.h
	@mkdir -p $(dir $@)
	$(GUEST_CC) $(DIFF32_CFLAGS) -c $< -o $@
$(BUILD)/diff32/%.o: tests/diff32/%.S
	@mkdir -p $(dir $@)
	$(GUEST_CC) $(DIFF32_CFLAGS) -c $< -o $@
$(BUILD)/diff32/%/seqs.S: $(BUILD)/diff32/gen
	@mkdir -p $(dir $@)
	$< $(subst -, ,$*) >$@
$(BUILD)/diff32/%/seqs.o: $(BUILD)/diff32/%/seqs.S
	$(GUEST_CC) -m32 -Wa,--noexecstack -c $< -o $@
$(BUILD)/diff32/%/diff32.elf: $(BUILD)/diff32/%/seqs.o $(DIFF32_OBJ) tests/diff32/link.ld
	ld -m elf_i386 -T tests/diff32/link.ld --build-id=none -z noexecstack \
		--no-warn-rwx-segments -o $@ $(DIFF32_OBJ) $<

# the native engine's seccomp filter with PTRACE_SYSEMU taken away
# (tests/escape/seccomp.c, run by the escape suite)
$(BUILD)/tests/escape-seccomp: tests/escape/seccomp.c $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(LIB) $(LDLIBS)

# types at a command on a pseudo-terminal (tests/console/ptydrive.c, run
# by the guests suite's console tests)
$(BUILD)/tests/ptydrive: tests/console/ptydrive.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $<

# the native random-code campaign's image maker (tests/fuzz/)
$(BUILD)/tests/mkimage: tests/fuzz/mkimage.c fuzz/image.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $<

# test_softcpu stands in for the devices behind MMIO pages
$(BUILD)/tests/test_softcpu: LDFLAGS += -Wl,--wrap=devices_mmio

# A unit test's objects are compiled once (with their own .d): a change
# to the monitor relinks the tests, it does not compile them again.
$(BUILD)/tests/%: $(BUILD)/obj/tests/unit/%.o $(TEST_SUPPORT_OBJ) $(LIB) $(BUILD)/cflags
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $< $(TEST_SUPPORT_OBJ) $(LIB) $(LDLIBS) $(CMOCKA_LIBS)

$(BUILD)/gobj/%.o: %.c
	@mkdir -p $(dir $@)
	$(GUEST_CC) $(GUEST_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/gobj/%.o: %.S
	@mkdir -p $(dir $@)
	$(GUEST_CC) $(GUEST_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/g32obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(GUEST_CC) $(GUEST32_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/g32obj/%.o: %.S
	@mkdir -p $(dir $@)
	$(GUEST_CC) $(GUEST32_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/gpvobj/%.o: %.c
	@mkdir -p $(dir $@)
	$(GUEST_CC) $(GUEST_CFLAGS) -DPV -MMD -MP -c $< -o $@

$(BUILD)/gpvobj/%.o: %.S
	@mkdir -p $(dir $@)
	$(GUEST_CC) $(GUEST_CFLAGS) -DPV -MMD -MP -c $< -o $@

$(BUILD)/g32pvobj/%.o: %.c
	@mkdir -p $(dir $@)
	$(GUEST_CC) $(GUEST32_CFLAGS) -DPV -MMD -MP -c $< -o $@

$(BUILD)/g32pvobj/%.o: %.S
	@mkdir -p $(dir $@)
	$(GUEST_CC) $(GUEST32_CFLAGS) -DPV -MMD -MP -c $< -o $@

.SECONDARY:
.SECONDEXPANSION:
$(GUESTS32): $(BUILD)/guests/%.elf: $$(call guest32_src,$$*) $(RT32_LIB_OBJ) guests/$$*/guest32.ld
	@mkdir -p $(dir $@)
	$(GUEST_LD) -m elf_i386 --build-id=none -z max-page-size=4096 -z noexecstack -T $(filter %.ld,$^) -o $@ $(filter %.o,$^)

$(GUESTS_DUAL32): $(BUILD)/guests/%32.elf: $$(call guest32_src,$$*) $(RT32_OBJ) guests/$$*/guest32.ld
	@mkdir -p $(dir $@)
	$(GUEST_LD) -m elf_i386 --build-id=none -z max-page-size=4096 -z noexecstack -T $(filter %.ld,$^) -o $@ $(filter %.o,$^)

$(BUILD)/guests/%.elf: $$(call guest_src,$$*) $(RT_OBJ) $$(firstword $$(wildcard guests/$$*/guest.ld) guests/runtime/guest.ld)
	@mkdir -p $(dir $@)
	$(GUEST_CC) $(GUEST_LDFLAGS) -Wl,-T,$(filter %.ld,$^) -o $@ $(filter %.o,$^)

$(PV_GUESTS64): $(BUILD)/guests/%-pv.elf: $$(call pv_src,$$*) $(RT_PV_OBJ) $$(firstword $$(wildcard guests/$$*/guest.ld) guests/runtime/guest.ld)
	@mkdir -p $(dir $@)
	$(GUEST_CC) $(GUEST_LDFLAGS) -Wl,-T,$(filter %.ld,$^) -o $@ $(filter %.o,$^)

$(NOHABITS32_OBJ): guests/toyos/arch_i386.c
	@mkdir -p $(dir $@)
	$(GUEST_CC) $(GUEST32_CFLAGS) -DNOHABITS -MMD -MP -c $< -o $@

$(NOHABITS32): $(filter-out %/arch_i386.o,$(call guest32_src,toyos)) $(NOHABITS32_OBJ) $(RT32_OBJ) guests/toyos/guest32.ld
	@mkdir -p $(dir $@)
	$(GUEST_LD) -m elf_i386 --build-id=none -z max-page-size=4096 -z noexecstack -T $(filter %.ld,$^) -o $@ $(filter %.o,$^)

$(PV_GUESTS32): $(BUILD)/guests/%32-pv.elf: $$(call pv32_src,$$*) $(RT32_PV_OBJ) guests/$$*/guest32.ld
	@mkdir -p $(dir $@)
	$(GUEST_LD) -m elf_i386 --build-id=none -z max-page-size=4096 -z noexecstack -T $(filter %.ld,$^) -o $@ $(filter %.o,$^)

# ---------------------------------------------------------------- fuzzing
# One libFuzzer binary per fuzz/NAME.c, linked with the monitor's sources
# built again by clang with ASan and UBSan (fuzz/README.md).
FUZZ_CC ?= clang
FUZZ_TIME ?= 25
FUZZ_NAMES := $(basename $(notdir $(wildcard fuzz/*.c)))
FUZZ_TARGETS ?= $(FUZZ_NAMES)
FUZZ_BINS := $(FUZZ_NAMES:%=$(BUILD)/fuzz/fuzz_%)
FUZZ_OBJ := $(MON_SRC:%.c=$(BUILD)/fuzz/obj/%.o)
FUZZ_CFLAGS := -O1 -g -std=c11 -Wall -Wextra -Werror -D_GNU_SOURCE -I. \
	$(CAPSTONE_CFLAGS) -fsanitize=address,undefined \
	-fno-sanitize-recover=undefined -fno-omit-frame-pointer

.PHONY: fuzz fuzz-bins fuzz-regress test-fuzz
fuzz-bins: $(FUZZ_BINS)
fuzz: fuzz-bins
	@sh fuzz/run.sh $(BUILD) $(FUZZ_TIME) $(FUZZ_TARGETS)
fuzz-regress test-fuzz: all unit-bins fuzz-bins
	@sh tests/run.sh $(BUILD) fuzz

$(BUILD)/fuzz/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c $< -o $@

$(BUILD)/fuzz/libtrapvisor.a: $(FUZZ_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/fuzz/fuzz_%: fuzz/%.c $(wildcard fuzz/*.h) $(BUILD)/fuzz/libtrapvisor.a
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< \
		$(BUILD)/fuzz/libtrapvisor.a $(LDLIBS)

# ---------------------------------------------------------------- install
PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
.PHONY: install uninstall
install: $(BUILD)/trapvisor
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1
	install -m 755 $(BUILD)/trapvisor $(DESTDIR)$(BINDIR)/trapvisor
	ln -sf trapvisor $(DESTDIR)$(BINDIR)/trapvisor-qemu
	install -m 644 docs/trapvisor.1 $(DESTDIR)$(MANDIR)/man1/trapvisor.1
uninstall:
	rm -f $(DESTDIR)$(BINDIR)/trapvisor $(DESTDIR)$(BINDIR)/trapvisor-qemu \
		$(DESTDIR)$(MANDIR)/man1/trapvisor.1

# ---------------------------------------------------------------- pictures
# the page tables of --dump-paging=FILE.dot, drawn (shadowpt/paging_dot.c)
%.svg: %.dot
	dot -Tsvg -o $@ $<

clean:
	rm -rf build build-san

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
