build-guests/gobj/guests/runtime/trap.o: guests/runtime/trap.c \
 guests/runtime/cpu.h isa/x86.h guests/runtime/rt.h monitor/boot.h
guests/runtime/cpu.h:
isa/x86.h:
guests/runtime/rt.h:
monitor/boot.h:
