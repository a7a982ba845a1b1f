# tests/trace/run.sh - what --trace prints, compared in whole.  Sourced by
# tests/run.sh (pass, fail, $TV, $OUT, $HERE, $BUILD come from there).
#
# lesson.S traps once or more in every class of --trace (monitor/trace.h);
# lesson.trace is its whole trace on softcpu under --isa=strict, where
# every sensitive instruction traps.  The guest is assembly linked at a
# fixed address, so its addresses and symbols do not depend on the
# compiler.  Each class alone must print exactly that class's lines of
# the whole trace, and so must a list of classes.

CLASSES="io cr msr pf irq syscall desc exc"

gcc -nostdlib -static -no-pie -Wl,--build-id=none -Wl,-Ttext=0x200000 \
	-o "$OUT/lesson.elf" "$HERE/trace/lesson.S"

# Run the lesson with --trace=$1 (all classes when empty): its output is
# "T", its status 42, and stderr holds the trace alone.
lesson() { # [CLASSES]
	if [ -n "$1" ]; then t=--trace=$1; else t=--trace; fi
	"$TV" --engine=softcpu --isa=strict --icount "$t" "$OUT/lesson.elf" \
		</dev/null >"$OUT/out" 2>"$OUT/trace"
}

# The lines of the whole trace whose class (column 2) is in the list.
want_classes() { # "io,pf" -> $OUT/want
	awk -v list=",$1," 'index(list, "," $2 ",") > 0' \
		"$HERE/trace/lesson.trace" >"$OUT/want"
}

trace_check() { # NAME STATUS WANT-FILE
	if [ "$2" = 42 ] && [ "$(cat "$OUT/out")" = T ] &&
	   cmp -s "$3" "$OUT/trace"; then
		pass "trace/$1"
	else
		{ echo "status $2 (want 42), output '$(cat "$OUT/out")' (want T); trace diff:"
		  diff -u "$3" "$OUT/trace"; } >"$OUT/why"
		fail "trace/$1" "$OUT/why"
	fi
}

lesson ""; trace_check lesson-whole $? "$HERE/trace/lesson.trace"
lesson all; trace_check lesson-all $? "$HERE/trace/lesson.trace"
for c in $CLASSES; do
	want_classes "$c"
	if [ ! -s "$OUT/want" ]; then
		echo "lesson.trace has no line of class $c" >"$OUT/why"
		fail "trace/lesson-class-$c" "$OUT/why"
		continue
	fi
	lesson "$c"; trace_check "lesson-class-$c" $? "$OUT/want"
done
want_classes "io,pf,exc"
lesson "io,pf,exc"; trace_check lesson-classes-io-pf-exc $? "$OUT/want"

# --patch: a trap from a patched site says "patched" where the reason goes
# (monitor/trace.c).  lesson-patch.trace is the lesson's whole trace on
# softcpu under --patch and plain --isa=x86, where only the patch makes its
# five sensitive-unprivileged instructions trap: they, and no privileged
# one, say "patched".  native, whose patches are in guest RAM, must print
# the same "patched" lines.
"$TV" --engine=softcpu --patch --icount --trace "$OUT/lesson.elf" \
	</dev/null >"$OUT/out" 2>"$OUT/trace"
trace_check lesson-patch $? "$HERE/trace/lesson-patch.trace"
patched() { awk '$1 == "[trap]" && $6 == "patched"' "$1"; }
patched "$HERE/trace/lesson-patch.trace" >"$OUT/want"
"$TV" --engine=native --patch --trace "$OUT/lesson.elf" </dev/null \
	>"$OUT/out" 2>"$OUT/trace.native"; rc=$?
patched "$OUT/trace.native" >"$OUT/trace"
if [ "$(wc -l <"$OUT/want")" = 5 ] &&
   ! patched "$HERE/trace/lesson.trace" | grep -q .; then
	trace_check lesson-patch-native $rc "$OUT/want"
else
	echo "lesson-patch.trace should have 5 patched lines, lesson.trace none" >"$OUT/why"
	fail trace/lesson-patch-native "$OUT/why"
fi

# toyos under --icount: every line of its trace has a class, and
# --trace=irq prints exactly the whole trace's irq lines, among them
# interrupts delivered into a handler named by toyos's symbols.
"$TV" --engine=softcpu --icount --trace "$BUILD/guests/toyos.elf" \
	</dev/null >/dev/null 2>"$OUT/toy.all"; rc_all=$?
"$TV" --engine=softcpu --icount --trace=irq "$BUILD/guests/toyos.elf" \
	</dev/null >/dev/null 2>"$OUT/toy.irq"; rc_irq=$?
awk '$2 == "irq"' "$OUT/toy.all" >"$OUT/toy.want"
unclassed=$(awk -v l=" $CLASSES " 'index(l, " " $2 " ") == 0' "$OUT/toy.all" | head -3)
if [ $rc_all = 0 ] && [ $rc_irq = 0 ] && [ -z "$unclassed" ] &&
   cmp -s "$OUT/toy.want" "$OUT/toy.irq" &&
   grep -q "^\[intr\] irq .* delivered through the guest's IDT -> 0x8:0x[0-9a-f]* <vector_32> cpl0$" "$OUT/toy.irq"; then
	pass trace/toyos-irq-class
else
	{ echo "status $rc_all and $rc_irq (want 0), lines without a class:"
	  echo "$unclassed"; diff -u "$OUT/toy.want" "$OUT/toy.irq" | head -20; } >"$OUT/why"
	fail trace/toyos-irq-class "$OUT/why"
fi

# A multiboot (ELF32) kernel's symbols name its RIPs too.
"$TV" --engine=softcpu --trace=pf "$BUILD/guests/mb32.elf" </dev/null \
	>/dev/null 2>"$OUT/mb.trace"
if head -1 "$OUT/mb.trace" | grep -q '^\[trap\] pf .* rip=0x[0-9a-f]* _start  '; then
	pass trace/elf32-symbols
else
	fail trace/elf32-symbols "$OUT/mb.trace"
fi
