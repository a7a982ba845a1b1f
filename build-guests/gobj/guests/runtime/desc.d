build-guests/gobj/guests/runtime/desc.o: guests/runtime/desc.c \
 guests/runtime/cpu.h isa/x86.h guests/runtime/rt.h monitor/boot.h
guests/runtime/cpu.h:
isa/x86.h:
guests/runtime/rt.h:
monitor/boot.h:
